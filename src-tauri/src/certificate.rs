//! The hosted server's own certificate: self-signed, made on first start
//! and kept in the data directory, so its fingerprint (which invites carry
//! and guests pin) stays the same from one meeting to the next. LAN
//! meetings are encrypted with no certificate authority involved.

use std::io::Write;
use std::net::IpAddr;
use std::path::Path;

use breakout_server::TlsFiles;
use tracing::info;

use crate::IpcError;

const CERT_FILE: &str = "tls-cert.pem";
const KEY_FILE: &str = "tls-key.pem";

/// The certificate and key in `data_dir`, made for `lan` (and localhost)
/// when there are none yet.
pub fn load_or_create(data_dir: &Path, lan: IpAddr) -> Result<TlsFiles, IpcError> {
    let files = TlsFiles {
        cert: data_dir.join(CERT_FILE),
        key: data_dir.join(KEY_FILE),
        pin_in_links: true,
    };
    if files.cert.exists() && files.key.exists() {
        return Ok(files);
    }
    let names = vec![lan.to_string(), "127.0.0.1".into(), "localhost".into()];
    let made = rcgen::generate_simple_self_signed(names).map_err(|error| {
        IpcError::new(
            "server_start_failed",
            format!("Could not make this computer's meeting certificate: {error}."),
        )
    })?;
    std::fs::create_dir_all(data_dir)
        .and_then(|()| write_private(&files.key, made.key_pair.serialize_pem().as_bytes()))
        .and_then(|()| std::fs::write(&files.cert, made.cert.pem()))
        .map_err(|error| {
            IpcError::new(
                "server_start_failed",
                format!(
                    "Could not keep this computer's meeting certificate in {}: {error}.",
                    data_dir.display()
                ),
            )
        })?;
    info!(fingerprint = %breakout_server::fingerprint(made.cert.der()), "made a certificate");
    Ok(files)
}

/// Writes `bytes` to a file only its owner can read, from its creation on.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)?.write_all(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn made_once_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let lan: IpAddr = "192.168.1.20".parse().unwrap();
        let first = load_or_create(dir.path(), lan).unwrap();
        let cert = std::fs::read(&first.cert).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&first.key).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let again = load_or_create(dir.path(), "10.0.0.7".parse().unwrap()).unwrap();
        assert_eq!(std::fs::read(&again.cert).unwrap(), cert);
        assert!(first.pin_in_links);
    }
}
