// Pulling the video slots' frames into the tiles of a window.
//
// Decoded video never travels through invoke/JSON. The shell serves each
// slot's newest frame as a JPEG scaled to cover the size the tile asks for, on
// its own URI scheme, all of a window's tiles in one request:
//
//   breakout-media://localhost/frames?want=<mid>:<after>:<w>:<h>,...
//   (http://breakout-media.localhost/... on Windows)
//
// The answer holds, back to back, the newest frame of every listed slot that
// has one newer than `after`; X-Frames names each (`<mid>:<seq>:<participant>:
// <bytes>`, comma-separated, in body order). When none is newer the shell
// waits for the first, then answers 204 if none came. The hub asks once per
// tick, at most MAX_FPS ticks a second: one request for nine tiles instead
// of nine, since every request crosses the webview, the shell's main thread
// and WebKit's network process. The webview decodes each JPEG natively
// (createImageBitmap) and its tile draws it into a canvas.

export const SCHEME = "breakout-media";
/** Frames a tile shows per second at most. */
export const MAX_FPS = 15;
/** Wait before asking again after a failure (shell busy, bad request). */
export const RETRY_MS = 1000;

export interface PullDeps {
  fetch: (url: string, init: { signal: AbortSignal }) => Promise<Response>;
  decode: (blob: Blob) => Promise<ImageBitmap>;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
}

/** What one tile shows and how it draws. */
export interface TileOptions {
  mid: string;
  /** Frames showing anyone else (the slot is switching) are not drawn. */
  participant: number;
  /** The tile's size in device pixels, read before each request. */
  size: () => { width: number; height: number };
  draw: (picture: ImageBitmap) => void;
}

export interface Wanted {
  mid: string;
  after: number;
  width: number;
  height: number;
}

/** One frame of an answer: which slot, which frame, whom it shows, its bytes. */
export interface FrameEntry {
  mid: string;
  seq: number;
  /** null for our own camera. */
  participant: number | null;
  bytes: number;
}

export function isWindows(): boolean {
  return typeof navigator !== "undefined" && /Windows/i.test(navigator.userAgent);
}

/** The URL asking for the frames after those already seen, one entry per tile. */
export function framesUrl(wanted: Wanted[], windows = isWindows()): string {
  const base = windows ? `http://${SCHEME}.localhost` : `${SCHEME}://localhost`;
  const side = (v: number) => Math.max(2, Math.round(v));
  const list = wanted.map((w) => `${encodeURIComponent(w.mid)}:${w.after}:${side(w.width)}:${side(w.height)}`);
  return `${base}/frames?want=${list.join(",")}`;
}

/** X-Frames → entries; null when malformed (the answer is then skipped). */
export function parseFrames(header: string | null): FrameEntry[] | null {
  if (!header) return null;
  const entries: FrameEntry[] = [];
  for (const item of header.split(",")) {
    const fields = item.split(":");
    if (fields.length !== 4) return null;
    const [mid, seq, participant, bytes] = fields;
    const entry = {
      mid,
      seq: Number(seq),
      participant: participant === "" ? null : Number(participant),
      bytes: Number(bytes),
    };
    if (!mid || !Number.isSafeInteger(entry.seq) || !Number.isSafeInteger(entry.bytes) || entry.bytes < 0) return null;
    if (entry.participant !== null && !Number.isSafeInteger(entry.participant)) return null;
    entries.push(entry);
  }
  return entries;
}

const browser: PullDeps = {
  fetch: (url, init) => fetch(url, { ...init, cache: "no-store" }),
  decode: (blob) => createImageBitmap(blob),
  now: () => performance.now(),
  sleep: (ms) => new Promise((ok) => setTimeout(ok, ms)),
};

interface Tile extends TileOptions {
  /** Sequence number of the newest frame received for this tile. */
  seq: number;
}

