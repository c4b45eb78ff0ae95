// @vitest-environment happy-dom
// The constraints panel: groups by name, broken constraints as warnings,
// the rotation plan's state, and clearing.

import { flushSync, mount, unmount } from "svelte";
import { afterEach, describe, expect, test, vi } from "vitest";
import ConstraintsPanel from "../src/components/dashboard/ConstraintsPanel.svelte";
import type { AssignmentView } from "../src/generated";
import { hostView, noConstraints } from "../e2e/fixtures";

let mounted: Record<string, unknown> | null = null;

afterEach(() => {
  if (mounted) unmount(mounted);
  mounted = null;
  document.body.innerHTML = "";
});

function show(assignment: AssignmentView, onplan: (rounds: number) => void = () => {}) {
  const onclear = vi.fn();
  mounted = mount(ConstraintsPanel, { target: document.body, props: { view: hostView({ assignment }), assignment, onclear, onplan } });
  flushSync();
  return onclear;
}

const items = (id: string) => [...document.querySelectorAll(`[data-testid=${id}] li`)].map((li) => li.textContent?.trim());
const button = (name: string) => [...document.querySelectorAll("button")].find((b) => b.textContent?.trim() === name);
const text = (id: string) => document.querySelector(`[data-testid=${id}]`)?.textContent?.replace(/\s+/g, " ").trim();

describe("constraints panel", () => {
  test("lists groups by name; clearing asks the server", () => {
    const onclear = show(noConstraints({ keep_together: [[2, 4]], keep_apart: [[2, 3], [1, 4, 9]] }));
    expect(items("keep-together")).toEqual(["Bob Okafor, Dan Wu"]);
    // Someone who left is still in the group; shown by id rather than dropped.
    expect(items("keep-apart")).toEqual(["Bob Okafor, Cara Jensen", "Ada Lovelace, Dan Wu, #9"]);
    button("Clear keep-together/apart")!.click();
    expect(onclear).toHaveBeenCalledOnce();
  });

  test("broken constraints are shown as the server's sentences", () => {
    const violations = ["Bob Okafor and Cara Jensen must be kept apart but are all assigned to Room 1"];
    show(noConstraints({ keep_apart: [[2, 3]], violations }));
    const list = document.querySelector("[data-testid=violations]");
    expect(list?.getAttribute("role")).toBe("status");
    expect(items("violations")).toEqual(violations);
  });

  test("with no constraints it says how to add one and offers no clearing", () => {
    show(noConstraints());
    expect(document.body.textContent).toContain("No one is kept together or apart.");
    expect(button("Clear keep-together/apart")).toBeUndefined();
    expect(document.querySelector("[data-testid=rotation]")).toBeNull();
  });

  test("a rotation plan says which round is next and its repeats", () => {
    show(noConstraints({ rotation: { rounds: 5, next_round: 2, next_round_repeats: 1, planned_repeats: 3 } }));
    expect(text("rotation")).toBe("Rotation: round 2 of 5 is next, with 1 repeat pairing. 3 repeat pairings over the whole plan.");
  });

  test("a rotation with no round left that fits says so", () => {
    show(noConstraints({ rotation: { rounds: 4, next_round: null, next_round_repeats: null, planned_repeats: 0 } }));
    expect(text("rotation")).toBe(
      "Rotation of 4 rounds: no round left that fits the rooms and people now. 0 repeat pairings over the whole plan.",
    );
  });

  test("plans a rotation of the rounds asked for", () => {
    const onplan = vi.fn();
    show(noConstraints(), onplan);
    const input = document.querySelector<HTMLInputElement>("input[name=rotation-rounds]")!;
    input.value = "6";
    input.dispatchEvent(new Event("input", { bubbles: true }));
    flushSync();
    button("Plan rotation")!.click();
    expect(onplan).toHaveBeenCalledWith(6);
  });
});
