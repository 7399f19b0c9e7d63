//! Preference tuning (DPO) on Vertex AI, its rules once: which Gemini models take it, the
//! range tunedeck accepts for `beta`, and what one line of a preference dataset must hold. The
//! dataset lint, the dashboard's form, `tunedeck tune --method preference` and the emulator's
//! validation all call these, so they refuse the same lines with the same reasons.
//!
//! Sources, as read on 2026-12-04: Vertex AI's "About preference tuning for Gemini models"
//! (limits: text only, 131,072 input plus output tokens per example, adapter sizes 1–16;
//! best practice: supervised tuning first, then preference tuning from its checkpoint), "Prepare
//! preference tuning data for Gemini models" (a line is `contents` ending with a user turn, an
//! optional `system_instruction`, and `completions`: one model turn scored 1, preferred, and one
//! scored 0, rejected), and Google's announcement "Preference tuning now available for Gemini
//! 2.5 Flash models on Vertex AI" (2.5 Flash and 2.5 Flash-Lite). The docs give `beta` no
//! range; see [`BETA_MAX`].

/// The models preference tuning accepts: the model table's (src/domain/models.rs, where each
/// model's methods are kept with their source), in its order.
pub fn preference_models() -> Vec<&'static str> {
    super::models::TUNABLE_MODELS
        .iter()
        .filter(|m| m.takes(super::models::Method::Preference))
        .map(|m| m.id)
        .collect()
}

/// Whether `model` (`gemini-2.5-flash`, or a `publishers/google/models/` name) takes
/// preference tuning.
pub fn takes_preference(model: &str) -> bool {
    super::models::tunable_model(model).is_some_and(|m| m.takes(super::models::Method::Preference))
}

/// The largest `beta` tunedeck sends. The discovery document calls it "weight for KL
/// divergence regularization" and the console "how closely the tuned model aligns with its
/// baseline", with no documented range; DPO's own paper and common practice use 0.01–0.5. A
/// beta of 0 or below makes the loss ignore the reference, so it must be above 0; tunedeck
/// takes at most 1 (the README lists this as its choice, not the service's).
pub const BETA_MAX: f64 = 1.0;

/// The beta the emulator trains with when none is sent (the DPO paper's usual 0.1; the
/// service does not document its default).
pub const DEFAULT_BETA: f64 = 0.1;

/// Whether `beta` is within (0, [`BETA_MAX`]].
pub fn beta_in_range(beta: f64) -> bool {
    beta.is_finite() && beta > 0.0 && beta <= BETA_MAX
}

/// A completion's score for the preferred answer.
pub const PREFERRED_SCORE: f64 = 1.0;
/// A completion's score for the rejected answer.
pub const REJECTED_SCORE: f64 = 0.0;

/// Input plus completion tokens of one example, at most (the limits table's 131,072; the
/// data page's "128K"). The same number as supervised tuning's, kept here so this module
/// depends on no other domain module (`vertex` depends on this one).
pub const MAX_TOKENS_PER_EXAMPLE: usize = 131_072;

/// One completion as a line holds it: its score and its turn's role.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Completion<'a> {
    pub score: f64,
    pub role: &'a str,
}

/// Why one line of a preference dataset would be refused. Each front end words it with the
/// file and line number; `Display` gives the reason itself.
#[derive(Debug, Clone, PartialEq)]
pub enum PreferenceLineProblem {
    /// `contents` is empty or missing.
    NoContents,
    /// A content turn's role is neither `user` nor `model`.
    UnknownRole { index: usize, role: String },
    /// The prompt's last turn is not the user's.
    LastTurnNotUser { role: String },
    /// Not exactly two completions.
    CompletionCount { count: usize },
    /// A completion's score is neither 1 nor 0.
    ScoreNotZeroOrOne { index: usize, score: f64 },
    /// The two completions are not one preferred (1) and one rejected (0).
    NotOnePreferredOneRejected { preferred: usize, rejected: usize },
    /// A completion is not a model turn.
    CompletionNotModel { index: usize, role: String },
    /// An image, file or other non-text part: preference tuning is text only.
    NotText,
    /// Input plus completion tokens over the limit.
    TooManyTokens { tokens: usize, most: usize },
}

