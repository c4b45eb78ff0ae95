// @vitest-environment happy-dom
// The import preview dialog: what a file will do, in the host's terms, and
// the server's refusal shown as its sentence with no way to confirm.

import { flushSync, mount, unmount } from "svelte";
import { afterEach, describe, expect, test, vi } from "vitest";
import CsvPreviewDialog from "../src/components/dashboard/CsvPreviewDialog.svelte";
import type { CsvPreview } from "../src/generated";
import { hostView } from "../e2e/fixtures";

let mounted: Record<string, unknown> | null = null;

afterEach(() => {
  if (mounted) unmount(mounted);
  mounted = null;
  document.body.innerHTML = "";
});

function show(props: Partial<Parameters<typeof CsvPreviewDialog>[1]> & { preview: CsvPreview | null }) {
  const handlers = { onconfirm: vi.fn(), onclose: vi.fn() };
  mounted = mount(CsvPreviewDialog, {
    target: document.body,
    props: { view: hostView({ assigned: { 1: [2, 3] } }), filename: "plan.csv", error: null, ...handlers, ...props },
  });
  flushSync();
  return handlers;
}

const items = (id: string) => [...document.querySelectorAll(`[data-testid=${id}] li`)].map((li) => li.textContent?.trim());
const button = (name: string) => [...document.querySelectorAll("button")].find((b) => b.textContent?.trim() === name);

const preview: CsvPreview = {
  rooms_created: ["Design"],
  changes: [
    { participant: 2, name: "Bob Okafor", room: "Design" },
    { participant: 4, name: "Dan Wu", room: "Room 2" },
    { participant: 3, name: "Cara Jensen", room: null },
  ],
  unchanged: 1,
};

describe("CSV preview dialog", () => {
  test("lists rooms created, moves from where to where, and who is unassigned", () => {
    const { onconfirm } = show({ preview });
    expect(document.querySelector("h2")?.textContent).toBe("Import plan.csv?");
    expect(items("csv-rooms")).toEqual(["Design"]);
    expect(items("csv-moves")).toEqual(["Bob Okafor: Room 1 → Design", "Dan Wu: Main room → Room 2"]);
    expect(items("csv-unassigned")).toEqual(["Cara Jensen: Room 1 → no room"]);
    expect(document.body.textContent).toContain("1 person in the file is already there.");
    button("Import")!.click();
    expect(onconfirm).toHaveBeenCalledOnce();
  });

  test("a refused file shows the server's sentence, with its line, and cannot be confirmed", () => {
    show({ preview: null, error: { code: "invalid_csv", message: 'CSV line 3: nobody with name "Zoe Nobody"' } });
    expect(document.querySelector("[role=alert]")?.textContent).toBe('CSV line 3: nobody with name "Zoe Nobody"');
    expect(button("Import")).toBeUndefined();
    expect(button("Cancel")).toBeDefined();
  });

  test("an import the server refused after the preview keeps the preview and disables Import", () => {
    show({ preview, error: { code: "invalid_csv", message: 'CSV line 2: nobody with name "Bob Okafor"' } });
    expect(items("csv-moves")).toHaveLength(2);
    expect(document.querySelector("[role=alert]")?.textContent).toContain("line 2");
    expect(button("Import")!.disabled).toBe(true);
  });

  test("a file that changes nothing says so and offers only Cancel", () => {
    show({ preview: { rooms_created: [], changes: [], unchanged: 3 } });
    expect(document.body.textContent).toContain("This file changes nothing");
    expect(button("Import")).toBeUndefined();
  });

  test("while the server checks the file, it says so", () => {
    show({ preview: null, busy: true });
    expect(document.querySelector("[role=status]")?.textContent).toBe("Checking the file…");
    expect(button("Import")).toBeUndefined();
  });
});
