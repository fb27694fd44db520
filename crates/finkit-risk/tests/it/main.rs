//! Integration tests of `finkit-risk`, compiled as one binary: each module below was its own
//! test binary, and one link instead of 9 keeps the build short and its disk use small.

mod portfolio_common;

mod credit_portfolio_is;
mod credit_portfolio_mc;
mod credit_portfolio_misc;
mod credit_portfolio_reference;
mod properties_market;
mod properties_no_nan;
mod properties_portfolio;
mod properties_transition;
mod readers_fuzz;
mod reference_market;
mod reference_transition_ifrs9;
