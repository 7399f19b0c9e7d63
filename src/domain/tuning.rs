//! Tuning settings and the step arithmetic: what a tuning job asks for, checked before it is sent,
//! and how many steps and epochs it makes (the tutorials' recorded runs: `totalSteps =
//! ceil(N·E/B)`, `epoch = min(E, floor(step·B/N))`).

use super::limits::MAX_DISPLAY_NAME_CHARS;
use crate::api::types::{
    Dataset, Hyperparameters, TunedModel, TunedModelSource, TuningExample, TuningTask,
};

/// `ceil(N*E/B)`.
pub fn total_steps(examples: usize, epochs: u32, batch_size: u32) -> u64 {
    let items = examples as u64 * u64::from(epochs);
    items.div_ceil(u64::from(batch_size.max(1)))
}

/// `min(E, floor(step*B/N))`: completed passes when `step` finished.
pub fn epoch_of_step(step: u64, examples: usize, epochs: u32, batch_size: u32) -> u32 {
    if examples == 0 {
        return 0;
    }
    let passes = step * u64::from(batch_size) / examples as u64;
    passes.min(u64::from(epochs)) as u32
}

pub use crate::api::names::valid_model_id;

/// How fast the model learns: the API takes one of the two (a oneof).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LearningRate {
    Rate(f64),
    Multiplier(f64),
}

/// Where a tuning starts: a base model (`models/…`) or a tuned model (`tunedModels/…`).
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    Base(String),
    Tuned(String),
}

impl Source {
    /// From a resource name: `tunedModels/…` is a tuned model, anything else a base model.
    pub fn from_name(name: &str) -> Source {
        if name.starts_with("tunedModels/") {
            Source::Tuned(name.to_owned())
        } else {
            Source::Base(name.to_owned())
        }
    }

    pub fn name(&self) -> &str {
        match self {
            Source::Base(n) | Source::Tuned(n) => n,
        }
    }
}

/// A setting, named for the problems that point at it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TuningField {
    DisplayName,
    ModelId,
    Description,
    Epochs,
    BatchSize,
    LearningRate,
    Multiplier,
    HeldOut,
}

/// Why a tuning request would be refused, before it is sent.
#[derive(Debug, Clone, PartialEq)]
pub enum TuningProblem {
    /// The text of a field is not a number.
    NotANumber {
        field: TuningField,
        text: String,
    },
    DisplayNameTooLong {
        chars: usize,
    },
    InvalidModelId {
        id: String,
    },
    EpochsOrBatchBelowOne,
    RateNotPositive,
    MultiplierNotPositive,
    NoExamples,
    /// The held-out share is outside 0 to 99 %.
    HeldOutOutOfRange {
        percent: f64,
    },
    /// The held-out share leaves nothing to tune on.
    HeldOutLeavesNone {
        percent: f64,
        examples: usize,
    },
}

/// A tuning job's settings, typed.
#[derive(Debug, Clone, PartialEq)]
pub struct TuningSettings {
    pub display_name: String,
    /// The tuned model's id; `None` lets the service choose one.
    pub model_id: Option<String>,
    pub description: String,
    pub source: Source,
    pub epochs: i32,
    pub batch_size: i32,
    pub learning_rate: LearningRate,
    /// The share of examples kept out of training for evaluation, in percent.
    pub held_out_percent: f64,
}

/// A checked request: the model to create, its id, and the examples held out.
#[derive(Debug, Clone, PartialEq)]
pub struct TuneRequest {
    pub model: TunedModel,
    pub id: Option<String>,
    /// Examples kept out of training, for evaluation.
    pub held_out: Vec<TuningExample>,
}

/// How many of `examples` a held-out share keeps out: at least one when the share is above 0,
/// never all of them.
pub fn held_out_count(percent: f64, examples: usize) -> Result<usize, TuningProblem> {
    if !(0.0..100.0).contains(&percent) {
        return Err(TuningProblem::HeldOutOutOfRange { percent });
    }
    let count = ((examples as f64) * percent / 100.0).round() as usize;
    let count = if percent > 0.0 { count.max(1) } else { 0 };
    if count >= examples && examples > 0 {
        return Err(TuningProblem::HeldOutLeavesNone { percent, examples });
    }
    Ok(count)
}

