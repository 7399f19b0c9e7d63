//! Configuration: a TOML file in the XDG config dir, the environment, and flags, resolved once at
//! start into the backend and credentials to use, in the order of the README's "Configuration and
//! auth":
//!
//! 1. an explicit endpoint (`--endpoint`, config `endpoint`), with a key if one is found;
//! 2. an API key: `--api-key`, `GEMINI_API_KEY`, `GOOGLE_API_KEY`, config `api_key`;
//! 3. OAuth application-default credentials (files only; see `api::auth`);
//! 4. nothing: the embedded emulator.
//!
//! The result says where each choice came from, for the header and `tunedeck doctor`.

use crate::api::auth::{AdcSource, OAuth, last_four};
use crate::api::client::DEFAULT_BASE_URL;
use crate::api::{ClientConfig, Credentials};
use secrecy::SecretString;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub mod contexts;

/// Flags shared by every command.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct GlobalArgs {
    /// Any server speaking the Gemini API (an emulator elsewhere, a proxy).
    #[arg(long, global = true)]
    pub endpoint: Option<String>,
    /// API key. Warning: a flag's value shows in `ps` to every user of the machine; prefer
    /// --api-key-file, GEMINI_API_KEY or the config file.
    #[arg(long, global = true, hide_env_values = true)]
    pub api_key: Option<String>,
    /// Read the API key from this file (`-`: stdin), which `ps` does not show.
    #[arg(long, global = true, value_name = "FILE", conflicts_with = "api_key")]
    pub api_key_file: Option<PathBuf>,
    /// An OAuth access token to send as is (after an API key, before application-default
    /// credentials). Warning: a flag's value shows in `ps`; prefer
    /// TUNEDECK_ACCESS_TOKEN="$(gcloud auth print-access-token)" or --access-token-file.
    #[arg(
        long,
        global = true,
        env = "TUNEDECK_ACCESS_TOKEN",
        hide_env_values = true
    )]
    pub access_token: Option<String>,
    /// Read the OAuth access token from this file (`-`: stdin), which `ps` does not show; it
    /// wins over TUNEDECK_ACCESS_TOKEN.
    #[arg(long, global = true, value_name = "FILE")]
    pub access_token_file: Option<PathBuf>,
    /// Where `api_key` came from when not `--api-key` (set by [`GlobalArgs::read_secret_files`]).
    #[arg(skip)]
    pub api_key_from: Option<String>,
    /// Where `access_token` came from when not `--access-token`.
    #[arg(skip)]
    pub access_token_from: Option<String>,
    /// The Google Cloud project: Vertex AI's jobs live in it; for the Gemini API, the quota
    /// project sent as x-goog-user-project with OAuth (a login or --access-token).
    #[arg(long, global = true)]
    pub project: Option<String>,
    /// Speak Vertex AI instead of the Gemini API (also `backend = "vertex"` in the config file,
    /// or GOOGLE_GENAI_USE_VERTEXAI=true).
    #[arg(long, global = true)]
    pub vertex: bool,
    /// Vertex AI location (default: GOOGLE_CLOUD_LOCATION, else us-central1).
    #[arg(long, global = true)]
    pub location: Option<String>,
    /// API version for generation and base models (v1beta, or v1). Tuned models exist only in
    /// v1beta, so managing them (list, get, create, update, delete, permissions) always uses it.
    #[arg(long, global = true)]
    pub api_version: Option<String>,
    /// Use the embedded emulator even when credentials exist.
    #[arg(long, global = true)]
    pub emulator: bool,
    /// A `[[contexts]]` entry of the config file: its project and location, on Vertex AI.
    #[arg(long, global = true, value_name = "NAME")]
    pub context: Option<String>,
    /// Config file (default: $XDG_CONFIG_HOME/tunedeck/config.toml).
    #[arg(long, global = true, env = "TUNEDECK_CONFIG")]
    pub config: Option<PathBuf>,
}

