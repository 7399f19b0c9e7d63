//! `tunedeck doctor`: which endpoint and credentials would be used and why, each checked live,
//! with the fix for what fails.

use super::{CliResult, exit};
use crate::config::{self, AuthSource, Backend, GlobalArgs};

fn check(ok: bool, what: &str, detail: &str) {
    outln!(
        "{} {what}{}",
        if ok { "✓" } else { "✗" },
        if detail.is_empty() {
            String::new()
        } else {
            format!(": {detail}")
        }
    );
}

#[derive(Debug, clap::Args)]
pub struct DoctorArgs {
    /// Vertex AI: also check that this Cloud Storage bucket can be listed (where `tune
    /// --bucket` uploads).
    #[arg(long)]
    pub bucket: Option<String>,
}

pub async fn run(flags: &GlobalArgs, args: DoctorArgs) -> CliResult {
    let mut failures = 0;
    let path = flags.config.clone().or_else(config::default_config_path);
    match &path {
        Some(p) if p.exists() => match config::load_file(p) {
            Ok(_) => check(true, "config file", &p.display().to_string()),
            Err(e) => {
                failures += 1;
                check(false, "config file", &e);
                outln!("  fix: correct the file, or move it away to use the defaults");
            }
        },
        Some(p) => check(
            true,
            "config file",
            &format!("none at {} (defaults used)", p.display()),
        ),
        None => check(true, "config file", "no config directory (defaults used)"),
    }
    let resolved = match config::resolve_from_process(flags) {
        Ok(r) => r,
        Err(e) => {
            outln!("✗ resolution: {e}");
            return Ok(exit::FAILED);
        }
    };
    let why = match &resolved.backend {
        Backend::Gemini { base_url } => {
            format!("{base_url} (the Gemini API, because credentials were found)")
        }
        Backend::Vertex { base_url } => {
            format!("{base_url} (Vertex AI, because credentials were found)")
        }
        Backend::Endpoint { base_url, from } => format!("{base_url} (from {from})"),
        Backend::EmbeddedEmulator => {
            "the embedded emulator (no --endpoint and no credentials found)".into()
        }
    };
    check(true, "endpoint", &why);
    check(true, "credentials", &resolved.auth.describe());
    for warning in &resolved.warnings {
        outln!("! {warning}");
    }
    if let Some(target) = &resolved.vertex {
        check(
            true,
            "backend",
            &format!("Vertex AI (chosen by {})", target.chosen_by),
        );
        match target.require_project() {
            Ok(p) => check(true, "project", p),
            Err(e) => {
                check(false, "project", "none named");
                outln!("  fix: {}", e.trim_start_matches("Vertex AI "));
                return Ok(exit::FAILED);
            }
        }
        let known = ["us-central1", "europe-west4"].contains(&target.location.as_str());
        check(
            true,
            "location",
            &if known {
                target.location.clone()
            } else {
                format!(
                    "{} (Gemini 3.x tunes in us-central1 and europe-west4; --location or GOOGLE_CLOUD_LOCATION changes it)",
                    target.location
                )
            },
        );
    }
    let connected = match super::connect(flags).await {
        Ok(c) => c,
        Err(e) => {
            check(false, "client", &e.message);
            return Ok(exit::FAILED);
        }
    };
    if let Some(vertex) = &connected.vertex {
        failures += vertex_checks(vertex, &resolved.auth, args.bucket.as_deref()).await;
        connected.close().await;
        return Ok(if failures == 0 {
            exit::OK
        } else {
            exit::FAILED
        });
    }
    let client = &connected.client;
    match client.ping().await {
        Ok(()) => check(true, "models.list", "the service answers"),
        Err(e) => {
            failures += 1;
            check(false, "models.list", &e.to_string());
            outln!(
                "  fix: {}",
                e.hint().unwrap_or_else(|| fix_for(&resolved.auth))
            );
        }
    }
    match client.list_tuned_models(Some(1), "", None).await {
        Ok(_) => check(
            true,
            "tunedModels.list",
            "tuned models are readable with these credentials",
        ),
        Err(e) => {
            failures += 1;
            check(false, "tunedModels.list", &e.to_string());
            outln!(
                "  fix: {}",
                e.hint().unwrap_or_else(|| fix_for(&resolved.auth))
            );
        }
    }
    connected.close().await;
    Ok(if failures == 0 {
        exit::OK
    } else {
        exit::FAILED
    })
}

