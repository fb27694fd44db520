//! Integration tests of finkit-numerics (one binary).

mod accuracy;
mod properties;
