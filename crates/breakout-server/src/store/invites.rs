//! Invite codes: a short secret that lets anyone who holds it join one
//! meeting with one preset. Stored by hash, like tokens.

use rusqlite::{OptionalExtension, params};

use super::{Store, StoreError, require_meeting};

impl Store {
    /// Records an invite (by its code's hash) to `meeting` with `preset`.
    pub fn add_invite(
        &self,
        code_hash: &[u8; 32],
        meeting: &str,
        preset: &str,
        created_at: u64,
    ) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        require_meeting(&tx, meeting)?;
        let inserted = tx.execute(
            "INSERT INTO invites (hash, meeting, preset, created_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (hash) DO NOTHING",
            params![&code_hash[..], meeting, preset, created_at],
        )?;
        if inserted == 0 {
            return Err(StoreError::AlreadyExists);
        }
        tx.commit()?;
        Ok(())
    }

    /// The meeting and preset an invite code hash grants, if any.
    pub fn find_invite(
        &self,
        code_hash: &[u8; 32],
    ) -> Result<Option<(String, String)>, StoreError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT meeting, preset FROM invites WHERE hash = ?1",
                [&code_hash[..]],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{MeetingRecord, hash_token};

    #[test]
    fn invites_are_found_by_hash_and_go_with_their_meeting() {
        let store = Store::open_in_memory().unwrap();
        let record = MeetingRecord {
            id: "m1".into(),
            title: "t".into(),
            created_at: 1,
        };
        store.create_meeting(&record).unwrap();
        let hash = hash_token("abcd-efgh-jkmn");
        store.add_invite(&hash, "m1", "participant", 5).unwrap();
        assert!(matches!(
            store.add_invite(&hash, "m1", "host", 6),
            Err(StoreError::AlreadyExists)
        ));
        assert_eq!(
            store.find_invite(&hash).unwrap(),
            Some(("m1".into(), "participant".into()))
        );
        assert_eq!(store.find_invite(&hash_token("other")).unwrap(), None);
        assert!(matches!(
            store.add_invite(&hash_token("x"), "nope", "participant", 1),
            Err(StoreError::NotFound)
        ));
        store.delete_meeting("m1").unwrap();
        assert_eq!(store.find_invite(&hash).unwrap(), None);
    }
}
