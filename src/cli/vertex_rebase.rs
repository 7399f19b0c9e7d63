//! `tunedeck jobs rebase JOB --base-model M`: the model a succeeded job made, tuned again with
//! the same data and settings on a newer base (`tuningJobs:rebaseTunedModel`), which makes a new
//! job and a new model. The domain's rule is checked first, so a refusal names the flag and the
//! models to choose from before anything is sent.

use super::tuning::Patience;
use super::{CliError, JsonFlag};
use crate::api::vertex::client::VertexClient;
use crate::api::vertex::types::TuningJob;
use crate::domain::rebase::{RebaseProblem, check_rebase, rebase_targets};
use crate::domain::vertex::{job_base_model, job_label};
use clap::Args;

#[derive(Debug, Args)]
pub struct RebaseArgs {
    /// The succeeded job whose model to rebase: projects/…/tuningJobs/ID, or the ID.
    pub job: String,
    /// The new base model (one Vertex AI tunes, not the one the model has now).
    #[arg(long)]
    pub base_model: String,
    /// Deploy the new model to the old model's endpoint, replacing it there (by default it gets
    /// an endpoint of its own and the old model keeps serving).
    #[arg(long)]
    pub same_endpoint: bool,
    /// Follow the new job until it ends (exit 0 SUCCEEDED, 3 FAILED, 4 CANCELLED).
    #[arg(long)]
    pub watch: bool,
    #[command(flatten)]
    pub patience: Patience,
    #[command(flatten)]
    pub json: JsonFlag,
}

/// Checks and sends the rebase; the new job, for the caller to print or follow.
pub async fn rebase(client: &VertexClient, args: &RebaseArgs) -> Result<TuningJob, CliError> {
    let job = client.get_tuning_job(&args.job).await.map_err(|e| {
        if e.http_status == Some(404) {
            CliError::usage(format!(
                "no tuning job {} in {} (`tunedeck jobs list` lists them)",
                args.job,
                client.parent()
            ))
        } else {
            e.into()
        }
    })?;
    let label = job_label(&job);
    let old_base = job_base_model(&job).to_owned();
    check_rebase(&job, &args.base_model).map_err(|problem| {
        CliError::usage(match problem {
            RebaseProblem::NoModel { state } => format!(
                "{label} ({}) is {state} and made no tuned model: only a succeeded job's model can be rebased",
                job.name
            ),
            RebaseProblem::NotTunable { model } => format!(
                "--base-model {model}: Vertex AI does not tune it; choose one of {}",
                rebase_targets(&job, chrono::Utc::now().date_naive()).join(", ")
            ),
            RebaseProblem::SameBase { model } => format!(
                "--base-model {model}: {label} was tuned from {model} already; choose another: {}",
                rebase_targets(&job, chrono::Utc::now().date_naive()).join(", ")
            ),
        })
    })?;
    let new = client
        .rebase_tuned_model(&job.name, &args.base_model, args.same_endpoint)
        .await?;
    eprintln!(
        "Rebasing {label} from {old_base} onto {}: new tuning job {}",
        args.base_model, new.name
    );
    Ok(new)
}
