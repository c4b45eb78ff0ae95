//! The estimator on the real connection: an interceptor next to the wire
//! notes the transport sequence number, size and time of every packet sent
//! and hands it each transport-wide feedback packet that comes back.
//! [`Uplink`] is what the video sender and the session read.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use async_trait::async_trait;
use serde::Serialize;
use webrtc::interceptor::stream_info::StreamInfo;
use webrtc::interceptor::{
    Attributes, Interceptor, InterceptorBuilder, RTCPReader, RTCPWriter, RTPReader, RTPWriter,
};
use webrtc::rtcp::transport_feedbacks::transport_layer_cc::TransportLayerCc;
use webrtc::rtp::extension::transport_cc_extension::TransportCcExtension;
use webrtc::sdp::extmap::TRANSPORT_CC_URI;
use webrtc::util::{MarshalSize, Unmarshal};

use super::{BandwidthEstimator, BweConfig, Estimate};

/// Bytes on the wire beyond the RTP packet: SRTP tag, UDP and IPv4. The
/// estimate counts them: on a narrow link a stream of small audio packets
/// takes almost as much again in headers.
pub const WIRE_OVERHEAD: usize = 10 + 8 + 20;

/// What the video encoder does with the estimate right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct VideoSendStats {
    pub target_kbps: u32,
    pub fps: u32,
    pub width: u32,
    pub height: u32,
}

/// The uplink as the sender sees it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct UplinkStats {
    pub estimate: Estimate,
    /// `None` until the camera encodes (and for replayed clips, which
    /// cannot follow an estimate).
    pub video: Option<VideoSendStats>,
}

/// One connection's estimator and what the video sender made of it.
#[derive(Debug)]
pub struct Uplink {
    estimator: Mutex<BandwidthEstimator>,
    video: Mutex<Option<VideoSendStats>>,
}

impl Uplink {
    pub fn new(config: BweConfig) -> Arc<Self> {
        Arc::new(Uplink {
            estimator: Mutex::new(BandwidthEstimator::new(config)),
            video: Mutex::new(None),
        })
    }

    pub fn estimate(&self) -> Estimate {
        lock(&self.estimator).estimate()
    }

    pub fn set_video(&self, stats: Option<VideoSendStats>) {
        *lock(&self.video) = stats;
    }

    pub fn stats(&self) -> UplinkStats {
        UplinkStats {
            estimate: self.estimate(),
            video: *lock(&self.video),
        }
    }

    fn sent(&self, seq: u16, bytes: usize) {
        let now = tokio::time::Instant::now().into_std();
        lock(&self.estimator).on_packet_sent(seq, bytes, now);
    }

    fn feedback(&self, feedback: &TransportLayerCc, now: Instant) {
        lock(&self.estimator).on_feedback(feedback, now);
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// Registered before the TWCC sender, so it sits nearer the wire and sees
/// packets with their transport sequence number already set.
pub struct BweInterceptorBuilder(pub Arc<Uplink>);

impl InterceptorBuilder for BweInterceptorBuilder {
    fn build(
        &self,
        _id: &str,
    ) -> Result<Arc<dyn Interceptor + Send + Sync>, webrtc::interceptor::Error> {
        Ok(Arc::new(BweInterceptor(self.0.clone())))
    }
}

struct BweInterceptor(Arc<Uplink>);

struct SendTap {
    inner: Arc<dyn RTPWriter + Send + Sync>,
    extension_id: u8,
    uplink: Arc<Uplink>,
}

#[async_trait]
impl RTPWriter for SendTap {
    async fn write(
        &self,
        pkt: &webrtc::rtp::packet::Packet,
        attributes: &Attributes,
    ) -> Result<usize, webrtc::interceptor::Error> {
        let tcc = pkt
            .header
            .get_extension(self.extension_id)
            .and_then(|mut ext| TransportCcExtension::unmarshal(&mut ext).ok());
        if let Some(tcc) = tcc {
            let bytes = pkt.header.marshal_size() + pkt.payload.len() + WIRE_OVERHEAD;
            self.uplink.sent(tcc.transport_sequence, bytes);
        }
        self.inner.write(pkt, attributes).await
    }
}

struct FeedbackTap {
    inner: Arc<dyn RTCPReader + Send + Sync>,
    uplink: Arc<Uplink>,
}

#[async_trait]
impl RTCPReader for FeedbackTap {
    async fn read(
        &self,
        buf: &mut [u8],
        attributes: &Attributes,
    ) -> Result<
        (
            Vec<Box<dyn webrtc::rtcp::packet::Packet + Send + Sync>>,
            Attributes,
        ),
        webrtc::interceptor::Error,
    > {
        let (packets, attributes) = self.inner.read(buf, attributes).await?;
        let now = tokio::time::Instant::now().into_std();
        for packet in &packets {
            if let Some(feedback) = packet.as_any().downcast_ref::<TransportLayerCc>() {
                self.uplink.feedback(feedback, now);
            }
        }
        Ok((packets, attributes))
    }
}

#[async_trait]
impl Interceptor for BweInterceptor {
    async fn bind_rtcp_reader(
        &self,
        reader: Arc<dyn RTCPReader + Send + Sync>,
    ) -> Arc<dyn RTCPReader + Send + Sync> {
        Arc::new(FeedbackTap {
            inner: reader,
            uplink: self.0.clone(),
        })
    }

    async fn bind_rtcp_writer(
        &self,
        writer: Arc<dyn RTCPWriter + Send + Sync>,
    ) -> Arc<dyn RTCPWriter + Send + Sync> {
        writer
    }

    async fn bind_local_stream(
        &self,
        info: &StreamInfo,
        writer: Arc<dyn RTPWriter + Send + Sync>,
    ) -> Arc<dyn RTPWriter + Send + Sync> {
        let id = info
            .rtp_header_extensions
            .iter()
            .find(|e| e.uri == TRANSPORT_CC_URI)
            .and_then(|e| u8::try_from(e.id).ok())
            .filter(|id| *id != 0);
        match id {
            Some(extension_id) => Arc::new(SendTap {
                inner: writer,
                extension_id,
                uplink: self.0.clone(),
            }),
            None => writer,
        }
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
