// Exposes the shell's pushed view to components as reactive state, with
// what the window keeps for itself. One store per window; no reducer here:
// the shell's session is the only one.

import type { UnlistenFn } from "@tauri-apps/api/event";
import type { Command, MeetingView } from "../generated";
import { remainingMs, secondsLeft, serverNow } from "./clock";
import * as ipc from "./ipc";
import {
  NO_LOCAL_TOASTS,
  NO_MEETING,
  addLocalToast,
  dismissLocalToast,
  isLocalToast,
  shownToasts,
  type ClientView,
  type LocalToasts,
  type Toast,
} from "./state";

const JOINED_KEY = "breakout.joined";
const TICK_MS = 250;
const TOAST_MS = 8_000;

export class MeetingStore {
  /** The shell's view, as last pushed. */
  state = $state.raw<ClientView>(NO_MEETING);
  /** Refusals of this window's own calls. */
  local = $state.raw<LocalToasts>(NO_LOCAL_TOASTS);
  /** Latest audio level per participant. */
  levels = $state.raw<Map<number, number>>(new Map());
  /** The app's media engine: its phase, notes and video slots. */
  media = $state.raw<ipc.MediaStatus>(ipc.NO_MEDIA);
  joined = $state.raw<ipc.Joined | null>(null);
  /** You asked to stop your share, so its end is no news to you. */
  stoppedSharing = false;
  /** Local clock, advanced on a timer so countdowns re-render. */
  now = $state(Date.now());

  private unlisten: UnlistenFn[] = [];
  private timer: ReturnType<typeof setInterval> | undefined;
  /** Toasts already given a timer to go away. */
  private timed = new Set<number>();

  get view(): MeetingView | null {
    return this.state.view;
  }

  get toasts(): Toast[] {
    return shownToasts(this.state, this.local);
  }

  /** Subscribes to the shell's events. Call before joining so no change is missed. */
  async listen(): Promise<void> {
    if (this.unlisten.length > 0) return;
    this.unlisten = await Promise.all([
      ipc.onClientView((v) => this.receive(v)),
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

  /** Takes the shell's view; its new toasts go away on their own after a while. */
  receive(view: ClientView): void {
    this.now = Date.now();
    this.state = view;
    for (const toast of view.toasts) this.expire(toast.id);
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

  /** A toast of this window's own. */
  toast(code: string, message: string): void {
    this.local = addLocalToast(this.local, code, message);
    this.expire(this.local.next + 1);
  }

  private expire(id: number): void {
    if (this.timed.has(id)) return;
    this.timed.add(id);
    setTimeout(() => this.dismissToast(id), TOAST_MS);
  }

  /**
   * Asks the shell whether it is in a meeting and takes its view. Rejects
   * when not in a meeting.
   */
  async refresh(): Promise<MeetingView> {
    const view = await ipc.getState();
    const client = await ipc.getClientView();
    if (client?.view) this.receive(client);
    return client?.view ?? view;
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

  /** Shares a screen or window with your room; a refusal (the meeting's sentence) becomes a toast. */
  async shareScreen(source: ipc.ScreenSource): Promise<boolean> {
    this.stoppedSharing = false;
    try {
      await ipc.shareScreen(source);
      return true;
    } catch (err) {
      this.fail(err);
      return false;
    }
  }

  async stopSharing(): Promise<boolean> {
    this.stoppedSharing = true;
    try {
      await ipc.stopSharing();
      return true;
    } catch (err) {
      this.fail(err);
      return false;
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
    this.state = NO_MEETING;
    this.local = NO_LOCAL_TOASTS;
    this.levels = new Map();
    this.media = ipc.NO_MEDIA;
    this.setJoined(null);
  }

  dismissToast(id: number): void {
    if (isLocalToast(id)) this.local = dismissLocalToast(this.local, id);
    else void this.attempt(() => ipc.dismissToast(id));
  }

  dismissBanner(id: number): void {
    void this.attempt(() => ipc.dismissBanner(id));
  }

  deferInvitation(): void {
    void this.attempt(() => ipc.deferInvitation());
  }

  /** Whole seconds until `at` (server time). */
  secondsUntil(at: number): number {
    return secondsLeft(at, this.now, this.state.clock_offset_ms);
  }

  msUntil(at: number): number {
    return remainingMs(at, this.now, this.state.clock_offset_ms);
  }

  /** The server's clock now, as far as this window knows. */
  serverNow(): number {
    return serverNow(this.now, this.state.clock_offset_ms);
  }
}
