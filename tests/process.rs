//! The emulator as a process, the way a user runs it: signals end it cleanly after a final save,
//! a `kill -9` right after an answer (or between a state file's rename and the journal's
//! truncation) loses nothing that answer acknowledged, and a full disk never stops a start.

mod common;
use common::*;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// `tunedeck emulator` on a free port with its state in `state`; returns the child and its URL.
fn spawn_emulator(state: &Path, extra: &[&str]) -> (Child, String) {
    let (child, url, _) = spawn_emulator_logged(state, extra);
    (child, url)
}

/// [`spawn_emulator`], with every line it writes to stderr collected.
fn spawn_emulator_logged(state: &Path, extra: &[&str]) -> (Child, String, Arc<Mutex<Vec<String>>>) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tunedeck"));
    for var in MACHINE_VARS {
        cmd.env_remove(var);
    }
    let mut child = cmd
        .args(["emulator", "--bind", "127.0.0.1:0", "--state"])
        .arg(state)
        .args(extra)
        .env_remove("RUST_BACKTRACE")
        .env_remove("RUST_LIB_BACKTRACE")
        .env("HOME", state.parent().unwrap())
        .env("XDG_DATA_HOME", state.parent().unwrap().join("data"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    let url = loop {
        let line = lines
            .next()
            .expect("the emulator says where it listens")
            .unwrap();
        if let Some(rest) = line.split("emulator on ").nth(1) {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
    };
    // Keep reading stderr so the child never blocks on a full pipe.
    let log = Arc::new(Mutex::new(Vec::new()));
    let kept = Arc::clone(&log);
    std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            kept.lock().unwrap().push(line);
        }
    });
    (child, url, log)
}

fn signal(child: &Child, name: &str) {
    let status = Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

fn wait_exit(child: &mut Child) -> Option<i32> {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the emulator did not exit"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigint_sigterm_and_sighup_end_the_emulator_with_exit_0_after_saving() {
    for sig in ["INT", "TERM", "HUP"] {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state.json");
        let (mut child, url) = spawn_emulator(&state, &["--empty"]);
        let client = client_at(&url, tunedeck::api::Credentials::None);
        client
            .create_tuned_model(
                &tuning_request("kept", tutorial_examples(), 4, 1),
                Some("kept"),
            )
            .await
            .unwrap();
        signal(&child, sig);
        assert_eq!(wait_exit(&mut child), Some(0), "SIG{sig} gives exit 0");
        let (mut again, url) = spawn_emulator(&state, &["--empty"]);
        let client = client_at(&url, tunedeck::api::Credentials::None);
        client.get_tuned_model("kept").await.unwrap();
        signal(&again, "KILL");
        let _ = wait_exit(&mut again);
    }
}

/// Every tuned model the emulator at `url` lists, by id, with its display name.
async fn listed(url: &str) -> std::collections::BTreeMap<String, String> {
    let client = client_at(url, tunedeck::api::Credentials::None);
    client
        .list_tuned_models(Some(1000), "", None)
        .await
        .unwrap()
        .tuned_models
        .into_iter()
        .map(|m| (m.id().to_owned(), m.display_name))
        .collect()
}

/// `kill -9` right after each acknowledged create, patch and delete, then a restart: what was
/// acknowledged is exactly what is there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_acknowledged_is_lost_to_kill_9() {
    const N: usize = 20;
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let mut expected = std::collections::BTreeMap::new();
    let crash_after = |child: &mut Child| {
        signal(child, "KILL");
        wait_exit(child);
    };
    for i in 0..N {
        let id = format!("m{i:02}");
        let (mut child, url) = spawn_emulator(&state, &["--empty", "--step-ms", "5"]);
        let client = client_at(&url, tunedeck::api::Credentials::None);
        client
            .create_tuned_model(
                &tuning_request(&format!("created {i}"), tutorial_examples(), 4, 1),
                Some(&id),
            )
            .await
            .unwrap();
        crash_after(&mut child);
        expected.insert(id.clone(), format!("created {i}"));

        let (mut child, url) = spawn_emulator(&state, &["--empty", "--step-ms", "5"]);
        let client = client_at(&url, tunedeck::api::Credentials::None);
        let patch = tunedeck::api::types::TunedModel {
            name: format!("tunedModels/{id}"),
            display_name: format!("patched {i}"),
            ..Default::default()
        };
        client
            .update_tuned_model(&patch, &["displayName"])
            .await
            .unwrap();
        crash_after(&mut child);
        expected.insert(id.clone(), format!("patched {i}"));

        if i % 2 == 1 {
            let (mut child, url) = spawn_emulator(&state, &["--empty", "--step-ms", "5"]);
            let client = client_at(&url, tunedeck::api::Credentials::None);
            let gone = format!("m{:02}", i - 1);
            client.delete_tuned_model(&gone).await.unwrap();
            crash_after(&mut child);
            expected.remove(&gone);
        }
    }
    let (mut child, url) = spawn_emulator(&state, &["--empty"]);
    assert_eq!(listed(&url).await, expected);
    crash_after(&mut child);
}

