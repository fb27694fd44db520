//! The fixed tables behind the generator: industries, segments, the master scale, names.

/// The kind of firm a synthetic firm is drawn as; it sets size, growth, margins, funding and the
/// mean of the latent credit quality.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum Segment {
    /// A young, venture-funded deep-tech start-up: little or no revenue, heavy R&D, losses
    /// funded by equity rounds, patents pending or granted. Always technology-innovative.
    DeepTechStartup,
    /// A growing technology SME: revenue in the millions, fast growth, R&D intensity of 5–20 %,
    /// patents and software copyrights, often certified. Always technology-innovative.
    TechSme,
    /// A mature, larger manufacturer (or wholesaler): slow growth, steady margins, real assets.
    /// Technology-innovative when drawn inside the tech share (certified, invention patents).
    MatureManufacturer,
    /// A traditional SME (trade, construction, transport, food): no meaningful R&D.
    TraditionalSme,
}

impl Segment {
    /// All segments, in a fixed order.
    pub const ALL: [Segment; 4] = [
        Segment::DeepTechStartup,
        Segment::TechSme,
        Segment::MatureManufacturer,
        Segment::TraditionalSme,
    ];

    /// The segment's name in snake case (as in CSV files).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Segment::DeepTechStartup => "deep_tech_startup",
            Segment::TechSme => "tech_sme",
            Segment::MatureManufacturer => "mature_manufacturer",
            Segment::TraditionalSme => "traditional_sme",
        }
    }

    /// Mean of the latent credit quality in this segment (the quality is this plus a standard
    /// normal draw; higher is better).
    pub(super) fn quality_shift(self) -> f64 {
        match self {
            Segment::DeepTechStartup => -0.5,
            Segment::TechSme => 0.1,
            Segment::MatureManufacturer => 0.3,
            Segment::TraditionalSme => -0.1,
        }
    }
}

impl std::fmt::Display for Segment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How technology firms split across segments, and non-technology firms likewise.
///
/// Of the technology-innovative firms, 20 % are deep-tech start-ups, 60 % growing tech SMEs and
/// 20 % mature (certified) manufacturers; of the others, 30 % are mature manufacturers and 70 %
/// traditional SMEs.
pub(super) const TECH_SPLIT: [(Segment, f64); 3] =
    [(Segment::DeepTechStartup, 0.2), (Segment::TechSme, 0.6), (Segment::MatureManufacturer, 0.2)];
/// See [`TECH_SPLIT`].
pub(super) const NON_TECH_SPLIT: [(Segment, f64); 2] =
    [(Segment::MatureManufacturer, 0.3), (Segment::TraditionalSme, 0.7)];

/// The economics of one industry (NACE Rev. 2 division) in the generator.
///
/// Figures are stylised central values for European SMEs, chosen to give plausible ratios; they
/// are not estimates of any real population.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IndustryProfile {
    /// NACE Rev. 2 division code, e.g. `C26`.
    pub code: &'static str,
    /// Short English name of the division.
    pub name: &'static str,
    /// Relative weight when drawing the industry of a technology-innovative firm (0: never).
    pub tech_weight: f64,
    /// Relative weight for a non-technology firm.
    pub traditional_weight: f64,
    /// Revenue / total assets of a typical firm.
    pub asset_turnover: f64,
    /// EBITDA / revenue of a firm of average credit quality.
    pub ebitda_margin: f64,
    /// Current assets / total assets.
    pub current_asset_share: f64,
    /// Revenue per employee, in currency units.
    pub revenue_per_employee: f64,
    /// Whether the firm's output is largely software (software copyrights are common).
    pub software: bool,
    /// A word used in synthetic firm names.
    pub name_word: &'static str,
}

