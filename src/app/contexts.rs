//! k9s-style contexts: where the dashboard's Vertex AI jobs live. `:ctx` lists the configured
//! project/location pairs, the all-locations view and the tuning regions of the current
//! project; choosing one re-targets the worker's client and reloads every tab in one step, so
//! nothing is left half-switched, and an answer still on its way from the old place is dropped.

use super::models::Load;
use super::{App, Level, Pending, VertexPlace};
use crate::api::vertex::client::aiplatform_host;
use crate::domain::regions::{TUNING_REGIONS, location_of, location_problem};
use crate::protocol::{ApiCall, Cmd, LocationJobs};
use std::time::Instant;

/// A configured context: a name for a project and location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedPlace {
    pub name: String,
    pub project: String,
    pub location: String,
}

/// A line of the `:ctx` list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CtxEntry {
    /// A `[[contexts]]` entry of the config file.
    Named(NamedPlace),
    /// Every tuning region of the current project at once.
    AllLocations,
    /// One tuning region of the current project.
    Region(String),
}

/// The `:ctx` list being looked at.
#[derive(Debug, Clone, PartialEq)]
pub struct CtxPicker {
    pub entries: Vec<CtxEntry>,
    pub selected: usize,
}

/// One region the all-locations view could not list, with why.
#[derive(Debug, Clone, PartialEq)]
pub struct RegionError {
    pub location: String,
    pub error: String,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ContextsState {
    /// The config file's contexts, in its order.
    pub configured: Vec<NamedPlace>,
    /// The name of the current context, when the place is a configured one.
    pub current: Option<String>,
    pub picker: Option<CtxPicker>,
    /// The Models tab lists the project's jobs in every tuning region.
    pub all_locations: bool,
    /// The regions the last all-locations list could not read.
    pub region_errors: Vec<RegionError>,
}

impl ContextsState {
    /// What `:ctx ` completes: context names, `all`, the regions.
    pub fn completions(&self) -> Vec<String> {
        self.configured
            .iter()
            .map(|c| c.name.clone())
            .chain(std::iter::once("all".to_owned()))
            .chain(TUNING_REGIONS.iter().map(|r| (*r).to_owned()))
            .collect()
    }
}

impl App {
    /// Where the dashboard is, as the header says it: `ctx prod: acme/us-central1`, or
    /// `acme/all locations`; `None` off Vertex AI.
    pub fn place_label(&self) -> Option<String> {
        let place = self.connection.vertex.as_ref()?;
        let at = if self.contexts.all_locations {
            format!("{}/all locations", place.project)
        } else {
            place.label()
        };
        Some(match &self.contexts.current {
            Some(name) => format!("ctx {name}: {at}"),
            None => at,
        })
    }

    /// The header's place when the whole label does not fit: `ctx prod`, `all locations`, or
    /// the location.
    pub fn place_short(&self) -> Option<String> {
        let place = self.connection.vertex.as_ref()?;
        Some(
            match (&self.contexts.current, self.contexts.all_locations) {
                (_, true) => "all locations".to_owned(),
                (Some(name), false) => format!("ctx {name}"),
                (None, false) => place.location.clone(),
            },
        )
    }

    /// `:ctx` with no argument: the list, the current place selected.
    pub(super) fn open_contexts(&mut self, now: Instant) {
        let Some(place) = self.connection.vertex.clone() else {
            self.toast(
                "Contexts are Vertex AI project/location pairs: start with --vertex (or --context NAME)",
                Level::Error,
                now,
            );
            return;
        };
        let mut entries: Vec<CtxEntry> = self
            .contexts
            .configured
            .iter()
            .cloned()
            .map(CtxEntry::Named)
            .collect();
        entries.push(CtxEntry::AllLocations);
        let mut regions: Vec<String> = TUNING_REGIONS.iter().map(|r| (*r).to_owned()).collect();
        if !regions.contains(&place.location) {
            regions.insert(0, place.location.clone());
        }
        entries.extend(regions.into_iter().map(CtxEntry::Region));
        let selected = entries.iter().position(|e| self.is_current(e)).unwrap_or(0);
        self.contexts.picker = Some(CtxPicker { entries, selected });
        self.dirty = true;
    }

