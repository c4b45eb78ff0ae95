// The host's ears and voice across rooms, as the dashboard and the meeting
// window show them: who speaks in each room (from the server's summary),
// which room the host listens in on, and who speaks to all rooms. No rules
// here: a refused listen or hold-to-talk comes back as an error.

import type { Command, MeetingView, ParticipantId, RoomId, RoomSpeaking } from "../generated";

/** A room silent this long stands out on the dashboard. */
export const QUIET_AFTER_MS = 2 * 60_000;

export interface RoomActivity {
  /** Who speaks there now; empty while the room is silent. */
  speakers: ParticipantId[];
  /** How long the room has been active (someone speaking) or silent. */
  forMs: number;
  /** Silent for at least [`QUIET_AFTER_MS`]. */
  quiet: boolean;
}

/** What the server last said of `room`, at server time `serverNow`; null when it said nothing. */
export function roomActivity(speaking: RoomSpeaking[], room: RoomId, serverNow: number): RoomActivity | null {
  const summary = speaking.find((s) => s.room === room);
  if (!summary) return null;
  const forMs = Math.max(0, serverNow - summary.since);
  return { speakers: summary.speakers, forMs, quiet: summary.speakers.length === 0 && forMs >= QUIET_AFTER_MS };
}

/** The names of `ids` as the view knows them, in order; unknown ids are left out. */
export function namesOf(view: MeetingView, ids: ParticipantId[]): string[] {
  const names = new Map<ParticipantId, string>();
  for (const room of view.rooms) for (const m of room.members ?? []) names.set(m.id, m.name);
  return ids.flatMap((id) => (names.has(id) ? [names.get(id)!] : []));
}

/** The room you listen in on, if any. */
export function listeningTo(view: MeetingView): RoomId | null {
  return view.rooms.find((r) => r.listeners.includes(view.you.id))?.id ?? null;
}

/** Listen to `room`, or stop when already listening to it. */
export function listenCommand(view: MeetingView, room: RoomId): Command {
  return { type: "listen_in", room: listeningTo(view) === room ? null : room };
}

/** Whether someone other than you listens in on the room you are in. */
export function listenedTo(view: MeetingView): boolean {
  const own = view.rooms.find((r) => r.id === view.you.room);
  return (own?.listeners ?? []).some((id) => id !== view.you.id);
}

/** The sentence for whoever speaks to all rooms, unless it is you. */
export function speakingToAllText(view: MeetingView): string | null {
  const speaker = view.speaking_to_all;
  if (!speaker || speaker.id === view.you.id) return null;
  return `${speaker.name} is speaking to all rooms`;
}
