//! The core's rules as seen through the real server: ranks, names, the
//! answers of `create_rooms`, chat of deleted rooms, and refusals that read
//! as sentences.

mod common;

use breakout_core::{Command, EventBody, RoomId};
use breakout_protocol::ApiError;
use breakout_protocol::ws::{Reply, Request};
use common::{TestServer, code, quick_config};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cohost_cannot_remove_the_host() {
    let server = TestServer::start().await;
    let meeting = server.create_meeting(quick_config()).await;
    let host = server.add(&meeting, "Hana", "host").await;
    let cohost = server.add(&meeting, "Cole", "cohost").await;
    let mut host_ws = server.connect(&host.token).await;
    let mut cohost_ws = server.connect(&cohost.token).await;

    let refused = cohost_ws
        .command(Command::RemoveParticipant {
            participant: host.participant,
        })
        .await
        .expect_err("a cohost removing the host is refused");
    assert_eq!(refused.code, "permission_denied");
    assert_eq!(
        refused.message,
        format!(
            "you may not remove {}: a host stands above a cohost",
            host.participant
        )
    );
    let refused = cohost_ws
        .command(Command::MuteParticipant {
            participant: host.participant,
        })
        .await
        .expect_err("a cohost muting the host is refused");
    assert_eq!(refused.code, "permission_denied");

    // The host's socket is still up and their token still admits them.
    assert!(matches!(
        host_ws.request(Request::Ping).await,
        Ok(Reply::Pong { .. })
    ));
    let mut again = server.connect(&host.token).await;
    assert!(matches!(
        again.request(Request::Ping).await,
        Ok(Reply::Pong { .. })
    ));

    // The other way round is allowed (the new socket replaced the old one).
    again
        .command(Command::RemoveParticipant {
            participant: cohost.participant,
        })
        .await
        .expect("the host removes the cohost");
}

