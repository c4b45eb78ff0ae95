//! Simulcast on the sending side: which layers a camera is sent as, and how
//! the uplink's bandwidth estimate is shared between them.
//!
//! The SFU forwards each subscriber the smallest layer that fits its tile,
//! so a grid of small tiles costs the subscriber a fraction of full
//! pictures; the price is an encoder per layer here. A layer is worth
//! that only at 160×90 or more, so a camera is sent as simulcast when even
//! its quarter is that big (640×360 and up: q, h and f); a smaller one
//! (the 320×240 test pattern, an old webcam) is one picture as before,
//! with the single-layer ladder (`ladder.rs`) shrinking it when the uplink
//! is narrow.
//!
//! The estimate is shared as WebRTC's simulcast allocator does: audio
//! first (as the ladder), then each layer from the lowest up gets its aim
//! ([`aim_kbps`]), and the highest layer sent takes what is left, up to the
//! full rate of its size: what is sent then follows the estimate, and the
//! estimate (bounded by what gets through) can grow until the next layer
//! fits. A layer above the lowest is started only when it can have a
//! quarter of its aim with a margin, and stopped below that quarter, so a
//! wobbling estimate does not start and stop it every picture; the top
//! layers go first. The lowest layer the SFU wants is always sent, at
//! least at the encoder's floor. Layers the SFU says nobody receives take
//! nothing at all.

use breakout_protocol::media::Layer;

use super::ladder::{MIN_VIDEO_KBPS, full_kbps, video_kbps};

/// The smallest picture worth a layer of its own (either orientation).
pub const MIN_LAYER: (u32, u32) = (160, 90);
/// What a layer below the top aims at, per pixel and second: 115 kbit/s
/// at 320×180, 460 at 640×360 (the SFU assumes the same for a layer it
/// has not measured; WebRTC gives its lower layers 150 and 500).
const AIM_BITS_PER_PIXEL: u64 = 2;
/// A layer above the lowest needs this share of its aim to be sent...
const START_SHARE: f64 = 0.25;
/// ...and this much more than that to be started again.
const UP_MARGIN: f64 = 1.3;

/// The layers a source of `width` × `height` is sent as, lowest first:
/// all three when its quarter is at least [`MIN_LAYER`], none (one
/// picture, no simulcast) otherwise.
pub fn layers_for(width: u32, height: u32) -> Vec<Layer> {
    let quarter = Layer::Quarter.scale_down_by();
    let (long, short) = (width.max(height) / quarter, width.min(height) / quarter);
    if long >= MIN_LAYER.0 && short >= MIN_LAYER.1 {
        Layer::ALL.to_vec()
    } else {
        Vec::new()
    }
}

/// A layer's picture for a source of `width` × `height` (even sizes, as
/// the scaler makes them).
pub fn layer_size(layer: Layer, width: u32, height: u32) -> (u32, u32) {
    match layer.scale_down_by() {
        1 => (width, height),
        scale => ((width / scale) & !1, (height / scale) & !1),
    }
}

/// What a layer of this size aims at when a layer above it is sent too.
pub fn aim_kbps(width: u32, height: u32) -> u32 {
    let kbps = u64::from(width) * u64::from(height) * AIM_BITS_PER_PIXEL / 1_000;
    (kbps as u32).max(MIN_VIDEO_KBPS)
}

/// A set of layers (which the SFU wants), small enough for an atomic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LayerSet(u8);

impl LayerSet {
    pub const ALL: LayerSet = LayerSet(0b111);
    pub const NONE: LayerSet = LayerSet(0);

    pub fn of(layers: &[Layer]) -> LayerSet {
        layers
            .iter()
            .fold(Self::NONE, |set, &l| LayerSet(set.0 | bit(l)))
    }

    pub fn contains(self, layer: Layer) -> bool {
        self.0 & bit(layer) != 0
    }

    pub fn bits(self) -> u8 {
        self.0
    }

    pub fn from_bits(bits: u8) -> LayerSet {
        LayerSet(bits & Self::ALL.0)
    }

    /// The layers in the set, lowest first.
    pub fn layers(self) -> Vec<Layer> {
        Layer::ALL
            .into_iter()
            .filter(|&l| self.contains(l))
            .collect()
    }
}

fn bit(layer: Layer) -> u8 {
    1 << layer as u8
}

/// The estimate's split over one camera's layers; remembers which layers
/// it sends, to start and stop them with a margin.
#[derive(Debug, Default)]
pub struct Sharing {
    sending: u8,
}

