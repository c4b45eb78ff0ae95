// The dashboard's CSV import against a real breakout-server: the shell's two
// CSV commands are answered by the server's REST endpoints (as the shell's
// breakout-client calls them), so the preview the host confirms, the import
// and a refusal after the meeting changed are the server's own answers.

import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { hostView, member } from "./fixtures";
import { launch, open, serveDist } from "./harness";
import { RealServer } from "./server";

let browser: Browser;
let dist: Awaited<ReturnType<typeof serveDist>>;

beforeAll(async () => {
  dist = await serveDist();
  browser = await launch();
});

afterAll(async () => {
  await browser?.close();
  await dist?.close();
});

describe("dashboard against a real server", () => {
  test("CSV: the server's preview, cancel changes nothing, confirm imports, a changed meeting is refused", async () => {
    const real = await RealServer.start();
    try {
      await csvAgainst(real);
    } finally {
      await real.stop();
    }
  });

  async function csvAgainst(real: RealServer) {
    const meeting = await real.meeting("Workshop");
    const host = await real.add(meeting, "Ada Lovelace", "host");
    const people = [];
    for (const name of ["Bob Okafor", "Cara Jensen", "Dan Wu"]) people.push(await real.add(meeting, name, "participant"));
    const [b, c, d] = people.map((p) => p.participant);
    const view = hostView({
      rooms: [],
      placement: { 0: [member(host.participant, "Ada Lovelace"), member(b, "Bob Okafor"), member(c, "Cara Jensen"), member(d, "Dan Wu")] },
    });
    const w = await open(browser, dist.url, "dashboard.html", {
      answers: { get_state: { value: view } },
      forward: {
        preview_assignments_csv: real.csvCommand(meeting, host.token, true),
        import_assignments_csv: real.csvCommand(meeting, host.token, false),
      },
    });
    await w.page.getByRole("heading", { name: "Breakout rooms" }).waitFor();
    const { page } = w;
    const pick = (name: string, csv: string) =>
      page.getByLabel("Assignments CSV file").setInputFiles({ name, mimeType: "text/csv", buffer: Buffer.from(csv) });

    const plan = "name,email,room\nBob Okafor,,Design\n\nCara Jensen,,Design\nDan Wu,,Main room\n";
    await pick("plan.csv", plan);
    let dialog = page.getByRole("dialog", { name: "Import plan.csv?" });
    await dialog.getByTestId("csv-rooms").getByText("Design").waitFor();
    expect(await dialog.getByTestId("csv-moves").locator("li").allTextContents()).toEqual([
      "Bob Okafor: Main room → Design",
      "Cara Jensen: Main room → Design",
    ]);
    await dialog.getByText("1 person in the file is already there.").waitFor();
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await dialog.waitFor({ state: "detached" });
    expect(await real.roomTitles(meeting)).toEqual([]);

    await pick("plan.csv", plan);
    dialog = page.getByRole("dialog", { name: "Import plan.csv?" });
    await dialog.getByRole("button", { name: "Import" }).click();
    await dialog.waitFor({ state: "detached" });
    expect(await real.roomTitles(meeting)).toEqual(["Design"]);

    // Previewed, then the meeting changes: the server's answer decides.
    await pick("next.csv", "name,email,room\nBob Okafor,,Review\n");
    dialog = page.getByRole("dialog", { name: "Import next.csv?" });
    await dialog.getByTestId("csv-rooms").getByText("Review").waitFor();
    await real.admin("DELETE", `/meetings/${meeting}/participants/${b}`);
    await dialog.getByRole("button", { name: "Import" }).click();
    await dialog.getByRole("alert").getByText('CSV line 2: nobody with name "Bob Okafor"').waitFor();
    expect(await real.roomTitles(meeting)).toEqual(["Design"]);
    await w.close();
  }
});
