import { describe, expect, test } from "vitest";
import { forgetJoin, isJoinLink, needsPinChoice, recentLabel, rememberJoin, type RecentJoin } from "../src/lib/recent";

const at = (server: string, link = ""): RecentJoin => ({ server, link });

describe("recent joins", () => {
  test("the latest comes first and the list keeps five", () => {
    let list: RecentJoin[] = [];
    for (let i = 1; i <= 7; i++) list = rememberJoin(list, at(`http://10.0.0.${i}:7800`));
    expect(list.map((r) => r.server)).toEqual([
      "http://10.0.0.7:7800",
      "http://10.0.0.6:7800",
      "http://10.0.0.5:7800",
      "http://10.0.0.4:7800",
      "http://10.0.0.3:7800",
    ]);
  });

  test("one entry per server, carrying the latest link", () => {
    const link = "breakout://join?server=https://meet.example&code=abcd";
    let list = [at("http://10.0.0.1:7800"), at("https://meet.example", "breakout://old")];
    list = rememberJoin(list, at("HTTPS://meet.example/", ` ${link} `));
    expect(list).toEqual([at("HTTPS://meet.example", link), at("http://10.0.0.1:7800")]);
    // Joining again with a typed code keeps no link (the code is not kept).
    expect(rememberJoin(list, at("http://10.0.0.1:7800"))[0]).toEqual(at("http://10.0.0.1:7800"));
  });

  test("an empty server is not remembered", () => {
    const list = [at("http://h:1")];
    expect(rememberJoin(list, at("  ", "breakout://x"))).toEqual(list);
  });

  test("an entry can be removed", () => {
    const list = [at("http://a:1"), at("https://b:2"), at("http://c:3")];
    expect(forgetJoin(list, "https://B:2/")).toEqual([at("http://a:1"), at("http://c:3")]);
    expect(forgetJoin(list, "http://nowhere")).toEqual(list);
  });

  test("entries read as host and port", () => {
    expect(recentLabel(at("https://meet.example:7800"))).toBe("meet.example:7800");
  });
});

describe("what was typed", () => {
  test("join links, in the app's and the web's form", () => {
    expect(isJoinLink("breakout://join?server=http://h:1&code=x")).toBe(true);
    expect(isJoinLink(" BREAKOUT://join?code=x")).toBe(true);
    expect(isJoinLink("https://meet.example/join?code=x&fp=sha256:ab")).toBe(true);
    expect(isJoinLink("http://10.0.0.2:7800/join/?code=x")).toBe(true);
    expect(isJoinLink("https://meet.example")).toBe(false);
    expect(isJoinLink("https://meet.example/v1/join?code=x")).toBe(false);
    expect(isJoinLink("TEAM-4821")).toBe(false);
  });

  test("a typed https address with a code asks for a choice", () => {
    expect(needsPinChoice("https://meet.example", "TEAM-4821")).toBe(true);
    expect(needsPinChoice(" HTTPS://meet.example:7800", "TEAM-4821")).toBe(true);
    expect(needsPinChoice("https://meet.example", "https://meet.example/join?code=x&fp=sha256:ab")).toBe(false);
    expect(needsPinChoice("192.168.1.20:7800", "TEAM-4821")).toBe(false);
    expect(needsPinChoice("http://192.168.1.20:7800", "TEAM-4821")).toBe(false);
  });
});
