// What the start screen remembers: the recent joins (one per server, most
// recent first, at most five) and how a typed entry is read. Pure functions;
// the shell keeps the list on disk (get_start_memory / save_start_memory).

import type { RecentJoin, StartMemory } from "./shell.generated";

export type { RecentJoin, StartMemory };

export const RECENT_MAX = 5;

export const EMPTY_MEMORY: StartMemory = { name: "", recent: [] };

/** A server address as one key: scheme and host in lower case, no trailing slash. */
export function serverKey(server: string): string {
  return server.trim().replace(/\/+$/, "").toLowerCase();
}

/** `entry` first, any older entry for the same server dropped, at most `max` kept. */
export function rememberJoin(list: readonly RecentJoin[], entry: RecentJoin, max = RECENT_MAX): RecentJoin[] {
  const server = entry.server.trim().replace(/\/+$/, "");
  if (!server) return list.slice(0, max);
  const key = serverKey(server);
  const rest = list.filter((r) => serverKey(r.server) !== key);
  return [{ server, link: entry.link.trim() }, ...rest].slice(0, max);
}

/** The list without `server`'s entry. */
export function forgetJoin(list: readonly RecentJoin[], server: string): RecentJoin[] {
  const key = serverKey(server);
  return list.filter((r) => serverKey(r.server) !== key);
}

/**
 * Whether `text` is a join link rather than a bare code: `breakout:` (any
 * case) or a web join address `http(s)://host/join?…`, as the shell reads them.
 */
export function isJoinLink(text: string): boolean {
  const t = text.trim();
  if (/^breakout:/i.test(t)) return true;
  return /^https?:\/\/[^/?#]+\/join\/?\?/i.test(t);
}

/**
 * A typed https address with a code: no certificate fingerprint comes with
 * it, so the person must choose to join without the link's check.
 */
export function needsPinChoice(serverField: string, inviteField: string): boolean {
  return !isJoinLink(inviteField) && /^https:\/\//i.test(serverField.trim());
}

/** How an entry reads in the list: the server's host and port. */
export function recentLabel(entry: RecentJoin): string {
  return entry.server.replace(/^[a-z]+:\/\//i, "");
}
