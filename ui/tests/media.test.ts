// Which feed a tile pulls: other people's slots, and our own camera from
// the shell's self-view key.
import { describe, expect, test } from "vitest";
import { SELF_MID, tileFeed } from "../src/lib/media";

describe("tileFeed", () => {
  test("someone else's camera comes from the slot that carries them", () => {
    expect(tileFeed({ id: 4, camera: true }, false, "6")).toEqual({ mid: "6", participant: 4 });
    // No slot (yet): the placeholder.
    expect(tileFeed({ id: 4, camera: true }, false, null)).toBeNull();
    expect(tileFeed({ id: 4, camera: false }, false, "6")).toBeNull();
  });

  test("your own camera is the self-view, with or without a slot", () => {
    expect(tileFeed({ id: 2, camera: true }, true, null)).toEqual({ mid: SELF_MID, participant: 2 });
    expect(tileFeed({ id: 2, camera: true }, true, "7")).toEqual({ mid: "self", participant: 2 });
  });

  test("a camera that is off shows the placeholder, yours too", () => {
    expect(tileFeed({ id: 2, camera: false }, true, null)).toBeNull();
  });
});
