//! Prometheus metrics, served at `/metrics` in the OpenMetrics text format.
//! A leaf module: the forwarding path and the journal call into it, and it
//! calls nothing of the server's.
//!
//! What the meetings hold (meetings, connected participants, breakout
//! rooms) is read from the meeting actors at scrape time (`ops`), so it is
//! always this server's and never drifts. Media and journal figures are counted
//! where they happen, process-wide: the forwarding path and the journal
//! writer know nothing of a server, and a process runs one server outside
//! tests.

use std::sync::LazyLock;
use std::time::Duration;

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry as Metrics;

/// The `Content-Type` of the OpenMetrics text format, which Prometheus
/// scrapes as is.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

struct Counted {
    forwarded: Counter,
    dropped: Counter,
    journal_append: Histogram,
}

static COUNTED: LazyLock<Counted> = LazyLock::new(|| Counted {
    forwarded: Counter::default(),
    dropped: Counter::default(),
    // 0.25 ms to about 4 s: a group commit costs one fsync, and a slow
    // disk shows up as the upper buckets filling.
    journal_append: Histogram::new(exponential_buckets(0.000_25, 2.0, 15)),
});

/// An RTP packet was written to a subscriber's track.
pub fn packet_forwarded() {
    COUNTED.forwarded.inc();
}

/// RTP packets forwarded by this process so far.
pub fn forwarded_packets() -> u64 {
    COUNTED.forwarded.get()
}

/// An RTP packet was dropped because a subscriber's queue was full.
pub fn packet_dropped() {
    COUNTED.dropped.inc();
}

/// A journal append was committed (or failed) `elapsed` after it was
/// submitted: queueing behind other appends plus the commit itself.
pub fn journal_appended(elapsed: Duration) {
    COUNTED.journal_append.observe(elapsed.as_secs_f64());
}

/// What the meetings hold right now.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Load {
    pub meetings: i64,
    pub participants_connected: i64,
    pub breakout_rooms: i64,
    /// Streams the SFU forwards: filled downstream slots of subscribers.
    pub forwarded_streams: i64,
}

/// The exposition text for `load` and the process-wide counters.
pub fn render(load: Load) -> String {
    let mut metrics = Metrics::with_prefix("breakout");
    metrics.register(
        "meetings",
        "Meetings served",
        ConstGauge::new(load.meetings),
    );
    metrics.register(
        "participants_connected",
        "Participants with a live WebSocket connection",
        ConstGauge::new(load.participants_connected),
    );
    metrics.register(
        "rooms",
        "Breakout rooms across all meetings (main rooms not counted)",
        ConstGauge::new(load.breakout_rooms),
    );
    metrics.register(
        "forwarded_streams",
        "Streams the SFU forwards right now (filled downstream slots across subscribers)",
        ConstGauge::new(load.forwarded_streams),
    );
    metrics.register(
        "rtp_forwarded_packets",
        "RTP packets the SFU wrote to subscribers",
        COUNTED.forwarded.clone(),
    );
    metrics.register(
        "rtp_dropped_packets",
        "RTP packets dropped because a subscriber's queue was full",
        COUNTED.dropped.clone(),
    );
    metrics.register(
        "journal_append_seconds",
        "Time from submitting a journal append to its commit",
        COUNTED.journal_append.clone(),
    );
    let mut text = String::new();
    // Writing into a String cannot fail.
    let _ = encode(&mut text, &metrics);
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(text: &str, name: &str) -> f64 {
        text.lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
            .and_then(|value| value.parse().ok())
            .unwrap_or_else(|| panic!("no {name} in\n{text}"))
    }

    #[test]
    fn every_figure_is_exposed() {
        let before = render(Load::default());
        packet_forwarded();
        packet_dropped();
        journal_appended(Duration::from_millis(3));
        let text = render(Load {
            meetings: 2,
            participants_connected: 5,
            breakout_rooms: 3,
            forwarded_streams: 12,
        });
        assert_eq!(value(&text, "breakout_meetings"), 2.0);
        assert_eq!(value(&text, "breakout_forwarded_streams"), 12.0);
        assert_eq!(value(&text, "breakout_participants_connected"), 5.0);
        assert_eq!(value(&text, "breakout_rooms"), 3.0);
        for counter in [
            "breakout_rtp_forwarded_packets_total",
            "breakout_rtp_dropped_packets_total",
            "breakout_journal_append_seconds_count",
        ] {
            assert!(
                value(&text, counter) > value(&before, counter),
                "{counter} did not grow"
            );
        }
        assert!(text.contains("# TYPE breakout_journal_append_seconds histogram"));
        assert!(text.ends_with("# EOF\n"));
    }
}
