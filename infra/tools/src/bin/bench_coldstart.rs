//! `colloquy-bench-coldstart`: how long each Lambda function takes to start, in a stand-in for
//! the Lambda Runtime API on loopback. For every binary it spawns the function with a realistic
//! environment, times spawn → the first `GET /2018-06-01/runtime/invocation/next` (the moment
//! Lambda's init phase ends), reads its CPU time and peak RSS then, and stops it. Five runs per
//! function, round by round over all of them; the median and worst are printed.
//! `colloquy-bench-coldstart [dir] [runs] [name,name…]`.
//!
//! Usage: scripts/build-functions   (static musl executables, as deployed)
//!        cargo run --release -p colloquy-tools --bin colloquy-bench-coldstart [-- DIR [RUNS]]
//! DIR defaults to target/x86_64-unknown-linux-musl/release. The test command runs it once per function on the debug
//! build, as a smoke test: a function whose init fails (a configuration it no longer gets) or
//! that is not built fails it.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use colloquy_api::routes::ROUTES;

/// Where `scripts/build-functions` leaves the functions as Lambda runs them (this machine's arch).
const DEPLOYED_BUILD: &str = "target/x86_64-unknown-linux-musl/release";
/// The house issue's target for a release build (a debug build, as the test command's smoke run, is slower).
const GOAL_INIT: Duration = Duration::from_millis(3);
const GOAL_RSS_KB: u64 = 14 * 1024;

fn functions() -> Vec<String> {
    let mut names: Vec<String> = ROUTES.iter().map(|route| route.function.to_owned()).collect();
    names.extend(colloquy_api::routes::EVENT_FUNCTIONS.map(str::to_owned));
    names.push(colloquy_api::routes::UNROUTED_FUNCTION.to_owned());
    names.sort();
    names.dedup();
    names
}

/// Accepts connections and reports the first `invocation/next` request; never answers it, so
/// the function waits there, as it would between invocations.
fn runtime_api() -> Result<(u16, mpsc::Receiver<Instant>), String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|err| format!("cannot listen: {err}"))?;
    let port = listener.local_addr().map_err(|err| err.to_string())?.port();
    let (seen, first_next) = mpsc::channel();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            let mut line = String::new();
            if BufReader::new(&stream).read_line(&mut line).is_ok() && line.contains("/runtime/invocation/next") {
                let _ = seen.send(Instant::now());
            }
            held.push(stream);
        }
    });
    Ok((port, first_next))
}

fn peak_rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// CPU time the process has used so far, over all its threads (`/proc/<pid>/task/*/schedstat`,
/// in nanoseconds). Unlike the wall-clock init, it does not count waiting for a busy core, so it
/// is the steadier figure on a shared two-core host.
fn cpu_time(pid: u32) -> Option<Duration> {
    let mut total = 0u64;
    for task in std::fs::read_dir(format!("/proc/{pid}/task")).ok()?.flatten() {
        let schedstat = std::fs::read_to_string(task.path().join("schedstat")).ok()?;
        total += schedstat.split_whitespace().next()?.parse::<u64>().ok()?;
    }
    Some(Duration::from_nanos(total))
}

fn median_of(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values.get(values.len() / 2).copied().unwrap_or_default()
}

fn spawn(binary: &Path, port: u16, name: &str) -> std::io::Result<Child> {
    Command::new(binary)
        .env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", format!("127.0.0.1:{port}"))
        .env("AWS_LAMBDA_FUNCTION_NAME", name)
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{name}"))
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "bench")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "bench")
        .env("AWS_SECRET_ACCESS_KEY", "bench")
        .env("AWS_SESSION_TOKEN", "bench")
        .env("TABLE_NAME", "colloquy")
        .env("QUEUE_URL", "https://sqs.us-east-1.amazonaws.com/123456789012/colloquy-triggers.fifo")
        .env("WHATSAPP_API_VERSION", "v23.0")
        .env("WHATSAPP_APP_SECRET", "bench-secret")
        .env("WHATSAPP_VERIFY_TOKEN", "bench-token")
        .env("LLM_API_KEY", "sk-bench")
        .env("MEDIA_BUCKET", "colloquy-media")
        // Read by the first milestone's functions; today's treat it as an optional default.
        .env("WHATSAPP_TOKEN", "bench")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
}

