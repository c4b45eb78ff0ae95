//! What the session keeps around the view for the windows: chat, banners,
//! toasts, polls, help requests, the clock and the connection.

use breakout_protocol::ws::{Reply, ServerMessage};
use breakout_protocol::{
    ApiError, Audience, ChatMessage, EventBody, HelpView, Phase, PollId, PollView, RoomId,
    Timestamp,
};

use super::tests::{ANA, BO, ME, R1, R2, event, manager_view, view, welcome, welcomed};
use super::{BannerKind, ConnectionState, MAX_BANNERS, MAX_TOASTS, Session};

fn line(id: u64, room: RoomId) -> ChatMessage {
    ChatMessage {
        id,
        room,
        from: ANA,
        name: "Ana".into(),
        text: format!("line {id}"),
        at: Timestamp(id),
    }
}

fn chat(message: ChatMessage) -> ServerMessage {
    event(EventBody::Chat { message })
}

fn chat_ids(s: &Session) -> Vec<u64> {
    s.client_view().chat.iter().map(|m| m.id).collect()
}

fn poll(id: u32, room: RoomId, counts: Vec<u32>, your_vote: Option<u32>) -> PollView {
    PollView {
        id: PollId(id),
        room,
        question: "?".into(),
        options: vec!["a".into(), "b".into()],
        counts,
        closed: false,
        your_vote,
    }
}

fn refusal(code: &str) -> ServerMessage {
    ServerMessage::Error {
        id: None,
        error: ApiError::new(code, format!("{code} happened.")),
    }
}

fn moved_me(to: RoomId) -> ServerMessage {
    event(EventBody::MeetingChanged {
        participant: ME,
        from: RoomId::MAIN,
        room: to,
    })
}

#[test]
fn breakouts_ended_leaves_the_meeting_idle() {
    let mut v = view(1);
    v.phase = Phase::Closing {
        returns_at: Timestamp(5),
    };
    let mut s = welcomed(v);
    s.handle(event(EventBody::BreakoutsEnded));
    assert_eq!(s.view().unwrap().phase, Phase::Idle);
}

#[test]
fn poll_events_update_your_rooms_polls_and_keep_your_vote() {
    let mut v = view(1);
    v.polls = vec![poll(1, RoomId::MAIN, vec![0, 1], Some(1))];
    let mut s = welcomed(v);
    s.handle(event(EventBody::PollUpdated {
        poll: poll(1, RoomId::MAIN, vec![2, 1], None),
    }));
    s.handle(event(EventBody::PollCreated {
        poll: poll(2, RoomId::MAIN, vec![0, 0], None),
    }));
    s.handle(event(EventBody::PollCreated {
        poll: poll(3, R1, vec![0, 0], None),
    }));
    let mut closed = poll(2, RoomId::MAIN, vec![0, 3], None);
    closed.closed = true;
    s.handle(event(EventBody::PollClosed {
        poll: closed.clone(),
    }));
    assert_eq!(
        s.view().unwrap().polls,
        vec![poll(1, RoomId::MAIN, vec![2, 1], Some(1)), closed]
    );
}

#[test]
fn a_manager_sees_help_requests_by_name_until_dismissed() {
    let mut s = welcomed(manager_view(1));
    s.handle(event(EventBody::HelpRequested {
        participant: BO,
        room: R1,
    }));
    s.handle(event(EventBody::HelpRequested {
        participant: BO,
        room: R1,
    }));
    let expected = HelpView {
        participant: BO,
        name: format!("{BO}"),
        room: R1,
        at: Timestamp(0),
    };
    assert_eq!(s.view().unwrap().help_requests, vec![expected]);
    s.handle(event(EventBody::HelpDismissed { participant: BO }));
    assert!(s.view().unwrap().help_requests.is_empty());
}

#[test]
fn a_participant_sees_only_their_own_help_flag() {
    let mut s = welcomed(view(1));
    s.handle(event(EventBody::HelpRequested {
        participant: ANA,
        room: RoomId::MAIN,
    }));
    s.handle(event(EventBody::HelpRequested {
        participant: ME,
        room: RoomId::MAIN,
    }));
    let v = s.view().unwrap();
    assert!(v.help_requests.is_empty());
    assert!(v.you.help_requested);
}

#[test]
fn chat_keeps_your_rooms_lines_once_each_in_order() {
    let mut s = welcomed(view(1));
    s.handle(chat(line(3, RoomId::MAIN)));
    s.handle(chat(line(3, RoomId::MAIN)));
    s.handle(chat(line(4, R1)));
    s.chat_history(
        RoomId::MAIN,
        vec![line(1, RoomId::MAIN), line(3, RoomId::MAIN)],
    );
    s.handle(ServerMessage::Reply {
        id: 7,
        result: Reply::Chat {
            messages: vec![line(2, RoomId::MAIN)],
        },
    });
    assert_eq!(chat_ids(&s), vec![1, 2, 3]);
}

#[test]
fn history_of_a_room_you_left_is_not_shown() {
    let mut s = welcomed(view(1));
    s.handle(moved_me(R1));
    s.chat_history(RoomId::MAIN, vec![line(1, RoomId::MAIN)]);
    assert!(chat_ids(&s).is_empty());
}

