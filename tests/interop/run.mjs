// Drives headless Debian Chromium (fake mic and camera) through page.html
// as a Breakout participant, until the page has decoded audio and video
// from its slots. Prints one JSON line: {"ok":true,...} or {"ok":false,...}.
// Then keeps the page (and its media) running until stdin closes, so the
// other side can check what it decoded from Chromium. Meanwhile each stdin
// line {"await": PARTICIPANT, "pictures": N} waits until the page has
// decoded N pictures of that participant's test pattern since the last
// report, then prints the report (page.html's interopReport) as one line;
// {"packets_on": "listen" | "all_rooms", "packets": N} waits until N audio
// packets arrived on those slots and prints {"ok":true,"packets":...,
// "slots":...}; {"command": {...}} sends a meeting command and prints
// {"ok":true,"result":...}.
//
//   node run.mjs ws://127.0.0.1:PORT TOKEN [timeout-ms]
//
// Uses playwright-core only: no browser download, /usr/bin/chromium
// (override with CHROMIUM).

import { chromium } from "playwright-core";
import { fileURLToPath } from "node:url";
import path from "node:path";
import readline from "node:readline";

const [server, token, timeoutArg] = process.argv.slice(2);
if (!server || !token) {
  console.error("usage: node run.mjs ws://host:port TOKEN [timeout-ms]");
  process.exit(2);
}
const timeout = Number(timeoutArg || 30000);
const page_url = new URL("file://" + path.join(path.dirname(fileURLToPath(import.meta.url)), "page.html"));
page_url.searchParams.set("server", server);
page_url.searchParams.set("token", token);

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    // The server listens on loopback; Chromium skips it unless allowed.
    "--allow-loopback-in-peer-connection",
    // Plain host candidates: the server cannot resolve mDNS names.
    "--disable-features=WebRtcHideLocalIpsWithMdns",
    "--autoplay-policy=no-user-gesture-required",
  ],
});
let result;
let page;
try {
  page = await browser.newPage();
  page.on("console", (m) => console.error(`page: ${m.text()}`));
  await page.goto(page_url.href);
  await page.waitForFunction(() => window.interop && window.interop.phase !== "starting", null, { timeout });
  const phase = await page.evaluate(() => window.interop.phase);
  if (phase !== "running") throw new Error(await page.evaluate(() => window.interop.error));
    await page.waitForFunction(
    () => window.interop.decodedAudio && window.interop.decodedVideo,
    null,
    { timeout },
  );
  const stats = await page.evaluate(() => window.interopStats());
  result = { ok: true, ...stats };
} catch (error) {
  result = { ok: false, error: String(error && error.message || error) };
  try {
    result.stats = await browser.contexts()[0].pages()[0].evaluate(() => window.interopStats());
  } catch {}
}
console.log(JSON.stringify(result));
// Answer the test's requests until it is done with us (stdin closes).
const requests = readline.createInterface({ input: process.stdin });
for await (const line of requests) {
  if (!line.trim()) continue;
  let report;
  try {
    const { await: who, pictures, packets_on: kind, packets, command } = JSON.parse(line);
    if (command !== undefined) {
      const result = await page.evaluate((c) => window.request({ type: "command", command: c }), command);
      report = { ok: true, result };
    } else if (kind !== undefined) {
      await page.waitForFunction(([k, n]) => window.interop.packetsOn[k] >= n, [kind, packets], { timeout });
      report = {
        ok: true,
        packets: await page.evaluate((k) => window.interop.packetsOn[k], kind),
        slots: await page.evaluate(() => window.interop.slots),
      };
    } else {
      await page.waitForFunction(([w, n]) => window.picturesOf(w) >= n, [who, pictures], { timeout });
      report = { ok: true, ...(await page.evaluate(() => window.interopReport())) };
    }
  } catch (error) {
    report = { ok: false, error: String(error && error.message || error) };
    try {
      report.report = await page.evaluate(() => window.interopReport());
    } catch {}
  }
  console.log(JSON.stringify(report));
}
await browser.close();
process.exit(result.ok ? 0 : 1);
