import { describe, expect, test } from "vitest";
import { ada, bob, cara, dan, hostView, T0 } from "../e2e/fixtures";
import { assignCommand, assignMany, boardColumns, everyone, parseDragData, speakingRooms } from "../src/lib/board";

describe("drag and drop → assign", () => {
  test("a drop on a room assigns there; on main unassigns", () => {
    expect(assignCommand(2, 1)).toEqual({ type: "assign", participant: 2, room: 1 });
    expect(assignCommand(2, 0)).toEqual({ type: "assign", participant: 2, room: null });
  });

  test("moving a selection sends one assign per person in id order", () => {
    expect(assignMany([4, 1, 3], 2)).toEqual([
      { type: "assign", participant: 1, room: 2 },
      { type: "assign", participant: 3, room: 2 },
      { type: "assign", participant: 4, room: 2 },
    ]);
  });

  test("drag data is a participant id or nothing", () => {
    expect(parseDragData("7")).toBe(7);
    expect(parseDragData("")).toBeNull();
    expect(parseDragData(undefined)).toBeNull();
    expect(parseDragData("-1")).toBeNull();
    expect(parseDragData("1.5")).toBeNull();
    expect(parseDragData("bob")).toBeNull();
  });
});

describe("board columns", () => {
  test("before start: the plan, unassigned people under main", () => {
    const cols = boardColumns(hostView({ assigned: { 1: [2, 3], 2: [1] } }));
    const names = cols.map((c) => [c.title, c.entries.map((e) => `${e.member.name}:${e.placement}`)]);
    expect(names).toEqual([
      ["Main room", ["Dan Wu:here"]],
      ["Room 1", ["Bob Okafor:planned", "Cara Jensen:planned"]],
      ["Room 2", ["Ada Lovelace:planned"]],
    ]);
  });

  test("while running: where people are, plus who is assigned but not there", () => {
    const view = hostView({
      phase: { state: "running", started_at: T0, ends_at: null },
      placement: { 0: [ada, cara], 1: [bob], 2: [dan] },
      assigned: { 1: [2, 3], 2: [4] },
    });
    const cols = boardColumns(view);
    expect(cols[0].entries.map((e) => e.member.id)).toEqual([1, 3]);
    expect(cols[1].entries.map((e) => [e.member.id, e.placement])).toEqual([
      [2, "here"],
      [3, "assigned"],
    ]);
    expect(cols[2].entries.map((e) => [e.member.id, e.placement])).toEqual([[4, "here"]]);
  });

  test("everyone is listed once, by name", () => {
    const view = hostView({ placement: { 0: [dan, ada], 1: [bob, cara], 2: [] } });
    expect(everyone(view).map((m) => m.name)).toEqual(["Ada Lovelace", "Bob Okafor", "Cara Jensen", "Dan Wu"]);
  });

  test("speaking rooms follow audio levels", () => {
    const view = hostView({ placement: { 0: [ada], 1: [bob, cara], 2: [dan] } });
    const levels = new Map([
      [3, 0.4],
      [4, 0.05],
    ]);
    expect([...speakingRooms(view, levels)]).toEqual([1]);
  });
});
