//! The headless commands, run as a script would run them (assert_cmd) against an emulator on a
//! free loopback port: output shapes, JSON, and exit codes, failures included.

mod common;
use assert_cmd::Command;
use std::path::Path;
use std::time::Duration;
use tunedeck::emulator::RunningEmulator;

/// The binary pointed at the emulator, with no credentials or user config from this machine.
fn tunedeck(emu: &RunningEmulator, home: &Path) -> Command {
    let mut cmd = bare(home);
    cmd.args(["--endpoint", &emu.base_url()])
        .timeout(Duration::from_secs(60));
    cmd
}

/// The binary with none of the machine's credentials, config or per-user folders.
fn bare(home: &Path) -> Command {
    common::bare_command(home)
}

async fn demo_emulator() -> RunningEmulator {
    let mut options = common::fast_options();
    options.demo = true;
    common::start(options).await
}

/// Runs blocking commands off the runtime that serves the emulator.
async fn run(mut cmd: Command) -> std::process::Output {
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

/// `tunedeck ARGS` against the emulator, run to the end.
async fn cli(emu: &RunningEmulator, home: &Path, args: &[&str]) -> std::process::Output {
    let mut cmd = tunedeck(emu, home);
    cmd.args(args);
    run(cmd).await
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn models_list_get_update_delete() {
    let emu = demo_emulator().await;
    let home = tempfile::tempdir().unwrap();
    let out = cli(&emu, home.path(), &["models", "list"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let table = text(&out.stdout);
    assert!(table.starts_with("ID "), "{table}");
    assert!(table.contains("number-generator-demo  Number generator (demo)  ACTIVE"));

    let out = cli(&emu, home.path(), &["models", "list", "--json"]).await;
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"tunedModels/number-generator-demo"),
        "{names:?}"
    );
    assert!(
        list[0]["state"].as_str().is_some(),
        "the API's own JSON shape"
    );

    let out = cli(
        &emu,
        home.path(),
        &["models", "get", "number-generator-demo", "--json"],
    )
    .await;
    let model: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(model["displayName"], "Number generator (demo)");
    assert_eq!(model["tuningTask"]["hyperparameters"]["batchSize"], 2);

    let out = cli(
        &emu,
        home.path(),
        &[
            "models",
            "update",
            "number-generator-demo",
            "--display-name",
            "Renamed",
            "--top-k",
            "5",
            "--json",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let model: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (model["displayName"].as_str(), model["topK"].as_i64()),
        (Some("Renamed"), Some(5))
    );

    let out = cli(
        &emu,
        home.path(),
        &[
            "models",
            "update",
            "number-generator-demo",
            "--temperature",
            "3",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--temperature 3 is outside 0 to 2"));

    // Without --yes and without a terminal to ask on: refused, nothing deleted.
    let out = run({
        let mut c = tunedeck(&emu, home.path());
        c.args(["models", "delete", "number-generator-demo"])
            .write_stdin("");
        c
    })
    .await;
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("refusing to delete without --yes"));

    let out = cli(
        &emu,
        home.path(),
        &[
            "models",
            "delete",
            "number-generator-demo",
            "no-such-model",
            "--yes",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(1), "one of the two failed");
    assert_eq!(
        text(&out.stdout),
        "deleted tunedModels/number-generator-demo\n"
    );
    let err = text(&out.stderr);
    assert!(
        err.contains("404 NOT_FOUND") && err.contains("hint:"),
        "{err}"
    );

    let out = cli(
        &emu,
        home.path(),
        &["models", "get", "number-generator-demo"],
    )
    .await;
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty(), "stdout stays clean on errors");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tune_watch_then_generate_and_eval_the_result() {
    let emu = common::start(common::fast_options()).await;
    let home = tempfile::tempdir().unwrap();
    let dataset = home.path().join("numbers.jsonl");
    let examples: String = (1..=24)
        .map(|i| format!("{{\"text_input\":\"{i}\",\"output\":\"{}\"}}\n", i + 1))
        .collect();
    std::fs::write(&dataset, examples).unwrap();
    let out = run({
        let mut c = tunedeck(&emu, home.path());
        c.args(["tune", "--dataset"]).arg(&dataset).args([
            "--id",
            "cli-numbers",
            "--epochs",
            "3",
            "--batch-size",
            "4",
            "--held-out",
            "25",
            "--watch",
            "--json",
        ]);
        c
    })
    .await;
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    // 24 examples, 6 held out: ceil(18 × 3 / 4) = 14 steps.
    assert!(
        err.contains("Started tunedModels/cli-numbers: 14 steps"),
        "{err}"
    );
    assert!(
        err.contains("step 14/14"),
        "a progress line per step on a non-terminal: {err}"
    );
    assert!(err.contains("is ACTIVE: loss"), "{err}");
    let op: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(op["done"], true);
    assert_eq!(op["response"]["name"], "tunedModels/cli-numbers");
    let held = home.path().join("numbers.heldout.jsonl");
    assert_eq!(std::fs::read_to_string(&held).unwrap().lines().count(), 6);

    // A training input comes back as its output (find one that was trained on).
    let held_inputs = std::fs::read_to_string(&held).unwrap();
    let trained = (1..=24)
        .find(|i| !held_inputs.contains(&format!("\"text_input\":\"{i}\"")))
        .unwrap();
    let out = run({
        let mut c = tunedeck(&emu, home.path());
        c.args(["generate", "cli-numbers", "-", "--stream"])
            .write_stdin(format!("{trained}\n"));
        c
    })
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), format!("{}\n", trained + 1));

    let out = run({
        let mut c = tunedeck(&emu, home.path());
        c.args(["eval", "cli-numbers", "--json", "--dataset"])
            .arg(&dataset);
        c
    })
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["examples"], 24);
    assert_eq!(report["errors"], 0);
    let exact = report["exact"].as_u64().unwrap();
    assert!(exact >= 18, "every trained example at least: {report}");
    assert_eq!(report["results"].as_array().unwrap().len(), 24);
    assert_eq!(report["results"][0]["expected"], "2");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_job_exits_4_and_a_failed_one_3() {
    let mut options = common::fast_options();
    options.step_interval = Duration::from_millis(200);
    let emu = common::start(options).await;
    let home = tempfile::tempdir().unwrap();
    let dataset = home.path().join("d.jsonl");
    let examples: String = (1..=20)
        .map(|i| format!("{{\"text_input\":\"in {i}\",\"output\":\"out {i}\"}}\n"))
        .collect();
    std::fs::write(&dataset, examples).unwrap();
    let out = run({
        let mut c = tunedeck(&emu, home.path());
        c.args(["tune", "--dataset"])
            .arg(&dataset)
            .args(["--id", "slow", "--epochs", "50"]);
        c
    })
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let operation = text(&out.stdout).trim().to_owned();
    assert!(
        operation.starts_with("tunedModels/slow/operations/"),
        "{operation}"
    );
    let out = cli(&emu, home.path(), &["cancel", "slow"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = cli(
        &emu,
        home.path(),
        &["watch", &operation, "--interval", "0.1"],
    )
    .await;
    assert_eq!(out.status.code(), Some(4), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("CANCELLED"));
    let out = cli(&emu, home.path(), &["cancel", &operation]).await;
    assert_eq!(out.status.code(), Some(2), "already ended");

    // A learning rate this large diverges: the job fails.
    let out = run({
        let mut c = tunedeck(&emu, home.path());
        c.args(["tune", "--dataset"]).arg(&dataset).args([
            "--id",
            "diverge",
            "--learning-rate",
            "5",
            "--epochs",
            "1",
            "--watch",
        ]);
        c
    })
    .await;
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("FAILED"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tune_refuses_a_dataset_with_lint_errors_and_a_bad_file() {
    let emu = common::start(common::fast_options()).await;
    let home = tempfile::tempdir().unwrap();
    let dataset = home.path().join("bad.jsonl");
    std::fs::write(&dataset, "{\"text_input\":\"a\",\"output\":\"\"}\n").unwrap();
    let out = run({
        let mut c = tunedeck(&emu, home.path());
        c.args(["tune", "--dataset"]).arg(&dataset);
        c
    })
    .await;
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("bad.jsonl: example 1: error:") && err.contains("nothing was started"),
        "{err}"
    );
    std::fs::write(&dataset, "{\"text_input\":\"a\",\"output\":\"b\"}\n{oops\n").unwrap();
    let out = run({
        let mut c = tunedeck(&emu, home.path());
        c.args(["tune", "--dataset"]).arg(&dataset);
        c
    })
    .await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("bad.jsonl:2:"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn dataset_lint_and_convert_need_no_server() {
    let home = tempfile::tempdir().unwrap();
    let csv = home.path().join("pairs.csv");
    std::fs::write(&csv, "question,answer\n\"one, two\",three\nfour, five\n").unwrap();
    let bin = || bare(home.path());
    let out = bin().args(["dataset", "lint"]).arg(&csv).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "unknown columns: bad input");
    assert!(
        text(&out.stderr).contains("question, answer"),
        "{}",
        text(&out.stderr)
    );
    let jsonl = home.path().join("pairs.jsonl");
    let out = bin()
        .args(["dataset", "convert"])
        .arg(&csv)
        .arg(&jsonl)
        .args(["--input-column", "question", "--output-column", "answer"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        std::fs::read_to_string(&jsonl).unwrap(),
        "{\"text_input\":\"one, two\",\"output\":\"three\"}\n{\"text_input\":\"four\",\"output\":\" five\"}\n"
    );
    let out = bin()
        .args(["dataset", "lint", "--json"])
        .arg(&jsonl)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "warnings do not fail");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (report["examples"].as_u64(), report["errors"].as_u64()),
        (Some(2), Some(0))
    );
    let kinds: Vec<&str> = report["issues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"Whitespace") && kinds.contains(&"TooFew"),
        "{kinds:?}"
    );
    let out = bin()
        .args(["dataset", "convert"])
        .arg(&jsonl)
        .arg(home.path().join("x.txt"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = bin().args(["completions", "fish"]).output().unwrap();
    assert!(text(&out.stdout).contains("complete -c tunedeck"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_checks_the_backend_live_and_names_the_fix() {
    let emu = common::start(common::fast_options()).await;
    let home = tempfile::tempdir().unwrap();
    let out = run({
        let mut c = tunedeck(&emu, home.path());
        c.arg("doctor");
        c
    })
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    let report = text(&out.stdout);
    assert!(
        report.contains(&format!("✓ endpoint: {} (from --endpoint)", emu.base_url())),
        "{report}"
    );
    assert!(report.contains("✓ tunedModels.list"));
    // Nothing listens on this port: the check fails with a fix, and the key never shows.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = dead.local_addr().unwrap().port();
    drop(dead);
    let out = run({
        let mut c = bare(home.path());
        c.env("GEMINI_API_KEY", "AIzaSECRETSECRETabcd")
            .args(["--endpoint", &format!("http://127.0.0.1:{port}"), "doctor"])
            .timeout(Duration::from_secs(120));
        c
    })
    .await;
    assert_eq!(out.status.code(), Some(1));
    let report = text(&out.stdout) + &text(&out.stderr);
    assert!(
        report.contains("✗ models.list") && report.contains("fix:"),
        "{report}"
    );
    assert!(
        report.contains("abcd") && !report.contains("SECRET"),
        "only the last four: {report}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_filters_and_generate_json() {
    let emu = demo_emulator().await;
    let home = tempfile::tempdir().unwrap();
    let names = |out: &std::process::Output| -> Vec<String> {
        let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        list.as_array()
            .unwrap()
            .iter()
            .map(|m| m["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let out = cli(
        &emu,
        home.path(),
        &["models", "list", "--filter", "readers:everyone", "--json"],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(names(&out), ["tunedModels/word-to-emoji-community"]);
    let out = cli(
        &emu,
        home.path(),
        &["models", "list", "--filter", "owner:me", "--json"],
    )
    .await;
    let mine = names(&out);
    assert!(
        mine.contains(&"tunedModels/number-generator-demo".to_owned()),
        "{mine:?}"
    );
    assert!(
        !mine.contains(&"tunedModels/word-to-emoji-community".to_owned()),
        "{mine:?}"
    );

    let out = cli(
        &emu,
        home.path(),
        &["generate", "number-generator-demo", "seven", "--json"],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let answer: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        answer["candidates"][0]["content"]["parts"][0]["text"],
        "eight"
    );
    assert_eq!(answer["candidates"][0]["finishReason"], "STOP");
    // An unknown model is the service's 404 on stderr; stdout stays empty.
    let out = cli(&emu, home.path(), &["generate", "no-such-model", "seven"]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("404"), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty());
    // A name is a name: no path, no query hidden in it, and nothing is sent.
    for bent in [
        "../models/gemini-1.5-flash-001-tuning",
        "x?key=abc",
        "a/b",
        "Upper",
    ] {
        let out = cli(&emu, home.path(), &["models", "get", bent]).await;
        assert_eq!(out.status.code(), Some(2), "{bent}: {}", text(&out.stderr));
        assert!(out.stdout.is_empty(), "{bent}");
        assert!(
            text(&out.stderr).contains("not a"),
            "{bent}: {}",
            text(&out.stderr)
        );
    }
    // Refusals name flags and arguments, never the dashboard's keys.
    let out = cli(
        &emu,
        home.path(),
        &["generate", "number-generator-demo", ""],
    )
    .await;
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("the prompt is empty"), "{err}");
    assert!(!err.contains("(i edits it)"), "{err}");
    let out = cli(
        &emu,
        home.path(),
        &["generate", "number-generator-demo", "seven", "--top-p", "3"],
    )
    .await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--top-p 3 is outside 0 to 1"),
        "{}",
        text(&out.stderr)
    );
}

/// A quarter of all answers are 429 or 503: `tune --id --watch` still starts exactly one job
/// and follows it to the end, with every step.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tune_and_watch_ride_out_a_quarter_of_answers_failing() {
    let mut options = common::fast_options();
    options.step_interval = Duration::from_millis(20);
    options.faults = tunedeck::emulator::faults::Faults {
        rate_429: 0.125,
        rate_503: 0.125,
        retry_delay: Duration::from_millis(20),
        ..Default::default()
    };
    options.seed = 7;
    let emu = common::start(options).await;
    let home = tempfile::tempdir().unwrap();
    let dataset = home.path().join("d.jsonl");
    let examples: String = (1..=40)
        .map(|i| format!("{{\"text_input\":\"in {i}\",\"output\":\"out {i}\"}}\n"))
        .collect();
    std::fs::write(&dataset, examples).unwrap();
    for round in 0..3 {
        let id = format!("flaky-{round}");
        let out = run({
            let mut c = tunedeck(&emu, home.path());
            c.args(["tune", "--dataset"]).arg(&dataset).args([
                "--id",
                &id,
                "--epochs",
                "3",
                "--batch-size",
                "2",
                "--watch",
                "--json",
            ]);
            c
        })
        .await;
        assert_eq!(
            out.status.code(),
            Some(0),
            "round {round}: {}",
            text(&out.stderr)
        );
        let operation: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let snapshots = operation["response"]["tuningTask"]["snapshots"]
            .as_array()
            .map(Vec::len)
            .or_else(|| operation["metadata"]["snapshots"].as_array().map(Vec::len));
        assert_eq!(
            snapshots,
            Some(60),
            "round {round}: every step of ceil(40·3/2)"
        );
    }
    // Exactly one model per id: no retry started a second job.
    let ids = common::listed_ids(&common::client_for(&emu)).await;
    assert_eq!(ids, vec!["flaky-0", "flaky-1", "flaky-2"]);
}

/// Malformed datasets through `tunedeck dataset lint`: each gets the exit code and the message
/// a user needs (file, line, what is wrong), and a good file with a quirk (BOM, CRLF) is read.
#[test]
fn malformed_datasets_each_get_a_clear_exit_code_and_message() {
    let home = tempfile::tempdir().unwrap();
    let good = |i: usize| format!("{{\"text_input\": \"in {i}\", \"output\": \"out {i}\"}}");
    let twenty: String = (1..=20).map(|i| good(i) + "\n").collect();
    let cases: Vec<(&str, Vec<u8>, i32, &str)> = vec![
        (
            "bom.jsonl",
            [b"\xef\xbb\xbf".to_vec(), twenty.clone().into_bytes()].concat(),
            0,
            "20 examples",
        ),
        (
            "crlf.jsonl",
            twenty.replace('\n', "\r\n").into_bytes(),
            0,
            "20 examples",
        ),
        (
            "bom.csv",
            b"\xef\xbb\xbftext_input,output\na,b\n".to_vec(),
            0,
            "1 example",
        ),
        ("one-line.txt", good(1).into_bytes(), 0, "1 example"),
        ("empty.jsonl", Vec::new(), 2, "no examples"),
        ("blank.jsonl", b"\n\n  \n".to_vec(), 2, "no examples"),
        (
            "nul.jsonl",
            b"{\"text_input\": \"a\x00\", \"output\": \"b\"}\n".to_vec(),
            2,
            "nul.jsonl:1:",
        ),
        (
            "latin1.jsonl",
            b"{\"text_input\": \"caf\xe9\", \"output\": \"b\"}\n".to_vec(),
            2,
            "latin1.jsonl:1: not UTF-8 text",
        ),
        (
            "broken.jsonl",
            format!("{}\n{{\"text_input\": \"x\",\n", good(1)).into_bytes(),
            2,
            "broken.jsonl:2:",
        ),
        (
            "shape.jsonl",
            b"[\"only one\"]\n".to_vec(),
            2,
            "shape.jsonl:1: expected an object with text_input and output",
        ),
        (
            "number.json",
            b"[{\"text_input\": \"a\", \"output\": \"b\"}, 7]".to_vec(),
            2,
            "example 2: expected an object",
        ),
        (
            "quote.csv",
            b"text_input,output\na,\"unclosed\nb,c\n".to_vec(),
            2,
            "quote.csv:2: a quoted field opened on this line is never closed",
        ),
        (
            "fields.csv",
            b"text_input,output\na,b,c\n".to_vec(),
            2,
            "fields.csv:2: 3 fields where the header has 2",
        ),
        (
            "columns.csv",
            b"question,answer\na,b\n".to_vec(),
            2,
            "the header has no text_input and output columns",
        ),
    ];
    for (name, bytes, code, words) in cases {
        let path = home.path().join(name);
        std::fs::write(&path, &bytes).unwrap();
        let out = bare(home.path())
            .args(["dataset", "lint"])
            .arg(&path)
            .output()
            .unwrap();
        let all = text(&out.stdout) + &text(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{name}: {all}");
        assert!(all.contains(words), "{name}: expected {words:?} in {all}");
    }
    // A folder is not a dataset.
    let out = bare(home.path())
        .args(["dataset", "lint"])
        .arg(home.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("directory"),
        "{}",
        text(&out.stderr)
    );
}

/// An OAuth token given as is: the emulator checks it as the service does, and the CLI's hint
/// says what to do for a bad token and for one without the tuning scope.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oauth_token_failures_come_with_their_fix() {
    let mut options = common::fast_options();
    options.demo = true;
    options.require_token = Some("ya29.good".to_owned().into());
    options.scopeless_tokens = vec!["ya29.narrow".to_owned().into()];
    let emu = common::start(options).await;
    let home = tempfile::tempdir().unwrap();
    let with = |token: &str| {
        let mut c = tunedeck(&emu, home.path());
        c.args(["--access-token", token, "models", "list"]);
        c
    };
    let out = run(with("ya29.good")).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("number-generator-demo"));
    let out = run(with("ya29.expired")).await;
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("401 UNAUTHENTICATED"), "{err}");
    assert!(
        err.contains("hint: The OAuth token is invalid or expired"),
        "{err}"
    );
    assert!(
        !err.contains("ya29.expired"),
        "the token never shows: {err}"
    );
    let out = run(with("ya29.narrow")).await;
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("403 PERMISSION_DENIED"), "{err}");
    assert!(
        err.contains("hint: The credentials lack the tuning scope"),
        "{err}"
    );
    // doctor says which credentials are in use, with at most the token's last four characters.
    let out = run({
        let mut c = tunedeck(&emu, home.path());
        c.args(["--access-token", "ya29.narrow", "doctor"]);
        c
    })
    .await;
    let report = text(&out.stdout) + &text(&out.stderr);
    assert!(
        report.contains("OAuth access token …rrow from --access-token"),
        "{report}"
    );
    assert!(!report.contains("ya29.narrow"), "{report}");
}

/// Answers lost after the work is done, and 429s and 503s, at create time too: `tune --watch`
/// without `--id` still exits 0 each time with exactly one model per run (the client sends a
/// generated id, so a resent create meets 409 and reads the first model).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tune_without_an_id_survives_lost_answers_and_429_and_503_at_create() {
    let mut options = common::fast_options();
    options.step_interval = Duration::from_millis(10);
    options.faults = tunedeck::emulator::faults::Faults {
        rate_429: 0.15,
        rate_503: 0.1,
        retry_delay: Duration::from_millis(20),
        lose_answer_rate: 0.25,
        ..Default::default()
    };
    options.seed = 11;
    let emu = common::start(options).await;
    let home = tempfile::tempdir().unwrap();
    let dataset = home.path().join("lossy.jsonl");
    let examples: String = (1..=20)
        .map(|i| format!("{{\"text_input\":\"in {i}\",\"output\":\"out {i}\"}}\n"))
        .collect();
    std::fs::write(&dataset, examples).unwrap();
    let runs = 6;
    for round in 0..runs {
        let out = run({
            let mut c = tunedeck(&emu, home.path());
            c.args(["tune", "--dataset"]).arg(&dataset).args([
                "--epochs",
                "2",
                "--batch-size",
                "4",
                "--watch",
            ]);
            c
        })
        .await;
        assert_eq!(
            out.status.code(),
            Some(0),
            "round {round}: {}",
            text(&out.stderr)
        );
        assert!(
            text(&out.stdout).trim().starts_with("tunedModels/lossy-"),
            "{}",
            text(&out.stdout)
        );
    }
    let ids = common::listed_ids(&common::client_for(&emu)).await;
    assert_eq!(ids.len(), runs, "one model per run: {ids:?}");
    // The runs met what the test is about: a create sent again after a lost answer.
    let log = std::fs::read_to_string(home.path().join("state/tunedeck/tunedeck.log")).unwrap();
    assert!(
        log.contains("the create's answer was lost"),
        "no create answer was lost in {runs} runs: {log}"
    );
    assert!(log.contains("sending the create again"), "{log}");
}

/// A port that nothing listens on (yet).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `watch` of an operation and of a tuned model, started while the service is down, waits for
/// it past the client's own retries (`--give-up-after` decides), then follows the job to its end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_rides_out_a_service_that_is_down_from_the_start() {
    let home = tempfile::tempdir().unwrap();
    let state = home.path().join("emulator.json");
    let options = tunedeck::emulator::EmulatorOptions {
        state_file: Some(state.clone()),
        step_interval: Duration::from_millis(50),
        ..common::fast_options()
    };
    let emu = common::start(options.clone()).await;
    let client = common::client_for(&emu);
    let op = client
        .create_tuned_model(
            &common::tuning_request("late", common::tutorial_examples(), 4, 2),
            Some("late"),
        )
        .await
        .unwrap();
    emu.shutdown().await;
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    let watch = |target: &str| {
        let mut c = bare(home.path());
        c.args(["--endpoint", &url, "watch", target, "--interval", "0.2"])
            .args(["--give-up-after", "60"])
            .timeout(Duration::from_secs(90));
        tokio::task::spawn_blocking(move || c.output().unwrap())
    };
    let of_operation = watch(&op.name);
    let of_model = watch("tunedModels/late");
    // Longer than the client's own retries (four, at most 0.4 + 0.8 + 1.6 + 3.2 s).
    tokio::time::sleep(Duration::from_secs(8)).await;
    let emu = tunedeck::emulator::start(options, format!("127.0.0.1:{port}").parse().unwrap())
        .await
        .unwrap();
    for out in [of_operation.await.unwrap(), of_model.await.unwrap()] {
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{err}");
        assert!(err.contains("poll failed"), "{err}");
        assert!(err.contains("tunedModels/late is ACTIVE"), "{err}");
    }
    emu.shutdown().await;
}

/// A service answering nothing but 503 (or 429) from the first request: `watch` keeps trying
/// for the `--give-up-after` it was given, then says the job may still be running.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_gives_up_after_the_flag_when_the_first_request_fails() {
    for (rate_429, rate_503) in [(0.0, 1.0), (1.0, 0.0)] {
        let mut options = common::fast_options();
        options.faults = tunedeck::emulator::faults::Faults {
            rate_429,
            rate_503,
            retry_delay: Duration::from_millis(300),
            ..Default::default()
        };
        let emu = common::start(options).await;
        let home = tempfile::tempdir().unwrap();
        let out = cli(
            &emu,
            home.path(),
            &[
                "watch",
                "tunedModels/x",
                "--interval",
                "0.5",
                "--give-up-after",
                "9",
            ],
        )
        .await;
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{err}");
        let quiet: u64 = err
            .split("no successful poll for ")
            .nth(1)
            .and_then(|rest| rest.split(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{err}"));
        assert!(
            quiet >= 9,
            "gave up after {quiet} s, before --give-up-after: {err}"
        );
        assert!(err.contains("may still be running"), "{err}");
    }
}

/// A key typed into a name is refused without being echoed: every message shows at most its
/// last four characters, as the header does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_typed_into_a_name_never_shows_in_the_error() {
    let emu = demo_emulator().await;
    let home = tempfile::tempdir().unwrap();
    let key = "AIzaSyB-0123456789abcdefghijklmnopqrsWXYZ";
    let token = "ya29.a0AfH6SMBx-0123456789abcdefghijklmnop";
    for args in [
        vec!["models".to_owned(), "get".into(), format!("x?key={key}")],
        vec!["models".into(), "get".into(), key.into()],
        vec![
            "models".into(),
            "delete".into(),
            format!("{key}/x"),
            "--yes".into(),
        ],
        vec!["watch".into(), format!("tunedModels/{token}")],
        vec![
            "generate".into(),
            format!("tunedModels/x?access_token={token}"),
            "hi".into(),
        ],
    ] {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = cli(&emu, home.path(), &args).await;
        let shown = format!("{}{}", text(&out.stdout), text(&out.stderr));
        assert_ne!(out.status.code(), Some(0), "{args:?}: {shown}");
        assert!(
            !shown.contains("0123456789abcdef"),
            "{args:?} leaked: {shown}"
        );
        assert!(shown.contains('…'), "{args:?}: {shown}");
    }
}

/// `dataset lint` and `tune` run one check: a number where text belongs is warned about by
/// both, naming its line, and the text the lint saw is what tune sends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lint_and_tune_warn_alike_about_a_number_read_as_text() {
    let emu = common::start(common::fast_options()).await;
    let home = tempfile::tempdir().unwrap();
    let dataset = home.path().join("num.jsonl");
    let mut lines: String = (1..=20)
        .map(|i| format!("{{\"text_input\":\"in {i}\",\"output\":\"out {i}\"}}\n"))
        .collect();
    lines.push_str("\n{\"text_input\":\"five\",\"output\":5}\n");
    std::fs::write(&dataset, lines).unwrap();
    let warning = "num.jsonl:22: warning: output is the number 5; it is sent as the text \"5\"";
    let out = run({
        let mut c = bare(home.path());
        c.args(["dataset", "lint"]).arg(&dataset);
        c
    })
    .await;
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).contains(warning), "{}", text(&out.stdout));
    assert!(
        text(&out.stdout).contains("1 warning"),
        "{}",
        text(&out.stdout)
    );
    let out = run({
        let mut c = bare(home.path());
        c.args(["dataset", "lint", "--json"]).arg(&dataset);
        c
    })
    .await;
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["warnings"], 1, "{report}");
    assert_eq!(report["issues"][0]["kind"], "NumberAsText", "{report}");
    assert_eq!(report["issues"][0]["line"], 22, "{report}");
    let out = cli(
        &emu,
        home.path(),
        &[
            "tune",
            "--dataset",
            dataset.to_str().unwrap(),
            "--id",
            "num",
            "--watch",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains(warning), "{}", text(&out.stderr));
    let out = cli(&emu, home.path(), &["generate", "num", "five"]).await;
    assert_eq!(text(&out.stdout).trim(), "5", "{}", text(&out.stderr));
}

/// `dataset lint` stops at the largest file a service takes (1 GB) and at a NUL byte, so
/// `/dev/zero` is refused at once instead of filling memory; `-` reads stdin, as --help says.
#[test]
fn lint_refuses_endless_or_oversized_input_and_reads_stdin() {
    let home = tempfile::tempdir().unwrap();
    let lint = |file: &str, stdin: &str| {
        let mut c = bare(home.path());
        c.args(["dataset", "lint", file])
            .write_stdin(stdin.to_owned())
            .timeout(Duration::from_secs(60));
        c.output().unwrap()
    };
    let out = lint("/dev/zero", "");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("/dev/zero:1: a NUL byte"),
        "{}",
        text(&out.stderr)
    );
    // A sparse file one byte over 1 GB: refused from its size, unread.
    let big = home.path().join("big.jsonl");
    std::fs::File::create(&big)
        .unwrap()
        .set_len((1 << 30) + 1)
        .unwrap();
    let out = lint(big.to_str().unwrap(), "");
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("big.jsonl") && err.contains("over 1073741824 bytes (1 GB)"),
        "{err}"
    );
    let pairs: String = (1..=20)
        .map(|i| format!("{{\"text_input\":\"in {i}\",\"output\":\"out {i}\"}}\n"))
        .collect();
    let out = lint("-", &pairs);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("20 examples"),
        "{}",
        text(&out.stdout)
    );
    let out = bare(home.path())
        .args(["dataset", "lint", "--help"])
        .output()
        .unwrap();
    let help = text(&out.stdout)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(help.contains("or `-` to read stdin"), "{help}");
}

/// A config file holding api_key that others can read: every command warns at start and
/// `doctor` says so, each with the chmod that fixes it; mode 600 silences them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_config_file_with_a_key_readable_by_others_is_warned_about_with_the_fix() {
    use std::os::unix::fs::PermissionsExt;
    let emu = demo_emulator().await;
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "endpoint = \"{}\"\napi_key = \"AIzaSyFileKey0123456789abcdefghijklmnop\"\n",
            emu.base_url()
        ),
    )
    .unwrap();
    let with_config = |args: &[&str]| {
        let mut c = bare(home.path());
        c.arg("--config").arg(&config).args(args);
        run(c)
    };
    let fix = format!("`chmod 600 {}`", config.display());
    for (mode, who) in [
        (0o644, "its group and everyone else"),
        (0o604, "everyone else"),
        (0o640, "its group"),
    ] {
        std::fs::set_permissions(&config, std::fs::Permissions::from_mode(mode)).unwrap();
        let out = with_config(&["models", "list"]).await;
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{err}");
        assert!(
            err.contains(&format!(
                "warning: {} holds api_key and is readable by {who}",
                config.display()
            )),
            "{err}"
        );
        assert!(err.contains(&fix), "{err}");
        assert!(!err.contains("FileKey0123"), "{err}");
    }
    let out = with_config(&["doctor"]).await;
    let report = text(&out.stdout);
    assert!(
        report.contains("holds api_key and is readable") && report.contains(&fix),
        "{report}"
    );
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o600)).unwrap();
    let out = with_config(&["models", "list"]).await;
    assert!(
        !text(&out.stderr).contains("holds api_key"),
        "{}",
        text(&out.stderr)
    );
    let out = with_config(&["doctor"]).await;
    assert!(
        !text(&out.stdout).contains("holds api_key"),
        "{}",
        text(&out.stdout)
    );
}