/** A window's frame pull: tiles `add` themselves and call what it returns when they go. */
export class FrameHub {
  /** Frames drawn so far, by every tile. */
  drawn = 0;
  /** Requests answered with frames so far. */
  batches = 0;
  private readonly tiles = new Map<string, Tile>();
  private running = false;
  private abort: AbortController | null = null;
  private done: Promise<void> = Promise.resolve();
  private readonly deps: PullDeps;
  private readonly windows: boolean | undefined;
  private readonly gapMs: number;

  constructor(options: { deps?: Partial<PullDeps>; windows?: boolean; fps?: number } = {}) {
    this.deps = { ...browser, ...options.deps };
    this.windows = options.windows;
    this.gapMs = 1000 / (options.fps ?? MAX_FPS);
  }

  /** Starts pulling `options.mid` for a tile; the returned function stops it. */
  add(options: TileOptions): () => void {
    const tile: Tile = { ...options, seq: 0 };
    this.tiles.set(options.mid, tile);
    // A request in flight may wait for frames of other slots: ask again
    // at once, with this tile in the list.
    if (this.running) this.abort?.abort();
    else this.start();
    return () => {
      if (this.tiles.get(options.mid) !== tile) return;
      this.tiles.delete(options.mid);
      if (this.tiles.size === 0) this.abort?.abort();
    };
  }

  get active(): boolean {
    return this.running;
  }

  /** Resolves when the pull has stopped (no tiles left). */
  idle(): Promise<void> {
    return this.done;
  }

  /** From the next microtask, so tiles added together share the first request. */
  private start(): void {
    this.running = true;
    this.done = Promise.resolve()
      .then(() => this.run())
      .finally(() => {
        this.running = false;
      });
  }

  private async run(): Promise<void> {
    const { deps } = this;
    while (this.tiles.size > 0) {
      const started = deps.now();
      const wanted = [...this.tiles.values()].map((tile) => ({ mid: tile.mid, after: tile.seq, ...tile.size() }));
      const abort = new AbortController();
      this.abort = abort;
      const response = await deps
        .fetch(framesUrl(wanted, this.windows), { signal: abort.signal })
        .catch(() => null);
      if (abort.signal.aborted) continue; // a tile came or went
      if (response === null || (response.status !== 200 && response.status !== 204)) {
        await deps.sleep(RETRY_MS);
        continue;
      }
      if (response.status === 204) continue; // the shell waited; nothing new
      await this.show(response);
      const wait = this.gapMs - (deps.now() - started);
      if (wait > 0 && this.tiles.size > 0) await deps.sleep(wait);
    }
  }

  /** Decodes an answer's frames together and draws each in its tile. */
  private async show(response: Response): Promise<void> {
    const entries = parseFrames(response.headers.get("X-Frames"));
    let body: Blob;
    try {
      body = await response.blob();
    } catch {
      return; // a body that does not arrive is skipped; the next one will do
    }
    if (entries === null || entries.reduce((sum, e) => sum + e.bytes, 0) !== body.size) return;
    this.batches += 1;
    let offset = 0;
    const pictures = entries.map((entry) => {
      const slice = body.slice(offset, offset + entry.bytes);
      offset += entry.bytes;
      const tile = this.tiles.get(entry.mid);
      if (!tile) return null;
      if (entry.seq > tile.seq) tile.seq = entry.seq;
      if (entry.participant !== null && entry.participant !== tile.participant) return null;
      return this.decodeFor(tile, slice);
    });
    await Promise.all(pictures);
  }

  private async decodeFor(tile: Tile, slice: Blob): Promise<void> {
    let picture: ImageBitmap;
    try {
      picture = await this.deps.decode(slice);
    } catch {
      return; // a frame that does not decode is skipped; the next one will do
    }
    if (this.tiles.get(tile.mid) === tile) {
      tile.draw(picture);
      this.drawn += 1;
    } else {
      picture.close?.();
    }
  }
}
