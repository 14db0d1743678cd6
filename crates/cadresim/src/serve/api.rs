//! The explorer's API: requests checked and turned into study requests (one-line errors with
//! HTTP 400, as the command line words them), studies run in line and streamed as
//! server-sent events, and finished runs' scenario files and result directories.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::io::Write as _;
use std::path::Path as FsPath;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State as Shared};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::sync::mpsc::Sender;
use tokio_stream::wrappers::ReceiverStream;

use super::State;
use crate::metrics::{is_lazy_governance, METRICS};
use crate::model::CadreView;
use crate::output;
use crate::registry::{self, Field, ParamSpec, PARAMS};
use crate::runner::{LevelStatistics, ScenarioResult};
use crate::scenario::{self, Scenario};
use crate::study::explore::{self, ExploreRequest, Frame};
use crate::study::run::RunRequest;
use crate::study::{Silent, StudyError};

type Events = Sender<Result<Event, Infallible>>;

/// A run the page may download: the scenario as run (its run settings included).
#[derive(Clone, Debug)]
pub struct Finished {
    pub scenario: Scenario,
}

/// The body of `POST /api/run` and `POST /api/curve`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Body {
    scenario: String,
    /// Parameters to change, by key.
    #[serde(default)]
    settings: BTreeMap<String, Value>,
    #[serde(default = "default_steps")]
    steps: u64,
    #[serde(default = "default_replicates")]
    replicates: u64,
    #[serde(default = "default_seed")]
    seed: u64,
    /// Steps between two reports of a run.
    #[serde(default = "default_every")]
    every: u64,
    /// A curve's penalties: `points` log-spaced values from `from` to `to`.
    from: Option<f64>,
    to: Option<f64>,
    points: Option<usize>,
}

fn default_steps() -> u64 {
    400
}
fn default_replicates() -> u64 {
    4
}
fn default_seed() -> u64 {
    1
}
fn default_every() -> u64 {
    10
}

/// The first run number not used by a `run-<n>` directory in `out`.
pub fn first_free_run(out: &FsPath) -> u64 {
    let used = std::fs::read_dir(out)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name().to_string_lossy().to_string();
            name.strip_prefix("run-")?.parse::<u64>().ok()
        })
        .max();
    used.map_or(1, |n| n + 1)
}

/// A refusal: the status and one line of text.
fn refuse(status: StatusCode, message: &str) -> Response {
    let line: String = message.chars().filter(|c| !c.is_control()).collect();
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!("{line}\n"),
    )
        .into_response()
}

