//! Strategies shared by the fuzz tests of the workspace (feature `testkit`, for tests only).
//!
//! The readers of every crate (schema, risk, pool) are fed the same kind of hostile input:
//! bytes that look like CSV often enough to reach deep into a reader — delimiters, quotes, line
//! breaks, a BOM, NUL, invalid UTF-8, numbers — mixed with anything. One copy of that alphabet
//! lives here; a test adds the tokens of its own format (a header, JSON punctuation).

use proptest::prelude::*;

/// The tokens every reader is fuzzed with.
fn common_tokens() -> Vec<Vec<u8>> {
    [&b","[..], b"\"", b"\n", b"\r\n", b"\xEF\xBB\xBF", b"\0", b"\xFF", b"1e308"]
        .iter()
        .map(|t| t.to_vec())
        .collect()
}

/// Byte strings of up to `max_tokens` tokens, each a common token, one of `extra`, a short
/// word of `word` (a regex such as `"[a-z0-9.]{1,6}"`) or 1 to 7 arbitrary bytes.
///
/// ```
/// use finkit_schema::testkit::csvish;
/// use proptest::strategy::{Strategy, ValueTree};
/// use proptest::test_runner::TestRunner;
///
/// let strategy = csvish(&[b"NA"], "[a-z0-9.]{1,6}", 60);
/// let bytes = strategy.new_tree(&mut TestRunner::deterministic()).unwrap().current();
/// assert!(bytes.len() <= 60 * 200);
/// ```
pub fn csvish(
    extra: &[&[u8]],
    word: &'static str,
    max_tokens: usize,
) -> impl Strategy<Value = Vec<u8>> + use<> {
    let fixed: Vec<Vec<u8>> =
        common_tokens().into_iter().chain(extra.iter().map(|t| t.to_vec())).collect();
    let token = prop_oneof![
        prop::sample::select(fixed),
        word.prop_map(String::into_bytes),
        prop::collection::vec(any::<u8>(), 1..8),
    ];
    prop::collection::vec(token, 0..max_tokens).prop_map(|t| t.concat())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    #[test]
    fn every_fixed_token_is_drawn_and_the_length_is_bounded() {
        let strategy = csvish(&[b"NA"], "[a-z]{1,2}", 5);
        let mut runner = TestRunner::deterministic();
        let mut seen_bom = false;
        let mut seen_extra = false;
        for _ in 0..2000 {
            let bytes = strategy.new_tree(&mut runner).unwrap().current();
            // At most 5 tokens of at most 7 bytes each (the longest fixed token is 5 bytes).
            assert!(bytes.len() <= 5 * 7, "{bytes:?}");
            seen_bom |= bytes.windows(3).any(|w| w == b"\xEF\xBB\xBF");
            seen_extra |= bytes.windows(2).any(|w| w == b"NA");
        }
        assert!(seen_bom && seen_extra);
    }
}
