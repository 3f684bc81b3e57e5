//! Dates as ZStack writes them: `Jan 6, 2017 3:51:16 AM` (en-US, ASCII space) in the node's
//! local time zone.

use chrono::{DateTime, Local, NaiveDateTime, TimeZone, Utc};

const ZSTACK_FORMAT: &str = "%b %-d, %Y %-I:%M:%S %p";

pub fn format_date(d: DateTime<Utc>) -> String {
    d.with_timezone(&Local).format(ZSTACK_FORMAT).to_string()
}

/// Reads a date in ZStack's format, RFC 3339, `YYYY-MM-DD HH:MM:SS` (UTC) or epoch milliseconds.
pub fn parse_date(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(text) {
        return Some(d.with_timezone(&Utc));
    }
    if let Ok(d) = NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S") {
        return Some(d.and_utc());
    }
    if let Ok(d) = NaiveDateTime::parse_from_str(text, "%b %d, %Y %I:%M:%S %p") {
        return Local
            .from_local_datetime(&d)
            .single()
            .map(|d| d.with_timezone(&Utc));
    }
    text.parse::<i64>()
        .ok()
        .and_then(DateTime::from_timestamp_millis)
}

/// The current time, truncated to milliseconds so stored and compared values agree on every
/// database.
pub fn now() -> DateTime<Utc> {
    let now = Utc::now();
    DateTime::from_timestamp_millis(now.timestamp_millis()).unwrap_or(now)
}

/// Inventory date fields take `#[serde(with = "zstack_kernel::time")]`: this writes them.
pub fn serialize<S: serde::Serializer>(d: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format_date(*d))
}

/// Reads what [`serialize`] wrote (an inventory coming back from another node).
pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
    let text = <String as serde::Deserialize>::deserialize(d)?;
    parse_date(&text).ok_or_else(|| serde::de::Error::custom(format!("not a date: {text}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip_through_zstack_format() {
        let d = Utc.with_ymd_and_hms(2017, 1, 6, 3, 51, 16).unwrap();
        let text = format_date(d);
        assert!(!text.contains(",  ") && text.contains(", 2017 "), "{text}");
        assert_eq!(parse_date(&text), Some(d));
        assert_eq!(parse_date("2017-01-06T03:51:16Z"), Some(d));
        assert_eq!(parse_date("1483674676000"), Some(d));
    }
}
