// The host dashboard: every action, with the exact command it sends and what
// the board shows once the server answers with a new state.

import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Browser, Locator, Page } from "playwright-core";
import { SEED, launch, open, screenshots, serveDist, type Opened } from "./harness";
import {
  SERVER_AHEAD_MS,
  T0,
  ada,
  bob,
  bobView,
  cara,
  dan,
  defaultConfig,
  hostView,
  joined,
  noConstraints,
  state,
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

const serverNow = T0 + SERVER_AHEAD_MS;
const running = { state: "running" as const, started_at: serverNow - 60_000, ends_at: serverNow + 20 * 60_000 };
const inRooms = { 0: [ada], 1: [bob, cara], 2: [dan] };
const plan = { 1: [2, 3], 2: [4] };

async function dashboard(view = hostView(), viewport?: { width: number; height: number }): Promise<Opened> {
  const w = await open(browser, server.url, "dashboard.html", {
    clockAt: T0 - 5_000,
    viewport,
    answers: { get_state: { value: view }, export_assignments: { value: "name,email,room\nBob Okafor,,Room 1\n" } },
  });
  await w.page.clock.pauseAt(T0);
  // The meeting window's welcome taught the offset; the dashboard hears it too.
  await w.server(welcome(view));
  await w.page.getByRole("heading", { name: "Breakout rooms" }).waitFor();
  return w;
}

function column(page: Page, title: string): Locator {
  return page.getByRole("group", { name: title, exact: true });
}

function person(scope: Page | Locator, name: string): Locator {
  return scope.locator("button.person", { hasText: name });
}

describe("dashboard before breakouts", () => {
  test("creates rooms, then keeps or recreates them", async () => {
    const w = await dashboard(hostView({ rooms: [] }));
    const { page } = w;
    await page.getByLabel("Number of rooms").fill("3");
    await page.getByLabel(/Names/).fill("Ideas\nPlanning\n\nReview");
    await page.getByRole("button", { name: "Create rooms" }).click();
    expect(await w.nextCommand()).toEqual({ type: "create_rooms", count: 3, names: ["Ideas", "Planning", "Review"] });
    const three = hostView({ rooms: [{ id: 1, title: "Ideas" }, { id: 2, title: "Planning" }, { id: 3, title: "Review" }] });
    await w.server(state(three));
    await column(page, "Planning").waitFor();
    await page.getByText("3 rooms ready.").waitFor();

    await page.getByRole("button", { name: "Create new rooms" }).click();
    await page.getByText("This replaces the 3 current rooms").waitFor();
    await page.getByRole("button", { name: "Keep existing rooms" }).click();
    await page.getByText("3 rooms ready.").waitFor();

    await page.getByRole("button", { name: "Add a room" }).click();
    expect(await w.nextCommand()).toEqual({ type: "add_room", title: null, open: true });
    await w.close();
  });

  test("edits a room: rename, assigned only, delete", async () => {
    const w = await dashboard();
    const { page } = w;
    await page.getByRole("button", { name: "Edit Room 2" }).click();
    const dialog = page.getByRole("dialog", { name: "Edit Room 2" });
    await dialog.getByLabel("Name").fill("Design");
    await dialog.getByLabel("Open to anyone who may choose a room").uncheck();
    await dialog.getByRole("button", { name: "Save" }).click();
    expect(await w.nextCommand()).toEqual({ type: "rename_room", room: 2, title: "Design" });
    expect(await w.nextCommand()).toEqual({ type: "set_room_open", room: 2, open: false });
    await w.server(state(hostView({ rooms: [{ id: 1, title: "Room 1" }, { id: 2, title: "Design", open: false }] })));
    await column(page, "Design").getByText("Assigned only").waitFor();

    await page.getByRole("button", { name: "Edit Design" }).click();
    await page.getByRole("dialog", { name: "Edit Design" }).getByRole("button", { name: "Delete room" }).click();
    expect(await w.nextCommand()).toEqual({ type: "delete_room", room: 2 });
    await w.close();
  });

  test("saves settings", async () => {
    const w = await dashboard();
    const { page } = w;
    await page.getByRole("radio", { name: /Let people choose/ }).check();
    await page.getByLabel("Move people into their rooms automatically").uncheck();
    await page.getByLabel("Allow returning to the main room").uncheck();
    await page.getByLabel("Countdown before a move (s)").fill("10");
    await page.getByLabel("Countdown when closing (s)").fill("30");
    await page.getByLabel("Minutes before the automatic end").fill("45");
    await page.getByRole("button", { name: "Save settings" }).click();
    expect(await w.nextCommand()).toEqual({
      type: "configure",
      config: { ...defaultConfig, assignment: "choose", auto_move: false, allow_return_to_main: false, move_countdown_secs: 10, closing_countdown_secs: 30, auto_end_mins: 45 },
    });
    await page.getByLabel("End automatically after").uncheck();
    await page.getByLabel("Allow late arrivals to join their room").uncheck();
    await page.getByLabel("Tell a room when a host or cohost listens in").uncheck();
    await page.getByRole("button", { name: "Save settings" }).click();
    const second = (await w.nextCommand()) as { config: Record<string, unknown> };
    expect(second.config.auto_end_mins).toBeNull();
    expect(second.config.allow_join_later).toBe(false);
    expect(second.config.announce_listeners).toBe(false);
    // The server's config wins when it changes.
    await w.server({ type: "event", event: { type: "config_changed", config: { ...defaultConfig, closing_countdown_secs: 90 } } });
    await page.waitForFunction(() => (document.querySelector("input[name=closing-countdown]") as HTMLInputElement).value === "90");
    await w.close();
  });

  test("saves whether participants may share their screen and what a second sharer's start does", async () => {
    const w = await dashboard();
    const { page } = w;
    const may = page.getByLabel("Participants may share their screen");
    const replaces = page.getByRole("radio", { name: "Their share replaces the current one" });
    const refused = page.getByRole("radio", { name: "They are refused" });
    expect(await may.isChecked()).toBe(false);
    expect(await replaces.isChecked()).toBe(true);
    await may.check();
    await refused.check();
    await page.getByRole("button", { name: "Save settings" }).click();
    expect(await w.nextCommand()).toEqual({
      type: "configure",
      config: { ...defaultConfig, participants_may_share: true, second_sharer: "is_refused" },
    });
    await w.server({ type: "event", event: { type: "config_changed", config: { ...defaultConfig, participants_may_share: true, second_sharer: "is_refused" } } });
    expect(await refused.isChecked()).toBe(true);
    // Another host turns both back: the form follows the server.
    await w.server({ type: "event", event: { type: "config_changed", config: defaultConfig } });
    await page.waitForFunction(() => !(document.querySelector("input[name=participants-may-share]") as HTMLInputElement).checked);
    expect(await replaces.isChecked()).toBe(true);
    await page.getByRole("button", { name: "Save settings" }).click();
    expect(await w.nextCommand()).toEqual({ type: "configure", config: defaultConfig });
    await w.close();
  });

  test("drags people (the host too) between rooms and main", async () => {
    const w = await dashboard();
    const { page } = w;
    await person(column(page, "Main room"), "Bob Okafor").dragTo(column(page, "Room 1"));
    expect(await w.nextCommand()).toEqual({ type: "assign", participant: 2, room: 1 });
    await person(page, "Ada Lovelace").dragTo(column(page, "Room 2"));
    expect(await w.nextCommand()).toEqual({ type: "assign", participant: 1, room: 2 });
    await w.server(state(hostView({ assigned: { 1: [2], 2: [1] } })));
    await person(column(page, "Room 1"), "Bob Okafor").waitFor();
    await person(column(page, "Room 2"), "Ada Lovelace").waitFor();
    await person(column(page, "Room 1"), "Bob Okafor").dragTo(column(page, "Main room"));
    expect(await w.nextCommand()).toEqual({ type: "assign", participant: 2, room: null });
    await screenshots(page, "dashboard-planning");
    await w.close();
  });

  test("moves people with the keyboard: select, then Move here", async () => {
    const w = await dashboard();
    const { page } = w;
    await person(page, "Cara Jensen").focus();
    await page.keyboard.press("Enter");
    await person(page, "Dan Wu").focus();
    await page.keyboard.press("Space");
    await page.getByText("2 selected.").waitFor();
    expect(await person(page, "Cara Jensen").getAttribute("aria-pressed")).toBe("true");
    await page.getByRole("button", { name: "Move here to Room 2" }).focus();
    await page.keyboard.press("Enter");
    expect(await w.nextCommand()).toEqual({ type: "assign", participant: 3, room: 2 });
    expect(await w.nextCommand()).toEqual({ type: "assign", participant: 4, room: 2 });
    await page.getByText("2 selected.").waitFor({ state: "detached" });
    await w.close();
  });

  test("auto-assign, shuffle, round robin, keep together and apart", async () => {
    const w = await dashboard();
    const { page } = w;
    await page.getByRole("button", { name: "Auto-assign" }).click();
    expect(await w.nextCommand()).toEqual({ type: "auto_assign", seed: SEED, minimise_repeats: true });
    await page.getByLabel("Avoid repeat pairs").uncheck();
    await page.getByRole("button", { name: "Auto-assign" }).click();
    expect(await w.nextCommand()).toEqual({ type: "auto_assign", seed: SEED, minimise_repeats: false });
    await page.getByRole("button", { name: "Shuffle" }).click();
    expect(await w.nextCommand()).toEqual({ type: "shuffle", seed: SEED, minimise_repeats: false });
    await page.getByRole("button", { name: "Round robin" }).click();
    expect(await w.nextCommand()).toEqual({ type: "round_robin" });

    await person(page, "Dan Wu").click();
    await person(page, "Bob Okafor").click();
    await page.getByRole("button", { name: "Keep together" }).click();
    expect(await w.nextCommand()).toEqual({ type: "keep_together", participants: [2, 4] });
    await person(page, "Bob Okafor").click();
    await person(page, "Cara Jensen").click();
    await page.getByRole("button", { name: "Keep apart" }).click();
    expect(await w.nextCommand()).toEqual({ type: "keep_apart", participants: [2, 3] });
    await w.server(state(hostView({ assignment: noConstraints({ keep_together: [[2, 4]], keep_apart: [[2, 3]] }) })));
    await page.getByTestId("keep-together").getByText("Bob Okafor, Dan Wu").waitFor();
    await page.getByTestId("keep-apart").getByText("Bob Okafor, Cara Jensen").waitFor();
    await page.getByRole("button", { name: "Clear keep-together/apart" }).click();
    expect(await w.nextCommand()).toEqual({ type: "clear_constraints" });
    await w.close();
  });

  test("shows broken constraints, repeat pairings and the rotation plan; plans a rotation", async () => {
    const assignment = noConstraints({
      keep_apart: [[2, 3]],
      violations: ["Bob Okafor and Cara Jensen must be kept apart but are all assigned to Room 1"],
      repeats: 2,
      rotation: { rounds: 4, next_round: 2, next_round_repeats: 0, planned_repeats: 0 },
    });
    const w = await dashboard(hostView({ assigned: { 1: [2, 3] }, assignment }));
    const { page } = w;
    await page.getByRole("status", { name: "Constraints broken" }).getByText("must be kept apart but are all assigned to Room 1").waitFor();
    await page.getByTestId("repeats").getByText("2 repeat pairings").waitFor();
    await page.getByTestId("rotation").getByText(/round 2 of 4 is next/).waitFor();
    await screenshots(page, "dashboard-constraints");
    await page.getByLabel("Rounds").fill("5");
    await page.getByRole("button", { name: "Plan rotation" }).click();
    expect(await w.nextCommand()).toEqual({ type: "plan_rotation", rounds: 5, seed: SEED });
    await w.close();
  });

  test("imports and exports assignments as CSV", async () => {
    const w = await dashboard();
    const { page } = w;
    const download = page.waitForEvent("download");
    await page.getByRole("button", { name: "Export CSV" }).click();
    await w.waitForCall("export_assignments");
    const file = await download;
    expect(file.suggestedFilename()).toBe("breakout-assignments-m-team.csv");
    expect(readFileSync(await file.path(), "utf8")).toBe("name,email,room\nBob Okafor,,Room 1\n");

    // Pick, preview, confirm: the same text goes to the import.
    const csv = "name,email,room\nCara Jensen,,Room 2\nDan Wu,,Design\n";
    await w.answer("preview_assignments_csv", {
      value: { rooms_created: ["Design"], changes: [{ participant: 3, name: "Cara Jensen", room: "Room 2" }, { participant: 4, name: "Dan Wu", room: "Design" }], unchanged: 0 },
    });
    await page.getByLabel("Assignments CSV file").setInputFiles({ name: "plan.csv", mimeType: "text/csv", buffer: Buffer.from(csv) });
    const dialog = page.getByRole("dialog", { name: "Import plan.csv?" });
    await dialog.getByText("Cara Jensen: Main room → Room 2").waitFor();
    expect((await w.waitForCall("preview_assignments_csv")).args).toEqual({ csv });
    await screenshots(page, "dashboard-csv-preview");
    await dialog.getByRole("button", { name: "Import" }).click();
    expect((await w.waitForCall("import_assignments_csv")).args).toEqual({ csv });
    await dialog.waitFor({ state: "detached" });

    // A refused file: the server's sentence with its line, nothing to confirm.
    await w.answer("preview_assignments_csv", { error: { code: "invalid_csv", message: 'CSV line 2: nobody with name "Zoe"' } });
    await page.getByLabel("Assignments CSV file").setInputFiles({ name: "bad.csv", mimeType: "text/csv", buffer: Buffer.from("name,room\nZoe,A\n") });
    const refused = page.getByRole("dialog", { name: "Import bad.csv?" });
    await refused.getByRole("alert").getByText('CSV line 2: nobody with name "Zoe"').waitFor();
    expect(await refused.getByRole("button", { name: "Import" }).count()).toBe(0);
    await refused.getByRole("button", { name: "Cancel" }).click();
    await refused.waitFor({ state: "detached" });
    expect((await w.calls()).filter((c) => c.cmd === "import_assignments_csv")).toHaveLength(1);
    await w.close();
  });

  test("start, and a refusal shown as a toast", async () => {
    const w = await dashboard();
    const { page } = w;
    await w.answer("send_command", { error: { code: "no_rooms", message: "there are no breakout rooms" } });
    await page.getByRole("button", { name: "Start breakouts" }).click();
    await page.getByRole("alert").getByText("there are no breakout rooms").waitFor();
    expect(await w.nextCommand()).toEqual({ type: "start" });
    await w.answer("send_command", { value: null });
    await page.getByRole("button", { name: "Start breakouts" }).click();
    expect(await w.nextCommand()).toEqual({ type: "start" });
    await w.server(state(hostView({ phase: running, placement: inRooms, assigned: plan })));
    await page.getByTestId("phase").getByText("Running").waitFor();
    await page.getByTestId("remaining").getByText("20:00 left").waitFor();
    await page.clock.runFor(30_000);
    await page.getByTestId("remaining").getByText("19:30 left").waitFor();
    await w.close();
  });
});

describe("dashboard while breakouts run", () => {
  const view = () => hostView({ phase: running, placement: inRooms, assigned: { ...plan, 2: [4, 1] } });

  test("run controls send their commands", async () => {
    const w = await dashboard(view());
    const { page } = w;
    await page.getByLabel("Minutes to add").fill("10");
    await page.getByRole("button", { name: "Add time" }).click();
    expect(await w.nextCommand()).toEqual({ type: "add_time", minutes: 10 });
    await page.getByRole("button", { name: "Cancel automatic end" }).click();
    expect(await w.nextCommand()).toEqual({ type: "cancel_auto_end" });
    await page.getByRole("button", { name: "Gather everyone" }).click();
    expect(await w.nextCommand()).toEqual({ type: "gather" });
    await page.getByRole("button", { name: "Send back to rooms" }).click();
    expect(await w.nextCommand()).toEqual({ type: "send_to_rooms" });
    await page.getByRole("button", { name: "Ask all to return" }).click();
    expect(await w.nextCommand()).toEqual({ type: "ask_all_to_return" });
    await column(page, "Room 2").getByRole("button", { name: "Visit" }).click();
    expect(await w.nextCommand()).toEqual({ type: "visit", room: 2 });
    await page.getByRole("button", { name: "End breakouts" }).click();
    expect(await w.nextCommand()).toEqual({ type: "end" });
    await w.server({ type: "event", event: { type: "closing", at: serverNow + 60_000 } });
    await page.getByTestId("phase").getByText("Closing · back in main in 1:00").waitFor();
    await w.server({ type: "event", event: { type: "time_changed", ends_at: null } });
    await w.server({ type: "event", event: { type: "breakouts_ended" } });
    await page.getByRole("button", { name: "Start breakouts" }).waitFor();
    await w.close();
  });

  test("board shows where people are and who is still on the way", async () => {
    const w = await dashboard(view());
    const { page } = w;
    // Ada is assigned to Room 2 but still in main.
    await person(column(page, "Room 2"), "Ada Lovelace").getByText("not here yet").waitFor();
    await person(column(page, "Main room"), "Ada Lovelace").waitFor();
    await person(column(page, "Room 1"), "Cara Jensen").dragTo(column(page, "Room 2"));
    expect(await w.nextCommand()).toEqual({ type: "assign", participant: 3, room: 2 });
    await w.close();
  });

  test("broadcast to all rooms or one room with an audience", async () => {
    const w = await dashboard(view());
    const { page } = w;
    await page.getByRole("textbox", { name: "Message", exact: true }).fill("Five minutes left.");
    await page.getByRole("button", { name: "Send", exact: true }).click();
    expect(await w.nextCommand()).toEqual({ type: "broadcast", text: "Five minutes left.", room: null, audience: "everyone" });
    await page.waitForFunction(() => (document.querySelector("textarea[name=broadcast]") as HTMLTextAreaElement).value === "");
    await page.getByRole("textbox", { name: "Message", exact: true }).fill("Presenters, please share your screen.");
    await page.getByLabel("To", { exact: true }).selectOption({ label: "Room 2" });
    await page.getByLabel("Audience").selectOption("presenters");
    await page.getByRole("button", { name: "Send", exact: true }).click();
    expect(await w.nextCommand()).toEqual({ type: "broadcast", text: "Presenters, please share your screen.", room: 2, audience: "presenters" });
    await w.close();
  });

  test("help requests are highlighted; join or dismiss", async () => {
    const w = await dashboard(view());
    const { page } = w;
    const help = [{ participant: 3, name: "Cara Jensen", room: 1, at: serverNow - 5_000 }];
    await w.server(state(hostView({ phase: running, placement: { 0: [ada], 1: [bob, { ...cara, help_requested: true }], 2: [dan] }, assigned: plan, help })));
    const item = page.locator('[data-help="3"]');
    await item.getByText("Cara Jensen").waitFor();
    await page.locator('.column.help[data-room="1"]').waitFor();
    await page.getByRole("button", { name: "Cara Jensen, asking for help" }).waitFor();
    await w.emit("speaking", { participant: dan.id, level: 0.8 });
    await column(page, "Room 2").locator('[data-speaking="true"]').waitFor();
    await screenshots(page, "dashboard-running");
    await item.getByRole("button", { name: "Join Room 1" }).click();
    expect(await w.nextCommand()).toEqual({ type: "visit", room: 1 });
    await item.getByRole("button", { name: "Dismiss help request from Cara Jensen" }).click();
    expect(await w.nextCommand()).toEqual({ type: "dismiss_help", participant: 3 });
    await w.server({ type: "event", event: { type: "help_dismissed", participant: 3 } });
    await item.waitFor({ state: "detached" });
    // A new request arrives as an event before the next state.
    await w.server({ type: "event", event: { type: "help_requested", participant: 4, room: 2 } });
    await page.locator('[data-help="4"]').getByText("Dan Wu").waitFor();
    await w.close();
  });

  test("room cards show who speaks and how long a room has been silent", async () => {
    const w = await dashboard(view());
    const { page } = w;
    await w.server({
      type: "speaking",
      rooms: [
        { room: 0, speakers: [], since: serverNow - 20_000 },
        { room: 1, speakers: [2, 3], since: serverNow - 15_000 },
        { room: 2, speakers: [], since: serverNow - 3 * 60_000 },
      ],
    });
    await column(page, "Room 1").getByText("Speaking: Bob Okafor, Cara Jensen").waitFor();
    await column(page, "Room 2").getByText("Silent for 3:00").waitFor();
    await column(page, "Main room").getByText("Silent for 0:20").waitFor();
    // Two minutes of silence stand out; shorter silences do not.
    await page.locator('.column.quiet[data-room="2"]').waitFor();
    expect(await page.locator(".column.quiet").count()).toBe(1);
    // Time passes on the server's clock: main's silence reaches two minutes.
    await page.clock.runFor(100_000);
    await column(page, "Main room").getByText("Silent for 2:00").waitFor();
    await page.locator('.column.quiet[data-room="0"]').waitFor();
    await screenshots(page, "dashboard-speaking");
    await w.close();
  });

  test("listens in on a room and switches to another; the button says which", async () => {
    const w = await dashboard(view());
    const { page } = w;
    await column(page, "Room 1").getByRole("button", { name: "Listen to Room 1" }).click();
    expect(await w.nextCommand()).toEqual({ type: "listen_in", room: 1 });
    const listening = view();
    listening.rooms[1].listeners = [ada.id];
    await w.server(state(listening));
    const pressed = column(page, "Room 1").getByRole("button", { name: "Listening to Room 1" });
    expect(await pressed.getAttribute("aria-pressed")).toBe("true");
    await page.locator('.column.listened[data-room="1"]').waitFor();
    // Another room switches at once; pressing the same one stops.
    await column(page, "Room 2").getByRole("button", { name: "Listen to Room 2" }).click();
    expect(await w.nextCommand()).toEqual({ type: "listen_in", room: 2 });
    await pressed.click();
    expect(await w.nextCommand()).toEqual({ type: "listen_in", room: null });
    // Your own room has nothing to listen in on.
    expect(await column(page, "Main room").getByRole("button", { name: /Listen/ }).count()).toBe(0);
    await w.close();
  });

  test("records a room and stops; the button says which rooms are recorded", async () => {
    const w = await dashboard(view());
    const { page } = w;
    await column(page, "Room 1").getByRole("button", { name: "Record Room 1" }).click();
    expect(await w.nextCommand()).toEqual({ type: "record", room: 1, active: true });
    const recorded = view();
    recorded.rooms[1].recording = true;
    await w.server(state(recorded));
    const pressed = column(page, "Room 1").getByRole("button", { name: "Recording Room 1" });
    expect(await pressed.getAttribute("aria-pressed")).toBe("true");
    const other = column(page, "Room 2").getByRole("button", { name: "Record Room 2" });
    expect(await other.getAttribute("aria-pressed")).toBe("false");
    await pressed.click();
    expect(await w.nextCommand()).toEqual({ type: "record", room: 1, active: false });
    await w.close();
  });

  test("room cards say whose screen a room sees", async () => {
    const w = await dashboard(view());
    const { page } = w;
    expect(await page.getByTestId("sharing").count()).toBe(0);
    const sharing = view();
    sharing.rooms[0].sharing = ada.id;
    sharing.rooms[1].sharing = cara.id;
    await w.server(state(sharing));
    await column(page, "Room 1").getByTestId("sharing").getByText("Sharing: Cara Jensen").waitFor();
    await column(page, "Main room").getByTestId("sharing").getByText("Sharing: Ada Lovelace").waitFor();
    expect(await column(page, "Room 2").getByTestId("sharing").count()).toBe(0);
    await screenshots(page, "dashboard-sharing");
    await w.server(state(view()));
    await column(page, "Room 1").getByTestId("sharing").waitFor({ state: "detached" });
    await w.close();
  });

  test("hold to speak to all rooms: pressed sends, released stops; a refusal is shown", async () => {
    const w = await dashboard(view());
    const { page } = w;
    const talk = page.getByTestId("speak-to-all");
    await talk.hover();
    await page.mouse.down();
    expect((await w.waitForCall("speak_to_all", 1)).args).toEqual({ active: true });
    await page.getByRole("button", { name: "Speaking to all rooms…" }).waitFor();
    await w.server(state(hostView({ phase: running, placement: inRooms, assigned: plan, speakingToAll: ada })));
    await screenshots(page, "dashboard-speak-to-all");
    await page.mouse.up();
    expect((await w.waitForCall("speak_to_all", 2)).args).toEqual({ active: false });
    await page.getByRole("button", { name: "Hold to speak to all rooms" }).waitFor();
    // The keyboard holds it too.
    await talk.focus();
    await page.keyboard.down(" ");
    expect((await w.waitForCall("speak_to_all", 3)).args).toEqual({ active: true });
    await page.keyboard.up(" ");
    expect((await w.waitForCall("speak_to_all", 4)).args).toEqual({ active: false });
    // Someone else holds it: the server refuses, and says who.
    await w.answer("speak_to_all", { error: { code: "speak_to_all_taken", message: "Cara Jensen is speaking to all rooms; wait until they finish" } });
    await talk.hover();
    await page.mouse.down();
    await page.getByText("Cara Jensen is speaking to all rooms; wait until they finish").waitFor();
    await page.mouse.up();
    await page.getByRole("button", { name: "Hold to speak to all rooms" }).waitFor();
    await w.server(state(hostView({ phase: running, placement: inRooms, assigned: plan, speakingToAll: cara })));
    await page.getByTestId("speaker").getByText("Cara Jensen is speaking to all rooms").waitFor();
    await w.close();
  });

  test("readable at 800×600", async () => {
    const w = await dashboard(view(), { width: 800, height: 600 });
    const { page } = w;
    await page.getByRole("button", { name: "End breakouts" }).waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await w.close();
  });
});

describe("dashboard access", () => {
  test("people who do not manage breakouts are told so", async () => {
    const w = await open(browser, server.url, "dashboard.html", { answers: { get_state: { value: bobView() } } });
    await w.page.getByText("Only hosts and cohosts manage breakout rooms.").waitFor();
    await w.close();
  });

  test("shows the invite code the meeting window stored", async () => {
    const w = await open(browser, server.url, "dashboard.html", { answers: { get_state: { value: hostView() } } });
    await w.page.evaluate((j) => localStorage.setItem("breakout.joined", JSON.stringify(j)), joined);
    await w.page.reload();
    await w.page.getByText("TEAM-4821").waitFor();
    await w.close();
  });
});
