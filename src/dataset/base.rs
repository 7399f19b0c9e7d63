//! What a file was when the editor read or last saved it: its size, modification time and a
//! hash of its content. The autosave journal records it, so a recovery can tell whether the
//! file changed outside since the edits were made.

use md5::Digest;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FileBase {
    pub size: u64,
    /// Seconds and nanoseconds since the Unix epoch (absent where the system has none).
    pub modified: Option<(u64, u32)>,
    /// The MD5 of the content, in hex: a change detector, not a security measure.
    pub md5: String,
}

impl FileBase {
    /// The base of `bytes` written or read at `modified`.
    pub fn of_bytes(bytes: &[u8], modified: Option<SystemTime>) -> Self {
        let digest = md5::Md5::digest(bytes);
        FileBase {
            size: bytes.len() as u64,
            modified: modified
                .and_then(|m| m.duration_since(UNIX_EPOCH).ok())
                .map(|d| (d.as_secs(), d.subsec_nanos())),
            md5: digest.iter().map(|b| format!("{b:02x}")).collect(),
        }
    }

    /// The file's base now; `None` when it does not exist or cannot be read.
    pub fn read(path: &std::path::Path) -> Option<Self> {
        let bytes = std::fs::read(path).ok()?;
        let modified = std::fs::metadata(path).and_then(|m| m.modified()).ok();
        Some(FileBase::of_bytes(&bytes, modified))
    }

    /// The modification time recorded.
    pub fn modified_time(&self) -> Option<SystemTime> {
        self.modified
            .map(|(secs, nanos)| UNIX_EPOCH + Duration::new(secs, nanos))
    }

    /// The same content (a file touched but not changed is the same).
    pub fn same_content(&self, other: &FileBase) -> bool {
        self.size == other.size && self.md5 == other.md5
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_of_content_is_seen_and_a_touch_is_not() {
        let a = FileBase::of_bytes(b"one\n", Some(UNIX_EPOCH + Duration::new(5, 7)));
        let touched = FileBase::of_bytes(b"one\n", Some(UNIX_EPOCH + Duration::new(9, 0)));
        let changed = FileBase::of_bytes(b"one\ntwo\n", None);
        assert!(a.same_content(&touched));
        assert!(!a.same_content(&changed));
        assert_eq!(a.modified_time(), Some(UNIX_EPOCH + Duration::new(5, 7)));
        let text = serde_json::to_string(&a).unwrap();
        assert_eq!(serde_json::from_str::<FileBase>(&text).unwrap(), a);
    }
}
