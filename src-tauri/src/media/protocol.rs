//! The `breakout-media` URI scheme: video frames to the webview without
//! invoke/JSON. The meeting window asks for all its tiles at once:
//!
//! ```text
//! breakout-media://localhost/frames?want=<mid>:<after>:<w>:<h>,<mid>:...
//! ```
//!
//! (`http://breakout-media.localhost/...` on Windows) and gets, for every
//! listed slot with a frame newer than `after`, that slot's newest frame as
//! a JPEG just large enough to cover `w`×`h`. The JPEGs come back to back in
//! the body; `X-Frames` says what each is: `<mid>:<seq>:<participant>:<bytes>`
//! entries, comma-separated, in body order (the participant is empty for our
//! own camera). When no listed slot has anything newer the request waits for
//! the first new frame (long poll, up to [`PATIENCE`]) and then answers
//! `204 No Content`, so a picture is never downloaded twice and idle slots
//! cost nothing. One request per window and tick instead of one per tile:
//! each request crosses three processes (webview, shell, network) and wakes
//! the shell's main thread, which with nine tiles was most of its work.
//! `<mid>` `self` is our own camera (the self-view, see
//! [`SELF_MID`](super::frames::SELF_MID)), `self-screen` our own shared
//! screen ([`SCREEN_SELF_MID`](super::frames::SCREEN_SELF_MID)).

use std::sync::Arc;
use std::time::Duration;

use tauri::http::{Request, Response, StatusCode, header};
use tauri::{Manager, Runtime, UriSchemeContext, UriSchemeResponder};

use super::frames::{FrameStore, Latest, SCREEN_SELF_MID, SELF_MID, Shown};
use super::jpeg;
use crate::windows;

pub const SCHEME: &str = "breakout-media";
/// How long a request waits for a new frame before answering 204.
pub const PATIENCE: Duration = Duration::from_secs(1);
/// The largest tile served (a full-screen tile on a big display).
const MAX_SIDE: u32 = 1920;
/// More tiles than any grid shows; longer lists are refused.
const MAX_WANTED: usize = 64;

/// One tile's wish: slot `mid`'s next frame after `after`, to cover
/// `width`×`height`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wanted {
    pub mid: String,
    pub after: u64,
    pub width: u32,
    pub height: u32,
}

/// `/frames?want=...`; `None` for anything else or a malformed list.
pub fn parse(path: &str, query: Option<&str>) -> Option<Vec<Wanted>> {
    if path != "/frames" {
        return None;
    }
    let list = query
        .unwrap_or_default()
        .split('&')
        .find_map(|pair| pair.strip_prefix("want="))?;
    let wanted = list
        .split(',')
        .filter(|entry| !entry.is_empty())
        .map(parse_wanted)
        .collect::<Option<Vec<_>>>()?;
    (wanted.len() <= MAX_WANTED).then_some(wanted)
}

fn parse_wanted(entry: &str) -> Option<Wanted> {
    let mut fields = entry.split(':');
    let mid = fields.next()?;
    let allowed = |b: u8| b.is_ascii_alphanumeric() || b == b'-';
    if mid.is_empty() || mid.len() > 16 || !mid.bytes().all(allowed) {
        return None;
    }
    let mut number = || fields.next()?.parse::<u64>().ok();
    let side = |v: u64| v.clamp(2, MAX_SIDE as u64) as u32;
    let wanted = Wanted {
        mid: mid.to_string(),
        after: number()?,
        width: side(number()?),
        height: side(number()?),
    };
    fields.next().is_none().then_some(wanted)
}

/// The protocol handler for `Builder::register_asynchronous_uri_scheme_protocol`.
/// Only the meeting window shows video; other windows are refused. The
/// frames are the app's managed `Arc<FrameStore>`, the one the shell's
/// meetings draw into.
pub fn handle<R: Runtime>(
    ctx: UriSchemeContext<'_, R>,
    request: Request<Vec<u8>>,
    responder: UriSchemeResponder,
) {
    if ctx.webview_label() != windows::MAIN {
        return responder.respond(empty(StatusCode::FORBIDDEN));
    }
    let Some(wanted) = parse(request.uri().path(), request.uri().query()) else {
        return responder.respond(empty(StatusCode::NOT_FOUND));
    };
    let frames = ctx.app_handle().state::<Arc<FrameStore>>().inner().clone();
    frames.show(shown(&wanted));
    tauri::async_runtime::spawn(async move {
        responder.respond(serve(&frames, wanted).await);
    });
}

