//! Query strings → [`QueryRequest`]. Malformed input here is a 400 (the message says why).

use super::{Condition, QueryLimits, QueryOp, QueryRequest};

/// The operators users write, for error messages.
pub const QUERY_OPERATORS: &[&str] = &[
    "=", "!=", ">", "<", ">=", "<=", "?=", "!?=", "~=", "!~=", "is null", "not null",
];

// Symbolic operators, longest first so `>=` wins over `>` at the same position.
const SYMBOLIC: &[(&str, QueryOp)] = &[
    ("!?=", QueryOp::NotIn),
    ("!~=", QueryOp::NotLike),
    ("!=", QueryOp::Ne),
    (">=", QueryOp::Ge),
    ("<=", QueryOp::Le),
    ("?=", QueryOp::In),
    ("~=", QueryOp::Like),
    ("=", QueryOp::Eq),
    (">", QueryOp::Gt),
    ("<", QueryOp::Lt),
];

/// Parses one condition such as `name=vm1`, `cpuNum>=4`, `uuid?=a,b` or `description is null`.
/// The operator is the one that starts earliest (longest at that position), so a value may itself
/// contain operator characters (`description=a=b`).
pub fn parse_condition(text: &str) -> Result<Condition, String> {
    let earliest = SYMBOLIC
        .iter()
        .filter_map(|(sym, op)| text.find(sym).map(|at| (at, *sym, *op)))
        .min_by_key(|(at, sym, _)| (*at, usize::MAX - sym.len()));
    if let Some((at, sym, op)) = earliest {
        let path = text[..at].trim();
        if path.is_empty() {
            return Err(format!(
                "Invalid query parameter. The condition '{text}' has no field name"
            ));
        }
        // ZStack's conditions have no spaces around the operator; `name = x` would otherwise
        // look for a field `name ` and silently match nothing.
        let value = &text[at + sym.len()..];
        if path.len() != at || value.starts_with(char::is_whitespace) {
            return Err(format!(
                "Invalid query parameter. The condition '{text}' has spaces around its operator '{sym}'; write it without them, as '{path}{sym}{}'",
                value.trim_start()
            ));
        }
        return Ok(Condition {
            path: path.to_string(),
            op,
            value: Some(text[at + sym.len()..].to_string()),
        });
    }
    for (suffix, op) in [
        (" is null", QueryOp::IsNull),
        (" not null", QueryOp::NotNull),
    ] {
        if let Some(path) = text.strip_suffix(suffix) {
            let path = path.trim();
            if !path.is_empty() {
                return Ok(Condition {
                    path: path.to_string(),
                    op,
                    value: None,
                });
            }
        }
    }
    Err(format!(
        "Invalid query parameter. The '{text}' in the parameter[q] doesn't contain any query operator. Valid query operators are {QUERY_OPERATORS:?}"
    ))
}

fn parse_bool(name: &str, value: &str) -> Result<bool, String> {
    match value.to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(format!(
            "Invalid query parameter. '{name}' must be true or false, but was [{value}]"
        )),
    }
}

/// A paging number: the database takes signed 64-bit numbers, so larger ones are refused here.
fn parse_paging(name: &str, value: &str) -> Result<u64, String> {
    let n: u64 = value.parse().map_err(|_| {
        if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
            too_large(name, value)
        } else {
            format!(
                "Invalid query parameter. '{name}' must be a non-negative integer, but was [{value}]"
            )
        }
    })?;
    if n > i64::MAX as u64 {
        return Err(too_large(name, value));
    }
    Ok(n)
}

fn too_large(name: &str, value: &str) -> String {
    format!(
        "Invalid query parameter. '{name}' must be at most {}, but was [{value}]",
        i64::MAX
    )
}

/// `text`, cut to a length fit for an error message.
fn excerpt(text: &str) -> String {
    const KEEP: usize = 80;
    match text.char_indices().nth(KEEP) {
        Some((at, _)) => format!("{}...", &text[..at]),
        None => text.to_string(),
    }
}

/// Relations a dotted path follows: one fewer than its parts.
pub fn hops(path: &str) -> usize {
    path.matches('.').count()
}

/// Refuses a condition whose path follows more relations than `limits` allow.
pub fn check_hops(cond: &Condition, limits: &QueryLimits) -> Result<(), String> {
    let hops = hops(&cond.path);
    if hops > limits.max_hops {
        return Err(format!(
            "Invalid query parameter. The condition field [{}] follows {hops} relations, but a query may follow at most {} (the query hop limit)",
            excerpt(&cond.path),
            limits.max_hops
        ));
    }
    Ok(())
}

