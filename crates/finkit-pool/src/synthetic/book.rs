//! The bank's side: credit events, the loan book and new applications.

use finkit_schema::{
    Amount, ApplicationId, Collateral, CollateralKind, CreditEvent, CreditEventKind, Exposure,
    Firm, Guarantee, GuaranteeKind, Lgd, LoanApplication, LoanId, Maturity, Probability, Product,
};

use super::firm::FirmState;
use super::profiles::{self, Segment};
use super::sample::{Domain, Stream};
use super::{Context, FirmTruth, shift};
use crate::PoolError;

/// Draws each firm's default in the performance year `(as_of, as_of + 365]` from its true PD,
/// records it in the truth, and returns the events sorted by date and firm.
///
/// Every defaulting firm has exactly one [`CreditEventKind::Default`] event. Some defaults are
/// announced by a [`CreditEventKind::PastDue90`] event up to 30 days earlier (never before the
/// performance year), and some are followed by a restructuring or a bankruptcy filing.
pub(super) fn events(
    ctx: &Context<'_>,
    truth: &mut [FirmTruth],
    states: &[FirmState],
) -> Vec<CreditEvent> {
    let as_of = ctx.params.as_of;
    let mut events = Vec::new();
    for (i, (t, _)) in truth.iter_mut().zip(states).enumerate() {
        let mut s = Stream::new(ctx.params.seed, Domain::Event, i as u64);
        if !s.chance(t.pd) {
            continue;
        }
        t.defaulted = true;
        let date = shift(as_of, s.int(1, 365));
        let mut push = |kind, date| {
            events.push(CreditEvent { firm_id: t.firm_id.clone(), kind, date });
        };
        if s.chance(0.4) {
            push(CreditEventKind::PastDue90, shift(date, -s.int(0, 30)).max(shift(as_of, 1)));
        }
        push(CreditEventKind::Default, date);
        let after = s.uniform();
        if after < 0.15 {
            push(CreditEventKind::Bankruptcy, shift(date, s.int(30, 180)));
        } else if after < 0.35 {
            push(CreditEventKind::Restructuring, shift(date, s.int(10, 90)));
        }
    }
    // Stable sort: a firm's events on one day keep their causal order.
    events.sort_by(|a, b| a.date.cmp(&b.date).then_with(|| a.firm_id.cmp(&b.firm_id)));
    events
}

/// Loss given default by the facility's main security: a central value, ± 0.05 uniform.
///
/// Central values follow the Basel foundation-IRB spirit: 0.45 unsecured senior, lower for
/// real estate, receivables and equipment, higher for intellectual property.
const LGD_BY_SECURITY: [(Option<CollateralKind>, f64); 5] = [
    (Some(CollateralKind::RealEstate), 0.25),
    (Some(CollateralKind::Receivables), 0.35),
    (Some(CollateralKind::Equipment), 0.40),
    (Some(CollateralKind::IpPledge), 0.55),
    (None, 0.45),
];

/// The loan book on the as-of date: each facility belongs to a random firm, with the bank's PD
/// estimate of that firm, an LGD set by the main security, an EAD scaled to the firm's debt
/// (or, for firms without debt, its assets), and a maturity of 0.5–7 years.
pub(super) fn exposures(
    ctx: &Context<'_>,
    firms: &[Firm],
    truth: &[FirmTruth],
    states: &[FirmState],
) -> Result<Vec<Exposure>, PoolError> {
    let params = ctx.params;
    let mut book = Vec::with_capacity(params.loans);
    for k in 0..params.loans {
        let mut s = Stream::new(params.seed, Domain::Loan, k as u64);
        let i = s.index(firms.len());
        let (firm, t, state) = (&firms[i], &truth[i], &states[i]);
        let weights: Vec<f64> = LGD_BY_SECURITY
            .iter()
            .map(|(kind, _)| match kind {
                Some(CollateralKind::RealEstate) if state.segment != Segment::DeepTechStartup => {
                    0.25
                }
                Some(CollateralKind::Receivables) => 0.2,
                Some(CollateralKind::Equipment) if state.segment != Segment::DeepTechStartup => {
                    0.15
                }
                Some(CollateralKind::IpPledge) if state.tech => 0.2,
                None => 0.3,
                _ => 0.0,
            })
            .collect();
        let lgd = LGD_BY_SECURITY[s.weighted(&weights)].1 + s.range(-0.05, 0.05);
        let base = state.debt.max(0.05 * state.total_assets);
        let ead = (base * s.range(0.2, 0.8) / 1_000.0).round().max(10.0) * 1_000.0;
        let maturity = (s.range(0.5, 7.0) * 4.0).round() / 4.0;
        let pd = t.estimated_pd;
        book.push(Exposure {
            loan_id: LoanId::new(format!("L{:07}", k + 1))?,
            firm_id: firm.id.clone(),
            pd: Probability::new(pd)?,
            lgd: Lgd::new(lgd)?,
            ead: Amount::new(ead)?,
            maturity: Maturity::new(maturity)?,
            sector: state.industry.code.to_owned(),
            annual_sales: Some(Amount::new(state.revenue / 1e6)?),
            rating: Some(profiles::grade_of(pd).to_owned()),
            currency: params.currency,
        });
    }
    Ok(book)
}

