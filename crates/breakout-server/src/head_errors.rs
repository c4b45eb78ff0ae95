//! `{code, message}` bodies for the answers hyper writes by itself.
//!
//! A request head hyper cannot take (a URI over 64 KiB, more header fields
//! than it parses, a request line that is not HTTP/1.1) never reaches a
//! service: hyper answers it with a bare status line and `content-length: 0`
//! and closes the connection, and it has no hook to change that answer.
//! [`JsonHeadErrors`] wraps a connection's stream and writes, in place of
//! such an answer, the same status with the JSON body every other error
//! carries. The router never answers 414 or 431, and its 400s always have a
//! body, so an empty one of those is hyper's own.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::error::ServerError;

/// A stream whose bare 400, 414 and 431 answers leave with a JSON body.
pub struct JsonHeadErrors<S> {
    inner: S,
    replacing: Option<Replacement>,
}

/// The answer written instead of one of hyper's, and how far it got.
struct Replacement {
    bytes: Vec<u8>,
    written: usize,
    /// The length of hyper's answer, reported as written once ours is out.
    stands_for: usize,
}

impl<S> JsonHeadErrors<S> {
    pub fn new(inner: S) -> Self {
        JsonHeadErrors {
            inner,
            replacing: None,
        }
    }
}

/// The error hyper's bare answer stands for, if `buf` is one.
fn bare_answer(buf: &[u8]) -> Option<ServerError> {
    let error = if buf.starts_with(b"HTTP/1.1 414 ") {
        ServerError::UriTooLong
    } else if buf.starts_with(b"HTTP/1.1 431 ") {
        ServerError::RequestHeadTooLarge
    } else if buf.starts_with(b"HTTP/1.1 400 ") {
        ServerError::MalformedRequestHead
    } else {
        return None;
    };
    let head_only = buf.ends_with(b"\r\n\r\n")
        && buf
            .windows(b"\r\ncontent-length: 0\r\n".len())
            .any(|w| w.eq_ignore_ascii_case(b"\r\ncontent-length: 0\r\n"));
    head_only.then_some(error)
}

/// The whole HTTP/1.1 answer for `error`; the connection closes after it,
/// as hyper closes it after its own.
pub fn raw_answer(error: &ServerError) -> Vec<u8> {
    let body = serde_json::to_string(&error.api_error()).expect("an ApiError serializes");
    let status = error.status();
    format!(
        "HTTP/1.1 {} {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        status.as_u16(),
        status.canonical_reason().unwrap_or(""),
        body.len(),
    )
    .into_bytes()
}

impl<S: AsyncWrite + Unpin> JsonHeadErrors<S> {
    /// Writes the rest of the replacement; then `buf` counts as written.
    fn poll_replacement(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let Some(replacing) = self.replacing.as_mut() else {
            return Poll::Ready(Ok(0));
        };
        while replacing.written < replacing.bytes.len() {
            let rest = &replacing.bytes[replacing.written..];
            let n = ready!(Pin::new(&mut self.inner).poll_write(cx, rest))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            replacing.written += n;
        }
        let stands_for = replacing.stands_for;
        self.replacing = None;
        Poll::Ready(Ok(stands_for))
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for JsonHeadErrors<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.replacing.is_none() {
            let Some(error) = bare_answer(buf) else {
                return Pin::new(&mut this.inner).poll_write(cx, buf);
            };
            this.replacing = Some(Replacement {
                bytes: raw_answer(&error),
                written: 0,
                stands_for: buf.len(),
            });
        }
        this.poll_replacement(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        // hyper queues a bare answer as one slice of its own.
        let first = bufs.iter().find(|b| !b.is_empty()).map(|b| &**b);
        match first {
            Some(first) if this.replacing.is_some() || bare_answer(first).is_some() => {
                Pin::new(this).poll_write(cx, first)
            }
            _ => Pin::new(&mut this.inner).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_replacement(cx))?;
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_replacement(cx))?;
        Pin::new(&mut this.inner).poll_shutdown(cx)
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for JsonHeadErrors<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    async fn written(through: &[u8]) -> String {
        let (ours, mut theirs) = tokio::io::duplex(4096);
        let mut stream = JsonHeadErrors::new(ours);
        stream.write_all(through).await.unwrap();
        stream.shutdown().await.unwrap();
        drop(stream);
        let mut out = String::new();
        theirs.read_to_string(&mut out).await.unwrap();
        out
    }

    #[tokio::test]
    async fn a_bare_uri_too_long_gets_a_json_body() {
        let out =
            written(b"HTTP/1.1 414 URI Too Long\r\ncontent-length: 0\r\ndate: x\r\n\r\n").await;
        assert!(out.starts_with("HTTP/1.1 414 URI Too Long\r\n"), "{out}");
        assert!(out.contains(r#""code":"uri_too_long""#), "{out}");
    }

    #[tokio::test]
    async fn answers_with_a_body_pass_unchanged() {
        let answer = "HTTP/1.1 400 Bad Request\r\ncontent-length: 2\r\n\r\n{}";
        assert_eq!(written(answer.as_bytes()).await, answer);
    }
}
