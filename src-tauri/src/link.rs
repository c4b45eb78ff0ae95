//! What people paste into the Join form: a server address and an invite
//! code, or a join link (`breakout://join?server=…&code=…`, an invite as
//! the server makes them, or `…&token=…`, a personal link from
//! add-participant; the format is breakout-protocol's
//! [`JoinLink`]), or the same link as shared on the web
//! (`https://<server>/join?…`). Pure parsing, so every form is unit-tested.

use breakout_client::protocol::fingerprint::CertFingerprint;
use breakout_client::protocol::link::{JoinLink, JoinPass, LinkError};

use crate::IpcError;

/// Port of a server address typed without one ("192.168.1.20").
pub const DEFAULT_PORT: u16 = 7800;

/// Who to join as, once the input is understood: the server, always named,
/// and what lets us in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinTarget {
    /// `http(s)://host:port`, as [`server_address`] completes it.
    pub server: String,
    pub pass: JoinPass,
    /// The server's certificate, from the link's `fp=`.
    pub pin: Option<CertFingerprint>,
}

impl JoinTarget {
    /// The link that leads here, for passing on.
    pub fn link(&self) -> JoinLink {
        JoinLink {
            server: Some(self.server.clone()),
            pass: self.pass.clone(),
            pin: self.pin,
        }
    }
}

/// `server_field` may be empty when the invite is a link that names its server.
pub fn parse(server_field: &str, invite_field: &str) -> Result<JoinTarget, IpcError> {
    let invite = invite_field.trim();
    if invite.is_empty() {
        return Err(IpcError::new(
            "invalid_invite",
            "Enter an invite code or link.",
        ));
    }
    if !JoinLink::looks_like_link(invite) {
        return Ok(JoinTarget {
            server: server_address(server_field)?,
            pass: JoinPass::Invite(invite.to_string()),
            pin: None,
        });
    }
    let link = JoinLink::parse(invite).map_err(bad_link)?;
    // The field wins over the link: the link may name a LAN address that is
    // not the one this computer reaches the server by.
    let server = match (server_field.trim(), link.server) {
        ("", Some(server)) => server_address(&server)?,
        ("", None) => {
            return Err(IpcError::new(
                "invalid_link",
                "This link cannot be used: the link names no server; enter its address.",
            ));
        }
        (field, _) => server_address(field)?,
    };
    Ok(JoinTarget {
        server,
        pass: link.pass,
        pin: link.pin,
    })
}

/// `http://host:port` from what people type: a bare host or `host:port`
/// gets `http://`, a bare host also the default port. Whatever the client's
/// URL rules refuse is refused here, with the reason.
pub fn server_address(field: &str) -> Result<String, IpcError> {
    let field = field.trim().trim_end_matches('/');
    if field.is_empty() {
        return Err(IpcError::new(
            "invalid_server",
            "Enter the server's address, e.g. 192.168.1.20:7800.",
        ));
    }
    let with_scheme = if field.contains("://") {
        field.to_string()
    } else {
        format!("http://{field}")
    };
    let mut url = breakout_client::server_url::http_base(&with_scheme)?;
    if !field.contains("://") && url.port().is_none() {
        let _ = url.set_port(Some(DEFAULT_PORT));
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

fn bad_link(error: LinkError) -> IpcError {
    IpcError::new(
        "invalid_link",
        format!("This link cannot be used: {error}."),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invite(server: &str, code: &str) -> JoinTarget {
        JoinTarget {
            server: server.into(),
            pass: JoinPass::Invite(code.into()),
            pin: None,
        }
    }

    #[test]
    fn a_code_needs_the_server_field() {
        assert_eq!(
            parse("192.168.1.20:7800", " k7qm-xv3a-9dne ").unwrap(),
            invite("http://192.168.1.20:7800", "k7qm-xv3a-9dne")
        );
        assert_eq!(parse("", "k7qm").unwrap_err().code, "invalid_server");
        assert_eq!(parse("h:1", "  ").unwrap_err().code, "invalid_invite");
    }

    #[test]
    fn addresses_are_completed_the_way_people_type_them() {
        let cases = [
            ("192.168.1.20", "http://192.168.1.20:7800"),
            ("meet.local:9000", "http://meet.local:9000"),
            ("https://meet.example", "https://meet.example"),
            ("http://10.0.0.2:7800/", "http://10.0.0.2:7800"),
            ("ws://10.0.0.2:7800/v1/ws", "http://10.0.0.2:7800"),
        ];
        for (typed, expected) in cases {
            assert_eq!(server_address(typed).unwrap(), expected, "{typed}");
        }
        assert_eq!(
            server_address("ftp://x").unwrap_err().code,
            "invalid_server"
        );
    }

    #[test]
    fn invite_links_carry_server_and_code() {
        let link = "breakout://join?server=http://192.168.1.20:7800&code=k7qm-xv3a-9dne";
        assert_eq!(
            parse("", link).unwrap(),
            invite("http://192.168.1.20:7800", "k7qm-xv3a-9dne")
        );
        // Scheme case does not matter; the typed server overrides the link's.
        let link = "BREAKOUT://join?server=http://10.0.0.9:7800&code=abcd";
        assert_eq!(
            parse("127.0.0.1:7801", link).unwrap(),
            invite("http://127.0.0.1:7801", "abcd")
        );
    }

    #[test]
    fn personal_links_carry_a_token() {
        let link = "breakout://join?server=http://h:7800&token=secret";
        assert_eq!(
            parse("", link).unwrap(),
            JoinTarget {
                server: "http://h:7800".into(),
                pass: JoinPass::Token("secret".into()),
                pin: None,
            }
        );
    }

    #[test]
    fn a_target_passes_on_as_the_link_it_came_from() {
        let link = "breakout://join?server=http://192.168.1.20:7800&code=k7qm";
        assert_eq!(parse("", link).unwrap().link().to_string(), link);
        let pinned = format!(
            "breakout://join?server=https://192.168.1.20:7800&code=k7qm&fp=sha256:{}",
            "ab".repeat(32)
        );
        let target = parse("", &pinned).unwrap();
        assert_eq!(target.pin, Some(CertFingerprint([0xab; 32])));
        assert_eq!(target.link().to_string(), pinned);
    }

    #[test]
    fn web_join_addresses_are_links_too() {
        let pinned = format!(
            "https://192.168.1.20:7800/join?server=https://192.168.1.20:7800&code=k7qm&fp=sha256:{}",
            "ab".repeat(32)
        );
        let target = parse("", &pinned).unwrap();
        assert_eq!(target.server, "https://192.168.1.20:7800");
        assert_eq!(target.pass, JoinPass::Invite("k7qm".into()));
        assert_eq!(target.pin, Some(CertFingerprint([0xab; 32])));
        assert_eq!(
            parse("", " https://meet.example/join?code=abcd ").unwrap(),
            JoinTarget {
                server: "https://meet.example".into(),
                pass: JoinPass::Invite("abcd".into()),
                pin: None,
            }
        );
        // A bare web address is no link: it needs a code, and says so.
        assert_eq!(
            parse("", "https://meet.example").unwrap_err().code,
            "invalid_server"
        );
    }

    #[test]
    fn broken_links_say_why() {
        for link in [
            "breakout://join?code=abcd",
            "breakout://join?server=http://h:1",
            "breakout://leave?server=http://h:1&code=x",
            "breakout:",
        ] {
            let error = parse("", link).unwrap_err();
            assert!(
                matches!(error.code.as_str(), "invalid_link"),
                "{link}: {error}"
            );
        }
    }
}