/// The products a segment asks for, with weights.
fn product_weights(state: &FirmState) -> [(Product, f64); 6] {
    match state.segment {
        Segment::DeepTechStartup => [
            (Product::VentureDebt, 0.4),
            (Product::IpPledgeLoan, 0.25),
            (Product::GuaranteedLoan, 0.3),
            (Product::TermLoan, 0.05),
            (Product::RevolvingLine, 0.0),
            (Product::TradeFinance, 0.0),
        ],
        Segment::TechSme => [
            (Product::TermLoan, 0.3),
            (Product::RevolvingLine, 0.2),
            (Product::IpPledgeLoan, 0.2),
            (Product::GuaranteedLoan, 0.2),
            (Product::VentureDebt, 0.1),
            (Product::TradeFinance, 0.0),
        ],
        Segment::MatureManufacturer => [
            (Product::TermLoan, 0.45),
            (Product::RevolvingLine, 0.3),
            (Product::TradeFinance, 0.2),
            (Product::IpPledgeLoan, if state.tech { 0.05 } else { 0.0 }),
            (Product::GuaranteedLoan, 0.0),
            (Product::VentureDebt, 0.0),
        ],
        Segment::TraditionalSme => [
            (Product::TermLoan, 0.45),
            (Product::RevolvingLine, 0.3),
            (Product::TradeFinance, 0.25),
            (Product::IpPledgeLoan, 0.0),
            (Product::GuaranteedLoan, 0.0),
            (Product::VentureDebt, 0.0),
        ],
    }
}

fn purpose(s: &mut Stream, product: Product) -> &'static str {
    let options: &[&str] = match product {
        Product::TermLoan => &[
            "purchase of production equipment",
            "expansion of the production site",
            "refinancing of existing debt",
            "acquisition of a competitor",
        ],
        Product::RevolvingLine => &["working capital", "seasonal inventory build-up"],
        Product::IpPledgeLoan => {
            &["scale-up of a patented product line", "commercialisation of patented technology"]
        }
        Product::GuaranteedLoan => &["research and development programme", "market entry abroad"],
        Product::VentureDebt => {
            &["runway extension between equity rounds", "pilot production line"]
        }
        Product::TradeFinance => &["import letters of credit", "export receivables financing"],
    };
    options[s.index(options.len())]
}

