//! Integration tests of `finkit-credit`, compiled as one binary: each module below was its own
//! test binary, and one link instead of 13 keeps the build short and its disk use small.

mod common;
mod german;

mod binning_errors;
mod binning_reference;
mod boosting_reference;
mod polish_reference;
mod properties_binning;
mod properties_boosting;
mod properties_models;
mod properties_separation;
mod reference_corporate;
mod reference_logistic;
mod reference_monitoring;
mod reference_validation;
mod scorecard_reference;
