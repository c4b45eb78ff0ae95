//! The host's ears and voice across rooms, through the real server and its
//! SFU on loopback, with bots that decode each other's tones:
//!
//! - hosts are told who speaks in each room (and participants are not);
//! - a host listening in decodes the tones of that room only, is not
//!   heard there, and switches rooms on the same connection;
//! - while a host holds "speak to all rooms", every room decodes the host's
//!   tone, even with the host's mic muted, and stops when it is let go.
//!
//! Nobody's room, mic or camera changes on the way.

mod media_support;

use breakout_client::media::{AudioSource, MediaConfig, VideoSource};
use breakout_client::protocol::media::RoomSpeaking;
use breakout_client::protocol::{Command, ParticipantId, RoomId};
use media_support::{Bot, PATIENCE, TestServer, command, media_state, start_breakouts, view};
use tokio::time::Instant;

/// Frames that make "decoded" unambiguous: 25 × 20 ms of a tone.
const HEARD: u64 = 25;

/// One meeting of this file at a time: each has five media sessions, and
/// fifteen at once in a debug build starve two cores' timers (these tests
/// are about what is forwarded, not about load).
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A tone, no camera: these tests are about audio.
fn voice() -> MediaConfig {
    let mut config = MediaConfig::synthetic();
    config.video = VideoSource::None;
    config.camera_on = false;
    config
}

/// Mic on as far as the meeting knows, but nothing to send.
fn silent() -> MediaConfig {
    let mut config = voice();
    config.audio = AudioSource::None;
    config
}

/// Waits until `bot`'s newest speaking summary satisfies `check`.
async fn wait_speaking(bot: &Bot, what: &str, check: impl Fn(&[RoomSpeaking]) -> bool) {
    let mut speaking = bot.speaking.clone();
    let deadline = Instant::now() + PATIENCE;
    loop {
        if speaking.borrow().as_deref().is_some_and(&check) {
            return;
        }
        if !matches!(
            tokio::time::timeout_at(deadline, speaking.changed()).await,
            Ok(Ok(()))
        ) {
            panic!("{what}: never summarised; last {:?}", speaking.borrow());
        }
    }
}

