//! Rating transitions, IFRS 9 ECL and RAROC pricing against the shared reference values
//! (`tests/data/transition_*`, `tests/data/ifrs9_pricing_examples.json`; see PROVENANCE.md).

#[path = "common/tolerance_transition.rs"]
mod tolerance;

use finkit_risk::RiskError;
use finkit_risk::ifrs9::{EadSchedule, PdTermStructure, Stage, expected_credit_loss};
use finkit_risk::portfolio::IrbOptions;
use finkit_risk::raroc::{LoanRisk, Pricer, PricingParams};
use finkit_risk::schema::{Lgd, Maturity, Probability};
use finkit_risk::transition::{
    DefaultState, Generator, GeneratorMethod, TransitionMatrix, TransitionOptions,
};
use ndarray::{Array2, array};
use serde_json::Value;
use tolerance::{
    CLOSED_FORM_REL, GENERATOR_LOGM_ABS, IRB_REL, MATRIX_PRODUCT_ABS, ROW_FIX_ABS, rel_err,
};

const RATINGS: [&str; 8] = ["AAA", "AA", "A", "BBB", "BB", "B", "CCC", "D"];
const NAMES: [&str; 2] = ["creditmetrics_1997", "jlt_1997"];

/// The published tables as printed (CreditMetrics in percent), before row repair.
const CREDITMETRICS_1997_PCT: [[f64; 8]; 8] = [
    [90.81, 8.33, 0.68, 0.06, 0.12, 0.00, 0.00, 0.00],
    [0.70, 90.65, 7.79, 0.64, 0.06, 0.14, 0.02, 0.00],
    [0.09, 2.27, 91.05, 5.52, 0.74, 0.26, 0.01, 0.06],
    [0.02, 0.33, 5.95, 86.93, 5.30, 1.17, 0.12, 0.18],
    [0.03, 0.14, 0.67, 7.73, 80.53, 8.84, 1.00, 1.06],
    [0.00, 0.11, 0.24, 0.43, 6.48, 83.46, 4.07, 5.20],
    [0.22, 0.00, 0.22, 1.30, 2.38, 11.24, 64.86, 19.79],
    [0.00, 0.00, 0.00, 0.00, 0.00, 0.00, 0.00, 100.0],
];
const JLT_1997: [[f64; 8]; 8] = [
    [0.8910, 0.0963, 0.0078, 0.0019, 0.0030, 0.0000, 0.0000, 0.0000],
    [0.0086, 0.9010, 0.0747, 0.0099, 0.0029, 0.0029, 0.0000, 0.0000],
    [0.0009, 0.0291, 0.8894, 0.0649, 0.0101, 0.0045, 0.0000, 0.0009],
    [0.0006, 0.0043, 0.0656, 0.8427, 0.0644, 0.0160, 0.0018, 0.0045],
    [0.0004, 0.0022, 0.0079, 0.0719, 0.7764, 0.1043, 0.0127, 0.0241],
    [0.0000, 0.0019, 0.0031, 0.0066, 0.0517, 0.8246, 0.0435, 0.0685],
    [0.0000, 0.0000, 0.0116, 0.0116, 0.0203, 0.0754, 0.6493, 0.2319],
    [0.0000, 0.0000, 0.0000, 0.0000, 0.0000, 0.0000, 0.0000, 1.0000],
];

fn data(name: &str) -> String {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn json(name: &str) -> Value {
    serde_json::from_str(&data(name)).expect("valid json")
}

fn matrix(v: &Value) -> Array2<f64> {
    let rows = v.as_array().expect("array of rows");
    let n = rows.len();
    Array2::from_shape_fn((n, rows[0].as_array().expect("row").len()), |(i, j)| {
        rows[i][j].as_f64().expect("number")
    })
}

fn csv_matrix(name: &str) -> Array2<f64> {
    let text = data(name);
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = rdr.headers().expect("header").iter().map(String::from).collect();
    assert_eq!(&header[1..], RATINGS);
    let rows: Vec<Vec<f64>> = rdr
        .records()
        .map(|r| {
            r.expect("record").iter().skip(1).map(|x| x.parse::<f64>().expect("float")).collect()
        })
        .collect();
    Array2::from_shape_fn((rows.len(), rows[0].len()), |(i, j)| rows[i][j])
}

fn max_abs_diff(a: &Array2<f64>, b: &Array2<f64>) -> f64 {
    assert_eq!(a.dim(), b.dim());
    a.iter().zip(b.iter()).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max)
}

