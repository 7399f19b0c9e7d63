//! How requests prove who they are: an API key in the `x-goog-api-key` header, an OAuth bearer
//! token from application-default credentials (gcp_auth), or nothing (the emulator).
//!
//! OAuth is resolved lazily, on the first request, under a timeout, so nothing blocks the first
//! frame. Only credential *files* are used (GOOGLE_APPLICATION_CREDENTIALS or gcloud's
//! application_default_credentials.json): gcp_auth's generic probe would also call the cloud
//! metadata server, which is off-limits on a laptop and slow to time out.

use super::error::ApiError;
use gcp_auth::{ConfigDefaultCredentials, CustomServiceAccount, TokenProvider};
use secrecy::{ExposeSecret, SecretString};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::OnceCell;

/// The scopes that tuning needs (the Gemini API's OAuth quickstart).
pub const OAUTH_SCOPES: &[&str] = &[
    "https://www.googleapis.com/auth/cloud-platform",
    "https://www.googleapis.com/auth/generative-language.tuning",
];

/// The scope Vertex AI (tuning, TensorBoard, Cloud Storage) needs, and all the genai SDK asks for.
pub const VERTEX_SCOPES: &[&str] = &["https://www.googleapis.com/auth/cloud-platform"];

const OAUTH_TIMEOUT: Duration = Duration::from_secs(15);

/// Where application-default credentials were found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdcSource {
    /// A service-account key named by GOOGLE_APPLICATION_CREDENTIALS.
    ServiceAccountFile(PathBuf),
    /// gcloud's `application_default_credentials.json` (a user login).
    GcloudUserFile(PathBuf),
}

impl AdcSource {
    /// Finds credential files without touching the network.
    pub fn discover() -> Option<AdcSource> {
        if let Some(path) = std::env::var_os("GOOGLE_APPLICATION_CREDENTIALS") {
            let path = PathBuf::from(path);
            if path.is_file() {
                return Some(AdcSource::ServiceAccountFile(path));
            }
        }
        let config_dir = std::env::var_os("CLOUDSDK_CONFIG")
            .map(PathBuf::from)
            .or_else(|| {
                directories::BaseDirs::new().map(|b| b.home_dir().join(".config/gcloud"))
            })?;
        let file = config_dir.join("application_default_credentials.json");
        file.is_file().then_some(AdcSource::GcloudUserFile(file))
    }

    /// The project the credentials file names: a user login's `quota_project_id`, a service
    /// account's `project_id` (read from the file, no network).
    pub fn project(&self) -> Option<String> {
        let (path, key) = match self {
            AdcSource::ServiceAccountFile(p) => (p, "project_id"),
            AdcSource::GcloudUserFile(p) => (p, "quota_project_id"),
        };
        let text = std::fs::read_to_string(path).ok()?;
        let value: serde_json::Value = serde_json::from_str(&text).ok()?;
        value
            .get(key)
            .and_then(|v| v.as_str())
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    }

    pub fn describe(&self) -> String {
        match self {
            AdcSource::ServiceAccountFile(p) => {
                format!("service account ({})", p.display())
            }
            AdcSource::GcloudUserFile(_) => "gcloud application-default login".to_owned(),
        }
    }
}

/// OAuth credentials, with the token provider made on first use.
pub struct OAuth {
    pub source: AdcSource,
    /// Sent as `x-goog-user-project` (quota and billing project).
    pub project: Option<String>,
    /// The scopes asked for: the Gemini API's tuning scopes, or Vertex AI's.
    pub scopes: &'static [&'static str],
    provider: OnceCell<Arc<dyn TokenProvider>>,
}

impl std::fmt::Debug for OAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuth")
            .field("source", &self.source)
            .field("project", &self.project)
            .finish_non_exhaustive()
    }
}

impl OAuth {
    pub fn new(source: AdcSource, project: Option<String>) -> Self {
        OAuth {
            source,
            project,
            scopes: OAUTH_SCOPES,
            provider: OnceCell::new(),
        }
    }

    /// Credentials for Vertex AI: the `cloud-platform` scope only.
    pub fn for_vertex(source: AdcSource, project: Option<String>) -> Self {
        OAuth {
            scopes: VERTEX_SCOPES,
            ..OAuth::new(source, project)
        }
    }

