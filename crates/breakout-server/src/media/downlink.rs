//! Each subscriber's downlink estimate, which layer selection keeps to.
//!
//! The SFU is the sender towards a subscriber, so it estimates that path the
//! way a client estimates its uplink: transport-wide sequence numbers on
//! every packet it forwards, the subscriber's transport-wide feedback read
//! back, and Google Congestion Control over both (`breakout-bwe`, the
//! client's own estimator). What differs is the sender: a camera scales its
//! rate smoothly, the SFU only steps between fixed layers, so the estimate
//! may rise further above what got through ([`BweConfig::acked_headroom`]):
//! a step up is the probe, and a queue it builds steps back down.
//!
//! And the SFU shares its machine: arrival times that jitter because a
//! process was not scheduled look to GCC's trendline like a queue building.
//! A delay-based cut therefore needs the round trip itself to have grown
//! ([`OVERUSE_MIN_QUEUE`]); on a free link whose subscriber was short of
//! CPU it did not (5–16 ms against a 4 ms base, measured in the two-core
//! lab, where the trend alone cut a free subscriber to its floor), behind a
//! capped one it did (250 ms).

use std::sync::Arc;
use std::time::Duration;

use breakout_bwe::{BweConfig, Uplink};

/// Feedback reports before the estimate is trusted: a subscriber that sends
/// none (no transport-wide feedback negotiated) is never limited.
const TRUSTED_AFTER_REPORTS: u64 = 5;

/// A delay-based over-use cuts only once the round trip is this far above
/// the least seen in the last seconds: a queue, not a late reader.
const OVERUSE_MIN_QUEUE: Duration = Duration::from_millis(30);

/// A new subscriber's estimator. It starts high, where a simulcast camera's
/// middle layers fit. Its floor is low: audio is never held to the
/// estimate, so on a link narrower than a room's audio the estimate must be
/// able to fall below it and stop every picture (five people's Opus took
/// 130 kbit/s of RTP and about 250 kbit/s on the wire).
pub fn estimator() -> Arc<Uplink> {
    Uplink::new(BweConfig {
        start_bps: 2_000_000,
        min_bps: 50_000,
        max_bps: 50_000_000,
        acked_headroom: 2.5,
        overuse_min_queue: OVERUSE_MIN_QUEUE,
    })
}

/// What the subscriber's downlink can take now (bit/s), or `None` while
/// it has shown no limit: its feedback said too little, or nothing sent so
/// far built a queue or lost packets (the estimate is then only where it
/// started).
pub fn budget(downlink: &Uplink) -> Option<u64> {
    let estimate = downlink.estimate();
    (estimate.reports >= TRUSTED_AFTER_REPORTS && estimate.cuts > 0).then_some(estimate.target_bps)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_budget_before_the_subscriber_has_reported() {
        let downlink = estimator();
        assert_eq!(budget(&downlink), None);
    }
}
