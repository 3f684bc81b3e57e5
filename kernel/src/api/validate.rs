//! Parameter handling in two steps, as ZStack does it: the gateway checks JSON types (a mismatch
//! is malformed HTTP, 400), then the API pipeline runs the declared checks (an API failure:
//! SYS.1007, or SYS.1003 for a referenced resource that does not exist).

use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, DatabaseConnection};
use serde_json::{Map, Value};

use super::{ParamKind, ParamSpec};
use crate::error::{ApiError, ErrorCode};
use crate::message::is_uuid;

/// Keeps only declared parameters, drops nulls and (for query strings) empty values, converts
/// query-string text to the declared type, and refuses a value of the wrong type naming the field.
pub fn typecheck(
    specs: &[ParamSpec],
    raw: Map<String, Value>,
    from_query_string: bool,
) -> Result<Map<String, Value>, String> {
    let mut out = Map::new();
    for spec in specs {
        let Some(value) = raw.get(&spec.name) else {
            continue;
        };
        let value = match value {
            Value::Null => continue,
            Value::String(s) if from_query_string => match query_value(spec, s)? {
                Some(v) => v,
                None => continue,
            },
            // A name repeated in a query string: the values of a list, or the last one wins.
            Value::Array(items) if from_query_string => {
                let texts: Vec<&str> = items.iter().filter_map(Value::as_str).collect();
                let value = if spec.kind == ParamKind::StrList {
                    query_value(spec, &texts.join(","))?
                } else {
                    match texts.last() {
                        Some(last) => query_value(spec, last)?,
                        None => None,
                    }
                };
                match value {
                    Some(v) => v,
                    None => continue,
                }
            }
            v if spec.kind.accepts(v) => v.clone(),
            v => return Err(type_error(spec, v)),
        };
        out.insert(spec.name.clone(), value);
    }
    // Every API accepts tags beside its own parameters.
    for tags in ["systemTags", "userTags"] {
        match raw.get(tags) {
            None | Some(Value::Null) => {}
            Some(Value::Array(items)) if items.iter().all(Value::is_string) => {
                out.insert(tags.to_string(), Value::Array(items.clone()));
            }
            // A query string names a list once when it has one value.
            Some(Value::String(one)) if from_query_string => {
                out.insert(
                    tags.to_string(),
                    Value::Array(vec![Value::String(one.clone())]),
                );
            }
            Some(_) => return Err(format!("[{tags}] must be a list of strings")),
        }
    }
    Ok(out)
}

/// A query-string text as the parameter's type; `None` for an empty value (ignored).
fn query_value(spec: &ParamSpec, text: &str) -> Result<Option<Value>, String> {
    if text.is_empty() {
        return Ok(None);
    }
    spec.kind
        .from_text(text)
        .map(Some)
        .ok_or_else(|| type_error(spec, text))
}

fn type_error(spec: &ParamSpec, got: impl std::fmt::Display) -> String {
    format!(
        "invalid value for field[{}]: expected {}, but was [{}]",
        spec.name,
        spec.kind.describe(),
        got
    )
}

/// Runs every declared check; trims strings unless told not to.
pub async fn validate(
    db: &DatabaseConnection,
    api: &str,
    specs: &[ParamSpec],
    params: &mut Map<String, Value>,
) -> Result<(), ErrorCode> {
    for spec in specs {
        let field = &spec.name;
        if let Some(Value::String(s)) = params.get_mut(field)
            && !spec.checks.no_trim
        {
            let trimmed = s.trim();
            if trimmed.len() != s.len() {
                *s = trimmed.to_string();
            }
        }
        let Some(value) = params.get(field) else {
            if spec.required {
                return Err(arg(format!(
                    "field[{field}] of message[{api}] is mandatory, can not be null"
                )));
            }
            continue;
        };
        let texts: Vec<&str> = match value {
            Value::String(s) => vec![s.as_str()],
            Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        for text in &texts {
            // No database stores NUL in text (PostgreSQL refuses it outright).
            if text.contains('\0') {
                return Err(arg(format!(
                    "field[{field}] of message[{api}] contains a NUL character (\\u0000)"
                )));
            }
            if let Some(max) = spec.checks.max_len {
                let len = text.chars().count();
                if len > max {
                    return Err(arg(format!(
                        "field[{field}] of message[{api}] exceeds max length of string. expected was <= {max}, actual was {len}"
                    )));
                }
            }
            if let Some(valid) = spec.checks.valid_values
                && !valid.contains(text)
            {
                return Err(arg(format!(
                    "valid value for field[{field}] of message[{api}] are {valid:?}, but {text} found"
                )));
            }
            if spec.checks.uuid && !is_uuid(text) {
                return Err(arg(format!(
                    "field[{field}] of message[{api}] must be a uuid of 32 hex digits, but was [{text}]"
                )));
            }
        }
        if let (Some((low, high)), Some(n)) = (spec.checks.range, value.as_i64())
            && (n < low || n > high)
        {
            return Err(arg(format!(
                "field[{field}] must be in range of [{low}, {high}]"
            )));
        }
        if let Some(resource) = spec.checks.resource {
            for uuid in texts {
                let exists = Query::select()
                    .expr(Expr::val(1))
                    .from(resource.table)
                    .and_where(Expr::col("uuid").eq(uuid))
                    .limit(1)
                    .to_owned();
                if db.query_one(&exists).await?.is_none() {
                    return Err(ApiError::ResourceNotFound(format!(
                        "invalid field[{field}], resource[uuid:{uuid}, type:{}] not found",
                        resource.vo_name
                    ))
                    .into());
                }
            }
        }
    }
    Ok(())
}

fn arg(details: String) -> ErrorCode {
    ApiError::InvalidArgument(details).into()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn query_string_text_becomes_the_declared_type_and_repeats_become_lists() {
        let specs = vec![
            ParamSpec::of::<Option<Vec<String>>>("uuids"),
            ParamSpec::of::<Option<bool>>("all"),
            ParamSpec::of::<Option<i64>>("limit"),
        ];
        let raw = json!({"uuids": ["a", "b,c"], "all": "true", "limit": ["1", "2"], "other": "x"});
        let typed = typecheck(&specs, raw.as_object().unwrap().clone(), true).unwrap();
        assert_eq!(
            Value::Object(typed),
            json!({"uuids": ["a", "b", "c"], "all": true, "limit": 2})
        );
        let bad = json!({"all": "maybe"});
        let err = typecheck(&specs, bad.as_object().unwrap().clone(), true).unwrap_err();
        assert!(err.contains("field[all]"), "{err}");
    }
}
