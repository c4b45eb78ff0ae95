// The window's frame pull: one request for every tile, new frames only, at
// most MAX_FPS, each frame in its own tile and only if it shows the right
// participant; tiles come and go.
import { describe, expect, test } from "vitest";
import { FrameHub, framesUrl, MAX_FPS, parseFrames, RETRY_MS, type PullDeps } from "../src/lib/frames";

type Frame = { mid: string; seq: number; participant: number | "" };
type Reply = { status: number; frames?: Frame[] };

/** A fake shell and clock: replies in order, time moves only by sleeps. */
function fakeShell(replies: Reply[], onEmpty: () => void) {
  const urls: string[] = [];
  const sleeps: number[] = [];
  let clock = 0;
  const deps: PullDeps = {
    async fetch(url, init) {
      urls.push(url);
      const reply = replies.shift();
      if (!reply) {
        // Out of replies: the tiles go away once what they hold is drawn
        // (a macrotask runs after every pending microtask), aborting this.
        setTimeout(onEmpty, 0);
        return new Promise<Response>((_ok, fail) =>
          init.signal.addEventListener("abort", () => fail(new Error("aborted"))),
        );
      }
      const frames = reply.frames ?? [];
      // Each "JPEG" is its frame's mid as bytes, so a drawing tells which
      // slice of the body it got.
      const bodies = frames.map((f) => new TextEncoder().encode(`jpeg-${f.mid}-${f.seq}`));
      const headers = new Headers();
      if (frames.length > 0) {
        headers.set("X-Frames", frames.map((f, i) => `${f.mid}:${f.seq}:${f.participant}:${bodies[i].length}`).join(","));
      }
      const body = reply.status === 200 ? new Blob(bodies) : null;
      return new Response(body, { status: reply.status, headers });
    },
    async decode(blob) {
      const text = await blob.text();
      return { width: 4, height: 2, text, close() {} } as unknown as ImageBitmap;
    },
    now: () => clock,
    async sleep(ms) {
      sleeps.push(ms);
      clock += ms;
    },
  };
  return { urls, sleeps, deps };
}

/** Tiles for slots 6 (participant 7) and 8 (participant 9) on one hub. */
function hubWithTiles(replies: Reply[]) {
  const removers: (() => void)[] = [];
  const shell = fakeShell(replies, () => removers.forEach((remove) => remove()));
  const hub = new FrameHub({ deps: shell.deps, windows: false });
  const drawn: Record<string, string[]> = { "6": [], "8": [] };
  for (const [mid, participant] of [
    ["6", 7],
    ["8", 9],
  ] as const) {
    removers.push(
      hub.add({
        mid,
        participant,
        size: () => ({ width: 320, height: 180 }),
        draw: (p) => drawn[mid].push((p as unknown as { text: string }).text),
      }),
    );
  }
  return { shell, hub, drawn };
}

/** The `want` entries of a request URL. */
function wants(url: string): string[] {
  return (new URL(url.replace("breakout-media:", "http:")).searchParams.get("want") ?? "").split(",");
}

describe("frame requests", () => {
  test("list every tile's slot, last frame seen and size", () => {
    const url = framesUrl(
      [
        { mid: "6", after: 41, width: 320.4, height: 179.6 },
        { mid: "self", after: 0, width: 0, height: 0 },
      ],
      false,
    );
    expect(url).toBe("breakout-media://localhost/frames?want=6:41:320:180,self:0:2:2");
    expect(framesUrl([{ mid: "12", after: 0, width: 2, height: 2 }], true)).toBe(
      "http://breakout-media.localhost/frames?want=12:0:2:2",
    );
  });

  test("answers are read from X-Frames; malformed ones are refused", () => {
    expect(parseFrames("6:5:7:100,self:6::20")).toEqual([
      { mid: "6", seq: 5, participant: 7, bytes: 100 },
      { mid: "self", seq: 6, participant: null, bytes: 20 },
    ]);
    expect(parseFrames(null)).toBeNull();
    expect(parseFrames("6:5:7")).toBeNull();
    expect(parseFrames("6:x:7:100")).toBeNull();
    expect(parseFrames("6:5:7:-1")).toBeNull();
  });
});

