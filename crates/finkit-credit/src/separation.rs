//! Does the maximum-likelihood estimate of a logistic regression exist? An exact
//! linear-programming test of (quasi-)complete separation.
//!
//! With `a_i = s_i · x_i` (`s_i = +1` for an event, `−1` otherwise; `x_i` with the intercept's 1
//! when fitted) and a design of full column rank, the MLE exists if and only if no direction
//! `β ≠ 0` has `a_i · β ≥ 0` for every row (Albert & Anderson 1984; Silvapulle 1981): such a `β`
//! is a (quasi-)separating direction along which the likelihood keeps increasing. Konis (2007)
//! decides this with the linear programme `max Σ a_i·β  s.t.  a_i·β ≥ 0, −1 ≤ β ≤ 1`. By Stiemke's
//! theorem of the alternative, the same question is whether
//!
//! ```text
//! Σ_i μ_i a_i = 0   for some μ with every μ_i > 0          (⟺ the MLE exists)
//! ```
//!
//! which, scaled to `μ ≥ 1` and written `μ = 1 + ν`, is the feasibility of `Aᵀν = −Aᵀ1, ν ≥ 0`:
//! a phase-1 simplex with one equation per coefficient (k ≤ a few dozen) and one variable per
//! *distinct* row (a WoE design has few). Separated exactly when the phase-1 minimum of the
//! artificial residuals is positive. Columns are scaled to a largest absolute value of 1 first
//! (the answer does not depend on column scales).

/// The verdict of the test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// A (quasi-)separating direction exists: the MLE does not.
    Separated,
    /// Strictly positive multipliers balance the rows: the MLE exists (given full rank).
    Overlap,
}

/// Pivot tolerance of the simplex (entries are scaled to at most 1 in absolute value).
const PIVOT_TOL: f64 = 1e-11;
/// Reduced costs above `−COST_TOL` count as non-negative (optimal).
const COST_TOL: f64 = 1e-10;
/// Consecutive degenerate pivots after which Bland's rule replaces Dantzig's (no cycling).
const DEGENERATE_SWITCH: usize = 50;

