//! What the operator must hear about: lost events and quarantined meetings,
//! logged at ERROR and kept for `GET /v1/admin/incidents`.

use std::sync::{Mutex, PoisonError};

use breakout_protocol::Timestamp;
use breakout_protocol::admin::{Incident, IncidentKind, QuarantinedMeeting};

use crate::store::MeetingRecord;

/// Keeps at most this many incidents; older ones are still in the log.
const MAX_KEPT: usize = 1000;

#[derive(Debug, Default)]
pub struct Incidents {
    incidents: Mutex<Vec<Incident>>,
    quarantined: Mutex<Vec<QuarantinedMeeting>>,
}

impl Incidents {
    /// Logs and keeps an incident.
    pub fn report(&self, at: Timestamp, meeting: &str, kind: IncidentKind) {
        let message = match &kind {
            IncidentKind::LostEvents {
                participant,
                client_revision,
                server_revision,
            } => format!(
                "meeting {meeting} lost acknowledged events: {participant} had seen revision \
                 {client_revision} but the journal holds only up to revision {server_revision}"
            ),
            IncidentKind::Quarantined { reason } => {
                format!("meeting {meeting} is quarantined and not served: {reason}")
            }
        };
        tracing::error!(meeting, "{message}");
        let mut incidents = self
            .incidents
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if incidents.len() >= MAX_KEPT {
            incidents.remove(0);
        }
        incidents.push(Incident {
            at: at.0,
            meeting: meeting.to_owned(),
            kind,
            message,
        });
    }

    /// Records a meeting that could not be restored: kept on disk, not served.
    pub fn quarantine(&self, at: Timestamp, record: &MeetingRecord, reason: String) {
        self.report(
            at,
            &record.id,
            IncidentKind::Quarantined {
                reason: reason.clone(),
            },
        );
        self.quarantined
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(QuarantinedMeeting {
                id: record.id.clone(),
                title: record.title.clone(),
                created_at: record.created_at,
                reason,
            });
    }

    pub fn incidents(&self) -> Vec<Incident> {
        self.incidents
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub fn quarantined(&self) -> Vec<QuarantinedMeeting> {
        self.quarantined
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}
