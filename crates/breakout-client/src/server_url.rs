//! One server address, two schemes: people type `http://host:7800`, the REST
//! client wants that and the socket wants `ws://host:7800/v1/ws`.

use reqwest::Url;

use crate::ClientError;
use breakout_protocol::{MEDIA_TUNNEL_PATH, WS_PATH};

/// The HTTP base of a server (`ws://` and `wss://` are accepted and mapped
/// back), without query or fragment and with a path that ends in `/`, so
/// REST paths can be appended to it. A path prefix (a server behind a reverse
/// proxy at `/breakout/`) is kept.
pub fn http_base(server: &str) -> Result<Url, ClientError> {
    let mut url = parse(server)?;
    let scheme = match url.scheme() {
        "http" | "ws" => "http",
        "https" | "wss" => "https",
        other => return Err(invalid(server, format!("unsupported scheme {other:?}"))),
    };
    set_scheme(&mut url, scheme, server)?;
    url.set_query(None);
    url.set_fragment(None);
    let path = url.path().trim_end_matches(WS_PATH).trim_end_matches('/');
    let path = format!("{path}/");
    url.set_path(&path);
    Ok(url)
}

/// The WebSocket endpoint of a server: `http` becomes `ws`, `https` becomes
/// `wss`, and [`WS_PATH`] is appended unless the URL already ends with it.
pub fn ws_url(server: &str) -> Result<Url, ClientError> {
    let mut url = http_base(server)?;
    let scheme = if url.scheme() == "https" { "wss" } else { "ws" };
    set_scheme(&mut url, scheme, server)?;
    let path = format!("{}{}", url.path().trim_end_matches('/'), WS_PATH);
    url.set_path(&path);
    Ok(url)
}

/// The media tunnel's endpoint: [`ws_url`] with [`MEDIA_TUNNEL_PATH`].
pub fn media_tunnel_url(server: &str) -> Result<Url, ClientError> {
    let mut url = ws_url(server)?;
    let path = format!(
        "{}{}",
        url.path().trim_end_matches(WS_PATH),
        MEDIA_TUNNEL_PATH
    );
    url.set_path(&path);
    Ok(url)
}

fn parse(server: &str) -> Result<Url, ClientError> {
    let url = Url::parse(server).map_err(|e| invalid(server, e.to_string()))?;
    if url.host_str().is_none() {
        return Err(invalid(server, "no host".into()));
    }
    Ok(url)
}

fn set_scheme(url: &mut Url, scheme: &str, server: &str) -> Result<(), ClientError> {
    url.set_scheme(scheme)
        .map_err(|()| invalid(server, format!("cannot use scheme {scheme}")))
}

fn invalid(server: &str, reason: String) -> ClientError {
    ClientError::InvalidUrl {
        url: server.to_owned(),
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_becomes_ws_with_the_endpoint_path() {
        let cases = [
            ("http://127.0.0.1:7800", "ws://127.0.0.1:7800/v1/ws"),
            ("http://127.0.0.1:7800/", "ws://127.0.0.1:7800/v1/ws"),
            ("https://meet.example/", "wss://meet.example/v1/ws"),
            ("ws://h:1/v1/ws", "ws://h:1/v1/ws"),
            ("http://h/prefix/", "ws://h/prefix/v1/ws"),
            ("http://h/?token=secret#x", "ws://h/v1/ws"),
        ];
        for (given, expected) in cases {
            assert_eq!(ws_url(given).unwrap().as_str(), expected, "{given}");
        }
    }

    #[test]
    fn the_media_tunnel_sits_beside_the_socket() {
        let cases = [
            (
                "http://127.0.0.1:7800",
                "ws://127.0.0.1:7800/v1/media-tunnel",
            ),
            (
                "https://meet.example/prefix/",
                "wss://meet.example/prefix/v1/media-tunnel",
            ),
            ("wss://h/v1/ws", "wss://h/v1/media-tunnel"),
        ];
        for (given, expected) in cases {
            assert_eq!(
                media_tunnel_url(given).unwrap().as_str(),
                expected,
                "{given}"
            );
        }
    }

    #[test]
    fn ws_becomes_http_base() {
        let cases = [
            ("ws://h:1/v1/ws", "http://h:1/"),
            ("wss://h/prefix/v1/ws", "https://h/prefix/"),
            ("http://h:7800", "http://h:7800/"),
        ];
        for (given, expected) in cases {
            assert_eq!(http_base(given).unwrap().as_str(), expected, "{given}");
        }
    }

    #[test]
    fn nonsense_is_refused() {
        for bad in ["", "127.0.0.1:7800", "ftp://h/", "unix:/tmp/x"] {
            assert!(
                matches!(http_base(bad), Err(ClientError::InvalidUrl { .. })),
                "{bad}"
            );
        }
    }
}