/// Runs the test on row-major `data` (`n × p`), 0/1 targets `y` and optional weights (rows of
/// zero weight do not count). `None` when the simplex hit its pivot limit (undecided).
pub(crate) fn test_separation(
    data: &[f64],
    n: usize,
    p: usize,
    y: &[f64],
    w: Option<&[f64]>,
    intercept: bool,
) -> Option<Verdict> {
    let k = p + usize::from(intercept);
    if k == 0 {
        return Some(Verdict::Overlap);
    }
    // Column scales: largest absolute value of each term.
    let mut scale = vec![0.0_f64; k];
    if intercept {
        scale[0] = 1.0;
    }
    let off = usize::from(intercept);
    for i in 0..n {
        for j in 0..p {
            scale[off + j] = scale[off + j].max(data[i * p + j].abs());
        }
    }
    // Signed, scaled rows; duplicates merged (their multipliers add up, which keeps μ > 0).
    let mut rows: Vec<Vec<f64>> = Vec::with_capacity(n);
    for i in 0..n {
        if w.is_some_and(|w| w[i] <= 0.0) {
            continue;
        }
        let s = if y[i] == 1.0 { 1.0 } else { -1.0 };
        let mut a = Vec::with_capacity(k);
        if intercept {
            a.push(s);
        }
        for j in 0..p {
            let d = scale[off + j];
            a.push(if d > 0.0 { s * data[i * p + j] / d } else { 0.0 });
        }
        rows.push(a);
    }
    rows.sort_by(|a, b| {
        a.iter()
            .zip(b)
            .map(|(x, y)| x.total_cmp(y))
            .find(|o| o.is_ne())
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    rows.dedup();
    phase_one(&rows, k)
}

/// Phase 1 of the simplex on `Σ_i ν_i a_i + r = b`, `b = −Σ_i a_i` (sign-flipped per equation
/// so `b ≥ 0`), `ν, r ≥ 0`, minimising `Σ r`.
fn phase_one(rows: &[Vec<f64>], k: usize) -> Option<Verdict> {
    let m = rows.len();
    // Tableau: k equations × (m ν-columns + k artificial columns), plus the right-hand side.
    let cols = m + k;
    let width = cols + 1;
    let mut t = vec![0.0; k * width];
    for j in 0..k {
        let b: f64 = -rows.iter().map(|a| a[j]).sum::<f64>();
        let sign = if b < 0.0 { -1.0 } else { 1.0 };
        for (i, a) in rows.iter().enumerate() {
            t[j * width + i] = sign * a[j];
        }
        t[j * width + m + j] = 1.0;
        t[j * width + cols] = sign * b;
    }
    let mut basis: Vec<usize> = (m..cols).collect();
    // Reduced costs of the phase-1 objective Σ r: c_B = 1 on the artificials.
    let mut cost = vec![0.0; width];
    for j in 0..k {
        for c in 0..width {
            cost[c] -= t[j * width + c];
        }
    }
    cost[m..cols].fill(0.0);
    let total: f64 = (0..k).map(|j| t[j * width + cols]).sum::<f64>().max(1.0);
    let max_pivots = 50 * (cols + 10);
    let mut degenerate = 0;
    for _ in 0..max_pivots {
        // Entering column: most negative reduced cost (Dantzig), or the first negative one
        // (Bland) after a run of degenerate pivots.
        let bland = degenerate >= DEGENERATE_SWITCH;
        let mut enter = None;
        let mut best = -COST_TOL;
        for (c, &d) in cost[..cols].iter().enumerate() {
            if d < best {
                enter = Some(c);
                if bland {
                    break;
                }
                best = d;
            }
        }
        let Some(e) = enter else {
            // Optimal: the residual Σ r is the objective, −cost[rhs].
            let residual = -cost[cols];
            return Some(if residual > 1e-9 * total {
                Verdict::Separated
            } else {
                Verdict::Overlap
            });
        };
        // Ratio test (ties: the smallest basic index, as Bland's rule needs).
        let mut leave: Option<(usize, f64)> = None;
        for j in 0..k {
            let a = t[j * width + e];
            if a > PIVOT_TOL {
                let ratio = t[j * width + cols] / a;
                let better = match leave {
                    None => true,
                    Some((l, r)) => {
                        ratio < r - 1e-12 * r.abs().max(1.0)
                            || (ratio <= r + 1e-12 * r.abs().max(1.0) && basis[j] < basis[l])
                    }
                };
                if better {
                    leave = Some((j, ratio));
                }
            }
        }
        let Some((l, ratio)) = leave else {
            // Unbounded descent cannot happen (Σ r ≥ 0); treat as a numerical failure.
            return None;
        };
        degenerate = if ratio.abs() <= 1e-12 { degenerate + 1 } else { 0 };
        pivot(&mut t, &mut cost, width, l, e);
        basis[l] = e;
    }
    None
}

/// Gauss–Jordan pivot on row `l`, column `e`, updating the reduced costs too.
fn pivot(t: &mut [f64], cost: &mut [f64], width: usize, l: usize, e: usize) {
    let pv = t[l * width + e];
    for c in 0..width {
        t[l * width + c] /= pv;
    }
    t[l * width + e] = 1.0;
    let (before, rest) = t.split_at_mut(l * width);
    let (prow, after) = rest.split_at_mut(width);
    let eliminate = |row: &mut [f64]| {
        let f = row[e];
        if f != 0.0 {
            for (x, &pr) in row.iter_mut().zip(prow.iter()) {
                *x -= f * pr;
            }
            row[e] = 0.0;
        }
    };
    for row in before.chunks_exact_mut(width) {
        eliminate(row);
    }
    for row in after.chunks_exact_mut(width) {
        eliminate(row);
    }
    eliminate(cost);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(x: &[f64], y: &[f64]) -> Verdict {
        test_separation(x, x.len(), 1, y, None, true).unwrap()
    }

    #[test]
    fn one_feature_cases() {
        let y = [0.0, 0.0, 0.0, 1.0, 1.0, 1.0];
        assert_eq!(verdict(&[0.0, 1.0, 2.0, 3.0, 4.0, 5.0], &y), Verdict::Separated);
        assert_eq!(verdict(&[0.0, 1.0, 2.0, 2.0, 3.0, 4.0], &y), Verdict::Separated, "quasi");
        assert_eq!(verdict(&[0.0, 1.0, 3.0, 2.0, 4.0, 5.0], &y), Verdict::Overlap);
        // Reversed order: separated by a negative slope.
        assert_eq!(verdict(&[5.0, 4.0, 3.0, 2.0, 1.0, 0.0], &y), Verdict::Separated);
    }

    #[test]
    fn intercept_only_overlaps_and_zero_weights_do_not_count() {
        let y = [0.0, 1.0, 0.0, 1.0];
        assert_eq!(test_separation(&[], 4, 0, &y, None, true), Some(Verdict::Overlap));
        let x = [0.0, 1.0, 2.0, 3.0];
        let y = [0.0, 0.0, 1.0, 1.0];
        assert_eq!(verdict(&x, &y), Verdict::Separated);
        // An overlapping row with weight zero does not break the separation.
        let x = [0.0, 1.0, 2.0, 3.0, 3.0];
        let y = [0.0, 0.0, 1.0, 1.0, 0.0];
        assert_eq!(test_separation(&x, 5, 1, &y, None, true), Some(Verdict::Overlap));
        let w = [1.0, 1.0, 1.0, 1.0, 0.0];
        assert_eq!(test_separation(&x, 5, 1, &y, Some(&w), true), Some(Verdict::Separated));
    }
}
