// The meeting window: start screen and every participant control, with the
// shell mocked. Each flow checks the exact command sent and what shows after.

import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Browser } from "playwright-core";
import { launch, open, screenshots, serveDist, type Opened } from "./harness";
import {
  SERVER_AHEAD_MS,
  T0,
  ada,
  bob,
  bobView,
  cara,
  chatLine,
  dan,
  defaultConfig,
  devices,
  hostView,
  joined,
  mediaOn,
  screens,
  state,
  TILE_JPEG_BASE64,
  welcome,
} from "./fixtures";

let browser: Browser;
let server: Awaited<ReturnType<typeof serveDist>>;

beforeAll(async () => {
  server = await serveDist();
  browser = await launch();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const notJoined = { error: { code: "not_joined", message: "Not in a meeting." } };
const serverNow = T0 + SERVER_AHEAD_MS;

const CORS = { "access-control-allow-origin": "*", "access-control-expose-headers": "X-Frames" };

/** Brightest minus darkest red value on a canvas: a drawn picture, not a blank one (runs in the page). */
function redSpread(canvas: HTMLCanvasElement): number {
  const data = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height).data;
  let low = 255;
  let high = 0;
  for (let i = 0; i < data.length; i += 4) {
    low = Math.min(low, data[i]);
    high = Math.max(high, data[i]);
  }
  return high - low;
}

/** The entries of a frames request's `want` list (`mid:after:w:h`). */
function wanted(url: string): string[] {
  return (new URL(url).searchParams.get("want") ?? "").split(",").filter(Boolean);
}

/** The shell's answer carrying one tile-sized JPEG per entry. */
function frames(entries: { mid: string; seq: number; participant: string }[]) {
  const jpeg = Buffer.from(TILE_JPEG_BASE64, "base64");
  return {
    status: 200,
    headers: {
      ...CORS,
      "content-type": "application/octet-stream",
      "x-frames": entries.map((e) => `${e.mid}:${e.seq}:${e.participant}:${jpeg.length}`).join(","),
    },
    body: Buffer.concat(entries.map(() => jpeg)),
  };
}

/** Bob in Room 1 (Cara and Dan there too), where `sharer` shares their screen. */
function sharedIn(sharer: number | null, view = bobView()) {
  view.rooms[1].sharing = sharer;
  return view;
}

/** Bob's view when the meeting lets participants share their screen. */
function participantsShare(view = bobView()) {
  view.config = { ...defaultConfig, participants_may_share: true };
  return view;
}

/** Bob's meeting window, welcomed into Room 1 with the page clock paused at T0. */
async function bobInRoom(view = bobView(), windowsAgent = false): Promise<Opened> {
  const w = await open(browser, server.url, "index.html", {
    windowsAgent,
    clockAt: T0 - 5_000,
    answers: {
      get_state: { value: view },
      get_chat: { value: [chatLine(1, cara, "Shall we start with the agenda?")] },
      list_devices: { value: devices },
    },
  });
  await w.page.clock.pauseAt(T0);
  await w.server(welcome(view));
  await w.page.getByRole("heading", { name: "Room 1" }).waitFor();
  return w;
}

describe("start screen", () => {
  test("hosts a meeting on this computer", async () => {
    const w = await open(browser, server.url, "index.html", {
      answers: { get_state: notJoined, host_meeting: { value: joined } },
    });
    const { page } = w;
    await page.getByRole("heading", { name: "Host a meeting on this computer" }).waitFor();
    await screenshots(page, "start");
    await page.getByLabel("Meeting title").fill("Team workshop");
    await page.getByLabel("Your name").first().fill("Ada Lovelace");
    await w.answer("get_state", { value: hostView() });
    await page.getByRole("button", { name: "Host meeting" }).click();
    const call = await w.waitForCall("host_meeting");
    expect(call.args).toEqual({ title: "Team workshop", name: "Ada Lovelace" });
    await w.server(welcome(hostView()));
    await page.getByRole("heading", { name: "Main room" }).waitFor();
    // The host can share the invite and open the dashboard.
    await page.getByRole("button", { name: "Invite" }).click();
    await page.getByTestId("invite-code").getByText("TEAM-4821").waitFor();
    await screenshots(page, "host-invite");
    await page.getByRole("dialog", { name: "Invite people" }).getByRole("button", { name: "Close", exact: true }).click();
    await page.getByRole("button", { name: "Rooms dashboard" }).click();
    await w.waitForCall("open_dashboard");
    // A help request anywhere shows up here too, one click from the dashboard.
    const help = [{ participant: 3, name: "Cara Jensen", room: 1, at: T0 }];
    await w.server(state(hostView({ phase: { state: "running", started_at: T0, ends_at: null }, help })));
    await page.getByRole("button", { name: "1 asking for help" }).click();
    await w.waitForCall("open_dashboard", 2);
    await w.close();
  });

  test("a meeting hosted before the window loaded shows its invite", async () => {
    // `breakout-app --host ...` (what `make run` does): the shell is in the
    // meeting before the page asks.
    const w = await open(browser, server.url, "index.html", {
      answers: { get_state: { value: hostView() }, get_joined: { value: joined } },
    });
    const { page } = w;
    await page.getByRole("heading", { name: "Main room" }).waitFor();
    await page.getByRole("button", { name: "Invite" }).click();
    await page.getByTestId("invite-code").getByText("TEAM-4821").waitFor();
    await w.close();
  });

  test("joins with a breakout:// link and shows a refusal", async () => {
    const w = await open(browser, server.url, "index.html", {
      answers: {
        get_state: notJoined,
        join_meeting: { error: { code: "invalid_invite", message: "This invite code is not valid." } },
      },
    });
    const { page } = w;
    await page.getByLabel("Invite code or link").fill(joined.invite_link);
    await page.getByLabel("Your name").nth(1).fill("Bob Okafor");
    await page.getByRole("button", { name: "Join meeting" }).click();
    const call = await w.waitForCall("join_meeting");
    // A link carries the server, so the address may stay empty.
    expect(call.args).toEqual({ server_url: "", invite_code: joined.invite_link, name: "Bob Okafor" });
    await page.getByRole("alert").getByText("This invite code is not valid.").waitFor();

    await w.answer("join_meeting", { value: { ...joined, participant: 2 } });
    await w.answer("get_state", { value: bobView() });
    await page.getByLabel("Server address").fill("192.168.1.20:7800");
    await page.getByLabel("Invite code or link").fill("TEAM-4821");
    await page.getByRole("button", { name: "Join meeting" }).click();
    const second = await w.waitForCall("join_meeting", 2);
    expect(second.args).toEqual({ server_url: "192.168.1.20:7800", invite_code: "TEAM-4821", name: "Bob Okafor" });
    await page.getByRole("heading", { name: "Room 1" }).waitFor();
    await w.close();
  });
});

describe("meeting window", () => {
  test("shows the room: tiles, remaining time, chat history", async () => {
    const w = await bobInRoom();
    const { page } = w;
    await page.locator(".tile").nth(2).waitFor();
    expect(await page.locator(".tile").count()).toBe(3);
    await page.getByRole("listitem", { name: "Bob Okafor (you), microphone on, camera off" }).waitFor();
    await page.getByRole("listitem", { name: "Cara Jensen, muted, camera off" }).waitFor();
    await page.getByRole("listitem", { name: "Dan Wu, microphone on, camera on" }).waitFor();
    // ends_at is 25 min after T0; the server is 2 s ahead of the page.
    await page.getByTestId("remaining").getByText("24:58 left").waitFor();
    await page.clock.runFor(60_000);
    await page.getByTestId("remaining").getByText("23:58 left").waitFor();
    // History the shell fetched after the welcome.
    await page.getByText("Shall we start with the agenda?").waitFor();
    await w.emit("speaking", { participant: cara.id, level: 0.6 });
    await page.locator('.tile[data-participant="3"][data-speaking="true"]').waitFor();
    await screenshots(page, "meeting-room");
    await w.close();
  });

  test("mic and camera toggles, device pickers", async () => {
    const w = await bobInRoom();
    const { page } = w;
    const mic = page.getByRole("button", { name: "Microphone", exact: true });
    expect(await mic.getAttribute("aria-pressed")).toBe("true");
    await mic.click();
    expect((await w.waitForCall("set_media")).args).toEqual({ mic: false, camera: null });
    await w.server({ type: "event", event: { type: "media_changed", participant: bob.id, mic: false, camera: false } });
    await page.locator('button[aria-label="Microphone"][aria-pressed="false"]').waitFor();
    await page.getByRole("listitem", { name: "Bob Okafor (you), muted, camera off" }).waitFor();

    await page.getByRole("button", { name: "Camera", exact: true }).click();
    expect((await w.waitForCall("set_media", 2)).args).toEqual({ mic: null, camera: true });
    await w.server({ type: "event", event: { type: "media_changed", participant: bob.id, mic: false, camera: true } });
    await page.locator('button[aria-label="Camera"][aria-pressed="true"]').waitFor();

    await page.getByRole("button", { name: "Choose devices" }).click();
    await w.waitForCall("list_devices");
    const micSelect = page.getByRole("dialog", { name: "Devices" }).locator("select[name=microphone]");
    await micSelect.waitFor();
    expect(await micSelect.inputValue()).toBe("mic-1");
    // Devices switch on the running session: nothing reconnects.
    const hint = await page.getByTestId("device-hint").textContent();
    expect(hint).toContain("you stay connected");
    expect(hint).not.toMatch(/reconnect/i);
    await micSelect.selectOption("mic-2");
    expect((await w.waitForCall("select_device")).args).toEqual({ kind: "microphone", id: "mic-2" });
    await page.locator("select[name=speaker]").selectOption("spk-2");
    expect((await w.waitForCall("select_device", 2)).args).toEqual({ kind: "speaker", id: "spk-2" });
    await screenshots(page, "meeting-devices");
    await page.getByRole("button", { name: "Done" }).click();
    await w.close();
  });

  test("video tiles pull frames from the media scheme; notes when a device is missing", async () => {
    const w = await bobInRoom(bobView(), true);
    const { page } = w;
    // The tiles pace themselves with timers: let the page's clock run.
    await page.clock.resume();
    const asked: string[][] = [];
    await page.route("http://breakout-media.localhost/**", async (route) => {
      const wants = wanted(route.request().url());
      asked.push(wants);
      if (wants.some((w) => w.startsWith("6:0:"))) {
        await route.fulfill(frames([{ mid: "6", seq: 1, participant: String(dan.id) }]));
      } else {
        // The shell holds a request until a newer frame exists; none comes here.
        await new Promise((ok) => setTimeout(ok, 300));
        await route.fulfill({ status: 204, headers: CORS });
      }
    });
    await w.emit("media", mediaOn);

    // Dan's camera is on and slot 6 carries him: his tile draws the frame.
    const canvas = page.locator('.tile[data-participant="4"] canvas[data-live="true"]');
    await canvas.waitFor();
    expect(await canvas.evaluate(redSpread)).toBeGreaterThan(64);
    // Then it asks only for frames after the one it has, and only for
    // the slot on screen, at the tile's size.
    await expect.poll(() => asked.some((wants) => wants.some((w) => w.startsWith("6:1:")))).toBe(true);
    expect(asked.every((wants) => wants.length === 1 && /^6:\d+:\d+:\d+$/.test(wants[0]))).toBe(true);
    // Cameras off (Bob, Cara): placeholders, no canvas.
    expect(await page.locator('.tile[data-participant="3"] canvas').count()).toBe(0);
    await page.locator('.tile[data-participant="3"] .avatar').waitFor();

    // No camera here: the note is shown and the camera cannot be switched on.
    await page.getByRole("button", { name: /Audio only/ }).waitFor();
    expect(await page.getByRole("button", { name: "Camera", exact: true }).isDisabled()).toBe(true);
    await page.getByRole("button", { name: "Choose devices" }).click();
    await page.getByTestId("media-notes").getByText("no camera found: none is connected").waitFor();
    await screenshots(page, "meeting-video");
    await page.getByRole("button", { name: "Done" }).click();

    // Dan turns his camera off: the tile goes back to its placeholder.
    await w.server({ type: "event", event: { type: "media_changed", participant: dan.id, mic: true, camera: false } });
    await expect.poll(() => page.locator('.tile[data-participant="4"] canvas').count()).toBe(0);
    await w.close();
  });

  test("your own tile shows your camera from the shell, mirrored", async () => {
    const bobOn = { ...bob, camera: true };
    const w = await bobInRoom(bobView({ members: [bobOn, cara, dan], you: { media: { mic: true, camera: true } } }), true);
    const { page } = w;
    await page.clock.resume();
    const asked: string[] = [];
    await page.route("http://breakout-media.localhost/**", async (route) => {
      const self = wanted(route.request().url()).find((w) => w.startsWith("self:"));
      if (self) asked.push(self.split(":").slice(0, 2).join(":"));
      const after = Number(self?.split(":")[1]);
      if (self && after < 2) {
        // Our own camera: no participant, as the shell serves it.
        await route.fulfill(frames([{ mid: "self", seq: after + 1, participant: "" }]));
      } else {
        await new Promise((ok) => setTimeout(ok, 300));
        await route.fulfill({ status: 204, headers: CORS });
      }
    });
    await w.emit("media", { ...mediaOn, notes: [], has_camera: true });

    // Bob's tile draws the self-view frames, flipped like a mirror.
    const self = page.locator(`.tile[data-participant="${bob.id}"] canvas[data-mid="self"][data-live="true"]`);
    await self.waitFor();
    await expect.poll(() => asked.includes("self:2")).toBe(true);
    expect(await self.evaluate(redSpread)).toBeGreaterThan(64);
    expect(await self.evaluate((c) => getComputedStyle(c).transform)).toBe("matrix(-1, 0, 0, 1, 0, 0)");
    // Other people's tiles are not mirrored.
    const dans = page.locator('.tile[data-participant="4"] canvas');
    expect(await dans.evaluate((c) => getComputedStyle(c).transform)).toBe("none");
    await screenshots(page, "meeting-self-view");

    // Bob turns his camera off: his tile goes back to its placeholder.
    await w.server({ type: "event", event: { type: "media_changed", participant: bob.id, mic: true, camera: false } });
    await expect.poll(() => page.locator(`.tile[data-participant="${bob.id}"] canvas`).count()).toBe(0);
    await page.locator(`.tile[data-participant="${bob.id}"] .avatar`).waitFor();
    await w.close();
  });

  test("ask for help shows its cooldown", async () => {
    const w = await bobInRoom();
    const { page } = w;
    await page.getByRole("button", { name: "Ask for help" }).click();
    expect(await w.nextCommand()).toEqual({ type: "request_help" });
    await w.server(state(bobView({ you: { help_requested: true, help_available_at: serverNow + 10_000 } })));
    const waiting = page.getByRole("button", { name: "Ask again in 10 s" });
    await waiting.waitFor();
    expect(await waiting.isDisabled()).toBe(true);
    await page.getByText("Help requested").waitFor();
    await page.clock.runFor(3_000);
    await page.getByRole("button", { name: "Ask again in 7 s" }).waitFor();
    await page.clock.runFor(7_000);
    await page.getByRole("button", { name: "Ask for help" }).waitFor();
    await w.close();
  });

  test("chat in the current room", async () => {
    const w = await bobInRoom();
    const { page } = w;
    await page.getByText("Shall we start with the agenda?").waitFor();
    await page.getByLabel("Message to Room 1").fill("Yes, I'll take notes.");
    await page.getByRole("button", { name: "Send message" }).click();
    expect(await w.nextCommand()).toEqual({ type: "chat", text: "Yes, I'll take notes." });
    await w.server({ type: "event", event: { type: "chat", message: chatLine(2, bob, "Yes, I'll take notes.") } });
    await page.locator("li.mine").getByText("Yes, I'll take notes.").waitFor();
    expect(await page.getByLabel("Message to Room 1").inputValue()).toBe("");
    // A line for another room does not show here.
    await w.server({ type: "event", event: { type: "chat", message: chatLine(3, ada, "Main room only", 0) } });
    await w.server({ type: "event", event: { type: "chat", message: chatLine(4, dan, "Agreed") } });
    await page.getByText("Agreed").waitFor();
    expect(await page.getByText("Main room only").count()).toBe(0);
    await w.close();
  });

  test("polls: vote and see results", async () => {
    const poll = { id: 7, room: 1, question: "Which topic first?", options: ["Budget", "Hiring"], counts: [1, 0], closed: false, your_vote: null };
    const w = await bobInRoom(bobView({ polls: [poll] }));
    const { page } = w;
    await page.getByRole("tab", { name: "Polls (1)" }).click();
    await page.getByRole("radio", { name: "Hiring" }).check();
    await page.getByRole("button", { name: "Vote" }).click();
    expect(await w.nextCommand()).toEqual({ type: "vote", poll: 7, option: 1 });
    await w.server(state(bobView({ polls: [{ ...poll, counts: [1, 1], your_vote: 1 }] })));
    await page.getByText("Hiring · your vote").waitFor();
    await page.getByText("1 (50%)").first().waitFor();
    // An update event keeps our own vote.
    await w.server({ type: "event", event: { type: "poll_updated", poll: { ...poll, counts: [2, 1] } } });
    await page.getByText("2 (67%)").waitFor();
    await page.getByText("Hiring · your vote").waitFor();
    await screenshots(page, "meeting-polls");
    await w.close();
  });

  test("hosts and presenters create and close polls", async () => {
    const view = hostView({ youRoom: 1, phase: { state: "running", started_at: T0, ends_at: null }, placement: { 0: [cara, dan], 1: [ada, bob], 2: [] } });
    const w = await open(browser, server.url, "index.html", { answers: { get_state: { value: view }, get_chat: { value: [] } } });
    const { page } = w;
    await w.server(welcome(view));
    await page.getByRole("button", { name: "Polls", exact: true }).click();
    await page.getByLabel("Question").fill("Lunch?");
    await page.getByLabel("Option 1").fill("Pizza");
    await page.getByLabel("Option 2").fill("Salad");
    await page.getByRole("button", { name: "Add option" }).click();
    await page.getByLabel("Option 3").fill("Both");
    await page.getByRole("button", { name: "Create poll" }).click();
    expect(await w.nextCommand()).toEqual({ type: "create_poll", question: "Lunch?", options: ["Pizza", "Salad", "Both"] });
    const poll = { id: 3, room: 1, question: "Lunch?", options: ["Pizza", "Salad", "Both"], counts: [0, 0, 0], closed: false, your_vote: null };
    await w.server({ type: "event", event: { type: "poll_created", poll } });
    await page.getByRole("heading", { name: "Lunch?" }).waitFor();
    expect(await page.getByLabel("Question").inputValue()).toBe("");
    await page.getByRole("button", { name: "Close poll" }).click();
    expect(await w.nextCommand()).toEqual({ type: "close_poll", poll: 3 });
    await w.server({ type: "event", event: { type: "poll_closed", poll: { ...poll, counts: [2, 1, 0], closed: true } } });
    await page.getByText("Closed", { exact: true }).waitFor();
    await page.getByText("2 (67%)").waitFor();
    await w.close();
  });

  test("countdown before a move, then the new room", async () => {
    const w = await bobInRoom();
    const { page } = w;
    await w.server({ type: "event", event: { type: "changing_meeting", room: 0, at: serverNow + 5_000 } });
    const overlay = page.locator('[data-overlay="move"]');
    await overlay.getByRole("heading", { name: "Main room" }).waitFor();
    await overlay.getByRole("timer").getByText("5", { exact: true }).waitFor();
    await screenshots(page, "meeting-move-countdown");
    await page.clock.runFor(2_000);
    await overlay.getByRole("timer").getByText("3", { exact: true }).waitFor();
    await w.server({ type: "event", event: { type: "meeting_changed", participant: bob.id, from: 1, room: 0 } });
    await w.server(state(bobView({ room: 0 })));
    await page.getByRole("heading", { name: "Main room" }).first().waitFor();
    await overlay.waitFor({ state: "detached" });
    // Chat is per room: Room 1's lines are gone.
    await page.getByText("Shall we start with the agenda?").waitFor({ state: "detached" });
    await w.close();
  });

  test("closing countdown", async () => {
    const w = await bobInRoom();
    const { page } = w;
    await w.server({ type: "event", event: { type: "closing", at: serverNow + 60_000 } });
    const overlay = page.locator('[data-overlay="closing"]');
    await overlay.getByRole("timer").getByText("1:00").waitFor();
    await page.clock.runFor(15_000);
    await overlay.getByRole("timer").getByText("0:45").waitFor();
    await screenshots(page, "meeting-closing");
    await w.close();
  });

  test("broadcast banners and the request to return", async () => {
    const w = await bobInRoom(bobView({ members: [bob, cara, dan] }));
    const { page } = w;
    await w.server({ type: "event", event: { type: "message", from: dan.id, text: "Five minutes left, wrap up.", room: null, audience: "everyone" } });
    const banner = page.locator('[data-banner="broadcast"]');
    await banner.getByText("Five minutes left, wrap up.").waitFor();
    await banner.getByText("Dan Wu to all rooms").waitFor();
    await w.server({ type: "event", event: { type: "return_requested" } });
    const ret = page.locator('[data-banner="return"]');
    await ret.getByText("come back to the main room").waitFor();
    await screenshots(page, "meeting-banners");
    await ret.getByRole("button", { name: "Return now" }).click();
    expect(await w.nextCommand()).toEqual({ type: "leave_to_main" });
    await banner.getByRole("button", { name: "Dismiss message" }).click();
    await banner.waitFor({ state: "detached" });
    await w.close();
  });

  test("shows when someone listens in and who speaks to all rooms", async () => {
    const w = await bobInRoom();
    const { page } = w;
    const listening = page.locator('[data-banner="listening"]');
    const voice = page.locator('[data-banner="speaking-to-all"]');
    expect(await listening.count()).toBe(0);
    expect(await voice.count()).toBe(0);
    const heard = bobView({ speakingToAll: ada });
    heard.rooms[1].listeners = [ada.id];
    await w.server(state(heard));
    await listening.getByText("Someone from the host team is listening to this room.").waitFor();
    await voice.getByText("Ada Lovelace is speaking to all rooms").waitFor();
    await screenshots(page, "meeting-listened-and-voice-to-all");
    // Both go away with the next view that no longer has them.
    await w.server(state(bobView()));
    await listening.waitFor({ state: "detached" });
    await voice.waitFor({ state: "detached" });
    await w.close();
  });

  test("shows that the room is recorded, and stops showing it when it no longer is", async () => {
    const w = await bobInRoom();
    const { page } = w;
    const banner = page.locator('[data-banner="recording"]');
    expect(await banner.count()).toBe(0);
    const recorded = bobView();
    recorded.rooms[1].recording = true;
    await w.server(state(recorded));
    await banner.getByText("This room is being recorded.").waitFor();
    await screenshots(page, "meeting-recorded");
    await w.server(state(bobView()));
    await banner.waitFor({ state: "detached" });
    await w.close();
  });

  test("return to the main room when allowed", async () => {
    const w = await bobInRoom(bobView({ you: { may_return_to_main: false } }));
    const { page } = w;
    expect(await page.getByRole("button", { name: "Return to main room" }).count()).toBe(0);
    await w.server(state(bobView({ you: { may_return_to_main: true } })));
    await page.getByRole("button", { name: "Return to main room" }).click();
    expect(await w.nextCommand()).toEqual({ type: "leave_to_main" });
    await w.close();
  });

  test("invitation prompt: join now or later", async () => {
    const view = bobView({ room: 0, you: { invited: 1, assigned: 1, flags: { assigned: true, forced: false, allowed: false, requested: true, return_requested: false }, may_return_to_main: false } });
    const w = await open(browser, server.url, "index.html", { answers: { get_state: { value: view }, get_chat: { value: [] } } });
    const { page } = w;
    await w.server(welcome(view));
    const prompt = page.getByRole("alertdialog");
    await prompt.getByText("You are invited to join").waitFor();
    await prompt.getByText("Room 1").waitFor();
    await screenshots(page, "meeting-invitation");
    await prompt.getByRole("button", { name: "Later" }).click();
    await prompt.waitFor({ state: "detached" });
    // Asked again by the host: it comes back.
    await w.server({ type: "event", event: { type: "invited", room: 2 } });
    await page.getByRole("alertdialog").getByRole("button", { name: "Join room" }).click();
    expect(await w.nextCommand()).toEqual({ type: "join_room", room: 2 });
    await w.close();
  });

  test("room chooser when people may choose", async () => {
    const rooms = [
      { id: 0, title: "Main room", open: true, member_count: 2, members: [bob, cara], assigned: null, can_join: false, listeners: [], recording: false, sharing: null },
      { id: 1, title: "Ideas", open: true, member_count: 3, members: null, assigned: null, can_join: true, listeners: [], recording: false, sharing: null },
      { id: 2, title: "Planning", open: true, member_count: 0, members: null, assigned: null, can_join: true, listeners: [], recording: false, sharing: null },
    ];
    const view = bobView({ room: 0, rooms, members: [bob, cara], you: { assigned: null, flags: { assigned: false, forced: false, allowed: true, requested: false, return_requested: false } } });
    const w = await open(browser, server.url, "index.html", { answers: { get_state: { value: view }, get_chat: { value: [] } } });
    const { page } = w;
    await w.server(welcome(view));
    await page.getByRole("button", { name: "Choose a room" }).click();
    const dialog = page.getByRole("dialog", { name: "Choose a room" });
    await dialog.getByText("3 inside").waitFor();
    await screenshots(page, "meeting-room-chooser");
    await dialog.getByRole("button", { name: "Join Planning" }).click();
    expect(await w.nextCommand()).toEqual({ type: "join_room", room: 2 });
    await dialog.waitFor({ state: "hidden" });
    await w.close();
  });

  test("a refused command shows the server's sentence", async () => {
    const w = await bobInRoom();
    const { page } = w;
    await w.answer("send_command", { error: { code: "return_not_allowed", message: "returning to the main room is not allowed in this meeting" } });
    await page.getByRole("button", { name: "Return to main room" }).click();
    await page.getByRole("alert").getByText("returning to the main room is not allowed in this meeting").waitFor();
    // Errors pushed by the server show the same way.
    await w.server({ type: "error", id: 9, code: "help_cooldown", message: "you already asked for help" });
    await page.getByRole("alert").getByText("you already asked for help").waitFor();
    // The window's own refusal goes at once; the server's is dismissed in the shell.
    const alerts = page.getByRole("alert");
    await alerts.filter({ hasText: "returning to the main room" }).getByRole("button", { name: "Dismiss notification" }).click();
    await page.getByText("returning to the main room is not allowed").waitFor({ state: "detached" });
    await alerts.filter({ hasText: "you already asked for help" }).getByRole("button", { name: "Dismiss notification" }).click();
    expect((await w.waitForCall("dismiss_toast")).args).toEqual({ id: 1 });
    await page.getByText("you already asked for help").waitFor({ state: "detached" });
    await w.close();
  });

  test("connection state and leaving", async () => {
    const w = await bobInRoom();
    const { page } = w;
    await w.connection("reconnecting");
    await page.getByText("Connection lost. Reconnecting…").waitFor();
    await w.connection("connected");
    await page.getByText("Connection lost. Reconnecting…").waitFor({ state: "detached" });
    await page.getByRole("button", { name: "Leave" }).click();
    await w.waitForCall("leave_meeting");
    await page.getByRole("heading", { name: "Host a meeting on this computer" }).waitFor();
    await w.close();
  });
});

describe("screen sharing", () => {
  test("the Share screen button shows only to those who may share", async () => {
    const w = await bobInRoom();
    const { page } = w;
    const share = page.getByRole("button", { name: "Share screen" });
    // A participant, and the meeting does not let participants share.
    await page.getByRole("button", { name: "Camera", exact: true }).waitFor();
    expect(await share.count()).toBe(0);
    await w.server(state(participantsShare()));
    await share.waitFor();
    await w.server(state(bobView()));
    await share.waitFor({ state: "detached" });
    await w.close();

    // A host's preset shares.
    const view = hostView({ youRoom: 1, phase: { state: "running", started_at: T0, ends_at: null }, placement: { 0: [cara], 1: [ada, bob, dan], 2: [] } });
    const host = await open(browser, server.url, "index.html", { answers: { get_state: { value: view }, get_chat: { value: [] } } });
    await host.server(welcome(view));
    await host.page.getByRole("button", { name: "Share screen" }).waitFor();
    await host.close();
  });

  test("lists screens, then windows, and shares the one picked; a refusal shows the meeting's sentence", async () => {
    const view = participantsShare();
    const w = await bobInRoom(view);
    const { page } = w;
    await w.answer("list_screens", { value: screens });
    await page.getByRole("button", { name: "Share screen" }).click();
    const picker = page.getByRole("dialog", { name: "Share your screen" });
    await picker.getByRole("button", { name: /Quarterly plan - Slides/ }).waitFor();
    await w.waitForCall("list_screens");
    // Screens first, then windows, each with its size.
    expect(await picker.getByRole("heading").allTextContents()).toEqual(["Share your screen", "Screens", "Windows"]);
    const listed = async (group: string) =>
      (await picker.getByRole("region", { name: group }).getByRole("button").allTextContents()).map((t) => t.replace(/\s+/g, " ").trim());
    expect(await listed("Screens")).toEqual(["Built-in display 2560 × 1600", "DELL U2720Q 3840 × 2160"]);
    expect(await listed("Windows")).toEqual(["Quarterly plan - Slides 1600 × 900", "notes.md - Editor 1200 × 800"]);
    await screenshots(page, "meeting-share-picker");
    await picker.getByRole("button", { name: /Quarterly plan - Slides/ }).click();
    expect((await w.waitForCall("share_screen")).args).toEqual({ source: { kind: "window", id: 41 } });
    await picker.waitFor({ state: "hidden" });

    // Someone else shares and the meeting refuses a second sharer: its sentence is shown.
    await w.answer("share_screen", {
      error: { code: "screen_share_taken", message: "Dan Wu is sharing their screen in this room; ask them to stop first" },
    });
    await page.getByRole("button", { name: "Share screen" }).click();
    await picker.getByRole("button", { name: /Built-in display/ }).click();
    expect((await w.waitForCall("share_screen", 2)).args).toEqual({ source: { kind: "monitor", name: "eDP-1" } });
    await page.getByRole("alert").getByText("Dan Wu is sharing their screen in this room; ask them to stop first").waitFor();
    await picker.waitFor({ state: "hidden" });
    // Nothing is shared: the button still offers to share.
    await page.getByRole("button", { name: "Share screen" }).waitFor();
    await w.close();
  });

  test("while you share: Stop sharing in the controls and over your own screen", async () => {
    const w = await bobInRoom(participantsShare(), true);
    const { page } = w;
    await page.clock.resume();
    const asked: string[] = [];
    await page.route("http://breakout-media.localhost/**", async (route) => {
      const mine = wanted(route.request().url()).find((w) => w.startsWith("self-screen:"));
      if (mine) asked.push(mine);
      if (mine && Number(mine.split(":")[1]) < 1) {
        // Your own screen's pictures: no participant, as the shell serves them.
        await route.fulfill(frames([{ mid: "self-screen", seq: 1, participant: "" }]));
      } else {
        await new Promise((ok) => setTimeout(ok, 300));
        await route.fulfill({ status: 204, headers: CORS });
      }
    });
    await w.emit("media", { ...mediaOn, sharing: true });
    await w.server(state(sharedIn(bob.id, participantsShare())));

    const controls = page.getByRole("contentinfo", { name: "Meeting controls" });
    const screen = page.getByRole("region", { name: "You are sharing your screen" });
    await screen.getByText("You are sharing your screen").waitFor();
    await screen.locator('canvas[data-mid="self-screen"][data-live="true"]').waitFor();
    // Your own screen is not mirrored like your camera: its text reads as it is.
    expect(await screen.locator("canvas").evaluate((c) => getComputedStyle(c).transform)).toBe("none");
    expect(await controls.getByRole("button", { name: "Share screen" }).count()).toBe(0);
    await screenshots(page, "meeting-sharing-yourself");

    await controls.getByRole("button", { name: "Stop sharing" }).click();
    await w.waitForCall("stop_sharing");
    await screen.getByRole("button", { name: "Stop sharing" }).click();
    await w.waitForCall("stop_sharing", 2);
    expect(asked.length).toBeGreaterThan(0);

    // Stopped: the button offers to share again and the screen goes.
    await w.emit("media", mediaOn);
    await w.server(state(participantsShare()));
    await controls.getByRole("button", { name: "Share screen" }).waitFor();
    await screen.waitFor({ state: "detached" });
    // Stopping is no news to the one who stopped.
    expect(await page.getByRole("alert").count()).toBe(0);
    await w.close();
  });

  test("someone sharing in your room: their screen large, whole, with the people beside it", async () => {
    const w = await bobInRoom(bobView(), true);
    const { page } = w;
    await page.clock.resume();
    await page.route("http://breakout-media.localhost/**", async (route) => {
      const entries = wanted(route.request().url());
      const fresh = entries.filter((e) => e.startsWith("15:0:") || e.startsWith("6:0:"));
      if (fresh.length > 0) {
        await route.fulfill(frames(fresh.map((e) => (e.startsWith("15:") ? { mid: "15", seq: 1, participant: String(dan.id) } : { mid: "6", seq: 2, participant: String(dan.id) }))));
      } else {
        await new Promise((ok) => setTimeout(ok, 300));
        await route.fulfill({ status: 204, headers: CORS });
      }
    });
    await w.emit("media", { ...mediaOn, notes: [] });
    await page.locator('.tile[data-participant="4"] canvas[data-live="true"]').waitFor();
    const grid = await page.locator("ul.tiles").boundingBox();

    await w.server(state(sharedIn(dan.id)));
    const screen = page.getByRole("region", { name: "Dan Wu is sharing their screen" });
    await screen.getByTestId("screen-label").getByText("Dan Wu is sharing their screen").waitFor();
    // The screen slot's pictures, shown whole (not cropped), as large as the stage allows.
    const canvas = screen.locator('canvas[data-mid="15"][data-live="true"]');
    await canvas.waitFor();
    expect(await canvas.evaluate(redSpread)).toBeGreaterThan(64);
    expect(await canvas.evaluate((c) => getComputedStyle(c).objectFit)).toBe("contain");
    // Only the sharer stops their share.
    expect(await screen.getByRole("button", { name: "Stop sharing" }).count()).toBe(0);
    expect(await page.getByRole("button", { name: "Share screen" }).count()).toBe(0);

    // The people in a column beside it, every tile there, below one another.
    const box = (await screen.boundingBox())!;
    const tiles = page.locator(".tile");
    expect(await tiles.count()).toBe(3);
    for (let i = 0; i < 3; i++) {
      const tile = (await tiles.nth(i).boundingBox())!;
      expect(tile.x).toBeGreaterThanOrEqual(box.x + box.width);
      if (i > 0) expect(tile.y).toBeGreaterThan((await tiles.nth(i - 1).boundingBox())!.y);
    }
    expect(box.width).toBeGreaterThan(2 * (await tiles.first().boundingBox())!.width);
    // Dan's camera keeps playing in his tile.
    await page.locator('.tile[data-participant="4"] canvas[data-live="true"]').waitFor();
    await screenshots(page, "meeting-shared-screen");

    // A small window: the screen stays the larger part, and nothing spills out.
    await page.setViewportSize({ width: 800, height: 600 });
    const small = (await screen.boundingBox())!;
    expect(small.width).toBeGreaterThan(2 * (await tiles.first().boundingBox())!.width);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await page.setViewportSize({ width: 1280, height: 800 });

    // Nobody shares any more: the room's grid as before.
    await w.server(state(bobView()));
    await screen.waitFor({ state: "detached" });
    expect(await page.locator("ul.tiles.strip").count()).toBe(0);
    await expect.poll(async () => (await page.locator("ul.tiles").boundingBox())?.width).toBe(grid?.width);
    await w.close();
  });

  test("your share ended by someone else's: you are told once", async () => {
    const view = participantsShare();
    const w = await bobInRoom(view);
    const { page } = w;
    await w.emit("media", { ...mediaOn, sharing: true });
    await w.server(state(sharedIn(bob.id, participantsShare())));
    await page.getByRole("region", { name: "You are sharing your screen" }).waitFor();
    // The meeting lets Dan's share replace Bob's: the app stops sending, then the view says so.
    await w.emit("media", mediaOn);
    await w.server(state(sharedIn(dan.id, participantsShare())));
    const notice = page.getByRole("alert").filter({ hasText: "Dan Wu is sharing now; your share ended." });
    await notice.waitFor();
    await page.getByRole("region", { name: "Dan Wu is sharing their screen" }).waitFor();
    await page.getByRole("button", { name: "Share screen" }).waitFor();
    await screenshots(page, "meeting-share-ended");
    // Said once.
    await w.server(state(sharedIn(dan.id, participantsShare())));
    await w.emit("media", mediaOn);
    await w.server(state(sharedIn(null, participantsShare())));
    expect(await notice.count()).toBe(1);
    await w.close();
  });
});
