// The wrappers must call exactly the commands and argument names the shell implements.
import { afterEach, beforeAll, describe, expect, test } from "vitest";

beforeAll(() => {
  (globalThis as unknown as { window: unknown }).window = globalThis;
});

const calls: { cmd: string; args: unknown }[] = [];

async function withShell(answer: (cmd: string, args: unknown) => unknown) {
  const { mockIPC } = await import("@tauri-apps/api/mocks");
  mockIPC((cmd, args) => {
    calls.push({ cmd, args });
    return answer(cmd, args);
  }, { shouldMockEvents: true });
  return import("../src/lib/ipc");
}

afterEach(async () => {
  const { clearMocks } = await import("@tauri-apps/api/mocks");
  clearMocks();
  calls.length = 0;
});

import { NO_MEETING } from "../src/lib/state";

describe("ipc contract", () => {
  test("commands and their arguments", async () => {
    const ipc = await withShell((cmd) => (cmd === "get_chat" ? [] : cmd === "export_assignments" ? "csv" : null));
    await ipc.hostMeeting("Workshop", "Ada");
    await ipc.joinMeeting("10.0.0.2:7800", "CODE", "Bob");
    await ipc.sendCommand({ type: "start" });
    await ipc.getState();
    await ipc.getChat(null);
    await ipc.getChat(3);
    expect(await ipc.exportAssignments()).toBe("csv");
    await ipc.openDashboard();
    await ipc.leaveMeeting();
    await ipc.listDevices();
    await ipc.selectDevice("camera", "cam-2");
    await ipc.setMedia(false, null);
    await ipc.getMedia();
    await ipc.listScreens();
    await ipc.shareScreen({ kind: "window", id: 42 });
    await ipc.stopSharing();
    await ipc.getStartMemory();
    await ipc.saveStartMemory({ name: "Ada", recent: [{ server: "http://h:1", link: "" }] });
    await ipc.getClientView();
    await ipc.dismissToast(4);
    await ipc.dismissBanner(5);
    await ipc.deferInvitation();
    expect(calls.map((c) => [c.cmd, c.args])).toEqual([
      ["host_meeting", { title: "Workshop", name: "Ada" }],
      ["join_meeting", { server_url: "10.0.0.2:7800", invite_code: "CODE", name: "Bob" }],
      ["send_command", { command: { type: "start" } }],
      ["get_state", {}],
      ["get_chat", { room: null }],
      ["get_chat", { room: 3 }],
      ["export_assignments", {}],
      ["open_dashboard", {}],
      ["leave_meeting", {}],
      ["list_devices", {}],
      ["select_device", { kind: "camera", id: "cam-2" }],
      ["set_media", { mic: false, camera: null }],
      ["get_media", {}],
      ["list_screens", {}],
      ["share_screen", { source: { kind: "window", id: 42 } }],
      ["stop_sharing", {}],
      ["get_start_memory", {}],
      ["save_start_memory", { memory: { name: "Ada", recent: [{ server: "http://h:1", link: "" }] } }],
      ["get_client_view", {}],
      ["dismiss_toast", { id: 4 }],
      ["dismiss_banner", { id: 5 }],
      ["defer_invitation", {}],
    ]);
  });

  test("a failed command rejects with {code, message}", async () => {
    const ipc = await withShell(() => {
      throw { code: "not_running", message: "breakouts are not running" };
    });
    await expect(ipc.sendCommand({ type: "end" })).rejects.toEqual({ code: "not_running", message: "breakouts are not running" });
  });

  test("a bare string error still becomes {code, message}", async () => {
    const ipc = await withShell(() => {
      throw "shell exploded";
    });
    await expect(ipc.getState()).rejects.toEqual({ code: "error", message: "shell exploded" });
  });

  test("events reach their handlers with the payload", async () => {
    const ipc = await withShell(() => null);
    const { emit } = await import("@tauri-apps/api/event");
    const got: unknown[] = [];
    const un = await Promise.all([
      ipc.onClientView((v) => got.push(v)),
      ipc.onSpeaking((s) => got.push(s)),
      ipc.onMedia((m) => got.push(m)),
    ]);
    await emit("client-view", { ...NO_MEETING, connection: "reconnecting", connection_reason: "network" });
    await emit("speaking", { participant: 2, level: 0.5 });
    await emit("media", ipc.NO_MEDIA);
    expect(got).toEqual([
      { ...NO_MEETING, connection: "reconnecting", connection_reason: "network" },
      { participant: 2, level: 0.5 },
      ipc.NO_MEDIA,
    ]);
    for (const u of un) await u();
  });
});
