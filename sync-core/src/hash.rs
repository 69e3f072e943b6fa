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
        Value::Object(map) => write_object(map.iter().map(|(k, v)| (k.as_str(), v)), out)?,
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

/// Writes an object's entries sorted by key, whatever order they come in (serde_json's
/// `preserve_order` keeps insertion order; without it keys come sorted already).
fn write_object<'a>(
    entries: impl IntoIterator<Item = (&'a str, &'a Value)>,
    out: &mut String,
) -> Result<(), serde_json::Error> {
    let mut entries: Vec<(&str, &Value)> = entries.into_iter().collect();
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

    /// The canonical text of an object given as entries in the order they come.
    fn canonical_object(entries: &[(&str, Value)]) -> String {
        let mut out = String::new();
        write_object(entries.iter().map(|(k, v)| (*k, v)), &mut out).unwrap();
        out
    }

    // These tests feed the entries in an order of their own (a `serde_json::Map` without
    // `preserve_order` always iterates sorted, so going through it would hide a missing sort):
    // they fail if the key sort is removed.
    #[test]
    fn order_insensitive_for_maps_at_any_depth() {
        let inner = json!({"d": [{"f": 2, "e": 1}], "c": 3});
        let forward = [("a", inner.clone()), ("b", json!(1)), ("z", json!(null))];
        let backward = [("z", json!(null)), ("b", json!(1)), ("a", inner)];
        let expected = r#"{"a":{"c":3,"d":[{"e":1,"f":2}]},"b":1,"z":null}"#;
        assert_eq!(canonical_object(&forward), expected);
        assert_eq!(canonical_object(&backward), expected);
        // And a whole document, nested maps included, hashes as its sorted text.
        let mut a = HashMap::new();
        let mut b = HashMap::new();
        for i in 0..50 {
            a.insert(format!("k{i}"), json!({"p": i, "q": [i, {"z": 1, "y": 2}]}));
        }
        for i in (0..50).rev() {
            b.insert(format!("k{i}"), json!({"q": [i, {"y": 2, "z": 1}], "p": i}));
        }
        assert_eq!(content_hash(&a), content_hash(&b));
        assert_eq!(
            content_hash(&json!({"b": 1, "a": {"d": 2, "c": 3}})),
            format!("v1:{:032x}", xxh3_128(br#"{"a":{"c":3,"d":2},"b":1}"#))
        );
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
            entries in proptest::collection::btree_map("[a-z]{1,6}", proptest::prelude::any::<i64>(), 0..20),
            rotate in 0usize..20,
        ) {
            let sorted: Vec<(&str, Value)> = entries
                .iter()
                .map(|(k, v)| (k.as_str(), json!({"nested": v, "k": k})))
                .collect();
            let mut reversed = sorted.clone();
            reversed.reverse();
            let mut rotated = sorted.clone();
            if !rotated.is_empty() {
                let by = rotate % rotated.len();
                rotated.rotate_left(by);
            }
            let canonical = canonical_object(&sorted);
            proptest::prop_assert_eq!(&canonical_object(&reversed), &canonical);
            proptest::prop_assert_eq!(&canonical_object(&rotated), &canonical);
            // The hash is the hash of that canonical text.
            let map: serde_json::Map<String, Value> =
                sorted.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect();
            proptest::prop_assert_eq!(
                content_hash(&Value::Object(map)),
                format!("v1:{:032x}", xxh3_128(canonical.as_bytes()))
            );
        }
    }
}
