//! `mirror bench` against the farm of fake mirrors in `tests/farm/`: the real binary, a
//! hermetic environment, `--json`, and assertions on order and classification. Never on
//! timings but one generous bound (a hanging server cannot hold a run far past its
//! `--timeout`); how fast a run is belongs to `benches/farm.rs`. The farm's delays are set
//! far apart (150 ms steps), so a loaded CI machine cannot swap two sites.

mod farm;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use farm::report::{Bench, Row, TargetRow};
use farm::{DAY, Farm, Feed, Mode, NOW, Spec};

const DEBIAN: &str =
    "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n";

/// A fake system root, home and state directory.
struct Env {
    dir: tempfile::TempDir,
    arch: String,
}

impl Env {
    fn new(os_release: &str, arch: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let etc = dir.path().join("root/etc");
        std::fs::create_dir_all(&etc).unwrap();
        std::fs::write(etc.join("os-release"), os_release).unwrap();
        // Under `--root` the user files are in root's home inside it; `home` names that folder.
        std::fs::create_dir_all(dir.path().join("root/root")).unwrap();
        std::os::unix::fs::symlink("root/root", dir.path().join("home")).unwrap();
        Self { dir, arch: arch.into() }
    }

    fn debian() -> Self {
        Self::new(DEBIAN, "amd64")
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// The binary with a hermetic environment: nothing of the caller's but `PATH` (no proxies,
    /// CA settings, `PIP_*`, `UV_*`, `CARGO_*`, `MIRROR_*`, …), fake HOME/XDG dirs, fixed clock
    /// and architecture, no progress bars or colour.
    fn cmd(&self, farm: &Farm, args: &[&str]) -> Command {
        self.cmd_with(farm.catalog(), args)
    }

    fn cmd_with(&self, catalog: &Path, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_mirror"));
        cmd.args(args).arg("--catalog").arg(catalog).arg("--root").arg(self.path("root"));
        farm::hermetic(&mut cmd, self.dir.path(), &self.arch);
        cmd
    }

    fn run(&self, farm: &Farm, args: &[&str]) -> (Output, Duration) {
        let began = Instant::now();
        let out = self.cmd(farm, args).output().expect("run mirror");
        (out, began.elapsed())
    }

    /// Runs `mirror bench --json ARGS` and parses stdout.
    fn bench(&self, farm: &Farm, args: &[&str]) -> (Bench, Output, Duration) {
        let mut all = vec!["bench", "--json"];
        all.extend_from_slice(args);
        let (out, took) = self.run(farm, &all);
        let stdout = String::from_utf8_lossy(&out.stdout);
        let parsed: Bench = serde_json::from_str(&stdout).unwrap_or_else(|e| {
            panic!("stdout is not the bench JSON ({e}):\n{stdout}\nstderr:\n{}", String::from_utf8_lossy(&out.stderr))
        });
        (parsed, out, took)
    }
}

fn status(out: &Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn order(t: &TargetRow) -> Vec<(&str, &str)> {
    t.results.iter().map(|r| (r.site.as_str(), r.status.as_str())).collect()
}

fn row<'a>(t: &'a TargetRow, site: &str) -> &'a Row {
    t.results.iter().find(|r| r.site == site).unwrap_or_else(|| panic!("no row for {site}: {t:#?}"))
}

/// Three good sites whose throughput order differs from their latency order, a stale site
/// that would be fastest, and one site per failure mode. Latencies are 150 ms apart and
/// bandwidths at least 4× apart; delta answers last of the four (its two requests take
/// 900 ms), still well before the cut-off that gamma's answer (at 600 ms) sets at 1.2 s.
fn lineup() -> Vec<Spec> {
    vec![
        Spec::new("alpha").ttfb(0).mbps(40),
        Spec::new("beta").ttfb(150).mbps(2),
        Spec::new("gamma").ttfb(300).mbps(10),
        Spec::new("delta").ttfb(450).mbps(100).lag(3 * DAY),
        Spec::new("refuse").mode(Mode::Refuse),
        Spec::new("hang").mode(Mode::Hang),
        Spec::new("drip").mode(Mode::Drip),
        Spec::new("endless").mode(Mode::Endless).mbps(20),
        Spec::new("loop").mode(Mode::RedirectLoop),
        Spec::new("e403").mode(Mode::Status(403)),
        Spec::new("e429").mode(Mode::Status(429)),
        Spec::new("e451").mode(Mode::Status(451)),
        Spec::new("e404").mode(Mode::Status(404)),
        Spec::new("e500").mode(Mode::Status(500)),
        Spec::new("wrong").mode(Mode::WrongContent),
        Spec::new("garbage").mode(Mode::Garbage),
    ]
}

const THROTTLED: [(&str, &str); 3] = [("e403", "throttled"), ("e429", "throttled"), ("e451", "throttled")];
const FAILED: [(&str, &str); 9] = [
    ("drip", "failed"),
    ("e404", "failed"),
    ("e500", "failed"),
    ("endless", "failed"),
    ("garbage", "failed"),
    ("hang", "failed"),
    ("loop", "failed"),
    ("refuse", "failed"),
    ("wrong", "failed"),
];

fn expected(ok: &[&'static str], stale: &[&'static str]) -> Vec<(&'static str, &'static str)> {
    let mut v: Vec<(&str, &str)> = ok.iter().map(|s| (*s, "ok")).collect();
    v.extend(stale.iter().map(|s| (*s, "stale")));
    v.extend(THROTTLED);
    v.extend(FAILED);
    v
}

/// Checks one target's ranking over the full lineup.
fn assert_lineup(t: &TargetRow, target: &str) {
    assert_eq!(t.target, target);
    if matches!(target, "docker" | "podman" | "containerd") {
        // No freshness signal: delta is fine, and measured like the others on a layer.
        assert_eq!(order(t), expected(&["delta", "alpha", "gamma", "beta"], &[]), "{t:#?}");
        assert_eq!(t.best.as_deref(), Some("delta"));
        assert!(row(t, "alpha").lag_seconds.is_none(), "no freshness signal: {t:#?}");
    } else {
        assert_eq!(order(t), expected(&["alpha", "gamma", "beta"], &["delta"]), "{target}: {t:#?}");
        assert_eq!(t.best.as_deref(), Some("alpha"));
        assert_eq!(row(t, "alpha").lag_seconds, Some(0));
        let delta = row(t, "delta");
        assert!(delta.reason.starts_with("stale: ") && delta.reason.contains("3d"), "{delta:?}");
        assert!(delta.lag_seconds.unwrap() >= 3 * DAY - 3600, "{delta:?}");
        assert_eq!(delta.throughput_bps, None, "stale sites are not sampled");
    }
    // Every usable site has a throughput figure, the best the finals' fastest.
    let best = &t.results[0];
    assert!(best.reason.starts_with("fastest throughput"), "{best:?}");
    for r in t.results.iter().filter(|r| r.status == "ok") {
        assert!(r.throughput_bps.is_some() && r.latency_ms.is_some(), "{target}: {r:?}");
    }
    for (site, why) in [
        ("e403", "access refused: 403"),
        ("e429", "throttled: 429"),
        ("e451", "throttled: 451"),
        ("e404", "HTTP 404"),
        ("e500", "HTTP 500"),
        ("refuse", "connection refused"),
        ("loop", "redirect loop"),
        ("wrong", "wrong content"),
        ("garbage", "garbled answer"),
        ("hang", "no answer within"),
        // GET: headers, then a byte every 100 ms; HEAD (conda): the headers themselves drip.
        (
            "drip",
            if matches!(target, "conda" | "pixi" | "homebrew") { "no answer within" } else { "did not arrive within" },
        ),
    ] {
        let r = row(t, site);
        assert!(r.reason.contains(why), "{target} {site}: {}", r.reason);
        assert_eq!((r.latency_ms, r.throughput_bps, r.lag_seconds), (None, None, None), "{target} {site}");
    }
    let endless = &row(t, "endless").reason;
    assert!(endless.contains("budget") || endless.contains("wrong content"), "{target} endless: {endless}");
    // Every row names the URL it judged.
    for r in &t.results {
        assert!(r.url.starts_with("http://127.0.0.1:"), "{r:?}");
    }
}

fn bench_one_target(target: &str) {
    let farm = Farm::start(&lineup());
    let env = Env::debian();
    let (b, out, _) = env.bench(&farm, &[target, "--timeout", "3s"]);
    assert_eq!(status(&out), 0, "{}", stderr(&out));
    assert_eq!(b.targets.len(), 1);
    assert_lineup(&b.targets[0], target);
    // The endless body was not read to its end: a few MiB at most left the farm for it.
    assert!(farm.site_bytes("endless") < 4 << 20, "{}", farm.site_bytes("endless"));
}

#[test]
fn apt_ranking_and_every_failure_mode() {
    bench_one_target("apt");
}

#[test]
fn pacman_ranking_and_every_failure_mode() {
    bench_one_target("pacman");
}

#[test]
fn pip_ranking_and_every_failure_mode() {
    bench_one_target("pip");
}

#[test]
fn uv_ranking_and_every_failure_mode() {
    bench_one_target("uv");
}

#[test]
fn conda_ranking_and_every_failure_mode() {
    bench_one_target("conda");
}

#[test]
fn cargo_ranking_and_every_failure_mode() {
    bench_one_target("cargo");
}

#[test]
fn docker_ranking_and_every_failure_mode() {
    bench_one_target("docker");
}

#[test]
fn dnf_ranking_and_every_failure_mode() {
    bench_one_target("dnf");
}

#[test]
fn zypper_ranking_and_every_failure_mode() {
    bench_one_target("zypper");
}

#[test]
fn apk_ranking_and_every_failure_mode() {
    bench_one_target("apk");
}

#[test]
fn archlinuxcn_ranking_and_every_failure_mode() {
    bench_one_target("archlinuxcn");
}

