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

/// The modules a source file names: every `crate::a::b` path, `use crate::{a, b::c}` groups
/// included, as `a` or `a::b`; and, inside a folder, `super::x` as that folder's `x`.
fn references(file: &Path, text: &str, root: &Path) -> Vec<String> {
    let module = module_of(file, root);
    let parent: Vec<&str> = {
        let parts: Vec<&str> = module.split("::").collect();
        let is_mod = file.file_name().is_some_and(|n| n == "mod.rs");
        if is_mod {
            parts
        } else {
            parts[..parts.len().saturating_sub(1)].to_vec()
        }
    };
    let mut out = Vec::new();
    let code: String = text
        .lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n");
    for (prefix, base) in [("crate::", Vec::new()), ("super::", parent.clone())] {
        let mut rest = code.as_str();
        while let Some(i) = rest.find(prefix) {
            let before = rest[..i].chars().last();
            rest = &rest[i + prefix.len()..];
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                continue;
            }
            for path in paths_at(rest) {
                let mut full = base.clone();
                full.extend(path.split("::").filter(|p| !p.is_empty()));
                out.push(full.join("::"));
            }
        }
    }
    out
}

/// The paths that start at the beginning of `text`: `a::b::c` or a `{…}` group of them.
fn paths_at(text: &str) -> Vec<String> {
    if let Some(group) = text.strip_prefix('{') {
        let mut depth = 1;
        let mut end = group.len();
        for (i, c) in group.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = i;
                        break;
                    }
                }
                _ => {}
            }
        }
        let inner = &group[..end];
        let mut items = Vec::new();
        let (mut depth, mut start) = (0, 0);
        for (i, c) in inner.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    items.push(&inner[start..i]);
                    start = i + 1;
                }
                _ => {}
            }
        }
        items.push(&inner[start..]);
        return items
            .into_iter()
            .map(str::trim)
            .filter(|s| !s.is_empty() && *s != "self")
            .flat_map(paths_at)
            .collect();
    }
    let path: String = text
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
        .collect();
    let path = path.trim_end_matches(':');
    if text[path.len()..].starts_with("::{") {
        return paths_at(&text[path.len() + 2..])
            .into_iter()
            .map(|p| format!("{path}::{p}"))
            .collect();
    }
    vec![path.to_owned()]
}

/// `src/app/models.rs` is `app::models`; `src/app/mod.rs` is `app`.
fn module_of(file: &Path, root: &Path) -> String {
    let rel = file.strip_prefix(root).unwrap().with_extension("");
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .filter(|p| p != "mod")
        .collect();
    parts.join("::")
}

fn top(module: &str) -> &str {
    module.split("::").next().unwrap_or("")
}