describe("FrameHub", () => {
  test("asks for all tiles at once and only for frames newer than each one's last", async () => {
    const { shell, hub, drawn } = hubWithTiles([
      { status: 200, frames: [{ mid: "6", seq: 5, participant: 7 }] },
      { status: 204 },
      {
        status: 200,
        frames: [
          { mid: "6", seq: 9, participant: 7 },
          { mid: "8", seq: 10, participant: 9 },
        ],
      },
    ]);
    await hub.idle();
    expect(shell.urls.map(wants)).toEqual([
      ["6:0:320:180", "8:0:320:180"],
      ["6:5:320:180", "8:0:320:180"],
      ["6:5:320:180", "8:0:320:180"],
      ["6:9:320:180", "8:10:320:180"],
    ]);
    // Each tile drew its own slice of the body.
    expect(drawn).toEqual({ "6": ["jpeg-6-5", "jpeg-6-9"], "8": ["jpeg-8-10"] });
    expect(hub.drawn).toBe(3);
    expect(hub.batches).toBe(2);
  });

  test("waits out the rest of a tick after pictures, not after a 204", async () => {
    const { shell, hub } = hubWithTiles([
      { status: 200, frames: [{ mid: "6", seq: 1, participant: 7 }] },
      { status: 204 },
      { status: 204 },
    ]);
    await hub.idle();
    // One sleep for the pictures (fetching took no time on this clock); the
    // 204s were waited for by the shell.
    expect(shell.sleeps).toEqual([1000 / MAX_FPS]);
  });

  test("does not draw a frame of someone else (the slot is switching)", async () => {
    const { hub, drawn } = hubWithTiles([
      {
        status: 200,
        frames: [
          { mid: "6", seq: 3, participant: 8 },
          { mid: "8", seq: 4, participant: 9 },
        ],
      },
      { status: 200, frames: [{ mid: "6", seq: 5, participant: 7 }] },
    ]);
    await hub.idle();
    expect(drawn).toEqual({ "6": ["jpeg-6-5"], "8": ["jpeg-8-4"] });
  });

  test("backs off after a refusal and tries again", async () => {
    const { shell, hub, drawn } = hubWithTiles([{ status: 404 }, { status: 200, frames: [{ mid: "8", seq: 2, participant: "" }] }]);
    await hub.idle();
    expect(shell.sleeps[0]).toBe(RETRY_MS);
    expect(drawn["8"]).toEqual(["jpeg-8-2"]);
  });

  test("a new tile is asked for at once: the waiting request is dropped", async () => {
    const urls: string[] = [];
    const aborted: string[] = [];
    const hub = new FrameHub({
      windows: false,
      deps: {
        fetch: (url, init) => {
          urls.push(url);
          return new Promise((_ok, fail) =>
            init.signal.addEventListener("abort", () => {
              aborted.push(url);
              fail(new Error("aborted"));
            }),
          );
        },
        sleep: async () => {},
      },
    });
    const tile = (mid: string) => ({ mid, participant: 1, size: () => ({ width: 16, height: 16 }), draw: () => {} });
    const removeSix = hub.add(tile("6"));
    expect(hub.active).toBe(true);
    await new Promise((ok) => setTimeout(ok, 0));
    const removeSeven = hub.add(tile("7"));
    await new Promise((ok) => setTimeout(ok, 0));
    expect(aborted.map(wants)).toEqual([["6:0:16:16"]]);
    expect(wants(urls[urls.length - 1])).toEqual(["6:0:16:16", "7:0:16:16"]);

    // The last tile gone: the request in flight is dropped and the pull stops.
    removeSix();
    removeSeven();
    await hub.idle();
    expect(hub.active).toBe(false);
    expect(aborted).toHaveLength(2);
  });
});
