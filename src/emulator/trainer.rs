//! The emulator's tuning is real training of a small model, so loss curves respond to the data and
//! hyperparameters as a user expects.
//!
//! The model: a softmax classifier over the distinct training outputs, on hashed features of the
//! input (the whole input, its words and its character 1-3-grams, L2-normalised). Beside the
//! outputs sits one fixed "background" logit worth [`BACKGROUND_CLASSES`] classes: the mass of
//! everything else a base model might say. An untrained model therefore starts near ln(1000 + C) ≈
//! 7 nats, like the live service's first snapshots, and the loss falls as the model learns to put
//! its mass on the right output.
//!
//! Steps follow the service's arithmetic (checked against the tutorials' recorded runs in
//! tests/architecture.rs): examples are streamed continuously across epoch boundaries in a fresh
//! shuffle per epoch, `totalSteps = ceil(N*E/B)`, the last partial batch is a step. `meanLoss` is
//! the batch's mean cross-entropy before the update. Everything is deterministic for a seed, so a
//! run can be replayed to rebuild its weights.

mod preference;
pub use preference::PreferencePair;

use crate::api::types::TuningExample;
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// The number of "other" outputs the fixed background logit stands for.
pub const BACKGROUND_CLASSES: f32 = 1000.0;

/// The emulator's SGD step is the requested learning rate times this: the API's rates are sized
/// for a large model's optimiser, this small model needs larger steps to move in a few epochs.
/// With it the tutorial's settings (15 examples, batch 4, 5 epochs, rate 0.001) end near the
/// live service's recorded final loss (1.40 for batch 4; this model gives 1.33).
pub const LEARNING_RATE_SCALE: f64 = 2500.0;

/// A step whose mean loss exceeds this (or is not finite) means training has diverged.
pub const DIVERGENCE_LOSS: f32 = 50.0;

/// How fast the shared background shift learns, relative to the per-feature weights.
const BACKGROUND_RATE: f32 = 0.15;

const FEATURE_SPACE: u64 = 1 << 22;
const WHOLE_INPUT_WEIGHT: f32 = 0.8;

/// Hyperparameters after defaults were filled in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrainingSpec {
    pub epochs: u32,
    pub batch_size: u32,
    pub learning_rate: f64,
    pub seed: u64,
}

pub use crate::domain::tuning::{epoch_of_step, total_steps};

/// Sparse features of a text: (feature id, value), L2 norm 1.
pub fn features(text: &str) -> Vec<(u32, f32)> {
    let lower = text.trim().to_lowercase();
    let mut grams: HashMap<u32, f32> = HashMap::new();
    let padded: Vec<char> = std::iter::once('\u{2}')
        .chain(lower.chars())
        .chain(std::iter::once('\u{3}'))
        .collect();
    for n in 1..=3 {
        for window in padded.windows(n) {
            *grams
                .entry(hash_feature(n as u8, window.iter()))
                .or_default() += 1.0;
        }
    }
    for word in lower.split_whitespace() {
        *grams
            .entry(hash_feature(9, word.chars().collect::<Vec<_>>().iter()))
            .or_default() += 1.0;
    }
    let norm: f32 = grams.values().map(|v| v * v).sum::<f32>().sqrt();
    let gram_share = (1.0 - WHOLE_INPUT_WEIGHT * WHOLE_INPUT_WEIGHT).sqrt();
    let mut out: Vec<(u32, f32)> = grams
        .into_iter()
        .map(|(id, v)| {
            (
                id,
                if norm > 0.0 {
                    v / norm * gram_share
                } else {
                    0.0
                },
            )
        })
        .collect();
    out.push((
        hash_feature(0, lower.chars().collect::<Vec<_>>().iter()),
        WHOLE_INPUT_WEIGHT,
    ));
    out.sort_unstable_by_key(|(id, _)| *id);
    out
}

/// Features with their ids folded into `mask`'s bits (colliding ones added up).
fn fold(x: &[(u32, f32)], mask: u32) -> Vec<(u32, f32)> {
    let mut folded: Vec<(u32, f32)> = x.iter().map(|(id, v)| (id & mask, *v)).collect();
    folded.sort_unstable_by_key(|(id, _)| *id);
    folded.dedup_by(|b, a| {
        if a.0 == b.0 {
            a.1 += b.1;
            true
        } else {
            false
        }
    });
    folded
}

/// Output tokens of a text, estimated as Vertex's checks do.
fn output_tokens(text: &str) -> u64 {
    crate::domain::vertex::estimate_tokens(text) as u64
}

