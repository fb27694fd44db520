//! The numerical core of finkit: one implementation of each special function, quadrature rule
//! and sample-quantile rule, shared by every finkit crate.
//!
//! * [`normal`]: the standard normal Φ, 1 − Φ, φ and Φ⁻¹ to full double precision;
//! * [`quadrature`]: Gauss–Legendre nodes and weights;
//! * [`quantile`]: numpy's linear (type 7) sample quantile;
//! * [`tail`]: the order-statistic rules of sample VaR and expected shortfall, for either tail.
//!
//! The crate has no dependencies. The accuracy of [`normal`] is tested against 40-digit mpmath
//! values (the generating script is kept in `tests/data/make_reference.py`).
//!
//! ```
//! use finkit_numerics::normal;
//! let z = normal::quantile(0.999);
//! assert!((normal::cdf(z) - 0.999).abs() < 1e-16);
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]
#![doc(test(attr(deny(warnings))))]

pub mod normal;
pub mod quadrature;
pub mod quantile;
pub mod tail;
