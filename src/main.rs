use clap::{Parser, Subcommand};
use color_eyre::eyre::{WrapErr, eyre};
use std::path::PathBuf;
use tunedeck::api::ApiClient;
use tunedeck::app::dataset::{self, DatasetPane, parse_journal};
use tunedeck::app::settings::UiConfig;
use tunedeck::app::{App, Connection};
use tunedeck::config::{self, Backend, GlobalArgs, Resolved};
use tunedeck::dataset::format::{self, Format};
use tunedeck::emulator::{self, EmulatorArgs};
use tunedeck::tui::theme::Theme;
use tunedeck::worker;

/// tunedeck: a terminal dashboard for Gemini API model tuning, with a faithful emulator of the
/// API. With no credentials it starts the emulator in-process, so it works offline.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    #[command(flatten)]
    global: GlobalArgs,
    /// Open this dataset in the Dataset tab (JSONL, JSON, an API request body, or CSV); a file
    /// that does not exist yet is created on the first save.
    #[arg(long, value_name = "FILE")]
    dataset: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Open the dashboard (the default).
    Ui,
    /// Serve the emulated Gemini tuning API on loopback.
    Emulator(EmulatorArgs),
    #[command(flatten)]
    Headless(tunedeck::cli::Headless),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions { shell: clap_complete::Shell },
}

/// Runs the command; a failure is one line on stderr (the whole report, backtrace included,
/// when `RUST_BACKTRACE` asks for it) and exit status 1. The dashboard ended by a signal exits
/// 128 + the signal's number, after giving the terminal back.
fn main() -> std::process::ExitCode {
    let verbose = std::env::var_os("RUST_BACKTRACE").is_some_and(|v| v != "0");
    // color-eyre's panic hook too: the terminal guard chains onto it.
    let _ = color_eyre::install();
    match run() {
        Ok(code) => std::process::ExitCode::from(code),
        Err(report) => {
            // No credential shows, whatever the report quotes.
            let redact = tunedeck::api::redact::redact;
            if verbose {
                eprintln!("Error: {}", redact(&format!("{report:?}")));
            } else {
                eprintln!("error: {}", redact(&format!("{report:#}")));
            }
            std::process::ExitCode::FAILURE
        }
    }
}

fn run() -> color_eyre::Result<u8> {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Runtime::new()?;
    match cli.command {
        Some(Command::Emulator(args)) => {
            let _log = init_logging(true);
            runtime.block_on(run_emulator(args)).map(|()| 0)
        }
        Some(Command::Completions { shell }) => {
            use clap::CommandFactory;
            // Into memory first: clap_complete panics on a closed pipe (`| head`).
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "tunedeck", &mut script);
            use std::io::Write;
            let _ = std::io::stdout().write_all(&script);
            Ok(0)
        }
        Some(Command::Headless(command)) => {
            let _log = init_logging(false);
            let code = runtime.block_on(tunedeck::cli::run(&cli.global, command));
            drop(_log);
            drop(runtime);
            std::process::exit(code);
        }
        Some(Command::Ui) | None => {
            let _log = init_logging(false);
            runtime.block_on(run_dashboard(cli.global, cli.dataset))
        }
    }
}