async fn add_named(server: &TestServer, meeting: &str, name: &str) -> (u16, ApiError) {
    let response = server
        .http
        .post(server.url(&format!("/v1/meetings/{meeting}/participants")))
        .bearer_auth(common::KEY)
        .json(&serde_json::json!({"name": name, "preset": "participant"}))
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_are_checked_wherever_they_enter() {
    let server = TestServer::start().await;
    let meeting = server.create_meeting(quick_config()).await;
    for name in [
        "Eve\u{0}",
        "\u{1b}[2JEve",
        "Eve\nHost",
        "\u{202e}tsoH",
        "\u{200b}\u{200b}",
    ] {
        let (status, error) = add_named(&server, &meeting, name).await;
        assert_eq!(
            (status, error.code.as_str()),
            (400, "invalid_name"),
            "{name:?}"
        );
        assert!(error.message.starts_with("the name "), "{}", error.message);
    }
    let added = server.add(&meeting, "  Ann \t Lee ", "participant").await;
    let mut ws = server.connect(&added.token).await;
    let Ok(Reply::State { view }) = ws.request(Request::GetState).await else {
        panic!("state expected");
    };
    assert_eq!(view.you.name, "Ann Lee");

    let invite = server
        .invite(&meeting, serde_json::json!({"preset": "participant"}))
        .await;
    let response = server.join(&invite.code, "Host\u{2066} (host)").await;
    assert_eq!(response.status(), 400);
    let error: ApiError = response.json().await.unwrap();
    assert_eq!(error.code, "invalid_name");

    let response = server
        .http
        .post(server.url("/v1/meetings"))
        .bearer_auth(common::KEY)
        .json(&serde_json::json!({"title": "Sync\u{7}"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let error: ApiError = response.json().await.unwrap();
    assert_eq!(error.code, "invalid_name");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_rooms_answers_with_the_new_ids() {
    let server = TestServer::start().await;
    let meeting = server.create_meeting(quick_config()).await;
    let host = server.add(&meeting, "Hana", "host").await;
    let mut ws = server.connect(&host.token).await;
    let first = ws
        .command(Command::CreateRooms {
            count: 2,
            names: vec!["Red".into()],
        })
        .await
        .unwrap();
    assert_eq!(
        first,
        Reply::RoomsCreated {
            rooms: vec![RoomId(1), RoomId(2)]
        }
    );
    let again = ws
        .command(Command::CreateRooms {
            count: 1,
            names: vec![],
        })
        .await
        .unwrap();
    assert_eq!(
        again,
        Reply::RoomsCreated {
            rooms: vec![RoomId(3)]
        }
    );
    let added = ws
        .command(Command::AddRoom {
            title: None,
            open: true,
        })
        .await
        .unwrap();
    assert_eq!(
        added,
        Reply::RoomsCreated {
            rooms: vec![RoomId(4)]
        }
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_chat_of_a_deleted_room_is_not_found() {
    let server = TestServer::start().await;
    let meeting = server.create_meeting(quick_config()).await;
    let host = server.add(&meeting, "Hana", "host").await;
    let mut ws = server.connect(&host.token).await;
    ws.command(Command::CreateRooms {
        count: 2,
        names: vec![],
    })
    .await
    .unwrap();
    ws.command(Command::DeleteRoom { room: RoomId(1) })
        .await
        .unwrap();
    let refused = ws
        .request(Request::GetChat {
            room: Some(RoomId(1)),
        })
        .await;
    assert_eq!(code(refused), "room_not_found");
    assert!(matches!(
        ws.request(Request::GetChat {
            room: Some(RoomId(2))
        })
        .await,
        Ok(Reply::Chat { .. })
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_help_cooldown_says_how_long_to_wait() {
    let server = TestServer::start().await;
    let meeting = server.create_meeting(quick_config()).await;
    let host = server.add(&meeting, "Hana", "host").await;
    let ann = server.add(&meeting, "Ann", "participant").await;
    let mut host_ws = server.connect(&host.token).await;
    let mut ann_ws = server.connect(&ann.token).await;
    host_ws
        .command(Command::CreateRooms {
            count: 1,
            names: vec![],
        })
        .await
        .unwrap();
    host_ws
        .command(Command::Assign {
            participant: ann.participant,
            room: Some(RoomId(1)),
        })
        .await
        .unwrap();
    host_ws.command(Command::Start).await.unwrap();
    ann_ws
        .event(|e| matches!(e, EventBody::MeetingChanged { room, .. } if *room == RoomId(1)))
        .await;
    ann_ws.command(Command::RequestHelp).await.unwrap();
    let refused = ann_ws
        .command(Command::RequestHelp)
        .await
        .expect_err("a second request is refused");
    assert_eq!(refused.code, "help_cooldown");
    // The wait is 10 s less the time between the two requests.
    let wait: u64 = refused
        .message
        .strip_prefix("you already asked for help; you can ask again in ")
        .and_then(|rest| rest.strip_suffix(" s"))
        .unwrap_or_else(|| panic!("{}", refused.message))
        .parse()
        .unwrap();
    assert!((1..=10).contains(&wait), "{wait}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_lists_what_a_json_body_can_be_refused_with() {
    let server = TestServer::start().await;
    let doc: serde_json::Value = server.get("/v1/openapi.json").await;
    let responses = &doc["paths"]["/v1/meetings"]["post"]["responses"];
    for status in ["422", "415"] {
        assert!(
            responses.get(status).is_some(),
            "POST /v1/meetings does not document {status}: {responses}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_carry_their_status_and_code() {
    let server = TestServer::start().await;
    let meeting = server.create_meeting(quick_config()).await;
    let cases = [
        (
            server
                .http
                .get(server.url("/v1/meetings/nope"))
                .bearer_auth(common::KEY),
            404,
            "meeting_not_found",
        ),
        (server.http.get(server.url("/v1/nowhere")), 404, "not_found"),
        (
            server.http.delete(server.url("/v1/health")),
            405,
            "method_not_allowed",
        ),
        (
            server.http.get(server.url("/v1/meetings")),
            401,
            "unauthorized",
        ),
        (
            server
                .http
                .post(server.url(&format!("/v1/meetings/{meeting}/invites")))
                .bearer_auth(common::KEY)
                .json(&serde_json::json!({"preset": "king"})),
            400,
            "unknown_preset",
        ),
        (
            server
                .http
                .delete(server.url(&format!("/v1/meetings/{meeting}/participants/999")))
                .bearer_auth(common::KEY),
            404,
            "unknown_participant",
        ),
        (
            server
                .http
                .post(server.url("/v1/join"))
                .json(&serde_json::json!({"code": "x", "name": "Al"})),
            403,
            "invalid_invite",
        ),
    ];
    for (request, status, wanted) in cases {
        let response = request.send().await.unwrap();
        let got = response.status().as_u16();
        let error: ApiError = response.json().await.unwrap();
        assert_eq!(
            (got, error.code.as_str()),
            (status, wanted),
            "{}",
            error.message
        );
    }
}
