import { describe, expect, test, vi } from "vitest";
import { assignmentsFilename, downloadText, readText } from "../src/lib/files";

describe("CSV download", () => {
  test("clicks a temporary link to a blob and cleans up", async () => {
    const anchor = { href: "", download: "", rel: "", click: vi.fn(), remove: vi.fn() };
    const appended: unknown[] = [];
    const deps = {
      document: {
        createElement: vi.fn(() => anchor),
        body: { appendChild: (n: unknown) => appended.push(n) },
      },
      url: { createObjectURL: vi.fn(() => "blob:1"), revokeObjectURL: vi.fn() },
    };
    const blob = downloadText("plan.csv", "name,email,room\n", "text/csv", deps as never);
    expect(deps.document.createElement).toHaveBeenCalledWith("a");
    expect(anchor).toMatchObject({ href: "blob:1", download: "plan.csv", rel: "noopener" });
    expect(appended).toEqual([anchor]);
    expect(anchor.click).toHaveBeenCalledOnce();
    expect(anchor.remove).toHaveBeenCalledOnce();
    expect(deps.url.revokeObjectURL).toHaveBeenCalledWith("blob:1");
    expect(blob.type).toBe("text/csv;charset=utf-8");
    expect(await blob.text()).toBe("name,email,room\n");
  });

  test("file names are safe", () => {
    expect(assignmentsFilename("m-team")).toBe("breakout-assignments-m-team.csv");
    expect(assignmentsFilename("a/b c")).toBe("breakout-assignments-a-b-c.csv");
    expect(assignmentsFilename(null)).toBe("breakout-assignments-meeting.csv");
    expect(assignmentsFilename("///")).toBe("breakout-assignments-meeting.csv");
  });

  test("reads a picked file", async () => {
    expect(await readText(new Blob(["a,b\n"]))).toBe("a,b\n");
  });
});
