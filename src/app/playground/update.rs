//! The App's handling of the Playground: choosing models, typing the prompt and settings,
//! sending (streamed, or generateContent for models whose streaming answered 404), cancelling,
//! answers as they arrive, history on disk, curl export, and the batch evaluation.

use crate::api::types::{GenerateContentResponse, TunedModelState, TuningExample};
use crate::app::action::Action;
use crate::app::playground::{
    EVAL_CONCURRENCY, Eval, EvalResult, Focus, HistoryEntry, Run, Settings, THRESHOLDS,
    TargetModel, build_request, curl_command, curl_command_vertex, history_file_name,
};
use crate::app::{App, Level, Pending, Tab};
use crate::protocol::{ApiCall, Cmd, RequestId};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::time::Instant;

/// How many history entries are kept per model.
const HISTORY_KEPT: usize = 500;

impl App {
    /// Asks models.list for the base models once, when the Playground is first shown.
    pub(in crate::app) fn playground_models(&mut self) -> Vec<Cmd> {
        if self.tab != Tab::Playground || self.playground_models_asked {
            return Vec::new();
        }
        self.playground_models_asked = true;
        if self.follows_vertex {
            // Vertex AI's base models to compare against: the tunable ones, a list kept in the
            // domain (publisher models are not listed per project).
            self.playground.base_models = Some(
                crate::domain::vertex::TUNABLE_MODELS
                    .iter()
                    // An open model answers once deployed from Model Garden, not as a
                    // publisher model: only Gemini models are offered as bases.
                    .filter(|m| !m.is_open())
                    .map(|m| TargetModel::vertex_base(m.id))
                    .collect(),
            );
            return Vec::new();
        }
        vec![self.request(Pending::PlayModels, ApiCall::ListModels)]
    }

    /// The picker's entries: ACTIVE tuned models, then base models that answer generateContent.
    fn play_choices(&self) -> Vec<TargetModel> {
        if self.follows_vertex {
            // Vertex AI: each succeeded job's endpoint and its checkpoints' endpoints, then
            // the base models.
            return self
                .jobs
                .jobs
                .iter()
                .filter(|j| j.state == crate::api::vertex::types::JobState::Succeeded)
                .flat_map(TargetModel::from_tuning_job_all)
                .chain(self.playground.base_models.iter().flatten().cloned())
                .collect();
        }
        self.models
            .models
            .iter()
            .filter(|m| m.state == TunedModelState::Active)
            .map(TargetModel::from_tuned)
            .chain(self.playground.base_models.iter().flatten().cloned())
            .collect()
    }

    /// Opens the model picker (again, when the base models arrive while it is open).
    pub(in crate::app) fn open_picker(&mut self, compare: bool) {
        let choices = self.play_choices();
        let pane = &mut self.playground;
        pane.focus = Focus::Picker { compare };
        pane.choices = choices;
        pane.picker_filter.clear();
        pane.picker_typing = false;
        let current = if compare { &pane.compare } else { &pane.model };
        pane.picker_selected = current
            .as_ref()
            .and_then(|c| pane.choices.iter().position(|m| m.name == c.name))
            .unwrap_or(0);
    }

    /// Chooses the model; its own defaults become the settings.
    pub fn choose_play_model(&mut self, model: TargetModel) {
        self.playground.settings = Settings::for_model(&model);
        self.playground.model = Some(model);
        self.playground.refused = None;
        self.drop_stale_runs();
    }

    /// Answers from models no longer chosen (the model changed, the comparison was dropped)
    /// leave the screen; any still streaming is cancelled.
    fn drop_stale_runs(&mut self) {
        let pane = &mut self.playground;
        let chosen: Vec<String> = pane
            .model
            .iter()
            .chain(pane.compare.iter())
            .map(|m| m.name.clone())
            .collect();
        for run in pane.runs.iter().filter(|r| !chosen.contains(&r.model)) {
            if !run.done() {
                self.effects.push(Cmd::Cancel { id: run.request });
            }
        }
        pane.runs.retain(|r| chosen.contains(&r.model));
    }

