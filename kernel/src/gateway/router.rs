//! Matches request paths against the routes the APIs declared.

use std::collections::HashMap;
use std::sync::Arc;

use crate::api::{ApiDescriptor, HttpMethod};

enum Segment {
    Literal(&'static str),
    Var(&'static str),
}

struct Entry {
    segments: Vec<Segment>,
    api: Arc<ApiDescriptor>,
}

pub struct Router {
    entries: Vec<Entry>,
}

/// A route that matched a path, with its URL variables.
pub struct Matched {
    pub api: Arc<ApiDescriptor>,
    pub vars: HashMap<&'static str, String>,
}

pub enum Lookup {
    NoPath,
    WrongMethod,
    /// Every API on the best-matching path for this method (several for PUT actions).
    Found(Vec<Matched>),
}

fn parse(path: &'static str) -> Vec<Segment> {
    path.split('/')
        .filter(|s| !s.is_empty())
        .map(
            |s| match s.strip_prefix('{').and_then(|v| v.strip_suffix('}')) {
                Some(var) => Segment::Var(var),
                None => Segment::Literal(s),
            },
        )
        .collect()
}

impl Router {
    pub fn new(apis: &[Arc<ApiDescriptor>]) -> Self {
        let entries = apis
            .iter()
            .flat_map(|api| {
                api.route.paths.iter().map(|path| Entry {
                    segments: parse(path),
                    api: api.clone(),
                })
            })
            .collect();
        Router { entries }
    }

    /// Finds the APIs for `segments` (the path below `/zstack/v1`). A literal segment beats a
    /// variable, so `/management-nodes/ready` wins over `/management-nodes/{uuid}`.
    pub fn lookup(&self, method: HttpMethod, segments: &[&str]) -> Lookup {
        let mut on_path = false;
        // The most specific path matched, whatever its method: `GET /accounts/login` is that
        // path with the wrong method, not `GET /accounts/{uuid}`.
        let mut most_specific = 0;
        let mut best: Option<usize> = None;
        let mut found: Vec<Matched> = Vec::new();
        for entry in &self.entries {
            if entry.segments.len() != segments.len() {
                continue;
            }
            let mut vars = HashMap::new();
            let mut literals = 0;
            let matches = entry
                .segments
                .iter()
                .zip(segments)
                .all(|(seg, got)| match seg {
                    Segment::Literal(lit) => {
                        literals += 1;
                        lit == got
                    }
                    Segment::Var(name) => {
                        vars.insert(*name, (*got).to_string());
                        true
                    }
                });
            if !matches {
                continue;
            }
            on_path = true;
            most_specific = most_specific.max(literals);
            if entry.api.route.method != method {
                continue;
            }
            match best {
                Some(b) if literals < b => continue,
                Some(b) if literals > b => found.clear(),
                _ => {}
            }
            best = Some(literals);
            found.push(Matched {
                api: entry.api.clone(),
                vars,
            });
        }
        match (on_path, found.is_empty()) {
            (false, _) => Lookup::NoPath,
            (true, true) => Lookup::WrongMethod,
            (true, false) if best.is_some_and(|b| b < most_specific) => Lookup::WrongMethod,
            (true, false) => Lookup::Found(found),
        }
    }
}
