//! Which source each downstream slot carries: a pure function of the slots'
//! current occupants and the ranked candidates, so a recomputation moves as
//! few sources as possible (a tile does not jump when someone else leaves).

use breakout_core::ParticipantId;

/// Fills `slots` with the best `slots.len()` of `ranked` (best first).
/// Occupants that stay wanted keep their slot; newcomers take free slots in
/// order. Returns the indexes of the slots whose occupant changed.
pub fn assign(slots: &mut [Option<ParticipantId>], ranked: &[ParticipantId]) -> Vec<usize> {
    let wanted = &ranked[..ranked.len().min(slots.len())];
    let before = slots.to_vec();
    for slot in slots.iter_mut() {
        if slot.is_some_and(|occupant| !wanted.contains(&occupant)) {
            *slot = None;
        }
    }
    let newcomers: Vec<ParticipantId> = wanted
        .iter()
        .filter(|candidate| !slots.contains(&Some(**candidate)))
        .copied()
        .collect();
    let mut newcomers = newcomers.iter();
    for slot in slots.iter_mut().filter(|slot| slot.is_none()) {
        match newcomers.next() {
            Some(candidate) => *slot = Some(*candidate),
            None => break,
        }
    }
    (0..slots.len())
        .filter(|&i| before[i] != slots[i])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(id: u64) -> ParticipantId {
        ParticipantId(id)
    }

    #[test]
    fn fills_empty_slots_in_order() {
        let mut slots = vec![None; 3];
        let changed = assign(&mut slots, &[p(1), p(2)]);
        assert_eq!(slots, vec![Some(p(1)), Some(p(2)), None]);
        assert_eq!(changed, vec![0, 1]);
    }

    #[test]
    fn stayers_keep_their_slot() {
        let mut slots = vec![Some(p(1)), Some(p(2)), Some(p(3))];
        let changed = assign(&mut slots, &[p(3), p(4), p(1)]);
        assert_eq!(slots, vec![Some(p(1)), Some(p(4)), Some(p(3))]);
        assert_eq!(changed, vec![1]);
    }

    #[test]
    fn only_the_best_get_a_slot() {
        let mut slots = vec![Some(p(1)), None];
        let changed = assign(&mut slots, &[p(5), p(6), p(1)]);
        assert_eq!(slots, vec![Some(p(5)), Some(p(6))]);
        assert_eq!(changed, vec![0, 1]);
    }

    #[test]
    fn nobody_left_empties_everything() {
        let mut slots = vec![Some(p(1)), Some(p(2))];
        assert_eq!(assign(&mut slots, &[]), vec![0, 1]);
        assert_eq!(slots, vec![None, None]);
    }
}
