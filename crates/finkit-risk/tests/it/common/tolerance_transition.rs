//! Tolerances of the transition-matrix, IFRS 9 and RAROC reference tests, in one place.
//! They are the ones the shared reference README states for each check.

/// P⁵, P¹⁰, cumulative PDs, the JLT generator and IRW applied to the reference logm: matrix
/// products and closed forms (absolute).
pub(crate) const MATRIX_PRODUCT_ABS: f64 = 1e-12;
/// The generator by matrix logarithm vs `scipy.linalg.logm` (absolute; different algorithms).
pub(crate) const GENERATOR_LOGM_ABS: f64 = 1e-9;
/// IFRS 9 ECL terms and RAROC spreads (relative).
pub(crate) const CLOSED_FORM_REL: f64 = 1e-12;
/// RAROC spreads with `K` from the crate's IRB formula (the IRB closed-form tolerance).
pub(crate) const IRB_REL: f64 = 1e-10;
/// Repairing the published table's row sums on the diagonal (absolute; one sum per row).
pub(crate) const ROW_FIX_ABS: f64 = 1e-15;

/// |a − b| / max(|b|, tiny): relative error that stays finite when the reference is 0.
#[allow(dead_code)]
pub(crate) fn rel_err(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(f64::MIN_POSITIVE)
}
