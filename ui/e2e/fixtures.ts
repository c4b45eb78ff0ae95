// Meeting views and messages for the browser tests, typed against the
// generated wire types so they cannot drift from what the server sends.

import type {
  AssignmentView,
  BreakoutConfig,
  ChatMessage,
  HelpView,
  MeetingView,
  MemberView,
  Permissions,
  Phase,
  PollView,
  RoomView,
  SelfView,
  ServerMessage,
} from "../src/generated";
import type { Devices, Joined, MediaStatus, ScreenTarget } from "../src/lib/shell.generated";

/** Server time the tests revolve around (2026-03-02T10:00:00Z). */
export const T0 = Date.UTC(2026, 2, 2, 10, 0, 0);
/** The server's clock runs this far ahead of the page's. */
export const SERVER_AHEAD_MS = 2_000;

export const defaultConfig: BreakoutConfig = {
  assignment: "manual",
  auto_move: true,
  allow_return_to_main: true,
  allow_join_later: true,
  move_countdown_secs: 5,
  closing_countdown_secs: 60,
  auto_end_mins: 30,
  announce_listeners: true,
  participants_may_share: false,
  second_sharer: "replaces",
};

const full: Permissions = {
  manage_breakouts: true,
  visit_any_room: true,
  switch_rooms: true,
  return_to_main: true,
  publish_audio: true,
  publish_video: true,
  chat: true,
  create_polls: true,
  share_screen: true,
};

const attendee: Permissions = {
  ...full,
  manage_breakouts: false,
  visit_any_room: false,
  switch_rooms: false,
  create_polls: false,
  share_screen: false,
};

export function member(id: number, name: string, extra: Partial<MemberView> = {}): MemberView {
  return {
    id,
    name,
    role: id === 1 ? "host" : "participant",
    mic: true,
    camera: false,
    connected: true,
    help_requested: false,
    ...extra,
  };
}

export const ada = member(1, "Ada Lovelace");
export const bob = member(2, "Bob Okafor");
export const cara = member(3, "Cara Jensen", { mic: false });
export const dan = member(4, "Dan Wu", { camera: true });

function room(id: number, title: string, members: MemberView[] | null, extra: Partial<RoomView> = {}): RoomView {
  return {
    id,
    title,
    open: true,
    member_count: members?.length ?? 0,
    members,
    assigned: null,
    can_join: false,
    listeners: [],
    recording: false,
    sharing: null,
    ...extra,
  };
}

function self(m: MemberView, permissions: Permissions, extra: Partial<SelfView> = {}): SelfView {
  return {
    id: m.id,
    name: m.name,
    role: m.role,
    permissions,
    room: 0,
    assigned: null,
    invited: null,
    media: { mic: m.mic, camera: m.camera },
    flags: { assigned: false, forced: false, allowed: false, requested: false, return_requested: false },
    pending_move: null,
    help_requested: false,
    help_available_at: null,
    may_return_to_main: false,
    ...extra,
  };
}

export interface HostViewOptions {
  phase?: Phase;
  /** Members per room id; defaults to everyone in main. */
  placement?: Record<number, MemberView[]>;
  assigned?: Record<number, number[]>;
  help?: HelpView[];
  config?: BreakoutConfig;
  rooms?: { id: number; title: string; open?: boolean }[];
  revision?: number;
  youRoom?: number;
  assignment?: AssignmentView | null;
  speakingToAll?: MemberView | null;
}

/** No constraints, no history, no rotation: what a new meeting's host sees. */
export function noConstraints(extra: Partial<AssignmentView> = {}): AssignmentView {
  return { keep_together: [], keep_apart: [], violations: [], repeats: 0, rotation: null, ...extra };
}

const twoRooms = [
  { id: 1, title: "Room 1" },
  { id: 2, title: "Room 2" },
];

/** What the host (Ada) sees. */
export function hostView(o: HostViewOptions = {}): MeetingView {
  const rooms = o.rooms ?? twoRooms;
  const placement = o.placement ?? { 0: [ada, bob, cara, dan] };
  const assigned = o.assigned ?? {};
  const all: { id: number; title: string; open?: boolean }[] = [{ id: 0, title: "Main room" }, ...rooms];
  return {
    revision: o.revision ?? 1,
    you: self(ada, full, { room: o.youRoom ?? 0 }),
    phase: o.phase ?? { state: "idle" },
    config: o.config ?? defaultConfig,
    rooms: all.map((r) =>
      room(r.id, r.title, placement[r.id] ?? [], {
        open: r.open ?? true,
        assigned: assigned[r.id] ?? [],
        can_join: r.id !== (o.youRoom ?? 0),
      }),
    ),
    help_requests: o.help ?? [],
    polls: [],
    assignment: o.assignment === undefined ? noConstraints() : o.assignment,
    speaking_to_all: o.speakingToAll ?? null,
  };
}

