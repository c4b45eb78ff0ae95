//! Invite codes in SQLite: stored by hash, like tokens, with their use
//! count and expiry.

use rusqlite::{OptionalExtension, params};

use super::super::{InviteUse, NewInvite, StoreError};
use super::{SqliteStore, require_meeting};

impl SqliteStore {
    /// Records an invite by its code's hash.
    pub fn add_invite(
        &self,
        code_hash: &[u8; 32],
        invite: &NewInvite<'_>,
    ) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        require_meeting(&tx, invite.meeting)?;
        let inserted = tx.execute(
            "INSERT INTO invites (hash, meeting, preset, created_at, max_uses, expires_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (hash) DO NOTHING",
            params![
                &code_hash[..],
                invite.meeting,
                invite.preset,
                invite.created_at,
                invite.max_uses,
                invite.expires_at
            ],
        )?;
        if inserted == 0 {
            return Err(StoreError::AlreadyExists);
        }
        tx.commit()?;
        Ok(())
    }

    /// Takes one use of an invite at time `now`, if it has one left. The
    /// check and the count are one statement, so concurrent joins never
    /// exceed the limit.
    pub fn use_invite(&self, code_hash: &[u8; 32], now: u64) -> Result<InviteUse, StoreError> {
        let conn = self.conn();
        let granted = conn
            .query_row(
                "UPDATE invites SET uses = uses + 1
                 WHERE hash = ?1
                   AND (max_uses IS NULL OR uses < max_uses)
                   AND (expires_at IS NULL OR expires_at > ?2)
                 RETURNING meeting, preset",
                params![&code_hash[..], now],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?;
        if let Some((meeting, preset)) = granted {
            return Ok(InviteUse::Granted { meeting, preset });
        }
        let found: Option<Option<u64>> = conn
            .query_row(
                "SELECT expires_at FROM invites WHERE hash = ?1",
                [&code_hash[..]],
                |row| row.get(0),
            )
            .optional()?;
        Ok(match found {
            None => InviteUse::NotFound,
            Some(Some(expires_at)) if expires_at <= now => InviteUse::Expired,
            Some(_) => InviteUse::Exhausted,
        })
    }

    /// Gives back a use taken by [`SqliteStore::use_invite`] for a join that was
    /// then refused (meeting full or locked, bad name).
    pub fn return_invite_use(&self, code_hash: &[u8; 32]) -> Result<(), StoreError> {
        self.conn().execute(
            "UPDATE invites SET uses = uses - 1 WHERE hash = ?1 AND uses > 0",
            [&code_hash[..]],
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::super::{InviteUse, hash_token};
    use super::super::schema::MIGRATIONS;
    use super::SqliteStore;

    #[test]
    fn invites_made_before_limits_existed_stay_unlimited() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.sqlite3");
        let hash = hash_token("old-code");
        {
            // A database as version 2 of the schema left it.
            let conn = rusqlite::Connection::open(&path).unwrap();
            for sql in &MIGRATIONS[..2] {
                conn.execute_batch(sql).unwrap();
            }
            conn.pragma_update(None, "user_version", 2).unwrap();
            conn.execute(
                "INSERT INTO meetings (id, title, created_at) VALUES ('m1', 't', 1)",
                [],
            )
            .unwrap();
            conn.execute(
                "INSERT INTO invites (hash, meeting, preset, created_at)
                 VALUES (?1, 'm1', 'participant', 1)",
                [&hash[..]],
            )
            .unwrap();
        }
        let store = SqliteStore::open(&path).unwrap();
        let granted = InviteUse::Granted {
            meeting: "m1".into(),
            preset: "participant".into(),
        };
        for _ in 0..3 {
            assert_eq!(store.use_invite(&hash, u64::MAX / 2).unwrap(), granted);
        }
    }
}
