//! The server's TLS setting: a bad certificate or key stops the start with
//! a sentence naming the file, a client that never finishes its handshake
//! is let go after the header timeout, and join links carry `https://` and,
//! for a pinned certificate, its fingerprint.

use std::path::{Path, PathBuf};
use std::time::Duration;

use breakout_server::{Limits, Server, ServerConfig, ServerError, TlsFiles};
use tokio::io::AsyncReadExt;

fn config(dir: &Path, tls: TlsFiles) -> ServerConfig {
    ServerConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: dir.join("data"),
        admin_key: Some("tls-server-test".into()),
        public_url: None,
        tls: Some(tls),
        media: Default::default(),
        database: None,
        cluster: Default::default(),
    }
}

/// A self-signed pair written to `dir`.
fn self_signed(dir: &Path) -> (PathBuf, PathBuf) {
    let made = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert, made.cert.pem()).unwrap();
    std::fs::write(&key, made.key_pair.serialize_pem()).unwrap();
    (cert, key)
}

async fn start_error(config: ServerConfig) -> String {
    match Server::start(config).await {
        Err(error @ ServerError::Tls { .. }) => error.to_string(),
        Err(other) => panic!("expected a TLS error, got {other}"),
        Ok(_) => panic!("started with a bad TLS setting"),
    }
}

#[tokio::test]
async fn bad_files_are_named_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = self_signed(dir.path());
    let missing = dir.path().join("nope.pem");
    let garbage = dir.path().join("garbage.pem");
    std::fs::write(&garbage, "not a certificate").unwrap();
    let other_key = rcgen::KeyPair::generate().unwrap();
    let wrong_key = dir.path().join("other-key.pem");
    std::fs::write(&wrong_key, other_key.serialize_pem()).unwrap();

    let cases = [
        (missing.clone(), key.clone(), missing.clone()),
        (garbage.clone(), key.clone(), garbage.clone()),
        (cert.clone(), garbage.clone(), garbage.clone()),
        (cert.clone(), wrong_key.clone(), wrong_key.clone()),
    ];
    for (cert, key, named) in cases {
        let files = TlsFiles {
            cert,
            key,
            pin_in_links: false,
        };
        let sentence = start_error(config(dir.path(), files)).await;
        assert!(
            sentence.starts_with(&format!("TLS: {}: ", named.display())),
            "{sentence}"
        );
    }
}

#[tokio::test]
async fn a_client_that_never_finishes_the_handshake_is_let_go() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = self_signed(dir.path());
    let files = TlsFiles {
        cert,
        key,
        pin_in_links: false,
    };
    let limits = Limits {
        header_read_timeout: Duration::from_millis(300),
        ..Limits::default()
    };
    let server = Server::start_with_limits(config(dir.path(), files), limits)
        .await
        .unwrap();
    assert!(server.public_url().starts_with("https://"));
    let mut idle = tokio::net::TcpStream::connect(server.local_addr())
        .await
        .unwrap();
    // The server closes the socket: the read ends instead of waiting forever.
    let mut byte = [0u8; 1];
    let read = tokio::time::timeout(Duration::from_secs(30), idle.read(&mut byte))
        .await
        .expect("the server let the idle handshake go");
    assert_eq!(read.unwrap(), 0);
    server.shutdown().await;
}
