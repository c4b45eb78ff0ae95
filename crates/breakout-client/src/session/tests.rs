use breakout_core::PendingMoveView;
use breakout_protocol::media::{Slot, SlotMap};
use breakout_protocol::ws::{ClientMessage, Reply, Request, ServerMessage};
use breakout_protocol::{
    ApiError, BreakoutConfig, Command, EventBody, MediaState, MeetingView, MemberView,
    ParticipantId, Permissions, Phase, PollId, PollView, Preset, Role, RoomId, RoomView, SelfFlags,
    SelfView, Timestamp,
};

use super::{Session, SessionUpdate};

pub(super) const ME: ParticipantId = ParticipantId(1);
pub(super) const ANA: ParticipantId = ParticipantId(2);
pub(super) const BO: ParticipantId = ParticipantId(3);
pub(super) const R1: RoomId = RoomId(1);
pub(super) const R2: RoomId = RoomId(2);

pub(super) fn member(id: ParticipantId) -> MemberView {
    MemberView {
        id,
        name: format!("{id}"),
        role: Role::Participant,
        mic: false,
        camera: false,
        connected: true,
        help_requested: false,
    }
}

pub(super) fn room(id: RoomId, members: Option<Vec<ParticipantId>>, count: u32) -> RoomView {
    RoomView {
        id,
        title: format!("{id}"),
        open: true,
        member_count: count,
        members: members.map(|ids| ids.into_iter().map(member).collect()),
        assigned: None,
        can_join: false,
        listeners: Vec::new(),
        recording: false,
        sharing: None,
    }
}

/// Me (a plain participant) in main with Ana; Bo in room 1; room 2 empty.
/// As a participant I see only my own room's members.
pub(super) fn view(revision: u64) -> MeetingView {
    MeetingView {
        revision,
        you: SelfView {
            id: ME,
            name: "me".into(),
            role: Role::Participant,
            permissions: Preset::participant().permissions,
            room: RoomId::MAIN,
            assigned: None,
            invited: None,
            media: MediaState {
                mic: false,
                camera: false,
            },
            flags: SelfFlags::default(),
            pending_move: None,
            help_requested: false,
            help_available_at: None,
            may_return_to_main: false,
        },
        phase: Phase::Idle,
        config: BreakoutConfig::default(),
        rooms: vec![
            room(RoomId::MAIN, Some(vec![ME, ANA]), 2),
            room(R1, None, 1),
            room(R2, None, 0),
        ],
        help_requests: Vec::new(),
        polls: vec![PollView {
            id: PollId(1),
            room: RoomId::MAIN,
            question: "?".into(),
            options: vec!["a".into()],
            counts: vec![0],
            closed: false,
            your_vote: None,
        }],
        assignment: None,
        speaking_to_all: None,
    }
}

/// The same meeting seen by a manager: every room's members.
pub(super) fn manager_view(revision: u64) -> MeetingView {
    let mut v = view(revision);
    v.you.permissions = Permissions {
        manage_breakouts: true,
        ..Preset::host().permissions
    };
    v.rooms[1].members = Some(vec![member(BO)]);
    v.rooms[2].members = Some(Vec::new());
    v
}

pub(super) fn welcome(view: MeetingView) -> ServerMessage {
    ServerMessage::Welcome {
        protocol: breakout_protocol::PROTOCOL_VERSION,
        meeting: "m1".into(),
        participant: view.you.id,
        server_time: Timestamp(1_000),
        view: Box::new(view),
        ice_servers: vec![],
    }
}

pub(super) fn event(event: EventBody) -> ServerMessage {
    ServerMessage::Event { event }
}

pub(super) fn welcomed(v: MeetingView) -> Session {
    let mut s = Session::new();
    s.handle(welcome(v));
    s
}

pub(super) fn members(s: &Session, room: RoomId) -> Option<Vec<ParticipantId>> {
    let r = s.view().unwrap().rooms.iter().find(|r| r.id == room)?;
    r.members.as_ref().map(|m| m.iter().map(|m| m.id).collect())
}

pub(super) fn count(s: &Session, room: RoomId) -> u32 {
    let r = s.view().unwrap().rooms.iter().find(|r| r.id == room);
    r.unwrap().member_count
}