/// The industries the generator knows; [`super::SyntheticParamsBuilder::with_industries`] picks
/// a subset by code.
pub(super) const INDUSTRIES: [IndustryProfile; 10] = [
    IndustryProfile {
        code: "C21",
        name: "pharmaceutical products",
        tech_weight: 0.8,
        traditional_weight: 0.0,
        asset_turnover: 0.7,
        ebitda_margin: 0.17,
        current_asset_share: 0.45,
        revenue_per_employee: 350_000.0,
        software: false,
        name_word: "Pharma",
    },
    IndustryProfile {
        code: "C26",
        name: "computer, electronic and optical products",
        tech_weight: 1.5,
        traditional_weight: 0.0,
        asset_turnover: 0.9,
        ebitda_margin: 0.12,
        current_asset_share: 0.55,
        revenue_per_employee: 250_000.0,
        software: false,
        name_word: "Sensorik",
    },
    IndustryProfile {
        code: "C27",
        name: "electrical equipment",
        tech_weight: 0.7,
        traditional_weight: 0.3,
        asset_turnover: 1.0,
        ebitda_margin: 0.10,
        current_asset_share: 0.50,
        revenue_per_employee: 220_000.0,
        software: false,
        name_word: "Elektrik",
    },
    IndustryProfile {
        code: "C28",
        name: "machinery and equipment",
        tech_weight: 0.6,
        traditional_weight: 0.8,
        asset_turnover: 1.0,
        ebitda_margin: 0.10,
        current_asset_share: 0.55,
        revenue_per_employee: 200_000.0,
        software: false,
        name_word: "Maschinenbau",
    },
    IndustryProfile {
        code: "J62",
        name: "computer programming and consultancy",
        tech_weight: 2.0,
        traditional_weight: 0.3,
        asset_turnover: 1.3,
        ebitda_margin: 0.14,
        current_asset_share: 0.70,
        revenue_per_employee: 150_000.0,
        software: true,
        name_word: "Software",
    },
    IndustryProfile {
        code: "M72",
        name: "scientific research and development",
        tech_weight: 1.2,
        traditional_weight: 0.0,
        asset_turnover: 0.6,
        ebitda_margin: 0.08,
        current_asset_share: 0.60,
        revenue_per_employee: 120_000.0,
        software: false,
        name_word: "Labs",
    },
    IndustryProfile {
        code: "G46",
        name: "wholesale trade",
        tech_weight: 0.0,
        traditional_weight: 2.0,
        asset_turnover: 2.2,
        ebitda_margin: 0.05,
        current_asset_share: 0.70,
        revenue_per_employee: 600_000.0,
        software: false,
        name_word: "Handel",
    },
    IndustryProfile {
        code: "F41",
        name: "construction of buildings",
        tech_weight: 0.0,
        traditional_weight: 1.5,
        asset_turnover: 1.1,
        ebitda_margin: 0.07,
        current_asset_share: 0.60,
        revenue_per_employee: 180_000.0,
        software: false,
        name_word: "Bau",
    },
    IndustryProfile {
        code: "C10",
        name: "food products",
        tech_weight: 0.0,
        traditional_weight: 1.0,
        asset_turnover: 1.4,
        ebitda_margin: 0.08,
        current_asset_share: 0.45,
        revenue_per_employee: 250_000.0,
        software: false,
        name_word: "Foods",
    },
    IndustryProfile {
        code: "H49",
        name: "land transport",
        tech_weight: 0.0,
        traditional_weight: 1.0,
        asset_turnover: 1.0,
        ebitda_margin: 0.12,
        current_asset_share: 0.30,
        revenue_per_employee: 120_000.0,
        software: false,
        name_word: "Logistik",
    },
];

/// The industry profiles the generator knows, in a fixed order.
#[must_use]
pub fn industry_profiles() -> &'static [IndustryProfile] {
    &INDUSTRIES
}

/// Regions used when none are configured (ISO 3166-2 subdivision codes).
pub(super) const DEFAULT_REGIONS: [&str; 6] =
    ["DE-BY", "DE-BW", "DE-BE", "FR-IDF", "NL-NH", "IT-25"];

/// Upper PD bounds of the ten grades of the synthetic master scale (grade `"1"` is the best).
///
/// Boundaries double from 0.05 % up; the last grade takes everything above 12.8 %.
pub const SYNTHETIC_MASTER_SCALE: [(&str, f64); 10] = [
    ("1", 0.0005),
    ("2", 0.001),
    ("3", 0.002),
    ("4", 0.004),
    ("5", 0.008),
    ("6", 0.016),
    ("7", 0.032),
    ("8", 0.064),
    ("9", 0.128),
    ("10", 1.0),
];

/// The master-scale grade of a PD.
pub(super) fn grade_of(pd: f64) -> &'static str {
    SYNTHETIC_MASTER_SCALE.iter().find(|(_, upper)| pd <= *upper).map_or("10", |(g, _)| g)
}

/// The legal-form suffix for a region's country.
pub(super) fn legal_form(region: &str) -> &'static str {
    match region.get(..2) {
        Some("DE") => "GmbH",
        Some("FR") => "SAS",
        Some("NL") => "B.V.",
        Some("IT") => "S.r.l.",
        Some("ES") => "S.L.",
        Some("CN") => "Co. Ltd.",
        _ => "Ltd.",
    }
}

/// The first word of a synthetic firm name.
pub(super) const NAME_PREFIXES: [&str; 16] = [
    "Alpen",
    "Nordlicht",
    "Rhein",
    "Helix",
    "Quantum",
    "Orbit",
    "Vector",
    "Cedar",
    "Lumen",
    "Basalt",
    "Kobalt",
    "Meridian",
    "Polaris",
    "Tessera",
    "Aurora",
    "Granit",
];

/// Given names of synthetic contact persons.
pub(super) const FIRST_NAMES: [&str; 12] = [
    "Anna", "Lukas", "Marie", "Jonas", "Sofia", "Elias", "Lea", "Paul", "Clara", "Luca", "Emma",
    "Noah",
];

/// Family names of synthetic contact persons.
pub(super) const LAST_NAMES: [&str; 12] = [
    "Berger", "Martin", "Rossi", "de Vries", "Keller", "Moreau", "Bianchi", "Jansen", "Weber",
    "Laurent", "Ricci", "Bakker",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_consistent() {
        let tech: f64 = TECH_SPLIT.iter().map(|(_, w)| w).sum();
        let non_tech: f64 = NON_TECH_SPLIT.iter().map(|(_, w)| w).sum();
        assert!((tech - 1.0).abs() < 1e-12 && (non_tech - 1.0).abs() < 1e-12);
        assert!(SYNTHETIC_MASTER_SCALE.windows(2).all(|w| w[0].1 < w[1].1));
        assert_eq!(grade_of(0.0), "1");
        assert_eq!(grade_of(0.02), "7");
        assert_eq!(grade_of(1.0), "10");
        let mut codes: Vec<&str> = INDUSTRIES.iter().map(|p| p.code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), INDUSTRIES.len());
    }
}
