//! Property tests of email and phone normalisation.

use proptest::prelude::*;
use sync_core::normalize::{normalize_email, normalize_phone};

const REGIONS: [Option<&str>; 5] = [None, Some("IE"), Some("GB"), Some("US"), Some("CA")];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn phone_never_panics_and_is_idempotent(raw in any::<String>(), r in 0usize..5) {
        let region = REGIONS[r];
        if let Ok(out) = normalize_phone(&raw, region) {
            prop_assert!(out.starts_with('+'));
            prop_assert!(out[1..].chars().all(|c| c.is_ascii_digit()));
            prop_assert_eq!(normalize_phone(&out, region), Ok(out.clone()));
            prop_assert_eq!(normalize_phone(&out, None), Ok(out.clone()));
        }
    }

    #[test]
    fn phone_like_strings_are_idempotent(
        raw in "(\\+|00)?[0-9 ()\\-.]{0,20}",
        r in 0usize..5,
    ) {
        let region = REGIONS[r];
        if let Ok(out) = normalize_phone(&raw, region) {
            prop_assert_eq!(normalize_phone(&out, region), Ok(out.clone()));
        }
    }

    #[test]
    fn irish_mobiles_in_any_format_agree(
        operator in prop::sample::select(vec!["83", "85", "86", "87", "89"]),
        rest in "[0-9]{7}",
        style in 0usize..4,
    ) {
        let expected = format!("+353{operator}{rest}");
        let raw = match style {
            0 => format!("0{operator}{rest}"),
            1 => format!("0{operator} {} {}", &rest[..3], &rest[3..]),
            2 => format!("353{operator}{rest}"),
            _ => format!("00353-{operator}-{rest}"),
        };
        prop_assert_eq!(normalize_phone(&raw, Some("IE")), Ok(expected));
    }

    #[test]
    fn email_never_panics_and_is_idempotent(raw in any::<String>()) {
        if let Ok(out) = normalize_email(&raw) {
            prop_assert_eq!(out.trim(), out.as_str());
            prop_assert_eq!(out.to_lowercase(), out.clone());
            prop_assert_eq!(normalize_email(&out), Ok(out.clone()));
        }
    }

    #[test]
    fn email_like_strings_are_idempotent(raw in "[ A-Za-z0-9._%+-]{1,12}@[A-Za-z0-9.-]{1,12}(\\.[A-Za-z]{2,4})? ?") {
        if let Ok(out) = normalize_email(&raw) {
            prop_assert_eq!(normalize_email(&out), Ok(out.clone()));
            prop_assert_eq!(normalize_email(&raw.to_uppercase()), Ok(out.clone()));
        }
    }
}
