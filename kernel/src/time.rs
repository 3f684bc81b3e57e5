//! Dates as ZStack writes them: `Jan 6, 2017 3:51:16 AM` (en-US, ASCII space) in the node's
//! local time zone.

use std::fmt::Write;

use chrono::{DateTime, Datelike, Local, NaiveDateTime, TimeZone, Timelike, Utc};

const ZSTACK_FORMAT: &str = "%b %-d, %Y %-I:%M:%S %p";

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

pub fn format_date(d: DateTime<Utc>) -> String {
    let mut out = String::with_capacity(24);
    write_date(&mut out, d);
    out
}

/// Appends `d` in ZStack's format to `out`: what [`format_date`] answers, without a format
/// string to interpret (a 1,000-row page has 2,000 dates).
pub fn write_date(out: &mut String, d: DateTime<Utc>) {
    let t = d.with_timezone(&Local).naive_local();
    let (Some(month), true) = (
        MONTHS.get(t.month0() as usize),
        (1000..=9999).contains(&t.year()),
    ) else {
        // Years that need a sign or padding: the format string knows how.
        let _ = write!(out, "{}", t.format(ZSTACK_FORMAT));
        return;
    };
    let (pm, hour) = t.hour12();
    let two = |out: &mut String, n: u32| {
        out.push(char::from(b'0' + (n / 10 % 10) as u8));
        out.push(char::from(b'0' + (n % 10) as u8));
    };
    out.push_str(month);
    out.push(' ');
    if t.day() >= 10 {
        two(out, t.day());
    } else {
        out.push(char::from(b'0' + t.day() as u8));
    }
    out.push_str(", ");
    let year = t.year().unsigned_abs();
    two(out, year / 100);
    two(out, year % 100);
    out.push(' ');
    if hour >= 10 {
        two(out, hour);
    } else {
        out.push(char::from(b'0' + hour as u8));
    }
    out.push(':');
    two(out, t.minute());
    out.push(':');
    two(out, t.second());
    out.push_str(if pm { " PM" } else { " AM" });
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

    #[test]
    fn dates_are_written_as_the_format_string_writes_them() {
        let mut d = Utc.with_ymd_and_hms(1999, 12, 31, 0, 0, 7).unwrap();
        // Every hour of the clock, days of one and two digits, each month.
        for _ in 0..2000 {
            let expected = d.with_timezone(&Local).format(ZSTACK_FORMAT).to_string();
            assert_eq!(format_date(d), expected);
            d += chrono::Duration::seconds(4 * 3600 + 37 * 60 + 11);
        }
        for year in [1, 999, 10000] {
            let d = Utc.with_ymd_and_hms(year, 3, 4, 13, 5, 6).unwrap();
            let expected = d.with_timezone(&Local).format(ZSTACK_FORMAT).to_string();
            assert_eq!(format_date(d), expected);
        }
    }
}