/// A job polled to step k, then `kill -9`: after the restart it shows at least k steps.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_job_never_shows_fewer_steps_than_a_client_saw() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    for round in 0..5 {
        let (mut child, url) = spawn_emulator(&state, &["--empty", "--step-ms", "15"]);
        let client = client_at(&url, tunedeck::api::Credentials::None);
        let name = if round == 0 {
            let examples: Vec<_> = (0..200)
                .map(|i| {
                    tunedeck::api::types::TuningExample::new(format!("in {i}"), format!("out {i}"))
                })
                .collect();
            client
                .create_tuned_model(&tuning_request("long", examples, 1, 5), Some("long"))
                .await
                .unwrap()
                .name
        } else {
            let ops = client
                .list_operations("tunedModels/long", Some(10), "")
                .await
                .unwrap();
            ops.operations[0].name.clone()
        };
        // Poll until some steps beyond a checkpoint boundary are visible, then crash.
        let mut seen = 0;
        for _ in 0..200 {
            let op = client.get_operation(&name).await.unwrap();
            seen = op.tuning_metadata().map_or(0, |m| m.completed_steps);
            if seen > 0 && seen % 16 != 0 && seen > round * 20 + 5 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(7)).await;
        }
        signal(&child, "KILL");
        wait_exit(&mut child);
        let (mut again, url) = spawn_emulator(&state, &["--empty", "--step-ms", "100000"]);
        let client = client_at(&url, tunedeck::api::Credentials::None);
        let op = client.get_operation(&name).await.unwrap();
        let after = op.tuning_metadata().map_or(0, |m| m.completed_steps);
        assert!(
            after >= seen,
            "round {round}: a client saw step {seen}, the restarted job shows {after}"
        );
        signal(&again, "KILL");
        wait_exit(&mut again);
    }
}