#[test]
fn moving_empties_the_chat_and_a_reconnect_in_place_keeps_it() {
    let mut s = welcomed(view(1));
    s.handle(chat(line(1, RoomId::MAIN)));
    s.handle(welcome(view(2)));
    assert_eq!(chat_ids(&s), vec![1], "same room after a reconnect");

    s.handle(moved_me(R1));
    assert!(chat_ids(&s).is_empty(), "a move by event");
    s.handle(chat(line(2, R1)));
    let mut back = view(5);
    back.you.room = RoomId::MAIN;
    s.handle(ServerMessage::State {
        view: Box::new(back),
    });
    assert!(chat_ids(&s).is_empty(), "a move by view");
}

#[test]
fn broadcasts_and_return_requests_become_banners_and_only_the_last_three_stay() {
    let mut s = welcomed(view(1));
    s.handle(event(EventBody::Message {
        from: ANA,
        text: "Five minutes left".into(),
        room: None,
        audience: Audience::Everyone,
    }));
    let banner = &s.client_view().banners[0];
    assert_eq!(banner.kind, BannerKind::Broadcast);
    assert_eq!(banner.from.as_deref(), Some(format!("{ANA}").as_str()));
    assert_eq!(banner.text, "Five minutes left");

    s.handle(event(EventBody::ReturnRequested));
    for text in ["a", "b"] {
        s.handle(event(EventBody::Message {
            from: BO,
            text: text.into(),
            room: Some(R2),
            audience: Audience::Participants,
        }));
    }
    let banners = s.client_view().banners;
    assert_eq!(banners.len(), MAX_BANNERS);
    assert_eq!(banners[0].kind, BannerKind::Return);
    assert_eq!(banners[1].from, None, "Bo is not in a list I hold");
    assert_eq!(banners[2].room, Some(R2));

    assert!(s.dismiss_banner(banners[0].id));
    assert!(!s.dismiss_banner(banners[0].id));
    assert_eq!(s.client_view().banners.len(), 2);
}

#[test]
fn refusals_become_toasts_and_only_the_last_four_stay() {
    let mut s = welcomed(view(1));
    for code in ["a", "b", "c", "d", "e"] {
        s.handle(refusal(code));
    }
    let toasts = s.client_view().toasts;
    let codes: Vec<&str> = toasts.iter().map(|t| t.code.as_str()).collect();
    assert_eq!(codes, vec!["b", "c", "d", "e"]);
    assert_eq!(toasts.len(), MAX_TOASTS);
    assert_eq!(toasts[0].message, "b happened.");
    assert!(s.dismiss_toast(toasts[0].id));
    assert_eq!(s.client_view().toasts.len(), 3);
}

#[test]
fn the_welcome_sets_the_server_clock_offset() {
    let mut s = Session::new();
    // The welcome says 1_000; this computer reads 1_250: 250 ms behind.
    s.handle_at(welcome(view(1)), Timestamp(1_250));
    assert_eq!(s.client_view().clock_offset_ms, -250);
    s.handle_at(event(EventBody::ReturnRequested), Timestamp(9_000));
    assert_eq!(s.client_view().clock_offset_ms, -250);
}

#[test]
fn the_connection_state_is_kept_until_the_next_welcome() {
    let mut s = welcomed(view(1));
    assert_eq!(s.client_view().connection, ConnectionState::Connected);
    s.disconnected();
    s.set_connection(ConnectionState::Reconnecting, Some("lost".into()));
    let cv = s.client_view();
    assert_eq!(
        (cv.connection, cv.connection_reason.as_deref()),
        (ConnectionState::Reconnecting, Some("lost"))
    );
    s.handle(welcome(view(2)));
    let cv = s.client_view();
    assert_eq!(
        (cv.connection, cv.connection_reason),
        (ConnectionState::Connected, None)
    );
}

#[test]
fn a_deferred_invitation_holds_until_the_view_invites_elsewhere() {
    let mut s = welcomed(view(1));
    assert!(!s.defer_invitation(), "nothing to defer");
    s.handle(event(EventBody::Invited { room: R1 }));
    assert!(s.defer_invitation());
    let mut still = view(2);
    still.you.invited = Some(R1);
    s.handle(ServerMessage::State {
        view: Box::new(still),
    });
    assert_eq!(s.client_view().invitation_deferred, Some(R1));

    s.handle(event(EventBody::Invited { room: R2 }));
    assert_eq!(s.client_view().invitation_deferred, None);
}

#[test]
fn the_client_view_serializes_with_the_names_the_windows_read() {
    let mut s = welcomed(view(1));
    s.handle(refusal("a"));
    let json = serde_json::to_value(s.client_view()).unwrap();
    for key in [
        "meeting",
        "view",
        "clock_offset_ms",
        "chat",
        "banners",
        "toasts",
        "connection",
        "connection_reason",
        "invitation_deferred",
    ] {
        assert!(json.get(key).is_some(), "{key} in {json}");
    }
    assert_eq!(json["connection"], "connected");
    assert_eq!(json["toasts"][0]["code"], "a");
}
