//! `join_first_audio_nat_ms`: from a participant's start (token in hand)
//! to its first decoded audio, with the server behind a 1:1 NAT and the
//! participant on the far side (`breakout_e2e::netlab::NatLab`); the median
//! of several joins while one participant speaks. Needs root:
//! `scripts/bench-net.sh` runs it.

use breakout_e2e::internet::{
    HTTP_PORT, MEDIA_PORT, add, admin, join_reporting, start_server, tone_frames,
};
use breakout_e2e::netlab::NatLab;

const JOINS: usize = 9;
const REPORT_MS: u64 = 10;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let lab = NatLab::new(&[HTTP_PORT], &[MEDIA_PORT]);
    let data = tempfile::tempdir().expect("temp dir");
    let _server = start_server(&lab.server, data.path(), &[]).await;
    let meeting = admin(&lab.clients, &["create-meeting", "--title", "bench"]).await;
    let meeting = meeting["id"].as_str().expect("meeting id").to_owned();
    let speaker = add(&lab.clients, &meeting, "Speaker", "participant").await;
    let _speaker = join_reporting(&lab.clients, "Speaker", &speaker, Some(1_000)).await;

    let mut times = Vec::new();
    for i in 0..JOINS {
        let name = format!("Listener {i}");
        let who = add(&lab.clients, &meeting, &name, "participant").await;
        let mut bot = join_reporting(&lab.clients, &name, &who, Some(REPORT_MS)).await;
        let report = bot
            .media_report("the speaker's tone", |r| tone_frames(r) > 0)
            .await;
        times.push(report["elapsed_ms"].as_u64().expect("elapsed_ms"));
        bot.stop().await;
    }
    times.sort_unstable();
    println!("join_first_audio_nat_ms={}", times[times.len() / 2]);
}
