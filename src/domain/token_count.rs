//! Counting a dataset's tokens with Vertex AI's `countTokens`, in as few requests as the limits
//! allow, and again after an edit with only what changed.
//!
//! One request counts many examples together (its answer is one total), so examples go in
//! batches. Batch edges are chosen by the examples' content, not their position: an example whose
//! hash falls on a boundary ends a batch (as content-defined chunking does), so inserting,
//! deleting or editing one example changes the one batch it sits in and leaves every other
//! batch, and its cached count, as it was. A batch also ends at [`MAX_BATCH_EXAMPLES`] examples
//! or [`MAX_BATCH_TOKENS`] estimated tokens, far below any model's input limit.
//!
//! A batch's count bounds its examples' counts: a batch within the per-example limit (Vertex
//! AI's `MAX_TOKENS_PER_EXAMPLE`, passed in as `limit`) has no example over it. A batch over it
//! is split in halves and each half counted, down to the single example that is over, so the
//! real count finds every long example in a few more requests.
//!
//! Offline, or before the answers come, [`estimate`] stands in, and the tally says how much of
//! the total is estimated.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::ops::Range;

/// Examples in one countTokens request, at most: big enough that a 10,000-example dataset is
/// counted in a few hundred requests, small enough that one edit recounts little text.
pub const MAX_BATCH_EXAMPLES: usize = 64;

/// Estimated tokens in one request, at most: a fifth of the 1,048,576-token input of the Gemini
/// models that tune, so a request is never refused for its size.
pub const MAX_BATCH_TOKENS: usize = 200_000;

/// One example in sixteen ends a batch by its content: batches of sixteen on average.
const BOUNDARY_EVERY: u64 = 16;

/// Tokens in a text, estimated offline: a token a digit and a token a CJK character (a Gemini
/// tokenizer splits numbers into digits and holds most ideographs, kana and Hangul whole), and a
/// quarter of the other characters, rounded up (English averages four characters a token). The
/// real count comes from `countTokens`.
pub fn estimate(text: &str) -> usize {
    let (single, other) = text.chars().fold((0usize, 0usize), |(single, other), c| {
        if is_cjk(c) || c.is_ascii_digit() {
            (single + 1, other)
        } else {
            (single, other + 1)
        }
    });
    single + other.div_ceil(4)
}

/// Han ideographs, kana and Hangul: the scripts a large vocabulary holds a character a token.
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF      // Hiragana, Katakana
        | 0x3400..=0x4DBF    // CJK extension A
        | 0x4E00..=0x9FFF    // CJK unified ideographs
        | 0xAC00..=0xD7AF    // Hangul syllables
        | 0xF900..=0xFAFF    // CJK compatibility ideographs
        | 0x20000..=0x2FFFF) // CJK extensions B and later
}

/// One example as counting sees it: a hash of what is sent for it, and its estimate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CountItem {
    pub hash: u64,
    pub estimate: usize,
}

impl CountItem {
    /// The item for an example whose counted text is `text` (every part of every turn, the
    /// system instruction too).
    pub fn of(text: &str) -> CountItem {
        CountItem {
            hash: hash_bytes(text.as_bytes()),
            estimate: estimate(text),
        }
    }
}

/// A stable hash (fixed seed), so batches come out the same on every run.
pub fn hash_bytes(bytes: &[u8]) -> u64 {
    let mut h = foldhash::fast::FixedState::with_seed(0x7475_6e65_6465_636b).build_hasher();
    h.write(bytes);
    h.finish()
}

/// The batches `items` are counted in, as ranges of their indices, in order.
pub fn batches(items: &[CountItem]) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let (mut start, mut tokens) = (0, 0usize);
    for (i, item) in items.iter().enumerate() {
        tokens += item.estimate;
        let full = i + 1 - start >= MAX_BATCH_EXAMPLES || tokens >= MAX_BATCH_TOKENS;
        if item.hash % BOUNDARY_EVERY == 0 || full {
            out.push(start..i + 1);
            start = i + 1;
            tokens = 0;
        }
    }
    if start < items.len() {
        out.push(start..items.len());
    }
    out
}