impl GlobalArgs {
    /// Reads `--api-key-file` and `--access-token-file` (`-`: stdin, for one of them) into the
    /// key and token, so that resolution treats them as given; an error names the flag and file.
    pub fn read_secret_files(&mut self) -> Result<(), String> {
        let stdin = std::path::Path::new("-");
        if self.api_key_file.as_deref() == Some(stdin)
            && self.access_token_file.as_deref() == Some(stdin)
        {
            return Err(
                "--api-key-file - and --access-token-file - cannot both read stdin: give one a file"
                    .into(),
            );
        }
        if let Some(path) = &self.api_key_file {
            self.api_key = Some(crate::api::auth::read_secret(path, "--api-key-file")?);
            self.api_key_from = Some(format!("--api-key-file {}", shown_path(path)));
        }
        if let Some(path) = &self.access_token_file {
            self.access_token = Some(crate::api::auth::read_secret(path, "--access-token-file")?);
            self.access_token_from = Some(format!("--access-token-file {}", shown_path(path)));
        }
        Ok(())
    }
}

/// A secret file's name as messages show it: `-` is stdin.
fn shown_path(path: &Path) -> String {
    if path == Path::new("-") {
        "(stdin)".into()
    } else {
        path.display().to_string()
    }
}

/// The config file. Unknown keys are an error, so a typo is not silently ignored.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub endpoint: Option<String>,
    pub api_key: Option<String>,
    pub project: Option<String>,
    /// `"gemini"` (the default) or `"vertex"`.
    pub backend: Option<String>,
    /// Vertex AI location.
    pub location: Option<String>,
    pub api_version: Option<String>,
    /// Key bindings per context, overriding assets/default-config.toml.
    pub keys: Option<KeysTable>,
    pub theme: Option<ThemeConfig>,
    pub poll: Option<PollConfig>,
    pub monitor: Option<MonitorConfig>,
    /// The context current when `--context` is not given.
    pub context: Option<toml::Spanned<String>>,
    /// Named project/location pairs (`[[contexts]]`), switched with `:ctx`.
    #[serde(default)]
    pub contexts: Vec<contexts::ContextConfig>,
    pub prices: Option<PricesConfig>,
}

/// The `[prices]` table: USD per 1M training tokens by base model (`"gemini-2.5-flash" = 5.0`),
/// and `as_of`, the date they were read, shown beside every estimate made with them.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PricesConfig {
    pub as_of: Option<String>,
    #[serde(flatten)]
    pub models: std::collections::BTreeMap<String, f64>,
}

/// The `[monitor]` table.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MonitorConfig {
    pub bell: Option<bool>,
    pub stall_factor: Option<f64>,
    pub ema_alpha: Option<f64>,
}

/// Colour names (ratatui's: "cyan", "lightred", "#ff8800", …).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThemeConfig {
    pub accent: Option<String>,
    pub ok: Option<String>,
    pub warn: Option<String>,
    pub error: Option<String>,
    pub muted: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PollConfig {
    pub list_refresh_secs: Option<u64>,
    /// Job polling: the shortest interval (while steps keep arriving), the first one, the
    /// longest (after errors or when nothing moves), in seconds.
    pub job_min_secs: Option<f64>,
    pub job_start_secs: Option<f64>,
    pub job_max_secs: Option<f64>,
}

/// The `[keys]` table of a config file: context → action → keys, checked by the app's keymap.
pub type KeysTable =
    std::collections::BTreeMap<String, std::collections::BTreeMap<String, Vec<String>>>;

/// The compiled-in defaults (keymap, theme, poll intervals).
pub const DEFAULT_CONFIG: &str = include_str!("../assets/default-config.toml");

/// Job polling intervals, validated: the shortest (while steps keep arriving), the first, the
/// longest (after errors or when nothing moves).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PollIntervals {
    pub min: std::time::Duration,
    pub start: std::time::Duration,
    pub max: std::time::Duration,
}

impl Default for PollIntervals {
    fn default() -> Self {
        PollIntervals {
            min: std::time::Duration::from_millis(500),
            start: std::time::Duration::from_secs(2),
            max: std::time::Duration::from_secs(30),
        }
    }
}

