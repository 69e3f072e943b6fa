//! Branch-local wall-clock times and appointment month windows.

use chrono::{DateTime, Datelike, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

/// Why a branch-local date and time could not be turned into one UTC instant.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LocalTimeError {
    /// The record lacks the date or the time.
    #[error("the record has no {0}")]
    Missing(&'static str),
    /// The local time falls in a DST gap (clocks jumped over it).
    #[error("local time {local} does not exist in {tz} (DST gap)")]
    Nonexistent {
        /// The wall-clock time.
        local: NaiveDateTime,
        /// The zone.
        tz: Tz,
    },
    /// The local time happens twice (clocks went back); both candidates are given.
    #[error("local time {local} is ambiguous in {tz} ({earliest} or {latest})")]
    Ambiguous {
        /// The wall-clock time.
        local: NaiveDateTime,
        /// The zone.
        tz: Tz,
        /// The first occurrence (still on summer time).
        earliest: DateTime<Utc>,
        /// The second occurrence.
        latest: DateTime<Utc>,
    },
}

/// Why a branch's `timeZone` could not be turned into a zone.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TimeZoneError {
    /// `timeZone` is `null`, missing or blank.
    #[error("the branch has no time zone")]
    MissingTimeZone,
    /// Neither an IANA zone id nor a known Windows zone name; the literal value is kept.
    #[error("unknown time zone `{0}`")]
    UnknownTimeZone(String),
}

/// Parses a time zone as Phorest may send it: an IANA id (`Europe/Dublin`), or a Windows zone
/// name (`GMT Standard Time`, `Eastern Standard Time`, …), mapped to IANA by CLDR's
/// `windowsZones` table (the zone of territory `001`, e.g. `Eastern Standard Time` →
/// `America/New_York`). Surrounding whitespace is ignored.
///
/// ```
/// use phorest_client::{TimeZoneError, parse_time_zone};
///
/// assert_eq!(parse_time_zone("Europe/Dublin"), Ok(chrono_tz::Europe::Dublin));
/// assert_eq!(parse_time_zone("GMT Standard Time"), Ok(chrono_tz::Europe::London));
/// assert_eq!(parse_time_zone(" "), Err(TimeZoneError::MissingTimeZone));
/// assert_eq!(
///     parse_time_zone("Mars/Olympus"),
///     Err(TimeZoneError::UnknownTimeZone("Mars/Olympus".into()))
/// );
/// ```
pub fn parse_time_zone(value: &str) -> Result<Tz, TimeZoneError> {
    let raw = value.trim();
    if raw.is_empty() {
        return Err(TimeZoneError::MissingTimeZone);
    }
    raw.parse::<Tz>()
        .ok()
        .or_else(|| crate::windows_zones::iana_for_windows(raw).and_then(|iana| iana.parse().ok()))
        .ok_or_else(|| TimeZoneError::UnknownTimeZone(raw.to_owned()))
}

/// Resolves a branch-local date and time of day to UTC, reporting DST gaps and overlaps
/// instead of guessing.
///
/// ```
/// use chrono::{NaiveDate, NaiveTime};
/// use phorest_client::{local_to_utc, LocalTimeError};
///
/// let tz = chrono_tz::Europe::Dublin;
/// let date = NaiveDate::from_ymd_opt(2025, 3, 30).unwrap();
/// let gap = local_to_utc(date, NaiveTime::from_hms_opt(1, 30, 0).unwrap(), tz);
/// assert!(matches!(gap, Err(LocalTimeError::Nonexistent { .. })));
/// ```
pub fn local_to_utc(
    date: NaiveDate,
    time: NaiveTime,
    tz: Tz,
) -> Result<DateTime<Utc>, LocalTimeError> {
    let local = date.and_time(time);
    match tz.from_local_datetime(&local) {
        LocalResult::Single(dt) => Ok(dt.with_timezone(&Utc)),
        LocalResult::Ambiguous(a, b) => {
            let (a, b) = (a.with_timezone(&Utc), b.with_timezone(&Utc));
            Err(LocalTimeError::Ambiguous {
                local,
                tz,
                earliest: a.min(b),
                latest: a.max(b),
            })
        }
        LocalResult::None => Err(LocalTimeError::Nonexistent { local, tz }),
    }
}

/// One calendar-month window of the appointments endpoint: `from..=to` (both inclusive, as
/// Phorest's `to_date` is).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[non_exhaustive]
pub struct MonthWindow {
    /// First day (inclusive).
    pub from: NaiveDate,
    /// Last day (inclusive).
    pub to: NaiveDate,
}

impl MonthWindow {
    /// The window `from..=to`.
    pub fn new(from: NaiveDate, to: NaiveDate) -> Self {
        Self { from, to }
    }
}

