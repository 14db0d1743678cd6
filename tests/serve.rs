//! `cadresim serve` over real HTTP: the page and its controls, a run streamed as server-sent
//! events whose result equals the command line's for the scenario file it offers, penalty
//! curves, the line of waiting runs and cancellation, and the refusals (bad values, other
//! hosts, large bodies) after which the server keeps serving.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use tempfile::TempDir;

/// A server on a free port, stopped when dropped.
struct Server {
    child: Child,
    address: String,
    _out: TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn start() -> Server {
        let out = TempDir::new().unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_cadresim"))
            .args(["serve", "--port", "0", "--out"])
            .arg(out.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let address = line
            .trim()
            .strip_prefix("http://")
            .and_then(|rest| rest.strip_suffix('/'))
            .unwrap_or_else(|| panic!("the first line is the URL, got {line:?}"))
            .to_string();
        Server {
            child,
            address,
            _out: out,
        }
    }

    /// Send a request and read the whole response: (status, body).
    fn request(&self, method: &str, path: &str, body: &str) -> (u16, String) {
        let host = self.address.clone();
        self.request_as(&host, method, path, body.as_bytes())
    }

    fn request_as(&self, host: &str, method: &str, path: &str, body: &[u8]) -> (u16, String) {
        let mut stream = self.open(host, method, path, body);
        let mut bytes = Vec::new();
        stream.read_to_end(&mut bytes).unwrap();
        let text = String::from_utf8_lossy(&bytes).to_string();
        parse_response(&text)
    }

    fn open(&self, host: &str, method: &str, path: &str, body: &[u8]) -> TcpStream {
        let mut stream = TcpStream::connect(&self.address).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(120)))
            .unwrap();
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        stream.write_all(head.as_bytes()).unwrap();
        stream.write_all(body).unwrap();
        stream
    }
}

/// (status, body) of a raw HTTP/1.1 response, its chunked body decoded.
fn parse_response(text: &str) -> (u16, String) {
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    let chunked = head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    if !chunked {
        return (status, body.to_string());
    }
    let mut decoded = String::new();
    let mut rest = body;
    while let Some((size, after)) = rest.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        decoded.push_str(&after[..size]);
        rest = &after[size + 2..];
    }
    (status, decoded)
}

/// The server-sent events of a stream: (event, data).
fn events(body: &str) -> Vec<(String, serde_json::Value)> {
    body.split("\n\n")
        .filter_map(|block| {
            let mut name = None;
            let mut data = String::new();
            for line in block.lines() {
                if let Some(value) = line.strip_prefix("event:") {
                    name = Some(value.trim().to_string());
                } else if let Some(value) = line.strip_prefix("data:") {
                    data.push_str(value.trim());
                }
            }
            Some((name?, serde_json::from_str(&data).ok()?))
        })
        .collect()
}

#[test]
fn the_page_offers_labelled_controls_from_the_registry_and_the_built_in_regimes() {
    let server = Server::start();
    let (status, page) = server.request("GET", "/", "");
    assert_eq!(status, 200);
    for needle in [
        "<label for=\"scenario\">",
        "role=\"status\"",
        "<button type=\"submit\" id=\"run\">Run</button>",
        "/assets/uPlot.iife.min.js",
    ] {
        assert!(page.contains(needle), "{needle}");
    }
    let (status, script) = server.request("GET", "/assets/uPlot.iife.min.js", "");
    assert_eq!(status, 200);
    assert!(script.len() > 40_000);
    let (_, params) = server.request("GET", "/api/params", "");
    let params: serde_json::Value = serde_json::from_str(&params).unwrap();
    let penalty = params
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["key"] == "accountability.penalty")
        .unwrap();
    assert_eq!(penalty["kind"], "number");
    assert!(penalty["meaning"].as_str().unwrap().contains("sanction"));
    assert!(penalty["low"].as_f64().unwrap() < 8.0 && penalty["high"].as_f64().unwrap() > 8.0);
    // Run settings are the Run fields, not controls.
    assert!(params
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["section"] != "run"));
    let (_, scenarios) = server.request("GET", "/api/scenarios", "");
    let scenarios: serde_json::Value = serde_json::from_str(&scenarios).unwrap();
    let names: Vec<&str> = scenarios
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "pressure",
            "ft-scoped",
            "ft-blanket",
            "ft-no-correction",
            "ft-incentives"
        ]
    );
    assert_eq!(scenarios[1]["values"]["fault_tolerance.enabled"], true);
    assert_eq!(scenarios[0]["values"]["accountability.penalty"], 8.0);
}

