import { describe, expect, test } from "vitest";
import { ada, bob, bobView, cara, dan, defaultConfig, hostView, mediaOn } from "../e2e/fixtures";
import {
  NOT_SHARING,
  SELF_SCREEN_MID,
  followShare,
  mayShare,
  personName,
  pickerGroups,
  sharedScreen,
  sharerHere,
  sharerIn,
  sizeText,
  type ScreenTarget,
  type ShareWatch,
} from "../src/lib/screen";

/** Bob in Room 1 with Cara and Dan; `sharer` shares there. */
function room1(sharer: number | null) {
  const view = bobView();
  view.rooms[1].sharing = sharer;
  return view;
}

describe("who may share", () => {
  test("a preset that shares may; a participant only when the meeting lets participants share", () => {
    expect(mayShare(hostView())).toBe(true);
    const view = bobView();
    expect(mayShare(view)).toBe(false);
    view.config = { ...defaultConfig, participants_may_share: true };
    expect(mayShare(view)).toBe(true);
  });

  test("the participants' setting is for participants: a presenter without the permission may not", () => {
    const view = bobView({ you: { role: "presenter" } });
    view.config = { ...defaultConfig, participants_may_share: true };
    expect(mayShare(view)).toBe(false);
    view.you.permissions = { ...view.you.permissions, share_screen: true };
    expect(mayShare(view)).toBe(true);
  });
});

describe("whose screen is shown", () => {
  test("nobody shares: nothing, and the layout stays as it is", () => {
    expect(sharerHere(bobView())).toBeNull();
    expect(sharedScreen(bobView(), mediaOn)).toBeNull();
  });

  test("someone else's screen comes from the screen slot, with their name", () => {
    const view = room1(dan.id);
    expect(sharerHere(view)).toBe(dan.id);
    expect(sharedScreen(view, mediaOn)).toEqual({
      sharer: dan.id,
      you: false,
      feed: { mid: "15", participant: dan.id },
      label: "Dan Wu is sharing their screen",
    });
    // No screen slot yet: the label, and no picture.
    expect(sharedScreen(view, { ...mediaOn, screen: null })?.feed).toBeNull();
  });

  test("only your own room's sharer counts", () => {
    const view = bobView();
    view.rooms[0].sharing = ada.id;
    expect(sharerIn(view, 0)).toBe(ada.id);
    expect(sharerHere(view)).toBeNull();
    expect(sharedScreen(view, mediaOn)).toBeNull();
    expect(sharerIn(view, 9)).toBeNull();
  });

  test("your own share shows your own pictures, also before the view says you share", () => {
    const mine = { sharer: bob.id, you: true, feed: { mid: SELF_SCREEN_MID, participant: bob.id }, label: "You are sharing your screen" };
    expect(sharedScreen(room1(bob.id), { ...mediaOn, sharing: true })).toEqual(mine);
    expect(sharedScreen(bobView(), { ...mediaOn, sharing: true })).toEqual(mine);
  });

  test("a sharer the view cannot name is someone", () => {
    const view = room1(77);
    expect(personName(view, 77)).toBe("Someone");
    expect(sharedScreen(view, mediaOn)?.label).toBe("Someone is sharing their screen");
    expect(personName(view, bob.id)).toBe("Bob Okafor");
    expect(personName(view, cara.id)).toBe("Cara Jensen");
  });
});

describe("telling you that your share ended", () => {
  /** Runs updates (media says sharing, you pressed stop, the view) in order; the notices given. */
  function follow(steps: [boolean, boolean, ReturnType<typeof bobView> | null][]): string[] {
    let watch: ShareWatch = NOT_SHARING;
    const notices: string[] = [];
    for (const [sharing, stopped, view] of steps) {
      const next = followShare(watch, sharing, stopped, view);
      watch = next.watch;
      if (next.notice) notices.push(next.notice);
    }
    return notices;
  }

  test("someone else's share replaced yours: said once, whichever update comes first", () => {
    const told = ["Dan Wu is sharing now; your share ended."];
    // The view first, then the media status.
    expect(follow([[true, false, room1(bob.id)], [true, false, room1(dan.id)], [false, false, room1(dan.id)], [false, false, room1(dan.id)]])).toEqual(told);
    // The media status first, then the view.
    expect(follow([[true, false, room1(bob.id)], [false, false, room1(bob.id)], [false, false, room1(dan.id)], [false, false, room1(dan.id)]])).toEqual(told);
  });

  test("stopping your share yourself is no news", () => {
    expect(follow([[true, false, room1(bob.id)], [false, true, room1(bob.id)], [false, true, room1(null)]])).toEqual([]);
    // Even when someone starts right after.
    expect(follow([[true, false, room1(bob.id)], [false, true, room1(bob.id)], [false, true, room1(dan.id)]])).toEqual([]);
  });

  test("a share that ended with nobody sharing after it is not someone else's doing", () => {
    expect(follow([[true, false, room1(bob.id)], [false, false, room1(null)], [false, false, room1(dan.id)]])).toEqual([]);
  });

  test("never having shared, someone else's share is no news", () => {
    expect(follow([[false, false, room1(null)], [false, false, room1(dan.id)]])).toEqual([]);
    // Leaving the meeting forgets everything.
    expect(follow([[true, false, room1(bob.id)], [false, false, null], [false, false, room1(dan.id)]])).toEqual([]);
  });
});

describe("the picker", () => {
  const screen: ScreenTarget = { source: { kind: "monitor", name: "HDMI-1" }, title: "HDMI-1", width: 1920, height: 1080 };
  const pattern: ScreenTarget = { source: { kind: "pattern", width: 1280, height: 720 }, title: "Test pattern", width: 1280, height: 720 };
  const editor: ScreenTarget = { source: { kind: "window", id: 7 }, title: "notes.txt - Editor", width: 1024, height: 768 };

  test("screens first, then windows, each with its size", () => {
    expect(pickerGroups([pattern, screen, editor])).toEqual([
      { heading: "Screens", targets: [pattern, screen] },
      { heading: "Windows", targets: [editor] },
    ]);
    expect(pickerGroups([editor]).map((g) => g.heading)).toEqual(["Windows"]);
    expect(pickerGroups([])).toEqual([]);
    expect(sizeText(screen)).toBe("1920 × 1080");
  });
});
