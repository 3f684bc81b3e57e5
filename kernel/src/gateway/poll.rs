//! `GET /api-jobs/{uuid}`: an async API's job, for the account that submitted it and admin only.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use serde_json::json;

use super::request::credentials;
use super::{Gateway, HttpError};
use crate::api::HttpMethod;
use crate::identity::CheckSessionMsg;
use crate::jobs::store as jobs;
use crate::message::SessionInfo;

impl Gateway {
    /// The session a poll comes with; `None` when it has none or an invalid one (the poll then
    /// answers as for an unknown job), an error only when the session could not be checked.
    async fn poll_session(&self, req: &HttpRequest) -> Result<Option<SessionInfo>, HttpError> {
        let Ok(token) = credentials(req) else {
            return Ok(None);
        };
        let check = CheckSessionMsg {
            session_uuid: token,
        };
        match self
            .node
            .bus
            .call_with_timeout(check, self.node.config.sync_api_timeout)
            .await
        {
            Ok(session) => Ok(Some(session)),
            Err(e) if e.code == "ID.1001" => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    pub(super) async fn poll(
        &self,
        req: &HttpRequest,
        method: HttpMethod,
        uuid: &str,
    ) -> Result<HttpResponse, HttpError> {
        if method != HttpMethod::Get {
            return Err(HttpError::method_not_allowed(
                "only GET method is allowed for querying job status",
            ));
        }
        let expired = || HttpError::not_found(format!("the job[uuid:{uuid}] has been expired"));
        // Only the submitting account and admin learn anything of a job, even that it exists.
        let Some(session) = self.poll_session(req).await? else {
            return Err(expired());
        };
        if !jobs::readable_by(&self.node.db, uuid, &session.account_uuid, session.is_admin).await? {
            return Err(expired());
        }
        match jobs::view(&self.node.db, uuid, self.node.config.job_retention).await? {
            jobs::JobView::Gone => Err(expired()),
            jobs::JobView::Running => {
                Ok(HttpResponse::Accepted().json(json!({ "location": self.location(req, uuid) })))
            }
            jobs::JobView::Done { success, body } => {
                let status = if success {
                    StatusCode::OK
                } else {
                    StatusCode::SERVICE_UNAVAILABLE
                };
                Ok(HttpResponse::build(status)
                    .content_type("application/json")
                    .body(body))
            }
        }
    }
}
