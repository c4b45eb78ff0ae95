//! Invite codes in PostgreSQL: stored by hash, like tokens, with their use
//! count and expiry.

use super::super::{InviteUse, NewInvite, StoreError};
use super::{PgStore, require_meeting, to_db};

impl PgStore {
    pub fn add_invite(
        &self,
        code_hash: &[u8; 32],
        invite: &NewInvite<'_>,
    ) -> Result<(), StoreError> {
        let hash = code_hash.to_vec();
        let meeting = invite.meeting.to_owned();
        let preset = invite.preset.to_owned();
        let created_at = to_db(invite.created_at, "a creation time")?;
        let max_uses = invite.max_uses.map(i64::from);
        let expires_at = invite
            .expires_at
            .map(|at| to_db(at, "an expiry time"))
            .transpose()?;
        self.block(|shared| async move {
            let mut client = shared.client().await?;
            let tx = client.transaction().await?;
            require_meeting(&tx, &meeting).await?;
            let inserted = tx
                .execute(
                    "INSERT INTO invites (hash, meeting, preset, created_at, max_uses, expires_at)
                     VALUES ($1, $2, $3, $4, $5, $6)
                     ON CONFLICT (hash) DO NOTHING",
                    &[
                        &hash,
                        &meeting,
                        &preset,
                        &created_at,
                        &max_uses,
                        &expires_at,
                    ],
                )
                .await?;
            if inserted == 0 {
                return Err(StoreError::AlreadyExists);
            }
            tx.commit().await?;
            Ok(())
        })
    }

    pub fn use_invite(&self, code_hash: &[u8; 32], now: u64) -> Result<InviteUse, StoreError> {
        let hash = code_hash.to_vec();
        // A time past the column's range is later than any stored expiry.
        let now = i64::try_from(now).unwrap_or(i64::MAX);
        self.block(|shared| async move {
            let client = shared.client().await?;
            // The check and the count are one statement: the row lock makes
            // concurrent joins queue, and each re-checks the limit.
            let granted = client
                .query_opt(
                    "UPDATE invites SET uses = uses + 1
                     WHERE hash = $1
                       AND (max_uses IS NULL OR uses < max_uses)
                       AND (expires_at IS NULL OR expires_at > $2)
                     RETURNING meeting, preset",
                    &[&hash, &now],
                )
                .await?;
            if let Some(row) = granted {
                return Ok(InviteUse::Granted {
                    meeting: row.try_get(0)?,
                    preset: row.try_get(1)?,
                });
            }
            let found = client
                .query_opt("SELECT expires_at FROM invites WHERE hash = $1", &[&hash])
                .await?;
            let Some(row) = found else {
                return Ok(InviteUse::NotFound);
            };
            let expires_at: Option<i64> = row.try_get(0)?;
            Ok(match expires_at {
                Some(at) if at <= now => InviteUse::Expired,
                _ => InviteUse::Exhausted,
            })
        })
    }

    pub fn return_invite_use(&self, code_hash: &[u8; 32]) -> Result<(), StoreError> {
        let hash = code_hash.to_vec();
        self.block(|shared| async move {
            let client = shared.client().await?;
            client
                .execute(
                    "UPDATE invites SET uses = uses - 1 WHERE hash = $1 AND uses > 0",
                    &[&hash],
                )
                .await?;
            Ok(())
        })
    }
}
