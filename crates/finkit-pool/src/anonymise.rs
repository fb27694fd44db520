//! k-anonymity for research exports: quasi-identifiers generalised until every combination
//! holds at least `k` firms.
//!
//! A keyed pseudonym hides a firm's id, but not the firm: founding year, head count, region
//! and industry together single out almost every firm, and an analyst reads those unmasked in
//! the pool. Before pseudonymised firms leave the pool their quasi-identifiers are therefore
//! *generalised* (global recoding: one level for every firm) along a fixed ladder:
//!
//! | level | founded | employees | region | industry | tech flags |
//! |---|---|---|---|---|---|
//! | 0 | 5-year band | 0–9, 10–49, 50–249, 250–999, 1000+ | as stored | code | both |
//! | 1 | 10-year band | as level 0 | country | 2 characters | both |
//! | 2 | 10-year band | 0–49, 50–249, 250+ | country | section (1 character) | certified |
//! | 3 | 20-year band | 0–249, 250+ | country | section | none |
//! | 4 | `*` | 0–249, 250+ | `*` | section | none |
//! | 5 | `*` | `*` | `*` | `*` | none |
//!
//! The lowest level is chosen at which the firms in classes smaller than `k` are at most
//! [`Privacy::max_suppressed_share`] of all firms; those firms are then *suppressed* (left out
//! with their statements and events), and the [`PrivacyReport`] says how many. Every class in
//! the export then holds at least `k` firms, so linking an export record to the pool's firms by
//! these attributes leaves at least `k` candidates.
//!
//! # What this does not cover
//!
//! The research export also carries statements and credit events with exact figures and
//! dates. Someone who knows a firm's exact revenue or default date (an analyst reads them in
//! the pool) can still link that firm's records; k-anonymity here covers the firm attributes.
//! R&D amounts, patent counts and venture funding, each close to unique, are not exported.

use std::collections::BTreeMap;

use chrono::Datelike;
use finkit_schema::{Firm, FirmId, IndustryScheme};
use serde::{Deserialize, Serialize};

use crate::PoolError;

/// How anonymous a research export must be.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Privacy {
    k: usize,
    max_suppressed_share: f64,
}

impl Default for Privacy {
    /// `k` = 5, at most 5 % of the firms suppressed before generalising further.
    fn default() -> Self {
        Privacy { k: 5, max_suppressed_share: 0.05 }
    }
}

impl Privacy {
    /// The default suppression budget (5 %) with another `k`.
    ///
    /// # Errors
    ///
    /// [`PoolError::Policy`] when `k` is 0 or above 1,000,000.
    pub fn new(k: usize) -> Result<Self, PoolError> {
        Self::with_suppression(k, 0.05)
    }

    /// `k` and the share of firms that may be suppressed (in `[0, 1]`) before the next
    /// generalisation level is tried.
    ///
    /// # Errors
    ///
    /// [`PoolError::Policy`] for `k` outside 1..=1,000,000 or a share outside `[0, 1]`.
    pub fn with_suppression(k: usize, max_suppressed_share: f64) -> Result<Self, PoolError> {
        if !(1..=1_000_000).contains(&k) {
            return Err(PoolError::Policy(format!("k must be between 1 and 1000000, got {k}")));
        }
        if !(0.0..=1.0).contains(&max_suppressed_share) {
            return Err(PoolError::Policy(format!(
                "the suppressed share must be in [0, 1], got {max_suppressed_share}"
            )));
        }
        Ok(Privacy { k, max_suppressed_share })
    }

    /// Every class of quasi-identifiers holds at least this many firms.
    #[must_use]
    pub fn k(&self) -> usize {
        self.k
    }

    /// The share of firms that may be left out at a level before a coarser one is tried.
    #[must_use]
    pub fn max_suppressed_share(&self) -> f64 {
        self.max_suppressed_share
    }
}

