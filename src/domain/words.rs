//! Counting nouns, so every message reads right for one: "1 example", "2 examples".

/// `n` and the noun, plural unless `n` is 1 (`count(1, "error")` is "1 error").
pub fn count(n: impl Into<u64>, noun: &str) -> String {
    let n = n.into();
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_is_singular() {
        assert_eq!(count(1u32, "example"), "1 example");
        assert_eq!(count(0u32, "error"), "0 errors");
        assert_eq!(count(2u64, "step"), "2 steps");
    }
}
