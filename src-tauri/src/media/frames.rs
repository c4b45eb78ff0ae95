//! The latest decoded picture of each video slot, for the `breakout-media`
//! protocol to serve. Only the newest frame is kept: a tile that asks less
//! often than frames arrive simply skips the ones in between, and nothing
//! queues up behind a slow webview.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use breakout_client::media::VideoFrame;
use breakout_client::protocol::ParticipantId;
use tokio::sync::watch;

/// The key of our own camera's pictures (the self-view), beside the
/// server's slot mids (which are numbers, so they never collide).
pub const SELF_MID: &str = "self";
/// The key of our own shared screen's pictures (what the sharer sees of
/// their share).
pub const SCREEN_SELF_MID: &str = "self-screen";

/// The server's slots the meeting window shows now: `mid` → tile width ×
/// height in device pixels.
pub type Shown = BTreeMap<String, (u32, u32)>;

/// One decoded picture and where it came from.
#[derive(Debug, Clone)]
pub struct Latest {
    /// Grows with every frame of every slot, for the app's whole life, so a
    /// restarted media session never repeats a number a tile has seen.
    pub seq: u64,
    pub participant: Option<ParticipantId>,
    pub frame: VideoFrame,
}

/// Every slot's newest frame, shared by the media task (writer) and the
/// protocol handler (readers).
#[derive(Default)]
pub struct FrameStore {
    next_seq: AtomicU64,
    slots: Mutex<HashMap<String, watch::Sender<Option<Arc<Latest>>>>>,
    /// The newest sequence number of any slot: what a reader waiting on
    /// several slots at once listens to.
    newest: watch::Sender<u64>,
    /// What the window's tiles last asked for, for the SFU to fit layers to
    /// (see `tiles`).
    shown: watch::Sender<Shown>,
}

impl FrameStore {
    /// Records `frame` as slot `mid`'s newest and wakes whoever waits for it.
    pub fn put(&self, mid: &str, participant: Option<ParticipantId>, frame: VideoFrame) -> u64 {
        let seq = self.next_seq.fetch_add(1, Ordering::Relaxed) + 1;
        let latest = Arc::new(Latest {
            seq,
            participant,
            frame,
        });
        self.sender(mid).send_replace(Some(latest));
        self.newest.send_replace(seq);
        seq
    }

    /// The newest frame of each `(mid, after)` that is newer than `after`,
    /// with its index in `wanted`; when there is none, waits up to
    /// `patience` for the first to arrive. Empty: nothing new in time.
    pub async fn next_of(
        &self,
        wanted: &[(&str, u64)],
        patience: Duration,
    ) -> Vec<(usize, Arc<Latest>)> {
        let mut arrivals = self.newest.subscribe();
        let deadline = tokio::time::Instant::now() + patience;
        loop {
            arrivals.borrow_and_update();
            let found = self.newer(wanted);
            if !found.is_empty() {
                return found;
            }
            // The store owns the sender, so `changed` only ends by a frame.
            if tokio::time::timeout_at(deadline, arrivals.changed())
                .await
                .is_err()
            {
                return Vec::new();
            }
        }
    }

    fn newer(&self, wanted: &[(&str, u64)]) -> Vec<(usize, Arc<Latest>)> {
        let slots = self.lock();
        wanted
            .iter()
            .enumerate()
            .filter_map(|(index, &(mid, after))| {
                let latest = slots.get(mid)?.borrow().clone()?;
                (latest.seq > after).then_some((index, latest))
            })
            .collect()
    }

    /// The window's tiles now show `shown` (its latest frame request).
    pub fn show(&self, shown: Shown) {
        self.shown.send_if_modified(|current| {
            let changed = *current != shown;
            *current = shown;
            changed
        });
    }

    /// Follows what the window's tiles show.
    pub fn watch_shown(&self) -> watch::Receiver<Shown> {
        self.shown.subscribe()
    }

    /// Forgets every frame (the meeting ended or media restarted): tiles
    /// then show their placeholder instead of a frozen picture.
    pub fn clear(&self) {
        for sender in self.lock().values() {
            sender.send_replace(None);
        }
    }

    /// Forgets one slot's frame (our camera went off), as [`Self::clear`]
    /// does for all.
    pub fn forget(&self, mid: &str) {
        if let Some(sender) = self.lock().get(mid) {
            sender.send_replace(None);
        }
    }

