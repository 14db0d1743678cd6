//! `cadresim serve`: the explorer in the browser. An HTTP server (axum on tokio) that serves
//! one page and its vendored assets from the binary, and an API over the study layer: the
//! parameter registry as controls, explorer runs streamed as server-sent events
//! (`study::explore`), penalty curves, and each finished run's scenario file and result
//! directory (written by `study::run`, the command line's run, and packed as a zip). It
//! listens on loopback unless told otherwise, refuses requests for another host, limits
//! request bodies, runs at most `MAX_RUNNING` studies at once (others wait in line) and
//! cancels a run whose page went away. It writes only under its output directory.

mod api;
mod assets;

use std::collections::BTreeMap;
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize};
use std::sync::{Arc, Mutex};

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;

use crate::scenario::{self, Scenario};
use crate::study::StudyError;

/// Studies that run at once; later requests wait in line.
pub const MAX_RUNNING: usize = 2;
/// The largest request body accepted (bytes).
pub const MAX_BODY: usize = 64 * 1024;
/// Finished runs remembered for download (the oldest are forgotten first).
const REMEMBERED_RUNS: usize = 100;

/// What to serve.
#[derive(Clone, Debug)]
pub struct ServeRequest {
    pub host: std::net::IpAddr,
    /// 0 picks a free port.
    pub port: u16,
    /// Scenario files offered besides the built-in regimes.
    pub scenarios: Vec<PathBuf>,
    /// Where downloaded result directories are written (`run-<id>/` each).
    pub out: PathBuf,
}

/// A server bound to its address, not yet serving.
pub struct Bound {
    listener: TcpListener,
    state: Arc<State>,
}

/// What every request shares.
struct State {
    /// The scenarios on offer, in the picker's order.
    scenarios: Vec<Scenario>,
    /// Host header values accepted (`127.0.0.1:PORT`, `localhost:PORT`, ...).
    hosts: Vec<String>,
    out: PathBuf,
    permits: Arc<tokio::sync::Semaphore>,
    /// Requests waiting for a permit.
    waiting: AtomicUsize,
    next_run: AtomicU64,
    runs: Mutex<BTreeMap<u64, api::Finished>>,
    /// Held while a result directory is written, so two downloads never write one at once.
    writing: Mutex<()>,
}

impl Bound {
    /// The address the server listens on.
    pub fn address(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// The page's URL.
    pub fn url(&self) -> String {
        format!("http://{}/", self.address())
    }

    /// Serve until the process is stopped.
    pub fn serve(self) -> Result<(), StudyError> {
        let failed = |error: std::io::Error| StudyError::Failed(format!("serve: {error}"));
        self.listener.set_nonblocking(true).map_err(failed)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_io()
            .enable_time()
            .build()
            .map_err(failed)?;
        runtime
            .block_on(async move {
                let listener = tokio::net::TcpListener::from_std(self.listener)?;
                axum::serve(listener, router(self.state)).await
            })
            .map_err(failed)
    }
}

/// Check the request and bind the address: the scenarios load, the output directory can be
/// created, and the port is free.
pub fn bind(request: &ServeRequest) -> Result<Bound, StudyError> {
    let mut scenarios = scenario::built_in();
    for file in &request.scenarios {
        let loaded = scenario::load(file)?;
        if scenarios.iter().any(|s| s.name == loaded.name) {
            return Err(StudyError::Usage(format!(
                "{}: a scenario named `{}` is already on offer; rename it (`name = ...`)",
                file.display(),
                loaded.name
            )));
        }
        scenarios.push(loaded);
    }
    crate::output::create_dir(&request.out)?;
    let listener = TcpListener::bind((request.host, request.port)).map_err(|error| {
        StudyError::Usage(format!(
            "cannot listen on {}:{}: {error}",
            request.host, request.port
        ))
    })?;
    let port = listener
        .local_addr()
        .map_err(|error| StudyError::Failed(format!("serve: {error}")))?
        .port();
    let mut hosts = vec![
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        format!("[::1]:{port}"),
    ];
    if !request.host.is_loopback() {
        hosts.clear();
    }
    let state = State {
        scenarios,
        hosts,
        out: request.out.clone(),
        permits: Arc::new(tokio::sync::Semaphore::new(MAX_RUNNING)),
        waiting: AtomicUsize::new(0),
        next_run: AtomicU64::new(api::first_free_run(&request.out)),
        runs: Mutex::new(BTreeMap::new()),
        writing: Mutex::new(()),
    };
    Ok(Bound {
        listener,
        state: Arc::new(state),
    })
}

fn router(state: Arc<State>) -> Router {
    Router::new()
        .route("/", get(assets::page))
        .route("/assets/{file}", get(assets::asset))
        .route("/api/scenarios", get(api::scenarios))
        .route("/api/params", get(api::params))
        .route("/api/run", post(api::run))
        .route("/api/curve", post(api::curve))
        .route("/api/runs/{id}/scenario.toml", get(api::scenario_file))
        .route("/api/runs/{id}/result.zip", get(api::result_zip))
        .fallback(api::not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(state)
}