    /// Whether an entry of the list is where the dashboard is now.
    pub fn is_current(&self, entry: &CtxEntry) -> bool {
        let Some(place) = &self.connection.vertex else {
            return false;
        };
        match entry {
            CtxEntry::Named(c) => self.contexts.current.as_deref() == Some(c.name.as_str()),
            CtxEntry::AllLocations => self.contexts.all_locations,
            CtxEntry::Region(r) => {
                !self.contexts.all_locations
                    && self.contexts.current.is_none()
                    && *r == place.location
            }
        }
    }

    /// `:ctx NAME`: a context's name, `all`, or a location of the current project.
    pub(super) fn ctx_command(&mut self, arg: &str, now: Instant) -> Vec<Cmd> {
        if let Some(named) = self.contexts.configured.iter().find(|c| c.name == arg) {
            return self.switch_context(CtxEntry::Named(named.clone()), now);
        }
        if arg == "all" {
            return self.switch_context(CtxEntry::AllLocations, now);
        }
        if let Some(problem) = location_problem(arg) {
            let names: Vec<&str> = self
                .contexts
                .configured
                .iter()
                .map(|c| c.name.as_str())
                .collect();
            let known = if names.is_empty() {
                "no context is configured".to_owned()
            } else {
                format!("contexts: {}", names.join(", "))
            };
            self.toast(
                format!(":ctx {arg}: not a context, `all` or a location ({problem}; {known})"),
                Level::Error,
                now,
            );
            return Vec::new();
        }
        self.switch_context(CtxEntry::Region(arg.to_owned()), now)
    }

    /// Keys while the `:ctx` list is open.
    pub(super) fn on_ctx_key(&mut self, code: crossterm::event::KeyCode, now: Instant) -> Vec<Cmd> {
        use crossterm::event::KeyCode;
        self.dirty = true;
        let Some(picker) = self.contexts.picker.as_mut() else {
            return Vec::new();
        };
        let last = picker.entries.len().saturating_sub(1);
        match code {
            KeyCode::Esc | KeyCode::Char('q') => self.contexts.picker = None,
            KeyCode::Down | KeyCode::Char('j') => picker.selected = (picker.selected + 1).min(last),
            KeyCode::Up | KeyCode::Char('k') => picker.selected = picker.selected.saturating_sub(1),
            KeyCode::Home | KeyCode::Char('g') => picker.selected = 0,
            KeyCode::End | KeyCode::Char('G') => picker.selected = last,
            KeyCode::PageDown => picker.selected = (picker.selected + 10).min(last),
            KeyCode::PageUp => picker.selected = picker.selected.saturating_sub(10),
            KeyCode::Enter => {
                let entry = picker.entries.get(picker.selected).cloned();
                self.contexts.picker = None;
                if let Some(entry) = entry {
                    return self.switch_context(entry, now);
                }
            }
            _ => {}
        }
        Vec::new()
    }

