//! The grammar of a tuned model's id, which is part of every `tunedModels/{id}` resource name.
//! It lives with the wire because the client refuses a name the service would not route before
//! sending it; `domain::tuning` re-exports it so the rules keep their one home for callers.

/// A `tunedModelId`, in characters (`[a-z]([a-z0-9-]{0,38}[a-z0-9])?`; the API reference's
/// `tunedModels.create`). `domain::limits::MAX_MODEL_ID_CHARS` is this value.
pub const MAX_TUNED_MODEL_ID_CHARS: usize = 40;

/// `[a-z]([a-z0-9-]{0,38}[a-z0-9])?`
pub fn valid_model_id(id: &str) -> bool {
    let bytes = id.as_bytes();
    if bytes.is_empty() || bytes.len() > MAX_TUNED_MODEL_ID_CHARS || !bytes[0].is_ascii_lowercase()
    {
        return false;
    }
    let last = bytes[bytes.len() - 1];
    bytes
        .iter()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
        && (last.is_ascii_lowercase() || last.is_ascii_digit())
}