impl std::fmt::Display for PreferenceLineProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PreferenceLineProblem::NoContents => {
                write!(
                    f,
                    "contents is empty; the prompt needs at least one user turn"
                )
            }
            PreferenceLineProblem::UnknownRole { index, role } => write!(
                f,
                "contents[{index}] has role \"{role}\"; a turn is \"user\" or \"model\""
            ),
            PreferenceLineProblem::LastTurnNotUser { role } => write!(
                f,
                "the prompt ends with a \"{role}\" turn; it must end with a user turn"
            ),
            PreferenceLineProblem::CompletionCount { count } => write!(
                f,
                "{count} completion{}; a line needs exactly two, one scored 1 (preferred) and one scored 0 (rejected)",
                if *count == 1 { "" } else { "s" }
            ),
            PreferenceLineProblem::ScoreNotZeroOrOne { index, score } => write!(
                f,
                "completions[{index}] has score {score}; a score is 1 (preferred) or 0 (rejected)"
            ),
            PreferenceLineProblem::NotOnePreferredOneRejected {
                preferred,
                rejected,
            } => write!(
                f,
                "{preferred} preferred and {rejected} rejected completions; a line needs one of each"
            ),
            PreferenceLineProblem::CompletionNotModel { index, role } => write!(
                f,
                "completions[{index}] is a \"{role}\" turn; a completion is a model turn"
            ),
            PreferenceLineProblem::NotText => {
                write!(f, "a part is not text; preference tuning takes text only")
            }
            PreferenceLineProblem::TooManyTokens { tokens, most } => write!(
                f,
                "about {tokens} tokens of input and completion; at most {most} per example"
            ),
        }
    }
}

