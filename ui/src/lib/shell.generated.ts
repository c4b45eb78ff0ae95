// Generated from src-tauri/src/contract.rs by the export_shell_bindings test
// (`cargo test --workspace --features breakout-protocol/ts,breakout-app/ts
// --test export_shell_bindings`). Do not edit.

import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import type { Audience, ChatMessage, Command, CsvPreview, MeetingView, RoomId, RoomSpeaking, Slot } from "../generated";

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

/**
 * Whether the meeting's socket is open.
 */
export type ConnectionState = "connected" | "reconnecting" | "closed";

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
 * Video slots by `mid`, as the latest slot map has them (the screen
 * slot not among them).
 */
video: Array<Slot>, 
/**
 * The screen slot: the screen shared in your room and who shares it.
 */
screen: Slot | null, 
/**
 * Whether you share your screen now (its pictures are under
 * `self-screen`).
 */
sharing: boolean, };

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

export type BannerKind = "broadcast" | "return";

/**
 * A notice across the top of the meeting until dismissed.
 */
export type Banner = { id: number, kind: BannerKind, text: string, 
/**
 * The sender's display name, when the view names them.
 */
from: string | null, room: RoomId | null, audience: Audience, };

/**
 * A refusal from the server, shown briefly.
 */
export type Toast = { id: number, code: string, message: string, };

/**
 * Everything a window shows of the meeting, pushed whole after each change.
 */
export type ClientView = { 
/**
 * The meeting's id, from the welcome.
 */
meeting: string | null, view: MeetingView | null, 
/**
 * Server clock minus local clock, in ms, measured at the welcome.
 */
clock_offset_ms: number, 
/**
 * The chat of the room you are in, oldest first.
 */
chat: Array<ChatMessage>, banners: Array<Banner>, toasts: Array<Toast>, connection: ConnectionState, 
/**
 * Why the connection is not `connected`, as a sentence.
 */
connection_reason: string | null, 
/**
 * The invitation you chose to answer later; cleared when the view
 * invites you elsewhere or no longer.
 */
invitation_deferred: RoomId | null, 
/**
 * Who speaks in each occupied room (hosts and cohosts only), as the
 * server last summarised it.
 */
speaking: Array<RoomSpeaking>, };

/**
 * What to share.
 */
export type ScreenSource = { "kind": "monitor", name: string | null, } | { "kind": "window", id: number, } | { "kind": "pattern", width: number, height: number, };

/**
 * A screen or window that can be shared, as a picker lists it.
 */
export type ScreenTarget = { source: ScreenSource, 
/**
 * The screen's name or the window's title.
 */
title: string, width: number, height: number, };

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
   * Hold-to-talk to every room: while `active`, your mic is heard in
   * every room (muted or not); release with `false`.
   */
  speak_to_all: (args: { active: boolean }): Promise<void> => invoke<void>("speak_to_all", args),
  /**
   * The screens and windows that can be shared.
   */
  list_screens: (): Promise<Array<ScreenTarget>> => invoke<Array<ScreenTarget>>("list_screens"),
  /**
   * Shares a screen or window with your room (no reconnect).
   */
  share_screen: (args: { source: ScreenSource }): Promise<void> => invoke<void>("share_screen", args),
  stop_sharing: (): Promise<void> => invoke<void>("stop_sharing"),
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
   * Everything the windows show (also pushed as the `client-view`
   * event), or null outside a meeting.
   */
  get_client_view: (): Promise<ClientView | null> => invoke<ClientView | null>("get_client_view"),
  /**
   * Removes a toast from the view, in every window.
   */
  dismiss_toast: (args: { id: number }): Promise<void> => invoke<void>("dismiss_toast", args),
  /**
   * Removes a banner from the view, in every window.
   */
  dismiss_banner: (args: { id: number }): Promise<void> => invoke<void>("dismiss_banner", args),
  /**
   * Puts off answering the current invitation until another comes.
   */
  defer_invitation: (): Promise<void> => invoke<void>("defer_invitation"),
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
   * Everything the windows show, whole, after each change.
   */
  onClientView: (handler: (payload: ClientView) => void): Promise<UnlistenFn> =>
    listen<ClientView>("client-view", (e) => handler(e.payload)),
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
