//! Stopping a server the way a service manager does (SIGTERM) while
//! breakouts run: it takes no new meetings, the round goes on, and the
//! process exits by itself once the round has ended.

use breakout_core::{BreakoutConfig, Command, EventBody, RoomId};
use breakout_e2e::{Bot, KEY, ServerProcess, free_port};

fn moved_to(target: RoomId) -> impl Fn(&EventBody) -> bool {
    move |e| matches!(e, EventBody::MeetingChanged { room, .. } if *room == target)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_drains_a_running_round_then_exits() {
    let data = tempfile::tempdir().unwrap();
    let mut server = ServerProcess::start(data.path(), free_port()).await;
    let meeting = server
        .create_meeting(BreakoutConfig {
            move_countdown_secs: 0,
            closing_countdown_secs: 0,
            ..BreakoutConfig::default()
        })
        .await;
    let host_id = server.add(&meeting, "Host", "host").await;
    let ada_id = server.add(&meeting, "Ada", "participant").await;
    let mut host = Bot::join(&server, "Host", &host_id).await;
    let mut ada = Bot::join(&server, "Ada", &ada_id).await;
    host.command(Command::CreateRooms {
        count: 1,
        names: vec![],
    })
    .await
    .expect("create rooms");
    host.command(Command::Assign {
        participant: ada_id.participant,
        room: Some(RoomId(1)),
    })
    .await
    .expect("assign");
    host.command(Command::Start).await.expect("start");
    ada.event(moved_to(RoomId(1))).await;

    server.terminate();
    // New meetings are refused once the signal is handled.
    let refusal = loop {
        let answer = server
            .http
            .post(server.url("/v1/meetings"))
            .bearer_auth(KEY)
            .json(&serde_json::json!({"title": "late"}))
            .send()
            .await
            .expect("the server still answers");
        if answer.status() == reqwest::StatusCode::SERVICE_UNAVAILABLE {
            break answer
                .json::<serde_json::Value>()
                .await
                .expect("JSON error");
        }
        assert!(
            answer.status().is_success(),
            "unexpected {}",
            answer.status()
        );
        tokio::task::yield_now().await;
    };
    assert_eq!(refusal["code"], "server_draining", "{refusal}");
    assert!(
        refusal["message"]
            .as_str()
            .is_some_and(|m| m.contains("shutting down")),
        "{refusal}"
    );

    // The round goes on: the room still talks, the process still runs.
    ada.command(Command::Chat {
        text: "still here".into(),
    })
    .await
    .expect("chat during the drain");
    assert!(
        !server.has_exited(),
        "the server left during a running round"
    );

    // Ending the round lets the process finish on its own, cleanly.
    host.command(Command::End).await.expect("end");
    ada.event(moved_to(RoomId::MAIN)).await;
    let status = server.exit_status().await;
    assert!(status.success(), "the server exited with {status}");
}
