//! The resources behind a Vertex tuning job's loss curves (as the tuning notebooks' metrics recipe
//! reads them): the Experiments context named by `TuningJob.experiment` (with
//! `backing_tensorboard_resource`), its one ExperimentRun child, the location's default
//! TensorBoard, the experiment's run, its scalar time series, and their points: `batchRead` (at
//! most 1,000 points a series, a random sample beyond), `:read` with `maxDataPoints` (-1 for all),
//! and `exportTensorboardTimeSeries` (every point, paged). A `filter` of the form `step > N` (also
//! `>=`, `<`, `<=`, `=`) narrows `:read` and export.

use crate::api::error::Code;
use crate::api::vertex::types::{
    BatchReadResponse, ExportTimeSeriesRequest, ExportTimeSeriesResponse, ListContextsResponse,
    ListRunsResponse, ListTensorboardsResponse, ListTimeSeriesResponse, MetadataContext,
    ReadTimeSeriesResponse, Scalar, TensorboardResource, TimeSeries, TimeSeriesData,
    TimeSeriesMetadata, TimeSeriesPoint,
};
use crate::emulator::cloud::{METRICS, RUN_ID, ScalarPoint, VertexJob, numeric_id, tensorboard_id};
use crate::emulator::core::Core;
use crate::emulator::request::Req;
use crate::emulator::trainer::stable_hash;
use crate::emulator::vertex_tuning::Scope;
use crate::emulator::wire::Failure;
use axum::response::Response;
use rand::SeedableRng;
use rand::seq::index::sample;
use std::sync::Arc;

/// Points a series returns by default, and at most from `batchRead`.
pub const DEFAULT_MAX_POINTS: usize = 1000;
/// Points a page of `exportTensorboardTimeSeries` holds by default, and at most.
pub const EXPORT_PAGE: usize = 1000;
pub const EXPORT_PAGE_MAX: usize = 10_000;

fn not_found(what: &str) -> Failure {
    Failure::new(Code::NotFound, format!("{what} was not found."))
}

fn tensorboard_name(scope: &Scope) -> String {
    format!(
        "{}/tensorboards/{}",
        scope.parent(),
        tensorboard_id(&scope.project, &scope.location)
    )
}

/// The experiment id of a job (`tuning-experiment-…`).
fn experiment_id(job: &VertexJob) -> &str {
    job.state
        .job
        .experiment
        .rsplit('/')
        .next()
        .unwrap_or_default()
}

fn in_scope(job: &VertexJob, scope: &Scope) -> bool {
    job.state
        .job
        .name
        .starts_with(&format!("{}/", scope.parent()))
}

fn jobs_in(core: &Core, scope: &Scope) -> Vec<VertexJob> {
    core.store()
        .cloud
        .jobs
        .iter()
        .filter(|j| in_scope(j, scope))
        .cloned()
        .collect()
}

fn job_of_experiment(core: &Core, scope: &Scope, experiment: &str) -> Option<VertexJob> {
    core.store()
        .cloud
        .jobs
        .iter()
        .find(|j| in_scope(j, scope) && experiment_id(j) == experiment)
        .cloned()
}

fn experiment_context(scope: &Scope, job: &VertexJob) -> MetadataContext {
    let id = experiment_id(job);
    let mut metadata = serde_json::Map::new();
    metadata.insert(
        "backing_tensorboard_resource".into(),
        tensorboard_name(scope).into(),
    );
    metadata.insert("experiment_deleted".into(), false.into());
    MetadataContext {
        name: job.state.job.experiment.clone(),
        display_name: id.to_owned(),
        schema_title: "system.Experiment".into(),
        schema_version: "0.0.1".into(),
        metadata,
        create_time: job.state.job.create_time,
        update_time: job.state.job.update_time,
        ..Default::default()
    }
}

