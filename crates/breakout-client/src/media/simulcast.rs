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
//! fits. A layer above the lowest is started when it can have a quarter
//! of its aim with a margin, and stopped below that quarter, so a wobbling
//! estimate does not start and stop it every picture; the top layers go
//! first. The lowest layer the SFU wants is always sent, at least at the
//! encoder's floor. Layers the SFU says nobody receives take nothing.
//!
//! The estimate cannot say when to start a layer on its own: it stays
//! within 1.5× of what gets through, so once the upper layers pause (no
//! one watches them big), it sinks to what the lowest layer and audio
//! send, below what any upper layer needs, and nothing would ever start
//! them again. WebRTC probes the link with padding for this; here the
//! layer itself is the probe: while the uplink shows no congestion (no
//! queue building, little loss), one wanted layer at a time starts at a
//! quarter of its aim beyond the estimate, and stays while the uplink
//! takes it, until the estimate (now seeing it get through) covers it. If
//! congestion comes first it stops, and the next try waits twice as long
//! (2 s, then 4, up to a minute). Probes stay under the estimator's
//! ceiling, a configured send limit included.

use std::time::{Duration, Instant};

use breakout_protocol::media::Layer;

use super::bwe::{Estimate, Usage};
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
/// Loss above this is congestion (the loss-based estimate's own bar for
/// cutting); so is a queue building (delay over-use).
const CONGESTED_LOSS: f64 = 0.10;
/// The first wait between tries of a layer the estimate does not cover...
const PROBE_BACKOFF: Duration = Duration::from_secs(2);
/// ...doubled after each try the uplink refused, up to this.
const MAX_PROBE_BACKOFF: Duration = Duration::from_secs(64);

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
/// it sends and which it is trying out.
#[derive(Debug)]
pub struct Sharing {
    /// The most the uplink may ever carry (bit/s): a probe never goes
    /// beyond it.
    cap_bps: u64,
    sending: u8,
    /// Layers sent beyond the estimate, to see whether the uplink takes
    /// them (at most one at a time).
    probing: u8,
    next_probe: Option<Instant>,
    backoff: Duration,
}

impl Sharing {
    /// Probes stay within `cap_bps` (the estimator's ceiling, a configured
    /// send limit included).
    pub fn new(cap_bps: u64) -> Sharing {
        Sharing {
            cap_bps,
            sending: 0,
            probing: 0,
            next_probe: None,
            backoff: PROBE_BACKOFF,
        }
    }

