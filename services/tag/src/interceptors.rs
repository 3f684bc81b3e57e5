//! The tag service's part of the API pipeline and of every create: a request's `systemTags` and
//! `userTags` are checked as the tag APIs check theirs before anything is created, then written
//! in the create's own transaction.

use futures_util::future::BoxFuture;
use serde_json::{Map, Value};
use zstack_kernel::error::argerr;
use zstack_kernel::pipeline::{ApiCall, CallInput, Interceptor};
use zstack_kernel::resource::{CreateHook, Created};
use zstack_kernel::tags::{SYSTEM_TAGS_HEADER, USER_TAGS_HEADER};
use zstack_kernel::{ApiResult, ErrorCode, NodeContext};

use crate::handlers::{check_pattern, insert_system_tag, insert_user_tag};

/// The longest tag, as the tag APIs take it.
const MAX_TAG_LENGTH: usize = 2048;

/// The tags of a request, checked as the tag APIs check theirs (trimmed, not empty, at most
/// 2,048 characters, no NUL), and at most `max` of them in all.
fn read(params: &Map<String, Value>, max: usize) -> ApiResult<(Vec<String>, Vec<String>)> {
    let list = |name: &str| -> Vec<&Value> {
        match params.get(name) {
            Some(Value::Array(items)) => items.iter().collect(),
            Some(one @ Value::String(_)) => vec![one],
            _ => Vec::new(),
        }
    };
    let (system, user) = (list("systemTags"), list("userTags"));
    if system.len() + user.len() > max {
        return Err(argerr(format!(
            "a request carries at most {max} tags in systemTags and userTags together, but this one has {}",
            system.len() + user.len()
        )));
    }
    let check = |name: &str, items: Vec<&Value>| -> ApiResult<Vec<String>> {
        items
            .into_iter()
            .map(|v| {
                let tag = v.as_str().unwrap_or_default().trim();
                let len = tag.chars().count();
                if tag.is_empty() {
                    Err(argerr(format!("a tag in [{name}] is empty")))
                } else if len > MAX_TAG_LENGTH {
                    Err(argerr(format!(
                        "a tag in [{name}] exceeds max length of string. expected was <= {MAX_TAG_LENGTH}, actual was {len}"
                    )))
                } else if tag.contains('\0') {
                    Err(argerr(format!("a tag in [{name}] contains a NUL character")))
                } else {
                    Ok(tag.to_string())
                }
            })
            .collect()
    };
    Ok((check("systemTags", system)?, check("userTags", user)?))
}

fn encode(tags: &[String]) -> Result<String, ErrorCode> {
    serde_json::to_string(tags).map_err(|e| zstack_kernel::ApiError::Internal(e.to_string()).into())
}

fn decode(created: &Created<'_>, header: &str) -> ApiResult<Vec<String>> {
    match created.ctx.headers.get(header) {
        None => Ok(Vec::new()),
        Some(json) => serde_json::from_str(json)
            .map_err(|e| zstack_kernel::ApiError::Internal(format!("header {header}: {e}")).into()),
    }
}

/// Checks a request's tags; a create's go with its message, for [`TagsOfCreate`].
pub struct RequestTagsCheck;

impl Interceptor for RequestTagsCheck {
    fn before<'a>(
        &'a self,
        node: &'a NodeContext,
        call: &'a mut ApiCall,
    ) -> BoxFuture<'a, ApiResult<()>> {
        Box::pin(async move {
            let CallInput::Params(params) = &call.input else {
                return Ok(());
            };
            let (system, user) = read(params, node.config.max_tags_per_request)?;
            // Only creates take tags; elsewhere they are bounded and otherwise ignored.
            let Some(resource_type) = call.api.creates else {
                return Ok(());
            };
            for tag in &system {
                check_pattern(node, resource_type, tag)?;
            }
            if !system.is_empty() {
                call.headers
                    .insert(SYSTEM_TAGS_HEADER.to_string(), encode(&system)?);
            }
            if !user.is_empty() {
                call.headers
                    .insert(USER_TAGS_HEADER.to_string(), encode(&user)?);
            }
            Ok(())
        })
    }
}

/// Writes a create request's tags on the new resource, in the create's transaction.
pub struct TagsOfCreate;

impl CreateHook for TagsOfCreate {
    fn created<'a>(&'a self, created: &'a Created<'a>) -> BoxFuture<'a, ApiResult<()>> {
        Box::pin(async move {
            for tag in decode(created, SYSTEM_TAGS_HEADER)? {
                insert_system_tag(
                    created.txn,
                    created.resource_type,
                    created.uuid,
                    &tag,
                    false,
                )
                .await?;
            }
            for tag in decode(created, USER_TAGS_HEADER)? {
                insert_user_tag(created.txn, created.resource_type, created.uuid, &tag).await?;
            }
            Ok(())
        })
    }
}