/// Logs go to `$XDG_STATE_HOME/tunedeck/tunedeck.log` (never to the dashboard's terminal); the
/// standalone emulator also prints to stderr.
fn init_logging(to_stderr: bool) -> Option<tracing_appender::non_blocking::WorkerGuard> {
    use tracing_subscriber::prelude::*;
    let filter = tracing_subscriber::EnvFilter::try_from_env("TUNEDECK_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let dir: PathBuf = directories::ProjectDirs::from("", "", "tunedeck")
        .map(|d| d.state_dir().unwrap_or(d.data_dir()).to_path_buf())
        .unwrap_or_else(std::env::temp_dir);
    let (file_layer, guard) = match std::fs::create_dir_all(&dir) {
        Ok(()) => {
            let (writer, guard) = tracing_appender::non_blocking(tracing_appender::rolling::never(
                &dir,
                "tunedeck.log",
            ));
            (
                Some(
                    tracing_subscriber::fmt::layer()
                        .with_ansi(false)
                        .with_writer(writer),
                ),
                Some(guard),
            )
        }
        Err(_) => (None, None),
    };
    let stderr_layer =
        to_stderr.then(|| tracing_subscriber::fmt::layer().with_writer(std::io::stderr));
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(file_layer)
        .with(stderr_layer)
        .try_init();
    guard
}

/// `tunedeck emulator`: serves until SIGINT, SIGTERM or SIGHUP (a closed terminal), then saves
/// and exits 0; when that last save fails (a full disk), exits 1 saying the journal still has
/// every acknowledged change, which the next start replays.
async fn run_emulator(mut args: EmulatorArgs) -> color_eyre::Result<()> {
    args.read_secret_files().map_err(|e| eyre!(e))?;
    // Registered before the banner: a signal sent as soon as it shows ends the emulator cleanly.
    let stop = stop_signal()?;
    let mut running = emulator::start(args.options(), args.bind).await?;
    eprintln!("{}", running.describe());
    eprintln!("Ctrl-C stops it (state is saved).");
    let cancel = running.cancel_token();
    tokio::spawn(async move {
        stop.await;
        cancel.cancel();
    });
    running.wait().await;
    let journal = args
        .options()
        .state_file
        .map(|p| emulator::journal::path_for(&p));
    running.shutdown_saved().await.map_err(|e| {
        let journal = journal.map_or_else(String::new, |j| format!(" ({})", j.display()));
        color_eyre::eyre::eyre!(
            "the final save of the state failed: {e}; nothing acknowledged is lost: the journal{journal} still has every change, and the next start replays it"
        )
    })
}

/// Resolves at the first SIGINT, SIGTERM or SIGHUP; the handlers are installed at once.
#[cfg(unix)]
fn stop_signal() -> color_eyre::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut int = signal(SignalKind::interrupt())?;
    let mut term = signal(SignalKind::terminate())?;
    let mut hup = signal(SignalKind::hangup())?;
    Ok(async move {
        tokio::select! {
            _ = int.recv() => {}
            _ = term.recv() => {}
            _ = hup.recv() => {}
        }
    })
}

/// Resolves at Ctrl-C.
#[cfg(not(unix))]
fn stop_signal() -> color_eyre::Result<impl std::future::Future<Output = ()>> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}

/// The Dataset tab's content at start: the file given, or the edits the journal kept from a
/// session that ended without saving (recovered when they belong to the same file, or when no
/// file was given; behind a question when the file changed on disk since). Returns the pane
/// and, when something was recovered, a message.
fn load_dataset(path: Option<PathBuf>, journal: &std::path::Path) -> (DatasetPane, Option<String>) {
    let mut pane = match &path {
        Some(p) if p.exists() => match format::read_file(p, None, None) {
            Ok((examples, f)) => {
                let mut pane = DatasetPane::new(examples, Some(p.clone()), Some(f));
                pane.disk_modified = std::fs::metadata(p).and_then(|m| m.modified()).ok();
                pane.spaced_json = format::spaced_json_style(p);
                pane.base = tunedeck::dataset::base::FileBase::read(p);
                pane.kept_lines = format::read_kept_lines(p, f).map(std::sync::Arc::new);
                pane
            }
            Err(e) => {
                let mut pane = DatasetPane::new(Vec::new(), Some(p.clone()), Format::from_path(p));
                pane.load_error = Some(e.to_string());
                pane
            }
        },
        Some(p) => DatasetPane::new(
            Vec::new(),
            Some(p.clone()),
            Format::from_path(p).or(Some(Format::Jsonl)),
        ),
        None => DatasetPane::default(),
    };
    let recovered = std::fs::read_to_string(journal)
        .ok()
        .and_then(|text| parse_journal(&text))
        .filter(|(header, _)| path.is_none() || header.source == path);
    let mut message = None;
    if let Some((header, examples)) = recovered {
        let on_disk = header.source.as_deref().map(dataset::on_disk);
        let (recovered, said) = dataset::recover(header, examples, on_disk);
        pane = recovered;
        message = Some(said);
    }
    (pane, message)
}

/// Every model's playground history, from `DIR/<model>.jsonl`.
fn load_history(
    dir: &std::path::Path,
) -> std::collections::HashMap<String, Vec<tunedeck::app::playground::HistoryEntry>> {
    let mut history = std::collections::HashMap::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        if let Ok(text) = std::fs::read_to_string(entry.path()) {
            for item in tunedeck::app::playground::parse_history(&text) {
                history
                    .entry(item.model.clone())
                    .or_insert_with(Vec::new)
                    .push(item);
            }
        }
    }
    history
}

