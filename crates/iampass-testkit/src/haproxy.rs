//! HAProxy (Debian's package) in front of nodes on loopback, with the deployment guide's
//! configuration (packaging/cluster/haproxy.cfg): what the cluster tests and the cluster benchmark
//! run, so both run what the guide ships.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// A running HAProxy; stopped when dropped.
#[derive(Debug)]
pub struct Haproxy {
    child: Child,
    log: PathBuf,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
}

impl Haproxy {
    /// Checks the guide's configuration, rewritten to listen on 127.0.0.1:`port` and send to
    /// `nodes` (`host:port`), then starts HAProxy with it in `dir` (its log there too).
    pub fn start(dir: &Path, port: u16, nodes: &[String]) -> std::io::Result<Haproxy> {
        let config = dir.join("haproxy.cfg");
        std::fs::write(&config, haproxy_config(port, nodes))?;
        let check = Command::new("haproxy").arg("-c").arg("-f").arg(&config).output()?;
        if !check.status.success() {
            return Err(std::io::Error::other(format!(
                "haproxy refuses the configuration: {}",
                String::from_utf8_lossy(&check.stderr)
            )));
        }
        let log = dir.join("haproxy.log");
        let child = Command::new("haproxy")
            .arg("-db")
            .arg("-f")
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log)?)
            .spawn()?;
        Ok(Haproxy { child, log, url: format!("http://127.0.0.1:{port}") })
    }

    /// The process id, for reading its CPU time.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// What HAProxy said so far, for a failure's message.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Haproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port free on 127.0.0.1 now, for a listener that must be named before it starts.
pub fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// The guide's configuration listening on 127.0.0.1:`port` and sending to `nodes`, in the order of
/// its `server` lines.
fn haproxy_config(port: u16, nodes: &[String]) -> String {
    let mut servers = nodes.iter();
    include_str!("../../../packaging/cluster/haproxy.cfg")
        .lines()
        .map(|line| match line.split_whitespace().collect::<Vec<_>>()[..] {
            ["bind", _] => format!("    bind 127.0.0.1:{port}"),
            ["server", name, _, "check"] => {
                let addr = servers.next().unwrap_or_else(|| panic!("more servers than nodes at {name}"));
                format!("    server {name} {addr} check")
            }
            _ => line.to_owned(),
        })
        .map(|line| line + "\n")
        .collect()
}
