//! How fast a sender's bandwidth estimate finds a capped uplink, over real
//! network plumbing (`breakout_e2e::netlab::NatLab`): the office network's
//! egress is capped by tc tbf at 120 kbit/s (less than the test pattern and
//! its tone send together), and senders join from there one after another.
//!
//! - `bwe_cap_settle_ms`: from a sender's start (token in hand, estimate at
//!   its 300 kbit/s start) to its first media report whose estimate is down
//!   to the cap (at most 20 % above it); the median of several joins.
//!
//! Needs root: `scripts/bench-net.sh` runs it.

use breakout_e2e::internet::{HTTP_PORT, MEDIA_PORT, start_server};
use breakout_e2e::netlab::NatLab;

const JOINS: usize = 5;
const CAP_BPS: u64 = 120_000;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let lab = NatLab::new(&[HTTP_PORT], &[MEDIA_PORT]);
    let rate = format!("{}kbit", CAP_BPS / 1_000);
    lab.office.exec(
        "tc",
        &[
            "qdisc", "add", "dev", "eth0", "root", "tbf", "rate", &rate, "burst", "4kb", "latency",
            "100ms",
        ],
    );
    let data = tempfile::tempdir().expect("temp dir");
    let server = start_server(&lab.server, data.path(), &[]).await;
    let meeting = server
        .admin(&lab.clients, &["create-meeting", "--title", "bench"])
        .await;
    let meeting = meeting["id"].as_str().expect("meeting id").to_owned();

    let mut times = Vec::new();
    for i in 0..JOINS {
        let name = format!("Sender {i}");
        let who = server
            .add(&lab.clients, &meeting, &name, "participant")
            .await;
        let args = ["--media", "synthetic", "--report-ms", "20"];
        let mut bot = server.join_with(&lab.office, &name, &who, &args).await;
        let report = bot
            .media_report("an estimate down to the cap", |r| {
                let estimate = &r["uplink"]["estimate"];
                let target = estimate["target_bps"].as_u64().unwrap_or(u64::MAX);
                estimate["reports"].as_u64().unwrap_or(0) > 0 && target * 5 <= CAP_BPS * 6
            })
            .await;
        times.push(report["elapsed_ms"].as_u64().expect("elapsed_ms"));
        bot.stop().await;
    }
    times.sort_unstable();
    println!("bwe_cap_settle_ms={}", times[times.len() / 2]);
}