/// What identifies a batch's count: the hashes of its examples, in order.
pub fn batch_key(items: &[CountItem]) -> u64 {
    let bytes: Vec<u8> = items.iter().flat_map(|i| i.hash.to_le_bytes()).collect();
    hash_bytes(&bytes)
}

/// Counts the service gave, by batch key: kept while the dataset is edited, so an unchanged
/// batch is never counted twice.
#[derive(Debug, Clone, Default)]
pub struct TokenCache {
    counts: HashMap<u64, u64>,
}

impl TokenCache {
    pub fn insert(&mut self, items: &[CountItem], tokens: u64) {
        self.counts.insert(batch_key(items), tokens);
    }

    pub fn get(&self, items: &[CountItem]) -> Option<u64> {
        self.counts.get(&batch_key(items)).copied()
    }

    pub fn len(&self) -> usize {
        self.counts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }
}

/// The ranges still to be counted: every batch with no count yet, and the halves of any counted
/// range that is over the per-example `limit` and has more than one example.
pub fn to_count(items: &[CountItem], cache: &TokenCache, limit: usize) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    for batch in batches(items) {
        missing(items, batch, (cache, limit as u64), &mut out);
    }
    out
}

fn missing(
    items: &[CountItem],
    range: Range<usize>,
    (cache, limit): (&TokenCache, u64),
    out: &mut Vec<Range<usize>>,
) {
    match cache.get(&items[range.clone()]) {
        None => out.push(range),
        Some(tokens) if tokens > limit && range.len() > 1 => {
            let mid = range.start + range.len() / 2;
            missing(items, range.start..mid, (cache, limit), out);
            missing(items, mid..range.end, (cache, limit), out);
        }
        Some(_) => {}
    }
}

/// A dataset's tokens as far as they are known.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DatasetTokens {
    pub total: u64,
    /// Examples whose tokens are in `total` by estimate, not by the service's count.
    pub estimated_examples: usize,
    /// Examples known, by the service's count, to be over the per-example limit.
    pub over_limit: Vec<usize>,
    /// Examples that may be over it: their batch is over and not yet split down to them.
    pub maybe_over_limit: Vec<usize>,
}

impl DatasetTokens {
    /// Every token counted by the service.
    pub fn is_exact(&self) -> bool {
        self.estimated_examples == 0
    }
}

/// The total from the cached counts, with estimates where there are none; examples over the
/// per-example `limit`, found or suspected.
pub fn tally(items: &[CountItem], cache: &TokenCache, limit: usize) -> DatasetTokens {
    let mut out = DatasetTokens::default();
    for batch in batches(items) {
        add(items, batch, (cache, limit), &mut out);
    }
    out
}

