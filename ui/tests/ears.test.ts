import { describe, expect, test } from "vitest";
import { ada, bob, bobView, cara, dan, hostView, T0 } from "../e2e/fixtures";
import {
  QUIET_AFTER_MS,
  listenCommand,
  listenedTo,
  listeningTo,
  namesOf,
  roomActivity,
  speakingToAllText,
} from "../src/lib/ears";

const inRooms = { 0: [ada], 1: [bob, cara], 2: [dan] };

describe("room activity from the server's summary", () => {
  const speaking = [
    { room: 1, speakers: [2, 3], since: T0 - 30_000 },
    { room: 2, speakers: [], since: T0 - QUIET_AFTER_MS - 5_000 },
    { room: 0, speakers: [], since: T0 - 10_000 },
  ];

  test("a lively room names its speakers and how long it has been active", () => {
    const view = hostView({ placement: inRooms });
    const act = roomActivity(speaking, 1, T0);
    expect(act).toEqual({ speakers: [2, 3], forMs: 30_000, quiet: false });
    expect(namesOf(view, act!.speakers)).toEqual(["Bob Okafor", "Cara Jensen"]);
  });

  test("a room silent for two minutes stands out; a shorter silence does not", () => {
    expect(roomActivity(speaking, 2, T0)?.quiet).toBe(true);
    expect(roomActivity(speaking, 0, T0)).toEqual({ speakers: [], forMs: 10_000, quiet: false });
    expect(roomActivity(speaking, 0, T0 + QUIET_AFTER_MS)?.quiet).toBe(true);
  });

  test("a room the server said nothing of shows nothing", () => {
    expect(roomActivity(speaking, 9, T0)).toBeNull();
    expect(roomActivity([], 1, T0)).toBeNull();
  });
});

describe("listening in", () => {
  test("listen to a room, listen to another, and stop by pressing it again", () => {
    const view = hostView({ placement: inRooms });
    expect(listeningTo(view)).toBeNull();
    expect(listenCommand(view, 1)).toEqual({ type: "listen_in", room: 1 });
    view.rooms[1].listeners = [ada.id];
    expect(listeningTo(view)).toBe(1);
    expect(listenCommand(view, 2)).toEqual({ type: "listen_in", room: 2 });
    expect(listenCommand(view, 1)).toEqual({ type: "listen_in", room: null });
  });

  test("members are told when someone listens to their room", () => {
    const view = bobView({ room: 1 });
    expect(listenedTo(view)).toBe(false);
    view.rooms[1].listeners = [ada.id];
    expect(listenedTo(view)).toBe(true);
  });
});

describe("speaking to all rooms", () => {
  test("everyone but the speaker sees who speaks to all rooms", () => {
    expect(speakingToAllText(bobView())).toBeNull();
    expect(speakingToAllText(bobView({ speakingToAll: ada }))).toBe("Ada Lovelace is speaking to all rooms");
    expect(speakingToAllText(hostView({ speakingToAll: ada }))).toBeNull();
  });
});
