//! Properties of transition matrices, IFRS 9 staging/ECL and RAROC pricing on random inputs.

use finkit_risk::ifrs9::{
    EadSchedule, PdTermStructure, SicrCombination, StagingInput, StagingParams, StagingRule,
    expected_credit_loss,
};
use finkit_risk::raroc::{LoanRisk, Pricer, PricingParams};
use finkit_risk::schema::{Lgd, Probability};
use finkit_risk::transition::{GeneratorMethod, TransitionMatrix, TransitionOptions};
use ndarray::Array2;
use proptest::prelude::*;

/// A random n × n stochastic matrix whose last state is absorbing; with `dominant`, every
/// diagonal entry exceeds 0.5 (so the principal logarithm exists).
fn stochastic(dominant: bool) -> impl Strategy<Value = Array2<f64>> {
    (2usize..=8).prop_flat_map(move |n| {
        proptest::collection::vec(0.0f64..1.0, n * n).prop_map(move |w| {
            let mut p = Array2::from_shape_fn((n, n), |(i, j)| w[i * n + j]);
            for i in 0..n {
                if i == n - 1 {
                    p.row_mut(i).fill(0.0);
                    p[[i, i]] = 1.0;
                    continue;
                }
                if dominant {
                    // Off-diagonals share at most 0.45, the diagonal takes the rest.
                    let off: f64 = (0..n).filter(|&j| j != i).map(|j| p[[i, j]]).sum();
                    let scale = if off > 0.0 { 0.45 * w[i * n + i] / off } else { 0.0 };
                    let mut acc = 0.0;
                    for j in (0..n).filter(|&j| j != i) {
                        p[[i, j]] *= scale;
                        acc += p[[i, j]];
                    }
                    p[[i, i]] = 1.0 - acc;
                } else {
                    let s: f64 = p.row(i).sum();
                    if s > 0.0 {
                        p.row_mut(i).mapv_inplace(|v| v / s);
                    } else {
                        p[[i, i]] = 1.0;
                    }
                }
            }
            p
        })
    })
}

fn assert_stochastic(m: &Array2<f64>, tol: f64) -> Result<(), TestCaseError> {
    for row in m.rows() {
        prop_assert!((row.sum() - 1.0).abs() <= tol, "row sum {}", row.sum());
        for &v in row {
            prop_assert!((-tol..=1.0 + tol).contains(&v), "entry {v}");
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn powers_stay_stochastic(p in stochastic(false), k in 0u32..40) {
        let tm = TransitionMatrix::new(&p, &TransitionOptions::default()).unwrap();
        assert_stochastic(&tm.power(k), 1e-12)?;
    }

    #[test]
    fn cumulative_pd_is_monotone_and_matches_powers(p in stochastic(false), years in 1u32..25) {
        let tm = TransitionMatrix::new(&p, &TransitionOptions::default()).unwrap();
        let d = tm.default_state();
        for i in 0..tm.n_states() {
            let cum = tm.cumulative_pd(i, years).unwrap();
            prop_assert!(cum[0] >= 0.0);
            for t in 1..years as usize {
                prop_assert!(cum[t] >= cum[t - 1], "state {i}: {} then {}", cum[t - 1], cum[t]);
            }
            prop_assert!(cum[years as usize - 1] <= 1.0 + 1e-12);
            let pw = tm.power(years);
            prop_assert!((cum[years as usize - 1] - pw[[i, d]]).abs() <= 1e-12);
        }
    }

    #[test]
    fn logm_inverts_exp_and_irw_is_valid(p in stochastic(true)) {
        let tm = TransitionMatrix::new(&p, &TransitionOptions::default()).unwrap();
        let g = tm.generator(GeneratorMethod::Logm).unwrap();
        let back = g.transition_matrix(1.0).unwrap();
        let err = back.iter().zip(p.iter()).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
        prop_assert!(err < 1e-12, "exp(logm P) - P = {err}");
        let irw = g.regularise_irw();
        prop_assert!(irw.is_valid(1e-12));
        assert_stochastic(&irw.transition_matrix(2.5).unwrap(), 1e-12)?;
        let jlt = tm.generator(GeneratorMethod::Jlt).unwrap();
        prop_assert!(jlt.is_valid(1e-12));
    }

    #[test]
    fn higher_current_pd_never_lowers_the_stage(
        po in 0.0f64..0.3, pc in 0.0f64..0.5, bump in 0.0f64..0.5, dpd in 0u32..120, any in any::<bool>()
    ) {
        let combination = if any { SicrCombination::Any } else { SicrCombination::All };
        let rule = StagingRule::new(StagingParams { combination, ..StagingParams::default() }).unwrap();
        let x = StagingInput { pd_origination: po, pd_current: pc, days_past_due: dpd, defaulted: false };
        let hi = StagingInput { pd_current: (pc + bump).min(1.0), ..x };
        let later = StagingInput { days_past_due: dpd + 30, ..x };
        let s = rule.assess(&x).unwrap().0;
        prop_assert!(rule.assess(&hi).unwrap().0 >= s);
        prop_assert!(rule.assess(&later).unwrap().0 >= s);
    }

    #[test]
    fn ecl_bounds(marg in proptest::collection::vec(0.0f64..0.1, 1..10), lgd in 0.0f64..1.0,
                  eir in 0.0f64..0.2, ead0 in 0.0f64..1e7) {
        let pd = PdTermStructure::from_marginal(&ndarray::Array1::from(marg.clone())).unwrap();
        let ead = EadSchedule::linear_amortising(ead0, marg.len() as u32).unwrap();
        let ecl = expected_credit_loss(&pd, &ead, Lgd::new(lgd).unwrap(), eir).unwrap();
        prop_assert!(ecl.twelve_month() >= 0.0);
        prop_assert!(ecl.lifetime() >= ecl.twelve_month());
        prop_assert!(ecl.lifetime() <= lgd * ead0 * pd.cumulative()[marg.len() - 1] * (1.0 + 1e-12));
    }

    #[test]
    fn break_even_spread_gives_the_hurdle(pd in 0.0f64..1.0, lgd in 0.0f64..1.0, k in 1e-4f64..1.0,
                                          hurdle in 0.0f64..0.3, rf in 0.0f64..0.1) {
        let pricer = Pricer::new(PricingParams {
            funding_cost: 0.02, operating_cost: 0.004, hurdle_rate: hurdle, capital_return_rate: rf, margin: 0.0,
        }).unwrap();
        let loan = LoanRisk::new(Probability::new(pd).unwrap(), Lgd::new(lgd).unwrap(), k).unwrap();
        let raroc = pricer.raroc_of_rate(&loan, pricer.risk_based_rate(&loan)).unwrap();
        prop_assert!((raroc - hurdle).abs() <= 1e-12 / k);
        // A higher PD never lowers the break-even spread (same K).
        let riskier = LoanRisk::new(Probability::new((pd + 0.1).min(1.0)).unwrap(), Lgd::new(lgd).unwrap(), k).unwrap();
        prop_assert!(pricer.break_even_spread(&riskier) >= pricer.break_even_spread(&loan));
    }
}
