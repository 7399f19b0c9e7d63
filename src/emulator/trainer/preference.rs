//! Preference tuning (DPO) of the small model: the policy is the trainer's classifier, the
//! reference is the same classifier frozen where the job started (the base model, or the tuned
//! model or checkpoint it continues). Each step lowers DPO's loss on a batch of pairs,
//!
//!   loss = −log σ(β·[(log πθ(y_w|x) − log πref(y_w|x)) − (log πθ(y_l|x) − log πref(y_l|x))]),
//!
//! so the preferred answer `y_w` gains probability over the rejected `y_l` relative to where
//! the reference had them, and `β` sets how hard the margin is pushed before the loss
//! saturates. The implicit reward of an answer is `β·(log πθ − log πref)`; a step reports the
//! batch's mean loss, the share of pairs whose preferred answer has the higher reward (reward
//! accuracy) and the mean reward margin.
//!
//! Both log-probabilities share the softmax's normaliser, so the log-ratio difference is
//! `(z_w − z_l) − (zref_w − zref_l)` on the logits, and the gradient touches only the two
//! answers' weights: `∂loss/∂z_w = −β·σ(−β·m)`, `∂loss/∂z_l = +β·σ(−β·m)`.

use super::{Trainer, features, fold, output_tokens, total_steps};
use std::collections::HashMap;

/// The emulator's DPO step is the SGD step of supervised tuning times this: DPO's gradient is
/// scaled by β (0.1 by default) and by σ(−β·m) ≤ 1, so at supervised tuning's step size the
/// margin would barely move in the few epochs a job runs. With it, the pairs of a small dataset
/// are ranked right within two or three epochs at the default β.
pub const PREFERENCE_RATE_SCALE: f32 = 10.0;

/// One preference example as the small model learns it: the prompt (the last user turn), the
/// preferred and the rejected answer.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PreferencePair {
    pub prompt: String,
    pub chosen: String,
    pub rejected: String,
}

/// The frozen reference and the rejected answer of each pair (the chosen one is the
/// trainer's label).
#[derive(Clone)]
pub(super) struct Dpo {
    beta: f32,
    rejected: Vec<usize>,
    weights: HashMap<u32, Vec<f32>>,
    bias: Vec<f32>,
}

/// A pair's measure: its loss, whether the preferred answer's reward is higher, its margin.
struct PairMeasure {
    loss: f32,
    right: bool,
    margin: f32,
    /// `β·σ(−β·m)`: how hard the step pushes this pair.
    push: f32,
}

fn measure(beta: f32, z: &[f32], zref: &[f32], w: usize, l: usize) -> PairMeasure {
    let m = (z[w] - z[l]) - (zref[w] - zref[l]);
    let x = beta * m;
    // −log σ(x) = softplus(−x), computed without overflow.
    let loss = if x > 0.0 {
        (-x).exp().ln_1p()
    } else {
        -x + x.exp().ln_1p()
    };
    let sigma_neg = 1.0 / (1.0 + x.exp());
    PairMeasure {
        loss,
        right: m > 0.0,
        margin: x,
        push: beta * sigma_neg,
    }
}

impl Trainer {
    /// This trainer, as it stands, becomes the reference of a DPO run over `pairs`: the
    /// answers it does not know are added as outputs (at zero weight), and the steps and
    /// epochs follow the pairs.
    pub fn into_preference(mut self, pairs: &[PreferencePair], beta: f64) -> Trainer {
        let mut index: HashMap<String, usize> = self
            .classes
            .iter()
            .enumerate()
            .map(|(i, c)| (c.clone(), i))
            .collect();
        let mut class_of = |answer: &str, classes: &mut Vec<String>| -> usize {
            if let Some(i) = index.get(answer) {
                return *i;
            }
            classes.push(answer.to_owned());
            index.insert(answer.to_owned(), classes.len() - 1);
            classes.len() - 1
        };
        let mut classes = std::mem::take(&mut self.classes);
        let mut labels = Vec::with_capacity(pairs.len());
        let mut rejected = Vec::with_capacity(pairs.len());
        for pair in pairs {
            labels.push(class_of(&pair.chosen, &mut classes));
            rejected.push(class_of(&pair.rejected, &mut classes));
        }
        let width = classes.len();
        for row in self.weights.values_mut() {
            row.resize(width, 0.0);
        }
        self.bias.resize(width, 0.0);
        self.classes = classes;
        let mask = self.feature_mask;
        self.inputs = pairs
            .iter()
            .map(|p| {
                let x = features(&p.prompt);
                if mask == u32::MAX { x } else { fold(&x, mask) }
            })
            .collect();
        self.labels = labels;
        self.total = total_steps(pairs.len(), self.spec.epochs, self.spec.batch_size);
        self.step = 0;
        self.order_epoch = None;
        self.dpo = Some(Box::new(Dpo {
            beta: beta as f32,
            rejected,
            weights: self.weights.clone(),
            bias: self.bias.clone(),
        }));
        self
    }

