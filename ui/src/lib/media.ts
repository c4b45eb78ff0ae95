// Where video reaches the tiles: a Svelte action that adds a canvas to the
// window's FrameHub (frames.ts) and draws each picture it gets.

import { FrameHub } from "./frames";

export interface Feed {
  /** The video slot (`mid`) showing this participant, or SELF_MID. */
  mid: string;
  participant: number;
}

/** The shell's key for our own camera's pictures (the self-view). */
export const SELF_MID = "self";

/**
 * What a tile shows: nothing while the person's camera is off; our own
 * camera straight from the shell (no round trip through the server); anyone
 * else's from the slot that carries them, once there is one.
 */
export function tileFeed(member: { id: number; camera: boolean }, you: boolean, mid: string | null): Feed | null {
  if (!member.camera) return null;
  if (you) return { mid: SELF_MID, participant: member.id };
  return mid === null ? null : { mid, participant: member.id };
}

/** Device pixels of `canvas` on screen, rounded up to 16 so sizes repeat. */
function tileSize(canvas: HTMLCanvasElement): { width: number; height: number } {
  const ratio = Math.min(window.devicePixelRatio || 1, 2);
  const up = (v: number) => Math.max(16, Math.ceil((v * ratio) / 16) * 16);
  return { width: up(canvas.clientWidth), height: up(canvas.clientHeight) };
}

/** Every tile of this window pulls through one hub: one request per tick. */
const hub = new FrameHub();
// The app benchmark reads how many frames the tiles drew (`hub.drawn`).
(globalThis as { __breakoutVideo?: FrameHub }).__breakoutVideo = hub;

function attach(canvas: HTMLCanvasElement, feed: Feed): () => void {
  const context = canvas.getContext("2d");
  return hub.add({
    mid: feed.mid,
    participant: feed.participant,
    size: () => tileSize(canvas),
    draw(picture) {
      if (canvas.width !== picture.width || canvas.height !== picture.height) {
        canvas.width = picture.width;
        canvas.height = picture.height;
      }
      context?.drawImage(picture, 0, 0);
      picture.close();
      if (canvas.dataset.live !== "true") canvas.dataset.live = "true";
    },
  });
}

/** Svelte action: `<canvas use:video={{ mid, participant }}>`. */
export function video(canvas: HTMLCanvasElement, feed: Feed) {
  let current = feed;
  let detach = attach(canvas, feed);
  return {
    update(next: Feed) {
      if (next.mid === current.mid && next.participant === current.participant) return;
      detach();
      current = next;
      delete canvas.dataset.live;
      detach = attach(canvas, next);
    },
    destroy() {
      detach();
    },
  };
}