fn run_context(job: &VertexJob) -> MetadataContext {
    let mut metadata = serde_json::Map::new();
    metadata.insert("state".into(), "COMPLETE".into());
    MetadataContext {
        name: format!("{}-{RUN_ID}", job.state.job.experiment),
        display_name: RUN_ID.into(),
        schema_title: "system.ExperimentRun".into(),
        schema_version: "0.0.1".into(),
        parent_contexts: vec![job.state.job.experiment.clone()],
        metadata,
        create_time: job.state.job.create_time,
        update_time: job.state.job.update_time,
    }
}

/// `GET …/metadataStores/default/contexts/{id}`: an experiment, or its run.
pub fn get_context(
    core: &Arc<Core>,
    req: &Req,
    scope: &Scope,
    id: &str,
) -> Result<Response, Failure> {
    if let Some(experiment) = id.strip_suffix(&format!("-{RUN_ID}"))
        && let Some(job) = job_of_experiment(core, scope, experiment)
    {
        return req.ok(&run_context(&job));
    }
    let job = job_of_experiment(core, scope, id).ok_or_else(|| {
        not_found(&format!(
            "Context {}/metadataStores/default/contexts/{id}",
            scope.parent()
        ))
    })?;
    req.ok(&experiment_context(scope, &job))
}

/// `GET …/metadataStores/default/contexts?filter=…`: the filter the SDK's recipe sends,
/// `schema_title="…" AND parent_contexts:"…"`, is understood; other terms are refused.
pub fn list_contexts(core: &Arc<Core>, req: &Req, scope: &Scope) -> Result<Response, Failure> {
    let filter = req.query_value("filter").unwrap_or_default();
    let mut schema: Option<String> = None;
    let mut parent: Option<String> = None;
    for term in filter
        .split(" AND ")
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        let unquote = |s: &str| s.trim().trim_matches('"').to_owned();
        if let Some(v) = term.strip_prefix("schema_title=") {
            schema = Some(unquote(v));
        } else if let Some(v) = term.strip_prefix("parent_contexts:") {
            parent = Some(unquote(v));
        } else {
            return Err(Failure::new(
                Code::InvalidArgument,
                format!(
                    "The emulator understands schema_title= and parent_contexts: in a context filter, not {term:?}."
                ),
            ));
        }
    }
    let mut contexts = Vec::new();
    for job in jobs_in(core, scope) {
        for context in [experiment_context(scope, &job), run_context(&job)] {
            let schema_ok = schema.as_ref().is_none_or(|s| *s == context.schema_title);
            let parent_ok = parent
                .as_ref()
                .is_none_or(|p| context.parent_contexts.contains(p));
            if schema_ok && parent_ok {
                contexts.push(context);
            }
        }
    }
    req.ok(&ListContextsResponse {
        contexts,
        next_page_token: String::new(),
    })
}

fn default_tensorboard(scope: &Scope) -> TensorboardResource {
    TensorboardResource {
        name: tensorboard_name(scope),
        display_name: "Default TensorBoard".into(),
        is_default: true,
        ..Default::default()
    }
}

fn check_tensorboard(scope: &Scope, tb: &str) -> Result<(), Failure> {
    if tb == tensorboard_id(&scope.project, &scope.location) {
        Ok(())
    } else {
        Err(not_found(&format!(
            "Tensorboard {}/tensorboards/{tb}",
            scope.parent()
        )))
    }
}

pub fn get_tensorboard(req: &Req, scope: &Scope, tb: &str) -> Result<Response, Failure> {
    check_tensorboard(scope, tb)?;
    req.ok(&default_tensorboard(scope))
}

pub fn list_tensorboards(req: &Req, scope: &Scope) -> Result<Response, Failure> {
    req.ok(&ListTensorboardsResponse {
        tensorboards: vec![default_tensorboard(scope)],
        next_page_token: String::new(),
    })
}

fn experiment_job(
    core: &Core,
    scope: &Scope,
    tb: &str,
    experiment: &str,
) -> Result<VertexJob, Failure> {
    check_tensorboard(scope, tb)?;
    job_of_experiment(core, scope, experiment).ok_or_else(|| {
        not_found(&format!(
            "TensorboardExperiment {}/experiments/{experiment}",
            tensorboard_name(scope)
        ))
    })
}