    /// The reference model's logits for an input.
    fn reference_logits(dpo: &Dpo, x: &[(u32, f32)]) -> Vec<f32> {
        let mut z = dpo.bias.clone();
        for (id, v) in x {
            if let Some(row) = dpo.weights.get(id) {
                for (zi, w) in z.iter_mut().zip(row) {
                    *zi += w * v;
                }
            }
        }
        z
    }

    /// One DPO step over the next batch of pairs.
    pub(super) fn preference_step(&mut self) -> super::StepStats {
        let batch = u64::from(self.spec.batch_size.max(1));
        let end_of_data = self.labels.len() as u64 * u64::from(self.spec.epochs);
        let start = self.step * batch;
        let end = (start + batch).min(end_of_data);
        let batch_len = (end - start) as f32;
        let lr = (self.spec.learning_rate * super::LEARNING_RATE_SCALE) as f32
            * PREFERENCE_RATE_SCALE
            / batch_len;
        let mut loss = 0.0f32;
        let mut right = 0usize;
        let mut margin = 0.0f32;
        let mut predictions = 0u64;
        let mut pushes: Vec<(usize, usize, usize, f32)> = Vec::new();
        for position in start..end {
            let i = self.example_at(position);
            let Some(dpo) = self.dpo.as_deref() else {
                break;
            };
            let (w, l) = (self.labels[i], dpo.rejected[i]);
            let z = self.logits(&self.inputs[i]);
            let zref = Self::reference_logits(dpo, &self.inputs[i]);
            let m = measure(dpo.beta, &z, &zref, w, l);
            loss += m.loss;
            margin += m.margin;
            right += usize::from(m.right);
            predictions += output_tokens(&self.classes[w]) + output_tokens(&self.classes[l]);
            pushes.push((i, w, l, m.push));
        }
        // The batch's averaged gradient, applied after the forward passes.
        for (i, w, l, push) in pushes {
            if w == l {
                continue;
            }
            self.bias[w] += lr * push * 0.1;
            self.bias[l] -= lr * push * 0.1;
            let width = self.classes.len();
            for (id, v) in &self.inputs[i] {
                let row = self.weights.entry(*id).or_insert_with(|| vec![0.0; width]);
                row[w] += lr * push * v;
                row[l] -= lr * push * v;
            }
        }
        self.step += 1;
        super::StepStats {
            loss: loss / batch_len,
            accuracy: right as f32 / batch_len,
            predictions,
            margin: margin / batch_len,
        }
    }

    /// DPO's loss, reward accuracy and margin on `pairs` under the current weights, with no
    /// update (a validation pass). An answer the training never saw keeps the reference's
    /// log-probability (its log-ratio is 0). A trainer that is not a DPO run measures against
    /// itself (every margin 0).
    pub fn evaluate_preference(&self, pairs: &[PreferencePair]) -> super::StepStats {
        let beta = self
            .dpo
            .as_deref()
            .map_or(crate::domain::preference::DEFAULT_BETA as f32, |d| d.beta);
        let mut loss = 0.0f32;
        let mut right = 0usize;
        let mut margin = 0.0f32;
        let mut predictions = 0u64;
        for pair in pairs {
            let x = self.featurize(&pair.prompt);
            let mut z = self.logits(&x);
            let mut zref = match self.dpo.as_deref() {
                Some(dpo) => Self::reference_logits(dpo, &x),
                None => z.clone(),
            };
            // Unknown answers: one shared slot at zero logit in both models.
            z.push(0.0);
            zref.push(0.0);
            let unknown = z.len() - 1;
            let class = |a: &str| self.classes.iter().position(|c| c == a).unwrap_or(unknown);
            let m = measure(beta, &z, &zref, class(&pair.chosen), class(&pair.rejected));
            loss += m.loss;
            margin += m.margin;
            right += usize::from(m.right);
            predictions += output_tokens(&pair.chosen) + output_tokens(&pair.rejected);
        }
        let n = pairs.len().max(1) as f32;
        super::StepStats {
            loss: loss / n,
            accuracy: right as f32 / n,
            predictions,
            margin: margin / n,
        }
    }

