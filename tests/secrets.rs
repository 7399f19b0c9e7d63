//! Secrets kept out of `ps`: `--api-key-file`, `--access-token-file` and the emulator's
//! `--require-key-file` and `--require-token-file` (each `-` for stdin), run as a user runs
//! them, and each secret flag's help warning about `ps`.

mod common;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const KEY: &str = "emulator-key-0123456789";
const TOKEN: &str = "emulator-token-abcdefghij";

/// `tunedeck emulator` on a free port, its key read from stdin and its token from `token`.
fn spawn_emulator(home: &Path, token: &Path) -> (Child, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tunedeck"));
    for var in common::MACHINE_VARS {
        cmd.env_remove(var);
    }
    let mut child = cmd
        .args(["emulator", "--ephemeral", "--bind", "127.0.0.1:0"])
        .args(["--require-key-file", "-", "--require-token-file"])
        .arg(token)
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_STATE_HOME", home.join("state"))
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let mut stdin = child.stdin.take().unwrap();
    writeln!(stdin, "{KEY}").unwrap();
    drop(stdin);
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let url = loop {
        let line = lines
            .next()
            .expect("the emulator says where it listens")
            .unwrap();
        if let Some(rest) = line.split("emulator on ").nth(1) {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    (child, url)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn keys_and_tokens_are_read_from_files_and_stdin() {
    let home = tempfile::tempdir().unwrap();
    let key_file = home.path().join("key.txt");
    let token_file = home.path().join("token.txt");
    let empty = home.path().join("empty.txt");
    std::fs::write(&key_file, format!("{KEY}\n")).unwrap();
    std::fs::write(&token_file, format!("  {TOKEN}\r\n")).unwrap();
    std::fs::write(&empty, "\n").unwrap();
    let (mut emulator, url) = spawn_emulator(home.path(), &token_file);
    let run = |args: &[&str], stdin: Option<&str>| {
        let mut cmd = common::bare_command(home.path());
        cmd.args(["--endpoint", &url])
            .args(args)
            .timeout(Duration::from_secs(60));
        if let Some(input) = stdin {
            cmd.write_stdin(input.to_owned());
        }
        cmd.output().unwrap()
    };
    let key_path = key_file.to_str().unwrap();
    let token_path = token_file.to_str().unwrap();
    // Refused without credentials: the emulator did read its key and token.
    let out = run(&["models", "list"], None);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    for (args, stdin) in [
        (vec!["--api-key-file", key_path, "models", "list"], None),
        (
            vec!["--api-key-file", "-", "models", "list"],
            Some(format!("{KEY}\n")),
        ),
        (
            vec!["--access-token-file", token_path, "models", "list"],
            None,
        ),
        (
            vec!["--access-token-file", "-", "models", "list"],
            Some(TOKEN.to_owned()),
        ),
    ] {
        let out = run(&args, stdin.as_deref());
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
    let out = run(&["--access-token-file", token_path, "doctor"], None);
    let report = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(report.contains("from --access-token-file"), "{report}");
    assert!(!report.contains(TOKEN), "{report}");
    // Bad files are named, with nothing of their content.
    let missing = home.path().join("missing.txt");
    for (file, why) in [(&empty, "empty"), (&missing, "No such file")] {
        let out = run(
            &["--api-key-file", file.to_str().unwrap(), "models", "list"],
            None,
        );
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(
            err.contains("--api-key-file") && err.contains(&*file.display().to_string()),
            "{err}"
        );
        assert!(err.contains(why), "{err}");
    }
    let out = run(
        &[
            "--api-key-file",
            "-",
            "--access-token-file",
            "-",
            "models",
            "list",
        ],
        Some(""),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("cannot both read stdin"));
    let _ = emulator.kill();
    let _ = emulator.wait();
}

#[test]
fn every_secret_flag_warns_about_ps_in_its_help() {
    let home = tempfile::tempdir().unwrap();
    // An entry starts at a line whose flag is barely indented; its wrapped lines are indented
    // further. Each entry's words joined by single spaces.
    let help = |args: &[&str]| -> Vec<String> {
        let out = common::bare_command(home.path())
            .args(args)
            .output()
            .unwrap();
        let mut entries: Vec<String> = Vec::new();
        for line in text(&out.stdout).lines() {
            let indent = line.len() - line.trim_start().len();
            if indent < 10 && line.trim_start().starts_with('-') {
                entries.push(String::new());
            }
            if let Some(last) = entries.last_mut() {
                last.push(' ');
                last.push_str(line.trim());
            }
        }
        entries
            .iter()
            .map(|e| e.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect()
    };
    let entry = |entries: &[String], flag: &str| -> String {
        entries
            .iter()
            .find(|e| e.starts_with(flag))
            .unwrap_or_else(|| panic!("{flag}: {entries:?}"))
            .clone()
    };
    let main = help(&["models", "list", "--help"]);
    for flag in ["--api-key <API_KEY>", "--access-token <ACCESS_TOKEN>"] {
        let entry = entry(&main, flag);
        assert!(entry.contains("shows in `ps`"), "{flag}: {entry}");
    }
    let main = main.join(" ");
    assert!(main.contains("--api-key-file <FILE>") && main.contains("--access-token-file <FILE>"));
    let emulator = help(&["emulator", "--help"]);
    for flag in [
        "--require-key <REQUIRE_KEY>",
        "--require-token <REQUIRE_TOKEN>",
    ] {
        let entry = entry(&emulator, flag);
        assert!(entry.contains("shows in `ps`"), "{flag}: {entry}");
    }
    let emulator = emulator.join(" ");
    assert!(emulator.contains("--require-key-file <FILE>"));
}

/// A secret read from stdin leaves no stdin for a prompt or a dataset: said, not an empty
/// prompt sent.
#[test]
fn a_secret_from_stdin_and_a_prompt_from_stdin_are_refused_together() {
    let home = tempfile::tempdir().unwrap();
    for args in [
        vec!["--api-key-file", "-", "generate", "models/x", "-"],
        vec!["--access-token-file", "-", "generate", "models/x"],
        vec!["--api-key-file", "-", "dataset", "lint", "-"],
    ] {
        let out = common::bare_command(home.path())
            .args(&args)
            .write_stdin("secret-value-1234\n")
            .output()
            .unwrap();
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("cannot come from it too"), "{args:?}: {err}");
    }
}
