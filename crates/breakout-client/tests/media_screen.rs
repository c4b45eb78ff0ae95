//! Screen sharing through the real server and its SFU on loopback: a
//! presenter shares (a test pattern that names them) on the screen track
//! negotiated when media started; their room decodes it in its screen slot,
//! the other room never does; a participant is refused; the host moves the
//! presenter and the share goes along to the new room, with mic and camera
//! state untouched and no new connection; a second sharer takes over the
//! room's screen and the first one's stops being sent.

mod media_support;

use breakout_client::media::{MediaConfig, ScreenSource};
use breakout_client::protocol::{BreakoutConfig, Command, ParticipantId, RoomId};
use media_support::{Bot, TestServer, command, media_state, start_breakouts, view};

/// Pictures that make "decoded" unambiguous at 5 a second.
const SEEN: u64 = 5;

const PATTERN: ScreenSource = ScreenSource::Pattern {
    width: 640,
    height: 360,
};

/// Frames decoded on `bot`'s screen slot so far.
fn screen_frames(bot: &Bot) -> u64 {
    let Some(mid) = screen_mid(bot) else {
        return 0;
    };
    bot.snapshot()
        .video_freezes
        .iter()
        .find(|slot| slot.mid == mid)
        .map_or(0, |slot| slot.frames)
}

fn screen_mid(bot: &Bot) -> Option<String> {
    bot.slots
        .borrow()
        .as_ref()
        .and_then(|map| map.screen.as_ref())
        .map(|slot| slot.mid.clone())
}

fn screen_shows(bot: &Bot) -> Option<ParticipantId> {
    bot.slots
        .borrow()
        .as_ref()
        .and_then(|map| map.screen.as_ref())
        .and_then(|slot| slot.participant)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_share_reaches_its_room_only_and_follows_its_sharer() {
    let server = TestServer::start().await;
    let meeting = server.meeting().await;
    let host = server.host(&meeting).await;
    let quiet = || {
        // Cameras off: every pattern decoded is a screen.
        let mut config = MediaConfig::synthetic();
        config.camera_on = false;
        config
    };
    let presenter = Bot::join_as(&server, &meeting, "presenter", "presenter", quiet()).await;
    let one = Bot::join(&server, &meeting, "one", quiet()).await;
    let two = Bot::join(&server, &meeting, "two", quiet()).await;
    let mut instant = BreakoutConfig {
        move_countdown_secs: 0,
        ..BreakoutConfig::default()
    };
    command(
        &host,
        Command::Configure {
            config: instant.clone(),
        },
    )
    .await;
    start_breakouts(&host, 2, &[(presenter.id, 1), (one.id, 1), (two.id, 2)]).await;
    for (bot, room) in [(&presenter, 1), (&one, 1), (&two, 2)] {
        bot.wait_for_room(room).await;
    }

    // Participants may not share unless the meeting lets them.
    let refused = one.media.share_screen(&PATTERN).await.expect_err("refused");
    assert!(
        refused.to_string().contains("share your screen"),
        "{refused}"
    );
    assert!(!one.media.sharing());

    presenter
        .media
        .share_screen(&PATTERN)
        .await
        .expect("shares");
    assert!(presenter.media.sharing());
    one.wait_for("one sees the presenter's screen", |r| {
        r.pattern_frames(presenter.id) >= SEEN
    })
    .await;
    assert!(screen_frames(&one) >= SEEN, "on the screen slot");
    assert_eq!(screen_shows(&one), Some(presenter.id));
    let state = view(&host).await;
    let room_one = state
        .rooms
        .iter()
        .find(|r| r.id == RoomId(1))
        .expect("room 1");
    assert_eq!(room_one.sharing, Some(presenter.id));
    assert_eq!(
        two.snapshot().pattern_frames(presenter.id),
        0,
        "room 2 saw it"
    );
    assert_eq!(screen_shows(&two), None);
    assert_eq!(
        screen_frames(&presenter),
        0,
        "a sharer's own slot stays empty"
    );
    let before = media_state(&view(&host).await, presenter.id);

    // The host moves the presenter to room 2: the share goes along.
    command(
        &host,
        Command::Assign {
            participant: presenter.id,
            room: Some(RoomId(2)),
        },
    )
    .await;
    presenter.wait_for_room(2).await;
    two.forget();
    two.wait_for("two sees the presenter's screen after the move", |r| {
        r.pattern_frames(presenter.id) >= SEEN
    })
    .await;
    assert_eq!(screen_shows(&two), Some(presenter.id));
    one.wait_for_room(1).await;
    let mut slots = one.slots.clone();
    tokio::time::timeout(
        media_support::PATIENCE,
        slots.wait_for(|map| {
            map.as_ref()
                .and_then(|m| m.screen.as_ref())
                .is_some_and(|s| s.participant.is_none())
        }),
    )
    .await
    .expect("room 1's screen slot empties")
    .expect("slot maps");
    let after = view(&host).await;
    assert_eq!(
        media_state(&after, presenter.id),
        before,
        "mic and camera kept"
    );
    let room_two = after
        .rooms
        .iter()
        .find(|r| r.id == RoomId(2))
        .expect("room 2");
    assert_eq!(room_two.sharing, Some(presenter.id));
    assert!(presenter.media.sharing(), "still sending");
    assert_eq!(presenter.media.connection_state(), "connected");

    // A second sharer takes over (the default): the first stops sending.
    instant.participants_may_share = true;
    command(&host, Command::Configure { config: instant }).await;
    two.media.share_screen(&PATTERN).await.expect("two shares");
    let mut presenter_slots = presenter.slots.clone();
    tokio::time::timeout(
        media_support::PATIENCE,
        presenter_slots.wait_for(|map| {
            map.as_ref()
                .and_then(|m| m.screen.as_ref())
                .is_some_and(|s| s.participant == Some(two.id))
        }),
    )
    .await
    .expect("the presenter sees two's screen")
    .expect("slot maps");
    presenter.forget();
    presenter
        .wait_for("the presenter sees two's screen", |r| {
            r.pattern_frames(two.id) >= SEEN
        })
        .await;
    assert!(!presenter.media.sharing(), "the replaced share stopped");

    two.media.stop_sharing().await.expect("stops");
    let state = view(&host).await;
    let room_two = state
        .rooms
        .iter()
        .find(|r| r.id == RoomId(2))
        .expect("room 2");
    assert_eq!(room_two.sharing, None);

    for bot in [presenter, one, two] {
        bot.leave().await;
    }
}
