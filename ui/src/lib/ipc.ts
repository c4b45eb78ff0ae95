// The IPC contract with the Tauri shell (src-tauri). Every call the UI makes
// to the native side goes through this file; the shell implements exactly
// these commands and events. Argument keys are snake_case on purpose: the
// shell's commands use `rename_all = "snake_case"`.

import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import type { ChatMessage, Command, CsvPreview, MeetingView, RoomId, ServerMessage, Slot } from "../generated";

/** How every failed command rejects. */
export interface IpcError {
  code: string;
  message: string;
}

/** The answer to `host_meeting` and `join_meeting`. */
export interface Joined {
  meeting: string;
  participant: number;
  server_url: string;
  invite_code: string;
  invite_link: string;
}

export interface Device {
  id: string;
  label: string;
  default: boolean;
}

export interface Devices {
  microphones: Device[];
  cameras: Device[];
  speakers: Device[];
}

export type DeviceKind = "microphone" | "camera" | "speaker";

/** Payload of the `connection` event. */
export interface ConnectionEvent {
  state: "connected" | "reconnecting" | "closed";
  reason?: string;
}

/**
 * Payload of the `speaking` event: an audio level from 0 to 1. The shell
 * sends one whenever a level changes noticeably, including back to 0.
 */
export interface SpeakingEvent {
  participant: number;
  level: number;
}

/** Where the app's media engine stands. */
export type MediaPhase = "off" | "starting" | "on" | "failed";

/**
 * Payload of the `media` event and answer to `get_media`. `video` says which
 * participant each video slot shows; a tile pulls its slot's frames from the
 * `breakout-media` scheme (see frames.ts), never through invoke.
 */
export interface MediaStatus {
  phase: MediaPhase;
  /** Sentences to show as they are (missing devices and what happens instead). */
  notes: string[];
  has_mic: boolean;
  has_camera: boolean;
  synthetic: boolean;
  video: Slot[];
}

export const NO_MEDIA: MediaStatus = {
  phase: "off",
  notes: [],
  has_mic: false,
  has_camera: false,
  synthetic: false,
  video: [],
};

/** Turns whatever a rejected invoke gave us into `{code, message}`. */
export function toIpcError(err: unknown): IpcError {
  if (err && typeof err === "object" && "message" in err) {
    const e = err as { code?: unknown; message: unknown };
    return {
      code: typeof e.code === "string" ? e.code : "error",
      message: String(e.message),
    };
  }
  return { code: "error", message: typeof err === "string" ? err : "Something went wrong." };
}

async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(cmd, args);
  } catch (err) {
    throw toIpcError(err);
  }
}

/** Starts the embedded server on this computer and joins as host. */
export function hostMeeting(title: string, name: string): Promise<Joined> {
  return call("host_meeting", { title, name });
}

/** Joins a meeting; `invite_code` may also be a `breakout://join?...` link. */
export function joinMeeting(server_url: string, invite_code: string, name: string): Promise<Joined> {
  return call("join_meeting", { server_url, invite_code, name });
}

export function sendCommand(command: Command): Promise<void> {
  return call("send_command", { command });
}

/** Mic and/or camera on or off (`null`: unchanged), through the media engine. */
export function setMedia(mic: boolean | null, camera: boolean | null): Promise<void> {
  return call("set_media", { mic, camera });
}

/** The meeting the shell is in (with its invite), or null outside one. */
export function getJoined(): Promise<Joined | null> {
  return call("get_joined");
}

export function getMedia(): Promise<MediaStatus> {
  return call("get_media");
}

export function getState(): Promise<MeetingView> {
  return call("get_state");
}

/** Chat history of `room` (`null`: the room you are in). */
export function getChat(room: RoomId | null): Promise<ChatMessage[]> {
  return call("get_chat", { room });
}

/** The assignments as CSV (managers only). */
export function exportAssignments(): Promise<string> {
  return call("export_assignments");
}

/**
 * What importing `csv` would do (rooms created, people moved or unassigned),
 * changing nothing; rejects with the server's reason (`invalid_csv` names the
 * line). Sent over REST: a file may be far larger than a WebSocket frame.
 */
export function previewAssignmentsCsv(csv: string): Promise<CsvPreview> {
  return call("preview_assignments_csv", { csv });
}

/** Imports `csv` (all or nothing); the server judges it against the meeting as it is now. */
export function importAssignmentsCsv(csv: string): Promise<CsvPreview> {
  return call("import_assignments_csv", { csv });
}

/** Opens or focuses the host dashboard window. */
export function openDashboard(): Promise<void> {
  return call("open_dashboard");
}

export function leaveMeeting(): Promise<void> {
  return call("leave_meeting");
}

export function listDevices(): Promise<Devices> {
  return call("list_devices");
}

export function selectDevice(kind: DeviceKind, id: string): Promise<void> {
  return call("select_device", { kind, id });
}

export function onServerMessage(handler: (message: ServerMessage) => void): Promise<UnlistenFn> {
  return listen<ServerMessage>("server-message", (e) => handler(e.payload));
}

export function onConnection(handler: (event: ConnectionEvent) => void): Promise<UnlistenFn> {
  return listen<ConnectionEvent>("connection", (e) => handler(e.payload));
}

export function onSpeaking(handler: (event: SpeakingEvent) => void): Promise<UnlistenFn> {
  return listen<SpeakingEvent>("speaking", (e) => handler(e.payload));
}

export function onMedia(handler: (status: MediaStatus) => void): Promise<UnlistenFn> {
  return listen<MediaStatus>("media", (e) => handler(e.payload));
}
