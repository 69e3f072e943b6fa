//! Tolerant deserialisers for Phorest's loosely specified JSON.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer, de::Error as _};

/// Parses a UTC instant: RFC 3339 with or without fractional seconds, or a zone-less
/// `yyyy-MM-ddTHH:mm:ss[.SSS]` read as UTC.
pub(crate) fn parse_instant(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(dt) = DateTime::parse_from_rfc3339(text) {
        return Some(dt.with_timezone(&Utc));
    }
    NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .map(|naive| naive.and_utc())
}

/// Parses a time of day: `HH:mm:ss`, `HH:mm:ss.SSS` or `HH:mm`.
pub(crate) fn parse_time(text: &str) -> Option<NaiveTime> {
    let text = text.trim();
    NaiveTime::parse_from_str(text, "%H:%M:%S%.f")
        .or_else(|_| NaiveTime::parse_from_str(text, "%H:%M"))
        .ok()
}

/// Parses a calendar date `yyyy-MM-dd`.
pub(crate) fn parse_date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok()
}

/// Formats an instant the way Phorest's filters expect: `2024-05-01T10:00:00.000Z`.
pub(crate) fn format_instant(value: &DateTime<Utc>) -> String {
    value.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// Reads an optional string; JSON `null` or absent gives `None`.
fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Option::<String>::deserialize(d)
}

/// `Option<DateTime<Utc>>` tolerant of missing millis; `null`/empty string give `None`.
pub(crate) fn opt_instant<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<DateTime<Utc>>, D::Error> {
    match opt_string(d)? {
        None => Ok(None),
        Some(s) if s.trim().is_empty() => Ok(None),
        Some(s) => parse_instant(&s)
            .map(Some)
            .ok_or_else(|| D::Error::custom(format!("invalid instant `{s}`"))),
    }
}

/// `Option<NaiveTime>` accepting `HH:mm:ss` and `HH:mm:ss.SSS`.
pub(crate) fn opt_time<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveTime>, D::Error> {
    match opt_string(d)? {
        None => Ok(None),
        Some(s) if s.trim().is_empty() => Ok(None),
        Some(s) => parse_time(&s)
            .map(Some)
            .ok_or_else(|| D::Error::custom(format!("invalid time of day `{s}`"))),
    }
}

/// `Option<NaiveDate>` (`yyyy-MM-dd`); an instant is accepted and its UTC date kept.
pub(crate) fn opt_date<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
    Ok(opt_date_or_instant(d)?.map(|v| v.date()))
}

/// A value Phorest sends either as a date or as an instant (`firstVisit`, `lastVisit`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DateOrInstant {
    /// A calendar date (`yyyy-MM-dd`).
    Date(NaiveDate),
    /// A UTC instant.
    Instant(DateTime<Utc>),
}

impl DateOrInstant {
    /// The calendar date (the UTC date of an instant).
    pub fn date(&self) -> NaiveDate {
        match self {
            Self::Date(d) => *d,
            Self::Instant(i) => i.date_naive(),
        }
    }
}

impl Serialize for DateOrInstant {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Date(d) => s.serialize_str(&d.format("%Y-%m-%d").to_string()),
            Self::Instant(i) => s.serialize_str(&format_instant(i)),
        }
    }
}

impl<'de> Deserialize<'de> for DateOrInstant {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        parse_date(&s)
            .map(Self::Date)
            .or_else(|| parse_instant(&s).map(Self::Instant))
            .ok_or_else(|| D::Error::custom(format!("invalid date or instant `{s}`")))
    }
}

/// `Option<DateOrInstant>`; `null`/empty string give `None`.
pub(crate) fn opt_date_or_instant<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<DateOrInstant>, D::Error> {
    match opt_string(d)? {
        None => Ok(None),
        Some(s) if s.trim().is_empty() => Ok(None),
        Some(s) => parse_date(&s)
            .map(DateOrInstant::Date)
            .or_else(|| parse_instant(&s).map(DateOrInstant::Instant))
            .map(Some)
            .ok_or_else(|| D::Error::custom(format!("invalid date or instant `{s}`"))),
    }
}

/// A string that Phorest sometimes sends as a JSON number (`mobile`, `landLine`).
#[derive(Deserialize)]
#[serde(untagged)]
enum StringOrNumber {
    Str(String),
    Int(i64),
    UInt(u64),
    Float(f64),
}

/// `Option<String>` accepting JSON strings or numbers.
pub(crate) fn opt_string_or_number<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<String>, D::Error> {
    Ok(Option::<StringOrNumber>::deserialize(d)?.map(|v| match v {
        StringOrNumber::Str(s) => s,
        StringOrNumber::Int(n) => n.to_string(),
        StringOrNumber::UInt(n) => n.to_string(),
        StringOrNumber::Float(n) => n.to_string(),
    }))
}

/// Any `Default` value, with JSON `null` also giving the default (bools, lists).
pub(crate) fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// A string that is trimmed of surrounding whitespace (branch names).
pub(crate) fn opt_trimmed<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(opt_string(d)?.map(|s| s.trim().to_owned()))
}

/// Serialises an `Option<DateTime<Utc>>` in Phorest's millisecond form.
pub(crate) fn ser_opt_instant<S: Serializer>(
    value: &Option<DateTime<Utc>>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match value {
        Some(v) => s.serialize_str(&format_instant(v)),
        None => s.serialize_none(),
    }
}

/// Serialises an `Option<NaiveTime>` as `HH:mm:ss.SSS`.
pub(crate) fn ser_opt_time<S: Serializer>(
    value: &Option<NaiveTime>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match value {
        Some(v) => s.serialize_str(&v.format("%H:%M:%S%.3f").to_string()),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_with_and_without_millis() {
        let a = parse_instant("2021-08-01T14:21:48.487Z").unwrap();
        let b = parse_instant("2021-08-01T14:21:48Z").unwrap();
        let c = parse_instant("2021-08-01T14:21:48").unwrap();
        assert_eq!(a.timestamp_subsec_millis(), 487);
        assert_eq!(b, c);
        assert_eq!(format_instant(&a), "2021-08-01T14:21:48.487Z");
        assert_eq!(format_instant(&b), "2021-08-01T14:21:48.000Z");
        assert!(parse_instant("yesterday").is_none());
    }

    #[test]
    fn times_of_day() {
        assert_eq!(parse_time("09:30:00"), NaiveTime::from_hms_opt(9, 30, 0));
        assert_eq!(
            parse_time("09:30:00.000"),
            NaiveTime::from_hms_opt(9, 30, 0)
        );
        assert_eq!(parse_time("09:30"), NaiveTime::from_hms_opt(9, 30, 0));
        assert!(parse_time("25:00:00").is_none());
    }
}
