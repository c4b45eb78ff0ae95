// Deadlines come from the server as wall-clock milliseconds. Local clocks
// drift, so every countdown is computed against the server's clock: the
// offset is learnt from the welcome message (`server_time`) and applied to the
// local clock from then on.

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
