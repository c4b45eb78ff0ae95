//! Invite codes: a short secret that lets anyone who holds it join one
//! meeting with one preset, optionally a limited number of times and until
//! a deadline. Stored by hash, like tokens.

use rusqlite::{OptionalExtension, params};

use super::{Store, StoreError, require_meeting};

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

impl Store {
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

    /// Gives back a use taken by [`Store::use_invite`] for a join that was
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
    use super::*;
    use crate::store::{MeetingRecord, hash_token};

    fn store_with_meeting() -> Store {
        let store = Store::open_in_memory().unwrap();
        let record = MeetingRecord {
            id: "m1".into(),
            title: "t".into(),
            created_at: 1,
        };
        store.create_meeting(&record).unwrap();
        store
    }

    fn invite(max_uses: Option<u32>, expires_at: Option<u64>) -> NewInvite<'static> {
        NewInvite {
            meeting: "m1",
            preset: "participant",
            created_at: 5,
            max_uses,
            expires_at,
        }
    }

    fn granted() -> InviteUse {
        InviteUse::Granted {
            meeting: "m1".into(),
            preset: "participant".into(),
        }
    }

    #[test]
    fn invites_are_found_by_hash_and_go_with_their_meeting() {
        let store = store_with_meeting();
        let hash = hash_token("abcd-efgh-jkmn");
        store.add_invite(&hash, &invite(None, None)).unwrap();
        assert!(matches!(
            store.add_invite(&hash, &invite(Some(1), None)),
            Err(StoreError::AlreadyExists)
        ));
        assert_eq!(store.use_invite(&hash, 10).unwrap(), granted());
        assert_eq!(store.use_invite(&hash, 10).unwrap(), granted());
        assert_eq!(
            store.use_invite(&hash_token("other"), 10).unwrap(),
            InviteUse::NotFound
        );
        let elsewhere = NewInvite {
            meeting: "nope",
            ..invite(None, None)
        };
        assert!(matches!(
            store.add_invite(&hash_token("x"), &elsewhere),
            Err(StoreError::NotFound)
        ));
        store.delete_meeting("m1").unwrap();
        assert_eq!(store.use_invite(&hash, 10).unwrap(), InviteUse::NotFound);
    }

    #[test]
    fn an_invite_runs_out_of_uses_and_time() {
        let store = store_with_meeting();
        let limited = hash_token("limited");
        store.add_invite(&limited, &invite(Some(2), None)).unwrap();
        assert_eq!(store.use_invite(&limited, 10).unwrap(), granted());
        assert_eq!(store.use_invite(&limited, 10).unwrap(), granted());
        assert_eq!(
            store.use_invite(&limited, 10).unwrap(),
            InviteUse::Exhausted
        );
        store.return_invite_use(&limited).unwrap();
        assert_eq!(store.use_invite(&limited, 10).unwrap(), granted());

        let dated = hash_token("dated");
        store.add_invite(&dated, &invite(None, Some(100))).unwrap();
        assert_eq!(store.use_invite(&dated, 99).unwrap(), granted());
        assert_eq!(store.use_invite(&dated, 100).unwrap(), InviteUse::Expired);
    }

    #[test]
    fn invites_made_before_limits_existed_stay_unlimited() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.sqlite3");
        let hash = hash_token("old-code");
        {
            // A database as version 2 of the schema left it.
            let conn = rusqlite::Connection::open(&path).unwrap();
            for sql in &crate::store::schema::MIGRATIONS[..2] {
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
        let store = Store::open(&path).unwrap();
        for _ in 0..3 {
            assert_eq!(store.use_invite(&hash, u64::MAX / 2).unwrap(), granted());
        }
    }
}
