//! Integration tests of `finkit`, compiled as one binary: each module below was its own
//! test binary, and one link instead of 1 keeps the build short and its disk use small.

mod features;