impl PollIntervals {
    /// The defaults' `[poll]` overridden by the user's; an error names the entry.
    pub fn load(defaults: Option<&PollConfig>, user: Option<&PollConfig>) -> Result<Self, String> {
        let poll_of = |f: fn(&PollConfig) -> Option<f64>| user.and_then(f).or(defaults.and_then(f));
        let secs_of = |v: Option<f64>, name: &str| -> Result<Option<std::time::Duration>, String> {
            v.map(|x| {
                if x.is_finite() && x > 0.0 {
                    Ok(std::time::Duration::from_secs_f64(x))
                } else {
                    Err(format!(
                        "[poll] {name} = {x}: it must be a positive number of seconds"
                    ))
                }
            })
            .transpose()
        };
        let mut poll = PollIntervals::default();
        if let Some(d) = secs_of(poll_of(|p| p.job_min_secs), "job_min_secs")? {
            poll.min = d;
        }
        if let Some(d) = secs_of(poll_of(|p| p.job_start_secs), "job_start_secs")? {
            poll.start = d;
        }
        if let Some(d) = secs_of(poll_of(|p| p.job_max_secs), "job_max_secs")? {
            poll.max = d;
        }
        if poll.min > poll.max {
            return Err("[poll] job_min_secs is larger than job_max_secs".into());
        }
        Ok(poll)
    }
}

impl std::fmt::Display for FileConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "endpoint={:?} api_key={} project={:?} api_version={:?}",
            self.endpoint,
            if self.api_key.is_some() {
                "(set)"
            } else {
                "(unset)"
            },
            self.project,
            self.api_version
        )
    }
}

/// The default config file path.
pub fn default_config_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "tunedeck").map(|d| d.config_dir().join("config.toml"))
}

/// Reads the config file; a missing file is an empty config, a broken one an error naming the
/// file, line and reason.
pub fn load_file(path: &Path) -> Result<FileConfig, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(FileConfig::default()),
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    let file: FileConfig = toml::from_str(&text).map_err(|e| {
        let position = e
            .span()
            .map(|span| {
                let line = text[..span.start].matches('\n').count() + 1;
                format!(" line {line}:")
            })
            .unwrap_or_default();
        // toml's message may quote the offending line; never echo an api_key value.
        let message = e.message().to_owned();
        format!("{}:{position} {message}", path.display())
    })?;
    if let Some(backend) = file.backend.as_deref()
        && backend != "gemini"
        && backend != "vertex"
    {
        let line = text
            .lines()
            .position(|l| l.trim_start().starts_with("backend"))
            .map_or(String::new(), |i| format!(" line {}:", i + 1));
        return Err(format!(
            "{}:{line} backend = {backend:?}: it is \"gemini\" or \"vertex\"",
            path.display()
        ));
    }
    contexts::check(&file, &text, path)?;
    Ok(file)
}

/// A warning when the config file holds `api_key` and others can read it, with the `chmod`
/// that fixes it, as ssh warns about a private key: anyone who can read the file has the key.
pub fn exposed_key_warning(path: &Path, file: &FileConfig) -> Option<String> {
    file.api_key.as_ref()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
        let who = match (mode & 0o040 != 0, mode & 0o004 != 0) {
            (false, false) => return None,
            (true, true) => "its group and everyone else",
            (true, false) => "its group",
            (false, true) => "everyone else",
        };
        let shown = path.display();
        Some(format!(
            "{shown} holds api_key and is readable by {who} (mode {mode:03o}): `chmod 600 {shown}` keeps it to you"
        ))
    }
    #[cfg(not(unix))]
    None
}

/// Where the backend came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    /// The live Gemini API.
    Gemini { base_url: String },
    /// Vertex AI's host for the location.
    Vertex { base_url: String },
    /// A server named by --endpoint or the config file.
    Endpoint { base_url: String, from: String },
    /// The emulator started in-process.
    EmbeddedEmulator,
}

/// Where the credentials came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthSource {
    None,
    ApiKey {
        from: String,
        last_four: String,
    },
    OAuth {
        source: AdcSource,
        project: Option<String>,
    },
    AccessToken {
        from: String,
        last_four: String,
    },
}

