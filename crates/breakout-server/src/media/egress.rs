//! The write path of a subscriber's slots, shorter than the stack's.
//!
//! A `TrackLocalStaticRTP` write goes through a tokio mutex and a clone of
//! the track's bindings, a copy of the packet, a second mutex, and then the
//! stack's statistics recorder, which the connection always puts outermost:
//! it sends one message per packet to a task of its own (a wake-up and a
//! hash map update per forwarded packet) for figures the SFU never reads
//! (it keeps its own, [`super::stats`]). [`SendHook`] sits right under that
//! recorder and keeps, per sent stream, the chain below it: the NACK
//! responder's buffer, the report, TWCC and downlink-estimate interceptors,
//! then SRTP and the socket. [`SlotOutput`] writes there directly, after
//! setting what the track would have set (SSRC, payload type, MID).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use breakout_protocol::media::SDES_MID_URI;
use bytes::Bytes;
use webrtc::interceptor::stream_info::StreamInfo;
use webrtc::interceptor::{
    Attributes, Interceptor, InterceptorBuilder, RTCPReader, RTCPWriter, RTPReader, RTPWriter,
};
use webrtc::rtp::packet::Packet;

/// One sent stream as the connection bound it.
#[derive(Clone)]
struct Bound {
    writer: Arc<dyn RTPWriter + Send + Sync>,
    payload_type: u8,
    /// The negotiated id of the MID header extension, if any.
    mid_extension: Option<u8>,
}

/// The sent streams of one connection, by SSRC, as the stack binds them.
#[derive(Default)]
pub struct LocalStreams(Mutex<HashMap<u32, Bound>>);

impl LocalStreams {
    fn get(&self, ssrc: u32) -> Option<Bound> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&ssrc)
            .cloned()
    }
}

/// Builds the [`SendHook`] of one connection.
pub struct SendHookBuilder(pub Arc<LocalStreams>);

impl InterceptorBuilder for SendHookBuilder {
    fn build(
        &self,
        _id: &str,
    ) -> Result<Arc<dyn Interceptor + Send + Sync>, webrtc::interceptor::Error> {
        Ok(Arc::new(SendHook(self.0.clone())))
    }
}

/// Registered last, so the writer it keeps is every other interceptor's.
pub struct SendHook(Arc<LocalStreams>);

#[async_trait]
impl Interceptor for SendHook {
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
        writer
    }

    async fn bind_local_stream(
        &self,
        info: &StreamInfo,
        writer: Arc<dyn RTPWriter + Send + Sync>,
    ) -> Arc<dyn RTPWriter + Send + Sync> {
        // Retransmission streams are the interceptors' own business.
        if info.associated_stream.is_none() {
            let mid_extension = info
                .rtp_header_extensions
                .iter()
                .find(|ext| ext.uri == SDES_MID_URI)
                .and_then(|ext| u8::try_from(ext.id).ok());
            let bound = Bound {
                writer: writer.clone(),
                payload_type: info.payload_type,
                mid_extension,
            };
            self.0
                .0
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(info.ssrc, bound);
        }
        writer
    }

    async fn unbind_local_stream(&self, info: &StreamInfo) {
        self.0
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&info.ssrc);
    }

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

/// Where one slot's packets go: its sender's stream, once bound.
pub struct SlotOutput {
    streams: Arc<LocalStreams>,
    ssrc: u32,
    mid: Bytes,
    bound: Option<Bound>,
}

impl SlotOutput {
    pub fn new(streams: Arc<LocalStreams>, ssrc: u32, mid: &str) -> Self {
        SlotOutput {
            streams,
            ssrc,
            mid: Bytes::copy_from_slice(mid.as_bytes()),
            bound: None,
        }
    }

    /// Writes `packet` as this slot's: 0 bytes while the connection has not
    /// bound the stream or has no SRTP yet.
    pub async fn write(
        &mut self,
        packet: &mut Packet,
    ) -> Result<usize, webrtc::interceptor::Error> {
        if self.bound.is_none() {
            self.bound = self.streams.get(self.ssrc);
        }
        let Some(bound) = &self.bound else {
            return Ok(0);
        };
        packet.header.ssrc = self.ssrc;
        packet.header.payload_type = bound.payload_type;
        if let Some(id) = bound.mid_extension {
            packet.header.set_extension(id, self.mid.clone())?;
        }
        bound.writer.write(packet, &Attributes::new()).await
    }
}
