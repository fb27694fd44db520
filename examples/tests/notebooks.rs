//! Every notebook's code cells equal its twin program's, so notebooks cannot rot: the twin is
//! compiled and run by CI, and this test fails when the two differ.

use finkit_examples::notebook::{cells_from_notebook, cells_from_twin};
use finkit_examples::repo_path;

#[test]
fn notebooks_match_their_twins() -> Result<(), Box<dyn std::error::Error>> {
    let mut pairs = 0;
    for entry in std::fs::read_dir(repo_path("examples/notebooks"))? {
        let path = entry?.path();
        if path.extension().and_then(|e| e.to_str()) != Some("ipynb") {
            continue;
        }
        let name = path.file_stem().and_then(|s| s.to_str()).ok_or("bad notebook name")?;
        let twin = repo_path("examples/examples").join(format!("notebook_{name}.rs"));
        let twin_cells = cells_from_twin(&std::fs::read_to_string(&twin)?)?;
        let notebook_cells = cells_from_notebook(&std::fs::read_to_string(&path)?)?;
        assert_eq!(
            notebook_cells,
            twin_cells,
            "{} differs from {}: run `cargo run -p finkit-examples --bin nbsync`",
            path.display(),
            twin.display()
        );
        pairs += 1;
    }
    assert!(pairs >= 3, "expected at least three notebooks, found {pairs}");
    Ok(())
}
