//! Invite codes: an admin issues one, anyone holding it joins with its preset.

mod common;

use breakout_core::{Command, EventBody};
use breakout_protocol::rest::{Admission, ParticipantCreated};
use breakout_server::{Limits, Rate};
use common::{KEY, TestServer, code, quick_config};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invite_code_admits_people_with_its_preset() {
    let server = TestServer::start().await;
    let meeting = server.create_meeting(quick_config()).await;
    let invite = server
        .invite(&meeting, serde_json::json!({"preset": "cohost"}))
        .await;
    assert!(invite.link.contains(&invite.code));

    // No admin key needed to join with the code.
    let response = server.join(&invite.code, "Cora").await;
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

/// Joins with `code`; the status and, on refusal, the error code.
async fn join(server: &TestServer, code: &str, name: &str) -> (u16, Option<String>) {
    let response = server.join(code, name).await;
    let status = response.status().as_u16();
    if status == 201 {
        return (status, None);
    }
    let error: breakout_protocol::ApiError = response.json().await.unwrap();
    assert!(!error.message.is_empty(), "refusals carry a sentence");
    (status, Some(error.code))
}

fn refused(status: u16, code: &str) -> (u16, Option<String>) {
    (status, Some(code.to_string()))
}

async fn set_admission(server: &TestServer, meeting: &str, body: serde_json::Value) -> Admission {
    let response = server
        .http
        .patch(server.url(&format!("/v1/meetings/{meeting}/admission")))
        .bearer_auth(KEY)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invite_stops_after_its_uses_and_at_its_expiry() {
    let server = TestServer::start().await;
    let meeting = server.create_meeting(quick_config()).await;
    let twice = server
        .invite(&meeting, serde_json::json!({"max_uses": 2}))
        .await;
    assert_eq!(twice.max_uses, Some(2));
    assert_eq!(join(&server, &twice.code, "A").await, (201, None));
    assert_eq!(join(&server, &twice.code, "B").await, (201, None));
    assert_eq!(
        join(&server, &twice.code, "C").await,
        refused(410, "invite_exhausted")
    );

    let brief = server
        .invite(&meeting, serde_json::json!({"expires_in_secs": 1}))
        .await;
    let expires_at = brief.expires_at.expect("an expiry");
    assert_eq!(join(&server, &brief.code, "D").await, (201, None));
    // Nothing to await but the clock: wait until the stated expiry.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    tokio::time::sleep(std::time::Duration::from_millis(
        expires_at.saturating_sub(now) + 1,
    ))
    .await;
    assert_eq!(
        join(&server, &brief.code, "E").await,
        refused(410, "invite_expired")
    );

    let response = server
        .http
        .post(server.url(&format!("/v1/meetings/{meeting}/invites")))
        .bearer_auth(KEY)
        .json(&serde_json::json!({"max_uses": 0}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);

    // An expiry beyond what a date can hold is refused, not a storage error.
    let response = server
        .http
        .post(server.url(&format!("/v1/meetings/{meeting}/invites")))
        .bearer_auth(KEY)
        .json(&serde_json::json!({"expires_in_secs": u64::MAX / 2}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let error: serde_json::Value = response.json().await.unwrap();
    assert_eq!(error["code"], "invalid_input", "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn joins_are_rate_limited_per_invite_and_per_address() {
    let server = TestServer::start_with_limits(Limits {
        invite_joins: Rate::new(0.001, 4.0),
        address_joins: Rate::new(0.001, 6.0),
        ..Limits::default()
    })
    .await;
    let meeting = server.create_meeting(quick_config()).await;
    let first = server.invite(&meeting, serde_json::json!({})).await;
    for i in 0..4 {
        assert_eq!(
            join(&server, &first.code, &format!("P{i}")).await,
            (201, None)
        );
    }
    assert_eq!(
        join(&server, &first.code, "P4").await,
        refused(429, "rate_limited")
    );
    // Another invite has its own budget, but this address is nearly spent.
    let second = server.invite(&meeting, serde_json::json!({})).await;
    assert_eq!(join(&server, &second.code, "Q0").await, (201, None));
    assert_eq!(
        join(&server, &second.code, "Q1").await,
        refused(429, "rate_limited")
    );
    // Guessing codes costs the same budget.
    assert_eq!(
        join(&server, "aaaa-bbbb-cccc", "Eve").await,
        refused(429, "rate_limited")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn capacity_and_lock_bound_invites_but_not_the_administrator() {
    let server = TestServer::start().await;
    let meeting = server.create_meeting(quick_config()).await;
    let host = server.add(&meeting, "Host", "host").await;
    let invite = server
        .invite(&meeting, serde_json::json!({"max_uses": 2}))
        .await;
    let admission = set_admission(&server, &meeting, serde_json::json!({"capacity": 2})).await;
    assert_eq!(
        admission,
        Admission {
            capacity: 2,
            locked: false
        }
    );

    assert_eq!(join(&server, &invite.code, "A").await, (201, None));
    assert_eq!(
        join(&server, &invite.code, "B").await,
        refused(409, "meeting_full")
    );
    // The administrator is not bound by the capacity.
    let cohost = server.add(&meeting, "Cohost", "cohost").await;
    let attendee = server.add(&meeting, "Att", "participant").await;

    // Host and cohost may lock; a participant may not.
    let mut attendee = server.connect(&attendee.token).await;
    assert_eq!(
        code(attendee.command(Command::SetLocked { locked: true }).await),
        "permission_denied"
    );
    let mut cohost = server.connect(&cohost.token).await;
    cohost
        .command(Command::SetCapacity { capacity: 100 })
        .await
        .expect("a cohost may change the capacity");
    let mut host = server.connect(&host.token).await;
    host.command(Command::SetLocked { locked: true })
        .await
        .expect("the host may lock");
    host.event(|e| matches!(e, EventBody::AdmissionChanged { locked: true, .. }))
        .await;
    // The refused join above did not spend the invite's second use.
    assert_eq!(
        join(&server, &invite.code, "B").await,
        refused(403, "meeting_locked")
    );
    server
        .add(&meeting, "Added while locked", "participant")
        .await;

    let admission = set_admission(&server, &meeting, serde_json::json!({"locked": false})).await;
    assert_eq!(
        admission,
        Admission {
            capacity: 100,
            locked: false
        }
    );
    assert_eq!(join(&server, &invite.code, "B").await, (201, None));
    assert_eq!(
        join(&server, &invite.code, "C").await,
        refused(410, "invite_exhausted")
    );
}