#[test]
fn a_streamed_run_equals_the_command_line_run_of_the_scenario_it_offers() {
    let server = Server::start();
    let body = r#"{"scenario": "ft-scoped", "settings": {"accountability.penalty": 4.0, "incentives.tenure_weight": 0.5}, "steps": 60, "replicates": 3, "seed": 7, "every": 7}"#;
    let (status, stream) = server.request("POST", "/api/run", body);
    assert_eq!(status, 200);
    let events = events(&stream);
    let names: Vec<&str> = events.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names[..2], ["run", "start"]);
    assert_eq!(names.last(), Some(&"done"));
    assert_eq!(names.iter().filter(|n| **n == "agents").count(), 60);
    // Every step arrives once, in order, with every level and metric.
    let mut steps = 0;
    for (name, data) in &events {
        if name == "series" {
            assert_eq!(data["from"], steps);
            let values = data["values"].as_array().unwrap();
            assert_eq!(values[0].as_array().unwrap().len(), 5);
            steps += values.len() as u64;
        }
    }
    assert_eq!(steps, 60);
    let done = &events.last().unwrap().1;
    let id = done["id"].as_u64().unwrap();
    let all = done["table"].as_array().unwrap().last().unwrap();
    assert_eq!(all["level"], "all");
    assert!(all["class"].is_string() && all["lazy"].is_boolean());
    // The scenario file it offers, run on the command line, gives the same equilibria; the
    // result directory it packs is the command line's.
    let dir = TempDir::new().unwrap();
    let (status, toml) = server.request("GET", &format!("/api/runs/{id}/scenario.toml"), "");
    assert_eq!(status, 200);
    let file = dir.path().join("ft-scoped.toml");
    std::fs::write(&file, toml).unwrap();
    let out = dir.path().join("cli");
    let run = Command::new(env!("CARGO_BIN_EXE_cadresim"))
        .arg("run")
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let equilibrium = std::fs::read_to_string(out.join("equilibrium.csv")).unwrap();
    let row = equilibrium
        .lines()
        .find(|line| line.starts_with("ft-scoped,all,mean_innovation,"))
        .unwrap();
    let mean: f64 = row.split(',').nth(3).unwrap().parse().unwrap();
    assert_eq!(all["metrics"]["mean_innovation"][0].as_f64().unwrap(), mean);
    let zip = server.request_bytes(&format!("/api/runs/{id}/result.zip"));
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
    for table in ["summary.csv", "timeseries.csv", "equilibrium.csv"] {
        let mut packed = String::new();
        archive
            .by_name(table)
            .unwrap()
            .read_to_string(&mut packed)
            .unwrap();
        let written = std::fs::read_to_string(out.join(table)).unwrap();
        assert!(packed == written, "{table} differs");
    }
    assert!(archive.by_name("manifest.json").is_ok());
}

impl Server {
    /// The body of a GET as bytes (a zip), after checking its status.
    fn request_bytes(&self, path: &str) -> Vec<u8> {
        let mut stream = self.open(&self.address.clone(), "GET", path, b"");
        let mut bytes = Vec::new();
        stream.read_to_end(&mut bytes).unwrap();
        let split = bytes.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
        let head = String::from_utf8_lossy(&bytes[..split]).to_ascii_lowercase();
        assert!(head.starts_with("http/1.1 200"), "{head}");
        assert!(head.contains("content-type: application/zip"), "{head}");
        bytes[split + 4..].to_vec()
    }
}

#[test]
fn a_penalty_curve_streams_one_point_per_penalty() {
    let server = Server::start();
    let body = r#"{"scenario": "pressure", "steps": 40, "replicates": 2, "from": 1.0, "to": 16.0, "points": 3}"#;
    let (status, stream) = server.request("POST", "/api/curve", body);
    assert_eq!(status, 200);
    let points: Vec<f64> = events(&stream)
        .iter()
        .filter(|(name, _)| name == "point")
        .map(|(_, data)| data["penalty"].as_f64().unwrap())
        .collect();
    assert_eq!(points.len(), 3);
    assert!((points[0] - 1.0).abs() < 1e-12 && (points[1] - 4.0).abs() < 1e-12);
    assert!((points[2] - 16.0).abs() < 1e-9);
    assert!(stream.contains("event: done"));
}