/// A firm as a research export shows it: a pseudonym and generalised quasi-identifiers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ResearchFirm {
    /// The keyed pseudonym (`P-<32 hex>`).
    pub id: FirmId,
    /// The founding-year band, `2010-2014`, or `*`.
    pub founded: String,
    /// The head-count band, `50-249`, `1000+`, or `*`.
    pub employees: String,
    /// The region, its country (the part before `-`), or `*`.
    pub region: String,
    /// The industry classification scheme.
    pub industry_scheme: IndustryScheme,
    /// The industry code, a prefix of it, or `*`.
    pub industry: String,
    /// Whether the firm is a certified high-tech enterprise (`None` at coarse levels).
    pub high_tech_certified: Option<bool>,
    /// Whether the firm is technology-innovative (`None` at coarse levels).
    pub tech_innovative: Option<bool>,
}

/// What the anonymisation did, stored with the export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PrivacyReport {
    /// The `k` asked for: every class in the export holds at least `k` firms.
    pub k: usize,
    /// The generalisation level used (0 finest, 5 coarsest; see the module docs).
    pub level: u8,
    /// The level in words.
    pub generalisation: String,
    /// Firms left out because their class stayed smaller than `k`.
    pub suppressed_firms: usize,
    /// The smallest class in the export (0 when nothing is exported).
    pub smallest_class: usize,
}

struct Level {
    years: i32,
    employees: &'static [u32],
    region: RegionLevel,
    industry_chars: Option<usize>,
    certified: bool,
    innovative: bool,
    words: &'static str,
}

#[derive(Clone, Copy)]
enum RegionLevel {
    Full,
    Country,
    Any,
}

const FINE: &[u32] = &[0, 10, 50, 250, 1000];
const MEDIUM: &[u32] = &[0, 50, 250];
const COARSE: &[u32] = &[0, 250];

const LEVELS: [Level; 6] = [
    Level {
        years: 5,
        employees: FINE,
        region: RegionLevel::Full,
        industry_chars: Some(usize::MAX),
        certified: true,
        innovative: true,
        words: "founded in 5-year bands, 5 head-count bands, region, industry code, tech flags",
    },
    Level {
        years: 10,
        employees: FINE,
        region: RegionLevel::Country,
        industry_chars: Some(2),
        certified: true,
        innovative: true,
        words: "founded in 10-year bands, 5 head-count bands, country, 2-character industry, tech flags",
    },
    Level {
        years: 10,
        employees: MEDIUM,
        region: RegionLevel::Country,
        industry_chars: Some(1),
        certified: true,
        innovative: false,
        words: "founded in 10-year bands, 3 head-count bands, country, industry section, certified flag",
    },
    Level {
        years: 20,
        employees: COARSE,
        region: RegionLevel::Country,
        industry_chars: Some(1),
        certified: false,
        innovative: false,
        words: "founded in 20-year bands, 2 head-count bands, country, industry section",
    },
    Level {
        years: 0,
        employees: COARSE,
        region: RegionLevel::Any,
        industry_chars: Some(1),
        certified: false,
        innovative: false,
        words: "2 head-count bands and industry section only",
    },
    Level {
        years: 0,
        employees: &[],
        region: RegionLevel::Any,
        industry_chars: None,
        certified: false,
        innovative: false,
        words: "nothing but the industry scheme",
    },
];

fn band(value: u32, bounds: &[u32]) -> String {
    let Some(i) = bounds.iter().rposition(|b| *b <= value) else {
        return "*".into();
    };
    match bounds.get(i + 1) {
        Some(next) => format!("{}-{}", bounds[i], next - 1),
        None => format!("{}+", bounds[i]),
    }
}

/// The generalised view of one firm at a level (the id is filled in by the caller).
fn generalise_firm(firm: &Firm, level: &Level) -> ResearchFirm {
    let founded = if level.years == 0 {
        "*".to_owned()
    } else {
        let y = firm.founded.year();
        let start = y - y.rem_euclid(level.years);
        format!("{start}-{}", start + level.years - 1)
    };
    let employees = if level.employees.is_empty() {
        "*".to_owned()
    } else {
        band(firm.employees, level.employees)
    };
    let region = match level.region {
        RegionLevel::Full => firm.region.clone(),
        RegionLevel::Country => firm.region.split('-').next().unwrap_or(&firm.region).to_owned(),
        RegionLevel::Any => "*".to_owned(),
    };
    let industry = match level.industry_chars {
        Some(n) => firm.industry.code.chars().take(n).collect(),
        None => "*".to_owned(),
    };
    ResearchFirm {
        id: firm.id.clone(),
        founded,
        employees,
        region,
        industry_scheme: firm.industry.scheme,
        industry,
        high_tech_certified: level.certified.then_some(firm.tech.high_tech_certified),
        tech_innovative: level.innovative.then(|| firm.tech.is_tech_innovative()),
    }
}

