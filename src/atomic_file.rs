//! Atomic file writes: a temporary file in the same folder, fsync, rename. Readers (and a
//! crash) see the old content or the new, never half of one. A file that is replaced keeps its
//! permissions; a new one gets what the umask gives (as an editor's save would); a path that
//! is a symlink writes its target, so the link stays a link. The temporary is named after its
//! target (`.NAME.tmpXXXXXX`), so one a crash left behind can be recognised and removed
//! ([`temporaries_of`]).

use std::io::Write;
use std::path::{Path, PathBuf};

/// Where a write to `path` lands: the end of its chain of symlinks (relative links resolve
/// against the link's folder), or `path` itself when it is not a link.
pub fn target_of(path: &Path) -> PathBuf {
    let mut current = path.to_path_buf();
    for _ in 0..40 {
        match std::fs::read_link(&current) {
            Ok(next) => {
                current = if next.is_absolute() {
                    next
                } else {
                    current.parent().unwrap_or(Path::new(".")).join(next)
                };
            }
            Err(_) => return current,
        }
    }
    current
}

/// The mode a new file gets here: 0666 less the umask, read without changing it (a file made
/// and removed in the same folder).
#[cfg(unix)]
fn new_file_mode(dir: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    let probe = tempfile::Builder::new()
        .prefix(".tunedeck-umask-")
        .make_in(dir, |p| {
            std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(p)
        })
        .ok()?;
    let mode = probe.as_file().metadata().ok()?.permissions().mode() & 0o777;
    Some(mode)
}

/// The start of the name of every temporary a write to a file named `name` makes.
fn temp_prefix(name: &std::ffi::OsStr) -> String {
    format!(".{}.tmp", name.to_string_lossy())
}

/// The temporaries that writes to `path` left beside its target (a crash between creating one
/// and renaming it over the target leaves it there; nothing else makes these names).
pub fn temporaries_of(path: &Path) -> Vec<PathBuf> {
    let path = target_of(path);
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return Vec::new();
    };
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let prefix = temp_prefix(name);
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter(|e| {
            e.file_name().to_string_lossy().starts_with(&prefix)
                && e.file_type().is_ok_and(|t| t.is_file())
        })
        .map(|e| e.path())
        .collect()
}

/// Writes `bytes` to `path` atomically, creating the folder if needed.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let path = target_of(path);
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf();
    std::fs::create_dir_all(&dir)?;
    // The mode to end with: the replaced file's, else a new file's (tempfile makes 0600).
    let existing = std::fs::metadata(&path).ok().map(|m| m.permissions());
    let name = path.file_name().unwrap_or_default();
    let mut tmp = tempfile::Builder::new()
        .prefix(&temp_prefix(name))
        .tempfile_in(&dir)?;
    tmp.write_all(bytes)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = match &existing {
            Some(p) => Some(p.mode() & 0o7777),
            None => new_file_mode(&dir),
        };
        if let Some(mode) = mode {
            tmp.as_file()
                .set_permissions(std::fs::Permissions::from_mode(mode))?;
        }
    }
    #[cfg(not(unix))]
    if let Some(p) = existing {
        tmp.as_file().set_permissions(p)?;
    }
    tmp.as_file().sync_all()?;
    tmp.persist(&path).map_err(|e| e.error)?;
    if let Ok(d) = std::fs::File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn a_replaced_file_keeps_its_mode_and_a_new_one_follows_the_umask() {
        let dir = tempfile::tempdir().unwrap();
        let kept = dir.path().join("kept.jsonl");
        std::fs::write(&kept, "old").unwrap();
        std::fs::set_permissions(&kept, std::fs::Permissions::from_mode(0o644)).unwrap();
        write_atomically(&kept, b"new").unwrap();
        assert_eq!(mode(&kept), 0o644);
        std::fs::set_permissions(&kept, std::fs::Permissions::from_mode(0o640)).unwrap();
        write_atomically(&kept, b"newer").unwrap();
        assert_eq!(mode(&kept), 0o640);
        assert_eq!(std::fs::read_to_string(&kept).unwrap(), "newer");

        let fresh = dir.path().join("fresh.jsonl");
        write_atomically(&fresh, b"x").unwrap();
        let probe = dir.path().join("probe");
        std::fs::write(&probe, "").unwrap();
        assert_eq!(mode(&fresh), mode(&probe), "as any new file here");
        assert!(
            std::fs::read_dir(dir.path()).unwrap().all(|e| !e
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with(".tunedeck")),
            "no probe left behind"
        );
    }

    #[test]
    fn temporaries_are_named_after_their_target_and_found() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        write_atomically(&path, b"x").unwrap();
        assert!(temporaries_of(&path).is_empty(), "none left after a write");
        // What a crash between creating and renaming leaves.
        let tmp = tempfile::Builder::new()
            .prefix(&temp_prefix(path.file_name().unwrap()))
            .tempfile_in(dir.path())
            .unwrap();
        let (_, left) = tmp.keep().unwrap();
        std::fs::write(dir.path().join(".other.json.tmpabcdef"), "").unwrap();
        std::fs::write(dir.path().join(".tmpabcdef"), "").unwrap();
        assert_eq!(temporaries_of(&path), vec![left]);
    }

    #[test]
    fn writing_through_a_symlink_writes_its_target() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("real")).unwrap();
        let target = dir.path().join("real/data.jsonl");
        std::fs::write(&target, "old").unwrap();
        let link = dir.path().join("link.jsonl");
        std::os::unix::fs::symlink("real/data.jsonl", &link).unwrap();
        write_atomically(&link, b"new").unwrap();
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new");
    }
}
