//! `tunedeck models list|get|delete|update`.

use super::{CliError, CliResult, JsonFlag, exit, print_json, print_table};
use crate::api::ApiClient;
use crate::api::client::tuned_model_name;
use crate::api::serde_util::snake_case;
use crate::api::types::TunedModel;
use crate::domain::limits::MAX_DISPLAY_NAME_CHARS;
use crate::domain::tuning::{ModelChange, ModelField, UpdateProblem, build_update};
use clap::Subcommand;
use futures::StreamExt;
use std::io::{BufRead, IsTerminal, Write};

#[derive(Debug, Subcommand)]
pub enum ModelsCommand {
    /// Every tuned model, from every page.
    List {
        /// The service's filter: `owner:me` or `readers:everyone`.
        #[arg(long)]
        filter: Option<String>,
        #[command(flatten)]
        json: JsonFlag,
    },
    /// One tuned model (an id or tunedModels/ID), with its hyperparameters and loss.
    Get {
        name: String,
        #[command(flatten)]
        json: JsonFlag,
    },
    /// Delete tuned models; asks first unless --yes (and refuses without it when not a terminal).
    Delete {
        #[arg(required = true)]
        names: Vec<String>,
        #[arg(long, short)]
        yes: bool,
    },
    /// Change a tuned model's display name, description or sampling defaults (PATCH with an
    /// updateMask of what was given).
    Update {
        name: String,
        #[arg(long)]
        display_name: Option<String>,
        #[arg(long)]
        description: Option<String>,
        #[arg(long)]
        temperature: Option<f64>,
        #[arg(long)]
        top_p: Option<f64>,
        #[arg(long)]
        top_k: Option<i32>,
        #[command(flatten)]
        json: JsonFlag,
    },
    /// Vertex AI: make one of a tuned model's checkpoints its default, so the model's endpoint
    /// answers from it (`models get` lists the checkpoints).
    SetDefault {
        /// projects/…/models/M[@version], or the model id.
        model: String,
        /// The checkpoint id, as `models get` or the job's detail shows it.
        checkpoint: String,
        #[command(flatten)]
        json: JsonFlag,
    },
}

pub async fn run(client: &ApiClient, command: ModelsCommand) -> CliResult {
    match command {
        ModelsCommand::List { filter, json } => list(client, filter, json.json).await,
        ModelsCommand::Get { name, json } => {
            let model = client.get_tuned_model(&tuned_model_name(&name)).await?;
            if json.json {
                print_json(&model)?;
            } else {
                describe(&model);
            }
            Ok(exit::OK)
        }
        ModelsCommand::Delete { names, yes } => delete(client, names, yes).await,
        ModelsCommand::SetDefault { .. } => Err(CliError::usage(
            "checkpoints belong to Vertex AI's tuned models: add --vertex (with --project and --location)",
        )),
        ModelsCommand::Update {
            name,
            display_name,
            description,
            temperature,
            top_p,
            top_k,
            json,
        } => {
            let changes: Vec<ModelChange> = [
                display_name.map(ModelChange::DisplayName),
                description.map(ModelChange::Description),
                temperature.map(|v| ModelChange::Temperature(Some(v))),
                top_p.map(|v| ModelChange::TopP(Some(v))),
                top_k.map(|v| ModelChange::TopK(Some(v))),
            ]
            .into_iter()
            .flatten()
            .collect();
            let (model, mask) = build_update(&tuned_model_name(&name), &changes)
                .map_err(|p| CliError::usage(describe_update_problem(&p)))?;
            let mask: Vec<&str> = mask.iter().map(String::as_str).collect();
            let updated = client.update_tuned_model(&model, &mask).await?;
            if json.json {
                print_json(&updated)?;
            } else {
                eprintln!("Updated {} ({})", updated.name, mask.join(", "));
            }
            Ok(exit::OK)
        }
    }
}

async fn list(client: &ApiClient, filter: Option<String>, json: bool) -> CliResult {
    let mut pages = client.tuned_model_pages(Some(1000), filter);
    let mut models: Vec<TunedModel> = Vec::new();
    while let Some(page) = pages.next().await {
        models.extend(page?);
    }
    if json {
        print_json(&models)?;
        return Ok(exit::OK);
    }
    let rows: Vec<Vec<String>> = models
        .iter()
        .map(|m| {
            let hp = m
                .tuning_task
                .as_ref()
                .and_then(|t| t.hyperparameters.clone())
                .unwrap_or_default();
            vec![
                m.id().to_owned(),
                m.display_name.clone(),
                m.state.to_string(),
                m.base_model
                    .clone()
                    .unwrap_or_default()
                    .trim_start_matches("models/")
                    .to_owned(),
                m.create_time
                    .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
                    .unwrap_or_default(),
                hp.epoch_count.map(|v| v.to_string()).unwrap_or_default(),
                hp.batch_size.map(|v| v.to_string()).unwrap_or_default(),
            ]
        })
        .collect();
    print_table(
        &[
            "ID",
            "DISPLAY NAME",
            "STATE",
            "BASE",
            "CREATED",
            "EPOCHS",
            "BATCH",
        ],
        &rows,
    );
    Ok(exit::OK)
}

