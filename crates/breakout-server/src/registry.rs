//! Which meetings live on this server, and bringing them back after a restart.

mod leases;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use breakout_core::{Actor, Command, Meeting};
use rand::Rng;
use tracing::info;

use breakout_protocol::rest::MeetingInfo;

use crate::actor::{ActorMessage, MeetingActor, MeetingHandle};
use crate::error::ServerError;
use crate::incidents::Incidents;
use crate::node::{Node, TIMING};
use crate::settings::{MeetingEnv, MeetingSettings};
use crate::store::{MeetingRecord, Store, StoreError};

pub struct Registry {
    env: MeetingEnv,
    meetings: RwLock<HashMap<String, MeetingHandle>>,
    /// Set when the server is going away: no new meetings.
    draining: AtomicBool,
    /// Held while the meetings served here change against the leases
    /// (created, taken over, loaded, dropped, deleted), so a lease renewal
    /// never sees a meeting half-way: one that is leased but not in the
    /// map yet would be loaded twice, one in the map whose lease the
    /// renewal read before it existed would be dropped.
    changing: tokio::sync::Mutex<()>,
}

impl Registry {
    /// Opens every meeting found in the store, replaying its journal. A
    /// meeting that cannot be restored is quarantined (reported, left on
    /// disk, not served) so it does not keep the others down. A database
    /// that cannot be reached fails the start instead: nothing is wrong
    /// with the meeting it was reading.
    ///
    /// A cluster node (`node`, on PostgreSQL) registers itself first and
    /// restores only the meetings it holds a lease on, and those nobody
    /// does, each with the next epoch; the others are its peers'.
    pub fn restore(
        store: Arc<Store>,
        settings: MeetingSettings,
        node: Option<Node>,
    ) -> Result<Registry, StoreError> {
        let env = MeetingEnv {
            store,
            settings,
            incidents: Arc::new(Incidents::default()),
            node: node.map(Arc::new),
        };
        let mut records: Vec<(MeetingRecord, Option<u64>)> = env
            .store
            .meetings()?
            .into_iter()
            .map(|record| (record, None))
            .collect();
        if let (Some(node), Some(pg)) = (&env.node, env.store.postgres()) {
            pg.register_node(&node.record())?;
            let mine = pg.claimable_meetings(&node.id)?;
            let mut taken = Vec::new();
            for (record, _) in records {
                if !mine.contains(&record.id) {
                    continue;
                }
                if let Some(epoch) = pg.take_over(&record.id, &node.id, TIMING)? {
                    taken.push((record, Some(epoch)));
                }
            }
            records = taken;
        }
        let mut meetings = HashMap::new();
        for (record, epoch) in records {
            let (meeting, seq) = match env.store.rebuild(&record.id) {
                Ok(rebuilt) => rebuilt,
                Err(error) if error.is_unavailable() => return Err(error),
                Err(error) => {
                    let at = env.settings.clock.now();
                    env.incidents.quarantine(at, &record, error.to_string());
                    continue;
                }
            };
            info!(meeting = %record.id, seq, "restored meeting");
            let actor =
                MeetingActor::new(record.clone(), meeting, seq, env.clone()).with_epoch(epoch);
            meetings.insert(record.id, actor.spawn());
        }
        Ok(Registry {
            env,
            meetings: RwLock::new(meetings),
            draining: AtomicBool::new(false),
            changing: tokio::sync::Mutex::new(()),
        })
    }

    /// This node of the cluster; `None` for a server on its own (SQLite).
    pub fn node(&self) -> Option<&Node> {
        self.env.node.as_deref()
    }

    /// Refuses a join when this node forwards as many streams as its
    /// budget allows.
    pub fn check_stream_budget(&self) -> Result<(), ServerError> {
        match self.node().and_then(|node| node.stream_budget) {
            Some(budget) if self.media().streams() >= budget => {
                Err(ServerError::NodeFull { budget })
            }
            _ => Ok(()),
        }
    }

    /// The server's one media socket.
    pub fn media(&self) -> &Arc<crate::media::MediaNetwork> {
        &self.env.settings.media
    }