    fn sender(&self, mid: &str) -> watch::Sender<Option<Arc<Latest>>> {
        self.lock()
            .entry(mid.to_string())
            .or_insert_with(|| watch::channel(None).0)
            .clone()
    }

    fn lock(
        &self,
    ) -> std::sync::MutexGuard<'_, HashMap<String, watch::Sender<Option<Arc<Latest>>>>> {
        self.slots.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One slot's next frame, as a tile of one would get it.
    async fn next(
        store: &FrameStore,
        mid: &str,
        after: u64,
        patience: Duration,
    ) -> Option<Arc<Latest>> {
        let found = store.next_of(&[(mid, after)], patience).await;
        found.into_iter().next().map(|(_, latest)| latest)
    }

    fn frame() -> VideoFrame {
        VideoFrame {
            width: 2,
            height: 2,
            i420: Arc::from(vec![16u8; 6]),
            keyframe: true,
        }
    }

    #[tokio::test]
    async fn a_waiting_reader_gets_the_next_frame_only() {
        let store = Arc::new(FrameStore::default());
        let first = store.put("6", Some(ParticipantId(3)), frame());
        let seen = next(&store, "6", 0, Duration::from_secs(5))
            .await
            .expect("have one");
        assert_eq!(seen.seq, first);
        assert_eq!(seen.participant, Some(ParticipantId(3)));

        let waiting = tokio::spawn({
            let store = store.clone();
            async move { next(&store, "6", first, Duration::from_secs(5)).await }
        });
        let second = store.put("6", Some(ParticipantId(3)), frame());
        let got = waiting.await.unwrap().expect("woken by the new frame");
        assert_eq!(got.seq, second);
    }

    #[tokio::test(start_paused = true)]
    async fn nothing_new_is_none_after_the_patience() {
        let store = FrameStore::default();
        let seq = store.put("6", None, frame());
        assert!(
            next(&store, "6", seq, Duration::from_millis(500))
                .await
                .is_none()
        );
        assert!(
            next(&store, "7", 0, Duration::from_millis(500))
                .await
                .is_none()
        );
        store.clear();
        assert!(
            next(&store, "6", 0, Duration::from_millis(500))
                .await
                .is_none()
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_self_view_is_forgotten_alone() {
        let store = FrameStore::default();
        store.put("6", None, frame());
        let own = store.put(SELF_MID, None, frame());
        let seen = next(&store, SELF_MID, 0, Duration::from_secs(1)).await;
        assert_eq!(seen.map(|l| l.seq), Some(own));

        store.forget(SELF_MID);
        let patience = Duration::from_millis(500);
        assert!(next(&store, SELF_MID, 0, patience).await.is_none());
        assert!(next(&store, "6", 0, patience).await.is_some());
    }

    #[tokio::test]
    async fn a_reader_of_several_slots_gets_every_newer_one_or_waits_for_the_first() {
        let store = Arc::new(FrameStore::default());
        let six = store.put("6", Some(ParticipantId(3)), frame());
        let seven = store.put("7", Some(ParticipantId(4)), frame());
        let both = store
            .next_of(&[("6", 0), ("7", 0), ("8", 0)], Duration::from_secs(5))
            .await;
        let got: Vec<_> = both.iter().map(|(i, l)| (*i, l.seq)).collect();
        assert_eq!(got, vec![(0, six), (1, seven)]);

        let waiting = tokio::spawn({
            let store = store.clone();
            async move {
                store
                    .next_of(&[("6", six), ("7", seven)], Duration::from_secs(5))
                    .await
            }
        });
        tokio::task::yield_now().await;
        let newer = store.put("7", Some(ParticipantId(4)), frame());
        let got: Vec<_> = waiting
            .await
            .unwrap()
            .iter()
            .map(|(i, l)| (*i, l.seq))
            .collect();
        assert_eq!(got, vec![(1, newer)]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_reader_of_several_slots_gives_up_after_the_patience() {
        let store = FrameStore::default();
        let seq = store.put("6", None, frame());
        let patience = Duration::from_millis(500);
        assert!(
            store
                .next_of(&[("6", seq), ("7", 0)], patience)
                .await
                .is_empty()
        );
        assert!(store.next_of(&[], patience).await.is_empty());
    }

    #[test]
    fn sequence_numbers_grow_across_slots() {
        let store = FrameStore::default();
        let a = store.put("6", None, frame());
        let b = store.put("7", None, frame());
        assert!(b > a);
    }
}
