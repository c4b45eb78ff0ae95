//! The `breakout-media` URI scheme: video frames to the webview without
//! invoke/JSON. A tile asks
//!
//! ```text
//! breakout-media://localhost/video/<mid>?after=<seq>&w=<px>&h=<px>
//! ```
//!
//! (`http://breakout-media.localhost/...` on Windows) and gets the slot's
//! newest frame as a JPEG just large enough to cover `w`×`h`, with its sequence number in
//! `X-Frame-Seq` and the participant it shows in `X-Participant`. When no
//! frame newer than `after` exists the request waits for one (long poll, up
//! to [`PATIENCE`]) and then answers `204 No Content`, so a tile never
//! downloads the same picture twice and an idle slot costs nothing.
//! `<mid>` `self` is our own camera (the self-view, see
//! [`SELF_MID`](super::frames::SELF_MID)).

use std::sync::Arc;
use std::time::Duration;

use tauri::http::{Request, Response, StatusCode, header};
use tauri::{Manager, Runtime, UriSchemeContext, UriSchemeResponder};

use super::frames::FrameStore;
use super::jpeg;
use crate::shell::Shell;
use crate::windows;

pub const SCHEME: &str = "breakout-media";
/// How long a request waits for a new frame before answering 204.
pub const PATIENCE: Duration = Duration::from_secs(1);
/// The largest tile served (a full-screen tile on a big display).
const MAX_SIDE: u32 = 1920;

/// What a tile asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameRequest {
    pub mid: String,
    pub after: u64,
    pub width: u32,
    pub height: u32,
}

/// `/video/<mid>` and its query; `None` for anything else.
pub fn parse(path: &str, query: Option<&str>) -> Option<FrameRequest> {
    let mid = path.strip_prefix("/video/")?;
    if mid.is_empty() || mid.len() > 16 || !mid.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    let mut request = FrameRequest {
        mid: mid.to_string(),
        after: 0,
        width: 640,
        height: 360,
    };
    for pair in query.unwrap_or_default().split('&') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let number = || value.parse::<u64>().ok();
        match key {
            "after" => request.after = number()?,
            "w" => request.width = number()?.clamp(2, MAX_SIDE as u64) as u32,
            "h" => request.height = number()?.clamp(2, MAX_SIDE as u64) as u32,
            _ => {}
        }
    }
    Some(request)
}

/// The protocol handler for `Builder::register_asynchronous_uri_scheme_protocol`.
/// Only the meeting window shows video; other windows are refused.
pub fn handle<R: Runtime>(
    ctx: UriSchemeContext<'_, R>,
    request: Request<Vec<u8>>,
    responder: UriSchemeResponder,
) {
    if ctx.webview_label() != windows::MAIN {
        return responder.respond(empty(StatusCode::FORBIDDEN));
    }
    let Some(asked) = parse(request.uri().path(), request.uri().query()) else {
        return responder.respond(empty(StatusCode::NOT_FOUND));
    };
    let frames = ctx.app_handle().state::<Shell>().frames();
    tauri::async_runtime::spawn(async move {
        responder.respond(serve(&frames, asked).await);
    });
}

/// The answer to one request: the next frame as JPEG, or 204 after waiting.
pub async fn serve(frames: &Arc<FrameStore>, asked: FrameRequest) -> Response<Vec<u8>> {
    let asked_at = std::time::Instant::now();
    let Some(latest) = frames.next(&asked.mid, asked.after, PATIENCE).await else {
        return empty(StatusCode::NO_CONTENT);
    };
    let (w, h) = (asked.width, asked.height);
    let frame = latest.frame.clone();
    let waited = asked_at.elapsed();
    let encoded = tauri::async_runtime::spawn_blocking(move || jpeg::encode(&frame, w, h)).await;
    let Ok(Some(jpeg)) = encoded else {
        return empty(StatusCode::INTERNAL_SERVER_ERROR);
    };
    tracing::trace!(
        mid = %asked.mid,
        seq = latest.seq,
        ?waited,
        encoded = ?(asked_at.elapsed() - waited),
        bytes = jpeg.len(),
        "frame served"
    );
    let participant = latest
        .participant
        .map(|p| p.0.to_string())
        .unwrap_or_default();
    with_cors(Response::builder())
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "image/jpeg")
        .header("X-Frame-Seq", latest.seq.to_string())
        .header("X-Participant", participant)
        .body(jpeg)
        .unwrap_or_else(|_| empty(StatusCode::INTERNAL_SERVER_ERROR))
}