impl Sharing {
    /// The target (kbit/s) of each of `layers` (lowest first, with their
    /// picture sizes) for `estimate_bps`, `None` for a layer not sent.
    pub fn update(
        &mut self,
        estimate_bps: u64,
        layers: &[(Layer, (u32, u32))],
        wanted: LayerSet,
    ) -> Vec<Option<u32>> {
        let mut left = video_kbps(estimate_bps);
        let mut targets = vec![None; layers.len()];
        let mut top = None;
        let candidates = layers
            .iter()
            .enumerate()
            .filter(|(_, (layer, _))| wanted.contains(*layer));
        for (n, (i, &(layer, (width, height)))) in candidates.enumerate() {
            let aim = f64::from(aim_kbps(width, height));
            if n > 0 {
                let margin = if self.sending & bit(layer) != 0 {
                    1.0
                } else {
                    UP_MARGIN
                };
                if left < aim * START_SHARE * margin {
                    break;
                }
            }
            let kbps = left.min(aim).max(f64::from(MIN_VIDEO_KBPS));
            left = (left - kbps).max(0.0);
            targets[i] = Some(kbps as u32);
            top = Some(i);
        }
        if let Some(i) = top {
            let (width, height) = layers[i].1;
            let most = full_kbps(width, height).max(aim_kbps(width, height));
            targets[i] = targets[i].map(|kbps| (kbps + left as u32).min(most));
        }
        self.sending = layers
            .iter()
            .zip(&targets)
            .filter(|(_, target)| target.is_some())
            .fold(0, |bits, ((layer, _), _)| bits | bit(*layer));
        targets
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::ladder::AUDIO_BUDGET_BPS;

    /// The three layers of a source, with their sizes.
    fn of(width: u32, height: u32) -> Vec<(Layer, (u32, u32))> {
        layers_for(width, height)
            .into_iter()
            .map(|l| (l, layer_size(l, width, height)))
            .collect()
    }

    /// The estimate that leaves `kbps` for video.
    fn leaving(kbps: u32) -> u64 {
        AUDIO_BUDGET_BPS + (f64::from(kbps) * 1e3 / 0.9).ceil() as u64
    }

    #[test]
    fn simulcast_only_when_the_quarter_is_big_enough() {
        assert_eq!(layers_for(1280, 720), Layer::ALL.to_vec());
        assert_eq!(layers_for(640, 360), Layer::ALL.to_vec());
        assert_eq!(layers_for(640, 480), Layer::ALL.to_vec());
        assert_eq!(layers_for(360, 640), Layer::ALL.to_vec(), "portrait");
        assert_eq!(layers_for(320, 240), vec![]);
        assert_eq!(layers_for(638, 360), vec![]);
        assert_eq!(layers_for(0, 0), vec![]);
        assert_eq!(layer_size(Layer::Quarter, 640, 360), (160, 90));
        assert_eq!(layer_size(Layer::Half, 1280, 720), (640, 360));
        assert_eq!(layer_size(Layer::Full, 641, 361), (641, 361));
    }

    #[test]
    fn a_wide_uplink_sends_every_layer_and_the_top_one_takes_the_rest() {
        let mut sharing = Sharing::default();
        let hd = sharing.update(2_600_000, &of(1280, 720), LayerSet::ALL);
        // q and h at their aims (WebRTC: about 150 and 500), f the rest.
        assert_eq!(hd, vec![Some(115), Some(460), Some(1_707)]);
        let mut sharing = Sharing::default();
        let small = sharing.update(2_600_000, &of(640, 360), LayerSet::ALL);
        // f at the full rate of 640×360; the rest of the estimate unused.
        assert_eq!(small, vec![Some(30), Some(115), Some(900)]);
    }

    #[test]
    fn a_narrow_uplink_drops_the_top_layers_first() {
        let layers = of(1280, 720);
        let mut sharing = Sharing::default();
        // Room for q and a quarter of h's aim with the margin, not for f.
        let two = sharing.update(leaving(115 + 150), &layers, LayerSet::ALL);
        assert_eq!(two, vec![Some(115), Some(150), None]);
        // Less: h stops, q takes what there is.
        let one = sharing.update(leaving(200), &layers, LayerSet::ALL);
        assert_eq!(one, vec![Some(200), None, None]);
        // Nothing: q at the encoder's floor, never dropped.
        let floor = sharing.update(0, &layers, LayerSet::ALL);
        assert_eq!(floor, vec![Some(MIN_VIDEO_KBPS), None, None]);
    }

    #[test]
    fn a_layer_starts_with_a_margin_and_stops_without_one() {
        let layers = of(1280, 720);
        let mut sharing = Sharing::default();
        // h needs 115 (a quarter of 460) to be kept, 150 to be started.
        let at = |kbps: u32| leaving(115 + kbps);
        assert_eq!(sharing.update(at(130), &layers, LayerSet::ALL)[1], None);
        assert_eq!(
            sharing.update(at(150), &layers, LayerSet::ALL)[1],
            Some(150)
        );
        assert_eq!(
            sharing.update(at(130), &layers, LayerSet::ALL)[1],
            Some(130)
        );
        assert_eq!(sharing.update(at(110), &layers, LayerSet::ALL)[1], None);
        assert_eq!(sharing.update(at(130), &layers, LayerSet::ALL)[1], None);
    }

    #[test]
    fn unwanted_layers_take_nothing() {
        let layers = of(1280, 720);
        let mut sharing = Sharing::default();
        let q = LayerSet::of(&[Layer::Quarter]);
        // Only q is received: it gets the full rate of its size, no more.
        assert_eq!(
            sharing.update(2_600_000, &layers, q),
            vec![Some(225), None, None]
        );
        // q and f: f gets what h would have had.
        let qf = LayerSet::of(&[Layer::Quarter, Layer::Full]);
        assert_eq!(
            sharing.update(2_600_000, &layers, qf),
            vec![Some(115), None, Some(2_167)]
        );
        // Nobody watches: nothing is encoded.
        assert_eq!(
            sharing.update(2_600_000, &layers, LayerSet::NONE),
            vec![None, None, None]
        );
        // An h wanted alone is the lowest: always sent.
        let h = LayerSet::of(&[Layer::Half]);
        assert_eq!(sharing.update(0, &layers, h), vec![None, Some(30), None]);
    }

    #[test]
    fn layer_sets_hold_exactly_their_layers() {
        let set = LayerSet::of(&[Layer::Full, Layer::Quarter]);
        assert!(set.contains(Layer::Quarter) && set.contains(Layer::Full));
        assert!(!set.contains(Layer::Half));
        assert_eq!(set.layers(), vec![Layer::Quarter, Layer::Full]);
        assert_eq!(LayerSet::from_bits(set.bits()), set);
        assert_eq!(LayerSet::from_bits(0xFF), LayerSet::ALL);
        assert_eq!(LayerSet::of(&[]), LayerSet::NONE);
    }
}
