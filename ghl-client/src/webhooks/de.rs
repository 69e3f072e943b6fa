//! Lenient decoding for webhook payloads: HighLevel's pages give loose JSON schemas and their
//! examples disagree with them in places (a `to` documented as a string arrives as a list), so
//! scalar fields accept the neighbouring JSON types instead of failing the whole delivery.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

pub(crate) use crate::de::lenient_string;

/// A number sent as a JSON number or a numeric string; `null` is `None`.
pub(crate) fn lenient_f64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => Ok(n.as_f64()),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => s
            .trim()
            .parse::<f64>()
            .map(Some)
            .map_err(|_| D::Error::custom("expected a number, found a non-numeric string")),
        Some(other) => Err(D::Error::custom(format!(
            "expected a number, found {}",
            kind(&other)
        ))),
    }
}

/// A whole number sent as a JSON number (integral) or a numeric string; `null` is `None`.
pub(crate) fn lenient_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => Ok(Some(i)),
            (None, Some(f)) if f.fract() == 0.0 && f.abs() < 9.0e15 => Ok(Some(f as i64)),
            _ => Err(D::Error::custom(
                "expected a whole number, found a fraction",
            )),
        },
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => s
            .trim()
            .parse::<i64>()
            .map(Some)
            .map_err(|_| D::Error::custom("expected a whole number, found another string")),
        Some(other) => Err(D::Error::custom(format!(
            "expected a whole number, found {}",
            kind(&other)
        ))),
    }
}

/// A boolean sent as `true`/`false`, `"true"`/`"false"` or `0`/`1`; `null` is `None`.
pub(crate) fn lenient_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(b)),
        Some(Value::Number(n)) if n.as_u64() == Some(0) => Ok(Some(false)),
        Some(Value::Number(n)) if n.as_u64() == Some(1) => Ok(Some(true)),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Ok(Some(true)),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Ok(Some(false)),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(other) => Err(D::Error::custom(format!(
            "expected a boolean, found {}",
            kind(&other)
        ))),
    }
}

/// A list of strings that may arrive as one string, a list, or `null` (empty). Non-string
/// items are kept as their JSON text.
pub(crate) fn string_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    fn text(v: Value) -> Option<String> {
        match v {
            Value::Null => None,
            Value::String(s) => Some(s),
            other => Some(other.to_string()),
        }
    }
    Ok(match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items.into_iter().filter_map(text).collect(),
        Some(Value::String(s)) if s.is_empty() => Vec::new(),
        Some(other) => text(other).into_iter().collect(),
    })
}

/// A list of typed items that may arrive as `null` (empty) or as one item (a list of one).
pub(crate) fn list<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .into_iter()
            .enumerate()
            .map(|(i, item)| {
                serde_json::from_value(item).map_err(|e| {
                    D::Error::custom(format!(
                        "item {i}: {}",
                        super::events::scrub_message(e.to_string())
                    ))
                })
            })
            .collect(),
        Some(one) => serde_json::from_value(one)
            .map(|item| vec![item])
            .map_err(|e| D::Error::custom(super::events::scrub_message(e.to_string()))),
    }
}

/// A list of ids (or other string newtypes) that may arrive as one string, a list or `null`.
pub(crate) fn id_list<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: From<String>,
{
    Ok(string_list(d)?.into_iter().map(T::from).collect())
}

/// An optional id (string newtype) sent as a string or a number; empty is `None`. A list or an
/// object is an error: it is not an id.
pub(crate) fn opt_id<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: From<String>,
{
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(T::from(s))),
        Some(Value::Number(n)) => Ok(Some(T::from(n.to_string()))),
        Some(other) => Err(D::Error::custom(format!(
            "expected an id (string), found {}",
            kind(&other)
        ))),
    }
}

pub(crate) fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// Any defaultable value, with `null` read as the default.
pub(crate) fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}
