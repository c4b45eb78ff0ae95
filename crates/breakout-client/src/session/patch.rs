//! Applying events to a view, so it stays right between the server's
//! coalesced `state` messages.
//!
//! Only what an event says for certain is changed; anything that would need
//! the server's rules (who may join which room, what a participant may now
//! see) waits for the next authoritative view. Every patch is idempotent:
//! the server may report one move as both a delta and a full member list.

use breakout_core::PendingMoveView;
use breakout_protocol::{
    EventBody, HelpView, MediaState, MeetingView, MemberView, ParticipantId, Phase, PollView,
    RoomId, RoomView, Timestamp,
};

/// Applies `event` to `view`; returns `(from, to)` if it moved you.
pub(crate) fn apply(view: &mut MeetingView, event: &EventBody) -> Option<(RoomId, RoomId)> {
    match event {
        EventBody::MeetingChanged {
            participant,
            from,
            room,
        } => return moved(view, *participant, *from, *room),
        EventBody::MembersUpdate { room, members } => {
            if let Some(r) = room_mut(view, *room) {
                r.members = Some(members.clone());
                r.member_count = members.len() as u32;
            }
        }
        EventBody::MemberEntered { room, member } => {
            // One person, one place: entering here means leaving elsewhere.
            remove_member(view, member.id, Some(*room));
            if let Some(r) = room_mut(view, *room)
                && let Some(list) = &mut r.members
            {
                match list.iter_mut().find(|m| m.id == member.id) {
                    Some(existing) => *existing = member.clone(),
                    None => list.push(member.clone()),
                }
                r.member_count = list.len() as u32;
            }
        }
        EventBody::MemberLeft { room, participant } => {
            if let Some(r) = room_mut(view, *room) {
                remove_from(r, *participant);
            }
        }
        EventBody::ParticipantLeft { participant } => remove_member(view, *participant, None),
        EventBody::MediaChanged {
            participant,
            mic,
            camera,
        } => {
            if *participant == view.you.id {
                view.you.media = MediaState {
                    mic: *mic,
                    camera: *camera,
                };
            }
            for m in members_named(view, *participant) {
                m.mic = *mic;
                m.camera = *camera;
            }
        }
        EventBody::ConnectionChanged {
            participant,
            connected,
        } => {
            for m in members_named(view, *participant) {
                m.connected = *connected;
            }
        }
        EventBody::HelpRequested { participant, room } => {
            set_help(view, *participant, true);
            add_help_request(view, *participant, *room);
        }
        EventBody::HelpDismissed { participant } => set_help(view, *participant, false),
        EventBody::ChangingMeeting { room, at } => {
            view.you.pending_move = Some(PendingMoveView {
                room: *room,
                at: *at,
            });
        }
        EventBody::Invited { room } => {
            view.you.invited = Some(*room);
            view.you.flags.requested = true;
        }
        EventBody::AssignmentChanged { participant, room } => {
            let room = room.filter(|r| !r.is_main());
            if *participant == view.you.id {
                view.you.assigned = room;
                view.you.flags.assigned = room.is_some();
            }
            for r in &mut view.rooms {
                if let Some(assigned) = &mut r.assigned {
                    assigned.retain(|p| p != participant);
                    if Some(r.id) == room {
                        assigned.push(*participant);
                    }
                }
            }
        }
        EventBody::ConfigChanged { config } => view.config = config.clone(),
        EventBody::TimeChanged { ends_at } => {
            if let Phase::Running { ends_at: e, .. } = &mut view.phase {
                *e = *ends_at;
            }
        }
        EventBody::Closing { at } => view.phase = Phase::Closing { returns_at: *at },
        EventBody::ReturnRequested => view.you.flags.return_requested = true,
        // The server has returned everyone; the view that follows says the rest.
        EventBody::BreakoutsEnded => view.phase = Phase::Idle,
        EventBody::PollCreated { poll }
        | EventBody::PollUpdated { poll }
        | EventBody::PollClosed { poll } => upsert_poll(view, poll),
        _ => {}
    }
    None
}

