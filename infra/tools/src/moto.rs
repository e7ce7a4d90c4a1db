//! Finds or starts moto's server, the local AWS.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::net::TcpStream;
use tokio::process::{Child, Command};

pub async fn is_listening(port: u16) -> bool {
    TcpStream::connect(("127.0.0.1", port)).await.is_ok()
}

/// The moto server in the project's virtualenv.
pub fn server_binary(project_root: &Path) -> PathBuf {
    project_root.join(".venv").join("bin").join("moto_server")
}

/// Starts moto on `port` and waits until it answers. The child dies with this process.
pub async fn start(binary: &Path, port: u16) -> Result<Child, String> {
    if !binary.exists() {
        return Err(format!(
            "{} is missing: run `scripts/dev` (it installs moto into .venv) or `python3 -m venv .venv && .venv/bin/pip install 'moto[server]'`",
            binary.display()
        ));
    }
    let child = Command::new(binary)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|err| format!("cannot start {}: {err}", binary.display()))?;
    for _ in 0..100 {
        if is_listening(port).await {
            return Ok(child);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(format!("moto did not start listening on port {port} within 10 s"))
}
