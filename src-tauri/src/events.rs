//! The meeting actor's [`Sink`] in the app: Tauri events to every window,
//! so the meeting window and the dashboard show the same view.

use breakout_client::ClientView;
use tauri::{AppHandle, Emitter, Runtime};
use tracing::warn;

use crate::ipc::{CLIENT_VIEW_EVENT, MEDIA_EVENT, MediaStatus, SPEAKING_EVENT, SpeakingEvent};
use crate::sink::Sink;

pub struct AppSink<R: Runtime> {
    app: AppHandle<R>,
}

impl<R: Runtime> AppSink<R> {
    pub fn new(app: AppHandle<R>) -> Self {
        AppSink { app }
    }
}

impl<R: Runtime> Sink for AppSink<R> {
    fn view(&self, view: &ClientView) {
        if let Err(error) = self.app.emit(CLIENT_VIEW_EVENT, view) {
            warn!(%error, "could not emit the meeting's view");
        }
    }

    fn media(&self, status: &MediaStatus) {
        if let Err(error) = self.app.emit(MEDIA_EVENT, status) {
            warn!(%error, "could not emit the media status");
        }
    }

    fn speaking(&self, event: &SpeakingEvent) {
        // Many per second: a failure here is not worth a log line each.
        let _ = self.app.emit(SPEAKING_EVENT, event);
    }
}