    /// Moves the dashboard to a context, a region or the all-locations view, all at once: the
    /// worker's client re-targeted, requests for the old place cancelled and their answers
    /// dropped, the Monitor's jobs of the old place let go, the jobs reloaded (the Playground
    /// offers what they made). Checked first: on a bad location nothing changes.
    pub(super) fn switch_context(&mut self, entry: CtxEntry, now: Instant) -> Vec<Cmd> {
        let Some(old) = self.connection.vertex.clone() else {
            self.open_contexts(now);
            return Vec::new();
        };
        let (name, project, location, all) = match &entry {
            CtxEntry::Named(c) => (
                Some(c.name.clone()),
                c.project.clone(),
                c.location.clone(),
                false,
            ),
            CtxEntry::AllLocations => (
                self.contexts.current.clone(),
                old.project.clone(),
                old.location.clone(),
                true,
            ),
            CtxEntry::Region(r) => (None, old.project.clone(), r.clone(), false),
        };
        if let Some(problem) = location_problem(&location) {
            self.toast(
                format!("Cannot switch to {project}/{location}: the location {problem}"),
                Level::Error,
                now,
            );
            return Vec::new();
        }
        let mut cmds = Vec::new();
        // Answers for the old place: cancelled, and dropped if they arrive anyway.
        let stale: Vec<_> = self
            .pending
            .iter()
            .filter(|(_, p)| {
                matches!(
                    p,
                    Pending::VertexJobs | Pending::VertexJobsEverywhere | Pending::VertexModel
                )
            })
            .map(|(id, _)| *id)
            .collect();
        for id in stale {
            self.pending.remove(&id);
            cmds.push(Cmd::Cancel { id });
        }
        // The Monitor follows the new place's jobs, found by the list below.
        let vertex_jobs: Vec<String> = self
            .monitor
            .jobs
            .iter()
            .filter(|j| location_of(&j.name).is_some())
            .map(|j| j.name.clone())
            .collect();
        self.monitor.jobs.retain(|j| location_of(&j.name).is_none());
        self.monitor.compare.retain(|op| !vertex_jobs.contains(op));
        self.monitor.selected = 0;
        for operation in vertex_jobs {
            self.monitor.poll_errors.remove(&operation);
            cmds.push(Cmd::Unwatch { operation });
        }
        let base_url = if old.base_url == aiplatform_host(&old.location) {
            aiplatform_host(&location)
        } else {
            old.base_url.clone()
        };
        let moved = old.project != project || old.location != location;
        if self.connection.address == old.base_url {
            self.connection.address = base_url.clone();
        }
        self.connection.vertex = Some(VertexPlace {
            project: project.clone(),
            location: location.clone(),
            base_url,
        });
        self.contexts.current = name;
        self.contexts.all_locations = all;
        self.contexts.region_errors.clear();
        let (sort, descending) = (self.jobs.sort, self.jobs.descending);
        self.jobs = super::jobs::JobsPane {
            sort,
            descending,
            ..Default::default()
        };
        if moved {
            cmds.push(Cmd::Retarget {
                project: project.clone(),
                location: location.clone(),
            });
        }
        self.tab = super::Tab::Models;
        let said = if all {
            format!("all tuning regions of {project}")
        } else {
            format!("{project}/{location}")
        };
        self.toast(format!("Switched to {said}"), Level::Info, now);
        cmds.extend(self.refresh_list());
        cmds
    }

    /// The all-locations list: every tuning region (and the current location) of the project.
    pub(super) fn list_everywhere(&mut self) -> Cmd {
        let here = self
            .connection
            .vertex
            .as_ref()
            .map(|v| v.location.clone())
            .unwrap_or_default();
        let mut locations: Vec<String> = TUNING_REGIONS.iter().map(|r| (*r).to_owned()).collect();
        if !here.is_empty() && !locations.contains(&here) {
            locations.insert(0, here);
        }
        self.request(
            Pending::VertexJobsEverywhere,
            ApiCall::ListTuningJobsIn { locations },
        )
    }

    /// The all-locations answer: the jobs of every region that answered, merged; each region
    /// that failed kept with its error for its own row.
    pub(super) fn everywhere_arrived(
        &mut self,
        id: crate::protocol::RequestId,
        answers: Vec<LocationJobs>,
    ) -> Vec<Cmd> {
        let mut jobs = Vec::new();
        let mut errors = Vec::new();
        for answer in answers {
            match answer.jobs {
                Ok(found) => jobs.extend(found),
                Err(e) => errors.push(RegionError {
                    location: answer.location,
                    error: e.to_string(),
                }),
            }
        }
        if !matches!(self.jobs.load, Load::Loading { request, .. } if request == id) {
            return Vec::new();
        }
        self.connection.healthy = Some(true);
        self.contexts.region_errors = errors;
        let running = jobs
            .iter()
            .filter(|j| !j.state.is_terminal())
            .cloned()
            .collect();
        self.jobs.loaded(jobs, self.clock.utc);
        self.track_vertex_jobs(running)
    }
}