impl AuthSource {
    /// For the header: never more than the key's last four characters.
    pub fn describe(&self) -> String {
        match self {
            AuthSource::None => "no credentials".into(),
            AuthSource::ApiKey { from, last_four } => format!("API key {last_four} from {from}"),
            AuthSource::AccessToken { from, last_four } => {
                format!("OAuth access token {last_four} from {from}")
            }
            AuthSource::OAuth { source, project } => match project {
                Some(p) => format!("OAuth: {} (project {p})", source.describe()),
                None => format!("OAuth: {}", source.describe()),
            },
        }
    }
}

/// Vertex AI, when it was chosen: the project and location its requests name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VertexTarget {
    /// `None` when nothing named one (an error, except on the embedded emulator).
    pub project: Option<String>,
    pub location: String,
    /// What chose Vertex AI, for the header and errors.
    pub chosen_by: String,
}

impl VertexTarget {
    /// The project, or what to do about its absence.
    pub fn require_project(&self) -> Result<&str, String> {
        self.project.as_deref().ok_or_else(|| {
            format!(
                "Vertex AI (chosen by {}) needs a Google Cloud project: pass --project ID, set project = \"ID\" in the config file, or export GOOGLE_CLOUD_PROJECT=ID (`gcloud auth application-default set-quota-project ID` also names one)",
                self.chosen_by
            )
        })
    }
}

/// The outcome of resolution.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub backend: Backend,
    /// Set when Vertex AI was chosen.
    pub vertex: Option<VertexTarget>,
    pub credentials: Credentials,
    pub auth: AuthSource,
    pub api_version: String,
    /// Things the user should know (e.g. two different keys in the environment).
    pub warnings: Vec<String>,
}

impl Resolved {
    /// A client configuration for a base URL (the emulator's is known only once it runs).
    pub fn client_config(&self, base_url: &str) -> ClientConfig {
        let mut config = ClientConfig::new(base_url, self.credentials.clone());
        config.api_version = self.api_version.clone();
        config
    }

    /// The base URL, unless the embedded emulator is to be started.
    pub fn base_url(&self) -> Option<&str> {
        match &self.backend {
            Backend::Gemini { base_url }
            | Backend::Vertex { base_url }
            | Backend::Endpoint { base_url, .. } => Some(base_url),
            Backend::EmbeddedEmulator => None,
        }
    }
}

/// An API key (and where it came from) as credentials and what the header says of them.
fn key_auth((key, from): (String, String)) -> (Credentials, AuthSource) {
    let secret = SecretString::from(key);
    let auth = AuthSource::ApiKey {
        from,
        last_four: last_four(&secret),
    };
    (Credentials::ApiKey(secret), auth)
}

/// An OAuth access token given as is, as credentials and what the header says of them;
/// `project` is the quota project sent with it.
fn token_auth(
    (token, from): (String, String),
    project: Option<String>,
) -> (Credentials, AuthSource) {
    let secret = SecretString::from(token);
    let auth = AuthSource::AccessToken {
        from,
        last_four: last_four(&secret),
    };
    (Credentials::AccessToken(secret, project), auth)
}