/// A server that answers every request with `body` (200; one SSE event when `alt=sse` asks
/// for a stream), on a free loopback port.
async fn answering(body: &'static str) -> String {
    let app = axum::Router::new().fallback(move |uri: axum::http::Uri| async move {
        if uri.query().is_some_and(|q| q.contains("alt=sse")) {
            (
                [(axum::http::header::CONTENT_TYPE, "text/event-stream")],
                format!("data: {body}\r\n\r\n"),
            )
        } else {
            (
                [(axum::http::header::CONTENT_TYPE, "application/json")],
                body.to_owned(),
            )
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

/// A blocked prompt (`promptFeedback.blockReason`, no candidates) gives no answer: `generate`
/// says why, with Vertex AI's blockReasonMessage when there is one, and exits 5.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blocked_prompt_shows_its_reason_and_exits_5() {
    let home = tempfile::tempdir().unwrap();
    let gemini =
        answering(r#"{"promptFeedback": {"blockReason": "SAFETY", "safetyRatings": []}}"#).await;
    let vertex = answering(
        r#"{"promptFeedback": {"blockReason": "PROHIBITED_CONTENT", "blockReasonMessage": "The prompt may contain prohibited content."}}"#,
    )
    .await;
    for (args, said) in [
        (
            vec![
                "--endpoint",
                &gemini,
                "generate",
                "models/gemini-2.5-flash",
                "hi",
            ],
            "the prompt was blocked: SAFETY",
        ),
        (
            vec![
                "--endpoint",
                &gemini,
                "generate",
                "--stream",
                "models/gemini-2.5-flash",
                "hi",
            ],
            "the prompt was blocked: SAFETY",
        ),
        (
            vec![
                "--endpoint",
                &vertex,
                "--vertex",
                "--project",
                "p",
                "generate",
                "gemini-2.5-flash",
                "hi",
            ],
            "the prompt was blocked: PROHIBITED_CONTENT: The prompt may contain prohibited content.",
        ),
    ] {
        let out = run({
            let mut c = bare(home.path());
            c.args(&args).timeout(Duration::from_secs(60));
            c
        })
        .await;
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(5), "{args:?}: {err}");
        assert!(err.contains(said), "{args:?}: {err}");
    }
}
