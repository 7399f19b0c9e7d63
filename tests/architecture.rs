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
    // A path's module: the longest prefix that is a file (`emulator::http::router::route` is in
    // `emulator::http::router`).
    let module_of_path = |path: &str| {
        let parts: Vec<&str> = path.split("::").collect();
        (1..=parts.len())
            .rev()
            .map(|n| parts[..n].join("::"))
            .find(|p| modules.contains(p))
            .unwrap_or_default()
    };
    let mut broken = Vec::new();
    // File-level edges: a file to each file it names. A folder's mod.rs declaring, re-exporting
    // or dispatching to what the folder holds is not an edge (the folder contains its children).
    let mut file_edges: Vec<(String, String)> = Vec::new();
    for file in &files {
        let module = module_of(file, &root);
        let text = std::fs::read_to_string(file).unwrap();
        for target in references(file, &text, &root) {
            let b = module_of_path(&target);
            let inside = file.ends_with("mod.rs") && is_within(&b, &module);
            if !b.is_empty() && b != module && !inside {
                file_edges.push((module.clone(), b));
            }
            let (from, to) = (top(&module), top(&target));
            if from == to {
                continue;
            }
            if let Some((_, never)) = forbidden.iter().find(|(f, _)| *f == from)
                && never.contains(&to)
            {
                broken.push(format!("{module} → {target} ({})", file.display()));
            }
        }
    }
    file_edges.sort();
    file_edges.dedup();
    assert!(
        broken.is_empty(),
        "imports against DESIGN.md's layout:\n{}",
        broken.join("\n")
    );
    let cycles = cycles_in(&file_edges);
    assert!(
        cycles.is_empty(),
        "import cycles between files:\n{}",
        cycles.join("\n")
    );
    // Module-level edges: an edge between two files is one between the two sibling modules
    // that hold them (`app::dataset::update → app::models::state` is `app::dataset → app::models`,
    // `api::client → domain::tuning` is `api → domain`), at every depth.
    let mut module_edges: Vec<(String, String)> = file_edges
        .iter()
        .filter_map(|(a, b)| siblings(a, b))
        .collect();
    module_edges.sort();
    module_edges.dedup();
    let cycles = cycles_in(&module_edges);
    assert!(
        cycles.is_empty(),
        "import cycles between modules:\n{}",
        cycles.join("\n")
    );
    let emulator_files = file_edges
        .iter()
        .filter(|(a, _)| top(a) == "emulator")
        .count();
    assert!(
        emulator_files > 5 && module_edges.len() > 10,
        "the scan found the modules: {file_edges:?}"
    );
}

/// `a` is `module` or inside it.
fn is_within(a: &str, module: &str) -> bool {
    a == module || a.starts_with(&format!("{module}::"))
}

/// The two modules under the deepest common parent that hold `a` and `b`, or none when one is
/// inside the other.
fn siblings(a: &str, b: &str) -> Option<(String, String)> {
    let (pa, pb): (Vec<&str>, Vec<&str>) = (a.split("::").collect(), b.split("::").collect());
    let common = pa.iter().zip(&pb).take_while(|(x, y)| x == y).count();
    if common == pa.len() || common == pb.len() {
        return None;
    }
    Some((pa[..=common].join("::"), pb[..=common].join("::")))
}

/// Every edge `a → b` from which `a` can be reached again, written as the cycle it closes.
fn cycles_in(edges: &[(String, String)]) -> Vec<String> {
    let path_back = |from: &str, to: &str| -> Option<Vec<String>> {
        // Breadth first, so the cycle shown is a shortest one.
        let mut came_from: Vec<(String, String)> = vec![(from.to_owned(), String::new())];
        let mut queue = std::collections::VecDeque::from([from.to_owned()]);
        while let Some(n) = queue.pop_front() {
            if n == to {
                let mut path = vec![n.clone()];
                let mut at = n;
                while let Some((_, prev)) = came_from.iter().find(|(x, _)| *x == at) {
                    if prev.is_empty() {
                        break;
                    }
                    path.push(prev.clone());
                    at = prev.clone();
                }
                path.reverse();
                return Some(path);
            }
            for (a, b) in edges {
                if *a == n && !came_from.iter().any(|(x, _)| x == b) {
                    came_from.push((b.clone(), n.clone()));
                    queue.push_back(b.clone());
                }
            }
        }
        None
    };
    edges
        .iter()
        .filter_map(|(a, b)| path_back(b, a).map(|p| format!("{a} → {}", p.join(" → "))))
        .collect()
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
