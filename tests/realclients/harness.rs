//! Shared plumbing for the real-client tests: tool detection and skipping, the sandbox
//! (fake `--root`, `HOME`, catalog, one loopback server), running `mirror` with the contract's
//! environment, running a real client with a scrubbed environment, and process guards.

use std::cell::RefCell;
use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::server::Server;

/// `MIRROR_REALCLIENTS=require` (set by CI) turns a missing tool into a failure.
pub const REQUIRE_ENV: &str = "MIRROR_REALCLIENTS";

pub fn tests_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join("realclients")
}

/// The venv made by `.ci/realclients-install.sh` (uv, py-rattler, ruamel.yaml).
pub fn venv() -> PathBuf {
    if let Some(v) = std::env::var_os("MIRROR_RC_VENV") {
        return PathBuf::from(v);
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache"));
    cache.join("mirror-realclients").join("venv")
}

/// What a test needs installed.
pub enum Need {
    /// A program on `PATH`.
    Cmd(&'static str),
    /// A file that a Debian package ships (e.g. makepkg's helpers that repo-add sources).
    File(&'static str),
    /// A program in the venv's `bin/`.
    VenvBin(&'static str),
    /// Python modules importable by the venv's python.
    VenvModules(&'static str),
    /// `python3 -m pip` works (the system python, which is what pip users run).
    Pip,
    /// Running as root (pacman -Sy and dockerd need it).
    Root,
    /// A file the install script put under the npm prefix ([`npm_prefix`]), e.g. `bin/pnpm`.
    NpmFile(&'static str),
}

/// Where `.ci/realclients-install.sh` installs pnpm and the two Yarns with npm:
/// `$MIRROR_RC_NPM`, else `npm` next to the venv.
pub fn npm_prefix() -> PathBuf {
    if let Some(p) = std::env::var_os("MIRROR_RC_NPM") {
        return PathBuf::from(p);
    }
    venv().parent().map(|p| p.join("npm")).unwrap_or_else(|| PathBuf::from("npm"))
}

pub fn which(cmd: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join(cmd)).find(|p| p.is_file())
}

fn have(need: &Need) -> Result<(), String> {
    match need {
        Need::Cmd(c) => which(c).map(|_| ()).ok_or_else(|| (*c).to_string()),
        Need::File(f) => Path::new(f).exists().then_some(()).ok_or_else(|| (*f).to_string()),
        Need::VenvBin(b) => {
            let p = venv().join("bin").join(b);
            p.is_file().then_some(()).ok_or_else(|| format!("{} (venv)", p.display()))
        }
        Need::VenvModules(m) => {
            let py = venv().join("bin").join("python");
            let ok = Command::new(&py)
                .args(["-c", &format!("import {m}")])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            ok.then_some(()).ok_or_else(|| format!("python modules `{m}` in {}", py.display()))
        }
        Need::NpmFile(f) => {
            let p = npm_prefix().join(f);
            p.exists().then_some(()).ok_or_else(|| format!("{} (npm prefix)", p.display()))
        }
        Need::Root => {
            let out = Command::new("id").arg("-u").output().map_err(|_| "id".to_string())?;
            (String::from_utf8_lossy(&out.stdout).trim() == "0").then_some(()).ok_or_else(|| "root".to_string())
        }
        Need::Pip => system_python()
            .filter(|py| {
                Command::new(py)
                    .args(["-m", "pip", "--version"])
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status()
                    .is_ok_and(|s| s.success())
            })
            .map(|_| ())
            .ok_or_else(|| "python3 with pip".to_string()),
    }
}

/// True when everything is installed. Otherwise prints a SKIPPED line and returns false, or,
/// under `MIRROR_REALCLIENTS=require`, fails the test.
pub fn tools_present(test: &str, needs: &[Need]) -> bool {
    let missing: Vec<String> = needs.iter().filter_map(|n| have(n).err()).collect();
    if missing.is_empty() {
        return true;
    }
    let what = format!("{} not installed (run .ci/realclients-install.sh)", missing.join(", "));
    if std::env::var(REQUIRE_ENV).is_ok_and(|v| v == "require") {
        panic!("realclients::{test}: {what}; {REQUIRE_ENV}=require makes a missing tool a failure");
    }
    say(&format!("SKIPPED realclients::{test}: {what}"));
    false
}

/// A line on the real stderr, past libtest's output capture, so it shows in a plain `cargo test`.
pub fn say(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// The real interpreter behind `python3` (pyenv shims need the real HOME, the clients get a fake one).
pub fn system_python() -> Option<PathBuf> {
    static PY: OnceLock<Option<PathBuf>> = OnceLock::new();
    PY.get_or_init(|| {
        let out = Command::new("python3").args(["-c", "import sys; print(sys.executable)"]).output().ok()?;
        let p = PathBuf::from(String::from_utf8(out.stdout).ok()?.trim());
        (out.status.success() && p.is_file()).then_some(p)
    })
    .clone()
}

/// rustup's home, so the `cargo`/`rustc` proxies work under a fake HOME.
fn rustup_home() -> Option<PathBuf> {
    std::env::var_os("RUSTUP_HOME").map(PathBuf::from).or_else(|| {
        let p = PathBuf::from(std::env::var_os("HOME")?).join(".rustup");
        p.is_dir().then_some(p)
    })
}

/// A site in the test catalog; its base is `<server>/<id>`.
#[derive(Clone)]
pub struct Site {
    pub id: &'static str,
    pub base: String,
    pub dockerhub: String,
}

impl Site {
    pub fn debian(&self) -> String {
        format!("{}/debian", self.base)
    }
    pub fn archlinux(&self) -> String {
        format!("{}/archlinux", self.base)
    }
    pub fn pypi(&self) -> String {
        format!("{}/simple", self.base)
    }
    pub fn anaconda(&self) -> String {
        format!("{}/anaconda", self.base)
    }
    pub fn crates(&self) -> String {
        format!("{}/crates.io-index/", self.base)
    }
    pub fn fedora(&self) -> String {
        format!("{}/fedora", self.base)
    }
    pub fn opensuse(&self) -> String {
        format!("{}/opensuse", self.base)
    }
    pub fn archlinuxcn(&self) -> String {
        format!("{}/archlinuxcn", self.base)
    }
    pub fn npm(&self) -> String {
        format!("{}/npm", self.base)
    }
    pub fn goproxy(&self) -> String {
        format!("{}/goproxy", self.base)
    }
    pub fn rubygems(&self) -> String {
        format!("{}/rubygems/", self.base)
    }
    pub fn maven(&self) -> String {
        format!("{}/maven", self.base)
    }
    fn toml(&self, server: &str) -> String {
        format!(
            r#"id = "{id}"
name = "{id} (real-client test site on loopback)"
homepage = "{server}/"
region = "global"
base = "{base}"
allow_http = true

[repos]
debian = "{{base}}/debian"
archlinux = "{{base}}/archlinux"
pypi = "{{base}}/simple"
anaconda = "{{base}}/anaconda"
crates = "{{base}}/crates.io-index/"
dockerhub = "{dockerhub}"
fedora = "{{base}}/fedora"
opensuse = "{{base}}/opensuse"
archlinuxcn = "{{base}}/archlinuxcn"
npm = "{{base}}/npm"
goproxy = "{{base}}/goproxy"
rubygems = "{{base}}/rubygems/"
maven = "{{base}}/maven"
huggingface = "{{base}}/hf"
rustup = "{{base}}/rustup"
kali = "{{base}}/kali"
raspbian = "{{base}}/raspbian/raspbian"
raspberrypi = "{{base}}/raspberrypi"

[conda]
channels = ["conda-forge"]
pkgs = true
"#,
            id = self.id,
            base = self.base,
            dockerhub = self.dockerhub,
        )
    }
}

/// One test's private world: `<tmp>/root` (system files), `<tmp>/root/root` (user files:
/// root's home inside the `--root`, where `mirror` puts them; `home` names it),
/// `<tmp>/catalog` (sites `loop` and `broken`), and `<tmp>/www` served on 127.0.0.1, which is
/// also the proxy every client is given, so nothing can leave loopback.
pub struct Sandbox {
    pub name: &'static str,
    pub tmp: tempfile::TempDir,
    pub root: PathBuf,
    pub home: PathBuf,
    pub www: PathBuf,
    pub catalog: PathBuf,
    pub server: Server,
    /// The working site: a tiny real repository for every target.
    pub good: Site,
    /// The broken site: indexes answer 404 (apt: signed but expired metadata).
    pub broken: Site,
    /// A site whose every answer is 500.
    pub error: Site,
    /// A site whose every answer is a web server's welcome page (wrong content).
    pub wrong: Site,
    /// A site whose repositories are missing parts (apt: the `bookworm-updates` suite).
    pub partial: Site,
    /// Extra environment for `mirror` itself (its checks run the clients with it), and
    /// folders put in front of its `PATH`.
    mirror_env: RefCell<Vec<(String, std::ffi::OsString)>>,
    started: Instant,
}

impl Sandbox {
    /// `docker_good`/`docker_broken`: the `dockerhub` URLs of the two sites (docker test only;
    /// others point them at the file server, which is not a registry and is never used).
    pub fn new(name: &'static str, docker: Option<(String, String)>) -> Sandbox {
        let tmp = tempfile::Builder::new().prefix(&format!("mirror-rc-{name}-")).tempdir().unwrap();
        let t = tmp.path().to_path_buf();
        let (root, home, www, catalog) = (t.join("root"), t.join("root/root"), t.join("www"), t.join("catalog"));
        for d in [&root, &home, &www, &catalog, &t.join("tmp"), &home.join(".config"), &home.join(".cache")] {
            fs::create_dir_all(d).unwrap();
        }
        let server = Server::start(&www);
        let (dg, db) = docker.unwrap_or_else(|| (server.url(), server.url()));
        let site = |id: &'static str, dockerhub: String| Site { id, base: format!("{}/{id}", server.url()), dockerhub };
        let good = site("loop", dg);
        let broken = site("broken", db);
        // Not registries: the docker tests get a web server where a registry should be.
        let (error, wrong, partial) =
            (site("error", server.url()), site("wrong", server.url()), site("partial", server.url()));
        for s in [&good, &broken, &error, &wrong, &partial] {
            fs::write(catalog.join(format!("{}.toml", s.id)), s.toml(&server.url())).unwrap();
            fs::create_dir_all(www.join(s.id)).unwrap();
        }
        eprintln!("realclients::{name}: sandbox {} server {}", t.display(), server.url());
        Sandbox {
            name,
            tmp,
            root,
            home,
            www,
            catalog,
            server,
            good,
            broken,
            error,
            wrong,
            partial,
            mirror_env: RefCell::new(Vec::new()),
            started: Instant::now(),
        }
    }

    /// Sets `key` in the environment of every later `mirror` run (and so of the clients its
    /// checks run), e.g. `DOCKER_HOST` for the test's own daemon.
    pub fn mirror_env(&self, key: &str, value: impl Into<std::ffi::OsString>) {
        self.mirror_env.borrow_mut().push((key.to_owned(), value.into()));
    }

    /// Puts `dir` in front of `mirror`'s `PATH`, where its checks find the clients.
    pub fn mirror_path(&self, dir: &Path) {
        self.mirror_env.borrow_mut().push(("+PATH".to_owned(), dir.as_os_str().to_owned()));
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.tmp.path().join(rel)
    }

    /// Write a file (creating parents) under the sandbox; returns its path.
    pub fn write(&self, path: &Path, content: &str) -> PathBuf {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, content).unwrap();
        path.to_path_buf()
    }

    pub fn step(&self, what: &str) {
        eprintln!("realclients::{} [{:>5.1}s] {what}", self.name, self.started.elapsed().as_secs_f64());
    }

    // ---- mirror -------------------------------------------------------------------------

    /// `mirror --root R --catalog C ARGS…` with the environment the contract prescribes. The
    /// sandbox server is its proxy for every other host (NO_PROXY keeps loopback direct), so
    /// the clients its checks run cannot leave the machine either; rustup's home lets it run
    /// `cargo`.
    pub fn mirror(&self, args: &[&str]) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_mirror"));
        let mut path: Vec<PathBuf> = Vec::new();
        for (k, v) in self.mirror_env.borrow().iter() {
            if k == "+PATH" {
                path.push(PathBuf::from(v));
            }
        }
        path.extend(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()));
        cmd.env_clear().env("PATH", std::env::join_paths(path).unwrap());
        for var in ["http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"] {
            cmd.env(var, self.server.url());
        }
        if let Some(r) = rustup_home() {
            cmd.env("RUSTUP_HOME", r);
        }
        if let Some(t) = std::env::var_os("RUSTUP_TOOLCHAIN") {
            cmd.env("RUSTUP_TOOLCHAIN", t);
        }
        for (k, v) in self.mirror_env.borrow().iter().filter(|(k, _)| k != "+PATH") {
            cmd.env(k, v);
        }
        cmd.env("HOME", &self.home)
            .env("XDG_CONFIG_HOME", self.home.join(".config"))
            .env("XDG_STATE_HOME", self.home.join(".local/state"))
            .env("XDG_CACHE_HOME", self.home.join(".cache"))
            .env("CARGO_HOME", self.home.join(".cargo"))
            .env("NO_PROXY", "127.0.0.1,localhost")
            .env("no_proxy", "127.0.0.1,localhost")
            .env("MIRROR_NO_PROGRESS", "1")
            .env("MIRROR_ARCH", "amd64")
            .env("NO_COLOR", "1")
            .env("LANG", "C.UTF-8")
            .arg("--root")
            .arg(&self.root)
            .arg("--catalog")
            .arg(&self.catalog)
            .args(args)
            .current_dir(self.tmp.path())
            .stdin(Stdio::null());
        let out = output_with_timeout(&mut cmd, MIRROR_TIMEOUT).expect("run mirror");
        eprintln!(
            "realclients::{}: mirror {} -> {}\n{}",
            self.name,
            args.join(" "),
            out.status,
            indent(&String::from_utf8_lossy(&out.stderr))
        );
        out
    }

    /// `mirror --yes --json use SITE TARGET`; asserts it succeeded and changed TARGET.
    pub fn use_site(&self, site: &Site, target: &str) {
        self.step(&format!("mirror use {} {target}", site.id));
        let out = self.mirror(&["--yes", "--json", "use", site.id, target]);
        assert!(out.status.success(), "`mirror use {} {target}` failed: {}", site.id, show(&out));
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("`mirror --json use` did not print JSON ({e}): {}", show(&out)));
        let row = doc["targets"]
            .as_array()
            .and_then(|ts| ts.iter().find(|t| t["target"] == target))
            .unwrap_or_else(|| panic!("no `{target}` row in `mirror use` JSON: {doc}"));
        assert_eq!(row["status"], "changed", "`mirror use {} {target}`: {row}", site.id);
    }

    /// `mirror --yes --json use SITE TARGET --verify`; asserts it changed TARGET and that its
    /// check, made `by` that client (`apt-get`, `pip`, `probe`, …), passed.
    pub fn use_verified(&self, site: &Site, target: &str, by: &str) {
        self.step(&format!("mirror use {} {target} --verify", site.id));
        let out = self.mirror(&["--yes", "--json", "use", site.id, target, "--verify"]);
        assert!(out.status.success(), "`mirror use {} {target} --verify` failed: {}", site.id, show(&out));
        let row = target_row(&out, target);
        assert_eq!(row["status"], "changed", "{row:#}");
        assert_eq!(row["verify"]["status"], "passed", "{row:#}");
        assert_eq!(row["verify"]["by"], by, "checked by what? {row:#}");
    }

    /// `mirror use SITE TARGET --verify` against a broken mirror: the check, made `by` that
    /// client, must fail, exit 1, and every file in `files` be byte-identical to before.
    pub fn assert_check_catches(&self, site: &Site, target: &str, by: &str, files: &[&Path]) {
        self.step(&format!("mirror use {} {target} --verify (broken)", site.id));
        let before: Vec<Vec<u8>> = files.iter().map(|f| fs::read(f).unwrap_or_default()).collect();
        let out = self.mirror(&["--yes", "--json", "use", site.id, target, "--verify"]);
        assert_eq!(out.status.code(), Some(1), "the check should fail: {}", show(&out));
        let row = target_row(&out, target);
        assert_eq!(row["status"], "failed", "{row:#}");
        assert_eq!(row["verify"]["status"], "failed", "{row:#}");
        assert_eq!(row["verify"]["by"], by, "checked by what? {row:#}");
        eprintln!("realclients::{}: caught: {}", self.name, row["verify"]["reason"]);
        for (f, b) in files.iter().zip(&before) {
            assert_eq!(&fs::read(f).unwrap_or_default(), b, "`{}` changed: {row:#}", f.display());
        }
    }

    /// `mirror --yes --json restore`; asserts success.
    pub fn restore(&self) {
        self.step("mirror restore");
        let out = self.mirror(&["--yes", "--json", "restore"]);
        assert!(out.status.success(), "`mirror restore` failed: {}", show(&out));
    }

    /// After a `use` of the broken site: `mirror status TARGET --check` must report it failing
    /// before the user finds out from the client.
    pub fn assert_status_check_reports_failing(&self, target: &str) {
        self.step(&format!("mirror status {target} --check"));
        let out = self.mirror(&["--json", "status", target, "--check"]);
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("`mirror --json status --check` did not print JSON ({e}): {}", show(&out)));
        let row = doc["targets"]
            .as_array()
            .and_then(|ts| ts.iter().find(|t| t["target"] == target))
            .unwrap_or_else(|| panic!("no `{target}` row in `mirror status` JSON: {doc}"));
        let status = row["check"]["status"].as_str().unwrap_or("");
        assert!(
            status == "failed" || status == "stale",
            "`mirror status {target} --check` should report the broken site as failed/stale: {row}"
        );
    }

    // ---- real clients -------------------------------------------------------------------

    /// A real client with a scrubbed environment: nothing from the caller's environment
    /// (no `PIP_*`, `UV_*`, `CARGO_*`, `CONDARC`, CA-bundle or proxy variables) except `PATH`
    /// and rustup's home; the fake HOME/XDG dirs; and the sandbox server as the proxy for
    /// every non-loopback host, so a client that reaches for an upstream is *recorded*
    /// (and refused) instead of touching the network.
    pub fn client(&self, program: impl AsRef<OsStr>) -> Command {
        let mut cmd = Command::new(program);
        let proxy = self.server.url();
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &self.home)
            .env("XDG_CONFIG_HOME", self.home.join(".config"))
            .env("XDG_CACHE_HOME", self.home.join(".cache"))
            .env("XDG_STATE_HOME", self.home.join(".local/state"))
            .env("XDG_DATA_HOME", self.home.join(".local/share"))
            .env("XDG_CONFIG_DIRS", self.path("no-xdg-config-dirs"))
            .env("TMPDIR", self.path("tmp"))
            .env("LANG", "C.UTF-8")
            .env("NO_COLOR", "1");
        for var in ["http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"] {
            cmd.env(var, &proxy);
        }
        cmd.env("no_proxy", "127.0.0.1,localhost").env("NO_PROXY", "127.0.0.1,localhost");
        if let Some(r) = rustup_home() {
            cmd.env("RUSTUP_HOME", r);
        }
        if let Some(t) = std::env::var_os("RUSTUP_TOOLCHAIN") {
            cmd.env("RUSTUP_TOOLCHAIN", t);
        }
        cmd.current_dir(self.tmp.path()).stdin(Stdio::null());
        cmd
    }

    /// Run a client, log it, return its output.
    pub fn run(&self, what: &str, cmd: &mut Command) -> Output {
        let t = Instant::now();
        let out = output_with_timeout(cmd, CLIENT_TIMEOUT).unwrap_or_else(|e| panic!("{what}: {cmd:?}: {e}"));
        self.step(&format!("{what}: {} in {:.1}s", out.status, t.elapsed().as_secs_f64()));
        out
    }

    /// Run a client and require success.
    pub fn ok(&self, what: &str, cmd: &mut Command) -> String {
        let out = self.run(what, cmd);
        assert!(out.status.success(), "{what} failed: {}\nserver log:\n{}", show(&out), self.server.dump());
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Run a client and require failure; returns stdout+stderr.
    pub fn fails(&self, what: &str, cmd: &mut Command) -> String {
        let out = self.run(what, cmd);
        assert!(
            !out.status.success(),
            "{what} should have failed: {}\nserver log:\n{}",
            show(&out),
            self.server.dump()
        );
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
    }

    /// Assert some direct request under `prefix` got `status`.
    pub fn assert_hit(&self, prefix: &str, status: u16) {
        let hits = self.server.direct_hits(prefix);
        assert!(
            hits.iter().any(|h| h.status == status),
            "expected a request for {prefix}… answered {status}; server log:\n{}",
            self.server.dump()
        );
    }

    /// Assert no direct request went to `prefix` (e.g. a site after `restore`).
    pub fn assert_no_hit(&self, prefix: &str) {
        let hits = self.server.direct_hits(prefix);
        assert!(hits.is_empty(), "expected no request for {prefix}…; server log:\n{}", self.server.dump());
    }

    /// Assert the client went for `host` (through the recording proxy).
    pub fn assert_proxied(&self, host: &str) {
        assert!(
            !self.server.proxy_hits(host).is_empty(),
            "expected the client to reach for {host} (via the recording proxy); server log:\n{}",
            self.server.dump()
        );
    }

    /// Assert nothing but `allowed` hosts were asked for through the proxy.
    pub fn assert_only_proxied(&self, allowed: &[&str]) {
        let stray: Vec<_> = self
            .server
            .hits()
            .into_iter()
            .filter(|h| h.host.as_deref().is_some_and(|host| !allowed.contains(&host)))
            .collect();
        assert!(stray.is_empty(), "unexpected upstream requests: {stray:?}\nserver log:\n{}", self.server.dump());
    }
}

/// The row of `target` in a `mirror --json use` document.
fn target_row(out: &Output, target: &str) -> serde_json::Value {
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("`mirror --json use` did not print JSON ({e}): {}", show(out)));
    doc["targets"]
        .as_array()
        .and_then(|ts| ts.iter().find(|t| t["target"] == target).cloned())
        .unwrap_or_else(|| panic!("no `{target}` row in `mirror use` JSON: {doc}"))
}

