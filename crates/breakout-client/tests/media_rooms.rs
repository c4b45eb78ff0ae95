//! Three participants with synthetic media in two rooms, through the real
//! server and its SFU on loopback: each decodes the tones and test patterns
//! of its own room and none of the other room's; after the host moves one,
//! it decodes its new room, its old room stops hearing it, and everyone's
//! mic and camera state is what it was. A participant who picks another
//! microphone or camera mid-meeting is heard and seen through it on the
//! same connection. Meetings on different media threads of one server each
//! carry their own media.

mod media_support;

use breakout_client::media::synthetic::tone_frequency;
use breakout_client::media::{
    AudioSource, MediaConfig, MediaError, VideoSource, encode_pattern_clip, encode_tone_clip,
};
use breakout_client::protocol::{Command, ParticipantId, RoomId};
use media_support::{Bot, TestServer, command, media_state, start_breakouts, view};

/// Frames that make "decoded" unambiguous: 25 × 20 ms of a tone, 15
/// pictures of a pattern.
const HEARD: u64 = 25;
const SEEN: u64 = 15;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rooms_hear_and_see_only_their_own_members_across_a_move() {
    let server = TestServer::start().await;
    let meeting = server.meeting().await;
    let host = server.host(&meeting).await;

    let a = Bot::join(&server, &meeting, "a", {
        // A's camera is off: nobody may ever see it, before or after moves.
        let mut config = MediaConfig::synthetic();
        config.camera_on = false;
        config
    })
    .await;
    let b = Bot::join(&server, &meeting, "b", MediaConfig::synthetic()).await;
    let c = Bot::join(&server, &meeting, "c", MediaConfig::synthetic()).await;
    assert!(a.media.notes().is_empty(), "{:?}", a.media.notes());
    assert_ne!(a.tone(), b.tone());
    assert_ne!(b.tone(), c.tone());

    start_breakouts(&host, 2, &[(a.id, 1), (b.id, 1), (c.id, 2)]).await;
    // Until now all three were in the main room together: judge only what
    // comes after the switch, once anything still in flight has played out
    // (a has decoded another 200 ms of b in room 1).
    for (bot, room) in [(&a, 1), (&b, 1), (&c, 2)] {
        bot.wait_for_room(room).await;
    }
    let settled = a.snapshot().tone_frames(b.tone()) + 10;
    a.wait_for("a hears b in room 1", |r| {
        r.tone_frames(b.tone()) >= settled
    })
    .await;
    for bot in [&a, &b, &c] {
        bot.forget();
    }

    // Room 1: a and b hear each other; b sees nothing of a (camera off)
    // and a sees b.
    a.wait_for("a hears b and sees b", |r| {
        r.tone_frames(b.tone()) >= HEARD && r.pattern_frames(b.id) >= SEEN
    })
    .await;
    b.wait_for("b hears a", |r| r.tone_frames(a.tone()) >= HEARD)
        .await;
    // Let room 2 run for as long as room 1 did before judging it: c must
    // have decoded nothing from a or b by now.
    let before_move = (a.snapshot(), b.snapshot(), c.snapshot());
    for (who, seen) in [("a", &before_move.0), ("b", &before_move.1)] {
        assert_eq!(seen.tone_frames(c.tone()), 0, "{who} heard c: {seen:?}");
        assert_eq!(seen.pattern_frames(c.id), 0, "{who} saw c: {seen:?}");
    }
    assert_eq!(before_move.1.pattern_frames(a.id), 0, "a's camera is off");
    let c_seen = &before_move.2;
    assert_eq!(
        c_seen.tone_frames(a.tone()) + c_seen.tone_frames(b.tone()),
        0,
        "{c_seen:?}"
    );
    assert_eq!(
        c_seen.pattern_frames(a.id) + c_seen.pattern_frames(b.id),
        0,
        "{c_seen:?}"
    );

    let states_before = view(&host).await;
    // The host moves b to room 2 (countdown 0: at once).
    command(
        &host,
        Command::Assign {
            participant: b.id,
            room: Some(RoomId(2)),
        },
    )
    .await;
    let b_heard_a_at_move = b.snapshot().tone_frames(a.tone());

    // b now hears and sees c; c hears and sees b.
    b.wait_for("b hears and sees c", |r| {
        r.tone_frames(c.tone()) >= HEARD && r.pattern_frames(c.id) >= SEEN
    })
    .await;
    c.wait_for("c hears and sees b", |r| {
        r.tone_frames(b.tone()) >= HEARD && r.pattern_frames(b.id) >= SEEN
    })
    .await;

    // a stops hearing b: over a window in which b decodes another second of
    // c, a decodes nothing more of b.
    let a_then = a.snapshot();
    let c_frames_then = b.snapshot().tone_frames(c.tone());
    b.wait_for("another second of c", |r| {
        r.tone_frames(c.tone()) >= c_frames_then + 50
    })
    .await;
    let a_now = a.snapshot();
    assert_eq!(
        a_now.tone_frames(b.tone()),
        a_then.tone_frames(b.tone()),
        "a still hears b after the move"
    );
    assert_eq!(
        a_now.pattern_frames(b.id),
        a_then.pattern_frames(b.id),
        "a still sees b after the move"
    );
    // b stopped hearing a too, and nobody ever heard or saw across rooms.
    let b_now = b.snapshot();
    assert!(
        b_now.tone_frames(a.tone()) <= b_heard_a_at_move + 10,
        "b kept hearing a after the move: {b_now:?}"
    );
    let c_now = c.snapshot();
    assert_eq!(c_now.tone_frames(a.tone()), 0, "c heard a: {c_now:?}");
    assert_eq!(c_now.pattern_frames(a.id), 0, "c saw a: {c_now:?}");
    assert_eq!(b_now.pattern_frames(a.id), 0, "b saw a's camera: {b_now:?}");

    // Mic and camera state belong to the participant: unchanged by the move.
    let states_after = view(&host).await;
    for bot in [&a, &b, &c] {
        assert_eq!(
            media_state(&states_after, bot.id),
            media_state(&states_before, bot.id),
            "{}'s media state changed",
            bot.name
        );
    }
    assert_eq!(media_state(&states_after, a.id), (true, false));
    assert_eq!(media_state(&states_after, b.id), (true, true));
    assert!(b.media.mic_on() && b.media.camera_on());
    assert!(a.media.mic_on() && !a.media.camera_on());

    // One connection each for the whole meeting.
    for bot in [&a, &b, &c] {
        assert_eq!(bot.media.connection_state(), "connected", "{}", bot.name);
        let stats = bot.media.server_stats().await.expect("server stats");
        assert_eq!(stats.state, "connected");
    }
    let b_stats = b.media.server_stats().await.unwrap();
    assert!(b_stats.slot_switches >= 1, "{b_stats:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn muting_stops_what_others_hear_and_survives_a_move() {
    let server = TestServer::start().await;
    let meeting = server.meeting().await;
    let host = server.host(&meeting).await;
    let a = Bot::join(&server, &meeting, "a", MediaConfig::synthetic()).await;
    let b = Bot::join(&server, &meeting, "b", MediaConfig::synthetic()).await;
    start_breakouts(&host, 2, &[(a.id, 1), (b.id, 1)]).await;
    b.wait_for("b hears a", |r| r.tone_frames(a.tone()) >= HEARD)
        .await;

    a.media.set_mic(false).await.expect("mute");
    assert!(!a.media.mic_on());
    // Once b has seen another second of a's video, a's muted audio is gone.
    let seen = b.snapshot().pattern_frames(a.id);
    b.wait_for("more of a's picture", |r| {
        r.pattern_frames(a.id) >= seen + 30
    })
    .await;
    let heard = b.snapshot().tone_frames(a.tone());
    b.wait_for("yet more of a's picture", |r| {
        r.pattern_frames(a.id) >= seen + 60
    })
    .await;
    assert_eq!(b.snapshot().tone_frames(a.tone()), heard, "a is muted");

    // Both move to room 2: a is still muted there.
    for bot in [&a, &b] {
        command(
            &host,
            Command::Assign {
                participant: bot.id,
                room: Some(RoomId(2)),
            },
        )
        .await;
    }
    let seen = b.snapshot().pattern_frames(a.id);
    b.wait_for("a's picture in room 2", |r| {
        r.pattern_frames(a.id) >= seen + 30
    })
    .await;
    assert_eq!(
        b.snapshot().tone_frames(a.tone()),
        heard,
        "a is still muted"
    );
    assert_eq!(media_state(&view(&host).await, a.id), (false, true));

    a.media.set_mic(true).await.expect("unmute");
    b.wait_for("a heard again", |r| {
        r.tone_frames(a.tone()) >= heard + HEARD
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn another_device_replaces_the_old_one_on_the_same_connection() {
    let server = TestServer::start().await;
    let meeting = server.meeting().await;
    let host = server.host(&meeting).await;
    let a = Bot::join(&server, &meeting, "a", MediaConfig::synthetic()).await;
    let b = Bot::join(&server, &meeting, "b", MediaConfig::synthetic()).await;
    start_breakouts(&host, 1, &[(a.id, 1), (b.id, 1)]).await;
    b.wait_for("b hears and sees a", |r| {
        r.tone_frames(a.tone()) >= HEARD && r.pattern_frames(a.id) >= SEEN
    })
    .await;
    let slots_before = b.slots.borrow().clone().expect("b has a slot map");

    // "Another device": recordings that carry someone else's identity, so
    // what b decodes tells which source a sends.
    let other = ParticipantId(99);
    let other_tone = tone_frequency(other) as u32;
    a.media
        .replace_audio_source(&AudioSource::Replay(encode_tone_clip(other, 50).into()))
        .expect("the new audio source opens");
    a.media
        .replace_video_source(&VideoSource::Replay {
            frames: encode_pattern_clip(other, 30).into(),
            fps: 15,
        })
        .expect("the new video source opens");
    b.wait_for("b hears and sees a's new source", |r| {
        r.tone_frames(other_tone) >= HEARD && r.pattern_frames(other) >= SEEN
    })
    .await;
    let (old_tone, old_pattern) = {
        let r = b.snapshot();
        (r.tone_frames(a.tone()), r.pattern_frames(a.id))
    };
    b.wait_for("more of the new source", |r| {
        r.tone_frames(other_tone) >= 2 * HEARD && r.pattern_frames(other) >= 2 * SEEN
    })
    .await;
    let r = b.snapshot();
    assert_eq!(r.tone_frames(a.tone()), old_tone, "the old mic is closed");
    assert_eq!(
        r.pattern_frames(a.id),
        old_pattern,
        "the old camera is closed"
    );

    // Nothing was renegotiated: the same slot map, the same connection.
    assert_eq!(b.slots.borrow().as_ref(), Some(&slots_before));
    assert_eq!(a.media.connection_state(), "connected");
    assert!(a.media.has_audio_source() && a.media.has_video_source());
    assert_eq!(media_state(&view(&host).await, a.id), (true, true));

    // A device that cannot be opened is refused; the current one goes on.
    let missing = a
        .media
        .replace_audio_source(&AudioSource::Microphone(Some("no such microphone".into())));
    assert!(
        matches!(missing, Err(MediaError::NoDevice { .. })),
        "{missing:?}"
    );
    let heard = b.snapshot().tone_frames(other_tone);
    b.wait_for("the new source still heard", |r| {
        r.tone_frames(other_tone) >= heard + HEARD
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn meetings_on_two_media_threads_each_carry_their_own() {
    let server = TestServer::start_with_media_threads(2).await;
    // The first meeting goes to the socket's thread, the second to the other.
    let (first, second) = (server.meeting().await, server.meeting().await);
    let voice = || {
        let mut config = MediaConfig::synthetic();
        config.video = VideoSource::None;
        config.camera_on = false;
        config
    };
    let a = Bot::join(&server, &first, "a", voice()).await;
    let b = Bot::join(&server, &first, "b", voice()).await;
    // Ids count per meeting, and tones follow ids: two who never join
    // first, so that c and d sound unlike a and b.
    for name in ["x", "y"] {
        server.token(&second, name, "participant").await;
    }
    let c = Bot::join(&server, &second, "c", voice()).await;
    let d = Bot::join(&server, &second, "d", voice()).await;
    let tones = [a.tone(), b.tone(), c.tone(), d.tone()];
    assert!((1..4).all(|i| !tones[..i].contains(&tones[i])), "{tones:?}");
    for (bot, partner) in [(&a, &b), (&b, &a), (&c, &d), (&d, &c)] {
        bot.wait_for("its partner's tone", |r| {
            r.tone_frames(partner.tone()) >= HEARD
        })
        .await;
    }
    for (bot, others) in [(&a, [&c, &d]), (&c, [&a, &b])] {
        let heard = bot.snapshot();
        for other in others {
            assert_eq!(
                heard.tone_frames(other.tone()),
                0,
                "{} hears {}",
                bot.name,
                other.name
            );
        }
    }
}