/// The Vertex AI client every tab speaks through when Vertex AI is chosen: the Vertex
/// resolution's host (the embedded emulator's, when that is what runs), or what is wrong with
/// it.
fn vertex_client(
    vertex: &Resolved,
    embedded_url: &str,
) -> Result<tunedeck::api::vertex::client::VertexClient, String> {
    let Some(target) = &vertex.vertex else {
        return Err("Vertex AI was not chosen".into());
    };
    let project = target.require_project()?;
    let (base, endpoint) = match &vertex.backend {
        Backend::Vertex { base_url } => (base_url.clone(), None),
        Backend::Endpoint { base_url, .. } => (base_url.clone(), Some(base_url.clone())),
        Backend::EmbeddedEmulator => (embedded_url.to_owned(), Some(embedded_url.to_owned())),
        // Resolution with Vertex AI chosen never picks the Gemini API's host.
        Backend::Gemini { .. } => return Err("Vertex AI resolved to the Gemini API".into()),
    };
    let storage_emulator = std::env::var("STORAGE_EMULATOR_HOST").ok();
    tunedeck::api::vertex::client::VertexClient::connect(
        vertex.client_config(&base),
        endpoint.as_deref(),
        storage_emulator.as_deref(),
        project,
        &target.location,
    )
    .map_err(|e| format!("Vertex AI: {e}"))
}

