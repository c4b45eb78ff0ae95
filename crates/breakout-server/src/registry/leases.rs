//! The cluster half of the registry: finding a meeting wherever it lives,
//! taking it over, and keeping the meetings served here in step with the
//! leases this node holds (see `crate::cluster`).

use tracing::info;

use super::{Registry, blocking};
use crate::actor::{ActorMessage, MeetingActor, MeetingHandle};
use crate::error::ServerError;
use crate::node::TIMING;
use crate::store::StoreError;
use crate::store::cluster::{MeetingStatus, NodeLoad};
use breakout_protocol::rest::MeetingInfo;

impl Registry {
    /// The meeting `id`, wherever it lives. Here: its handle. On a cluster
    /// node, a meeting this node holds the lease of but has not loaded yet
    /// (placed here by a peer, or its lease ran out elsewhere and is taken
    /// over now) is loaded; one a peer holds a valid lease on is
    /// [`ServerError::MeetingElsewhere`], naming the peer's URL.
    pub async fn find(&self, id: &str) -> Result<MeetingHandle, ServerError> {
        if let Ok(handle) = self.get(id) {
            if !handle.tx.is_closed() || self.node().is_none() {
                return Ok(handle);
            }
            // Its actor left: a peer took the meeting over.
            self.forget(id, &handle);
        }
        let Some(node) = self.node() else {
            return Err(ServerError::MeetingNotFound(id.to_string()));
        };
        let _changing = self.changing.lock().await;
        if let Ok(handle) = self.get(id)
            && !handle.tx.is_closed()
        {
            return Ok(handle);
        }
        let store = self.store().clone();
        let (meeting, me) = (id.to_owned(), node.id.clone());
        let draining = self.is_draining();
        // Ok(epoch): ours now; Err(Some(lease)): a peer's; Err(None): no
        // such meeting.
        let taken = blocking(move || {
            let pg = store.postgres().ok_or(StoreError::NotFound)?;
            match pg.lease(&meeting)? {
                Some(lease) if lease.valid && lease.owner != me => Ok(Err(Some(lease))),
                // A draining node takes nothing over: the client retries
                // (503) and another node will.
                _ if draining => Ok(Err(None)),
                _ => match pg.take_over(&meeting, &me, TIMING) {
                    Ok(Some(epoch)) => Ok(Ok(epoch)),
                    // Taken by a peer between the two statements.
                    Ok(None) => Ok(Err(pg.lease(&meeting)?)),
                    Err(StoreError::NotFound) => Ok(Err(None)),
                    Err(error) => Err(error),
                },
            }
        })
        .await?;
        match taken {
            Ok(epoch) => self.load(id, epoch).await,
            Err(Some(lease)) => Err(ServerError::MeetingElsewhere {
                meeting: id.to_owned(),
                node: lease.owner,
                url: lease.owner_url,
                lease_ends_in: lease.ends_in,
            }),
            Err(None) if draining => Err(ServerError::Draining),
            Err(None) => Err(ServerError::MeetingNotFound(id.to_string())),
        }
    }

    /// Loads a meeting this node holds the lease of (at `epoch`) from the
    /// store and starts serving it.
    async fn load(&self, id: &str, epoch: u64) -> Result<MeetingHandle, ServerError> {
        let store = self.store().clone();
        let meeting_id = id.to_owned();
        let (record, (meeting, seq)) = blocking(move || {
            let pg = store.postgres().ok_or(StoreError::NotFound)?;
            let record = pg.meeting(&meeting_id)?.ok_or(StoreError::NotFound)?;
            let rebuilt = store.rebuild(&meeting_id)?;
            Ok((record, rebuilt))
        })
        .await?;
        info!(meeting = %id, seq, epoch, "took the meeting over");
        let handle = MeetingActor::new(record, meeting, seq, self.env.clone())
            .with_epoch(Some(epoch))
            .spawn();
        self.meetings
            .write()
            .expect("registry lock poisoned")
            .insert(id.to_owned(), handle.clone());
        Ok(handle)
    }

    /// [`Registry::changing`], on a cluster node; a server on its own has
    /// no leases to keep in step with.
    pub(super) async fn changing_in_cluster(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        match self.node() {
            Some(_) => Some(self.changing.lock().await),
            None => None,
        }
    }

    /// Removes `handle` from the meetings served here, unless another one
    /// replaced it meanwhile.
    fn forget(&self, id: &str, handle: &MeetingHandle) {
        let mut meetings = self.meetings.write().expect("registry lock poisoned");
        if meetings
            .get(id)
            .is_some_and(|current| current.tx.same_channel(&handle.tx))
        {
            meetings.remove(id);
        }
    }