/// Loan applications: a random applicant each, dated between the applicant's latest statement
/// becoming available and the as-of date, with a product that fits its segment, an amount
/// scaled to its size, collateral (including IP pledges for patent holders) and guarantees
/// (government schemes for many technology firms, owners' guarantees for small traditional
/// firms).
pub(super) fn applications(
    ctx: &Context<'_>,
    firms: &[Firm],
    states: &[FirmState],
) -> Result<Vec<LoanApplication>, PoolError> {
    let params = ctx.params;
    let mut out = Vec::with_capacity(params.applications);
    for j in 0..params.applications {
        let mut s = Stream::new(params.seed, Domain::Application, j as u64);
        let i = s.index(firms.len());
        let (firm, state) = (&firms[i], &states[i]);
        let window = (params.as_of - state.latest_available).num_days().max(0);
        let application_date = shift(state.latest_available, s.int(0, window));

        let weights = product_weights(state);
        let product = weights[s.weighted(&weights.map(|(_, w)| w))].0;
        let size = if state.segment == Segment::DeepTechStartup {
            state.burn * s.range(0.3, 1.0)
        } else {
            (state.revenue * s.range(0.05, 0.3)).max(state.total_assets * s.range(0.05, 0.2))
        };
        let amount = (size / 10_000.0).round().max(2.5) * 10_000.0;
        let tenor = match product {
            Product::TermLoan => s.int(2, 7) as f64,
            Product::RevolvingLine => 1.0,
            Product::IpPledgeLoan => s.int(2, 5) as f64,
            Product::GuaranteedLoan => s.int(3, 5) as f64,
            Product::VentureDebt => s.int(2, 4) as f64,
            Product::TradeFinance => [0.25, 0.5, 1.0][s.index(3)],
        };

        let mut collateral = Vec::new();
        let mut add = |kind, value: f64| -> Result<(), PoolError> {
            collateral.push(Collateral {
                kind,
                value: Amount::new((value / 1_000.0).round() * 1_000.0)?,
            });
            Ok(())
        };
        let tech = &firm.tech;
        let ip_value = f64::from(tech.patents.invention) * s.range(150_000.0, 400_000.0)
            + f64::from(tech.software_copyrights) * s.range(20_000.0, 60_000.0);
        match product {
            Product::TermLoan => {
                if s.chance(0.5) && state.segment != Segment::DeepTechStartup {
                    add(CollateralKind::RealEstate, amount * s.range(0.8, 1.5))?;
                } else if s.chance(0.8) {
                    add(CollateralKind::Equipment, amount * s.range(0.5, 1.0))?;
                }
            }
            Product::RevolvingLine | Product::TradeFinance => {
                let kind = if state.industry.code == "G46" || s.chance(0.3) {
                    CollateralKind::Inventory
                } else {
                    CollateralKind::Receivables
                };
                add(kind, amount * s.range(0.5, 1.0))?;
            }
            Product::IpPledgeLoan => {
                add(CollateralKind::IpPledge, ip_value.max(amount * s.range(0.3, 0.8)))?;
            }
            Product::VentureDebt => {
                if ip_value > 0.0 && s.chance(0.4) {
                    add(CollateralKind::IpPledge, ip_value)?;
                }
            }
            Product::GuaranteedLoan => {
                if s.chance(0.3) {
                    add(CollateralKind::Equipment, amount * s.range(0.2, 0.6))?;
                }
            }
        }
        if s.chance(0.05) {
            add(CollateralKind::Deposit, amount * s.range(0.05, 0.2))?;
        }

        let mut guarantees = Vec::new();
        let scheme = if state.tech {
            "Innovation Guarantee Scheme (synthetic)"
        } else {
            "SME Guarantee Fund (synthetic)"
        };
        if product == Product::GuaranteedLoan || (state.tech && s.chance(0.15)) {
            let coverage = if product == Product::GuaranteedLoan { s.range(0.5, 0.8) } else { 0.5 };
            guarantees.push(Guarantee {
                kind: GuaranteeKind::GovernmentScheme,
                guarantor: scheme.to_owned(),
                coverage: Probability::new(coverage)?,
            });
        }
        if state.segment == Segment::TraditionalSme && state.revenue < 5e6 && s.chance(0.3) {
            guarantees.push(Guarantee {
                kind: GuaranteeKind::Personal,
                guarantor: firm.contact_name.clone().unwrap_or_else(|| "Owner".to_owned()),
                coverage: Probability::new(s.range(0.1, 0.2))?,
            });
        } else if state.segment == Segment::MatureManufacturer && s.chance(0.1) {
            guarantees.push(Guarantee {
                kind: GuaranteeKind::Corporate,
                guarantor: "Parent company (synthetic)".to_owned(),
                // With a government scheme on top (at most 0.5 for these firms) the total stays ≤ 1.
                coverage: Probability::new(s.range(0.2, 0.5))?,
            });
        }

        out.push(LoanApplication {
            id: ApplicationId::new(format!("A{:06}", j + 1))?,
            firm_id: firm.id.clone(),
            application_date,
            amount: Amount::new(amount)?,
            currency: params.currency,
            tenor: Maturity::new(tenor)?,
            product,
            purpose: purpose(&mut s, product).to_owned(),
            collateral,
            guarantees,
        });
    }
    Ok(out)
}
