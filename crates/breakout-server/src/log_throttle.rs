//! Warnings a stranger can trigger at will are capped per log site.
//!
//! Garbage datagrams at a media port made the WebRTC stack write one WARN
//! line each (17,171 lines for 20,000 datagrams): a way to fill a disk and
//! drown real problems. [`LogThrottle`] lets the first `burst` warnings and
//! errors of each site (target, file and line; `log` records of
//! dependencies included) through in each interval, drops the rest, and
//! [`LogThrottle::report`] writes one line per site saying how many were
//! dropped. Less severe levels pass untouched: they are opt-in.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tracing::{Event, Level, Metadata};
use tracing_log::NormalizeEvent;
use tracing_subscriber::layer::{Context, Filter};

/// Warnings let through per site and interval by default.
pub const DEFAULT_BURST: u32 = 10;
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(5);

/// A per-layer filter; clones share their counts.
#[derive(Clone)]
pub struct LogThrottle {
    burst: u32,
    interval: Duration,
    sites: Arc<Mutex<HashMap<u64, Site>>>,
}

struct Site {
    name: String,
    passed: u32,
    dropped: u64,
}

impl LogThrottle {
    /// At most `burst` warnings per site per `interval`.
    pub fn new(burst: u32, interval: Duration) -> Self {
        LogThrottle {
            burst,
            interval,
            sites: Arc::default(),
        }
    }

    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// Logs how many lines each site had dropped and starts a new interval.
    pub fn report(&self) {
        let sites = std::mem::take(&mut *self.sites.lock().unwrap_or_else(|e| e.into_inner()));
        for site in sites.into_values().filter(|site| site.dropped > 0) {
            tracing::warn!(
                site = %site.name,
                dropped = site.dropped,
                "{} more lines like this were not logged in the last {} s",
                site.dropped,
                self.interval.as_secs(),
            );
        }
    }

    /// Calls [`LogThrottle::report`] every interval, for as long as the
    /// runtime lives.
    pub fn spawn_reporter(&self) {
        let throttle = self.clone();
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(throttle.interval);
            ticks.tick().await;
            loop {
                ticks.tick().await;
                throttle.report();
            }
        });
    }

    fn admit(&self, meta: &Metadata<'_>) -> bool {
        let mut hasher = DefaultHasher::new();
        (meta.target(), meta.file(), meta.line()).hash(&mut hasher);
        let key = hasher.finish();
        let mut sites = self.sites.lock().unwrap_or_else(|e| e.into_inner());
        let site = sites.entry(key).or_insert_with(|| Site {
            name: format!(
                "{}:{}",
                meta.file().unwrap_or(meta.target()),
                meta.line().unwrap_or(0)
            ),
            passed: 0,
            dropped: 0,
        });
        if site.passed < self.burst {
            site.passed += 1;
            true
        } else {
            site.dropped += 1;
            false
        }
    }
}

impl<S> Filter<S> for LogThrottle {
    fn enabled(&self, _meta: &Metadata<'_>, _cx: &Context<'_, S>) -> bool {
        true
    }

    fn event_enabled(&self, event: &Event<'_>, _cx: &Context<'_, S>) -> bool {
        if *event.metadata().level() > Level::WARN {
            return true;
        }
        // Every `log` record shares one callsite; its own site is inside.
        match event.normalized_metadata() {
            Some(meta) => self.admit(&meta),
            None => self.admit(event.metadata()),
        }
    }
}
