// The UI's picture of the meeting, rebuilt from what the server says. The
// server's view (welcome/state) is authoritative and replaces ours whole;
// events patch it in between so that a countdown or a mute shows at once,
// and carry what a view does not (broadcasts, chat lines, errors).

import type {
  Audience,
  ChatMessage,
  EventBody,
  MeetingView,
  MemberView,
  PollView,
  RoomId,
  RoomView,
  ServerMessage,
} from "../generated";
import { clockOffset } from "./clock";

export type ConnectionState = "connected" | "reconnecting" | "closed";

export interface Banner {
  id: number;
  kind: "broadcast" | "return";
  text: string;
  /** Display name of the sender, when known. */
  from: string | null;
  room: RoomId | null;
  audience: Audience;
}

export interface Toast {
  id: number;
  code: string;
  message: string;
}

export interface MeetingState {
  meeting: string | null;
  view: MeetingView | null;
  /** Server clock minus local clock, in ms. */
  offset: number;
  chat: ChatMessage[];
  banners: Banner[];
  toasts: Toast[];
  connection: ConnectionState;
  connectionReason: string | null;
  /** The invitation the person chose to answer later. */
  invitationDeferred: RoomId | null;
  nextId: number;
}

export function initialState(offset = 0): MeetingState {
  return {
    meeting: null,
    view: null,
    offset,
    chat: [],
    banners: [],
    toasts: [],
    connection: "connected",
    connectionReason: null,
    invitationDeferred: null,
    nextId: 1,
  };
}

/** Applies one server message. Pure: returns a new state. */
export function reduce(state: MeetingState, msg: ServerMessage, localNow: number): MeetingState {
  switch (msg.type) {
    case "welcome":
      return {
        ...state,
        meeting: msg.meeting,
        view: msg.view,
        offset: clockOffset(msg.server_time, localNow),
        chat: state.view && state.view.you.room !== msg.view.you.room ? [] : state.chat,
      };
    case "state":
      return withView(state, msg.view);
    case "error":
      return addToast(state, msg.code, msg.message);
    case "event":
      return applyEvent(state, msg.event);
    case "reply":
      return state;
  }
  // Message kinds newer than this UI (e.g. media signalling) change nothing here.
  return state;
}

/** Replaces the view; chat belongs to a room, so a room change empties it. */
export function withView(state: MeetingState, next: MeetingView): MeetingState {
  const moved = state.view !== null && state.view.you.room !== next.you.room;
  const view = keepMemberLists(state.view, next);
  return {
    ...state,
    view,
    chat: moved ? [] : state.chat,
    invitationDeferred: view.you.invited === state.invitationDeferred ? state.invitationDeferred : null,
  };
}

/// Pushed views leave out member lists that member events keep current
/// (rooms not your own, a crowded own room): keep the lists already held.
function keepMemberLists(old: MeetingView | null, next: MeetingView): MeetingView {
  if (old === null || next.rooms.every((r) => r.members !== null)) return next;
  const held = new Map(old.rooms.map((r) => [r.id, r.members]));
  return {
    ...next,
    rooms: next.rooms.map((r) => (r.members === null ? { ...r, members: held.get(r.id) ?? null } : r)),
  };
}

export function addToast(state: MeetingState, code: string, message: string): MeetingState {
  const toast = { id: state.nextId, code, message };
  return { ...state, toasts: [...state.toasts, toast].slice(-4), nextId: state.nextId + 1 };
}

export function dismissToast(state: MeetingState, id: number): MeetingState {
  return { ...state, toasts: state.toasts.filter((t) => t.id !== id) };
}

export function dismissBanner(state: MeetingState, id: number): MeetingState {
  return { ...state, banners: state.banners.filter((b) => b.id !== id) };
}

function addBanner(state: MeetingState, banner: Omit<Banner, "id">): MeetingState {
  const next = { ...banner, id: state.nextId };
  return { ...state, banners: [...state.banners, next].slice(-3), nextId: state.nextId + 1 };
}

/** Everyone the view lets us see, by id. */
export function memberIndex(view: MeetingView): Map<number, MemberView> {
  const index = new Map<number, MemberView>();
  for (const room of view.rooms) for (const m of room.members ?? []) index.set(m.id, m);
  return index;
}

function patchView(state: MeetingState, patch: (view: MeetingView) => MeetingView): MeetingState {
  return state.view ? { ...state, view: patch(state.view) } : state;
}

function mapRooms(view: MeetingView, f: (room: RoomView) => RoomView): MeetingView {
  return { ...view, rooms: view.rooms.map(f) };
}

function mapMembers(view: MeetingView, id: number, f: (m: MemberView) => MemberView): MeetingView {
  return mapRooms(view, (room) =>
    room.members?.some((m) => m.id === id)
      ? { ...room, members: room.members.map((m) => (m.id === id ? f(m) : m)) }
      : room,
  );
}

function setMembers(room: RoomView, members: MemberView[]): RoomView {
  return { ...room, members, member_count: members.length };
}

