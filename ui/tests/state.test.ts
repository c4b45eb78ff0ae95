// What a window keeps for itself next to the shell's pushed view.
import { describe, expect, test } from "vitest";
import {
  MAX_LOCAL_TOASTS,
  NO_LOCAL_TOASTS,
  NO_MEETING,
  addLocalToast,
  dismissLocalToast,
  isLocalToast,
  pendingInvitation,
  shownToasts,
} from "../src/lib/state";
import { hostView } from "../e2e/fixtures";

describe("a window's own toasts", () => {
  test("count down from -1, so they never share an id with the shell's", () => {
    let local = addLocalToast(NO_LOCAL_TOASTS, "a", "A.");
    local = addLocalToast(local, "b", "B.");
    expect(local.toasts.map((t) => t.id)).toEqual([-1, -2]);
    expect(local.toasts.every((t) => isLocalToast(t.id))).toBe(true);
    expect(isLocalToast(1)).toBe(false);
  });

  test("keep the last four and can be dismissed", () => {
    let local = NO_LOCAL_TOASTS;
    for (const code of ["a", "b", "c", "d", "e"]) local = addLocalToast(local, code, code);
    expect(local.toasts.map((t) => t.code)).toEqual(["b", "c", "d", "e"]);
    expect(local.toasts).toHaveLength(MAX_LOCAL_TOASTS);
    local = dismissLocalToast(local, -3);
    expect(local.toasts.map((t) => t.code)).toEqual(["b", "d", "e"]);
  });

  test("show after the shell's", () => {
    const client = { ...NO_MEETING, toasts: [{ id: 1, code: "server", message: "S." }] };
    const local = addLocalToast(NO_LOCAL_TOASTS, "mine", "M.");
    expect(shownToasts(client, local).map((t) => t.code)).toEqual(["server", "mine"]);
  });
});

describe("the invitation to answer", () => {
  const invited = (deferred: number | null) => {
    const view = hostView();
    view.you = { ...view.you, invited: 2, flags: { ...view.you.flags, requested: true } };
    return { ...NO_MEETING, view, invitation_deferred: deferred };
  };

  test("is the view's, unless the person put it off", () => {
    expect(pendingInvitation(invited(null))).toBe(2);
    expect(pendingInvitation(invited(2))).toBe(null);
    expect(pendingInvitation(NO_MEETING)).toBe(null);
  });
});
