//! HTTPS and WSS on the server's one port: the certificate chain and key
//! come from PEM files (as certbot writes them, or the app's self-signed
//! pair), loaded once at start so a bad file stops the server with a
//! sentence naming it instead of failing every handshake later.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use breakout_protocol::fingerprint::CertFingerprint;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use sha2::{Digest, Sha256};
use tokio_rustls::TlsAcceptor;

use crate::ServerError;

/// Where the server's certificate and key are.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    /// PEM certificate chain, the server's own certificate first.
    pub cert: PathBuf,
    /// PEM private key (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
    /// Put the certificate's fingerprint in join links (`fp=`), for a
    /// self-signed certificate that clients pin. Off for a certificate from
    /// an authority, which renewals replace.
    pub pin_in_links: bool,
}

/// What the listener needs: the acceptor, and the fingerprint of the
/// server's own certificate.
pub(crate) struct LoadedTls {
    pub acceptor: TlsAcceptor,
    pub fingerprint: CertFingerprint,
}

/// The SHA-256 fingerprint of a DER certificate, as clients pin it.
pub fn fingerprint(der: &[u8]) -> CertFingerprint {
    CertFingerprint(Sha256::digest(der).into())
}

pub(crate) fn load(files: &TlsFiles) -> Result<LoadedTls, ServerError> {
    let chain = CertificateDer::pem_file_iter(&files.cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|error| {
            bad(
                &files.cert,
                format!("cannot read a PEM certificate: {error}"),
            )
        })?;
    let Some(own) = chain.first() else {
        return Err(bad(&files.cert, "holds no certificate".into()));
    };
    let fingerprint = fingerprint(own);
    let key = PrivateKeyDer::from_pem_file(&files.key).map_err(|error| {
        bad(
            &files.key,
            format!("cannot read a PEM private key: {error}"),
        )
    })?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|error| bad(&files.cert, error.to_string()))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|error| {
            bad(
                &files.key,
                format!(
                    "does not fit the certificate in {}: {error}",
                    files.cert.display()
                ),
            )
        })?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(LoadedTls {
        acceptor: TlsAcceptor::from(Arc::new(config)),
        fingerprint,
    })
}

fn bad(path: &Path, reason: String) -> ServerError {
    ServerError::Tls {
        path: path.to_path_buf(),
        reason,
    }
}
