// Serves the built UI, drives Debian's Chromium through playwright-core and
// stands in for the Tauri shell: `window.__TAURI_INTERNALS__` records every
// invoke and answers from fixtures, and tests emit shell events at will.
// Server messages go through the shell's own reducer (breakout-client's
// `session_replay` example, one process per page), whose view is pushed as
// the shell pushes it.

import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, readFileSync, existsSync, statSync } from "node:fs";
import { createInterface } from "node:readline";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { extname, join, normalize, resolve } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import type { ChatMessage, ServerMessage } from "../src/generated";
import type { ClientView, ConnectionState } from "../src/lib/shell.generated";

const UI = resolve(import.meta.dirname, "..");
const DIST = join(UI, "dist");
export const SHOTS = resolve(UI, "../target/ui-shots");

export const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".json": "application/json",
};

/** A static server for ui/dist on a free loopback port. */
export async function serveDist(): Promise<{ url: string; close: () => Promise<void> }> {
  if (!existsSync(join(DIST, "index.html"))) throw new Error("ui/dist is missing: run `npm run build` first");
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    let file = normalize(join(DIST, path));
    if (!file.startsWith(DIST)) {
      res.writeHead(403).end();
      return;
    }
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, "index.html");
    if (!existsSync(file)) {
      res.writeHead(404).end("not found");
      return;
    }
    res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" });
    res.end(readFileSync(file));
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}

/** Where `cargo build --workspace --example session_replay` puts the reducer. */
export function replayBinary(): string {
  const target = process.env.CARGO_TARGET_DIR ?? resolve(UI, "../target");
  const path = process.env.SESSION_REPLAY_BIN ?? join(target, "debug", "examples", "session_replay");
  if (!existsSync(path)) {
    throw new Error(`${path} is missing: build it with \`cargo build --workspace --example session_replay\` (scripts/ui-test.sh does)`);
  }
  return path;
}

interface Reduced {
  view: ClientView;
  fetch_chat: number | null;
}

/** The shell's Session in a child process: one JSON line in, the whole view out. */
class Reducer {
  private readonly child: ChildProcess;
  private readonly waiting: ((r: Reduced) => void)[] = [];
  private queue: Promise<unknown> = Promise.resolve();
  latest: ClientView | null = null;

  constructor() {
    this.child = spawn(replayBinary(), [], { stdio: ["pipe", "pipe", "inherit"] });
    createInterface({ input: this.child.stdout! }).on("line", (line) => this.waiting.shift()?.(JSON.parse(line) as Reduced));
  }

  /** Feeds one input; inputs are taken one at a time, in order. */
  feed(input: Record<string, unknown>): Promise<Reduced> {
    const next = this.queue.then(
      () =>
        new Promise<Reduced>((ok) => {
          this.waiting.push((r) => {
            this.latest = r.view;
            ok(r);
          });
          this.child.stdin!.write(`${JSON.stringify(input)}\n`);
        }),
    );
    this.queue = next.catch(() => undefined);
    return next;
  }

  stop(): void {
    this.child.kill();
  }
}

/** Commands the shell answers from its session; the harness's reducer does here. */
const SESSION_COMMANDS = ["get_client_view", "dismiss_toast", "dismiss_banner", "defer_invitation"];

