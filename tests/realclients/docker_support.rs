//! A real `dockerd` and a real `containerd` with private paths, and `docker-registry`
//! instances on loopback.

use std::cell::{Cell, RefCell};
use std::fs;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::harness::{ChildGuard, Sandbox, wait_for};

/// `docker-registry serve` on 127.0.0.1:PORT, logging (with an access log) to a file.
pub struct Registry {
    /// `127.0.0.1:PORT`.
    pub addr: String,
    _guard: ChildGuard,
    log: PathBuf,
    mark: Cell<usize>,
}

impl Registry {
    pub fn start(sb: &Sandbox, name: &str, port: u16) -> Registry {
        let dir = sb.path(&format!("registry-{name}"));
        fs::create_dir_all(dir.join("data")).unwrap();
        let config = sb.write(
            &dir.join("config.yml"),
            &format!(
                "version: 0.1\nlog:\n  level: info\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\n\
                 http:\n  addr: 127.0.0.1:{port}\n  secret: realclients-test-only\n",
                dir.join("data").display()
            ),
        );
        let log = dir.join("registry.log");
        let out = fs::File::create(&log).unwrap();
        let mut cmd = sb.client("docker-registry");
        cmd.arg("serve").arg(&config).stdout(out.try_clone().unwrap()).stderr(out);
        let mut guard = ChildGuard::spawn(&format!("docker-registry {name}"), &mut cmd);
        wait_for(&format!("docker-registry {name} on port {port}"), Duration::from_secs(15), || {
            assert!(
                guard.is_running(),
                "docker-registry {name} exited:\n{}",
                fs::read_to_string(&log).unwrap_or_default()
            );
            TcpStream::connect(("127.0.0.1", port)).ok()
        });
        Registry { addr: format!("127.0.0.1:{port}"), _guard: guard, log, mark: Cell::new(0) }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn access_lines(&self) -> Vec<String> {
        let all = fs::read_to_string(&self.log).unwrap_or_default();
        all.get(self.mark.get()..)
            .unwrap_or("")
            .lines()
            .filter(|l| l.starts_with("127.0.0.1 - - ["))
            .map(str::to_string)
            .collect()
    }

    /// Forget the requests logged so far.
    pub fn clear_log(&self) {
        self.mark.set(fs::read_to_string(&self.log).unwrap_or_default().len());
    }

    /// Some GET/HEAD for a URI starting with `prefix` was answered with `status`.
    pub fn assert_served(&self, prefix: &str, status: u16) {
        let lines = self.access_lines();
        let hit = lines.iter().any(|l| {
            let Some((_, rest)) = l.split_once('"') else {
                return false;
            };
            let mut it = rest.split_whitespace();
            let (_method, uri) = (it.next(), it.next().unwrap_or(""));
            let code = rest.split_once("\" ").map(|(_, c)| c.split_whitespace().next().unwrap_or(""));
            uri.starts_with(prefix) && code == Some(&status.to_string())
        });
        assert!(
            hit,
            "registry {}: no request for {prefix}… answered {status}; access log:\n{}",
            self.log.display(),
            lines.join("\n")
        );
    }

    pub fn assert_not_served(&self, prefix: &str) {
        let lines = self.access_lines();
        assert!(
            !lines.iter().any(|l| l.contains(&format!(" {prefix}"))),
            "registry {}: unexpected request for {prefix}…:\n{}",
            self.log.display(),
            lines.join("\n")
        );
    }
}

/// A real dockerd: config file from the --root, private data/exec roots and socket, no
/// networking setup (no bridge, no iptables), vfs storage. Stopped with TERM on drop, and any
/// mount it leaves under its data root is unmounted.
pub struct Dockerd {
    guard: RefCell<Option<ChildGuard>>,
    dir: PathBuf,
    sock: PathBuf,
    config: PathBuf,
}

impl Dockerd {
    pub fn start(sb: &Sandbox, config: &Path) -> Dockerd {
        let dir = sb.path("docker");
        fs::create_dir_all(dir.join("cli")).unwrap();
        let sock = dir.join("docker.sock");
        let d = Dockerd { guard: RefCell::new(None), dir, sock, config: config.to_path_buf() };
        d.spawn(sb);
        d
    }

