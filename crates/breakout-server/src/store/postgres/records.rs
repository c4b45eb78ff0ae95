//! Meetings, participant ids, tokens and settings in PostgreSQL.

use breakout_core::ParticipantId;

use super::super::{MeetingRecord, StoreError};
use super::{PgStore, from_db, require_meeting, statements, to_db};

impl PgStore {
    pub fn create_meeting(&self, record: &MeetingRecord) -> Result<(), StoreError> {
        let record = record.clone();
        self.block(|shared| async move {
            let created_at = to_db(record.created_at, "a creation time")?;
            let client = shared.client().await?;
            let insert = client
                .prepare_cached(
                    "INSERT INTO meetings (id, title, created_at) VALUES ($1, $2, $3)
                     ON CONFLICT (id) DO NOTHING",
                )
                .await?;
            let inserted = client
                .execute(&insert, &[&record.id, &record.title, &created_at])
                .await?;
            if inserted == 0 {
                return Err(StoreError::AlreadyExists);
            }
            Ok(())
        })
    }

    pub fn delete_meeting(&self, id: &str) -> Result<bool, StoreError> {
        let id = id.to_owned();
        self.block(|shared| async move {
            // The foreign keys cascade within the statement.
            let client = shared.client().await?;
            let deleted = client
                .execute("DELETE FROM meetings WHERE id = $1", &[&id])
                .await?;
            Ok(deleted > 0)
        })
    }

    pub fn meetings(&self) -> Result<Vec<MeetingRecord>, StoreError> {
        self.block(|shared| async move {
            let client = shared.client().await?;
            let rows = client
                .query(
                    "SELECT id, title, created_at FROM meetings
                     ORDER BY created_at, created_order",
                    &[],
                )
                .await?;
            rows.iter()
                .map(|row| {
                    Ok(MeetingRecord {
                        id: row.try_get(0)?,
                        title: row.try_get(1)?,
                        created_at: from_db(row.try_get(2)?, "a creation time")?,
                    })
                })
                .collect()
        })
    }

    pub fn next_participant_id(&self, meeting: &str) -> Result<ParticipantId, StoreError> {
        let meeting = meeting.to_owned();
        self.block(|shared| async move {
            let client = shared.client().await?;
            let next = client
                .prepare_cached(
                    "UPDATE meetings SET next_participant = next_participant + 1
                     WHERE id = $1 RETURNING next_participant - 1",
                )
                .await?;
            let row = client
                .query_opt(&next, &[&meeting])
                .await?
                .ok_or(StoreError::NotFound)?;
            Ok(ParticipantId(from_db(row.try_get(0)?, "a participant id")?))
        })
    }

    pub fn add_token(
        &self,
        token_hash: &[u8; 32],
        meeting: &str,
        participant: ParticipantId,
        preset: &str,
    ) -> Result<(), StoreError> {
        let hash = token_hash.to_vec();
        let meeting = meeting.to_owned();
        let preset = preset.to_owned();
        self.block(|shared| async move {
            let participant = to_db(participant.0, "a participant id")?;
            let mut client = shared.client().await?;
            let tx = client.transaction().await?;
            require_meeting(&tx, &meeting).await?;
            let inserted = tx
                .execute(
                    "INSERT INTO tokens (hash, meeting, participant, preset)
                     VALUES ($1, $2, $3, $4) ON CONFLICT (hash) DO NOTHING",
                    &[&hash, &meeting, &participant, &preset],
                )
                .await?;
            if inserted == 0 {
                return Err(StoreError::AlreadyExists);
            }
            tx.commit().await?;
            Ok(())
        })
    }

    pub fn find_token(
        &self,
        token_hash: &[u8; 32],
    ) -> Result<Option<(String, ParticipantId)>, StoreError> {
        let hash = token_hash.to_vec();
        self.block(|shared| async move {
            // An indexed lookup of the hash, not a comparison with the
            // secret: its timing tells an attacker nothing.
            let client = shared.client().await?;
            let find = client
                .prepare_cached("SELECT meeting, participant FROM tokens WHERE hash = $1")
                .await?;
            let Some(row) = client.query_opt(&find, &[&hash]).await? else {
                return Ok(None);
            };
            let participant = from_db(row.try_get(1)?, "a participant id")?;
            Ok(Some((row.try_get(0)?, ParticipantId(participant))))
        })
    }

    pub fn revoke_tokens(
        &self,
        meeting: &str,
        participant: ParticipantId,
    ) -> Result<(), StoreError> {
        let meeting = meeting.to_owned();
        self.block(|shared| async move {
            let client = shared.client().await?;
            statements::revoke_tokens(&client, &meeting, participant).await
        })
    }

    pub fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        let key = key.to_owned();
        self.block(|shared| async move {
            let client = shared.client().await?;
            let row = client
                .query_opt("SELECT value FROM settings WHERE key = $1", &[&key])
                .await?;
            Ok(row.map(|row| row.try_get(0)).transpose()?)
        })
    }

    pub fn set_setting(&self, key: &str, value: &str) -> Result<(), StoreError> {
        let (key, value) = (key.to_owned(), value.to_owned());
        self.block(|shared| async move {
            let client = shared.client().await?;
            client
                .execute(
                    "INSERT INTO settings (key, value) VALUES ($1, $2)
                     ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    &[&key, &value],
                )
                .await?;
            Ok(())
        })
    }
}
