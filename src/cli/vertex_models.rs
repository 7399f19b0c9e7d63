//! `tunedeck models get|set-default` on Vertex AI: a tuned model in the Model Registry, and
//! promoting one of its checkpoints to the model's default, so the model's endpoint answers from
//! it (`Model.defaultCheckpointId`, what google-genai's `models.update(default_checkpoint_id=…)`
//! changes).

use super::{CliError, CliResult, exit, print_json, print_table};
use crate::api::vertex::client::VertexClient;
use crate::api::vertex::model::Model;

/// `models get` on Vertex AI: the model, its versions' checkpoints and which one is the default.
pub async fn get(client: &VertexClient, name: &str, json: bool) -> CliResult {
    let model = client.get_model(name).await?;
    if json {
        print_json(&model)?;
    } else {
        describe(&model);
    }
    Ok(exit::OK)
}

fn describe(model: &Model) {
    outln!("{}", model.name);
    outln!("  display name  {}", model.display_name);
    if !model.description.is_empty() {
        outln!("  description   {}", model.description);
    }
    outln!("  version       {}", model.version_id);
    for deployed in &model.deployed_models {
        outln!("  endpoint      {}", deployed.endpoint);
    }
    if model.checkpoints.is_empty() {
        outln!("  checkpoints   none (the job exported the last one only)");
        return;
    }
    let rows: Vec<Vec<String>> = model
        .checkpoints
        .iter()
        .map(|c| {
            let opt = |v: Option<i64>| v.map_or_else(|| "-".into(), |v| v.to_string());
            vec![
                c.checkpoint_id.clone(),
                opt(c.epoch),
                opt(c.step),
                if c.checkpoint_id == model.default_checkpoint_id {
                    "default".into()
                } else {
                    String::new()
                },
            ]
        })
        .collect();
    outln!();
    print_table(&["CHECKPOINT", "EPOCH", "STEP", ""], &rows);
}

/// `models set-default MODEL CHECKPOINT`: checked against the model's checkpoints first, so a
/// wrong id is named with the ones that exist before anything changes.
pub async fn set_default(
    client: &VertexClient,
    name: &str,
    checkpoint: &str,
    json: bool,
) -> CliResult {
    let model = client.get_model(name).await?;
    let Some(chosen) = model
        .checkpoints
        .iter()
        .find(|c| c.checkpoint_id == checkpoint)
    else {
        let known: Vec<&str> = model
            .checkpoints
            .iter()
            .map(|c| c.checkpoint_id.as_str())
            .collect();
        return Err(CliError::usage(if known.is_empty() {
            format!(
                "{} has no checkpoints to choose from (its job exported the last one only)",
                model.name
            )
        } else {
            format!(
                "{} has no checkpoint {checkpoint:?}: its checkpoints are {}",
                model.name,
                known.join(", ")
            )
        }));
    };
    let epoch = chosen
        .epoch
        .map_or_else(String::new, |e| format!(", epoch {e}"));
    let step = chosen
        .step
        .map_or_else(String::new, |s| format!(", step {s}"));
    let target = format!("{}@{}", model.name, model.version_id);
    let updated = client.set_default_checkpoint(&target, checkpoint).await?;
    if json {
        print_json(&updated)?;
        return Ok(exit::OK);
    }
    if model.default_checkpoint_id == checkpoint {
        outln!("checkpoint {checkpoint}{epoch}{step} was already the default of {target}");
    } else {
        outln!("checkpoint {checkpoint}{epoch}{step} is now the default of {target}");
    }
    for deployed in &updated.deployed_models {
        outln!("{} answers from it", deployed.endpoint);
    }
    Ok(exit::OK)
}
