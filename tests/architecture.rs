//! Rules of the code's shape that a reviewer would otherwise have to remember (the README's
//! Architecture section): the app, its panes and the domain never read the clock, so every test
//! chooses its own time; imports point one way; the domain's limits are the documented ones.

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
    // (from, to): never. The README's Architecture section.
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
        "imports against the layout in the README's Architecture section:\n{}",
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

/// The domain's limits, defaults and step arithmetic, pinned to the values their public sources
/// state. A failure here means a constant in `src/domain/` changed: re-check the source named
/// beside the value before changing the value written here.
#[test]
fn limits_match_the_reference() {
    use tunedeck::domain::limits::*;
    use tunedeck::domain::tuning::{epoch_of_step, total_steps, valid_model_id};
    // The Gemini API's fine-tuning guide (ai.google.dev, "Fine-tuning with the Gemini API",
    // section "Limitations"): 40,000 characters of input and 5,000 of output per example.
    assert_eq!(MAX_INPUT_CHARS, 40_000);
    assert_eq!(MAX_OUTPUT_CHARS, 5_000);
    // The same guide's "Advanced tuning settings" table: epochs 5, batch size 4, rate 0.001.
    assert_eq!(
        (DEFAULT_EPOCHS, DEFAULT_BATCH_SIZE, DEFAULT_LEARNING_RATE),
        (5, 4, 0.001)
    );
    // The guide: 20 examples at the very least, 100 to 500 recommended.
    assert_eq!(MIN_RECOMMENDED_EXAMPLES, 20);
    // AI Studio's and the Python SDK's upload limit for a training file: 4 MB.
    assert_eq!(MAX_TRAINING_JSON_BYTES, 4 * 1024 * 1024);
    // The API reference, TunedModel: `displayName` at most 40 characters; `tunedModelId`
    // (tunedModels.create) matches `[a-z]([a-z0-9-]{0,38}[a-z0-9])?`, so at most 40.
    assert_eq!(MAX_DISPLAY_NAME_CHARS, 40);
    assert_eq!(MAX_MODEL_ID_CHARS, 40);
    assert!(valid_model_id(&"a".repeat(40)));
    assert!(!valid_model_id(&"a".repeat(41)));
    for ok in ["a", "a1", "my-model-7", "z9"] {
        assert!(valid_model_id(ok), "{ok}");
    }
    for bad in ["", "1a", "-a", "a-", "A", "a_b", "a.b", "é"] {
        assert!(!valid_model_id(bad), "{bad}");
    }
    // The GenerationConfig proto (google.ai.generativelanguage.v1beta, generative_service.proto,
    // kept in tests/fixtures/discovery/protos): at most 5 stop sequences.
    assert_eq!(MAX_STOP_SEQUENCES, 5);
    // The Gemini API's front end: "Request payload size exceeds the limit: 20971520 bytes."
    assert_eq!(MAX_REQUEST_BYTES, 20_971_520);
    assert_eq!(DEFAULT_BASE_MODEL, "models/gemini-1.5-flash-001-tuning");
    // Steps: totalSteps = ceil(N·E/B), examples streamed across epoch boundaries, checked
    // against the totals the tutorials recorded (N examples, batch B, E epochs → steps):
    // the REST curl tutorial 15/2/5 → 38 (tests/fixtures/recorded/create-operation.json), the
    // REST python-requests tutorial 15/4/5 → 19, the Python SDK quickstart 15/4/100 → 375, the
    // PaLM curl tutorial 15/2/3 → 23 and a PaLM poll loop 15/4/50 → 188 (its last step). Each
    // is one less than ceil(N/B)·E would give, which is why that formula is not the rule.
    for (n, b, e, steps) in [
        (15, 2, 5, 38),
        (15, 4, 5, 19),
        (15, 4, 100, 375),
        (15, 2, 3, 23),
        (15, 4, 50, 188),
    ] {
        assert_eq!(total_steps(n, e, b), steps, "N={n} B={b} E={e}");
    }
    // A snapshot's epoch is min(E, floor(step·B/N)), the passes completed when the step ended:
    // the 188-step run reported step 40 → epoch 10, 81 → 21, 120 → 32, 160 → 42, 188 → 50; the
    // python-requests tutorial's last snapshot step 19 → epoch 5; a 16-step PaLM run (N 25,
    // B 16, E 10) epochs 0,1,1,2,3,3,4,5,5,6,7,7,8,8,9,10.
    for (step, epoch) in [(40, 10), (81, 21), (120, 32), (160, 42), (188, 50)] {
        assert_eq!(epoch_of_step(step, 15, 50, 4), epoch, "step {step}");
    }
    assert_eq!(epoch_of_step(19, 15, 5, 4), 5);
    let palm: Vec<u32> = (1..=16).map(|s| epoch_of_step(s, 25, 10, 16)).collect();
    assert_eq!(palm, [0, 1, 1, 2, 3, 3, 4, 5, 5, 6, 7, 7, 8, 8, 9, 10]);
}

/// Vertex AI's supervised-tuning limits, pinned the same way. Source: Vertex AI (Gemini
/// Enterprise Agent Platform) "About supervised fine-tuning for Gemini models" and "Prepare
/// supervised fine-tuning data", as read on 2026-09-25.
#[test]
fn vertex_limits_match_the_guide() {
    use tunedeck::domain::vertex::*;
    // 131,072 input plus output tokens per example; longer ones are dropped.
    assert_eq!(MAX_TOKENS_PER_EXAMPLE, 131_072);
    // Validation: at most 5,000 examples; a 1 GB training file; 10 million text examples.
    assert_eq!(MAX_VALIDATION_EXAMPLES, 5_000);
    assert_eq!(MAX_TRAINING_FILE_BYTES, 1 << 30);
    assert_eq!(MAX_TRAINING_EXAMPLES, 10_000_000);
    // "Start with ~100 examples"; no minimum is documented.
    assert_eq!(RECOMMENDED_EXAMPLES, 100);
    assert_eq!(DEFAULT_LOCATION, "us-central1");
    // The default base is a function of the method and the day (the model table's dates):
    // Gemini 2.5 Flash until the 3.x models were out, then Gemini 3.5 Flash.
    use tunedeck::domain::models::{Method, default_base_model};
    let day = |d: &str| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap();
    assert_eq!(
        default_base_model(Method::Supervised, day("2026-04-01")),
        "gemini-2.5-flash-lite"
    );
    assert_eq!(
        default_base_model(Method::Supervised, day("2026-12-04")),
        "gemini-3.5-flash"
    );
    assert!(
        TUNABLE_MODELS
            .iter()
            .any(|m| m.id == default_base_model(Method::Supervised, day("2026-12-04")))
    );
}