struct Run {
    init: Duration,
    cpu: Duration,
    rss_kb: u64,
}

fn measure(binary: &Path, name: &str) -> Result<Run, String> {
    let (port, first_next) = runtime_api()?;
    let started = Instant::now();
    let mut child = spawn(binary, port, name).map_err(|err| format!("cannot start {}: {err}", binary.display()))?;
    let outcome = match first_next.recv_timeout(Duration::from_secs(10)) {
        Ok(at) => Ok(Run {
            init: at.duration_since(started),
            cpu: cpu_time(child.id()).unwrap_or_default(),
            rss_kb: peak_rss_kb(child.id()).unwrap_or(0),
        }),
        Err(_) => Err(format!("{name} did not ask for an invocation within 10 s (did its init fail?)")),
    };
    let _ = child.kill();
    let _ = child.wait();
    outcome
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = PathBuf::from(args.first().map(String::as_str).unwrap_or(DEPLOYED_BUILD));
    let runs: usize = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(5).max(1);
    // Optionally only the named functions (comma-separated), e.g. after building just those.
    let only: Option<Vec<String>> = args.get(2).map(|names| names.split(',').map(str::to_owned).collect());
    println!("cold start: spawn → first GET /runtime/invocation/next, {runs} runs each ({})\n", dir.display());
    println!("{:<28} {:>12} {:>12} {:>12} {:>12}", "function", "median init", "worst init", "median CPU", "peak RSS");
    let names: Vec<String> =
        functions().into_iter().filter(|name| only.as_ref().is_none_or(|only| only.contains(name))).collect();
    if let Some(missing) = names.iter().find(|name| !dir.join(name).exists()) {
        eprintln!("{missing} is not built in {}: every function is measured", dir.display());
        return ExitCode::FAILURE;
    }
    // Round by round over every function, not function by function: a machine whose speed drifts
    // (a shared host) then moves every function's figures alike instead of the last ones'.
    let mut measured: Vec<Vec<Run>> = names.iter().map(|_| Vec::new()).collect();
    for _ in 0..runs {
        for (name, runs) in names.iter().zip(&mut measured) {
            match measure(&dir.join(name), name) {
                Ok(run) => runs.push(run),
                Err(err) => {
                    eprintln!("{err}");
                    return ExitCode::FAILURE;
                }
            }
        }
    }
    let mut over_goal = 0;
    let mut medians = Vec::new();
    for (name, measured) in names.iter().zip(measured) {
        let median = median_of(measured.iter().map(|run| run.init).collect());
        let worst = measured.iter().map(|run| run.init).max().unwrap_or_default();
        let cpu = median_of(measured.iter().map(|run| run.cpu).collect());
        let rss = measured.iter().map(|run| run.rss_kb).max().unwrap_or(0);
        if median > GOAL_INIT || rss > GOAL_RSS_KB {
            over_goal += 1;
        }
        medians.push(median);
        println!(
            "{name:<28} {:>9.2} ms {:>9.2} ms {:>9.2} ms {:>9.1} MB",
            median.as_secs_f64() * 1000.0,
            worst.as_secs_f64() * 1000.0,
            cpu.as_secs_f64() * 1000.0,
            rss as f64 / 1024.0
        );
    }
    println!("\nthe median function: {:.2} ms", median_of(medians).as_secs_f64() * 1000.0);
    println!(
        "goal: ≤ {} ms init and ≤ {} MB peak RSS; {over_goal} function(s) over it",
        GOAL_INIT.as_millis(),
        GOAL_RSS_KB / 1024
    );
    ExitCode::SUCCESS
}
