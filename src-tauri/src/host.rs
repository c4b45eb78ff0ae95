//! Hosting on this computer: the room server runs in-process, listening on
//! all interfaces so others on the LAN can join, with its data (SQLite,
//! admin key) in the app's data directory. It speaks HTTPS and WSS with a
//! self-signed certificate (see [`crate::certificate`]) whose fingerprint
//! the invites carry.

use std::net::{IpAddr, Ipv4Addr, SocketAddr, UdpSocket};
use std::path::PathBuf;

use breakout_client::AdminApi;
use breakout_client::protocol::fingerprint::CertFingerprint;
use breakout_server::{Server, ServerConfig, ServerError, TlsFiles};
use tracing::{info, warn};

use crate::link::DEFAULT_PORT;

/// Overrides where the embedded server listens, e.g. `127.0.0.1:0` for a
/// machine that must not be reachable, or `0.0.0.0:0` in tests.
pub const LISTEN_ENV: &str = "BREAKOUT_APP_LISTEN";

/// The embedded server and an admin client for it.
pub struct Hosted {
    server: Server,
    pub admin: AdminApi,
    pub admin_key: String,
    /// Loopback address: how this app reaches its own server.
    pub local_url: String,
    /// LAN address: what the invite tells others.
    pub public_url: String,
    /// The server's certificate, which the invite pins.
    pub pin: Option<CertFingerprint>,
}

impl Hosted {
    /// Starts the server on port 7800 if it is free, else on any free port.
    pub async fn start(data_dir: PathBuf) -> Result<Hosted, crate::IpcError> {
        let lan = lan_address(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        let tls = crate::certificate::load_or_create(&data_dir, lan)?;
        let start = |listen| start_on(listen, &data_dir, tls.clone());
        let server = match std::env::var(LISTEN_ENV) {
            Ok(listen) => {
                let listen = listen.parse().map_err(|_| {
                    crate::IpcError::new(
                        "bad_config",
                        format!("{LISTEN_ENV}={listen:?} is not host:port"),
                    )
                })?;
                start(listen).await?
            }
            Err(_) => {
                let preferred = SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), DEFAULT_PORT);
                match start(preferred).await {
                    Err(ServerError::Bind { .. }) => {
                        info!("port {DEFAULT_PORT} is taken; using a free port");
                        start(SocketAddr::new(preferred.ip(), 0)).await?
                    }
                    other => other?,
                }
            }
        };
        let port = server.local_addr().port();
        let local_url = format!("https://127.0.0.1:{port}");
        let public_url = server.public_url().to_string();
        let pin = server.fingerprint();
        let admin_key = server.admin_key().to_string();
        let admin = AdminApi::pinned(&local_url, &admin_key, pin)?;
        info!(%public_url, "hosting");
        Ok(Hosted {
            server,
            admin,
            admin_key,
            local_url,
            public_url,
            pin,
        })
    }

    /// Deletes `meeting` (a hosted meeting ends with its host) and stops the
    /// server, which first closes every connection politely.
    pub async fn stop(self, meeting: Option<&str>) {
        if let Some(meeting) = meeting
            && let Err(error) = self.admin.delete_meeting(meeting).await
        {
            warn!(%error, "could not delete the hosted meeting");
        }
        self.server.shutdown().await;
    }
}

/// Starts the server on `listen`; port 0 means a free port, chosen first
/// because the join links the server makes must carry the real port.
async fn start_on(
    listen: SocketAddr,
    data_dir: &std::path::Path,
    tls: TlsFiles,
) -> Result<Server, ServerError> {
    let mut listen = listen;
    if listen.port() == 0 {
        let probe = std::net::TcpListener::bind(listen)
            .and_then(|l| l.local_addr())
            .map_err(|source| ServerError::Bind {
                addr: listen,
                source,
            })?;
        listen.set_port(probe.port());
    }
    Server::start(ServerConfig {
        listen,
        data_dir: data_dir.to_path_buf(),
        admin_key: None,
        // Join links must name the LAN address, not 0.0.0.0.
        public_url: Some(format!(
            "https://{}",
            SocketAddr::new(lan_address(listen.ip()), listen.port())
        )),
        tls: Some(tls),
        media: Default::default(),
        database: None,
        cluster: Default::default(),
    })
    .await
}

/// The address others reach `bound` at: itself if specific, else the
/// interface of the default route (found by "connecting" a UDP socket to a
/// documentation address: no packet leaves), else loopback.
fn lan_address(bound: IpAddr) -> IpAddr {
    if !bound.is_unspecified() {
        return bound;
    }
    let probe = || -> std::io::Result<IpAddr> {
        let socket = UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0))?;
        socket.connect((Ipv4Addr::new(192, 0, 2, 1), 9))?;
        Ok(socket.local_addr()?.ip())
    };
    match probe() {
        Ok(ip) if !ip.is_unspecified() => ip,
        _ => IpAddr::V4(Ipv4Addr::LOCALHOST),
    }
}

#[cfg(test)]
mod tests {
    use breakout_client::protocol::rest::{CreateInvite, CreateMeeting, JoinWithInvite};
    use breakout_client::protocol::ws::ServerMessage;
    use breakout_client::{ConnectOptions, Connection, join_with_invite_pinned};

    use super::*;

    /// What a guest does with the host's invite link: join over https and
    /// wss, trusting exactly the certificate the link pins.
    #[tokio::test]
    async fn guests_join_the_hosted_server_with_the_pin_from_the_invite() {
        let dir = tempfile::tempdir().unwrap();
        let hosted = Hosted::start(dir.path().to_path_buf()).await.unwrap();
        let pin = hosted.pin.expect("the hosted server pins its certificate");
        assert!(hosted.public_url.starts_with("https://"));
        let meeting = hosted
            .admin
            .create_meeting(&CreateMeeting {
                title: "LAN".into(),
                config: None,
            })
            .await
            .unwrap();
        let invite = hosted
            .admin
            .create_invite(
                &meeting.id,
                &CreateInvite {
                    preset: "participant".into(),
                    max_uses: None,
                    expires_in_secs: None,
                },
            )
            .await
            .unwrap();
        assert!(
            invite.link.ends_with(&format!("&fp={pin}")),
            "{}",
            invite.link
        );

        let target = crate::link::parse("", &invite.link).unwrap();
        assert_eq!(target.pin, Some(pin));
        let body = JoinWithInvite {
            code: invite.code.clone(),
            name: "Guest".into(),
            email: None,
        };
        let created = join_with_invite_pinned(&target.server, &body, target.pin)
            .await
            .unwrap();
        let options = ConnectOptions::default().pin(target.pin);
        let (conn, mut messages) =
            Connection::connect_with(&target.server, &created.token, options)
                .await
                .unwrap();
        assert!(matches!(
            messages.recv().await,
            Some(ServerMessage::Welcome { .. })
        ));
        conn.close().await;

        // A link whose pin is not this server's certificate is refused with
        // the sentence the app shows.
        let wrong = CertFingerprint([7; 32]);
        let error = join_with_invite_pinned(&target.server, &body, Some(wrong))
            .await
            .unwrap_err();
        let error = crate::IpcError::from(error);
        assert_eq!(error.code, "certificate_mismatch");
        assert!(
            error
                .message
                .starts_with("The server's certificate does not match the one in your invite"),
            "{}",
            error.message
        );
        hosted.stop(Some(&meeting.id)).await;

        // The next start serves the same certificate, so old invites still pin it.
        let again = Hosted::start(dir.path().to_path_buf()).await.unwrap();
        assert_eq!(again.pin, Some(pin));
        again.stop(None).await;
    }
}