/// The server's slots among `wanted` (not the self-view) and their sizes:
/// one request lists every tile of the window.
fn shown(wanted: &[Wanted]) -> Shown {
    wanted
        .iter()
        // Our own pictures are no slot of the server's.
        .filter(|w| w.mid != SELF_MID && w.mid != SCREEN_SELF_MID)
        .map(|w| (w.mid.clone(), (w.width, w.height)))
        .collect()
}

/// The answer to one request: every newer frame as JPEG, or 204 after
/// waiting.
pub async fn serve(frames: &Arc<FrameStore>, wanted: Vec<Wanted>) -> Response<Vec<u8>> {
    let asked_at = std::time::Instant::now();
    let keys: Vec<(&str, u64)> = wanted.iter().map(|w| (w.mid.as_str(), w.after)).collect();
    let found = frames.next_of(&keys, PATIENCE).await;
    if found.is_empty() {
        return empty(StatusCode::NO_CONTENT);
    }
    let waited = asked_at.elapsed();
    let jobs: Vec<(Wanted, Arc<Latest>)> = found
        .into_iter()
        .map(|(index, latest)| (wanted[index].clone(), latest))
        .collect();
    let encoded = tauri::async_runtime::spawn_blocking(move || encode_all(jobs)).await;
    let Ok((entries, body)) = encoded else {
        return empty(StatusCode::INTERNAL_SERVER_ERROR);
    };
    if entries.is_empty() {
        return empty(StatusCode::INTERNAL_SERVER_ERROR);
    }
    tracing::trace!(
        frames = entries.len(),
        ?waited,
        encoded = ?(asked_at.elapsed() - waited),
        bytes = body.len(),
        "frames served"
    );
    with_cors(Response::builder())
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/octet-stream")
        .header("X-Frames", entries.join(","))
        .body(body)
        .unwrap_or_else(|_| empty(StatusCode::INTERNAL_SERVER_ERROR))
}

