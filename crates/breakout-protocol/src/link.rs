//! Join links: `breakout://join?server=…&code=…` (an invite: anyone with it
//! may join) and `breakout://join?server=…&token=…` (one person's own
//! link). The server writes them, the app opens them; both use [`JoinLink`]
//! so they cannot drift apart.
//!
//! A server with a self-signed certificate (the app's own LAN server) adds
//! `fp=sha256:<hex>`, the certificate's fingerprint: the app then trusts that
//! certificate and no other, with no certificate authority involved.
//!
//! The same link travels by mail and chat as a web address the server
//! answers with a page that opens the app:
//! `https://<host:port>/join?<the same query>`. The app reads that form too
//! (pasted or opened); when its query names no server, the server is the one
//! the address points at.
//!
//! The server address stays readable in the link (`:` and `/` are left as
//! they are); anything that would end or break a query parameter is
//! percent-encoded.

use std::fmt;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

use crate::fingerprint::CertFingerprint;

/// The scheme of join links, which the desktop app registers.
pub const SCHEME: &str = "breakout";

/// What a query value keeps as is: unreserved characters and the ones a
/// URL needs to stay readable.
const VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b':')
    .remove(b'/');

/// A parsed or to-be-written join link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinLink {
    /// The server's address. Links the server writes always name it; a link
    /// typed by hand may not, and the app then asks for it.
    pub server: Option<String>,
    pub pass: JoinPass,
    /// The certificate the server must present, when it is self-signed.
    pub pin: Option<CertFingerprint>,
}

/// What lets the holder in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JoinPass {
    /// An invite code, redeemed with `POST /v1/join` for a participant of
    /// one's own.
    Invite(String),
    /// A participant's token, used on the WebSocket as is.
    Token(String),
}

/// Why a text is not a join link.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LinkError {
    #[error("it does not start with breakout:// nor is it an https://…/join? address")]
    NotALink,
    #[error("only breakout://join links can be opened")]
    NotJoin,
    #[error("the link carries neither an invite code nor a token")]
    NoPass,
    #[error("the link is not valid UTF-8 once decoded")]
    Encoding,
    #[error("the link's certificate fingerprint (fp=) is not sha256: and 64 hexadecimal digits")]
    Fingerprint,
}

impl JoinLink {
    pub fn invite(server: impl Into<String>, code: impl Into<String>) -> Self {
        JoinLink {
            server: Some(server.into()),
            pass: JoinPass::Invite(code.into()),
            pin: None,
        }
    }

    pub fn token(server: impl Into<String>, token: impl Into<String>) -> Self {
        JoinLink {
            server: Some(server.into()),
            pass: JoinPass::Token(token.into()),
            pin: None,
        }
    }

    /// The same link, pinning the server's certificate to `pin`.
    pub fn pinned(mut self, pin: Option<CertFingerprint>) -> Self {
        self.pin = pin;
        self
    }

    /// Whether `text` is meant as a link (starts with `breakout:`, any case,
    /// or is a web join address) rather than a bare invite code.
    pub fn looks_like_link(text: &str) -> bool {
        let text = text.trim();
        text.get(..SCHEME.len() + 1)
            .is_some_and(|head| head.eq_ignore_ascii_case(&format!("{SCHEME}:")))
            || web_form(text).is_some()
    }

    /// Reads a link. Empty parameters count as absent; a code wins over a
    /// token when a link carries both.
    pub fn parse(text: &str) -> Result<JoinLink, LinkError> {
        let text = text.trim();
        if !Self::looks_like_link(text) {
            return Err(LinkError::NotALink);
        }
        let (origin, query) = match web_form(text) {
            Some((origin, query)) => (Some(origin), query),
            None => {
                let rest = text[SCHEME.len() + 1..].trim_start_matches('/');
                let (target, query) = rest.split_once('?').unwrap_or((rest, ""));
                if !target.trim_end_matches('/').eq_ignore_ascii_case("join") {
                    return Err(LinkError::NotJoin);
                }
                (None, query)
            }
        };
        let query = query.split('#').next().unwrap_or_default();
        let mut server = None;
        let (mut code, mut token, mut pin) = (None, None, None);
        for pair in query.split('&') {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let value = percent_decode_str(&value.replace('+', " "))
                .decode_utf8()
                .map_err(|_| LinkError::Encoding)?
                .trim()
                .to_string();
            if value.is_empty() {
                continue;
            }
            let slot = match name {
                "server" => &mut server,
                "code" => &mut code,
                "token" => &mut token,
                "fp" => &mut pin,
                _ => continue,
            };
            slot.get_or_insert(value);
        }
        let pass = match (code, token) {
            (Some(code), _) => JoinPass::Invite(code),
            (None, Some(token)) => JoinPass::Token(token),
            (None, None) => return Err(LinkError::NoPass),
        };
        let pin = pin
            .map(|pin| pin.parse().map_err(|_| LinkError::Fingerprint))
            .transpose()?;
        let server = server.or(origin.map(String::from));
        Ok(JoinLink { server, pass, pin })
    }
}

/// `http(s)://<authority>/join?<query>` split into the server's origin and
/// the query; `None` for anything else.
fn web_form(text: &str) -> Option<(&str, &str)> {
    let scheme_end = text.find("://")?;
    let scheme = &text[..scheme_end];
    if !scheme.eq_ignore_ascii_case("https") && !scheme.eq_ignore_ascii_case("http") {
        return None;
    }
    let after = &text[scheme_end + 3..];
    let authority_len = after.find(['/', '?', '#']).unwrap_or(after.len());
    if authority_len == 0 {
        return None;
    }
    let origin = &text[..scheme_end + 3 + authority_len];
    let (path, query) = after[authority_len..].split_once('?')?;
    path.trim_end_matches('/')
        .eq_ignore_ascii_case("/join")
        .then_some((origin, query))
}

