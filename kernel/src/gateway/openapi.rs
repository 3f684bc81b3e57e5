//! The OpenAPI 3 document of the node, generated from the same API declarations that build the
//! routes and the validator, so it cannot drift from what the gateway accepts.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{Map, Value, json};

use crate::api::{ApiDescriptor, ApiInput, BodyKey, HttpMethod, ParamKind, ParamSpec};

fn method_name(m: HttpMethod) -> &'static str {
    match m {
        HttpMethod::Get => "get",
        HttpMethod::Post => "post",
        HttpMethod::Put => "put",
        HttpMethod::Delete => "delete",
    }
}

fn schema_of(spec: &ParamSpec) -> Value {
    let mut schema = match spec.kind {
        ParamKind::Str => json!({"type": "string"}),
        ParamKind::Bool => json!({"type": "boolean"}),
        ParamKind::Int => json!({"type": "integer", "format": "int64"}),
        ParamKind::Float => json!({"type": "number"}),
        ParamKind::StrList => json!({"type": "array", "items": {"type": "string"}}),
        ParamKind::Any => json!({}),
    };
    if let Some(max) = spec.checks.max_len {
        schema["maxLength"] = json!(max);
    }
    if let Some(values) = spec.checks.valid_values {
        schema["enum"] = json!(values);
    }
    if spec.checks.uuid {
        schema["pattern"] = json!("^[0-9a-fA-F]{32}$");
    }
    if let Some((low, high)) = spec.checks.range {
        schema["minimum"] = json!(low);
        schema["maximum"] = json!(high);
    }
    schema
}

fn object_schema<'a>(specs: impl Iterator<Item = &'a ParamSpec>) -> Value {
    let mut properties = Map::new();
    let mut required = Vec::new();
    for spec in specs {
        properties.insert(spec.name.clone(), schema_of(spec));
        if spec.required {
            required.push(spec.name.clone());
        }
    }
    let mut schema = json!({"type": "object", "properties": properties});
    if !required.is_empty() {
        schema["required"] = json!(required);
    }
    schema
}

fn path_vars(path: &str) -> Vec<&str> {
    path.split('/')
        .filter_map(|s| s.strip_prefix('{').and_then(|v| v.strip_suffix('}')))
        .collect()
}

fn query_api_parameters() -> Vec<Value> {
    let p = |name: &str, schema: Value, description: &str| json!({"name": name, "in": "query", "required": false, "schema": schema, "description": description});
    vec![
        json!({"name": "q", "in": "query", "required": false, "explode": true,
               "schema": {"type": "array", "items": {"type": "string"}},
               "description": "conditions, ANDed: field, operator (= != > < >= <= ?= !?= ~= !~=, or ' is null' / ' not null'), value"}),
        p(
            "limit",
            json!({"type": "integer", "default": 1000}),
            "most records returned",
        ),
        p(
            "start",
            json!({"type": "integer", "default": 0}),
            "offset of the first record",
        ),
        p(
            "count",
            json!({"type": "boolean"}),
            "answer only {\"total\": N}",
        ),
        p(
            "replyWithCount",
            json!({"type": "boolean"}),
            "add the total beside the page",
        ),
        p("sort", json!({"type": "string"}), "+field or -field"),
        p("sortBy", json!({"type": "string"}), "field to sort by"),
        p(
            "sortDirection",
            json!({"type": "string", "enum": ["asc", "desc"]}),
            "with sortBy",
        ),
        p(
            "fields",
            json!({"type": "string"}),
            "comma-separated fields to return",
        ),
        p(
            "groupBy",
            json!({"type": "string"}),
            "one record per distinct value of this field",
        ),
    ]
}