/// With the disk full, a change answers 503 and changes nothing, on disk or in memory.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_write_answers_503_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let (mut child, url) = spawn_emulator(&state, &["--empty"]);
    let client = client_at(&url, tunedeck::api::Credentials::None);
    client
        .create_tuned_model(
            &tuning_request("before", tutorial_examples(), 4, 1),
            Some("kept"),
        )
        .await
        .unwrap();
    signal(&child, "TERM");
    wait_exit(&mut child);

    let (mut child, url) = spawn_emulator(&state, &["--empty", "--fault-disk-full"]);
    let mut config = tunedeck::api::ClientConfig::new(&url, tunedeck::api::Credentials::None);
    config.retry.max_retries = 0;
    let client = tunedeck::api::ApiClient::new(config).unwrap();
    let err = client
        .create_tuned_model(
            &tuning_request("lost", tutorial_examples(), 4, 1),
            Some("refused"),
        )
        .await
        .unwrap_err();
    assert_eq!(err.http_status, Some(503), "{err}");
    assert!(err.to_string().contains("nothing was changed"), "{err}");
    let patch = tunedeck::api::types::TunedModel {
        name: "tunedModels/kept".into(),
        display_name: "renamed".into(),
        ..Default::default()
    };
    let err = client
        .update_tuned_model(&patch, &["displayName"])
        .await
        .unwrap_err();
    assert_eq!(err.http_status, Some(503));
    let err = client.delete_tuned_model("kept").await.unwrap_err();
    assert_eq!(err.http_status, Some(503));
    // Nothing changed in memory either.
    let now = listed(&url).await;
    assert_eq!(now.get("kept").map(String::as_str), Some("before"));
    assert!(!now.contains_key("refused"));
    signal(&child, "KILL");
    wait_exit(&mut child);
    let (mut child, url) = spawn_emulator(&state, &["--empty"]);
    let after = listed(&url).await;
    assert_eq!(after.keys().collect::<Vec<_>>(), vec!["kept"]);
    assert_eq!(after["kept"], "before");
    signal(&child, "KILL");
    wait_exit(&mut child);
}

/// A start-up failure is one clear line on stderr and exit 1: no report, no backtrace.
#[test]
fn start_up_errors_are_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let bad_state = dir.path().join("state.json");
    std::fs::write(&bad_state, "{bad").unwrap();
    let runs: [(&[&str], &str); 2] = [
        (
            &["emulator", "--ephemeral", "--bind", &addr],
            "Address already in use",
        ),
        (
            &[
                "emulator",
                "--bind",
                "127.0.0.1:0",
                "--state",
                bad_state.to_str().unwrap(),
            ],
            "not an emulator state file",
        ),
    ];
    for (args, words) in runs {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_tunedeck"));
        for var in MACHINE_VARS {
            cmd.env_remove(var);
        }
        let out = cmd
            .args(args)
            .env_remove("RUST_BACKTRACE")
            .env_remove("RUST_LIB_BACKTRACE")
            .env("HOME", dir.path())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        let stderr = String::from_utf8_lossy(&out.stderr);
        let errors: Vec<&str> = stderr
            .lines()
            .filter(|l| l.starts_with("error: "))
            .collect();
        assert_eq!(errors.len(), 1, "{stderr}");
        assert!(errors[0].contains(words), "{stderr}");
        assert!(
            !stderr.contains("BACKTRACE") && !stderr.contains("Location"),
            "{stderr}"
        );
    }
}

/// The state file's inode, or `None` when there is none.
fn inode(path: &Path) -> Option<u64> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().map(|m| m.ino())
}

fn file_len(path: &Path) -> u64 {
    std::fs::metadata(path).map_or(0, |m| m.len())
}

/// Creates model `id` (display name `display`) and expects it acknowledged.
async fn create(url: &str, id: &str, display: &str) {
    client_at(url, tunedeck::api::Credentials::None)
        .create_tuned_model(
            &tuning_request(display, tutorial_examples(), 4, 1),
            Some(id),
        )
        .await
        .unwrap();
}

