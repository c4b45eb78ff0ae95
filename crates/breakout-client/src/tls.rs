//! Which server certificates this client accepts.
//!
//! Without a pin, the usual: a chain to a web PKI root, for the server's
//! name. With a pin (the `fp=` of a join link, for a server with a
//! self-signed certificate), exactly the certificate whose SHA-256 matches,
//! whatever its name or issuer; the handshake signatures are still verified
//! with it, so only the holder of its key gets through. A mismatch fails
//! the handshake itself, before any request or token is sent, and is
//! reported as [`ClientError::CertificateMismatch`].

use std::sync::{Arc, Mutex};

use breakout_protocol::fingerprint::CertFingerprint;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use sha2::{Digest, Sha256};

use crate::ClientError;

/// A TLS client configuration and what its last refused certificate was.
#[derive(Clone)]
pub(crate) struct Tls {
    pub config: Arc<ClientConfig>,
    pinned: Option<Arc<PinnedVerifier>>,
}

impl Tls {
    pub fn new(pin: Option<CertFingerprint>) -> Tls {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .expect("the ring provider supports the default protocol versions");
        let (mut config, pinned) = match pin {
            None => {
                let roots = RootCertStore {
                    roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
                };
                let config = builder.with_root_certificates(roots).with_no_client_auth();
                (config, None)
            }
            Some(expected) => {
                let verifier = Arc::new(PinnedVerifier {
                    expected,
                    algorithms: provider.signature_verification_algorithms,
                    refused: Mutex::new(None),
                });
                let config = builder
                    .dangerous()
                    .with_custom_certificate_verifier(verifier.clone())
                    .with_no_client_auth();
                (config, Some(verifier))
            }
        };
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Tls {
            config: Arc::new(config),
            pinned,
        }
    }

    /// An HTTP client that trusts what this configuration trusts.
    pub fn http_client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .use_preconfigured_tls((*self.config).clone())
            .build()
            .expect("a client with a preconfigured rustls configuration builds")
    }

    /// `error` as the certificate mismatch it was, if the pinned verifier
    /// refused a certificate; else `error` itself.
    pub fn explain(&self, error: ClientError) -> ClientError {
        let refused = self.pinned.as_ref().and_then(|verifier| {
            let refused = verifier.refused.lock().unwrap_or_else(|e| e.into_inner());
            refused.map(|got| (verifier.expected, got))
        });
        match refused {
            Some((expected, got)) if error.is_transport() => {
                ClientError::CertificateMismatch { expected, got }
            }
            _ => error,
        }
    }
}

/// The SHA-256 fingerprint of a DER certificate.
pub fn fingerprint(der: &[u8]) -> CertFingerprint {
    CertFingerprint(Sha256::digest(der).into())
}

#[derive(Debug)]
struct PinnedVerifier {
    expected: CertFingerprint,
    algorithms: WebPkiSupportedAlgorithms,
    /// The fingerprint of the last certificate refused.
    refused: Mutex<Option<CertFingerprint>>,
}

impl ServerCertVerifier for PinnedVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let got = fingerprint(end_entity);
        if got == self.expected {
            return Ok(ServerCertVerified::assertion());
        }
        *self.refused.lock().unwrap_or_else(|e| e.into_inner()) = Some(got);
        Err(rustls::Error::InvalidCertificate(
            CertificateError::ApplicationVerificationFailure,
        ))
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}
