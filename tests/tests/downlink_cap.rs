//! A subscriber whose downlink is capped (tc tbf on the lab router's egress
//! towards the office network) in a room of four simulcast senders: the
//! SFU's estimate of that downlink, from the subscriber's transport-wide
//! feedback, comes down to the cap and the subscriber's video slots step
//! down to low layers (or stop) while its audio keeps playing; a subscriber
//! on a free link in the same room keeps the full layers; lifting the cap
//! brings higher layers back. Needs root, so ignored by a plain `cargo
//! test`; `scripts/net-test.sh` runs it.

use std::time::Duration;

use breakout_e2e::Bot;
use breakout_e2e::internet::{HTTP_PORT, MEDIA_PORT, start_server, tone_frames};
use breakout_e2e::netlab::NatLab;
use breakout_protocol::media::{Layer, MediaKind, MediaStats};
use breakout_protocol::ws::{Reply, Request};
use tokio::time::Instant;

const CAP_KBIT: u32 = 400;
const SENDERS: usize = 4;
/// Long enough for an estimate that has met the cap to climb back by
/// additive increase once it is lifted.
const PATIENCE: Duration = Duration::from_secs(90);

async fn stats(bot: &mut Bot) -> MediaStats {
    match bot.request(Request::GetMediaStats).await {
        Ok(Reply::MediaStats { stats }) => *stats,
        other => panic!("media stats expected, got {other:?}"),
    }
}

/// The layers the server forwards in the video slots that show somebody.
fn video_layers(stats: &MediaStats) -> Vec<Option<Layer>> {
    stats
        .slots
        .iter()
        .filter(|slot| slot.kind == MediaKind::Video && slot.participant.is_some())
        .map(|slot| slot.layer)
        .collect()
}

/// Polls `bot`'s server-side media stats until `wanted` holds.
async fn wait_stats(bot: &mut Bot, what: &str, wanted: impl Fn(&MediaStats) -> bool) -> MediaStats {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let stats = stats(bot).await;
        if wanted(&stats) {
            return stats;
        }
        assert!(
            Instant::now() < deadline,
            "{what} did not happen within {PATIENCE:?}: estimate {:?}, layers {:?}",
            stats.downlink_estimate_bps,
            video_layers(&stats)
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs root, ip, nft and tc: scripts/net-test.sh runs it"]
async fn a_capped_downlink_gets_low_layers_and_all_audio_and_the_high_ones_back_when_freed() {
    let lab = NatLab::new(&[HTTP_PORT], &[MEDIA_PORT]);
    let data = tempfile::tempdir().unwrap();
    let server = start_server(&lab.server, data.path(), &[]).await;
    let meeting = server
        .admin(
            &lab.clients,
            &["create-meeting", "--title", "capped downlink"],
        )
        .await;
    let meeting = meeting["id"].as_str().expect("meeting id").to_owned();

    // Ten pictures a second: six bots, the SFU and the test share two cores,
    // and a subscriber short of CPU reads its packets late, which its
    // feedback rightly reports as a queue.
    let simulcast = [
        "--media",
        "synthetic",
        "--simulcast",
        "--fps",
        "10",
        "--report-ms",
        "500",
    ];
    let mut senders = Vec::new();
    for i in 0..SENDERS {
        let name = format!("Sender {i}");
        let who = server
            .add(&lab.clients, &meeting, &name, "participant")
            .await;
        senders.push(
            server
                .join_with(&lab.clients, &name, &who, &simulcast)
                .await,
        );
    }
    let listening = ["--media", "synthetic", "--fps", "10", "--report-ms", "200"];
    let free_id = server
        .add(&lab.clients, &meeting, "Free", "participant")
        .await;
    let mut free = server
        .join_with(&lab.clients, "Free", &free_id, &listening)
        .await;
    lab.cap_office_downlink_kbit(CAP_KBIT);
    let capped_id = server
        .add(&lab.office, &meeting, "Capped", "participant")
        .await;
    let mut capped = server
        .join_with(&lab.office, "Capped", &capped_id, &listening)
        .await;

    // Neither declares tile sizes, so both want every sender's full layer.
    // (The other listener's camera is a single picture without layers.)
    let full = |stats: &MediaStats| {
        let layers: Vec<Layer> = video_layers(stats).into_iter().flatten().collect();
        layers.len() == SENDERS && layers.iter().all(|l| *l == Layer::Full)
    };
    wait_stats(&mut free, "the free subscriber receiving full layers", full).await;
    let cap_bps = u64::from(CAP_KBIT) * 1_000;
    let squeezed = wait_stats(
        &mut capped,
        "the capped subscriber's estimate meeting the cap",
        |s| {
            s.downlink_estimate_bps.is_some_and(|bps| bps <= cap_bps)
                && video_layers(s).iter().all(|l| *l != Some(Layer::Full))
        },
    )
    .await;
    eprintln!(
        "capped at {CAP_KBIT} kbit/s: estimate {:?}, layers {:?}",
        squeezed.downlink_estimate_bps,
        video_layers(&squeezed)
    );
    // The free subscriber in the same room is not dragged down: it has (or
    // gets back, if its own CPU-starved moments cost it a layer) every full
    // layer while the capped one still has none.
    wait_stats(&mut free, "the free subscriber keeping full layers", full).await;
    let still = stats(&mut capped).await;
    assert!(
        video_layers(&still).iter().all(|l| *l != Some(Layer::Full)),
        "the capped subscriber got full layers back under the cap: estimate {:?}, layers {:?}",
        still.downlink_estimate_bps,
        video_layers(&still)
    );

    // Audio goes on through the squeeze: two more seconds of tones decoded.
    let heard = tone_frames(&capped.latest_media_report().await);
    capped
        .media_report("two more seconds of the room's tones", |r| {
            tone_frames(r) >= heard + 100
        })
        .await;

    // Freed, the estimate climbs and a higher layer comes back.
    lab.lift_caps();
    let freed = wait_stats(&mut capped, "a higher layer after the cap is lifted", |s| {
        video_layers(s)
            .iter()
            .any(|l| matches!(l, Some(Layer::Half | Layer::Full)))
    })
    .await;
    eprintln!(
        "freed: estimate {:?}, layers {:?}",
        freed.downlink_estimate_bps,
        video_layers(&freed)
    );
    drop(senders);
}
