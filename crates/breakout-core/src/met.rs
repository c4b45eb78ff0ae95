//! Who has already shared a room, for rotations that avoid repeats.
//!
//! Every shuffle and rotation records every pair in every room (100 rooms
//! of 10 people are 4,500 pairs), so the set is a hash set: an ordered set
//! spent most of a 1,000-person shuffle on cache misses. The hasher is fixed
//! rather than randomly seeded because the core draws no randomness, and
//! the set is written sorted so that equal meetings make equal snapshots.

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::ParticipantId;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Met(HashSet<(ParticipantId, ParticipantId), BuildHasherDefault<IdHasher>>);

impl Met {
    pub(crate) fn reserve(&mut self, pairs: usize) {
        self.0.reserve(pairs);
    }

    /// Records that everyone in `people` met everyone else there.
    pub(crate) fn record(&mut self, people: &[ParticipantId]) {
        for (i, a) in people.iter().enumerate() {
            for b in &people[i + 1..] {
                self.0.insert(ordered(*a, *b));
            }
        }
    }

    pub(crate) fn contains(&self, a: ParticipantId, b: ParticipantId) -> bool {
        self.0.contains(&ordered(a, b))
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = (ParticipantId, ParticipantId)> + '_ {
        self.0.iter().copied()
    }

    pub(crate) fn clear(&mut self) {
        self.0.clear();
    }
}

/// How many pairs `n` people make.
pub(crate) fn pairs(n: usize) -> usize {
    n * n.saturating_sub(1) / 2
}

fn ordered(a: ParticipantId, b: ParticipantId) -> (ParticipantId, ParticipantId) {
    if a < b { (a, b) } else { (b, a) }
}

impl Serialize for Met {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut pairs: Vec<_> = self.0.iter().copied().collect();
        pairs.sort_unstable();
        pairs.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Met {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let pairs = Vec::<(ParticipantId, ParticipantId)>::deserialize(deserializer)?;
        Ok(Met(pairs.into_iter().map(|(a, b)| ordered(a, b)).collect()))
    }
}

/// A multiplicative hash for integer ids (the one rustc uses, FxHash):
/// fast, deterministic, and good enough for keys nobody outside chooses
/// adversarially in bulk (ids are allocated by the server).
#[derive(Default, Clone, Copy)]
pub(crate) struct IdHasher(u64);

impl IdHasher {
    const K: u64 = 0xf135_7aea_2e62_a9c5;

    fn add(&mut self, word: u64) {
        self.0 = self.0.wrapping_add(word).wrapping_mul(Self::K);
    }
}

impl Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }

    fn finish(&self) -> u64 {
        // The multiply leaves the low bits weak; the table indexes by them.
        self.0.rotate_left(26)
    }
}