    async fn provider(&self) -> Result<&Arc<dyn TokenProvider>, ApiError> {
        self.provider
            .get_or_try_init(|| async {
                let made: Result<Arc<dyn TokenProvider>, gcp_auth::Error> = match &self.source {
                    AdcSource::ServiceAccountFile(path) => {
                        CustomServiceAccount::from_file(path).map(|p| Arc::new(p) as _)
                    }
                    AdcSource::GcloudUserFile(_) => {
                        match tokio::time::timeout(OAUTH_TIMEOUT, ConfigDefaultCredentials::new())
                            .await
                        {
                            Ok(r) => r.map(|p| Arc::new(p) as _),
                            Err(_) => {
                                return Err(ApiError::auth(
                                    "OAuth: timed out reading application-default credentials",
                                ));
                            }
                        }
                    }
                };
                made.map_err(|e| ApiError::auth(format!("OAuth credentials unusable: {e}")))
            })
            .await
    }

    /// A bearer token with the tuning scopes.
    pub async fn token(&self) -> Result<String, ApiError> {
        let provider = self.provider().await?;
        let token = tokio::time::timeout(OAUTH_TIMEOUT, provider.token(self.scopes))
            .await
            .map_err(|_| ApiError::auth("OAuth: timed out fetching an access token"))?
            .map_err(|e| ApiError::auth(format!("OAuth: could not get an access token: {e}")))?;
        Ok(token.as_str().to_owned())
    }
}

/// What the client sends to authenticate.
#[derive(Debug, Clone, Default)]
pub enum Credentials {
    /// Nothing: fine for the emulator, refused by the live service.
    #[default]
    None,
    ApiKey(SecretString),
    OAuth(Arc<OAuth>),
    /// An OAuth access token given as is (`TUNEDECK_ACCESS_TOKEN="$(gcloud auth
    /// print-access-token)"`), sent as a bearer token until it expires; on the Gemini API with
    /// the quota project (`--project`) that user credentials need, as `x-goog-user-project`.
    AccessToken(SecretString, Option<String>),
}

impl Credentials {
    pub fn api_key(key: impl Into<String>) -> Self {
        Credentials::ApiKey(SecretString::from(key.into()))
    }

    /// Adds the credentials' headers to a request.
    pub async fn apply(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<reqwest::RequestBuilder, ApiError> {
        Ok(match self {
            Credentials::None => request,
            Credentials::ApiKey(key) => request.header("x-goog-api-key", key.expose_secret()),
            Credentials::AccessToken(token, project) => {
                let request = request.bearer_auth(token.expose_secret());
                match project {
                    Some(project) => request.header("x-goog-user-project", project),
                    None => request,
                }
            }
            Credentials::OAuth(oauth) => {
                let token = oauth.token().await?;
                let request = request.bearer_auth(token);
                match &oauth.project {
                    Some(project) => request.header("x-goog-user-project", project),
                    None => request,
                }
            }
        })
    }
}

/// The last four characters of a secret, for display: all a screen or log may ever show.
pub fn last_four(secret: &SecretString) -> String {
    let s = secret.expose_secret();
    let n = s.chars().count();
    let tail: String = s.chars().skip(n.saturating_sub(4)).collect();
    if n <= 4 {
        "…".to_owned()
    } else {
        format!("…{tail}")
    }
}

/// The most a secret file is read of: a key or a token is far shorter, and a wrong path
/// (`/dev/zero`, a dataset) must not fill memory.
const MAX_SECRET_BYTES: u64 = 64 * 1024;

/// A key or token read from a file (`-`: stdin), for the `--…-file` flags that keep secrets out
/// of `ps`: the file's text without surrounding whitespace (a final newline included). An error
/// names the flag and the file, never the content.
pub fn read_secret(path: &std::path::Path, flag: &str) -> Result<String, String> {
    use std::io::Read;
    let shown = if path == std::path::Path::new("-") {
        "stdin".to_owned()
    } else {
        path.display().to_string()
    };
    let mut bytes = Vec::new();
    let read = if path == std::path::Path::new("-") {
        std::io::stdin()
            .lock()
            .take(MAX_SECRET_BYTES + 1)
            .read_to_end(&mut bytes)
    } else {
        std::fs::File::open(path).and_then(|f| f.take(MAX_SECRET_BYTES + 1).read_to_end(&mut bytes))
    };
    read.map_err(|e| format!("{flag} {shown}: {e}"))?;
    if bytes.len() as u64 > MAX_SECRET_BYTES {
        return Err(format!(
            "{flag} {shown}: over {} KiB; it should hold one key or token",
            MAX_SECRET_BYTES / 1024
        ));
    }
    let text = String::from_utf8(bytes).map_err(|_| format!("{flag} {shown}: not UTF-8 text"))?;
    let secret = text.trim();
    if secret.is_empty() {
        return Err(format!(
            "{flag} {shown}: empty; it should hold the key or token"
        ));
    }
    if secret.contains(char::is_whitespace) {
        return Err(format!(
            "{flag} {shown}: more than one word; it should hold the key or token alone"
        ));
    }
    Ok(secret.to_owned())
}
