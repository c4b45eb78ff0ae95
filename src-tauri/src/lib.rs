//! Breakout's desktop shell (Tauri 2). It only bridges: the web UI in ui/
//! calls the typed commands of ui/src/lib/ipc.ts, which call
//! breakout-client (and, when hosting, the embedded breakout-server); the
//! session's whole view (meeting, chat, banners, refusals, connection) goes
//! to every window as the `client-view` event. No breakout rule lives here.
//!
//! - [`commands`]: the Tauri commands, one small function each; [`contract`]:
//!   the table of commands and events that registers them and generates
//!   their TypeScript signatures.
//! - [`shell`]: the managed state: host, join, leave one meeting at a time.
//! - [`meeting`]: the actor that owns the socket and the `Session`, reduces
//!   messages into it, pushes its view and reconnects.
//! - [`media`]: the meeting's media session on that socket; decoded video
//!   reaches the tiles through the `breakout-media` URI scheme (JPEG at tile
//!   size, never invoke/JSON), audio levels as `speaking` events.
//! - [`host`]: the embedded server; [`link`]: parsing invite codes and
//!   `breakout://` links (REST calls go through breakout-client);
//!   [`incoming`]: links from the command line and later launches, which
//!   [`instance`] hands to the one running app; [`memory`]: the start screen's remembered name and servers.
//! - [`devices`], [`windows`], [`events`], [`ipc`] (the contract's types),
//!   [`error`] (`{code, message}`), [`startup`] (command-line options).
//!
//! [`builder`] is generic over the runtime so tests can use Tauri's mock
//! runtime; [`run`] is what `main` calls.

mod certificate;
pub mod commands;
pub mod contract;
pub mod devices;
pub mod error;
pub mod events;
pub mod host;
pub mod incoming;
pub mod instance;
pub mod ipc;
pub mod link;
pub mod media;
pub mod meeting;
pub mod memory;
mod question;
pub mod rendering;
pub mod shell;
pub mod sink;
pub mod startup;
pub mod windows;

pub use error::IpcError;

use tauri::{Manager, RunEvent, Runtime};

/// The app without its context: state, commands and window rules.
pub fn builder<R: Runtime>() -> tauri::Builder<R> {
    let shell = shell::Shell::new(media::MediaOptions::from_env());
    tauri::Builder::<R>::new()
        .manage(shell.frames())
        .manage(shell)
        .register_asynchronous_uri_scheme_protocol(media::protocol::SCHEME, media::protocol::handle)
        .invoke_handler(contract::handler())
        .on_window_event(windows::on_window_event)
}

/// Runs the app until its last window closes. A hosted meeting is ended
/// and its server stopped (journal flushed) before the process exits.
pub fn run() {
    init_tracing();
    let args: Vec<String> = std::env::args().collect();
    let startup = startup::parse(args.iter().skip(1).cloned()).unwrap_or_else(|e| {
        eprintln!("breakout-app: {e}");
        std::process::exit(2);
    });
    let socket = instance::default_path();
    // `--host` runs itself (a script reads its invite); anything else goes
    // to the app already running, if there is one.
    let hand_over = startup.host.is_none().then_some(args.as_slice());
    let mut listener = match instance::claim(&socket, hand_over) {
        Ok(instance::Claim::Handed) => {
            eprintln!("breakout-app: handed over to the app already running");
            std::process::exit(0);
        }
        Ok(instance::Claim::First(listener)) => Some(listener),
        Ok(instance::Claim::Second) => None,
        Err(error) => {
            tracing::warn!(%error, "later launches will start apps of their own");
            None
        }
    };
    let listening = listener.is_some();
    let app = builder::<tauri::Wry>()
        .setup(move |app| {
            if let Some(listener) = listener.take() {
                incoming::listen(app.handle(), listener);
            }
            if let Some(window) = app.get_webview_window(windows::MAIN) {
                rendering::apply(&window);
            }
            if let Some((title, name)) = &startup.host {
                host_at_start(app.handle(), title, name)?;
            }
            if let Some((link, name)) = startup.join.clone() {
                join_at_start(app.handle(), &link, name);
            }
            Ok(())
        })
        .build(tauri::generate_context!("../tauri.conf.json"))
        .unwrap_or_else(|e| {
            eprintln!("breakout-app: cannot start: {e}");
            std::process::exit(1);
        });
    app.run(move |app, event| {
        if let RunEvent::Exit = event {
            if listening {
                instance::release(&socket);
            }
            tauri::async_runtime::block_on(app.state::<shell::Shell>().leave());
        }
    });
}

/// `--host`: hosts before the window exists, then prints the invite.
fn host_at_start<R: Runtime>(
    app: &tauri::AppHandle<R>,
    title: &str,
    name: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    let data_dir = app.path().app_data_dir()?.join("server");
    let sink = std::sync::Arc::new(events::AppSink::new(app.clone()));
    let shell = app.state::<shell::Shell>();
    let joined = tauri::async_runtime::block_on(shell.host(data_dir, title, name, sink))?;
    println!("{}", serde_json::to_string(&joined)?);
    Ok(())
}

/// A join link given at start: join before the window loads. A failure
/// leaves the start screen up (the person can paste the link there).
fn join_at_start<R: Runtime>(app: &tauri::AppHandle<R>, link: &str, name: Option<String>) {
    if let Err(error) = tauri::async_runtime::block_on(incoming::follow(app, link, name)) {
        tracing::warn!(%error, "could not join the meeting of the link given at start");
    }
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
