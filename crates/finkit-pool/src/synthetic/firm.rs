//! One firm: its profile, its statements rolled forward year by year, and its ground truth.

use finkit_schema::chrono::NaiveDate;
use finkit_schema::{
    Amount, FinancialStatement, Firm, FirmId, IndustryCode, IndustryScheme, Patents, Probability,
    TechProfile, Unit,
};

use super::profiles::{self, IndustryProfile, Segment};
use super::sample::{Domain, Stream};
use super::{Context, FirmTruth, shift};
use crate::PoolError;

/// What the loan book, the applications and the market need to know about a firm.
#[derive(Debug, Clone)]
pub(super) struct FirmState {
    pub(super) segment: Segment,
    pub(super) tech: bool,
    pub(super) industry: &'static IndustryProfile,
    /// Latest fiscal year's revenue, total assets, interest-bearing debt and book equity.
    pub(super) revenue: f64,
    pub(super) total_assets: f64,
    pub(super) debt: f64,
    pub(super) equity: f64,
    /// Annual cash burn of a start-up (0 for other firms).
    pub(super) burn: f64,
    /// When the latest fiscal year's original statement became available.
    pub(super) latest_available: NaiveDate,
}

/// A generated firm with its statements and truth.
#[derive(Debug)]
pub(super) struct FirmDraw {
    pub(super) firm: Firm,
    pub(super) statements: Vec<FinancialStatement>,
    pub(super) truth: FirmTruth,
    pub(super) state: FirmState,
}

/// The firm's identifier for index `i` (0-based): `F000001`, `F000002`, …
pub(super) fn firm_id(i: usize) -> Result<FirmId, PoolError> {
    Ok(FirmId::new(format!("F{:06}", i + 1))?)
}

/// Days from a date back to a date `years` earlier (fractional years allowed).
fn years_before(date: NaiveDate, years: f64) -> NaiveDate {
    shift(date, -(years * 365.25).round() as i64)
}

/// Rounds to whole currency units; every amount is stored rounded so that sums are exact.
fn whole(x: f64) -> f64 {
    x.round()
}

/// Balance-sheet and income figures of one year before rounding into a statement.
#[derive(Debug, Clone, Copy, Default)]
struct Year {
    revenue: f64,
    total_assets: f64,
    equity: f64,
    retained: f64,
    cash: f64,
    current_assets: f64,
    /// Non-interest-bearing working-capital liabilities, used for the OCF's working capital.
    net_working_capital: f64,
    debt: f64,
}

