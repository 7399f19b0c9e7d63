//! The emulator's tokenizer: what its `countTokens` answers and what its jobs bill. The live
//! service's tokenizer (SentencePiece, a 256K vocabulary) is not published, so this one is a
//! deterministic stand-in whose counts are plausible for what people tune on:
//!
//! - a run of letters is one token up to six characters, then one more for every further four
//!   (common English words are one token, long words split, as subword vocabularies do);
//! - every digit is a token of its own (Gemini's tokenizer splits numbers into digits);
//! - every other visible character (punctuation, symbols) is a token;
//! - every CJK ideograph, kana or Hangul syllable is a token (a large vocabulary holds most of
//!   them whole); other scripts' letters count as letters;
//! - white space joins the token that follows and is not counted.
//!
//! Billable characters are the characters that are not white space, as Vertex AI bills text.

use crate::domain::token_count::is_cjk;

/// Tokens in `text`, by the rules above.
pub fn count(text: &str) -> usize {
    let mut tokens = 0;
    let mut letters = 0usize;
    let flush = |letters: &mut usize, tokens: &mut usize| {
        if *letters > 0 {
            *tokens += 1 + letters.saturating_sub(6).div_ceil(4);
            *letters = 0;
        }
    };
    for c in text.chars() {
        if is_cjk(c) {
            flush(&mut letters, &mut tokens);
            tokens += 1;
        } else if c.is_alphabetic() || c == '\'' && letters > 0 {
            letters += 1;
        } else {
            flush(&mut letters, &mut tokens);
            if !c.is_whitespace() && !c.is_control() {
                tokens += 1;
            }
        }
    }
    flush(&mut letters, &mut tokens);
    tokens
}

/// Characters Vertex AI bills for `text`: every character but white space.
pub fn billable_characters(text: &str) -> usize {
    text.chars().filter(|c| !c.is_whitespace()).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_words_are_about_a_token_each_and_long_words_split() {
        assert_eq!(count("What is the highest mountain in Africa?"), 10);
        assert_eq!(count("internationalization"), 1 + 4);
        assert_eq!(count("don't"), 1);
        assert_eq!(count(""), 0);
        assert_eq!(count("   \n\t "), 0);
    }

    #[test]
    fn digits_and_punctuation_are_tokens_of_their_own() {
        assert_eq!(count("1234"), 4);
        assert_eq!(count("a, b."), 4);
    }

    #[test]
    fn cjk_is_a_token_a_character() {
        assert_eq!(count("東京は日本の首都です"), 10);
        assert_eq!(count("서울은 한국의 수도"), 8);
        // Mixed: the Latin run is one token, each ideograph one.
        assert_eq!(count("Tokyo東京"), 3);
    }

    #[test]
    fn billable_characters_leave_out_white_space() {
        assert_eq!(billable_characters("a b\tc\n"), 3);
        assert_eq!(billable_characters("東京 です"), 4);
    }

    #[test]
    fn counts_add_up_over_concatenation_at_white_space() {
        // A batch of examples counts what its examples count one by one, so a batched
        // request's total is the sum of the examples' counts.
        let parts = ["one two", "三 四", "5, 6"];
        let whole = parts.join(" ");
        assert_eq!(count(&whole), parts.iter().map(|p| count(p)).sum::<usize>());
    }
}
