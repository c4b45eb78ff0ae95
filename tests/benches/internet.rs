//! From a participant's start (token in hand) to its first decoded audio,
//! with the server behind a 1:1 NAT (`breakout_e2e::netlab::NatLab`); the
//! median of several joins while one participant speaks:
//!
//! - `join_first_audio_nat_ms`: from the clients' network, over UDP;
//! - `fallback_join_first_audio_ms`: from the office network, which drops
//!   all UDP, so media falls back to the tunnel after the UDP attempt.
//!
//! Needs root: `scripts/bench-net.sh` runs it.

use breakout_e2e::internet::{HTTP_PORT, LabServer, MEDIA_PORT, start_server, tone_frames};
use breakout_e2e::netlab::{NatLab, Netns};

const JOINS: usize = 9;
const REPORT_MS: &str = "10";

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let lab = NatLab::new(&[HTTP_PORT], &[MEDIA_PORT]);
    lab.office.nft(
        "table inet blocked {
            chain out {
                type filter hook output priority filter;
                oifname \"eth0\" meta l4proto udp drop
            }
        }",
    );
    let data = tempfile::tempdir().expect("temp dir");
    let server = start_server(&lab.server, data.path(), &[]).await;
    let meeting = server
        .admin(&lab.clients, &["create-meeting", "--title", "bench"])
        .await;
    let meeting = meeting["id"].as_str().expect("meeting id").to_owned();
    let speaker = server
        .add(&lab.clients, &meeting, "Speaker", "participant")
        .await;
    let _speaker = server.join(&lab.clients, "Speaker", &speaker, true).await;

    let direct = first_audio_ms(&server, &lab.clients, &meeting, "udp").await;
    println!("join_first_audio_nat_ms={direct}");
    let fallback = first_audio_ms(&server, &lab.office, &meeting, "tunnel").await;
    println!("fallback_join_first_audio_ms={fallback}");
}

/// The median over [`JOINS`] listeners joining from `ns`, each checked to
/// have used `transport`.
async fn first_audio_ms(server: &LabServer, ns: &Netns, meeting: &str, transport: &str) -> u64 {
    let mut times = Vec::new();
    for i in 0..JOINS {
        let name = format!("Listener {i} ({transport})");
        let who = server.add(ns, meeting, &name, "participant").await;
        let args = ["--media", "synthetic", "--report-ms", REPORT_MS];
        let mut bot = server.join_with(ns, &name, &who, &args).await;
        let report = bot
            .media_report("the speaker's tone", |r| tone_frames(r) > 0)
            .await;
        assert_eq!(report["transport"], transport, "{report}");
        times.push(report["elapsed_ms"].as_u64().expect("elapsed_ms"));
        bot.stop().await;
    }
    times.sort_unstable();
    times[times.len() / 2]
}