pub(super) fn draw(ctx: &Context<'_>, i: usize) -> Result<FirmDraw, PoolError> {
    let params = ctx.params;
    let mut s = Stream::new(params.seed, Domain::Firm, i as u64);
    let id = firm_id(i)?;

    // Who the firm is.
    let tech = s.chance(params.tech_share);
    let split: Vec<(Segment, f64)> =
        if tech { profiles::TECH_SPLIT.to_vec() } else { profiles::NON_TECH_SPLIT.to_vec() };
    let segment = split[s.weighted(&split.iter().map(|(_, w)| *w).collect::<Vec<_>>())].0;
    let weights: Vec<f64> = params
        .industries
        .iter()
        .map(|&k| {
            let p = &profiles::INDUSTRIES[k];
            if tech { p.tech_weight } else { p.traditional_weight }
        })
        .collect();
    let industry = &profiles::INDUSTRIES[params.industries[s.weighted(&weights)]];
    let region = params.regions[s.index(params.regions.len())].clone();
    let startup = segment == Segment::DeepTechStartup;

    // The latent quality and what it implies.
    let quality = segment.quality_shift() + s.normal();
    let pd = ctx.pd(quality);
    let estimated_pd = ctx.pd(quality + params.pd_noise * s.normal());

    let last = *ctx.period_ends.last().unwrap_or(&params.as_of);
    let founded = match segment {
        Segment::DeepTechStartup => years_before(last, s.range(0.6, 6.0)),
        Segment::TechSme => years_before(params.as_of, s.range(4.0, 25.0)),
        Segment::MatureManufacturer => years_before(params.as_of, s.range(15.0, 80.0)),
        Segment::TraditionalSme => years_before(params.as_of, s.range(3.0, 40.0)),
    };

    // Firm-level economics; the quality enters margins, leverage, liquidity, debt maturity and
    // the interest rate, each with its own noise, so no single ratio reveals it.
    let n = |s: &mut Stream| s.normal();
    let turnover = industry.asset_turnover * s.lognormal(1.0, 0.2);
    let ca_share = (industry.current_asset_share * s.lognormal(1.0, 0.15)).min(0.95);
    let margin = industry.ebitda_margin + 0.035 * quality + 0.02 * n(&mut s);
    let (growth_mean, growth_sd) = match segment {
        Segment::DeepTechStartup => (0.8, 0.35),
        Segment::TechSme => (0.15 + 0.05 * quality, 0.10),
        Segment::MatureManufacturer => (0.03 + 0.02 * quality, 0.05),
        Segment::TraditionalSme => (0.02 + 0.03 * quality, 0.07),
    };
    let rd_intensity = match segment {
        Segment::DeepTechStartup => 0.0,
        Segment::TechSme => s.range(0.05, 0.20),
        Segment::MatureManufacturer if tech => s.range(0.03, 0.08),
        Segment::MatureManufacturer => s.range(0.0, 0.015),
        Segment::TraditionalSme => {
            if s.chance(0.3) {
                s.range(0.0, 0.01)
            } else {
                0.0
            }
        }
    };
    let dep_rate = s.range(0.07, 0.12);
    let debt_share = if startup {
        s.range(0.0, 0.3)
    } else {
        (0.6 - 0.05 * quality + 0.1 * n(&mut s)).clamp(0.15, 0.9)
    };
    let short_share = (0.35 - 0.08 * quality + 0.08 * n(&mut s)).clamp(0.1, 0.8);
    let other_current_share = s.range(0.5, 0.9);
    let cash_share = if startup {
        s.range(0.7, 0.95)
    } else {
        (0.18 + 0.07 * quality + 0.05 * n(&mut s)).clamp(0.02, 0.9)
    };
    let payout = if quality > -0.5 { s.range(0.0, 0.5) } else { 0.0 };
    let rate = 0.035 + 0.015 * (-quality).max(0.0) + s.range(0.0, 0.01);
    let tax_rate = 0.25;
    let burn = if startup { s.lognormal(1.5e6, 0.6) } else { 0.0 };

    // The year before the first statement.
    let mut venture = 0.0;
    let mut prev = if startup {
        let revenue = if s.chance(0.5) { 0.0 } else { s.lognormal(0.3e6, 0.8) };
        let raised = burn * s.range(1.5, 4.0);
        venture += raised;
        let losses = burn * s.range(0.3, 1.0);
        let equity = raised - losses;
        let liabilities = burn * s.range(0.1, 0.4);
        let assets = equity + liabilities;
        let cash = cash_share * assets;
        Year {
            revenue,
            total_assets: assets,
            equity,
            retained: -losses,
            cash,
            current_assets: (cash / 0.9).min(assets),
            net_working_capital: 0.0,
            debt: debt_share * liabilities,
        }
    } else {
        let revenue = match segment {
            Segment::TechSme => s.lognormal(6e6, 0.9),
            Segment::MatureManufacturer => s.lognormal(90e6, 0.8),
            _ => s.lognormal(5e6, 1.0),
        };
        let assets = revenue / turnover;
        let equity_ratio = (0.30 + 0.12 * quality + 0.06 * n(&mut s)).clamp(-0.15, 0.85);
        let equity = equity_ratio * assets;
        let retained =
            if equity > 0.0 { equity * s.range(0.3, 0.9) } else { equity - 0.1 * assets };
        let current_assets = ca_share * assets;
        let cash = cash_share * current_assets;
        let liabilities = assets - equity;
        let debt = debt_share * liabilities;
        let other_current = other_current_share * (liabilities - debt);
        Year {
            revenue,
            total_assets: assets,
            equity,
            retained,
            cash,
            current_assets,
            net_working_capital: (current_assets - cash) - other_current,
            debt,
        }
    };

    let mut statements = Vec::with_capacity(ctx.period_ends.len() + 1);
    let mut latest_available = params.as_of;
    let mut latest = prev;
    let mut latest_rd = 0.0;
    for (t, &period_end) in ctx.period_ends.iter().enumerate() {
        let growth = growth_mean + growth_sd * n(&mut s);
        let burn_t = burn * 1.1f64.powi(t as i32) * (1.0 + 0.15 * n(&mut s)).max(0.3);
        let revenue = if startup {
            if prev.revenue > 0.0 {
                prev.revenue * (1.0 + growth).max(0.3)
            } else if s.chance(0.35) {
                s.lognormal(0.2e6, 0.7)
            } else {
                0.0
            }
        } else {
            prev.revenue * (1.0 + growth).max(0.3)
        };
        let (ebitda, rd) = if startup {
            let rd = burn_t * s.range(0.5, 0.7);
            (revenue * (0.1 + 0.05 * quality) - burn_t, rd)
        } else {
            (revenue * (margin + 0.02 * n(&mut s)), revenue * rd_intensity)
        };
        let depreciation = dep_rate * (prev.total_assets - prev.current_assets).max(0.0);
        let ebit = ebitda - depreciation;
        let interest = rate * prev.debt;
        let pretax = ebit - interest;
        let tax = tax_rate * pretax.max(0.0);
        let net_income = pretax - tax;
        let dividends = if net_income > 0.0 && !startup { payout * net_income } else { 0.0 };
        // Start-ups that run short of cash raise a round, more often when they are good.
        let mut injection = 0.0;
        if startup && prev.cash < 1.5 * burn_t {
            let p_round = 1.0 / (1.0 + (-(0.5 + 1.2 * quality)).exp());
            if s.chance(p_round) {
                injection = burn_t * s.range(1.5, 3.0);
                venture += injection;
            }
        }
        let equity = whole(prev.equity + net_income - dividends + injection);
        let retained = whole(prev.retained + net_income - dividends);

        // Assets follow revenue; liabilities absorb the difference to equity. A firm whose
        // equity outgrows its assets holds the surplus as assets (cash), keeping liabilities
        // at 5 % or more of assets.
        let total_assets = if startup {
            let liabilities = burn_t * s.range(0.15, 0.5);
            whole((equity + liabilities).max(0.1 * burn_t).max(1_000.0))
        } else {
            whole((revenue / turnover).max(equity / 0.95).max(1_000.0))
        };
        let total_liabilities = total_assets - equity;
        let (current_assets, cash) = if startup {
            let cash = whole(cash_share * total_assets);
            (whole(cash / 0.9 + 0.2 * revenue).min(total_assets), cash)
        } else {
            let current_assets = whole(ca_share * total_assets).min(total_assets);
            (current_assets, whole(cash_share * current_assets))
        };
        let cash = cash.min(current_assets);
        let debt = whole(debt_share * total_liabilities).clamp(0.0, total_liabilities);
        let short_term_debt = whole(short_share * debt).min(debt);
        let long_term_debt = debt - short_term_debt;
        let other = total_liabilities - debt;
        let other_current = whole(other_current_share * other).min(other);
        let current_liabilities = short_term_debt + other_current;
        let net_working_capital = (current_assets - cash) - other_current;
        let operating_cash_flow =
            net_income + depreciation - (net_working_capital - prev.net_working_capital);
        let capex = if startup {
            burn_t * s.range(0.05, 0.15)
        } else {
            depreciation * (1.0 + growth.max(0.0)) * s.lognormal(1.0, 0.2)
        };

        let available_at = shift(period_end, s.int(60, 120));
        // A firm reports only the fiscal years it existed for at least six months.
        if period_end >= shift(founded, 180) {
            statements.push(FinancialStatement {
                firm_id: id.clone(),
                period_end,
                available_at,
                currency: params.currency,
                unit: Unit::One,
                cash,
                current_assets,
                total_assets,
                current_liabilities,
                total_liabilities,
                short_term_debt,
                long_term_debt,
                retained_earnings: retained,
                book_equity: equity,
                revenue: whole(revenue),
                ebit: whole(ebit),
                ebitda: whole(ebitda),
                interest_expense: whole(interest),
                net_income: whole(net_income),
                rd_expense: whole(rd),
                operating_cash_flow: whole(operating_cash_flow),
                capex: whole(capex),
            });
        }
        latest_available = available_at;
        latest_rd = whole(rd);
        prev = Year {
            revenue,
            total_assets,
            equity,
            retained,
            cash,
            current_assets,
            net_working_capital,
            debt,
        };
        latest = prev;
    }

    if s.chance(params.restatement_share) {
        restate(&mut s, &mut statements, params.as_of);
    }

    let tech_profile =
        tech_profile(&mut s, segment, tech, industry, founded, params.as_of, venture, latest_rd)?;
    let employees = if startup {
        (burn / s.lognormal(90_000.0, 0.3)).round().clamp(3.0, 500.0)
    } else {
        (latest.revenue / (industry.revenue_per_employee * s.lognormal(1.0, 0.3)))
            .round()
            .clamp(1.0, 1.0e6)
    } as u32;
    let number = i + 1;
    let name = format!(
        "{} {} {number:04} {}",
        profiles::NAME_PREFIXES[s.index(profiles::NAME_PREFIXES.len())],
        industry.name_word,
        profiles::legal_form(&region)
    );
    let country = region.get(..2).unwrap_or("XX").to_ascii_uppercase();
    let contact_name = s.chance(0.85).then(|| {
        format!(
            "{} {}",
            profiles::FIRST_NAMES[s.index(profiles::FIRST_NAMES.len())],
            profiles::LAST_NAMES[s.index(profiles::LAST_NAMES.len())]
        )
    });
    let contact_email = contact_name.as_ref().filter(|_| s.chance(0.9)).map(|person| {
        let local: String = person
            .chars()
            .filter_map(|c| match c {
                ' ' => Some('.'),
                c if c.is_ascii_alphabetic() => Some(c.to_ascii_lowercase()),
                _ => None,
            })
            .collect();
        format!("{local}@f{number:06}.example")
    });
    let contact_phone = s.chance(0.8).then(|| format!("+00 555 {:04} {number:06}", s.int(0, 9999)));
    let firm = Firm {
        id: id.clone(),
        name,
        registration_number: format!("SYN-{country}-{number:07}"),
        industry: IndustryCode { scheme: IndustryScheme::Nace, code: industry.code.to_owned() },
        region,
        founded,
        employees,
        tech: tech_profile,
        contact_name,
        contact_email,
        contact_phone,
    };

    Ok(FirmDraw {
        firm,
        statements,
        truth: FirmTruth {
            firm_id: id,
            segment,
            tech,
            quality,
            pd,
            estimated_pd,
            defaulted: false,
            instrument: None,
        },
        state: FirmState {
            segment,
            tech,
            industry,
            revenue: whole(latest.revenue),
            total_assets: latest.total_assets,
            debt: latest.debt,
            equity: latest.equity,
            burn,
            latest_available,
        },
    })
}