fn reference_matrix(name: &str) -> (Value, TransitionMatrix) {
    let all = json("transition_matrices.json");
    let d = all[name].clone();
    let tm = TransitionMatrix::new(
        &matrix(&d["P1"]),
        &TransitionOptions::default().with_tolerance(1e-12),
    )
    .expect("the repaired reference matrix is stochastic");
    (d, tm)
}

#[test]
fn fix_rowsums_reproduces_the_repaired_published_tables() {
    let all = json("transition_matrices.json");
    let raw = [
        Array2::from_shape_fn((8, 8), |(i, j)| CREDITMETRICS_1997_PCT[i][j] / 100.0),
        Array2::from_shape_fn((8, 8), |(i, j)| JLT_1997[i][j]),
    ];
    for (name, p0) in NAMES.iter().zip(raw.iter()) {
        // The published rows are off by up to 2e-4, so the strict default rejects them.
        assert!(matches!(
            TransitionMatrix::new(p0, &TransitionOptions::default()),
            Err(RiskError::NotStochastic { .. })
        ));
        let tm =
            TransitionMatrix::new(p0, &TransitionOptions::fix_rowsums(1e-3)).expect("repairable");
        let diff = max_abs_diff(&tm.matrix(), &matrix(&all[name]["P1"]));
        println!("{name}: fix_rowsums vs reference P1 max abs diff {diff:e}");
        assert!(diff <= ROW_FIX_ABS, "{name}: {diff}");
        assert_eq!(tm.default_state(), 7);
    }
}

#[test]
fn powers_match_numpy_matrix_power() {
    for name in NAMES {
        let (d, tm) = reference_matrix(name);
        let p5 = tm.power(5);
        let p10 = tm.power(10);
        let d5 = max_abs_diff(&p5, &matrix(&d["P5"]));
        let d5csv = max_abs_diff(&p5, &csv_matrix(&format!("transition_{name}_P5.csv")));
        let d10 = max_abs_diff(&p10, &matrix(&d["P10"]));
        println!("{name}: P5 {d5:e} (csv {d5csv:e}), P10 {d10:e}");
        assert!(
            d5 <= MATRIX_PRODUCT_ABS && d5csv <= MATRIX_PRODUCT_ABS && d10 <= MATRIX_PRODUCT_ABS
        );
    }
}

#[test]
fn cumulative_pds_match_reference() {
    for name in NAMES {
        let (d, tm) = reference_matrix(name);
        let all = tm.cumulative_pds(10).expect("10 years");
        let mut worst: f64 = 0.0;
        for (i, rating) in RATINGS[..7].iter().enumerate() {
            let want = d["cumulative_pd_years_1_to_10"][rating].as_array().expect("10 values");
            assert_eq!(want.len(), 10);
            let got = tm.cumulative_pd(i, 10).expect("valid state");
            for t in 0..10 {
                let w = want[t].as_f64().expect("number");
                worst = worst.max((got[t] - w).abs());
                assert_eq!(got[t], all[[i, t]]);
            }
        }
        println!("{name}: cumulative PD max abs diff {worst:e}");
        assert!(worst <= MATRIX_PRODUCT_ABS);
    }
    // CreditMetrics BBB 5-year cumulative PD quoted in the README: 2.1049 %.
    let (_, tm) = reference_matrix("creditmetrics_1997");
    assert!((tm.cumulative_pd(3, 5).expect("BBB")[4] - 0.021049).abs() < 5e-7);
}

