//! ZStack's error model: the `ErrorCode` that travels on the bus and in HTTP bodies, and the typed
//! errors that map onto it. The mapping from a typed error to a code lives here and nowhere else.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// ZStack's `ErrorCode`: what an API failure looks like on the wire (`{"error": {...}}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, thiserror::Error)]
#[error("{code} {description}: {}", details.as_deref().unwrap_or(""))]
pub struct ErrorCode {
    pub code: String,
    pub description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cause: Option<Box<ErrorCode>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub opaque: Option<Map<String, Value>>,
}

impl ErrorCode {
    pub fn new(code: &str, description: &str, details: impl Into<String>) -> Self {
        ErrorCode {
            code: code.to_string(),
            description: description.to_string(),
            details: Some(details.into()),
            cause: None,
            opaque: None,
        }
    }

    pub fn with_cause(mut self, cause: ErrorCode) -> Self {
        self.cause = Some(Box::new(cause));
        self
    }

    /// The `{"error": ...}` body ZStack answers a failed API with.
    pub fn to_body(&self) -> Value {
        serde_json::json!({ "error": self })
    }
}

/// Everything that can go wrong while handling an API, as a typed value. Each variant has exactly one
/// ZStack code (see [`ApiError::code`]).
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    Internal(String),
    #[error("{0}")]
    Timeout(String),
    #[error("{0}")]
    ResourceNotFound(String),
    #[error("{0}")]
    OperationFailed(String),
    #[error("{0}")]
    InvalidArgument(String),
    #[error("no service deals with message: {0}")]
    NoService(String),
    #[error("{0}")]
    NodeUnavailable(String),
    #[error("{0}")]
    Canceled(String),
    #[error("wrong account name or password")]
    WrongCredentials,
    #[error("{0}")]
    InvalidSession(String),
    #[error("{0}")]
    PermissionDenied(String),
    #[error("{0}")]
    TooManyFailedLogins(String),
    /// A long job asked for something its kind cannot do (resume, cancel).
    #[error("{0}")]
    LongJobNotSupported(String),
    /// A host could not enter maintenance: what ran on it could not be moved off.
    #[error("{0}")]
    MaintenanceFailed(String),
    /// A database failure that is not the input's fault: its text stays in the node's log.
    #[error("an internal error happened; see the node's log")]
    Database(sea_orm::DbErr),
}

impl From<sea_orm::DbErr> for ApiError {
    /// Database errors never reach clients as they are: one caused by the input says what was
    /// wrong with it (SYS.1007), a statement stopped by its time bound is a timeout (SYS.1001),
    /// anything else is logged and answered generically (SYS.1000).
    fn from(e: sea_orm::DbErr) -> Self {
        use sea_orm::DbErr;
        let code = crate::db::error_code(&e);
        match code.as_deref() {
            // PostgreSQL: a NUL byte (character_not_in_repertoire) or bytes that are not UTF-8.
            Some("22021") => {
                tracing::warn!(error = %e, "the database refused a value");
                ApiError::InvalidArgument(
                    "a value contains a character the database cannot store (a NUL character, \\u0000)"
                        .into(),
                )
            }
            // PostgreSQL: string_data_right_truncation ("value too long for type ...(N)").
            Some("22001") => {
                tracing::warn!(error = %e, "the database refused a value");
                ApiError::InvalidArgument(match max_length(&e.to_string()) {
                    Some(n) => {
                        format!("a value is longer than its field allows (at most {n} characters)")
                    }
                    None => "a value is longer than its field allows".into(),
                })
            }
            _ if crate::db::is_statement_timeout(&e) => {
                tracing::warn!(error = %e, "a database statement was stopped by its time bound");
                ApiError::Timeout(
                    "a database statement ran longer than its time bound and was stopped".into(),
                )
            }
            _ if matches!(
                e,
                DbErr::ConnectionAcquire(sea_orm::ConnAcquireErr::Timeout)
            ) =>
            {
                tracing::warn!(error = %e, "no database connection became free in time");
                ApiError::Timeout("the database is busy: no connection became free in time".into())
            }
            _ => {
                tracing::error!(error = %e, "database error");
                ApiError::Database(e)
            }
        }
    }
}

/// The `N` of "value too long for type character varying(N)".
fn max_length(message: &str) -> Option<u64> {
    let open = message.rfind('(')?;
    let close = open + message[open..].find(')')?;
    message[open + 1..close].parse().ok()
}