/// Issue 25 item 1: a kill -9 after a new state file is renamed into place and before the
/// journal is emptied (held open by a test knob; the rename is seen as a new inode) leaves a
/// journal whose entries the state already holds. The next start loads it, with every
/// acknowledged write, and so does the one after a second such crash.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kill_9_between_the_state_files_rename_and_the_journals_truncation_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let journal = dir.path().join("state.json.journal");
    let mut expected = std::collections::BTreeMap::new();
    let quiet = ["--empty", "--step-ms", "100000000"];
    for round in 0..2 {
        // Acknowledged writes, in the journal only.
        let (mut child, url) = spawn_emulator(&state, &quiet);
        for i in 0..4 {
            let id = format!("r{round}m{i}");
            create(&url, &id, &id).await;
            expected.insert(id, format!("r{round}m{i}"));
        }
        let patch = tunedeck::api::types::TunedModel {
            name: format!("tunedModels/r{round}m0"),
            display_name: format!("patched {round}"),
            ..Default::default()
        };
        client_at(&url, tunedeck::api::Credentials::None)
            .update_tuned_model(&patch, &["displayName"])
            .await
            .unwrap();
        expected.insert(format!("r{round}m0"), format!("patched {round}"));
        signal(&child, "KILL");
        wait_exit(&mut child);
        assert!(
            file_len(&journal) > 0,
            "round {round}: the writes are in the journal"
        );

        // The start folds the journal into the state file in the background: kill it as soon
        // as the new state file is in place, while the journal still holds the same entries.
        let before = inode(&state);
        let mut args = quiet.to_vec();
        args.extend(["--fault-compact-pause-ms", "60000"]);
        let (mut child, _) = spawn_emulator(&state, &args);
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while inode(&state) == before {
            assert!(
                std::time::Instant::now() < deadline,
                "round {round}: the state file was never written"
            );
            std::thread::sleep(Duration::from_millis(2));
        }
        signal(&child, "KILL");
        wait_exit(&mut child);
        assert!(
            file_len(&journal) > 0,
            "round {round}: killed inside the window (the journal not emptied yet)"
        );

        let (mut child, url) = spawn_emulator(&state, &quiet);
        assert_eq!(listed(&url).await, expected, "round {round}");
        signal(&child, "KILL");
        wait_exit(&mut child);
    }
}

/// Issue 25 item 2: the temporaries that kills during a save left beside the state (named after
/// it, or `.tmpXXXXXX` from earlier versions, beginning as a state file does) are removed at
/// start; another program's `.tmpXXXXXX` file is left alone.
#[test]
fn stale_snapshot_temporaries_are_removed_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let partial = vec![b'7'; 1 << 20];
    let ours = dir.path().join(".state.json.tmpX1y2Z3");
    let legacy = dir.path().join(".tmpA1b2C3");
    for file in [&ours, &legacy] {
        let mut bytes = b"{\"records\":[{\"model\":{\"name\":\"tunedModels/x\",\"x\":".to_vec();
        bytes.extend_from_slice(&partial);
        std::fs::write(file, bytes).unwrap();
    }
    let foreign = dir.path().join(".tmpQ9w8E7");
    std::fs::write(&foreign, b"not ours").unwrap();
    let (mut child, _) = spawn_emulator(&state, &["--empty"]);
    assert!(!ours.exists(), "a temporary named after the state is gone");
    assert!(!legacy.exists(), "an earlier version's temporary is gone");
    assert!(foreign.exists(), "another program's file stays");
    signal(&child, "TERM");
    assert_eq!(wait_exit(&mut child), Some(0));
}

/// Issue 25 item 3, by fault injection: with no room for a new state file the emulator starts
/// (writing nothing first), acknowledges changes into its journal, and at SIGTERM exits 1
/// saying the journal still has everything; the next start has every change.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_start_without_room_for_a_state_file_serves_and_a_failed_final_save_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let (mut child, url) = spawn_emulator(&state, &["--empty"]);
    create(&url, "before", "before").await;
    signal(&child, "TERM");
    assert_eq!(wait_exit(&mut child), Some(0));
    let saved = std::fs::read(&state).unwrap();

    let (mut child, url, log) =
        spawn_emulator_logged(&state, &["--empty", "--fault-snapshot-full"]);
    create(&url, "during", "during").await;
    assert_eq!(listed(&url).await.len(), 2);
    signal(&child, "TERM");
    assert_eq!(wait_exit(&mut child), Some(1), "the final save failed");
    let log = log.lock().unwrap().join("\n");
    assert!(
        log.lines().any(|l| l.starts_with("error: ")
            && l.contains("final save")
            && l.contains("state.json.journal")
            && l.contains("still has every change")),
        "{log}"
    );
    assert_eq!(
        std::fs::read(&state).unwrap(),
        saved,
        "the state file untouched"
    );

    let (mut child, url) = spawn_emulator(&state, &["--empty"]);
    let after = listed(&url).await;
    assert_eq!(after.keys().collect::<Vec<_>>(), ["before", "during"]);
    signal(&child, "TERM");
    assert_eq!(wait_exit(&mut child), Some(0));
}

