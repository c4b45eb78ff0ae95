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
//! And the SFU cannot tell a queue on the subscriber's link from arrival
//! times that jitter: a subscriber whose process was not scheduled (a free
//! one in the two-core lab: 5–16 ms round trip over a 4 ms base, its
//! estimate cut to the floor by the trendline alone) or a jittery radio
//! (the lab's lossy link, ±30 ms each way: about 30 ms over its base, the
//! trend read over-use, video stopped). Stepping a layer down answers
//! neither, so a delay-based cut needs a standing queue in the round trip
//! ([`OVERUSE_MIN_QUEUE`]), as a bottleneck builds (250 ms behind the
//! lab's 400 kbit/s cap), and loss answers the rest.

use std::sync::Arc;
use std::time::Duration;

use breakout_bwe::{BweConfig, Uplink};

/// Feedback reports before the estimate is trusted: a subscriber that sends
/// none (no transport-wide feedback negotiated) is never limited.
const TRUSTED_AFTER_REPORTS: u64 = 5;

/// A delay-based over-use cuts only once the round trip is this far above
/// the least seen in the last seconds: a queue, not a late reader or a
/// jittery link.
const OVERUSE_MIN_QUEUE: Duration = Duration::from_millis(100);

/// A new subscriber's estimator. It starts high, where a simulcast camera's
/// middle layers fit. Its floor is low: audio is never held to the
/// estimate, so on a link narrower than a room's audio the estimate must be
/// able to fall below it and stop all pictures but the one kept as a probe
/// (five people's Opus took 130 kbit/s of RTP and about 250 kbit/s on the
/// wire).
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