/// The class key: every field but the id (a record's `Debug` text without it).
fn class_of(f: &ResearchFirm) -> String {
    let ResearchFirm {
        id: _,
        founded,
        employees,
        region,
        industry_scheme,
        industry,
        high_tech_certified,
        tech_innovative,
    } = f;
    format!(
        "{founded:?} {employees:?} {region:?} {industry_scheme:?} {industry:?} \
         {high_tech_certified:?} {tech_innovative:?}"
    )
}

/// Generalises `firms` (real ids kept, for the caller to join and pseudonymise) so that every
/// class holds at least `privacy.k()` firms, suppressing the rest; see the module docs.
#[must_use]
pub fn k_anonymise(firms: &[Firm], privacy: &Privacy) -> (Vec<ResearchFirm>, PrivacyReport) {
    let k = privacy.k();
    // Rounded down: a budget of 5 % of 30 firms is 1 firm.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]
    let budget = (firms.len() as f64 * privacy.max_suppressed_share()).floor() as usize;
    let last = LEVELS.len() - 1;
    for (index, level) in LEVELS.iter().enumerate() {
        let general: Vec<ResearchFirm> = firms.iter().map(|f| generalise_firm(f, level)).collect();
        let mut sizes: BTreeMap<String, usize> = BTreeMap::new();
        for g in &general {
            *sizes.entry(class_of(g)).or_default() += 1;
        }
        let small: usize = sizes.values().filter(|n| **n < k).sum();
        if small > budget && index < last {
            continue;
        }
        let kept: Vec<ResearchFirm> = general
            .into_iter()
            .filter(|g| sizes.get(&class_of(g)).is_some_and(|n| *n >= k))
            .collect();
        let smallest = sizes.values().copied().filter(|n| *n >= k).min().unwrap_or(0);
        let report = PrivacyReport {
            k,
            level: u8::try_from(index).unwrap_or(u8::MAX),
            generalisation: level.words.to_owned(),
            suppressed_firms: firms.len() - kept.len(),
            smallest_class: smallest,
        };
        return (kept, report);
    }
    // LEVELS is not empty, so the loop always returns at the last level.
    (
        Vec::new(),
        PrivacyReport {
            k,
            level: u8::MAX,
            generalisation: String::new(),
            suppressed_firms: firms.len(),
            smallest_class: 0,
        },
    )
}

/// Re-identification by linkage: for each generalised record, the number of `known` firms
/// (the attacker's unmasked view) whose attributes, generalised the same way, match it.
/// A record with one candidate is re-identified.
#[must_use]
pub fn linkage_candidates(
    export: &[ResearchFirm],
    known: &[Firm],
    report: &PrivacyReport,
) -> Vec<usize> {
    let Some(level) = LEVELS.get(usize::from(report.level)) else {
        return vec![known.len(); export.len()];
    };
    let mut sizes: BTreeMap<String, usize> = BTreeMap::new();
    for f in known {
        *sizes.entry(class_of(&generalise_firm(f, level))).or_default() += 1;
    }
    export.iter().map(|r| sizes.get(&class_of(r)).copied().unwrap_or(0)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_are_closed_and_cover_everything() {
        assert_eq!(band(0, FINE), "0-9");
        assert_eq!(band(9, FINE), "0-9");
        assert_eq!(band(10, FINE), "10-49");
        assert_eq!(band(249, FINE), "50-249");
        assert_eq!(band(1000, FINE), "1000+");
        assert_eq!(band(u32::MAX, COARSE), "250+");
    }

    #[test]
    fn privacy_is_validated() {
        assert_eq!(Privacy::default().k(), 5);
        assert!(Privacy::new(0).is_err());
        assert!(Privacy::with_suppression(5, 1.5).is_err());
        assert!(Privacy::with_suppression(5, f64::NAN).is_err());
        assert!(Privacy::new(2).is_ok());
    }
}