/// JPEGs back to back, and the `X-Frames` entry of each. A malformed frame
/// is left out; the slot's next one will do.
fn encode_all(jobs: Vec<(Wanted, Arc<Latest>)>) -> (Vec<String>, Vec<u8>) {
    let mut entries = Vec::with_capacity(jobs.len());
    let mut body = Vec::new();
    for (wanted, latest) in jobs {
        let Some(jpeg) = jpeg::encode(&latest.frame, wanted.width, wanted.height) else {
            continue;
        };
        let participant = latest
            .participant
            .map(|p| p.0.to_string())
            .unwrap_or_default();
        entries.push(format!(
            "{}:{}:{}:{}",
            wanted.mid,
            latest.seq,
            participant,
            jpeg.len()
        ));
        body.extend_from_slice(&jpeg);
    }
    (entries, body)
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
/// `fetch` needs CORS, and `X-Frames` must be exposed to be read.
fn with_cors(builder: tauri::http::response::Builder) -> tauri::http::response::Builder {
    builder
        .header(header::ACCESS_CONTROL_ALLOW_ORIGIN, "*")
        .header(header::ACCESS_CONTROL_EXPOSE_HEADERS, "X-Frames")
        .header(header::CACHE_CONTROL, "no-store")
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use breakout_client::media::VideoFrame;
    use breakout_client::protocol::ParticipantId;

    use super::super::frames::SELF_MID;
    use super::*;

    fn picture() -> VideoFrame {
        VideoFrame {
            width: 64,
            height: 48,
            i420: Arc::from(vec![100u8; 64 * 48 * 3 / 2]),
            keyframe: true,
        }
    }

    fn wanted(mid: &str, after: u64) -> Wanted {
        Wanted {
            mid: mid.into(),
            after,
            width: 32,
            height: 32,
        }
    }

    #[test]
    fn what_a_request_shows_is_the_servers_slots_at_their_sizes() {
        let asked = parse(
            "/frames",
            Some("want=6:41:320:176,self:3:160:96,7:0:640:368,self-screen:2:960:540"),
        )
        .unwrap();
        let shown: Vec<(String, (u32, u32))> = shown(&asked).into_iter().collect();
        assert_eq!(
            shown,
            [("6".to_owned(), (320, 176)), ("7".to_owned(), (640, 368))]
        );
    }

    #[test]
    fn requests_list_slots_with_a_sequence_and_a_size_each() {
        assert_eq!(
            parse("/frames", Some("want=6:41:320:180,self:3:160:90")),
            Some(vec![
                Wanted {
                    mid: "6".into(),
                    after: 41,
                    width: 320,
                    height: 180
                },
                Wanted {
                    mid: SELF_MID.into(),
                    after: 3,
                    width: 160,
                    height: 90
                },
            ])
        );
        assert_eq!(parse("/frames", Some("want=")), Some(vec![]));
        assert_eq!(
            parse("/frames", Some("want=6:0:99999:1")).map(|w| (w[0].width, w[0].height)),
            Some((MAX_SIDE, 2))
        );
        assert_eq!(parse("/frames", None), None);
        assert_eq!(parse("/video/6", Some("want=6:0:2:2")), None);
        assert_eq!(parse("/frames", Some("want=../etc:0:2:2")), None);
        assert_eq!(parse("/frames", Some("want=6:soon:2:2")), None);
        assert_eq!(parse("/frames", Some("want=6:0:2")), None);
        assert_eq!(parse("/frames", Some("want=6:0:2:2:9")), None);
        let too_many = vec!["6:0:2:2"; MAX_WANTED + 1].join(",");
        assert_eq!(parse("/frames", Some(&format!("want={too_many}"))), None);
    }

    /// `X-Frames` entries, split.
    fn entries(response: &Response<Vec<u8>>) -> Vec<Vec<String>> {
        response.headers()["X-Frames"]
            .to_str()
            .unwrap()
            .split(',')
            .map(|e| e.split(':').map(String::from).collect())
            .collect()
    }

    #[tokio::test]
    async fn newer_frames_come_back_to_back_as_jpeg_with_what_each_shows() {
        let frames = Arc::new(FrameStore::default());
        let six = frames.put("6", Some(ParticipantId(9)), picture());
        let own = frames.put(SELF_MID, None, picture());
        let seven = frames.put("7", Some(ParticipantId(4)), picture());
        let asked = vec![wanted("6", 0), wanted(SELF_MID, 0), wanted("7", seven)];
        let response = serve(&frames, asked).await;
        assert_eq!(response.status(), StatusCode::OK);
        let listed = entries(&response);
        assert_eq!(listed.len(), 2, "7 has nothing newer: {listed:?}");
        assert_eq!(listed[0][..3], ["6", &six.to_string(), "9"]);
        assert_eq!(listed[1][..3], [SELF_MID, &own.to_string(), ""]);
        let body = response.body();
        let first: usize = listed[0][3].parse().unwrap();
        let second: usize = listed[1][3].parse().unwrap();
        assert_eq!(first + second, body.len());
        assert_eq!(&body[..2], &[0xFF, 0xD8]);
        assert_eq!(&body[first..first + 2], &[0xFF, 0xD8]);
        assert_eq!(&body[first - 2..first], &[0xFF, 0xD9]);
    }

    #[tokio::test]
    async fn a_waiting_request_is_answered_by_the_first_new_frame() {
        let frames = Arc::new(FrameStore::default());
        let waiting = tokio::spawn({
            let frames = frames.clone();
            async move { serve(&frames, vec![wanted("6", 0), wanted("7", 0)]).await }
        });
        tokio::task::yield_now().await;
        let seq = frames.put("7", Some(ParticipantId(4)), picture());
        let response = waiting.await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(entries(&response)[0][..3], ["7", &seq.to_string(), "4"]);
    }

    #[tokio::test(start_paused = true)]
    async fn nothing_newer_is_no_content_after_waiting() {
        let frames = Arc::new(FrameStore::default());
        let seq = frames.put("6", None, picture());
        let response = serve(&frames, vec![wanted("6", seq)]).await;
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
    }
}
