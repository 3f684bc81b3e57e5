//! Tab completion from the node's metadata: API names, parameter names and valid values, and
//! for query APIs every field and relation along a dotted path.

use rustyline::completion::{Completer, Pair};
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::validate::Validator;
use rustyline::{Context, Helper};

use crate::command::split_condition;
use crate::metadata::{Metadata, QUERY_KEYS, TAG_KEYS};

/// Where the word being completed starts in `line`, and its candidates (whole words).
pub fn candidates(meta: &Metadata, line: &str) -> (usize, Vec<String>) {
    let start = line.rfind(char::is_whitespace).map(|i| i + 1).unwrap_or(0);
    let word = &line[start..];
    let before: Vec<&str> = line[..start].split_whitespace().collect();
    let Some(first) = before.first() else {
        let lower = word.to_ascii_lowercase();
        let names = meta
            .apis
            .iter()
            .map(|a| a.name.clone())
            .filter(|n| n.to_ascii_lowercase().starts_with(&lower))
            .collect();
        return (start, names);
    };
    let Ok(api) = meta.api(first) else {
        return (start, Vec::new());
    };
    let mut out: Vec<String> = Vec::new();
    if let Some(resource) = &api.query {
        if split_condition(word).is_some() {
            if let Some(dir) = word.strip_prefix("sortDirection=") {
                out.extend(
                    ["asc", "desc"]
                        .iter()
                        .filter(|d| d.starts_with(dir))
                        .map(|d| format!("sortDirection={d}")),
                );
            }
            return (start, out);
        }
        let (prefix, partial) = match word.rfind('.') {
            Some(dot) => (&word[..dot], &word[dot + 1..]),
            None => ("", word),
        };
        let relations: Vec<&str> = if prefix.is_empty() {
            Vec::new()
        } else {
            prefix.split('.').collect()
        };
        let Some(at) = meta.walk(resource, &relations) else {
            return (start, out);
        };
        let lead = if prefix.is_empty() {
            String::new()
        } else {
            format!("{prefix}.")
        };
        if let Some(r) = meta.resources.get(at) {
            out.extend(
                r.fields
                    .keys()
                    .filter(|f| f.starts_with(partial))
                    .map(|f| format!("{lead}{f}=")),
            );
            out.extend(
                r.relations
                    .keys()
                    .filter(|f| f.starts_with(partial))
                    .map(|f| format!("{lead}{f}.")),
            );
        }
        if prefix.is_empty() {
            out.extend(
                QUERY_KEYS
                    .iter()
                    .filter(|k| k.starts_with(partial))
                    .map(|k| format!("{k}=")),
            );
        }
        out.sort();
        out.dedup();
        return (start, out);
    }
    if let Some((key, partial)) = word.split_once('=') {
        if let Some(p) = api.params.iter().find(|p| p.name == key) {
            let values: Vec<String> = if p.kind == "boolean" {
                vec!["true".into(), "false".into()]
            } else {
                p.valid_values.clone()
            };
            out.extend(
                values
                    .iter()
                    .filter(|v| v.starts_with(partial))
                    .map(|v| format!("{key}={v}")),
            );
        }
        return (start, out);
    }
    let given: Vec<&str> = before[1..]
        .iter()
        .filter_map(|w| w.split_once('=').map(|(k, _)| k))
        .collect();
    out.extend(
        api.params
            .iter()
            .map(|p| p.name.as_str())
            .chain(TAG_KEYS.iter().copied())
            .filter(|n| n.starts_with(word) && !given.contains(n))
            .map(|n| format!("{n}=")),
    );
    (start, out)
}

/// The line editor's helper: completion only.
pub struct CliHelper {
    pub meta: Metadata,
}

impl Completer for CliHelper {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        let (start, words) = candidates(&self.meta, &line[..pos]);
        let pairs = words
            .into_iter()
            .map(|w| Pair {
                display: w.clone(),
                replacement: w,
            })
            .collect();
        Ok((start, pairs))
    }
}

impl Hinter for CliHelper {
    type Hint = String;
}
impl Highlighter for CliHelper {}
impl Validator for CliHelper {}
impl Helper for CliHelper {}