/// A small tmpfs mounted for one test and unmounted after it (also when it fails).
struct Tmpfs(std::path::PathBuf);

impl Tmpfs {
    /// `None` (after saying why) where mounting is not allowed.
    fn mount(dir: &Path, size: &str) -> Option<Tmpfs> {
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .output();
        match out {
            Ok(o) if o.status.success() => Some(Tmpfs(dir.to_path_buf())),
            Ok(o) => {
                eprintln!(
                    "skipping: cannot mount a tmpfs here ({})",
                    String::from_utf8_lossy(&o.stderr).trim()
                );
                None
            }
            Err(e) => {
                eprintln!("skipping: cannot run mount ({e})");
                None
            }
        }
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// Issue 25 item 3 on a real full disk (a 4 MiB tmpfs, skipped where mounting is not allowed):
/// a state of about 1 MiB, the disk filled, then 256 KiB freed. The emulator starts on it,
/// takes changes into its journal, and exits 1 at SIGTERM since the state file cannot be
/// rewritten; once space is freed, the next start has everything and saves.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_full_disk_the_emulator_restarts_without_room_for_a_whole_state() {
    let dir = tempfile::tempdir().unwrap();
    let Some(_mounted) = Tmpfs::mount(dir.path(), "4m") else {
        return;
    };
    let state = dir.path().join("state.json");
    let quiet = ["--empty", "--step-ms", "100000000"];
    let (mut child, url) = spawn_emulator(&state, &quiet);
    let big: Vec<_> = (0..400)
        .map(|i| {
            tunedeck::api::types::TuningExample::new(
                format!("{i} {}", "x".repeat(2400)),
                format!("{i}"),
            )
        })
        .collect();
    client_at(&url, tunedeck::api::Credentials::None)
        .create_tuned_model(&tuning_request("big", big, 4, 1), Some("big"))
        .await
        .unwrap();
    signal(&child, "TERM");
    assert_eq!(wait_exit(&mut child), Some(0));
    assert!(file_len(&state) > 900_000, "{}", file_len(&state));

    // Fill the disk, then free 256 KiB: less than a copy of the state needs.
    let filler = dir.path().join("filler");
    {
        use std::io::Write;
        let mut f = std::fs::File::create(&filler).unwrap();
        let block = vec![0u8; 64 * 1024];
        while f.write_all(&block).is_ok() {}
        let _ = f.sync_all();
    }
    let full = file_len(&filler);
    std::fs::OpenOptions::new()
        .write(true)
        .open(&filler)
        .unwrap()
        .set_len(full.saturating_sub(256 * 1024))
        .unwrap();

    let (mut child, url, log) = spawn_emulator_logged(&state, &quiet);
    create(&url, "small", "small").await;
    assert_eq!(listed(&url).await.len(), 2);
    signal(&child, "TERM");
    assert_eq!(wait_exit(&mut child), Some(1), "no room for the final save");
    let log = log.lock().unwrap().join("\n");
    assert!(log.contains("still has every change"), "{log}");
    assert!(
        log.contains("not enough free space for a new state file"),
        "refused before filling the disk: {log}"
    );
    assert!(
        std::fs::read_dir(dir.path()).unwrap().all(|e| !e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .contains(".tmp")),
        "the failed save left no temporary"
    );

    std::fs::remove_file(&filler).unwrap();
    let (mut child, url) = spawn_emulator(&state, &quiet);
    assert_eq!(
        listed(&url).await.keys().collect::<Vec<_>>(),
        ["big", "small"]
    );
    signal(&child, "TERM");
    assert_eq!(wait_exit(&mut child), Some(0), "saved once there is room");
    assert_eq!(file_len(&dir.path().join("state.json.journal")), 0);
}
