//! The https form of a join link, for mail and chat where a `breakout://`
//! link is not clickable: `<public URL>/join?code=…&fp=sha256:…` carries
//! what the `breakout://join` link carries (the server is the one serving
//! the page) and answers with a small page that opens the app, or says how
//! to install it.
//!
//! The page loads nothing from anywhere; its one script and style are
//! allowed by their hashes in the Content-Security-Policy, and every value
//! from the query is HTML-escaped.

use std::fmt::Write;
use std::sync::{Arc, LazyLock};

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use base64::Engine;
use breakout_protocol::ApiError;
use breakout_protocol::fingerprint::CertFingerprint;
use breakout_protocol::link::{JoinLink, JoinPass};
use sha2::{Digest, Sha256};
use utoipa::OpenApi;

use crate::error::ServerError;
use crate::http::AppState;

/// Where the page sends people who do not have the app yet.
const INSTALL_URL: &str = concat!(env!("CARGO_PKG_REPOSITORY"), "#joining-from-a-shared-link");

/// Longest invite code or token a link may carry; real ones are far shorter.
const MAX_PASS: usize = 256;

/// Opens the app's link once the page has loaded. It reads the link from the
/// page rather than carrying it, so the script stays one fixed text whose
/// hash the policy names.
const SCRIPT: &str = "window.location.href=document.getElementById(\"open\").href;";

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;\
padding:0 1rem;line-height:1.5;color:#222}a.button{display:inline-block;padding:.6rem 1.2rem;\
background:#2457c5;color:#fff;border-radius:.4rem;text-decoration:none}\
code{word-break:break-all;background:#f2f2f2;padding:.1rem .3rem}";

static POLICY: LazyLock<String> = LazyLock::new(|| {
    let hash = |text: &str| base64::engine::general_purpose::STANDARD.encode(Sha256::digest(text));
    format!(
        "default-src 'none'; script-src 'sha256-{}'; style-src 'sha256-{}'; \
         base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        hash(SCRIPT),
        hash(STYLE)
    )
});

pub fn routes() -> Router<Arc<AppState>> {
    Router::new().route("/join", get(page))
}

#[derive(OpenApi)]
#[openapi(paths(page))]
pub struct JoinPageDoc;

/// Adds this path to the main API document, as one of its modifiers.
impl utoipa::Modify for JoinPageDoc {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        openapi.merge(JoinPageDoc::openapi());
    }
}

/// The https link that leads to the same place as `breakout://` link
/// `pass` and `pin` make with this server.
pub fn web_link(public_url: &str, pass: JoinPass, pin: Option<CertFingerprint>) -> String {
    let app_link = JoinLink {
        server: None,
        pass,
        pin,
    }
    .to_string();
    // "breakout://join?code=…": the query is written by JoinLink alone.
    let query = app_link.split_once('?').map_or("", |(_, query)| query);
    format!("{}/join?{query}", public_url.trim_end_matches('/'))
}

/// A page that opens the desktop app on this invite (`code`) or personal
/// link (`token`), with the certificate pin (`fp`) when the link has one.
#[utoipa::path(get, path = "/join", security(()),
    params(
        ("code" = Option<String>, Query, description = "Invite code"),
        ("token" = Option<String>, Query, description = "A participant's own token, when there is no code"),
        ("fp" = Option<String>, Query, description = "sha256: and the server certificate's fingerprint in hex"),
    ),
    responses((status = 200, description = "The page", content_type = "text/html", body = String),
        (status = 400, body = ApiError, description = "bad_request: no code or token, or a malformed one")))]
async fn page(
    State(state): State<Arc<AppState>>,
    RawQuery(query): RawQuery,
) -> Result<impl IntoResponse, ServerError> {
    let link = app_link(&state.public_url, query.as_deref().unwrap_or_default())?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CONTENT_SECURITY_POLICY, POLICY.as_str()),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            // The address holds the invite code: no other site gets it.
            (header::REFERRER_POLICY, "no-referrer"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        render(&link.to_string()),
    ))
}

/// The `breakout://` link for this query, naming this server whatever the
/// query says: the page speaks for the server that serves it.
fn app_link(public_url: &str, query: &str) -> Result<JoinLink, ServerError> {
    let mut link = JoinLink::parse(&format!(
        "{}://join?{query}",
        breakout_protocol::link::SCHEME
    ))
    .map_err(|error| ServerError::BadRequest(format!("this join link is not valid: {error}")))?;
    let (JoinPass::Invite(pass) | JoinPass::Token(pass)) = &link.pass;
    if pass.chars().count() > MAX_PASS {
        return Err(ServerError::BadRequest(format!(
            "this join link is not valid: its code is longer than {MAX_PASS} characters"
        )));
    }
    link.server = Some(public_url.to_string());
    Ok(link)
}

fn render(link: &str) -> String {
    let link = escape(link);
    let install = escape(INSTALL_URL);
    let mut html = String::with_capacity(2048);
    let _ = write!(
        html,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<meta name=\"robots\" content=\"noindex\">\
<title>Join the meeting · Breakout</title><style>{STYLE}</style></head>\n<body>\
<h1>Joining the meeting…</h1>\
<p>Your browser should now ask to open Breakout. If nothing happens:</p>\
<p><a id=\"open\" class=\"button\" href=\"{link}\">Open in Breakout</a></p>\
<p>No Breakout app yet? Install it (on Debian or Ubuntu, the <code>breakout</code> .deb: \
<code>sudo apt install ./Breakout_*_amd64.deb</code>), then open this page again. \
<a href=\"{install}\">How to install Breakout</a>.</p>\
<p>Or paste this link into the app's start screen:<br><code>{link}</code></p>\
<script>{SCRIPT}</script>\n</body></html>\n"
    );
    html
}

/// Escapes text for an HTML element or a double- or single-quoted attribute.
fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_web_link_carries_what_the_app_link_carries() {
        let fingerprint = CertFingerprint([0xab; 32]);
        let pin = Some(fingerprint);
        let web = web_link(
            "https://meet.example.org/",
            JoinPass::Invite("k7qm-xv3a".into()),
            pin,
        );
        assert_eq!(
            web,
            format!(
                "https://meet.example.org/join?code=k7qm-xv3a&fp={}",
                fingerprint
            )
        );
        let query = web.split_once('?').unwrap().1;
        let link = app_link("https://meet.example.org", query).unwrap();
        assert_eq!(
            link,
            JoinLink::invite("https://meet.example.org", "k7qm-xv3a").pinned(pin)
        );
    }

    #[test]
    fn a_link_naming_another_server_still_opens_this_one() {
        let link = app_link("https://here.example", "server=https://evil.example&code=a").unwrap();
        assert_eq!(link.server.as_deref(), Some("https://here.example"));
    }

    #[test]
    fn the_install_help_is_an_absolute_address() {
        assert!(INSTALL_URL.starts_with("https://"), "{INSTALL_URL}");
    }

    #[test]
    fn escaping_covers_attributes_and_text() {
        assert_eq!(
            escape(r#""><script>'&"#),
            "&quot;&gt;&lt;script&gt;&#39;&amp;"
        );
    }
}
