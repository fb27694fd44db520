//! Integration tests of `finkit-cli`, compiled as one binary: each module below was its own
//! test binary, and one link instead of 12 keeps the build short and its disk use small.

mod common;

mod cli_boost;
mod cli_conventions;
mod cli_credit;
mod cli_demo;
mod cli_hardening;
mod cli_lend;
mod cli_loop;
mod cli_parquet;
mod cli_pool;
mod cli_risk;
mod cli_tracing;
mod cli_usage;
