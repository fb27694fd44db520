//! Separation detection against an exact reference on random designs.
//!
//! Designs are small integer grids (two features plus the intercept, many ties), so the
//! reference can decide (quasi-)complete separation exactly in integer arithmetic: with rows
//! `z_i = s_i · (1, x_i1, x_i2)` (`s_i = ±1` by class) of full rank 3, the cone
//! `{v : z_i · v ≥ 0 ∀ i}` is pointed, so it is not `{0}` exactly when one of its extreme rays
//! exists — and every extreme ray is `± z_i × z_j` for two independent rows. Separated designs
//! must give `CreditError::Separation`; the others must fit, with the score equations
//! `Xᵀ(y − p) = 0` holding at the estimate.

use finkit_credit::{CreditError, LogisticParams};
use ndarray::{Array1, Array2};
use proptest::prelude::*;

fn cross(a: [i64; 3], b: [i64; 3]) -> [i64; 3] {
    [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]
}

fn dot(a: [i64; 3], b: [i64; 3]) -> i64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

fn signed_rows(x: &[(i64, i64)], y: &[bool]) -> Vec<[i64; 3]> {
    x.iter()
        .zip(y)
        .map(|(&(a, b), &event)| {
            let s = if event { 1 } else { -1 };
            [s, s * a, s * b]
        })
        .collect()
}

/// Rank 3 of the rows (1, x1, x2).
fn full_rank(z: &[[i64; 3]]) -> bool {
    for i in 0..z.len() {
        for j in i + 1..z.len() {
            let c = cross(z[i], z[j]);
            if z.iter().any(|&r| dot(r, c) != 0) {
                return true;
            }
        }
    }
    false
}

/// Exact: a non-zero `v` with `z_i · v ≥ 0` for every row.
fn separated(z: &[[i64; 3]]) -> bool {
    for i in 0..z.len() {
        for j in i + 1..z.len() {
            let c = cross(z[i], z[j]);
            if c == [0, 0, 0] {
                continue;
            }
            for s in [1, -1] {
                let v = [s * c[0], s * c[1], s * c[2]];
                if z.iter().all(|&r| dot(r, v) >= 0) {
                    return true;
                }
            }
        }
    }
    false
}

/// A design: rows of two small integer features, and the classes. Separation is common with
/// few rows or a strong signal, overlap with many; both are generated.
fn design() -> impl Strategy<Value = (Vec<(i64, i64)>, Vec<bool>)> {
    (4usize..28, 0u8..3).prop_flat_map(|(n, mode)| {
        (
            proptest::collection::vec((-3i64..=3, -3i64..=3), n),
            proptest::collection::vec(prop::bool::ANY, n),
            (-2i64..=2, -2i64..=2, -2i64..=2),
        )
            .prop_map(move |(x, noise, (a, b, c))| {
                let y: Vec<bool> = x
                    .iter()
                    .zip(&noise)
                    .enumerate()
                    .map(|(i, (&(x1, x2), &coin))| match mode {
                        // Pure noise: mostly overlapping.
                        0 => coin,
                        // A linear rule: separated (quasi when rows sit on the line).
                        1 => a + b * x1 + c * x2 > 0 || (a + b * x1 + c * x2 == 0 && coin),
                        // The rule with a few flips: either.
                        _ => (a + b * x1 + c * x2 > 0) != (coin && i % 4 == 0),
                    })
                    .collect();
                (x, y)
            })
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn separation_verdict_matches_the_exact_reference((x, y) in design()) {
        prop_assume!(y.iter().any(|&e| e) && y.iter().any(|&e| !e));
        let z = signed_rows(&x, &y);
        prop_assume!(full_rank(&z));
        let n = x.len();
        let xm = Array2::from_shape_fn((n, 2), |(i, j)| {
            (if j == 0 { x[i].0 } else { x[i].1 }) as f64
        });
        let ya: Array1<f64> = y.iter().map(|&e| f64::from(u8::from(e))).collect();
        let result = LogisticParams::new().fit(&xm, &ya);
        if separated(&z) {
            prop_assert!(
                matches!(result, Err(CreditError::Separation(_))),
                "separated design, got {:?}", result.map(|m| m.params().clone())
            );
        } else {
            let model = match result {
                Ok(m) => m,
                Err(e) => return Err(TestCaseError::fail(format!("overlapping design: {e}"))),
            };
            // The score equations hold at the estimate.
            let pd = model.predict_proba(&xm).unwrap();
            let r = &ya - &pd;
            let g = [r.sum(), r.dot(&xm.column(0)), r.dot(&xm.column(1))];
            for gj in g {
                prop_assert!(gj.abs() < 1e-6, "gradient {g:?}");
            }
        }
    }
}

#[test]
fn reference_recognises_the_textbook_cases() {
    let x = [(0, 0), (1, 0), (2, 0), (3, 1), (4, 1), (5, 1)];
    // Complete separation on x1.
    let y = [false, false, false, true, true, true];
    assert!(separated(&signed_rows(&x, &y)));
    // Overlap.
    let y = [false, true, false, true, false, true];
    assert!(!separated(&signed_rows(&x, &y)));
}