fn refuse_study(error: &StudyError) -> Response {
    let status = match error.exit_code() {
        2 => StatusCode::BAD_REQUEST,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    refuse(status, &error.one_line())
}

/// The refusal of a request for another host (DNS rebinding) when serving on loopback.
fn refused_host(state: &State, headers: &HeaderMap) -> Option<Response> {
    if state.hosts.is_empty() {
        return None;
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    if state.hosts.iter().any(|allowed| allowed == host) {
        None
    } else {
        Some(refuse(
            StatusCode::FORBIDDEN,
            &format!("refused: Host `{host}` is not this server's address"),
        ))
    }
}

pub async fn not_found() -> Response {
    refuse(StatusCode::NOT_FOUND, "not found")
}

/// `GET /api/scenarios`: the scenarios on offer with the values of every control.
pub async fn scenarios(Shared(state): Shared<Arc<State>>, headers: HeaderMap) -> Response {
    if let Some(refused) = refused_host(&state, &headers) {
        return refused;
    }
    let list: Vec<Value> = state
        .scenarios
        .iter()
        .map(|scenario| {
            let values: serde_json::Map<String, Value> = controls()
                .map(|spec| (spec.key.to_string(), value_of(spec, scenario)))
                .collect();
            json!({
                "name": scenario.name,
                "description": scenario.description,
                "until_settled": scenario.params.run.until_settled,
                "values": values,
            })
        })
        .collect();
    axum::Json(Value::Array(list)).into_response()
}

/// The registry entries the page offers as controls: the model's numeric, boolean and
/// choice parameters (not the run, output or hierarchy settings, nor list-valued keys).
fn controls() -> impl Iterator<Item = &'static ParamSpec> {
    PARAMS.iter().filter(|spec| {
        !matches!(spec.section(), "run" | "output" | "hierarchy")
            && matches!(
                spec.field,
                Field::Real(..)
                    | Field::Count(..)
                    | Field::Flag(_)
                    | Field::Rule
                    | Field::Decomposition
                    | Field::Scope
            )
    })
}

/// A parameter's value in a scenario, as JSON.
fn value_of(spec: &ParamSpec, scenario: &Scenario) -> Value {
    let text = format!("v = {}", spec.value_text(&scenario.params));
    let table: toml::Table = text.parse().unwrap_or_default();
    table.get("v").map(toml_to_json).unwrap_or(Value::Null)
}

fn toml_to_json(value: &toml::Value) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// `GET /api/params`: every control with its meaning, kind and slider range.
pub async fn params(Shared(state): Shared<Arc<State>>, headers: HeaderMap) -> Response {
    if let Some(refused) = refused_host(&state, &headers) {
        return refused;
    }
    let defaults = crate::params::Params::default();
    let list: Vec<Value> = controls()
        .map(|spec| {
            let (kind, choices): (&str, Vec<&str>) = match spec.field {
                Field::Real(..) => ("number", vec![]),
                Field::Count(..) => ("integer", vec![]),
                Field::Flag(_) => ("flag", vec![]),
                Field::Rule => ("choice", vec!["satisficing", "logit", "rational"]),
                Field::Decomposition => ("choice", vec!["uniform", "by-capacity"]),
                _ => ("scope", vec!["exploratory", "negligence", "violation"]),
            };
            let default: f64 = spec.value_text(&defaults).parse().unwrap_or(0.0);
            let (low, high) = slider_range(spec, default);
            json!({
                "key": spec.key,
                "section": spec.section(),
                "meaning": spec.meaning,
                "allowed": spec.allowed(),
                "kind": kind,
                "choices": choices,
                "low": low,
                "high": high,
                "plausible": spec.plausible.map(|p| p.reason),
            })
        })
        .collect();
    axum::Json(Value::Array(list)).into_response()
}

/// A slider's range: the plausible range (widened to hold the default), else [0, 1] for a
/// probability and [0, max(1, 2 x default)] otherwise.
fn slider_range(spec: &ParamSpec, default: f64) -> (f64, f64) {
    if let Some(range) = spec.plausible {
        return (range.low.min(default), range.high.max(default));
    }
    match spec.field {
        Field::Real(_, registry::Range::Probability) => (0.0, 1.0),
        _ => (0.0, (2.0 * default.abs()).max(1.0)),
    }
}

/// The checked request of `POST /api/run` and `/api/curve`, or the refusal to send.
fn checked(
    state: &State,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<(Body, ExploreRequest), Box<Response>> {
    if let Some(refused) = refused_host(state, headers) {
        return Err(Box::new(refused));
    }
    explore_request(state, body)
        .map_err(|message| Box::new(refuse(StatusCode::BAD_REQUEST, &message)))
}

/// The scenario named in a request, with its settings applied and checked as the command
/// line checks `--set`; the study request.
fn explore_request(state: &State, body: &Bytes) -> Result<(Body, ExploreRequest), String> {
    let body: Body = serde_json::from_slice(body)
        .map_err(|error| format!("request: not a valid request body: {error}"))?;
    let mut scenario = state
        .scenarios
        .iter()
        .find(|s| s.name == body.scenario)
        .cloned()
        .ok_or_else(|| {
            let names: Vec<&str> = state.scenarios.iter().map(|s| s.name.as_str()).collect();
            format!(
                "request: scenario `{}` is not on offer; choose one of {}",
                body.scenario,
                names.join(", ")
            )
        })?;
    let mut settings = Vec::new();
    for (key, value) in &body.settings {
        let value =
            json_to_toml(value).ok_or_else(|| format!("settings: `{key}` has no value (null)"))?;
        settings.push((key.clone(), value));
    }
    scenario
        .set(&settings, "settings")
        .map_err(|error| StudyError::from(error).one_line())?;
    let request = ExploreRequest {
        source: format!("scenario {}", scenario.name),
        scenario,
        steps: body.steps,
        replicates: body.replicates,
        seed: body.seed,
        every: body.every.clamp(1, 1000),
    };
    Ok((body, request))
}

fn json_to_toml(value: &Value) -> Option<toml::Value> {
    Some(match value {
        Value::Null => return None,
        Value::Bool(b) => toml::Value::Boolean(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => toml::Value::Integer(i),
            None => toml::Value::Float(n.as_f64()?),
        },
        Value::String(s) => toml::Value::String(s.clone()),
        Value::Array(items) => {
            toml::Value::Array(items.iter().map(json_to_toml).collect::<Option<_>>()?)
        }
        Value::Object(map) => toml::Value::Table(
            map.iter()
                .map(|(k, v)| Some((k.clone(), json_to_toml(v)?)))
                .collect::<Option<_>>()?,
        ),
    })
}

fn event(name: &str, data: Value) -> Result<Event, Infallible> {
    Ok(Event::default().event(name).data(data.to_string()))
}

/// Wait for a permit (telling the page its place in line), then do `work` on a blocking
/// thread; nothing runs when the page went away while waiting.
async fn in_line(state: Arc<State>, events: Events, work: impl FnOnce(&Events) + Send + 'static) {
    let permit = match state.permits.clone().try_acquire_owned() {
        Ok(permit) => permit,
        Err(_) => {
            let position = state.waiting.fetch_add(1, Ordering::SeqCst) + 1;
            let _ = events
                .send(event("queued", json!({ "position": position })))
                .await;
            let permit = state.permits.clone().acquire_owned().await;
            state.waiting.fetch_sub(1, Ordering::SeqCst);
            match permit {
                Ok(permit) => permit,
                Err(_) => return,
            }
        }
    };
    if events.is_closed() {
        return;
    }
    let _ = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        work(&events);
    })
    .await;
}

