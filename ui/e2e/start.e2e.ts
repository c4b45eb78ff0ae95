// The start screen's memory: the name and the recent servers come back from
// the shell, entries can be reused and removed, and a typed https address
// asks before joining without the invite link's certificate check.

import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Browser } from "playwright-core";
import { launch, open, screenshots, serveDist } from "./harness";
import { bobView, joined } from "./fixtures";

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
const pinned = `breakout://join?server=https://meet.example:7800&code=WORK-1234&fp=sha256:${"ab".repeat(32)}`;
const memory = {
  name: "Ada Lovelace",
  recent: [
    { server: "https://meet.example:7800", link: pinned },
    { server: "http://192.168.1.20:7800", link: "" },
    { server: "http://10.0.0.9:7800", link: "" },
  ],
};

describe("start screen memory", () => {
  test("shows the remembered name and recent servers; reuses and removes them", async () => {
    const w = await open(browser, server.url, "index.html", {
      answers: { get_state: notJoined, get_start_memory: { value: memory } },
    });
    const { page } = w;
    const recent = page.getByRole("region", { name: "Recent" });
    await recent.getByRole("button", { name: /^meet\.example:7800/ }).waitFor();
    expect(await page.getByLabel("Your name").first().inputValue()).toBe("Ada Lovelace");
    expect(await page.getByLabel("Your name").nth(1).inputValue()).toBe("Ada Lovelace");
    expect(await recent.getByRole("listitem").allInnerTexts()).toEqual([
      expect.stringContaining("meet.example:7800"),
      expect.stringContaining("192.168.1.20:7800"),
      expect.stringContaining("10.0.0.9:7800"),
    ]);
    await screenshots(page, "start-recent");

    // Removing an entry keeps the rest, in order.
    await recent.getByRole("button", { name: "Remove 10.0.0.9:7800" }).click();
    const removed = await w.waitForCall("save_start_memory");
    expect(removed.args).toEqual({ memory: { name: "Ada Lovelace", recent: memory.recent.slice(0, 2) } });
    expect(await recent.getByRole("listitem").count()).toBe(2);

    // An address entry fills the server field; a link entry the invite field.
    await recent.getByRole("button", { name: /^192\.168\.1\.20:7800/ }).click();
    expect(await page.getByLabel("Server address").inputValue()).toBe("http://192.168.1.20:7800");
    await recent.getByRole("button", { name: /^meet\.example:7800/ }).click();
    expect(await page.getByLabel("Invite code or link").inputValue()).toBe(pinned);

    // Joining puts that server first, with the link it was joined with.
    await w.answer("join_meeting", { value: { ...joined, server_url: "https://meet.example:7800" } });
    await w.answer("get_state", { value: bobView() });
    await page.getByRole("button", { name: "Join meeting" }).click();
    const call = await w.waitForCall("join_meeting");
    expect(call.args).toEqual({ server_url: "", invite_code: pinned, name: "Ada Lovelace" });
    const saved = await w.waitForCall("save_start_memory", 2);
    expect(saved.args).toEqual({
      memory: {
        name: "Ada Lovelace",
        recent: [
          { server: "https://meet.example:7800", link: pinned },
          { server: "http://192.168.1.20:7800", link: "" },
        ],
      },
    });
    await page.getByRole("heading", { name: "Room 1" }).waitFor();
    await w.close();
  });

  test("a typed https address asks before joining without the link", async () => {
    const w = await open(browser, server.url, "index.html", {
      answers: { get_state: notJoined, get_start_memory: { value: { name: "", recent: [] } } },
    });
    const { page } = w;
    await page.getByRole("heading", { name: "Join", exact: true }).waitFor();
    expect(await page.getByRole("region", { name: "Recent" }).count()).toBe(0);
    await page.getByLabel("Invite code or link").fill("TEAM-4821");
    await page.getByLabel("Server address").fill("https://meet.example");
    await page.getByLabel("Your name").nth(1).fill("Bob Okafor");
    await page.getByRole("button", { name: "Join meeting" }).click();
    const choice = page.getByRole("alertdialog", { name: "The server's certificate cannot be checked" });
    await choice.waitFor();
    await screenshots(page, "start-pin-choice");
    // Steered to the link: the choice goes, the invite field empties and has focus.
    await choice.getByRole("button", { name: "Paste the invite link" }).click();
    await choice.waitFor({ state: "detached" });
    expect(await page.getByLabel("Invite code or link").inputValue()).toBe("");
    expect(await page.getByLabel("Invite code or link").evaluate((e) => e === document.activeElement)).toBe(true);

    // Choosing to go on without it joins as typed.
    await page.getByLabel("Invite code or link").fill("TEAM-4821");
    await page.getByRole("button", { name: "Join meeting" }).click();
    await w.answer("join_meeting", { value: { ...joined, server_url: "https://meet.example" } });
    await w.answer("get_state", { value: bobView() });
    await choice.getByRole("button", { name: "Join without the link" }).click();
    const call = await w.waitForCall("join_meeting");
    expect(call.args).toEqual({ server_url: "https://meet.example", invite_code: "TEAM-4821", name: "Bob Okafor" });
    const calls = await w.calls();
    expect(calls.filter((c) => c.cmd === "join_meeting")).toHaveLength(1);
    const saved = await w.waitForCall("save_start_memory");
    expect(saved.args).toEqual({
      memory: { name: "Bob Okafor", recent: [{ server: "https://meet.example", link: "" }] },
    });
    await w.close();
  });
});
