//! Media through the real SFU on loopback: three participants with test
//! peers in two rooms, real RTP, a move by the host. No sleeps: every wait
//! is for packets, slot maps or events, with generous timeouts.

mod common;
mod media_peer;

use breakout_core::{Command, EventBody, RoomId};
use breakout_protocol::ParticipantId;
use breakout_protocol::ws::{Reply, Request};
use common::{TestServer, quick_config};
use media_peer::{MediaPeer, Received, Signal};
use webrtc::peer_connection::peer_connection_state::RTCPeerConnectionState;
use webrtc::rtp_transceiver::rtp_codec::RTPCodecType;

struct Meeting {
    server: TestServer,
    /// In main, publishing too (nobody else is in main once rooms start).
    host: MediaPeer,
    a: MediaPeer,
    b: MediaPeer,
    c: MediaPeer,
}

/// The host in main; Ann and Bo in room 1, Cy in room 2; everyone
/// publishes audio and video.
async fn meeting() -> Meeting {
    let server = TestServer::start().await;
    let meeting = server.create_meeting(quick_config()).await;
    let addr = server.addr;
    let host = server.add(&meeting, "Host", "host").await;
    let people = [
        server.add(&meeting, "Ann", "participant").await,
        server.add(&meeting, "Bo", "participant").await,
        server.add(&meeting, "Cy", "participant").await,
    ];
    let host = Signal::connect(addr, &host.token).await;
    host.command(Command::CreateRooms {
        count: 2,
        names: vec![],
    })
    .await
    .expect("rooms");
    for (person, room) in people.iter().zip([1, 1, 2]) {
        host.command(Command::Assign {
            participant: person.participant,
            room: Some(RoomId(room)),
        })
        .await
        .expect("assign");
    }
    host.command(Command::Start).await.expect("start");
    host.command(Command::SetMedia {
        mic: Some(true),
        camera: Some(true),
    })
    .await
    .expect("host media on");
    let host = MediaPeer::join(host, 30).await;
    let mut peers = Vec::new();
    for person in &people {
        let signal = Signal::connect(addr, &person.token).await;
        signal
            .command(Command::SetMedia {
                mic: Some(true),
                camera: Some(true),
            })
            .await
            .expect("media on");
        peers.push(MediaPeer::join(signal, 30).await);
    }
    let c = peers.pop().expect("c");
    let b = peers.pop().expect("b");
    let a = peers.pop().expect("a");
    Meeting {
        server,
        host,
        a,
        b,
        c,
    }
}

fn from(who: ParticipantId, kind: RTPCodecType) -> impl Fn(&Received) -> bool {
    move |r| r.source == who && r.kind == kind
}

fn log_of(peer: &MediaPeer) -> Vec<Received> {
    peer.log.lock().expect("log").clone()
}

async fn selected_pair(peer: &MediaPeer) -> String {
    let pair = peer
        .pc
        .sctp()
        .transport()
        .ice_transport()
        .get_selected_candidate_pair()
        .await;
    format!("{pair:?}")
}

