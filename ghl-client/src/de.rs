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
