//! Assignments as CSV (`name,email,room`), for hosts who plan in a spreadsheet.

use std::collections::BTreeMap;

use crate::meeting::Out;
use crate::{Actor, Meeting, ParticipantId, Refusal, RoomId, Timestamp};

impl Meeting {
    /// Every assignable person and their room (empty when unassigned).
    pub fn export_assignments_csv(&self) -> String {
        let mut writer = csv::Writer::from_writer(Vec::new());
        let rows = self
            .participants
            .values()
            .filter(|p| !self.managers.contains(&p.id) || p.assigned.is_some());
        // Writing to a Vec cannot fail.
        let _ = writer.write_record(["name", "email", "room"]);
        for p in rows {
            let room = p
                .assigned
                .and_then(|r| self.rooms.get(&r))
                .map_or("", |r| r.title.as_str());
            let _ = writer.write_record([p.name.as_str(), p.email.as_deref().unwrap_or(""), room]);
        }
        String::from_utf8(writer.into_inner().unwrap_or_default()).unwrap_or_default()
    }

    /// Applies a whole CSV or nothing. People are matched by email when given,
    /// else by name; rooms by title, created when missing and not running.
    pub(crate) fn import_assignments(
        &mut self,
        actor: Actor,
        text: &str,
        now: Timestamp,
        out: &mut Out,
    ) -> Result<(), Refusal> {
        self.require_manager(actor, "import assignments")?;
        if text.len() > 1 << 20 {
            return Err(Refusal::InvalidInput {
                reason: "the CSV is larger than 1 MiB".into(),
            });
        }
        let rows = self.parse_assignments(text)?;
        for (who, _) in &rows {
            self.may_act_on(actor, *who, "move")?;
        }
        let mut rooms_by_title: BTreeMap<String, RoomId> = self
            .breakout_rooms()
            .map(|r| (r.title.to_lowercase(), r.id))
            .collect();
        let mut missing: Vec<String> = rows
            .iter()
            .filter_map(|(_, room)| room.clone())
            .filter(|t| !rooms_by_title.contains_key(&t.to_lowercase()))
            .collect();
        missing.sort_by_key(|t| t.to_lowercase());
        missing.dedup_by_key(|t| t.to_lowercase());
        if !missing.is_empty() {
            self.require_idle()?;
            if self.rooms.len() + missing.len() > Self::MAX_ROOMS + 1 {
                return Err(Refusal::InvalidInput {
                    reason: format!("a meeting has at most {} rooms", Self::MAX_ROOMS),
                });
            }
            for title in &missing {
                Self::valid_text(title, "a room name", Self::MAX_NAME_CHARS)?;
            }
            for title in missing {
                let id = self.insert_room(title.clone(), true);
                rooms_by_title.insert(title.to_lowercase(), id);
            }
            out.push(crate::Event {
                to: crate::Recipients::Everyone,
                body: crate::EventBody::RoomsChanged,
            });
        }
        let moves: Vec<(ParticipantId, Option<RoomId>)> = rows
            .into_iter()
            .map(|(who, title)| (who, title.map(|t| rooms_by_title[&t.to_lowercase()])))
            .collect();
        for (who, room) in moves {
            self.set_assignment(who, room, out);
            if self.is_running() {
                self.schedule_moves(vec![(who, room.unwrap_or(RoomId::MAIN))], now, out);
            }
        }
        Ok(())
    }

    fn parse_assignments(
        &self,
        text: &str,
    ) -> Result<Vec<(ParticipantId, Option<String>)>, Refusal> {
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        let bad = |line: u64, reason: &str| Refusal::InvalidCsv {
            line,
            reason: reason.to_string(),
        };
        let headers = reader
            .headers()
            .map_err(|e| bad(1, &e.to_string()))?
            .iter()
            .map(str::to_lowercase)
            .collect::<Vec<_>>();
        let column = |name: &str| headers.iter().position(|h| h == name);
        let (name_col, email_col) = (column("name"), column("email"));
        let Some(room_col) = column("room") else {
            return Err(bad(1, "the header needs a 'room' column"));
        };
        if name_col.is_none() && email_col.is_none() {
            return Err(bad(1, "the header needs a 'name' or 'email' column"));
        }
        let mut rows = Vec::new();
        for (i, record) in reader.records().enumerate() {
            let line = i as u64 + 2;
            let record = record.map_err(|e| bad(line, &e.to_string()))?;
            let cell = |col: Option<usize>| {
                col.and_then(|c| record.get(c))
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
            };
            let who = match (cell(email_col), cell(name_col)) {
                (Some(email), _) => self.find_by(line, "email", &email, |p| {
                    p.email.as_deref() == Some(email.to_lowercase().as_str())
                })?,
                (None, Some(name)) => {
                    self.find_by(line, "name", &name, |p| p.name.eq_ignore_ascii_case(&name))?
                }
                (None, None) => return Err(bad(line, "no name or email")),
            };
            rows.push((who, cell(Some(room_col))));
        }
        Ok(rows)
    }

    fn find_by(
        &self,
        line: u64,
        what: &str,
        value: &str,
        matches: impl Fn(&crate::Participant) -> bool,
    ) -> Result<ParticipantId, Refusal> {
        let mut found = self.participants.values().filter(|p| matches(p));
        match (found.next(), found.next()) {
            (Some(p), None) => Ok(p.id),
            (None, _) => Err(Refusal::InvalidCsv {
                line,
                reason: format!("nobody with {what} {value:?}"),
            }),
            (Some(_), Some(_)) => Err(Refusal::InvalidCsv {
                line,
                reason: format!("several people with {what} {value:?}; use email"),
            }),
        }
    }
}
