//! Each subscriber's downlink estimate.
//!
//! The SFU is the sender towards a subscriber, so it estimates that path the
//! way a client estimates its uplink: transport-wide sequence numbers on
//! every packet it forwards, the subscriber's transport-wide feedback read
//! back, and Google Congestion Control over both (`breakout-bwe`, the
//! client's own estimator). The estimate is in the subscriber's media stats;
//! layer selection ([`super::layers::select`]) can keep within it, but is
//! not given it yet: in the two-core lab a subscriber short of CPU lost 2–4 %
//! of what reached it on a free link and delayed the rest, and the estimate
//! sank to its floor, which would have cost it its pictures.

use std::sync::Arc;

use breakout_bwe::{BweConfig, Uplink};

/// Feedback reports before the estimate is trusted: a subscriber that sends
/// none (no transport-wide feedback negotiated) is never limited.
const TRUSTED_AFTER_REPORTS: u64 = 5;

/// A new subscriber's estimator. It starts high, where a simulcast camera's
/// middle layers fit, and never goes below the audio of a full room and a
/// small picture or two, which keep probing the path after a cut.
pub fn estimator() -> Arc<Uplink> {
    Uplink::new(BweConfig {
        start_bps: 2_000_000,
        min_bps: 300_000,
        max_bps: 50_000_000,
        acked_headroom: 2.5,
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
