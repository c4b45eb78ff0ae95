//! Invite codes: an admin issues one, anyone holding it joins with its preset.

mod common;

use breakout_protocol::rest::{Invite, ParticipantCreated};
use common::{KEY, TestServer, quick_config};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invite_code_admits_people_with_its_preset() {
    let server = TestServer::start().await;
    let meeting = server.create_meeting(quick_config()).await;
    let response = server
        .http
        .post(server.url(&format!("/v1/meetings/{meeting}/invites")))
        .bearer_auth(KEY)
        .json(&serde_json::json!({"preset": "cohost"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let invite: Invite = response.json().await.unwrap();
    assert!(invite.link.contains(&invite.code));

    // No admin key needed to join with the code.
    let response = server
        .http
        .post(server.url("/v1/join"))
        .json(&serde_json::json!({"code": invite.code, "name": "Cora"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let joined: ParticipantCreated = response.json().await.unwrap();
    let mut ws = server.connect(&joined.token).await;
    let Ok(breakout_protocol::ws::Reply::State { view }) =
        ws.request(breakout_protocol::ws::Request::GetState).await
    else {
        panic!("state expected");
    };
    assert_eq!(view.you.name, "Cora");
    assert_eq!(view.you.role, breakout_core::Role::Cohost);

    let response = server
        .http
        .post(server.url("/v1/join"))
        .json(&serde_json::json!({"code": "wrong-code-here", "name": "Eve"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    let error: breakout_protocol::ApiError = response.json().await.unwrap();
    assert_eq!(error.code, "invalid_invite");

    let response = server
        .http
        .post(server.url(&format!("/v1/meetings/{meeting}/invites")))
        .bearer_auth(KEY)
        .json(&serde_json::json!({"preset": "emperor"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
}