    /// `P` on a tuned model in the Models tab.
    pub(in crate::app) fn open_in_playground(&mut self, name: &str, now: Instant) -> Vec<Cmd> {
        let Some(model) = self.models.find(name) else {
            return Vec::new();
        };
        let (state, choice) = (model.state.clone(), TargetModel::from_tuned(model));
        if state != TunedModelState::Active {
            self.toast(
                format!(
                    "{} is {state}: it answers prompts once ACTIVE",
                    self.label_of(name)
                ),
                Level::Error,
                now,
            );
        }
        self.choose_play_model(choice);
        self.tab = Tab::Playground;
        self.playground_models()
    }

    pub(in crate::app) fn on_playground_action(
        &mut self,
        action: Action,
        now: Instant,
    ) -> Vec<Cmd> {
        if self.playground.eval.is_some() {
            return self.on_eval_action(action, now);
        }
        let pane = &mut self.playground;
        match action {
            Action::EditPrompt => pane.focus = Focus::Prompt,
            Action::Send => return self.send_prompt(now),
            Action::Back if pane.streaming() => return self.cancel_runs(),
            Action::Back => pane.refused = None,
            Action::PickModel => self.open_picker(false),
            Action::PickCompare => self.open_picker(true),
            Action::Settings => {
                pane.focus = Focus::Settings;
                pane.settings_focus = Default::default();
            }
            Action::History => {
                pane.focus = Focus::History;
                pane.history_selected = 0;
            }
            Action::NextCandidate | Action::PrevCandidate => {
                let count = pane
                    .runs
                    .iter()
                    .map(|r| r.candidates.len())
                    .max()
                    .unwrap_or(1)
                    .max(1);
                let step = if action == Action::NextCandidate {
                    1
                } else {
                    count - 1
                };
                pane.candidate = (pane.candidate + step) % count;
            }
            Action::CopyAnswer => {
                let text = pane
                    .runs
                    .first()
                    .map(|r| r.text(pane.candidate).to_owned())
                    .unwrap_or_default();
                if text.is_empty() {
                    self.toast("No answer to copy yet", Level::Info, now);
                } else {
                    self.toast(
                        format!("Copied the answer ({} characters)", text.chars().count()),
                        Level::Info,
                        now,
                    );
                    self.effects.push(Cmd::Copy(text));
                }
            }
            Action::CopyCurl => {
                let Some(model) = pane.model.clone() else {
                    self.toast("Choose a model first (m)", Level::Info, now);
                    return Vec::new();
                };
                match build_request(&model, &pane.prompt_text(), &pane.settings) {
                    Ok(request) => {
                        let vertex = self
                            .connection
                            .vertex
                            .as_ref()
                            .filter(|_| crate::domain::vertex::is_vertex_model(&model.name));
                        let (curl, said) = match vertex {
                            Some(place) => (
                                curl_command_vertex(place, &model.name, &request),
                                "Copied the request as a curl command (the token comes from `gcloud auth print-access-token`)",
                            ),
                            None => (
                                curl_command(&self.connection.address, &model.name, &request),
                                "Copied the request as a curl command (the key stays $GEMINI_API_KEY)",
                            ),
                        };
                        self.effects.push(Cmd::Copy(curl));
                        self.toast(said, Level::Info, now);
                    }
                    Err(e) => pane.refused = Some(e),
                }
            }
            Action::Evaluate => return self.start_eval(now),
            Action::PageUp => pane.scroll_back = pane.scroll_back.saturating_add(10),
            Action::PageDown => pane.scroll_back = pane.scroll_back.saturating_sub(10),
            _ => return self.on_global_action(action, now),
        }
        Vec::new()
    }

