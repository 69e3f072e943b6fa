//! Tolerant deserialisers for Phorest's loosely specified JSON.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer, de::Error as _};

/// Parses a UTC instant from every shape Phorest (or a Jackson default) may send:
///
/// - RFC 3339 with `Z` or an offset with a colon (`…48.487Z`, `…48+00:00`), with or
///   without fractional seconds;
/// - Jackson's colon-less offset (`…48.487+0000`);
/// - zone-less (`2021-08-01T14:21:48[.487]`, or with a space instead of `T`, seconds optional),
///   read as UTC;
/// - epoch milliseconds as a numeric string (`1627827708487`);
/// - a date alone (`2021-08-01`), read as midnight UTC.
pub(crate) fn parse_instant(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(dt) = DateTime::parse_from_rfc3339(text) {
        return Some(dt.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%d %H:%M:%S%.f%z"] {
        if let Ok(dt) = DateTime::parse_from_str(text, format) {
            return Some(dt.with_timezone(&Utc));
        }
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(text, format) {
            return Some(naive.and_utc());
        }
    }
    if let Some(date) = parse_date(text) {
        return date.and_hms_opt(0, 0, 0).map(|naive| naive.and_utc());
    }
    epoch_millis_text(text)
}

/// Epoch milliseconds written as an integer string (optionally negative).
fn epoch_millis_text(text: &str) -> Option<DateTime<Utc>> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse::<i64>()
        .ok()
        .and_then(DateTime::from_timestamp_millis)
}

/// Epoch milliseconds as a JSON number.
fn epoch_millis(value: f64) -> Option<DateTime<Utc>> {
    if !value.is_finite() || value.abs() > 9.0e15 {
        return None;
    }
    // Whole milliseconds: the cast is exact in this range.
    #[allow(clippy::cast_possible_truncation)]
    DateTime::from_timestamp_millis(value.trunc() as i64)
}

/// Parses a time of day: `HH:mm`, `HH:mm:ss` or `HH:mm:ss.SSS` (`9.30` is rejected).
pub(crate) fn parse_time(text: &str) -> Option<NaiveTime> {
    let text = text.trim();
    NaiveTime::parse_from_str(text, "%H:%M:%S%.f")
        .or_else(|_| NaiveTime::parse_from_str(text, "%H:%M"))
        .ok()
}

/// Parses a calendar date `yyyy-MM-dd` (a date that does not exist, like `1985-02-30`, is
/// rejected).
pub(crate) fn parse_date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok()
}

/// Formats an instant the way Phorest's filters expect: `2024-05-01T10:00:00.000Z`.
pub(crate) fn format_instant(value: &DateTime<Utc>) -> String {
    value.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// A JSON scalar as sent: text, a number, or nothing.
enum Scalar {
    Text(String),
    Number(f64),
    Null,
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Scalar;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string, a number or null")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Scalar, E> {
                Ok(Scalar::Text(v.to_owned()))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Scalar, E> {
                Ok(Scalar::Text(v))
            }
            #[allow(clippy::cast_precision_loss)]
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Scalar, E> {
                Ok(Scalar::Number(v as f64))
            }
            #[allow(clippy::cast_precision_loss)]
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Scalar, E> {
                Ok(Scalar::Number(v as f64))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Scalar, E> {
                Ok(Scalar::Number(v))
            }
            fn visit_none<E: serde::de::Error>(self) -> Result<Scalar, E> {
                Ok(Scalar::Null)
            }
            fn visit_unit<E: serde::de::Error>(self) -> Result<Scalar, E> {
                Ok(Scalar::Null)
            }
            fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Scalar, D2::Error> {
                Scalar::deserialize(d)
            }
        }
        d.deserialize_any(V)
    }
}

/// An instant from text or epoch milliseconds; `None` for null or blank.
fn scalar_instant<E: serde::de::Error>(value: Scalar) -> Result<Option<DateTime<Utc>>, E> {
    match value {
        Scalar::Null => Ok(None),
        Scalar::Text(s) if s.trim().is_empty() => Ok(None),
        Scalar::Text(s) => parse_instant(&s)
            .map(Some)
            .ok_or_else(|| E::custom(format!("invalid instant `{s}`"))),
        Scalar::Number(n) => epoch_millis(n)
            .map(Some)
            .ok_or_else(|| E::custom(format!("invalid epoch milliseconds `{n}`"))),
    }
}

/// `Option<DateTime<Utc>>` from every shape [`parse_instant`] reads, or epoch milliseconds as a
/// JSON number; `null`/empty string give `None`.
pub(crate) fn opt_instant<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<DateTime<Utc>>, D::Error> {
    scalar_instant(Scalar::deserialize(d)?)
}