/// One line checked against the service's rules: the roles of its `contents` turns in order,
/// its completions, whether any part (prompt, system instruction or completion) is not text,
/// and its tokens (the prompt plus the longer completion, as the limit counts them; estimate
/// with `vertex::estimate_tokens`). The first problem found is returned.
pub fn check_example(
    roles_of_contents: &[&str],
    completions: &[Completion<'_>],
    has_non_text: bool,
    tokens: usize,
) -> Result<(), PreferenceLineProblem> {
    let Some(last) = roles_of_contents.last() else {
        return Err(PreferenceLineProblem::NoContents);
    };
    if let Some((index, role)) = roles_of_contents
        .iter()
        .enumerate()
        .find(|(_, r)| !matches!(**r, "user" | "model"))
    {
        return Err(PreferenceLineProblem::UnknownRole {
            index,
            role: (*role).to_owned(),
        });
    }
    if *last != "user" {
        return Err(PreferenceLineProblem::LastTurnNotUser {
            role: (*last).to_owned(),
        });
    }
    if completions.len() != 2 {
        return Err(PreferenceLineProblem::CompletionCount {
            count: completions.len(),
        });
    }
    for (index, c) in completions.iter().enumerate() {
        if c.score != PREFERRED_SCORE && c.score != REJECTED_SCORE {
            return Err(PreferenceLineProblem::ScoreNotZeroOrOne {
                index,
                score: c.score,
            });
        }
        if c.role != "model" {
            return Err(PreferenceLineProblem::CompletionNotModel {
                index,
                role: c.role.to_owned(),
            });
        }
    }
    let preferred = completions
        .iter()
        .filter(|c| c.score == PREFERRED_SCORE)
        .count();
    if preferred != 1 {
        return Err(PreferenceLineProblem::NotOnePreferredOneRejected {
            preferred,
            rejected: completions.len() - preferred,
        });
    }
    if has_non_text {
        return Err(PreferenceLineProblem::NotText);
    }
    if tokens > MAX_TOKENS_PER_EXAMPLE {
        return Err(PreferenceLineProblem::TooManyTokens {
            tokens,
            most: MAX_TOKENS_PER_EXAMPLE,
        });
    }
    Ok(())
}

/// Which of a checked line's two completions is the preferred one (0 or 1).
pub fn preferred_index(completions: &[Completion<'_>]) -> Option<usize> {
    completions.iter().position(|c| c.score == PREFERRED_SCORE)
}

/// The text of a content's parts, and whether any part is not text.
fn parts_of(content: &serde_json::Value) -> (String, bool) {
    let parts = match content.get("parts") {
        Some(serde_json::Value::Array(list)) => list.clone(),
        Some(part @ serde_json::Value::Object(_)) => vec![part.clone()],
        _ => Vec::new(),
    };
    let mut text = String::new();
    let mut non_text = false;
    for p in &parts {
        match p.get("text").and_then(|t| t.as_str()) {
            Some(t) => text.push_str(t),
            None => non_text = true,
        }
    }
    (text, non_text)
}

/// Why a line is not trained on.
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    /// Over the token limit: dropped and reported, the rest trains.
    Dropped(PreferenceLineProblem),
    /// Malformed: the job fails naming the line.
    Bad(String),
}

impl From<String> for Refusal {
    fn from(why: String) -> Refusal {
        Refusal::Bad(why)
    }
}

impl From<&str> for Refusal {
    fn from(why: &str) -> Refusal {
        Refusal::Bad(why.to_owned())
    }
}

/// One line of a preference file, read: the prompt (its last user turn), the preferred and
/// the rejected answer, and its tokens as the limit counts them.
#[derive(Debug, Clone, PartialEq)]
pub struct PreferenceText {
    pub prompt: String,
    pub chosen: String,
    pub rejected: String,
    pub tokens: usize,
}

/// One line of a preference JSONL file (snake_case or camelCase keys) read and checked with
/// [`check_example`]: the emulator trains on what it gives, `tunedeck tune` checks files with
/// it before uploading.
pub fn read_line(raw: &str) -> Result<PreferenceText, Refusal> {
    let value: serde_json::Value =
        serde_json::from_str(raw).map_err(|e| format!("not JSON ({e})."))?;
    let value = crate::api::serde_util::camelize_keys(value);
    let contents = value
        .get("contents")
        .and_then(|c| c.as_array())
        .ok_or("it has no \"contents\" list.")?;
    let completions = value
        .get("completions")
        .and_then(|c| c.as_array())
        .ok_or("it has no \"completions\" list.")?;
    let mut roles = Vec::new();
    let mut texts = Vec::new();
    let mut non_text = false;
    for content in contents {
        let role = content
            .get("role")
            .and_then(|r| r.as_str())
            .unwrap_or("user")
            .to_lowercase();
        let (text, other) = parts_of(content);
        non_text |= other;
        roles.push(role);
        texts.push(text);
    }
    let system = value
        .get("systemInstruction")
        .map(parts_of)
        .unwrap_or_default();
    non_text |= system.1;
    let mut scored = Vec::new();
    let mut answers = Vec::new();
    for (j, c) in completions.iter().enumerate() {
        let score = c
            .get("score")
            .and_then(serde_json::Value::as_f64)
            .ok_or_else(|| format!("completions[{j}] has no numeric \"score\"."))?;
        let turn = c
            .get("completion")
            .ok_or_else(|| format!("completions[{j}] has no \"completion\"."))?;
        let role = turn
            .get("role")
            .and_then(|r| r.as_str())
            .unwrap_or("model")
            .to_lowercase();
        let (text, other) = parts_of(turn);
        non_text |= other;
        scored.push((score, role));
        answers.push(text);
    }
    let role_refs: Vec<&str> = roles.iter().map(String::as_str).collect();
    let completion_refs: Vec<Completion<'_>> = scored
        .iter()
        .map(|(score, role)| Completion {
            score: *score,
            role: role.as_str(),
        })
        .collect();
    let prompt_tokens: usize =
        texts.iter().map(|t| estimate_tokens(t)).sum::<usize>() + estimate_tokens(&system.0);
    let tokens = prompt_tokens
        + answers
            .iter()
            .map(|a| estimate_tokens(a))
            .max()
            .unwrap_or(0);
    check_example(&role_refs, &completion_refs, non_text, tokens).map_err(|p| match p {
        PreferenceLineProblem::TooManyTokens { .. } => Refusal::Dropped(p),
        p => Refusal::Bad(format!("{p}.")),
    })?;
    let w = preferred_index(&completion_refs).unwrap_or(0);
    let prompt = texts.last().cloned().unwrap_or_default();
    Ok(PreferenceText {
        prompt,
        chosen: answers[w].clone(),
        rejected: answers[1 - w].clone(),
        tokens,
    })
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::Dropped(p) => write!(f, "{p}"),
            Refusal::Bad(why) => write!(f, "{why}"),
        }
    }
}

/// Tokens in a text, estimated offline ([`super::token_count::estimate`]: a token a digit or
/// CJK character, a quarter of the other characters); the service counts exactly, this is for
/// checks ahead of it. Every method's limits use it; `vertex` re-exports it.
pub fn estimate_tokens(text: &str) -> usize {
    super::token_count::estimate(text)
}

/// The settings both methods share (datasets, epochs, multiplier, adapter, last checkpoint
/// only), in supervised tuning's shape: what the jobs table and the job detail read from a
/// job of either method. `None` for a job with neither spec.
pub fn shared_spec(
    job: &crate::api::vertex::types::TuningJob,
) -> Option<crate::api::vertex::types::SupervisedTuningSpec> {
    use crate::api::vertex::types::{HyperParameters, SupervisedTuningSpec};
    if let Some(s) = &job.supervised_tuning_spec {
        return Some(s.clone());
    }
    let p = job.preference_optimization_spec.as_ref()?;
    Some(SupervisedTuningSpec {
        training_dataset_uri: p.training_dataset_uri.clone(),
        validation_dataset_uri: p.validation_dataset_uri.clone(),
        hyper_parameters: p.hyper_parameters.as_ref().map(|h| HyperParameters {
            epoch_count: h.epoch_count,
            learning_rate_multiplier: h.learning_rate_multiplier,
            learning_rate: None,
            batch_size: None,
            adapter_size: h.adapter_size.clone(),
        }),
        export_last_checkpoint_only: p.export_last_checkpoint_only,
        ..Default::default()
    })
}

