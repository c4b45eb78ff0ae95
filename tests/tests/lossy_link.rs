//! A participant on a bad link: the office network reaches the server
//! through `breakout_e2e::impair`'s relay with 5 % loss, 100 ms round trip
//! and ±30 ms jitter each way, beside a client on a clean link. What it
//! decodes is checked by content (whose tone, whose pattern, counters that
//! advance), in the main room and after a move to a breakout room; the
//! relay's counters show the impairment really happened. Needs root, so
//! ignored by a plain `cargo test`; `scripts/net-test.sh` runs it.

use breakout_core::{BreakoutConfig, Command, EventBody, RoomId};
use breakout_e2e::impair::LinkImpairment;
use breakout_e2e::internet::{
    HTTP_PORT, MEDIA_PORT, pattern_counter, pattern_frames, start_server, tone_frames_of,
};
use breakout_e2e::netlab::NatLab;

const LOSSY: LinkImpairment = LinkImpairment {
    loss_pct: 5.0,
    rtt_ms: 100,
    jitter_ms: 30,
    seed: 11,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs root, ip, nft and tc: scripts/net-test.sh runs it"]
async fn a_client_on_a_lossy_jittery_link_still_hears_and_sees_its_room_and_the_next() {
    let lab = NatLab::new(&[HTTP_PORT], &[MEDIA_PORT]);
    let mut link = lab.impair_office(LOSSY).await;
    let data = tempfile::tempdir().unwrap();
    let server = start_server(&lab.server, data.path(), &[]).await;

    let config = serde_json::to_string(&BreakoutConfig {
        move_countdown_secs: 0,
        ..BreakoutConfig::default()
    })
    .unwrap();
    let meeting = server
        .admin(
            &lab.clients,
            &["create-meeting", "--title", "Lossy", "--config", &config],
        )
        .await;
    let meeting = meeting["id"].as_str().expect("meeting id").to_owned();
    let host_id = server.add(&lab.clients, &meeting, "Host", "host").await;
    let ada_id = server
        .add(&lab.office, &meeting, "Ada", "participant")
        .await;
    let bo_id = server
        .add(&lab.clients, &meeting, "Bo", "participant")
        .await;
    let cy_id = server
        .add(&lab.clients, &meeting, "Cy", "participant")
        .await;
    let (ada, bo, cy) = (ada_id.participant, bo_id.participant, cy_id.participant);
    let mut host = server.join(&lab.clients, "Host", &host_id, false).await;
    let mut ada_bot = server.join(&lab.office, "Ada", &ada_id, true).await;
    let mut bo_bot = server.join(&lab.clients, "Bo", &bo_id, true).await;
    let mut cy_bot = server.join(&lab.clients, "Cy", &cy_id, true).await;

    // Main room, downlink: Ada decodes Bo's and Cy's tones at their own
    // frequencies and their patterns, with counters that move on.
    let first = ada_bot
        .media_report("Bo's and Cy's tones and patterns", |r| {
            [bo, cy]
                .iter()
                .all(|&who| tone_frames_of(r, who) >= 10 && pattern_frames(r, who) >= 10)
        })
        .await;
    assert_eq!(first["transport"], "udp", "UDP through the relay: {first}");
    ada_bot
        .media_report("Bo's pattern counter moving on", |r| {
            pattern_counter(r, bo) >= pattern_counter(&first, bo) + 10
        })
        .await;
    // Uplink: the clean client decodes Ada's.
    let first = bo_bot
        .media_report("Ada's tone and pattern", |r| {
            tone_frames_of(r, ada) >= 10 && pattern_frames(r, ada) >= 10
        })
        .await;
    bo_bot
        .media_report("Ada's pattern counter moving on", |r| {
            pattern_counter(r, ada) >= pattern_counter(&first, ada) + 10
        })
        .await;

    // Ada and Cy go to room 1, Bo to room 2, on the same connections.
    host.command(Command::CreateRooms {
        count: 2,
        names: vec![],
    })
    .await
    .expect("create rooms");
    for (who, room) in [(ada, 1), (cy, 1), (bo, 2)] {
        host.command(Command::Assign {
            participant: who,
            room: Some(RoomId(room)),
        })
        .await
        .expect("assign");
    }
    host.command(Command::Start).await.expect("start");
    let moved =
        |e: &EventBody| matches!(e, EventBody::MeetingChanged { room, .. } if *room == RoomId(1));
    ada_bot.event(moved).await;
    cy_bot.event(moved).await;
    // Well after the move (Cy's pattern 20 frames on) and again later, Ada
    // decodes Cy's tone and pattern and nothing more of Bo's: the slots
    // carry room 1 only.
    let at_move = ada_bot.latest_media_report().await;
    let settled = ada_bot
        .media_report("Cy's pattern in room 1", |r| {
            pattern_frames(r, cy) >= pattern_frames(&at_move, cy) + 20
        })
        .await;
    let later = ada_bot
        .media_report("Cy's tone and pattern on in room 1", |r| {
            tone_frames_of(r, cy) >= tone_frames_of(&settled, cy) + 25
                && pattern_frames(r, cy) >= pattern_frames(&settled, cy) + 20
                && pattern_counter(r, cy) > pattern_counter(&settled, cy)
        })
        .await;
    assert_eq!(
        (pattern_frames(&later, bo), tone_frames_of(&later, bo)),
        (pattern_frames(&settled, bo), tone_frames_of(&settled, bo)),
        "Bo, in room 2, still reaches Ada in room 1: {later}"
    );
    let at_move = cy_bot.latest_media_report().await;
    cy_bot
        .media_report("Ada's tone and pattern in room 1", |r| {
            tone_frames_of(r, ada) >= tone_frames_of(&at_move, ada) + 25
                && pattern_frames(r, ada) >= pattern_frames(&at_move, ada) + 20
        })
        .await;

    // All of Ada's media went through the relay (every RTP packet she
    // received crossed it), which lost and held some of it both ways.
    let received = ada_bot.latest_media_report().await;
    let packets: u64 = (received["slots"].as_array().into_iter().flatten())
        .filter_map(|slot| slot["packets"].as_u64())
        .sum();
    let stats = link.stats().await;
    assert_eq!(stats.udp_flows, 1, "Ada's one media flow: {stats:#?}");
    assert!(stats.tcp_connections >= 1, "{stats:#?}");
    assert!(
        stats.down.forwarded >= packets,
        "Ada received {packets} RTP packets, more than the relay passed: {stats:#?}"
    );
    for (way, d) in [("up", stats.up), ("down", stats.down)] {
        assert!(d.forwarded > 0, "{way}: nothing relayed: {stats:#?}");
        assert!(d.dropped > 0, "{way}: nothing lost: {stats:#?}");
        assert!(d.delayed > d.forwarded / 2, "{way}: not held: {stats:#?}");
        assert!(
            d.delay_ms_max > d.delay_ms_min.unwrap_or(u64::MAX),
            "{way}: no jitter: {stats:#?}"
        );
    }
}

/// The qdisc at the root of `dev` in `ns`, as tc names it.
fn root_qdisc(ns: &breakout_e2e::netlab::Netns, dev: &str) -> String {
    ns.exec("tc", &["qdisc", "show", "dev", dev, "root"])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs root, ip, nft and tc: scripts/net-test.sh runs it"]
async fn the_office_link_can_be_capped_each_way_and_uncapped_at_runtime() {
    let lab = NatLab::new(&[HTTP_PORT], &[MEDIA_PORT]);
    lab.cap_office_downlink_kbit(1_000);
    lab.cap_office_uplink_kbit(300);
    let down = root_qdisc(&lab.router, "wan1");
    let up = root_qdisc(&lab.office, "eth0");
    assert!(down.contains("tbf") && down.contains("1Mbit"), "{down}");
    assert!(up.contains("tbf") && up.contains("300Kbit"), "{up}");
    // A new rate replaces the old one.
    lab.cap_office_uplink_kbit(500);
    let up = root_qdisc(&lab.office, "eth0");
    assert!(up.contains("500Kbit"), "{up}");
    lab.lift_caps();
    assert!(!root_qdisc(&lab.router, "wan1").contains("tbf"));
    assert!(!root_qdisc(&lab.office, "eth0").contains("tbf"));
    // Lifting twice is harmless.
    lab.lift_caps();
}