fn operation(path: &str, apis: &[&Arc<ApiDescriptor>]) -> Value {
    let first = apis[0];
    let route = &first.route;
    let vars = path_vars(path);
    let mut parameters: Vec<Value> = vars
        .iter()
        .map(|v| json!({"name": v, "in": "path", "required": true, "schema": {"type": "string"}}))
        .collect();
    // An API answering on several paths gets one operation id per path.
    let ids: Vec<String> = apis
        .iter()
        .map(|a| match a.route.paths.iter().position(|p| *p == path) {
            Some(i) if i > 0 => format!("{}_{i}", a.name),
            _ => a.name.to_string(),
        })
        .collect();
    let mut op = json!({
        "operationId": ids.join("_or_"),
        "summary": apis.iter().map(|a| a.name).collect::<Vec<_>>().join(", "),
    });
    match (&first.input, route.body) {
        (ApiInput::Query(_), _) => parameters.extend(query_api_parameters()),
        (_, BodyKey::None) => parameters.extend(
            first
                .params
                .iter()
                .filter(|p| !vars.contains(&p.name.as_str()))
                .map(|p| {
                    json!({"name": p.name, "in": "query", "required": p.required, "schema": schema_of(p)})
                }),
        ),
        (_, body) => {
            let bodies: Vec<Value> = apis
                .iter()
                .map(|api| {
                    let key = match body {
                        BodyKey::Action => api.action.clone().unwrap_or_default(),
                        _ => "params".to_string(),
                    };
                    let inner =
                        object_schema(api.params.iter().filter(|p| !vars.contains(&p.name.as_str())));
                    json!({
                        "type": "object",
                        "required": [key],
                        "properties": {
                            key.clone(): inner,
                            "systemTags": {"type": "array", "items": {"type": "string"}},
                            "userTags": {"type": "array", "items": {"type": "string"}},
                        },
                    })
                })
                .collect();
            let schema = if bodies.len() == 1 {
                bodies.into_iter().next().unwrap_or_default()
            } else {
                json!({ "oneOf": bodies })
            };
            op["requestBody"] =
                json!({"required": true, "content": {"application/json": {"schema": schema}}});
        }
    }
    op["parameters"] = json!(parameters);
    let mut responses = Map::new();
    if route.sync {
        let schema = if apis.len() == 1 {
            first.reply_schema.clone()
        } else {
            json!({"anyOf": apis.iter().map(|a| a.reply_schema.clone()).collect::<Vec<_>>()})
        };
        responses.insert(
            "200".into(),
            json!({"description": "the API's result",
                   "content": {"application/json": {"schema": schema}}}),
        );
    } else {
        responses.insert(
            "202".into(),
            json!({"description": "accepted; poll the location (200 result, 503 error) or wait for X-Web-Hook",
                   "content": {"application/json": {"schema": {"$ref": "#/components/schemas/JobLocation"}}}}),
        );
    }
    let error = |why: &str| {
        json!({"description": why,
               "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}})
    };
    responses.insert("400".into(), error("malformed request"));
    if !vars.is_empty() {
        responses.insert(
            "404".into(),
            error("a path variable that does not name a route (a '/' in it)"),
        );
    }
    if route.body != BodyKey::None {
        responses.insert("408".into(), error("the body did not arrive in time"));
        responses.insert("413".into(), error("the body is too large"));
    }
    responses.insert(
        "431".into(),
        error("the request's headers or URL are too large"),
    );
    responses.insert("503".into(), error("the API failed"));
    op["responses"] = Value::Object(responses);
    if route.needs_session {
        op["security"] = json!([{"OAuth": []}]);
    }
    op
}

/// `GET /api-jobs/{uuid}`: an async API's job, polled.
fn job_poll() -> Value {
    let error = |why: &str| {
        json!({"description": why,
               "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}})
    };
    json!({
        "operationId": "pollApiJob",
        "summary": "the result of an async API's job",
        "parameters": [{"name": "uuid", "in": "path", "required": true,
                        "schema": {"type": "string"}}],
        "security": [{"OAuth": []}],
        "responses": {
            "200": {"description": "the job succeeded: the API's result",
                    "content": {"application/json": {"schema": {"type": "object"}}}},
            "202": {"description": "the job is running",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/JobLocation"}}}},
            "400": error("malformed request"),
            "404": error("no such job, it expired, or it is another account's"),
            "431": error("the request's headers or URL are too large"),
            "503": error("the job failed"),
        },
    })
}

/// Builds the document. Several APIs on one path and method (PUT actions) become one operation
/// whose body is one of theirs.
pub fn document(apis: &[Arc<ApiDescriptor>], version: &str) -> Value {
    let mut grouped: BTreeMap<(&str, &str), Vec<&Arc<ApiDescriptor>>> = BTreeMap::new();
    for api in apis {
        for path in &api.route.paths {
            grouped
                .entry((path, method_name(api.route.method)))
                .or_default()
                .push(api);
        }
    }
    let mut paths: BTreeMap<&str, Map<String, Value>> = BTreeMap::new();
    for ((path, method), apis) in grouped {
        paths
            .entry(path)
            .or_default()
            .insert(method.to_string(), operation(path, &apis));
    }
    let mut jobs = Map::new();
    jobs.insert("get".into(), job_poll());
    paths.insert("/api-jobs/{uuid}", jobs);
    json!({
        "openapi": "3.0.3",
        "info": {"title": "zstack-rs management node", "version": version,
                 "description": "ZStack REST API v1. Async APIs answer 202 with a job location."},
        "servers": [{"url": "/zstack/v1"}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "OAuth": {"type": "apiKey", "in": "header", "name": "Authorization",
                          "description": "OAuth <session uuid>, from PUT /accounts/login"}
            },
            "schemas": {
                "JobLocation": {"type": "object", "properties": {
                    "location": {"type": "string"}, "apiTimeout": {"type": "integer"}}},
                "Error": {"type": "object", "required": ["error"], "properties": {"error": {
                    "type": "object", "required": ["code", "description"], "properties": {
                    "code": {"type": "string"}, "description": {"type": "string"},
                    "details": {"type": "string"}, "cause": {"type": "object"}}}}}
            }
        }
    })
}
