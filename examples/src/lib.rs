//! Helpers shared by the examples and the notebooks (unpublished).
//!
//! - [`repo_path`] finds the repository's bundled data wherever the program runs from (an
//!   example under `cargo run`, or a notebook whose working directory is `examples/notebooks`).
//! - [`show_png`] shows a chart inline in a Jupyter notebook (evcxr kernel) and prints its path
//!   elsewhere.
//! - [`notebook`] converts a notebook's twin `.rs` program into the `.ipynb` notebook, so the two
//!   never drift apart (`cargo run -p finkit-examples --bin nbsync`).

pub mod notebook;

use std::path::{Path, PathBuf};

/// A path inside the repository, e.g. `repo_path("data/germancredit.csv")`.
#[must_use]
pub fn repo_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(relative)
}

/// A scratch directory for a program's output files, created if needed.
///
/// # Errors
///
/// When the directory cannot be created.
pub fn output_dir(name: &str) -> std::io::Result<PathBuf> {
    let dir = repo_path("target/example-output").join(name);
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// Shows a PNG inline when running inside the evcxr Jupyter kernel, otherwise prints its path.
///
/// evcxr renders anything printed between `EVCXR_BEGIN_CONTENT image/png` and
/// `EVCXR_END_CONTENT` as an image, and sets `EVCXR_IS_RUNTIME` in the process that runs cells.
///
/// # Errors
///
/// When the file cannot be read.
pub fn show_png(path: &Path) -> std::io::Result<()> {
    if std::env::var_os("EVCXR_IS_RUNTIME").is_some() {
        let bytes = std::fs::read(path)?;
        println!("EVCXR_BEGIN_CONTENT image/png\n{}\nEVCXR_END_CONTENT", base64(&bytes));
    } else {
        println!("chart written to {}", path.display());
    }
    Ok(())
}

/// Standard base64 with padding (RFC 4648 §4).
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn base64_matches_rfc4648_vectors() {
        for (input, want) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(super::base64(input.as_bytes()), want);
        }
    }
}