    fn spawn(&self, sb: &Sandbox) {
        let log = self.dir.join("dockerd.log");
        let out = fs::OpenOptions::new().create(true).append(true).open(&log).unwrap();
        let mut cmd = sb.client("dockerd");
        cmd.arg("--config-file")
            .arg(&self.config)
            .arg("--data-root")
            .arg(self.dir.join("data"))
            .arg("--exec-root")
            .arg(self.dir.join("exec"))
            .arg("--pidfile")
            .arg(self.dir.join("dockerd.pid"))
            .arg("-H")
            .arg(format!("unix://{}", self.sock.display()))
            .args(["--iptables=false", "--ip6tables=false", "--ip-masq=false", "--bridge=none", "--storage-driver=vfs"])
            .stdout(out.try_clone().unwrap())
            .stderr(out);
        let mut guard = ChildGuard::spawn("dockerd", &mut cmd);
        let t = std::time::Instant::now();
        wait_for("dockerd to answer", Duration::from_secs(60), || {
            assert!(guard.is_running(), "dockerd exited:\n{}", fs::read_to_string(&log).unwrap_or_default());
            let ok = self
                .cli(sb, &["version"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            ok.then_some(())
        });
        sb.step(&format!("dockerd up in {:.1}s", t.elapsed().as_secs_f64()));
        *self.guard.borrow_mut() = Some(guard);
    }

    /// What `systemctl restart docker` does after daemon.json changed. (SIGHUP is not enough:
    /// dockerd 20.10 keeps the old mirrors when the reloaded file has no `registry-mirrors`.)
    pub fn restart(&self, sb: &Sandbox) {
        sb.step("restart dockerd");
        if let Some(mut g) = self.guard.borrow_mut().take() {
            g.stop(Duration::from_secs(20));
        }
        self.spawn(sb);
    }

    /// The docker CLI talking to this daemon, with a private client config.
    /// `DOCKER_HOST` for this daemon.
    pub fn host(&self) -> String {
        format!("unix://{}", self.sock.display())
    }

    pub fn cli(&self, sb: &Sandbox, args: &[&str]) -> Command {
        let mut c = sb.client("docker");
        c.env("DOCKER_HOST", format!("unix://{}", self.sock.display()))
            .env("DOCKER_CONFIG", self.dir.join("cli"))
            .args(args);
        c
    }
}

impl Drop for Dockerd {
    fn drop(&mut self) {
        if let Some(mut g) = self.guard.get_mut().take() {
            g.stop(Duration::from_secs(20));
        }
        unmount_leftovers(&self.dir);
    }
}

/// A real containerd with a private config (root, state and sockets in the sandbox, no CRI
/// plugin), and `ctr` talking to it. Stopped with TERM on drop; mounts it leaves are unmounted.
pub struct Containerd {
    guard: Option<ChildGuard>,
    dir: PathBuf,
    sock: PathBuf,
}

impl Containerd {
    pub fn start(sb: &Sandbox) -> Containerd {
        let dir = sb.path("containerd");
        fs::create_dir_all(&dir).unwrap();
        let sock = dir.join("containerd.sock");
        let config = sb.write(
            &dir.join("config.toml"),
            &format!(
                "version = 2\nroot = \"{d}/root\"\nstate = \"{d}/state\"\ndisabled_plugins = [\"io.containerd.grpc.v1.cri\"]\n\n\
                 [grpc]\n  address = \"{s}\"\n\n[ttrpc]\n  address = \"{s}.ttrpc\"\n\n[debug]\n  address = \"{d}/debug.sock\"\n",
                d = dir.display(),
                s = sock.display()
            ),
        );
        let log = dir.join("containerd.log");
        let out = fs::File::create(&log).unwrap();
        let mut cmd = sb.client("containerd");
        cmd.arg("--config").arg(&config).stdout(out.try_clone().unwrap()).stderr(out);
        let mut guard = ChildGuard::spawn("containerd", &mut cmd);
        let t = std::time::Instant::now();
        let mut d = Containerd { guard: None, dir, sock };
        wait_for("containerd to answer", Duration::from_secs(30), || {
            assert!(guard.is_running(), "containerd exited:\n{}", fs::read_to_string(&log).unwrap_or_default());
            let ok =
                d.ctr(sb, &["version"]).stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok_and(|s| s.success());
            ok.then_some(())
        });
        sb.step(&format!("containerd up in {:.1}s", t.elapsed().as_secs_f64()));
        d.guard = Some(guard);
        d
    }

    /// `ctr` on this daemon, in the test's own namespace.
    pub fn ctr(&self, sb: &Sandbox, args: &[&str]) -> Command {
        let mut c = sb.client("ctr");
        c.arg("--address").arg(&self.sock).args(["--namespace", "mirrortest"]).args(args);
        c
    }
}

impl Drop for Containerd {
    fn drop(&mut self) {
        if let Some(mut g) = self.guard.take() {
            g.stop(Duration::from_secs(20));
        }
        unmount_leftovers(&self.dir);
    }
}

/// A daemon that did not shut down cleanly leaves mounts under its roots: unmount them.
fn unmount_leftovers(dir: &Path) {
    let mounts = fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    let dir = dir.to_string_lossy().to_string();
    let mut points: Vec<&str> =
        mounts.lines().filter_map(|l| l.split(' ').nth(4)).filter(|m| m.starts_with(&dir)).collect();
    points.sort_by_key(|m| std::cmp::Reverse(m.len()));
    for m in points {
        eprintln!("realclients: unmounting leftover {m}");
        let _ = Command::new("umount").arg("-l").arg(m).status();
    }
}
