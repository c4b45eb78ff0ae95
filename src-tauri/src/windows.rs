//! The two windows: `main` (the meeting, declared in tauri.conf.json) and
//! `dashboard` (the host's rooms dashboard, opened on demand beside it).
//! Each has its own capability file in capabilities/.

use tauri::{AppHandle, Manager, Runtime, WebviewUrl, WebviewWindowBuilder, Window, WindowEvent};

use crate::IpcError;

pub const MAIN: &str = "main";
pub const DASHBOARD: &str = "dashboard";

/// Opens the dashboard, or brings it to the front if it is open.
pub fn open_dashboard<R: Runtime>(app: &AppHandle<R>) -> Result<(), IpcError> {
    let failed = |e: tauri::Error| {
        IpcError::new(
            "window_failed",
            format!("Could not open the dashboard: {e}."),
        )
    };
    if let Some(window) = app.get_webview_window(DASHBOARD) {
        window.unminimize().map_err(failed)?;
        window.show().map_err(failed)?;
        return window.set_focus().map_err(failed);
    }
    let window =
        WebviewWindowBuilder::new(app, DASHBOARD, WebviewUrl::App("dashboard.html".into()))
            .title("Breakout — Rooms dashboard")
            .inner_size(1280.0, 800.0)
            .min_inner_size(800.0, 600.0)
            .build()
            .map_err(failed)?;
    crate::rendering::apply(&window);
    Ok(())
}

/// The dashboard belongs to the meeting window: closing the meeting window
/// quits the app rather than leaving a dashboard with no meeting behind.
pub fn on_window_event<R: Runtime>(window: &Window<R>, event: &WindowEvent) {
    if window.label() == MAIN && matches!(event, WindowEvent::Destroyed) {
        window.app_handle().exit(0);
    }
}
