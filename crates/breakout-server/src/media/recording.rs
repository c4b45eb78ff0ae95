//! The router's recorders: one task per recorded room, fed by a tap on
//! the microphone upstream of everyone in that room and on the one video
//! upstream its recording shows. Who is in the room is who is recorded:
//! the taps follow every placement, so a move changes which recorder a
//! voice goes to without anyone renegotiating. A voice that speaks to all
//! rooms is heard in every room, so every recording has it too while it
//! does.
//!
//! What a recording shows is the room's shared screen, else the camera of
//! whoever speaks: the last speaker stays on screen until someone else
//! speaks while they do not, so a pause does not cut away. A simulcast
//! camera is recorded in its highest layer that is flowing (the recorder
//! asks for the top one as a viewer would).

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use breakout_core::{ParticipantId, RoomId, Timestamp};
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use super::participant::{Camera, Peer};
use super::recorder::{FRAME, RoomRecorder};
use super::upstream::{Tapped, Upstream};
use super::{Placement, Round};
use crate::clock::Clock;

/// Packets queued towards one recorder before they are dropped (a second
/// of five voices and a 1.5 Mbit/s picture).
const TAP_QUEUE: usize = 1_024;
/// A shown source still owing a keyframe is asked again this often.
const KEYFRAME_RETRY: Duration = Duration::from_millis(500);

/// Where a meeting's recordings go.
#[derive(Debug, Clone)]
pub struct RecordingTarget {
    /// The server's recordings directory (in its data directory).
    pub dir: PathBuf,
    pub meeting: String,
}

struct Running {
    tx: mpsc::Sender<Tapped>,
    /// The room's members; dropping it stops and closes the recording.
    members: watch::Sender<BTreeSet<ParticipantId>>,
    /// The video upstream the recording shows.
    shown: watch::Sender<Option<Arc<Upstream>>>,
}

pub struct Recordings {
    target: Option<RecordingTarget>,
    clock: Clock,
    running: BTreeMap<RoomId, Running>,
    /// The round the open files belong to (`None`: between rounds).
    round: Option<Timestamp>,
    /// Rooms whose file could not be created this round: tried again at
    /// the next round or the next start, not every sync (one error logged).
    failed: BTreeSet<RoomId>,
}

impl Recordings {
    pub fn new(target: Option<RecordingTarget>, clock: Clock) -> Recordings {
        Recordings {
            target,
            clock,
            running: BTreeMap::new(),
            round: None,
            failed: BTreeSet::new(),
        }
    }

    /// Starts and stops recorders to match `placement`, then points every
    /// microphone at its room's recorder, if the room is recorded.
    pub fn sync(&mut self, placement: &Placement, peers: &BTreeMap<ParticipantId, Peer>) {
        let round = match placement.round {
            Round::Between => None,
            Round::Running(started_at) => Some(started_at),
            // Closing is the end of the round that ran: same files.
            Round::Closing => self.round,
        };
        if round != self.round {
            // One file per room per round: close them all, open anew below.
            self.running.clear();
            self.failed.clear();
            self.round = round;
        }
        self.running
            .retain(|room, _| placement.recorded.contains(room));
        self.failed.retain(|room| placement.recorded.contains(room));
        if let Some(target) = &self.target {
            for room in &placement.recorded {
                if self.running.contains_key(room) || self.failed.contains(room) {
                    continue;
                }
                match start(target, *room, self.clock.now()) {
                    Some(running) => {
                        self.running.insert(*room, running);
                    }
                    None => {
                        self.failed.insert(*room);
                    }
                }
            }
        }
        let mut filming: BTreeMap<u64, mpsc::Sender<Tapped>> = BTreeMap::new();
        for (room, running) in &self.running {
            let voices = voices_of(placement, *room);
            running.members.send_if_modified(|current| {
                let changed = *current != voices;
                *current = voices;
                changed
            });
            let shown = shown_in(placement, *room, peers, running.shown.borrow().as_ref());
            if let Some(source) = &shown {
                filming.insert(source.id, running.tx.clone());
            }
            running.shown.send_if_modified(|current| {
                let changed = current.as_ref().map(|u| u.id) != shown.as_ref().map(|u| u.id);
                *current = shown;
                changed
            });
        }
        for (who, peer) in peers {
            if let Some(mic) = &peer.mic {
                let taps = rooms_heard(placement, *who)
                    .into_iter()
                    .filter_map(|room| self.running.get(&room))
                    .map(|r| r.tx.clone())
                    .collect();
                mic.set_taps(taps);
            }
            for video in peer.camera.layers.iter().chain(&peer.screen) {
                video.set_taps(filming.get(&video.id).cloned().into_iter().collect());
            }
        }
    }

