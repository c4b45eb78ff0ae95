//! What a meeting answers without changing: state, chat, exports, and the
//! summaries the REST API shows.

use breakout_core::{ParticipantId, RoomId};
use breakout_protocol::rest::{MeetingInfo, MemberSummary, RoomSummary, RoomsOverview};
use breakout_protocol::ws::{Reply, Request};

use super::{MeetingActor, not_in_meeting};
use crate::error::ServerError;

impl MeetingActor {
    pub(super) fn request(
        &mut self,
        who: ParticipantId,
        request: Request,
    ) -> Result<Reply, ServerError> {
        let at = self.now();
        self.fire_deadlines_at(at);
        match request {
            Request::Command { .. } => unreachable!("commands go through ActorMessage::Command"),
            Request::GetState => self
                .meeting
                .view_for(who, at)
                .map(|view| Reply::State {
                    view: Box::new(view),
                })
                .ok_or_else(|| not_in_meeting(who)),
            Request::GetChat { room } => Ok(Reply::Chat {
                messages: self.meeting.chat_for(who, room)?.to_vec(),
            }),
            Request::ExportAssignments => Ok(Reply::Csv {
                csv: self.meeting.assignments_csv_for(who)?,
            }),
            Request::Ping => Ok(Reply::Pong { server_time: at }),
            Request::MediaOffer { .. }
            | Request::MediaCandidate { .. }
            | Request::RequestKeyframe { .. }
            | Request::GetMediaStats
            | Request::SetTileSizes { .. } => Err(ServerError::BadRequest(
                "media requests go to the meeting's media task".into(),
            )),
        }
    }

    pub(super) fn info(&self) -> MeetingInfo {
        MeetingInfo {
            id: self.id.clone(),
            title: self.title.clone(),
            created_at: self.created_at,
            participant_count: self.meeting.participants().count() as u32,
            phase: self.meeting.phase(),
            node: self.env.node.as_ref().map(|node| node.id.clone()),
            node_url: self.env.node.as_ref().map(|node| node.url.clone()),
        }
    }

    pub(super) fn overview(&self) -> RoomsOverview {
        let main = self.meeting.room(RoomId::MAIN).into_iter();
        let rooms = main
            .chain(self.meeting.breakout_rooms())
            .map(|room| RoomSummary {
                id: room.id,
                title: room.title.clone(),
                open: room.open,
                members: self
                    .meeting
                    .occupants(room.id)
                    .filter_map(|id| self.meeting.participant(id))
                    .map(|p| MemberSummary {
                        id: p.id,
                        name: p.name.clone(),
                        role: self
                            .meeting
                            .preset_of(p.id)
                            .map_or(breakout_core::Role::Participant, |preset| preset.role),
                        assigned: p.assigned,
                        connected: p.connected,
                        mic: p.media.mic,
                        camera: p.media.camera,
                    })
                    .collect(),
            })
            .collect();
        RoomsOverview {
            meeting: self.id.clone(),
            phase: self.meeting.phase(),
            rooms,
        }
    }
}
