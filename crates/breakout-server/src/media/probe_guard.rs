//! Guards the stack's probe of undeclared SSRCs, which it runs to find
//! simulcast layers (known only by their RID header extension).
//!
//! Once DTLS is up, webrtc 0.17 starts accepting undeclared streams and
//! setting up the receivers concurrently (`start_rtp`). Packets already
//! queued can then reach the probe first: a simulcast layer probed before
//! its RID track exists is dropped for good (`on_track` never fires), and a
//! declared stream (a camera without simulcast, whose SSRC the offer names)
//! is read by the probe, which finds no RID, closes it and so kills the
//! receiver's track. The probe binds its stream through the interceptor
//! chain before it reads, so this interceptor, last in the chain, makes it
//! wait until every receiver is set up and then refuses it the declared
//! streams.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use webrtc::interceptor::stream_info::StreamInfo;
use webrtc::interceptor::{
    Attributes, Interceptor, InterceptorBuilder, RTCPReader, RTCPWriter, RTPReader, RTPWriter,
};
use webrtc::rtp_transceiver::rtp_receiver::RTCRtpReceiver;

/// Longest wait: receivers are set up within milliseconds; a probe that
/// gives up waiting proceeds as it would without this guard.
const MOST: Duration = Duration::from_secs(1);
const POLL: Duration = Duration::from_millis(2);

/// The receivers of the participant's upstream m-lines, once the offer is
/// applied.
#[derive(Default)]
pub struct Receivers(Mutex<Vec<Arc<RTCRtpReceiver>>>);

impl Receivers {
    pub fn set(&self, receivers: Vec<Arc<RTCRtpReceiver>>) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = receivers;
    }

    /// Waits until every receiver has its tracks; whether one of them is
    /// the declared track of `ssrc`.
    async fn declared(&self, ssrc: u32) -> bool {
        let receivers = self.0.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let deadline = tokio::time::Instant::now() + MOST;
        loop {
            let mut ready = true;
            for receiver in &receivers {
                let tracks = receiver.tracks().await;
                if tracks.iter().any(|t| t.ssrc() == ssrc) {
                    return true;
                }
                ready &= !tracks.is_empty();
            }
            if ready || tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(POLL).await;
        }
    }
}

pub struct ProbeGuardBuilder(pub Arc<Receivers>);

impl InterceptorBuilder for ProbeGuardBuilder {
    fn build(
        &self,
        _id: &str,
    ) -> Result<Arc<dyn Interceptor + Send + Sync>, webrtc::interceptor::Error> {
        Ok(Arc::new(ProbeGuard(self.0.clone())))
    }
}

struct ProbeGuard(Arc<Receivers>);

/// What the probe of a declared stream reads: an error before any packet,
/// so it gives up without taking the receiver's packets or closing its
/// stream.
struct Refused;

#[async_trait]
impl RTPReader for Refused {
    async fn read(
        &self,
        _buf: &mut [u8],
        _attributes: &Attributes,
    ) -> Result<(webrtc::rtp::packet::Packet, Attributes), webrtc::interceptor::Error> {
        Err(webrtc::interceptor::Error::Other(
            "a declared stream is not probed".into(),
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
        if info.payload_type != 0 && self.0.declared(info.ssrc).await {
            return Arc::new(Refused);
        }
        reader
    }

    async fn unbind_remote_stream(&self, _info: &StreamInfo) {}

    async fn close(&self) -> Result<(), webrtc::interceptor::Error> {
        Ok(())
    }
}