/// Resolves flags, file and environment. `env` reads a variable and `adc` is what
/// [`AdcSource::discover`] found: both are parameters so that tests need not touch the process.
pub fn resolve(
    flags: &GlobalArgs,
    file: &FileConfig,
    env: &dyn Fn(&str) -> Option<String>,
    adc: Option<AdcSource>,
) -> Resolved {
    let mut warnings = Vec::new();
    let nonempty = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
    let gemini = nonempty(env("GEMINI_API_KEY"));
    let google = nonempty(env("GOOGLE_API_KEY"));
    if let (Some(a), Some(b)) = (&gemini, &google)
        && a != b
    {
        warnings.push("GEMINI_API_KEY and GOOGLE_API_KEY are both set and differ; using GEMINI_API_KEY (the google-genai SDK would use GOOGLE_API_KEY).".into());
    }
    let key: Option<(String, String)> = nonempty(flags.api_key.clone())
        .map(|k| {
            let from = flags.api_key_from.as_deref().unwrap_or("--api-key");
            (k, from.to_owned())
        })
        .or_else(|| gemini.map(|k| (k, "GEMINI_API_KEY".to_owned())))
        .or_else(|| google.map(|k| (k, "GOOGLE_API_KEY".to_owned())))
        .or_else(|| nonempty(file.api_key.clone()).map(|k| (k, "the config file".to_owned())));
    let api_version = flags
        .api_version
        .clone()
        .or_else(|| file.api_version.clone())
        .unwrap_or_else(|| "v1beta".into());
    let token = nonempty(flags.access_token.clone()).map(|t| {
        let from = flags
            .access_token_from
            .as_deref()
            .unwrap_or("--access-token");
        (t, from.to_owned())
    });
    let vertex = vertex_target(flags, file, env, adc.as_ref());
    if let Some(target) = &vertex {
        return resolve_vertex(
            flags,
            file,
            target.clone(),
            key,
            token,
            adc,
            api_version,
            warnings,
        );
    }
    // The quota project that user credentials (a token, a login) are billed to.
    let project = nonempty(flags.project.clone())
        .or_else(|| nonempty(file.project.clone()))
        .or_else(|| nonempty(env("GOOGLE_CLOUD_PROJECT")));
    // An API key first, then a token given as is.
    let key = key
        .map(key_auth)
        .or_else(|| token.map(|t| token_auth(t, project.clone())));
    if flags.emulator {
        return Resolved {
            vertex: None,
            backend: Backend::EmbeddedEmulator,
            credentials: Credentials::None,
            auth: AuthSource::None,
            api_version,
            warnings,
        };
    }
    let endpoint = nonempty(flags.endpoint.clone())
        .map(|e| (e, "--endpoint".to_owned()))
        .or_else(|| nonempty(file.endpoint.clone()).map(|e| (e, "the config file".to_owned())));
    if let Some((base_url, from)) = endpoint {
        let (credentials, auth) = key.unwrap_or((Credentials::None, AuthSource::None));
        return Resolved {
            vertex: None,
            backend: Backend::Endpoint {
                base_url: base_url.trim_end_matches('/').to_owned(),
                from,
            },
            credentials,
            auth,
            api_version,
            warnings,
        };
    }
    let gemini_backend = Backend::Gemini {
        base_url: DEFAULT_BASE_URL.to_owned(),
    };
    if let Some((credentials, auth)) = key {
        return Resolved {
            vertex: None,
            backend: gemini_backend,
            credentials,
            auth,
            api_version,
            warnings,
        };
    }
    if let Some(source) = adc {
        return Resolved {
            vertex: None,
            backend: gemini_backend,
            credentials: Credentials::OAuth(Arc::new(OAuth::new(source.clone(), project.clone()))),
            auth: AuthSource::OAuth { source, project },
            api_version,
            warnings,
        };
    }
    Resolved {
        vertex: None,
        backend: Backend::EmbeddedEmulator,
        credentials: Credentials::None,
        auth: AuthSource::None,
        api_version,
        warnings,
    }
}

/// Whether Vertex AI was chosen, and its project and location: `--vertex`, `backend =
/// "vertex"`, or GOOGLE_GENAI_USE_VERTEXAI (and its alias GOOGLE_GENAI_USE_ENTERPRISE), as
/// google-genai reads them; the project from `--project`, the file, GOOGLE_CLOUD_PROJECT or the
/// credentials file; the location from `--location`, the file, GOOGLE_CLOUD_LOCATION, else
/// us-central1.
fn vertex_target(
    flags: &GlobalArgs,
    file: &FileConfig,
    env: &dyn Fn(&str) -> Option<String>,
    adc: Option<&AdcSource>,
) -> Option<VertexTarget> {
    let truthy = |name: &str| {
        env(name).is_some_and(|v| matches!(v.trim().to_lowercase().as_str(), "true" | "1" | "yes"))
    };
    let chosen_by = if flags.vertex {
        "--vertex"
    } else if file.backend.as_deref() == Some("vertex") {
        "backend = \"vertex\" in the config file"
    } else if file.backend.is_none() && truthy("GOOGLE_GENAI_USE_VERTEXAI") {
        "GOOGLE_GENAI_USE_VERTEXAI"
    } else if file.backend.is_none() && truthy("GOOGLE_GENAI_USE_ENTERPRISE") {
        "GOOGLE_GENAI_USE_ENTERPRISE"
    } else {
        return None;
    };
    let nonempty = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
    let project = nonempty(flags.project.clone())
        .or_else(|| nonempty(file.project.clone()))
        .or_else(|| nonempty(env("GOOGLE_CLOUD_PROJECT")))
        .or_else(|| adc.and_then(AdcSource::project));
    let location = nonempty(flags.location.clone())
        .or_else(|| nonempty(file.location.clone()))
        .or_else(|| nonempty(env("GOOGLE_CLOUD_LOCATION")))
        .unwrap_or_else(|| crate::domain::vertex::DEFAULT_LOCATION.to_owned());
    Some(VertexTarget {
        project,
        location,
        chosen_by: chosen_by.to_owned(),
    })
}

