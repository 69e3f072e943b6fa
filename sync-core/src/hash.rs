//! Content hashes of outgoing payloads, for change detection.
//!
//! The hash covers exactly what would be sent to GHL (the mapped request),
//! so a rerun with no Phorest changes sends nothing. Object keys are sorted
//! recursively before hashing, so key order (including serde_json's
//! `preserve_order` feature, which another crate in the graph may enable)
//! never changes a hash. The `v1:` prefix versions the scheme: changing it
//! makes every stored hash differ once, which resends each record once.

use serde::Serialize;
use serde_json::Value;
use xxhash_rust::xxh3::xxh3_128;

/// The version tag at the start of every hash.
pub const HASH_VERSION: &str = "v1";

/// `"v1:"` followed by the 32-hex-digit xxh3-128 of the canonical JSON of
/// `value`.
///
/// If `value` cannot be serialised as JSON (e.g. a map with non-string
/// keys), the result is a unique value that matches no stored hash, so the
/// record is written rather than wrongly skipped; use [`try_content_hash`]
/// to see the error.
///
/// ```
/// use sync_core::hash::content_hash;
/// let a = content_hash(&serde_json::json!({"a": 1, "b": [1, 2]}));
/// let b = content_hash(&serde_json::json!({"b": [1, 2], "a": 1}));
/// assert_eq!(a, b);
/// assert!(a.starts_with("v1:"));
/// ```
pub fn content_hash<T: Serialize + ?Sized>(value: &T) -> String {
    try_content_hash(value).unwrap_or_else(|err| {
        tracing::warn!(%err, "payload is not JSON-serialisable; hashing as always-changed");
        format!(
            "{HASH_VERSION}:unhashable:{}",
            uuid::Uuid::new_v4().simple()
        )
    })
}

/// [`content_hash`], reporting serialisation errors.
pub fn try_content_hash<T: Serialize + ?Sized>(value: &T) -> Result<String, serde_json::Error> {
    let value = serde_json::to_value(value)?;
    let mut canonical = String::new();
    write_canonical(&value, &mut canonical)?;
    Ok(format!(
        "{HASH_VERSION}:{:032x}",
        xxh3_128(canonical.as_bytes())
    ))
}

fn write_canonical(value: &Value, out: &mut String) -> Result<(), serde_json::Error> {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (k, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::to_string(k)?);
                out.push(':');
                write_canonical(v, out)?;
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(v, out)?;
            }
            out.push(']');
        }
        scalar => out.push_str(&serde_json::to_string(scalar)?),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::collections::HashMap;

    #[derive(Serialize)]
    struct Body {
        name: String,
        tags: Vec<String>,
        phone: Option<String>,
    }

    #[test]
    fn stable_and_well_formed() {
        let h = content_hash(&json!({"x": 1}));
        assert_eq!(h, content_hash(&json!({"x": 1})));
        assert_eq!(h.len(), 3 + 32);
        assert!(h[3..].chars().all(|c| c.is_ascii_hexdigit()));
        // A pinned value: the scheme must not drift silently between releases.
        assert_eq!(
            content_hash(&json!(null)),
            format!("v1:{:032x}", xxh3_128(b"null"))
        );
    }

    #[test]
    fn order_insensitive_for_maps_at_any_depth() {
        let mut a = HashMap::new();
        let mut b = HashMap::new();
        for i in 0..50 {
            a.insert(format!("k{i}"), json!({"p": i, "q": [i, {"z": 1, "y": 2}]}));
        }
        for i in (0..50).rev() {
            b.insert(format!("k{i}"), json!({"q": [i, {"y": 2, "z": 1}], "p": i}));
        }
        assert_eq!(content_hash(&a), content_hash(&b));
    }

    #[test]
    fn changes_on_any_field_change() {
        let base = Body {
            name: "Ann".into(),
            tags: vec!["a".into(), "b".into()],
            phone: None,
        };
        let h = content_hash(&base);
        let variants = [
            Body {
                name: "Anne".into(),
                ..Body {
                    name: String::new(),
                    tags: base.tags.clone(),
                    phone: None,
                }
            },
            Body {
                name: "Ann".into(),
                tags: vec!["b".into(), "a".into()],
                phone: None,
            },
            Body {
                name: "Ann".into(),
                tags: vec!["a".into()],
                phone: None,
            },
            Body {
                name: "Ann".into(),
                tags: base.tags.clone(),
                phone: Some(String::new()),
            },
        ];
        for v in &variants {
            assert_ne!(content_hash(v), h);
        }
    }

    #[test]
    fn unserialisable_values_never_match() {
        let mut bad = HashMap::new();
        bad.insert((1, 2), "non-string key");
        assert!(try_content_hash(&bad).is_err());
        assert_ne!(content_hash(&bad), content_hash(&bad));
    }

    proptest::proptest! {
        #[test]
        fn key_order_never_matters(
            entries in proptest::collection::btree_map("[a-z]{1,6}", proptest::prelude::any::<i64>(), 0..20)
        ) {
            let forward: serde_json::Map<String, serde_json::Value> =
                entries.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
            let mut reversed = serde_json::Map::new();
            for (k, v) in entries.iter().rev() {
                reversed.insert(k.clone(), json!({"nested": v, "k": k}));
            }
            let mut forward_nested = serde_json::Map::new();
            for (k, v) in &entries {
                forward_nested.insert(k.clone(), json!({"k": k, "nested": v}));
            }
            proptest::prop_assert_eq!(
                content_hash(&serde_json::Value::Object(forward.clone())),
                try_content_hash(&serde_json::Value::Object(forward)).unwrap()
            );
            proptest::prop_assert_eq!(
                content_hash(&serde_json::Value::Object(reversed)),
                content_hash(&serde_json::Value::Object(forward_nested))
            );
        }
    }
}
