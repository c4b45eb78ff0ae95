// Recording as the meeting window and the dashboard show it: the server's
// per-room switch from the view. No rules here: a refused start comes back
// as an error.

import type { Command, MeetingView, RoomId } from "../generated";

/** Whether the room you are in is being recorded. */
export function recordedHere(view: MeetingView): boolean {
  return view.rooms.find((r) => r.id === view.you.room)?.recording ?? false;
}

/** Whether `room` is being recorded, as far as the view tells. */
export function isRecorded(view: MeetingView, room: RoomId): boolean {
  return view.rooms.find((r) => r.id === room)?.recording ?? false;
}

/** Start recording `room`, or stop when it is recorded. */
export function recordCommand(view: MeetingView, room: RoomId): Command {
  return { type: "record", room, active: !isRecorded(view, room) };
}