/// A job's method and its settings as the job detail and `jobs get` show them:
/// "supervised", "preference (DPO) · beta 0.1 · last checkpoint only".
pub fn method_text(job: &crate::api::vertex::types::TuningJob) -> String {
    match &job.preference_optimization_spec {
        Some(spec) => {
            let beta = spec
                .hyper_parameters
                .as_ref()
                .and_then(|h| h.beta)
                .map_or("beta: the service's".to_owned(), |b| format!("beta {b}"));
            let last = if spec.export_last_checkpoint_only {
                " · last checkpoint only"
            } else {
                ""
            };
            format!("preference (DPO) · {beta}{last}")
        }
        None if job.supervised_tuning_spec.is_some() => {
            let last = job
                .supervised_tuning_spec
                .as_ref()
                .is_some_and(|s| s.export_last_checkpoint_only);
            format!(
                "supervised{}",
                if last { " · last checkpoint only" } else { "" }
            )
        }
        None => "not reported".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(a: f64, b: f64) -> [Completion<'static>; 2] {
        [
            Completion {
                score: a,
                role: "model",
            },
            Completion {
                score: b,
                role: "model",
            },
        ]
    }

    #[test]
    fn a_line_needs_a_user_prompt_and_one_preferred_one_rejected_text_completion() {
        assert_eq!(check_example(&["user"], &pair(1.0, 0.0), false, 10), Ok(()));
        assert_eq!(
            check_example(&["user", "model", "user"], &pair(0.0, 1.0), false, 10),
            Ok(())
        );
        assert_eq!(preferred_index(&pair(0.0, 1.0)), Some(1));
        assert_eq!(
            check_example(&[], &pair(1.0, 0.0), false, 10),
            Err(PreferenceLineProblem::NoContents)
        );
        let ends_with_model = check_example(&["user", "model"], &pair(1.0, 0.0), false, 10);
        assert_eq!(
            ends_with_model.unwrap_err().to_string(),
            "the prompt ends with a \"model\" turn; it must end with a user turn"
        );
        assert_eq!(
            check_example(&["user"], &pair(1.0, 1.0), false, 10),
            Err(PreferenceLineProblem::NotOnePreferredOneRejected {
                preferred: 2,
                rejected: 0
            })
        );
        assert_eq!(
            check_example(&["user"], &pair(1.0, 0.5), false, 10)
                .unwrap_err()
                .to_string(),
            "completions[1] has score 0.5; a score is 1 (preferred) or 0 (rejected)"
        );
        assert_eq!(
            check_example(&["user"], &pair(1.0, 0.0)[..1], false, 10),
            Err(PreferenceLineProblem::CompletionCount { count: 1 })
        );
        let user_completion = [
            Completion {
                score: 1.0,
                role: "model",
            },
            Completion {
                score: 0.0,
                role: "user",
            },
        ];
        assert_eq!(
            check_example(&["user"], &user_completion, false, 10),
            Err(PreferenceLineProblem::CompletionNotModel {
                index: 1,
                role: "user".into()
            })
        );
        assert_eq!(
            check_example(&["user"], &pair(1.0, 0.0), true, 10),
            Err(PreferenceLineProblem::NotText)
        );
        assert_eq!(
            check_example(&["user"], &pair(1.0, 0.0), false, 131_073),
            Err(PreferenceLineProblem::TooManyTokens {
                tokens: 131_073,
                most: 131_072
            })
        );
        assert_eq!(
            check_example(&["user"], &pair(1.0, 0.0), false, 131_072),
            Ok(())
        );
    }

    #[test]
    fn models_and_beta() {
        assert!(takes_preference("gemini-2.5-flash"));
        assert!(takes_preference(
            "publishers/google/models/gemini-2.5-flash-lite"
        ));
        assert!(!takes_preference("gemini-2.5-pro"));
        assert!(beta_in_range(0.1) && beta_in_range(1.0));
        assert!(!beta_in_range(0.0) && !beta_in_range(1.5) && !beta_in_range(f64::NAN));
        assert!(beta_in_range(DEFAULT_BETA));
    }
}
