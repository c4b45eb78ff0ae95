//! Which simulcast layer each video slot of one subscriber forwards: a pure
//! function of the tiles the subscriber declared, the layers the slots'
//! publishers send (resolution, bitrate) and the subscriber's downlink
//! budget.
//!
//! Each slot wants the smallest layer whose resolution covers its tile (the
//! largest when none does, or when no size was declared). When the
//! wanted layers and the audio slots together exceed the budget, video
//! gives way first: the most expensive layer steps down one rank, again and
//! again, until the sum fits or every slot is at its lowest layer; then
//! whole slots stop, the last ones first, all but one. Audio is never
//! dropped: its bitrate is taken off the budget before any video is chosen.
//!
//! The one lowest layer kept is the probe: the estimate learns that a link
//! is free again only from feedback on what is sent, and in a room whose
//! microphones are all muted nothing else would be (a watcher whose budget
//! had stopped every picture under load then received nothing for good).

/// The tile a subscriber shows a video slot in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tile {
    /// Nothing declared: the slot gets the best layer (a client that does
    /// not know about tile sizes keeps full quality).
    Undeclared,
    /// Declared `0×0`: not shown, no video at all.
    Hidden,
    /// Shown at this many device pixels.
    Pixels { width: u32, height: u32 },
}

impl Tile {
    pub fn from_size(width: u32, height: u32) -> Tile {
        if width == 0 || height == 0 {
            Tile::Hidden
        } else {
            Tile::Pixels { width, height }
        }
    }
}

/// One layer a publisher sends, as the selection sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LayerInfo {
    pub width: u32,
    pub height: u32,
    /// Bit/s, measured or estimated.
    pub bitrate: u64,
}

/// One video slot: its tile and the layers of its publisher, lowest first
/// (empty when the slot shows nobody or nothing was received yet).
#[derive(Debug, Clone, Copy)]
pub struct SlotDemand<'a> {
    pub tile: Tile,
    pub layers: &'a [LayerInfo],
}

