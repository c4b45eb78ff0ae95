//! Storage never holds up a meeting that is not waiting for it.

use std::sync::Arc;

use breakout_core::{Actor, Command, Meeting, ParticipantId};
use tokio::sync::oneshot::error::TryRecvError;

use super::{ActorMessage, MeetingActor, MeetingHandle};
use crate::clock::Clock;
use crate::incidents::Incidents;
use crate::media::{MediaNetwork, MediaNetworkConfig};
use crate::settings::{MeetingEnv, MeetingSettings};
use crate::store::{MeetingRecord, Store};

fn env(store: &Arc<Store>) -> MeetingEnv {
    MeetingEnv {
        node: None,
        store: store.clone(),
        settings: MeetingSettings {
            media: Arc::new(
                MediaNetwork::bind([127, 0, 0, 1].into(), &MediaNetworkConfig::default())
                    .expect("a media port"),
            ),
            clock: Clock::system(),
            recordings: None,
        },
        incidents: Arc::new(Incidents::default()),
    }
}

fn spawn(store: &Arc<Store>, id: &str) -> MeetingHandle {
    let record = MeetingRecord {
        id: id.into(),
        title: id.into(),
        created_at: 0,
    };
    store.create_meeting(&record).expect("meeting");
    MeetingActor::new(record, Meeting::new(), 0, env(store)).spawn()
}

fn add(id: u64) -> Command {
    Command::AddParticipant {
        participant: ParticipantId(id),
        name: format!("Person {id}"),
        email: None,
        preset: "participant".into(),
    }
}

// One worker thread: an actor that waited for SQLite on it would stop every
// other meeting, which is what this test would then show by never ending.
#[tokio::test(flavor = "current_thread")]
async fn a_meeting_answers_while_another_waits_for_the_journal() {
    let store = Arc::new(Store::open_in_memory().expect("store"));
    let flooding = spawn(&store, "flooding");
    let quiet = spawn(&store, "quiet");

    let release = store.stall_writer();
    let mut flood = Vec::new();
    for id in 1..=500 {
        let (reply, answer) = tokio::sync::oneshot::channel();
        flooding
            .tx
            .send(ActorMessage::Command {
                actor: Actor::System,
                command: add(id),
                reply,
            })
            .await
            .expect("queued");
        flood.push(answer);
    }
    let info = quiet
        .ask(|reply| ActorMessage::Info { reply })
        .await
        .expect("the quiet meeting answers");
    assert_eq!(info.id, "quiet");
    let overview = quiet
        .ask(|reply| ActorMessage::Overview { reply })
        .await
        .expect("the quiet meeting answers");
    assert_eq!(overview.meeting, "quiet");
    // Nothing of the flood is acknowledged before it is durable.
    assert!(
        flood
            .iter_mut()
            .all(|answer| matches!(answer.try_recv(), Err(TryRecvError::Empty))),
        "a command was answered before the journal had it"
    );

    drop(release);
    for answer in flood {
        answer.await.expect("answered").expect("accepted");
    }
    let (meeting, seq) = store.rebuild("flooding").expect("rebuild");
    assert_eq!((meeting.participants().count(), seq), (500, 500));
}
