//! Sharing a real window: on an X display (scripts/media-test.sh runs the
//! test under `xvfb-run`), a test window shows
//! four coloured quadrants; the presenter picks it from the list of
//! shareable windows, shares it through the real SFU, and a participant of
//! the room decodes its screen slot and finds each quadrant's colour where
//! it belongs.
//!
//! Xvfb runs no window manager, and a window manager is what lists the
//! windows of a desktop (`_NET_CLIENT_LIST_STACKING`, which the capture
//! crate reads): the test lists its window there itself, as one would.

mod media_support;

use std::sync::Arc;

use breakout_client::Connection;
use breakout_client::media::screen::screen_sources;
use breakout_client::media::{MediaConfig, MediaEvent, MediaSession, ScreenSource, VideoFrame};
use breakout_client::protocol::{Command, RoomId};
use media_support::{Bot, PATIENCE, TestServer, command, start_breakouts};
use xcb::{Xid, x};

const TITLE: &str = "Breakout screen test";
const WIDTH: u16 = 640;
const HEIGHT: u16 = 360;
/// Top left, top right, bottom left, bottom right.
const QUADRANTS: [u32; 4] = [0xff0000, 0x00ff00, 0x0000ff, 0xffffff];

/// The test window: four child windows whose backgrounds the X server
/// paints. Kept open as long as the connection lives.
fn open_window(display: &str) -> (xcb::Connection, x::Window) {
    let (conn, screen_number) = xcb::Connection::connect(Some(display)).expect("X connection");
    let screen = conn
        .get_setup()
        .roots()
        .nth(screen_number as usize)
        .expect("a screen");
    let (root, visual) = (screen.root(), screen.root_visual());
    let window: x::Window = conn.generate_id();
    conn.send_request(&x::CreateWindow {
        depth: x::COPY_FROM_PARENT as u8,
        wid: window,
        parent: root,
        x: 100,
        y: 50,
        width: WIDTH,
        height: HEIGHT,
        border_width: 0,
        class: x::WindowClass::InputOutput,
        visual,
        value_list: &[x::Cw::BackPixel(0)],
    });
    for (i, colour) in QUADRANTS.iter().enumerate() {
        let child: x::Window = conn.generate_id();
        conn.send_request(&x::CreateWindow {
            depth: x::COPY_FROM_PARENT as u8,
            wid: child,
            parent: window,
            x: (i as i16 % 2) * (WIDTH / 2) as i16,
            y: (i as i16 / 2) * (HEIGHT / 2) as i16,
            width: WIDTH / 2,
            height: HEIGHT / 2,
            border_width: 0,
            class: x::WindowClass::InputOutput,
            visual,
            value_list: &[x::Cw::BackPixel(*colour)],
        });
    }
    let atom = |name: &str| {
        let cookie = conn.send_request(&x::InternAtom {
            only_if_exists: false,
            name: name.as_bytes(),
        });
        conn.wait_for_reply(cookie).expect("atom").atom()
    };
    conn.send_request(&x::ChangeProperty {
        mode: x::PropMode::Replace,
        window,
        property: atom("_NET_WM_NAME"),
        r#type: atom("UTF8_STRING"),
        data: TITLE.as_bytes(),
    });
    conn.send_request(&x::ChangeProperty {
        mode: x::PropMode::Replace,
        window: root,
        property: atom("_NET_CLIENT_LIST_STACKING"),
        r#type: x::ATOM_WINDOW,
        data: &[window],
    });
    conn.send_request(&x::MapSubwindows { window });
    conn.send_request(&x::MapWindow { window });
    conn.flush().expect("flushed");
    (conn, window)
}

/// Whether `frame` shows the quadrants: each one's centre within a margin
/// of its colour.
fn shows_the_quadrants(frame: &VideoFrame) -> bool {
    let rgba = frame.to_rgba();
    let (w, h) = (frame.width, frame.height);
    QUADRANTS.iter().enumerate().all(|(i, colour)| {
        let x = w / 4 + (i as u32 % 2) * w / 2;
        let y = h / 4 + (i as u32 / 2) * h / 2;
        let at = ((y * w + x) * 4) as usize;
        let want = [(colour >> 16) & 0xff, (colour >> 8) & 0xff, colour & 0xff];
        (0..3).all(|c| (i64::from(rgba[at + c]) - i64::from(want[c])).abs() < 40)
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs an X display: scripts/media-test.sh runs it under xvfb-run"]
async fn a_shared_window_is_decoded_by_its_room() {
    let display = std::env::var("DISPLAY").expect("an X display in DISPLAY");
    let (_x, window) = open_window(&display);
    share_and_decode(window.resource_id()).await;
}

async fn share_and_decode(window: u32) {
    let targets = screen_sources().expect("the desktop lists what can be shared");
    let target = targets
        .iter()
        .find(|t| t.title == TITLE)
        .unwrap_or_else(|| panic!("the test window is listed: {targets:?}"));
    assert_eq!(target.source, ScreenSource::Window { id: window });
    assert_eq!(
        (target.width, target.height),
        (u32::from(WIDTH), u32::from(HEIGHT))
    );

    let server = TestServer::start().await;
    let meeting = server.meeting().await;
    let host = server.host(&meeting).await;
    let presenter = Bot::join_as(
        &server,
        &meeting,
        "presenter",
        "presenter",
        MediaConfig::synthetic(),
    )
    .await;
    let token = server.token(&meeting, "viewer", "participant").await;
    let (conn, mut messages) = Connection::connect(&server.url, &token)
        .await
        .expect("connects");
    let conn = Arc::new(conn);
    let (viewer, mut events) = MediaSession::start(
        conn.clone(),
        MediaConfig::synthetic().for_server(&server.url),
    )
    .await
    .expect("media starts");
    let viewer = Arc::new(viewer);
    let (map_tx, map) = tokio::sync::watch::channel(None);
    let pump = {
        let viewer = viewer.clone();
        tokio::spawn(async move {
            while let Some(message) = messages.recv().await {
                if let breakout_client::protocol::ws::ServerMessage::Slots { slots } = &message {
                    map_tx.send_replace(slots.screen.clone());
                }
                let _ = viewer.handle(&message).await;
            }
        })
    };
    start_breakouts(&host, 1, &[(presenter.id, 1), (conn.participant(), 1)]).await;
    presenter.wait_for_room(1).await;
    presenter
        .media
        .share_screen(&target.source)
        .await
        .expect("shares the window");

    let deadline = tokio::time::Instant::now() + PATIENCE;
    let mut seen = 0;
    loop {
        let event = tokio::time::timeout_at(deadline, events.recv())
            .await
            .unwrap_or_else(|_| panic!("no picture of the window after {seen} screen frames"))
            .expect("events");
        let MediaEvent::Video {
            mid,
            participant,
            frame,
        } = event
        else {
            continue;
        };
        let screen_slot = map.borrow().clone();
        if screen_slot.as_ref().map(|s| s.mid.as_str()) != Some(mid.as_str()) {
            continue;
        }
        // The first pictures can beat the slot map that names their sender.
        if participant != Some(presenter.id) {
            continue;
        }
        seen += 1;
        assert_eq!(
            (frame.width, frame.height),
            (u32::from(WIDTH), u32::from(HEIGHT))
        );
        if shows_the_quadrants(&frame) {
            break;
        }
    }
    let state = media_support::view(&host).await;
    let room = state
        .rooms
        .iter()
        .find(|r| r.id == RoomId(1))
        .expect("room 1");
    assert_eq!(room.sharing, Some(presenter.id));
    command(&host, Command::End).await;
    pump.abort();
    presenter.leave().await;
}
