//! What a script may type: a full `ClientMessage`, or a bare `Command` or
//! `Request` that gets an id of ours.

use breakout_client::protocol::Command;
use breakout_client::protocol::ws::{ClientMessage, Request};

/// Parses one input line; `next_id` is called only when the line carries
/// no id of its own.
pub fn parse_line(line: &str, next_id: impl FnOnce() -> u64) -> Result<ClientMessage, String> {
    let value: serde_json::Value =
        serde_json::from_str(line).map_err(|e| format!("not JSON: {e}"))?;
    if value.get("request").is_some() {
        return serde_json::from_value(value).map_err(|e| format!("bad ClientMessage: {e}"));
    }
    let request = match serde_json::from_value::<Command>(value.clone()) {
        Ok(command) => Request::Command { command },
        Err(as_command) => serde_json::from_value::<Request>(value)
            .map_err(|_| format!("neither a Command nor a Request: {as_command}"))?,
    };
    Ok(ClientMessage {
        id: next_id(),
        request,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_command_gets_an_id() {
        let m = parse_line(r#"{"type":"start"}"#, || 5).unwrap();
        assert_eq!(
            m,
            ClientMessage {
                id: 5,
                request: Request::Command {
                    command: Command::Start
                }
            }
        );
    }

    #[test]
    fn a_bare_request_gets_an_id() {
        let m = parse_line(r#"{"type":"get_state"}"#, || 6).unwrap();
        assert_eq!(m.request, Request::GetState);
    }

    #[test]
    fn a_full_message_keeps_its_id() {
        let line = r#"{"id":41,"request":{"type":"ping"}}"#;
        let m = parse_line(line, || panic!("no id needed")).unwrap();
        assert_eq!((m.id, m.request), (41, Request::Ping));
    }

    #[test]
    fn mistakes_say_what_was_expected() {
        let err = parse_line(r#"{"type":"strat"}"#, || 1).unwrap_err();
        assert!(err.starts_with("neither a Command nor a Request"), "{err}");
        assert!(
            parse_line("start", || 1)
                .unwrap_err()
                .starts_with("not JSON")
        );
        let err = parse_line(r#"{"id":1,"request":{"type":"nope"}}"#, || 1).unwrap_err();
        assert!(err.starts_with("bad ClientMessage"), "{err}");
    }
}
