//! Polls, one room each: create, vote once, close.

use crate::meeting::{Out, Poll};
use crate::{Actor, Event, EventBody, Meeting, PollId, PollView, Recipients, Refusal};

impl Meeting {
    pub const MAX_POLL_OPTIONS: usize = 10;

    pub(crate) fn create_poll(
        &mut self,
        actor: Actor,
        question: String,
        options: Vec<String>,
        out: &mut Out,
    ) -> Result<(), Refusal> {
        self.authorize(actor, "create polls", |p| p.create_polls)?;
        let person = self.sender(actor)?;
        let question = Self::valid_text(&question, "the question", 300)?;
        if !(2..=Self::MAX_POLL_OPTIONS).contains(&options.len()) {
            return Err(Refusal::InvalidInput {
                reason: format!("a poll has 2 to {} options", Self::MAX_POLL_OPTIONS),
            });
        }
        let options = options
            .iter()
            .map(|o| Self::valid_text(o, "an option", Self::MAX_NAME_CHARS))
            .collect::<Result<Vec<_>, _>>()?;
        let id = PollId(self.next_poll);
        let poll = Poll {
            id,
            room: person.room,
            creator: person.id,
            question,
            options,
            votes: Default::default(),
            closed: false,
        };
        self.next_poll += 1;
        self.polls.insert(id, poll);
        self.poll_event(id, |poll| EventBody::PollCreated { poll }, out);
        Ok(())
    }

    pub(crate) fn vote(
        &mut self,
        actor: Actor,
        id: PollId,
        option: u32,
        out: &mut Out,
    ) -> Result<(), Refusal> {
        self.permissions(actor)?;
        let person = self.sender(actor)?;
        let voter = person.id;
        let poll = self.polls.get(&id).ok_or(Refusal::PollNotFound(id))?;
        if poll.room != person.room {
            return Err(Refusal::PollInOtherRoom(id));
        }
        if poll.closed {
            return Err(Refusal::PollClosed(id));
        }
        if option as usize >= poll.options.len() {
            return Err(Refusal::InvalidInput {
                reason: format!("{id} has no option {option}"),
            });
        }
        if poll.votes.contains_key(&voter) {
            return Err(Refusal::AlreadyVoted(id));
        }
        self.polls
            .get_mut(&id)
            .expect("checked")
            .votes
            .insert(voter, option);
        self.poll_event(id, |poll| EventBody::PollUpdated { poll }, out);
        Ok(())
    }

    pub(crate) fn close_poll(
        &mut self,
        actor: Actor,
        id: PollId,
        out: &mut Out,
    ) -> Result<(), Refusal> {
        let permissions = self.permissions(actor)?;
        let poll = self.polls.get(&id).ok_or(Refusal::PollNotFound(id))?;
        let is_creator = matches!(actor, crate::Actor::Participant(p) if p == poll.creator);
        if !(is_creator || permissions.manage_breakouts) {
            return Err(Refusal::PermissionDenied {
                action: "close this poll",
            });
        }
        if poll.closed {
            return Err(Refusal::PollClosed(id));
        }
        self.polls.get_mut(&id).expect("checked").closed = true;
        self.poll_event(id, |poll| EventBody::PollClosed { poll }, out);
        Ok(())
    }

    pub fn poll_view(&self, id: PollId, viewer: Option<crate::ParticipantId>) -> Option<PollView> {
        let poll = self.polls.get(&id)?;
        let mut counts = vec![0u32; poll.options.len()];
        for option in poll.votes.values() {
            counts[*option as usize] += 1;
        }
        Some(PollView {
            id,
            room: poll.room,
            question: poll.question.clone(),
            options: poll.options.clone(),
            counts,
            closed: poll.closed,
            your_vote: viewer.and_then(|v| poll.votes.get(&v).copied()),
        })
    }

    fn poll_event(&self, id: PollId, body: impl Fn(PollView) -> EventBody, out: &mut Out) {
        let Some(poll) = self.poll_view(id, None) else {
            return;
        };
        out.push(Event {
            to: Recipients::Many(self.occupants(poll.room).collect()),
            body: body(poll),
        });
    }
}