/// No single client run may hang the suite.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(120);
const MIRROR_TIMEOUT: Duration = Duration::from_secs(60);

/// `Command::output` with a deadline: past it the child is killed and this is an error.
pub fn output_with_timeout(cmd: &mut Command, timeout: Duration) -> std::io::Result<Output> {
    use std::io::Read;
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn()?;
    let (mut so, mut se) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
    let out_t = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = so.read_to_end(&mut b);
        b
    });
    let err_t = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = se.read_to_end(&mut b);
        b
    });
    let t = Instant::now();
    let status = loop {
        if let Some(st) = child.try_wait()? {
            break st;
        }
        if t.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            let (o, e) = (out_t.join().unwrap_or_default(), err_t.join().unwrap_or_default());
            return Err(std::io::Error::other(format!(
                "timed out after {timeout:?}\n--- stdout\n{}--- stderr\n{}",
                String::from_utf8_lossy(&o),
                String::from_utf8_lossy(&e)
            )));
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Ok(Output { status, stdout: out_t.join().unwrap_or_default(), stderr: err_t.join().unwrap_or_default() })
}

pub fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

pub fn show(out: &Output) -> String {
    format!(
        "{}\n--- stdout\n{}--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn indent(s: &str) -> String {
    s.lines().map(|l| format!("    {l}\n")).collect()
}

/// Run a builder script (from tests/realclients) with the caller's environment, require success.
pub fn build(what: &str, cmd: &mut Command) {
    let t = Instant::now();
    let out = output_with_timeout(cmd, CLIENT_TIMEOUT).unwrap_or_else(|e| panic!("{what}: {cmd:?}: {e}"));
    assert!(out.status.success(), "{what} failed: {}", show(&out));
    eprintln!("realclients: built {what} in {:.1}s", t.elapsed().as_secs_f64());
}

#[cfg(unix)]
pub fn symlink(target: &Path, link: &Path) {
    fs::create_dir_all(link.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(target, link).unwrap();
}

/// Ask for a free loopback port (for daemons that cannot report an ephemeral one).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

pub fn wait_for<T>(what: &str, timeout: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let t = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(t.elapsed() < timeout, "timed out after {timeout:?} waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A child process that is stopped with SIGTERM (then SIGKILL) when dropped.
pub struct ChildGuard {
    pub name: String,
    pub child: Child,
}

impl ChildGuard {
    pub fn spawn(name: &str, cmd: &mut Command) -> ChildGuard {
        let child = cmd.spawn().unwrap_or_else(|e| panic!("spawn {name}: {e}"));
        ChildGuard { name: name.to_string(), child }
    }

    pub fn signal(&self, sig: &str) {
        let _ = Command::new("kill").args([&format!("-{sig}"), &self.child.id().to_string()]).status();
    }

    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// TERM, wait up to `grace`, then KILL.
    pub fn stop(&mut self, grace: Duration) {
        if !self.is_running() {
            return;
        }
        self.signal("TERM");
        let t = Instant::now();
        while t.elapsed() < grace {
            if !self.is_running() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        eprintln!("realclients: {} ignored SIGTERM for {grace:?}, killing it", self.name);
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        self.stop(Duration::from_secs(5));
    }
}
