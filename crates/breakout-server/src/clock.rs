//! The server's one clock. The core never reads time; the server passes this in.

use breakout_core::Timestamp;

/// Wall-clock milliseconds since the Unix epoch, so deadlines written to the
/// journal keep their meaning across a restart.
pub fn now() -> Timestamp {
    let since_epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    Timestamp(since_epoch.as_millis() as u64)
}
