//! Query strings → [`QueryRequest`]. Malformed input here is a 400 (the message says why).

use super::{Condition, QueryOp, QueryRequest};

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

fn parse_u64(name: &str, value: &str) -> Result<u64, String> {
    value.parse().map_err(|_| {
        format!(
            "Invalid query parameter. '{name}' must be a non-negative integer, but was [{value}]"
        )
    })
}

impl QueryRequest {
    /// Builds a request from decoded query-string pairs. Empty values and unknown names are
    /// ignored; `condition=` is read like `q=` because ZStack's manual writes it so.
    pub fn from_pairs<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, String> {
        let mut req = QueryRequest::default();
        for (name, value) in pairs {
            if value.is_empty() {
                continue;
            }
            match name {
                "q" | "condition" | "conditions" => req.conditions.push(parse_condition(value)?),
                "limit" => req.limit = parse_u64(name, value)?,
                "start" => req.start = parse_u64(name, value)?,
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
                "fields" => req.fields.extend(
                    value
                        .split(',')
                        .map(str::trim)
                        .filter(|f| !f.is_empty())
                        .map(String::from),
                ),
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
        let r = QueryRequest::from_pairs([
            ("q", "name=a"),
            ("limit", "10"),
            ("start", "5"),
            ("sort", "-createDate"),
            ("fields", "uuid,name"),
            ("replyWithCount", "true"),
            ("deleteMode", ""),
            ("whatever", "x"),
        ])
        .unwrap();
        assert_eq!((r.limit, r.start), (10, 5));
        assert_eq!(r.sort_by.as_deref(), Some("createDate"));
        assert!(r.sort_desc && r.reply_with_count && !r.count);
        assert_eq!(r.fields, vec!["uuid", "name"]);
        assert!(QueryRequest::from_pairs([("limit", "x")]).is_err());
    }
}
