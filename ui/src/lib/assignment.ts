// What the dashboard says about assignments: an import's preview in the
// host's terms (who moves from where to where), and the constraints by name.
// The server decides; these only phrase what it answered.

import type { CsvPreview, MeetingView, ParticipantId } from "../generated";
import { everyone } from "./board";
import { MAIN_ROOM } from "./names";

export interface CsvMove {
  participant: ParticipantId;
  name: string;
  /** Where they are assigned now ("Main room" when nowhere). */
  from: string;
  to: string;
}

export interface CsvUnassign {
  participant: ParticipantId;
  name: string;
  from: string;
}

export interface CsvSummary {
  roomsCreated: string[];
  moves: CsvMove[];
  unassigned: CsvUnassign[];
  unchanged: number;
}

/** Title of the room `participant` is assigned to now, per the view. */
function assignedTitle(view: MeetingView, participant: ParticipantId): string {
  const room = view.rooms.find((r) => r.id !== MAIN_ROOM && (r.assigned ?? []).includes(participant));
  return room ? room.title : "Main room";
}

/** Splits a preview's changes into moves and unassignments, with where each person is now. */
export function summarisePreview(view: MeetingView, preview: CsvPreview): CsvSummary {
  const moves: CsvMove[] = [];
  const unassigned: CsvUnassign[] = [];
  for (const change of preview.changes) {
    const from = assignedTitle(view, change.participant);
    if (change.room === null) unassigned.push({ participant: change.participant, name: change.name, from });
    else moves.push({ participant: change.participant, name: change.name, from, to: change.room });
  }
  return { roomsCreated: preview.rooms_created, moves, unassigned, unchanged: preview.unchanged };
}

/** "1 person", "3 people". */
export function people(n: number): string {
  return n === 1 ? "1 person" : `${n} people`;
}

/** "1 repeat pairing", "0 repeat pairings". */
export function repeatPairings(n: number): string {
  return n === 1 ? "1 repeat pairing" : `${n} repeat pairings`;
}

/** A constraint group by name ("Bob Okafor, Cara Jensen"); unknown ids as "#7". */
export function groupNames(view: MeetingView, group: ParticipantId[]): string {
  const names = new Map(everyone(view).map((m) => [m.id, m.name]));
  return group.map((id) => names.get(id) ?? `#${id}`).join(", ");
}