#[test]
fn nothing_is_known_before_the_welcome() {
    let mut s = Session::new();
    assert_eq!(s.view(), None);
    assert_eq!(s.room(), None);
    let updates = s.handle(event(EventBody::ReturnRequested));
    assert_eq!(
        updates,
        vec![SessionUpdate::Event(EventBody::ReturnRequested)]
    );
}

#[test]
fn welcome_sets_who_and_where() {
    let mut s = Session::new();
    let updates = s.handle(welcome(view(4)));
    assert_eq!(
        updates,
        vec![
            SessionUpdate::Welcomed {
                participant: ME,
                resumed: false
            },
            SessionUpdate::ViewReplaced { revision: 4 },
        ]
    );
    assert_eq!(s.participant(), Some(ME));
    assert_eq!(s.meeting(), Some("m1"));
    assert_eq!(s.room(), Some(RoomId::MAIN));
    assert!(s.is_connected());
}

#[test]
fn a_second_welcome_is_a_resume_and_may_move_you() {
    let mut s = welcomed(view(4));
    let mut later = view(9);
    later.you.room = R1;
    let updates = s.handle(welcome(later));
    assert_eq!(
        updates,
        vec![
            SessionUpdate::Welcomed {
                participant: ME,
                resumed: true
            },
            SessionUpdate::ViewReplaced { revision: 9 },
            SessionUpdate::RoomChanged {
                from: RoomId::MAIN,
                to: R1
            },
        ]
    );
}

#[test]
fn state_replaces_the_view_but_an_older_one_is_ignored() {
    let mut s = welcomed(view(4));
    let mut newer = view(6);
    newer.phase = Phase::Closing {
        returns_at: Timestamp(5),
    };
    assert_eq!(
        s.handle(ServerMessage::State {
            view: Box::new(newer.clone())
        }),
        vec![SessionUpdate::ViewReplaced { revision: 6 }]
    );
    assert_eq!(s.view(), Some(&newer));
    assert_eq!(
        s.handle(ServerMessage::State {
            view: Box::new(view(5))
        }),
        vec![]
    );
    assert_eq!(s.view(), Some(&newer));
}

#[test]
fn being_moved_updates_room_lists_and_drops_what_belonged_to_the_old_room() {
    let mut s = welcomed(view(4));
    s.handle(event(EventBody::ChangingMeeting {
        room: R1,
        at: Timestamp(10),
    }));
    assert_eq!(
        s.view().unwrap().you.pending_move,
        Some(PendingMoveView {
            room: R1,
            at: Timestamp(10)
        })
    );
    let updates = s.handle(event(EventBody::MeetingChanged {
        participant: ME,
        from: RoomId::MAIN,
        room: R1,
    }));
    assert_eq!(
        updates[1],
        SessionUpdate::RoomChanged {
            from: RoomId::MAIN,
            to: R1
        }
    );
    let v = s.view().unwrap();
    assert_eq!(s.room(), Some(R1));
    assert_eq!(v.you.pending_move, None);
    assert!(v.polls.is_empty(), "polls belong to the room left");
    // A participant no longer sees main's members; counts still move.
    assert_eq!(members(&s, RoomId::MAIN), None);
    assert_eq!(count(&s, RoomId::MAIN), 1);
    assert_eq!(count(&s, R1), 2);
    // The new room's list arrives next, and replaces the count.
    s.handle(event(EventBody::MembersUpdate {
        room: R1,
        members: vec![member(BO), member(ME)],
    }));
    assert_eq!(members(&s, R1), Some(vec![BO, ME]));
    assert_eq!(count(&s, R1), 2);
}

#[test]
fn a_repeated_move_is_not_reported_twice() {
    let mut s = welcomed(view(4));
    let moved = event(EventBody::MeetingChanged {
        participant: ME,
        from: RoomId::MAIN,
        room: R1,
    });
    s.handle(moved.clone());
    let updates = s.handle(moved);
    assert_eq!(updates.len(), 1, "{updates:?}");
}