fn empty(status: StatusCode) -> Response<Vec<u8>> {
    let mut response = Response::new(Vec::new());
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        header::HeaderValue::from_static("*"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    response
}

/// The page's origin (`tauri://localhost`) differs from the scheme's, so
/// `fetch` needs CORS, and the two headers must be exposed to be read.
fn with_cors(builder: tauri::http::response::Builder) -> tauri::http::response::Builder {
    builder
        .header(header::ACCESS_CONTROL_ALLOW_ORIGIN, "*")
        .header(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            "X-Frame-Seq, X-Participant",
        )
        .header(header::CACHE_CONTROL, "no-store")
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use breakout_client::media::VideoFrame;
    use breakout_client::protocol::ParticipantId;

    use super::super::frames::SELF_MID;
    use super::*;

    #[test]
    fn requests_name_a_slot_a_sequence_and_a_size() {
        assert_eq!(
            parse("/video/6", Some("after=41&w=320&h=180")),
            Some(FrameRequest {
                mid: "6".into(),
                after: 41,
                width: 320,
                height: 180
            })
        );
        assert_eq!(parse("/video/12", None).map(|r| r.after), Some(0));
        assert_eq!(
            parse("/video/self", Some("after=3")).map(|r| r.mid),
            Some(SELF_MID.to_string())
        );
        assert_eq!(
            parse("/video/6", Some("w=99999")).map(|r| r.width),
            Some(MAX_SIDE)
        );
        assert_eq!(parse("/video/", None), None);
        assert_eq!(parse("/video/../etc", None), None);
        assert_eq!(parse("/audio/2", None), None);
        assert_eq!(parse("/video/6", Some("after=soon")), None);
    }

    #[tokio::test]
    async fn a_new_frame_is_served_as_jpeg_with_its_sequence_and_participant() {
        let frames = Arc::new(FrameStore::default());
        let frame = VideoFrame {
            width: 64,
            height: 48,
            i420: Arc::from(vec![100u8; 64 * 48 * 3 / 2]),
            keyframe: true,
        };
        let seq = frames.put("6", Some(ParticipantId(9)), frame);
        let asked = parse("/video/6", Some("after=0&w=32&h=32")).unwrap();
        let response = serve(&frames, asked).await;
        assert_eq!(response.status(), StatusCode::OK);
        let header = |name: &str| response.headers()[name].to_str().unwrap().to_string();
        assert_eq!(header("X-Frame-Seq"), seq.to_string());
        assert_eq!(header("X-Participant"), "9");
        assert_eq!(header("content-type"), "image/jpeg");
        assert_eq!(&response.body()[..2], &[0xFF, 0xD8]);
    }

    #[tokio::test]
    async fn our_own_camera_is_served_as_the_self_view() {
        let frames = Arc::new(FrameStore::default());
        let frame = VideoFrame {
            width: 64,
            height: 48,
            i420: Arc::from(vec![100u8; 64 * 48 * 3 / 2]),
            keyframe: false,
        };
        let seq = frames.put(SELF_MID, None, frame);
        let asked = parse("/video/self", Some("after=0&w=32&h=32")).unwrap();
        let response = serve(&frames, asked).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["X-Frame-Seq"], seq.to_string().as_str());
        assert_eq!(&response.body()[..2], &[0xFF, 0xD8]);
    }

    #[tokio::test(start_paused = true)]
    async fn nothing_newer_is_no_content_after_waiting() {
        let frames = Arc::new(FrameStore::default());
        let asked = parse("/video/6", Some("after=5")).unwrap();
        assert_eq!(serve(&frames, asked).await.status(), StatusCode::NO_CONTENT);
    }
}
