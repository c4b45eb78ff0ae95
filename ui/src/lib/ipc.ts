// The IPC contract with the Tauri shell (src-tauri). Every call the UI makes
// to the native side goes through this file, and only through the typed
// functions of shell.generated.ts, which src-tauri/src/contract.rs generates
// from the same table that registers the commands: a wrong argument name or
// type is a type error here.

import type { UnlistenFn } from "@tauri-apps/api/event";
import type { ChatMessage, Command, CsvPreview, MeetingView, RoomId } from "../generated";
import {
  commands,
  events,
  type ClientView,
  type DeviceKind,
  type Devices,
  type IpcError,
  type Joined,
  type MediaStatus,
  type ScreenSource,
  type ScreenTarget,
  type SpeakingEvent,
  type StartMemory,
} from "./shell.generated";

export type {
  ClientView,
  ConnectionState,
  Device,
  DeviceKind,
  Devices,
  IpcError,
  Joined,
  MediaPhase,
  MediaStatus,
  ScreenSource,
  ScreenTarget,
  SpeakingEvent,
  RecentJoin,
  StartMemory,
} from "./shell.generated";

export const NO_MEDIA: MediaStatus = {
  phase: "off",
  notes: [],
  has_mic: false,
  has_camera: false,
  synthetic: false,
  video: [],
  screen: null,
  sharing: false,
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

async function call<T>(command: () => Promise<T>): Promise<T> {
  try {
    return await command();
  } catch (err) {
    throw toIpcError(err);
  }
}

/** Starts the embedded server on this computer and joins as host. */
export function hostMeeting(title: string, name: string): Promise<Joined> {
  return call(() => commands.host_meeting({ title, name }));
}

/** Joins a meeting; `invite_code` may also be a `breakout://join?...` link. */
export function joinMeeting(server_url: string, invite_code: string, name: string): Promise<Joined> {
  return call(() => commands.join_meeting({ server_url, invite_code, name }));
}

export function sendCommand(command: Command): Promise<void> {
  return call(() => commands.send_command({ command }));
}

/** Mic and/or camera on or off (`null`: unchanged), through the media engine. */
export function setMedia(mic: boolean | null, camera: boolean | null): Promise<void> {
  return call(() => commands.set_media({ mic, camera }));
}

/** Hold-to-talk: while `active`, your mic is heard in every room (muted or not). */
export function speakToAll(active: boolean): Promise<void> {
  return call(() => commands.speak_to_all({ active }));
}

/** The screens and windows that can be shared: screens first, then windows. */
export function listScreens(): Promise<ScreenTarget[]> {
  return call(() => commands.list_screens());
}

/** Shares a screen or window with your room; rejects with the meeting's sentence when refused. */
export function shareScreen(source: ScreenSource): Promise<void> {
  return call(() => commands.share_screen({ source }));
}

export function stopSharing(): Promise<void> {
  return call(() => commands.stop_sharing());
}

/** The meeting the shell is in (with its invite), or null outside one. */
export function getJoined(): Promise<Joined | null> {
  return call(() => commands.get_joined());
}

export function getMedia(): Promise<MediaStatus> {
  return call(() => commands.get_media());
}

export function getState(): Promise<MeetingView> {
  return call(() => commands.get_state());
}

/** Everything the windows show, as the shell's session has it; null outside a meeting. */
export function getClientView(): Promise<ClientView | null> {
  return call(() => commands.get_client_view());
}

/** Removes one of the shell's toasts, in every window. */
export function dismissToast(id: number): Promise<void> {
  return call(() => commands.dismiss_toast({ id }));
}

/** Removes a banner, in every window. */
export function dismissBanner(id: number): Promise<void> {
  return call(() => commands.dismiss_banner({ id }));
}

/** Puts off answering the current invitation until another comes. */
export function deferInvitation(): Promise<void> {
  return call(() => commands.defer_invitation());
}

/** Chat history of `room` (`null`: the room you are in). */
export function getChat(room: RoomId | null): Promise<ChatMessage[]> {
  return call(() => commands.get_chat({ room }));
}

/** The assignments as CSV (managers only). */
export function exportAssignments(): Promise<string> {
  return call(() => commands.export_assignments());
}

/**
 * What importing `csv` would do (rooms created, people moved or unassigned),
 * changing nothing; rejects with the server's reason (`invalid_csv` names the
 * line). Sent over REST: a file may be far larger than a WebSocket frame.
 */
export function previewAssignmentsCsv(csv: string): Promise<CsvPreview> {
  return call(() => commands.preview_assignments_csv({ csv }));
}

/** Imports `csv` (all or nothing); the server judges it against the meeting as it is now. */
export function importAssignmentsCsv(csv: string): Promise<CsvPreview> {
  return call(() => commands.import_assignments_csv({ csv }));
}

/** Opens or focuses the host dashboard window. */
export function openDashboard(): Promise<void> {
  return call(() => commands.open_dashboard());
}

export function leaveMeeting(): Promise<void> {
  return call(() => commands.leave_meeting());
}

export function listDevices(): Promise<Devices> {
  return call(() => commands.list_devices());
}

export function selectDevice(kind: DeviceKind, id: string): Promise<void> {
  return call(() => commands.select_device({ kind, id }));
}

/** The start screen's remembered name and recent joins (empty at first). */
export function getStartMemory(): Promise<StartMemory> {
  return call(() => commands.get_start_memory());
}

/** Keeps the start screen's name and recent joins for the next runs. */
export function saveStartMemory(memory: StartMemory): Promise<void> {
  return call(() => commands.save_start_memory({ memory }));
}

/** The shell's whole view of the meeting, after each change. */
export function onClientView(handler: (view: ClientView) => void): Promise<UnlistenFn> {
  return events.onClientView(handler);
}

export function onSpeaking(handler: (event: SpeakingEvent) => void): Promise<UnlistenFn> {
  return events.onSpeaking(handler);
}

export function onMedia(handler: (status: MediaStatus) => void): Promise<UnlistenFn> {
  return events.onMedia(handler);
}
