//! The PostgreSQL schema and its migrations.
//!
//! The version is the one row of `breakout_schema`: the number of
//! [`MIGRATIONS`] applied. Migrations only ever get appended; an applied one
//! is never edited, because databases in the field already ran it. Several
//! servers may start at once on one database: an advisory lock held for the
//! migrating transaction lets one migrate while the others wait, then find
//! nothing left to do.

use super::super::StoreError;

/// Each entry takes the schema from version `i` to `i + 1`.
///
/// Times are milliseconds since the Unix epoch in `BIGINT`, as in SQLite;
/// unsigned values are checked on the way in and out (`to_db`, `from_db`).
pub(super) const MIGRATIONS: &[&str] = &[
    // 1: what SQLite's three migrations hold, plus the tables the cluster
    // step fills: nodes and who owns each meeting.
    "CREATE TABLE meetings (
        id TEXT PRIMARY KEY,
        title TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        next_participant BIGINT NOT NULL DEFAULT 1,
        -- Ties in created_at are listed in creation order.
        created_order BIGINT GENERATED ALWAYS AS IDENTITY
    );
    CREATE INDEX meetings_by_age ON meetings (created_at, created_order);

    CREATE TABLE journal (
        meeting TEXT NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
        seq BIGINT NOT NULL,
        at BIGINT NOT NULL,
        actor TEXT NOT NULL,
        command TEXT NOT NULL,
        PRIMARY KEY (meeting, seq)
    );

    CREATE TABLE snapshots (
        meeting TEXT PRIMARY KEY REFERENCES meetings (id) ON DELETE CASCADE,
        seq BIGINT NOT NULL,
        state TEXT NOT NULL
    );

    CREATE TABLE tokens (
        hash BYTEA PRIMARY KEY CHECK (octet_length(hash) = 32),
        meeting TEXT NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
        participant BIGINT NOT NULL,
        preset TEXT NOT NULL
    );
    CREATE INDEX tokens_by_participant ON tokens (meeting, participant);

    CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );

    CREATE TABLE invites (
        hash BYTEA PRIMARY KEY CHECK (octet_length(hash) = 32),
        meeting TEXT NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
        preset TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        max_uses BIGINT,
        uses BIGINT NOT NULL DEFAULT 0,
        expires_at BIGINT
    );
    CREATE INDEX invites_by_meeting ON invites (meeting);

    -- Servers sharing this database. Each heartbeats its load; placement
    -- picks the least loaded one that is not draining.
    CREATE TABLE nodes (
        id TEXT PRIMARY KEY,
        -- Where clients reach it (REST and WebSocket).
        url TEXT NOT NULL,
        started_at BIGINT NOT NULL,
        heartbeat_at BIGINT NOT NULL,
        draining BOOLEAN NOT NULL DEFAULT false,
        participants BIGINT NOT NULL DEFAULT 0,
        streams BIGINT NOT NULL DEFAULT 0,
        packets_per_s BIGINT NOT NULL DEFAULT 0,
        -- Forwarded streams it takes at most; NULL is no limit.
        stream_budget BIGINT
    );

    -- Which node serves a meeting. The owner renews valid_until; every
    -- append is fenced by epoch, which grows at each takeover.
    CREATE TABLE meeting_leases (
        meeting TEXT PRIMARY KEY REFERENCES meetings (id) ON DELETE CASCADE,
        owner TEXT NOT NULL REFERENCES nodes (id),
        epoch BIGINT NOT NULL,
        valid_until BIGINT NOT NULL
    );
    CREATE INDEX meeting_leases_by_owner ON meeting_leases (owner);",
    // 2: what the owner last reported of each meeting (every heartbeat), so
    // any node lists every meeting of the cluster. `phase` is the core's
    // Phase as JSON; NULL until the first report.
    "ALTER TABLE meeting_leases
        ADD COLUMN participants BIGINT NOT NULL DEFAULT 0,
        ADD COLUMN phase TEXT;",
];

/// Any number, the same in every server: the lock migrations take.
const MIGRATION_LOCK: i64 = 0x6272_6b6f_7574; // "brkout"

/// Brings the schema up to date in one transaction, so a failure half-way
/// leaves the previous version intact.
pub(super) async fn migrate(client: &mut deadpool_postgres::Client) -> Result<(), StoreError> {
    let supported = u32::try_from(MIGRATIONS.len()).unwrap_or(u32::MAX);
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await?;
    tx.batch_execute("CREATE TABLE IF NOT EXISTS breakout_schema (version INTEGER NOT NULL)")
        .await?;
    let row = tx
        .query_opt("SELECT version FROM breakout_schema", &[])
        .await?;
    let found: Option<i32> = row.map(|row| row.try_get(0)).transpose()?;
    let found_version = u32::try_from(found.unwrap_or(0)).unwrap_or(u32::MAX);
    if found_version > supported {
        return Err(StoreError::SchemaTooNew {
            found: found_version,
            supported,
        });
    }
    for sql in &MIGRATIONS[found_version as usize..] {
        tx.batch_execute(sql).await?;
    }
    let version = i32::try_from(supported).unwrap_or(i32::MAX);
    if found.is_none() {
        tx.execute(
            "INSERT INTO breakout_schema (version) VALUES ($1)",
            &[&version],
        )
        .await?;
    } else if found_version < supported {
        tx.execute("UPDATE breakout_schema SET version = $1", &[&version])
            .await?;
    }
    tx.commit().await?;
    Ok(())
}