    /// Whose simulcast camera recordings show: each is asked for its top
    /// layer, as a large tile would be.
    pub fn filmed_cameras(&self) -> impl Iterator<Item = ParticipantId> + '_ {
        self.running.values().filter_map(|running| {
            let shown = running.shown.borrow();
            let source = shown.as_ref()?;
            source.layer.map(|_| source.publisher)
        })
    }
}

/// The video upstream a recording of `room` shows now: its shared screen,
/// else the camera of its speaker (`current` keeps the stage through
/// pauses).
fn shown_in(
    placement: &Placement,
    room: RoomId,
    peers: &BTreeMap<ParticipantId, Peer>,
    current: Option<&Arc<Upstream>>,
) -> Option<Arc<Upstream>> {
    let in_room = || {
        placement
            .members
            .iter()
            .filter(move |(_, m)| m.room == room)
            .filter_map(|(who, m)| Some((who, m, peers.get(who)?)))
    };
    let screen = in_room()
        .filter(|(_, member, _)| member.sharing)
        .find_map(|(_, _, peer)| peer.screen.clone());
    if screen.is_some() {
        return screen;
    }
    let cameras: Vec<OnCamera> = in_room()
        .filter(|(_, member, peer)| member.camera && !peer.camera.layers.is_empty())
        .map(|(who, member, peer)| {
            let mic = peer.mic.as_ref().filter(|_| member.mic);
            OnCamera {
                who: *who,
                speaking: mic.is_some_and(|m| m.speaking()),
                loudness: mic.map_or((false, 0), |m| m.loudness()),
            }
        })
        .collect();
    let speaker = choose_speaker(&cameras, current.map(|u| u.publisher))?;
    peers
        .get(&speaker)
        .and_then(|peer| recorded_layer(&peer.camera))
}

/// A room member whose camera is on, as the speaker choice sees them.
#[derive(Debug, Clone, Copy)]
struct OnCamera {
    who: ParticipantId,
    speaking: bool,
    /// [`Upstream::loudness`]: recent voice, then level.
    loudness: (bool, u64),
}

/// Who a recording shows: the one on stage stays unless someone else
/// speaks while they do not; otherwise the loudest (the first on a tie).
fn choose_speaker(cameras: &[OnCamera], current: Option<ParticipantId>) -> Option<ParticipantId> {
    let staying = cameras.iter().find(|c| Some(c.who) == current);
    if let Some(on_stage) = staying
        && (on_stage.speaking || !cameras.iter().any(|c| c.speaking))
    {
        return Some(on_stage.who);
    }
    cameras
        .iter()
        .rev()
        .max_by_key(|c| (c.speaking, c.loudness))
        .map(|c| c.who)
}

/// The layer of `camera` a recording takes: the highest that is flowing,
/// else the highest (it is asked for, and comes).
fn recorded_layer(camera: &Camera) -> Option<Arc<Upstream>> {
    camera
        .layers
        .iter()
        .rev()
        .find(|layer| layer.flowing())
        .or(camera.layers.last())
        .cloned()
}

/// Whose voices a recording of `room` holds: its members', and that of
/// whoever speaks to all rooms.
fn voices_of(placement: &Placement, room: RoomId) -> BTreeSet<ParticipantId> {
    placement
        .members
        .iter()
        .filter(|(_, m)| m.room == room)
        .map(|(id, _)| *id)
        .chain(placement.speaking_to_all)
        .collect()
}

