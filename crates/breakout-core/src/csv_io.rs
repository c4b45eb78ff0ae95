//! Assignments as CSV (`name,email,room`), for hosts who plan in a spreadsheet.
//!
//! An export imported again gives the same assignments: names, emails and
//! room titles compare without case in every script (room titles that differ
//! only in case are refused when set), a room cell naming the main room or
//! left empty means no room, and a row with more cells than the header (an
//! unquoted comma) is refused rather than cut. Errors name the physical
//! line, so blank lines and multi-line quoted cells do not shift them.
//! [`Meeting::preview_assignments_csv`] says what an import would do.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::meeting::Out;
use crate::{Actor, Meeting, ParticipantId, Refusal, RoomId, Timestamp};

/// What importing a CSV would change.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CsvPreview {
    /// Rooms the import creates, by title.
    pub rooms_created: Vec<String>,
    /// People whose assignment changes; `room` is `None` for no room.
    pub changes: Vec<CsvChange>,
    /// People in the file whose assignment stays as it is.
    pub unchanged: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CsvChange {
    pub participant: ParticipantId,
    pub name: String,
    pub room: Option<String>,
}

/// Compares names, emails and room titles without case, in any script.
pub(crate) fn fold(text: &str) -> String {
    text.to_lowercase()
}

/// The line a record's first cell is on. The reader places a record where
/// it began reading, before the blank lines it skipped.
fn physical_line(text: &str, position: &csv::Position) -> u64 {
    let start = usize::try_from(position.byte())
        .unwrap_or(text.len())
        .min(text.len());
    let blank = text[start..]
        .bytes()
        .take_while(|b| matches!(b, b'\n' | b'\r'))
        .filter(|b| *b == b'\n')
        .count() as u64;
    position.line() + blank
}

/// One row: who, and the title of their room (`None`: no room).
type Row = (ParticipantId, Option<String>);

impl Meeting {
    pub const MAX_CSV_BYTES: usize = 1 << 20;

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

    /// What importing `text` would do, or why it would be refused; changes nothing.
    pub fn preview_assignments_csv(&self, text: &str) -> Result<CsvPreview, Refusal> {
        let rows = self.parse_assignments(text)?;
        let titles = self.titles_by_fold();
        let mut created = BTreeSet::new();
        let mut preview = CsvPreview::default();
        for (who, title) in rows {
            let room = title.as_ref().and_then(|t| titles.get(&fold(t)).copied());
            if let Some(t) = title.as_ref().filter(|_| room.is_none())
                && created.insert(fold(t))
            {
                preview.rooms_created.push(t.clone());
            }
            let now = self.participants[&who].assigned;
            if (title.is_some() && room.is_none()) || room != now {
                preview.changes.push(CsvChange {
                    participant: who,
                    name: self.participants[&who].name.clone(),
                    room: title,
                });
            } else {
                preview.unchanged += 1;
            }
        }
        Ok(preview)
    }

