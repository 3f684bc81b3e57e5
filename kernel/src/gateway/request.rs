//! Reading a request: headers, the JSON body, the session token, and the API's parameters from
//! the query string or the body key.

use std::collections::HashMap;

use actix_web::HttpRequest;
use serde_json::{Map, Value};

use super::HttpError;
use crate::api::{ApiDescriptor, ApiInput, BodyKey, validate};
use crate::pipeline::CallInput;
use crate::query::QueryRequest;

pub(super) fn header<'r>(req: &'r HttpRequest, name: &str) -> Option<&'r str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

pub(super) fn body_object(body: &[u8]) -> Result<Map<String, Value>, HttpError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        // ZStack reads a `null` body as no parameters (its SDK sends one on attach calls).
        Ok(Value::Null) => Ok(Map::new()),
        Ok(_) => Err(HttpError::bad_request(
            "the request body must be a JSON object",
        )),
        Err(e) => Err(HttpError::bad_request(format!(
            "the request body is not valid JSON: {e}"
        ))),
    }
}

/// The session token of `Authorization: OAuth <session uuid>`; a missing or malformed header
/// is malformed HTTP (400).
pub(super) fn credentials(req: &HttpRequest) -> Result<String, HttpError> {
    let Some(auth) = header(req, "Authorization") else {
        return Err(HttpError::bad_request("missing header 'Authorization'"));
    };
    let Some(token) = auth.trim().strip_prefix("OAuth") else {
        return Err(HttpError::bad_request(
            "Authorization type must be 'OAuth', as in 'Authorization: OAuth <session uuid>'",
        ));
    };
    Ok(token.trim().to_string())
}

/// Query-string parameters by name; a repeated name (`uuids=a&uuids=b`, as ZStack's SDK sends
/// lists) becomes a list of its values.
fn query_string_params(query_string: &str) -> Map<String, Value> {
    let mut params = Map::new();
    for (name, value) in form_urlencoded::parse(query_string.as_bytes()) {
        let (name, value) = (name.into_owned(), value.into_owned());
        match params.get_mut(&name) {
            None => {
                params.insert(name, Value::String(value));
            }
            Some(Value::Array(values)) => values.push(Value::String(value)),
            Some(first) => {
                let first = first.take();
                params.insert(name, Value::Array(vec![first, Value::String(value)]));
            }
        }
    }
    params
}

/// The request's parameters for `api`: a query request, or typed parameters from the query
/// string or the body key, with URL variables and body-level tags merged in.
pub(super) fn read_input(
    api: &ApiDescriptor,
    vars: HashMap<&'static str, String>,
    mut body: Map<String, Value>,
    query_string: &str,
    query_limits: &crate::query::QueryLimits,
) -> Result<CallInput, HttpError> {
    Ok(match &api.input {
        ApiInput::Query(_) => {
            let mut request = QueryRequest::from_query_string(query_string, query_limits)
                .map_err(HttpError::bad_request)?;
            if let Some(uuid) = vars.get("uuid") {
                request.conditions.push(crate::query::Condition {
                    path: "uuid".into(),
                    op: crate::query::QueryOp::Eq,
                    value: Some(uuid.clone()),
                });
            }
            CallInput::Query(request)
        }
        ApiInput::Params(_) => {
            let (mut raw, from_query_string) = match api.route.body {
                BodyKey::None => {
                    let mut raw = query_string_params(query_string);
                    // A DELETE may also carry its parameters in a JSON body, flat or under
                    // `params`; the query string (as ZStack's SDK sends them) wins.
                    let in_body = match body.remove("params") {
                        Some(Value::Object(params)) => params,
                        _ => body,
                    };
                    for (name, value) in in_body {
                        raw.entry(name).or_insert(value);
                    }
                    (raw, true)
                }
                BodyKey::Params | BodyKey::Action => {
                    let key = api.action.as_deref().unwrap_or("params");
                    let mut raw = match body.remove(key) {
                        None | Some(Value::Null) => Map::new(),
                        Some(Value::Object(map)) => map,
                        Some(_) => {
                            return Err(HttpError::bad_request(format!(
                                "the value of [{key}] in the body must be a JSON object"
                            )));
                        }
                    };
                    // systemTags and userTags sit beside the parameters.
                    for tags in ["systemTags", "userTags"] {
                        if let Some(v) = body.remove(tags) {
                            raw.entry(tags).or_insert(v);
                        }
                    }
                    (raw, false)
                }
            };
            for (name, value) in vars {
                raw.insert(name.to_string(), Value::String(value));
            }
            CallInput::Params(
                validate::typecheck(&api.params, raw, from_query_string)
                    .map_err(HttpError::bad_request)?,
            )
        }
    })
}
