//! Native questions and notices over the meeting window, for what happens
//! outside the web UI's flow (a link opened while in a meeting): the page
//! may be in the middle of anything, a GTK dialog is not.

use tauri::{AppHandle, Manager, Runtime};

use crate::windows;

/// Asks a yes/no question ("Leave and join" / "Stay"); `false` when it
/// cannot be asked.
pub async fn ask<R: Runtime>(app: &AppHandle<R>, question: String) -> bool {
    let (answer, answered) = tokio::sync::oneshot::channel();
    let handle = app.clone();
    let shown = app.run_on_main_thread(move || {
        let _ = answer.send(imp::ask(&handle, &question));
    });
    if shown.is_err() {
        return false;
    }
    answered.await.unwrap_or(false)
}

/// Tells the person something that went wrong, without waiting.
pub fn tell<R: Runtime>(app: &AppHandle<R>, notice: String) {
    let handle = app.clone();
    let _ = app.run_on_main_thread(move || imp::tell(&handle, &notice));
}

#[cfg(target_os = "linux")]
mod imp {
    use gtk::prelude::*;
    use gtk::{ButtonsType, DialogFlags, MessageDialog, MessageType, ResponseType};

    use super::*;

    fn dialog<R: Runtime>(
        app: &AppHandle<R>,
        kind: MessageType,
        text: &str,
        buttons: ButtonsType,
    ) -> MessageDialog {
        let parent = app
            .get_webview_window(windows::MAIN)
            .and_then(|window| window.gtk_window().ok());
        MessageDialog::new(
            parent.as_ref(),
            DialogFlags::MODAL | DialogFlags::DESTROY_WITH_PARENT,
            kind,
            buttons,
            text,
        )
    }

    pub fn ask<R: Runtime>(app: &AppHandle<R>, question: &str) -> bool {
        let dialog = dialog(app, MessageType::Question, question, ButtonsType::None);
        dialog.add_button("Stay", ResponseType::Cancel);
        dialog.add_button("Leave and join", ResponseType::Accept);
        dialog.set_default_response(ResponseType::Cancel);
        let response = dialog.run();
        dialog.close();
        response == ResponseType::Accept
    }

    pub fn tell<R: Runtime>(app: &AppHandle<R>, notice: &str) {
        let dialog = dialog(app, MessageType::Warning, notice, ButtonsType::Ok);
        dialog.connect_response(|dialog, _| dialog.close());
        dialog.show();
    }
}

/// Elsewhere the app stays in its meeting and the notice goes to the log.
#[cfg(not(target_os = "linux"))]
mod imp {
    use super::*;

    pub fn ask<R: Runtime>(app: &AppHandle<R>, question: &str) -> bool {
        let _ = (app.get_webview_window(windows::MAIN), question);
        tracing::warn!("{question} (no dialog on this platform; staying)");
        false
    }

    pub fn tell<R: Runtime>(app: &AppHandle<R>, notice: &str) {
        let _ = app.get_webview_window(windows::MAIN);
        tracing::warn!("{notice}");
    }
}
