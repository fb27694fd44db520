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
        let png = finkit_cli::charts::Png::from_bytes(std::fs::read(path)?)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
        png.evcxr_display();
    } else {
        println!("chart written to {}", path.display());
    }
    Ok(())
}