/// `Option<NaiveTime>` accepting `HH:mm[:ss[.SSS]]`.
pub(crate) fn opt_time<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveTime>, D::Error> {
    match Scalar::deserialize(d)? {
        Scalar::Null => Ok(None),
        Scalar::Text(s) if s.trim().is_empty() => Ok(None),
        Scalar::Text(s) => parse_time(&s)
            .map(Some)
            .ok_or_else(|| D::Error::custom(format!("invalid time of day `{s}`"))),
        Scalar::Number(n) => Err(D::Error::custom(format!("invalid time of day `{n}`"))),
    }
}

/// `Option<NaiveDate>` (`yyyy-MM-dd`); an instant (any shape) is accepted and its UTC date
/// kept.
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

/// A date, or else an instant, from a scalar; `None` for null or blank.
fn scalar_date_or_instant<E: serde::de::Error>(value: Scalar) -> Result<Option<DateOrInstant>, E> {
    match value {
        Scalar::Text(s) if !s.trim().is_empty() => parse_date(&s)
            .map(DateOrInstant::Date)
            .or_else(|| parse_instant(&s).map(DateOrInstant::Instant))
            .map(Some)
            .ok_or_else(|| E::custom(format!("invalid date or instant `{s}`"))),
        other => Ok(scalar_instant(other)?.map(DateOrInstant::Instant)),
    }
}

impl<'de> Deserialize<'de> for DateOrInstant {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        scalar_date_or_instant(Scalar::deserialize(d)?)?
            .ok_or_else(|| D::Error::custom("a date or an instant is required"))
    }
}

/// `Option<DateOrInstant>`; `null`/empty string give `None`.
pub(crate) fn opt_date_or_instant<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<DateOrInstant>, D::Error> {
    scalar_date_or_instant(Scalar::deserialize(d)?)
}