fn run_job(
    core: &Core,
    scope: &Scope,
    tb: &str,
    experiment: &str,
    run: &str,
) -> Result<VertexJob, Failure> {
    let job = experiment_job(core, scope, tb, experiment)?;
    if run != RUN_ID {
        return Err(not_found(&format!(
            "TensorboardRun {}/experiments/{experiment}/runs/{run}",
            tensorboard_name(scope)
        )));
    }
    Ok(job)
}

fn run_name(scope: &Scope, experiment: &str) -> String {
    format!(
        "{}/experiments/{experiment}/runs/{RUN_ID}",
        tensorboard_name(scope)
    )
}

pub fn get_experiment(
    core: &Arc<Core>,
    req: &Req,
    scope: &Scope,
    tb: &str,
    experiment: &str,
) -> Result<Response, Failure> {
    let job = experiment_job(core, scope, tb, experiment)?;
    req.ok(&TensorboardResource {
        name: format!("{}/experiments/{experiment}", tensorboard_name(scope)),
        display_name: experiment.to_owned(),
        create_time: job.state.job.create_time,
        update_time: job.state.job.update_time,
        ..Default::default()
    })
}

fn run_resource(scope: &Scope, experiment: &str, job: &VertexJob) -> TensorboardResource {
    TensorboardResource {
        name: run_name(scope, experiment),
        display_name: RUN_ID.into(),
        create_time: job.state.job.create_time,
        update_time: job.state.job.update_time,
        ..Default::default()
    }
}

pub fn list_runs(
    core: &Arc<Core>,
    req: &Req,
    scope: &Scope,
    tb: &str,
    experiment: &str,
) -> Result<Response, Failure> {
    let job = experiment_job(core, scope, tb, experiment)?;
    req.ok(&ListRunsResponse {
        tensorboard_runs: vec![run_resource(scope, experiment, &job)],
        next_page_token: String::new(),
    })
}

pub fn get_run(
    core: &Arc<Core>,
    req: &Req,
    scope: &Scope,
    path: (&str, &str, &str),
) -> Result<Response, Failure> {
    let (tb, experiment, run) = path;
    let job = run_job(core, scope, tb, experiment, run)?;
    req.ok(&run_resource(scope, experiment, &job))
}

/// The id of a job's series (opaque, stable).
fn series_id(job: &VertexJob, metric: usize) -> String {
    numeric_id(&format!("{}/{}", job.id(), job.metrics()[metric]))
}

/// The series a job has written: the train ones, and the eval ones when it has a validation set.
fn series_of(scope: &Scope, experiment: &str, job: &VertexJob) -> Vec<(usize, TimeSeries)> {
    (0..METRICS.len())
        .filter(|m| *m < 3 || !job.validation.is_empty())
        .map(|m| {
            let points = &job.state.series[m];
            (
                m,
                TimeSeries {
                    name: format!(
                        "{}/timeSeries/{}",
                        run_name(scope, experiment),
                        series_id(job, m)
                    ),
                    display_name: job.metrics()[m].into(),
                    value_type: "SCALAR".into(),
                    plugin_name: "scalars".into(),
                    metadata: points.last().map(|p| TimeSeriesMetadata {
                        max_step: Some(p.step),
                        max_wall_time: Some(p.wall_time),
                    }),
                    create_time: job.state.job.create_time,
                    update_time: points
                        .last()
                        .map(|p| p.wall_time)
                        .or(job.state.job.update_time),
                },
            )
        })
        .collect()
}

pub fn list_time_series(
    core: &Arc<Core>,
    req: &Req,
    scope: &Scope,
    path: (&str, &str, &str),
) -> Result<Response, Failure> {
    let (tb, experiment, run) = path;
    let job = run_job(core, scope, tb, experiment, run)?;
    req.ok(&ListTimeSeriesResponse {
        tensorboard_time_series: series_of(scope, experiment, &job)
            .into_iter()
            .map(|(_, s)| s)
            .collect(),
        next_page_token: String::new(),
    })
}

