//! Every host command, sent by a participant over a real WebSocket, is
//! refused with `permission_denied` and changes nothing.

mod common;

use breakout_core::{Audience, BreakoutConfig, Command, ParticipantId, RoomId};
use breakout_protocol::ws::{Reply, Request};
use common::{TestServer, code, quick_config};

fn host_commands(someone: ParticipantId) -> Vec<Command> {
    vec![
        Command::Configure {
            config: BreakoutConfig::default(),
        },
        Command::CreateRooms {
            count: 2,
            names: vec![],
        },
        Command::AddRoom {
            title: None,
            open: true,
        },
        Command::RenameRoom {
            room: RoomId(1),
            title: "x".into(),
        },
        Command::SetRoomOpen {
            room: RoomId(1),
            open: false,
        },
        Command::DeleteRoom { room: RoomId(1) },
        Command::ClearRooms,
        Command::Assign {
            participant: someone,
            room: Some(RoomId(1)),
        },
        Command::AutoAssign {
            seed: 1,
            minimise_repeats: false,
        },
        Command::ImportAssignments {
            csv: "name,room\nBo,Room 1\n".into(),
        },
        Command::KeepTogether {
            participants: vec![someone, ParticipantId(1)],
        },
        Command::KeepApart {
            participants: vec![someone, ParticipantId(1)],
        },
        Command::ClearConstraints,
        Command::Start,
        Command::Shuffle {
            seed: 1,
            minimise_repeats: false,
        },
        Command::RoundRobin,
        Command::Gather,
        Command::SendToRooms,
        Command::AskAllToReturn,
        Command::AddTime { minutes: 5 },
        Command::CancelAutoEnd,
        Command::End,
        Command::Broadcast {
            text: "hi".into(),
            room: None,
            audience: Audience::Everyone,
        },
        Command::Visit { room: RoomId(1) },
        Command::DismissHelp {
            participant: someone,
        },
        Command::MuteParticipant {
            participant: someone,
        },
        Command::RemoveParticipant {
            participant: ParticipantId(1),
        },
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn participants_cannot_perform_host_actions() {
    let server = TestServer::start().await;
    let meeting = server.create_meeting(quick_config()).await;
    let host = server.add(&meeting, "Host", "host").await;
    let bo = server.add(&meeting, "Bo", "participant").await;
    let mut host_ws = server.connect(&host.token).await;
    let mut bo_ws = server.connect(&bo.token).await;
    host_ws
        .command(Command::CreateRooms {
            count: 2,
            names: vec![],
        })
        .await
        .expect("host creates rooms");

    let before = server
        .http
        .get(server.url(&format!("/v1/meetings/{meeting}/rooms")))
        .bearer_auth(common::KEY)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for command in host_commands(bo.participant) {
        let name = command.name();
        assert_eq!(
            code(bo_ws.command(command).await),
            "permission_denied",
            "participant sent {name}"
        );
    }
    let after = server
        .http
        .get(server.url(&format!("/v1/meetings/{meeting}/rooms")))
        .bearer_auth(common::KEY)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(before, after, "refused commands changed the meeting");

    // The same commands from the host are never refused for permission.
    for command in host_commands(bo.participant) {
        let name = command.name();
        if let Err(error) = host_ws.command(command).await {
            assert_ne!(error.code, "permission_denied", "host sent {name}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn membership_commands_are_rest_only() {
    let server = TestServer::start().await;
    let meeting = server.create_meeting(quick_config()).await;
    let host = server.add(&meeting, "Host", "host").await;
    let mut ws = server.connect(&host.token).await;
    let refused = ws
        .command(Command::AddParticipant {
            participant: ParticipantId(99),
            name: "Eve".into(),
            email: None,
            preset: "host".into(),
        })
        .await;
    assert_eq!(code(refused), "not_allowed_here");
    let refused = ws
        .command(Command::SetConnected {
            participant: host.participant,
            connected: false,
        })
        .await;
    assert_eq!(code(refused), "not_allowed_here");
    assert!(matches!(
        ws.request(Request::Ping).await,
        Ok(Reply::Pong { .. })
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_participant_only_sees_its_own_room() {
    let server = TestServer::start().await;
    let meeting = server.create_meeting(quick_config()).await;
    let host = server.add(&meeting, "Host", "host").await;
    let a = server.add(&meeting, "Ann", "participant").await;
    let b = server.add(&meeting, "Bo", "participant").await;
    let mut host_ws = server.connect(&host.token).await;
    let mut a_ws = server.connect(&a.token).await;
    host_ws
        .command(Command::CreateRooms {
            count: 2,
            names: vec![],
        })
        .await
        .unwrap();
    host_ws
        .command(Command::Assign {
            participant: a.participant,
            room: Some(RoomId(1)),
        })
        .await
        .unwrap();
    host_ws
        .command(Command::Assign {
            participant: b.participant,
            room: Some(RoomId(2)),
        })
        .await
        .unwrap();
    host_ws.command(Command::Start).await.unwrap();
    a_ws.event(|e| matches!(e, breakout_core::EventBody::MeetingChanged { room, .. } if *room == RoomId(1))).await;
    let Ok(Reply::State { view }) = a_ws.request(Request::GetState).await else {
        panic!("state reply expected");
    };
    let visible: Vec<RoomId> = view.rooms.iter().map(|r| r.id).collect();
    assert_eq!(visible, vec![RoomId::MAIN, RoomId(1)]);
    // Chat of another room is not readable.
    let refused = a_ws
        .request(Request::GetChat {
            room: Some(RoomId(2)),
        })
        .await;
    assert_eq!(code(refused), "permission_denied");
    let refused = a_ws.request(Request::ExportAssignments).await;
    assert_eq!(code(refused), "permission_denied");
}