function upsertPoll(view: MeetingView, poll: PollView): MeetingView {
  if (poll.room !== view.you.room) return view;
  const existing = view.polls.find((p) => p.id === poll.id);
  // Events never carry your own vote; keep the one the view told us.
  const merged = { ...poll, your_vote: poll.your_vote ?? existing?.your_vote ?? null };
  const polls = existing
    ? view.polls.map((p) => (p.id === poll.id ? merged : p))
    : [...view.polls, merged];
  return { ...view, polls };
}

function applyEvent(state: MeetingState, event: EventBody): MeetingState {
  const me = state.view?.you.id;
  switch (event.type) {
    case "changing_meeting":
      return patchView(state, (v) => ({
        ...v,
        you: { ...v.you, pending_move: { room: event.room, at: event.at } },
      }));
    case "meeting_changed": {
      if (event.participant !== me) return state;
      const next = patchView(state, (v) => ({
        ...v,
        you: { ...v.you, room: event.room, pending_move: null, invited: null, flags: { ...v.you.flags, requested: false } },
      }));
      return { ...next, chat: [] };
    }
    case "closing":
      return patchView(state, (v) => ({ ...v, phase: { state: "closing", returns_at: event.at } }));
    case "breakouts_ended":
      return patchView(state, (v) => ({ ...v, phase: { state: "idle" } }));
    case "time_changed":
      return patchView(state, (v) =>
        v.phase.state === "running" ? { ...v, phase: { ...v.phase, ends_at: event.ends_at } } : v,
      );
    case "config_changed":
      return patchView(state, (v) => ({ ...v, config: event.config }));
    case "invited":
      return patchView(state, (v) => ({
        ...v,
        you: { ...v.you, invited: event.room, flags: { ...v.you.flags, requested: true } },
      }));
    case "return_requested": {
      const next = patchView(state, (v) => ({
        ...v,
        you: { ...v.you, flags: { ...v.you.flags, return_requested: true } },
      }));
      return addBanner(next, {
        kind: "return",
        text: "The host asks everyone to come back to the main room.",
        from: null,
        room: null,
        audience: "everyone",
      });
    }
    case "message": {
      const from = state.view ? (memberIndex(state.view).get(event.from)?.name ?? null) : null;
      return addBanner(state, {
        kind: "broadcast",
        text: event.text,
        from,
        room: event.room,
        audience: event.audience,
      });
    }
    case "chat":
      if (state.view && event.message.room !== state.view.you.room) return state;
      if (state.chat.some((m) => m.id === event.message.id)) return state;
      return { ...state, chat: [...state.chat, event.message] };
    case "poll_created":
    case "poll_updated":
    case "poll_closed":
      return patchView(state, (v) => upsertPoll(v, event.poll));
    case "media_changed":
      return patchView(state, (v) => {
        const patched = mapMembers(v, event.participant, (m) => ({ ...m, mic: event.mic, camera: event.camera }));
        return event.participant === v.you.id
          ? { ...patched, you: { ...patched.you, media: { mic: event.mic, camera: event.camera } } }
          : patched;
      });
    case "connection_changed":
      return patchView(state, (v) => mapMembers(v, event.participant, (m) => ({ ...m, connected: event.connected })));
    case "members_update":
      return patchView(state, (v) =>
        mapRooms(v, (r) => (r.id === event.room ? setMembers(r, event.members) : r)),
      );
    case "member_entered":
      return patchView(state, (v) =>
        mapRooms(v, (r) => {
          const without = (r.members ?? []).filter((m) => m.id !== event.member.id);
          if (r.id === event.room) return setMembers(r, [...without, event.member]);
          return r.members?.some((m) => m.id === event.member.id) ? setMembers(r, without) : r;
        }),
      );
    case "member_left":
      return patchView(state, (v) =>
        mapRooms(v, (r) =>
          r.id === event.room && r.members
            ? setMembers(r, r.members.filter((m) => m.id !== event.participant))
            : r,
        ),
      );
    case "help_requested":
      return patchView(state, (v) => {
        const patched = mapMembers(v, event.participant, (m) => ({ ...m, help_requested: true }));
        const you = event.participant === v.you.id ? { ...patched.you, help_requested: true } : patched.you;
        const known = v.help_requests.some((h) => h.participant === event.participant);
        const name = memberIndex(v).get(event.participant)?.name ?? `Participant ${event.participant}`;
        const help_requests =
          known || !v.you.permissions.manage_breakouts
            ? v.help_requests
            : [...v.help_requests, { participant: event.participant, name, room: event.room, at: 0 }];
        return { ...patched, you, help_requests };
      });
    case "help_dismissed":
      return patchView(state, (v) => {
        const patched = mapMembers(v, event.participant, (m) => ({ ...m, help_requested: false }));
        const you = event.participant === v.you.id ? { ...patched.you, help_requested: false } : patched.you;
        return { ...patched, you, help_requests: v.help_requests.filter((h) => h.participant !== event.participant) };
      });
    case "participant_joined":
    case "participant_left":
    case "rooms_changed":
    case "rooms_created":
    case "assignment_changed":
    case "breakouts_started":
      // The state message that follows carries the whole new layout.
      return state;
  }
  return state;
}
