//! API parameters: their JSON type (checked by the gateway, 400 on mismatch) and their checks
//! (run by the API pipeline, SYS.1007 / SYS.1003 on failure).

use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamKind {
    Str,
    Bool,
    Int,
    Float,
    StrList,
    /// Any JSON value (maps, nested objects).
    Any,
}

impl ParamKind {
    pub fn describe(self) -> &'static str {
        match self {
            ParamKind::Str => "a string",
            ParamKind::Bool => "a boolean",
            ParamKind::Int => "an integer",
            ParamKind::Float => "a number",
            ParamKind::StrList => "a list of strings",
            ParamKind::Any => "a JSON value",
        }
    }

    /// Whether a JSON value has this type.
    pub fn accepts(self, v: &Value) -> bool {
        match self {
            ParamKind::Str => v.is_string(),
            ParamKind::Bool => v.is_boolean(),
            ParamKind::Int => v.is_i64() || v.is_u64(),
            ParamKind::Float => v.is_number(),
            ParamKind::StrList => v
                .as_array()
                .is_some_and(|items| items.iter().all(Value::is_string)),
            ParamKind::Any => true,
        }
    }

    /// Reads a query-string value as this type (query strings carry only text).
    pub fn from_text(self, text: &str) -> Option<Value> {
        match self {
            ParamKind::Str => Some(Value::String(text.to_string())),
            ParamKind::Bool => match text.to_ascii_lowercase().as_str() {
                "true" => Some(Value::Bool(true)),
                "false" => Some(Value::Bool(false)),
                _ => None,
            },
            ParamKind::Int => text.parse::<i64>().ok().map(Value::from),
            ParamKind::Float => text.parse::<f64>().ok().map(Value::from),
            ParamKind::StrList => Some(Value::Array(
                text.split(',')
                    .filter(|s| !s.is_empty())
                    .map(|s| Value::String(s.to_string()))
                    .collect(),
            )),
            ParamKind::Any => Some(Value::String(text.to_string())),
        }
    }
}

/// The Rust types an API field may have, and their parameter kind.
pub trait ParamType {
    const KIND: ParamKind;
    const OPTIONAL: bool = false;
}

impl ParamType for String {
    const KIND: ParamKind = ParamKind::Str;
}
impl ParamType for bool {
    const KIND: ParamKind = ParamKind::Bool;
}
impl ParamType for i32 {
    const KIND: ParamKind = ParamKind::Int;
}
impl ParamType for i64 {
    const KIND: ParamKind = ParamKind::Int;
}
impl ParamType for u32 {
    const KIND: ParamKind = ParamKind::Int;
}
impl ParamType for u64 {
    const KIND: ParamKind = ParamKind::Int;
}
impl ParamType for f64 {
    const KIND: ParamKind = ParamKind::Float;
}
impl ParamType for Vec<String> {
    const KIND: ParamKind = ParamKind::StrList;
}
impl ParamType for Value {
    const KIND: ParamKind = ParamKind::Any;
}
impl<T: ParamType> ParamType for Option<T> {
    const KIND: ParamKind = T::KIND;
    const OPTIONAL: bool = true;
}

/// A table holding resources of one type, for "referenced resource exists" checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResourceRef {
    pub table: &'static str,
    /// ZStack's VO name, used in messages and as the resource type of tags.
    pub vo_name: &'static str,
}

/// Which accounts other than admin may name a referenced resource (ZStack's `checkAccount` and
/// `operationTarget`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Access {
    /// Its owner only: what the call acts on or changes.
    #[default]
    Owner,
    /// Its owner, or an account it is shared with: what the call only uses (the image a VM is
    /// made from). Sharing makes a resource usable, never changeable.
    Shared,
    /// Any account: the resource only has to exist (an account a resource is shared with).
    Anyone,
}

/// The checks of one parameter besides its type.
#[derive(Debug, Clone, Default)]
pub struct Checks {
    pub max_len: Option<usize>,
    pub valid_values: Option<&'static [&'static str]>,
    pub uuid: bool,
    pub resource: Option<ResourceRef>,
    /// Names resources of this type that the caller must own, without the existence check
    /// (the handler answers for missing ones).
    pub references: Option<ResourceRef>,
    /// Who may name the resources of `resource` or `references`.
    pub access: Access,
    pub range: Option<(i64, i64)>,
    pub no_trim: bool,
}

pub fn checks() -> Checks {
    Checks::default()
}

impl Checks {
    pub fn max_len(mut self, n: usize) -> Self {
        self.max_len = Some(n);
        self
    }
    pub fn valid_values(mut self, values: &'static [&'static str]) -> Self {
        self.valid_values = Some(values);
        self
    }
    /// The value must be a uuid in ZStack's 32-hex form.
    pub fn uuid(mut self) -> Self {
        self.uuid = true;
        self
    }
    /// The value is the uuid of an existing resource in `r` (SYS.1003 otherwise).
    pub fn resource(mut self, r: ResourceRef) -> Self {
        self.uuid = true;
        self.resource = Some(r);
        self
    }
    /// The value names `r` resources (one uuid or a list) that an account other than admin
    /// must own (ID.1002 otherwise); their existence is left to the handler.
    pub fn references(mut self, r: ResourceRef) -> Self {
        self.references = Some(r);
        self
    }
    /// An account the referenced resource is shared with may name it too (see [`Access`]).
    pub fn shared(mut self) -> Self {
        self.access = Access::Shared;
        self
    }
    /// Any account may name the referenced resource (see [`Access`]).
    pub fn anyones(mut self) -> Self {
        self.access = Access::Anyone;
        self
    }
    pub fn range(mut self, low: i64, high: i64) -> Self {
        self.range = Some((low, high));
        self
    }
    pub fn no_trim(mut self) -> Self {
        self.no_trim = true;
        self
    }
}

/// One parameter of an API: its wire name, type, whether it is required, and its checks.
#[derive(Debug, Clone)]
pub struct ParamSpec {
    pub name: String,
    pub kind: ParamKind,
    pub required: bool,
    pub checks: Checks,
}

impl ParamSpec {
    /// The spec of a field `rust_name: T`; its wire name is the camelCase of `rust_name`.
    pub fn of<T: ParamType>(rust_name: &str) -> Self {
        ParamSpec {
            name: camel_case(rust_name),
            kind: T::KIND,
            required: !T::OPTIONAL,
            checks: Checks::default(),
        }
    }

    pub fn with(mut self, checks: Checks) -> Self {
        self.checks = checks;
        self
    }
}

/// `is_default` → `isDefault`, matching serde's `rename_all = "camelCase"`.
pub fn camel_case(snake: &str) -> String {
    // A raw identifier (`r#type`) is the keyword on the wire, as serde has it.
    let snake = snake.strip_prefix("r#").unwrap_or(snake);
    let mut out = String::with_capacity(snake.len());
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_are_camel_case_and_options_are_optional() {
        let p = ParamSpec::of::<Option<bool>>("is_default");
        assert_eq!(p.name, "isDefault");
        assert!(!p.required);
        assert_eq!(p.kind, ParamKind::Bool);
        assert!(ParamSpec::of::<String>("name").required);
        assert_eq!(camel_case("resource_uuid"), "resourceUuid");
    }
}
