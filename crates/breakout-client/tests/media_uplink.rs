//! The uplink's bandwidth estimate on a real connection: a participant
//! sending its tone and test pattern through the real server and SFU on
//! loopback reads the SFU's transport-wide feedback into an estimate, and
//! its camera's encoder follows that estimate (under a configured limit it
//! halves its frame rate, which the other side sees in what it decodes).

mod media_support;

use std::sync::Arc;

use breakout_client::media::{MediaConfig, MediaSession, UplinkStats};
use breakout_client::protocol::ParticipantId;
use media_support::{Bot, TestServer};

fn watching() -> MediaConfig {
    let mut config = MediaConfig::synthetic();
    config.camera_on = false;
    config
}

/// Waits, on what `watcher` decodes, until `sender`'s uplink has taken in
/// `reports` feedback packets and its camera has a target.
async fn feedback(watcher: &Bot, sender: &Arc<MediaSession>, reports: u64) -> UplinkStats {
    let media = sender.clone();
    watcher
        .wait_for("the sender's uplink has feedback", move |_| {
            let up = media.uplink();
            up.estimate.reports >= reports && up.estimate.acked_bps.is_some() && up.video.is_some()
        })
        .await;
    sender.uplink()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_estimate_comes_from_the_sfus_feedback_and_the_encoder_follows_it() {
    let server = TestServer::start().await;
    let meeting = server.meeting().await;
    let sender = Bot::join(&server, &meeting, "sender", MediaConfig::synthetic()).await;
    let watcher = Bot::join(&server, &meeting, "watcher", watching()).await;
    watcher
        .wait_for("the watcher sees the sender", |r| {
            r.pattern_frames(sender.id) >= 15
        })
        .await;

    let up = feedback(&watcher, &sender.media, 30).await;
    let estimate = up.estimate;
    // Real reports on real packets: the receiver got what was sent (tone
    // and pattern are well above Opus's 32 kbit/s), nearly nothing lost.
    let acked = estimate.acked_bps.expect("a rate that got through");
    assert!(acked >= 40_000, "{up:?}");
    assert!(estimate.loss_fraction < 0.05, "{up:?}");
    assert!(estimate.feedback_delay_ms.is_some(), "{up:?}");
    assert!(estimate.target_bps >= 80_000, "{up:?}");
    // The encoder's target is what the ladder makes of the estimate: at
    // most the pattern's full rate, at least its floor, never more than
    // the estimate leaves after audio.
    let video = up.video.expect("camera encoding");
    assert!((30..=300).contains(&video.target_kbps), "{up:?}");
    let left = estimate.target_bps.saturating_sub(64_000) / 1_000;
    assert!(u64::from(video.target_kbps) <= left.max(30) + 5, "{up:?}");

    watcher.leave().await;
    sender.leave().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn under_a_send_limit_the_camera_halves_its_frame_rate() {
    let server = TestServer::start().await;
    let meeting = server.meeting().await;
    let mut limited = MediaConfig::synthetic();
    // Leaves the 320×240 pattern about 120 kbit/s: below what 30 fps
    // needs, plenty for 15.
    limited.send_limit_bps = Some(200_000);
    let sender = Bot::join(&server, &meeting, "sender", limited).await;
    let watcher = Bot::join(&server, &meeting, "watcher", watching()).await;

    let up = feedback(&watcher, &sender.media, 10).await;
    assert!(up.estimate.target_bps <= 200_000, "{up:?}");
    let video = up.video.expect("camera encoding");
    assert!(video.target_kbps <= 123, "{up:?}");
    assert!(video.fps <= 15, "{up:?}");

    // Every picture drawn gets the next counter; only every other one is
    // sent. Judged on the watcher's side over two seconds of its audio.
    let first = pattern(&watcher, sender.id);
    let heard = watcher.snapshot().tone_frames(sender.tone());
    watcher
        .wait_for("two more seconds of the sender's tone", |r| {
            r.tone_frames(sender.tone()) >= heard + 100
        })
        .await;
    let last = pattern(&watcher, sender.id);
    let (frames, drawn) = (last.0 - first.0, u64::from(last.1 - first.1));
    assert!(drawn >= 20, "the pattern moved on: {first:?} -> {last:?}");
    assert!(
        frames * 10 <= drawn * 6,
        "decoded {frames} of {drawn} pictures drawn; {up:?}"
    );

    watcher.leave().await;
    sender.leave().await;
}

/// (pictures of `who`'s pattern decoded, its last counter).
fn pattern(watcher: &Bot, who: ParticipantId) -> (u64, u32) {
    let seen = watcher.snapshot();
    let counter = seen
        .patterns
        .iter()
        .find(|p| p.participant == who)
        .map_or(0, |p| p.last_counter);
    (seen.pattern_frames(who), counter)
}
