//! Breakout's client core, shared by the desktop app and `breakout-bot`.
//!
//! Three layers, each usable alone:
//! - [`AdminApi`]: the typed REST client for `/v1` administration
//!   (meetings, presets, participants, rooms), authenticated by the admin key.
//! - [`Connection`]: one participant's signaling WebSocket — requests with
//!   ids answered by [`Connection::request`], every server message delivered
//!   on a channel. A thin driver with no meeting state.
//! - [`Session`]: the participant's picture of the meeting, kept from those
//!   messages with no I/O at all (`handle(message) -> Vec<SessionUpdate>`),
//!   so it is tested with hand-built messages and no socket.
//!
//! - [`media`]: the participant's one WebRTC connection to the SFU, with
//!   capture (cpal, nokhwa or synthetic sources), Opus/VP8, jitter
//!   buffering, mixing and playout.
//!
//! Wire types come from [`breakout_protocol`]; every fallible call returns
//! [`ClientError`].

mod api;
mod connection;
mod error;

pub mod media;
pub mod server_url;
mod session;

pub use api::AdminApi;
pub use connection::{ConnectOptions, Connection};
pub use error::ClientError;
pub use session::{Session, SessionUpdate};

/// The wire types, re-exported so callers need not depend on the protocol
/// crate themselves.
pub use breakout_protocol as protocol;
