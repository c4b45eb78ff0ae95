import { describe, expect, test } from "vitest";
import { bobView } from "../e2e/fixtures";
import { isRecorded, recordCommand, recordedHere } from "../src/lib/recording";

describe("recording from the view", () => {
  test("your own room's switch is what the meeting window shows", () => {
    const view = bobView();
    expect(recordedHere(view)).toBe(false);
    view.rooms[0].recording = true;
    expect(recordedHere(view)).toBe(false);
    view.rooms[1].recording = true;
    expect(recordedHere(view)).toBe(true);
  });

  test("the dashboard's button starts a room that is not recorded and stops one that is", () => {
    const view = bobView();
    expect(recordCommand(view, 1)).toEqual({ type: "record", room: 1, active: true });
    view.rooms[1].recording = true;
    expect(isRecorded(view, 1)).toBe(true);
    expect(recordCommand(view, 1)).toEqual({ type: "record", room: 1, active: false });
    // A room the view does not show counts as not recorded.
    expect(isRecorded(view, 9)).toBe(false);
  });
});