/// The stream of a study's events.
fn stream(events: tokio::sync::mpsc::Receiver<Result<Event, Infallible>>) -> Response {
    Sse::new(ReceiverStream::new(events))
        .keep_alive(KeepAlive::default())
        .into_response()
}

/// `POST /api/run`: run a scenario with the page's settings, streaming `start`, `series`,
/// `agents` and finally `done` (or `error`).
pub async fn run(Shared(state): Shared<Arc<State>>, headers: HeaderMap, body: Bytes) -> Response {
    let (_, request) = match checked(&state, &headers, &body) {
        Ok(parsed) => parsed,
        Err(refused) => return *refused,
    };
    let (scenario, plan) = match explore::plan(&request) {
        Ok(planned) => planned,
        Err(error) => return refuse_study(&error),
    };
    let id = state.next_run.fetch_add(1, Ordering::SeqCst);
    let (sender, receiver) = tokio::sync::mpsc::channel(256);
    let shared = state.clone();
    tokio::spawn(in_line(state, sender, move |events| {
        let mut report = |frame: Frame| events.blocking_send(frame_event(&frame)).is_ok();
        let _ = report_start(events, id);
        let Some(result) = explore::explore(&plan, request.every, &mut report) else {
            return;
        };
        let done = json!({
            "id": id,
            "scenario": scenario.name,
            "table": equilibrium_table(&result),
            "command": format!("cadresim run {}.toml --out output/{}", scenario.name, scenario.name),
        });
        remember(&shared, id, Finished { scenario });
        let _ = events.blocking_send(event("done", done));
    }));
    stream(receiver)
}

fn report_start(events: &Events, id: u64) -> bool {
    events
        .blocking_send(event("run", json!({ "id": id })))
        .is_ok()
}

fn remember(state: &State, id: u64, finished: Finished) {
    let mut runs = state.runs.lock().expect("the run list is never poisoned");
    runs.insert(id, finished);
    while runs.len() > super::REMEMBERED_RUNS {
        runs.pop_first();
    }
}

