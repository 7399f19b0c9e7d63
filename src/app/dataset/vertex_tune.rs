//! The start-tuning form with Vertex AI chosen: what to tune from (a tunable base model, or a
//! succeeded job's tuned model or checkpoint to continue), epochs or the service's choice, the
//! learning-rate multiplier, an adapter size the chosen model takes, the validation share, and
//! the Cloud Storage bucket and prefix the datasets are uploaded to (remembered). The rules are
//! the domain's ([`crate::domain::vertex::VertexTuning`]); this words them for the form.

use crate::api::types::TuningExample;
use crate::api::vertex::types::{JobState, TuningJob};
use crate::app::form::{Fields, Focus, FormField};
use crate::dataset::vertex::VertexExample;
use crate::domain::vertex::{
    OpenSettings, TUNABLE_MODELS, TuningMode, VertexMethod, VertexSource, VertexTuning,
    VertexTuningProblem, job_label, tunable_model,
};

/// The form's text fields, in the order drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VertexTuneField {
    DisplayName,
    Description,
    Epochs,
    /// The learning-rate multiplier for a Gemini model; an open model's learning rate.
    Multiplier,
    /// DPO's beta: only in a preference form (a supervised one skips it).
    Beta,
    /// Open models only.
    BatchSize,
    /// Open models only.
    OutputUri,
    Validation,
    Bucket,
    Prefix,
}

impl FormField for VertexTuneField {
    const ALL: &'static [Self] = &[
        VertexTuneField::DisplayName,
        VertexTuneField::Description,
        VertexTuneField::Epochs,
        VertexTuneField::Multiplier,
        VertexTuneField::Beta,
        VertexTuneField::BatchSize,
        VertexTuneField::OutputUri,
        VertexTuneField::Validation,
        VertexTuneField::Bucket,
        VertexTuneField::Prefix,
    ];
    /// What to tune from, the adapter size, then (open models only) the tuning mode.
    const CHOICES: u8 = 3;

    fn label(self) -> &'static str {
        match self {
            VertexTuneField::DisplayName => "Display name",
            VertexTuneField::Description => "Description",
            VertexTuneField::Epochs => "Epochs",
            VertexTuneField::Multiplier => "LR multiplier",
            VertexTuneField::Beta => "Beta",
            VertexTuneField::BatchSize => "Batch size",
            VertexTuneField::OutputUri => "Output URI",
            VertexTuneField::Validation => "Validation %",
            VertexTuneField::Bucket => "Bucket",
            VertexTuneField::Prefix => "Object prefix",
        }
    }
}

/// One thing to tune from, as the form offers it.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceChoice {
    pub label: String,
    pub source: VertexSource,
}

/// What the form remembers from one Vertex AI job to the next.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct VertexTuneSettings {
    pub epochs: String,
    pub multiplier: String,
    pub validation: String,
    pub bucket: String,
    pub prefix: String,
    /// The base model's id (a continued model is not remembered: it is one job's).
    pub base: String,
    pub adapter: Option<u32>,
}

/// How far the upload has come: the object being written, and bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct UploadProgress {
    pub object: String,
    /// Bytes of the files already written.
    pub done: u64,
    /// The current file's size, and its bytes written so far.
    pub size: u64,
    pub sent: u64,
    /// Bytes of every file.
    pub total: u64,
}

