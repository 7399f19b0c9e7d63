//! `tunedeck dataset lint FILE` (or `check`) and `tunedeck dataset convert IN OUT`.

use super::{CliError, CliResult, JsonFlag, exit, print_json};
use crate::dataset::format::{self, Format};
use crate::dataset::lint::Severity;
use clap::Subcommand;
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum DatasetCommand {
    /// Check a dataset against the service's limits; exits 2 when an error would block tuning
    /// (`tune` runs the same check). A number where text belongs is warned about with its line.
    /// A preference (DPO) file is checked against preference tuning's rules, by line.
    #[command(visible_alias = "check")]
    Lint {
        /// The dataset file, or `-` to read stdin (up to 1 GB, the largest file a service
        /// takes). A FIFO is read like any stream: it blocks until its writer ends, as `cat`.
        file: PathBuf,
        #[command(flatten)]
        json: JsonFlag,
    },
    /// Convert between JSONL, a JSON array, an API request body (input only), CSV and Vertex
    /// AI's JSONL (`contents` turns, read when the input has them); the output's extension
    /// (.jsonl, .json, .csv) picks its format, or `--to vertex`.
    Convert {
        input: PathBuf,
        output: PathBuf,
        /// Write Vertex AI's tuning JSONL (one user and one model turn an example).
        #[arg(long, value_parser = ["vertex"])]
        to: Option<String>,
        /// For CSV whose header lacks text_input/output: the input column.
        #[arg(long, requires = "output_column")]
        input_column: Option<String>,
        /// For CSV whose header lacks text_input/output: the output column.
        #[arg(long, requires = "input_column")]
        output_column: Option<String>,
    },
}

/// `vertex`: Vertex AI was chosen (`--vertex`), so `lint` checks its limits; a Vertex JSONL file
/// is checked against them in any case.
pub fn run(command: DatasetCommand, vertex: bool) -> CliResult {
    match command {
        DatasetCommand::Lint { file, json } => lint_file(&file, json.json, vertex),
        DatasetCommand::Convert {
            input,
            output,
            to,
            input_column,
            output_column,
        } => {
            let mapping = input_column
                .zip(output_column)
                .map(|(input, output)| format::Mapping { input, output });
            convert(&input, &output, mapping.as_ref(), to.is_some())
        }
    }
}

pub use super::dataset_check::issue_place;

fn lint_file(file: &std::path::Path, json: bool, vertex: bool) -> CliResult {
    let checked = super::dataset_check::check(file, vertex)?;
    let (issues, stats) = (&checked.issues, &checked.stats);
    let errors = checked.errors();
    let warnings = checked.warnings();
    if json {
        let mut list: Vec<serde_json::Value> = issues
            .iter()
            .map(|i| {
                serde_json::json!({
                    "index": i.index.map(|n| n + 1),
                    "line": i.index.and_then(|n| checked.example_lines.get(n)),
                    "severity": if i.severity == Severity::Error { "error" } else { "warning" },
                    "kind": format!("{:?}", i.kind),
                    "message": i.message,
                })
            })
            .collect();
        list.extend(checked.numbers.iter().map(|n| {
            serde_json::json!({
                "index": n.index + 1,
                "line": n.line,
                "severity": "warning",
                "kind": "NumberAsText",
                "message": n.message(),
            })
        }));
        print_json(&serde_json::json!({
            "file": checked.name,
            "examples": stats.count,
            "errors": errors,
            "warnings": warnings,
            "input_chars": {"min": stats.input.0, "median": stats.input.1, "max": stats.input.2},
            "output_chars": {"min": stats.output.0, "median": stats.output.1, "max": stats.output.2},
            "json_bytes": stats.json_bytes,
            "issues": list,
        }))?;
    } else {
        for issue in issues {
            let level = if issue.severity == Severity::Error {
                "error"
            } else {
                "warning"
            };
            outln!(
                "{}: {}: {level}: {}",
                checked.name,
                checked.place(issue),
                issue.message
            );
        }
        for line in super::dataset_check::number_lines(&checked) {
            outln!("{line}");
        }
        outln!(
            "{} · input {}/{}/{} · output {}/{}/{} chars (min/median/max) · {:.1} KB as JSON · {} · {}",
            crate::domain::words::count(stats.count as u64, "example"),
            stats.input.0,
            stats.input.1,
            stats.input.2,
            stats.output.0,
            stats.output.1,
            stats.output.2,
            stats.json_bytes as f64 / 1024.0,
            crate::domain::words::count(errors as u64, "error"),
            crate::domain::words::count(warnings as u64, "warning")
        );
    }
    Ok(if errors > 0 { exit::USAGE } else { exit::OK })
}

fn write(output: &std::path::Path, text: &str) -> Result<(), CliError> {
    crate::atomic_file::write_atomically(output, text.as_bytes())
        .map_err(|e| CliError::failed(format!("could not write {}: {e}", output.display())))
}

fn convert(
    input: &std::path::Path,
    output: &std::path::Path,
    mapping: Option<&format::Mapping>,
    to_vertex: bool,
) -> CliResult {
    use crate::dataset::vertex;
    let text = std::fs::read_to_string(input)
        .map_err(|e| CliError::usage(format!("nothing loaded: {}: {e}", input.display())))?;
    let file = input.display().to_string();
    let from_vertex = vertex::is_vertex_jsonl(&text);
    if to_vertex {
        // A Vertex file is copied example by example, exactly; pairs become two turns.
        let examples = if from_vertex {
            vertex::parse(&file, &text)?
        } else {
            format::read_file(input, None, mapping)?
                .0
                .iter()
                .map(vertex::VertexExample::from_pair)
                .collect()
        };
        write(output, &vertex::to_jsonl(&examples))?;
        eprintln!(
            "Wrote {} from {} to {} (Vertex AI JSONL)",
            crate::domain::words::count(examples.len() as u64, "example"),
            input.display(),
            output.display()
        );
        return Ok(exit::OK);
    }
    let (examples, from) = if from_vertex {
        let read = vertex::parse(&file, &text)?;
        let pairs = vertex::to_pairs(&read).map_err(|(_, why)| {
            CliError::usage(format!(
                "nothing written: {file}: {why} (keep it as Vertex JSONL with --to vertex)"
            ))
        })?;
        (pairs, None)
    } else {
        let (examples, from) = format::read_file(input, None, mapping)?;
        (examples, Some(from))
    };
    let to = Format::from_path(output).ok_or_else(|| {
        CliError::usage(format!(
            "{}: name the output .jsonl, .json or .csv; its extension picks the format",
            output.display()
        ))
    })?;
    write(output, &format::write(&examples, to))?;
    eprintln!(
        "Wrote {} from {} ({}) to {} ({})",
        crate::domain::words::count(examples.len() as u64, "example"),
        input.display(),
        from.map_or("Vertex AI JSONL", |f| f.name()),
        output.display(),
        to.name()
    );
    Ok(exit::OK)
}