#[test]
fn generators_match_scipy_logm_series_and_jlt() {
    for name in NAMES {
        let (d, tm) = reference_matrix(name);
        let logm = tm.generator(GeneratorMethod::Logm).expect("principal log exists");
        let dl = max_abs_diff(&logm.matrix(), &matrix(&d["generator_logm"]));
        let dlcsv = max_abs_diff(
            &logm.matrix(),
            &csv_matrix(&format!("transition_{name}_generator_logm.csv")),
        );
        let series = tm.generator(GeneratorMethod::LogSeries { terms: 200 }).expect("converges");
        let ds = max_abs_diff(&series.matrix(), &matrix(&d["generator_log_series_200"]));
        let jlt = tm.generator(GeneratorMethod::Jlt).expect("positive diagonal");
        let dj = max_abs_diff(&jlt.matrix(), &matrix(&d["generator_jlt"]));
        println!("{name}: logm {dl:e} (csv {dlcsv:e}), series-200 {ds:e}, jlt {dj:e}");
        assert!(dl <= GENERATOR_LOGM_ABS && dlcsv <= GENERATOR_LOGM_ABS);
        assert!(ds <= MATRIX_PRODUCT_ABS, "series {ds}");
        assert!(dj <= MATRIX_PRODUCT_ABS, "jlt {dj}");
        assert!(jlt.is_valid(1e-15));

        // The logm generator has the same negative off-diagonal entries as scipy's.
        let want: Vec<(String, String)> = d["negative_offdiagonals_logm"]
            .as_array()
            .expect("list")
            .iter()
            .map(|t| {
                (t[0].as_str().expect("from").to_string(), t[1].as_str().expect("to").to_string())
            })
            .collect();
        let got: Vec<(String, String)> = logm
            .negative_off_diagonals()
            .into_iter()
            .filter(|&(_, _, v)| v < -1e-15)
            .map(|(i, j, _)| (RATINGS[i].to_string(), RATINGS[j].to_string()))
            .collect();
        assert_eq!(got, want);
        assert!(!logm.is_valid(1e-12));

        // exp(Q) recovers P for logm; JLT is only an approximation (reference max error).
        let back = logm.transition_matrix(1.0).expect("t >= 0");
        assert!(max_abs_diff(&back, &tm.matrix()) < 1e-13);
        let jlt_err = max_abs_diff(&jlt.transition_matrix(1.0).expect("t >= 0"), &tm.matrix());
        let want_jlt_err = d["max_abs_expm_jlt_minus_P"].as_f64().expect("number");
        assert!(
            (jlt_err - want_jlt_err).abs() <= MATRIX_PRODUCT_ABS,
            "{jlt_err} vs {want_jlt_err}"
        );
    }
}

#[test]
fn irw_regularisation_matches_reference() {
    for name in NAMES {
        let (d, tm) = reference_matrix(name);
        let want = matrix(&d["generator_irw_regularised"]);
        // On the reference logm: a closed form, 1e-12.
        let scipy = Generator::from_matrix(&matrix(&d["generator_logm"]), 7, GeneratorMethod::Logm)
            .expect("8 x 8");
        let on_ref = scipy.regularise_irw();
        let d_ref = max_abs_diff(&on_ref.matrix(), &want);
        // On our own logm: inherits the logm tolerance.
        let ours = tm.generator(GeneratorMethod::Logm).expect("logm").regularise_irw();
        let d_own = max_abs_diff(&ours.matrix(), &want);
        println!("{name}: IRW on scipy logm {d_ref:e}, on own logm {d_own:e}");
        assert!(d_ref <= MATRIX_PRODUCT_ABS);
        assert!(d_own <= GENERATOR_LOGM_ABS);
        assert!(ours.is_valid(1e-15) && ours.is_regularised());
        let err = max_abs_diff(&ours.transition_matrix(1.0).expect("t >= 0"), &tm.matrix());
        let want_err = d["max_abs_expm_irw_minus_P"].as_f64().expect("number");
        assert!((err - want_err).abs() <= GENERATOR_LOGM_ABS, "{err} vs {want_err}");
        // A valid generator gives a stochastic matrix at fractional horizons too.
        let half = ours.transition_matrix(0.5).expect("t >= 0");
        for row in half.rows() {
            assert!((row.sum() - 1.0).abs() < 1e-13);
            assert!(row.iter().all(|&p| p >= -1e-15));
        }
    }
}

