//! Nodes and meeting leases in PostgreSQL: heartbeats, placement of new
//! meetings, and taking a meeting over.
//!
//! Every time is read from the database's clock ([`NOW_MS`]) in the
//! statement that uses it, so nodes never compare their own clocks.

use std::future::Future;

use super::super::cluster::{Lease, ListedMeeting, MeetingStatus, NodeLoad, NodeRecord, Timing};
use super::super::types::encode_entries;
use super::super::{JournalEntry, MeetingRecord, StoreError};
use super::{PgStore, from_db, to_db};

/// The database's clock in milliseconds since the Unix epoch, as an SQL
/// expression. `clock_timestamp()`, not `now()`: a long transaction must
/// not see an old time.
const NOW_MS: &str = "(extract(epoch FROM clock_timestamp()) * 1000)::BIGINT";

fn millis(duration: std::time::Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

impl PgStore {
    /// Announces this node (again, after a restart): its URL and budget,
    /// a fresh heartbeat, not draining.
    pub fn register_node(&self, node: &NodeRecord) -> Result<(), StoreError> {
        let node = node.clone();
        self.block(|shared| async move {
            let budget = node
                .stream_budget
                .map(|budget| to_db(budget, "a stream budget"))
                .transpose()?;
            let client = shared.client().await?;
            client
                .execute(
                    &format!(
                        "INSERT INTO nodes (id, url, started_at, heartbeat_at, stream_budget)
                         VALUES ($1, $2, {NOW_MS}, {NOW_MS}, $3)
                         ON CONFLICT (id) DO UPDATE SET url = excluded.url,
                           started_at = excluded.started_at,
                           heartbeat_at = excluded.heartbeat_at, draining = false,
                           participants = 0, streams = 0, packets_per_s = 0,
                           stream_budget = excluded.stream_budget"
                    ),
                    &[&node.id, &node.url, &budget],
                )
                .await?;
            Ok(())
        })
    }

    /// Records that `node` is alive, how busy it is and whether it drains.
    pub fn heartbeat(
        &self,
        node: &str,
        load: NodeLoad,
        draining: bool,
    ) -> impl Future<Output = Result<(), StoreError>> + Send + 'static {
        let node = node.to_owned();
        self.run(move |shared| async move {
            let participants = to_db(load.participants, "a participant count")?;
            let streams = to_db(load.streams, "a stream count")?;
            let packets = to_db(load.packets_per_s, "a packet rate")?;
            let client = shared.client().await?;
            client
                .execute(
                    &format!(
                        "UPDATE nodes SET heartbeat_at = {NOW_MS}, draining = $2,
                           participants = $3, streams = $4, packets_per_s = $5
                         WHERE id = $1"
                    ),
                    &[&node, &draining, &participants, &streams, &packets],
                )
                .await?;
            Ok(())
        })
    }

    /// Records what `node` serves: each meeting's participants and phase,
    /// for the meetings it still holds.
    pub fn report_meetings(
        &self,
        node: &str,
        statuses: Vec<MeetingStatus>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send + 'static {
        let node = node.to_owned();
        self.run(move |shared| async move {
            let mut meetings = Vec::with_capacity(statuses.len());
            let mut participants = Vec::with_capacity(statuses.len());
            let mut phases = Vec::with_capacity(statuses.len());
            for status in statuses {
                meetings.push(status.meeting);
                participants.push(to_db(status.participants, "a participant count")?);
                phases.push(status.phase);
            }
            let client = shared.client().await?;
            // One statement for all of them: a node may serve hundreds.
            client
                .execute(
                    "UPDATE meeting_leases l SET participants = s.participants, phase = s.phase
                     FROM unnest($2::TEXT[], $3::BIGINT[], $4::TEXT[])
                       AS s (meeting, participants, phase)
                     WHERE l.meeting = s.meeting AND l.owner = $1",
                    &[&node, &meetings, &participants, &phases],
                )
                .await?;
            Ok(())
        })
    }

    /// Every meeting of the cluster, oldest first, with its owner and what
    /// the owner last reported of it.
    pub fn listed_meetings(&self) -> Result<Vec<ListedMeeting>, StoreError> {
        self.block(|shared| async move {
            let client = shared.client().await?;
            let rows = client
                .query(
                    "SELECT m.id, m.title, m.created_at, l.owner, n.url, l.participants, l.phase
                     FROM meetings m
                     LEFT JOIN meeting_leases l ON l.meeting = m.id
                     LEFT JOIN nodes n ON n.id = l.owner
                     ORDER BY m.created_at, m.created_order",
                    &[],
                )
                .await?;
            rows.iter()
                .map(|row| {
                    let owner: Option<String> = row.try_get(3)?;
                    let url: Option<String> = row.try_get(4)?;
                    let participants: Option<i64> = row.try_get(5)?;
                    Ok(ListedMeeting {
                        record: MeetingRecord {
                            id: row.try_get(0)?,
                            title: row.try_get(1)?,
                            created_at: from_db(row.try_get(2)?, "a creation time")?,
                        },
                        owner: owner.zip(url),
                        participants: from_db(participants.unwrap_or(0), "a participant count")?,
                        phase: row.try_get(6)?,
                    })
                })
                .collect()
        })
    }

    /// Creates a meeting on the least-loaded serving node: the meeting,
    /// its first journal entry and its lease in one transaction, so the
    /// owner never sees a meeting without its configuration. Least loaded
    /// is fewest forwarded streams plus meetings held (a burst of new
    /// meetings spreads before any heartbeat reports them), among nodes
    /// with a fresh heartbeat, not draining and under their stream budget.
    /// `creator` takes it when no node qualifies (the creator is alive).
    pub fn create_placed_meeting(
        &self,
        record: &MeetingRecord,
        first: Option<&JournalEntry>,
        creator: &str,
        timing: Timing,
    ) -> Result<Lease, StoreError> {
        let record = record.clone();
        let rows = encode_entries(first.map(std::slice::from_ref).unwrap_or_default())?;
        let creator = creator.to_owned();
        self.block(move |shared| async move {
            let created_at = to_db(record.created_at, "a creation time")?;
            let mut client = shared.client().await?;
            let tx = client.transaction().await?;
            let chosen = tx
                .query_opt(
                    &format!(
                        "SELECT n.id FROM nodes n
                         LEFT JOIN (SELECT owner, count(*) AS held FROM meeting_leases
                                    GROUP BY owner) l ON l.owner = n.id
                         WHERE NOT n.draining AND n.heartbeat_at > {NOW_MS} - $1
                           AND (n.stream_budget IS NULL OR n.streams < n.stream_budget)
                         ORDER BY n.streams + coalesce(l.held, 0), random()
                         LIMIT 1"
                    ),
                    &[&millis(timing.fresh)],
                )
                .await?;
            let owner: String = match chosen {
                Some(row) => row.try_get(0)?,
                None => creator,
            };
            let inserted = tx
                .execute(
                    "INSERT INTO meetings (id, title, created_at) VALUES ($1, $2, $3)
                     ON CONFLICT (id) DO NOTHING",
                    &[&record.id, &record.title, &created_at],
                )
                .await?;
            if inserted == 0 {
                return Err(StoreError::AlreadyExists);
            }
            for (seq, at, actor, command) in &rows {
                tx.execute(
                    "INSERT INTO journal (meeting, seq, at, actor, command)
                     VALUES ($1, $2, $3, $4, $5)",
                    &[
                        &record.id,
                        &to_db(*seq, "a journal seq")?,
                        &to_db(*at, "a journal time")?,
                        actor,
                        command,
                    ],
                )
                .await?;
            }
            let row = tx
                .query_one(
                    &format!(
                        "INSERT INTO meeting_leases (meeting, owner, epoch, valid_until)
                         VALUES ($1, $2, 1, {NOW_MS} + $3)
                         RETURNING (SELECT url FROM nodes WHERE id = $2)"
                    ),
                    &[&record.id, &owner, &millis(timing.lease)],
                )
                .await?;
            let owner_url: Option<String> = row.try_get(0)?;
            tx.commit().await?;
            Ok(Lease {
                meeting: record.id,
                owner,
                owner_url: owner_url.unwrap_or_default(),
                epoch: 1,
                valid: true,
                ends_in: timing.lease,
            })
        })
    }

    /// Who serves `meeting`; `None` if it has no lease (or does not exist).
    pub fn lease(&self, meeting: &str) -> Result<Option<Lease>, StoreError> {
        let meeting = meeting.to_owned();
        self.block(|shared| async move {
            let client = shared.client().await?;
            let row = client
                .query_opt(
                    &format!(
                        "SELECT l.owner, n.url, l.epoch, l.valid_until > {NOW_MS},
                                GREATEST(l.valid_until - {NOW_MS}, 0)
                         FROM meeting_leases l JOIN nodes n ON n.id = l.owner
                         WHERE l.meeting = $1"
                    ),
                    &[&meeting],
                )
                .await?;
            row.map(|row| {
                Ok(Lease {
                    meeting,
                    owner: row.try_get(0)?,
                    owner_url: row.try_get(1)?,
                    epoch: from_db(row.try_get(2)?, "an epoch")?,
                    valid: row.try_get(3)?,
                    ends_in: std::time::Duration::from_millis(from_db(
                        row.try_get(4)?,
                        "a lease's remaining time",
                    )?),
                })
            })
            .transpose()
        })
    }

    /// Extends every lease `node` holds and returns them with their epoch:
    /// what the node must serve. A lease that ran out but that nobody took
    /// over is still the node's: no one else has written since.
    pub fn renew_leases(
        &self,
        node: &str,
        timing: Timing,
    ) -> impl Future<Output = Result<Vec<(String, u64)>, StoreError>> + Send + 'static {
        let node = node.to_owned();
        self.run(move |shared| async move {
            let client = shared.client().await?;
            let rows = client
                .query(
                    &format!(
                        "UPDATE meeting_leases SET valid_until = {NOW_MS} + $2
                         WHERE owner = $1 RETURNING meeting, epoch"
                    ),
                    &[&node, &millis(timing.lease)],
                )
                .await?;
            rows.iter()
                .map(|row| Ok((row.try_get(0)?, from_db(row.try_get(1)?, "an epoch")?)))
                .collect()
        })
    }

    /// Meetings `node` should load at start: those it holds a lease on,
    /// and those nobody does (made before the cluster tables were used).
    pub fn claimable_meetings(&self, node: &str) -> Result<Vec<String>, StoreError> {
        let node = node.to_owned();
        self.block(|shared| async move {
            let client = shared.client().await?;
            let rows = client
                .query(
                    "SELECT m.id FROM meetings m
                     LEFT JOIN meeting_leases l ON l.meeting = m.id
                     WHERE l.owner IS NULL OR l.owner = $1
                     ORDER BY m.created_at, m.created_order",
                    &[&node],
                )
                .await?;
            rows.iter().map(|row| Ok(row.try_get(0)?)).collect()
        })
    }

    /// Makes `node` the owner of `meeting` with the next epoch, if nobody
    /// else holds a valid lease on it: a lease that ran out, one `node`
    /// held before (a restart fences its previous incarnation), or none.
    /// Returns the new epoch, or `None` if another node holds it.
    pub fn take_over(
        &self,
        meeting: &str,
        node: &str,
        timing: Timing,
    ) -> Result<Option<u64>, StoreError> {
        let (meeting, node) = (meeting.to_owned(), node.to_owned());
        self.block(move |shared| async move {
            let client = shared.client().await?;
            let exists = client
                .query_opt("SELECT 1 FROM meetings WHERE id = $1", &[&meeting])
                .await?;
            if exists.is_none() {
                return Err(StoreError::NotFound);
            }
            let row = client
                .query_opt(
                    &format!(
                        "INSERT INTO meeting_leases AS l (meeting, owner, epoch, valid_until)
                         VALUES ($1, $2, 1, {NOW_MS} + $3)
                         ON CONFLICT (meeting) DO UPDATE
                           SET owner = excluded.owner, epoch = l.epoch + 1,
                               valid_until = excluded.valid_until
                           WHERE l.valid_until <= {NOW_MS} OR l.owner = excluded.owner
                         RETURNING epoch"
                    ),
                    &[&meeting, &node, &millis(timing.lease)],
                )
                .await?;
            row.map(|row| from_db(row.try_get(0)?, "an epoch"))
                .transpose()
        })
    }

    /// Ends `node`'s lease on `meeting` now (it stopped serving it), so the
    /// next node asked takes it over without waiting for it to run out.
    pub fn release_lease(
        &self,
        meeting: &str,
        node: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send + 'static {
        let (meeting, node) = (meeting.to_owned(), node.to_owned());
        self.run(move |shared| async move {
            let client = shared.client().await?;
            client
                .execute(
                    "UPDATE meeting_leases SET valid_until = 0 WHERE meeting = $1 AND owner = $2",
                    &[&meeting, &node],
                )
                .await?;
            Ok(())
        })
    }

    /// One meeting's record, for a node that takes it over (listing every
    /// meeting per takeover would cost a dead node's peers the square of
    /// its meetings).
    pub fn meeting(&self, id: &str) -> Result<Option<MeetingRecord>, StoreError> {
        let id = id.to_owned();
        self.block(|shared| async move {
            let client = shared.client().await?;
            let row = client
                .query_opt(
                    "SELECT title, created_at FROM meetings WHERE id = $1",
                    &[&id],
                )
                .await?;
            row.map(|row| {
                Ok(MeetingRecord {
                    title: row.try_get(0)?,
                    created_at: from_db(row.try_get(1)?, "a creation time")?,
                    id,
                })
            })
            .transpose()
        })
    }
}
