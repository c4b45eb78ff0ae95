//! Assignments CSV over REST, through a real server: files far larger than a
//! WebSocket frame import, a preview changes nothing, and only managers may
//! use either.

mod common;

use std::collections::BTreeMap;

use breakout_protocol::ApiError;
use breakout_protocol::rest::{AssignmentsCsvOutcome, ParticipantCreated, RoomsOverview};
use common::{KEY, TestServer, quick_config};

async fn add_with_email(
    server: &TestServer,
    meeting: &str,
    name: &str,
    email: &str,
    preset: &str,
) -> ParticipantCreated {
    let response = server
        .http
        .post(server.url(&format!("/v1/meetings/{meeting}/participants")))
        .bearer_auth(KEY)
        .json(&serde_json::json!({"name": name, "email": email, "preset": preset}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201, "adding {name}");
    response.json().await.unwrap()
}

async fn post_csv(
    server: &TestServer,
    meeting: &str,
    token: Option<&str>,
    preview: bool,
    csv: String,
) -> reqwest::Response {
    let path = if preview {
        format!("/v1/meetings/{meeting}/assignments/csv/preview")
    } else {
        format!("/v1/meetings/{meeting}/assignments/csv")
    };
    let mut request = server
        .http
        .post(server.url(&path))
        .header("content-type", "text/csv; charset=utf-8")
        .body(csv);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

async fn outcome(response: reqwest::Response) -> AssignmentsCsvOutcome {
    let status = response.status();
    let text = response.text().await.unwrap();
    assert_eq!(status, 200, "{text}");
    serde_json::from_str(&text).expect("an outcome")
}

async fn refusal(response: reqwest::Response, status: u16) -> String {
    assert_eq!(response.status(), status);
    response
        .json::<ApiError>()
        .await
        .expect("an error body")
        .code
}

/// Each member's room title ("" for the main room) and the room titles.
async fn assignments(server: &TestServer, meeting: &str) -> BTreeMap<String, String> {
    let overview: RoomsOverview = server
        .admin_get(&format!("/v1/meetings/{meeting}/rooms"))
        .await;
    let titles: BTreeMap<_, _> = overview
        .rooms
        .iter()
        .map(|r| (r.id, r.title.clone()))
        .collect();
    overview
        .rooms
        .iter()
        .flat_map(|r| &r.members)
        .map(|m| {
            let room = m.assigned.map(|r| titles[&r].clone()).unwrap_or_default();
            (m.name.clone(), room)
        })
        .collect()
}

#[tokio::test]
async fn a_half_megabyte_csv_imports_over_rest() {
    let server = TestServer::start().await;
    let meeting = server.create_meeting(quick_config()).await;
    let host = server.add(&meeting, "Host", "host").await;
    const PEOPLE: usize = 400;
    for i in 0..PEOPLE {
        let name = format!("Person {i:04}");
        add_with_email(
            &server,
            &meeting,
            &name,
            &format!("p{i}@example.org"),
            "participant",
        )
        .await;
    }
    // Spreadsheets carry columns of their own; the import reads three.
    let mut csv = String::from("name,email,room,notes\n");
    let notes = "x".repeat(1200);
    for i in 0..PEOPLE {
        csv.push_str(&format!(
            "Person {i:04},p{i}@example.org,Table {},\"{notes}\"\n",
            i % 20
        ));
    }
    assert!(
        csv.len() > 480_000 && csv.len() > 7 * breakout_protocol::MAX_FRAME_BYTES,
        "{} bytes",
        csv.len()
    );

    let done =
        outcome(post_csv(&server, &meeting, Some(host.token.as_str()), false, csv).await).await;

    assert!(done.applied);
    assert_eq!(done.preview.rooms_created.len(), 20);
    assert_eq!(done.preview.changes.len(), PEOPLE);
    let now = assignments(&server, &meeting).await;
    for i in 0..PEOPLE {
        assert_eq!(now[&format!("Person {i:04}")], format!("Table {}", i % 20));
    }
}

#[tokio::test]
async fn a_preview_says_what_an_import_will_do_and_changes_nothing() {
    let server = TestServer::start().await;
    let meeting = server.create_meeting(quick_config()).await;
    let cohost = server.add(&meeting, "Cohost", "cohost").await;
    for (name, email) in [("Ana", "ana@x.org"), ("Bo", "bo@x.org"), ("Cy", "cy@x.org")] {
        add_with_email(&server, &meeting, name, email, "participant").await;
    }
    let first = "name,room\nAna,Red\nBo,Red\nCy,Red\n".to_string();
    outcome(post_csv(&server, &meeting, Some(cohost.token.as_str()), false, first).await).await;
    let before = assignments(&server, &meeting).await;

    let second = "email,room\nana@x.org,Red\nBO@X.ORG,Blue\ncy@x.org,\n".to_string();
    let preview = outcome(
        post_csv(
            &server,
            &meeting,
            Some(cohost.token.as_str()),
            true,
            second.clone(),
        )
        .await,
    )
    .await;

    assert!(!preview.applied);
    assert_eq!(preview.preview.rooms_created, vec!["Blue".to_string()]);
    let changes: Vec<_> = preview
        .preview
        .changes
        .iter()
        .map(|c| (c.name.as_str(), c.room.as_deref()))
        .collect();
    assert_eq!(changes, vec![("Bo", Some("Blue")), ("Cy", None)]);
    assert_eq!(preview.preview.unchanged, 1);
    assert_eq!(assignments(&server, &meeting).await, before);

    let done = outcome(
        post_csv(
            &server,
            &meeting,
            Some(cohost.token.as_str()),
            false,
            second,
        )
        .await,
    )
    .await;
    assert_eq!(done.preview, preview.preview);
    let after = assignments(&server, &meeting).await;
    assert_eq!(after["Ana"], "Red");
    assert_eq!(after["Bo"], "Blue");
    assert_eq!(after["Cy"], "");
}

#[tokio::test]
async fn only_managers_of_this_meeting_may_import_or_preview() {
    let server = TestServer::start().await;
    let meeting = server.create_meeting(quick_config()).await;
    let other = server.create_meeting(quick_config()).await;
    let someone = server.add(&meeting, "Someone", "participant").await;
    let presenter = server.add(&meeting, "Presenter", "presenter").await;
    let foreign_host = server.add(&other, "Elsewhere", "host").await;
    let before = assignments(&server, &meeting).await;
    let csv = || "name,room\nSomeone,Red\n".to_string();

    for preview in [false, true] {
        for token in [someone.token.as_str(), presenter.token.as_str()] {
            let response = post_csv(&server, &meeting, Some(token), preview, csv()).await;
            assert_eq!(refusal(response, 403).await, "permission_denied");
        }
        let response = post_csv(
            &server,
            &meeting,
            Some(foreign_host.token.as_str()),
            preview,
            csv(),
        )
        .await;
        assert_eq!(refusal(response, 403).await, "permission_denied");
        let response = post_csv(&server, &meeting, None, preview, csv()).await;
        assert_eq!(refusal(response, 401).await, "unauthorized");
        let response = post_csv(&server, &meeting, Some(KEY), preview, csv()).await;
        assert_eq!(refusal(response, 401).await, "unauthorized");
    }
    assert_eq!(assignments(&server, &meeting).await, before);
}

#[tokio::test]
async fn bad_files_are_refused_with_a_line_or_a_reason() {
    let server = TestServer::start().await;
    let meeting = server.create_meeting(quick_config()).await;
    let host = server.add(&meeting, "Host", "host").await;
    server.add(&meeting, "Ana", "participant").await;

    let response = post_csv(
        &server,
        &meeting,
        Some(host.token.as_str()),
        true,
        "name,room\n\nNobody,Red\n".into(),
    )
    .await;
    let status = response.status();
    let error: ApiError = response.json().await.unwrap();
    assert_eq!((status.as_u16(), error.code.as_str()), (400, "invalid_csv"));
    assert!(error.message.contains("line 3"), "{}", error.message);

    let response = server
        .http
        .post(server.url(&format!("/v1/meetings/{meeting}/assignments/csv")))
        .bearer_auth(&host.token)
        .json(&serde_json::json!({"csv": "name,room\nAna,Red\n"}))
        .send()
        .await
        .unwrap();
    assert_eq!(refusal(response, 415).await, "unsupported_media_type");

    let response = server
        .http
        .post(server.url(&format!("/v1/meetings/{meeting}/assignments/csv")))
        .bearer_auth(&host.token)
        .header("content-type", "text/csv")
        .body(b"name,room\nAna,R\xffd\n".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(refusal(response, 400).await, "invalid_csv");
}

#[tokio::test]
async fn the_openapi_document_lists_the_csv_endpoints() {
    let server = TestServer::start().await;
    let doc: serde_json::Value = server.get("/v1/openapi.json").await;
    for path in [
        "/v1/meetings/{id}/assignments/csv",
        "/v1/meetings/{id}/assignments/csv/preview",
    ] {
        let post = &doc["paths"][path]["post"];
        assert!(
            post["requestBody"]["content"]["text/csv"].is_object(),
            "{path}: {post}"
        );
        assert_eq!(
            post["security"][0]["participant_token"],
            serde_json::json!([])
        );
    }
    assert!(doc["components"]["securitySchemes"]["participant_token"].is_object());
    assert!(doc["components"]["schemas"]["AssignmentsCsvOutcome"].is_object());
}
