//! Who speaks in each room, for the hosts' dashboard: the same audio levels
//! that rank talkers, reduced to a per-room summary that is handed to the
//! meeting actor when it changes (at most once a second) and again every
//! few seconds, so a dashboard that connects later catches up.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use breakout_core::{ParticipantId, RoomId, Timestamp};
use breakout_protocol::media::RoomSpeaking;
use breakout_protocol::ws::ServerMessage;
use tokio::sync::mpsc;

use crate::clock::Clock;

/// Changes are summarised at most this often.
const MIN_INTERVAL: Duration = Duration::from_secs(1);
/// An unchanged summary is repeated this often.
const REPEAT_INTERVAL: Duration = Duration::from_secs(5);

struct RoomState {
    speakers: Vec<ParticipantId>,
    since: Timestamp,
}

pub struct Summaries {
    clock: Clock,
    tx: mpsc::Sender<ServerMessage>,
    rooms: BTreeMap<RoomId, RoomState>,
    last_sent: Option<Instant>,
    /// Changed since the last summary handed over.
    dirty: bool,
}

impl Summaries {
    pub fn new(clock: Clock, tx: mpsc::Sender<ServerMessage>) -> Summaries {
        Summaries {
            clock,
            tx,
            rooms: BTreeMap::new(),
            last_sent: None,
            dirty: false,
        }
    }

    /// Takes each occupied room's speakers now (in id order) and hands a
    /// summary over when one is due.
    pub fn update(&mut self, talk: BTreeMap<RoomId, Vec<ParticipantId>>) {
        let now = self.clock.now();
        let before = self.rooms.len();
        self.rooms.retain(|room, _| talk.contains_key(room));
        self.dirty |= self.rooms.len() != before;
        for (room, speakers) in talk {
            match self.rooms.get_mut(&room) {
                Some(state) if state.speakers == speakers => {}
                Some(state) => {
                    // Active and silent are what the time counts; a new
                    // voice in a lively room keeps its "since".
                    if state.speakers.is_empty() != speakers.is_empty() {
                        state.since = now;
                    }
                    state.speakers = speakers;
                    self.dirty = true;
                }
                None => {
                    self.rooms.insert(
                        room,
                        RoomState {
                            speakers,
                            since: now,
                        },
                    );
                    self.dirty = true;
                }
            }
        }
        let since_sent = self.last_sent.map(|at| at.elapsed());
        let due = match since_sent {
            None => true,
            Some(elapsed) => (self.dirty && elapsed >= MIN_INTERVAL) || elapsed >= REPEAT_INTERVAL,
        };
        if !due {
            return;
        }
        let rooms = self
            .rooms
            .iter()
            .map(|(room, state)| RoomSpeaking {
                room: *room,
                speakers: state.speakers.clone(),
                since: state.since,
            })
            .collect();
        // Full: the actor has not read the last one yet; try again later.
        if self.tx.try_send(ServerMessage::Speaking { rooms }).is_ok() {
            self.dirty = false;
            self.last_sent = Some(Instant::now());
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

    use super::*;

    fn summaries() -> (Summaries, mpsc::Receiver<ServerMessage>, Arc<AtomicU64>) {
        let time = Arc::new(AtomicU64::new(1_000));
        let clock = {
            let time = time.clone();
            Clock::from_fn(move || Timestamp(time.load(Relaxed)))
        };
        let (tx, rx) = mpsc::channel(1);
        (Summaries::new(clock, tx), rx, time)
    }

    fn rooms(message: ServerMessage) -> Vec<RoomSpeaking> {
        match message {
            ServerMessage::Speaking { rooms } => rooms,
            other => panic!("a summary expected, got {other:?}"),
        }
    }

    #[test]
    fn since_moves_only_between_active_and_silent() {
        let (mut summaries, mut rx, time) = summaries();
        let (a, b) = (ParticipantId(1), ParticipantId(2));
        summaries.update(BTreeMap::from([(RoomId(1), vec![]), (RoomId(2), vec![a])]));
        let first = rooms(rx.try_recv().expect("the first summary at once"));
        assert_eq!(first[0].speakers, vec![]);
        assert_eq!(first[1].speakers, vec![a]);
        assert_eq!(first[1].since, Timestamp(1_000));

        // Too soon for another summary: the change waits, and is kept.
        time.store(1_200, Relaxed);
        summaries.update(BTreeMap::from([
            (RoomId(1), vec![]),
            (RoomId(2), vec![a, b]),
        ]));
        assert!(rx.try_recv().is_err(), "a second summary within a second");
        summaries.last_sent = Some(Instant::now() - MIN_INTERVAL);
        time.store(2_500, Relaxed);
        summaries.update(BTreeMap::from([
            (RoomId(1), vec![b]),
            (RoomId(2), vec![a, b]),
        ]));
        let second = rooms(rx.try_recv().expect("the change after a second"));
        // Room 2 stayed active since 1,000; room 1 became active at 2,500.
        assert_eq!(second[1].speakers, vec![a, b]);
        assert_eq!(second[1].since, Timestamp(1_000));
        assert_eq!(second[0].speakers, vec![b]);
        assert_eq!(second[0].since, Timestamp(2_500));
    }
}
