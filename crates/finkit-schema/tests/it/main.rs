//! Integration tests of `finkit-schema`, compiled as one binary: each module below was its own
//! test binary, and one link instead of 3 keeps the build short and its disk use small.

mod german_credit;
mod properties;
mod readers_fuzz;