async fn run_dashboard(flags: GlobalArgs, dataset: Option<PathBuf>) -> color_eyre::Result<u8> {
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        return Err(eyre!(
            "the dashboard needs a terminal (stdin and stdout are not both a tty); for the API server run `tunedeck emulator`"
        ));
    }
    let mut flags = flags;
    flags.read_secret_files().map_err(|e| eyre!(e))?;
    let config_path = flags.config.clone().or_else(config::default_config_path);
    let file = match &config_path {
        Some(p) => config::load_file(p).map_err(|e| eyre!(e))?,
        None => config::FileConfig::default(),
    };
    let ui = UiConfig::load(&file).map_err(|e| eyre!("config: {e}"))?;
    let current_context = config::contexts::apply(&mut flags, &file).map_err(|e| eyre!(e))?;
    let exposed_key = config_path
        .as_deref()
        .and_then(|p| config::exposed_key_warning(p, &file));
    let env = |name: &str| std::env::var(name).ok();
    let mut resolved: Resolved = config::resolve(
        &flags,
        &file,
        &env,
        tunedeck::api::auth::AdcSource::discover(),
    );
    // With Vertex AI chosen every tab speaks Vertex AI through its own client. A live (or
    // `--endpoint`) Vertex client is made now; the Gemini API's client, which the tabs then
    // send nothing, is made from the same resolution. When the Vertex client cannot be made
    // (no project), or the embedded emulator serves both, the Gemini API is resolved as if
    // Vertex had not been chosen: the tabs fall back to it, and a toast says why.
    let vertex_resolved = resolved.vertex.is_some().then(|| resolved.clone());
    let mut vertex_notice = resolved.vertex.as_ref().map(|target| {
        format!(
            "Vertex AI is chosen by {}: tuning jobs, tuning and the Playground are Vertex AI's",
            target.chosen_by
        )
    });
    let early_vertex = vertex_resolved
        .as_ref()
        .filter(|v| !matches!(v.backend, Backend::EmbeddedEmulator))
        .map(|v| vertex_client(v, ""));
    if vertex_notice.is_some() && !matches!(early_vertex, Some(Ok(_))) {
        let gemini_flags = GlobalArgs {
            vertex: false,
            ..flags.clone()
        };
        let gemini_file = config::FileConfig {
            backend: None,
            ..file.clone()
        };
        let gemini_env = |name: &str| {
            (!name.starts_with("GOOGLE_GENAI_USE_"))
                .then(|| std::env::var(name).ok())
                .flatten()
        };
        resolved = config::resolve(
            &gemini_flags,
            &gemini_file,
            &gemini_env,
            tunedeck::api::auth::AdcSource::discover(),
        );
    }
    for warning in &resolved.warnings {
        tracing::warn!("{warning}");
    }
    // The embedded emulator, when nothing else was found.
    let mut embedded = None;
    let (base_url, backend_label) = match &resolved.backend {
        Backend::Gemini { base_url } | Backend::Vertex { base_url } => {
            (base_url.clone(), "Gemini API".to_owned())
        }
        Backend::Endpoint { base_url, .. } => (base_url.clone(), "ENDPOINT".to_owned()),
        Backend::EmbeddedEmulator => {
            let running = emulator::start_embedded()
                .await
                .wrap_err("starting the embedded emulator")?;
            let url = running.base_url();
            embedded = Some(running);
            (url, "EMULATOR".to_owned())
        }
    };
    let auth = if embedded.is_some() {
        "no credentials".to_owned()
    } else {
        resolved.auth.describe()
    };
    let client = ApiClient::new(resolved.client_config(&base_url)).map_err(|e| eyre!(e))?;
    let vertex = match early_vertex.or_else(|| {
        vertex_resolved
            .as_ref()
            .map(|v| vertex_client(v, &base_url))
    }) {
        Some(Ok(client)) => Some(client),
        Some(Err(problem)) => {
            vertex_notice = Some(problem);
            None
        }
        None => None,
    };
    let follows_vertex = vertex.is_some();
    // With Vertex AI chosen the header names its host and credentials: it is all the tabs use.
    let (backend_label, base_url, auth) = match (&vertex, &vertex_resolved) {
        (Some(v), Some(resolved_vertex))
            if !matches!(resolved_vertex.backend, Backend::EmbeddedEmulator) =>
        {
            (
                match resolved_vertex.backend {
                    Backend::Endpoint { .. } => "ENDPOINT".to_owned(),
                    _ => "Vertex AI".to_owned(),
                },
                v.base_url().to_owned(),
                resolved_vertex.auth.describe(),
            )
        }
        _ => (backend_label, base_url, auth),
    };
    let connection = Connection {
        backend: backend_label,
        address: base_url,
        auth,
        healthy: None,
        vertex: vertex.as_ref().map(|v| tunedeck::app::VertexPlace {
            project: v.project.clone(),
            location: v.location.clone(),
            base_url: v.base_url().to_owned(),
        }),
    };
    let (commands, events, worker) =
        worker::spawn_with_vertex(client, vertex, worker::WorkerOptions::polling(ui.poll));
    let journal = directories::ProjectDirs::from("", "", "tunedeck")
        .map(|d| {
            d.state_dir()
                .unwrap_or(d.data_dir())
                .join("dataset-journal.jsonl")
        })
        .unwrap_or_else(|| std::env::temp_dir().join("tunedeck-dataset-journal.jsonl"));
    // `--dataset FILE` means "I want to work on this file": open on its tab.
    let open_dataset_tab = dataset.is_some();
    let (pane, recovered) = load_dataset(dataset, &journal);
    let tune_settings = journal.with_file_name("tune-settings.json");
    let history_dir = journal.with_file_name("playground");
    let mut app = App::new(
        ui.keymap,
        connection,
        ui.list_refresh,
        tunedeck::clock::Now::read(),
    );
    app.dataset = pane;
    if open_dataset_tab {
        app.tab = tunedeck::app::Tab::Dataset;
    }
    app.journal = Some(journal);
    app.last_tune = std::fs::read_to_string(&tune_settings)
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok());
    app.tune_settings_file = Some(tune_settings);
    app.playground.history = load_history(&history_dir);
    app.history_dir = Some(history_dir);
    if let Some(message) = recovered {
        app.tab = tunedeck::app::Tab::Dataset;
        app.announce(message, tunedeck::clock::Now::read());
    }
    if let Some(message) = vertex_notice {
        app.announce(message, tunedeck::clock::Now::read());
    }
    if let Some(warning) = exposed_key {
        tracing::warn!("{warning}");
        app.announce(warning, tunedeck::clock::Now::read());
    }
    app.bell_on_finish = ui.bell;
    if follows_vertex {
        app.choose_vertex();
    }
    app.contexts.configured = config::contexts::contexts(&file)
        .into_iter()
        .map(|c| tunedeck::app::contexts::NamedPlace {
            name: c.name,
            project: c.project,
            location: c.location,
        })
        .collect();
    // The current context is named only while its project and location are the ones in use
    // (`--project`/`--location` may have moved away from it).
    app.contexts.current = current_context
        .filter(|c| {
            app.connection
                .vertex
                .as_ref()
                .is_some_and(|v| v.project == c.project && v.location == c.location)
        })
        .map(|c| c.name);
    app.stall_factor = ui.stall_factor;
    app.ema_alpha = ui.ema_alpha;
    let theme = Theme::from_env(&ui.theme);
    let result = tunedeck::tui::run::run(app, theme, commands, events).await;
    let _ = worker.await;
    if let Some(running) = embedded {
        running.shutdown().await;
    }
    result
}