/// Refuses a request with more conditions than `limits` allow.
pub fn check_conditions(count: usize, limits: &QueryLimits) -> Result<(), String> {
    if count > limits.max_conditions {
        return Err(format!(
            "Invalid query parameter. A query may have at most {} conditions (the query condition limit), but this one has {count} or more",
            limits.max_conditions
        ));
    }
    Ok(())
}

impl QueryRequest {
    /// Reads a query API's query string (still percent-encoded), within `limits`.
    pub fn from_query_string(query_string: &str, limits: &QueryLimits) -> Result<Self, String> {
        if query_string.len() > limits.max_length {
            return Err(format!(
                "Invalid query parameter. The query string is {} bytes long, but a query may be at most {} bytes (the query length limit)",
                query_string.len(),
                limits.max_length
            ));
        }
        let pairs: Vec<(String, String)> = form_urlencoded::parse(query_string.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        Self::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())), limits)
    }

    /// Builds a request from decoded query-string pairs, within `limits` (length aside: see
    /// [`QueryRequest::from_query_string`]). Empty values and unknown names are ignored;
    /// `condition=` is read like `q=` because ZStack's manual writes it so.
    pub fn from_pairs<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
        limits: &QueryLimits,
    ) -> Result<Self, String> {
        let mut req = QueryRequest::default();
        for (name, value) in pairs {
            if value.is_empty() {
                continue;
            }
            match name {
                "q" | "condition" | "conditions" => {
                    check_conditions(req.conditions.len() + 1, limits)?;
                    // Databases cannot hold NUL in text (PostgreSQL refuses it outright).
                    if value.contains('\0') {
                        return Err(format!(
                            "Invalid query parameter. The condition [{}] contains a NUL character",
                            excerpt(&value.replace('\0', "\\0"))
                        ));
                    }
                    let cond = parse_condition(value)?;
                    check_hops(&cond, limits)?;
                    req.conditions.push(cond);
                }
                "limit" => req.limit = parse_paging(name, value)?,
                "start" => req.start = parse_paging(name, value)?,
                "count" => req.count = parse_bool(name, value)?,
                "replyWithCount" => req.reply_with_count = parse_bool(name, value)?,
                "groupBy" => req.group_by = Some(value.to_string()),
                "sortBy" => req.sort_by = Some(value.to_string()),
                "sortDirection" => {
                    req.sort_desc = match value.to_ascii_lowercase().as_str() {
                        "asc" => false,
                        "desc" => true,
                        _ => {
                            return Err(format!(
                                "Invalid query parameter. 'sortDirection' must be asc or desc, but was [{value}]"
                            ));
                        }
                    }
                }
                "sort" => {
                    let (desc, field) = match value.as_bytes()[0] {
                        b'-' => (true, &value[1..]),
                        b'+' => (false, &value[1..]),
                        // A '+' in a query string decodes to a space.
                        b' ' => (false, &value[1..]),
                        _ => (false, value),
                    };
                    req.sort_desc = desc;
                    req.sort_by = Some(field.trim().to_string());
                }
                "fields" => {
                    req.fields.extend(
                        value
                            .split(',')
                            .map(str::trim)
                            .filter(|f| !f.is_empty())
                            .map(String::from),
                    );
                    if req.fields.len() > limits.max_fields {
                        return Err(format!(
                            "Invalid query parameter. 'fields' may name at most {} fields (the query field limit), but names {}",
                            limits.max_fields,
                            req.fields.len()
                        ));
                    }
                }
                _ => {}
            }
        }
        Ok(req)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cond(text: &str) -> (String, QueryOp, Option<String>) {
        let c = parse_condition(text).unwrap();
        (c.path, c.op, c.value)
    }

    #[test]
    fn every_operator_of_the_seed_parses() {
        let v = |s: &str| Some(s.to_string());
        assert_eq!(cond("name=vm1"), ("name".into(), QueryOp::Eq, v("vm1")));
        assert_eq!(cond("name!=vm1"), ("name".into(), QueryOp::Ne, v("vm1")));
        assert_eq!(cond("cpuNum>5"), ("cpuNum".into(), QueryOp::Gt, v("5")));
        assert_eq!(cond("cpuNum<5"), ("cpuNum".into(), QueryOp::Lt, v("5")));
        assert_eq!(cond("cpuNum>=5"), ("cpuNum".into(), QueryOp::Ge, v("5")));
        assert_eq!(cond("cpuNum<=5"), ("cpuNum".into(), QueryOp::Le, v("5")));
        assert_eq!(cond("uuid?=a,b"), ("uuid".into(), QueryOp::In, v("a,b")));
        assert_eq!(
            cond("name!?=VM1,VM2"),
            ("name".into(), QueryOp::NotIn, v("VM1,VM2"))
        );
        assert_eq!(
            cond("name~=Intel%"),
            ("name".into(), QueryOp::Like, v("Intel%"))
        );
        assert_eq!(
            cond("name!~=Intel_7"),
            ("name".into(), QueryOp::NotLike, v("Intel_7"))
        );
        assert_eq!(cond("name is null"), ("name".into(), QueryOp::IsNull, None));
        assert_eq!(
            cond("name not null"),
            ("name".into(), QueryOp::NotNull, None)
        );
        assert_eq!(
            cond("cluster.zone.name=z1"),
            ("cluster.zone.name".into(), QueryOp::Eq, v("z1"))
        );
        assert_eq!(
            cond("description=a=b"),
            ("description".into(), QueryOp::Eq, v("a=b"))
        );
    }

    #[test]
    fn a_condition_without_operator_is_refused() {
        let e = parse_condition("justaname").unwrap_err();
        assert!(e.contains("doesn't contain any query operator"), "{e}");
    }

    #[test]
    fn paging_sorting_and_fields_parse() {
        let limits = QueryLimits::default();
        let r = QueryRequest::from_pairs(
            [
                ("q", "name=a"),
                ("limit", "10"),
                ("start", "5"),
                ("sort", "-createDate"),
                ("fields", "uuid,name"),
                ("replyWithCount", "true"),
                ("deleteMode", ""),
                ("whatever", "x"),
            ],
            &limits,
        )
        .unwrap();
        assert_eq!((r.limit, r.start), (10, 5));
        assert_eq!(r.sort_by.as_deref(), Some("createDate"));
        assert!(r.sort_desc && r.reply_with_count && !r.count);
        assert_eq!(r.fields, vec!["uuid", "name"]);
        assert!(QueryRequest::from_pairs([("limit", "x")], &limits).is_err());
    }

    #[test]
    fn paging_beyond_signed_64_bits_is_refused_naming_the_parameter() {
        let limits = QueryLimits::default();
        let max = i64::MAX.to_string();
        let r = QueryRequest::from_pairs([("limit", max.as_str()), ("start", "0")], &limits);
        assert_eq!(r.unwrap().limit, i64::MAX as u64);
        for (name, value) in [
            ("limit", "9223372036854775808"),
            ("start", "18446744073709551615"),
            ("limit", "99999999999999999999999"),
        ] {
            let e = QueryRequest::from_pairs([(name, value)], &limits).unwrap_err();
            assert!(
                e.contains(&format!("'{name}' must be at most {max}")),
                "{e}"
            );
        }
        let e = QueryRequest::from_pairs([("start", "-1")], &limits).unwrap_err();
        assert!(e.contains("'start' must be a non-negative integer"), "{e}");
    }

    #[test]
    fn hops_conditions_fields_and_length_are_bounded() {
        let limits = QueryLimits {
            max_hops: 2,
            max_conditions: 2,
            max_fields: 2,
            max_length: 40,
            ..QueryLimits::default()
        };
        assert!(QueryRequest::from_pairs([("q", "a.b.c=1")], &limits).is_ok());
        let e = QueryRequest::from_pairs([("q", "a.b.c.d=1")], &limits).unwrap_err();
        assert!(
            e.contains("follows 3 relations") && e.contains("at most 2"),
            "{e}"
        );
        let three = [("q", "a=1"), ("q", "b=1"), ("q", "c=1")];
        let e = QueryRequest::from_pairs(three, &limits).unwrap_err();
        assert!(e.contains("at most 2 conditions"), "{e}");
        let e =
            QueryRequest::from_pairs([("fields", "a,b"), ("fields", "c")], &limits).unwrap_err();
        assert!(e.contains("at most 2 fields"), "{e}");
        let e = QueryRequest::from_query_string(&"q=a%3D1&".repeat(6), &limits).unwrap_err();
        assert!(e.contains("at most 40 bytes"), "{e}");
        let ok = QueryRequest::from_query_string("q=name%3Dx&fields=uuid", &limits).unwrap();
        assert_eq!(ok.conditions[0].value.as_deref(), Some("x"));
        let e = QueryRequest::from_query_string("q=name%3Da%00b", &limits).unwrap_err();
        assert!(e.contains("NUL"), "{e}");
    }
}
