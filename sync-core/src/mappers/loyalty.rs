//! Loyalty points → a GHL contact custom field plus an owned tier tag.
//!
//! Phorest keeps the balance on the client (`loyaltyCard.points`). The points
//! are written to a custom field whose id the executor resolves (or creates)
//! in preflight and passes in; the mapper never sends an unresolved field.
//! The tier tag is `{prefix}loyalty:{tier}` from [`TierThresholds`]; when the
//! tier changes, the old tier tag is removed through the tag diff.

use ghl_client::CustomFieldId;
use ghl_client::contacts::CustomFieldInput;
use phorest_client::Client;
use serde::{Deserialize, Serialize};

use super::{MapperOptions, SkipReason};

/// The loyalty update of one contact.
#[derive(Clone, Debug, PartialEq)]
pub struct MappedLoyalty {
    /// The points custom field value.
    pub custom_field: CustomFieldInput,
    /// The owned tier tag, e.g. `phorest:loyalty:gold`.
    pub tier_tag: String,
    /// The tier name.
    pub tier: String,
    /// The points as read from Phorest.
    pub points: f64,
}

/// Maps a client's loyalty card. Clients without a card are skipped ("no
/// loyalty card"); a card without points counts as 0 points.
pub fn map_loyalty(
    client: &Client,
    points_field: &CustomFieldId,
    options: &MapperOptions,
) -> Result<MappedLoyalty, SkipReason> {
    let Some(card) = &client.loyalty_card else {
        return Err(SkipReason::NotApplicable {
            detail: "no loyalty card".to_owned(),
        });
    };
    let points = card.points.filter(|p| p.is_finite()).unwrap_or(0.0);
    let tier = options.tiers.tier_for(points).to_owned();
    Ok(MappedLoyalty {
        custom_field: CustomFieldInput::by_id(points_field.clone(), points_value(points)),
        tier_tag: options.tags.tier_tag(&tier),
        tier,
        points,
    })
}

/// A loyalty tier: clients with at least `min_points` get it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Tier {
    /// The tier name, used in the tag `{prefix}loyalty:{name}`.
    pub name: String,
    /// The fewest points for this tier.
    pub min_points: f64,
}

/// Configurable tier thresholds. Default: gold ≥ 1000, silver ≥ 500,
/// bronze ≥ 100, otherwise member.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TierThresholds {
    /// Tiers in any order; the highest threshold reached wins.
    pub tiers: Vec<Tier>,
    /// The tier of everyone below every threshold (and of bad point values).
    pub base: String,
}

impl Default for TierThresholds {
    fn default() -> Self {
        let tier = |name: &str, min_points: f64| Tier {
            name: name.to_owned(),
            min_points,
        };
        TierThresholds {
            tiers: vec![
                tier("gold", 1000.0),
                tier("silver", 500.0),
                tier("bronze", 100.0),
            ],
            base: "member".to_owned(),
        }
    }
}

impl TierThresholds {
    /// The tier name for `points` (NaN or infinite points get the base tier).
    pub fn tier_for(&self, points: f64) -> &str {
        if !points.is_finite() {
            return &self.base;
        }
        self.tiers
            .iter()
            .filter(|t| points >= t.min_points)
            .max_by(|a, b| a.min_points.total_cmp(&b.min_points))
            .map_or(self.base.as_str(), |t| t.name.as_str())
    }
}

/// The text stored in the loyalty points custom field: integers without a
/// decimal point, fractions with up to two decimals.
pub fn points_value(points: f64) -> String {
    if !points.is_finite() {
        return "0".to_owned();
    }
    let rounded = (points * 100.0).round() / 100.0;
    if rounded.fract() == 0.0 {
        format!("{rounded:.0}")
    } else {
        let s = format!("{rounded:.2}");
        s.trim_end_matches('0').to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_tiers() {
        let t = TierThresholds::default();
        for (points, tier) in [
            (0.0, "member"),
            (99.99, "member"),
            (100.0, "bronze"),
            (499.0, "bronze"),
            (500.0, "silver"),
            (1000.0, "gold"),
            (1e9, "gold"),
            (-5.0, "member"),
            (f64::NAN, "member"),
            (f64::INFINITY, "member"),
        ] {
            assert_eq!(t.tier_for(points), tier, "{points}");
        }
    }

    #[test]
    fn custom_tiers_in_any_order() {
        let t = TierThresholds {
            tiers: vec![
                Tier {
                    name: "vip".into(),
                    min_points: 50.0,
                },
                Tier {
                    name: "platinum".into(),
                    min_points: 5000.0,
                },
            ],
            base: "friend".into(),
        };
        assert_eq!(t.tier_for(10.0), "friend");
        assert_eq!(t.tier_for(60.0), "vip");
        assert_eq!(t.tier_for(6000.0), "platinum");
    }

    #[test]
    fn points_text() {
        assert_eq!(points_value(0.0), "0");
        assert_eq!(points_value(1250.0), "1250");
        assert_eq!(points_value(12.5), "12.5");
        assert_eq!(points_value(12.345), "12.35");
        assert_eq!(points_value(f64::NAN), "0");
    }
}