/// The human form of one model.
fn describe(m: &TunedModel) {
    let line = |k: &str, v: String| {
        if !v.is_empty() {
            outln!("{k:<16}{v}");
        }
    };
    line("name", m.name.clone());
    line("display name", m.display_name.clone());
    line("description", m.description.clone());
    line("state", m.state.to_string());
    line("base model", m.base_model.clone().unwrap_or_default());
    line(
        "created",
        m.create_time.map(|t| t.to_rfc3339()).unwrap_or_default(),
    );
    line(
        "updated",
        m.update_time.map(|t| t.to_rfc3339()).unwrap_or_default(),
    );
    line(
        "temperature",
        m.temperature.map(|v| v.to_string()).unwrap_or_default(),
    );
    line("topP", m.top_p.map(|v| v.to_string()).unwrap_or_default());
    line("topK", m.top_k.map(|v| v.to_string()).unwrap_or_default());
    if let Some(task) = &m.tuning_task {
        if let Some(hp) = &task.hyperparameters {
            line(
                "epochs",
                hp.epoch_count.map(|v| v.to_string()).unwrap_or_default(),
            );
            line(
                "batch size",
                hp.batch_size.map(|v| v.to_string()).unwrap_or_default(),
            );
            line(
                "learning rate",
                hp.learning_rate.map(|v| v.to_string()).unwrap_or_default(),
            );
            line(
                "lr multiplier",
                hp.learning_rate_multiplier
                    .map(|v| v.to_string())
                    .unwrap_or_default(),
            );
        }
        let snapshots = &task.snapshots;
        if let (Some(first), Some(last)) = (snapshots.first(), snapshots.last()) {
            let lowest = snapshots
                .iter()
                .map(|s| s.mean_loss)
                .fold(f64::INFINITY, f64::min);
            line(
                "loss",
                format!(
                    "first {:.4} · lowest {lowest:.4} · last {:.4} ({} steps)",
                    first.mean_loss,
                    last.mean_loss,
                    snapshots.len()
                ),
            );
        }
    }
}

/// Asks before deleting, naming what goes, unless `yes`; refuses without a terminal to ask on.
pub fn confirm_delete(names: &[String], yes: bool) -> Result<bool, CliError> {
    if yes {
        return Ok(true);
    }
    if !std::io::stdin().is_terminal() {
        return Err(CliError::usage(
            "refusing to delete without --yes: stdin is not a terminal to ask on",
        ));
    }
    eprint!(
        "Delete {} tuned model{} ({})? [y/N] ",
        names.len(),
        if names.len() == 1 { "" } else { "s" },
        names.join(", ")
    );
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    let _ = std::io::stdin().lock().read_line(&mut answer);
    if matches!(answer.trim(), "y" | "Y" | "yes") {
        Ok(true)
    } else {
        eprintln!("Nothing deleted.");
        Ok(false)
    }
}

async fn delete(client: &ApiClient, names: Vec<String>, yes: bool) -> CliResult {
    let names: Vec<String> = names.iter().map(|n| tuned_model_name(n)).collect();
    if !confirm_delete(&names, yes)? {
        return Ok(exit::USAGE);
    }
    let mut failed = 0;
    for name in &names {
        match client.delete_tuned_model(name).await {
            Ok(()) => outln!("deleted {name}"),
            Err(e) => {
                failed += 1;
                eprintln!(
                    "error: {}",
                    crate::api::redact::redact(&format!("{name}: {e}"))
                );
                if let Some(h) = e.hint() {
                    eprintln!("hint: {h}");
                }
            }
        }
    }
    Ok(if failed > 0 { exit::FAILED } else { exit::OK })
}

/// An update problem in the command line's words: its flags.
fn describe_update_problem(problem: &UpdateProblem) -> String {
    let flag = |field: &ModelField| format!("--{}", snake_case(field.mask()).replace('_', "-"));
    match problem {
        UpdateProblem::NotANumber { field, text } => {
            format!("{}: {text:?} is not a number", flag(field))
        }
        UpdateProblem::DisplayNameTooLong { chars } => format!(
            "--display-name: {chars} characters; the limit is {MAX_DISPLAY_NAME_CHARS}"
        ),
        UpdateProblem::OutOfRange {
            field,
            value,
            min,
            max,
        } => format!("{} {value} is outside {min} to {max}", flag(field)),
        UpdateProblem::TopKNegative { value } => format!("--top-k {value}: it must be 0 or more"),
        UpdateProblem::NothingChanged => {
            "nothing to change: give --display-name, --description, --temperature, --top-p or --top-k"
                .into()
        }
    }
}