/// Splits `from..=to` into calendar-month windows (clipped to the range). Empty if `to < from`.
///
/// ```
/// use chrono::NaiveDate;
/// use phorest_client::month_windows;
///
/// let d = |m, day| NaiveDate::from_ymd_opt(2025, m, day).unwrap();
/// let windows = month_windows(d(1, 15), d(3, 10));
/// assert_eq!(windows.len(), 3);
/// assert_eq!((windows[0].from, windows[0].to), (d(1, 15), d(1, 31)));
/// assert_eq!((windows[1].from, windows[1].to), (d(2, 1), d(2, 28)));
/// assert_eq!((windows[2].from, windows[2].to), (d(3, 1), d(3, 10)));
/// ```
pub fn month_windows(from: NaiveDate, to: NaiveDate) -> Vec<MonthWindow> {
    let mut out = Vec::new();
    let mut start = from;
    while start <= to {
        let end = last_day_of_month(start).min(to);
        out.push(MonthWindow {
            from: start,
            to: end,
        });
        match end.succ_opt() {
            Some(next) => start = next,
            None => break,
        }
    }
    out
}

fn last_day_of_month(d: NaiveDate) -> NaiveDate {
    let (y, m) = if d.month() == 12 {
        (d.year() + 1, 1)
    } else {
        (d.year(), d.month() + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1)
        .and_then(|first| first.pred_opt())
        .unwrap_or(NaiveDate::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::windows_zones::WINDOWS_TO_IANA;

    #[test]
    fn every_windows_zone_maps_to_a_zone_chrono_tz_knows() {
        assert_eq!(WINDOWS_TO_IANA.len(), 139);
        for (windows, iana) in WINDOWS_TO_IANA {
            let tz: Tz = iana
                .parse()
                .unwrap_or_else(|_| panic!("{windows} → {iana}"));
            // `UTC` is an IANA id too, and wins.
            if windows.parse::<Tz>().is_err() {
                assert_eq!(parse_time_zone(windows), Ok(tz), "{windows}");
            }
        }
        let sorted = WINDOWS_TO_IANA
            .windows(2)
            .all(|w| w[0].0.to_ascii_lowercase() < w[1].0.to_ascii_lowercase());
        assert!(sorted, "the table must stay sorted for the binary search");
    }

    #[test]
    fn time_zone_shapes() {
        use chrono_tz::{America, Australia, Europe};
        let cases: &[(&str, Result<Tz, TimeZoneError>)] = &[
            ("Europe/Dublin", Ok(Europe::Dublin)),
            (" America/Toronto ", Ok(America::Toronto)),
            ("GMT Standard Time", Ok(Europe::London)),
            ("gmt standard time", Ok(Europe::London)),
            ("Eastern Standard Time", Ok(America::New_York)),
            ("Pacific Standard Time", Ok(America::Los_Angeles)),
            ("AUS Eastern Standard Time", Ok(Australia::Sydney)),
            ("W. Europe Standard Time", Ok(Europe::Berlin)),
            ("Romance Standard Time", Ok(Europe::Paris)),
            ("UTC", Ok(chrono_tz::UTC)),
            ("", Err(TimeZoneError::MissingTimeZone)),
            ("   ", Err(TimeZoneError::MissingTimeZone)),
            (
                "GMT+1 Standard",
                Err(TimeZoneError::UnknownTimeZone("GMT+1 Standard".into())),
            ),
            (
                "EST5EDT?",
                Err(TimeZoneError::UnknownTimeZone("EST5EDT?".into())),
            ),
            (
                "Europe/Atlantis",
                Err(TimeZoneError::UnknownTimeZone("Europe/Atlantis".into())),
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(&parse_time_zone(input), expected, "{input:?}");
        }
    }

    #[test]
    fn windows_cover_year_end_and_leap_day() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        let w = month_windows(d(2023, 12, 31), d(2024, 2, 29));
        assert_eq!(
            w,
            vec![
                MonthWindow {
                    from: d(2023, 12, 31),
                    to: d(2023, 12, 31)
                },
                MonthWindow {
                    from: d(2024, 1, 1),
                    to: d(2024, 1, 31)
                },
                MonthWindow {
                    from: d(2024, 2, 1),
                    to: d(2024, 2, 29)
                },
            ]
        );
        assert!(month_windows(d(2024, 2, 2), d(2024, 2, 1)).is_empty());
        assert_eq!(month_windows(d(2024, 2, 2), d(2024, 2, 2)).len(), 1);
        assert_eq!(month_windows(NaiveDate::MAX, NaiveDate::MAX).len(), 1);
    }
}