fn speakers(rooms: &[RoomSpeaking], room: u32) -> Option<&[ParticipantId]> {
    rooms
        .iter()
        .find(|r| r.room == RoomId(room))
        .map(|r| r.speakers.as_slice())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hosts_see_who_speaks_in_each_room_and_participants_do_not() {
    let _one = ONE_AT_A_TIME.lock().await;
    let server = TestServer::start().await;
    let meeting = server.meeting().await;
    let host = Bot::join_as(&server, &meeting, "host", "host", silent()).await;
    let a = Bot::join(&server, &meeting, "a", voice()).await;
    let b = Bot::join(&server, &meeting, "b", voice()).await;
    // Room 2: c's mic is on but sends nothing, d sends a tone but is muted.
    let c = Bot::join(&server, &meeting, "c", silent()).await;
    let d = Bot::join(&server, &meeting, "d", {
        let mut config = voice();
        config.mic_on = false;
        config
    })
    .await;
    start_breakouts(&host.conn, 2, &[(a.id, 1), (b.id, 1), (c.id, 2), (d.id, 2)]).await;
    let mut both = [a.id, b.id];
    both.sort();
    wait_speaking(
        &host,
        "a and b speak in room 1, room 2 is silent",
        |rooms| speakers(rooms, 1) == Some(&both[..]) && speakers(rooms, 2) == Some(&[][..]),
    )
    .await;
    let silent_since = {
        let rooms = host.speaking.borrow().clone().expect("a summary");
        rooms
            .iter()
            .find(|r| r.room == RoomId(2))
            .expect("room 2")
            .since
    };

    // a mutes: only b is left speaking; room 2 has been silent all along.
    a.media.set_mic(false).await.expect("mute");
    wait_speaking(&host, "only b speaks in room 1", |rooms| {
        speakers(rooms, 1) == Some(&[b.id][..])
    })
    .await;
    let rooms = host.speaking.borrow().clone().expect("a summary");
    let room2 = rooms.iter().find(|r| r.room == RoomId(2)).expect("room 2");
    assert_eq!(room2.since, silent_since, "room 2's silence was not broken");
    assert!(room2.speakers.is_empty());

    // The summaries go to hosts and cohosts only.
    for bot in [&a, &b, &c, &d] {
        assert!(
            bot.speaking.borrow().is_none(),
            "{} got a speaking summary",
            bot.name
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_host_listens_in_on_one_room_unheard_and_switches_on_the_same_connection() {
    let _one = ONE_AT_A_TIME.lock().await;
    let server = TestServer::start().await;
    let meeting = server.meeting().await;
    // The host talks in main (where nobody else is) the whole time.
    let host = Bot::join_as(&server, &meeting, "host", "host", voice()).await;
    let a = Bot::join(&server, &meeting, "a", voice()).await;
    let b = Bot::join(&server, &meeting, "b", voice()).await;
    let c = Bot::join(&server, &meeting, "c", voice()).await;
    let tones = [host.tone(), a.tone(), b.tone(), c.tone()];
    for (i, tone) in tones.iter().enumerate() {
        assert!(!tones[..i].contains(tone), "two bots share a tone");
    }
    start_breakouts(&host.conn, 3, &[(a.id, 1), (b.id, 2), (c.id, 3)]).await;
    for (bot, room) in [(&a, 1), (&b, 2), (&c, 3)] {
        bot.wait_for_room(room).await;
    }
    let before = view(&host.conn).await;

    // Nobody but a manager may listen in or speak to all rooms.
    for refused in [
        Command::ListenIn {
            room: Some(RoomId(2)),
        },
        Command::SpeakToAll { active: true },
    ] {
        let error = a.conn.command(refused).await.expect_err("refused");
        let code = error.api_error().map(|e| e.code.as_str());
        assert_eq!(code, Some("permission_denied"), "{error}");
    }

    host.forget();
    command(
        &host.conn,
        Command::ListenIn {
            room: Some(RoomId(1)),
        },
    )
    .await;
    host.wait_for("the host hears room 1", |r| {
        r.tone_frames(a.tone()) >= HEARD
    })
    .await;
    // Until the start all were in main with the host; what they heard
    // from now on is what counts (half a second has passed since).
    for bot in [&host, &a, &b, &c] {
        bot.forget();
    }
    host.wait_for("more of room 1", |r| r.tone_frames(a.tone()) >= HEARD)
        .await;
    let slots = host.slots.borrow().clone().expect("a slot map");
    assert_eq!(slots.room, RoomId::MAIN, "the host stays in main");
    assert_eq!(slots.listen_room, Some(RoomId(1)));
    assert!(slots.listen.iter().any(|s| s.participant == Some(a.id)));
    // a's room is told someone listens (the meeting announces listeners).
    let a_view = view(&a.conn).await;
    let own = a_view.rooms.iter().find(|r| r.id == RoomId(1)).unwrap();
    assert_eq!(own.listeners, vec![host.id]);
    let b_view = view(&b.conn).await;
    let own = b_view.rooms.iter().find(|r| r.id == RoomId(2)).unwrap();
    assert!(own.listeners.is_empty(), "room 2 is told of a listener");

    // Switch to room 2 on the same connection: b comes, a goes.
    command(
        &host.conn,
        Command::ListenIn {
            room: Some(RoomId(2)),
        },
    )
    .await;
    let a_at_switch = host.snapshot().tone_frames(a.tone());
    host.wait_for("the host hears room 2", |r| {
        r.tone_frames(b.tone()) >= HEARD
    })
    .await;
    // Over another second of b, nothing more of a arrives (what was in
    // flight or buffered at the switch may still have played).
    let a_then = host.snapshot().tone_frames(a.tone());
    assert!(a_then <= a_at_switch + HEARD, "a kept coming: {a_then}");
    let b_then = host.snapshot().tone_frames(b.tone());
    host.wait_for("another second of room 2", |r| {
        r.tone_frames(b.tone()) >= b_then + 50
    })
    .await;
    let heard = host.snapshot();
    assert_eq!(heard.tone_frames(a.tone()), a_then, "room 1 still heard");
    assert_eq!(
        heard.tone_frames(c.tone()),
        0,
        "room 3 was never listened to"
    );

    // The listener is not heard in the rooms listened to (b decoded a
    // second and more of its own while the host listened to room 2).
    for bot in [&a, &b, &c] {
        assert_eq!(
            bot.snapshot().tone_frames(host.tone()),
            0,
            "{} heard the listening host",
            bot.name
        );
    }

    // Stop: the listening slots empty, still on the one connection.
    command(&host.conn, Command::ListenIn { room: None }).await;
    let mut slots = host.slots.clone();
    let deadline = Instant::now() + PATIENCE;
    while slots
        .borrow()
        .as_ref()
        .is_none_or(|s| s.listen_room.is_some() || s.listen.iter().any(|l| l.participant.is_some()))
    {
        tokio::time::timeout_at(deadline, slots.changed())
            .await
            .expect("the listening slots empty")
            .expect("the bot runs");
    }
    assert_eq!(host.media.connection_state(), "connected");
    let stats = host.media.server_stats().await.expect("server stats");
    assert_eq!(stats.state, "connected");

    // Nobody moved and nobody's mic or camera changed.
    let after = view(&host.conn).await;
    for who in [host.id, a.id, b.id, c.id] {
        assert_eq!(media_state(&after, who), media_state(&before, who));
    }
    assert_eq!(after.you.room, RoomId::MAIN);
    for (bot, room) in [(&a, 1), (&b, 2), (&c, 3)] {
        assert_eq!(view(&bot.conn).await.you.room, RoomId(room));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_room_hears_the_host_while_held_and_not_after() {
    let _one = ONE_AT_A_TIME.lock().await;
    let server = TestServer::start().await;
    let meeting = server.meeting().await;
    // The host's mic is muted: holding the button is what makes it heard.
    let host = Bot::join_as(&server, &meeting, "host", "host", {
        let mut config = voice();
        config.mic_on = false;
        config
    })
    .await;
    let a = Bot::join(&server, &meeting, "a", voice()).await;
    let a2 = Bot::join(&server, &meeting, "a2", voice()).await;
    let b = Bot::join(&server, &meeting, "b", voice()).await;
    let c = Bot::join(&server, &meeting, "c", voice()).await;
    start_breakouts(
        &host.conn,
        3,
        &[(a.id, 1), (a2.id, 1), (b.id, 2), (c.id, 3)],
    )
    .await;
    // a hears a2 throughout: the clock the "not after" window is read on.
    a.wait_for("a hears a2", |r| r.tone_frames(a2.tone()) >= HEARD)
        .await;
    assert_eq!(
        a.snapshot().tone_frames(host.tone()),
        0,
        "the host is muted"
    );

    host.media.speak_to_all(true).await.expect("speak to all");
    for bot in [&a, &a2, &b, &c] {
        bot.wait_for("the host's voice to all rooms", |r| {
            r.tone_frames(host.tone()) >= HEARD
        })
        .await;
    }
    // Rooms see who speaks to them all.
    let seen = view(&b.conn).await;
    assert_eq!(seen.speaking_to_all.map(|m| m.id), Some(host.id));
    let map = b.slots.borrow().clone().expect("a slot map");
    assert_eq!(map.all_rooms.and_then(|s| s.participant), Some(host.id));
    assert_eq!(map.room, RoomId(2), "b was not moved");

    // A cohost cannot speak over the host.
    let cohost = server.token(&meeting, "co", "cohost").await;
    let (cohost, _rx) = breakout_client::Connection::connect(&server.url, &cohost)
        .await
        .expect("cohost connects");
    let refused = cohost
        .command(Command::SpeakToAll { active: true })
        .await
        .expect_err("one voice at a time");
    let code = refused.api_error().map(|e| e.code.as_str());
    assert_eq!(code, Some("speak_to_all_taken"), "{refused}");

    host.media.speak_to_all(false).await.expect("let go");
    let mut map = b.slots.clone();
    let deadline = Instant::now() + PATIENCE;
    while map.borrow().as_ref().is_none_or(|m| {
        m.all_rooms
            .as_ref()
            .is_some_and(|s| s.participant.is_some())
    }) {
        tokio::time::timeout_at(deadline, map.changed())
            .await
            .expect("the all-rooms slot empties")
            .expect("the bot runs");
    }
    // Once a has decoded another second of a2, nobody decodes the host.
    let mut heard: Vec<u64> = [&a, &a2, &b, &c]
        .iter()
        .map(|bot| bot.snapshot().tone_frames(host.tone()))
        .collect();
    let a2_then = a.snapshot().tone_frames(a2.tone());
    a.wait_for("another second of a2", |r| {
        r.tone_frames(a2.tone()) >= a2_then + 50
    })
    .await;
    // What was in flight when the slot emptied may still have played.
    for (bot, before) in [&a, &a2, &b, &c].iter().zip(&mut heard) {
        let now = bot.snapshot().tone_frames(host.tone());
        assert!(
            now <= *before + HEARD,
            "{} still hears the host: {now} after {before}",
            bot.name
        );
        *before = now;
    }
    let a2_then = a.snapshot().tone_frames(a2.tone());
    a.wait_for("yet another second of a2", |r| {
        r.tone_frames(a2.tone()) >= a2_then + 50
    })
    .await;
    for (bot, before) in [&a, &a2, &b, &c].iter().zip(&heard) {
        assert_eq!(
            bot.snapshot().tone_frames(host.tone()),
            *before,
            "{} hears the host after the button was let go",
            bot.name
        );
    }
    assert!(view(&b.conn).await.speaking_to_all.is_none());
    // The host's mic is still muted, as before.
    let after = view(&host.conn).await;
    assert!(!after.you.media.mic);
    assert!(!host.media.mic_on() && !host.media.speaking_to_all());
}
