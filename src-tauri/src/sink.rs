//! Where a meeting's news goes: the windows in the app, a channel in tests.
//! Its own module because both the meeting actor and the media engine
//! report to it, and neither should depend on the other for that.

use breakout_client::ClientView;

use crate::ipc::{MediaStatus, SpeakingEvent};

/// Where the actor sends what it hears. The app emits Tauri events; tests
/// collect into a channel.
pub trait Sink: Send + Sync + 'static {
    /// Everything the windows show, after each change.
    fn view(&self, view: &ClientView);
    /// The media engine's state changed (see [`crate::media`]).
    fn media(&self, _status: &MediaStatus) {}
    /// Someone's audio level changed.
    fn speaking(&self, _event: &SpeakingEvent) {}
}
