// Deadlines come from the server as wall-clock milliseconds. Local clocks
// drift, so every countdown is computed against the server's clock: the
// offset is learnt from the welcome message (`server_time`) and applied to the
// local clock from then on.

/** How far the server's clock is ahead of ours, in ms (negative: behind). */
export function clockOffset(serverTime: number, localNow: number): number {
  return serverTime - localNow;
}

/** The server's idea of "now". */
export function serverNow(localNow: number, offset: number): number {
  return localNow + offset;
}

/** Milliseconds until `at` (server time), never negative. */
export function remainingMs(at: number, localNow: number, offset: number): number {
  return Math.max(0, at - serverNow(localNow, offset));
}

/** Whole seconds left, rounded up so a countdown shows 1 until the very end. */
export function secondsLeft(at: number, localNow: number, offset: number): number {
  return Math.ceil(remainingMs(at, localNow, offset) / 1000);
}

/** `m:ss`, or `h:mm:ss` from an hour up. */
export function formatDuration(ms: number): string {
  const total = Math.ceil(Math.max(0, ms) / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const ss = String(s).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

const OFFSET_KEY = "breakout.clockOffset";

/** Shares the offset with the dashboard window (same origin, other window). */
export function saveOffset(offset: number, storage: Pick<Storage, "setItem"> = localStorage): void {
  try {
    storage.setItem(OFFSET_KEY, String(offset));
  } catch {
    // Storage can be unavailable; countdowns then use the local clock.
  }
}

export function loadOffset(storage: Pick<Storage, "getItem"> = localStorage): number {
  try {
    const value = Number(storage.getItem(OFFSET_KEY));
    return Number.isFinite(value) ? value : 0;
  } catch {
    return 0;
  }
}
