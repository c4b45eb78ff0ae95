//! Join links that reach the app from outside: on its command line when it
//! starts, and from every later launch (a click on a `breakout://` link, an
//! https join address opened with the app). One instance runs: a later
//! launch hands its arguments to the running app ([`crate::instance`]) and
//! exits, and the running app follows the link here, asking first when it is
//! already in a meeting.

use std::sync::Arc;

use tauri::{AppHandle, Manager, Runtime};
use tracing::{info, warn};

use crate::instance::Listener;
use crate::ipc::Joined;
use crate::shell::Shell;
use crate::{IpcError, events, link, memory, startup, windows};

/// Written to stderr when a link leads into a meeting, whichever way it came;
/// scripts and the app's tests wait for it.
pub const JOINED_LOG: &str = "joined from a link";

/// Written to stderr once later launches reach this app.
pub const READY_LOG: &str = "ready for links from later launches";

/// Takes later launches' arguments from `listener` for as long as the app runs.
pub fn listen<R: Runtime>(app: &AppHandle<R>, listener: Listener) {
    let handle = app.clone();
    listener.serve(move |args| later_launch(&handle, args.into_iter()));
    info!("{READY_LOG}");
}

/// What a link led to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Followed {
    Joined(Joined),
    /// The person chose to stay in the meeting they are in.
    Stayed,
}

/// Follows `link` as `name` (else the remembered name, else the account's):
/// joins its meeting, after asking when the app is already in one. Every
/// link goes through here, the first launch's and later ones.
pub async fn follow<R: Runtime>(
    app: &AppHandle<R>,
    link_text: &str,
    name: Option<String>,
) -> Result<Followed, IpcError> {
    let target = link::parse("", link_text)?;
    let shell = app.state::<Shell>();
    if let Ok(active) = shell.active().await {
        let question = format!(
            "Leave the meeting on {} and join the one on {}?",
            host_of(&active.joined.server_url),
            host_of(&target.server)
        );
        if !crate::question::ask(app, question).await {
            return Ok(Followed::Stayed);
        }
    }
    let name = name
        .or_else(|| {
            memory::dir(app)
                .ok()
                .map(|dir| memory::StartMemory::load(&dir).name)
                .filter(|name| !name.is_empty())
        })
        .unwrap_or_else(startup::account_name);
    let sink = Arc::new(events::AppSink::new(app.clone()));
    let joined = shell.join("", link_text, &name, sink).await?;
    info!(meeting = %joined.meeting, server = %joined.server_url, "{JOINED_LOG}");
    if let Ok(dir) = memory::dir(app) {
        let remembered = memory::StartMemory::load(&dir).remember(&joined.server_url, link_text);
        if let Err(error) = remembered.save(&dir) {
            warn!(%error, "could not remember the meeting joined from a link");
        }
    }
    Ok(Followed::Joined(joined))
}

/// A later launch's arguments, as the running app receives them.
fn later_launch<R: Runtime>(app: &AppHandle<R>, args: impl Iterator<Item = String>) {
    match startup::parse(args) {
        Ok(startup::Startup {
            join: Some((link, name)),
            ..
        }) => spawn_follow(app, link, name),
        Ok(startup::Startup { host: Some(_), .. }) => {
            warn!("a second launch asked to host; this app is already running");
            bring_to_front(app);
        }
        Ok(_) => bring_to_front(app),
        Err(error) => {
            warn!(%error, "a second launch's arguments are not understood");
            bring_to_front(app);
        }
    }
}

/// Follows a link while the window is up: once joined, the window reloads
/// and opens the meeting as it does at start.
fn spawn_follow<R: Runtime>(app: &AppHandle<R>, link: String, name: Option<String>) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        bring_to_front(&app);
        match follow(&app, &link, name).await {
            Ok(Followed::Joined(_)) => {
                if let Some(window) = app.get_webview_window(windows::MAIN)
                    && let Err(error) = window.reload()
                {
                    warn!(%error, "could not reload the window into the meeting");
                }
            }
            Ok(Followed::Stayed) => {}
            Err(error) => {
                warn!(%error, "could not join the meeting of a link");
                crate::question::tell(
                    &app,
                    format!("This link could not be joined. {}", error.message),
                );
            }
        }
    });
}

fn bring_to_front<R: Runtime>(app: &AppHandle<R>) {
    if let Some(window) = app.get_webview_window(windows::MAIN) {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}

/// `host:port` of a server address, for a sentence.
fn host_of(server: &str) -> String {
    server
        .split_once("://")
        .map_or(server, |(_, rest)| rest)
        .trim_end_matches('/')
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn servers_are_named_by_their_address() {
        assert_eq!(host_of("https://meet.example:7800"), "meet.example:7800");
        assert_eq!(host_of("http://10.0.0.2:7800/"), "10.0.0.2:7800");
    }
}