fn hash_feature<'a>(kind: u8, chars: impl Iterator<Item = &'a char>) -> u32 {
    // FNV-1a: stable across builds and platforms, unlike std's RandomState.
    let mut h = FnvHasher::default();
    kind.hash(&mut h);
    for c in chars {
        c.hash(&mut h);
    }
    (h.finish() % FEATURE_SPACE) as u32
}

#[derive(Default)]
struct FnvHasher(u64);

impl Hasher for FnvHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

/// A finished training another one continues from: its examples, settings, how many steps it
/// ran, and what it continued from in turn.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BaseTraining {
    pub examples: Arc<Vec<TuningExample>>,
    pub epochs: u32,
    pub batch_size: u32,
    pub learning_rate: f64,
    pub seed: u64,
    pub steps: u64,
    #[serde(default)]
    pub base: Option<Box<BaseTraining>>,
    /// A Vertex job's adapter rank (its features fold to match); none on the Gemini API.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adapter_rank: Option<u32>,
    /// A preference (DPO) training: its pairs and beta (`examples` then holds each prompt
    /// with its preferred answer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preference: Option<PreferenceRun>,
}

/// What a preference (DPO) training learns from: its pairs and `beta`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PreferenceRun {
    pub pairs: Arc<Vec<PreferencePair>>,
    pub beta: f64,
}

/// A stable 64-bit hash of a string (for seeds and tokens).
pub fn stable_hash(s: &str) -> u64 {
    let mut h = FnvHasher::default();
    h.write(s.as_bytes());
    h.finish()
}

/// A training run: the data, the model, and where in the schedule it is.
pub struct Trainer {
    spec: TrainingSpec,
    classes: Vec<String>,
    labels: Vec<usize>,
    inputs: Vec<Vec<(u32, f32)>>,
    /// Feature id -> one weight per class.
    weights: HashMap<u32, Vec<f32>>,
    bias: Vec<f32>,
    /// Learned shift of the background logit, shared by every example: how far the model has
    /// learned to answer in the dataset's manner at all. It makes the loss fall within an epoch.
    background_shift: f32,
    rng: ChaCha8Rng,
    order: Vec<usize>,
    order_epoch: Option<u64>,
    step: u64,
    total: u64,
    /// Feature ids are folded into this many bits: a smaller adapter has fewer weights.
    feature_mask: u32,
    /// Set for preference tuning: the steps optimise DPO's loss against a frozen reference.
    dpo: Option<Box<preference::Dpo>>,
}

/// What one step (or one evaluation) measured: the batch's mean loss, the share of examples
/// whose most likely output was the right one, and how many output tokens were predicted (the
/// TensorBoard series a Vertex job writes). For preference tuning: DPO's loss, the share of
/// pairs whose preferred answer has the higher implicit reward (reward accuracy), and `margin`,
/// the mean reward of the preferred answer minus the rejected one's.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepStats {
    pub loss: f32,
    pub accuracy: f32,
    pub predictions: u64,
    /// Preference tuning's mean reward margin; 0 for supervised tuning.
    pub margin: f32,
}

/// What the model says for a prompt.
#[derive(Debug, Clone, PartialEq)]
pub struct Prediction {
    pub output: String,
    pub probability: f32,
}

impl Trainer {
    pub fn new(examples: &[TuningExample], spec: TrainingSpec) -> Self {
        let mut classes: Vec<String> = Vec::new();
        let mut index: HashMap<&str, usize> = HashMap::new();
        let mut labels = Vec::with_capacity(examples.len());
        for ex in examples {
            let next = classes.len();
            let id = *index.entry(ex.output.as_str()).or_insert(next);
            if id == next {
                classes.push(ex.output.clone());
            }
            labels.push(id);
        }
        let inputs = examples.iter().map(|e| features(&e.text_input)).collect();
        Trainer {
            total: total_steps(examples.len(), spec.epochs, spec.batch_size),
            bias: vec![0.0; classes.len()],
            background_shift: 0.0,
            spec,
            classes,
            labels,
            inputs,
            weights: HashMap::new(),
            rng: ChaCha8Rng::seed_from_u64(spec.seed),
            order: Vec::new(),
            order_epoch: None,
            step: 0,
            feature_mask: u32::MAX,
            dpo: None,
        }
    }

