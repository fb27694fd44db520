//! A real scoring service: an HTTP server (axum on tokio) around a saved scorecard, and a bounded
//! load test of it on loopback.
//!
//! Run: `cargo run --release -p finkit-examples --example scoring_service`
//!
//! - `POST /score` with one firm as a flat JSON object (`{"duration_in_month": 24, "purpose":
//!   "car (new)", …}`; `null` is a missing value) answers `{"pd", "grade", "score", "reasons"}`;
//!   with an array of firms (at most 10,000) it answers `{"results": [...]}` in the same order.
//! - `GET /health` answers `{"status": "ok", "model": …}`.
//! - A bad request (malformed JSON, not an object or array, a missing variable, an unseen
//!   category, an empty or too large batch) is `400` with `{"error": "..."}` naming what is
//!   wrong; a batch error names the element. A body over 1 MiB is refused by axum's body limit
//!   (`413`) before it is read into memory.
//!
//! Scoring one firm takes about 20 µs, less than handing it to another thread costs, so a small
//! body (up to 4 KiB, a few firms) is scored inline on the async worker; a larger batch goes to
//! tokio's blocking pool (`spawn_blocking`), so it never stalls the workers that accept and
//! answer other connections. The model is loaded once from its JSON file (checksum verified)
//! and shared as an `Arc<Scorecard>` (a `PdModel` is `Send + Sync`).
//!
//! Without arguments the program fits and saves a scorecard on the bundled German credit data,
//! serves it on an ephemeral loopback port, checks `/health` and the 400 answers, then runs the
//! load test: `--rate` requests per second (default 5,000) over `--connections` keep-alive
//! connections (default 8) until `--requests` (default 20,000) were sent or `--seconds`
//! (default 10) passed, whichever comes first, from client threads outside the server's
//! runtime (blocking sockets, precise sleeps); it prints throughput and the p50 / p99 / max
//! latency, measured from each request's *scheduled* send time (so a stalled server cannot
//! hide its queueing), and stops by itself.
//!
//! Other modes: `--serve 127.0.0.1:8080` serves until interrupted; `--model PATH` loads that
//! saved scorecard instead of fitting one.

use std::error::Error;
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use finkit_credit::binning::{BinningParams, BinningProcessParams};
use finkit_credit::master_scale::MasterScale;
use finkit_credit::scorecard::{OddsDirection, ScalingParams, Scorecard};
use finkit_credit::{FeatureRecord, LogisticParams, PdModel};
use finkit_examples::{output_dir, repo_path};
use finkit_schema::{CsvOptions, Dataset};
use serde_json::{Value, json};

/// The largest request body accepted (bytes).
const MAX_BODY: usize = 1 << 20;
/// The largest batch accepted (firms).
const MAX_BATCH: usize = 10_000;

struct Service {
    card: Scorecard,
    scale: MasterScale,
}

/// The shared state of the handlers.
type Shared = Arc<Service>;

/// A request that cannot be scored: answered as 400 with a JSON error.
struct BadRequest(String);

impl IntoResponse for BadRequest {
    fn into_response(self) -> Response {
        (StatusCode::BAD_REQUEST, axum::Json(json!({ "error": self.0 }))).into_response()
    }
}

impl Service {
    fn score_one(&self, record: &FeatureRecord) -> Result<Value, String> {
        let scored = self.card.score_record(record).map_err(|e| e.to_string())?;
        let pd = self.card.pd(record).map_err(|e| e.to_string())?.get();
        let grade = self.scale.grade(pd).map_err(|e| e.to_string())?;
        Ok(json!({
            "pd": pd,
            "grade": grade.label,
            "score": scored.score,
            "reasons": scored.reasons.iter().take(3).map(|r| json!({
                "variable": r.variable,
                "points": r.points,
                "shortfall": r.shortfall,
            })).collect::<Vec<_>>(),
        }))
    }