/// Splits `count` examples off for evaluation, chosen by a fixed-seed shuffle so the same set
/// and share always hold out the same examples; both parts keep the file's order.
pub fn split_held_out<T: Clone>(examples: &[T], count: usize) -> (Vec<T>, Vec<T>) {
    use rand::SeedableRng;
    use rand::seq::SliceRandom;
    let mut order: Vec<usize> = (0..examples.len()).collect();
    order.shuffle(&mut rand_chacha::ChaCha8Rng::seed_from_u64(0));
    let mut held = vec![false; examples.len()];
    for &i in order.iter().take(count) {
        held[i] = true;
    }
    let (mut training, mut held_out) = (Vec::new(), Vec::new());
    for (example, held) in examples.iter().zip(held) {
        if held {
            held_out.push(example.clone());
        } else {
            training.push(example.clone());
        }
    }
    (training, held_out)
}

impl TuningSettings {
    /// `ceil(N*E/B)` with N the examples that tune (the held-out share left out), when the
    /// settings allow it.
    pub fn total_steps(&self, examples: usize) -> Option<u64> {
        let epochs = u32::try_from(self.epochs).ok().filter(|e| *e > 0)?;
        let batch = u32::try_from(self.batch_size).ok().filter(|b| *b > 0)?;
        let held = held_out_count(self.held_out_percent, examples).ok()?;
        Some(total_steps(examples - held, epochs, batch))
    }

    /// The first problem with the settings alone (the examples are checked by the request).
    pub fn validate(&self) -> Result<(), TuningProblem> {
        let chars = self.display_name.trim().chars().count();
        if chars > MAX_DISPLAY_NAME_CHARS {
            return Err(TuningProblem::DisplayNameTooLong { chars });
        }
        if let Some(id) = self.model_id.as_deref().map(str::trim)
            && !id.is_empty()
            && !valid_model_id(id)
        {
            return Err(TuningProblem::InvalidModelId { id: id.to_owned() });
        }
        if self.epochs < 1 || self.batch_size < 1 {
            return Err(TuningProblem::EpochsOrBatchBelowOne);
        }
        match self.learning_rate {
            LearningRate::Rate(r) if !(r > 0.0 && r.is_finite()) => {
                Err(TuningProblem::RateNotPositive)
            }
            LearningRate::Multiplier(m) if !(m > 0.0 && m.is_finite()) => {
                Err(TuningProblem::MultiplierNotPositive)
            }
            _ => Ok(()),
        }
    }

    /// The create request for these examples, or the first problem.
    pub fn to_request(&self, examples: &[TuningExample]) -> Result<TuneRequest, TuningProblem> {
        self.validate()?;
        if examples.is_empty() {
            return Err(TuningProblem::NoExamples);
        }
        let held = held_out_count(self.held_out_percent, examples.len())?;
        let (training, held_out) = split_held_out(examples, held);
        let hyperparameters = Hyperparameters {
            epoch_count: Some(self.epochs),
            batch_size: Some(self.batch_size),
            ..Default::default()
        };
        let hyperparameters = match self.learning_rate {
            LearningRate::Rate(r) => hyperparameters.with_learning_rate(r),
            LearningRate::Multiplier(m) => hyperparameters.with_multiplier(m),
        };
        let (base_model, tuned_model_source) = match &self.source {
            Source::Base(name) => (Some(name.clone()), None),
            Source::Tuned(name) => (
                None,
                Some(TunedModelSource {
                    tuned_model: Some(name.clone()),
                    base_model: None,
                }),
            ),
        };
        let model = TunedModel {
            display_name: self.display_name.trim().to_owned(),
            description: self.description.trim().to_owned(),
            base_model,
            tuned_model_source,
            tuning_task: Some(TuningTask {
                training_data: Some(Dataset::from_examples(training)),
                hyperparameters: Some(hyperparameters),
                ..Default::default()
            }),
            ..Default::default()
        };
        let id = self
            .model_id
            .as_deref()
            .map(str::trim)
            .filter(|id| !id.is_empty())
            .map(str::to_owned);
        Ok(TuneRequest {
            model,
            id,
            held_out,
        })
    }
}

/// The fields of a tuned model a PATCH may change (`updateMask`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelField {
    DisplayName,
    Description,
    Temperature,
    TopP,
    TopK,
}

impl ModelField {
    pub const ALL: [ModelField; 5] = [
        ModelField::DisplayName,
        ModelField::Description,
        ModelField::Temperature,
        ModelField::TopP,
        ModelField::TopK,
    ];

