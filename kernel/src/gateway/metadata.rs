//! `GET /zstack/v1/api-metadata`: every API by name with its route and parameters, and every
//! queryable resource with its fields and relations. Built from the same declarations as the
//! routes, so a client driven by it (the CLI) needs no change when an API is added.

use std::sync::Arc;

use serde_json::{Map, Value, json};

use crate::api::{ApiDescriptor, ApiInput, BodyKey, HttpMethod, ParamKind};
use crate::query::{FieldKind, QueryRegistry};

fn method(m: HttpMethod) -> &'static str {
    match m {
        HttpMethod::Get => "GET",
        HttpMethod::Post => "POST",
        HttpMethod::Put => "PUT",
        HttpMethod::Delete => "DELETE",
    }
}

fn param_type(kind: ParamKind) -> &'static str {
    match kind {
        ParamKind::Str => "string",
        ParamKind::Bool => "boolean",
        ParamKind::Int => "integer",
        ParamKind::Float => "number",
        ParamKind::StrList => "list",
        ParamKind::Any => "object",
    }
}

fn field_type(kind: FieldKind) -> &'static str {
    match kind {
        FieldKind::Str => "string",
        FieldKind::Int => "integer",
        FieldKind::Float => "number",
        FieldKind::Bool => "boolean",
        FieldKind::Date => "date",
        FieldKind::Json => "json",
    }
}

fn api_entry(api: &ApiDescriptor) -> Value {
    let params: Vec<Value> = api
        .params
        .iter()
        .map(|p| {
            let mut entry = json!({
                "name": p.name,
                "type": param_type(p.kind),
                "required": p.required,
            });
            if let Some(values) = p.checks.valid_values {
                entry["validValues"] = json!(values);
            }
            entry
        })
        .collect();
    let body = match api.route.body {
        BodyKey::None => Value::Null,
        BodyKey::Params => json!("params"),
        BodyKey::Action => json!(api.action),
    };
    let mut entry = json!({
        "name": api.name,
        "method": method(api.route.method),
        "paths": api.route.paths,
        "body": body,
        "sync": api.route.sync,
        "session": api.route.needs_session,
        "params": params,
    });
    if matches!(api.input, ApiInput::Query(_))
        && let Some(resource) = api.queries
    {
        entry["query"] = json!(resource);
    }
    entry
}

/// The document: `{"apis": [...], "resources": {name: {"fields": {...}, "relations": {...}}}}`.
pub fn document(apis: &[Arc<ApiDescriptor>], queries: &QueryRegistry) -> Value {
    let mut resources = Map::new();
    for meta in queries.all() {
        let mut fields = Map::new();
        for f in &meta.fields {
            fields.insert(f.name.into(), json!(field_type(f.kind)));
        }
        for list in meta.lists.iter().filter(|l| l.scalar) {
            fields.insert(list.name.into(), json!("list"));
        }
        for tag in ["__systemTag__", "__userTag__"] {
            if queries.tag_source(tag).is_some() {
                fields.insert(tag.into(), json!("string"));
            }
        }
        let relations: Map<String, Value> = meta
            .relations
            .iter()
            .map(|r| (r.name.to_string(), json!(r.target)))
            .collect();
        resources.insert(
            meta.resource.into(),
            json!({"fields": fields, "relations": relations}),
        );
    }
    let mut apis: Vec<Value> = apis.iter().map(|a| api_entry(a)).collect();
    apis.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
    json!({"apis": apis, "resources": resources})
}
