import type { MeetingView, RoomId, RoomView } from "../generated";

export const MAIN_ROOM: RoomId = 0;

/** Up to two letters for an avatar: "Ada Lovelace" → "AL". */
export function initials(name: string): string {
  const words = name.trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) return "?";
  const letters = words.length === 1 ? [...words[0]].slice(0, 2) : [[...words[0]][0], [...words[words.length - 1]][0]];
  return letters.join("").toUpperCase();
}

export function roomById(view: MeetingView, id: RoomId): RoomView | undefined {
  return view.rooms.find((r) => r.id === id);
}

/** A room's title, with the main room called what people call it. */
export function roomTitle(view: MeetingView, id: RoomId): string {
  if (id === MAIN_ROOM) return "Main room";
  return roomById(view, id)?.title ?? `Room ${id}`;
}

export function breakoutRooms(view: MeetingView): RoomView[] {
  return view.rooms.filter((r) => r.id !== MAIN_ROOM);
}