#[test]
fn podman_and_containerd_rank_like_docker_from_one_probe() {
    let farm = Farm::start(&lineup());
    let env = Env::debian();
    let (b, out, _) = env.bench(&farm, &["docker", "podman", "containerd", "--timeout", "3s"]);
    assert_eq!(status(&out), 0, "{}", stderr(&out));
    for (t, name) in b.targets.iter().zip(["docker", "podman", "containerd"]) {
        assert_lineup(t, name);
    }
    assert_eq!(order(&b.targets[0]), order(&b.targets[1]));
    assert_eq!(order(&b.targets[0]), order(&b.targets[2]));
    let manifests = farm.requests("alpha").iter().filter(|r| r.path == "/v2/library/alpine/manifests/latest").count();
    assert_eq!(manifests, 1, "docker, podman and containerd share one probe of the registry");
}

#[test]
fn a_registry_that_wants_a_token_is_measured_and_v_shows_each_request_of_the_chain() {
    // As Docker Hub does: 401 with a Bearer challenge, an anonymous token from its realm,
    // then the manifest list, the platform's manifest and a layer.
    let farm = Farm::start(&[Spec::new("hub").mode(Mode::TokenAuth).mbps(20), Spec::new("plain").ttfb(20).mbps(5)]);
    let env = Env::debian();
    let (b, out, _) = env.bench(&farm, &["docker", "-v", "--timeout", "3s"]);
    assert_eq!(status(&out), 0, "{}", stderr(&out));
    let t = &b.targets[0];
    assert_eq!(order(t), [("hub", "ok"), ("plain", "ok")], "{t:#?}");
    assert!(row(t, "hub").throughput_bps.is_some(), "{t:#?}");
    let err = stderr(&out);
    let hub = farm.base("hub");
    for said in [
        format!(
            "docker hub: token: GET {hub}/token?service=farm-registry&scope=repository%3Alibrary%2Falpine%3Apull → 200 in "
        ),
        format!("docker hub: manifest: GET {hub}/v2/library/alpine/manifests/latest → 200 in "),
        format!("docker hub: manifest: GET {hub}/v2/library/alpine/manifests/sha256:"),
    ] {
        assert!(err.contains(&said), "no `{said}` in:\n{err}");
    }
    assert!(!err.contains("farm-anonymous-token"), "the token is never shown:\n{err}");
}

#[test]
fn the_host_decides_the_rpm_and_alpine_trees() {
    let farm = Farm::start(&[Spec::new("alpha")]);
    for (os, target, path) in [
        ("ID=fedora\nVERSION_ID=40\n", "dnf", "/fedora/updates/40/Everything/x86_64/repodata/repomd.xml"),
        ("ID=\"rocky\"\nVERSION_ID=\"9.4\"\n", "dnf", "/rocky/9/BaseOS/x86_64/os/repodata/repomd.xml"),
        ("ID=\"centos\"\nVERSION_ID=\"9\"\n", "dnf", "/centos-stream/9-stream/BaseOS/x86_64/os/repodata/repomd.xml"),
        (
            "ID=\"openEuler\"\nVERSION=\"22.03 (LTS-SP3)\"\nVERSION_ID=\"22.03\"\n",
            "dnf",
            "/openeuler/openEuler-22.03-LTS-SP3/update/x86_64/repodata/repomd.xml",
        ),
        ("ID=debian\n", "dnf", "/fedora/development/rawhide/Everything/x86_64/os/repodata/repomd.xml"),
        ("ID=\"opensuse-leap\"\nVERSION_ID=\"15.6\"\n", "zypper", "/opensuse/update/leap/15.6/oss/repodata/repomd.xml"),
        ("ID=alpine\nVERSION_ID=3.20.3\n", "apk", "/alpine/v3.20/main/x86_64/APKINDEX.tar.gz"),
    ] {
        let env = Env::new(os, "amd64");
        let (b, out, _) = env.bench(&farm, &[target]);
        assert_eq!(status(&out), 0, "{os}: {}", stderr(&out));
        assert_eq!(b.targets[0].best.as_deref(), Some("alpha"), "{os}: {:#?}", b.targets[0]);
        let paths = probed_paths(&farm, "alpha");
        assert!(paths.contains(&path.to_owned()), "{os}: {paths:?}");
    }
    // The primary metadata repomd.xml names is the bulk sample.
    assert!(probed_paths(&farm, "alpha").iter().any(|p| p.ends_with("-primary.xml.gz")));
}

const KALI: &str = "PRETTY_NAME=\"Kali GNU/Linux Rolling\"\nID=kali\nID_LIKE=debian\nVERSION_ID=\"2024.4\"\nVERSION_CODENAME=kali-rolling\n";
const RASPBIAN: &str = "PRETTY_NAME=\"Raspbian GNU/Linux 12 (bookworm)\"\nID=raspbian\nID_LIKE=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n";