    /// Parses and scores a request body: one object, or an array of objects.
    fn score_body(&self, body: &[u8]) -> Result<Value, String> {
        let value: Value =
            serde_json::from_slice(body).map_err(|e| format!("body is not valid JSON: {e}"))?;
        match value {
            Value::Object(_) => {
                let record: FeatureRecord = serde_json::from_value(value).map_err(|e| {
                    format!("a firm must be a flat object of numbers, labels or null: {e}")
                })?;
                self.score_one(&record)
            }
            Value::Array(items) => {
                if items.is_empty() || items.len() > MAX_BATCH {
                    return Err(format!(
                        "a batch holds 1 to {MAX_BATCH} firms, got {}",
                        items.len()
                    ));
                }
                let results = items
                    .into_iter()
                    .enumerate()
                    .map(|(i, item)| {
                        let record: FeatureRecord = serde_json::from_value(item).map_err(|e| {
                            format!(
                                "firm [{i}]: must be a flat object of numbers, labels or null: {e}"
                            )
                        })?;
                        self.score_one(&record).map_err(|e| format!("firm [{i}]: {e}"))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(json!({ "results": results }))
            }
            _ => Err("the body must be a JSON object (one firm) or an array of objects".into()),
        }
    }
}

/// Bodies up to this size (a handful of firms, well under 100 µs of work) are scored inline on
/// the async worker: handing them to the blocking pool costs two thread wake-ups, more than the
/// work itself. Larger bodies (batches) go to the blocking pool, so a big batch never stalls the
/// workers that accept and answer other connections.
const INLINE_BODY: usize = 4 << 10;

async fn score(State(service): State<Shared>, body: Bytes) -> Result<axum::Json<Value>, Response> {
    let result = if body.len() <= INLINE_BODY {
        Ok(service.score_body(&body))
    } else {
        tokio::task::spawn_blocking(move || service.score_body(&body)).await
    };
    match result {
        Ok(Ok(value)) => Ok(axum::Json(value)),
        Ok(Err(message)) => Err(BadRequest(message).into_response()),
        Err(e) => Err((
            StatusCode::INTERNAL_SERVER_ERROR,
            axum::Json(json!({ "error": format!("scoring task failed: {e}") })),
        )
            .into_response()),
    }
}

async fn health(State(service): State<Shared>) -> axum::Json<Value> {
    axum::Json(json!({ "status": "ok", "model": service.card.model_id() }))
}

fn router(service: Shared) -> Router {
    Router::new()
        .route("/score", post(score))
        .route("/health", get(health))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(service)
}

/// Fits a scorecard on the German credit data and saves it, as a model team would.
fn fit_and_save(data: &Dataset) -> Result<std::path::PathBuf, Box<dyn Error>> {
    let binning = BinningProcessParams::new()
        .binning(BinningParams::new())
        .exclude(["row_id"])
        .min_iv(0.02)
        .build()?
        .fit(data)?;
    let woe = binning.transform(data)?;
    let target = data.target().ok_or("the data set has no target")?;
    let model = LogisticParams::new().feature_names(woe.names.clone()).fit(&woe.values, &target)?;
    let scaling = ScalingParams::new(20.0, 600.0, 50.0, OddsDirection::GoodToBad).build()?;
    let card =
        Scorecard::from_logistic(&binning, &model, &scaling)?.with_name("german-credit-demo");
    let path = output_dir("scoring_service")?.join("scorecard.json");
    std::fs::write(&path, card.to_json()?)?;
    Ok(path)
}

/// The client's error type (its threads send errors back).
type ClientError = Box<dyn Error + Send + Sync>;

/// One HTTP/1.1 exchange on a keep-alive connection: the status and the body.
///
/// The client is plain blocking I/O on its own threads, outside the server's tokio runtime: a
/// client on tokio wakes from `sleep_until` only on its 1 ms timer ticks, which would add up to
/// a millisecond to every latency measured from the scheduled send time.
fn exchange(
    stream: &mut TcpStream,
    buf: &mut Vec<u8>,
    request: &[u8],
) -> Result<(u16, Vec<u8>), ClientError> {
    stream.write_all(request)?;
    buf.clear();
    let mut chunk = [0u8; 8192];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = std::str::from_utf8(&buf[..end])?;
            let status: u16 = head.split(' ').nth(1).ok_or("no status")?.parse()?;
            let length: usize = head
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length").then(|| v.trim().parse().ok())?
                })
                .ok_or("no content-length")?;
            while buf.len() < end + 4 + length {
                let n = stream.read(&mut chunk)?;
                if n == 0 {
                    return Err("connection closed mid-body".into());
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            return Ok((status, buf[end + 4..end + 4 + length].to_vec()));
        }
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Err("connection closed".into());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

fn http_request(method: &str, path: &str, body: &str) -> Vec<u8> {
    format!(
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Checks `/health`, one firm, a batch large enough for the blocking pool, and the 400 answers.
fn self_check(addr: SocketAddr, firm: &str) -> Result<(), ClientError> {
    let mut s = TcpStream::connect(addr)?;
    let mut buf = Vec::new();
    let (status, body) = exchange(&mut s, &mut buf, &http_request("GET", "/health", ""))?;
    println!("GET /health -> {status} {}", String::from_utf8_lossy(&body));
    if status != 200 {
        return Err("health check failed".into());
    }
    let (status, body) = exchange(&mut s, &mut buf, &http_request("POST", "/score", firm))?;
    println!("POST /score (one firm) -> {status} {}", String::from_utf8_lossy(&body));
    let one: Value = serde_json::from_slice(&body)?;
    if status != 200 || !one["pd"].is_f64() || !one["grade"].is_string() {
        return Err("scoring one firm failed".into());
    }
    for n in [2, 200] {
        let batch = format!("[{}]", vec![firm; n].join(","));
        let (status, body) = exchange(&mut s, &mut buf, &http_request("POST", "/score", &batch))?;
        let many: Value = serde_json::from_slice(&body)?;
        if status != 200
            || many["results"].as_array().map(Vec::len) != Some(n)
            || many["results"][0] != one
            || many["results"][n - 1] != one
        {
            return Err(format!("scoring a batch of {n} failed").into());
        }
    }
    println!("POST /score (batches of 2 and 200 firms) -> 200, each as the single answer");
    for bad in
        ["{not json", "[]", "42", r#"{"duration_in_month": [1]}"#, r#"[{"purpose": "car (new)"}]"#]
    {
        let (status, body) = exchange(&mut s, &mut buf, &http_request("POST", "/score", bad))?;
        let error: Value = serde_json::from_slice(&body)?;
        println!("POST /score {bad:?} -> {status} {error}");
        if status != 400 || !error["error"].is_string() {
            return Err(format!("{bad:?} was not answered with 400 and a JSON error").into());
        }
    }
    Ok(())
}

struct LoadResult {
    latencies_us: Vec<f64>,
    elapsed: Duration,
    errors: usize,
}

/// Paced keep-alive connections, one client thread each: connection `c` sends its `k`-th
/// request at `start + (k * connections + c) / rate`, until the count or the time limit is
/// reached. Latency runs from that scheduled time, so a late answer also delays (and counts
/// against) the requests queued behind it on the connection.
fn load_test(
    addr: SocketAddr,
    body: &str,
    rate: f64,
    connections: usize,
    requests: usize,
    limit: Duration,
) -> Result<LoadResult, ClientError> {
    let request = Arc::new(http_request("POST", "/score", body));
    let start = Instant::now() + Duration::from_millis(50);
    let mut threads = Vec::new();
    for c in 0..connections {
        let request = Arc::clone(&request);
        threads.push(std::thread::spawn(move || {
            let mut stream = TcpStream::connect(addr)?;
            stream.set_nodelay(true)?;
            let mut buf = Vec::with_capacity(4096);
            let (mut latencies, mut errors) = (Vec::new(), 0usize);
            let mut i = c;
            while i < requests {
                let due = start + Duration::from_secs_f64(i as f64 / rate);
                if due.duration_since(start) > limit {
                    break;
                }
                if let Some(wait) = due.checked_duration_since(Instant::now()) {
                    std::thread::sleep(wait);
                }
                let (status, _) = exchange(&mut stream, &mut buf, &request)?;
                latencies.push(due.elapsed().as_secs_f64() * 1e6);
                errors += usize::from(status != 200);
                i += connections;
            }
            Ok::<_, ClientError>((latencies, errors))
        }));
    }
    let mut result = LoadResult { latencies_us: Vec::new(), elapsed: Duration::ZERO, errors: 0 };
    for thread in threads {
        let (latencies, errors) = thread.join().map_err(|_| "a client thread panicked")??;
        result.latencies_us.extend(latencies);
        result.errors += errors;
    }
    result.elapsed = start.elapsed();
    Ok(result)
}

fn arg<T: std::str::FromStr>(args: &[String], name: &str, default: T) -> Result<T, Box<dyn Error>> {
    match args.iter().position(|a| a == name) {
        Some(i) => {
            let v = args.get(i + 1).ok_or_else(|| format!("{name} needs a value"))?;
            v.parse().map_err(|_| format!("{name}: cannot parse {v:?}").into())
        }
        None => Ok(default),
    }
}

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rate: f64 = arg(&args, "--rate", 5_000.0)?;
    let connections: usize = arg(&args, "--connections", 8)?;
    let requests: usize = arg(&args, "--requests", 20_000)?;
    let seconds: f64 = arg(&args, "--seconds", 10.0)?;
    let workers: usize = arg(&args, "--workers", 2)?;
    if !(rate.is_finite() && rate > 0.0)
        || connections == 0
        || !(seconds.is_finite() && seconds > 0.0)
    {
        return Err("--rate and --seconds must be positive, --connections at least 1".into());
    }

    let data = Dataset::from_csv(
        repo_path("data/germancredit.csv"),
        &CsvOptions::default().with_target("bad"),
    )?;
    let model_path = match args.iter().position(|a| a == "--model") {
        Some(i) => args.get(i + 1).ok_or("--model needs a path")?.into(),
        None => fit_and_save(&data)?,
    };
    let loaded = Instant::now();
    let card = Scorecard::from_json(&std::fs::read_to_string(&model_path)?)?;
    println!(
        "model {} loaded from {} and verified in {:.2} ms",
        card.model_id(),
        model_path.display(),
        loaded.elapsed().as_secs_f64() * 1e3
    );
    let service: Shared = Arc::new(Service { card, scale: MasterScale::default() });

    // A request body: the first firm of the data set as a flat JSON object.
    let mut firm = serde_json::to_value(FeatureRecord::from_dataset_row(&data, 0)?)?;
    if let Value::Object(map) = &mut firm {
        map.remove("row_id");
    }
    let firm = firm.to_string();

    // The anchor of the load test, measured in the same run: the handler's work (JSON parse,
    // score, PD, grade, reasons, JSON answer) called in process, without HTTP.
    let mut anchor_us: Vec<f64> = (0..2_000)
        .map(|_| {
            let t = Instant::now();
            let answer = service.score_body(firm.as_bytes()).map(|v| v.to_string());
            let elapsed = t.elapsed().as_secs_f64() * 1e6;
            answer.map(|_| elapsed)
        })
        .collect::<Result<_, _>>()?;
    anchor_us.sort_by(f64::total_cmp);
    let anchor_p50 = anchor_us[anchor_us.len() / 2];
    println!("anchor: the handler's work in process, p50 {anchor_p50:.1} µs per request");

    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(workers).enable_all().build()?;
    if let Some(i) = args.iter().position(|a| a == "--serve") {
        let addr: SocketAddr = args.get(i + 1).ok_or("--serve needs an address")?.parse()?;
        return runtime
            .block_on(async move {
                let listener = tokio::net::TcpListener::bind(addr).await?;
                println!("serving on http://{addr} (POST /score, GET /health); Ctrl-C stops");
                axum::serve(listener, router(service))
                    .with_graceful_shutdown(async {
                        let _ = tokio::signal::ctrl_c().await;
                    })
                    .await
            })
            .map_err(Into::into);
    }
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
    let addr = listener.local_addr()?;
    let server = runtime.spawn(async move { axum::serve(listener, router(service)).await });
    println!("serving on http://{addr} ({workers} tokio worker threads)");
    let client = || -> Result<LoadResult, ClientError> {
        self_check(addr, &firm)?;
        load_test(addr, &firm, rate, connections, requests, Duration::from_secs_f64(seconds))
    };
    let r = client().map_err(|e| -> Box<dyn Error> { e.to_string().into() })?;
    server.abort();
    runtime.shutdown_timeout(Duration::from_secs(1));
    let mut lat = r.latencies_us;
    if lat.is_empty() {
        return Err("the load test sent no request".into());
    }
    lat.sort_by(f64::total_cmp);
    let pct = |p: f64| lat[((lat.len() - 1) as f64 * p).round() as usize];
    println!(
        "load test: {} requests ({} errors) over {} connections in {:.2} s = {:.0} req/s \
         (target {rate:.0}); latency p50 {:.0} µs, p99 {:.0} µs, max {:.0} µs",
        lat.len(),
        r.errors,
        connections,
        r.elapsed.as_secs_f64(),
        lat.len() as f64 / r.elapsed.as_secs_f64(),
        pct(0.50),
        pct(0.99),
        pct(1.0),
    );
    println!(
        "ratio: HTTP p50 / in-process p50 = {:.1}, HTTP p99 / in-process p50 = {:.1}",
        pct(0.50) / anchor_p50,
        pct(0.99) / anchor_p50
    );
    if r.errors > 0 {
        return Err(format!("{} requests were not answered with 200", r.errors).into());
    }
    Ok(())
}
