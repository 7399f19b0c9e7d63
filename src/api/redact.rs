//! Masks anything in a message that looks like a credential, the way the header shows keys: an
//! ellipsis and the last four characters. Users paste keys where names go (`models get
//! 'x?key=AIza…'`), services echo what they were sent, and a refused name is quoted back in its
//! error; every message on its way to a screen or a log passes through [`redact`] so that none
//! of them carries a whole key or token.

/// Characters a key or token is made of (base64url, and `.` for OAuth tokens and JWTs).
fn token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '~')
}

/// Shapes of Google credentials: the prefix and the fewest characters after it.
const SHAPES: &[(&str, usize)] = &[
    // API keys: AIza and 35 more.
    ("AIza", 20),
    // OAuth access tokens.
    ("ya29.", 10),
    // OAuth refresh tokens.
    ("1//", 20),
    // OAuth client secrets.
    ("GOCSPX-", 10),
    // JWTs (ID tokens, signed assertions): a base64url JSON header.
    ("eyJ", 20),
];

/// Words after which whatever follows is a secret, however it looks.
const MARKERS: &[&str] = &[
    "key=",
    "token=",
    "secret=",
    "password=",
    "api-key:",
    "bearer ",
    "key\":\"",
    "key\": \"",
    "token\":\"",
    "token\": \"",
];

/// The shortest value after a marker that is masked (shorter ones are not credentials).
const MIN_MARKED: usize = 8;

fn mask(secret: &str) -> String {
    let n = secret.chars().count();
    let tail: String = secret.chars().skip(n.saturating_sub(4)).collect();
    format!("…{tail}")
}

/// `text` with every credential-looking run replaced by `…` and its last four characters.
pub fn redact(text: &str) -> String {
    // Fast path: nothing that could start a secret.
    let lower = text.to_ascii_lowercase();
    if !SHAPES.iter().any(|(p, _)| text.contains(p)) && !MARKERS.iter().any(|m| lower.contains(m)) {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        let rest = &text[i..];
        let rest_lower = &lower[i..];
        // A marker: keep it, mask the value after it.
        if let Some(marker) = MARKERS.iter().find(|m| rest_lower.starts_with(**m)) {
            let start = i + marker.len();
            let value_len = text[start..]
                .find(|c: char| !token_char(c))
                .unwrap_or(text.len() - start);
            out.push_str(&text[i..start]);
            let value = &text[start..start + value_len];
            if value.chars().count() >= MIN_MARKED {
                out.push_str(&mask(value));
            } else {
                out.push_str(value);
            }
            i = start + value_len;
            continue;
        }
        // A credential's shape, not inside a longer word.
        let at_word_start = text[..i]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_ascii_alphanumeric());
        if at_word_start
            && let Some((prefix, min)) = SHAPES.iter().find(|(p, _)| rest.starts_with(p))
        {
            let after = &rest[prefix.len()..];
            let len = prefix.len() + after.find(|c: char| !token_char(c)).unwrap_or(after.len());
            if len >= prefix.len() + min {
                out.push_str(&mask(&rest[..len]));
                i += len;
                continue;
            }
        }
        let c = rest.chars().next().unwrap_or_default();
        out.push(c);
        i += c.len_utf8().max(1);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::redact;

    const KEY: &str = "AIzaSyD3adB33fC0ffee0123456789abcdefWXYZ";

    #[test]
    fn keys_and_tokens_lose_all_but_their_last_four_characters() {
        for (text, secret) in [
            (format!("\"x?key={KEY}\" is not a resource name"), KEY),
            (format!("models/{KEY}"), KEY),
            (
                "token ya29.a0AfB_byC-1234567890abcdefghijklmnop9876 expired".into(),
                "ya29.a0AfB",
            ),
            (
                "refresh 1//0gAbCdEfGhIjKlMnOpQrStUvWxYz-9876".into(),
                "1//0gAbCdEf",
            ),
            (
                "Authorization: Bearer sk-live-abcdefghijklmnop".into(),
                "abcdefghij",
            ),
            (
                "{\"api_key\": \"plainsecretvalue42\"}".into(),
                "plainsecret",
            ),
            ("GOCSPX-abcdefghijklmnop1234 leaked".into(), "GOCSPX-abc"),
            (
                "?access_token=opaque-token-value-1234&x=1".into(),
                "opaque-token",
            ),
        ] {
            let shown = redact(&text);
            assert!(!shown.contains(secret), "{text} → {shown}");
            assert!(shown.contains('…'), "{shown}");
        }
        assert_eq!(
            redact(&format!("x?key={KEY}&alt=sse")),
            "x?key=…WXYZ&alt=sse"
        );
    }

    #[test]
    fn ordinary_messages_are_left_alone() {
        for text in [
            "Tuned model tunedModels/number-generator-ncqqnysl74dt does not exist.",
            "--id \"a_b\": lowercase letters, digits and hyphens",
            "the key=short stays",
            "projects/p/locations/us-central1/tuningJobs/1234567890",
            "résumé ✓ 1/2",
        ] {
            assert_eq!(redact(text), text);
        }
    }
}
