//! Integration tests of `finkit-pool`, compiled as one binary: each module below was its own
//! test binary, and one link instead of 13 keeps the build short and its disk use small.

mod access;
mod audit;
mod concurrency;
mod conformance;
mod crash;
mod dataset;
mod encryption;
mod ingest;
mod open;
mod parquet;
mod postgres;
mod properties;
mod readers_bounded;
mod streaming;
mod synthetic;