    /// The same training with an adapter of this rank (Vertex AI's adapter size): feature ids
    /// fold into `8 + 2·log2(rank)` bits, so rank 1 has 256 weights per output and rank 16 has
    /// 65,536, and a small adapter confuses inputs a large one tells apart.
    pub fn with_adapter_rank(mut self, rank: u32) -> Self {
        let bits = 8 + 2 * rank.max(1).ilog2();
        self.feature_mask = (1u32 << bits.min(31)) - 1;
        let mask = self.feature_mask;
        for input in &mut self.inputs {
            *input = fold(input, mask);
        }
        self
    }

    /// The weights as a table, for an exported model file: the feature ids in order, one row
    /// of per-output weights for each (row-major), the per-output bias, and how many outputs.
    pub fn weights_table(&self) -> (Vec<u32>, Vec<f32>, Vec<f32>, usize) {
        let mut ids: Vec<u32> = self.weights.keys().copied().collect();
        ids.sort_unstable();
        let classes = self.classes.len();
        let mut rows = Vec::with_capacity(ids.len() * classes);
        for id in &ids {
            let row = &self.weights[id];
            rows.extend((0..classes).map(|c| row.get(c).copied().unwrap_or(0.0)));
        }
        (ids, rows, self.bias.clone(), classes)
    }

    fn featurize(&self, text: &str) -> Vec<(u32, f32)> {
        let x = features(text);
        if self.feature_mask == u32::MAX {
            x
        } else {
            fold(&x, self.feature_mask)
        }
    }

    /// A training that starts where `from` ended (tuning a tuned model): its weights, its
    /// learned shift towards the data, and its outputs, with the new examples' outputs added
    /// after them. So the first steps on data like `from`'s already have a low loss, and inputs
    /// the new data does not touch keep `from`'s answers.
    pub fn continuing(from: &Trainer, examples: &[TuningExample], spec: TrainingSpec) -> Self {
        let mut next = Trainer::new(examples, spec);
        let mut classes = from.classes.clone();
        let mut index: HashMap<String, usize> = classes
            .iter()
            .enumerate()
            .map(|(i, c)| (c.clone(), i))
            .collect();
        for class in &next.classes {
            if !index.contains_key(class) {
                index.insert(class.clone(), classes.len());
                classes.push(class.clone());
            }
        }
        next.labels = examples
            .iter()
            .map(|e| index.get(&e.output).copied().unwrap_or(0))
            .collect();
        let width = classes.len();
        let widen = |row: &Vec<f32>| {
            let mut row = row.clone();
            row.resize(width, 0.0);
            row
        };
        next.weights = from
            .weights
            .iter()
            .map(|(id, row)| (*id, widen(row)))
            .collect();
        next.bias = widen(&from.bias);
        next.background_shift = from.background_shift;
        next.classes = classes;
        next
    }

    pub fn total_steps(&self) -> u64 {
        self.total
    }

    pub fn completed_steps(&self) -> u64 {
        self.step
    }

    pub fn is_done(&self) -> bool {
        self.step >= self.total
    }

    /// The epoch the last finished step is reported under.
    pub fn epoch(&self) -> u32 {
        epoch_of_step(
            self.step,
            self.labels.len(),
            self.spec.epochs,
            self.spec.batch_size,
        )
    }

    fn logits(&self, x: &[(u32, f32)]) -> Vec<f32> {
        let mut z = self.bias.clone();
        for (id, v) in x {
            if let Some(row) = self.weights.get(id) {
                for (zi, w) in z.iter_mut().zip(row) {
                    *zi += w * v;
                }
            }
        }
        z
    }

    /// Softmax over the classes and the background; returns class probabilities (the background
    /// gets the rest).
    fn probabilities(&self, z: &[f32]) -> Vec<f32> {
        let background = BACKGROUND_CLASSES.ln() + self.background_shift;
        let max = z.iter().copied().fold(background, f32::max);
        let exps: Vec<f32> = z.iter().map(|v| (v - max).exp()).collect();
        let total: f32 = exps.iter().sum::<f32>() + (background - max).exp();
        exps.into_iter().map(|e| e / total).collect()
    }

    fn example_at(&mut self, position: u64) -> usize {
        let n = self.labels.len() as u64;
        let epoch = position / n;
        if self.order_epoch != Some(epoch) {
            self.order = (0..self.labels.len()).collect();
            self.order.shuffle(&mut self.rng);
            self.order_epoch = Some(epoch);
        }
        self.order[(position % n) as usize]
    }

    /// Runs the next step and returns its mean loss, or `None` when training is complete.
    pub fn step(&mut self) -> Option<f32> {
        self.step_stats().map(|s| s.loss)
    }

