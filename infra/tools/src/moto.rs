//! Finds or starts moto's server, the local AWS.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::net::TcpStream;
use tokio::process::{Child, Command};

use crate::stack::LocalAws;

pub async fn is_listening(port: u16) -> bool {
    TcpStream::connect(("127.0.0.1", port)).await.is_ok()
}

/// The project's virtualenv Python, which has moto.
pub fn python(project_root: &Path) -> PathBuf {
    project_root.join(".venv").join("bin").join("python")
}

/// moto's server with DynamoDB transactions made atomic (see the script).
pub fn server_script(project_root: &Path) -> PathBuf {
    project_root.join("infra").join("local").join("moto_server.py")
}

/// Starts moto on `port` and waits until it answers. The child dies with this process.
pub async fn start(project_root: &Path, port: u16) -> Result<Child, String> {
    let python = python(project_root);
    if !python.exists() {
        return Err(format!("{} is missing: run `scripts/dev`, which installs moto into .venv", python.display()));
    }
    let child = Command::new(&python)
        .arg(server_script(project_root))
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|err| format!("cannot start {}: {err}", python.display()))?;
    for _ in 0..100 {
        if is_listening(port).await {
            return Ok(child);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(format!("moto did not start listening on port {port} within 10 s"))
}

/// moto servers this process started; they stop when it is dropped.
pub struct Servers(#[allow(dead_code)] Vec<Child>);

impl Servers {
    /// The pids of the servers started here, to measure them.
    pub fn pids(&self) -> Vec<u32> {
        self.0.iter().filter_map(Child::id).collect()
    }
}

/// The local AWS on `port` (DynamoDB) and `port + 1` (SQS, Secrets Manager): servers already
/// listening there are reused, the others started. Also says, per port, whether it was reused.
pub async fn start_or_reuse(project_root: &Path, port: u16) -> Result<(LocalAws, Servers, Vec<(u16, bool)>), String> {
    let messaging_port = port.checked_add(1).ok_or_else(|| format!("moto port {port} leaves no room for a second"))?;
    let mut started = Vec::new();
    let mut reused = Vec::new();
    for each in [port, messaging_port] {
        if is_listening(each).await {
            reused.push((each, true));
        } else {
            started.push(start(project_root, each).await?);
            reused.push((each, false));
        }
    }
    let aws = LocalAws::split(&format!("http://127.0.0.1:{port}"), &format!("http://127.0.0.1:{messaging_port}")).await;
    Ok((aws, Servers(started), reused))
}
