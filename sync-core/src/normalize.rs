//! Email and phone normalisation, done before any request so that GHL never
//! has to reject a record with a 400/422 the library could have predicted.

use email_address::{EmailAddress, Options};
use phonenumber::{Mode, country};

/// Why an email address cannot be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EmailIssue {
    /// The field is blank.
    #[error("email address is empty")]
    Empty,
    /// The value is not a usable address.
    #[error(
        "email address is not valid (it needs one @, a domain with a dot such as example.com, and no spaces); correct it in Phorest"
    )]
    Invalid,
}

/// Trims, lowercases and validates an email address.
///
/// Validation uses `email_address` with a required TLD, no display text
/// (`Name <a@b.c>`) and no domain literals (`a@[1.2.3.4]`), so that what is
/// accepted here is what GHL accepts.
///
/// ```
/// use sync_core::normalize::{normalize_email, EmailIssue};
/// assert_eq!(normalize_email("  Mary.O'Brien@Example.IE ").unwrap(), "mary.o'brien@example.ie");
/// assert_eq!(normalize_email("mary@gmail"), Err(EmailIssue::Invalid));
/// assert_eq!(normalize_email("   "), Err(EmailIssue::Empty));
/// ```
pub fn normalize_email(raw: &str) -> Result<String, EmailIssue> {
    let email = raw.trim().to_lowercase();
    if email.is_empty() {
        return Err(EmailIssue::Empty);
    }
    let options = Options::default()
        .with_required_tld()
        .without_display_text()
        .without_domain_literal();
    match EmailAddress::parse_with_options(&email, options) {
        Ok(_) if acceptable_to_ghl(&email) => Ok(email),
        _ => Err(EmailIssue::Invalid),
    }
}

/// Rules GHL's validator applies that `email_address` does not: no quoted
/// local parts, spaces or invisible characters; a domain without
/// underscores whose last label is at least two letters (or an IDNA `xn--`
/// label); no trailing dot.
fn acceptable_to_ghl(email: &str) -> bool {
    let invisible = |c: char| {
        c.is_control()
            || c.is_whitespace()
            || matches!(c, '\u{200b}'..='\u{200f}' | '\u{2060}' | '\u{feff}')
    };
    if email.contains('"') || email.chars().any(invisible) || email.ends_with('.') {
        return false;
    }
    let Some((_, domain)) = email.rsplit_once('@') else {
        return false;
    };
    if domain.contains('_') {
        return false;
    }
    let tld = domain.rsplit('.').next().unwrap_or_default();
    tld.starts_with("xn--") || (tld.chars().count() >= 2 && tld.chars().all(char::is_alphabetic))
}

/// Why a phone number cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PhoneIssue {
    /// The field is blank (or holds only separators).
    #[error("phone number is empty")]
    Empty,
    /// The value contains letters (a note or an extension in the phone field).
    #[error("phone number contains letters; keep only the number in Phorest")]
    ContainsLetters,
    /// Too few digits to be any phone number.
    #[error("phone number is too short; check that no digits are missing")]
    TooShort,
    /// More digits than any international number has.
    #[error("phone number is too long; check for extra digits or two numbers in one field")]
    TooLong,
    /// The digits are not a valid number, neither in international form nor
    /// in the branch's country.
    #[error(
        "phone number is not valid for the branch's country or internationally; add the country code (e.g. +353) in Phorest"
    )]
    Invalid,
    /// The configured default region is not an ISO 3166 country code.
    #[error("unknown default region {0:?} (expected a two-letter country code such as IE)")]
    UnknownRegion(String),
}

/// The fewest digits a usable number has (national significant numbers of
/// small countries are 5-6 digits, plus a prefix).
const MIN_DIGITS: usize = 6;
/// E.164 allows 15 digits; `00` plus 15 is the longest dialable form.
const MAX_DIGITS: usize = 17;

