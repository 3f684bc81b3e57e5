//! What the node says about its APIs (`GET /zstack/v1/api-metadata`): names, routes, parameters,
//! and the fields and relations of every queryable resource.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::CliError;

#[derive(Debug, Clone)]
pub struct Param {
    pub name: String,
    pub kind: String,
    pub required: bool,
    pub valid_values: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Api {
    /// The CLI name: the message name without `API` and `Msg` (`CreateZone`).
    pub name: String,
    pub method: String,
    pub paths: Vec<String>,
    /// `params`, the action key, or none (parameters in the query string).
    pub body: Option<String>,
    pub sync: bool,
    pub session: bool,
    pub params: Vec<Param>,
    /// For query APIs: the resource queried.
    pub query: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Resource {
    /// Field name → type.
    pub fields: BTreeMap<String, String>,
    /// Relation name → resource.
    pub relations: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default)]
pub struct Metadata {
    pub apis: Vec<Api>,
    pub resources: BTreeMap<String, Resource>,
}

/// The parameters every query API takes besides conditions.
pub const QUERY_KEYS: &[&str] = &[
    "limit",
    "start",
    "count",
    "replyWithCount",
    "sortBy",
    "sortDirection",
    "fields",
    "groupBy",
];

/// Keys any non-query API takes besides its own parameters.
pub const TAG_KEYS: &[&str] = &["systemTags", "userTags"];

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn cli_name(message: &str) -> String {
    let name = message.strip_prefix("API").unwrap_or(message);
    name.strip_suffix("Msg").unwrap_or(name).to_string()
}

impl Metadata {
    pub fn parse(doc: &Value) -> Result<Self, CliError> {
        let apis = doc["apis"]
            .as_array()
            .ok_or_else(|| CliError::Metadata("no `apis` list".into()))?;
        let apis = apis
            .iter()
            .map(|a| Api {
                name: cli_name(a["name"].as_str().unwrap_or_default()),
                method: a["method"].as_str().unwrap_or("GET").to_string(),
                paths: strings(&a["paths"]),
                body: a["body"].as_str().map(str::to_string),
                sync: a["sync"].as_bool().unwrap_or(true),
                session: a["session"].as_bool().unwrap_or(true),
                params: a["params"]
                    .as_array()
                    .map(|ps| {
                        ps.iter()
                            .map(|p| Param {
                                name: p["name"].as_str().unwrap_or_default().to_string(),
                                kind: p["type"].as_str().unwrap_or("string").to_string(),
                                required: p["required"].as_bool().unwrap_or(false),
                                valid_values: strings(&p["validValues"]),
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
                query: a["query"].as_str().map(str::to_string),
            })
            .collect();
        let mut resources = BTreeMap::new();
        if let Some(map) = doc["resources"].as_object() {
            for (name, r) in map {
                let pairs = |v: &Value| -> BTreeMap<String, String> {
                    v.as_object()
                        .map(|m| {
                            m.iter()
                                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().into()))
                                .collect()
                        })
                        .unwrap_or_default()
                };
                resources.insert(
                    name.clone(),
                    Resource {
                        fields: pairs(&r["fields"]),
                        relations: pairs(&r["relations"]),
                    },
                );
            }
        }
        Ok(Metadata { apis, resources })
    }

    /// The API named `name` (case-insensitive, with or without `API`/`Msg`), or an error
    /// suggesting the nearest names.
    pub fn api(&self, name: &str) -> Result<&Api, CliError> {
        let wanted = cli_name(name).to_ascii_lowercase();
        self.apis
            .iter()
            .find(|a| a.name.to_ascii_lowercase() == wanted)
            .ok_or_else(|| CliError::UnknownApi {
                name: name.to_string(),
                nearest: nearest(name, self.apis.iter().map(|a| a.name.as_str())),
            })
    }

    /// The resource a dotted path ends in, walking relations from `resource` (`vmNics.l3Network`
    /// from `vmInstance` is `l3Network`).
    pub fn walk<'a>(&'a self, resource: &str, relations: &[&str]) -> Option<&'a str> {
        let mut at = self.resources.get_key_value(resource)?.0.as_str();
        for rel in relations {
            at = self.resources.get(at)?.relations.get(*rel)?.as_str();
        }
        Some(at)
    }

    /// Checks a condition's field path against the resource's fields and relations.
    pub fn check_field(&self, resource: &str, path: &str) -> Result<(), CliError> {
        let parts: Vec<&str> = path.split('.').collect();
        let (last, relations) = parts.split_last().unwrap_or((&"", &[]));
        let mut at = resource.to_string();
        for (i, rel) in relations.iter().enumerate() {
            let Some(r) = self.resources.get(&at) else {
                break;
            };
            match r.relations.get(*rel) {
                Some(target) => at = target.clone(),
                None => {
                    let prefix = relations[..i].join(".");
                    return Err(CliError::UnknownField {
                        path: path.to_string(),
                        name: rel.to_string(),
                        resource: at.clone(),
                        nearest: nearest(rel, r.relations.keys().map(String::as_str))
                            .into_iter()
                            .map(|n| join_path(&prefix, &n))
                            .collect(),
                    });
                }
            }
        }
        let Some(r) = self.resources.get(&at) else {
            return Ok(());
        };
        if r.fields.contains_key(*last) {
            return Ok(());
        }
        let prefix = relations.join(".");
        Err(CliError::UnknownField {
            path: path.to_string(),
            name: last.to_string(),
            resource: at.clone(),
            nearest: nearest(last, r.fields.keys().map(String::as_str))
                .into_iter()
                .map(|n| join_path(&prefix, &n))
                .collect(),
        })
    }
}

fn join_path(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}.{name}")
    }
}

/// Edit distance, case-insensitive.
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.to_lowercase().chars().collect();
    let b: Vec<char> = b.to_lowercase().chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        // `diagonal` is the previous row's value left of the cell being computed.
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (diagonal + usize::from(ca != cb))
                .min(row[j] + 1)
                .min(above + 1);
            diagonal = above;
        }
    }
    row[b.len()]
}

/// Up to three names closest to `name`: those containing it first, then by edit distance
/// within a third of the name's length.
pub fn nearest<'a>(name: &str, names: impl Iterator<Item = &'a str>) -> Vec<String> {
    let lower = name.to_lowercase();
    let mut scored: Vec<(usize, &str)> = names
        .filter_map(|n| {
            let d = distance(name, n);
            let contains = !lower.is_empty() && n.to_lowercase().contains(&lower);
            let near = d <= (name.chars().count() / 3).max(2);
            (contains || near).then_some((if contains { 0 } else { d }, n))
        })
        .collect();
    scored.sort();
    scored.into_iter().take(3).map(|(_, n)| n.into()).collect()
}
