//! Reading a request body: at most [`MAX_BODY`] bytes, all of it within the body timeout, so a
//! client that stops sending halfway cannot hold a connection (actix's own timeout covers only
//! the request head).

use std::time::Duration;

use actix_web::HttpRequest;
use actix_web::error::PayloadError;
use actix_web::web::{Bytes, BytesMut, Payload};
use futures_util::StreamExt;

/// The largest request body accepted.
pub const MAX_BODY: usize = 4 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    #[error("the request body is larger than {MAX_BODY} bytes")]
    TooLarge,
    #[error("the request body was not received within {} s", .0.as_secs_f64())]
    TimedOut(Duration),
    #[error("the request body could not be read: {0}")]
    Broken(PayloadError),
}

impl From<BodyError> for crate::error::RequestError {
    fn from(e: BodyError) -> Self {
        use crate::error::RequestError;
        match e {
            BodyError::TooLarge => RequestError::TooLarge(e.to_string()),
            BodyError::TimedOut(_) => RequestError::TimedOut(e.to_string()),
            BodyError::Broken(_) => RequestError::BadRequest(e.to_string()),
        }
    }
}

pub async fn read(
    req: &HttpRequest,
    payload: &mut Payload,
    timeout: Duration,
) -> Result<Bytes, BodyError> {
    let declared = req
        .headers()
        .get("Content-Length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY as u64) {
        return Err(BodyError::TooLarge);
    }
    let whole = async {
        let mut body = BytesMut::new();
        while let Some(chunk) = payload.next().await {
            let chunk = chunk.map_err(|e| match e {
                PayloadError::Overflow => BodyError::TooLarge,
                e => BodyError::Broken(e),
            })?;
            if body.len() + chunk.len() > MAX_BODY {
                return Err(BodyError::TooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body.freeze())
    };
    tokio::time::timeout(timeout, whole)
        .await
        .map_err(|_| BodyError::TimedOut(timeout))?
}
