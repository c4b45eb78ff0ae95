//! Per-connection counters, updated lock-free on the packet paths and read
//! on request, plus an interceptor that counts the RTCP feedback the stack
//! itself generates towards a publisher (NACKs from the NACK generator).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use async_trait::async_trait;
use breakout_protocol::media::Traffic;
use webrtc::interceptor::stream_info::StreamInfo;
use webrtc::interceptor::{
    Attributes, Interceptor, InterceptorBuilder, RTCPReader, RTCPWriter, RTPReader, RTPWriter,
};
use webrtc::rtcp::payload_feedbacks::full_intra_request::FullIntraRequest;
use webrtc::rtcp::payload_feedbacks::picture_loss_indication::PictureLossIndication;
use webrtc::rtcp::transport_feedbacks::transport_layer_nack::TransportLayerNack;

#[derive(Debug, Default)]
pub struct Counter {
    packets: AtomicU64,
    bytes: AtomicU64,
}

impl Counter {
    pub fn add(&self, bytes: usize) {
        self.packets.fetch_add(1, Relaxed);
        self.bytes.fetch_add(bytes as u64, Relaxed);
    }

    pub fn get(&self) -> Traffic {
        Traffic {
            packets: self.packets.load(Relaxed),
            bytes: self.bytes.load(Relaxed),
        }
    }
}

/// Everything counted for one participant's media connection.
#[derive(Debug, Default)]
pub struct PeerStats {
    pub received: Counter,
    pub sent: Counter,
    pub dropped: AtomicU64,
    pub nacks_received: AtomicU64,
    pub nacks_sent: AtomicU64,
    pub keyframe_requests_received: AtomicU64,
    pub keyframe_requests_sent: AtomicU64,
    pub slot_switches: AtomicU64,
}

pub fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Relaxed);
}

pub fn read(counter: &AtomicU64) -> u64 {
    counter.load(Relaxed)
}

/// Builds a [`FeedbackCounter`] for one connection's interceptor chain.
pub struct FeedbackCounterBuilder(pub Arc<PeerStats>);

impl InterceptorBuilder for FeedbackCounterBuilder {
    fn build(
        &self,
        _id: &str,
    ) -> Result<Arc<dyn Interceptor + Send + Sync>, webrtc::interceptor::Error> {
        Ok(Arc::new(FeedbackCounter(self.0.clone())))
    }
}

/// Registered first, so every RTCP writer after it (the NACK generator, the
/// application's PLIs) writes through it.
pub struct FeedbackCounter(Arc<PeerStats>);

struct CountingWriter {
    inner: Arc<dyn RTCPWriter + Send + Sync>,
    stats: Arc<PeerStats>,
}

#[async_trait]
impl RTCPWriter for CountingWriter {
    async fn write(
        &self,
        pkts: &[Box<dyn webrtc::rtcp::packet::Packet + Send + Sync>],
        attributes: &Attributes,
    ) -> Result<usize, webrtc::interceptor::Error> {
        for packet in pkts {
            let any = packet.as_any();
            if any.is::<TransportLayerNack>() {
                bump(&self.stats.nacks_sent);
            } else if any.is::<PictureLossIndication>() || any.is::<FullIntraRequest>() {
                bump(&self.stats.keyframe_requests_sent);
            }
        }
        self.inner.write(pkts, attributes).await
    }
}

#[async_trait]
impl Interceptor for FeedbackCounter {
    async fn bind_rtcp_reader(
        &self,
        reader: Arc<dyn RTCPReader + Send + Sync>,
    ) -> Arc<dyn RTCPReader + Send + Sync> {
        reader
    }

    async fn bind_rtcp_writer(
        &self,
        writer: Arc<dyn RTCPWriter + Send + Sync>,
    ) -> Arc<dyn RTCPWriter + Send + Sync> {
        Arc::new(CountingWriter {
            inner: writer,
            stats: self.0.clone(),
        })
    }

    async fn bind_local_stream(
        &self,
        _info: &StreamInfo,
        writer: Arc<dyn RTPWriter + Send + Sync>,
    ) -> Arc<dyn RTPWriter + Send + Sync> {
        writer
    }

    async fn unbind_local_stream(&self, _info: &StreamInfo) {}

    async fn bind_remote_stream(
        &self,
        _info: &StreamInfo,
        reader: Arc<dyn RTPReader + Send + Sync>,
    ) -> Arc<dyn RTPReader + Send + Sync> {
        reader
    }

    async fn unbind_remote_stream(&self, _info: &StreamInfo) {}

    async fn close(&self) -> Result<(), webrtc::interceptor::Error> {
        Ok(())
    }
}