fn frame_event(frame: &Frame) -> Result<Event, Infallible> {
    match frame {
        Frame::Start {
            levels,
            unit_levels,
        } => event(
            "start",
            json!({ "levels": levels, "metrics": METRICS.as_slice(), "unit_levels": unit_levels }),
        ),
        Frame::Series { from, values } => {
            let values: Vec<Vec<&[f64]>> = values
                .iter()
                .map(|step| step.iter().map(|level| level.as_slice()).collect())
                .collect();
            event("series", json!({ "from": from, "values": values }))
        }
        Frame::Agents {
            step,
            cadres,
            sanctions,
        } => event("agents", agents(*step, cadres, sanctions)),
    }
}

/// The agent view's frame: per cadre its unit, action, whether it carries undetected errors,
/// its exempted errors on record and whether it was recruited this step; per sampled unit
/// the sanctions its cadres bore.
fn agents(step: u64, cadres: &[CadreView], sanctions: &[f64]) -> Value {
    let column = |f: &dyn Fn(&CadreView) -> u64| cadres.iter().map(f).collect::<Vec<u64>>();
    json!({
        "step": step,
        "unit": column(&|c| c.unit as u64),
        "action": column(&|c| u64::from(c.action)),
        "hidden": column(&|c| u64::from(c.hidden_errors)),
        "exempted": column(&|c| u64::from(c.exempted)),
        "new": column(&|c| u64::from(c.tenure == 0)),
        "sanctions": sanctions,
    })
}

/// Every level's equilibrium: class, lazy governance and every metric with its interval.
fn equilibrium_table(result: &ScenarioResult) -> Vec<Value> {
    result
        .levels
        .iter()
        .enumerate()
        .map(|(level, name)| {
            let statistics = result.level_statistics(level);
            let class = statistics.modal_class();
            json!({
                "level": name,
                "class": class,
                "lazy": is_lazy_governance(class),
                "replicates": statistics.replicates,
                "metrics": metric_values(&statistics),
            })
        })
        .collect()
}

fn metric_values(statistics: &LevelStatistics) -> serde_json::Map<String, Value> {
    METRICS
        .iter()
        .zip(&statistics.metrics)
        .map(|(name, spread)| {
            let (mean, low, high) = explore::interval(spread);
            (name.to_string(), json!([mean, low, high]))
        })
        .collect()
}

/// `POST /api/curve`: the whole hierarchy's equilibrium mean innovation at log-spaced
/// penalties, streamed as `point` events, then `done`.
pub async fn curve(Shared(state): Shared<Arc<State>>, headers: HeaderMap, body: Bytes) -> Response {
    let (body, request) = match checked(&state, &headers, &body) {
        Ok(parsed) => parsed,
        Err(refused) => return *refused,
    };
    let penalties = match explore::curve_penalties(
        body.from.unwrap_or(0.5),
        body.to.unwrap_or(16.0),
        body.points.unwrap_or(9),
    ) {
        Ok(penalties) => penalties,
        Err(error) => return refuse_study(&error),
    };
    if let Err(error) = explore::plan(&request) {
        return refuse_study(&error);
    }
    let (sender, receiver) = tokio::sync::mpsc::channel(64);
    tokio::spawn(in_line(state, sender, move |events| {
        let mut report = |point: explore::CurvePoint| {
            let statistics = &point.statistics;
            let class = statistics.modal_class();
            let data = json!({
                "penalty": point.penalty,
                "class": class,
                "lazy": is_lazy_governance(class),
                "metrics": metric_values(statistics),
            });
            events.blocking_send(event("point", data)).is_ok()
        };
        match explore::penalty_curve(&request, &penalties, &mut report) {
            Ok(Some(_)) => {
                let _ = events.blocking_send(event("done", json!({})));
            }
            Ok(None) => {}
            Err(error) => {
                let _ =
                    events.blocking_send(event("error", json!({ "message": error.one_line() })));
            }
        }
    }));
    stream(receiver)
}

fn finished(state: &State, id: u64) -> Option<Finished> {
    state
        .runs
        .lock()
        .expect("the run list is never poisoned")
        .get(&id)
        .cloned()
}

