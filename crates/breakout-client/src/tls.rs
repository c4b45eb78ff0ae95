//! Which server certificates this client accepts.
//!
//! Without a pin, the usual: a chain to a web PKI root, for the server's
//! name. With a pin (the `fp=` of a join link, for a server with a
//! self-signed certificate), exactly the certificate whose SHA-256 matches,
//! whatever its name or issuer; the handshake signatures are still verified
//! with it, so only the holder of its key gets through. A mismatch fails
//! the handshake itself, before any request or token is sent, and is
//! reported as [`ClientError::CertificateMismatch`]; a certificate no root
//! vouches for as [`ClientError::UntrustedCertificate`].

use std::sync::{Arc, Mutex};

use breakout_protocol::fingerprint::CertFingerprint;
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use sha2::{Digest, Sha256};

use crate::ClientError;

/// A TLS client configuration, and why its verifier last refused a
/// certificate.
#[derive(Clone)]
pub(crate) struct Tls {
    pub config: Arc<ClientConfig>,
    verifier: Arc<Verifier>,
}

impl Tls {
    pub fn new(pin: Option<CertFingerprint>) -> Tls {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let check = match pin {
            Some(expected) => Check::Pin(expected),
            None => {
                let roots = RootCertStore {
                    roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
                };
                let webpki =
                    WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                        .build()
                        .expect("the webpki roots are not empty");
                Check::Roots(webpki)
            }
        };
        let verifier = Arc::new(Verifier {
            check,
            algorithms: provider.signature_verification_algorithms,
            refused: Mutex::new(None),
        });
        let mut config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("the ring provider supports the default protocol versions")
            .dangerous()
            .with_custom_certificate_verifier(verifier.clone())
            .with_no_client_auth();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Tls {
            config: Arc::new(config),
            verifier,
        }
    }

    /// An HTTP client that trusts what this configuration trusts.
    pub fn http_client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .use_preconfigured_tls((*self.config).clone())
            .build()
            .expect("a client with a preconfigured rustls configuration builds")
    }

    /// `error` as the refused certificate it was, if the verifier refused
    /// one; else `error` itself.
    pub fn explain(&self, error: ClientError) -> ClientError {
        if !error.is_transport() {
            return error;
        }
        let refused = self
            .verifier
            .refused
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        match (refused, &self.verifier.check) {
            (Some(Refusal::Mismatch(got)), Check::Pin(expected)) => {
                ClientError::CertificateMismatch {
                    expected: *expected,
                    got,
                }
            }
            (Some(Refusal::Untrusted(reason)), _) => ClientError::UntrustedCertificate { reason },
            _ => error,
        }
    }
}

/// The SHA-256 fingerprint of a DER certificate.
pub fn fingerprint(der: &[u8]) -> CertFingerprint {
    CertFingerprint(Sha256::digest(der).into())
}

#[derive(Debug)]
enum Check {
    /// Exactly the certificate with this fingerprint.
    Pin(CertFingerprint),
    /// A chain to a web PKI root.
    Roots(Arc<WebPkiServerVerifier>),
}

#[derive(Debug, Clone)]
enum Refusal {
    Mismatch(CertFingerprint),
    Untrusted(String),
}

#[derive(Debug)]
struct Verifier {
    check: Check,
    algorithms: WebPkiSupportedAlgorithms,
    /// Why the last certificate was refused.
    refused: Mutex<Option<Refusal>>,
}

impl Verifier {
    fn refuse(&self, refusal: Refusal, error: rustls::Error) -> rustls::Error {
        *self.refused.lock().unwrap_or_else(|e| e.into_inner()) = Some(refusal);
        error
    }
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match &self.check {
            Check::Pin(expected) => {
                let got = fingerprint(end_entity);
                if got == *expected {
                    return Ok(ServerCertVerified::assertion());
                }
                let error = rustls::Error::InvalidCertificate(
                    CertificateError::ApplicationVerificationFailure,
                );
                Err(self.refuse(Refusal::Mismatch(got), error))
            }
            Check::Roots(webpki) => webpki
                .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
                .map_err(|error| self.refuse(Refusal::Untrusted(error.to_string()), error)),
        }
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
