//! The headless commands, run as a script runs them (the real binary, `--endpoint` at the
//! recording proxy): what `tune --watch`, `models`, `generate`, `cancel` and their Vertex AI
//! forms send and read conforms too.

use super::*;
use std::path::Path;

/// `tunedeck --endpoint PROXY ARGS` with none of the machine's settings, run to the end.
async fn run(proxy: &str, home: &Path, args: &[&str]) -> (i32, String, String) {
    let mut cmd = common::bare_command(home);
    cmd.args(["--endpoint", proxy])
        .args(args)
        .timeout(Duration::from_secs(60));
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (
        out.status.code().unwrap_or(-1),
        text(&out.stdout),
        text(&out.stderr),
    )
}

fn dataset(dir: &Path) -> String {
    let path = dir.join("colors.jsonl");
    let lines: String = (0..12)
        .map(|i| {
            json!({"text_input": format!("color {i}"), "output": format!("hue {}", i % 3)})
                .to_string()
                + "\n"
        })
        .collect();
    std::fs::write(&path, lines).unwrap();
    path.to_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_headless_commands_conform_to_the_discovery_documents() {
    let home = tempfile::tempdir().unwrap();
    let data = dataset(home.path());
    let emu = start(options()).await;
    let proxy = recorder::start(&emu.base_url()).await;
    let url = proxy.base_url.clone();
    let ok = |(code, out, err): (i32, String, String)| {
        assert_eq!(code, 0, "{err}");
        out
    };
    // The Gemini API.
    let tune = ["tune", "--dataset", &data, "--id", "cli-colors"];
    ok(run(
        &url,
        home.path(),
        &[&tune[..], &["--epochs", "2", "--watch"]].concat(),
    )
    .await);
    ok(run(&url, home.path(), &["models", "list"]).await);
    ok(run(&url, home.path(), &["models", "get", "cli-colors"]).await);
    ok(run(
        &url,
        home.path(),
        &["generate", "tunedModels/cli-colors", "color 1"],
    )
    .await);
    let slow = [
        "tune",
        "--dataset",
        &data,
        "--id",
        "cli-slow",
        "--epochs",
        "300",
    ];
    ok(run(&url, home.path(), &slow).await);
    ok(run(&url, home.path(), &["cancel", "cli-slow"]).await);
    ok(run(
        &url,
        home.path(),
        &["models", "delete", "cli-colors", "--yes"],
    )
    .await);
    assert_conforms(
        &proxy.take(),
        &[
            "POST /v1beta/tunedModels",
            "GET /v1beta/tunedModels",
            "POST /v1beta/tunedModels/{id}:generateContent",
            "DELETE /v1beta/tunedModels/{id}",
        ],
    );
    // Vertex AI, with Cloud Storage on the same endpoint.
    fn args<'a>(rest: &[&'a str]) -> Vec<&'a str> {
        [&["--vertex", "--project", "p"][..], rest].concat()
    }
    let endpoint = ok(run(
        &url,
        home.path(),
        &args(&[
            "tune",
            "--dataset",
            &data,
            "--bucket",
            "bkt",
            "--held-out",
            "25",
            "--epochs",
            "2",
            "--watch",
        ]),
    )
    .await);
    let endpoint = endpoint.trim().to_owned();
    ok(run(&url, home.path(), &args(&["jobs", "list"])).await);
    ok(run(
        &url,
        home.path(),
        &args(&["generate", &endpoint, "color 1"]),
    )
    .await);
    let jobs = ok(run(&url, home.path(), &args(&["jobs", "list", "--json"])).await);
    let jobs: Vec<Value> = serde_json::from_str(&jobs).unwrap();
    let model = jobs[0]["tunedModel"]["model"].as_str().unwrap().to_owned();
    ok(run(
        &url,
        home.path(),
        &args(&["models", "delete", &model, "--yes"]),
    )
    .await);
    assert_conforms(
        &proxy.take(),
        &[
            "POST /upload/storage/v1/b/{b}/o",
            "POST /v1/projects/{p}/locations/{l}/tuningJobs",
            // Jobs are read on v1beta1, for their stage (`tuningJobState`).
            "GET /v1beta1/projects/{p}/locations/{l}/tuningJobs/{j}",
            "GET /v1beta1/projects/{p}/locations/{l}/tuningJobs",
            "POST /v1/projects/{p}/locations/{l}/endpoints/{e}:generateContent",
        ],
    );
}
