// A real breakout-server process for browser flows that must meet the
// server's own answers (the CSV preview and import): fresh data, a free
// loopback port, stopped when the test ends.

import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import type { Answer } from "./harness";

const ROOT = resolve(import.meta.dirname, "../..");
const ADMIN_KEY = "ui-e2e-admin-key-not-secret";

/** Where `cargo build --workspace --bins` puts the server. */
export function serverBinary(): string {
  const target = process.env.CARGO_TARGET_DIR ?? join(ROOT, "target");
  const path = process.env.BREAKOUT_SERVER_BIN ?? join(target, "debug", "breakout-server");
  if (!existsSync(path)) {
    throw new Error(`${path} is missing: build it with \`cargo build --workspace --bins --tests\` (scripts/ui-test.sh does)`);
  }
  return path;
}

export interface Participant {
  participant: number;
  token: string;
}

export class RealServer {
  private constructor(
    readonly url: string,
    private readonly child: ChildProcess,
    private readonly dataDir: string,
  ) {}

  static async start(): Promise<RealServer> {
    const dataDir = mkdtempSync(join(tmpdir(), "breakout-ui-e2e-"));
    const child = spawn(serverBinary(), ["--listen", "127.0.0.1:0", "--data-dir", dataDir, "--admin-key", ADMIN_KEY, "--log", "warn"], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const lines = createInterface({ input: child.stdout! });
    const url = await new Promise<string>((ok, fail) => {
      child.once("exit", (code) => fail(new Error(`breakout-server exited (${code}) before listening`)));
      lines.on("line", (line) => {
        if (line.startsWith("listening on ")) ok(line.slice("listening on ".length).trim());
      });
    });
    return new RealServer(url, child, dataDir);
  }

  async stop(): Promise<void> {
    const exited = new Promise((ok) => this.child.once("exit", ok));
    this.child.kill("SIGTERM");
    await exited;
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  /** An admin call; rejects on an error status. */
  async admin<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${this.url}/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN_KEY}`, ...(body ? { "content-type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
    return (text ? JSON.parse(text) : null) as T;
  }

  async meeting(title: string): Promise<string> {
    return (await this.admin<{ id: string }>("POST", "/meetings", { title })).id;
  }

  async add(meeting: string, name: string, preset: string): Promise<Participant> {
    return this.admin("POST", `/meetings/${meeting}/participants`, { name, preset });
  }

  /** Titles of the breakout rooms. */
  async roomTitles(meeting: string): Promise<string[]> {
    const overview = await this.admin<{ rooms: { id: number; title: string }[] }>("GET", `/meetings/${meeting}/rooms`);
    return overview.rooms.filter((r) => r.id !== 0).map((r) => r.title);
  }

  /**
   * The shell's CSV commands, as breakout-client makes them: the CSV posted
   * with the participant's token; the outcome's preview, or the server's
   * `{code, message}` as the command's error.
   */
  csvCommand(meeting: string, token: string, preview: boolean): (args: Record<string, unknown>) => Promise<Answer> {
    const path = `/v1/meetings/${meeting}/assignments/csv${preview ? "/preview" : ""}`;
    return async (args) => {
      const response = await fetch(`${this.url}${path}`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "text/csv; charset=utf-8" },
        body: String(args.csv),
      });
      const body = await response.json();
      return response.ok ? { value: body.preview } : { error: { code: body.code, message: body.message } };
    };
  }
}