/// Normalises a phone number to E.164 (`+353871234567`).
///
/// Phorest stores numbers either as international digits without `+`
/// (`353871234567`, `447911123456`) or in local format (`0871234567` in an
/// Irish branch). The rules, in order:
///
/// 1. Spaces, dashes, dots, slashes and brackets are ignored, as is a `(0)`
///    trunk marker (`+44 (0) 7700 900123`). Letters are rejected.
/// 2. A leading `+` or `00` means international: the digits must be a valid
///    number with their own country code.
/// 3. Otherwise the digits are parsed as a local number of `default_region`
///    (the branch country, ISO 3166 alpha-2); if that is valid it wins, so an
///    ambiguous string always resolves to the branch's country.
/// 4. Otherwise, if the digits do not start with `0` and are a valid number
///    once prefixed with `+`, that international reading is used.
///
/// The function is idempotent on its own output and never panics.
///
/// ```
/// use sync_core::normalize::normalize_phone;
/// assert_eq!(normalize_phone("087 123 4567", Some("IE")).unwrap(), "+353871234567");
/// assert_eq!(normalize_phone("447911123456", Some("IE")).unwrap(), "+447911123456");
/// assert_eq!(normalize_phone("(613) 992-4211", Some("CA")).unwrap(), "+16139924211");
/// ```
pub fn normalize_phone(raw: &str, default_region: Option<&str>) -> Result<String, PhoneIssue> {
    let region = default_region
        .map(|r| {
            r.trim()
                .to_ascii_uppercase()
                .parse::<country::Id>()
                .map_err(|_| PhoneIssue::UnknownRegion(r.to_owned()))
        })
        .transpose()?;

    let trimmed = raw.trim();
    let cleaned = trimmed.replace("(0)", "");
    if cleaned.chars().any(char::is_alphabetic) {
        return Err(PhoneIssue::ContainsLetters);
    }
    let mut digits: String = cleaned.chars().filter(char::is_ascii_digit).collect();
    if digits.is_empty() {
        return Err(PhoneIssue::Empty);
    }
    if digits.len() < MIN_DIGITS {
        return Err(PhoneIssue::TooShort);
    }
    if digits.len() > MAX_DIGITS {
        return Err(PhoneIssue::TooLong);
    }
    let mut international = cleaned.trim_start().starts_with('+');
    if !international && digits.starts_with("00") {
        digits.drain(..2);
        international = true;
    }

    if international {
        return e164(None, &format!("+{digits}")).ok_or(PhoneIssue::Invalid);
    }
    if let Some(found) = region.and_then(|r| e164(Some(r), &digits)) {
        return Ok(found);
    }
    if !digits.starts_with('0')
        && let Some(found) = e164(None, &format!("+{digits}"))
    {
        return Ok(found);
    }
    Err(PhoneIssue::Invalid)
}