/// Adds a corrected version of one of the last two published statements: a write-down of
/// current assets (receivables or inventory) that lowers earnings, equity and assets by the
/// same amount and trims revenue slightly; liabilities and cash are unchanged, so the identity
/// still holds exactly. The correction becomes available 30–240 days after the original (never
/// after the as-of date); later years are not rolled forward again.
fn restate(s: &mut Stream, statements: &mut Vec<FinancialStatement>, as_of: NaiveDate) {
    let Some(last) = statements.len().checked_sub(1) else { return };
    let pick = last - s.index(statements.len().min(2));
    let original = &statements[pick];
    let available_at = shift(original.available_at, s.int(30, 240)).min(as_of);
    if available_at <= original.available_at {
        return;
    }
    let headroom = 0.5 * (original.current_assets - original.cash);
    let size = s.range(0.01, 0.06) * original.revenue.max(0.05 * original.total_assets);
    let delta = -whole(size.min(headroom)).max(0.0);
    let mut fixed = original.clone();
    fixed.available_at = available_at;
    fixed.revenue = whole(original.revenue * (1.0 - s.range(0.0, 0.03)));
    fixed.ebit += delta;
    fixed.ebitda += delta;
    fixed.net_income += delta;
    fixed.retained_earnings += delta;
    fixed.book_equity += delta;
    fixed.current_assets += delta;
    fixed.total_assets += delta;
    statements.insert(pick + 1, fixed);
}