export function launch(): Promise<Browser> {
  // launch() gives every browser a fresh temporary profile.
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

export type Answer = { value: unknown } | { error: { code: string; message: string } };

export interface IpcCall {
  cmd: string;
  args: Record<string, unknown>;
}

interface FakeInit {
  answers: Record<string, Answer>;
  /** Commands answered by the test's `forward` handlers (in Node) instead. */
  forwarded: string[];
  seed: number;
}

/** Runs in the page before any of its scripts. */
function installFakeTauri(init: FakeInit) {
  type Handler = (e: unknown) => void;
  const calls: { cmd: string; args: unknown }[] = [];
  const answers = init.answers;
  const callbacks = new Map<number, Handler>();
  const listeners = new Map<string, number[]>();
  let nextId = 1;
  const w = window as unknown as Record<string, unknown>;
  w.__ipc = {
    calls,
    answers,
    answer(cmd: string, answer: Answer) {
      answers[cmd] = answer;
    },
    emit(event: string, payload: unknown) {
      for (const id of listeners.get(event) ?? []) callbacks.get(id)?.({ event, id, payload });
    },
    listening(event: string) {
      return (listeners.get(event) ?? []).length;
    },
  };
  w.__TAURI_INTERNALS__ = {
    metadata: { currentWindow: { label: "main" }, currentWebview: { windowLabel: "main", label: "main" } },
    transformCallback(cb: Handler, once = false) {
      const id = nextId++;
      callbacks.set(id, (data) => {
        if (once) callbacks.delete(id);
        cb?.(data);
      });
      return id;
    },
    unregisterCallback(id: number) {
      callbacks.delete(id);
    },
    async invoke(cmd: string, args: Record<string, unknown> = {}) {
      if (cmd === "plugin:event|listen") {
        const event = args.event as string;
        listeners.set(event, [...(listeners.get(event) ?? []), args.handler as number]);
        return args.handler;
      }
      if (cmd === "plugin:event|unlisten") {
        const event = args.event as string;
        listeners.set(event, (listeners.get(event) ?? []).filter((id) => id !== args.eventId));
        return null;
      }
      calls.push({ cmd, args: JSON.parse(JSON.stringify(args)) });
      const forward = w.__forward as ((cmd: string, args: unknown) => Promise<Answer>) | undefined;
      const answer = init.forwarded.includes(cmd) && forward ? await forward(cmd, args) : answers[cmd];
      if (!answer) return null;
      if ("error" in answer) throw answer.error;
      return structuredClone(answer.value);
    },
  };
  w.__TAURI_EVENT_PLUGIN_INTERNALS__ = {
    unregisterListener(_event: string, id: number) {
      callbacks.delete(id);
    },
  };
  // Shuffle and auto-assign seeds become predictable.
  const real = crypto.getRandomValues.bind(crypto);
  crypto.getRandomValues = (<T extends ArrayBufferView | null>(array: T): T => {
    if (array instanceof Uint32Array && array.length === 1) {
      array[0] = init.seed;
      return array;
    }
    return real(array as never) as T;
  }) as typeof crypto.getRandomValues;
}

export const SEED = 424242;

export interface Opened {
  page: Page;
  /** Every invoke so far (event plumbing excluded). */
  calls(): Promise<IpcCall[]>;
  /** Waits until `cmd` has been invoked `count` times in total, returns the last call. */
  waitForCall(cmd: string, count?: number): Promise<IpcCall>;
  /** The `command` of the n-th send_command (1-based; default: one more than before). */
  nextCommand(): Promise<unknown>;
  answer(cmd: string, answer: Answer): Promise<void>;
  emit(event: string, payload: unknown): Promise<void>;
  /** A server message, reduced by the shell's session and pushed as its view. */
  server(message: ServerMessage): Promise<void>;
  /** The shell's connection state, as the session keeps it. */
  connection(state: ConnectionState, reason?: string): Promise<void>;
  close(): Promise<void>;
}

export interface OpenOptions {
  answers?: Record<string, Answer>;
  viewport?: { width: number; height: number };
  /** Install Playwright's fake clock at this time before loading. */
  clockAt?: number;
  /**
   * A Windows user agent: the UI then asks for video frames at
   * http://breakout-media.localhost/..., which page.route can answer
   * (Chromium refuses unknown schemes before routing).
   */
  windowsAgent?: boolean;
  /** Commands answered in Node, e.g. by a real server, instead of by `answers`. */
  forward?: Record<string, (args: Record<string, unknown>) => Promise<Answer>>;
}

/** Opens `path` (index.html or dashboard.html) with the fake shell in place. */
export async function open(browser: Browser, baseUrl: string, path: string, o: OpenOptions = {}): Promise<Opened> {
  const context = await browser.newContext({
    viewport: o.viewport ?? { width: 1280, height: 800 },
    ...(o.windowsAgent ? { userAgent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Breakout-test" } : {}),
  });
  const page = await context.newPage();
  const errors: Error[] = [];
  page.on("pageerror", (e) => errors.push(e));
  if (o.clockAt !== undefined) await page.clock.install({ time: o.clockAt });
  const reducer = new Reducer();
  const emit = (event: string, payload: unknown) =>
    page.evaluate(([e, p]) => (window as never as { __ipc: { emit(e: string, p: unknown): void } }).__ipc.emit(e as string, p), [event, payload] as const);
  // As the shell does: push the view, and fetch the room's chat history
  // (answered by the test's `get_chat`) after a welcome or a move.
  const push = async (input: Record<string, unknown>) => {
    const reduced = await reducer.feed(input);
    await emit("client-view", reduced.view);
    if (reduced.fetch_chat === null) return;
    const history = await page.evaluate(() => (window as never as { __ipc: { answers: Record<string, Answer> } }).__ipc.answers.get_chat);
    if (history && "value" in history) {
      const messages = history.value as ChatMessage[];
      const after = await reducer.feed({ type: "chat_history", room: reduced.fetch_chat, messages });
      await emit("client-view", after.view);
    }
  };
  const session = async (cmd: string, args: Record<string, unknown>): Promise<Answer> => {
    if (cmd === "get_client_view") {
      // The shell's session holds the view of any meeting it is in; tests
      // that only answer `get_state` stand for that.
      if (!reducer.latest?.view) {
        const state = await page.evaluate(() => (window as never as { __ipc: { answers: Record<string, Answer> } }).__ipc.answers.get_state);
        if (state && "value" in state && state.value) await push({ type: "server", at: 0, message: { type: "state", view: state.value } });
      }
      return { value: reducer.latest };
    }
    if (cmd === "defer_invitation") await push({ type: "defer_invitation" });
    else await push({ type: cmd, id: args.id });
    return { value: null };
  };
  const forward: Record<string, (args: Record<string, unknown>) => Promise<Answer>> = {
    ...Object.fromEntries(SESSION_COMMANDS.map((cmd) => [cmd, (args: Record<string, unknown>) => session(cmd, args)])),
    ...(o.forward ?? {}),
  };
  await page.exposeFunction("__forward", (cmd: string, args: Record<string, unknown>) => forward[cmd](args));
  await page.addInitScript(installFakeTauri, {
    answers: o.answers ?? {},
    forwarded: Object.keys(forward),
    seed: SEED,
  } satisfies FakeInit);
  await page.goto(`${baseUrl}/${path}`);
  // The app is ready once it listens to the shell's events.
  await page.waitForFunction(() => (window as never as { __ipc: { listening(e: string): number } }).__ipc.listening("client-view") > 0);
  let seen = 0;

  const calls = () => page.evaluate(() => (window as never as { __ipc: { calls: IpcCall[] } }).__ipc.calls);
  const waitForCall = async (cmd: string, count = 1) => {
    await page.waitForFunction(
      ([c, n]) =>
        (window as never as { __ipc: { calls: IpcCall[] } }).__ipc.calls.filter((x) => x.cmd === c).length >= (n as number),
      [cmd, count] as const,
    );
    const matching = (await calls()).filter((x) => x.cmd === cmd);
    return matching[count - 1];
  };
  return {
    page,
    calls,
    waitForCall,
    async nextCommand() {
      seen += 1;
      const call = await waitForCall("send_command", seen);
      return call.args.command;
    },
    answer: (cmd, answer) =>
      page.evaluate(([c, a]) => (window as never as { __ipc: { answer(c: string, a: unknown): void } }).__ipc.answer(c as string, a), [cmd, answer] as const),
    emit,
    async server(message) {
      const at = await page.evaluate(() => Date.now());
      await push({ type: "server", at, message });
    },
    connection: (state, reason) => push({ type: "connection", state, reason: reason ?? null }),
    async close() {
      reducer.stop();
      await context.close();
      if (errors.length) throw new Error(`page errors: ${errors.map((e) => e.message).join("; ")}`);
    },
  };
}

/** Saves the page at 1280×800 and 800×600 under target/ui-shots/. */
export async function screenshots(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  const original = page.viewportSize();
  for (const [width, height] of [
    [1280, 800],
    [800, 600],
  ]) {
    await page.setViewportSize({ width, height });
    await page.screenshot({ path: join(SHOTS, `${name}-${width}x${height}.png`) });
  }
  if (original) await page.setViewportSize(original);
}
