//! The statements run both by the writer (in order with the appends) and
//! by the synchronous calls.

use breakout_core::ParticipantId;
use tokio_postgres::IsolationLevel;

use super::super::StoreError;
use super::super::types::RestoreRows;
use super::{from_db, to_db};

pub(super) async fn revoke_tokens(
    client: &tokio_postgres::Client,
    meeting: &str,
    participant: ParticipantId,
) -> Result<(), StoreError> {
    let participant = to_db(participant.0, "a participant id")?;
    client
        .execute(
            "DELETE FROM tokens WHERE meeting = $1 AND participant = $2",
            &[&meeting, &participant],
        )
        .await?;
    Ok(())
}

pub(super) async fn save_snapshot(
    client: &mut deadpool_postgres::Client,
    meeting: &str,
    seq: u64,
    json: &str,
    epoch: Option<u64>,
) -> Result<(), StoreError> {
    let at = to_db(seq, "a journal seq")?;
    let tx = client.transaction().await?;
    if let Some(epoch) = epoch {
        check_epochs(&tx, &[meeting]).await?.check(meeting, epoch)?;
    }
    // The row lock orders two saves of one meeting; it does not block
    // appends, which only take KEY SHARE.
    tx.query_opt(
        "SELECT 1 FROM meetings WHERE id = $1 FOR NO KEY UPDATE",
        &[&meeting],
    )
    .await?
    .ok_or(StoreError::NotFound)?;
    let newest = tx
        .query_opt("SELECT seq FROM snapshots WHERE meeting = $1", &[&meeting])
        .await?
        .map(|row| row.try_get::<_, i64>(0))
        .transpose()?;
    if let Some(newest) = newest
        && newest > at
    {
        return Err(StoreError::StaleSnapshot {
            meeting: meeting.to_owned(),
            seq,
            newest: from_db(newest, "a journal seq")?,
        });
    }
    tx.execute(
        "INSERT INTO snapshots (meeting, seq, state) VALUES ($1, $2, $3)
         ON CONFLICT (meeting) DO UPDATE SET seq = excluded.seq, state = excluded.state",
        &[&meeting, &at, &json],
    )
    .await?;
    tx.execute(
        "DELETE FROM journal WHERE meeting = $1 AND seq <= $2",
        &[&meeting, &at],
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub(super) async fn read_restore_rows(
    client: &mut deadpool_postgres::Client,
    meeting: &str,
) -> Result<RestoreRows, StoreError> {
    // One snapshot of the database for both reads, even if another server
    // writes meanwhile.
    let tx = client
        .build_transaction()
        .isolation_level(IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .await?;
    tx.query_opt("SELECT 1 FROM meetings WHERE id = $1", &[&meeting])
        .await?
        .ok_or(StoreError::NotFound)?;
    let snapshot = tx
        .query_opt(
            "SELECT seq, state FROM snapshots WHERE meeting = $1",
            &[&meeting],
        )
        .await?
        .map(|row| {
            let seq: i64 = row.try_get(0)?;
            Ok::<_, StoreError>((seq, row.try_get::<_, String>(1)?))
        })
        .transpose()?;
    let after = snapshot.as_ref().map(|(seq, _)| *seq);
    let rows = tx
        .query(
            "SELECT seq, at, actor, command FROM journal
             WHERE meeting = $1 AND ($2::BIGINT IS NULL OR seq > $2) ORDER BY seq",
            &[&meeting, &after],
        )
        .await?;
    tx.commit().await?;
    let snapshot = snapshot
        .map(|(seq, json)| Ok::<_, StoreError>((from_db(seq, "a journal seq")?, json)))
        .transpose()?;
    let rows = rows
        .iter()
        .map(|row| {
            Ok((
                from_db(row.try_get(0)?, "a journal seq")?,
                from_db(row.try_get(1)?, "a journal time")?,
                row.try_get(2)?,
                row.try_get(3)?,
            ))
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok((snapshot, rows))
}

/// The lease epoch of each meeting, read under a share lock held until the
/// transaction ends: a takeover (which updates the lease) waits for this
/// transaction to commit, so a write checked against epoch `e` is either
/// committed before epoch `e + 1` exists, or refused. Checking without the
/// lock would let a takeover load the journal between our check and our
/// commit, and miss what we then commit.
pub(super) async fn check_epochs(
    tx: &tokio_postgres::Transaction<'_>,
    meetings: &[&str],
) -> Result<Epochs, StoreError> {
    let rows = tx
        .query(
            "SELECT meeting, epoch FROM meeting_leases WHERE meeting = ANY($1) FOR SHARE",
            &[&meetings],
        )
        .await?;
    let mut epochs = std::collections::HashMap::new();
    for row in rows {
        let epoch = from_db(row.try_get(1)?, "an epoch")?;
        epochs.insert(row.try_get::<_, String>(0)?, epoch);
    }
    Ok(Epochs(epochs))
}

/// Lease epochs as [`check_epochs`] read them.
pub(super) struct Epochs(std::collections::HashMap<String, u64>);

impl Epochs {
    /// Refuses a write of `meeting` made under `epoch` unless that is still
    /// the lease's epoch.
    pub(super) fn check(&self, meeting: &str, epoch: u64) -> Result<(), StoreError> {
        if self.0.get(meeting) == Some(&epoch) {
            Ok(())
        } else {
            Err(StoreError::Fenced {
                meeting: meeting.to_owned(),
                epoch,
            })
        }
    }
}
