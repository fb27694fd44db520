//! Integration tests of `finkit-lending`, compiled as one binary: each module below was its own
//! test binary, and one link instead of 9 keeps the build short and its disk use small.

mod common;

mod boosted_model;
mod decisions;
mod learned;
mod loan_book;
mod plans;
mod policy_file;
mod pricing_reference;
mod properties;
mod scorecard_model;
