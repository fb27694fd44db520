//! Charts in memory, for inline display in notebooks.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use base64::Engine as _;

use crate::ChartError;

/// A PNG image in memory.
///
/// In an evcxr (Rust Jupyter) cell, a `Png` as the cell's last expression, or a call of
/// [`Png::evcxr_display`], shows the image inline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Png {
    bytes: Vec<u8>,
}

impl Png {
    /// An image from PNG bytes.
    ///
    /// # Errors
    ///
    /// [`ChartError`] when the bytes do not start with the PNG signature.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Png, ChartError> {
        const SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];
        if !bytes.starts_with(&SIGNATURE) {
            return Err(ChartError("not a PNG image (bad signature)".to_owned()));
        }
        Ok(Png { bytes })
    }

    /// The PNG bytes.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The image as base64 text (what notebook front ends embed).
    #[must_use]
    pub fn to_base64(&self) -> String {
        encode(&self.bytes)
    }

    /// The evcxr display protocol text for this image (what [`Png::evcxr_display`] prints).
    #[must_use]
    pub fn evcxr_content(&self) -> String {
        format!("EVCXR_BEGIN_CONTENT image/png\n{}\nEVCXR_END_CONTENT\n", self.to_base64())
    }

    /// Shows the image inline in an evcxr notebook cell (prints the display protocol text).
    pub fn evcxr_display(&self) {
        print!("{}", self.evcxr_content());
    }
}

/// Standard base64 with padding (RFC 4648 §4), as notebook front ends expect.
fn encode(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

static NEXT: AtomicU64 = AtomicU64::new(0);

/// Draws a chart into memory: `draw` is one of this crate's chart functions applied to the
/// path it is given (a private temporary file, removed afterwards).
///
/// # Errors
///
/// [`ChartError`] when drawing fails or the temporary file cannot be written or read.
pub fn inline(draw: impl FnOnce(&Path) -> Result<(), ChartError>) -> Result<Png, ChartError> {
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let path = std::env::temp_dir().join(format!("finkit-chart-{}-{n}.png", std::process::id()));
    let drawn = draw(&path);
    let bytes = drawn.and_then(|()| {
        std::fs::read(&path).map_err(|e| ChartError(format!("reading {}: {e}", path.display())))
    });
    let _ = std::fs::remove_file(&path);
    Png::from_bytes(bytes?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_chart_is_a_decodable_png_and_the_file_is_gone() {
        let png =
            inline(|p| crate::roc_curve(p, &[(0.0, 0.0), (0.3, 0.7), (1.0, 1.0)], 0.7)).unwrap();
        let decoder = png::Decoder::new(std::io::Cursor::new(png.as_bytes().to_vec()));
        let info = decoder.read_info().unwrap().info().clone();
        assert_eq!((info.width, info.height), (900, 560));
        let content = png.evcxr_content();
        assert!(content.starts_with("EVCXR_BEGIN_CONTENT image/png\niVBORw0KGgo"), "{content:.60}");
        assert!(content.ends_with("\nEVCXR_END_CONTENT\n"));
        let leftovers = std::fs::read_dir(std::env::temp_dir())
            .unwrap()
            .filter_map(Result::ok)
            .filter(|e| {
                e.file_name()
                    .to_string_lossy()
                    .starts_with(&format!("finkit-chart-{}-", std::process::id()))
            })
            .count();
        assert_eq!(leftovers, 0);
    }

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
            assert_eq!(encode(input.as_bytes()), want);
        }
    }

    #[test]
    fn a_failed_drawing_is_an_error_not_a_png() {
        let e = inline(|_| Err(ChartError("boom".into()))).unwrap_err();
        assert_eq!(e.0, "boom");
        assert!(Png::from_bytes(b"GIF89a".to_vec()).is_err());
    }
}
