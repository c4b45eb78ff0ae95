// Saving and opening files from a webview, without native dialogs.

export interface DownloadDeps {
  document: Pick<Document, "createElement" | "body">;
  url: Pick<typeof URL, "createObjectURL" | "revokeObjectURL">;
}

/** Offers `text` as a file download named `filename`. Returns the blob saved. */
export function downloadText(
  filename: string,
  text: string,
  mime = "text/csv",
  deps: DownloadDeps = { document, url: URL },
): Blob {
  const blob = new Blob([text], { type: `${mime};charset=utf-8` });
  const href = deps.url.createObjectURL(blob);
  const a = deps.document.createElement("a");
  a.href = href;
  a.download = filename;
  a.rel = "noopener";
  deps.document.body.appendChild(a);
  a.click();
  a.remove();
  deps.url.revokeObjectURL(href);
  return blob;
}

/** `breakout-assignments-<meeting>.csv`, safe as a file name. */
export function assignmentsFilename(meeting: string | null): string {
  const slug = (meeting ?? "meeting").replace(/[^A-Za-z0-9_-]+/g, "-").replace(/^-+|-+$/g, "");
  return `breakout-assignments-${slug || "meeting"}.csv`;
}

/** Text of a picked file. */
export function readText(file: Blob): Promise<string> {
  return file.text();
}

/** A seed for shuffles and auto-assignment (the server journals it). */
export function randomSeed(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0];
}