/// The layer per slot (an index into its `layers`), or `None` for no video.
/// `audio` is what the subscriber's audio slots take (bit/s); `budget` its
/// downlink estimate, `None` when unknown (unlimited).
pub fn select(slots: &[SlotDemand<'_>], audio: u64, budget: Option<u64>) -> Vec<Option<usize>> {
    let mut choice: Vec<Option<usize>> = slots.iter().map(wanted).collect();
    let Some(budget) = budget else {
        return choice;
    };
    let bitrate = |slot: usize, layer: usize| slots[slot].layers[layer].bitrate;
    let mut total = audio.saturating_add(
        choice
            .iter()
            .enumerate()
            .filter_map(|(slot, layer)| layer.map(|layer| bitrate(slot, layer)))
            .sum(),
    );
    // Step the most expensive layer down first (the last slot among
    // equals): a big tile losing some sharpness costs less than a small one
    // going dark.
    while total > budget {
        let costliest = choice
            .iter()
            .enumerate()
            .filter_map(|(slot, layer)| layer.filter(|&l| l > 0).map(|l| (slot, l)))
            .max_by_key(|&(slot, layer)| (bitrate(slot, layer), slot));
        let Some((slot, layer)) = costliest else {
            break;
        };
        total = total - bitrate(slot, layer) + bitrate(slot, layer - 1);
        choice[slot] = Some(layer - 1);
    }
    // Every slot is at its lowest layer: stop whole slots, the last first,
    // until one picture is left.
    let mut shown = choice.iter().flatten().count();
    for slot in (0..choice.len()).rev() {
        if total <= budget || shown <= 1 {
            break;
        }
        if let Some(layer) = choice[slot].take() {
            total -= bitrate(slot, layer);
            shown -= 1;
        }
    }
    choice
}

/// The layer a slot wants before any budget is applied.
fn wanted(slot: &SlotDemand<'_>) -> Option<usize> {
    let best = slot.layers.len().checked_sub(1)?;
    match slot.tile {
        Tile::Hidden => None,
        Tile::Undeclared => Some(best),
        Tile::Pixels { width, height } => Some(
            slot.layers
                .iter()
                .position(|l| l.width >= width && l.height >= height)
                .unwrap_or(best),
        ),
    }
}

/// The resolution assumed for a full layer nobody has seen a keyframe of.
const ASSUMED_FULL: (u32, u32) = (1280, 720);

/// The size of each layer of one camera, lowest first: `(scale_down_by,
/// size learned from its keyframes)`. A layer not seen yet is derived from
/// a sibling that was (by the ratio of their scales), else from an assumed
/// 720p full layer, so before any keyframe the layers still rank by size.
pub fn estimate_sizes(layers: &[(u32, Option<(u32, u32)>)]) -> Vec<(u32, u32)> {
    let (known_scale, (known_w, known_h)) = layers
        .iter()
        .find_map(|&(scale, size)| size.map(|size| (scale, size)))
        .unwrap_or((1, ASSUMED_FULL));
    layers
        .iter()
        .map(|&(scale, size)| {
            size.unwrap_or((
                known_w * known_scale / scale.max(1),
                known_h * known_scale / scale.max(1),
            ))
        })
        .collect()
}

/// A bitrate for a layer never measured: about two bits per pixel and
/// second (≈1.8 Mbit/s at 720p, ≈115 kbit/s at 320×180), what real-time
/// VP8 encoders aim at for talking heads.
pub fn assumed_bitrate(width: u32, height: u32) -> u64 {
    u64::from(width) * u64::from(height) * 2
}

#[cfg(test)]
mod tests {
    use super::*;

    /// q/h/f of a 720p camera at 150 k, 500 k and 1.5 Mbit/s.
    const SIMULCAST: [LayerInfo; 3] = [
        LayerInfo {
            width: 320,
            height: 180,
            bitrate: 150_000,
        },
        LayerInfo {
            width: 640,
            height: 360,
            bitrate: 500_000,
        },
        LayerInfo {
            width: 1280,
            height: 720,
            bitrate: 1_500_000,
        },
    ];
    const SINGLE: [LayerInfo; 1] = [LayerInfo {
        width: 640,
        height: 480,
        bitrate: 800_000,
    }];

    fn tile(width: u32, height: u32) -> SlotDemand<'static> {
        SlotDemand {
            tile: Tile::from_size(width, height),
            layers: &SIMULCAST,
        }
    }

    #[test]
    fn the_smallest_layer_that_covers_the_tile() {
        let slots = [
            tile(160, 90),
            tile(320, 180),
            tile(321, 180),
            tile(640, 360),
            tile(641, 200),
            tile(1280, 720),
            tile(1920, 1080),
        ];
        let chosen = select(&slots, 0, None);
        assert_eq!(
            chosen,
            vec![
                Some(0),
                Some(0),
                Some(1),
                Some(1),
                Some(2),
                Some(2),
                Some(2)
            ]
        );
    }

    #[test]
    fn both_dimensions_must_be_covered() {
        // A portrait tile: 300 wide fits q, 400 high needs f.
        assert_eq!(select(&[tile(300, 400)], 0, None), vec![Some(2)]);
    }

    #[test]
    fn hidden_tiles_get_nothing_and_undeclared_ones_the_best() {
        let slots = [
            tile(0, 0),
            tile(0, 100),
            SlotDemand {
                tile: Tile::Undeclared,
                layers: &SIMULCAST,
            },
        ];
        assert_eq!(select(&slots, 0, None), vec![None, None, Some(2)]);
    }

    #[test]
    fn an_empty_slot_gets_nothing() {
        let slots = [
            SlotDemand {
                tile: Tile::Undeclared,
                layers: &[],
            },
            SlotDemand {
                tile: Tile::from_size(640, 360),
                layers: &[],
            },
        ];
        assert_eq!(select(&slots, 0, Some(10_000_000)), vec![None, None]);
    }

    #[test]
    fn a_publisher_without_simulcast_is_its_one_layer() {
        let slots = [
            SlotDemand {
                tile: Tile::from_size(100, 100),
                layers: &SINGLE,
            },
            SlotDemand {
                tile: Tile::from_size(4000, 4000),
                layers: &SINGLE,
            },
            SlotDemand {
                tile: Tile::Undeclared,
                layers: &SINGLE,
            },
        ];
        assert_eq!(select(&slots, 0, None), vec![Some(0), Some(0), Some(0)]);
    }

    #[test]
    fn no_budget_is_unlimited() {
        let slots = vec![tile(1280, 720); 9];
        assert_eq!(select(&slots, 400_000, None), vec![Some(2); 9]);
    }

    #[test]
    fn within_budget_nothing_changes() {
        let slots = [tile(1280, 720), tile(320, 180)];
        // 1.5 M + 150 k + 50 k of audio fit exactly.
        assert_eq!(
            select(&slots, 50_000, Some(1_700_000)),
            vec![Some(2), Some(0)]
        );
    }

    #[test]
    fn over_budget_the_costliest_layer_steps_down_first() {
        let slots = [tile(1280, 720), tile(640, 360), tile(320, 180)];
        // Wanted: 1.5 M + 500 k + 150 k = 2.15 M. With 1.2 M: f→h (1.15 M) fits.
        assert_eq!(
            select(&slots, 0, Some(1_200_000)),
            vec![Some(1), Some(1), Some(0)]
        );
        // With 900 k: then the later of the two h steps down (800 k).
        assert_eq!(
            select(&slots, 0, Some(900_000)),
            vec![Some(1), Some(0), Some(0)]
        );
    }

    #[test]
    fn every_slot_keeps_its_lowest_layer_before_any_goes_dark() {
        let slots = vec![tile(1280, 720); 4];
        // 4 × 150 k = 600 k fits; anything above the lowest layer does not.
        assert_eq!(select(&slots, 0, Some(600_000)), vec![Some(0); 4]);
    }

    #[test]
    fn then_the_last_slots_stop_first() {
        let slots = vec![tile(1280, 720); 4];
        assert_eq!(
            select(&slots, 0, Some(320_000)),
            vec![Some(0), Some(0), None, None]
        );
    }

    #[test]
    fn audio_is_never_dropped_video_is() {
        let slots = [tile(1280, 720), tile(320, 180)];
        // The audio slots alone take the whole budget: one lowest layer
        // is all the video left.
        assert_eq!(select(&slots, 200_000, Some(150_000)), vec![Some(0), None]);
        // Audio leaves room for one lowest layer.
        assert_eq!(select(&slots, 200_000, Some(360_000)), vec![Some(0), None]);
    }

    #[test]
    fn a_zero_budget_leaves_one_lowest_layer_as_the_probe() {
        let slots = [tile(0, 0), tile(1280, 720), tile(640, 360)];
        assert_eq!(select(&slots, 0, Some(0)), vec![None, Some(0), None]);
    }

    #[test]
    fn unseen_layers_are_sized_from_a_seen_sibling() {
        let sizes = estimate_sizes(&[(4, None), (2, Some((480, 270))), (1, None)]);
        assert_eq!(sizes, vec![(240, 135), (480, 270), (960, 540)]);
    }

    #[test]
    fn before_any_keyframe_layers_rank_by_their_scale() {
        let sizes = estimate_sizes(&[(4, None), (2, None), (1, None)]);
        assert_eq!(sizes, vec![(320, 180), (640, 360), (1280, 720)]);
        // A camera without simulcast: one full layer.
        assert_eq!(estimate_sizes(&[(1, None)]), vec![(1280, 720)]);
    }

    #[test]
    fn assumed_bitrates_grow_with_the_picture() {
        assert!(assumed_bitrate(320, 180) < assumed_bitrate(640, 360));
        assert_eq!(assumed_bitrate(1280, 720), 1_843_200);
    }
}