#[allow(clippy::too_many_arguments)] // One call site; a struct would only rename the list.
fn tech_profile(
    s: &mut Stream,
    segment: Segment,
    tech: bool,
    industry: &IndustryProfile,
    founded: NaiveDate,
    as_of: NaiveDate,
    venture: f64,
    latest_rd: f64,
) -> Result<TechProfile, PoolError> {
    // Mean patent counts by kind: (invention, utility model, design).
    let (invention, utility, design) = match (segment, tech) {
        (Segment::DeepTechStartup, _) => (2.0, 1.0, 0.3),
        (Segment::TechSme, _) => (4.0, 5.0, 1.0),
        (Segment::MatureManufacturer, true) => (15.0, 30.0, 5.0),
        (Segment::MatureManufacturer, false) => (0.0, 4.0, 2.0),
        (Segment::TraditionalSme, _) => (0.0, 0.3, 0.3),
    };
    let patents = Patents {
        invention: s.poisson(invention),
        utility_model: s.poisson(utility),
        design: s.poisson(design),
    };
    let software_copyrights = match (tech, industry.software) {
        (true, true) => s.poisson(8.0),
        (true, false) => s.poisson(1.5),
        (false, true) => s.poisson(0.5),
        (false, false) => 0,
    };
    // Technology firms have at least 10 % R&D staff, the others less, so that
    // `is_tech_innovative` agrees with the drawn flag whatever the patents and certificates.
    let rd_staff_share = match segment {
        Segment::DeepTechStartup => s.range(0.4, 0.9),
        _ if tech => s.range(0.10, 0.35),
        Segment::TraditionalSme => s.range(0.0, 0.02),
        _ => s.range(0.0, 0.08),
    };
    let certified = tech
        && s.chance(match segment {
            Segment::DeepTechStartup => 0.3,
            Segment::TechSme => 0.6,
            _ => 0.75,
        });
    let certification_date = certified.then(|| {
        let earliest = shift(founded, 365).max(shift(as_of, -6 * 365)).min(as_of);
        let span = (as_of - earliest).num_days().max(0);
        shift(earliest, s.int(0, span)).max(founded)
    });
    let venture_funding = match segment {
        Segment::DeepTechStartup => venture,
        Segment::TechSme if s.chance(0.25) => s.lognormal(3e6, 0.8),
        _ => 0.0,
    };
    Ok(TechProfile {
        high_tech_certified: certified,
        certification_date,
        rd_expense: Amount::new(latest_rd.max(0.0))?,
        rd_staff_share: Probability::new(rd_staff_share)?,
        patents,
        software_copyrights,
        venture_funding: Amount::new(whole(venture_funding))?,
    })
}
