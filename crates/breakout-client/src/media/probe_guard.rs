//! Keeps the stack's simulcast probe off the slots' streams.
//!
//! With the MID and RID header extensions registered (a simulcast camera
//! needs them), webrtc 0.17 probes every stream whose packets arrive before
//! its receiver has opened it, looking for a RID to find its track by. The
//! slots' streams are declared in the answer and carry no RID, so when the
//! SFU's first packets win that race (they come as soon as SRTP is up,
//! while the receivers are still being set up), the probe reads them,
//! finds no RID, closes the stream and the slot shows nothing for good.
//! This client never receives simulcast, so every probe is refused before
//! it reads a packet: the stream stays open, and the declared receiver
//! takes it with what it buffered. The SFU guards its own probe the same
//! way (`breakout-server`'s `probe_guard`), there waiting for its receivers
//! because it does receive layers.

use std::sync::Arc;

use async_trait::async_trait;
use webrtc::interceptor::stream_info::StreamInfo;
use webrtc::interceptor::{
    Attributes, Interceptor, InterceptorBuilder, RTCPReader, RTCPWriter, RTPReader, RTPWriter,
};

pub struct ProbeGuardBuilder;

impl InterceptorBuilder for ProbeGuardBuilder {
    fn build(
        &self,
        _id: &str,
    ) -> Result<Arc<dyn Interceptor + Send + Sync>, webrtc::interceptor::Error> {
        Ok(Arc::new(ProbeGuard))
    }
}

struct ProbeGuard;

/// What a probe reads: an error before any packet, so it gives up without
/// taking packets or closing the stream.
struct Refused;

#[async_trait]
impl RTPReader for Refused {
    async fn read(
        &self,
        _buf: &mut [u8],
        _attributes: &Attributes,
    ) -> Result<(webrtc::rtp::packet::Packet, Attributes), webrtc::interceptor::Error> {
        Err(webrtc::interceptor::Error::Other(
            "this client receives no simulcast: streams are not probed".into(),
        ))
    }
}

#[async_trait]
impl Interceptor for ProbeGuard {
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
        _info: &StreamInfo,
        writer: Arc<dyn RTPWriter + Send + Sync>,
    ) -> Arc<dyn RTPWriter + Send + Sync> {
        writer
    }

    async fn unbind_local_stream(&self, _info: &StreamInfo) {}

    async fn bind_remote_stream(
        &self,
        info: &StreamInfo,
        reader: Arc<dyn RTPReader + Send + Sync>,
    ) -> Arc<dyn RTPReader + Send + Sync> {
        // A receiver binds its declared stream with payload type 0; the
        // probe with the codec of the stream's first packet.
        if info.payload_type != 0 {
            return Arc::new(Refused);
        }
        reader
    }

    async fn unbind_remote_stream(&self, _info: &StreamInfo) {}

    async fn close(&self) -> Result<(), webrtc::interceptor::Error> {
        Ok(())
    }
}