    /// The preview, for someone allowed to import: a file can name everyone
    /// in the meeting, so only managers may see what it would do.
    pub fn preview_import(&self, actor: Actor, text: &str) -> Result<CsvPreview, Refusal> {
        self.require_manager(actor, "preview an assignment import")?;
        self.preview_assignments_csv(text)
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
        let rows = self.parse_assignments(text)?;
        for (who, _) in &rows {
            self.may_act_on(actor, *who, "move")?;
        }
        let mut rooms_by_title = self.titles_by_fold();
        let mut missing: Vec<String> = rows
            .iter()
            .filter_map(|(_, room)| room.clone())
            .filter(|t| !rooms_by_title.contains_key(&fold(t)))
            .collect();
        missing.sort_by_key(|t| fold(t));
        missing.dedup_by_key(|t| fold(t));
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
                rooms_by_title.insert(fold(&title), id);
            }
            out.push(crate::Event {
                to: crate::Recipients::Everyone,
                body: crate::EventBody::RoomsChanged,
            });
        }
        let moves: Vec<(ParticipantId, Option<RoomId>)> = rows
            .into_iter()
            .map(|(who, title)| (who, title.map(|t| rooms_by_title[&fold(&t)])))
            .collect();
        for (who, room) in moves {
            self.set_assignment(who, room, out);
            if self.is_running() {
                self.schedule_moves(vec![(who, room.unwrap_or(RoomId::MAIN))], now, out);
            }
        }
        Ok(())
    }

    /// Breakout rooms by folded title.
    fn titles_by_fold(&self) -> BTreeMap<String, RoomId> {
        self.breakout_rooms()
            .map(|r| (fold(&r.title), r.id))
            .collect()
    }

    /// Refuses a room title that differs from another room's only in case,
    /// so that a CSV always names one room.
    pub(crate) fn require_distinct_title(
        &self,
        title: &str,
        except: Option<RoomId>,
    ) -> Result<(), Refusal> {
        let folded = fold(title);
        match self
            .rooms
            .values()
            .find(|r| Some(r.id) != except && fold(&r.title) == folded)
        {
            Some(other) => Err(Refusal::InvalidInput {
                reason: format!(
                    "there is already a room named {:?}; room names must differ by more than case",
                    other.title
                ),
            }),
            None => Ok(()),
        }
    }

    fn parse_assignments(&self, text: &str) -> Result<Vec<Row>, Refusal> {
        if text.len() > Self::MAX_CSV_BYTES {
            return Err(Refusal::InvalidInput {
                reason: "the CSV is larger than 1 MiB".into(),
            });
        }
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        let bad = |line: u64, reason: &str| Refusal::InvalidCsv {
            line,
            reason: reason.to_string(),
        };
        let line_of = |e: &csv::Error, fallback: u64| e.position().map_or(fallback, |p| p.line());
        let headers = reader
            .headers()
            .map_err(|e| bad(line_of(&e, 1), &e.to_string()))?
            .iter()
            .map(fold)
            .collect::<Vec<_>>();
        let column = |name: &str| headers.iter().position(|h| h == name);
        let (name_col, email_col) = (column("name"), column("email"));
        let Some(room_col) = column("room") else {
            return Err(bad(1, "the header needs a 'room' column"));
        };
        if name_col.is_none() && email_col.is_none() {
            return Err(bad(1, "the header needs a 'name' or 'email' column"));
        }
        let main = fold(Self::MAIN_TITLE);
        let mut rows = Vec::new();
        let mut seen: BTreeMap<ParticipantId, u64> = BTreeMap::new();
        let mut last_line = 1;
        for record in reader.records() {
            let record = record.map_err(|e| bad(line_of(&e, last_line + 1), &e.to_string()))?;
            let line = record
                .position()
                .map_or(last_line + 1, |p| physical_line(text, p));
            last_line = line;
            if record.len() > headers.len() {
                return Err(bad(
                    line,
                    &format!(
                        "this row has {} cells but the header has {}; put names that contain commas in double quotes",
                        record.len(),
                        headers.len()
                    ),
                ));
            }
            let cell = |col: Option<usize>| {
                col.and_then(|c| record.get(c))
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
            };
            let who = match (cell(email_col), cell(name_col)) {
                (Some(email), _) => {
                    let email = fold(&email);
                    self.find_by(line, "email", &email, |p| {
                        p.email.as_deref().is_some_and(|e| fold(e) == email)
                    })?
                }
                (None, Some(name)) => {
                    let folded = fold(&name);
                    self.find_by(line, "name", &name, |p| fold(&p.name) == folded)?
                }
                (None, None) => return Err(bad(line, "no name or email")),
            };
            if let Some(first) = seen.insert(who, line) {
                return Err(bad(
                    line,
                    &format!("this person is already on line {first}"),
                ));
            }
            let room = cell(Some(room_col)).filter(|t| fold(t) != main);
            rows.push((who, room));
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
