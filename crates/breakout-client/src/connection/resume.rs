//! The newest meeting revision a participant has seen, carried from one
//! connection to the next. A server that restored less from its journal than
//! a resuming client saw has lost acknowledged events; telling it the
//! revision ([`RESUME_REVISION_PARAM`]) is how it finds out and reports it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use reqwest::Url;

use breakout_protocol::RESUME_REVISION_PARAM;
use breakout_protocol::ws::{Reply, ServerMessage};

/// Shared by clones: give the one a [`Connection`](super::Connection) kept
/// (see [`Connection::resume_point`](super::Connection::resume_point)) to
/// [`ConnectOptions::resume`](super::ConnectOptions::resume) for every
/// reconnect of the same participant.
#[derive(Debug, Clone, Default)]
pub struct ResumePoint(Arc<AtomicU64>);

/// Revisions count from 1; nothing seen yet is 0.
const NOTHING_SEEN: u64 = 0;

impl ResumePoint {
    pub fn new() -> Self {
        Self::default()
    }

    /// The newest revision seen, if any view has been seen.
    pub fn revision(&self) -> Option<u64> {
        Some(self.0.load(Ordering::Relaxed)).filter(|r| *r != NOTHING_SEEN)
    }

    /// Takes in the revision of any view the message carries. A welcome
    /// starts the count over from the server's revision: it has already
    /// been told what this client saw, and what comes next is its history.
    pub(crate) fn observe(&self, message: &ServerMessage) {
        match message {
            ServerMessage::Welcome { view, .. } => self.0.store(view.revision, Ordering::Relaxed),
            ServerMessage::State { view }
            | ServerMessage::Reply {
                result: Reply::State { view },
                ..
            } => {
                self.0.fetch_max(view.revision, Ordering::Relaxed);
            }
            _ => {}
        }
    }

    /// Adds the revision to a `/v1/ws` URL, if any has been seen.
    pub(crate) fn add_to(&self, url: &mut Url) {
        if let Some(revision) = self.revision() {
            url.query_pairs_mut()
                .append_pair(RESUME_REVISION_PARAM, &revision.to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    use breakout_core::{Actor, Command, Meeting, ParticipantId, Timestamp};

    use super::*;

    fn view(revision: u64) -> Box<breakout_protocol::MeetingView> {
        let me = ParticipantId(1);
        let mut meeting = Meeting::new();
        let add = Command::AddParticipant {
            participant: me,
            name: "Host".into(),
            email: None,
            preset: "host".into(),
        };
        meeting.apply(Actor::System, add, Timestamp(0)).unwrap();
        let mut view = meeting.view_for(me, Timestamp(0)).unwrap();
        view.revision = revision;
        Box::new(view)
    }

    fn welcome(revision: u64) -> ServerMessage {
        ServerMessage::Welcome {
            protocol: breakout_protocol::PROTOCOL_VERSION,
            meeting: "m1".into(),
            participant: ParticipantId(1),
            server_time: Timestamp(0),
            view: view(revision),
            ice_servers: vec![],
        }
    }

    fn url_after(point: &ResumePoint) -> String {
        let mut url = Url::parse("ws://127.0.0.1:7800/v1/ws").unwrap();
        point.add_to(&mut url);
        url.to_string()
    }

    #[test]
    fn nothing_seen_adds_nothing() {
        assert_eq!(url_after(&ResumePoint::new()), "ws://127.0.0.1:7800/v1/ws");
    }

    #[test]
    fn keeps_the_newest_revision_of_pushed_and_requested_views() {
        let point = ResumePoint::new();
        point.observe(&welcome(3));
        point.observe(&ServerMessage::State { view: view(9) });
        // A coalesced push can arrive after a newer state reply.
        point.observe(&ServerMessage::Reply {
            id: 1,
            result: Reply::State { view: view(12) },
        });
        point.observe(&ServerMessage::State { view: view(10) });
        assert_eq!(point.revision(), Some(12));
        assert_eq!(url_after(&point), "ws://127.0.0.1:7800/v1/ws?revision=12");
        assert_eq!(
            url_after(&point.clone()),
            url_after(&point),
            "clones share it"
        );
    }

    #[test]
    fn a_welcome_starts_over_from_the_servers_revision() {
        let point = ResumePoint::new();
        point.observe(&ServerMessage::State { view: view(40) });
        point.observe(&welcome(31));
        assert_eq!(point.revision(), Some(31));
    }
}