/// Parses and validates with libphonenumber's rules; `None` if not valid.
fn e164(region: Option<country::Id>, text: &str) -> Option<String> {
    let number = phonenumber::parse(region, text).ok()?;
    if !phonenumber::is_valid(&number) {
        return None;
    }
    Some(number.format().mode(Mode::E164).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_trims_lowercases_and_validates() {
        assert_eq!(
            normalize_email(" A.B@Example.COM\t").unwrap(),
            "a.b@example.com"
        );
        assert_eq!(
            normalize_email("JOSÉ@exämple.ie").unwrap(),
            "josé@exämple.ie"
        );
        for bad in [
            "no-at-sign.com",
            "a@b",
            "two@@example.com",
            "Mary <mary@example.com>",
            "a@[127.0.0.1]",
            "a@example.com.",
            "a b@example.com",
            "@example.com",
            "mary@",
            "a@b_c.com",
            "a@x.c",
            "a@x.123",
            "\"quoted\"@x.com",
            "a\u{200b}@x.com",
            "a@x.com,b@y.com",
        ] {
            assert_eq!(normalize_email(bad), Err(EmailIssue::Invalid), "{bad}");
        }
        assert_eq!(normalize_email(""), Err(EmailIssue::Empty));
        assert_eq!(normalize_email(" \n "), Err(EmailIssue::Empty));
    }

    #[test]
    fn issues_read_as_actionable_text() {
        assert!(EmailIssue::Invalid.to_string().contains("Phorest"));
        assert!(PhoneIssue::Invalid.to_string().contains("country code"));
    }

    #[test]
    fn irish_numbers() {
        for raw in [
            "0871234567",
            "087 123 4567",
            "087-123-4567",
            "(087) 123 4567",
            "353871234567",
            "+353 87 123 4567",
            "+353 (0) 87 123 4567",
            "00353871234567",
            "00 353 87 123 4567",
            "+353871234567",
        ] {
            assert_eq!(
                normalize_phone(raw, Some("IE")).unwrap(),
                "+353871234567",
                "{raw}"
            );
        }
        // Dublin landline.
        assert_eq!(
            normalize_phone("01 234 5678", Some("ie")).unwrap(),
            "+35312345678"
        );
    }

    #[test]
    fn uk_us_and_canadian_numbers() {
        assert_eq!(
            normalize_phone("07911 123456", Some("GB")).unwrap(),
            "+447911123456"
        );
        assert_eq!(
            normalize_phone("447911123456", Some("IE")).unwrap(),
            "+447911123456"
        );
        assert_eq!(
            normalize_phone("+44 (0)7911 123456", None).unwrap(),
            "+447911123456"
        );
        assert_eq!(
            normalize_phone("(202) 456-1111", Some("US")).unwrap(),
            "+12024561111"
        );
        assert_eq!(
            normalize_phone("1-202-456-1111", Some("US")).unwrap(),
            "+12024561111"
        );
        assert_eq!(
            normalize_phone("613.992.4211", Some("CA")).unwrap(),
            "+16139924211"
        );
        assert_eq!(
            normalize_phone("16139924211", Some("IE")).unwrap(),
            "+16139924211"
        );
        assert_eq!(
            normalize_phone("(202) 555-0143", Some("US")).unwrap(),
            "+12025550143"
        );
        // A UK mobile missing a digit is not guessed into something else.
        assert_eq!(
            normalize_phone("0791 112345", Some("GB")),
            Err(PhoneIssue::Invalid)
        );
    }

    #[test]
    fn invalid_phones_are_typed() {
        assert_eq!(normalize_phone("", Some("IE")), Err(PhoneIssue::Empty));
        assert_eq!(
            normalize_phone(" - ( ) ", Some("IE")),
            Err(PhoneIssue::Empty)
        );
        assert_eq!(
            normalize_phone("12345", Some("IE")),
            Err(PhoneIssue::TooShort)
        );
        assert_eq!(
            normalize_phone("0871234567 0871234567", Some("IE")),
            Err(PhoneIssue::TooLong)
        );
        assert_eq!(
            normalize_phone("087 123 4567 (mum)", Some("IE")),
            Err(PhoneIssue::ContainsLetters)
        );
        assert_eq!(
            normalize_phone("087123", Some("IE")),
            Err(PhoneIssue::Invalid)
        );
        assert_eq!(
            normalize_phone("+999 1234 5678", Some("IE")),
            Err(PhoneIssue::Invalid)
        );
        // Local format without a region cannot be resolved.
        assert_eq!(
            normalize_phone("0871234567", None),
            Err(PhoneIssue::Invalid)
        );
        assert_eq!(
            normalize_phone("0871234567", Some("Ireland")),
            Err(PhoneIssue::UnknownRegion("Ireland".into()))
        );
    }

    #[test]
    fn unicode_input_does_not_panic_and_is_rejected_or_cleaned() {
        // Non-breaking and thin spaces are separators.
        assert_eq!(
            normalize_phone("087\u{a0}123\u{2009}4567", Some("IE")).unwrap(),
            "+353871234567"
        );
        assert_eq!(normalize_phone("☎ ☎", Some("IE")), Err(PhoneIssue::Empty));
        assert_eq!(
            normalize_phone("телефон", Some("IE")),
            Err(PhoneIssue::ContainsLetters)
        );
    }

    #[test]
    fn output_is_a_fixed_point() {
        for (raw, region) in [
            ("0871234567", "IE"),
            ("447911123456", "IE"),
            ("(613) 992-4211", "CA"),
        ] {
            let once = normalize_phone(raw, Some(region)).unwrap();
            assert_eq!(normalize_phone(&once, Some(region)).unwrap(), once);
            assert_eq!(normalize_phone(&once, None).unwrap(), once);
        }
    }
}
