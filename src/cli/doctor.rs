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

pub async fn run(flags: &GlobalArgs) -> CliResult {
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
    let connected = match super::connect(flags).await {
        Ok(c) => c,
        Err(e) => {
            check(false, "client", &e.message);
            return Ok(exit::FAILED);
        }
    };
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

fn fix_for(auth: &AuthSource) -> String {
    match auth {
        AuthSource::None => "set GEMINI_API_KEY, or point --endpoint at a running `tunedeck emulator`".into(),
        AuthSource::ApiKey { .. } => "check the key in AI Studio (API keys) and that the Generative Language API is enabled for its project".into(),
        AuthSource::AccessToken { .. } => "get a fresh token (`gcloud auth print-access-token`); it must carry the cloud-platform or generative-language.tuning scope".into(),
        AuthSource::OAuth { .. } => "run `gcloud auth application-default login --scopes=https://www.googleapis.com/auth/cloud-platform,https://www.googleapis.com/auth/generative-language.tuning` and set a quota project with --project".into(),
    }
}
