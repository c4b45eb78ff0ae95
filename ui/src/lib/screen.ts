// Screen sharing as the meeting window and the dashboard show it: who may
// share, whose screen your room sees and where its pictures come from, what
// the picker lists, and when to tell you that someone else's share ended
// yours. No rules here: a refused share comes back as an error with the
// meeting's sentence.

import type { MeetingView, ParticipantId, RoomId } from "../generated";
import type { Feed } from "./media";
import type { MediaStatus, ScreenTarget } from "./shell.generated";

export type { ScreenSource, ScreenTarget } from "./shell.generated";

/** The shell's key for the pictures of your own shared screen. */
export const SELF_SCREEN_MID = "self-screen";

/**
 * Whether the share button is offered: your preset lets you share, or you
 * are a participant and the meeting lets participants share.
 */
export function mayShare(view: MeetingView): boolean {
  const you = view.you;
  return you.permissions.share_screen || (you.role === "participant" && view.config.participants_may_share);
}

/** Whose screen `room` sees, as far as the view tells. */
export function sharerIn(view: MeetingView, room: RoomId): ParticipantId | null {
  return view.rooms.find((r) => r.id === room)?.sharing ?? null;
}

/** Whose screen the room you are in sees. */
export function sharerHere(view: MeetingView): ParticipantId | null {
  return sharerIn(view, view.you.room);
}

/** The name of `id` as the view knows it; "Someone" when it does not. */
export function personName(view: MeetingView, id: ParticipantId): string {
  if (id === view.you.id) return view.you.name;
  for (const room of view.rooms) {
    const member = room.members?.find((m) => m.id === id);
    if (member) return member.name;
  }
  return "Someone";
}

/** The shared screen the meeting window shows large. */
export interface SharedScreen {
  sharer: ParticipantId;
  /** You are the one sharing. */
  you: boolean;
  /** Where its pictures come from; null while there is no screen slot yet. */
  feed: Feed | null;
  /** "Ada Lovelace is sharing their screen", "You are sharing your screen". */
  label: string;
}

/**
 * The screen your room sees, or null when nobody shares: someone else's from
 * the screen slot, your own from the shell's `self-screen` pictures (also in
 * the moment after your share started and before the view says so).
 */
export function sharedScreen(view: MeetingView, media: MediaStatus): SharedScreen | null {
  const sharer = sharerHere(view) ?? (media.sharing ? view.you.id : null);
  if (sharer === null) return null;
  if (sharer === view.you.id) {
    return { sharer, you: true, feed: { mid: SELF_SCREEN_MID, participant: sharer }, label: "You are sharing your screen" };
  }
  const mid = media.screen?.mid ?? null;
  return {
    sharer,
    you: false,
    feed: mid === null ? null : { mid, participant: sharer },
    label: `${personName(view, sharer)} is sharing their screen`,
  };
}

/** Your share as followed from one update of the media status or view to the next. */
export interface ShareWatch {
  /** The media engine said you share. */
  sharing: boolean;
  /** Your share ended without you stopping it; the view has not yet said who shares now. */
  ended: boolean;
}

export const NOT_SHARING: ShareWatch = { sharing: false, ended: false };

/**
 * Follows your share. When it ended without you stopping it and someone else
 * shares in your room now (the meeting let their share replace yours), the
 * sentence to tell you, once. The media status and the view change apart, in
 * either order: an ended share waits while the view still names you.
 */
export function followShare(
  before: ShareWatch,
  sharing: boolean,
  stoppedByYou: boolean,
  view: MeetingView | null,
): { watch: ShareWatch; notice: string | null } {
  if (sharing) return { watch: { sharing: true, ended: false }, notice: null };
  const ended = before.ended || (before.sharing && !stoppedByYou);
  if (!ended || !view) return { watch: NOT_SHARING, notice: null };
  const sharer = sharerHere(view);
  if (sharer === view.you.id) return { watch: { sharing: false, ended: true }, notice: null };
  if (sharer === null) return { watch: NOT_SHARING, notice: null };
  return { watch: NOT_SHARING, notice: `${personName(view, sharer)} is sharing now; your share ended.` };
}

/** The picker's lists: whole screens (and a test pattern) first, then windows, each in the shell's order. */
export function pickerGroups(targets: ScreenTarget[]): { heading: string; targets: ScreenTarget[] }[] {
  const screens = targets.filter((t) => t.source.kind !== "window");
  const windows = targets.filter((t) => t.source.kind === "window");
  return [
    { heading: "Screens", targets: screens },
    { heading: "Windows", targets: windows },
  ].filter((g) => g.targets.length > 0);
}

/** "1920 × 1080". */
export function sizeText(target: ScreenTarget): string {
  return `${target.width} × ${target.height}`;
}

/** A key telling targets apart in a list. */
export function targetKey(target: ScreenTarget): string {
  return JSON.stringify(target.source);
}
