//! The [`Session`] as a line filter: one JSON input per line on stdin, the
//! whole [`ClientView`] after it as one JSON line on stdout. The UI's
//! browser tests stand in for the app's shell with it, so the windows are
//! tested against the one reducer the app runs.
//!
//! Inputs (`type`): `server` (`at`: local ms, `message`: a server message),
//! `connection` (`state`, `reason`), `chat_history` (`room`, `messages`),
//! `dismiss_toast` / `dismiss_banner` (`id`), `defer_invitation`. Each
//! output is `{"view": ClientView, "fetch_chat": room or null}`, the room
//! being the one whose history the app would fetch now.

use std::io::{BufRead, Write};

use breakout_client::{ClientView, ConnectionState, Session, SessionUpdate};
use breakout_protocol::ws::ServerMessage;
use breakout_protocol::{ChatMessage, RoomId, Timestamp};
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Input {
    Server {
        at: u64,
        message: Box<ServerMessage>,
    },
    Connection {
        state: ConnectionState,
        reason: Option<String>,
    },
    ChatHistory {
        room: RoomId,
        messages: Vec<ChatMessage>,
    },
    DismissToast {
        id: u64,
    },
    DismissBanner {
        id: u64,
    },
    DeferInvitation,
}

#[derive(Serialize)]
struct Output {
    view: ClientView,
    fetch_chat: Option<RoomId>,
}

fn main() {
    let mut session = Session::new();
    let stdout = std::io::stdout();
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        if line.trim().is_empty() {
            continue;
        }
        let input: Input = match serde_json::from_str(&line) {
            Ok(input) => input,
            Err(error) => {
                eprintln!("session_replay: bad input ({error}): {line}");
                std::process::exit(2);
            }
        };
        let mut fetch_chat = None;
        match input {
            Input::Server { at, message } => {
                for update in session.handle_at(*message, Timestamp(at)) {
                    if matches!(
                        update,
                        SessionUpdate::Welcomed { .. } | SessionUpdate::RoomChanged { .. }
                    ) {
                        fetch_chat = session.room();
                    }
                }
            }
            Input::Connection { state, reason } => session.set_connection(state, reason),
            Input::ChatHistory { room, messages } => session.chat_history(room, messages),
            Input::DismissToast { id } => {
                session.dismiss_toast(id);
            }
            Input::DismissBanner { id } => {
                session.dismiss_banner(id);
            }
            Input::DeferInvitation => {
                session.defer_invitation();
            }
        }
        let output = Output {
            view: session.client_view(),
            fetch_chat,
        };
        let mut out = stdout.lock();
        let written = serde_json::to_writer(&mut out, &output)
            .map_err(std::io::Error::from)
            .and_then(|()| writeln!(out))
            .and_then(|()| out.flush());
        if written.is_err() {
            break;
        }
    }
}