fn moved(
    view: &mut MeetingView,
    who: ParticipantId,
    from: RoomId,
    to: RoomId,
) -> Option<(RoomId, RoomId)> {
    if who == view.you.id && view.you.room == to {
        // Already applied: counts of rooms without lists cannot be redone.
        return None;
    }
    let member = view
        .rooms
        .iter()
        .filter_map(|r| r.members.as_ref())
        .flatten()
        .find(|m| m.id == who)
        .cloned();
    if let Some(r) = room_mut(view, from) {
        if r.members.is_some() {
            remove_from(r, who);
        } else {
            r.member_count = r.member_count.saturating_sub(1);
        }
    }
    if let Some(r) = room_mut(view, to) {
        match &mut r.members {
            Some(list) => {
                if let Some(member) = member
                    && !list.iter().any(|m| m.id == who)
                {
                    list.push(member);
                }
                r.member_count = list.len() as u32;
            }
            // The list itself follows in a `members_update`.
            None => r.member_count += 1,
        }
    }
    if who != view.you.id {
        return None;
    }
    let before = view.you.room;
    let you = &mut view.you;
    you.room = to;
    you.pending_move = None;
    if you.invited == Some(to) {
        you.invited = None;
        you.flags.requested = false;
    }
    // Polls are per room, and only managers see other rooms' members.
    view.polls.clear();
    if !view.you.permissions.manage_breakouts
        && let Some(r) = room_mut(view, before)
    {
        r.members = None;
    }
    for r in &mut view.rooms {
        r.can_join = r.can_join && r.id != to;
    }
    Some((before, to))
}

fn room_mut(view: &mut MeetingView, room: RoomId) -> Option<&mut RoomView> {
    view.rooms.iter_mut().find(|r| r.id == room)
}

/// Removes `who` from a room's known member list and recounts it.
fn remove_from(room: &mut RoomView, who: ParticipantId) {
    if let Some(list) = &mut room.members {
        list.retain(|m| m.id != who);
        room.member_count = list.len() as u32;
    }
}

/// Removes `who` from every known member list except `keep`'s.
fn remove_member(view: &mut MeetingView, who: ParticipantId, keep: Option<RoomId>) {
    for r in &mut view.rooms {
        if Some(r.id) != keep {
            remove_from(r, who);
        }
    }
}

fn members_named(
    view: &mut MeetingView,
    who: ParticipantId,
) -> impl Iterator<Item = &mut MemberView> {
    view.rooms
        .iter_mut()
        .filter_map(|r| r.members.as_mut())
        .flatten()
        .filter(move |m| m.id == who)
}

fn set_help(view: &mut MeetingView, who: ParticipantId, requested: bool) {
    if who == view.you.id {
        view.you.help_requested = requested;
    }
    if !requested {
        view.help_requests.retain(|h| h.participant != who);
    }
    for m in members_named(view, who) {
        m.help_requested = requested;
    }
}

/// Managers list who asks for help; others only see their own flag.
fn add_help_request(view: &mut MeetingView, who: ParticipantId, room: RoomId) {
    if !view.you.permissions.manage_breakouts
        || view.help_requests.iter().any(|h| h.participant == who)
    {
        return;
    }
    let name = view
        .rooms
        .iter()
        .filter_map(|r| r.members.as_ref())
        .flatten()
        .find(|m| m.id == who)
        .map_or_else(|| format!("Participant {}", who.0), |m| m.name.clone());
    view.help_requests.push(HelpView {
        participant: who,
        name,
        room,
        // The event carries no time; the view that follows does.
        at: Timestamp(0),
    });
}

/// Polls are per room: only your room's are kept.
fn upsert_poll(view: &mut MeetingView, poll: &PollView) {
    if poll.room != view.you.room {
        return;
    }
    match view.polls.iter_mut().find(|p| p.id == poll.id) {
        Some(held) => {
            // Events never carry your own vote; keep the one the view told.
            let your_vote = poll.your_vote.or(held.your_vote);
            *held = PollView {
                your_vote,
                ..poll.clone()
            };
        }
        None => view.polls.push(poll.clone()),
    }
}
