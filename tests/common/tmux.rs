//! The binary in a real terminal: tmux runs it in a private home with no credentials, tests
//! type with send-keys and read the screen with capture-pane. Shared by every terminal test
//! file so that each tests what a person sees, not how the terminal is driven.
//!
//! Needs tmux; without it [`have_tmux`] says so and the test passes, unless
//! TUNEDECK_REQUIRE_TMUX_TEST is set (CI sets it after installing tmux).

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// One tmux server (its own socket) running the binary in session `t`.
pub struct Tmux {
    socket: String,
    home: tempfile::TempDir,
}

impl Tmux {
    /// Runs a tmux command against this server and returns what it printed.
    pub fn run(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("tmux runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Starts the binary in a fresh 100x30 session with a private home and no credentials.
    pub fn start(name: &str) -> Tmux {
        Tmux::start_with(name, "", |_| {})
    }

    /// [`Tmux::start`] with arguments, after `prepare` has written files into the home (the
    /// command runs there).
    pub fn start_with(name: &str, args: &str, prepare: impl FnOnce(&Path)) -> Tmux {
        Tmux::start_sized(name, args, (100, 30), prepare)
    }

    /// [`Tmux::start_with`] in a terminal of `(columns, rows)`.
    pub fn start_sized(
        name: &str,
        args: &str,
        (columns, rows): (u16, u16),
        prepare: impl FnOnce(&Path),
    ) -> Tmux {
        let home = tempfile::tempdir().unwrap();
        prepare(home.path());
        let socket = format!("tunedeck-test-{}-{name}", std::process::id());
        let tmux = Tmux { socket, home };
        let script = tmux.script(args);
        let (columns, rows) = (columns.to_string(), rows.to_string());
        let out = Command::new("tmux")
            .args([
                "-L",
                &tmux.socket,
                "new-session",
                "-d",
                "-s",
                "t",
                "-x",
                &columns,
                "-y",
                &rows,
                &script,
            ])
            .output()
            .expect("tmux starts");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        tmux
    }

    /// The private home the binary runs in (its current directory too).
    pub fn home(&self) -> &Path {
        self.home.path()
    }

    fn script(&self, args: &str) -> String {
        let h = self.home.path();
        format!(
            "cd {home} && {env} {bin} {args}; echo EXITED $?; sleep 30",
            home = h.display(),
            env = super::clean_env_prefix(h),
            bin = env!("CARGO_BIN_EXE_tunedeck"),
        )
    }

    /// Kills the binary without warning (as a crash would) and starts it again in the same
    /// home and pane.
    pub fn kill_and_restart(&self, args: &str) {
        let pid = self.app_pid();
        Command::new("kill").args(["-KILL", &pid]).status().unwrap();
        let script = self.script(args);
        self.run(&["respawn-pane", "-k", "-t", "t", &script]);
    }

    /// Sends keys by tmux name (`Enter`, `Tab`, `j`, …).
    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "t"];
        args.extend_from_slice(keys);
        self.run(&args);
    }

    /// Types `text` literally.
    pub fn type_text(&self, text: &str) {
        self.run(&["send-keys", "-t", "t", "-l", text]);
    }

    pub fn screen(&self) -> String {
        self.run(&["capture-pane", "-t", "t", "-p"])
    }

    /// The screen once it shows `text`; fails after 30 s with the screen it has.
    pub fn wait_for(&self, text: &str) -> String {
        self.wait_until(text, |screen| screen.contains(text))
    }

    /// The screen once `check` holds for it; fails after 30 s naming `what`.
    pub fn wait_until(&self, what: &str, check: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let screen = self.screen();
            if check(&screen) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "never saw {what:?}; the screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn flag(&self, name: &str) -> String {
        self.run(&["display-message", "-p", "-t", "t", &format!("#{{{name}}}")])
            .trim()
            .to_owned()
    }

    pub fn app_pid(&self) -> String {
        let shell = self.run(&["display-message", "-p", "-t", "t", "#{pane_pid}"]);
        let out = Command::new("pgrep")
            .args(["-P", shell.trim()])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .next()
            .unwrap_or("")
            .to_owned()
    }

    /// The terminal is given back and the process ended with `status`.
    pub fn assert_restored(&self, status: i32) {
        let screen = self.wait_for(&format!("EXITED {status}"));
        assert_eq!(
            self.flag("alternate_on"),
            "0",
            "left the alternate screen:\n{screen}"
        );
        assert_eq!(self.flag("mouse_any_flag"), "0", "mouse reporting off");
        assert!(
            !screen.contains("Tuned models"),
            "the dashboard is gone:\n{screen}"
        );
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .output();
    }
}

/// Whether tmux and the binary are there; without tmux a test skips, unless CI requires it.
pub fn have_tmux() -> bool {
    let found = Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var_os("TUNEDECK_REQUIRE_TMUX_TEST").is_none(),
            "TUNEDECK_REQUIRE_TMUX_TEST is set but tmux is not installed"
        );
        eprintln!("skipped: tmux is not installed");
    }
    found && Path::new(env!("CARGO_BIN_EXE_tunedeck")).exists()
}