/// The rooms that hear `who`: their own, or every room while they speak
/// to all of them.
fn rooms_heard(placement: &Placement, who: ParticipantId) -> Vec<RoomId> {
    if placement.speaking_to_all == Some(who) {
        let rooms: BTreeSet<RoomId> = placement.members.values().map(|m| m.room).collect();
        return rooms.into_iter().collect();
    }
    placement
        .members
        .get(&who)
        .map(|m| m.room)
        .into_iter()
        .collect()
}

/// The file name: meeting, room and UTC start time, sortable.
pub fn file_name(meeting: &str, room: RoomId, at: Timestamp) -> String {
    format!("{}{}_{}.webm", prefix(meeting), room.0, utc_stamp(at))
}

/// What every file name of `meeting` starts with, up to the room number.
/// Only letters, digits and '-' of the id are kept: a name is never a path.
pub fn prefix(meeting: &str) -> String {
    let safe: String = meeting
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{safe}_room-")
}

/// `YYYYMMDDTHHMMSS.mmmZ` (the days-to-civil conversion of
/// <http://howardhinnant.github.io/date_algorithms.html>).
fn utc_stamp(at: Timestamp) -> String {
    let ms = at.0;
    let secs = ms / 1_000;
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}{month:02}{day:02}T{:02}{:02}{:02}.{:03}Z",
        rem / 3_600,
        rem % 3_600 / 60,
        rem % 60,
        ms % 1_000
    )
}

fn start(target: &RecordingTarget, room: RoomId, now: Timestamp) -> Option<Running> {
    if let Err(error) = std::fs::create_dir_all(&target.dir) {
        tracing::error!(dir = %target.dir.display(), %error, "cannot create the recordings directory; not recording");
        return None;
    }
    let path = target.dir.join(file_name(&target.meeting, room, now));
    let recorder = match RoomRecorder::create(&path) {
        Ok(recorder) => recorder,
        Err(error) => {
            tracing::error!(%error, "not recording {room}");
            return None;
        }
    };
    tracing::info!(path = %path.display(), %room, "recording");
    let (tx, rx) = mpsc::channel(TAP_QUEUE);
    let (members, members_rx) = watch::channel(BTreeSet::new());
    let (shown, shown_rx) = watch::channel(None);
    tokio::spawn(record(recorder, rx, members_rx, shown_rx));
    Some(Running { tx, members, shown })
}