    /// Reports this node's load, and each meeting's participants and phase
    /// so that any node can list it (cluster nodes only).
    pub async fn heartbeat(&self, load: NodeLoad) -> Result<(), StoreError> {
        let (Some(node), Some(pg)) = (self.node(), self.store().postgres()) else {
            return Ok(());
        };
        pg.heartbeat(&node.id, load, self.is_draining()).await?;
        let mut statuses = Vec::new();
        for id in self.ids() {
            let Ok(handle) = self.get(&id) else {
                continue;
            };
            // A meeting that stopped meanwhile is not reported.
            let Ok(info) = handle.ask(|reply| ActorMessage::Info { reply }).await else {
                continue;
            };
            let Ok(phase) = serde_json::to_string(&info.phase) else {
                continue;
            };
            statuses.push(MeetingStatus {
                meeting: id,
                participants: info.participant_count.into(),
                phase,
            });
        }
        pg.report_meetings(&node.id, statuses).await
    }

    /// The meetings other nodes hold the lease of, as they last reported
    /// them. Empty on a server on its own. Those this node holds but does
    /// not serve (quarantined) are left out, as on a server on its own.
    pub async fn peers_meetings(&self) -> Result<Vec<MeetingInfo>, ServerError> {
        let Some(me) = self.node().map(|node| node.id.clone()) else {
            return Ok(Vec::new());
        };
        let store = self.store().clone();
        let listed = blocking(move || store.postgres().map(|pg| pg.listed_meetings()).transpose())
            .await?
            .unwrap_or_default();
        let here = self.ids();
        Ok(listed
            .into_iter()
            .filter(|listed| !here.contains(&listed.record.id))
            .filter(|listed| listed.owner.as_ref().is_some_and(|(owner, _)| *owner != me))
            .map(|listed| {
                let (node, node_url) = listed.owner.unzip();
                MeetingInfo {
                    id: listed.record.id,
                    title: listed.record.title,
                    created_at: listed.record.created_at,
                    participant_count: u32::try_from(listed.participants).unwrap_or(u32::MAX),
                    // Not reported yet: it was just created, so idle.
                    phase: listed
                        .phase
                        .and_then(|phase| serde_json::from_str(&phase).ok())
                        .unwrap_or_default(),
                    node,
                    node_url,
                }
            })
            .collect())
    }

    /// Renews this node's leases and starts serving the meetings a peer
    /// placed here since the last renewal.
    pub async fn renew_leases(&self) {
        let (Some(node), Some(pg)) = (self.node(), self.store().postgres()) else {
            return;
        };
        if self.is_draining() {
            // Handed over (or about to be): renewing would take back the
            // leases released for the other nodes.
            return;
        }
        let _changing = self.changing.lock().await;
        let held = match pg.renew_leases(&node.id, TIMING).await {
            Ok(held) => held,
            Err(error) => {
                tracing::warn!(%error, "could not renew the meeting leases");
                return;
            }
        };
        // A meeting served here whose lease is no longer ours was taken
        // over by a peer: it leaves without writing.
        for id in self.ids() {
            if held.iter().any(|(meeting, _)| *meeting == id) {
                continue;
            }
            if let Ok(handle) = self.get(&id) {
                info!(meeting = %id, "the lease is a peer's now; dropping the meeting");
                let _ = handle.tx.try_send(ActorMessage::Moved);
                self.forget(&id, &handle);
            }
        }
        for (id, epoch) in held {
            if !self.get(&id).is_ok_and(|handle| !handle.tx.is_closed())
                && let Err(error) = self.load(&id, epoch).await
            {
                tracing::warn!(meeting = %id, %error, "could not load a meeting placed here");
            }
        }
    }

    /// Planned failover (SIGTERM on a cluster node): tells the cluster this
    /// node drains, so nothing new is placed here, then stops each meeting
    /// (its final snapshot, fenced like any write; its clients told the
    /// meeting moved) and releases its lease, so the first node a client
    /// reconnects through takes it over at once instead of after the
    /// lease would have run out.
    pub async fn hand_over(&self) {
        let (Some(node), Some(pg)) = (self.node(), self.store().postgres()) else {
            return;
        };
        let _changing = self.changing.lock().await;
        let load = crate::store::cluster::NodeLoad::default();
        if let Err(error) = pg.heartbeat(&node.id, load, true).await {
            tracing::warn!(%error, "could not announce the drain");
        }
        let handles: Vec<(String, MeetingHandle)> = self
            .meetings
            .write()
            .expect("registry lock poisoned")
            .drain()
            .collect();
        let count = handles.len();
        for (id, handle) in handles {
            let _ = handle
                .ask(|done| ActorMessage::Stop {
                    done,
                    reason: crate::error::MEETING_MOVED,
                })
                .await;
            if let Err(error) = pg.release_lease(&id, &node.id).await {
                tracing::warn!(meeting = %id, %error, "could not release the lease; it runs out by itself");
            }
        }
        info!(meetings = count, "draining: every meeting handed over");
    }
}