async fn self_media(signal: &Signal) -> breakout_core::MediaState {
    match signal.request(Request::GetState).await {
        Ok(Reply::State { view }) => view.you.media,
        other => panic!("state expected, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_room_hears_only_itself_and_a_move_switches_on_the_same_connection() {
    let Meeting {
        server,
        host,
        mut a,
        mut b,
        mut c,
    } = meeting().await;
    let (pa, pb, pc) = (a.participant, b.participant, c.participant);

    // Room 1 hears and sees itself.
    let a_audio = a
        .wait_for("Bo's audio", from(pb, RTPCodecType::Audio))
        .await;
    a.wait_for("Bo's video", from(pb, RTPCodecType::Video))
        .await;
    let a_first_video = log_of(&a)
        .into_iter()
        .find(|r| r.kind == RTPCodecType::Video)
        .expect("Bo's video is logged");
    assert!(
        a_first_video.keyframe,
        "a video slot starts with a keyframe"
    );
    let b_audio_before = b
        .wait_for("Ann's audio", from(pa, RTPCodecType::Audio))
        .await;
    b.wait_for("Ann's video", from(pa, RTPCodecType::Video))
        .await;
    // Let 50 more of Ann's packets reach Bo: Cy, alone in room 2, got none.
    for _ in 0..50 {
        b.wait_for("Ann's audio", from(pa, RTPCodecType::Audio))
            .await;
    }
    assert!(
        log_of(&c).is_empty(),
        "room 2 received media from room 1: {:?}",
        log_of(&c).first()
    );
    assert!(log_of(&a).iter().all(|r| r.source == pb));
    assert!(log_of(&b).iter().all(|r| r.source == pa));
    let a_slots = a.signal.slots().expect("slot map");
    assert_eq!(a_slots.room, RoomId(1));
    assert!(a_slots.audio.iter().any(|s| s.participant == Some(pb)));
    assert_eq!(a_audio.mid, a_slots.audio[0].mid);

    let pair_before = selected_pair(&b).await;
    let plis_before = c.plis.load(std::sync::atomic::Ordering::Relaxed);

    // The host moves Bo to room 2, no countdown.
    host.signal
        .command(Command::Assign {
            participant: pb,
            room: Some(RoomId(2)),
        })
        .await
        .expect("move");
    b.signal
        .event(|e| matches!(e, EventBody::MeetingChanged { room, .. } if *room == RoomId(2)))
        .await;

    // Bo now hears and sees Cy, on the same slots, the video from a keyframe.
    let b_audio_after = b
        .wait_for("Cy's audio", from(pc, RTPCodecType::Audio))
        .await;
    b.wait_for("Cy's video", from(pc, RTPCodecType::Video))
        .await;
    // The log, not the wait: waiting for the audio may have passed over
    // the first video packet.
    let first_video_after = log_of(&b)
        .into_iter()
        .find(|r| r.source == pc && r.kind == RTPCodecType::Video)
        .expect("Cy's video is logged");
    assert!(
        first_video_after.keyframe,
        "the new source starts with a keyframe"
    );
    assert!(
        c.plis.load(std::sync::atomic::Ordering::Relaxed) > plis_before,
        "the switch asked Cy for a keyframe"
    );
    assert_eq!(b_audio_after.mid, b_audio_before.mid, "same slot");
    assert_eq!(b_audio_after.ssrc, b_audio_before.ssrc, "same SSRC");
    c.wait_for("Bo's audio", from(pb, RTPCodecType::Audio))
        .await;
    c.wait_for("Bo's video", from(pb, RTPCodecType::Video))
        .await;

    // Sequence numbers on the slot continue across the switch.
    for kind in [RTPCodecType::Audio, RTPCodecType::Video] {
        let log = log_of(&b);
        let mid = &log.iter().find(|r| r.kind == kind).expect("slot").mid;
        let on_slot: Vec<&Received> = log.iter().filter(|r| &r.mid == mid).collect();
        let last_old = on_slot
            .iter()
            .filter(|r| r.source == pa)
            .map(|r| r.seq)
            .max();
        let first_new = on_slot
            .iter()
            .filter(|r| r.source == pc)
            .map(|r| r.seq)
            .min();
        let (Some(last_old), Some(first_new)) = (last_old, first_new) else {
            panic!("{kind} slot {mid} carried both sources");
        };
        assert_eq!(first_new, last_old.wrapping_add(1), "{kind} seq continuous");
    }

    // Ann, alone in room 1 now, stops receiving Bo.
    a.signal
        .wait_slots(|map| {
            map.audio
                .iter()
                .chain(&map.video)
                .all(|s| s.participant.is_none())
        })
        .await;
    for _ in 0..25 {
        b.wait_for("Cy's audio", from(pc, RTPCodecType::Audio))
            .await;
    }
    let a_count = log_of(&a).len();
    let a_sent = match a.signal.request(Request::GetMediaStats).await {
        Ok(Reply::MediaStats { stats }) => stats.sent.packets,
        other => panic!("stats expected, got {other:?}"),
    };
    for _ in 0..50 {
        b.wait_for("Cy's audio", from(pc, RTPCodecType::Audio))
            .await;
    }
    assert_eq!(
        log_of(&a).len(),
        a_count,
        "Ann still receives after Bo left"
    );
    let Ok(Reply::MediaStats { stats }) = a.signal.request(Request::GetMediaStats).await else {
        panic!("stats expected");
    };
    assert_eq!(stats.sent.packets, a_sent, "the SFU still forwards to Ann");

    // Same connection: one offer, never left `connected`, same ICE pair.
    assert_eq!(b.offers_sent, 1);
    assert_eq!(
        *b.states.lock().expect("states"),
        vec![
            RTCPeerConnectionState::Connecting,
            RTCPeerConnectionState::Connected
        ]
    );
    assert_eq!(
        selected_pair(&b).await,
        pair_before,
        "same ICE/DTLS transport"
    );
    let Ok(Reply::MediaStats { stats }) = b.signal.request(Request::GetMediaStats).await else {
        panic!("stats expected");
    };
    assert_eq!(stats.state, "connected");
    assert!(stats.slot_switches >= 2);
    assert!(stats.received.packets > 0 && stats.sent.packets > 0);

    // Mic and camera belong to the person: unchanged by the move.
    let media = self_media(&b.signal).await;
    assert!(media.mic && media.camera);

    drop(server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn muting_stops_forwarding_and_a_second_offer_is_refused() {
    let Meeting {
        server,
        host: _host,
        mut a,
        mut b,
        c: _c,
    } = meeting().await;
    let (pa, pb) = (a.participant, b.participant);
    a.wait_for("Bo's audio", from(pb, RTPCodecType::Audio))
        .await;
    b.wait_for("Ann's video", from(pa, RTPCodecType::Video))
        .await;

    a.signal
        .command(Command::SetMedia {
            mic: Some(false),
            camera: None,
        })
        .await
        .expect("mute");
    b.signal
        .wait_slots(|map| {
            map.audio.iter().all(|s| s.participant != Some(pa))
                && map.video.iter().any(|s| s.participant == Some(pa))
        })
        .await;
    // Ann's camera still reaches Bo; her muted mic does not.
    b.drain();
    for _ in 0..30 {
        b.wait_for("Ann's video", from(pa, RTPCodecType::Video))
            .await;
    }
    let audio_after_mute: Vec<Received> = log_of(&b)
        .into_iter()
        .filter(|r| r.source == pa && r.kind == RTPCodecType::Audio)
        .collect();
    let before = audio_after_mute.len();
    for _ in 0..30 {
        b.wait_for("Ann's video", from(pa, RTPCodecType::Video))
            .await;
    }
    let after = log_of(&b)
        .iter()
        .filter(|r| r.source == pa && r.kind == RTPCodecType::Audio)
        .count();
    assert_eq!(before, after, "a muted mic is still forwarded");

    let refused = a
        .signal
        .request(Request::MediaOffer {
            sdp: "v=0".into(),
            restart: false,
            listen_slots: 0,
            all_rooms_slot: false,
            screen_track: None,
            screen_slot: false,
        })
        .await;
    assert_eq!(refused.expect_err("refused").code, "already_negotiated");
    drop(server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visiting_host_receives_the_visited_room_only() {
    let Meeting {
        server,
        mut host,
        a,
        b,
        mut c,
    } = meeting().await;
    let (ph, pa, pb, pc) = (
        host.participant,
        a.participant,
        b.participant,
        c.participant,
    );
    host.signal
        .command(Command::Visit { room: RoomId(2) })
        .await
        .expect("visit");
    host.wait_for("Cy's audio", from(pc, RTPCodecType::Audio))
        .await;
    host.wait_for("Cy's video", from(pc, RTPCodecType::Video))
        .await;
    c.wait_for("the host's audio", from(ph, RTPCodecType::Audio))
        .await;
    for _ in 0..50 {
        host.wait_for("Cy's audio", from(pc, RTPCodecType::Audio))
            .await;
    }
    assert!(
        log_of(&host)
            .iter()
            .all(|r| r.source != pa && r.source != pb),
        "the host heard room 1 while visiting room 2"
    );
    let slots = host.signal.slots().expect("slot map");
    assert_eq!(slots.room, RoomId(2));
    assert_eq!(host.offers_sent, 1);
    drop((a, b, server));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trickled_candidates_are_checked_and_never_hold_up_the_connection() {
    let Meeting {
        server,
        host: _host,
        mut a,
        b,
        c: _c,
    } = meeting().await;
    let candidate = |line: String| Request::MediaCandidate {
        candidate: breakout_protocol::media::IceCandidate {
            candidate: line,
            sdp_mid: Some("0".into()),
            sdp_mline_index: Some(0),
            username_fragment: None,
        },
    };

    let refused = a
        .signal
        .request(candidate("candidate:not a candidate".into()))
        .await;
    assert_eq!(refused.expect_err("refused").code, "bad_candidate");

    // A burst of well-formed candidates nobody answers on (TEST-NET-1):
    // each is acknowledged and the request behind them still gets its reply.
    for port in 0..60u16 {
        let line = format!(
            "candidate:{port} 1 udp 2122260223 192.0.2.{} {} typ host",
            port + 1,
            40_000 + port
        );
        let reply = a.signal.request(candidate(line)).await;
        assert!(matches!(reply, Ok(Reply::Ok)), "{reply:?}");
    }
    let Ok(Reply::MediaStats { stats }) = a.signal.request(Request::GetMediaStats).await else {
        panic!("stats expected");
    };
    assert_eq!(stats.state, "connected");
    // Media still flows on the connection that got them.
    a.drain();
    a.wait_for("Bo's audio", from(b.participant, RTPCodecType::Audio))
        .await;
    drop(server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nack_is_answered_from_the_slot_send_buffer() {
    use webrtc::rtcp::transport_feedbacks::transport_layer_nack::{NackPair, TransportLayerNack};

    let Meeting {
        server,
        host: _host,
        a,
        mut b,
        c: _c,
    } = meeting().await;
    let pa = a.participant;
    // Let a few of Ann's video packets arrive, then ask for one again.
    for _ in 0..5 {
        b.wait_for("Ann's video", from(pa, RTPCodecType::Video))
            .await;
    }
    let wanted = log_of(&b)
        .into_iter()
        .rfind(|r| r.source == pa && r.kind == RTPCodecType::Video)
        .expect("Ann's video is logged");
    let nack = TransportLayerNack {
        sender_ssrc: 0,
        media_ssrc: wanted.ssrc,
        nacks: vec![NackPair {
            packet_id: wanted.seq,
            lost_packets: 0,
        }],
    };
    b.pc.write_rtcp(&[Box::new(nack)]).await.expect("nack sent");
    // Counted in the log: the original may still be queued for `wait_for`.
    let log = b.log.clone();
    let copies = move || {
        log.lock()
            .expect("log")
            .iter()
            .filter(|r| r.ssrc == wanted.ssrc && r.seq == wanted.seq)
            .map(|r| (r.source, r.counter))
            .collect::<Vec<_>>()
    };
    b.wait_for("the retransmission", |_| copies().len() >= 2)
        .await;
    assert!(
        copies().iter().all(|c| *c == (pa, wanted.counter)),
        "the retransmission is the same packet"
    );
    // (The stats count the NACK when the slot's RTCP reader gets to it,
    // which may be after the stack has already answered: not checked here.)
    drop(server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_older_client_hears_the_voice_to_all_rooms_in_its_rooms_slots() {
    // These peers offer the room's audio slots only (no listening or
    // all-rooms slots): the host's voice to all rooms takes one of them.
    let Meeting {
        server,
        host,
        mut a,
        b: _b,
        mut c,
    } = meeting().await;
    let ph = host.participant;
    host.signal
        .command(Command::SpeakToAll { active: true })
        .await
        .expect("speak to all");
    for peer in [&mut a, &mut c] {
        let map = peer
            .signal
            .wait_slots(|map| map.audio.iter().any(|s| s.participant == Some(ph)))
            .await;
        assert!(map.all_rooms.is_none() && map.listen.is_empty());
        let heard = peer
            .wait_for(
                "the host's voice to all rooms",
                from(ph, RTPCodecType::Audio),
            )
            .await;
        assert!(map.audio.iter().any(|s| s.mid == heard.mid));
    }
    host.signal
        .command(Command::SpeakToAll { active: false })
        .await
        .expect("let go");
    for peer in [&a, &c] {
        peer.signal
            .wait_slots(|map| map.audio.iter().all(|s| s.participant != Some(ph)))
            .await;
    }
    drop(server);
}
