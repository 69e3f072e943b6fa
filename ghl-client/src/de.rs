//! Lenient decoding helpers for fields whose JSON type GHL does not keep stable.

use serde::{Deserialize, Deserializer};

/// A string field that may arrive as a string, a number or an object: strings are kept, other
/// values are kept as their JSON text, `null` is `None`.
pub(crate) fn lenient_string<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<String>, D::Error> {
    Ok(
        match Option::<serde_json::Value>::deserialize(deserializer)? {
            None | Some(serde_json::Value::Null) => None,
            Some(serde_json::Value::String(text)) => Some(text),
            Some(other) => Some(other.to_string()),
        },
    )
}

/// An optional nested object the crate reads for convenience only: decoded when it has the
/// expected shape, `None` (logged at debug) when it does not, so a surprise in a secondary part
/// of an answer never fails the whole answer.
pub(crate) fn or_none<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    let value = Option::<serde_json::Value>::deserialize(deserializer)?;
    Ok(value.and_then(|v| {
        serde_json::from_value(v)
            .map_err(|e| tracing::debug!(error = %e, "ignored a value of an unexpected shape"))
            .ok()
    }))
}
