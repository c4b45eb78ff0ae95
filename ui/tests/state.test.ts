import { describe, expect, test } from "vitest";
import type { ServerMessage } from "../src/generated";
import { addToast, dismissBanner, dismissToast, initialState, reduce, type MeetingState } from "../src/lib/state";
import { ada, bob, bobView, cara, chatLine, dan, hostView, T0, welcome } from "../e2e/fixtures";

function run(messages: ServerMessage[], start: MeetingState = initialState(), now = T0): MeetingState {
  return messages.reduce((s, m) => reduce(s, m, now), start);
}

const ev = (event: Extract<ServerMessage, { type: "event" }>["event"]): ServerMessage => ({ type: "event", event });

describe("welcome and state", () => {
  test("welcome sets the view, the meeting and the clock offset", () => {
    const s = run([welcome(bobView(), T0 + 1500)], initialState(), T0);
    expect(s.meeting).toBe("m-team");
    expect(s.view?.you.id).toBe(2);
    expect(s.offset).toBe(1500);
  });

  test("a state message replaces the view; a room change clears the chat", () => {
    let s = run([welcome(bobView()), ev({ type: "chat", message: chatLine(1, cara, "hi") })]);
    expect(s.chat).toHaveLength(1);
    s = reduce(s, { type: "state", view: bobView({ you: { help_requested: true } }) }, T0);
    expect(s.view?.you.help_requested).toBe(true);
    expect(s.chat).toHaveLength(1);
    s = reduce(s, { type: "state", view: bobView({ room: 0 }) }, T0);
    expect(s.chat).toEqual([]);
  });

  test("a pushed state without member lists keeps the lists already held", () => {
    const s0 = run([welcome(bobView())]);
    const held = s0.view?.rooms.map((r) => r.members);
    const pushed = bobView({ you: { help_requested: true } });
    pushed.rooms = pushed.rooms.map((r) => ({ ...r, members: null }));
    const s1 = reduce(s0, { type: "state", view: pushed }, T0);
    expect(s1.view?.you.help_requested).toBe(true);
    expect(s1.view?.rooms.map((r) => r.members)).toEqual(held);
  });

  test("replies change nothing; errors become toasts", () => {
    const s0 = run([welcome(bobView())]);
    expect(reduce(s0, { type: "reply", id: 1, result: { kind: "ok" } }, T0)).toBe(s0);
    const s1 = reduce(s0, { type: "error", id: 4, code: "join_not_allowed", message: "you may not join room 2" }, T0);
    expect(s1.toasts).toEqual([{ id: 1, code: "join_not_allowed", message: "you may not join room 2" }]);
    expect(dismissToast(s1, 1).toasts).toEqual([]);
  });

  test("at most four toasts are kept", () => {
    let s = initialState();
    for (let i = 0; i < 6; i++) s = addToast(s, "e", `m${i}`);
    expect(s.toasts.map((t) => t.message)).toEqual(["m2", "m3", "m4", "m5"]);
  });

  test("unknown message kinds are ignored", () => {
    const s0 = run([welcome(bobView())]);
    const future = { type: "slots", slots: [] } as unknown as ServerMessage;
    expect(reduce(s0, future, T0)).toBe(s0);
  });
});

