// The dashboard's board: which people to draw in which column, and what a
// drop (or the keyboard equivalent) asks of the server. No breakout rules
// here: a refused move comes back as an error and is shown as such.

import type { Command, MeetingView, MemberView, ParticipantId, RoomId } from "../generated";
import { MAIN_ROOM } from "./names";

export type Placement = "here" | "assigned" | "planned";

export interface BoardEntry {
  member: MemberView;
  /**
   * here: in this room now; assigned: assigned here but elsewhere for now
   * (while running); planned: assigned here, before breakouts start.
   */
  placement: Placement;
}

export interface BoardColumn {
  room: RoomId;
  title: string;
  open: boolean;
  entries: BoardEntry[];
}

/** MIME type carried by a dragged person. */
export const DRAG_TYPE = "application/x-breakout-participant";

/** The command a drop of `participant` on `room` sends. Main means unassign. */
export function assignCommand(participant: ParticipantId, room: RoomId): Command {
  return { type: "assign", participant, room: room === MAIN_ROOM ? null : room };
}

/** One command per selected person, in a stable order. */
export function assignMany(participants: Iterable<ParticipantId>, room: RoomId): Command[] {
  return [...participants].sort((a, b) => a - b).map((p) => assignCommand(p, room));
}

export function parseDragData(data: string | undefined | null): ParticipantId | null {
  if (!data) return null;
  const id = Number(data);
  return Number.isSafeInteger(id) && id >= 0 ? id : null;
}

/** Everyone the manager's view knows, sorted by name. */
export function everyone(view: MeetingView): MemberView[] {
  const seen = new Map<number, MemberView>();
  for (const room of view.rooms) for (const m of room.members ?? []) seen.set(m.id, m);
  return [...seen.values()].sort((a, b) => a.name.localeCompare(b.name) || a.id - b.id);
}

/**
 * Before breakouts run, the board shows the plan (who is assigned where,
 * the rest under main). While they run, it shows where people are, plus
 * those assigned to a room who are not in it yet.
 */
export function boardColumns(view: MeetingView): BoardColumn[] {
  const people = everyone(view);
  const byId = new Map(people.map((m) => [m.id, m]));
  const assignedTo = new Map<number, RoomId>();
  for (const room of view.rooms) for (const id of room.assigned ?? []) assignedTo.set(id, room.id);
  const idle = view.phase.state === "idle";
  return view.rooms.map((room) => {
    let entries: BoardEntry[];
    if (idle) {
      entries = people
        .filter((m) => (assignedTo.get(m.id) ?? MAIN_ROOM) === room.id)
        .map((member) => ({ member, placement: room.id === MAIN_ROOM ? "here" : "planned" }));
    } else {
      const here = (room.members ?? []).map((member): BoardEntry => ({ member, placement: "here" }));
      const hereIds = new Set(here.map((e) => e.member.id));
      const waiting = (room.assigned ?? [])
        .filter((id) => !hereIds.has(id) && byId.has(id))
        .map((id): BoardEntry => ({ member: byId.get(id)!, placement: "assigned" }));
      entries = [...here, ...waiting];
    }
    const title = room.id === MAIN_ROOM ? "Main room" : room.title;
    return { room: room.id, title, open: room.open, entries };
  });
}

/** Rooms in which somebody is speaking now (level above `threshold`). */
export function speakingRooms(
  view: MeetingView,
  levels: ReadonlyMap<number, number>,
  threshold = SPEAKING_THRESHOLD,
): Set<RoomId> {
  const rooms = new Set<RoomId>();
  for (const room of view.rooms)
    if ((room.members ?? []).some((m) => (levels.get(m.id) ?? 0) >= threshold)) rooms.add(room.id);
  return rooms;
}

/** Audio level from which a person counts as speaking. */
export const SPEAKING_THRESHOLD = 0.15;