#[test]
fn a_manager_sees_itself_move_between_full_lists() {
    let mut s = welcomed(manager_view(4));
    s.handle(event(EventBody::MeetingChanged {
        participant: ME,
        from: RoomId::MAIN,
        room: R2,
    }));
    assert_eq!(members(&s, RoomId::MAIN), Some(vec![ANA]));
    assert_eq!(members(&s, R2), Some(vec![ME]));
    assert_eq!((count(&s, RoomId::MAIN), count(&s, R2)), (1, 1));
}

#[test]
fn members_entering_and_leaving_are_applied_once() {
    let mut s = welcomed(manager_view(4));
    let entered = event(EventBody::MemberEntered {
        room: R2,
        member: member(ANA),
    });
    s.handle(event(EventBody::MemberLeft {
        room: RoomId::MAIN,
        participant: ANA,
    }));
    s.handle(entered.clone());
    s.handle(entered);
    assert_eq!(members(&s, RoomId::MAIN), Some(vec![ME]));
    assert_eq!(members(&s, R2), Some(vec![ANA]));
    assert_eq!((count(&s, RoomId::MAIN), count(&s, R2)), (1, 1));
    // Entering elsewhere implies leaving, even if the leave was not seen.
    s.handle(event(EventBody::MemberEntered {
        room: R1,
        member: member(ANA),
    }));
    assert_eq!(members(&s, R2), Some(vec![]));
    assert_eq!(members(&s, R1), Some(vec![BO, ANA]));
}

#[test]
fn media_changes_reach_self_and_member_lists() {
    let mut s = welcomed(view(4));
    for who in [ME, ANA] {
        s.handle(event(EventBody::MediaChanged {
            participant: who,
            mic: true,
            camera: false,
        }));
    }
    let v = s.view().unwrap();
    assert_eq!(
        v.you.media,
        MediaState {
            mic: true,
            camera: false
        }
    );
    let main = v.rooms[0].members.as_ref().unwrap();
    assert!(main.iter().all(|m| m.mic && !m.camera));
}

#[test]
fn small_events_patch_the_obvious_fields() {
    let mut s = welcomed(manager_view(4));
    let config = BreakoutConfig {
        move_countdown_secs: 0,
        ..BreakoutConfig::default()
    };
    for e in [
        EventBody::AssignmentChanged {
            participant: ME,
            room: Some(R2),
        },
        EventBody::Invited { room: R2 },
        EventBody::ConnectionChanged {
            participant: ANA,
            connected: false,
        },
        EventBody::HelpRequested {
            participant: ANA,
            room: RoomId::MAIN,
        },
        EventBody::ConfigChanged {
            config: config.clone(),
        },
        EventBody::Closing { at: Timestamp(77) },
    ] {
        s.handle(event(e));
    }
    let v = s.view().unwrap();
    assert_eq!((v.you.assigned, v.you.invited), (Some(R2), Some(R2)));
    assert!(v.you.flags.assigned && v.you.flags.requested);
    let ana = &v.rooms[0].members.as_ref().unwrap()[1];
    assert!(!ana.connected && ana.help_requested);
    assert_eq!(v.config, config);
    assert_eq!(
        v.phase,
        Phase::Closing {
            returns_at: Timestamp(77)
        }
    );
}

#[test]
fn replies_and_errors_are_matched_to_tracked_requests() {
    let mut s = welcomed(view(4));
    let start = ClientMessage {
        id: 7,
        request: Request::Command {
            command: Command::Start,
        },
    };
    let ping = ClientMessage {
        id: 8,
        request: Request::Ping,
    };
    s.track(&start);
    s.track(&ping);
    assert_eq!(s.pending().collect::<Vec<_>>(), vec![7, 8]);
    let error = ApiError::new("permission_denied", "you may not start breakouts");
    let updates = s.handle(ServerMessage::Error {
        id: Some(7),
        error: error.clone(),
    });
    assert_eq!(
        updates,
        vec![SessionUpdate::Refused {
            id: Some(7),
            request: Some(start.request),
            error
        }]
    );
    // An answer to an id nobody tracked is still reported.
    let updates = s.handle(ServerMessage::Reply {
        id: 99,
        result: Reply::Ok,
    });
    assert!(matches!(
        updates[..],
        [SessionUpdate::Replied {
            id: 99,
            request: None,
            ..
        }]
    ));
    assert!(s.is_pending(8) && !s.is_pending(7));
}