/// Resolution once Vertex AI is chosen: an endpoint (with whatever credentials were given),
/// else an access token, application-default credentials with the `cloud-platform` scope, or an
/// API key (express mode: generation only, tuning refuses it); with none, the embedded
/// emulator and its Vertex demo project.
#[allow(clippy::too_many_arguments)]
fn resolve_vertex(
    flags: &GlobalArgs,
    file: &FileConfig,
    target: VertexTarget,
    key: Option<(String, String)>,
    token: Option<(String, String)>,
    adc: Option<AdcSource>,
    api_version: String,
    mut warnings: Vec<String>,
) -> Resolved {
    let nonempty = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
    let embedded = |mut target: VertexTarget, warnings: Vec<String>| {
        target
            .project
            .get_or_insert_with(|| crate::emulator::demo::VERTEX_DEMO_PROJECT.to_owned());
        Resolved {
            vertex: Some(target),
            backend: Backend::EmbeddedEmulator,
            credentials: Credentials::None,
            auth: AuthSource::None,
            api_version: api_version.clone(),
            warnings,
        }
    };
    if flags.emulator {
        return embedded(target, warnings);
    }
    // On Vertex AI the project is in every URL: a token goes as it is.
    let given = token
        .map(|t| token_auth(t, None))
        .or_else(|| key.map(key_auth));
    let endpoint = nonempty(flags.endpoint.clone())
        .map(|e| (e, "--endpoint".to_owned()))
        .or_else(|| nonempty(file.endpoint.clone()).map(|e| (e, "the config file".to_owned())));
    if let Some((base_url, from)) = endpoint {
        let (credentials, auth) = given.unwrap_or((Credentials::None, AuthSource::None));
        return Resolved {
            vertex: Some(target),
            backend: Backend::Endpoint {
                base_url: base_url.trim_end_matches('/').to_owned(),
                from,
            },
            credentials,
            auth,
            api_version,
            warnings,
        };
    }
    let live = Backend::Vertex {
        base_url: crate::api::vertex::client::aiplatform_host(&target.location),
    };
    let (credentials, auth) = match (given, adc) {
        (Some((c, a @ AuthSource::AccessToken { .. })), _) => (c, a),
        (_, Some(source)) => {
            let quota = source.project();
            (
                Credentials::OAuth(Arc::new(OAuth::for_vertex(source.clone(), quota.clone()))),
                AuthSource::OAuth {
                    source,
                    project: quota,
                },
            )
        }
        (Some((c, a)), None) => {
            warnings.push("Vertex AI tuning needs OAuth (`gcloud auth application-default login`, or --access-token); an API key reaches only express mode's generation.".into());
            (c, a)
        }
        (None, None) => return embedded(target, warnings),
    };
    Resolved {
        vertex: Some(target),
        backend: live,
        credentials,
        auth,
        api_version,
        warnings,
    }
}