impl UploadProgress {
    /// Bytes written of all the files.
    pub fn written(&self) -> u64 {
        (self.done + self.sent).min(self.total)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct VertexTuneForm {
    pub values: Fields<VertexTuneField>,
    pub sources: Vec<SourceChoice>,
    pub source: usize,
    /// Index into [`VertexTuneForm::adapter_choices`].
    pub adapter: usize,
    /// Index into [`VertexTuneForm::mode_choices`].
    pub mode: usize,
    pub focus: Focus<VertexTuneField>,
    pub error: Option<String>,
    /// While the datasets upload and the job is created.
    pub upload: Option<UploadProgress>,
    /// Esc during the upload: the form is out of the way (the tabs and keys work) but kept,
    /// so the outcome still remembers the settings and saves the validation file; T shows it.
    pub hidden: bool,
    /// The validation examples of the last submit, saved beside the dataset once the job
    /// starts (for the Playground's batch evaluation).
    pub validation: Vec<TuningExample>,
    /// The last step: what will be uploaded and created (label, value rows), shown before
    /// anything is sent; `enter` there starts, `esc` goes back to the fields.
    pub review: Option<Vec<(String, String)>>,
    /// What the review shows (object names and all): the confirm uploads and creates exactly it.
    pub reviewed: Option<VertexStart>,
    /// The values that came from the remembered settings, marked while unchanged.
    pub remembered: Vec<(VertexTuneField, String)>,
    /// The examples are preference (DPO) examples: the job is a preference tuning one, with
    /// a beta, from a model that takes it.
    pub preference: bool,
}

/// The request [`VertexTuneForm::to_start`] makes: files to upload, then the job.
#[derive(Debug, Clone, PartialEq)]
pub struct VertexStart {
    pub bucket: String,
    /// (object name, JSONL bytes): training first, then validation when there is a share.
    pub uploads: Vec<(String, Vec<u8>)>,
    pub job: TuningJob,
    pub validation: Vec<TuningExample>,
}

impl VertexTuneForm {
    /// The form, offering the tunable models then every succeeded job's model and checkpoints,
    /// filled from the last settings; the base model chosen at first is the newest one that
    /// tunes on `today` (or the last one chosen).
    pub fn new(
        jobs: &[TuningJob],
        last: Option<&VertexTuneSettings>,
        today: chrono::NaiveDate,
    ) -> Self {
        Self::for_method(jobs, last, false, today)
    }

    /// [`VertexTuneForm::new`] for preference examples (`preference`): only the base models
    /// that take preference tuning are offered, and the beta field is shown.
    pub fn for_method(
        jobs: &[TuningJob],
        last: Option<&VertexTuneSettings>,
        preference: bool,
        today: chrono::NaiveDate,
    ) -> Self {
        let mut sources: Vec<SourceChoice> = TUNABLE_MODELS
            .iter()
            .filter(|m| !preference || crate::domain::preference::takes_preference(m.id))
            .map(|m| SourceChoice {
                label: m.id.to_owned(),
                source: VertexSource::Base(m.id.to_owned()),
            })
            .collect();
        for job in jobs.iter().filter(|j| j.state == JobState::Succeeded) {
            let Some(tuned) = job.tuned_model.as_ref().filter(|t| !t.model.is_empty()) else {
                continue;
            };
            sources.push(SourceChoice {
                label: format!("continue {}", job_label(job)),
                source: VertexSource::Tuned {
                    model: tuned.model.clone(),
                    checkpoint: None,
                },
            });
            for c in &tuned.checkpoints {
                sources.push(SourceChoice {
                    label: format!(
                        "continue {} from checkpoint {}",
                        job_label(job),
                        c.checkpoint_id
                    ),
                    source: VertexSource::Tuned {
                        model: tuned.model.clone(),
                        checkpoint: Some(c.checkpoint_id.clone()),
                    },
                });
            }
        }
        let default = sources
            .iter()
            .position(|s| {
                s.label
                    == crate::domain::models::default_base_model(
                        if preference {
                            crate::domain::models::Method::Preference
                        } else {
                            crate::domain::models::Method::Supervised
                        },
                        today,
                    )
            })
            .unwrap_or(0);
        let mut form = VertexTuneForm {
            values: Fields::default(),
            sources,
            source: default,
            adapter: 0,
            mode: 0,
            focus: Focus::default(),
            error: None,
            upload: None,
            hidden: false,
            validation: Vec::new(),
            review: None,
            reviewed: None,
            remembered: Vec::new(),
            preference,
        };
        form.values.set(VertexTuneField::Prefix, "tunedeck");
        if let Some(last) = last {
            form.values
                .set(VertexTuneField::Epochs, last.epochs.clone());
            form.values
                .set(VertexTuneField::Multiplier, last.multiplier.clone());
            form.values
                .set(VertexTuneField::Validation, last.validation.clone());
            form.values
                .set(VertexTuneField::Bucket, last.bucket.clone());
            form.values
                .set(VertexTuneField::Prefix, last.prefix.clone());
            form.remembered = [
                (VertexTuneField::Epochs, &last.epochs),
                (VertexTuneField::Multiplier, &last.multiplier),
                (VertexTuneField::Validation, &last.validation),
                (VertexTuneField::Bucket, &last.bucket),
                (VertexTuneField::Prefix, &last.prefix),
            ]
            .into_iter()
            .filter(|(_, v)| !v.trim().is_empty())
            .map(|(f, v)| (f, v.clone()))
            .collect();
            if let Some(i) = form.sources.iter().position(|s| s.label == last.base) {
                form.source = i;
            }
            if let Some(i) = form
                .adapter_choices()
                .iter()
                .position(|a| *a == last.adapter)
            {
                form.adapter = i;
            }
        }
        form
    }

    /// The fields this form shows: beta only for preference tuning.
    pub fn shows(&self, field: VertexTuneField) -> bool {
        self.offers(field)
    }

    /// The field still holds the value remembered from the last job (not typed this time).
    pub fn is_remembered(&self, field: VertexTuneField) -> bool {
        self.remembered
            .iter()
            .any(|(f, v)| *f == field && v == self.values.get(field))
    }

    /// The review step's rows for what `to_start` would upload and create (kept with them, so
    /// the confirm sends what was shown), or its problem.
    pub fn review_rows(
        &self,
        examples: &[TuningExample],
        stem: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(Vec<(String, String)>, VertexStart), String> {
        let start = self.to_start(examples, stem, now)?;
        let settings = self.typed()?;
        let mark = |field: VertexTuneField, text: String| {
            if self.is_remembered(field) {
                format!("{text}  (remembered)")
            } else {
                text
            }
        };
        let n = examples.len();
        let validation = start.validation.len();
        let mut rows = vec![
            (
                "Method".to_owned(),
                match settings.method {
                    VertexMethod::Preference { .. } => "preference tuning (DPO)".to_owned(),
                    VertexMethod::Supervised => "supervised tuning".to_owned(),
                },
            ),
            (
                "Tune from".to_owned(),
                self.chosen_source()
                    .map_or(String::new(), |s| s.label.clone()),
            ),
            ("Display name".into(), settings.display_name.clone()),
            (
                "Examples".into(),
                if validation > 0 {
                    format!(
                        "{} for training, {validation} for validation",
                        n - validation
                    )
                } else {
                    format!("{n}, all for training")
                },
            ),
            (
                "Epochs".into(),
                mark(
                    VertexTuneField::Epochs,
                    settings
                        .epochs
                        .map_or("the service's choice".into(), |e| e.to_string()),
                ),
            ),
            (
                "LR multiplier".into(),
                mark(
                    VertexTuneField::Multiplier,
                    settings
                        .multiplier
                        .map_or("the service's choice (1.0)".into(), |m| m.to_string()),
                ),
            ),
            (
                "Adapter size".into(),
                settings
                    .adapter_rank
                    .map_or("the service's choice".into(), |r| r.to_string()),
            ),
        ];
        if let VertexMethod::Preference { beta } = settings.method {
            rows.push((
                "Beta".into(),
                beta.map_or("the service's choice".into(), |b| b.to_string()),
            ));
        }
        if let Some(mode) = settings.mode() {
            // The rate row is the learning rate here (the multiplier row said the service's
            // choice of multiplier: open models take none).
            rows.retain(|(label, _)| label != "LR multiplier");
            if mode == TuningMode::Full {
                // Full tuning trains every weight: no adapter to size.
                rows.retain(|(label, _)| label != "Adapter size");
            }
            let open = &settings.open;
            let service = || "the service's choice".to_owned();
            rows.push(("Tuning mode".into(), mode.word().into()));
            rows.push((
                "Learning rate".into(),
                open.learning_rate.map_or_else(service, |r| r.to_string()),
            ));
            rows.push((
                "Batch size".into(),
                open.batch_size.map_or_else(service, |b| b.to_string()),
            ));
            rows.push(("Output URI".into(), open.output_uri.clone()));
        }
        for (object, data) in &start.uploads {
            rows.push((
                "Upload".into(),
                format!("gs://{}/{object} ({} bytes)", start.bucket, data.len()),
            ));
        }
        Ok((rows, start))
    }

    pub fn chosen_source(&self) -> Option<&SourceChoice> {
        self.sources.get(self.source)
    }

    /// The adapter sizes the chosen source takes, the service's choice first; continuing a
    /// tuned model keeps its adapter, so only the service's choice is offered.
    pub fn adapter_choices(&self) -> Vec<Option<u32>> {
        let ranks = match self.chosen_source().map(|s| &s.source) {
            Some(VertexSource::Base(model)) => {
                tunable_model(model).map_or(&[][..], |m| m.adapter_ranks)
            }
            _ => &[],
        };
        std::iter::once(None)
            .chain(ranks.iter().copied().map(Some))
            .collect()
    }

    pub fn adapter_rank(&self) -> Option<u32> {
        self.adapter_choices().get(self.adapter).copied().flatten()
    }

    /// The chosen base model, when it is an open one.
    pub fn open_model(&self) -> Option<&'static crate::domain::models::TunableModel> {
        match self.chosen_source().map(|s| &s.source) {
            Some(VertexSource::Base(model)) => tunable_model(model).filter(|m| m.is_open()),
            _ => None,
        }
    }

    /// The tuning modes the chosen model takes, its default first; none for a Gemini model
    /// (it always trains an adapter).
    pub fn mode_choices(&self) -> Vec<TuningMode> {
        let Some(model) = self.open_model() else {
            return Vec::new();
        };
        let first = model.default_mode();
        std::iter::once(first)
            .chain(model.modes.iter().copied().filter(|m| *m != first))
            .collect()
    }

    pub fn tuning_mode(&self) -> Option<TuningMode> {
        self.mode_choices().get(self.mode).copied()
    }

    /// Whether the chosen model takes this field (batch size and output URI: open models).
    pub fn offers(&self, field: VertexTuneField) -> bool {
        match field {
            VertexTuneField::BatchSize | VertexTuneField::OutputUri => self.open_model().is_some(),
            VertexTuneField::Beta => self.preference,
            _ => true,
        }
    }

    /// The label a field is drawn with: the rate row is an open model's learning rate.
    pub fn label(&self, field: VertexTuneField) -> &'static str {
        match field {
            VertexTuneField::Multiplier if self.open_model().is_some() => "Learning rate",
            other => other.label(),
        }
    }

    /// The last choice row the chosen model has (the tuning mode: open models only); enter
    /// there opens the review.
    pub fn last_choice(&self) -> u8 {
        if self.open_model().is_some() { 2 } else { 1 }
    }

    /// The focus after (or before) the current one, past the fields the model does not take.
    pub fn step_focus(&mut self, forward: bool) {
        for _ in 0..VertexTuneField::ALL.len() + 4 {
            self.focus = if forward {
                self.focus.next()
            } else {
                self.focus.previous()
            };
            let offered = match self.focus {
                Focus::Text(f) => self.offers(f),
                Focus::Choice(c) => c <= self.last_choice(),
            };
            if offered {
                return;
            }
        }
    }

    /// The output folder when none is typed: `gs://BUCKET/PREFIX/tuned`, from the upload's
    /// bucket (empty while no bucket is given).
    pub fn default_output_uri(&self) -> String {
        let bucket = self.values.get(VertexTuneField::Bucket).trim();
        if bucket.is_empty() {
            return String::new();
        }
        match self.values.get(VertexTuneField::Prefix).trim_matches('/') {
            "" => format!("gs://{bucket}/tuned"),
            prefix => format!("gs://{bucket}/{prefix}/tuned"),
        }
    }

    /// ←/→ on a choice: the source (the adapter goes back to the service's choice when the
    /// sizes change) or the adapter size.
    pub fn cycle(&mut self, choice: u8, forward: bool) {
        let step = |at: usize, count: usize| {
            let count = count.max(1);
            if forward {
                (at + 1) % count
            } else {
                (at + count - 1) % count
            }
        };
        if choice == 0 {
            let rank = self.adapter_rank();
            let mode = self.tuning_mode();
            self.source = step(self.source, self.sources.len());
            self.adapter = self
                .adapter_choices()
                .iter()
                .position(|a| *a == rank)
                .unwrap_or(0);
            self.mode = self
                .mode_choices()
                .iter()
                .position(|m| Some(*m) == mode)
                .unwrap_or(0);
        } else if choice == 2 {
            self.mode = step(self.mode, self.mode_choices().len());
        } else {
            self.adapter = step(self.adapter, self.adapter_choices().len());
        }
        self.error = None;
    }

    pub fn settings(&self) -> VertexTuneSettings {
        let get = |f| self.values.get(f).to_owned();
        VertexTuneSettings {
            epochs: get(VertexTuneField::Epochs),
            multiplier: get(VertexTuneField::Multiplier),
            validation: get(VertexTuneField::Validation),
            bucket: get(VertexTuneField::Bucket),
            prefix: get(VertexTuneField::Prefix),
            base: self
                .chosen_source()
                .filter(|s| matches!(s.source, VertexSource::Base(_)))
                .map(|s| s.label.clone())
                .unwrap_or_default(),
            adapter: self.adapter_rank(),
        }
    }

    fn optional<T: std::str::FromStr>(&self, field: VertexTuneField) -> Result<Option<T>, String> {
        let text = self.values.get(field).trim();
        if text.is_empty() {
            return Ok(None);
        }
        text.parse()
            .map(Some)
            .map_err(|_| format!("{}: {text:?} is not a number", field.label()))
    }

    /// Preference tuning with the beta typed (empty: the service's choice) for preference
    /// examples, else supervised tuning.
    fn method(&self) -> Result<VertexMethod, String> {
        Ok(if self.preference {
            VertexMethod::Preference {
                beta: self.optional(VertexTuneField::Beta)?,
            }
        } else {
            VertexMethod::Supervised
        })
    }

    /// The settings as typed, or the first problem in the form's words.
    pub fn typed(&self) -> Result<VertexTuning, String> {
        let source = self
            .chosen_source()
            .map(|s| s.source.clone())
            .ok_or("Choose what to tune from")?;
        let epochs = self.optional::<u32>(VertexTuneField::Epochs)?;
        let rate = self
            .optional::<f64>(VertexTuneField::Multiplier)
            .map_err(|_| {
                format!(
                    "{}: {:?} is not a number",
                    self.label(VertexTuneField::Multiplier),
                    self.values.get(VertexTuneField::Multiplier).trim()
                )
            })?;
        let open_model = self.open_model().is_some();
        let open = if open_model {
            let typed = self.values.get(VertexTuneField::OutputUri).trim();
            OpenSettings {
                tuning_mode: self.tuning_mode(),
                batch_size: self.optional(VertexTuneField::BatchSize)?,
                learning_rate: rate,
                output_uri: if typed.is_empty() {
                    self.default_output_uri()
                } else {
                    typed.to_owned()
                },
            }
        } else {
            OpenSettings::default()
        };
        let settings = VertexTuning {
            display_name: self
                .values
                .get(VertexTuneField::DisplayName)
                .trim()
                .to_owned(),
            description: self
                .values
                .get(VertexTuneField::Description)
                .trim()
                .to_owned(),
            source,
            epochs,
            multiplier: if open_model { None } else { rate },
            adapter_rank: self.adapter_rank(),
            validation_percent: self.optional(VertexTuneField::Validation)?.unwrap_or(0.0),
            method: self.method()?,
            open,
        };
        settings.check().map_err(|p| describe(&p))?;
        Ok(settings)
    }

    /// What to upload and create for `examples`, named for `stem` at `now`, or the first
    /// problem (a field, the split, Vertex AI's dataset limits) in the form's words.
    pub fn to_start(
        &self,
        examples: &[TuningExample],
        stem: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<VertexStart, String> {
        let settings = self.typed()?;
        let bucket = self.values.get(VertexTuneField::Bucket).trim();
        if bucket.is_empty() {
            return Err(
                "Bucket: name the Cloud Storage bucket the datasets are uploaded to".into(),
            );
        }
        if bucket.contains('/') || bucket.starts_with("gs:") {
            return Err(format!(
                "Bucket: {bucket:?} is a path; give the bucket's name only, the rest goes in the prefix"
            ));
        }
        // Vertex AI's limits on the whole set first, so a problem names the example as the
        // editor numbers it.
        let (lines, issues) = dataset_lines(examples, self.preference);
        if let Some(issue) = issues
            .into_iter()
            .find(|i| i.severity == crate::dataset::lint::Severity::Error)
        {
            let place = issue
                .index
                .map_or(String::new(), |i| format!("example {}: ", i + 1));
            return Err(format!(
                "Vertex AI would refuse the dataset: {place}{}",
                issue.message
            ));
        }
        let order: Vec<usize> = (0..examples.len()).collect();
        let (training, validation) = settings.split(&order).map_err(|p| describe(&p))?;
        let prefix = self.values.get(VertexTuneField::Prefix);
        let mut uploads = Vec::new();
        // Each set as an object to upload, and its URI (none for an empty set).
        let mut upload = |kind: &str, set: &[usize]| {
            if set.is_empty() {
                return String::new();
            }
            let chosen: String = set.iter().map(|i| format!("{}\n", lines[*i])).collect();
            let object = crate::domain::vertex::dataset_object(prefix, stem, now, kind);
            let uri = format!("gs://{bucket}/{object}");
            uploads.push((object, chosen.into_bytes()));
            uri
        };
        let training_uri = upload("train", &training);
        let validation_uri = upload("validation", &validation);
        let validation = validation.iter().map(|i| examples[*i].clone()).collect();
        Ok(VertexStart {
            bucket: bucket.to_owned(),
            uploads,
            job: settings.to_job(&training_uri, &validation_uri),
            validation,
        })
    }
}

/// The examples as the JSON lines to upload, and Vertex AI's findings on them: preference
/// lines and preference tuning's rules for preference examples, else supervised lines and
/// supervised tuning's limits.
fn dataset_lines(
    examples: &[TuningExample],
    preference: bool,
) -> (Vec<String>, Vec<crate::dataset::lint::Issue>) {
    use crate::dataset::preference::PreferenceExample;
    if preference {
        let lines: Vec<PreferenceExample> = examples
            .iter()
            .map(PreferenceExample::from_editor)
            .collect();
        let text: Vec<String> = lines.iter().map(PreferenceExample::to_line).collect();
        let bytes = text.iter().map(|l| l.len() as u64 + 1).sum();
        (text, crate::dataset::preference::lint(&lines, bytes))
    } else {
        let lines: Vec<VertexExample> = examples.iter().map(VertexExample::from_editor).collect();
        let text: Vec<String> = lines.iter().map(VertexExample::to_line).collect();
        let bytes = text.iter().map(|l| l.len() as u64 + 1).sum();
        (text, crate::dataset::vertex::lint(&lines, bytes))
    }
}

/// A domain problem in the form's words: its labels.
fn describe(problem: &VertexTuningProblem) -> String {
    let label = match problem {
        VertexTuningProblem::NotTunable { .. } => "Tune from",
        VertexTuningProblem::EpochsBelowOne => VertexTuneField::Epochs.label(),
        VertexTuningProblem::MultiplierNotPositive => VertexTuneField::Multiplier.label(),
        VertexTuningProblem::AdapterNotForModel { .. } => "Adapter size",
        VertexTuningProblem::Share(_) | VertexTuningProblem::TooManyValidation { .. } => {
            VertexTuneField::Validation.label()
        }
        VertexTuningProblem::NoExamples => "Dataset",
        VertexTuningProblem::PreferenceNotForModel { .. } => "Tune from",
        VertexTuningProblem::BetaOutOfRange { .. } => VertexTuneField::Beta.label(),
        VertexTuningProblem::ModeNotForModel { .. } => "Tuning mode",
        VertexTuningProblem::MultiplierOnOpenModel { .. }
        | VertexTuningProblem::RateOnGemini { .. }
        | VertexTuningProblem::RateNotPositive => "Learning rate",
        VertexTuningProblem::OpenSettingOnGemini { .. } => "Tune from",
        VertexTuningProblem::BatchSizeBelowOne => VertexTuneField::BatchSize.label(),
        VertexTuningProblem::OutputUriMissing { .. }
        | VertexTuningProblem::OutputUriNotGs { .. } => VertexTuneField::OutputUri.label(),
        VertexTuningProblem::RegionNotForModel { .. } => "Tune from",
    };
    format!("{label}: {problem}")
}