#[test]
fn a_state_reply_replaces_the_view() {
    let mut s = welcomed(view(4));
    let mut newer = view(5);
    newer.you.room = R2;
    let updates = s.handle(ServerMessage::Reply {
        id: 1,
        result: Reply::State {
            view: Box::new(newer.clone()),
        },
    });
    assert_eq!(updates[0], SessionUpdate::ViewReplaced { revision: 5 });
    assert_eq!(
        updates[1],
        SessionUpdate::RoomChanged {
            from: RoomId::MAIN,
            to: R2
        }
    );
    assert_eq!(s.view(), Some(&newer));
}

#[test]
fn a_lost_socket_reports_unanswered_requests() {
    let mut s = welcomed(view(4));
    s.track(&ClientMessage {
        id: 3,
        request: Request::GetState,
    });
    assert_eq!(
        s.disconnected(),
        vec![SessionUpdate::Lost {
            id: 3,
            request: Request::GetState
        }]
    );
    assert!(!s.is_connected());
    assert_eq!(s.pending().count(), 0);
    assert_eq!(s.room(), Some(RoomId::MAIN), "the view is kept");
}

#[test]
fn wire_json_drives_the_session() {
    let mut s = welcomed(view(4));
    let line =
        r#"{"type":"event","event":{"type":"meeting_changed","participant":1,"from":0,"room":2}}"#;
    let msg: ServerMessage = serde_json::from_str(line).unwrap();
    s.handle(msg);
    assert_eq!(s.room(), Some(R2));
}

fn slots(version: u64, who: Option<ParticipantId>) -> SlotMap {
    SlotMap {
        version,
        room: RoomId::MAIN,
        audio: vec![Slot {
            mid: "2".into(),
            participant: who,
        }],
        video: Vec::new(),
        listen: Vec::new(),
        listen_room: None,
        all_rooms: None,
        screen: None,
    }
}

#[test]
fn the_newest_slot_map_wins_until_the_next_socket() {
    let mut s = welcomed(view(4));
    let answer = ServerMessage::Reply {
        id: 1,
        result: Reply::MediaAnswer {
            sdp: "v=0".into(),
            slots: slots(1, None),
        },
    };
    assert_eq!(
        s.handle(answer)[0],
        SessionUpdate::SlotsChanged(slots(1, None))
    );
    s.handle(ServerMessage::Slots {
        slots: slots(3, Some(ANA)),
    });
    assert_eq!(
        s.handle(ServerMessage::Slots {
            slots: slots(2, Some(BO)),
        }),
        vec![],
        "an older map is ignored"
    );
    assert_eq!(s.slots(), Some(&slots(3, Some(ANA))));
    s.handle(welcome(view(5)));
    assert_eq!(s.slots(), None);
}

#[test]
fn a_pushed_state_without_member_lists_keeps_the_ones_held() {
    let mut s = welcomed(view(4));
    let held = members(&s, RoomId::MAIN).expect("welcome carries main's members");
    let mut pushed = view(5);
    for room in &mut pushed.rooms {
        room.members = None;
    }
    s.handle(ServerMessage::State {
        view: Box::new(pushed),
    });
    assert_eq!(s.view().map(|v| v.revision), Some(5));
    assert_eq!(members(&s, RoomId::MAIN), Some(held));
}

#[test]
fn the_newest_speaking_summary_is_in_the_client_view() {
    let mut s = welcomed(manager_view(1));
    assert!(s.client_view().speaking.is_empty());
    let line = r#"{"type":"speaking","rooms":[{"room":1,"speakers":[7],"since":1000},{"room":2,"speakers":[],"since":500}]}"#;
    s.handle(serde_json::from_str(line).unwrap());
    let speaking = s.client_view().speaking;
    assert_eq!(speaking.len(), 2);
    assert_eq!(speaking[0].speakers, vec![ParticipantId(7)]);
    assert_eq!(speaking[1].since, Timestamp(500));
    // A newer summary replaces the whole list (rooms that emptied go).
    let line = r#"{"type":"speaking","rooms":[{"room":2,"speakers":[],"since":500}]}"#;
    s.handle(serde_json::from_str(line).unwrap());
    assert_eq!(s.client_view().speaking.len(), 1);
}