fn add(
    items: &[CountItem],
    range: Range<usize>,
    (cache, limit): (&TokenCache, usize),
    out: &mut DatasetTokens,
) {
    let Some(tokens) = cache.get(&items[range.clone()]) else {
        out.total += items[range.clone()]
            .iter()
            .map(|i| i.estimate as u64)
            .sum::<u64>();
        out.estimated_examples += range.len();
        for i in range {
            if items[i].estimate > limit {
                out.maybe_over_limit.push(i);
            }
        }
        return;
    };
    if tokens <= limit as u64 {
        out.total += tokens;
    } else if range.len() == 1 {
        out.total += tokens;
        out.over_limit.push(range.start);
    } else {
        let mid = range.start + range.len() / 2;
        let halves = [range.start..mid, mid..range.end];
        if halves
            .iter()
            .all(|h| cache.get(&items[h.clone()]).is_some())
        {
            for half in halves {
                add(items, half, (cache, limit), out);
            }
        } else {
            // The halves are still being counted: the batch's own count is exact, its long
            // example not yet found.
            out.total += tokens;
            out.maybe_over_limit.extend(range);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    /// Vertex AI's per-example limit (kept in domain::vertex).
    const MAX_TOKENS_PER_EXAMPLE: usize = 131_072;

    fn items(n: usize) -> Vec<CountItem> {
        (0..n)
            .map(|i| CountItem::of(&format!("example {i}: what is {i} plus one?")))
            .collect()
    }

    /// Counts every requested range as the sum of its estimates (an exact "service").
    fn count_all(items: &[CountItem], cache: &mut TokenCache) -> usize {
        let ranges = to_count(items, cache, MAX_TOKENS_PER_EXAMPLE);
        for r in &ranges {
            let tokens = items[r.clone()].iter().map(|i| i.estimate as u64).sum();
            cache.insert(&items[r.clone()], tokens);
        }
        ranges.len()
    }

    #[test]
    fn estimates_count_cjk_a_character_a_token() {
        assert_eq!(estimate("abcd"), 1);
        assert_eq!(estimate("abcde"), 2);
        assert_eq!(estimate("東京"), 2);
        assert_eq!(estimate("東京 is big"), 2 + 2);
        assert_eq!(estimate("1234"), 4);
    }

    #[test]
    fn batches_cover_every_example_once_within_the_limits() {
        let items = items(5000);
        let batches = batches(&items);
        assert_eq!(batches.first().unwrap().start, 0);
        assert_eq!(batches.last().unwrap().end, 5000);
        assert!(batches.windows(2).all(|w| w[0].end == w[1].start));
        assert!(batches.iter().all(|b| b.len() <= MAX_BATCH_EXAMPLES));
        // Content-defined: about sixteen to a batch.
        assert!((200..=500).contains(&batches.len()), "{}", batches.len());
    }

    #[test]
    fn after_one_edit_only_its_batch_is_counted_again() {
        let mut items = items(10_000);
        let mut cache = TokenCache::default();
        let first = count_all(&items, &mut cache);
        assert_eq!(first, batches(&items).len());
        assert!(tally(&items, &cache, MAX_TOKENS_PER_EXAMPLE).is_exact());
        items[4321] = CountItem::of("an edited example");
        assert_eq!(to_count(&items, &cache, MAX_TOKENS_PER_EXAMPLE).len(), 1);
        items.insert(77, CountItem::of("an inserted example"));
        assert!(to_count(&items, &cache, MAX_TOKENS_PER_EXAMPLE).len() <= 2);
        items.remove(9000);
        assert!(to_count(&items, &cache, MAX_TOKENS_PER_EXAMPLE).len() <= 3);
        count_all(&items, &mut cache);
        let t = tally(&items, &cache, MAX_TOKENS_PER_EXAMPLE);
        assert!(t.is_exact());
        assert_eq!(
            t.total,
            items.iter().map(|i| i.estimate as u64).sum::<u64>()
        );
    }

    #[test]
    fn a_batch_over_the_example_limit_is_split_down_to_the_long_example() {
        let mut items = items(40);
        let long = "word ".repeat(MAX_TOKENS_PER_EXAMPLE);
        let at = 13;
        items[at] = CountItem::of(&long);
        let mut cache = TokenCache::default();
        // Before any count, the estimate already flags it.
        assert_eq!(
            tally(&items, &cache, MAX_TOKENS_PER_EXAMPLE).maybe_over_limit,
            vec![at]
        );
        let mut requests = 0;
        loop {
            let n = count_all(&items, &mut cache);
            if n == 0 {
                break;
            }
            requests += n;
        }
        let t = tally(&items, &cache, MAX_TOKENS_PER_EXAMPLE);
        assert_eq!(t.over_limit, vec![at]);
        assert!(t.maybe_over_limit.is_empty());
        assert!(t.is_exact());
        assert!(requests < 40, "{requests} requests for 40 examples");
    }

    #[test]
    fn with_nothing_counted_the_tally_is_the_estimate() {
        let items = items(100);
        let t = tally(&items, &TokenCache::default(), MAX_TOKENS_PER_EXAMPLE);
        assert_eq!(t.estimated_examples, 100);
        assert_eq!(
            t.total,
            items.iter().map(|i| i.estimate as u64).sum::<u64>()
        );
    }
}