describe("events", () => {
  const base = () => run([welcome(bobView())]);

  test("changing_meeting sets the pending move; meeting_changed completes it", () => {
    let s = reduce(base(), ev({ type: "changing_meeting", room: 2, at: T0 + 5000 }), T0);
    expect(s.view?.you.pending_move).toEqual({ room: 2, at: T0 + 5000 });
    s = reduce(s, ev({ type: "meeting_changed", participant: 3, from: 1, room: 2 }), T0);
    expect(s.view?.you.room).toBe(1);
    s = reduce(s, ev({ type: "meeting_changed", participant: 2, from: 1, room: 2 }), T0);
    expect(s.view?.you.room).toBe(2);
    expect(s.view?.you.pending_move).toBeNull();
  });

  test("closing, time changes and the end set the phase", () => {
    let s = reduce(base(), ev({ type: "time_changed", ends_at: T0 + 99 }), T0);
    expect(s.view?.phase).toMatchObject({ state: "running", ends_at: T0 + 99 });
    s = reduce(s, ev({ type: "closing", at: T0 + 60_000 }), T0);
    expect(s.view?.phase).toEqual({ state: "closing", returns_at: T0 + 60_000 });
    s = reduce(s, ev({ type: "breakouts_ended" }), T0);
    expect(s.view?.phase).toEqual({ state: "idle" });
  });

  test("a broadcast becomes a banner naming its sender", () => {
    const s = reduce(base(), ev({ type: "message", from: dan.id, text: "Wrap up", room: null, audience: "everyone" }), T0);
    expect(s.banners).toEqual([{ id: 1, kind: "broadcast", text: "Wrap up", from: "Dan Wu", room: null, audience: "everyone" }]);
    expect(dismissBanner(s, 1).banners).toEqual([]);
  });

  test("return_requested raises the flag and a banner", () => {
    const s = reduce(base(), ev({ type: "return_requested" }), T0);
    expect(s.view?.you.flags.return_requested).toBe(true);
    expect(s.banners[0].kind).toBe("return");
  });

  test("an invitation sets the prompt", () => {
    const s = reduce(base(), ev({ type: "invited", room: 2 }), T0);
    expect(s.view?.you.invited).toBe(2);
    expect(s.view?.you.flags.requested).toBe(true);
  });

  test("chat keeps lines of the current room, once", () => {
    let s = reduce(base(), ev({ type: "chat", message: chatLine(1, cara, "here") }), T0);
    s = reduce(s, ev({ type: "chat", message: chatLine(1, cara, "here") }), T0);
    s = reduce(s, ev({ type: "chat", message: chatLine(2, ada, "elsewhere", 0) }), T0);
    expect(s.chat.map((m) => m.text)).toEqual(["here"]);
  });

  test("media changes patch tiles and your own media", () => {
    let s = reduce(base(), ev({ type: "media_changed", participant: 3, mic: true, camera: true }), T0);
    const room1 = s.view?.rooms.find((r) => r.id === 1);
    expect(room1?.members?.find((m) => m.id === 3)).toMatchObject({ mic: true, camera: true });
    s = reduce(s, ev({ type: "media_changed", participant: 2, mic: false, camera: true }), T0);
    expect(s.view?.you.media).toEqual({ mic: false, camera: true });
  });

  test("members entering and leaving update the room", () => {
    let s = reduce(base(), ev({ type: "member_entered", room: 1, member: ada }), T0);
    let room1 = s.view?.rooms.find((r) => r.id === 1);
    expect(room1?.members?.map((m) => m.id)).toEqual([2, 3, 4, 1]);
    expect(room1?.member_count).toBe(4);
    s = reduce(s, ev({ type: "member_left", room: 1, participant: 3 }), T0);
    room1 = s.view?.rooms.find((r) => r.id === 1);
    expect(room1?.members?.map((m) => m.id)).toEqual([2, 4, 1]);
    s = reduce(s, ev({ type: "members_update", room: 1, members: [bob] }), T0);
    expect(s.view?.rooms.find((r) => r.id === 1)?.member_count).toBe(1);
  });

  test("polls: created, updated without losing your vote, closed", () => {
    const poll = { id: 1, room: 1, question: "Q", options: ["a", "b"], counts: [0, 0], closed: false, your_vote: null };
    let s = reduce(base(), ev({ type: "poll_created", poll }), T0);
    expect(s.view?.polls).toHaveLength(1);
    s = { ...s, view: { ...s.view!, polls: [{ ...poll, your_vote: 1 }] } };
    s = reduce(s, ev({ type: "poll_updated", poll: { ...poll, counts: [0, 1] } }), T0);
    expect(s.view?.polls[0]).toMatchObject({ counts: [0, 1], your_vote: 1 });
    s = reduce(s, ev({ type: "poll_closed", poll: { ...poll, counts: [0, 1], closed: true } }), T0);
    expect(s.view?.polls[0]).toMatchObject({ closed: true, your_vote: 1 });
    // Polls of other rooms are not ours to show.
    s = reduce(s, ev({ type: "poll_created", poll: { ...poll, id: 2, room: 0 } }), T0);
    expect(s.view?.polls).toHaveLength(1);
  });

  test("help requests and dismissals (host view)", () => {
    let s = run([welcome(hostView({ placement: { 0: [ada], 1: [bob, cara], 2: [dan] } }))]);
    s = reduce(s, ev({ type: "help_requested", participant: 3, room: 1 }), T0);
    expect(s.view?.help_requests.map((h) => [h.participant, h.name, h.room])).toEqual([[3, "Cara Jensen", 1]]);
    expect(s.view?.rooms[1].members?.find((m) => m.id === 3)?.help_requested).toBe(true);
    s = reduce(s, ev({ type: "help_dismissed", participant: 3 }), T0);
    expect(s.view?.help_requests).toEqual([]);
    expect(s.view?.rooms[1].members?.find((m) => m.id === 3)?.help_requested).toBe(false);
  });

  test("your own help request sets your flag (participant view)", () => {
    let s = reduce(base(), ev({ type: "help_requested", participant: 2, room: 1 }), T0);
    expect(s.view?.you.help_requested).toBe(true);
    expect(s.view?.help_requests).toEqual([]);
    s = reduce(s, ev({ type: "help_dismissed", participant: 2 }), T0);
    expect(s.view?.you.help_requested).toBe(false);
  });

  test("events before any view change nothing", () => {
    const s0 = initialState();
    expect(reduce(s0, ev({ type: "closing", at: 1 }), T0).view).toBeNull();
  });
});
