//! The connection the HTTP server talks over, with one change: the error responses actix-http
//! writes by itself, before any handler runs, get a ZStack error body. actix answers a request it
//! cannot parse (a URL over the 65,534 bytes the `http` crate accepts, more than 96 headers, a
//! malformed request line) with an empty 400, a head over its 128 KiB buffer with an empty 431
//! and a head not received in time with an empty 408, and offers no hook to change them. These
//! are recognised in what is written, where they are unambiguous: every response of the gateway
//! to such a status carries a body, and `\r\n` never occurs inside a body the gateway writes
//! (JSON and the metrics text have none).

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use memchr::memmem;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::error::ErrorCode;

/// The statuses actix-http answers by itself, and what to tell the client.
const BODILESS: &[(&[u8], &str)] = &[
    (
        b"400 ",
        "the request could not be parsed: a malformed request line or header, a URL longer than 65534 bytes, or more than 96 headers",
    ),
    (
        b"431 ",
        "the request head (request line and headers) is larger than 131072 bytes",
    ),
    (b"408 ", "the request head was not received in time"),
];

const EMPTY_LENGTH: &[u8] = b"\r\ncontent-length: 0\r\n";

pub struct ErrorBodies<T> {
    inner: T,
    /// A rewritten response being written: its bytes, how many are written, and how many bytes
    /// of the caller's buffer it stands for.
    pending: Option<(Vec<u8>, usize, usize)>,
}

impl<T> ErrorBodies<T> {
    pub fn new(inner: T) -> Self {
        ErrorBodies {
            inner,
            pending: None,
        }
    }
}

/// The first bodiless error head in `buf`: where it starts, its length, and the response to write
/// instead. The search keys on the empty length, rare in what the gateway writes, so that the
/// bytes of ordinary responses cost one fast scan.
fn find_bodiless(buf: &[u8]) -> Option<(usize, usize, Vec<u8>)> {
    let mut from = 0;
    while let Some(at) = memmem::find(&buf[from..], EMPTY_LENGTH) {
        let length_at = from + at;
        from = length_at + 1;
        // actix writes the length right after the status line.
        let window = length_at.saturating_sub(64);
        let Some(start) = memmem::rfind(&buf[window..length_at], b"HTTP/1.").map(|s| window + s)
        else {
            continue;
        };
        let status_line = &buf[start..length_at];
        if status_line.len() < 13
            || !matches!(status_line[7], b'0' | b'1')
            || status_line[8] != b' '
            || memmem::find(status_line, b"\r\n").is_some()
        {
            continue;
        }
        let Some((_, details)) = BODILESS
            .iter()
            .find(|(code, _)| status_line[9..].starts_with(code))
        else {
            continue;
        };
        // The head ends at the first empty line after the length's own line break.
        let Some(end) = memmem::find(&buf[length_at + 2..], b"\r\n\r\n") else {
            continue;
        };
        let head_end = length_at + 2 + end + 4;
        let body = ErrorCode::new("SYS.1007", "Bad request", *details)
            .to_body()
            .to_string();
        let mut out = Vec::with_capacity(head_end - start + body.len() + 64);
        out.extend_from_slice(status_line);
        out.extend_from_slice(
            format!(
                "\r\ncontent-length: {}\r\ncontent-type: application/json\r\n",
                body.len()
            )
            .as_bytes(),
        );
        out.extend_from_slice(&buf[length_at + EMPTY_LENGTH.len()..head_end]);
        out.extend_from_slice(body.as_bytes());
        return Some((start, head_end - start, out));
    }
    None
}

impl<T: AsyncRead + Unpin> AsyncRead for ErrorBodies<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for ErrorBodies<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        if this.pending.is_none() {
            match find_bodiless(buf) {
                None => return Pin::new(&mut this.inner).poll_write(cx, buf),
                // What comes before it goes out as it is.
                Some((start, _, _)) if start > 0 => {
                    return Pin::new(&mut this.inner).poll_write(cx, &buf[..start]);
                }
                Some((_, consumed, out)) => this.pending = Some((out, 0, consumed)),
            }
        }
        let Some((out, written, consumed)) = &mut this.pending else {
            return Poll::Ready(Ok(0));
        };
        // The caller retries with the same buffer until this reports it written.
        while *written < out.len() {
            match Pin::new(&mut this.inner).poll_write(cx, &out[*written..]) {
                Poll::Ready(Ok(0)) => return Poll::Ready(Ok(0)),
                Poll::Ready(Ok(n)) => *written += n,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            }
        }
        let consumed = (*consumed).min(buf.len());
        this.pending = None;
        Poll::Ready(Ok(consumed))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actix_bodiless_errors_get_a_body_and_nothing_else_changes() {
        let ok = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}";
        assert!(find_bodiless(ok).is_none());
        let ours = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 5\r\n\r\n{\"a\"}";
        assert!(find_bodiless(ours).is_none());
        let theirs = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\ndate: x\r\n\r\n";
        let mut both = ok.to_vec();
        both.extend_from_slice(theirs);
        let (start, len, out) = find_bodiless(&both).unwrap();
        assert_eq!((start, len), (ok.len(), theirs.len()));
        let out = String::from_utf8(out).unwrap();
        let (head, body) = out.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{head}");
        assert!(head.contains(&format!("\r\ncontent-length: {}\r\n", body.len())));
        assert!(head.contains("\r\nconnection: close\r\n"));
        assert!(head.ends_with("\r\ndate: x"), "{head}");
        // The length as the last header.
        let last = b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\n\r\n";
        let (start, len, out) = find_bodiless(last).unwrap();
        assert_eq!((start, len), (0, last.len()));
        let out = String::from_utf8(out).unwrap();
        assert!(
            out.contains("content-type: application/json\r\n\r\n{"),
            "{out}"
        );
        let body: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(body["error"]["code"], "SYS.1007");
    }
}