#[test]
fn ifrs9_ecl_matches_reference() {
    let r = json("ifrs9_pricing_examples.json");
    let a = &r["assumptions"];
    let (lgd, eir, ead0) =
        (a["lgd"].as_f64().unwrap(), a["eir"].as_f64().unwrap(), a["ead0_eur_m"].as_f64().unwrap());
    let years = u32::try_from(a["years"].as_u64().unwrap()).unwrap();
    let (_, tm) = reference_matrix("creditmetrics_1997");
    let ead = EadSchedule::linear_amortising(ead0, years).unwrap();
    let mut worst: f64 = 0.0;
    for (rating, state) in [("BBB", 3), ("BB", 4)] {
        let want = &r["ecl"][rating];
        let pd = PdTermStructure::from_transition(&tm, state, years).unwrap();
        let ecl = expected_credit_loss(&pd, &ead, Lgd::new(lgd).unwrap(), eir).unwrap();
        let vectors = [
            ("cumulative_pd", pd.cumulative()),
            ("marginal_pd", ecl.marginal_pd()),
            ("ead", ecl.ead()),
            ("discount", ecl.discount()),
        ];
        for (key, got) in vectors {
            let w = want[key].as_array().unwrap();
            assert_eq!(w.len(), got.len());
            for (g, w) in got.iter().zip(w) {
                let e = rel_err(*g, w.as_f64().unwrap());
                worst = worst.max(e);
                assert!(e <= CLOSED_FORM_REL, "{rating} {key}: {g} vs {w}");
            }
        }
        let scalars = [
            ("ecl_12m_stage1", ecl.for_stage(Stage::Stage1)),
            ("ecl_lifetime_stage2", ecl.for_stage(Stage::Stage2)),
            ("ecl_stage3_if_defaulted", ecl.for_stage(Stage::Stage3)),
        ];
        for (key, got) in scalars {
            let w = want[key].as_f64().unwrap();
            let e = rel_err(got, w);
            println!("{rating} {key}: {got} vs {w} (rel {e:e})");
            worst = worst.max(e);
            assert!(e <= CLOSED_FORM_REL, "{rating} {key}: {got} vs {w}");
        }
    }
    println!("IFRS 9 max rel err {worst:e}");
}

#[test]
fn raroc_spreads_match_reference() {
    let r = json("ifrs9_pricing_examples.json");
    let mut worst: f64 = 0.0;
    let mut worst_irb: f64 = 0.0;
    for ex in r["raroc_pricing"].as_array().unwrap() {
        let f = |k: &str| ex[k].as_f64().unwrap();
        let pricer = Pricer::new(PricingParams {
            funding_cost: 0.0,
            operating_cost: f("opex"),
            hurdle_rate: f("hurdle"),
            capital_return_rate: f("rf_on_capital"),
            margin: 0.0,
        })
        .unwrap();
        let loan =
            LoanRisk::new(Probability::new(f("pd")).unwrap(), Lgd::new(f("lgd")).unwrap(), f("K"))
                .unwrap();
        let spread = pricer.break_even_spread(&loan);
        let raroc = pricer.raroc_of_spread(&loan, f("required_spread")).unwrap();
        let checks = [
            ("EL", loan.expected_loss(), f("EL")),
            ("required_spread", spread, f("required_spread")),
            ("raroc_check", raroc, f("raroc_check")),
            (
                "spread_for_raroc",
                pricer.spread_for_raroc(&loan, f("hurdle")).unwrap(),
                f("required_spread"),
            ),
            ("rate (funding 0)", pricer.risk_based_rate(&loan), f("required_spread")),
        ];
        for (key, got, want) in checks {
            let e = rel_err(got, want);
            worst = worst.max(e);
            assert!(e <= CLOSED_FORM_REL, "pd {} {key}: {got} vs {want}", f("pd"));
        }
        // K from the crate's IRB formula reproduces the spread within the IRB tolerance.
        let sales = ex["sales_eur_m"].as_f64();
        let irb = LoanRisk::from_irb(
            Probability::new(f("pd")).unwrap(),
            Lgd::new(f("lgd")).unwrap(),
            Maturity::new(f("m")).unwrap(),
            sales,
            &IrbOptions::default(),
        )
        .unwrap();
        let e = rel_err(pricer.break_even_spread(&irb), f("required_spread"));
        worst_irb = worst_irb.max(e);
        assert!(e <= IRB_REL, "pd {} spread from IRB K: rel err {e}", f("pd"));
        // A funding cost shifts the rate, not the spread: RAROC of the all-in rate is the hurdle.
        let funded =
            Pricer::new(PricingParams { funding_cost: 0.025, ..*pricer.params() }).unwrap();
        let rate = funded.risk_based_rate(&loan);
        assert!((funded.raroc_of_rate(&loan, rate).unwrap() - f("hurdle")).abs() < 1e-12);
    }
    println!("RAROC max rel err {worst:e}; with K from irb_corporate {worst_irb:e}");
}