/// Mixes every 20 ms until the room stops being recorded.
async fn record(
    mut recorder: RoomRecorder,
    mut tapped: mpsc::Receiver<Tapped>,
    mut members: watch::Receiver<BTreeSet<ParticipantId>>,
    mut shown: watch::Receiver<Option<Arc<Upstream>>>,
) {
    let mut frames = tokio::time::interval(FRAME);
    // A late tick is made up at once: the file's clock is the wall clock.
    frames.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut last_mix = Instant::now();
    let mut keyframe_asked: Option<Instant> = None;
    loop {
        let written = tokio::select! {
            changed = members.changed() => {
                if changed.is_err() {
                    break;
                }
                let now = members.borrow_and_update().clone();
                recorder.retain_voices(|who| now.contains(&who));
                Ok(())
            }
            changed = shown.changed() => {
                if changed.is_err() {
                    break;
                }
                recorder.show(shown.borrow_and_update().as_ref().map(|u| u.id));
                keyframe_asked = None;
                Ok(())
            }
            Some(tapped) = tapped.recv() => match tapped {
                // Packets still queued from someone who just left are not theirs to add.
                Tapped::Voice { from, payload } if members.borrow().contains(&from) => {
                    recorder.push(from, &payload)
                }
                Tapped::Voice { .. } => Ok(()),
                Tapped::Picture { source, packet } => {
                    recorder.push_video(source, packet, last_mix.elapsed())
                }
            },
            _ = frames.tick() => {
                last_mix = Instant::now();
                recorder.mix_frame()
            }
        };
        if let Err(error) = written {
            tracing::error!(%error, "recording stopped");
            break;
        }
        if recorder.wants_keyframe()
            && keyframe_asked.is_none_or(|at| at.elapsed() >= KEYFRAME_RETRY)
            && let Some(source) = shown.borrow().as_ref()
        {
            source.request_keyframe();
            keyframe_asked = Some(Instant::now());
        }
    }
    let (length, skipped) = (recorder.duration(), recorder.undecodable());
    let path = recorder.finish();
    tracing::info!(path = %path.display(), ?length, skipped, "recording closed");
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};

    use super::*;
    use crate::media::Member;

    fn placement(recorded: &[u32], round: Round) -> Placement {
        let member = Member {
            room: RoomId(1),
            mic: true,
            camera: false,
            listening: None,
            sharing: false,
        };
        Placement {
            members: [(ParticipantId(1), member)].into_iter().collect(),
            speaking_to_all: None,
            recorded: recorded.iter().map(|r| RoomId(*r)).collect(),
            round,
        }
    }

    fn files(dir: &std::path::Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .map(|entries| {
                entries
                    .map(|e| e.unwrap().file_name().into_string().unwrap())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    }

    #[tokio::test]
    async fn a_file_that_cannot_be_created_is_tried_once_per_start() {
        let dir = tempfile::tempdir().unwrap();
        // A file where the recordings directory should be.
        let blocked = dir.path().join("recordings");
        std::fs::write(&blocked, b"not a directory").unwrap();
        let target = RecordingTarget {
            dir: blocked.clone(),
            meeting: "m".into(),
        };
        let mut recordings = Recordings::new(Some(target), Clock::system());
        let peers = BTreeMap::new();
        recordings.sync(&placement(&[1], Round::Between), &peers);
        assert!(recordings.running.is_empty());
        assert!(recordings.failed.contains(&RoomId(1)));
        // Once the way is clear, the next start records.
        std::fs::remove_file(&blocked).unwrap();
        recordings.sync(&placement(&[1], Round::Between), &peers);
        assert!(recordings.running.is_empty(), "not retried every sync");
        recordings.sync(&placement(&[], Round::Between), &peers);
        recordings.sync(&placement(&[1], Round::Between), &peers);
        assert_eq!(recordings.running.len(), 1);
        assert_eq!(files(&blocked).len(), 1);
    }

    #[tokio::test]
    async fn one_file_per_recorded_room_per_round() {
        let dir = tempfile::tempdir().unwrap();
        let ms = Arc::new(AtomicU64::new(1_796_133_909_000));
        let clock = {
            let ms = ms.clone();
            Clock::from_fn(move || Timestamp(ms.load(Ordering::Relaxed)))
        };
        let target = RecordingTarget {
            dir: dir.path().to_path_buf(),
            meeting: "m".into(),
        };
        let mut recordings = Recordings::new(Some(target), clock);
        let peers = BTreeMap::new();
        let at = |secs: u64| ms.store(1_796_133_909_000 + secs * 1_000, Ordering::Relaxed);

        recordings.sync(&placement(&[0, 1], Round::Between), &peers);
        assert_eq!(files(dir.path()).len(), 2, "{:?}", files(dir.path()));
        // Nothing changes: the same files go on.
        recordings.sync(&placement(&[0, 1], Round::Between), &peers);
        assert_eq!(files(dir.path()).len(), 2);
        at(10);
        let round = Round::Running(Timestamp(1_796_133_919_000));
        recordings.sync(&placement(&[0, 1], round), &peers);
        assert_eq!(files(dir.path()).len(), 4, "a round starts: new files");
        at(20);
        recordings.sync(&placement(&[0, 1], Round::Closing), &peers);
        assert_eq!(files(dir.path()).len(), 4, "closing is the same round");
        at(30);
        recordings.sync(&placement(&[1], Round::Between), &peers);
        assert_eq!(
            files(dir.path()),
            vec![
                "m_room-0_20261201T140509.000Z.webm",
                "m_room-0_20261201T140519.000Z.webm",
                "m_room-1_20261201T140509.000Z.webm",
                "m_room-1_20261201T140519.000Z.webm",
                "m_room-1_20261201T140539.000Z.webm",
            ],
            "back between rounds: room 1 only, in a new file"
        );
    }

    #[test]
    fn the_voice_to_all_rooms_is_in_every_rooms_recording_while_it_speaks() {
        let member = |room| Member {
            room: RoomId(room),
            mic: true,
            camera: false,
            listening: None,
            sharing: false,
        };
        let mut placement = Placement {
            // 1 and 2 in room 1, 3 in room 2; 4 (muted, in main) hosts.
            members: [(1, 1), (2, 1), (3, 2), (4, 0)]
                .into_iter()
                .map(|(id, room)| (ParticipantId(id), member(room)))
                .collect(),
            speaking_to_all: None,
            recorded: [RoomId(1), RoomId(2)].into_iter().collect(),
            round: Round::Between,
        };
        let ids = |ids: &[u64]| ids.iter().map(|id| ParticipantId(*id)).collect();
        assert_eq!(voices_of(&placement, RoomId(1)), ids(&[1, 2]));
        assert_eq!(voices_of(&placement, RoomId(2)), ids(&[3]));
        assert_eq!(rooms_heard(&placement, ParticipantId(4)), vec![RoomId(0)]);

        placement.speaking_to_all = Some(ParticipantId(4));
        assert_eq!(voices_of(&placement, RoomId(1)), ids(&[1, 2, 4]));
        assert_eq!(voices_of(&placement, RoomId(2)), ids(&[3, 4]));
        assert_eq!(
            rooms_heard(&placement, ParticipantId(4)),
            vec![RoomId(0), RoomId(1), RoomId(2)]
        );
        // Everyone else is still heard in their own room only.
        assert_eq!(rooms_heard(&placement, ParticipantId(3)), vec![RoomId(2)]);
    }

    #[test]
    fn the_speaker_keeps_the_stage_through_pauses_and_yields_to_a_new_voice() {
        let on = |who, speaking, level| OnCamera {
            who: ParticipantId(who),
            speaking,
            loudness: (speaking, level),
        };
        let chosen = |cameras: &[OnCamera], current: Option<u64>| {
            choose_speaker(cameras, current.map(ParticipantId)).map(|p| p.0)
        };
        assert_eq!(chosen(&[], None), None);
        // Nobody speaks: the first camera, until someone does.
        assert_eq!(chosen(&[on(1, false, 0), on(2, false, 0)], None), Some(1));
        assert_eq!(chosen(&[on(1, false, 0), on(2, true, 50)], None), Some(2));
        assert_eq!(chosen(&[on(1, true, 20), on(2, true, 50)], None), Some(2));
        // On stage: stays while speaking, or while nobody else does.
        assert_eq!(
            chosen(&[on(1, true, 90), on(2, true, 10)], Some(2)),
            Some(2)
        );
        assert_eq!(
            chosen(&[on(1, false, 0), on(2, false, 0)], Some(2)),
            Some(2)
        );
        // Falls silent while another speaks: the other takes it.
        assert_eq!(
            chosen(&[on(1, true, 30), on(2, false, 0)], Some(2)),
            Some(1)
        );
        // Their camera went off (not among them): the next one.
        assert_eq!(chosen(&[on(1, false, 0)], Some(2)), Some(1));
    }

    #[test]
    fn names_say_meeting_room_and_utc_time_and_carry_no_path() {
        // 2026-12-01 14:05:09.042 UTC
        let at = Timestamp(1_796_133_909_042);
        assert_eq!(
            file_name("m-1", RoomId(3), at),
            "m-1_room-3_20261201T140509.042Z.webm"
        );
        assert_eq!(
            file_name("../x y", RoomId(0), Timestamp(0)),
            "___x_y_room-0_19700101T000000.000Z.webm"
        );
    }
}