    /// The target (kbit/s) of each of `layers` (lowest first, with their
    /// picture sizes) for `estimate` at `now`, `None` for a layer not sent.
    pub fn update(
        &mut self,
        estimate: &Estimate,
        now: Instant,
        layers: &[(Layer, (u32, u32))],
        wanted: LayerSet,
    ) -> Vec<Option<u32>> {
        let congested = estimate.usage == Usage::Over || estimate.loss_fraction > CONGESTED_LOSS;
        let mut left = video_kbps(estimate.target_bps);
        let mut room = video_kbps(self.cap_bps);
        let mut targets = vec![None; layers.len()];
        let mut top = None;
        let candidates = layers
            .iter()
            .enumerate()
            .filter(|(_, (layer, _))| wanted.contains(*layer));
        for (n, (i, &(layer, (width, height)))) in candidates.enumerate() {
            let aim = f64::from(aim_kbps(width, height));
            let least = aim * START_SHARE;
            let mut kbps = left.min(aim);
            if n > 0 {
                let (sending, probing) = (self.sending & bit(layer), self.probing & bit(layer));
                let margin = if sending != 0 { 1.0 } else { UP_MARGIN };
                if left >= least * margin {
                    if probing != 0 {
                        // The estimate caught up: the uplink takes it.
                        self.probing = 0;
                        self.backoff = PROBE_BACKOFF;
                    }
                } else if probing != 0 && !congested {
                    kbps = least;
                } else if self.may_probe(now, congested) && room >= least {
                    self.probing = bit(layer);
                    self.next_probe = Some(now + self.backoff);
                    kbps = least;
                } else {
                    if probing != 0 {
                        // The uplink did not take it: wait longer next time.
                        self.probing = 0;
                        self.backoff = (self.backoff * 2).min(MAX_PROBE_BACKOFF);
                        self.next_probe = Some(now + self.backoff);
                    }
                    break;
                }
            }
            let kbps = kbps.max(f64::from(MIN_VIDEO_KBPS));
            left = (left - kbps).max(0.0);
            room = (room - kbps).max(0.0);
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
        self.probing &= self.sending;
        targets
    }

    /// Whether a layer may be tried beyond the estimate now.
    fn may_probe(&self, now: Instant, congested: bool) -> bool {
        !congested && self.probing == 0 && self.next_probe.is_none_or(|at| now >= at)
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

    /// An estimate of `bps` on an uplink without congestion...
    fn clear(bps: u64) -> Estimate {
        Estimate {
            target_bps: bps,
            ..Default::default()
        }
    }

    /// ...and on one where a queue is building.
    fn congested(bps: u64) -> Estimate {
        Estimate {
            target_bps: bps,
            usage: Usage::Over,
            ..Default::default()
        }
    }

    fn sharing() -> Sharing {
        Sharing::new(2_600_000)
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
        let now = Instant::now();
        let hd = sharing().update(&clear(2_600_000), now, &of(1280, 720), LayerSet::ALL);
        // q and h at their aims (WebRTC: about 150 and 500), f the rest.
        assert_eq!(hd, vec![Some(115), Some(460), Some(1_707)]);
        let small = sharing().update(&clear(2_600_000), now, &of(640, 360), LayerSet::ALL);
        // f at the full rate of 640×360; the rest of the estimate unused.
        assert_eq!(small, vec![Some(30), Some(115), Some(900)]);
    }

    #[test]
    fn a_congested_uplink_drops_the_top_layers_first() {
        let (layers, now) = (of(1280, 720), Instant::now());
        let mut sharing = sharing();
        // Room for q and a quarter of h's aim with the margin, not for f.
        let two = sharing.update(&congested(leaving(115 + 150)), now, &layers, LayerSet::ALL);
        assert_eq!(two, vec![Some(115), Some(150), None]);
        // Less: h stops, q takes what there is.
        let one = sharing.update(&congested(leaving(200)), now, &layers, LayerSet::ALL);
        assert_eq!(one, vec![Some(200), None, None]);
        // Nothing: q at the encoder's floor, never dropped.
        let floor = sharing.update(&congested(0), now, &layers, LayerSet::ALL);
        assert_eq!(floor, vec![Some(MIN_VIDEO_KBPS), None, None]);
    }

    #[test]
    fn a_layer_starts_with_a_margin_and_stops_without_one() {
        let (layers, now) = (of(1280, 720), Instant::now());
        let mut sharing = sharing();
        // h needs 115 (a quarter of 460) to be kept, 150 to be started.
        let mut h = |kbps: u32| {
            let estimate = congested(leaving(115 + kbps));
            sharing.update(&estimate, now, &layers, LayerSet::ALL)[1]
        };
        assert_eq!(h(130), None);
        assert_eq!(h(150), Some(150));
        assert_eq!(h(130), Some(130));
        assert_eq!(h(110), None);
        assert_eq!(h(130), None);
    }

    #[test]
    fn a_layer_the_estimate_does_not_cover_is_tried_while_the_uplink_takes_it() {
        let (layers, t0) = (of(1280, 720), Instant::now());
        let at = |s: u64| t0 + Duration::from_secs(s);
        let mut sharing = sharing();
        let mut update =
            |estimate: Estimate, s: u64| sharing.update(&estimate, at(s), &layers, LayerSet::ALL);
        // Too little for h by the estimate: h is tried at a quarter of its
        // aim, and kept while nothing says the uplink cannot take it.
        let tried = vec![Some(115), Some(115), None];
        assert_eq!(update(clear(leaving(200)), 0), tried);
        assert_eq!(update(clear(leaving(200)), 1), tried);
        // The estimate covers h now; f is tried next (2 s after h).
        let both = update(clear(leaving(115 + 120)), 2);
        assert_eq!(both, vec![Some(115), Some(120), Some(460)]);
        // A queue builds: f stops, and is tried again only 4 s later.
        let without_f = vec![Some(115), Some(120), None];
        assert_eq!(update(congested(leaving(115 + 120)), 3), without_f);
        assert_eq!(update(clear(leaving(115 + 120)), 6), without_f);
        assert_eq!(update(clear(leaving(115 + 120)), 7), both);
    }

    #[test]
    fn a_try_stays_under_the_send_limit() {
        let layers = of(1280, 720);
        let mut sharing = Sharing::new(leaving(200));
        let estimate = clear(leaving(200));
        let sent = sharing.update(&estimate, Instant::now(), &layers, LayerSet::ALL);
        assert_eq!(sent, vec![Some(200), None, None]);
    }

    #[test]
    fn unwanted_layers_take_nothing() {
        let (layers, now) = (of(1280, 720), Instant::now());
        let mut sharing = sharing();
        let wide = clear(2_600_000);
        let q = LayerSet::of(&[Layer::Quarter]);
        // Only q is received: it gets the full rate of its size, no more.
        assert_eq!(
            sharing.update(&wide, now, &layers, q),
            vec![Some(225), None, None]
        );
        // q and f: f gets what h would have had.
        let qf = LayerSet::of(&[Layer::Quarter, Layer::Full]);
        assert_eq!(
            sharing.update(&wide, now, &layers, qf),
            vec![Some(115), None, Some(2_167)]
        );
        // Nobody watches: nothing is encoded.
        assert_eq!(
            sharing.update(&wide, now, &layers, LayerSet::NONE),
            vec![None, None, None]
        );
        // An h wanted alone is the lowest: always sent.
        let h = LayerSet::of(&[Layer::Half]);
        assert_eq!(
            sharing.update(&congested(0), now, &layers, h),
            vec![None, Some(30), None]
        );
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
