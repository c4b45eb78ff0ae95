//! The server's clock. The core never reads time; the server passes it in,
//! and the server itself reads it only through a [`Clock`] it was handed.

use std::sync::Arc;

use breakout_core::Timestamp;

/// Wall-clock milliseconds since the Unix epoch, so deadlines written to the
/// journal keep their meaning across a restart.
pub fn now() -> Timestamp {
    let since_epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    Timestamp(since_epoch.as_millis() as u64)
}

/// Where a meeting reads the time; tests can hand in another source.
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> Timestamp + Send + Sync>);

impl Clock {
    /// The wall clock ([`now`]).
    pub fn system() -> Clock {
        Clock(Arc::new(now))
    }

    /// A clock that reads `now` (tests keep their own time).
    #[cfg(test)]
    pub fn from_fn(now: impl Fn() -> Timestamp + Send + Sync + 'static) -> Clock {
        Clock(Arc::new(now))
    }

    pub fn now(&self) -> Timestamp {
        (self.0)()
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Clock")
    }
}
