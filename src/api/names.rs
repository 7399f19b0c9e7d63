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

/// The random tail of a [`generated_model_id`]: as long as the service's own (`…-dzlmi0gswwqb`).
const GENERATED_SUFFIX_CHARS: usize = 12;

/// A `tunedModelId` made the way the service makes one (the display name in lowercase words
/// joined by hyphens, then `-` and 12 random letters and digits, e.g.
/// `number-generator-model-dzlmi0gswwqb`). The client always sends an id so that a create whose
/// answer was lost can be sent again: the second one meets 409 instead of starting a second job.
pub fn generated_model_id(display_name: &str, rng: &mut impl rand::Rng) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut words = String::new();
    for c in display_name.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            words.push(c);
        } else if !words.is_empty() && !words.ends_with('-') {
            words.push('-');
        }
    }
    // It starts with a letter and leaves room for the tail.
    let words = words.trim_start_matches(|c: char| c.is_ascii_digit() || c == '-');
    let room = MAX_TUNED_MODEL_ID_CHARS - GENERATED_SUFFIX_CHARS - 1;
    let words = words[..words.len().min(room)].trim_end_matches('-');
    let words = if words.is_empty() { "tuned" } else { words };
    let tail: String = (0..GENERATED_SUFFIX_CHARS)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect();
    format!("{words}-{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn a_generated_id_is_a_valid_id_made_from_the_display_name() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        for name in [
            "Number generator model",
            "",
            "42 ÜBER données!! ",
            "---",
            &"a".repeat(100),
            "日本語",
        ] {
            let id = generated_model_id(name, &mut rng);
            assert!(valid_model_id(&id), "{name:?} gave {id:?}");
        }
        let id = generated_model_id("Number generator model", &mut rng);
        assert!(id.starts_with("number-generator-model-"), "{id}");
        assert_ne!(id, generated_model_id("Number generator model", &mut rng));
    }
}