    /// From now on no meeting is created here; the ones running go on.
    pub fn start_draining(&self) {
        self.draining.store(true, Ordering::Relaxed);
    }

    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::Relaxed)
    }

    /// Meetings whose breakouts are running or closing right now.
    pub async fn meetings_in_breakouts(&self) -> usize {
        let handles: Vec<MeetingHandle> = self
            .meetings
            .read()
            .expect("registry lock poisoned")
            .values()
            .cloned()
            .collect();
        let mut busy = 0;
        for handle in handles {
            let (reply, info) = tokio::sync::oneshot::channel();
            if handle.tx.send(ActorMessage::Info { reply }).await.is_ok()
                && let Ok(info) = info.await
                && info.phase != breakout_core::Phase::Idle
            {
                busy += 1;
            }
        }
        busy
    }

    pub fn store(&self) -> &Arc<Store> {
        &self.env.store
    }

    pub fn incidents(&self) -> &Incidents {
        &self.env.incidents
    }

    pub fn get(&self, id: &str) -> Result<MeetingHandle, ServerError> {
        self.meetings
            .read()
            .expect("registry lock poisoned")
            .get(id)
            .cloned()
            .ok_or_else(|| ServerError::MeetingNotFound(id.to_string()))
    }

    pub fn ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self
            .meetings
            .read()
            .expect("registry lock poisoned")
            .keys()
            .cloned()
            .collect();
        ids.sort();
        ids
    }

    /// Creates a meeting; its configuration is applied as its first
    /// journaled command. A cluster node places it on the least-loaded
    /// node, which may be another one: the answer then names it.
    pub async fn create(
        &self,
        title: String,
        config: Option<breakout_core::BreakoutConfig>,
    ) -> Result<MeetingInfo, ServerError> {
        if self.is_draining() {
            return Err(ServerError::Draining);
        }
        let title = Meeting::valid_title(&title)?;
        let mut meeting = Meeting::new();
        let first = config.map(|config| Command::Configure { config });
        if let Some(command) = &first {
            // Validate before anything is written.
            meeting.apply(Actor::System, command.clone(), self.now())?;
        }
        let record = MeetingRecord {
            id: new_meeting_id(),
            title,
            created_at: self.now().0,
        };
        let first = first.map(|command| crate::store::JournalEntry {
            seq: 1,
            at: self.now(),
            actor: Actor::System,
            command,
        });
        let seq = u64::from(first.is_some());
        let mut epoch = None;
        let _changing = self.changing_in_cluster().await;
        if let Some(node) = self.node() {
            let store = self.store().clone();
            let (saved, creator) = (record.clone(), node.id.clone());
            let lease = blocking(move || {
                let pg = store.postgres().ok_or(StoreError::NotFound)?;
                pg.create_placed_meeting(&saved, first.as_ref(), &creator, TIMING)
            })
            .await?;
            if lease.owner != node.id {
                info!(meeting = %record.id, node = %lease.owner, "meeting placed on another node");
                return Ok(MeetingInfo {
                    id: record.id,
                    title: record.title,
                    created_at: record.created_at,
                    participant_count: 0,
                    phase: meeting.phase(),
                    node: Some(lease.owner),
                    node_url: Some(lease.owner_url),
                });
            }
            epoch = Some(lease.epoch);
        } else {
            let store = self.store().clone();
            let saved = record.clone();
            blocking(move || store.create_meeting(&saved)).await?;
            if let Some(entry) = first {
                self.store()
                    .append_async(&record.id, &[entry])
                    .await
                    .map_err(storage_error)?;
            }
        }
        let id = record.id.clone();
        let handle = MeetingActor::new(record, meeting, seq, self.env.clone())
            .with_epoch(epoch)
            .spawn();
        self.meetings
            .write()
            .expect("registry lock poisoned")
            .insert(id, handle.clone());
        handle.ask(|reply| ActorMessage::Info { reply }).await
    }

    fn now(&self) -> breakout_core::Timestamp {
        self.env.settings.clock.now()
    }

    pub async fn delete(&self, id: &str) -> Result<(), ServerError> {
        // A meeting a peer serves is deleted there.
        self.find(id).await?;
        let _changing = self.changing_in_cluster().await;
        let handle = self
            .meetings
            .write()
            .expect("registry lock poisoned")
            .remove(id)
            .ok_or_else(|| ServerError::MeetingNotFound(id.to_string()))?;
        let _ = handle
            .ask(|done| ActorMessage::Stop {
                done,
                reason: "the meeting was deleted",
            })
            .await;
        let store = self.store().clone();
        let id = id.to_string();
        blocking(move || store.delete_meeting(&id)).await?;
        Ok(())
    }

    /// Stops every meeting actor (each writes a final snapshot). A cluster
    /// node hands its meetings over first, even when stopped at once
    /// (Ctrl-C): its peers then take them without waiting for the leases
    /// to run out.
    pub async fn shutdown(&self) {
        self.hand_over().await;
        let handles: Vec<MeetingHandle> = self
            .meetings
            .write()
            .expect("registry lock poisoned")
            .drain()
            .map(|(_, h)| h)
            .collect();
        for handle in handles {
            let _ = handle
                .ask(|done| ActorMessage::Stop {
                    done,
                    reason: "the server is restarting; reconnect to continue the meeting",
                })
                .await;
        }
    }
}

fn new_meeting_id() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyz23456789";
    let mut rng = rand::rng();
    (0..10)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// Runs a store call off the async workers.
pub async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, ServerError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|_| ServerError::Internal)?
        .map_err(storage_error)
}

/// What a client hears of a store error: `storage_unavailable` (503, retry
/// later) while the database cannot be reached, `storage_failed` otherwise.
pub fn storage_error(error: StoreError) -> ServerError {
    tracing::error!(%error, "storage error");
    if error.is_unavailable() {
        ServerError::StorageUnavailable
    } else {
        ServerError::Storage
    }
}