impl ApiError {
    /// The one table from typed errors to ZStack's codes and descriptions.
    pub fn code(&self) -> (&'static str, &'static str) {
        match self {
            ApiError::Internal(_) | ApiError::Database(_) => {
                ("SYS.1000", "An internal error happened in system")
            }
            ApiError::Timeout(_) => ("SYS.1001", "A message or a operation timeout"),
            ApiError::ResourceNotFound(_) => ("SYS.1003", "A resource can not be found"),
            ApiError::OperationFailed(_) => ("SYS.1006", "An operation failed"),
            ApiError::InvalidArgument(_) => ("SYS.1007", "One or more API argument is invalid"),
            ApiError::NoService(_) => ("SYS.1008", "No service deals with the message"),
            ApiError::NodeUnavailable(_) => ("SYS.1012", "The management node is unavailable"),
            ApiError::Canceled(_) => ("SYS.1017", "The operation has been canceled"),
            ApiError::WrongCredentials => ("ID.1000", "Authentication error"),
            ApiError::InvalidSession(_) => ("ID.1001", "Invalid session"),
            ApiError::PermissionDenied(_) => ("ID.1002", "Permission denied"),
            ApiError::TooManyFailedLogins(_) => ("ID.1000", "Authentication error"),
            ApiError::LongJobNotSupported(_) => (
                "LONG_JOB.1003",
                "The long job does not support the operation",
            ),
            ApiError::MaintenanceFailed(_) => {
                ("HOST.1001", "Unable to put host to maintenance mode")
            }
        }
    }
}

impl From<ApiError> for ErrorCode {
    fn from(e: ApiError) -> Self {
        let (code, description) = e.code();
        ErrorCode::new(code, description, e.to_string())
    }
}

impl From<sea_orm::DbErr> for ErrorCode {
    fn from(e: sea_orm::DbErr) -> Self {
        ApiError::from(e).into()
    }
}

/// Malformed HTTP, refused before any API runs: each has its HTTP status besides its ZStack
/// code (a failed API is always 503).
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    MethodNotAllowed(String),
    #[error("{0}")]
    TimedOut(String),
    #[error("{0}")]
    TooLarge(String),
}

impl RequestError {
    /// The one table from malformed requests to HTTP statuses and ZStack's codes.
    pub fn status_and_code(&self) -> (u16, &'static str, &'static str) {
        match self {
            RequestError::BadRequest(_) => (400, "SYS.1007", "Bad request"),
            RequestError::NotFound(_) => (404, "SYS.1009", "Not found"),
            RequestError::MethodNotAllowed(_) => (405, "SYS.1009", "Method not allowed"),
            RequestError::TimedOut(_) => (408, "SYS.1007", "Bad request"),
            RequestError::TooLarge(_) => (413, "SYS.1007", "Bad request"),
        }
    }
}

impl From<&RequestError> for ErrorCode {
    fn from(e: &RequestError) -> Self {
        let (_, code, description) = e.status_and_code();
        ErrorCode::new(code, description, e.to_string())
    }
}

/// Shorthands in the spirit of ZStack's `operr` and `argerr`.
pub fn operr(details: impl Into<String>) -> ErrorCode {
    ApiError::OperationFailed(details.into()).into()
}

pub fn argerr(details: impl Into<String>) -> ErrorCode {
    ApiError::InvalidArgument(details.into()).into()
}

pub fn not_found(details: impl Into<String>) -> ErrorCode {
    ApiError::ResourceNotFound(details.into()).into()
}

pub type ApiResult<T> = Result<T, ErrorCode>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_errors_map_to_zstack_codes_and_omit_nulls() {
        let e: ErrorCode = ApiError::InvalidArgument("field[name] is mandatory".into()).into();
        assert_eq!(e.code, "SYS.1007");
        let body = e.to_body();
        assert_eq!(body["error"]["details"], "field[name] is mandatory");
        assert!(body["error"].get("cause").is_none());
        let e: ErrorCode = ApiError::InvalidSession("Session expired".into()).into();
        assert_eq!(e.code, "ID.1001");
    }

    #[test]
    fn database_errors_answer_without_database_text() {
        let e: ErrorCode = sea_orm::DbErr::Custom("relation \"zone\" does not exist".into()).into();
        assert_eq!(e.code, "SYS.1000");
        assert_eq!(
            e.details.as_deref(),
            Some("an internal error happened; see the node's log")
        );
        assert_eq!(
            max_length("value too long for type character varying(2048)"),
            Some(2048)
        );
    }
}