impl fmt::Display for JoinLink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{SCHEME}://join?")?;
        if let Some(server) = &self.server {
            write!(f, "server={}&", utf8_percent_encode(server, VALUE))?;
        }
        let (name, value) = match &self.pass {
            JoinPass::Invite(code) => ("code", code),
            JoinPass::Token(token) => ("token", token),
        };
        write!(f, "{name}={}", utf8_percent_encode(value, VALUE))?;
        if let Some(pin) = &self.pin {
            write!(f, "&fp={pin}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_keep_the_server_readable() {
        let link = JoinLink::invite("http://192.168.1.20:7800", "k7qm-xv3a-9dne");
        assert_eq!(
            link.to_string(),
            "breakout://join?server=http://192.168.1.20:7800&code=k7qm-xv3a-9dne"
        );
        let personal = JoinLink::token("http://h:7800", "secret");
        assert_eq!(
            personal.to_string(),
            "breakout://join?server=http://h:7800&token=secret"
        );
    }

    #[test]
    fn what_is_written_reads_back() {
        for link in [
            JoinLink::invite("http://10.0.0.2:7800", "abcd"),
            JoinLink::token("https://meet.example/base?x=1&y=2", "t+k/=&%"),
            JoinLink {
                server: None,
                pass: JoinPass::Invite("code with spaces".into()),
                pin: None,
            },
            JoinLink::invite("https://192.168.1.20:7800", "abcd")
                .pinned(Some(CertFingerprint([0xab; 32]))),
        ] {
            assert_eq!(JoinLink::parse(&link.to_string()), Ok(link));
        }
    }

    #[test]
    fn links_people_paste_are_read() {
        assert_eq!(
            JoinLink::parse(" BREAKOUT://join?server=http://h:1&code=abcd "),
            Ok(JoinLink::invite("http://h:1", "abcd"))
        );
        assert_eq!(
            JoinLink::parse("breakout://join?code=abcd&token=t"),
            Ok(JoinLink {
                server: None,
                pass: JoinPass::Invite("abcd".into()),
                pin: None,
            })
        );
        assert_eq!(
            JoinLink::parse("breakout://join?server=http://h:1&code=&token=t"),
            Ok(JoinLink::token("http://h:1", "t"))
        );
    }

    #[test]
    fn a_pinned_link_names_the_fingerprint() {
        let link = JoinLink::invite("https://10.0.0.2:7800", "abcd")
            .pinned(Some(CertFingerprint([0x01; 32])));
        assert_eq!(
            link.to_string(),
            format!(
                "breakout://join?server=https://10.0.0.2:7800&code=abcd&fp=sha256:{}",
                "01".repeat(32)
            )
        );
        assert_eq!(
            JoinLink::parse("breakout://join?code=abcd&fp=sha256:1234"),
            Err(LinkError::Fingerprint)
        );
    }

    #[test]
    fn web_join_addresses_carry_the_same_link() {
        let pin = CertFingerprint([0xcd; 32]);
        let link = JoinLink::invite("https://10.0.0.2:7800", "k7qm").pinned(Some(pin));
        let query = link.to_string().replace("breakout://join?", "");
        let web = format!("https://10.0.0.2:7800/join?{query}");
        assert!(JoinLink::looks_like_link(&web));
        assert_eq!(JoinLink::parse(&web), Ok(link.clone()));
        // A trailing slash, any case of scheme and path, a fragment.
        let web = format!("HTTPS://10.0.0.2:7800/Join/?{query}#top");
        assert_eq!(JoinLink::parse(&web), Ok(link));
        // Without `server=`, the server is the address the link points at.
        assert_eq!(
            JoinLink::parse("https://meet.example/join?token=t"),
            Ok(JoinLink::token("https://meet.example", "t"))
        );
        assert_eq!(
            JoinLink::parse("http://192.168.1.20:7800/join?code=abcd&server="),
            Ok(JoinLink::invite("http://192.168.1.20:7800", "abcd"))
        );
    }

    #[test]
    fn web_addresses_that_are_not_join_links_are_not_links() {
        for text in [
            "https://meet.example",
            "https://meet.example/",
            "https://meet.example/v1/join?code=x",
            "https:///join?code=x",
            "ftp://meet.example/join?code=x",
            "https://meet.example/joinme?code=x",
        ] {
            assert!(!JoinLink::looks_like_link(text), "{text}");
            assert_eq!(JoinLink::parse(text), Err(LinkError::NotALink), "{text}");
        }
        assert_eq!(
            JoinLink::parse("https://meet.example/join?server=https://x"),
            Err(LinkError::NoPass)
        );
    }

    #[test]
    fn what_is_not_a_join_link_says_why() {
        assert_eq!(JoinLink::parse("k7qm-xv3a"), Err(LinkError::NotALink));
        assert_eq!(
            JoinLink::parse("breakout://leave?server=http://h:1&code=x"),
            Err(LinkError::NotJoin)
        );
        assert_eq!(JoinLink::parse("breakout:"), Err(LinkError::NotJoin));
        assert_eq!(
            JoinLink::parse("breakout://join?server=http://h:1"),
            Err(LinkError::NoPass)
        );
        assert_eq!(
            JoinLink::parse("breakout://join?code=%FF"),
            Err(LinkError::Encoding)
        );
    }
}