    /// The loss, accuracy and predicted tokens of `examples` under the current weights, with no
    /// update (a validation pass). An output the training never saw counts as one of the
    /// background's outputs.
    pub fn evaluate(&self, examples: &[TuningExample]) -> StepStats {
        let mut loss = 0.0f32;
        let mut correct = 0usize;
        let mut predictions = 0u64;
        for ex in examples {
            let z = self.logits(&self.featurize(&ex.text_input));
            let p = self.probabilities(&z);
            let label = self.classes.iter().position(|c| *c == ex.output);
            let background = 1.0 - p.iter().sum::<f32>();
            let p_label = match label {
                Some(l) => p[l],
                None => background / BACKGROUND_CLASSES,
            };
            loss += -p_label.max(f32::MIN_POSITIVE).ln();
            let best = (0..p.len()).max_by(|a, b| p[*a].total_cmp(&p[*b]));
            if label.is_some() && best == label {
                correct += 1;
            }
            predictions += output_tokens(&ex.output);
        }
        let n = examples.len().max(1) as f32;
        StepStats {
            loss: loss / n,
            accuracy: correct as f32 / n,
            predictions,
            margin: 0.0,
        }
    }

    /// Runs the next step and returns what it measured, or `None` when training is complete.
    pub fn step_stats(&mut self) -> Option<StepStats> {
        if self.is_done() || self.labels.is_empty() {
            return None;
        }
        if self.dpo.is_some() {
            return Some(self.preference_step());
        }
        let batch = u64::from(self.spec.batch_size.max(1));
        let end_of_data = self.labels.len() as u64 * u64::from(self.spec.epochs);
        let start = self.step * batch;
        let end = (start + batch).min(end_of_data);
        let batch_len = (end - start) as f32;
        let lr = (self.spec.learning_rate * LEARNING_RATE_SCALE) as f32 / batch_len;

        let mut loss_sum = 0.0f32;
        let mut correct = 0usize;
        let mut predictions = 0u64;
        let mut grads: Vec<(usize, Vec<f32>)> = Vec::new();
        let mut background_grad = 0.0f32;
        for position in start..end {
            let i = self.example_at(position);
            let z = self.logits(&self.inputs[i]);
            let mut p = self.probabilities(&z);
            let label = self.labels[i];
            if (0..p.len()).max_by(|a, b| p[*a].total_cmp(&p[*b])) == Some(label) {
                correct += 1;
            }
            predictions += output_tokens(&self.classes[label]);
            background_grad += 1.0 - p.iter().sum::<f32>();
            loss_sum += -p[label].max(f32::MIN_POSITIVE).ln();
            p[label] -= 1.0;
            grads.push((i, p));
        }
        // Apply the batch's averaged gradient after the forward passes: mini-batch SGD.
        self.background_shift -= lr * background_grad * BACKGROUND_RATE;
        for (i, g) in grads {
            for (b, gi) in self.bias.iter_mut().zip(&g) {
                *b -= lr * gi * 0.1;
            }
            for (id, v) in &self.inputs[i] {
                let row = self
                    .weights
                    .entry(*id)
                    .or_insert_with(|| vec![0.0; g.len()]);
                for (w, gi) in row.iter_mut().zip(&g) {
                    *w -= lr * gi * v;
                }
            }
        }
        self.step += 1;
        Some(StepStats {
            loss: loss_sum / batch_len,
            accuracy: correct as f32 / batch_len,
            predictions,
            margin: 0.0,
        })
    }

