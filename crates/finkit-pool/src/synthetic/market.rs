//! Daily prices of a market index and of the largest firms, which are taken to be listed.

use finkit_schema::chrono::{Datelike, NaiveDate, Weekday};
use finkit_schema::{Firm, InstrumentId, PriceSeries};

use super::firm::FirmState;
use super::profiles::Segment;
use super::sample::{Domain, Stream};
use super::{Context, FirmTruth, SyntheticDataset, shift};
use crate::PoolError;

/// Trading days per year, for annualised volatilities.
const DAYS_PER_YEAR: f64 = 252.0;
/// Degrees of freedom of the Student-t innovations (fat tails, finite kurtosis).
const TAIL_DOF: u32 = 6;

/// A GARCH(1,1) return process with Student-t innovations.
///
/// ```text
/// h_t = ω + a ε²_{t−1} + b h_{t−1},   ω = σ²_daily (1 − a − b)
/// ε_t = √h_t η_t,                      η_t ~ t(6) scaled to unit variance
/// r_t = μ − h_t / 2 + ε_t              (log return)
/// ```
#[derive(Debug, Clone, Copy)]
struct Garch {
    mu: f64,
    omega: f64,
    a: f64,
    b: f64,
    h: f64,
    last_eps: f64,
}

impl Garch {
    fn new(annual_drift: f64, annual_vol: f64, a: f64, b: f64) -> Garch {
        let daily_var = annual_vol * annual_vol / DAYS_PER_YEAR;
        Garch {
            mu: annual_drift / DAYS_PER_YEAR,
            omega: daily_var * (1.0 - a - b),
            a,
            b,
            h: daily_var,
            last_eps: 0.0,
        }
    }

    /// The next (log return, innovation) pair.
    fn step(&mut self, s: &mut Stream) -> (f64, f64) {
        self.h = self.omega + self.a * self.last_eps * self.last_eps + self.b * self.h;
        let eps = self.h.sqrt() * s.student_t_unit(TAIL_DOF);
        self.last_eps = eps;
        (self.mu - 0.5 * self.h + eps, eps)
    }
}

/// `n` weekdays ending on the last weekday on or before `end`, oldest first.
fn trading_days(end: NaiveDate, n: usize) -> Vec<NaiveDate> {
    let mut days = Vec::with_capacity(n);
    let mut d = end;
    while days.len() < n {
        if !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
            days.push(d);
        }
        d = shift(d, -1);
    }
    days.reverse();
    days
}

fn to_prices(start: f64, log_returns: &[f64]) -> Vec<f64> {
    let mut level = start.ln();
    let mut prices = Vec::with_capacity(log_returns.len() + 1);
    prices.push(start);
    for r in log_returns {
        level += r;
        // Four decimals, like a quote; never rounded down to zero.
        prices.push(((level.exp() * 1e4).round() / 1e4).max(1e-4));
    }
    prices
}

/// The index series and one series per listed firm. The listed firms are the largest (by total
/// assets) mature manufacturers and tech SMEs with positive equity; their instrument id is their
/// firm id, recorded in the truth. A firm's return is `beta × index excess return + its own
/// GARCH noise`, whose volatility is higher for weaker credit quality.
pub(super) fn prices(
    ctx: &Context<'_>,
    firms: &[Firm],
    truth: &mut [FirmTruth],
    states: &[FirmState],
) -> Result<Vec<PriceSeries>, PoolError> {
    let params = ctx.params;
    if params.price_days == 0 {
        return Ok(Vec::new());
    }
    let dates = trading_days(params.as_of, params.price_days);
    let steps = params.price_days - 1;

    let mut s = Stream::new(params.seed, Domain::Market, 0);
    let mut index = Garch::new(0.06, 0.18, 0.08, 0.90);
    let market: Vec<(f64, f64)> = (0..steps).map(|_| index.step(&mut s)).collect();
    let index_returns: Vec<f64> = market.iter().map(|(r, _)| *r).collect();
    let mut series = vec![PriceSeries::new(
        InstrumentId::new(SyntheticDataset::INDEX_INSTRUMENT)?,
        dates.clone(),
        to_prices(1_000.0, &index_returns),
    )?];

    let mut eligible: Vec<usize> = (0..firms.len())
        .filter(|&i| {
            matches!(states[i].segment, Segment::MatureManufacturer | Segment::TechSme)
                && states[i].equity > 0.0
        })
        .collect();
    // Largest first; the index breaks ties so the choice is deterministic.
    eligible.sort_by(|&a, &b| {
        states[b].total_assets.total_cmp(&states[a].total_assets).then_with(|| a.cmp(&b))
    });
    eligible.truncate(params.listed);
    eligible.sort_unstable();

    for i in eligible {
        let mut s = Stream::new(params.seed, Domain::Market, 1 + i as u64);
        let beta = s.range(0.7, 1.4);
        let idio_vol = 0.20 + 0.10 * (-truth[i].quality).max(0.0) + s.range(0.0, 0.1);
        let mut own = Garch::new(0.0, idio_vol, 0.06, 0.92);
        let returns: Vec<f64> = market
            .iter()
            .map(|&(_, market_eps)| {
                let (r, _) = own.step(&mut s);
                index.mu + beta * market_eps + r
            })
            .collect();
        let instrument = InstrumentId::new(firms[i].id.as_str())?;
        series.push(PriceSeries::new(
            instrument.clone(),
            dates.clone(),
            to_prices(s.range(10.0, 120.0), &returns),
        )?);
        truth[i].instrument = Some(instrument);
    }
    Ok(series)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trading_days_skip_weekends_and_end_on_or_before_the_date() {
        let sunday = NaiveDate::from_ymd_opt(2024, 12, 29).unwrap();
        let days = trading_days(sunday, 6);
        assert_eq!(days.last().copied(), NaiveDate::from_ymd_opt(2024, 12, 27));
        assert_eq!(days.first().copied(), NaiveDate::from_ymd_opt(2024, 12, 20));
        assert!(days.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn garch_has_its_long_run_volatility() {
        let mut s = Stream::new(3, Domain::Market, 0);
        let mut g = Garch::new(0.0, 0.2, 0.08, 0.9);
        let n = 100_000;
        let var = (0..n).map(|_| g.step(&mut s).1.powi(2)).sum::<f64>() / n as f64;
        let annual = (var * DAYS_PER_YEAR).sqrt();
        // GARCH variance estimates converge slowly; 10 % covers the sampling error here.
        assert!((annual / 0.2 - 1.0).abs() < 0.1, "annualised vol {annual}");
    }
}