#[test]
fn bad_input_gives_typed_errors() {
    let opts = TransitionOptions::default();
    // Non-stochastic row.
    let err =
        TransitionMatrix::new(&array![[0.7, 0.2, 0.0], [0.1, 0.8, 0.1], [0.0, 0.0, 1.0]], &opts)
            .unwrap_err();
    assert!(matches!(err, RiskError::NotStochastic { row: 0, .. }), "{err}");
    assert!(err.to_string().contains("row 0") && err.to_string().contains("0.89"), "{err}");
    // NaN and infinity.
    let err = TransitionMatrix::new(&array![[0.5, f64::NAN], [0.0, 1.0]], &opts).unwrap_err();
    assert!(matches!(err, RiskError::InvalidMatrixEntry { row: 0, col: 1, .. }), "{err}");
    assert!(err.to_string().contains("NaN"));
    assert!(TransitionMatrix::new(&array![[f64::INFINITY, 0.0], [0.0, 1.0]], &opts).is_err());
    // Negative probability compensated in the row sum.
    let err = TransitionMatrix::new(&array![[1.1, -0.1], [0.0, 1.0]], &opts).unwrap_err();
    assert!(matches!(err, RiskError::InvalidMatrixEntry { .. }), "{err}");
    // Non-square and too small.
    let err = TransitionMatrix::new(&Array2::<f64>::zeros((3, 2)), &opts).unwrap_err();
    assert!(matches!(err, RiskError::NotSquare { rows: 3, cols: 2, .. }), "{err}");
    assert!(matches!(
        TransitionMatrix::new(&array![[1.0]], &opts),
        Err(RiskError::NotSquare { .. })
    ));
    assert!(TransitionMatrix::new(&Array2::<f64>::zeros((0, 0)), &opts).is_err());
    // A default state that can be left, and one outside the matrix.
    let p = array![[0.9, 0.1], [0.2, 0.8]];
    assert!(matches!(
        TransitionMatrix::new(&p, &opts),
        Err(RiskError::NotAbsorbing { state: 1, .. })
    ));
    let far = opts.with_default_state(DefaultState::Index(5));
    assert!(matches!(
        TransitionMatrix::new(&p, &far),
        Err(RiskError::StateOutOfRange { index: 5, len: 2 })
    ));
    // Repair refused beyond its tolerance, and when it would push the diagonal past 1.
    let off = array![[0.5, 0.45], [0.0, 1.0]];
    assert!(matches!(
        TransitionMatrix::new(&off, &TransitionOptions::fix_rowsums(1e-3)),
        Err(RiskError::NotStochastic { .. })
    ));
    let over = array![[0.0, 0.5004, 0.5004], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];
    assert!(matches!(
        TransitionMatrix::new(&over, &TransitionOptions::fix_rowsums(1e-3)),
        Err(RiskError::InvalidMatrixEntry { row: 0, col: 0, .. })
    ));
    // Negative or non-finite tenor for continuous-time horizons.
    let (_, tm) = reference_matrix("creditmetrics_1997");
    let g = tm.generator(GeneratorMethod::Jlt).unwrap();
    for t in [-1.0, f64::NAN, f64::INFINITY] {
        assert!(matches!(
            g.transition_matrix(t),
            Err(RiskError::InvalidParameter { name: "horizon", .. })
        ));
        assert!(g.default_probabilities(t).is_err());
    }
    assert!(matches!(tm.cumulative_pd(8, 5), Err(RiskError::StateOutOfRange { index: 8, len: 8 })));
    assert!(tm.generator(GeneratorMethod::LogSeries { terms: 0 }).is_err());
    assert!(
        Generator::from_matrix(&array![[f64::NAN, 0.0], [0.0, 0.0]], 1, GeneratorMethod::Logm)
            .is_err()
    );
    // IFRS 9 and RAROC inputs.
    assert!(EadSchedule::linear_amortising(-10.0, 5).is_err());
    assert!(EadSchedule::new(&array![1.0, -0.5]).is_err());
    assert!(EadSchedule::bullet(1.0, 0).is_err());
    assert!(PdTermStructure::from_cumulative(&array![0.1, f64::NAN]).is_err());
    assert!(PdTermStructure::from_cumulative(&array![0.1, 1.2]).is_err());
    let pd = PdTermStructure::from_transition(&tm, 3, 5).unwrap();
    let ead = EadSchedule::linear_amortising(10.0, 5).unwrap();
    assert!(Lgd::new(-0.1).is_err());
    let lgd = Lgd::new(0.45).unwrap();
    assert!(expected_credit_loss(&pd, &ead, lgd, -1.0).is_err());
    assert!(Probability::new(-0.01).is_err());
    assert!(LoanRisk::new(Probability::new(0.01).unwrap(), lgd, f64::NAN).is_err());
}
