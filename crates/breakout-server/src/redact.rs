//! Secrets never reach the log.
//!
//! Participant tokens travel in the WebSocket URL (browsers cannot set
//! headers on a WebSocket), invite codes in join links and admin keys in
//! `Authorization` headers; any of them in a log line would let whoever
//! reads the log join or administer a meeting. Request spans are built from
//! a redacted URI, and [`Redacting`] scrubs every formatted line on its way
//! out, so a secret logged by a dependency is caught as well.

use std::borrow::Cow;
use std::io::Write;

/// What a secret is replaced with.
pub const REDACTED: &str = "[redacted]";

/// Where a secret starts: after one of these, up to the next delimiter.
const MARKERS: &[&str] = &["token=", "?code=", "&code=", "Bearer ", "bearer "];

fn ends_secret(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '&' | '"' | '\'' | ',' | ';' | ')' | '}' | ']' | '>' | '\\'
        )
}

/// `text` with every secret value replaced by [`REDACTED`].
pub fn redact(text: &str) -> Cow<'_, str> {
    if !MARKERS.iter().any(|marker| text.contains(marker)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some((at, marker)) = MARKERS
        .iter()
        .filter_map(|marker| rest.find(marker).map(|at| (at, *marker)))
        .min_by_key(|(at, _)| *at)
    {
        let value_start = at + marker.len();
        out.push_str(&rest[..value_start]);
        let value = &rest[value_start..];
        let value_len = value.find(ends_secret).unwrap_or(value.len());
        if value_len > 0 && !value.starts_with(REDACTED) {
            out.push_str(REDACTED);
        } else {
            out.push_str(&value[..value_len]);
        }
        rest = &value[value_len..];
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// A [`tracing_subscriber`] writer maker that redacts each line it writes.
/// The formatter writes one event per call, so a secret is never split.
pub struct Redacting<M>(pub M);

impl<'a, M: tracing_subscriber::fmt::MakeWriter<'a>> tracing_subscriber::fmt::MakeWriter<'a>
    for Redacting<M>
{
    type Writer = RedactingWriter<M::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        RedactingWriter(self.0.make_writer())
    }
}

pub struct RedactingWriter<W>(W);

impl<W: Write> Write for RedactingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        self.0.write_all(redact(&text).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// The request span of the HTTP trace layer, with secrets taken out of the URI.
pub fn request_span<B>(request: &axum::http::Request<B>) -> tracing::Span {
    tracing::debug_span!(
        "request",
        method = %request.method(),
        uri = %redact(&request.uri().to_string()),
        version = ?request.version(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_replaced_and_the_rest_kept() {
        assert_eq!(
            redact("uri=/v1/ws?token=abc123&x=1 done"),
            "uri=/v1/ws?token=[redacted]&x=1 done"
        );
        assert_eq!(
            redact(r#"{"link":"breakout://join?server=http://h&code=k7qm-xv3a"}"#),
            r#"{"link":"breakout://join?server=http://h&code=[redacted]"}"#
        );
        assert_eq!(
            redact("authorization: Bearer s3cret, next"),
            "authorization: Bearer [redacted], next"
        );
        assert_eq!(redact("token=[redacted]"), "token=[redacted]");
        assert_eq!(redact("nothing secret"), "nothing secret");
        assert_eq!(redact("token= empty"), "token= empty");
    }
}
