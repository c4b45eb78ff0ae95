// Wires the IPC events into the reducer and exposes the result to components
// as reactive state. One store per window.

import type { UnlistenFn } from "@tauri-apps/api/event";
import type { Command, MeetingView, ServerMessage } from "../generated";
import { loadOffset, remainingMs, saveOffset, secondsLeft } from "./clock";
import * as ipc from "./ipc";
import {
  addToast,
  dismissBanner,
  dismissToast,
  initialState,
  reduce,
  withView,
  type MeetingState,
} from "./state";

const JOINED_KEY = "breakout.joined";
const TICK_MS = 250;
const TOAST_MS = 8_000;

export class MeetingStore {
  state = $state.raw<MeetingState>(initialState(loadOffset()));
  /** Latest audio level per participant. */
  levels = $state.raw<Map<number, number>>(new Map());
  /** The app's media engine: its phase, notes and video slots. */
  media = $state.raw<ipc.MediaStatus>(ipc.NO_MEDIA);
  joined = $state.raw<ipc.Joined | null>(null);
  /** Local clock, advanced on a timer so countdowns re-render. */
  now = $state(Date.now());

  private unlisten: UnlistenFn[] = [];
  private timer: ReturnType<typeof setInterval> | undefined;

  get view(): MeetingView | null {
    return this.state.view;
  }

  /** Subscribes to the shell's events. Call before joining so no message is missed. */
  async listen(): Promise<void> {
    if (this.unlisten.length > 0) return;
    this.unlisten = await Promise.all([
      ipc.onServerMessage((m) => this.receive(m)),
      ipc.onConnection((c) => {
        this.state = { ...this.state, connection: c.state, connectionReason: c.reason ?? null };
      }),
      ipc.onMedia((m) => {
        this.media = m;
      }),
      ipc.onSpeaking((s) => {
        const levels = new Map(this.levels);
        levels.set(s.participant, s.level);
        this.levels = levels;
      }),
    ]);
    this.timer = setInterval(() => (this.now = Date.now()), TICK_MS);
  }

  stop(): void {
    for (const un of this.unlisten) un();
    this.unlisten = [];
    clearInterval(this.timer);
  }

  receive(message: ServerMessage): void {
    const before = this.state.view?.you.room;
    this.now = Date.now();
    if (message.type === "error") {
      this.toast(message.code, message.message);
      return;
    }
    this.state = reduce(this.state, message, this.now);
    if (message.type === "welcome") saveOffset(this.state.offset);
    const after = this.state.view?.you.room;
    if (after !== undefined && after !== before) void this.loadChat();
  }

  /** Sends a command; a refusal becomes a toast. Resolves to whether it went through. */
  async send(command: Command): Promise<boolean> {
    try {
      await ipc.sendCommand(command);
      return true;
    } catch (err) {
      this.fail(err);
      return false;
    }
  }

  /** Runs any IPC call, turning a rejection into a toast. */
  async attempt<T>(call: () => Promise<T>): Promise<T | undefined> {
    try {
      return await call();
    } catch (err) {
      this.fail(err);
      return undefined;
    }
  }

  fail(err: unknown): void {
    const e = ipc.toIpcError(err);
    this.toast(e.code, e.message);
  }

  toast(code: string, message: string): void {
    this.state = addToast(this.state, code, message);
    const id = this.state.nextId - 1;
    setTimeout(() => this.dismissToast(id), TOAST_MS);
  }

  /** Fetches the authoritative view. Rejects when not in a meeting. */
  async refresh(): Promise<MeetingView> {
    const view = await ipc.getState();
    this.state = withView(this.state, view);
    return view;
  }

  /** Fetches the media status (the meeting window only; events keep it current). */
  async loadMedia(): Promise<void> {
    const status = await this.attempt(() => ipc.getMedia());
    if (status) this.media = status;
  }

  /** The video slot showing `participant`, if any. */
  videoSlot(participant: number): string | null {
    return this.media.video.find((s) => s.participant === participant)?.mid ?? null;
  }

  /** Switches the mic and/or camera through the media engine; a refusal becomes a toast. */
  async setMedia(mic: boolean | null, camera: boolean | null): Promise<boolean> {
    try {
      await ipc.setMedia(mic, camera);
      return true;
    } catch (err) {
      this.fail(err);
      return false;
    }
  }

  async loadChat(): Promise<void> {
    const room = this.state.view?.you.room;
    if (room === undefined) return;
    const messages = await this.attempt(() => ipc.getChat(room));
    if (messages && this.state.view?.you.room === room) {
      // Lines that arrived as events while we waited are kept.
      const known = new Set(messages.map((m) => m.id));
      const extra = this.state.chat.filter((m) => m.room === room && !known.has(m.id));
      this.state = { ...this.state, chat: [...messages, ...extra] };
    }
  }

  setJoined(joined: ipc.Joined | null): void {
    this.joined = joined;
    try {
      if (joined) localStorage.setItem(JOINED_KEY, JSON.stringify(joined));
      else localStorage.removeItem(JOINED_KEY);
    } catch {
      // Only the dashboard's invite box reads this back.
    }
  }

  restoreJoined(): void {
    try {
      const raw = localStorage.getItem(JOINED_KEY);
      this.joined = raw ? (JSON.parse(raw) as ipc.Joined) : null;
    } catch {
      this.joined = null;
    }
  }

  /** Forgets the meeting (after leaving or when the connection closed). */
  reset(): void {
    this.state = initialState(this.state.offset);
    this.levels = new Map();
    this.media = ipc.NO_MEDIA;
    this.setJoined(null);
  }

  dismissToast(id: number): void {
    this.state = dismissToast(this.state, id);
  }

  dismissBanner(id: number): void {
    this.state = dismissBanner(this.state, id);
  }

  deferInvitation(): void {
    this.state = { ...this.state, invitationDeferred: this.state.view?.you.invited ?? null };
  }

  /** Whole seconds until `at` (server time). */
  secondsUntil(at: number): number {
    return secondsLeft(at, this.now, this.state.offset);
  }

  msUntil(at: number): number {
    return remainingMs(at, this.now, this.state.offset);
  }
}
