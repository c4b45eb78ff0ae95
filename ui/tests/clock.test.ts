import { describe, expect, test } from "vitest";
import { formatDuration, remainingMs, secondsLeft, serverNow } from "../src/lib/clock";

describe("server clock offset", () => {
  test("is added to the local clock", () => {
    expect(serverNow(1_000, 500)).toBe(1_500);
    expect(serverNow(1_000, -500)).toBe(500);
  });

  test("countdowns use the server's clock", () => {
    // Server 2 s ahead; the move is due at server time 20 000.
    const offset = 2_000;
    expect(remainingMs(20_000, 10_000, offset)).toBe(8_000);
    expect(secondsLeft(20_000, 10_000, offset)).toBe(8);
    expect(secondsLeft(20_000, 10_001, offset)).toBe(8);
    expect(secondsLeft(20_000, 17_001, offset)).toBe(1);
    expect(secondsLeft(20_000, 18_000, offset)).toBe(0);
  });

  test("never goes below zero", () => {
    expect(remainingMs(1_000, 5_000, 0)).toBe(0);
    expect(secondsLeft(1_000, 5_000, 0)).toBe(0);
  });
});

describe("formatDuration", () => {
  test.each([
    [0, "0:00"],
    [999, "0:01"],
    [1_000, "0:01"],
    [59_001, "1:00"],
    [60_000, "1:00"],
    [25 * 60_000, "25:00"],
    [3_600_000, "1:00:00"],
    [3_600_000 + 61_000, "1:01:01"],
    [-5, "0:00"],
  ])("%d ms → %s", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});
