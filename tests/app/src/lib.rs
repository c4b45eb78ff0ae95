//! Harness for driving the real Breakout app: the `breakout-app` binary runs
//! under an X display (Xvfb in tests), launched by tauri-driver, which
//! fronts WebKitWebDriver; a WebDriver session (fantoccini) clicks through
//! the real UI in the real webview, and `breakout-bot` processes join as
//! the other participants. Every wait is for a condition, with a limit.
//!
//! - [`paths`]: where the binaries are and where screenshots go.
//! - [`driver`]: tauri-driver, the app session and page helpers.
//! - [`bot`]: a `breakout-bot join` participant joined with an invite code.
//! - [`procs`]: memory and CPU of a process tree, for the figures.
//! - [`server`]: a stand-alone room server with a meeting to join.

pub mod bot;
pub mod driver;
pub mod paths;
pub mod procs;
pub mod server;

pub use bot::{Bot, Invite};
pub use driver::{App, Driver};
pub use server::RoomServer;

use std::time::Duration;

/// How long any one expected thing may take before the test fails.
pub const PATIENCE: Duration = Duration::from_secs(30);
