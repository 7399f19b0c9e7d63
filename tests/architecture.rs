//! Rules of the code's shape that a reviewer would otherwise have to remember (DESIGN.md): the
//! app, its panes and the domain never read the clock, so every test chooses its own time.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn update_and_rendering_never_read_the_clock() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    for dir in ["app", "tui", "domain"] {
        rust_files(&root.join(dir), &mut files);
    }
    assert!(!files.is_empty());
    // The event loop is the one place in tui/ that reads the clock, once per message.
    let loop_file = root.join("tui/run.rs");
    let mut found = Vec::new();
    for file in files.iter().filter(|f| **f != loop_file) {
        let text = std::fs::read_to_string(file).unwrap();
        for (i, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for call in [
                "Utc::now(",
                "SystemTime::now(",
                "Instant::now(",
                "Local::now(",
                "Now::read(",
            ] {
                if code.contains(call) {
                    found.push(format!("{}:{}: {}", file.display(), i + 1, line.trim()));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "the clock is read outside the entry points; take the time from update's `now` or App::clock:\n{}",
        found.join("\n")
    );
}
