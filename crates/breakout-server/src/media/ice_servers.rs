//! STUN and TURN servers handed to every client at join.
//!
//! TURN credentials follow the shared-secret scheme coturn implements
//! (`use-auth-secret`): the username is the expiry time and who it is for,
//! the password an HMAC-SHA1 of the username under the secret. The server
//! and the TURN server share only the secret; nothing is stored, and a
//! credential stops working when it expires.

use std::time::Duration;

use base64::Engine;
use breakout_core::ParticipantId;
use breakout_protocol::media::IceServer;
use hmac::{Hmac, Mac};

/// What the operator configured.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IceServersConfig {
    /// `stun:host:port` URLs.
    pub stun_urls: Vec<String>,
    /// `turn:` / `turns:` URLs of one TURN service sharing `turn_secret`.
    pub turn_urls: Vec<String>,
    pub turn_secret: Option<String>,
    /// How long a minted credential works (a meeting longer than this
    /// keeps its allocations; only new ones need a fresh credential).
    pub turn_ttl: Duration,
}

/// Why an ICE server configuration cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum IceConfigError {
    #[error("{0:?} is not a STUN URL (stun:host[:port])")]
    NotStun(String),
    #[error("{0:?} is not a TURN URL (turn:host[:port][?transport=udp|tcp] or turns:...)")]
    NotTurn(String),
    #[error("TURN URLs need the shared secret the TURN server checks credentials with")]
    TurnWithoutSecret,
}

impl IceServersConfig {
    pub const DEFAULT_TURN_TTL: Duration = Duration::from_secs(12 * 3600);

    /// Refuses URLs of the wrong kind and TURN without a secret.
    pub fn validate(&self) -> Result<(), IceConfigError> {
        if let Some(bad) = self
            .stun_urls
            .iter()
            .find(|u| !has_host(u, &["stun:", "stuns:"]))
        {
            return Err(IceConfigError::NotStun(bad.clone()));
        }
        if let Some(bad) = self
            .turn_urls
            .iter()
            .find(|u| !has_host(u, &["turn:", "turns:"]))
        {
            return Err(IceConfigError::NotTurn(bad.clone()));
        }
        if !self.turn_urls.is_empty() && self.turn_secret.is_none() {
            return Err(IceConfigError::TurnWithoutSecret);
        }
        Ok(())
    }

    /// The servers for one participant, TURN credentials valid from
    /// `now_unix` (seconds) for the configured time.
    pub fn for_participant(&self, participant: ParticipantId, now_unix: u64) -> Vec<IceServer> {
        let mut servers = Vec::new();
        if !self.stun_urls.is_empty() {
            servers.push(IceServer {
                urls: self.stun_urls.clone(),
                username: None,
                credential: None,
            });
        }
        if let (false, Some(secret)) = (self.turn_urls.is_empty(), &self.turn_secret) {
            let expires = now_unix + self.turn_ttl.as_secs();
            let username = format!("{expires}:p{}", participant.0);
            servers.push(IceServer {
                urls: self.turn_urls.clone(),
                credential: Some(turn_password(secret, &username)),
                username: Some(username),
            });
        }
        servers
    }
}

fn has_host(url: &str, schemes: &[&str]) -> bool {
    schemes
        .iter()
        .find_map(|scheme| url.strip_prefix(scheme))
        .is_some_and(|rest| !rest.is_empty() && !rest.starts_with(':') && !rest.starts_with('?'))
}

/// base64(HMAC-SHA1(secret, username)), the TURN REST password.
fn turn_password(secret: &str, username: &str) -> String {
    let mut mac =
        Hmac::<sha1::Sha1>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any size");
    mac.update(username.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> IceServersConfig {
        IceServersConfig {
            stun_urls: vec!["stun:stun.example.org:3478".into()],
            turn_urls: vec![
                "turn:turn.example.org:3478?transport=udp".into(),
                "turns:turn.example.org:443?transport=tcp".into(),
            ],
            turn_secret: Some("north-wind".into()),
            turn_ttl: Duration::from_secs(3600),
        }
    }

    #[test]
    fn turn_credentials_are_the_coturn_rest_scheme() {
        let servers = config().for_participant(ParticipantId(7), 1_800_000_000);
        assert_eq!(servers.len(), 2);
        assert_eq!(servers[0].urls, ["stun:stun.example.org:3478"]);
        assert_eq!(servers[0].username, None);
        let turn = &servers[1];
        assert_eq!(turn.username.as_deref(), Some("1800003600:p7"));
        // printf '1800003600:p7' | openssl dgst -sha1 -hmac north-wind -binary | base64
        assert_eq!(
            turn.credential.as_deref(),
            Some("WE4ruQpumEj6JjnHPkYyoEV+Z8A=")
        );
    }

    #[test]
    fn nothing_configured_hands_out_nothing() {
        assert!(
            IceServersConfig::default()
                .for_participant(ParticipantId(1), 0)
                .is_empty()
        );
        assert_eq!(IceServersConfig::default().validate(), Ok(()));
    }

    #[test]
    fn wrong_urls_and_turn_without_a_secret_are_refused() {
        let mut bad = config();
        bad.stun_urls = vec!["turn:x".into()];
        assert_eq!(
            bad.validate(),
            Err(IceConfigError::NotStun("turn:x".into()))
        );
        let mut bad = config();
        bad.turn_urls.push("http://x".into());
        assert_eq!(
            bad.validate(),
            Err(IceConfigError::NotTurn("http://x".into()))
        );
        let mut bad = config();
        bad.turn_secret = None;
        assert_eq!(bad.validate(), Err(IceConfigError::TurnWithoutSecret));
        assert_eq!(config().validate(), Ok(()));
    }
}
