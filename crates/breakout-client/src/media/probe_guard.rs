//! Keeps the stack's simulcast probe off the slots' streams.
//!
//! With the MID and RID header extensions registered (a simulcast camera
//! needs them), webrtc 0.17 probes every stream whose packets arrive before
//! its receiver has opened it, looking for a RID to find its track by. Once
//! DTLS is up, the SFU's first packets race the setting up of the
//! receivers, and on a loaded machine they win: the probe reads the slot's
//! stream, finds no RID, and closes it, so the slot shows nothing for good.
//!
//! This client receives no simulcast, so no probe can find anything. Making
//! the probe fail before it reads is not enough: a probe that bound its
//! stream and then failed left the slot's track dead all the same (with
//! four parallel joins of two simulcast clients on two cores, one slot in
//! four never fired its track; failing it only once the receivers were set
//! up, as the SFU's own guard does, stalled the whole connection instead).
//! A probe that never returns leaves the stream to its receiver (twenty
//! joins of twenty under the same load). So this interceptor, last in the
//! chain, holds every probe until the connection closes; it then fails,
//! and its task ends.

use std::sync::Arc;

use async_trait::async_trait;
use tokio::sync::watch;
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
        let (closed, _) = watch::channel(false);
        Ok(Arc::new(ProbeGuard { closed }))
    }
}

struct ProbeGuard {
    /// Set when the connection closes: the held probes then fail.
    closed: watch::Sender<bool>,
}

/// What a released probe reads: an error before any packet.
struct Refused;

#[async_trait]
impl RTPReader for Refused {
    async fn read(
        &self,
        _buf: &mut [u8],
        _attributes: &Attributes,
    ) -> Result<(webrtc::rtp::packet::Packet, Attributes), webrtc::interceptor::Error> {
        Err(webrtc::interceptor::Error::Other(
            "the connection closed: streams are not probed".into(),
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
        if info.payload_type == 0 {
            return reader;
        }
        let mut closed = self.closed.subscribe();
        // An error means the guard itself is gone: the connection too.
        let _ = closed.wait_for(|closed| *closed).await;
        Arc::new(Refused)
    }

    async fn unbind_remote_stream(&self, _info: &StreamInfo) {}

    async fn close(&self) -> Result<(), webrtc::interceptor::Error> {
        self.closed.send_replace(true);
        Ok(())
    }
}
