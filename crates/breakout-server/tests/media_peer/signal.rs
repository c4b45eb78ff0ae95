//! The signaling side of a test participant: `/v1/ws` with a background
//! reader, so replies, pushed slot maps and events are never missed while a
//! test waits on media.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use breakout_core::{Command, EventBody};
use breakout_protocol::media::{Layer, SlotMap};
use breakout_protocol::ws::{ClientMessage, Reply, Request, ServerMessage};
use breakout_protocol::{ApiError, ParticipantId};
use futures_util::{SinkExt, StreamExt};
use tokio::sync::{mpsc, oneshot, watch};
use tokio_tungstenite::tungstenite::Message;

// The one WebSocket client of the tests, included by path so that the media
// benches, which share this module but not the test harness, get it too; a
// test with both compiles it twice.
#[allow(clippy::duplicate_mod)]
#[path = "../common/ws.rs"]
mod ws;
use ws::Ws;

type Pending = Arc<Mutex<HashMap<u64, oneshot::Sender<Result<Reply, ApiError>>>>>;

pub struct Signal {
    pub participant: ParticipantId,
    out: mpsc::UnboundedSender<String>,
    pending: Pending,
    next_id: AtomicU64,
    slots: Arc<watch::Sender<Option<SlotMap>>>,
    /// The newest `camera_layers` message.
    camera_layers: Arc<watch::Sender<Option<Vec<Layer>>>>,
    events: tokio::sync::Mutex<mpsc::UnboundedReceiver<EventBody>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Signal {
    pub async fn connect(server: SocketAddr, token: &str) -> Signal {
        let path = breakout_protocol::WS_PATH;
        let ws = Ws::connect(&format!("ws://{server}{path}?token={token}")).await;
        let participant = ws.participant;
        let (mut sink, mut stream) = ws.socket.split();
        let (out, mut out_rx) = mpsc::unbounded_channel::<String>();
        let writer = tokio::spawn(async move {
            while let Some(text) = out_rx.recv().await {
                if sink.send(Message::Text(text.into())).await.is_err() {
                    break;
                }
            }
        });
        let pending: Pending = Arc::default();
        let slots = Arc::new(watch::Sender::new(None));
        let camera_layers = Arc::new(watch::Sender::new(None));
        let (events_tx, events) = mpsc::unbounded_channel();
        let (replies, maps) = (pending.clone(), slots.clone());
        let layers = camera_layers.clone();
        let reader = tokio::spawn(async move {
            while let Some(Ok(frame)) = stream.next().await {
                let Message::Text(text) = frame else {
                    continue;
                };
                let Ok(message) = serde_json::from_str::<ServerMessage>(&text) else {
                    continue;
                };
                match message {
                    ServerMessage::Reply { id, result } => answer(&replies, id, Ok(result)),
                    ServerMessage::Error {
                        id: Some(id),
                        error,
                    } => answer(&replies, id, Err(error)),
                    ServerMessage::Slots { slots } => keep_newest(&maps, slots),
                    ServerMessage::CameraLayers { wanted } => {
                        layers.send_replace(Some(wanted));
                    }
                    ServerMessage::Event { event } => {
                        let _ = events_tx.send(event);
                    }
                    _ => {}
                }
            }
        });
        Signal {
            participant,
            out,
            pending,
            next_id: AtomicU64::new(1),
            slots,
            camera_layers,
            events: tokio::sync::Mutex::new(events),
            tasks: vec![writer, reader],
        }
    }

    pub async fn request(&self, request: Request) -> Result<Reply, ApiError> {
        let id = self.next_id.fetch_add(1, Relaxed);
        let (tx, rx) = oneshot::channel();
        self.pending.lock().expect("pending").insert(id, tx);
        let text = serde_json::to_string(&ClientMessage { id, request }).expect("json");
        self.out.send(text).expect("socket writer running");
        tokio::time::timeout(Duration::from_secs(30), rx)
            .await
            .expect("a reply within 30 s")
            .expect("reader running")
    }

    pub async fn command(&self, command: Command) -> Result<Reply, ApiError> {
        self.request(Request::Command { command }).await
    }

    pub fn note_slots(&self, slots: SlotMap) {
        keep_newest(&self.slots, slots);
    }

    pub fn slots(&self) -> Option<SlotMap> {
        self.slots.borrow().clone()
    }

    /// Waits until the newest slot map satisfies `wanted`.
    pub async fn wait_slots(&self, wanted: impl Fn(&SlotMap) -> bool) -> SlotMap {
        let mut rx = self.slots.subscribe();
        let found = tokio::time::timeout(
            Duration::from_secs(30),
            rx.wait_for(|map| map.as_ref().is_some_and(&wanted)),
        )
        .await
        .expect("slot map within 30 s")
        .expect("reader running");
        found.clone().expect("present")
    }

    /// The layers the server last said it wants of this peer's camera.
    pub fn camera_layers(&self) -> Option<Vec<Layer>> {
        self.camera_layers.borrow().clone()
    }

    pub fn watch_camera_layers(&self) -> watch::Receiver<Option<Vec<Layer>>> {
        self.camera_layers.subscribe()
    }

    /// Waits until the server's wanted layers satisfy `wanted`.
    pub async fn wait_camera_layers(&self, wanted: impl Fn(&[Layer]) -> bool) -> Vec<Layer> {
        let mut rx = self.camera_layers.subscribe();
        let found = tokio::time::timeout(
            Duration::from_secs(30),
            rx.wait_for(|layers| layers.as_deref().is_some_and(&wanted)),
        )
        .await
        .expect("camera layers within 30 s")
        .expect("reader running");
        found.clone().expect("present")
    }

    /// Waits for an event matching `wanted`, dropping others.
    pub async fn event(&self, wanted: impl Fn(&EventBody) -> bool) -> EventBody {
        let mut events = self.events.lock().await;
        loop {
            let event = tokio::time::timeout(Duration::from_secs(30), events.recv())
                .await
                .expect("event within 30 s")
                .expect("reader running");
            if wanted(&event) {
                return event;
            }
        }
    }
}

impl Drop for Signal {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

fn answer(pending: &Pending, id: u64, result: Result<Reply, ApiError>) {
    if let Some(tx) = pending.lock().expect("pending").remove(&id) {
        let _ = tx.send(result);
    }
}

fn keep_newest(slots: &watch::Sender<Option<SlotMap>>, map: SlotMap) {
    slots.send_if_modified(|current| {
        if current.as_ref().is_some_and(|c| c.version >= map.version) {
            return false;
        }
        *current = Some(map);
        true
    });
}