/// The stock file at `rel` under the env's root.
fn stock(env: &Env, rel: &str, fixture: &str) -> PathBuf {
    let path = env.path(&format!("root/{rel}"));
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let text = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/apt").join(fixture)).unwrap();
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn kali_is_ranked_on_its_own_archive_and_use_best_switches_it() {
    let farm = Farm::start(&lineup());
    let env = Env::new(KALI, "amd64");
    let list = stock(&env, "etc/apt/sources.list", "kali-rolling.list");
    let (b, out, _) = env.bench(&farm, &["apt", "--timeout", "3s"]);
    assert_eq!(status(&out), 0, "{}", stderr(&out));
    assert_lineup(&b.targets[0], "apt");
    assert!(b.targets[0].results.iter().all(|r| r.url.ends_with("/kali")), "{:#?}", b.targets[0]);
    let paths = probed_paths(&farm, "alpha");
    assert!(paths.contains(&"/kali/dists/kali-rolling/InRelease".to_owned()), "{paths:?}");
    assert!(paths.contains(&"/kali/dists/kali-rolling/main/binary-amd64/Packages.xz".to_owned()), "{paths:?}");
    assert!(!paths.iter().any(|p| p.starts_with("/debian/")), "a Kali host never probes Debian: {paths:?}");

    let (out, _) = env.run(&farm, &["use", "best", "apt", "--yes", "--json"]);
    assert_eq!(status(&out), 0, "{}", stderr(&out));
    assert_eq!(json_of(&out)["targets"][0]["reason"], "now alpha");
    let alpha = farm.base("alpha");
    let text = std::fs::read_to_string(&list).unwrap();
    assert!(
        text.contains(&format!("\ndeb {alpha}/kali kali-rolling main contrib non-free non-free-firmware\n")),
        "{text}"
    );
    let (out, _) = env.run(&farm, &["status", "apt", "--check", "--json"]);
    assert_eq!(status(&out), 0, "{}", stderr(&out));
    let doc = json_of(&out);
    assert_eq!(doc["targets"][0]["site"], "alpha", "{doc}");
    assert_eq!(doc["targets"][0]["check"]["status"], "ok", "{doc}");
}

#[test]
fn raspbian_is_ranked_on_its_own_archive_and_use_best_switches_raspi_list_too() {
    let farm = Farm::start(&[Spec::new("alpha").mbps(40), Spec::new("beta").ttfb(150).mbps(2)]);
    let env = Env::new(RASPBIAN, "armhf");
    let list = stock(&env, "etc/apt/sources.list", "raspbian-bookworm.list");
    let raspi = stock(&env, "etc/apt/sources.list.d/raspi.list", "raspi.list");
    let (b, out, _) = env.bench(&farm, &["apt"]);
    assert_eq!(status(&out), 0, "{}", stderr(&out));
    assert_eq!(b.targets[0].best.as_deref(), Some("alpha"), "{:#?}", b.targets[0]);
    let paths = probed_paths(&farm, "alpha");
    assert!(paths.contains(&"/raspbian/raspbian/dists/bookworm/InRelease".to_owned()), "{paths:?}");
    assert!(paths.contains(&"/raspbian/raspbian/dists/bookworm/main/binary-armhf/Packages.xz".to_owned()), "{paths:?}");

    let (out, _) = env.run(&farm, &["use", "best", "apt", "--yes", "--json"]);
    assert_eq!(status(&out), 0, "{}", stderr(&out));
    let alpha = farm.base("alpha");
    let text = std::fs::read_to_string(&list).unwrap();
    assert!(
        text.starts_with(&format!("deb {alpha}/raspbian/raspbian/ bookworm main contrib non-free rpi\n")),
        "{text}"
    );
    let text = std::fs::read_to_string(&raspi).unwrap();
    assert!(text.starts_with(&format!("deb {alpha}/raspberrypi/ bookworm main\n")), "{text}");
    let (out, _) = env.run(&farm, &["status", "apt", "--json"]);
    assert_eq!(json_of(&out)["targets"][0]["site"], "alpha");
}

#[test]
fn npm_ranking_and_every_failure_mode() {
    bench_one_target("npm");
}

#[test]
fn yarn_ranking_and_every_failure_mode() {
    bench_one_target("yarn");
}

#[test]
fn go_ranking_and_every_failure_mode() {
    bench_one_target("go");
}

#[test]
fn rustup_ranking_and_every_failure_mode() {
    bench_one_target("rustup");
}

#[test]
fn homebrew_ranking_and_every_failure_mode() {
    bench_one_target("homebrew");
}

#[test]
fn huggingface_ranking_and_every_failure_mode() {
    bench_one_target("huggingface");
}

#[test]
fn rubygems_ranking_and_every_failure_mode() {
    bench_one_target("rubygems");
}

#[test]
fn maven_ranking_and_every_failure_mode() {
    bench_one_target("maven");
}

#[test]
fn pdm_and_pixi_rank_like_pip_and_conda() {
    bench_one_target("pdm");
    bench_one_target("pixi");
}

/// What each new target samples: the bulk object named in the README's ranking table.
#[test]
fn the_new_targets_sample_their_bulk_objects() {
    // One target a run: within a run a host is screened once for all the targets it serves.
    let env = Env::debian();
    for (target, sample) in [
        ("npm", "/npm/typescript/-/typescript-5.6.3.tgz"),
        ("go", "/goproxy/golang.org/x/text/@v/v0.21.0.zip"),
        // The component the channel manifest names, on the site itself (as rustup rebases it).
        ("rustup", "/rustup/dist/2026-08-08/cargo-1.83.0-aarch64-apple-darwin.tar.xz"),
        ("homebrew", "/homebrew-bottles/api/formula.jws.json"),
        ("huggingface", "/huggingface/google-bert/bert-base-uncased/resolve/main/model.safetensors"),
        ("rubygems", "/rubygems/versions"),
        ("maven", "/maven/software/amazon/awssdk/s3/2.29.0/s3-2.29.0.jar"),
    ] {
        let farm = Farm::start(&[Spec::new("alpha").mbps(40), Spec::new("beta").ttfb(150).mbps(10)]);
        let (b, out, _) = env.bench(&farm, &[target, "--timeout", "5s"]);
        assert_eq!(status(&out), 0, "{}", stderr(&out));
        let t = &b.targets[0];
        assert_eq!(t.best.as_deref(), Some("alpha"), "{t:#?}");
        for r in &t.results {
            assert_eq!(r.status, "ok", "{target}: {r:?}");
            assert_eq!(r.lag_seconds, Some(0), "{target}: {r:?}");
            assert!(r.throughput_bps.is_some(), "{target}: {r:?}");
        }
        let paths = probed_paths(&farm, "alpha");
        assert!(paths.iter().any(|p| p == sample), "{target}: {sample} not sampled: {paths:#?}");
    }
}

#[test]
fn all_targets_in_one_run_share_probes_and_respect_the_per_host_cap() {
    let specs = vec![
        // alpha is at least 10x as fast as the other fresh sites: a loaded machine (two tests at once
        // on two cores) can stretch the 3 ms of its 128 KiB screen, not past every other's.
        Spec::new("alpha").ttfb(0).mbps(40),
        Spec::new("beta").ttfb(70).mbps(2),
        Spec::new("gamma").ttfb(130).mbps(4),
        // Fastest, but 3 days behind: it wins docker only, which has no freshness signal.
        Spec::new("delta").ttfb(100).mbps(100).lag(3 * DAY),
        // Slow answers keep many requests in flight at once: the cap must hold.
        Spec::new("slow").ttfb(250).mbps(4),
        Spec::new("hang").mode(Mode::Hang),
        Spec::new("e429").mode(Mode::Status(429)),
        // A redirector (CERNET's sends users to campus mirrors): its requests land on alpha
        // too, and count against alpha's cap, not its own.
        Spec::new("hop").mode(Mode::RedirectTo("alpha".into())),
    ];
    let farm = Farm::start(&specs);
    let env = Env::debian();
    let seven = ["apt", "pacman", "pip", "uv", "conda", "cargo", "docker"];
    let mut args = seven.to_vec();
    args.extend(["--timeout", "3s"]);
    let (b, out, _) = env.bench(&farm, &args);
    assert_eq!(status(&out), 0, "{}", stderr(&out));
    let names: Vec<&str> = b.targets.iter().map(|t| t.target.as_str()).collect();
    assert_eq!(names, seven);
    for t in &b.targets {
        let hub = matches!(t.target.as_str(), "docker" | "podman" | "containerd");
        // hop's answers are alpha's: either may measure a hair faster.
        let want: &[&str] = if hub { &["delta"] } else { &["alpha", "hop"] };
        assert!(t.best.as_deref().is_some_and(|b| want.contains(&b)), "{t:#?}");
        assert_eq!(row(t, "hang").status, "failed");
        assert_eq!(row(t, "e429").status, "throttled");
        assert!(row(t, "hop").status == "ok" || row(t, "hop").status == "slow", "{t:#?}");
        if !hub {
            assert_eq!(row(t, "delta").status, "stale", "{t:#?}");
        }
    }
    // pip and uv are the same index: probed once, ranked the same.
    let pip = order(&b.targets[2]);
    let uv = order(&b.targets[3]);
    assert_eq!(pip, uv);
    let simple_pages = farm.requests("alpha").iter().filter(|r| r.path.ends_with("/pip/")).count();
    assert_eq!(simple_pages, 2, "pip and uv share one probe (alpha's own, and hop's redirected to it)");
    // The per-host cap of `Options::new` (6, as browsers allow).
    for site in ["alpha", "beta", "gamma", "delta", "slow", "hang"] {
        assert!(farm.max_in_flight(site) <= 6, "{site}: {} requests at once", farm.max_in_flight(site));
    }
}

#[test]
fn the_per_host_cap_is_what_holds_back_a_busy_host() {
    use mirror::probe::{self, Options};
    use mirror::targets::{Host, TargetKind};
    // One slow host serving seven targets: their probes want it all at once, so the cap is
    // what holds them back, at whatever it is set to.
    let targets = [
        TargetKind::Apt,
        TargetKind::Pacman,
        TargetKind::Pip,
        TargetKind::Conda,
        TargetKind::Cargo,
        TargetKind::Docker,
        TargetKind::Npm,
    ];
    for cap in [2, 4] {
        let farm = Farm::start(&[Spec::new("slow").ttfb(150).mbps(10)]);
        let env = Env::debian();
        let ctx = library_context(&env, farm.catalog());
        let host = Host::detect(&ctx).unwrap();
        let catalog = mirror::catalog::Catalog::from_path(farm.catalog()).unwrap();
        let opts = Options {
            proxy_from_env: false,
            per_host: cap,
            ..Options::new(Duration::from_secs(5), Duration::from_secs(DAY))
        };
        let report = probe::bench(&ctx, &catalog, &host, &targets, &opts).unwrap();
        assert!(report.targets.iter().all(|t| t.best.as_deref() == Some("slow")), "cap {cap}: {report:#?}");
        // Reached: the cap is what holds the probes back. (One over it may be seen: a body the
        // client drops part-way counts at the farm until it notices the closed connection, a
        // moment after the client has its slot back.)
        let seen = farm.max_in_flight("slow");
        assert!((cap..=cap + 1).contains(&seen), "cap {cap}: {seen} at once");
    }
}

/// Whether a request is a screen or final of a bulk object.
fn is_bulk(r: &farm::Request) -> bool {
    let p = r.path.as_str();
    p.ends_with("Packages.xz")
        || p.ends_with("/extra.db")
        || (p.ends_with("repodata.json") && r.method == "GET")
        || p.ends_with(".whl")
        || p.ends_with("/download")
        || p.contains("/blobs/")
        || p.ends_with("-primary.xml.gz")
        || (p.ends_with("/archlinuxcn.db") && r.range.as_deref() != Some("bytes=0-4095"))
        || (p.ends_with("/APKINDEX.tar.gz") && p.contains("/community/"))
        || p.ends_with(".tgz")
        || p.ends_with(".zip")
        || p.ends_with(".tar.xz")
        || (p.ends_with(".jws.json") && r.method == "GET")
        || p.ends_with(".safetensors")
        || p.ends_with("/rubygems/versions") && r.range.as_deref() != Some("bytes=0-4095")
        || p.ends_with(".jar")
}

/// The most a request may have cost the farm: its body budget plus room for headers.
fn budget(r: &farm::Request) -> u64 {
    const HEADERS: u64 = 1024;
    let p = r.path.as_str();
    let body = if is_bulk(r) {
        1 << 20
    } else if p.ends_with("/InRelease")
        || p.ends_with("/core.db")
        || p.ends_with("/APKINDEX.tar.gz")
        || p.ends_with("/archlinuxcn.db")
    {
        4 << 10
    } else if p.ends_with("/botocore/") {
        2 << 10
    } else if p.ends_with("/pip/") {
        8 << 10
    } else if p.ends_with("/aws-sdk-s3") || p.ends_with("/info/aws-sdk-core") || p.ends_with("channel-rust-stable.toml")
    {
        16 << 10
    } else if p.contains("/npm/") {
        3 << 20
    } else if p.ends_with("maven-metadata.xml") {
        1 << 20
    } else if r.method == "HEAD" {
        0
    } else {
        64 << 10
    };
    body + HEADERS
}

#[test]
fn requests_carry_the_user_agent_and_stay_within_byte_budgets() {
    let farm = Farm::start(&[Spec::new("alpha"), Spec::new("beta").ttfb(20), Spec::new("gamma").ttfb(40)]);
    let env = Env::debian();
    let (b, out, _) = env.bench(&farm, &["--timeout", "3s", "-v"]);
    assert_eq!(status(&out), 0, "{}", stderr(&out));
    assert_eq!(b.targets.len(), mirror::targets::TargetKind::ALL.len());
    std::thread::sleep(Duration::from_millis(100)); // the farm notes the last answers' bytes
    let ua = format!("mirror/{}", env!("CARGO_PKG_VERSION"));
    let (mut screens, mut finals) = (0, 0);
    for site in ["alpha", "beta", "gamma"] {
        let reqs = farm.requests(site);
        assert!(!reqs.is_empty());
        for r in &reqs {
            assert_eq!(r.user_agent.as_deref(), Some(ua.as_str()), "{r:?}");
            assert!(r.bytes <= budget(r), "{site}: {} bytes for {r:?}", r.bytes);
            // Whole small files may be asked for plainly; anything larger, for a range.
            let whole = [
                "/trace/master",
                "/lastupdate",
                "/lastsync",
                "/config.json",
                "/v2/",
                "/manifests/",
                "/npm/electron-to-chromium",
                "/npm/is-number",
                "/@latest",
                "/@v/list",
                ".sha256",
                "/bert-base-uncased",
                "maven-metadata.xml",
                "/repomd.xml",
            ];
            if r.method == "GET" && !whole.iter().any(|w| r.path.ends_with(w) || r.path.contains("/manifests/")) {
                assert!(r.range.is_some(), "{site}: no range for {r:?}");
            }
        }
        screens += reqs.iter().filter(|r| r.range.as_deref() == Some("bytes=0-131071")).count();
        finals += reqs.iter().filter(|r| r.range.as_deref() == Some("bytes=0-1048575")).count();
        // Only metadata whose headers are the signal is asked for with HEAD (conda repodata,
        // Homebrew's API files).
        let heads: Vec<&str> = reqs.iter().filter(|r| r.method == "HEAD").map(|r| r.path.as_str()).collect();
        assert!(heads.iter().all(|p| p.ends_with("repodata.json") || p.ends_with(".jws.json")), "{heads:?}");
    }
    // Every usable site was screened, and a screen or a final measures a host once for all
    // the targets (25, in 17 probe families) whose bulk objects it serves.
    assert_eq!(screens, 3, "one screen per host");
    assert!((1..=3).contains(&finals), "one final at most per host: {finals}");
    // The client counts what it read, and says so under -v; the farm sent about as much.
    let err = stderr(&out);
    let line = err.lines().find(|l| l.starts_with("probing read ")).unwrap_or_else(|| panic!("{err}"));
    assert!(line.contains(" requests in "), "{line}");
}

#[test]
fn a_run_of_dead_sites_ends_at_the_timeout_and_exits_1() {
    let farm = Farm::start(&[
        Spec::new("hang").mode(Mode::Hang),
        Spec::new("drip").mode(Mode::Drip),
        Spec::new("refuse").mode(Mode::Refuse),
    ]);
    let env = Env::debian();
    let (b, out, took) = env.bench(&farm, &["apt", "--timeout", "1s"]);
    assert_eq!(status(&out), 1, "{}", stderr(&out));
    // A hanging server cannot hold the run: the probes end at the timeout and nothing is
    // left to sample (a bound wide enough for a loaded machine; the benchmark times it).
    assert!(took < Duration::from_secs(6), "took {took:?}");
    let t = &b.targets[0];
    assert_eq!(t.best, None);
    assert_eq!(order(t), [("drip", "failed"), ("hang", "failed"), ("refuse", "failed")]);
    assert!(row(t, "hang").reason.starts_with("no answer within "), "{t:#?}");
    assert!(row(t, "drip").reason.contains("did not arrive within"), "{t:#?}");
    let err = stderr(&out);
    assert!(err.contains("error: no usable mirror for apt"), "{err}");
    assert!(err.contains("hint:"), "{err}");
}

#[test]
fn only_throttled_or_stale_sites_is_no_usable_mirror() {
    let farm = Farm::start(&[Spec::new("e429").mode(Mode::Status(429)), Spec::new("e403").mode(Mode::Status(403))]);
    let env = Env::debian();
    let (b, out, _) = env.bench(&farm, &["cargo"]);
    assert_eq!(status(&out), 1);
    assert_eq!(order(&b.targets[0]), [("e403", "throttled"), ("e429", "throttled")]);
}

#[test]
fn site_filter_and_unknown_sites() {
    let farm = Farm::start(&lineup());
    let env = Env::debian();
    let (b, out, _) = env.bench(&farm, &["pip", "--site", "gamma,alpha,e404"]);
    assert_eq!(status(&out), 0, "{}", stderr(&out));
    assert_eq!(order(&b.targets[0]), [("alpha", "ok"), ("gamma", "ok"), ("e404", "failed")]);
    assert!(farm.requests("beta").is_empty(), "beta was not asked");

    let (out, _) = env.run(&farm, &["bench", "pip", "--site", "nosuch"]);
    assert_eq!(status(&out), 2);
    assert!(stderr(&out).contains("unknown site `nosuch`"), "{}", stderr(&out));
}

#[test]
fn redirects_are_followed_and_the_final_answer_judged() {
    let farm = Farm::start(&[
        Spec::new("alpha").mbps(30),
        Spec::new("hop").mode(Mode::RedirectTo("alpha".into())),
        Spec::new("e404").mode(Mode::Status(404)),
        Spec::new("hop404").mode(Mode::RedirectTo("e404".into())),
    ]);
    let env = Env::debian();
    let (b, out, _) = env.bench(&farm, &["apt", "cargo"]);
    assert_eq!(status(&out), 0, "{}", stderr(&out));
    for t in &b.targets {
        assert_eq!(row(t, "hop").status, "ok", "{t:#?}");
        assert_eq!(row(t, "hop404").status, "failed");
        assert!(row(t, "hop404").reason.contains("HTTP 404"));
    }
}

#[test]
fn status_feeds_count_towards_staleness() {
    let farm = Farm::start(&[
        Spec::new("alpha").feed(Feed::Tunasync { status: "success", age: Some(3600) }),
        Spec::new("tfail").feed(Feed::Tunasync { status: "failed", age: Some(6 * DAY) }),
        Spec::new("zfail").feed(Feed::Mirrorz { status: "F{ts}".into() }),
        Spec::new("zold").feed(Feed::Mirrorz { status: "S{ts}X1".into() }),
        Spec::new("plain"),
    ]);
    let env = Env::debian();
    let (b, out, _) = env.bench(&farm, &["pip", "pacman"]);
    assert_eq!(status(&out), 0, "{}", stderr(&out));
    for t in &b.targets {
        let ok: Vec<&str> = t.results.iter().filter(|r| r.status == "ok").map(|r| r.site.as_str()).collect();
        assert_eq!(ok.len(), 2, "{t:#?}");
        assert!(ok.contains(&"alpha") && ok.contains(&"plain"));
        assert_eq!(row(t, "alpha").lag_seconds, Some(3600));
        let stale: Vec<(&str, &str)> = t.results[2..].iter().map(|r| (r.site.as_str(), r.status.as_str())).collect();
        assert_eq!(stale, [("zold", "stale"), ("tfail", "stale"), ("zfail", "stale")], "{t:#?}");
        assert!(row(t, "tfail").reason.contains("tunasync"));
        assert!(row(t, "zfail").reason.contains("sync failing"));
        assert!(row(t, "zold").reason.contains("mirrorz"));
    }
}

#[test]
fn max_lag_decides_what_is_stale() {
    let farm = Farm::start(&[Spec::new("fresh").mbps(40), Spec::new("late").mbps(4).lag(6 * 3600)]);
    let env = Env::debian();
    for target in ["apt", "pacman", "pip", "conda", "cargo"] {
        let (b, _, _) = env.bench(&farm, &[target]);
        assert_eq!(order(&b.targets[0]), [("fresh", "ok"), ("late", "ok")], "{target}");
        let late = row(&b.targets[0], "late");
        assert!(late.reason.contains("6h behind"), "{target}: {late:?}");
        let (b, _, _) = env.bench(&farm, &[target, "--max-lag", "2h"]);
        assert_eq!(order(&b.targets[0]), [("fresh", "ok"), ("late", "stale")], "{target}");
        let want = if target == "pip" {
            "stale: about 6h behind (estimated from the PyPI serial)"
        } else {
            "stale: 6h behind"
        };
        assert_eq!(row(&b.targets[0], "late").reason, want);
    }
}

fn probed_paths(farm: &Farm, site: &str) -> Vec<String> {
    farm.requests(site).into_iter().map(|r| r.path).collect()
}

#[test]
fn the_host_decides_the_apt_and_pacman_layouts() {
    let farm = Farm::start(&[Spec::new("alpha")]);

    let ubuntu = Env::new("ID=ubuntu\nID_LIKE=debian\nVERSION_CODENAME=noble\n", "arm64");
    let (b, out, _) = ubuntu.bench(&farm, &["apt"]);
    assert_eq!(status(&out), 0, "{}", stderr(&out));
    assert!(b.targets[0].results[0].url.ends_with("/ubuntu-ports"));
    let paths = probed_paths(&farm, "alpha");
    assert!(paths.contains(&"/ubuntu-ports/dists/noble-updates/InRelease".to_owned()), "{paths:?}");
    assert!(paths.contains(&"/ubuntu-ports/dists/noble/main/binary-arm64/Packages.xz".to_owned()), "{paths:?}");

    let alarm = Env::new("ID=archarm\nID_LIKE=arch\n", "arm64");
    let (b, _, _) = alarm.bench(&farm, &["pacman"]);
    assert!(b.targets[0].results[0].url.ends_with("/archlinuxarm"));
    assert!(probed_paths(&farm, "alpha").contains(&"/archlinuxarm/aarch64/core/core.db".to_owned()));

    let fedora = Env::new("ID=fedora\nVERSION_ID=40\n", "amd64");
    let (b, _, _) = fedora.bench(&farm, &["apt"]);
    assert_eq!(b.targets[0].best.as_deref(), Some("alpha"));
    assert!(probed_paths(&farm, "alpha").contains(&"/debian/dists/stable-updates/InRelease".to_owned()));
}

#[test]
fn human_output_is_a_table_per_target_and_results_are_cached() {
    let farm = Farm::start(&[Spec::new("alpha"), Spec::new("e500").mode(Mode::Status(500))]);
    let env = Env::debian();
    let (out, _) = env.run(&farm, &["bench", "cargo", "docker"]);
    assert_eq!(status(&out), 0, "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("cargo  best: alpha"), "{text}");
    assert!(text.contains("docker  best: alpha"), "{text}");
    assert!(text.contains("SITE   STATUS  LATENCY  THROUGHPUT  LAG  WHY"), "{text}");
    assert!(text.contains("e500   failed  -        -           -    HTTP 500 for config.json"), "{text}");
    assert!(!text.contains('\x1b'), "no colour without a terminal");
    assert!(stderr(&out).is_empty(), "no progress or talk: {}", stderr(&out));

    let cache: serde_json::Value =
        serde_json::from_slice(&std::fs::read(env.path("home/.local/state/mirror/bench.json")).unwrap()).unwrap();
    let entries = cache["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["measured_at"], NOW);
    assert_eq!(entries[0]["report"]["best"], "alpha");
}

#[test]
fn a_target_no_site_serves_is_reported_empty() {
    let farm = Farm::start(&[Spec::new("alpha")]);
    // A catalog with one site that serves only apt.
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(farm.catalog().join("alpha.toml")).unwrap();
    let apt_only: String = text
        .lines()
        .filter(|l| !l.contains("{base}/") || l.starts_with("debian"))
        .filter(|l| !l.starts_with("dockerhub"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(dir.path().join("alpha.toml"), apt_only).unwrap();
    let env = Env::debian();
    let out = env.cmd_with(dir.path(), &["bench", "--json", "docker"]).output().unwrap();
    assert_eq!(status(&out), 1);
    let b: Bench = serde_json::from_slice(&out.stdout).unwrap();
    assert!(b.targets[0].results.is_empty());
    assert!(stderr(&out).contains("no site in the catalog serves it"), "{}", stderr(&out));
}

/// The library's context for `env`, its catalog at `catalog` (as `--catalog` gives it).
fn library_context(env: &Env, catalog: &Path) -> mirror::context::Context {
    let vars: std::collections::BTreeMap<&str, std::ffi::OsString> = [
        ("HOME", env.path("home").into_os_string()),
        ("MIRROR_TEST_NOW", NOW.to_string().into()),
        ("MIRROR_ARCH", "amd64".into()),
    ]
    .into();
    let overrides = mirror::context::Overrides {
        root: Some(env.path("root")),
        catalog: Some(catalog.to_path_buf()),
        ..Default::default()
    };
    mirror::context::Context::from_vars(&overrides, |n| vars.get(n).cloned()).unwrap()
}

#[test]
fn check_judges_configured_urls_against_the_reference_in_one_run() {
    use mirror::probe::{self, Options, Status};
    use mirror::targets::{Host, TargetKind};

    let farm =
        Farm::start(&[Spec::new("alpha"), Spec::new("late").lag(3 * DAY), Spec::new("e500").mode(Mode::Status(500))]);
    let env = Env::debian();
    let ctx = library_context(&env, farm.catalog());
    let host = Host::detect(&ctx).unwrap();
    let catalog = mirror::catalog::Catalog::from_path(farm.catalog()).unwrap();
    let alpha = catalog.get("alpha");
    let late = catalog.get("late");
    let opts = Options { proxy_from_env: false, ..Options::new(Duration::from_secs(2), Duration::from_secs(DAY)) };

    // Three targets, one run, alpha the reference.
    let rows = probe::check_all(
        &ctx,
        &host,
        &[
            (TargetKind::Pip, format!("{}/pypi/web/simple/", farm.base("late"))),
            (TargetKind::Apt, format!("{}/debian", farm.base("e500"))),
            (TargetKind::Cargo, format!("sparse+{}/crates.io-index/", farm.base("alpha"))),
        ],
        alpha,
        &opts,
    );
    assert_eq!(rows.len(), 3);
    let r = &rows[0];
    assert_eq!((r.site.as_str(), r.status), ("configured", Status::Stale), "{r:?}");
    assert!(r.reason.starts_with("stale: about 3d behind (estimated from the PyPI serial)"), "{r:?}");
    let r = &rows[1];
    assert_eq!(r.status, Status::Failed);
    assert!(r.reason.contains("HTTP 500"), "{r:?}");
    // The configured URL is the reference itself: nothing to compare with.
    let r = &rows[2];
    assert_eq!(r.status, Status::Ok, "{r:?}");
    assert!(r.throughput_bps.is_some() && r.latency_ms.is_some(), "{r:?}");
    assert_eq!(r.url, format!("{}/crates.io-index", farm.base("alpha")));
    assert_eq!(r.lag_seconds, None, "{r:?}");
    assert!(r.reason.contains("freshness unknown"), "{r:?}");

    // A reference behind the configured site: the configured one is the freshest.
    let rows = probe::check_all(
        &ctx,
        &host,
        &[(TargetKind::Cargo, format!("sparse+{}/crates.io-index/", farm.base("alpha")))],
        late,
        &opts,
    );
    assert_eq!((rows[0].status, rows[0].lag_seconds), (Status::Ok, Some(0)), "{:?}", rows[0]);

    // Without a reference there is nothing to be behind: unknown, not 0.
    let rows = probe::check_all(
        &ctx,
        &host,
        &[(TargetKind::Conda, format!("{}/anaconda/pkgs/main", farm.base("late")))],
        None,
        &opts,
    );
    assert_eq!((rows[0].status, rows[0].lag_seconds), (Status::Ok, None), "{:?}", rows[0]);

    // A reference that fails: unknown too.
    let e500 = catalog.get("e500");
    let rows =
        probe::check_all(&ctx, &host, &[(TargetKind::Apt, format!("{}/debian", farm.base("late")))], e500, &opts);
    assert_eq!((rows[0].status, rows[0].lag_seconds), (Status::Ok, None), "{:?}", rows[0]);
}

#[test]
fn a_check_samples_each_configured_url_once_in_the_finals_and_never_screens_it() {
    use mirror::probe::{self, Options, Status};
    use mirror::targets::{Host, TargetKind};

    // pip's wheel and apt's `Packages.xz` on two sites (a host sampled for one target would
    // lend its figure to the other).
    let farm = Farm::start(&[Spec::new("alpha"), Spec::new("beta")]);
    let env = Env::debian();
    let ctx = library_context(&env, farm.catalog());
    let host = Host::detect(&ctx).unwrap();
    let opts = Options { proxy_from_env: false, ..Options::new(Duration::from_secs(3), Duration::from_secs(DAY)) };
    let rows = probe::check_all(
        &ctx,
        &host,
        &[
            (TargetKind::Pip, format!("{}/pypi/web/simple", farm.base("alpha"))),
            (TargetKind::Apt, format!("{}/debian", farm.base("beta"))),
        ],
        None,
        &opts,
    );
    for (site, file) in [("alpha", ".whl"), ("beta", "/Packages.xz")] {
        let requests = farm.requests(site);
        let samples: Vec<&farm::Request> =
            requests.iter().filter(|r| r.method == "GET" && r.path.ends_with(file)).collect();
        assert_eq!(samples.len(), 1, "{site}: one sample of its {file}: {:?}", probed_paths(&farm, site));
        assert_eq!(samples[0].range.as_deref(), Some("bytes=0-1048575"), "{site}: the final's budget");
        // The final comes after the probe's own requests.
        let last_probe = requests.iter().filter(|r| !r.path.ends_with(file)).map(|r| r.began).max().unwrap();
        assert!(samples[0].began >= last_probe, "{site}: {:?}", probed_paths(&farm, site));
    }
    for r in &rows {
        assert_eq!(r.status, Status::Ok, "{r:?}");
        assert!(r.throughput_bps.is_some(), "sampled: {r:?}");
        assert!(!r.details.iter().any(|d| d.starts_with("screen:")), "no screen: {:#?}", r.details);
        assert_eq!(r.details.iter().filter(|d| d.starts_with("final: GET ")).count(), 1, "{:#?}", r.details);
    }
}

#[test]
fn bench_library_api_and_cache_round_trip() {
    use mirror::probe::{self, Options};
    use mirror::targets::{Host, TargetKind};

    let farm = Farm::start(&[Spec::new("alpha").mbps(40), Spec::new("beta").mbps(4)]);
    let env = Env::debian();
    let ctx = library_context(&env, farm.catalog());
    let host = Host::detect(&ctx).unwrap();
    let catalog = mirror::catalog::Catalog::from_path(farm.catalog()).unwrap();
    let opts = Options { proxy_from_env: false, ..Options::new(Duration::from_secs(2), Duration::from_secs(DAY)) };
    let hour = Duration::from_secs(3600);
    assert!(probe::load_recent(&ctx, &mirror::catalog::Catalog::load(&ctx).unwrap(), &host, &opts, hour).is_none());
    let report = probe::bench(&ctx, &catalog, &host, &[TargetKind::Uv, TargetKind::Apt], &opts).unwrap();
    assert_eq!(report.best(TargetKind::Uv), Some("alpha"));
    assert_eq!(report.best(TargetKind::Apt), Some("alpha"));
    assert_eq!(report.targets[0].target, TargetKind::Uv, "the order asked for");
    probe::save(&ctx, &host, &opts, &report).unwrap();
    let cached = probe::load_recent(&ctx, &mirror::catalog::Catalog::load(&ctx).unwrap(), &host, &opts, hour).unwrap();
    assert_eq!(cached.best(TargetKind::Uv), Some("alpha"));
    assert_eq!(cached.target(TargetKind::Apt).unwrap().results.len(), 2);
    assert!(cached.target(TargetKind::Pip).is_none());
    // An unknown `--site` is bad input.
    let bad = opts.clone().with_sites(&["nosuch".into()]);
    assert!(probe::bench(&ctx, &catalog, &host, &[TargetKind::Apt], &bad).is_err());
}

#[test]
fn cached_results_are_not_reused_for_a_changed_catalog() {
    use mirror::probe::{self, Options};
    use mirror::targets::{Host, TargetKind};

    let farm = Farm::start(&[Spec::new("alpha").mbps(40), Spec::new("beta").mbps(4)]);
    let env = Env::debian();
    // Catalog A: the farm's own site files, copied where they can be edited.
    let a = keep_catalog(&farm, &env);
    let ctx = library_context(&env, &a);
    let host = Host::detect(&ctx).unwrap();
    let catalog = mirror::catalog::Catalog::load(&ctx).unwrap();
    // `use best` runs with the default `--timeout` (3s), part of what the cache is keyed on.
    let opts = Options { proxy_from_env: false, ..Options::new(Duration::from_secs(3), Duration::from_secs(DAY)) };
    let hour = Duration::from_secs(3600);
    let report = probe::bench(&ctx, &catalog, &host, &[TargetKind::Pip, TargetKind::Apt], &opts).unwrap();
    assert_eq!(report.best(TargetKind::Pip), Some("alpha"));
    probe::save(&ctx, &host, &opts, &report).unwrap();
    assert!(
        probe::load_recent(&ctx, &mirror::catalog::Catalog::load(&ctx).unwrap(), &host, &opts, hour)
            .is_some_and(|r| r.best(TargetKind::Pip) == Some("alpha"))
    );
    // The farm is gone: only the kept results can answer, and do (unchecked: a check of the
    // new config would find the site gone, see `use_best_checks_the_site_it_picks`).
    drop(farm);
    let out = env.cmd_with(&a, &["use", "best", "pip", "--yes", "--json", "--no-verify"]).output().unwrap();
    assert_eq!(status(&out), 0, "{}", stderr(&out));
    assert_eq!(json_of(&out)["targets"][0]["reason"], "now alpha");

    // beta's PyPI index moved: the pip results were measured elsewhere; apt's still hold.
    let file = a.join("beta.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, text.replace("{base}/pypi/web/simple", "{base}/pypi/simple")).unwrap();
    // A context reads its catalog once; the next run is a new context and reads the edit.
    let ctx = library_context(&env, &a);
    let r = probe::load_recent(&ctx, &mirror::catalog::Catalog::load(&ctx).unwrap(), &host, &opts, hour).unwrap();
    assert!(r.target(TargetKind::Pip).is_none(), "{r:#?}");
    assert_eq!(r.best(TargetKind::Apt), Some("alpha"));
    // So `use best` probes the changed catalog again (and finds the farm gone).
    let out = env.cmd_with(&a, &["use", "best", "pip", "--yes", "--timeout", "1s"]).output().unwrap();
    assert_eq!(status(&out), 1, "{}", stderr(&out));
    assert!(stderr(&out).contains("no usable mirror"), "{}", stderr(&out));

    // Another catalog altogether (same ids, other URLs) is another run.
    let b = env.path("catalog-b");
    std::fs::create_dir_all(&b).unwrap();
    for id in ["alpha", "beta"] {
        let text = std::fs::read_to_string(a.join(format!("{id}.toml"))).unwrap();
        std::fs::write(b.join(format!("{id}.toml")), text.replace("127.0.0.1", "localhost")).unwrap();
    }
    assert!(
        probe::load_recent(
            &library_context(&env, &b),
            &mirror::catalog::Catalog::load(&library_context(&env, &b)).unwrap(),
            &host,
            &opts,
            hour
        )
        .is_none()
    );
}

/// For poking at the farm by hand (`FARM=thirty|fifteen`, `FARM_SECS=60`):
/// `cargo test --test bench serve_farm -- --ignored --nocapture`.
#[test]
#[ignore = "manual"]
#[allow(clippy::print_stderr)]
fn serve_farm() {
    let specs = match std::env::var("FARM").as_deref() {
        Ok("thirty") => farm::thirty(),
        Ok("fifteen") => farm::fifteen(),
        _ => lineup(),
    };
    let farm = Farm::start(&specs);
    eprintln!("catalog: {}", farm.catalog().display());
    std::thread::sleep(Duration::from_secs(std::env::var("FARM_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(60)));
}

// ---------------------------------------------------------------------------------------------
// `mirror use best` and `mirror status --check`, built on the same probes.

/// A copy of the farm's catalog that outlives the farm.
fn keep_catalog(farm: &Farm, env: &Env) -> PathBuf {
    let dest = env.path("catalog");
    std::fs::create_dir_all(&dest).unwrap();
    for entry in std::fs::read_dir(farm.catalog()).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dest.join(path.file_name().unwrap())).unwrap();
    }
    dest
}

fn json_of(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", String::from_utf8_lossy(&out.stdout), stderr(out)))
}

#[test]
fn use_best_points_each_target_at_its_best_site() {
    let farm = Farm::start(&lineup());
    let env = Env::debian();
    std::fs::create_dir_all(env.path("home/.config/pip")).unwrap();
    std::fs::write(env.path("home/.config/pip/pip.conf"), "[global]\ntimeout = 60\n").unwrap();
    let (out, _) = env.run(&farm, &["use", "best", "pip", "cargo", "--yes", "--json"]);
    assert_eq!(status(&out), 0, "{}", stderr(&out));
    let doc = json_of(&out);
    assert_eq!(doc["site"], "best");
    for t in doc["targets"].as_array().unwrap() {
        assert_eq!(t["status"], "changed", "{t}");
        assert_eq!(t["reason"], "now alpha", "{t}");
    }
    let (out, _) = env.run(&farm, &["status", "pip", "cargo", "--json"]);
    let doc = json_of(&out);
    for t in doc["targets"].as_array().unwrap() {
        assert_eq!(t["site"], "alpha", "{t}");
    }
    assert!(std::fs::read_to_string(env.path("home/.config/pip/pip.conf")).unwrap().contains("timeout = 60"));
}

#[test]
fn use_best_reuses_recent_results_and_refresh_probes_again() {
    let env = Env::debian();
    let catalog = {
        let farm = Farm::start(&lineup());
        let (bench, out, _) = env.bench(&farm, &["pip"]);
        assert_eq!(status(&out), 0, "{}", stderr(&out));
        assert_eq!(bench.targets[0].best.as_deref(), Some("alpha"));
        keep_catalog(&farm, &env)
    };
    // The farm is gone: only the kept results can answer (unchecked: the check would find
    // the site gone).
    let out = env.cmd_with(&catalog, &["use", "best", "pip", "--yes", "--json", "--no-verify"]).output().unwrap();
    assert_eq!(status(&out), 0, "{}", stderr(&out));
    assert_eq!(json_of(&out)["targets"][0]["reason"], "now alpha");

    let before = std::fs::read(env.path("home/.config/pip/pip.conf")).unwrap();
    let out =
        env.cmd_with(&catalog, &["use", "best", "pip", "--yes", "--refresh", "--timeout", "1s"]).output().unwrap();
    assert_eq!(status(&out), 1, "{}", stderr(&out));
    assert!(stderr(&out).contains("no usable mirror"), "{}", stderr(&out));
    assert_eq!(std::fs::read(env.path("home/.config/pip/pip.conf")).unwrap(), before, "nothing changed");
}

#[test]
fn status_check_reports_a_failing_mirror_and_the_best_alternative() {
    let farm = Farm::start(&lineup());
    let env = Env::debian();
    let (out, _) = env.run(&farm, &["use", "e404", "pip", "--yes"]);
    assert_eq!(status(&out), 0, "{}", stderr(&out));
    let (out, _) = env.run(&farm, &["status", "pip", "--check", "--json"]);
    assert_eq!(status(&out), 1, "an unhealthy mirror fails the check: {}", stderr(&out));
    let doc = json_of(&out);
    let check = &doc["targets"][0]["check"];
    assert_eq!(check["status"], "failed", "{check}");
    assert_eq!(check["best_alternative"], "alpha", "{check}");

    let (out, _) = env.run(&farm, &["status", "pip", "--check"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("failed"), "{}", String::from_utf8_lossy(&out.stdout));
    assert!(stderr(&out).contains("try `mirror use alpha pip`"), "{}", stderr(&out));

    let (out, _) = env.run(&farm, &["use", "alpha", "pip", "--yes"]);
    assert_eq!(status(&out), 0);
    let (out, _) = env.run(&farm, &["status", "pip", "--check", "--json"]);
    assert_eq!(status(&out), 0, "{}", stderr(&out));
    assert_eq!(json_of(&out)["targets"][0]["check"]["status"], "ok");
}

#[test]
fn a_docker_mirror_that_serves_no_images_is_failed() {
    let farm = Farm::start(&[Spec::new("alpha").ttfb(20), Spec::new("empty").mode(Mode::EmptyRegistry)]);
    let env = Env::debian();
    let (bench, out, _) = env.bench(&farm, &["docker"]);
    assert_eq!(status(&out), 0, "{}", stderr(&out));
    let t = &bench.targets[0];
    assert_eq!(order(t), [("alpha", "ok"), ("empty", "failed")], "{t:#?}");
    assert!(row(t, "empty").reason.contains("404"), "{t:#?}");
    let manifest =
        farm.requests("alpha").into_iter().find(|r| r.path.contains("/manifests/")).expect("manifest probed");
    assert_eq!(manifest.method, "GET", "the manifest names the layer to sample");
    assert!(
        farm.requests("alpha").iter().any(|r| r.path.contains("/blobs/sha256:")),
        "a layer was sampled: {:?}",
        probed_paths(&farm, "alpha")
    );
}

// ---------------------------------------------------------------------------------------------
// Ranking that is right: latency does not predict throughput, slow is not dead, every
// deadline holds.

/// Ten fresh sites 15 ms apart whose bandwidth grows with their distance: the nearest is the
/// slowest (2 MB/s), the farthest the fastest (40 MB/s).
fn far_is_fast() -> Vec<Spec> {
    const MBPS: [u64; 10] = [2, 3, 4, 6, 8, 11, 15, 20, 28, 40];
    (0..10).map(|i| Spec::new(&format!("m{i:02}")).ttfb(5 + 15 * i as u64).mbps(MBPS[i])).collect()
}

#[test]
fn the_fastest_site_wins_even_when_the_nearest_sites_are_the_slowest() {
    let farm = Farm::start(&far_is_fast());
    let env = Env::debian();
    for target in ["apt", "pacman", "pip", "conda", "cargo", "docker"] {
        let (b, out, _) = env.bench(&farm, &[target, "--timeout", "3s"]);
        assert_eq!(status(&out), 0, "{}", stderr(&out));
        let t = &b.targets[0];
        assert_eq!(t.best.as_deref(), Some("m09"), "{target}: {t:#?}");
        // Every usable site has a throughput figure; the finals order the fastest.
        assert!(t.results.iter().all(|r| r.status == "ok" && r.throughput_bps.is_some()), "{target}: {t:#?}");
        let top: Vec<&str> = t.results[..3].iter().map(|r| r.site.as_str()).collect();
        // The third is m07 (20 MB/s) or m06 (15 MB/s), from the finals or, when a loaded
        // machine stretched its 128 KiB screen (a few ms) below a third of the best, the
        // screen: only the first two are sure to be finalists.
        assert!(top[..2] == ["m09", "m08"] && ["m07", "m06"].contains(&top[2]), "{target}: {t:#?}");
        assert!(t.results[..2].iter().all(|r| !r.reason.contains("screen")), "{target}: finals: {t:#?}");
        // The nearest site, answering first, is ranked among the last.
        let nearest = t.results.iter().position(|r| r.site == "m00").unwrap();
        assert!(nearest >= 7, "{target}: the nearest (slowest) site ranked {nearest}: {t:#?}");
    }
}

#[test]
fn a_far_official_server_is_slow_not_failed_and_still_the_freshness_baseline() {
    let farm = Farm::start(&farm::far_upstream());
    let env = Env::debian();
    for target in ["apt", "pacman", "pip", "cargo"] {
        let (b, out, _) = env.bench(&farm, &[target, "--timeout", "3s"]);
        assert_eq!(status(&out), 0, "{}", stderr(&out));
        let t = &b.targets[0];
        assert_eq!(t.best.as_deref(), Some("mid"), "{target}: {t:#?}");
        let up = row(t, "upstream");
        assert_eq!(up.status, "slow", "{target}: {up:?}");
        assert!(up.reason.contains("in 4") && up.reason.contains("not measured further"), "{target}: {up:?}");
        // Blackholed: positive evidence only, with the time it was given.
        let dead = row(t, "dead");
        assert_eq!(dead.status, "failed");
        assert!(dead.reason.starts_with("no answer within "), "{target}: {dead:?}");
        // Slow ranks below every measured site and above the stale and the dead.
        let pos = |s: &str| t.results.iter().position(|r| r.site == s).unwrap();
        assert!(pos("near1") < pos("upstream") && pos("upstream") < pos("near2") && pos("near2") < pos("dead"));
        assert_eq!(row(t, "near2").status, "stale", "{target}: {t:#?}");
    }
}

#[test]
fn behind_a_slow_official_server_stale_mirrors_are_known_stale_and_the_slow_one_is_best() {
    // Only the far official server is fresh: its freshness answer, before the cut-off, is what
    // shows the near mirrors two days behind. Nothing is ok, so the best is the slow one.
    let farm = Farm::start(&[
        Spec::new("upstream").ttfb(430).mbps(30),
        Spec::new("near1").ttfb(10).mbps(4).lag(2 * DAY),
        Spec::new("near2").ttfb(25).mbps(12).lag(2 * DAY),
        Spec::new("near3").ttfb(40).mbps(20).lag(2 * DAY),
    ]);
    let env = Env::debian();
    let (b, out, _) = env.bench(&farm, &["pacman", "--timeout", "3s"]);
    assert_eq!(status(&out), 0, "{}", stderr(&out));
    let t = &b.targets[0];
    assert_eq!(order(t)[0], ("upstream", "slow"), "{t:#?}");
    assert_eq!(t.best.as_deref(), Some("upstream"));
    for near in ["near1", "near2", "near3"] {
        assert_eq!(row(t, near).status, "stale", "{t:#?}");
        assert_eq!(row(t, near).lag_seconds, Some(2 * DAY), "{t:#?}");
    }
}

#[test]
fn status_check_never_calls_a_slow_healthy_mirror_failed() {
    let farm = Farm::start(&[Spec::new("far").ttfb(600).mbps(10), Spec::new("near").ttfb(5)]);
    let env = Env::debian();
    let (out, _) = env.run(&farm, &["use", "far", "pip", "cargo", "--yes"]);
    assert_eq!(status(&out), 0, "{}", stderr(&out));
    let (out, _) = env.run(&farm, &["status", "pip", "cargo", "--check", "--json", "--timeout", "3s"]);
    assert_eq!(status(&out), 0, "{}", stderr(&out));
    for t in json_of(&out)["targets"].as_array().unwrap() {
        let check = &t["check"];
        assert!(check["status"] == "ok" || check["status"] == "slow", "{t}");
        assert!(check["latency_ms"].as_u64().unwrap() >= 600, "{t}");
        // No reference here (no `upstream` site): freshness unknown, not "0".
        assert!(check["lag_seconds"].is_null(), "{t}");
    }
}

#[test]
fn stalled_and_dripping_samples_do_not_hold_the_run_or_rank_first() {
    let farm = Farm::start(&[
        Spec::new("stall").bulk(farm::Bulk::Stall),
        Spec::new("drip").bulk(farm::Bulk::Drip),
        Spec::new("good1").ttfb(10).mbps(20),
        Spec::new("good2").ttfb(20).mbps(10),
    ]);
    let env = Env::debian();
    for target in ["apt", "pip", "cargo", "docker"] {
        let (b, out, _) = env.bench(&farm, &[target, "--timeout", "3s"]);
        assert_eq!(status(&out), 0, "{}", stderr(&out));
        let t = &b.targets[0];
        assert_eq!(order(t)[..2], [("good1", "ok"), ("good2", "ok")], "{target}: {t:#?}");
        // The two broken samples, slow, in either order (their latencies are both ~0 ms).
        let mut rest = order(t)[2..].to_vec();
        rest.sort_unstable();
        assert_eq!(rest, [("drip", "slow"), ("stall", "slow")], "{target}: {t:#?}");
        for good in ["good1", "good2"] {
            let r = row(t, good);
            assert!(r.throughput_bps.is_some() && !r.reason.contains("screen"), "{target}: finals ran: {r:?}");
        }
        assert!(row(t, "stall").reason.contains("stalled after its headers"), "{target}: {t:#?}");
        assert!(row(t, "drip").reason.contains("stalled ("), "{target}: {t:#?}");
    }
}

#[test]
fn an_endless_status_feed_on_the_mirrors_own_host_blocks_nothing() {
    let farm = Farm::start(&[Spec::new("feedy").mbps(40).feed(Feed::Endless), Spec::new("plain").ttfb(10).mbps(10)]);
    let env = Env::debian();
    let (b, out, _) = env.bench(&farm, &["pip", "apt", "--timeout", "3s", "-v"]);
    assert_eq!(status(&out), 0, "{}", stderr(&out));
    for t in &b.targets {
        assert_eq!(order(t), [("feedy", "ok"), ("plain", "ok")], "{t:#?}");
        assert!(row(t, "feedy").throughput_bps.is_some() && !row(t, "feedy").reason.contains("screen"), "{t:#?}");
    }
    assert!(stderr(&out).contains("static/tunasync.json: "), "the feed's fate is told under -v: {}", stderr(&out));
}

#[test]
fn a_status_feed_that_does_not_parse_is_ignored_and_said_so_under_v() {
    let farm = Farm::start(&[
        // A proxy's error page where the feed should be; a feed of the wrong shape.
        Spec::new("html").mbps(40).feed(Feed::Raw {
            path: "/static/tunasync.json".into(),
            body: "<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>\n".into(),
        }),
        Spec::new("shape").ttfb(10).mbps(10).feed(Feed::Raw {
            path: "/mirrorz.json".into(),
            body: r#"{"version":1.5,"site":{"abbr":"X"},"mirrors":"none"}"#.into(),
        }),
    ]);
    let env = Env::debian();
    let catalog = keep_catalog(&farm, &env);
    for (id, status) in
        [("html", "tunasync = \"{base}/static/tunasync.json\""), ("shape", "mirrorz = \"{base}/mirrorz.json\"")]
    {
        let file = catalog.join(format!("{id}.toml"));
        let text = std::fs::read_to_string(&file).unwrap();
        std::fs::write(&file, format!("{text}\n[status]\n{status}\n")).unwrap();
    }
    let out = env.cmd_with(&catalog, &["bench", "pip", "--json", "-v", "--timeout", "3s"]).output().unwrap();
    assert_eq!(status(&out), 0, "{}", stderr(&out));
    let doc = json_of(&out);
    let rows = doc["targets"][0]["results"].as_array().unwrap().clone();
    let ranked: Vec<(&str, &str)> =
        rows.iter().map(|r| (r["site"].as_str().unwrap(), r["status"].as_str().unwrap())).collect();
    // The feeds are advice: each site is judged by its own answers.
    assert_eq!(ranked, [("html", "ok"), ("shape", "ok")], "{rows:#?}");
    let err = stderr(&out);
    for (id, path, why) in [
        ("html", "static/tunasync.json", "tunasync.json is not JSON"),
        ("shape", "mirrorz.json", "mirrorz.json has no `mirrors` list"),
    ] {
        let said = format!("pip {id}: status feed {}/{path}: {why}; ignored", farm.base(id));
        assert!(err.lines().any(|l| l.ends_with(&said)), "no note for {id}:\n{err}");
    }
}

#[test]
fn package_files_on_a_slower_host_than_the_index_decide_the_rank() {
    // `pypi`'s index is fast, but its wheels and crates come from `files` at 2 MB/s (as PyPI's
    // come from files.pythonhosted.org, crates.io's from static.crates.io); `even` serves
    // its own at 20 MB/s.
    let farm = Farm::start(&[
        Spec::new("pypi").mbps(100).files_on("files"),
        Spec::new("even").ttfb(30).mbps(20),
        Spec::new("files").mbps(2),
    ]);
    let env = Env::debian();
    for target in ["pip", "cargo"] {
        let (b, out, _) = env.bench(&farm, &[target, "--site", "pypi,even", "--timeout", "3s"]);
        assert_eq!(status(&out), 0, "{}", stderr(&out));
        let t = &b.targets[0];
        assert_eq!(order(t), [("even", "ok"), ("pypi", "ok")], "{target}: {t:#?}");
        let slow = row(t, "pypi").throughput_bps.unwrap();
        assert!(slow < 4_000_000, "{target}: measured on the files' host: {slow} B/s");
    }
    let paths = probed_paths(&farm, "files");
    assert!(paths.iter().any(|p| p.contains("/packages/") && p.ends_with(".whl")), "{paths:?}");
    assert!(paths.iter().any(|p| p.starts_with("/crates/aws-sdk-s3/") && p.ends_with("/download")), "{paths:?}");
    assert!(!probed_paths(&farm, "pypi").iter().any(|p| p.ends_with(".whl")), "no wheel from the index's host");
}

#[test]
fn tiny_index_pages_are_not_rates_the_wheels_they_link_are() {
    let farm = Farm::start(&[
        Spec::new("a").small_pages().mbps(30),
        Spec::new("b").small_pages().ttfb(10).mbps(9),
        Spec::new("c").small_pages().ttfb(20).mbps(3),
        // A nearly empty repository: its wheel is too small to time, whatever its speed.
        Spec::new("bare").small_pages().bulk(farm::Bulk::Tiny).mbps(100),
    ]);
    let env = Env::debian();
    let (b, out, _) = env.bench(&farm, &["pip", "--timeout", "3s"]);
    assert_eq!(status(&out), 0, "{}", stderr(&out));
    let t = &b.targets[0];
    assert_eq!(order(t), [("a", "ok"), ("b", "ok"), ("c", "ok"), ("bare", "ok")], "{t:#?}");
    let rates: Vec<u64> = t.results[..3].iter().map(|r| r.throughput_bps.unwrap()).collect();
    assert!(rates[0] > 2 * rates[1] && rates[1] > 2 * rates[2], "the wheels' rates, not the pages': {rates:?}");
    let bare = row(t, "bare");
    assert_eq!(bare.throughput_bps, None, "{bare:?}");
    assert!(bare.reason.contains("too small to measure"), "{bare:?}");
    for site in ["a", "b", "c"] {
        assert!(probed_paths(&farm, site).iter().any(|p| p.ends_with(".whl")), "{site}: a wheel was sampled");
    }
}

#[test]
fn host_names_are_resolved_by_a_resolver_with_its_own_deadline() {
    // The farm's own DNS server on 127.0.0.1 answers for `ok.farm.test` and reads, but never
    // answers, queries for `hang.farm.test`.
    let farm = Farm::start_named(&[Spec::new("ok").mbps(20), Spec::new("hang")], &["hang"]);
    let env = Env::debian();
    let resolver = farm.resolver().unwrap();
    let run = |args: &[&str]| {
        let mut cmd = env.cmd(&farm, args);
        cmd.env("MIRROR_TEST_RESOLVER", &resolver);
        cmd.output().unwrap()
    };
    let out = run(&["bench", "apt", "pip", "--json", "--timeout", "1s"]);
    assert_eq!(status(&out), 0, "{}", stderr(&out));
    let b: Bench = serde_json::from_slice(&out.stdout).unwrap();
    for t in &b.targets {
        assert_eq!(t.best.as_deref(), Some("ok"), "{t:#?}");
        assert!(row(t, "ok").url.starts_with("http://ok.farm.test:"), "{t:#?}");
        let hang = row(t, "hang");
        assert_eq!(hang.status, "failed");
        assert_eq!(hang.reason, "could not resolve `hang.farm.test` within 900 ms", "{hang:?}");
    }
    assert!(farm.dns_queries() >= 2, "the queries reached the test resolver");
    // The same for the commands built on the probes.
    let out = run(&["use", "hang", "pip", "--yes"]);
    assert_eq!(status(&out), 0, "{}", stderr(&out));
    let out = run(&["status", "pip", "--check", "--json", "--timeout", "1s"]);
    assert_eq!(status(&out), 1, "{}", stderr(&out));
    let doc = json_of(&out);
    assert_eq!(doc["targets"][0]["check"]["reason"], "could not resolve `hang.farm.test` within 900 ms", "{doc}");
    let out = run(&["use", "best", "pip", "--yes", "--refresh", "--json", "--timeout", "1s"]);
    assert_eq!(status(&out), 0, "{}", stderr(&out));
    assert_eq!(json_of(&out)["targets"][0]["reason"], "now ok");
}

#[test]
fn refused_everywhere_is_throttled_and_sinks_below_a_slow_healthy_site() {
    let farm = Farm::start(&[
        Spec::new("r1").mode(Mode::Status(403)),
        Spec::new("r2").mode(Mode::Status(403)),
        Spec::new("r3").mode(Mode::Status(403)),
        Spec::new("far").ttfb(450).mbps(10),
    ]);
    let env = Env::debian();
    let (b, out, _) = env.bench(&farm, &["apt", "--timeout", "3s"]);
    assert_eq!(status(&out), 0, "{}", stderr(&out));
    let t = &b.targets[0];
    assert_eq!(t.best.as_deref(), Some("far"), "{t:#?}");
    assert_eq!(order(t)[1..], [("r1", "throttled"), ("r2", "throttled"), ("r3", "throttled")], "{t:#?}");
    assert_eq!(row(t, "r1").reason, "access refused: 403");
}

#[test]
fn a_server_that_ignores_range_is_read_no_further_than_the_budget() {
    let farm = Farm::start(&[Spec::new("whole").ignore_range().mbps(200)]);
    let env = Env::debian();
    let (b, out, _) = env.bench(&farm, &["apt", "--timeout", "3s", "-v"]);
    assert_eq!(status(&out), 0, "{}", stderr(&out));
    assert_eq!(order(&b.targets[0]), [("whole", "ok")], "{:#?}", b.targets[0]);
    // It sends whole files (a 9 MiB Packages.xz, a 50 KiB InRelease); the client reads a
    // 4 KiB head, a 128 KiB screen and a 1 MiB final.
    let err = stderr(&out);
    let line = err.lines().find(|l| l.starts_with("probing read ")).unwrap_or_else(|| panic!("{err}"));
    let read = line.trim_start_matches("probing read ").split(" in ").next().unwrap();
    let kib: f64 = if let Some(m) = read.strip_suffix(" MiB") {
        m.parse::<f64>().unwrap() * 1024.0
    } else {
        read.trim_end_matches(" KiB").parse().unwrap()
    };
    // Each of the three reads may overshoot by one network read buffer (hyper's is at most
    // about 408 KiB), most when load keeps the client from reading for a while: far from
    // the 9 MiB a whole read would be.
    let budget = 4.0 + 128.0 + 1024.0;
    assert!(kib < budget + 3.0 * 408.0, "{line}");
}

#[test]
fn bench_with_no_target_ranks_the_package_managers_on_this_system() {
    let farm = Farm::start(&[Spec::new("alpha")]);
    let env = Env::debian();
    // A Debian root with apt and nothing else.
    std::fs::create_dir_all(env.path("root/etc/apt")).unwrap();
    let (b, out, _) = env.bench(&farm, &["--timeout", "2s"]);
    assert_eq!(status(&out), 0, "{}", stderr(&out));
    let names: Vec<&str> = b.targets.iter().map(|t| t.target.as_str()).collect();
    assert_eq!(names, ["apt"]);
}

#[test]
fn a_site_already_answering_is_slow_when_the_run_ends_before_its_own_timeout() {
    // `far` answers every request 1.6 s late: its first answer comes in time, the second would
    // come after probing ends (3 s), though before its own 3 s `--timeout`. That is no
    // evidence against it: slow, with what it answered, never failed.
    let farm = Farm::start(&[Spec::new("a").ttfb(5), Spec::new("b").ttfb(10), Spec::new("far").ttfb(1600)]);
    let env = Env::debian();
    let (b, out, _) = env.bench(&farm, &["pip", "--timeout", "3s"]);
    assert_eq!(status(&out), 0, "{}", stderr(&out));
    let far = row(&b.targets[0], "far");
    assert_eq!(far.status, "slow", "{far:?}");
    assert!(far.reason.starts_with("answered simple page in 1."), "{far:?}");
}

#[test]
fn a_site_whose_clock_is_ahead_does_not_make_the_honest_ones_stale() {
    let farm = Farm::start(&[Spec::new("honest1"), Spec::new("honest2").ttfb(10), Spec::new("future").ahead(30 * DAY)]);
    let env = Env::debian();
    for target in ["pacman", "apt", "cargo"] {
        let (b, out, _) = env.bench(&farm, &[target, "--timeout", "3s", "-v"]);
        assert_eq!(status(&out), 0, "{}", stderr(&out));
        let t = &b.targets[0];
        for honest in ["honest1", "honest2"] {
            assert_eq!(row(t, honest).status, "ok", "{target}: {t:#?}");
            assert_eq!(row(t, honest).lag_seconds, Some(0), "{target}: {t:#?}");
        }
        assert!(stderr(&out).contains("s in the future; ignored"), "{target}: {}", stderr(&out));
    }
}

#[test]
fn waiting_for_a_busy_host_is_not_the_sites_fault() {
    use mirror::probe::{self, Options, Status};
    use mirror::targets::{Host, TargetKind};

    // One request at a time per host, four targets at once: requests queue for the slot.
    let farm = Farm::start(&[Spec::new("alpha").mbps(5), Spec::new("beta").ttfb(20).mbps(2)]);
    let env = Env::debian();
    let ctx = library_context(&env, farm.catalog());
    let host = Host::detect(&ctx).unwrap();
    let catalog = mirror::catalog::Catalog::from_path(farm.catalog()).unwrap();
    let opts = Options {
        proxy_from_env: false,
        per_host: 1,
        ..Options::new(Duration::from_secs(3), Duration::from_secs(DAY))
    };
    let targets = [TargetKind::Apt, TargetKind::Pacman, TargetKind::Pip, TargetKind::Cargo];
    let report = probe::bench(&ctx, &catalog, &host, &targets, &opts).unwrap();
    for t in &report.targets {
        for r in &t.results {
            assert!(r.status == Status::Ok || r.status == Status::Slow, "{:?}: {r:?}", t.target);
        }
    }
}
