// What a window keeps for itself. The meeting (view, chat, banners, the
// server's refusals, connection, clock offset, a deferred invitation) is
// the shell's: its one reducer pushes a whole `ClientView` after each
// change. A window adds only the refusals of its own calls, shown to it
// alone, with negative ids so they never meet the shell's.

import type { ClientView, Toast } from "./shell.generated";

export type { Banner, ClientView, ConnectionState, Toast } from "./shell.generated";

/** Toasts a window keeps of its own, as the shell keeps at most four. */
export const MAX_LOCAL_TOASTS = 4;

/** Before the shell has said anything: no meeting. */
export const NO_MEETING: ClientView = {
  meeting: null,
  view: null,
  clock_offset_ms: 0,
  chat: [],
  banners: [],
  toasts: [],
  connection: "connected",
  connection_reason: null,
  invitation_deferred: null,
  speaking: [],
};

export interface LocalToasts {
  toasts: Toast[];
  /** The next id, counting down from -1. */
  next: number;
}

export const NO_LOCAL_TOASTS: LocalToasts = { toasts: [], next: -1 };

/** A window's own refusal; the oldest goes past the limit. */
export function addLocalToast(local: LocalToasts, code: string, message: string): LocalToasts {
  const toast = { id: local.next, code, message };
  return { toasts: [...local.toasts, toast].slice(-MAX_LOCAL_TOASTS), next: local.next - 1 };
}

export function dismissLocalToast(local: LocalToasts, id: number): LocalToasts {
  return { ...local, toasts: local.toasts.filter((t) => t.id !== id) };
}

/** Whether `id` names a toast of this window rather than the shell's. */
export function isLocalToast(id: number): boolean {
  return id < 0;
}

/** The shell's toasts, then this window's. */
export function shownToasts(client: ClientView, local: LocalToasts): Toast[] {
  return [...client.toasts, ...local.toasts];
}

/** An invitation to answer now: one the person has not put off. */
export function pendingInvitation(client: ClientView): number | null {
  const you = client.view?.you;
  if (!you?.flags.requested || you.invited === null) return null;
  return client.invitation_deferred === you.invited ? null : you.invited;
}
