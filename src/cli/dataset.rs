//! `tunedeck dataset lint FILE` and `tunedeck dataset convert IN OUT`.

use super::{CliError, CliResult, JsonFlag, exit, print_json};
use crate::dataset::format::{self, Format};
use crate::dataset::lint::{self, Issue, Severity};
use clap::Subcommand;
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum DatasetCommand {
    /// Check a dataset against the service's limits; exits 2 when an error would block tuning.
    Lint {
        file: PathBuf,
        #[command(flatten)]
        json: JsonFlag,
    },
    /// Convert between JSONL, a JSON array, an API request body (input only) and CSV; the
    /// output's extension (.jsonl, .json, .csv) picks its format.
    Convert {
        input: PathBuf,
        output: PathBuf,
        /// For CSV whose header lacks text_input/output: the input column.
        #[arg(long, requires = "output_column")]
        input_column: Option<String>,
        /// For CSV whose header lacks text_input/output: the output column.
        #[arg(long, requires = "input_column")]
        output_column: Option<String>,
    },
}

pub fn run(command: DatasetCommand) -> CliResult {
    match command {
        DatasetCommand::Lint { file, json } => lint_file(&file, json.json),
        DatasetCommand::Convert {
            input,
            output,
            input_column,
            output_column,
        } => {
            let mapping = input_column
                .zip(output_column)
                .map(|(input, output)| format::Mapping { input, output });
            convert(&input, &output, mapping.as_ref())
        }
    }
}

/// `example 3` or `dataset`, for a finding.
pub fn issue_place(issue: &Issue) -> String {
    issue
        .index
        .map_or("dataset".to_owned(), |i| format!("example {}", i + 1))
}

fn lint_file(file: &std::path::Path, json: bool) -> CliResult {
    let examples = super::read_dataset(file)?;
    let (issues, stats) = lint::lint_and_stats(&examples);
    let errors = issues
        .iter()
        .filter(|i| i.severity == Severity::Error)
        .count();
    if json {
        let list: Vec<serde_json::Value> = issues
            .iter()
            .map(|i| {
                serde_json::json!({
                    "index": i.index.map(|n| n + 1),
                    "severity": if i.severity == Severity::Error { "error" } else { "warning" },
                    "kind": format!("{:?}", i.kind),
                    "message": i.message,
                })
            })
            .collect();
        print_json(&serde_json::json!({
            "file": file.display().to_string(),
            "examples": stats.count,
            "errors": errors,
            "warnings": issues.len() - errors,
            "input_chars": {"min": stats.input.0, "median": stats.input.1, "max": stats.input.2},
            "output_chars": {"min": stats.output.0, "median": stats.output.1, "max": stats.output.2},
            "json_bytes": stats.json_bytes,
            "issues": list,
        }))?;
    } else {
        for issue in &issues {
            let level = if issue.severity == Severity::Error {
                "error"
            } else {
                "warning"
            };
            outln!(
                "{}: {}: {level}: {}",
                file.display(),
                issue_place(issue),
                issue.message
            );
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
            crate::domain::words::count((issues.len() - errors) as u64, "warning")
        );
    }
    Ok(if errors > 0 { exit::USAGE } else { exit::OK })
}

fn convert(
    input: &std::path::Path,
    output: &std::path::Path,
    mapping: Option<&format::Mapping>,
) -> CliResult {
    let (examples, from) = format::read_file(input, None, mapping)?;
    let to = Format::from_path(output).ok_or_else(|| {
        CliError::usage(format!(
            "{}: name the output .jsonl, .json or .csv; its extension picks the format",
            output.display()
        ))
    })?;
    let text = format::write(&examples, to);
    crate::atomic_file::write_atomically(output, text.as_bytes())
        .map_err(|e| CliError::failed(format!("could not write {}: {e}", output.display())))?;
    eprintln!(
        "Wrote {} from {} ({}) to {} ({})",
        crate::domain::words::count(examples.len() as u64, "example"),
        input.display(),
        from.name(),
        output.display(),
        to.name()
    );
    Ok(exit::OK)
}
