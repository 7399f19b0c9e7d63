//! `tunedeck tune --vertex --method preference`: preference tuning (DPO) from a preference
//! JSONL file (each line a prompt and two completions scored 1 and 0), from a base model that
//! takes it or, as Google recommends, from a supervised-tuned model (`--from MODEL
//! [--checkpoint ID]`). Every line is checked with the domain's rule before anything is
//! uploaded; a bad one is named by file and line and nothing starts. Then the same steps as a
//! supervised tune: split off the validation share, upload, create, follow with `--watch`.

use super::tuning::TuneArgs;
use super::vertex::{flag_problem, source_of, start, upload_bytes};
use super::{CliError, CliResult};
use crate::api::vertex::client::VertexClient;
use crate::api::vertex::types::AdapterSize;
use crate::domain::preference::{Refusal, read_line};
use crate::domain::vertex::{VertexMethod, VertexTuning, dataset_object, takes_learning_rate};

/// The lines of a preference file that are trained on, checked; the bad ones (file:line:
/// reason) and the ones the service would drop for length, as warnings.
struct Checked {
    lines: Vec<String>,
    errors: Vec<String>,
    warnings: Vec<String>,
}

fn check_file(name: &str, text: &str) -> Checked {
    let mut out = Checked {
        lines: Vec::new(),
        errors: Vec::new(),
        warnings: Vec::new(),
    };
    for (i, raw) in text.lines().enumerate() {
        if raw.trim().is_empty() {
            continue;
        }
        match read_line(raw) {
            Ok(_) => out.lines.push(raw.to_owned()),
            Err(Refusal::Dropped(why)) => out.warnings.push(format!(
                "{name}:{}: warning: {why}; the service drops this example",
                i + 1
            )),
            Err(Refusal::Bad(why)) => out.errors.push(format!("{name}:{}: error: {why}", i + 1)),
        }
    }
    out
}

pub async fn tune(client: &VertexClient, args: TuneArgs) -> CliResult {
    let bucket = args.vertex.bucket.clone().ok_or_else(|| {
        CliError::usage("Vertex AI tunes from Cloud Storage: pass --bucket NAME (and --prefix PATH) for the upload")
    })?;
    let name = args.dataset.display().to_string();
    let text = std::fs::read_to_string(&args.dataset)
        .map_err(|e| CliError::usage(format!("{name}: cannot read the dataset: {e}")))?;
    let checked = check_file(&name, &text);
    for line in checked.warnings.iter().chain(&checked.errors) {
        eprintln!("{line}");
    }
    if !checked.errors.is_empty() {
        return Err(CliError::usage(format!(
            "{name}: {} line{} break preference tuning's format (a prompt ending with a user turn, one completion scored 1 and one scored 0); nothing was uploaded or started",
            checked.errors.len(),
            if checked.errors.len() == 1 { "" } else { "s" }
        )));
    }
    let source = source_of(&args);
    if let Some(rate) = args.learning_rate
        && !takes_learning_rate(&source)
    {
        return Err(CliError::usage(format!(
            "--learning-rate {rate}: Gemini models on Vertex AI take only a multiplier of the service's rate; use --learning-rate-multiplier (e.g. 1.0) instead"
        )));
    }
    if let Some(r) = args.vertex.adapter_size
        && AdapterSize::from_rank(r).is_none()
    {
        return Err(CliError::usage(format!(
            "--adapter-size {r}: use 1, 2, 4, 8 or 16"
        )));
    }
    let stem = args
        .dataset
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "dataset".into());
    let settings = VertexTuning {
        display_name: args.display_name.clone().unwrap_or_else(|| stem.clone()),
        description: args.description.clone(),
        source,
        epochs: args.epochs,
        multiplier: args.learning_rate_multiplier,
        adapter_rank: args.vertex.adapter_size,
        validation_percent: args.held_out,
        method: VertexMethod::Preference {
            beta: args.vertex.beta,
        },
        open: Default::default(),
    };
    settings.check().map_err(flag_problem)?;
    let (train, validation) = settings.split(&checked.lines).map_err(flag_problem)?;
    let now = chrono::Utc::now();
    let object = |kind: &str| dataset_object(&args.vertex.prefix, &stem, now, kind);
    let bytes = |lines: &[String]| (lines.join("\n") + "\n").into_bytes();
    let train_uri = upload_bytes(client, &bucket, &object("train"), bytes(&train)).await?;
    let validation_uri = if validation.is_empty() {
        String::new()
    } else {
        upload_bytes(client, &bucket, &object("validation"), bytes(&validation)).await?
    };
    let request = settings.to_job(&train_uri, &validation_uri);
    start(client, &request, train.len(), validation.len(), &args).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_preference_file_is_checked_line_by_line_with_the_file_and_line_named() {
        let good = r#"{"contents": [{"role": "user", "parts": [{"text": "hi"}]}], "completions": [{"score": 1, "completion": {"role": "model", "parts": [{"text": "Hello!"}]}}, {"score": 0, "completion": {"role": "model", "parts": [{"text": "What."}]}}]}"#;
        let sft = r#"{"contents": [{"role": "user", "parts": [{"text": "hi"}]}, {"role": "model", "parts": [{"text": "Hello!"}]}]}"#;
        let checked = check_file("p.jsonl", &format!("{good}\n\n{sft}\n"));
        assert_eq!(checked.lines, vec![good.to_owned()]);
        assert_eq!(
            checked.errors,
            vec!["p.jsonl:3: error: it has no \"completions\" list.".to_owned()]
        );
    }
}