#[test]
fn runs_beyond_the_limit_wait_in_line_and_runs_whose_page_closed_stop() {
    let server = Server::start();
    let long = r#"{"scenario": "pressure", "steps": 20000, "replicates": 2, "every": 1}"#;
    // Two long runs take both places; each has started once its first event arrives.
    let mut open: Vec<TcpStream> = (0..2)
        .map(|_| {
            let mut stream =
                server.open(&server.address.clone(), "POST", "/api/run", long.as_bytes());
            let mut first = [0u8; 256];
            let n = stream.read(&mut first).unwrap();
            assert!(String::from_utf8_lossy(&first[..n]).starts_with("HTTP/1.1 200"));
            stream
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let short = r#"{"scenario": "pressure", "steps": 20, "replicates": 2}"#;
    let mut third = server.open(
        &server.address.clone(),
        "POST",
        "/api/run",
        short.as_bytes(),
    );
    let mut seen = String::new();
    let mut buffer = [0u8; 4096];
    while !seen.contains("event: queued") {
        let n = third.read(&mut buffer).unwrap();
        assert!(n > 0, "the third run ended without waiting: {seen}");
        seen.push_str(&String::from_utf8_lossy(&buffer[..n]));
    }
    assert!(seen.contains("\"position\":1"), "{seen}");
    // Closing the pages cancels the long runs, so the third one runs to its end.
    open.clear();
    let mut rest = Vec::new();
    third.read_to_end(&mut rest).unwrap();
    let rest = String::from_utf8_lossy(&rest);
    assert!(rest.contains("event: done"), "{rest}");
}

#[test]
fn bad_requests_get_one_line_refusals_and_the_server_keeps_serving() {
    let server = Server::start();
    let cases = [
        (
            r#"{"scenario": "pressure", "settings": {"accountability.penalty": -1}}"#,
            "settings: `accountability.penalty` must be a number in [0, 1e6], got -1",
        ),
        (
            r#"{"scenario": "pressure", "settings": {"accountability.penalty": "high"}}"#,
            "settings: `accountability.penalty`",
        ),
        (
            r#"{"scenario": "nowhere"}"#,
            "request: scenario `nowhere` is not on offer; choose one of pressure, ft-scoped",
        ),
        (
            r#"{"scenario": "pressure", "stepz": 10}"#,
            "request: not a valid request body: unknown field `stepz`",
        ),
        (
            r#"{"scenario": "pressure", "steps": 0}"#,
            "steps must be in 1..=20000, got 0",
        ),
        (
            r#"{"scenario": "pressure", "settings": {"accountability.penalti": 2}}"#,
            "accountability.penalti",
        ),
    ];
    for (body, message) in cases {
        let (status, text) = server.request("POST", "/api/run", body);
        assert_eq!(status, 400, "{body}: {text}");
        assert!(text.contains(message), "{body}: {text}");
        assert_eq!(text.trim_end().lines().count(), 1, "{text}");
    }
    let (status, text) = server.request_as("evil.example:80", "GET", "/api/params", b"");
    assert_eq!(status, 403);
    assert!(text.contains("evil.example"));
    let host = server.address.clone();
    let (status, _) = server.request_as(&host, "POST", "/api/run", &vec![b' '; 100_000]);
    assert_eq!(status, 413);
    assert_eq!(server.request("GET", "/etc/passwd", "").0, 404);
    assert_eq!(server.request("GET", "/assets/../Cargo.toml", "").0, 404);
    assert_eq!(server.request("GET", "/api/runs/99/result.zip", "").0, 404);
    assert_eq!(server.request("GET", "/api/params", "").0, 200);
}

#[test]
fn every_bundled_scenario_reads_back_from_the_file_the_explorer_offers() {
    let dir = TempDir::new().unwrap();
    let mut checked = 0;
    for entry in std::fs::read_dir("scenarios").unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "toml") || path.ends_with("experiments.toml") {
            continue;
        }
        let scenario = cadresim::scenario::load(&path).unwrap();
        let text = cadresim::scenario::to_toml_text(&scenario).unwrap();
        let file = dir.path().join(Path::new(path.file_name().unwrap()));
        std::fs::write(&file, text).unwrap();
        let again = cadresim::scenario::load(&file).unwrap();
        assert_eq!(again, scenario, "{}", path.display());
        checked += 1;
    }
    assert!(checked >= 10);
}