#[test]
fn the_import_graph_points_one_way() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    // (from, to): never. DESIGN.md "Layout".
    let forbidden: &[(&str, &[&str])] = &[
        ("cli", &["app", "tui", "worker"]),
        ("app", &["emulator", "tui", "worker"]),
        ("config", &["app", "tui", "worker"]),
        (
            "domain",
            &[
                "app",
                "tui",
                "worker",
                "cli",
                "config",
                "emulator",
                "dataset",
                "protocol",
                "atomic_file",
                "clock",
            ],
        ),
    ];
    let modules: Vec<String> = files.iter().map(|f| module_of(f, &root)).collect();
    // A path's module: the longest prefix that is a file (`emulator::http::request::Req` is in
    // `emulator::http::request`).
    let module_of_path = |path: &str| {
        let parts: Vec<&str> = path.split("::").collect();
        (1..=parts.len())
            .rev()
            .map(|n| parts[..n].join("::"))
            .find(|p| modules.contains(p))
            .unwrap_or_default()
    };
    let mut broken = Vec::new();
    let mut emulator_edges: Vec<(String, String)> = Vec::new();
    for file in &files {
        let module = module_of(file, &root);
        let text = std::fs::read_to_string(file).unwrap();
        for target in references(file, &text, &root) {
            let (from, to) = (top(&module), top(&target));
            if from == to {
                // Inside the emulator, between its own modules (a mod.rs that declares and
                // re-exports its children is not an edge).
                if from == "emulator" && !file.ends_with("mod.rs") {
                    let b = module_of_path(&target);
                    if !b.is_empty() && b != "emulator" && b != module {
                        emulator_edges.push((module.clone(), b));
                    }
                }
                continue;
            }
            if let Some((_, never)) = forbidden.iter().find(|(f, _)| *f == from)
                && never.contains(&to)
            {
                broken.push(format!("{module} → {target} ({})", file.display()));
            }
        }
    }
    assert!(
        broken.is_empty(),
        "imports against DESIGN.md's layout:\n{}",
        broken.join("\n")
    );
    // No cycle between the emulator's modules.
    let mut nodes: Vec<String> = emulator_edges
        .iter()
        .flat_map(|(a, b)| [a.clone(), b.clone()])
        .collect();
    nodes.sort();
    nodes.dedup();
    let reaches = |from: &str, to: &str| {
        let mut seen = vec![from.to_owned()];
        let mut stack = vec![from.to_owned()];
        while let Some(n) = stack.pop() {
            for (a, b) in &emulator_edges {
                if *a == n && !seen.contains(b) {
                    if b == to {
                        return true;
                    }
                    seen.push(b.clone());
                    stack.push(b.clone());
                }
            }
        }
        false
    };
    let cycles: Vec<String> = emulator_edges
        .iter()
        .filter(|(a, b)| reaches(b, a))
        .map(|(a, b)| format!("{a} → {b} → … → {a}"))
        .collect();
    assert!(
        cycles.is_empty(),
        "import cycles in the emulator:\n{}",
        cycles.join("\n")
    );
    assert!(
        nodes.len() > 5,
        "the scan found the emulator's modules: {nodes:?}"
    );
}

/// The domain's limits, defaults and step arithmetic are the ones REFERENCE.md records.
#[test]
fn limits_match_the_reference() {
    use tunedeck::domain::limits::*;
    use tunedeck::domain::tuning::{epoch_of_step, total_steps, valid_model_id};
    let reference = std::env::var_os("TUNEDECK_FIXTURES")
        .map(|f| Path::new(&f).join("../REFERENCE.md"))
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/api/REFERENCE.md")
        });
    let text = std::fs::read_to_string(&reference).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (shared/ beside the repository)",
            reference.display()
        )
    });
    let thousands = |n: usize| {
        let s = n.to_string();
        let (head, tail) = s.split_at(s.len() - 3);
        format!("{head},{tail}")
    };
    for needle in [
        format!(
            "| Max input per training example | {} characters",
            thousands(MAX_INPUT_CHARS)
        ),
        format!(
            "| Max output per training example | {} characters",
            thousands(MAX_OUTPUT_CHARS)
        ),
        format!(
            "| Default epochs / batch / LR (guide table) | {DEFAULT_EPOCHS} / {DEFAULT_BATCH_SIZE} / {DEFAULT_LEARNING_RATE} |"
        ),
        format!("| `displayName` | ≤ {MAX_DISPLAY_NAME_CHARS} characters incl. spaces |"),
        format!("(≤ {MAX_MODEL_ID_CHARS} chars)"),
        "**totalSteps = ceil(N × E / B)**".to_owned(),
        "`epoch = min(E, floor(step·B/N))`".to_owned(),
    ] {
        assert!(
            text.contains(&needle),
            "REFERENCE.md no longer says {needle:?}"
        );
    }
    // The tutorial's 15 examples, batch 4, 5 epochs: 19 steps (the recorded totalSteps).
    assert_eq!(total_steps(15, DEFAULT_EPOCHS, DEFAULT_BATCH_SIZE), 19);
    assert_eq!(epoch_of_step(19, 15, 5, 4), 5);
    assert!(valid_model_id(&"a".repeat(MAX_MODEL_ID_CHARS)));
    assert!(!valid_model_id(&"a".repeat(MAX_MODEL_ID_CHARS + 1)));
}
