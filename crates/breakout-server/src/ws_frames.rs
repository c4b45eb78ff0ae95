//! Oversized WebSocket messages: which request to answer, and how to close
//! the socket when a message is past what the transport reads at all.

use axum::extract::ws::CloseFrame;

/// How far into a message the request id is looked for. Clients write the
/// id first (`{"id":7,"request":...}`); an id after a huge body is not
/// worth reading the body for.
const ID_SCAN_BYTES: usize = 4096;

/// The top-level `"id"` of a JSON object, when it is an unsigned integer
/// within the first [`ID_SCAN_BYTES`]. Reads no further than that, so an
/// oversized message is answered without parsing it.
pub fn peek_id(body: &str) -> Option<u64> {
    let bytes = &body.as_bytes()[..body.len().min(ID_SCAN_BYTES)];
    let mut depth = 0usize;
    let mut i = skip_whitespace(bytes, 0);
    if bytes.get(i) != Some(&b'{') {
        return None;
    }
    while i < bytes.len() {
        match bytes[i] {
            b'{' | b'[' => depth += 1,
            b'}' | b']' => depth = depth.checked_sub(1)?,
            b'"' => {
                let end = string_end(bytes, i + 1)?;
                let after = skip_whitespace(bytes, end + 1);
                if depth == 1 && &bytes[i + 1..end] == b"id" && bytes.get(after) == Some(&b':') {
                    return integer(bytes, skip_whitespace(bytes, after + 1));
                }
                i = end;
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// The close frame for a read error the peer caused, if it was one: a
/// message past the hard limit is 1009, anything else breaking the
/// protocol is 1002. Transport failures get none; the peer is gone.
pub fn close_for(error: &axum::Error, limit: usize) -> Option<CloseFrame> {
    use tungstenite::Error;
    let cause = std::error::Error::source(error)?.downcast_ref::<Error>()?;
    match cause {
        Error::Capacity(_) => Some(CloseFrame {
            code: 1009,
            reason: format!("messages are limited to {limit} bytes").into(),
        }),
        Error::Protocol(problem) => Some(CloseFrame {
            code: 1002,
            reason: problem.to_string().into(),
        }),
        Error::Utf8(_) => Some(CloseFrame {
            code: 1007,
            reason: "text frames must be UTF-8".into(),
        }),
        _ => None,
    }
}

fn skip_whitespace(bytes: &[u8], mut i: usize) -> usize {
    while bytes.get(i).is_some_and(u8::is_ascii_whitespace) {
        i += 1;
    }
    i
}

/// Index of the quote closing the string whose contents start at `i`.
fn string_end(bytes: &[u8], mut i: usize) -> Option<usize> {
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return Some(i),
            _ => i += 1,
        }
    }
    None
}

/// An integer that ends where a JSON value ends (not `1.5`, not cut off).
fn integer(bytes: &[u8], start: usize) -> Option<u64> {
    let end = start
        + bytes[start.min(bytes.len())..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
    if end == start || !matches!(bytes.get(skip_whitespace(bytes, end)), Some(b',' | b'}')) {
        return None;
    }
    std::str::from_utf8(&bytes[start..end]).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::peek_id;

    #[test]
    fn reads_the_top_level_id_only() {
        assert_eq!(peek_id(r#"{"id":7,"request":{"type":"ping"}}"#), Some(7));
        assert_eq!(peek_id(" {\n \"id\" : 42 , \"x\": 1}"), Some(42));
        assert_eq!(peek_id(r#"{"request":{"id":5},"id":9}"#), Some(9));
        assert_eq!(peek_id(r#"{"note":"\"id\":3","id":4}"#), Some(4));
        assert_eq!(peek_id(r#"{"x":"id","y":1}"#), None);
        assert_eq!(peek_id(r#"[{"id":1}]"#), None);
        assert_eq!(peek_id(r#"{"id":1.5}"#), None);
        assert_eq!(peek_id(r#"{"id":-1}"#), None);
        assert_eq!(peek_id(r#"{"id":"7"}"#), None);
        assert_eq!(peek_id(r#"{"id":123"#), None);
        assert_eq!(peek_id(""), None);
    }

    #[test]
    fn does_not_read_past_the_scan_window() {
        let late = format!(r#"{{"pad":"{}","id":3}}"#, "x".repeat(10_000));
        assert_eq!(peek_id(&late), None);
        let early = format!(r#"{{"id":3,"pad":"{}"}}"#, "x".repeat(10_000));
        assert_eq!(peek_id(&early), Some(3));
    }
}