    /// The most likely outputs for a prompt, best first.
    pub fn predict(&self, prompt: &str, count: usize) -> Vec<Prediction> {
        if self.classes.is_empty() {
            return Vec::new();
        }
        let z = self.logits(&self.featurize(prompt));
        let p = self.probabilities(&z);
        let mut ranked: Vec<usize> = (0..self.classes.len()).collect();
        ranked.sort_by(|a, b| p[*b].total_cmp(&p[*a]).then(a.cmp(b)));
        ranked
            .into_iter()
            .take(count.max(1))
            .map(|c| Prediction {
                output: self.classes[c].clone(),
                probability: p[c],
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tutorial() -> Vec<TuningExample> {
        [
            ("1", "2"),
            ("3", "4"),
            ("-3", "-2"),
            ("twenty two", "twenty three"),
            ("two hundred", "two hundred one"),
            ("ninety nine", "one hundred"),
            ("8", "9"),
            ("-98", "-97"),
            ("1,000", "1,001"),
            ("10,100,000", "10,100,001"),
            ("thirteen", "fourteen"),
            ("eighty", "eighty one"),
            ("one", "two"),
            ("three", "four"),
            ("seven", "eight"),
        ]
        .into_iter()
        .map(|(i, o)| TuningExample::new(i, o))
        .collect()
    }

    fn run(spec: TrainingSpec) -> (Vec<f32>, Trainer) {
        let mut t = Trainer::new(&tutorial(), spec);
        let mut losses = Vec::new();
        while let Some(l) = t.step() {
            losses.push(l);
        }
        (losses, t)
    }

    const TUTORIAL: TrainingSpec = TrainingSpec {
        epochs: 5,
        batch_size: 2,
        learning_rate: 0.001,
        seed: 7,
    };

    #[test]
    fn the_tutorial_run_has_38_steps_and_learns_its_examples() {
        let (losses, t) = run(TUTORIAL);
        assert_eq!(losses.len(), 38);
        assert!(losses[0] > 6.0, "untrained loss {}", losses[0]);
        let last = *losses.last().unwrap();
        assert!(
            last < losses[0] / 2.0,
            "final {last} vs first {}",
            losses[0]
        );
        for ex in tutorial() {
            assert_eq!(t.predict(&ex.text_input, 1)[0].output, ex.output);
        }
    }

    #[test]
    fn a_continued_training_starts_from_what_its_source_learned() {
        let (losses_a, a) = run(TUTORIAL);
        let more = vec![
            TuningExample::new("fifty", "fifty one"),
            TuningExample::new("seven", "eight"),
        ];
        let mut b = Trainer::continuing(&a, &more, TUTORIAL);
        let first_b = b.step().unwrap();
        assert!(
            first_b < losses_a[0] / 2.0,
            "B's first loss {first_b} vs A's first {}",
            losses_a[0]
        );
        while b.step().is_some() {}
        assert_eq!(b.predict("seven", 1)[0].output, "eight");
        assert_eq!(b.predict("fifty", 1)[0].output, "fifty one");
        assert_eq!(
            b.predict("thirteen", 1)[0].output,
            "fourteen",
            "A's answer kept"
        );
    }

    #[test]
    fn the_same_seed_gives_the_same_curve_and_another_seed_another() {
        assert_eq!(run(TUTORIAL).0, run(TUTORIAL).0);
        assert_ne!(
            run(TUTORIAL).0,
            run(TrainingSpec {
                seed: 8,
                ..TUTORIAL
            })
            .0
        );
    }

    #[test]
    fn a_higher_rate_and_more_epochs_end_lower() {
        let base = *run(TUTORIAL).0.last().unwrap();
        let faster = *run(TrainingSpec {
            learning_rate: 0.003,
            ..TUTORIAL
        })
        .0
        .last()
        .unwrap();
        let longer = *run(TrainingSpec {
            epochs: 15,
            ..TUTORIAL
        })
        .0
        .last()
        .unwrap();
        assert!(faster < base, "{faster} !< {base}");
        assert!(longer < base, "{longer} !< {base}");
    }

    #[test]
    fn an_absurd_rate_diverges() {
        let (losses, _) = run(TrainingSpec {
            learning_rate: 5.0,
            ..TUTORIAL
        });
        assert!(
            losses
                .iter()
                .any(|l| !l.is_finite() || *l > DIVERGENCE_LOSS)
        );
    }

    #[test]
    fn step_and_epoch_formulas_match_the_recorded_runs() {
        assert_eq!(total_steps(15, 5, 2), 38);
        assert_eq!(total_steps(15, 5, 4), 19);
        assert_eq!(total_steps(15, 100, 4), 375);
        assert_eq!(total_steps(15, 3, 2), 23);
        assert_eq!(total_steps(15, 50, 4), 188);
        let epochs: Vec<u32> = (1..=16).map(|s| epoch_of_step(s, 25, 10, 16)).collect();
        assert_eq!(
            epochs,
            vec![0, 1, 1, 2, 3, 3, 4, 5, 5, 6, 7, 7, 8, 8, 9, 10]
        );
        assert_eq!(epoch_of_step(40, 15, 50, 4), 10);
        assert_eq!(epoch_of_step(81, 15, 50, 4), 21);
        assert_eq!(epoch_of_step(120, 15, 50, 4), 32);
        assert_eq!(epoch_of_step(160, 15, 50, 4), 42);
        assert_eq!(epoch_of_step(188, 15, 50, 4), 50);
        assert_eq!(epoch_of_step(19, 15, 5, 4), 5);
    }
}
