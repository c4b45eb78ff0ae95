//! The https join link people share by mail or chat: the server answers it
//! with a self-contained page that opens the same `breakout://` link, with
//! whatever the query holds escaped, and refuses what is not a join link.

mod common;

use breakout_protocol::link::JoinLink;
use common::{TestServer, quick_config};

async fn page(server: &TestServer, query: &str) -> reqwest::Response {
    server
        .http
        .get(server.url(&format!("/join?{query}")))
        .send()
        .await
        .unwrap()
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[tokio::test]
async fn an_invite_web_link_opens_the_same_app_link() {
    let server = TestServer::start().await;
    let meeting = server.create_meeting(quick_config()).await;
    let invite = server
        .invite(&meeting, serde_json::json!({"preset": "participant"}))
        .await;
    let public = format!("http://{}", server.addr);
    assert_eq!(
        invite.web_link,
        format!("{public}/join?code={}", invite.code),
        "the invite hands out the https form"
    );

    let response = server.http.get(&invite.web_link).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    assert_eq!(headers["content-type"], "text/html; charset=utf-8");
    let policy = headers["content-security-policy"].to_str().unwrap();
    assert!(policy.starts_with("default-src 'none'"), "{policy}");
    assert!(policy.contains("script-src 'sha256-"), "{policy}");
    assert_eq!(headers["referrer-policy"], "no-referrer");
    let html = response.text().await.unwrap();
    // Exactly the link the invite's own `link` field holds.
    assert!(
        html.contains(&format!("href=\"{}\"", html_escape(&invite.link))),
        "{html}"
    );
    assert!(!html.contains("src="), "loads nothing: {html}");
    assert!(!html.contains("http-equiv"), "{html}");
}

#[tokio::test]
async fn the_pin_travels_and_hostile_input_is_escaped() {
    let server = TestServer::start().await;
    let fp = format!("sha256:{}", "ab".repeat(32));
    let hostile = "\"><script>alert(1)</script>";
    let query = format!(
        "code={}&fp={fp}&server=https://elsewhere.example",
        percent_encode(hostile)
    );
    let response = page(&server, &query).await;
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    let expected = JoinLink::invite(format!("http://{}", server.addr), hostile)
        .pinned(Some(fp.parse().unwrap()))
        .to_string();
    assert!(
        html.contains(&format!("href=\"{}\"", html_escape(&expected))),
        "{html}"
    );
    assert!(html.contains(&format!("&amp;fp={fp}")), "{html}");
    assert!(!html.contains("alert(1)</script>"), "{html}");
    assert_eq!(html.matches("<script>").count(), 1, "only the page's own");
    assert!(!html.contains("elsewhere.example"), "{html}");
}

#[tokio::test]
async fn malformed_links_are_refused_with_a_sentence() {
    let server = TestServer::start().await;
    let long = "x".repeat(300);
    for query in [
        "",
        "fp=sha256:00",
        "code=abc&fp=md5:1234",
        "code=%FF%FE",
        &format!("code={long}"),
    ] {
        let response = page(&server, query).await;
        assert_eq!(response.status(), 400, "{query:?}");
        let error: serde_json::Value = response.json().await.unwrap();
        assert_eq!(error["code"], "bad_request", "{query:?}: {error}");
        assert!(
            error["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("this join link is not valid")),
            "{error}"
        );
    }
}

fn percent_encode(text: &str) -> String {
    text.bytes().map(|b| format!("%{b:02X}")).collect()
}
