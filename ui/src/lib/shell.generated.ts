// Generated from src-tauri/src/contract.rs by the export_shell_bindings test
// (`cargo test --workspace --features breakout-protocol/ts,breakout-app/ts
// --test export_shell_bindings`). Do not edit.

import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import type { ChatMessage, Command, CsvPreview, MeetingView, RoomId, ServerMessage, Slot } from "../generated";

export type IpcError = { code: string, message: string, };

/**
 * The answer to `host_meeting` and `join_meeting`.
 */
export type Joined = { meeting: string, participant: number, 
/**
 * The address others join at (for a hosted meeting, this computer's
 * LAN address).
 */
server_url: string, 
/**
 * Empty when the joiner was given no invite to pass on.
 */
invite_code: string, invite_link: string, };

export type Device = { id: string, label: string, default: boolean, };

export type Devices = { microphones: Array<Device>, cameras: Array<Device>, speakers: Array<Device>, 
/**
 * Why a list is empty or a backend unavailable, as sentences to show
 * ("no camera found: you can join with audio only").
 */
notes: Array<string>, };

export type DeviceKind = "microphone" | "camera" | "speaker";

export type ConnectionState = "connected" | "reconnecting" | "closed";

/**
 * Payload of the `connection` event.
 */
export type ConnectionEvent = { state: ConnectionState, reason?: string, };

/**
 * Payload of the `speaking` event: an audio level from 0 to 1, sent when
 * it changes noticeably, including back to 0.
 */
export type SpeakingEvent = { participant: number, level: number, };

/**
 * Where this app's media stands.
 */
export type MediaPhase = "off" | "starting" | "on" | "failed";

/**
 * Payload of the `media` event and answer to `get_media`: the media
 * engine's state, what it could not use and why, and which participant
 * each video slot shows (what the tiles pull from the `breakout-media`
 * scheme).
 */
export type MediaStatus = { phase: MediaPhase, 
/**
 * Sentences to show as they are ("no camera found: …; continuing
 * with audio only").
 */
notes: Array<string>, 
/**
 * Whether a microphone (or synthetic tone) is being captured.
 */
has_mic: boolean, 
/**
 * Whether a camera (or synthetic pattern) is being captured.
 */
has_camera: boolean, 
/**
 * Synthetic sources, asked for with `BREAKOUT_SYNTHETIC_MEDIA=1`.
 */
synthetic: boolean, 
/**
 * Video slots by `mid`, as the latest slot map has them.
 */
video: Array<Slot>, };

/**
 * A meeting joined from the start screen.
 */
export type RecentJoin = { 
/**
 * The server's address as the join resolved it.
 */
server: string, 
/**
 * The invite link it was joined with; empty when an address and a
 * code were typed (the code is not kept: it may be single-use).
 */
link: string, };

export type StartMemory = { 
/**
 * The name last joined or hosted with; empty when none yet.
 */
name: string, 
/**
 * Most recent first.
 */
recent: Array<RecentJoin>, };

/** The shell's commands; each rejects with an `IpcError`. */
export const commands = {
  /**
   * Starts the embedded server on this computer and joins as host.
   */
  host_meeting: (args: { title: string; name: string }): Promise<Joined> => invoke<Joined>("host_meeting", args),
  /**
   * Joins a meeting; `invite_code` may also be a `breakout://join?...` link.
   */
  join_meeting: (args: { server_url: string; invite_code: string; name: string }): Promise<Joined> => invoke<Joined>("join_meeting", args),
  send_command: (args: { command: Command }): Promise<void> => invoke<void>("send_command", args),
  /**
   * Mic and/or camera on or off (`null`: unchanged), through the media engine.
   */
  set_media: (args: { mic: boolean | null; camera: boolean | null }): Promise<void> => invoke<void>("set_media", args),
  /**
   * The media engine's state now (also pushed as the `media` event).
   */
  get_media: (): Promise<MediaStatus> => invoke<MediaStatus>("get_media"),
  /**
   * The meeting the shell is in (with its invite), or null outside one.
   */
  get_joined: (): Promise<Joined | null> => invoke<Joined | null>("get_joined"),
  get_state: (): Promise<MeetingView> => invoke<MeetingView>("get_state"),
  /**
   * Chat history of `room` (`null`: the room you are in).
   */
  get_chat: (args: { room: RoomId | null }): Promise<Array<ChatMessage>> => invoke<Array<ChatMessage>>("get_chat", args),
  /**
   * The assignments as CSV (managers only).
   */
  export_assignments: (): Promise<string> => invoke<string>("export_assignments"),
  /**
   * What importing `csv` would do, changing nothing (sent over REST).
   */
  preview_assignments_csv: (args: { csv: string }): Promise<CsvPreview> => invoke<CsvPreview>("preview_assignments_csv", args),
  /**
   * Imports `csv` (all or nothing) against the meeting as it is now.
   */
  import_assignments_csv: (args: { csv: string }): Promise<CsvPreview> => invoke<CsvPreview>("import_assignments_csv", args),
  /**
   * Opens or focuses the host dashboard window.
   */
  open_dashboard: (): Promise<void> => invoke<void>("open_dashboard"),
  leave_meeting: (): Promise<void> => invoke<void>("leave_meeting"),
  list_devices: (): Promise<Devices> => invoke<Devices>("list_devices"),
  select_device: (args: { kind: DeviceKind; id: string }): Promise<void> => invoke<void>("select_device", args),
  /**
   * The start screen's remembered name and recent joins (empty at first).
   */
  get_start_memory: (): Promise<StartMemory> => invoke<StartMemory>("get_start_memory"),
  /**
   * Keeps the start screen's name and recent joins for the next runs.
   */
  save_start_memory: (args: { memory: StartMemory }): Promise<void> => invoke<void>("save_start_memory", args),
};

/** The shell's events, to every window. */
export const events = {
  /**
   * Every server message, as the server sent it.
   */
  onServerMessage: (handler: (payload: ServerMessage) => void): Promise<UnlistenFn> =>
    listen<ServerMessage>("server-message", (e) => handler(e.payload)),
  /**
   * The socket's state.
   */
  onConnection: (handler: (payload: ConnectionEvent) => void): Promise<UnlistenFn> =>
    listen<ConnectionEvent>("connection", (e) => handler(e.payload)),
  /**
   * An audio level from 0 to 1, sent when it changes noticeably (also back to 0).
   */
  onSpeaking: (handler: (payload: SpeakingEvent) => void): Promise<UnlistenFn> =>
    listen<SpeakingEvent>("speaking", (e) => handler(e.payload)),
  /**
   * The media engine's state whenever it changes.
   */
  onMedia: (handler: (payload: MediaStatus) => void): Promise<UnlistenFn> =>
    listen<MediaStatus>("media", (e) => handler(e.payload)),
};