/// `GET /api/runs/{id}/scenario.toml`: the scenario file of a finished run.
pub async fn scenario_file(
    Shared(state): Shared<Arc<State>>,
    headers: HeaderMap,
    Path(id): Path<u64>,
) -> Response {
    if let Some(refused) = refused_host(&state, &headers) {
        return refused;
    }
    let Some(run) = finished(&state, id) else {
        return refuse(StatusCode::NOT_FOUND, &format!("no finished run {id}"));
    };
    match scenario::to_toml_text(&run.scenario) {
        Ok(text) => (
            [
                (
                    header::CONTENT_TYPE,
                    "application/toml; charset=utf-8".to_string(),
                ),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{}.toml\"", run.scenario.name),
                ),
            ],
            text,
        )
            .into_response(),
        Err(error) => refuse_study(&error.into()),
    }
}

/// `GET /api/runs/{id}/result.zip`: the run's result directory, written by the command
/// line's `run` under the server's output directory (once), packed as a zip.
pub async fn result_zip(
    Shared(state): Shared<Arc<State>>,
    headers: HeaderMap,
    Path(id): Path<u64>,
) -> Response {
    if let Some(refused) = refused_host(&state, &headers) {
        return refused;
    }
    let Some(run) = finished(&state, id) else {
        return refuse(StatusCode::NOT_FOUND, &format!("no finished run {id}"));
    };
    let Ok(permit) = state.permits.clone().acquire_owned().await else {
        return refuse(StatusCode::SERVICE_UNAVAILABLE, "the server is stopping");
    };
    let shared = state.clone();
    let written = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let _one_writer = shared.writing.lock().expect("never poisoned");
        write_result(&shared.out, id, &run.scenario)
    })
    .await;
    match written {
        Ok(Ok(bytes)) => (
            [
                (header::CONTENT_TYPE, "application/zip".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"cadresim-run-{id}.zip\""),
                ),
            ],
            bytes,
        )
            .into_response(),
        Ok(Err(error)) => refuse_study(&error),
        Err(error) => refuse(StatusCode::INTERNAL_SERVER_ERROR, &error.to_string()),
    }
}

/// Write run `id`'s scenario file and result directory under `out/run-<id>/` (unless a
/// complete one is there), and pack the result directory.
fn write_result(out: &FsPath, id: u64, scenario: &Scenario) -> Result<Vec<u8>, StudyError> {
    let dir = out.join(format!("run-{id}"));
    let result = dir.join("result");
    if !result.join("manifest.json").exists() {
        output::create_dir(&dir)?;
        let text = scenario::to_toml_text(scenario)?;
        let file = output::write_atomically(&dir, &format!("{}.toml", scenario.name), |out| {
            out.write_all(text.as_bytes())
        })?;
        let request = RunRequest {
            scenarios: vec![file],
            out: Some(result.clone()),
            size: (1000, 625),
            ..RunRequest::default()
        };
        crate::study::run::run(&request, &Silent)?;
    }
    zip_directory(&result)
}

/// Every file under `dir`, stored (uncompressed) in a zip under its relative path, in path
/// order.
fn zip_directory(dir: &FsPath) -> Result<Vec<u8>, StudyError> {
    let failed = |error: &dyn std::fmt::Display| {
        StudyError::Failed(format!("{}: cannot pack: {error}", dir.display()))
    };
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        for entry in std::fs::read_dir(&folder).map_err(|e| failed(&e))? {
            let path = entry.map_err(|e| failed(&e))?.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for path in files {
        let name = path
            .strip_prefix(dir)
            .expect("files are under the directory")
            .to_string_lossy()
            .replace('\\', "/");
        let bytes = std::fs::read(&path).map_err(|e| failed(&e))?;
        zip.start_file(name, options).map_err(|e| failed(&e))?;
        zip.write_all(&bytes).map_err(|e| failed(&e))?;
    }
    let cursor = zip.finish().map_err(|e| failed(&e))?;
    Ok(cursor.into_inner())
}