    /// The probability the model gives `answer` for `prompt` (0 for an answer it never saw).
    pub fn probability_of(&self, prompt: &str, answer: &str) -> f32 {
        let z = self.logits(&self.featurize(prompt));
        let p = self.probabilities(&z);
        self.classes
            .iter()
            .position(|c| c == answer)
            .map_or(0.0, |i| p[i])
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Trainer, TrainingSpec};
    use super::*;
    use crate::api::types::TuningExample;

    const POLITE: &str = "Happy to help: here is the answer.";
    const CURT: &str = "Look it up yourself.";

    fn pairs(topics: &[&str]) -> Vec<PreferencePair> {
        topics
            .iter()
            .map(|t| PreferencePair {
                prompt: format!("Tell me about {t}"),
                chosen: POLITE.into(),
                rejected: CURT.into(),
            })
            .collect()
    }

    const SPEC: TrainingSpec = TrainingSpec {
        epochs: 4,
        batch_size: 4,
        learning_rate: 0.001,
        seed: 11,
    };

    const TRAIN: &[&str] = &[
        "rivers",
        "mountains",
        "volcanoes",
        "deserts",
        "glaciers",
        "oceans",
        "forests",
        "caves",
        "islands",
        "lakes",
        "canyons",
        "reefs",
    ];
    const HELD: &[&str] = &["comets", "tides", "storms"];

    #[test]
    fn dpo_ranks_the_preferred_answer_first_on_held_prompts_even_from_a_model_that_preferred_the_other()
     {
        // The reference: supervised tuning that taught the curt answer.
        let sft: Vec<TuningExample> = TRAIN
            .iter()
            .map(|t| TuningExample::new(format!("Tell me about {t}"), CURT))
            .chain(std::iter::once(TuningExample::new("Say hello", POLITE)))
            .collect();
        let mut reference = Trainer::new(&sft, SPEC);
        while reference.step().is_some() {}
        for held in HELD {
            let prompt = format!("Tell me about {held}");
            assert!(
                reference.probability_of(&prompt, CURT) > reference.probability_of(&prompt, POLITE),
                "the reference prefers the curt answer"
            );
        }
        let mut dpo =
            Trainer::continuing(&reference, &[], SPEC).into_preference(&pairs(TRAIN), 0.1);
        let held = pairs(HELD);
        let before = dpo.evaluate_preference(&held);
        assert!(
            (before.loss - std::f32::consts::LN_2).abs() < 1e-4,
            "{before:?}"
        );
        assert_eq!(before.accuracy, 0.0);
        let mut first = None;
        let mut last = None;
        while let Some(s) = dpo.step_stats() {
            first.get_or_insert(s);
            last = Some(s);
        }
        let (first, last) = (first.unwrap(), last.unwrap());
        assert_eq!(dpo.completed_steps(), 12, "12 pairs, 4 epochs, batch 4");
        assert!(last.loss < first.loss, "{first:?} -> {last:?}");
        assert_eq!(last.accuracy, 1.0);
        assert!(last.margin > 0.0);
        let after = dpo.evaluate_preference(&held);
        assert_eq!(after.accuracy, 1.0, "{after:?}");
        assert!(after.loss < before.loss);
        for held in HELD {
            let prompt = format!("Tell me about {held}");
            assert!(
                dpo.probability_of(&prompt, POLITE) > dpo.probability_of(&prompt, CURT),
                "held prompt {prompt:?}"
            );
            assert_eq!(dpo.predict(&prompt, 1)[0].output, POLITE);
        }
    }

    #[test]
    fn a_larger_beta_pushes_the_same_pairs_to_a_larger_margin_sooner() {
        let run = |beta: f64| {
            let mut t = Trainer::new(&[], SPEC).into_preference(&pairs(TRAIN), beta);
            let first = t.step_stats().unwrap();
            (first, t.evaluate_preference(&pairs(HELD)))
        };
        let (small_first, small) = run(0.05);
        let (large_first, large) = run(0.5);
        assert_eq!(
            small_first.margin, 0.0,
            "the first batch is measured before it moves"
        );
        assert_eq!(large_first.margin, 0.0);
        assert!(large.margin > small.margin, "{large:?} vs {small:?}");
    }
}
