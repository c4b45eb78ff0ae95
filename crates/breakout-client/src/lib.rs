//! Breakout's client core, shared by the desktop app and `breakout-bot`.
//!
//! Three layers, each usable alone:
//! - [`AdminApi`]: the typed REST client for `/v1` administration
//!   (meetings, presets, participants, rooms, invites), authenticated by the
//!   admin key; [`join_with_invite`] redeems an invite, with no key;
//!   [`ParticipantApi`] makes the calls a participant makes with their own
//!   token (assignments CSV, too large for a WebSocket frame).
//! - [`Connection`]: one participant's signaling WebSocket — requests with
//!   ids answered by [`Connection::request`], every server message delivered
//!   on a channel. A thin driver with no meeting state, except the newest
//!   revision it saw ([`ResumePoint`]), which a reconnect tells the server
//!   so that a server that lost acknowledged events finds out.
//! - [`Session`]: the participant's picture of the meeting, kept from those
//!   messages with no I/O at all (`handle(message) -> Vec<SessionUpdate>`),
//!   so it is tested with hand-built messages and no socket.
//!
//! - `media` (feature `media`): the participant's one WebRTC connection to
//!   the SFU, with capture (cpal, nokhwa with feature `camera`, or synthetic
//!   sources), Opus/VP8, jitter buffering, mixing and playout. Without the
//!   feature the crate is only the REST/WebSocket client and builds without
//!   libvpx, Opus, ALSA or libclang.
//!
//! Over `https://` and `wss://` the server's certificate is verified against
//! the web PKI roots, or pinned to the fingerprint a join link carries
//! (`fp=`, for a server with a self-signed certificate).
//!
//! Wire types come from [`breakout_protocol`]; every fallible call returns
//! [`ClientError`].

mod api;
mod connection;
mod elsewhere;
mod error;
mod participant_api;

#[cfg(feature = "media")]
pub mod media;
pub mod server_url;
mod session;
mod tls;

pub use api::{AdminApi, join_with_invite, join_with_invite_pinned};
pub use connection::{ConnectOptions, Connection, ResumePoint, TunnelSocket};
pub use error::{CERTIFICATE_MISMATCH, ClientError, UNTRUSTED_CERTIFICATE};
pub use participant_api::ParticipantApi;
pub use session::{
    Banner, BannerKind, ClientView, ConnectionState, MAX_BANNERS, MAX_TOASTS, Session,
    SessionUpdate, Toast,
};
pub use tls::fingerprint;

/// The wire types, re-exported so callers need not depend on the protocol
/// crate themselves.
pub use breakout_protocol as protocol;
