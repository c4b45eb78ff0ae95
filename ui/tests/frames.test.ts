// The tile's frame pull: new frames only, at most MAX_FPS, the right
// participant, and it stops when told.
import { describe, expect, test } from "vitest";
import { FramePuller, frameUrl, MAX_FPS, RETRY_MS, type PullDeps } from "../src/lib/frames";

type Reply = { status: number; seq?: number; participant?: number | "" };

/** A fake shell and clock: replies in order, time moves only by sleeps. */
function fakeShell(replies: Reply[]) {
  const urls: string[] = [];
  const sleeps: number[] = [];
  let clock = 0;
  let puller: FramePuller | null = null;
  const deps: PullDeps = {
    async fetch(url, init) {
      urls.push(url);
      const reply = replies.shift();
      if (!reply) {
        // Out of replies: the tile goes away once what it holds is drawn
        // (a macrotask runs after every pending microtask), aborting this.
        setTimeout(() => puller?.stop(), 0);
        return new Promise<Response>((_ok, fail) =>
          init.signal.addEventListener("abort", () => fail(new Error("aborted"))),
        );
      }
      const headers = new Headers();
      if (reply.seq !== undefined) headers.set("X-Frame-Seq", String(reply.seq));
      if (reply.participant !== undefined) headers.set("X-Participant", String(reply.participant));
      const body = reply.status === 200 ? new Uint8Array([0xff, 0xd8, 0xff, 0xd9]) : null;
      return new Response(body, { status: reply.status, headers });
    },
    async decode(blob) {
      return { width: 4, height: 2, size: blob.size, close() {} } as unknown as ImageBitmap;
    },
    now: () => clock,
    async sleep(ms) {
      sleeps.push(ms);
      clock += ms;
    },
  };
  return {
    urls,
    sleeps,
    deps,
    bind(p: FramePuller) {
      puller = p;
    },
  };
}

function pull(replies: Reply[], participant = 7) {
  const shell = fakeShell(replies);
  const drawn: ImageBitmap[] = [];
  const puller = new FramePuller({
    mid: "6",
    participant,
    size: () => ({ width: 320, height: 180 }),
    draw: (p) => drawn.push(p),
    deps: shell.deps,
    windows: false,
  });
  shell.bind(puller);
  return { shell, drawn, puller };
}

describe("frame URLs", () => {
  test("name the slot, the last frame seen and the tile size", () => {
    expect(frameUrl("6", 41, 320.4, 179.6, false)).toBe("breakout-media://localhost/video/6?after=41&w=320&h=180");
    expect(frameUrl("12", 0, 0, 0, true)).toBe("http://breakout-media.localhost/video/12?after=0&w=2&h=2");
  });
});

describe("FramePuller", () => {
  test("asks only for frames newer than the last one it got", async () => {
    const { shell, drawn, puller } = pull([
      { status: 200, seq: 5, participant: 7 },
      { status: 204 },
      { status: 200, seq: 9, participant: 7 },
    ]);
    await puller.start();
    expect(shell.urls.map((u) => new URL(u.replace("breakout-media:", "http:")).searchParams.get("after"))).toEqual([
      "0",
      "5",
      "5",
      "9",
    ]);
    expect(drawn).toHaveLength(2);
    expect(puller.drawn).toBe(2);
    expect(puller.seq).toBe(9);
  });

  test("waits out the rest of a frame interval after each picture, not after a 204", async () => {
    const { shell, puller } = pull([{ status: 200, seq: 1, participant: 7 }, { status: 204 }, { status: 204 }]);
    await puller.start();
    const gap = 1000 / MAX_FPS;
    // One sleep for the picture (fetching took no time on this clock); the
    // 204s were waited for by the shell.
    expect(shell.sleeps).toEqual([gap]);
  });

  test("asks for the next frame before drawing this one", async () => {
    const shell = fakeShell([
      { status: 200, seq: 1, participant: 7 },
      { status: 200, seq: 2, participant: 7 },
    ]);
    const requestsAtDraw: number[] = [];
    const puller = new FramePuller({
      mid: "6",
      participant: 7,
      size: () => ({ width: 320, height: 180 }),
      draw: () => requestsAtDraw.push(shell.urls.length),
      deps: shell.deps,
      windows: false,
    });
    shell.bind(puller);
    await puller.start();
    // Drawing frame 1, the request for frame 2 is out; drawing frame 2,
    // the one after it.
    expect(requestsAtDraw).toEqual([2, 3]);
  });

  test("does not draw a frame of someone else (the slot is switching)", async () => {
    const { drawn, puller } = pull([
      { status: 200, seq: 3, participant: 8 },
      { status: 200, seq: 4, participant: 7 },
    ]);
    await puller.start();
    expect(drawn).toHaveLength(1);
    expect(puller.seq).toBe(4);
  });

  test("backs off after a refusal and tries again", async () => {
    const { shell, drawn, puller } = pull([{ status: 404 }, { status: 200, seq: 2, participant: "" }]);
    await puller.start();
    expect(shell.sleeps[0]).toBe(RETRY_MS);
    expect(drawn).toHaveLength(1);
  });

  test("stops: no request after stop(), the one in flight is aborted", async () => {
    let aborted = false;
    const puller = new FramePuller({
      mid: "6",
      participant: 7,
      size: () => ({ width: 16, height: 16 }),
      draw: () => {},
      deps: {
        fetch: (_url, init) =>
          new Promise((_ok, fail) =>
            init.signal.addEventListener("abort", () => {
              aborted = true;
              fail(new Error("aborted"));
            }),
          ),
        sleep: async () => {},
      },
    });
    const running = puller.start();
    expect(puller.active).toBe(true);
    puller.stop();
    await running;
    expect(aborted).toBe(true);
    expect(puller.active).toBe(false);
  });
});