    /// Sends the prompt to the model, and to the second model when comparing. Nothing is sent
    /// when either would refuse it.
    fn send_prompt(&mut self, now: Instant) -> Vec<Cmd> {
        if self.playground.streaming() {
            self.toast("Still answering: esc cancels it", Level::Info, now);
            return Vec::new();
        }
        let Some(model) = self.playground.model.clone() else {
            self.playground.refused = Some("Choose a model first".into());
            self.open_picker(false);
            return Vec::new();
        };
        let prompt = self.playground.prompt_text();
        let targets: Vec<TargetModel> = std::iter::once(model)
            .chain(self.playground.compare.clone())
            .collect();
        let mut requests = Vec::new();
        for target in &targets {
            match build_request(target, &prompt, &self.playground.settings) {
                Ok(r) => requests.push(r),
                Err(e) => {
                    self.playground.refused = Some(format!("Not sent to {}: {e}", target.label));
                    return Vec::new();
                }
            }
        }
        self.playground.refused = None;
        self.playground.scroll_back = 0;
        self.playground.runs.clear();
        self.playground.candidate = 0;
        let mut cmds = Vec::new();
        for (target, request) in targets.iter().zip(requests) {
            let call = if self.playground.no_stream.contains(&target.name) {
                ApiCall::GenerateContent {
                    model: target.name.clone(),
                    request: Box::new(request),
                }
            } else {
                ApiCall::StreamGenerateContent {
                    model: target.name.clone(),
                    request: Box::new(request),
                }
            };
            let cmd = self.request(Pending::Play, call);
            if let Cmd::Call { id, .. } = &cmd {
                self.playground
                    .runs
                    .push(Run::new(&target.name, &prompt, *id, now));
            }
            cmds.push(cmd);
        }
        cmds
    }

    /// Esc while answering: the requests are cancelled and what they still send is ignored.
    fn cancel_runs(&mut self) -> Vec<Cmd> {
        let mut cmds = Vec::new();
        for run in self.playground.runs.iter_mut().filter(|r| !r.done()) {
            run.cancelled = true;
            self.pending.remove(&run.request);
            cmds.push(Cmd::Cancel { id: run.request });
        }
        cmds
    }

    /// A chunk, a whole answer, or the end of a stream for the playground.
    pub(in crate::app) fn play_reply(
        &mut self,
        id: RequestId,
        reply: crate::protocol::Reply,
        now: Instant,
    ) -> Vec<Cmd> {
        use crate::protocol::Reply;
        let Some(run) = self.playground.runs.iter_mut().find(|r| r.request == id) else {
            return Vec::new();
        };
        match reply {
            Reply::Chunk(chunk) => {
                run.absorb(&chunk, now);
                return Vec::new();
            }
            Reply::Generated(answer) => {
                run.absorb(&answer, now);
                run.finish(now, false);
            }
            Reply::StreamEnd { fell_back } => run.finish(now, fell_back),
            _ => return Vec::new(),
        }
        let (model, fell_back) = (run.model.clone(), run.fell_back);
        if fell_back && self.playground.no_stream.insert(model.clone()) {
            self.toast(
                format!(
                    "Streaming answered 404 for {}: generateContent answered instead, and will from now on",
                    self.label_of(&model)
                ),
                Level::Info,
                now,
            );
        }
        self.remember_run(id)
    }

    /// A run's failure; a tuned endpoint that is not found, whose base model has retired, says
    /// so and names the rebase.
    pub(in crate::app) fn play_failed(&mut self, id: RequestId, message: String) {
        let today = self.clock.utc.date_naive();
        let jobs = &self.jobs.jobs;
        if let Some(run) = self.playground.runs.iter_mut().find(|r| r.request == id) {
            let not_found = message.contains("404") || message.to_lowercase().contains("not found");
            let hint = not_found
                .then(|| crate::domain::rebase::job_serving(jobs, &run.model))
                .flatten()
                .and_then(|job| crate::domain::rebase::retired_base_hint(job, today));
            run.error = Some(match hint {
                Some(hint) => format!("{message}; {hint}"),
                None => message,
            });
        }
    }

