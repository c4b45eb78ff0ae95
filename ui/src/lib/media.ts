// Where video will reach the tiles.
//
// Decoded frames never travel through invoke/JSON (a 720p RGBA stream is far
// beyond what the IPC carries). The shell will instead serve each
// participant's video as a stream on a custom URI scheme, for example
// `breakout-media://video/<participant>`, compressed at tile size (MJPEG over
// a multipart response, or fragmented MP4 fed to Media Source Extensions),
// which the webview decodes natively into a <video> or <img> placed in the
// tile. `attachVideo` is that seam: it will create the element, point it at
// the stream and return a function that detaches it. Until media lands it
// does nothing and tiles show their placeholder.

import type { ParticipantId } from "../generated";

export type DetachVideo = () => void;

export function attachVideo(_tile: HTMLElement, _participant: ParticipantId): DetachVideo {
  return () => {};
}

/** Svelte action: `<div use:video={participant}>`. */
export function video(node: HTMLElement, participant: ParticipantId) {
  let detach = attachVideo(node, participant);
  return {
    update(next: ParticipantId) {
      detach();
      detach = attachVideo(node, next);
    },
    destroy() {
      detach();
    },
  };
}