    /// The field's name in `updateMask`.
    pub fn mask(self) -> &'static str {
        match self {
            ModelField::DisplayName => "displayName",
            ModelField::Description => "description",
            ModelField::Temperature => "temperature",
            ModelField::TopP => "topP",
            ModelField::TopK => "topK",
        }
    }
}

/// One change to a tuned model; `None` clears a sampling default.
#[derive(Debug, Clone, PartialEq)]
pub enum ModelChange {
    DisplayName(String),
    Description(String),
    Temperature(Option<f64>),
    TopP(Option<f64>),
    TopK(Option<i32>),
}

/// Why a model update would be refused.
#[derive(Debug, Clone, PartialEq)]
pub enum UpdateProblem {
    /// The text of a field is not a number (front ends that take text).
    NotANumber {
        field: ModelField,
        text: String,
    },
    DisplayNameTooLong {
        chars: usize,
    },
    OutOfRange {
        field: ModelField,
        value: f64,
        min: f64,
        max: f64,
    },
    TopKNegative {
        value: i32,
    },
    NothingChanged,
}

/// The service's ranges for a tuned model's sampling defaults (the API reference's TunedModel).
pub const TEMPERATURE_RANGE: (f64, f64) = (0.0, 2.0);
pub const TOP_P_RANGE: (f64, f64) = (0.0, 1.0);

/// The PATCH body and `updateMask` for `changes` to the model `name`, or the first problem.
pub fn build_update(
    name: &str,
    changes: &[ModelChange],
) -> Result<(TunedModel, Vec<String>), UpdateProblem> {
    let mut model = TunedModel {
        name: name.to_owned(),
        ..Default::default()
    };
    let mut mask = Vec::new();
    let ranged = |field, value: Option<f64>, (min, max): (f64, f64)| match value {
        Some(v) if !(min..=max).contains(&v) => Err(UpdateProblem::OutOfRange {
            field,
            value: v,
            min,
            max,
        }),
        _ => Ok(value),
    };
    for change in changes {
        let field = match change {
            ModelChange::DisplayName(text) => {
                let chars = text.chars().count();
                if chars > MAX_DISPLAY_NAME_CHARS {
                    return Err(UpdateProblem::DisplayNameTooLong { chars });
                }
                model.display_name = text.clone();
                ModelField::DisplayName
            }
            ModelChange::Description(text) => {
                model.description = text.clone();
                ModelField::Description
            }
            ModelChange::Temperature(v) => {
                model.temperature = ranged(ModelField::Temperature, *v, TEMPERATURE_RANGE)?;
                ModelField::Temperature
            }
            ModelChange::TopP(v) => {
                model.top_p = ranged(ModelField::TopP, *v, TOP_P_RANGE)?;
                ModelField::TopP
            }
            ModelChange::TopK(v) => {
                if let Some(k) = v.filter(|k| *k < 0) {
                    return Err(UpdateProblem::TopKNegative { value: k });
                }
                model.top_k = *v;
                ModelField::TopK
            }
        };
        mask.push(field.mask().to_owned());
    }
    if mask.is_empty() {
        return Err(UpdateProblem::NothingChanged);
    }
    Ok((model, mask))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_and_epochs_follow_the_reference() {
        assert_eq!(total_steps(15, 5, 4), 19);
        assert_eq!(total_steps(120, 5, 4), 150);
        assert_eq!(epoch_of_step(46, 120, 5, 4), 1);
        assert_eq!(epoch_of_step(150, 120, 5, 4), 5);
        assert_eq!(epoch_of_step(1_000, 120, 5, 4), 5);
    }

    #[test]
    fn model_ids_follow_the_pattern() {
        assert!(valid_model_id("a"));
        assert!(valid_model_id("number-generator-42"));
        assert!(!valid_model_id("1abc"));
        assert!(!valid_model_id("abc-"));
        assert!(!valid_model_id("Abc"));
        assert!(!valid_model_id(&"a".repeat(41)));
    }

    #[test]
    fn held_out_keeps_one_at_least_and_never_all() {
        assert_eq!(held_out_count(0.0, 10), Ok(0));
        assert_eq!(held_out_count(1.0, 10), Ok(1));
        assert!(matches!(
            held_out_count(99.0, 1),
            Err(TuningProblem::HeldOutLeavesNone { .. })
        ));
        assert!(matches!(
            held_out_count(100.0, 10),
            Err(TuningProblem::HeldOutOutOfRange { .. })
        ));
    }
}
