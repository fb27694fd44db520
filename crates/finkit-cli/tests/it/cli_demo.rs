//! `finkit demo --size small` inside the test suite: the report files exist, every PNG decodes,
//! `report.html` references only files inside the report directory (no network), and the run
//! prints where the report is.

use crate::common;

use std::collections::BTreeSet;
use std::path::Path;

use common::{Scratch, arg, finkit};

/// Every value of `attr="…"` in `html`.
fn attribute_values(html: &str, attr: &str) -> Vec<String> {
    let needle = format!("{attr}=\"");
    let mut values = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find(&needle) {
        let after = &rest[start + needle.len()..];
        let end = after.find('"').expect("a closed attribute");
        values.push(after[..end].to_owned());
        rest = &after[end..];
    }
    values
}

/// Decodes a PNG completely and returns its size.
fn decode_png(path: &Path) -> (u32, u32) {
    let file = std::fs::File::open(path).expect("png file");
    let mut reader = png::Decoder::new(std::io::BufReader::new(file))
        .read_info()
        .unwrap_or_else(|e| panic!("{}: not a PNG: {e}", path.display()));
    let mut buf = vec![0; reader.output_buffer_size().expect("buffer size")];
    let info = reader
        .next_frame(&mut buf)
        .unwrap_or_else(|e| panic!("{}: bad PNG data: {e}", path.display()));
    (info.width, info.height)
}

#[test]
fn demo_small_writes_a_self_contained_report() {
    let s = Scratch::new();
    let out = s.path("demo");
    let run = finkit(&["demo", "--size", "small", "--out", &arg(&out)]);
    run.ok();
    // No progress bar when stderr is not a terminal.
    assert!(run.stderr.is_empty(), "stderr: {}", run.stderr);
    let report = out.join("report");
    let html_path = report.join("report.html");
    assert!(
        run.stdout.contains(&html_path.display().to_string()),
        "says where the report is:\n{}",
        run.stdout
    );

    let html = std::fs::read_to_string(&html_path).expect("report.html");
    let markdown = std::fs::read_to_string(report.join("report.md")).expect("report.md");
    assert!(html.starts_with("<!DOCTYPE html>") && html.trim_end().ends_with("</html>"));
    assert!(!markdown.trim().is_empty());
    // Synthetic corporate data are labelled as such.
    assert!(html.contains("SYNTHETIC") || html.contains("synthetic"));

    // Every PNG in the directory decodes and has a real size.
    let pngs: BTreeSet<String> = std::fs::read_dir(&report)
        .expect("report dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".png"))
        .collect();
    for chart in ["roc.png", "score_distribution.png", "loss_distribution.png", "var_backtest.png"]
    {
        assert!(pngs.contains(chart), "{chart} missing; charts: {pngs:?}");
    }
    for name in &pngs {
        let (w, h) = decode_png(&report.join(name));
        assert!(w >= 200 && h >= 150, "{name}: {w}x{h}");
    }

    // report.html references only files inside the report directory: no scheme, no absolute
    // path, no `..`, and every referenced file exists.
    let mut referenced = BTreeSet::new();
    for attr in ["src", "href"] {
        for value in attribute_values(&html, attr) {
            if value.starts_with('#') {
                continue;
            }
            assert!(!value.contains(':'), "{attr}={value:?}: a URL, not a local file");
            assert!(
                !value.starts_with('/') && !value.starts_with('\\'),
                "{attr}={value:?}: absolute"
            );
            assert!(
                !value.split(['/', '\\']).any(|part| part == ".."),
                "{attr}={value:?}: leaves the directory"
            );
            let target = report.join(&value);
            assert!(target.is_file(), "{attr}={value:?}: no such file in the report directory");
            referenced.insert(value);
        }
    }
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "report.html needs the network"
    );
    for name in &pngs {
        assert!(referenced.contains(name), "{name} is not shown in report.html");
    }
    // Markdown images are relative too.
    for line in markdown.lines().filter(|l| l.contains("](")) {
        let target = line.split("](").nth(1).and_then(|t| t.split(')').next()).unwrap_or_default();
        if target.ends_with(".png") {
            assert!(report.join(target).is_file(), "report.md links {target}");
        }
    }

    // Running again into the same directory is refused: it would delete the pool and its
    // audit trail. The pool is left exactly as it was.
    let db = out.join("pool.db");
    let before = std::fs::read(&db).expect("pool.db");
    finkit(&["demo", "--size", "small", "--out", &arg(&out)]).bad_input(&["pool.db", "--force"]);
    assert_eq!(std::fs::read(&db).expect("pool.db"), before, "the refused demo changed pool.db");
    // With --force it replaces the pool and the report.
    finkit(&["demo", "--size", "small", "--out", &arg(&out), "--force", "--json"]).json();
}

#[test]
fn demo_bad_input() {
    let s = Scratch::new();
    // --out is an existing file, so the report directory cannot be created.
    let file = s.write("occupied", "not a directory");
    finkit(&["demo", "--size", "small", "--out", &file]).bad_input(&["occupied"]);
}