    /// Adds a finished run to its model's history and writes that history file.
    fn remember_run(&mut self, id: RequestId) -> Vec<Cmd> {
        let Some(run) = self.playground.runs.iter().find(|r| r.request == id) else {
            return Vec::new();
        };
        let entry = HistoryEntry {
            time: self
                .clock
                .utc
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            model: run.model.clone(),
            prompt: run.prompt.clone(),
            answer: run.text(0).to_owned(),
            finish_reason: run.candidates.first().and_then(|c| c.finish_reason.clone()),
            first_token_ms: run.first_token.map(|d| d.as_millis() as u64),
            total_ms: run.total.map(|d| d.as_millis() as u64),
        };
        let model = run.model.clone();
        let history = self.playground.history.entry(model.clone()).or_default();
        history.push(entry);
        if history.len() > HISTORY_KEPT {
            history.drain(..history.len() - HISTORY_KEPT);
        }
        let text: String = history
            .iter()
            .filter_map(|e| serde_json::to_string(e).ok())
            .map(|l| l + "\n")
            .collect();
        match self.history_dir.clone() {
            Some(dir) => {
                let path = dir.join(history_file_name(&model));
                vec![self.file_command(Pending::Settings, path, text)]
            }
            None => Vec::new(),
        }
    }

    /// Keys while the prompt, the settings, the picker or the history has the focus.
    pub(in crate::app) fn on_playground_input(
        &mut self,
        key: KeyEvent,
        now: Instant,
    ) -> Option<Vec<Cmd>> {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let pane = &mut self.playground;
        match pane.focus {
            Focus::Normal => return None,
            Focus::Prompt => match key.code {
                KeyCode::Esc => pane.focus = Focus::Normal,
                KeyCode::Char('s') if ctrl => {
                    pane.focus = Focus::Normal;
                    return Some(self.send_prompt(now));
                }
                KeyCode::Char('o') if ctrl => {
                    self.effects.push(Cmd::EditExternally(pane.prompt_text()))
                }
                _ => crate::app::line_edit::edit_area(&mut pane.prompt, key),
            },
            Focus::Settings => {
                let field = pane.settings_focus;
                match key.code {
                    KeyCode::Esc | KeyCode::Enter => pane.focus = Focus::Normal,
                    KeyCode::Tab | KeyCode::Down => pane.settings_focus = field.next(),
                    KeyCode::BackTab | KeyCode::Up => pane.settings_focus = field.previous(),
                    KeyCode::Left | KeyCode::Right | KeyCode::Char(' ')
                        if field.text().is_none() =>
                    {
                        let n = THRESHOLDS.len();
                        let s = &mut pane.settings.safety;
                        *s = if key.code == KeyCode::Left {
                            (*s + n - 1) % n
                        } else {
                            (*s + 1) % n
                        };
                    }
                    _ => {
                        if let Some(field) = field.text() {
                            crate::app::line_edit::edit_line(
                                pane.settings.values.get_mut(field),
                                &mut self.line_cursor,
                                &key,
                            );
                        }
                    }
                }
                pane.refused = None;
            }
            Focus::Picker { .. } if pane.picker_typing => {
                match key.code {
                    KeyCode::Char(c) if !ctrl => pane.picker_filter.push(c),
                    KeyCode::Backspace => {
                        pane.picker_filter.pop();
                    }
                    KeyCode::Enter | KeyCode::Down | KeyCode::Up => pane.picker_typing = false,
                    KeyCode::Esc => {
                        pane.picker_filter.clear();
                        pane.picker_typing = false;
                    }
                    _ => {}
                }
                pane.settle_picker();
            }
            Focus::Picker { compare } => {
                let visible = pane.picker_visible();
                let at = visible
                    .iter()
                    .position(|i| *i == pane.picker_selected)
                    .unwrap_or(0);
                let pick = |n: usize| visible.get(n).copied();
                match key.code {
                    KeyCode::Esc if !pane.picker_filter.is_empty() => {
                        pane.picker_filter.clear();
                        pane.settle_picker();
                    }
                    KeyCode::Esc => pane.focus = Focus::Normal,
                    KeyCode::Char('/') => pane.picker_typing = true,
                    KeyCode::Char('j') | KeyCode::Down => {
                        pane.picker_selected = pick(at + 1).unwrap_or(pane.picker_selected)
                    }
                    KeyCode::Char('k') | KeyCode::Up => {
                        pane.picker_selected =
                            pick(at.saturating_sub(1)).unwrap_or(pane.picker_selected)
                    }
                    KeyCode::Char('g') | KeyCode::Home => {
                        pane.picker_selected = pick(0).unwrap_or(pane.picker_selected)
                    }
                    KeyCode::Char('G') | KeyCode::End => {
                        pane.picker_selected =
                            visible.last().copied().unwrap_or(pane.picker_selected)
                    }
                    KeyCode::Char('d') | KeyCode::Backspace if compare => {
                        pane.compare = None;
                        pane.focus = Focus::Normal;
                        self.drop_stale_runs();
                    }
                    KeyCode::Enter => {
                        let choice = visible
                            .contains(&pane.picker_selected)
                            .then(|| pane.choices.get(pane.picker_selected).cloned())
                            .flatten();
                        if let Some(choice) = choice {
                            pane.focus = Focus::Normal;
                            if compare {
                                pane.compare = Some(choice);
                            } else {
                                self.choose_play_model(choice);
                            }
                        }
                    }
                    _ => {}
                }
            }
            Focus::History => {
                let count = pane.model_history().len();
                match key.code {
                    KeyCode::Esc => pane.focus = Focus::Normal,
                    KeyCode::Char('j') | KeyCode::Down => {
                        pane.history_selected =
                            (pane.history_selected + 1).min(count.saturating_sub(1))
                    }
                    KeyCode::Char('k') | KeyCode::Up => {
                        pane.history_selected = pane.history_selected.saturating_sub(1)
                    }
                    KeyCode::Enter | KeyCode::Char('e') => {
                        let prompt = pane
                            .model_history()
                            .get(pane.history_selected)
                            .map(|e| e.prompt.clone());
                        if let Some(prompt) = prompt {
                            pane.set_prompt(&prompt);
                            pane.focus = Focus::Normal;
                            if key.code == KeyCode::Enter {
                                return Some(self.send_prompt(now));
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        Some(Vec::new())
    }

    /// `b`: evaluate the model on the held-out file beside the dataset, or on the whole set.
    fn start_eval(&mut self, now: Instant) -> Vec<Cmd> {
        if self.playground.model.is_none() {
            self.playground.refused = Some("Choose a model to evaluate first".into());
            self.open_picker(false);
            return Vec::new();
        }
        match self.dataset.path.clone() {
            Some(path) => {
                let held_out = crate::dataset::held_out_path(Some(&path));
                let id = self.next_request;
                self.next_request += 1;
                self.pending.insert(id, Pending::EvalHeldOut);
                vec![Cmd::ReadDataset {
                    id,
                    path: held_out,
                    mapping: None,
                }]
            }
            None => self.eval_whole_dataset(None, now),
        }
    }

    /// The held-out file could not be read: the Dataset tab's examples are used instead.
    pub(in crate::app) fn eval_whole_dataset(
        &mut self,
        why: Option<String>,
        now: Instant,
    ) -> Vec<Cmd> {
        if self.dataset.is_empty() {
            self.toast(
                "Nothing to evaluate: open a dataset in the Dataset tab (3), or hold examples out when tuning",
                Level::Error,
                now,
            );
            return Vec::new();
        }
        if let Some(why) = why {
            self.toast(
                format!("No held-out examples ({why}); evaluating the whole dataset"),
                Level::Info,
                now,
            );
        }
        let examples = self.dataset.dataset.examples.clone();
        let source = self
            .dataset
            .path
            .as_ref()
            .map_or("the Dataset tab".to_owned(), |p| p.display().to_string());
        self.begin_eval(source, examples, now)
    }

    /// Evaluates the model on these examples (also how tests start one).
    pub fn begin_eval(
        &mut self,
        source: String,
        examples: Vec<TuningExample>,
        now: Instant,
    ) -> Vec<Cmd> {
        let Some(model) = self.playground.model.clone() else {
            return Vec::new();
        };
        self.playground.eval = Some(Eval::new(&model.name, source, examples, now));
        self.eval_fill(now)
    }

    /// Sends examples until [`EVAL_CONCURRENCY`] are in flight.
    fn eval_fill(&mut self, now: Instant) -> Vec<Cmd> {
        let mut cmds = Vec::new();
        let Some(model) = self.playground.model.clone() else {
            return cmds;
        };
        let mut settings = self.playground.settings.clone();
        // One candidate per example.
        settings.values.set(
            crate::domain::generation::GenerationField::CandidateCount,
            String::new(),
        );
        while let Some(eval) = self.playground.eval.as_mut() {
            if eval.in_flight.len() >= EVAL_CONCURRENCY || eval.next >= eval.examples.len() {
                break;
            }
            let index = eval.next;
            eval.next += 1;
            let request = settings
                .typed()
                .and_then(|typed| {
                    crate::dataset::vertex::eval_request(&model, &eval.examples[index], &typed)
                })
                .map_err(|p| crate::app::playground::describe_request_problem(&p));
            match request {
                Err(e) => eval.results[index] = Some(EvalResult::failed(e)),
                Ok(request) => {
                    let cmd = self.request(
                        Pending::Eval(index),
                        ApiCall::GenerateContent {
                            model: model.name.clone(),
                            request: Box::new(request),
                        },
                    );
                    if let (Cmd::Call { id, .. }, Some(eval)) =
                        (&cmd, self.playground.eval.as_mut())
                    {
                        eval.in_flight.insert(*id, index);
                    }
                    cmds.push(cmd);
                }
            }
        }
        self.eval_check_done(now);
        cmds
    }

    fn eval_check_done(&mut self, now: Instant) {
        let Some(eval) = self.playground.eval.as_mut() else {
            return;
        };
        if eval.finished.is_some() || eval.results.iter().any(Option::is_none) {
            return;
        }
        eval.finished = Some(now - eval.started);
        let (done, exact, normalized, errors) = eval.counts();
        self.toast(
            format!(
                "Evaluation done: exact {exact}/{done}, normalized {normalized}/{done}, {errors} errors"
            ),
            Level::Info,
            now,
        );
    }

    /// One evaluated example came back (or failed); send the next.
    pub(in crate::app) fn eval_result(
        &mut self,
        id: RequestId,
        index: usize,
        result: Result<GenerateContentResponse, String>,
        now: Instant,
    ) -> Vec<Cmd> {
        let Some(eval) = self.playground.eval.as_mut() else {
            return Vec::new();
        };
        if eval.in_flight.remove(&id).is_none() {
            return Vec::new();
        }
        let expected = eval.examples.get(index).map(|e| e.output.clone());
        if let (Some(expected), Some(slot)) = (expected, eval.results.get_mut(index)) {
            *slot = Some(match result {
                Ok(answer) => EvalResult::new(&expected, answer.text()),
                Err(e) => EvalResult::failed(e),
            });
        }
        self.eval_fill(now)
    }

    fn on_eval_action(&mut self, action: Action, now: Instant) -> Vec<Cmd> {
        let Some(eval) = self.playground.eval.as_mut() else {
            return Vec::new();
        };
        let last = eval.examples.len().saturating_sub(1);
        match action {
            Action::Down => eval.selected = (eval.selected + 1).min(last),
            Action::Up => eval.selected = eval.selected.saturating_sub(1),
            Action::PageDown => eval.selected = (eval.selected + 10).min(last),
            Action::PageUp => eval.selected = eval.selected.saturating_sub(10),
            Action::Export => {
                let id = eval.model.rsplit('/').next().unwrap_or("model").to_owned();
                let path = std::path::PathBuf::from(format!("{id}-eval.csv"));
                let text = eval.to_csv();
                return vec![self.file_command(Pending::Export, path, text)];
            }
            Action::Back => {
                let ids: Vec<RequestId> = eval.in_flight.keys().copied().collect();
                self.playground.eval = None;
                return ids
                    .into_iter()
                    .map(|id| {
                        self.pending.remove(&id);
                        Cmd::Cancel { id }
                    })
                    .collect();
            }
            _ => return self.on_global_action(action, now),
        }
        Vec::new()
    }
}
