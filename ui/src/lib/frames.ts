// Pulling a video slot's frames into a tile.
//
// Decoded video never travels through invoke/JSON. The shell serves each
// slot's newest frame as a JPEG scaled to cover the size the tile asks for, on
// its own URI scheme:
//
//   breakout-media://localhost/video/<mid>?after=<seq>&w=<px>&h=<px>
//   (http://breakout-media.localhost/... on Windows)
//
// The answer carries the frame's sequence number (X-Frame-Seq) and who it
// shows (X-Participant). A request for a frame newer than `after` waits in
// the shell until one exists, then answers 204 if none came; so a tile asks
// again at once after a 204 or a picture, and draws at most MAX_FPS pictures
// a second. The webview decodes the JPEG natively (createImageBitmap) and the
// tile draws it into a canvas.

export const SCHEME = "breakout-media";
/** Frames a tile shows per second at most. */
export const MAX_FPS = 15;
/** Wait before asking again after a failure (shell busy, slot unknown). */
export const RETRY_MS = 1000;

export interface PullDeps {
  fetch: (url: string, init: { signal: AbortSignal }) => Promise<Response>;
  decode: (blob: Blob) => Promise<ImageBitmap>;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
}

export interface PullOptions {
  mid: string;
  /** Frames showing anyone else (the slot is switching) are not drawn. */
  participant: number;
  /** The tile's size in device pixels, read before each request. */
  size: () => { width: number; height: number };
  draw: (picture: ImageBitmap) => void;
  fps?: number;
  /** Set by tests; the browser's own otherwise. */
  deps?: Partial<PullDeps>;
  /** Windows serves custom schemes as http://<scheme>.localhost. */
  windows?: boolean;
}

export function isWindows(): boolean {
  return typeof navigator !== "undefined" && /Windows/i.test(navigator.userAgent);
}

/** The URL of slot `mid`'s next frame after `after`, for a `width`×`height` tile. */
export function frameUrl(mid: string, after: number, width: number, height: number, windows = isWindows()): string {
  const base = windows ? `http://${SCHEME}.localhost` : `${SCHEME}://localhost`;
  const w = Math.max(2, Math.round(width));
  const h = Math.max(2, Math.round(height));
  return `${base}/video/${encodeURIComponent(mid)}?after=${after}&w=${w}&h=${h}`;
}

const browser: PullDeps = {
  fetch: (url, init) => fetch(url, { ...init, cache: "no-store" }),
  decode: (blob) => createImageBitmap(blob),
  now: () => performance.now(),
  sleep: (ms) => new Promise((ok) => setTimeout(ok, ms)),
};

/** One tile's pull loop: `start()` once, `stop()` when the tile goes. */
export class FramePuller {
  /** Sequence number of the newest frame received. */
  seq = 0;
  /** Frames drawn so far. */
  drawn = 0;
  private running = false;
  private abort: AbortController | null = null;
  private readonly deps: PullDeps;
  private readonly gapMs: number;

  constructor(private readonly options: PullOptions) {
    this.deps = { ...browser, ...options.deps };
    this.gapMs = 1000 / (options.fps ?? MAX_FPS);
  }

  start(): Promise<void> {
    if (this.running) return Promise.resolve();
    this.running = true;
    return this.loop();
  }

  stop(): void {
    this.running = false;
    this.abort?.abort();
  }

  get active(): boolean {
    return this.running;
  }

  /** Asks for the frame after the newest one seen; `null` if the request failed. */
  private request(): Promise<Response | null> {
    const { width, height } = this.options.size();
    this.abort = new AbortController();
    const url = frameUrl(this.options.mid, this.seq, width, height, this.options.windows);
    return this.deps.fetch(url, { signal: this.abort.signal }).catch(() => null);
  }

  private async loop(): Promise<void> {
    const { deps, options } = this;
    // The request for the next frame goes out as soon as a picture has
    // arrived, so the shell waits for and encodes it while this one is
    // decoded and drawn: one round trip per frame would cap the rate.
    let next: Promise<Response | null> | null = null;
    while (this.running) {
      const started = deps.now();
      const response = await (next ?? this.request());
      next = null;
      if (!this.running) break;
      if (response === null) {
        await deps.sleep(RETRY_MS);
        continue;
      }
      if (response.status === 204) continue; // the shell waited; nothing new
      if (response.status !== 200) {
        await deps.sleep(RETRY_MS);
        continue;
      }
      const seq = Number(response.headers.get("X-Frame-Seq"));
      if (Number.isFinite(seq) && seq > this.seq) this.seq = seq;
      const shows = response.headers.get("X-Participant");
      const ours = shows === null || shows === "" || Number(shows) === options.participant;
      let blob: Blob | null = null;
      try {
        blob = ours ? await response.blob() : null;
      } catch {
        // A body that does not arrive is skipped; the next frame will.
      }
      if (!this.running) break;
      next = this.request();
      if (blob !== null) {
        try {
          const picture = await deps.decode(blob);
          if (this.running) {
            options.draw(picture);
            this.drawn += 1;
          } else {
            picture.close?.();
          }
        } catch {
          // A frame that does not decode is skipped; the next one will.
        }
      }
      const wait = this.gapMs - (deps.now() - started);
      if (this.running && wait > 0) await deps.sleep(wait);
    }
  }
}