/// The series named by a full resource name, with its job.
fn find_series(
    core: &Core,
    scope: &Scope,
    name: &str,
) -> Result<(VertexJob, usize, TimeSeries), Failure> {
    let missing = || not_found(&format!("TensorboardTimeSeries {name}"));
    let rest = name
        .strip_prefix(&format!("{}/tensorboards/", scope.parent()))
        .ok_or_else(missing)?;
    let parts: Vec<&str> = rest.split('/').collect();
    let [tb, "experiments", experiment, "runs", run, "timeSeries", id] = parts.as_slice() else {
        return Err(missing());
    };
    let job = run_job(core, scope, tb, experiment, run).map_err(|_| missing())?;
    let (metric, series) = series_of(scope, experiment, &job)
        .into_iter()
        .find(|(_, s)| s.id() == *id)
        .ok_or_else(missing)?;
    Ok((job, metric, series))
}

pub fn get_time_series(
    core: &Arc<Core>,
    req: &Req,
    scope: &Scope,
    name: &str,
) -> Result<Response, Failure> {
    let (_, _, series) = find_series(core, scope, name)?;
    req.ok(&series)
}

/// A `step OP N` filter as a predicate.
fn step_filter(filter: &str) -> Result<Box<dyn Fn(i64) -> bool>, Failure> {
    let filter = filter.trim();
    if filter.is_empty() {
        return Ok(Box::new(|_| true));
    }
    let refused = || {
        Failure::new(
            Code::InvalidArgument,
            format!(
                "Unsupported filter {filter:?}: the emulator understands step > N, step >= N, step < N, step <= N and step = N."
            ),
        )
    };
    let rest = filter
        .strip_prefix("step")
        .ok_or_else(refused)?
        .trim_start();
    let (op, number) = [">=", "<=", ">", "<", "="]
        .into_iter()
        .find_map(|op| rest.strip_prefix(op).map(|n| (op, n.trim())))
        .ok_or_else(refused)?;
    let n: i64 = number.parse().map_err(|_| refused())?;
    Ok(match op {
        ">=" => Box::new(move |s| s >= n),
        "<=" => Box::new(move |s| s <= n),
        ">" => Box::new(move |s| s > n),
        "<" => Box::new(move |s| s < n),
        _ => Box::new(move |s| s == n),
    })
}

fn wire_point(p: &ScalarPoint) -> TimeSeriesPoint {
    TimeSeriesPoint {
        wall_time: Some(p.wall_time),
        step: Some(p.step),
        scalar: Some(Scalar { value: p.value }),
    }
}

/// At most `max` of the points: all of them when they fit, else a random sample (seeded by the
/// series, so a repeated read gives the same sample), in step order.
fn sampled(series: &TimeSeries, points: &[ScalarPoint], max: usize) -> Vec<TimeSeriesPoint> {
    if points.len() <= max {
        return points.iter().map(wire_point).collect();
    }
    let mut rng =
        rand_chacha::ChaCha8Rng::seed_from_u64(stable_hash(&series.name) ^ points.len() as u64);
    let mut chosen = sample(&mut rng, points.len(), max).into_vec();
    chosen.sort_unstable();
    chosen.into_iter().map(|i| wire_point(&points[i])).collect()
}

fn data(series: &TimeSeries, points: Vec<TimeSeriesPoint>) -> TimeSeriesData {
    TimeSeriesData {
        tensorboard_time_series_id: series.id().to_owned(),
        value_type: "SCALAR".into(),
        values: points,
    }
}

