//! Regenerates `examples/notebooks/<name>.ipynb` from each twin `examples/examples/notebook_<name>.rs`.
//!
//! Run: `cargo run -p finkit-examples --bin nbsync` (add `--check` to only report drift).

use std::error::Error;

use finkit_examples::notebook::{cells_from_notebook, cells_from_twin, notebook_json};
use finkit_examples::repo_path;

fn main() -> Result<(), Box<dyn Error>> {
    let check = std::env::args().any(|a| a == "--check");
    let mut drift = Vec::new();
    for entry in std::fs::read_dir(repo_path("examples/examples"))? {
        let path = entry?.path();
        let Some(name) =
            path.file_stem().and_then(|s| s.to_str()).and_then(|s| s.strip_prefix("notebook_"))
        else {
            continue;
        };
        let cells = cells_from_twin(&std::fs::read_to_string(&path)?)?;
        let target = repo_path("examples/notebooks").join(format!("{name}.ipynb"));
        let current =
            std::fs::read_to_string(&target).ok().and_then(|t| cells_from_notebook(&t).ok());
        if current.as_ref() == Some(&cells) {
            continue;
        }
        if check {
            drift.push(target.display().to_string());
        } else {
            std::fs::write(&target, notebook_json(&cells))?;
            println!("wrote {}", target.display());
        }
    }
    if !drift.is_empty() {
        return Err(format!("notebooks differ from their twins: {}", drift.join(", ")).into());
    }
    Ok(())
}