/// Vertex AI, checked live: credentials (a token can be had), the tuning API (which also
/// reveals a missing scope, role or quota), and the bucket when one is named. Returns the
/// failures.
async fn vertex_checks(
    client: &crate::api::vertex::client::VertexClient,
    auth: &AuthSource,
    bucket: Option<&str>,
) -> usize {
    let mut failures = 0;
    match client.list_tuning_jobs(Some(1), "", "").await {
        Ok(_) => check(
            true,
            "tuningJobs.list",
            "tuning jobs are readable with these credentials",
        ),
        Err(e) => {
            failures += 1;
            check(false, "tuningJobs.list", &e.to_string());
            outln!("  fix: {}", vertex_fix(&e, auth));
        }
    }
    if let Some(bucket) = bucket {
        match client.list_objects(bucket, "", 1).await {
            Ok(_) => check(true, "bucket", &format!("gs://{bucket} can be listed")),
            Err(e) => {
                failures += 1;
                check(false, "bucket", &format!("gs://{bucket}: {e}"));
                outln!(
                    "  fix: {}",
                    match e.http_status {
                        Some(404) => format!("create it: `gcloud storage buckets create gs://{bucket} --location=LOCATION` (in the tuning region)"),
                        Some(403) => "grant roles/storage.objectAdmin on it to you, and read access to the Vertex AI service agent".into(),
                        _ => vertex_fix(&e, auth),
                    }
                );
            }
        }
    }
    failures
}

/// What to do about a failed Vertex AI call.
fn vertex_fix(e: &crate::api::ApiError, auth: &AuthSource) -> String {
    let message = e.message.to_lowercase();
    match e.http_status {
        Some(401) if matches!(auth, AuthSource::ApiKey { .. }) => "Vertex AI tuning takes OAuth, not API keys: run `gcloud auth application-default login` (or pass --access-token \"$(gcloud auth print-access-token)\")".into(),
        Some(401) => "log in again: `gcloud auth application-default login` (the token is missing or expired)".into(),
        Some(403) if message.contains("scope") => "the token lacks the cloud-platform scope: `gcloud auth application-default login --scopes=https://www.googleapis.com/auth/cloud-platform`".into(),
        Some(403) => "grant yourself roles/aiplatform.user on the project, and enable the Vertex AI API (`gcloud services enable aiplatform.googleapis.com`)".into(),
        Some(404) => "check --project and --location: the project or location has no Vertex AI there".into(),
        Some(429) => "a quota is exhausted: tuning allows few concurrent jobs (\"Global concurrent tuning jobs\"); wait for a job to end, or request more quota in the console".into(),
        _ => e.hint().unwrap_or_else(|| fix_for(auth)),
    }
}

fn fix_for(auth: &AuthSource) -> String {
    match auth {
        AuthSource::None => "set GEMINI_API_KEY, or point --endpoint at a running `tunedeck emulator`".into(),
        AuthSource::ApiKey { .. } => "check the key in AI Studio (API keys) and that the Generative Language API is enabled for its project".into(),
        AuthSource::AccessToken { .. } => "get a fresh token (`gcloud auth print-access-token`); it must carry the cloud-platform or generative-language.tuning scope".into(),
        AuthSource::OAuth { .. } => "run `gcloud auth application-default login --scopes=https://www.googleapis.com/auth/cloud-platform,https://www.googleapis.com/auth/generative-language.tuning` and set a quota project with --project".into(),
    }
}
