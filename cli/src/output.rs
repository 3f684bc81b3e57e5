//! Printing replies: JSON (coloured on a terminal), a table of query results, or YAML.

use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Json,
    Table,
    Yaml,
}

const KEY: &str = "\x1b[34;1m";
const STRING: &str = "\x1b[32m";
const NUMBER: &str = "\x1b[36m";
const LITERAL: &str = "\x1b[35m";
const RESET: &str = "\x1b[0m";

/// Pretty JSON; with `color`, keys, strings, numbers and literals in ANSI colours.
pub fn json(value: &Value, color: bool) -> String {
    let mut out = String::new();
    write_json(value, color, 0, &mut out);
    out
}

fn paint(out: &mut String, color: bool, code: &str, text: &str) {
    if color {
        out.push_str(code);
        out.push_str(text);
        out.push_str(RESET);
    } else {
        out.push_str(text);
    }
}

fn write_json(value: &Value, color: bool, depth: usize, out: &mut String) {
    let indent = |n: usize| "  ".repeat(n);
    match value {
        Value::Object(map) if !map.is_empty() => {
            out.push_str("{\n");
            for (i, (k, v)) in map.iter().enumerate() {
                out.push_str(&indent(depth + 1));
                paint(out, color, KEY, &Value::String(k.clone()).to_string());
                out.push_str(": ");
                write_json(v, color, depth + 1, out);
                out.push_str(if i + 1 < map.len() { ",\n" } else { "\n" });
            }
            out.push_str(&indent(depth));
            out.push('}');
        }
        Value::Array(items) if !items.is_empty() => {
            out.push_str("[\n");
            for (i, v) in items.iter().enumerate() {
                out.push_str(&indent(depth + 1));
                write_json(v, color, depth + 1, out);
                out.push_str(if i + 1 < items.len() { ",\n" } else { "\n" });
            }
            out.push_str(&indent(depth));
            out.push(']');
        }
        Value::String(_) => paint(out, color, STRING, &value.to_string()),
        Value::Number(_) => paint(out, color, NUMBER, &value.to_string()),
        Value::Bool(_) | Value::Null => paint(out, color, LITERAL, &value.to_string()),
        other => out.push_str(&other.to_string()),
    }
}

fn cell(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// Query results (`inventories`) as rows, one column per name in `columns` (default: the
/// usual identifying fields each row has); a single `inventory` as field/value rows.
pub fn table(value: &Value, columns: &[String]) -> Option<String> {
    let rows: Vec<&Value> = match (&value["inventories"], &value["inventory"]) {
        (Value::Array(rows), _) => rows.iter().collect(),
        (_, Value::Object(_)) => vec![&value["inventory"]],
        _ => return None,
    };
    let columns: Vec<String> = if !columns.is_empty() {
        columns.to_vec()
    } else {
        let first = rows.first().and_then(|r| r.as_object());
        let wanted = ["uuid", "name", "type", "state", "status", "createDate"];
        let present: Vec<String> = wanted
            .iter()
            .filter(|c| first.is_some_and(|f| f.contains_key(**c)))
            .map(|c| c.to_string())
            .collect();
        if present.is_empty() {
            first
                .map(|f| {
                    f.iter()
                        .filter(|(_, v)| !v.is_object() && !v.is_array())
                        .map(|(k, _)| k.clone())
                        .collect()
                })
                .unwrap_or_default()
        } else {
            present
        }
    };
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| columns.iter().map(|c| cell(r.get(c))).collect())
        .collect();
    let widths: Vec<usize> = columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            cells
                .iter()
                .map(|r| r[i].chars().count())
                .chain([c.chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |values: &[String]| -> String {
        values
            .iter()
            .zip(&widths)
            .map(|(v, w)| format!("{v:<w$}"))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    let mut out = line(&columns);
    out.push('\n');
    for r in &cells {
        out.push_str(&line(r));
        out.push('\n');
    }
    if let Some(total) = value.get("total") {
        out.push_str(&format!("total: {total}\n"));
    }
    Some(out)
}

/// YAML of a JSON value (block style; strings quoted as JSON strings where YAML needs it).
pub fn yaml(value: &Value) -> String {
    let mut out = String::new();
    write_yaml(value, 0, &mut out);
    out
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => {
            let plain = !s.is_empty()
                && s.chars()
                    .all(|c| c.is_alphanumeric() || "-_./@ ".contains(c))
                && !s.starts_with(' ')
                && !s.ends_with(' ')
                && s.parse::<f64>().is_err()
                && !matches!(s.as_str(), "true" | "false" | "null" | "yes" | "no");
            if plain { s.clone() } else { v.to_string() }
        }
        Value::Object(m) if m.is_empty() => "{}".into(),
        Value::Array(a) if a.is_empty() => "[]".into(),
        other => other.to_string(),
    }
}

fn is_block(v: &Value) -> bool {
    matches!(v, Value::Object(m) if !m.is_empty()) || matches!(v, Value::Array(a) if !a.is_empty())
}

fn write_yaml(value: &Value, depth: usize, out: &mut String) {
    let pad = "  ".repeat(depth);
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (k, v) in map {
                if is_block(v) {
                    out.push_str(&format!("{pad}{k}:\n"));
                    write_yaml(v, depth + 1, out);
                } else {
                    out.push_str(&format!("{pad}{k}: {}\n", scalar(v)));
                }
            }
        }
        Value::Array(items) if !items.is_empty() => {
            for v in items {
                if is_block(v) {
                    out.push_str(&format!("{pad}-\n"));
                    write_yaml(v, depth + 1, out);
                } else {
                    out.push_str(&format!("{pad}- {}\n", scalar(v)));
                }
            }
        }
        other => out.push_str(&format!("{pad}{}\n", scalar(other))),
    }
}