/// A list of ids whose element shape is unconfirmed (`Staff.disqualifiedServices`,
/// `Service.addonServiceIds`): strings and numbers are kept as ids; an object gives its `id`,
/// `serviceId` or first other `…Id` field (an object without one is dropped); `null` elements
/// and a `null` list are skipped. Booleans and nested lists are rejected.
pub(crate) fn lenient_ids<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: From<String>,
{
    use serde_json::Value;
    fn scalar_text(v: &Value) -> Option<String> {
        match v {
            Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }
    let Some(items) = Option::<Vec<Value>>::deserialize(d)? else {
        return Ok(Vec::new());
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        match &item {
            Value::Null => {}
            Value::String(_) | Value::Number(_) => out.extend(scalar_text(&item).map(T::from)),
            Value::Object(map) => {
                let id = ["id", "serviceId"]
                    .iter()
                    .find_map(|k| map.get(*k).and_then(scalar_text))
                    .or_else(|| {
                        map.iter()
                            .filter(|(k, _)| k.ends_with("Id"))
                            .find_map(|(_, v)| scalar_text(v))
                    });
                out.extend(id.map(T::from));
            }
            Value::Bool(_) | Value::Array(_) => {
                return Err(D::Error::custom(format!(
                    "element {i}: expected an id or an object with an id"
                )));
            }
        }
    }
    Ok(out)
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
    Ok(Option::<String>::deserialize(d)?.map(|s| s.trim().to_owned()))
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
    use chrono::TimeZone;

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Probe {
        #[serde(default, deserialize_with = "opt_instant")]
        at: Option<DateTime<Utc>>,
        #[serde(default, deserialize_with = "opt_date")]
        day: Option<NaiveDate>,
        #[serde(default, deserialize_with = "opt_time")]
        time: Option<NaiveTime>,
        #[serde(default, deserialize_with = "opt_date_or_instant")]
        either: Option<DateOrInstant>,
        #[serde(default, deserialize_with = "lenient_ids")]
        ids: Vec<String>,
    }

    fn probe(json: serde_json::Value) -> Result<Probe, String> {
        serde_json::from_value(json).map_err(|e| e.to_string())
    }

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32, ms: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap()
            + chrono::Duration::milliseconds(ms.into())
    }

    #[test]
    fn every_instant_shape_decodes() {
        let t = utc(2021, 8, 1, 14, 21, 48, 487);
        let whole = utc(2021, 8, 1, 14, 21, 48, 0);
        let cases: Vec<(serde_json::Value, Option<DateTime<Utc>>)> = vec![
            ("2021-08-01T14:21:48.487Z".into(), Some(t)),
            ("2021-08-01T14:21:48Z".into(), Some(whole)),
            ("2021-08-01T14:21:48.487+00:00".into(), Some(t)),
            ("2021-08-01T15:21:48.487+01:00".into(), Some(t)),
            ("2021-08-01T14:21:48.487+0000".into(), Some(t)),
            ("2021-08-01T14:21:48+0000".into(), Some(whole)),
            ("2021-08-01T10:21:48.487-0400".into(), Some(t)),
            ("2021-08-01T14:21:48.487".into(), Some(t)),
            ("2021-08-01T14:21:48".into(), Some(whole)),
            ("2021-08-01 14:21:48".into(), Some(whole)),
            (
                "2021-08-01T14:21".into(),
                Some(utc(2021, 8, 1, 14, 21, 0, 0)),
            ),
            (serde_json::json!(1_627_827_708_487_i64), Some(t)),
            ("1627827708487".into(), Some(t)),
            (serde_json::json!(1_627_827_708_487.0), Some(t)),
            ("2021-08-01".into(), Some(utc(2021, 8, 1, 0, 0, 0, 0))),
            (" 2021-08-01T14:21:48.487Z ".into(), Some(t)),
            (serde_json::Value::Null, None),
            ("".into(), None),
        ];
        for (input, expected) in cases {
            let got = probe(serde_json::json!({ "at": input.clone() }));
            assert_eq!(got.map(|p| p.at), Ok(expected), "{input}");
        }
        for bad in [
            "yesterday",
            "2021-13-01T00:00:00Z",
            "2021-08-01T25:00:00",
            "12:00",
            "1e3",
        ] {
            let err = probe(serde_json::json!({ "at": bad })).unwrap_err();
            assert!(err.contains("invalid instant"), "{bad}: {err}");
        }
        assert!(probe(serde_json::json!({ "at": true })).is_err());
    }

    #[test]
    fn dates_accept_instants_and_reject_impossible_days() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day);
        let cases: Vec<(serde_json::Value, Option<NaiveDate>)> = vec![
            ("1985-02-28".into(), d(1985, 2, 28)),
            ("1985-02-28T00:00:00.000Z".into(), d(1985, 2, 28)),
            ("1985-02-28T23:30:00+0000".into(), d(1985, 2, 28)),
            (serde_json::json!(478_396_800_000_i64), d(1985, 2, 28)),
            (serde_json::Value::Null, None),
        ];
        for (input, expected) in cases {
            let got = probe(serde_json::json!({ "day": input.clone() }));
            assert_eq!(got.map(|p| p.day), Ok(expected), "{input}");
        }
        for bad in ["1985-02-30", "1985-13-01", "30/02/1985", "Feb 28"] {
            let err = probe(serde_json::json!({ "day": bad })).unwrap_err();
            assert!(err.contains("invalid date or instant"), "{bad}: {err}");
        }
        let either = probe(serde_json::json!({ "either": "2021-08-01" })).unwrap();
        assert_eq!(either.either, d(2021, 8, 1).map(DateOrInstant::Date));
        let either = probe(serde_json::json!({ "either": 1_627_827_708_487_i64 })).unwrap();
        assert_eq!(
            either.either,
            Some(DateOrInstant::Instant(utc(2021, 8, 1, 14, 21, 48, 487)))
        );
    }

    #[test]
    fn local_times_of_day() {
        let t = NaiveTime::from_hms_milli_opt;
        let cases: Vec<(serde_json::Value, Option<NaiveTime>)> = vec![
            ("09:30".into(), t(9, 30, 0, 0)),
            ("09:30:15".into(), t(9, 30, 15, 0)),
            ("09:30:15.250".into(), t(9, 30, 15, 250)),
            ("9:30".into(), t(9, 30, 0, 0)),
            (serde_json::Value::Null, None),
            ("".into(), None),
        ];
        for (input, expected) in cases {
            let got = probe(serde_json::json!({ "time": input.clone() }));
            assert_eq!(got.map(|p| p.time), Ok(expected), "{input}");
        }
        for bad in [
            serde_json::json!("9.30"),
            serde_json::json!("25:00:00"),
            serde_json::json!("09:61"),
            serde_json::json!(930),
        ] {
            let err = probe(serde_json::json!({ "time": bad.clone() })).unwrap_err();
            assert!(err.contains("invalid time of day"), "{bad}: {err}");
        }
    }

    #[test]
    fn id_lists_accept_strings_numbers_and_objects_with_ids() {
        let ids = |v: serde_json::Value| probe(serde_json::json!({ "ids": v })).map(|p| p.ids);
        assert_eq!(
            ids(serde_json::json!(["a", "b"])),
            Ok(vec!["a".into(), "b".into()])
        );
        assert_eq!(ids(serde_json::json!(null)), Ok(vec![]));
        assert_eq!(
            ids(serde_json::json!([
                {"id": "s1", "name": "Cut"},
                {"serviceId": "s2"},
                {"name": "no id"},
                {"addonServiceId": 7},
                12,
                null
            ])),
            Ok(vec!["s1".into(), "s2".into(), "7".into(), "12".into()])
        );
        assert!(ids(serde_json::json!([true])).is_err());
        assert!(ids(serde_json::json!([["a"]])).is_err());
    }

    #[test]
    fn instants_format_with_millis() {
        let a = parse_instant("2021-08-01T14:21:48.487Z").unwrap();
        let b = parse_instant("2021-08-01T14:21:48Z").unwrap();
        assert_eq!(format_instant(&a), "2021-08-01T14:21:48.487Z");
        assert_eq!(format_instant(&b), "2021-08-01T14:21:48.000Z");
    }
}