/// Resolution from the real process: flags, the config file, the environment, ADC files.
pub fn resolve_from_process(flags: &GlobalArgs) -> Result<Resolved, String> {
    let mut flags = flags.clone();
    flags.read_secret_files()?;
    let flags = &flags;
    let path = flags.config.clone().or_else(default_config_path);
    let file = match &path {
        Some(p) => load_file(p)?,
        None => FileConfig::default(),
    };
    let mut flags = flags.clone();
    contexts::apply(&mut flags, &file)?;
    let flags = &flags;
    let env = |name: &str| std::env::var(name).ok();
    let mut resolved = resolve(flags, &file, &env, AdcSource::discover());
    if let Some(warning) = path.and_then(|p| exposed_key_warning(&p, &file)) {
        resolved.warnings.push(warning);
    }
    Ok(resolved)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn nothing_found_means_the_embedded_emulator() {
        let r = resolve(
            &GlobalArgs::default(),
            &FileConfig::default(),
            &env_of(&[]),
            None,
        );
        assert_eq!(r.backend, Backend::EmbeddedEmulator);
        assert_eq!(r.auth, AuthSource::None);
    }

    #[test]
    fn key_order_flag_then_gemini_then_google_then_file() {
        let file = FileConfig {
            api_key: Some("file-key-0004".into()),
            ..Default::default()
        };
        let both = env_of(&[
            ("GEMINI_API_KEY", "gemini-key-0002"),
            ("GOOGLE_API_KEY", "google-key-0003"),
        ]);
        let flags = GlobalArgs {
            api_key: Some("flag-key-0001".into()),
            ..Default::default()
        };
        let r = resolve(&flags, &file, &both, None);
        assert_eq!(r.auth.describe(), "API key …0001 from --api-key");
        let r = resolve(&GlobalArgs::default(), &file, &both, None);
        assert_eq!(r.auth.describe(), "API key …0002 from GEMINI_API_KEY");
        assert_eq!(r.warnings.len(), 1, "differing keys are warned about");
        let r = resolve(
            &GlobalArgs::default(),
            &file,
            &env_of(&[("GOOGLE_API_KEY", "google-key-0003")]),
            None,
        );
        assert_eq!(r.auth.describe(), "API key …0003 from GOOGLE_API_KEY");
        let r = resolve(&GlobalArgs::default(), &file, &env_of(&[]), None);
        assert_eq!(r.auth.describe(), "API key …0004 from the config file");
        assert!(matches!(r.backend, Backend::Gemini { .. }));
    }

    #[test]
    fn an_endpoint_wins_and_keeps_the_key() {
        let flags = GlobalArgs {
            endpoint: Some("http://127.0.0.1:9/".into()),
            ..Default::default()
        };
        let r = resolve(
            &flags,
            &FileConfig::default(),
            &env_of(&[("GEMINI_API_KEY", "k-1234567")]),
            None,
        );
        assert_eq!(r.base_url(), Some("http://127.0.0.1:9"));
        assert!(matches!(r.credentials, Credentials::ApiKey(_)));
    }

    #[test]
    fn oauth_when_credential_files_exist_with_the_project() {
        let adc = AdcSource::GcloudUserFile("/tmp/adc.json".into());
        let r = resolve(
            &GlobalArgs::default(),
            &FileConfig::default(),
            &env_of(&[("GOOGLE_CLOUD_PROJECT", "proj")]),
            Some(adc),
        );
        assert!(matches!(r.credentials, Credentials::OAuth(_)));
        assert_eq!(
            r.auth.describe(),
            "OAuth: gcloud application-default login (project proj)"
        );
    }

    #[test]
    fn a_broken_file_names_the_file_and_line_but_not_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(
            &path,
            "endpoint = \"x\"\napi_key = \"sekrit-value-123\"\nendpont = 3\n",
        )
        .unwrap();
        let err = load_file(&path).unwrap_err();
        assert!(err.contains("config.toml"), "{err}");
        assert!(err.contains("line 3"), "{err}");
        assert!(err.contains("endpont"), "{err}");
        assert!(!err.contains("sekrit"), "{err}");
    }

    #[test]
    fn vertex_is_chosen_by_flag_file_or_env_with_project_and_location() {
        let adc = AdcSource::GcloudUserFile("/nonexistent/adc.json".into());
        let r = resolve(
            &GlobalArgs::default(),
            &FileConfig::default(),
            &env_of(&[
                ("GOOGLE_GENAI_USE_VERTEXAI", "True"),
                ("GOOGLE_CLOUD_PROJECT", "proj"),
            ]),
            Some(adc.clone()),
        );
        let target = r.vertex.clone().expect("vertex");
        assert_eq!(target.chosen_by, "GOOGLE_GENAI_USE_VERTEXAI");
        assert_eq!(
            (target.project.as_deref(), target.location.as_str()),
            (Some("proj"), "us-central1")
        );
        assert_eq!(
            r.base_url(),
            Some("https://us-central1-aiplatform.googleapis.com")
        );
        assert!(
            matches!(&r.credentials, Credentials::OAuth(o) if o.scopes == crate::api::auth::VERTEX_SCOPES)
        );
        // The file says gemini: the environment does not override it.
        let file = FileConfig {
            backend: Some("gemini".into()),
            ..Default::default()
        };
        let r = resolve(
            &GlobalArgs::default(),
            &file,
            &env_of(&[("GOOGLE_GENAI_USE_VERTEXAI", "true")]),
            None,
        );
        assert!(r.vertex.is_none());
        // A flag, a location, no project: the error says how to name one.
        let flags = GlobalArgs {
            vertex: true,
            location: Some("eu".into()),
            endpoint: Some("http://127.0.0.1:9".into()),
            ..Default::default()
        };
        let r = resolve(&flags, &FileConfig::default(), &env_of(&[]), None);
        let target = r.vertex.clone().expect("vertex");
        assert_eq!(target.location, "eu");
        let e = target.require_project().unwrap_err();
        assert!(
            e.contains("--project") && e.contains("GOOGLE_CLOUD_PROJECT"),
            "{e}"
        );
        assert_eq!(r.base_url(), Some("http://127.0.0.1:9"));
        // Nothing found: the embedded emulator's Vertex demo project.
        let flags = GlobalArgs {
            vertex: true,
            ..Default::default()
        };
        let r = resolve(&flags, &FileConfig::default(), &env_of(&[]), None);
        assert_eq!(r.backend, Backend::EmbeddedEmulator);
        assert_eq!(r.vertex.unwrap().project.as_deref(), Some("tunedeck-demo"));
    }

    #[test]
    fn an_unknown_backend_in_the_file_names_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, "project = \"p\"\nbackend = \"vertx\"\n").unwrap();
        let err = load_file(&path).unwrap_err();
        assert!(err.contains("line 2") && err.contains("vertx"), "{err}");
    }

    #[test]
    fn an_access_token_carries_the_quota_project_on_the_gemini_api_only() {
        let flags = GlobalArgs {
            access_token: Some("ya29.token-1234".into()),
            project: Some("quota-p".into()),
            ..Default::default()
        };
        let r = resolve(&flags, &FileConfig::default(), &env_of(&[]), None);
        assert!(
            matches!(&r.credentials, Credentials::AccessToken(_, Some(p)) if p == "quota-p"),
            "{:?}",
            r.credentials
        );
        let flags = GlobalArgs {
            vertex: true,
            ..flags
        };
        let r = resolve(&flags, &FileConfig::default(), &env_of(&[]), None);
        assert!(
            matches!(&r.credentials, Credentials::AccessToken(_, None)),
            "{:?}",
            r.credentials
        );
    }

    #[test]
    fn debug_output_never_shows_the_key() {
        let r = resolve(
            &GlobalArgs::default(),
            &FileConfig::default(),
            &env_of(&[("GEMINI_API_KEY", "AIzaSECRETSECRET9876")]),
            None,
        );
        let shown = format!("{r:?} {}", r.auth.describe());
        assert!(!shown.contains("AIzaSECRETSECRET"), "{shown}");
        assert!(shown.contains("9876"));
    }

    #[test]
    fn prices_are_read_with_their_date_and_a_bad_one_names_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(
            &path,
            "[prices]\nas_of = \"2026-11-30\"\n\"gemini-2.5-flash\" = 4.5\n",
        )
        .unwrap();
        let prices = load_file(&path).unwrap().prices.unwrap();
        assert_eq!(prices.as_of.as_deref(), Some("2026-11-30"));
        assert_eq!(prices.models.get("gemini-2.5-flash"), Some(&4.5));
        std::fs::write(&path, "[prices]\n\"gemini-2.5-flash\" = \"cheap\"\n").unwrap();
        let error = load_file(&path).unwrap_err();
        assert!(error.contains("config.toml"), "{error}");
        assert!(error.contains("line"), "{error}");
    }
}