/// `GET {series}:read?maxDataPoints=N&filter=…` (N absent: 1,000; -1 or 0: every point).
pub fn read(core: &Arc<Core>, req: &Req, scope: &Scope, name: &str) -> Result<Response, Failure> {
    let (job, metric, series) = find_series(core, scope, name)?;
    let max = match req.query_value("maxDataPoints") {
        None | Some("") => DEFAULT_MAX_POINTS,
        Some(raw) => match raw.parse::<i64>() {
            Ok(n) if n <= 0 => usize::MAX,
            Ok(n) => n as usize,
            Err(_) => {
                return Err(Failure::invalid(
                    "max_data_points",
                    format!("max_data_points {raw:?} is not a number."),
                ));
            }
        },
    };
    let keep = step_filter(req.query_value("filter").unwrap_or_default())?;
    let points: Vec<ScalarPoint> = job.state.series[metric]
        .iter()
        .filter(|p| keep(p.step))
        .copied()
        .collect();
    req.ok(&ReadTimeSeriesResponse {
        time_series_data: data(&series, sampled(&series, &points, max)),
    })
}

/// `GET {tensorboard}:batchRead?timeSeries=…&timeSeries=…` (at most 20 series, 1,000 points each).
pub fn batch_read(
    core: &Arc<Core>,
    req: &Req,
    scope: &Scope,
    tb: &str,
) -> Result<Response, Failure> {
    check_tensorboard(scope, tb)?;
    let names: Vec<&str> = req
        .query
        .iter()
        .filter(|(k, _)| k == "timeSeries" || k == "time_series")
        .map(|(_, v)| v.as_str())
        .collect();
    if names.len() > 20 {
        return Err(Failure::invalid(
            "time_series",
            format!(
                "At most 20 time series can be read at once; {} were asked for.",
                names.len()
            ),
        ));
    }
    let mut out = Vec::new();
    for name in names {
        let (job, metric, series) = find_series(core, scope, name)?;
        out.push(data(
            &series,
            sampled(&series, &job.state.series[metric], DEFAULT_MAX_POINTS),
        ));
    }
    req.ok(&BatchReadResponse {
        time_series_data: out,
    })
}

/// `POST {series}:exportTensorboardTimeSeries`: every point, in pages.
pub fn export(core: &Arc<Core>, req: &Req, scope: &Scope, name: &str) -> Result<Response, Failure> {
    let (job, metric, _) = find_series(core, scope, name)?;
    let body: ExportTimeSeriesRequest = if req.body.is_empty() {
        ExportTimeSeriesRequest::default()
    } else {
        let (body, _) = crate::emulator::wire::parse_body(&req.body)?;
        body
    };
    let keep = step_filter(&body.filter)?;
    let size = match body.page_size {
        None | Some(0) => EXPORT_PAGE,
        Some(n) if n < 0 => {
            return Err(Failure::invalid(
                "page_size",
                "page_size must not be negative",
            ));
        }
        Some(n) => (n as usize).min(EXPORT_PAGE_MAX),
    };
    let mut points: Vec<&ScalarPoint> = job.state.series[metric]
        .iter()
        .filter(|p| keep(p.step))
        .collect();
    if body.order_by.trim().ends_with("desc") {
        points.reverse();
    }
    let fingerprint = format!("{name}|{}|{}", body.filter, body.order_by);
    let offset = if body.page_token.is_empty() {
        0
    } else {
        body.page_token
            .split_once('g')
            .filter(|(_, check)| *check == format!("{:x}", stable_hash(&fingerprint) & 0xffff))
            .and_then(|(o, _)| usize::from_str_radix(o, 16).ok())
            .ok_or_else(|| Failure::invalid("page_token", "Invalid page_token."))?
    };
    let page: Vec<TimeSeriesPoint> = points
        .iter()
        .skip(offset)
        .take(size)
        .map(|p| wire_point(p))
        .collect();
    let next = if offset + size < points.len() {
        format!(
            "{:x}g{:x}",
            offset + size,
            stable_hash(&fingerprint) & 0xffff
        )
    } else {
        String::new()
    };
    req.ok(&ExportTimeSeriesResponse {
        time_series_data_points: page,
        next_page_token: next,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_filters() {
        let f = step_filter("step > 10").unwrap();
        assert!(!f(10) && f(11));
        let f = step_filter("step<=3").unwrap();
        assert!(f(3) && !f(4));
        assert!(step_filter("").unwrap()(0));
        assert!(step_filter("wall_time > 3").is_err());
    }
}
