//! What the store holds, the same for every backend: records, journal
//! entries, invites, and the decoding and replay that rebuild a meeting.

use breakout_core::{Actor, Command, Meeting, Timestamp};
use rand::RngCore;
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use super::StoreError;

/// A meeting as listed by the server; its live state lives in the journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeetingRecord {
    pub id: String,
    pub title: String,
    /// Milliseconds since the Unix epoch.
    pub created_at: u64,
}

/// One command the meeting accepted, in the order it was applied.
#[derive(Debug, Clone, PartialEq)]
pub struct JournalEntry {
    pub seq: u64,
    pub at: Timestamp,
    pub actor: Actor,
    pub command: Command,
}

/// What is needed to rebuild a meeting: start from the snapshot (or
/// [`Meeting::new`] without one) and apply the journal in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Restored {
    /// The newest snapshot and the `seq` of the last entry it includes.
    pub snapshot: Option<(u64, Meeting)>,
    /// Entries after the snapshot, ascending by `seq`.
    pub journal: Vec<JournalEntry>,
}

/// An invite to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInvite<'a> {
    pub meeting: &'a str,
    pub preset: &'a str,
    /// Milliseconds since the Unix epoch, like every stored time.
    pub created_at: u64,
    /// How many people may join with it; `None` is unlimited.
    pub max_uses: Option<u32>,
    /// When it stops working; `None` is never.
    pub expires_at: Option<u64>,
}

/// What presenting an invite code got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InviteUse {
    /// One use was taken; join `meeting` with `preset`.
    Granted {
        meeting: String,
        preset: String,
    },
    NotFound,
    Exhausted,
    Expired,
}

/// SHA-256 of a token: what the store keeps instead of the token.
pub fn hash_token(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// A fresh access token: 256 random bits from the OS-seeded CSPRNG, as 64
/// lowercase hex characters (safe in URLs, headers and file names).
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// A journal entry encoded for its row: `(seq, at, actor, command)`.
pub(super) type Row = (u64, u64, String, String);

/// The snapshot `(seq, state)` and journal rows a restore reads, still
/// encoded: decoding happens outside the backend's connection.
pub(super) type RestoreRows = (Option<(u64, String)>, Vec<Row>);

/// Encodes entries for their rows, so the backend only does I/O.
pub(super) fn encode_entries(entries: &[JournalEntry]) -> Result<Vec<Row>, StoreError> {
    entries
        .iter()
        .map(|e| Ok((e.seq, e.at.0, to_json(&e.actor)?, to_json(&e.command)?)))
        .collect()
}

pub(super) fn to_json<T: Serialize + ?Sized>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(StoreError::Encode)
}

fn from_json<T: DeserializeOwned>(
    meeting: &str,
    json: &str,
    what: impl FnOnce() -> String,
) -> Result<T, StoreError> {
    serde_json::from_str(json).map_err(|err| StoreError::Corrupt {
        meeting: meeting.to_owned(),
        reason: format!("{}: {err}", what()),
    })
}

impl Restored {
    /// Applies the journal to the snapshot and returns the meeting with the
    /// `seq` of its last entry. Deadlines are processed at each entry's own
    /// time, so the result equals the state the live actor had.
    pub fn replay(self, meeting: &str) -> Result<(Meeting, u64), StoreError> {
        let (mut seq, mut state) = self.snapshot.unwrap_or((0, Meeting::new()));
        for entry in self.journal {
            state.tick(entry.at);
            state
                .apply(entry.actor, entry.command, entry.at)
                .map_err(|refusal| StoreError::Corrupt {
                    meeting: meeting.to_owned(),
                    reason: format!("journal entry {} no longer applies: {refusal}", entry.seq),
                })?;
            seq = entry.seq;
        }
        Ok((state, seq))
    }
}

/// Decodes what a backend read; a row that does not decode, or a snapshot
/// that breaks the meeting's invariants, makes the meeting corrupt.
pub(super) fn decode(meeting: &str, (snapshot, rows): RestoreRows) -> Result<Restored, StoreError> {
    let snapshot = snapshot
        .map(|(seq, json)| {
            let state: Meeting = from_json(meeting, &json, || format!("snapshot at {seq}"))?;
            state
                .check_invariants()
                .map_err(|broken| StoreError::Corrupt {
                    meeting: meeting.to_owned(),
                    reason: format!("snapshot at {seq}: {broken}"),
                })?;
            Ok::<_, StoreError>((seq, state))
        })
        .transpose()?;
    let journal = rows
        .into_iter()
        .map(|(seq, at, actor, command)| {
            Ok(JournalEntry {
                seq,
                at: Timestamp(at),
                actor: from_json(meeting, &actor, || format!("actor of entry {seq}"))?,
                command: from_json(meeting, &command, || format!("command of entry {seq}"))?,
            })
        })
        .collect::<Result<_, StoreError>>()?;
    Ok(Restored { snapshot, journal })
}