export interface ParticipantViewOptions {
  room?: number;
  you?: Partial<SelfView>;
  phase?: Phase;
  polls?: PollView[];
  members?: MemberView[];
  rooms?: RoomView[];
  speakingToAll?: MemberView | null;
}

/** What Bob, a participant, sees. */
export function bobView(o: ParticipantViewOptions = {}): MeetingView {
  const here = o.room ?? 1;
  const members = o.members ?? (here === 0 ? [ada, bob, cara, dan] : [bob, cara, dan]);
  const rooms =
    o.rooms ??
    [
      room(0, "Main room", here === 0 ? members : null, { member_count: here === 0 ? members.length : 1 }),
      room(1, "Room 1", here === 1 ? members : null, { member_count: here === 1 ? members.length : 0 }),
    ];
  return {
    revision: 1,
    you: self(bob, attendee, { room: here, assigned: 1, flags: { assigned: true, forced: true, allowed: false, requested: false, return_requested: false }, may_return_to_main: here !== 0, ...o.you }),
    phase: o.phase ?? { state: "running", started_at: T0 - 60_000, ends_at: T0 + 25 * 60_000 },
    config: defaultConfig,
    rooms,
    help_requests: [],
    polls: o.polls ?? [],
    assignment: null,
    speaking_to_all: o.speakingToAll ?? null,
  };
}

export function welcome(view: MeetingView, serverTime = T0 + SERVER_AHEAD_MS): ServerMessage {
  return { type: "welcome", protocol: 1, meeting: "m-team", participant: view.you.id, server_time: serverTime, view, ice_servers: [] };
}

export function state(view: MeetingView): ServerMessage {
  return { type: "state", view };
}

export function chatLine(id: number, from: MemberView, text: string, room = 1): ChatMessage {
  return { id, room, from: from.id, name: from.name, text, at: T0 - 30_000 + id * 1000 };
}

export const joined: Joined = {
  meeting: "m-team",
  participant: 1,
  server_url: "http://192.168.1.20:7800",
  invite_code: "TEAM-4821",
  invite_link: "breakout://join?server=192.168.1.20:7800&code=TEAM-4821",
};

export const devices: Devices = {
  microphones: [
    { id: "mic-1", label: "Built-in microphone", default: true },
    { id: "mic-2", label: "USB headset", default: false },
  ],
  cameras: [{ id: "cam-1", label: "Integrated camera", default: true }],
  speakers: [
    { id: "spk-1", label: "Speakers", default: true },
    { id: "spk-2", label: "USB headset", default: false },
  ],
  notes: [],
};

/** A 32×18 JPEG (grey, a white and a black block): what the shell's breakout-media scheme serves. */
export const TILE_JPEG_BASE64 =
  "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAYEBQYFBAYGBQYHBwYIChAKCgkJChQODwwQFxQYGBcUFhYaHSUfGhsjHBYWICwgIyYnKSopGR8tMC0oMCUoKSj/wAALCAASACABAREA/8QAFgABAQEAAAAAAAAAAAAAAAAAAAgF/8QAGhAAAgIDAAAAAAAAAAAAAAAAAAUCFlWU0f/aAAgBAQAAPwCqQSmDWsjzNMtqfRZHmaZbU+krWN3mWW1PosbvMstqfSkwSuD/2Q==";

/** The `media` event: media running, no camera here, Dan's video in slot 6. */
export const mediaOn: MediaStatus = {
  phase: "on",
  notes: ["no camera found: none is connected; continuing with audio only"],
  has_mic: true,
  has_camera: false,
  synthetic: false,
  video: [
    { mid: "6", participant: dan.id },
    { mid: "7", participant: null },
  ],
  screen: { mid: "15", participant: null },
  sharing: false,
};

/** What `list_screens` answers: screens first, then windows. */
export const screens: ScreenTarget[] = [
  { source: { kind: "monitor", name: "eDP-1" }, title: "Built-in display", width: 2560, height: 1600 },
  { source: { kind: "monitor", name: "HDMI-1" }, title: "DELL U2720Q", width: 3840, height: 2160 },
  { source: { kind: "window", id: 41 }, title: "Quarterly plan - Slides", width: 1600, height: 900 },
  { source: { kind: "window", id: 57 }, title: "notes.md - Editor", width: 1200, height: 800 },
];
