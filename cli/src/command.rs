//! A command line (`CreateZone name=z1`, `QueryHost cluster.zone.name=z1 limit=10`) turned into
//! the HTTP request the node expects, checked against the metadata before anything is sent.

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha512};

use crate::CliError;
use crate::metadata::{Api, Metadata, Param, QUERY_KEYS, TAG_KEYS, nearest};

#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub body: Option<Value>,
}

impl Request {
    /// The path and its query string, encoded.
    pub fn target(&self) -> String {
        let mut out = self.path.clone();
        for (i, (k, v)) in self.query.iter().enumerate() {
            out.push(if i == 0 { '?' } else { '&' });
            out.push_str(&percent_encode(k));
            out.push('=');
            out.push_str(&percent_encode(v));
        }
        out
    }
}

/// Condition operators, longest first so `!=` is not read as `=`.
const OPERATORS: &[&str] = &["!?=", "!~=", "?=", "~=", "!=", ">=", "<=", "=", ">", "<"];

/// Splits a line into words: whitespace separates, quotes group, a backslash escapes.
pub fn split_words(line: &str) -> Result<Vec<String>, CliError> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some('"') | None, '\\') => {
                if let Some(next) = chars.next() {
                    word.push(next);
                }
                in_word = true;
            }
            (Some(_), c) => word.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            (None, c) => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if quote.is_some() {
        return Err(CliError::Usage("a quote is not closed".into()));
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

/// `field<op>value` split at its operator.
pub fn split_condition(word: &str) -> Option<(&str, &str, &str)> {
    let start = word.find(['=', '!', '<', '>', '?', '~'])?;
    let op = OPERATORS
        .iter()
        .find(|op| word[start..].starts_with(**op))?;
    Some((&word[..start], op, &word[start + op.len()..]))
}

fn sha512_hex(text: &str) -> String {
    Sha512::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Account and login passwords travel as their sha512 hex (the node keeps a hash of that);
/// other passwords (a backup storage's SSH login) are sent as typed.
fn is_account_password(api: &Api, param: &Param) -> bool {
    matches!(param.name.as_str(), "password" | "oldPassword")
        && (api.name.starts_with("LogIn")
            || api.name.contains("Account")
            || api.name.contains("User"))
}

fn typed(param: &Param, api: &Api, value: &str) -> Result<Value, CliError> {
    let bad = |what: &str| CliError::BadValue {
        api: api.name.clone(),
        param: param.name.clone(),
        why: format!("{value:?} is not {what}"),
    };
    if !param.valid_values.is_empty() && !param.valid_values.iter().any(|v| v == value) {
        return Err(CliError::BadValue {
            api: api.name.clone(),
            param: param.name.clone(),
            why: format!("{value:?} is not one of {}", param.valid_values.join(", ")),
        });
    }
    Ok(match param.kind.as_str() {
        "integer" => json!(value.parse::<i64>().map_err(|_| bad("an integer"))?),
        "number" => json!(value.parse::<f64>().map_err(|_| bad("a number"))?),
        "boolean" => json!(value.parse::<bool>().map_err(|_| bad("true or false"))?),
        "list" => json!(
            value
                .split(',')
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
        ),
        "object" => serde_json::from_str(value).map_err(|_| bad("JSON"))?,
        _ if is_account_password(api, param) => json!(sha512_hex(value)),
        _ => json!(value),
    })
}

fn path_vars(path: &str) -> impl Iterator<Item = &str> {
    path.split('/')
        .filter_map(|s| s.strip_prefix('{').and_then(|v| v.strip_suffix('}')))
}

/// Fills a path's `{var}` segments; the first path whose variables are all given wins.
fn choose_path(api: &Api, params: &mut Map<String, Value>) -> Result<String, CliError> {
    let path = api
        .paths
        .iter()
        .find(|p| path_vars(p).all(|v| params.contains_key(v)))
        .ok_or_else(|| {
            let missing: Vec<&str> = api
                .paths
                .first()
                .map(|p| path_vars(p).filter(|v| !params.contains_key(*v)).collect())
                .unwrap_or_default();
            CliError::Usage(format!(
                "{} needs {}",
                api.name,
                missing
                    .iter()
                    .map(|m| format!("{m}=..."))
                    .collect::<Vec<_>>()
                    .join(" ")
            ))
        })?;
    let mut out = String::from("/zstack/v1");
    for segment in path.split('/').filter(|s| !s.is_empty()) {
        out.push('/');
        match segment.strip_prefix('{').and_then(|v| v.strip_suffix('}')) {
            Some(var) => {
                let value = params.remove(var).unwrap_or_default();
                let text = match value {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                out.push_str(&percent_encode(&text));
            }
            None => out.push_str(segment),
        }
    }
    Ok(out)
}

/// Percent-encodes everything but unreserved characters (a path segment, a query value).
pub fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn query_value(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(query_value).collect::<Vec<_>>().join(","),
        other => other.to_string(),
    }
}

/// Builds the request of `api` from its words (`key=value`, or conditions for queries).
/// `session` fills a `sessionUuid` the user left out (LogOut).
pub fn build(
    meta: &Metadata,
    api: &Api,
    words: &[String],
    session: Option<&str>,
) -> Result<Request, CliError> {
    if let Some(resource) = &api.query {
        return build_query(meta, api, resource, words);
    }
    let mut params = Map::new();
    let mut tags: Vec<(String, Value)> = Vec::new();
    for word in words {
        let Some((key, value)) = word.split_once('=') else {
            return Err(CliError::Usage(format!(
                "{word:?}: parameters are written key=value"
            )));
        };
        if TAG_KEYS.contains(&key) {
            let list: Vec<&str> = value.split(',').filter(|s| !s.is_empty()).collect();
            tags.push((key.to_string(), json!(list)));
            continue;
        }
        let param =
            api.params
                .iter()
                .find(|p| p.name == key)
                .ok_or_else(|| CliError::UnknownParam {
                    api: api.name.clone(),
                    param: key.to_string(),
                    nearest: nearest(
                        key,
                        api.params
                            .iter()
                            .map(|p| p.name.as_str())
                            .chain(TAG_KEYS.iter().copied()),
                    ),
                })?;
        params.insert(key.to_string(), typed(param, api, value)?);
    }
    if let (Some(session), false) = (session, params.contains_key("sessionUuid"))
        && api.params.iter().any(|p| p.name == "sessionUuid")
    {
        params.insert("sessionUuid".into(), json!(session));
    }
    let missing: Vec<&str> = api
        .params
        .iter()
        .filter(|p| p.required && !params.contains_key(&p.name))
        .map(|p| p.name.as_str())
        .collect();
    if !missing.is_empty() {
        return Err(CliError::Usage(format!(
            "{} needs {}",
            api.name,
            missing
                .iter()
                .map(|m| format!("{m}=..."))
                .collect::<Vec<_>>()
                .join(" ")
        )));
    }
    let path = choose_path(api, &mut params)?;
    let (query, body) = match &api.body {
        None => {
            let mut query: Vec<(String, String)> = params
                .iter()
                .map(|(k, v)| (k.clone(), query_value(v)))
                .collect();
            query.extend(tags.iter().map(|(k, v)| (k.clone(), query_value(v))));
            (query, None)
        }
        Some(key) => {
            let mut body = Map::new();
            body.insert(key.clone(), Value::Object(params));
            body.extend(tags);
            (Vec::new(), Some(Value::Object(body)))
        }
    };
    Ok(Request {
        method: api.method.clone(),
        path,
        query,
        body,
    })
}

fn build_query(
    meta: &Metadata,
    api: &Api,
    resource: &str,
    words: &[String],
) -> Result<Request, CliError> {
    let mut query = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let word = &words[i];
        // `hostUuid is null`, `hostUuid not null`.
        if let (Some(is), Some(null)) = (words.get(i + 1), words.get(i + 2))
            && (is == "is" || is == "not")
            && null == "null"
            && split_condition(word).is_none()
        {
            meta.check_field(resource, word)?;
            query.push(("q".to_string(), format!("{word} {is} null")));
            i += 3;
            continue;
        }
        let Some((field, op, value)) = split_condition(word) else {
            return Err(CliError::Usage(format!(
                "{word:?}: a condition is field<op>value (op: {}), or `field is null` / `field not null`",
                OPERATORS.join(" ")
            )));
        };
        if op == "=" && (QUERY_KEYS.contains(&field) || field == "sort") {
            query.push((field.to_string(), value.to_string()));
        } else {
            meta.check_field(resource, field)?;
            query.push(("q".to_string(), word.clone()));
        }
        i += 1;
    }
    let path = api.paths.first().cloned().unwrap_or_default();
    Ok(Request {
        method: "GET".into(),
        path: format!("/zstack/v1{path}"),
        query,
        body: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_split_on_spaces_with_quotes_and_escapes() {
        assert_eq!(
            split_words(r#"CreateZone name="a b" description='c "d"' x=e\ f"#).unwrap(),
            ["CreateZone", "name=a b", "description=c \"d\"", "x=e f"]
        );
        assert!(split_words("name=\"open").is_err());
        assert!(split_words("  ").unwrap().is_empty());
    }

    #[test]
    fn conditions_split_at_the_longest_operator() {
        assert_eq!(split_condition("name!?=a,b"), Some(("name", "!?=", "a,b")));
        assert_eq!(split_condition("name~=web%"), Some(("name", "~=", "web%")));
        assert_eq!(split_condition("cpuNum>=2"), Some(("cpuNum", ">=", "2")));
        assert_eq!(split_condition("a.b=c=d"), Some(("a.b", "=", "c=d")));
        assert_eq!(split_condition("hostUuid"), None);
    }

    #[test]
    fn only_account_passwords_are_hashed() {
        let param = |name: &str| Param {
            name: name.into(),
            kind: "string".into(),
            required: true,
            valid_values: Vec::new(),
        };
        let api = |name: &str| Api {
            name: name.into(),
            method: "POST".into(),
            paths: vec!["/x".into()],
            body: Some("params".into()),
            sync: true,
            session: true,
            params: vec![param("password")],
            query: None,
        };
        let hashed = typed(&param("password"), &api("LogInByAccount"), "password").unwrap();
        assert_eq!(hashed.as_str().unwrap().len(), 128);
        assert!(hashed.as_str().unwrap().starts_with("b109f3bbbc244eb8"));
        let ssh = typed(&param("password"), &api("AddImageStoreBackupStorage"), "pw").unwrap();
        assert_eq!(ssh, "pw");
    }
}
