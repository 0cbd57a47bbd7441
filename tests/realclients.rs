//! Proof by the real clients (issue #5).
//!
//! For each target: build a tiny real repository, serve it on 127.0.0.1 (site `loop` in a
//! `--catalog`), run `mirror use loop <target>` against a fake `--root`/HOME holding stock
//! configs, and prove with the real client that the written config is read and works; then
//! `mirror restore` and show the same client sees the original configuration again; then
//! `mirror use broken <target>` (a site whose index answers 404, or whose apt metadata is
//! expired) and show the real client fails.
//!
//! `mirror use --verify` is proven the same way: the first switch to the good site is checked
//! and passes, checked by the real client (or, for targets without one here, the probe); and
//! against each broken loopback mirror (404, 500 everywhere, a web server's welcome page
//! instead of the repository, and for apt a mirror missing a suite) the check fails, the
//! switch is put back, and the files are byte-identical to before.
//!
//! Clients get a scrubbed environment and the test server as their HTTP(S) proxy for every
//! non-loopback host: a client that reaches for an upstream (pypi.org, deb.debian.org, …) is
//! recorded and refused, never connected. For apt the proxy serves fake official servers
//! ("deb.debian.org", "http.kali.org", "raspbian.raspberrypi.com", "archive.raspberrypi.com")
//! so that the stock sources (and the security stanza that stays upstream) update offline.
//! Daemons (dockerd, containerd) and registries are started by the test with private paths
//! and stopped at its end (`realclients/docker_support.rs`).
//!
//! Tools come from `.ci/realclients-install.sh`. A missing tool skips the test with a
//! `SKIPPED realclients::<name>` line on stderr, or fails it under `MIRROR_REALCLIENTS=require`.
//! Run with `cargo test --test realclients -- --nocapture` to see each step and its timing.
#![allow(clippy::print_stderr, clippy::print_stdout)]

#[path = "realclients/docker_support.rs"]
mod docker_support;
#[path = "realclients/harness.rs"]
mod harness;
#[path = "realclients/server.rs"]
mod server;

#[path = "realclients/devclients.rs"]
mod devclients;

use std::fs;
use std::process::Command;

use harness::{Need, Sandbox, build, read, symlink, system_python, tests_dir, tools_present, venv};

const DEBIAN_OS_RELEASE: &str = r#"PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
HOME_URL="https://www.debian.org/"
SUPPORT_URL="https://www.debian.org/support"
BUG_REPORT_URL="https://bugs.debian.org/"
"#;

fn debian_root(sb: &Sandbox) {
    sb.write(&sb.root.join("etc/os-release"), DEBIAN_OS_RELEASE);
}

// ---------------------------------------------------------------------------------------------
// apt

/// Debian 12 container image `debian.sources`, verbatim except for the keyring path (the test
/// archive is signed by a test key, so `Signed-By` names a keyring holding that key).
const DEBIAN_SOURCES: &str = "Types: deb
# http://snapshot.debian.org/archive/debian/20240612T000000Z
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: @KEYRING@

Types: deb
# http://snapshot.debian.org/archive/debian-security/20240612T000000Z
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: @KEYRING@
";

/// What the Debian 12 installer writes, plus `[signed-by=…]` on every line (hardened hosts do
/// that; here it also proves the option survives: apt has no other key to verify with).
const SOURCES_LIST: &str = "#deb cdrom:[Debian GNU/Linux 12.5.0 _Bookworm_ - Official amd64 NETINST with firmware 20240210-11:27]/ bookworm contrib main non-free-firmware

deb [signed-by=@KEYRING@] http://deb.debian.org/debian/ bookworm main non-free-firmware
deb-src [signed-by=@KEYRING@] http://deb.debian.org/debian/ bookworm main non-free-firmware

deb [signed-by=@KEYRING@] http://security.debian.org/debian-security bookworm-security main non-free-firmware
deb-src [signed-by=@KEYRING@] http://security.debian.org/debian-security bookworm-security main non-free-firmware

# bookworm-updates, to get updates before a point release is made;
# see https://www.debian.org/doc/manuals/debian-reference/ch02.en.html#_updates_and_backports
deb [signed-by=@KEYRING@] http://deb.debian.org/debian/ bookworm-updates main non-free-firmware
deb-src [signed-by=@KEYRING@] http://deb.debian.org/debian/ bookworm-updates main non-free-firmware

# This system was installed using small removable media
# (e.g. netinst, live or single CD). The matching \"deb cdrom\"
# entries were disabled at the end of the installation process.
# For information about how to configure apt package sources,
# see the sources.list(5) manual.
";

/// One stanza for the archive and the security suites (as provisioning scripts and Pop!_OS
/// write it): `mirror` splits it, and apt must accept the two stanzas it leaves.
const DEBIAN_ONE_STANZA: &str = "## One stanza for everything.
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates bookworm-security
Components: main
Signed-By: @KEYRING@
";

/// A private apt: Dir::Etc is the --root's /etc/apt, state/cache/log in the sandbox; no
/// system apt.conf.d hooks; `arch` is its architecture. Non-loopback hosts go through the
/// recording proxy.
struct PrivateApt<'a> {
    sb: &'a Sandbox,
    conf: std::path::PathBuf,
    dir: std::path::PathBuf,
}

impl<'a> PrivateApt<'a> {
    fn new(sb: &'a Sandbox, arch: &str) -> Self {
        let a = sb.path("aptstate");
        for d in ["lists/partial", "archives/partial", "log", "dl"] {
            fs::create_dir_all(a.join(d)).unwrap();
        }
        fs::write(a.join("status"), "").unwrap();
        let proxy = sb.server.url();
        let conf = sb.write(
            &a.join("apt.conf"),
            &format!(
                r#"Dir::Etc "{etc}";
Dir::State "{a}";
Dir::State::Lists "{a}/lists";
Dir::State::status "{a}/status";
Dir::Cache "{a}";
Dir::Cache::Archives "{a}/archives";
Dir::Log "{a}/log";
Debug::NoLocking "true";
APT::Sandbox::User "root";
APT::Architecture "{arch}";
APT::Architectures {{ "{arch}"; }};
Acquire::Languages "none";
Acquire::Retries "0";
Acquire::http::Timeout "10";
Acquire::http::Proxy "{proxy}/";
Acquire::http::Proxy::127.0.0.1 "DIRECT";
Acquire::https::Proxy "{proxy}/";
Acquire::https::Proxy::127.0.0.1 "DIRECT";
"#,
                etc = sb.root.join("etc/apt").display(),
                a = a.display()
            ),
        );
        PrivateApt { sb, conf, dir: a }
    }

    /// `apt-get ARGS` run in the download folder.
    fn get(&self, args: &[&str]) -> Command {
        let mut c = self.sb.client("apt-get");
        c.env("APT_CONFIG", &self.conf).args(args).current_dir(self.dir.join("dl"));
        c
    }

    /// `apt-get update`, where a failed fetch is an error.
    fn update(&self) -> Command {
        self.get(&["update", "--error-on=any"])
    }
}

#[derive(Clone, Copy, PartialEq)]
enum AptStyle {
    Deb822,
    OneLine,
    OneStanza,
}

#[test]
fn apt_deb822() {
    apt(AptStyle::Deb822, "apt_deb822");
}

#[test]
fn apt_one_line() {
    apt(AptStyle::OneLine, "apt_one_line");
}

#[test]
fn apt_split_stanza() {
    apt(AptStyle::OneStanza, "apt_split_stanza");
}

fn apt(style: AptStyle, name: &'static str) {
    let needs = [
        Need::Cmd("apt-get"),
        Need::Cmd("apt-ftparchive"),
        Need::Cmd("dpkg-deb"),
        Need::Cmd("gpg"),
        Need::Cmd("gpgconf"),
    ];
    if !tools_present(name, &needs) {
        return;
    }
    let sb = Sandbox::new(name, None);
    let (archive, stale, keyring) =
        (sb.path("apt/archive"), sb.path("apt/stale"), sb.path("keyrings/debian-archive-keyring.gpg"));
    fs::create_dir_all(keyring.parent().unwrap()).unwrap();
    let repo = |dir: &std::path::Path, mode: &str, suites: &[&str]| {
        let mut c = sb.client(tests_dir().join("apt-repo.sh"));
        c.arg(sb.path("apt/gnupg")).arg(&keyring).arg(dir).arg(mode).args(suites);
        build(&format!("apt archive ({mode})"), &mut c);
    };
    repo(&archive, "fresh", &["bookworm", "bookworm-updates", "bookworm-security"]);
    repo(&stale, "stale", &["bookworm", "bookworm-updates"]);

    // The mirror carries the archive suites; security lives in debian-security upstream.
    let w = &sb.www;
    symlink(&archive.join("pool"), &w.join("loop/debian/pool"));
    for suite in ["bookworm", "bookworm-updates"] {
        symlink(&archive.join("dists").join(suite), &w.join("loop/debian/dists").join(suite));
    }
    symlink(&stale, &w.join("broken/debian"));
    // A mirror that lacks `bookworm-updates`.
    symlink(&archive.join("pool"), &w.join("partial/debian/pool"));
    symlink(&archive.join("dists/bookworm"), &w.join("partial/debian/dists/bookworm"));
    // The fake official servers, reached only through the proxy.
    for (host, path) in [
        ("deb.debian.org", "debian"),
        ("deb.debian.org", "debian-security"),
        ("security.debian.org", "debian-security"),
    ] {
        symlink(&archive, &w.join("_hosts").join(host).join(path));
    }

    debian_root(&sb);
    for d in ["apt.conf.d", "preferences.d", "trusted.gpg.d", "sources.list.d", "keyrings"] {
        fs::create_dir_all(sb.root.join("etc/apt").join(d)).unwrap();
    }
    // Where the security suite is read from, and how the written file names it.
    let (file, stock, security_host, security_tree, security_entry) = match style {
        AptStyle::Deb822 => (
            "etc/apt/sources.list.d/debian.sources",
            DEBIAN_SOURCES,
            "deb.debian.org",
            "debian-security",
            "URIs: http://deb.debian.org/debian-security\nSuites: bookworm-security\n",
        ),
        AptStyle::OneLine => (
            "etc/apt/sources.list",
            SOURCES_LIST,
            "security.debian.org",
            "debian-security",
            "http://security.debian.org/debian-security bookworm-security",
        ),
        AptStyle::OneStanza => (
            "etc/apt/sources.list.d/debian.sources",
            DEBIAN_ONE_STANZA,
            "deb.debian.org",
            "debian",
            "URIs: http://deb.debian.org/debian\nSuites: bookworm-security\n",
        ),
    };
    let stock = stock.replace("@KEYRING@", keyring.to_str().unwrap());
    let sources = sb.write(&sb.root.join(file), &stock);

    let apt = PrivateApt::new(&sb, "amd64");
    let a = &apt.dir;
    let apt_get = |args: &[&str]| apt.get(args);
    let update = || apt.update();
    let deb = "mirrortest-hello_1.0-1_all.deb";

    // Baseline: the stock file works against the (fake) official servers.
    sb.ok("apt-get update (stock sources)", &mut update());
    sb.assert_proxied("deb.debian.org");
    sb.assert_no_hit("/loop/");

    // use loop: archive suites from the mirror, security still from the official server;
    // checked by `apt-get update` of the release files.
    sb.use_verified(&sb.good, "apt", "apt-get");
    let written = read(&sources);
    eprintln!("--- written {file}\n{written}---");
    assert!(written.contains(&sb.good.debian()), "mirror URI not written:\n{written}");
    let keyring_mentions = |s: &str| s.matches(keyring.to_str().unwrap()).count();
    // A split stanza keeps its `Signed-By` in both halves.
    let copies = if style == AptStyle::OneStanza { 2 } else { 1 };
    assert_eq!(
        keyring_mentions(&written),
        copies * keyring_mentions(&stock),
        "signed-by/Signed-By not kept:\n{written}"
    );
    assert!(written.contains(security_entry), "security moved off upstream:\n{written}");
    if style == AptStyle::OneStanza {
        assert!(
            written.contains(&format!("URIs: {}\nSuites: bookworm bookworm-updates\n", sb.good.debian())),
            "the stanza was not split:\n{written}"
        );
    }
    sb.server.clear();
    sb.ok("apt-get update (mirror)", &mut update());
    sb.assert_hit("/loop/debian/dists/bookworm/InRelease", 200);
    sb.assert_hit("/loop/debian/dists/bookworm-updates/InRelease", 200);
    assert!(
        sb.server
            .proxy_hits(security_host)
            .iter()
            .any(|h| h.path.contains(&format!("/{security_tree}/dists/bookworm-security/InRelease"))),
        "security suite should still come from {security_host}:\n{}",
        sb.server.dump()
    );
    let archive_paths = ["/debian/dists/bookworm/", "/debian/dists/bookworm-updates/", "/debian/pool/"];
    assert!(
        !sb.server.proxy_hits("deb.debian.org").iter().any(|h| archive_paths.iter().any(|p| h.path.starts_with(p))),
        "archive suites still fetched from deb.debian.org:\n{}",
        sb.server.dump()
    );
    sb.ok("apt-get download (mirror)", &mut apt_get(&["download", "mirrortest-hello"]));
    assert!(a.join("dl").join(deb).is_file(), "apt-get download wrote no .deb");
    sb.assert_hit(&format!("/loop/debian/pool/main/m/mirrortest-hello/{deb}"), 200);

    // restore: the original file, and apt goes back to deb.debian.org for everything.
    sb.restore();
    assert_eq!(read(&sources), stock, "restore did not bring back the exact bytes");
    fs::remove_file(a.join("dl").join(deb)).unwrap();
    sb.server.clear();
    sb.ok("apt-get update (restored)", &mut update());
    sb.ok("apt-get download (restored)", &mut apt_get(&["download", "mirrortest-hello"]));
    sb.assert_no_hit("/loop/");
    assert!(
        sb.server
            .proxy_hits("deb.debian.org")
            .iter()
            .any(|h| h.path == format!("/debian/pool/main/m/mirrortest-hello/{deb}")),
        "after restore the package should come from deb.debian.org:\n{}",
        sb.server.dump()
    );

    // The check catches every broken mirror, and the file stays as it was.
    for site in [&sb.broken, &sb.error, &sb.wrong, &sb.partial] {
        sb.assert_check_catches(site, "apt", "apt-get", &[&sources]);
    }
    assert_eq!(read(&sources), stock);

    // broken: signed but expired Release files; apt refuses them.
    sb.use_site(&sb.broken, "apt");
    sb.server.clear();
    let out = sb.fails("apt-get update (broken site)", &mut update());
    sb.assert_hit("/broken/debian/dists/bookworm/InRelease", 200);
    assert!(out.contains("expired"), "apt should refuse the expired Release:\n{out}");
    sb.assert_status_check_reports_failing("apt");
}

// ---------------------------------------------------------------------------------------------
// apt on Kali and Raspberry Pi OS

/// An archive of a distribution's apt: built signed by the test key, carried by the site at
/// `tree` (none: only the official server has it) and by the fake official `host` at `path`.
struct AptArchive {
    tree: Option<&'static str>,
    host: &'static str,
    path: &'static str,
    suites: &'static [&'static str],
    /// Suites only the official server has (security).
    upstream_suites: &'static [&'static str],
    origin: &'static str,
    components: &'static str,
    package: &'static str,
}

/// A distribution whose stock sources name `archives`: `files` (path under the root, stock
/// text) are its sources, `keyrings` the names the test key is installed under in
/// `trusted.gpg.d` (the stock files name no `signed-by`: apt uses those).
struct AptDistribution {
    os_release: &'static str,
    arch: &'static str,
    files: &'static [(&'static str, &'static str)],
    keyrings: &'static [&'static str],
    archives: &'static [AptArchive],
}

const KALI_OS_RELEASE: &str = r#"PRETTY_NAME="Kali GNU/Linux Rolling"
NAME="Kali GNU/Linux"
VERSION_ID="2024.4"
VERSION="2024.4"
VERSION_CODENAME=kali-rolling
ID=kali
ID_LIKE=debian
HOME_URL="https://www.kali.org/"
SUPPORT_URL="https://forums.kali.org/"
BUG_REPORT_URL="https://bugs.kali.org/"
ANSI_COLOR="1;31"
"#;

const RASPBIAN_OS_RELEASE: &str = r#"PRETTY_NAME="Raspbian GNU/Linux 12 (bookworm)"
NAME="Raspbian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=raspbian
ID_LIKE=debian
HOME_URL="http://www.raspbian.org/"
SUPPORT_URL="http://www.raspbian.org/RaspbianForums"
BUG_REPORT_URL="http://www.raspbian.org/RaspbianBugs"
"#;

/// The Raspberry Pi archive beside Raspberry Pi OS's own (`raspi.list`).
const RASPBERRY_PI_ARCHIVE: AptArchive = AptArchive {
    tree: Some("raspberrypi"),
    host: "archive.raspberrypi.com",
    path: "debian",
    suites: &["bookworm"],
    upstream_suites: &[],
    origin: "Raspberry Pi Foundation",
    components: "main",
    package: "mirrortest-pi",
};

const RASPI_LIST: (&str, &str) = ("etc/apt/sources.list.d/raspi.list", include_str!("fixtures/apt/raspi.list"));

#[test]
fn apt_kali() {
    apt_distribution(
        "apt_kali",
        &AptDistribution {
            os_release: KALI_OS_RELEASE,
            arch: "amd64",
            files: &[("etc/apt/sources.list", include_str!("fixtures/apt/kali-rolling.list"))],
            keyrings: &["kali-archive-keyring.gpg"],
            archives: &[AptArchive {
                tree: Some("kali"),
                host: "http.kali.org",
                path: "kali",
                suites: &["kali-rolling"],
                upstream_suites: &[],
                origin: "Kali",
                components: "main contrib non-free non-free-firmware",
                package: "mirrortest-hello",
            }],
        },
    );
}

#[test]
fn apt_raspbian() {
    apt_distribution(
        "apt_raspbian",
        &AptDistribution {
            os_release: RASPBIAN_OS_RELEASE,
            arch: "armhf",
            files: &[("etc/apt/sources.list", include_str!("fixtures/apt/raspbian-bookworm.list")), RASPI_LIST],
            keyrings: &["raspbian-archive-keyring.gpg", "raspberrypi-archive-stable.gpg"],
            archives: &[
                AptArchive {
                    tree: Some("raspbian/raspbian"),
                    host: "raspbian.raspberrypi.com",
                    path: "raspbian",
                    suites: &["bookworm"],
                    upstream_suites: &[],
                    origin: "Raspbian",
                    components: "main contrib non-free rpi",
                    package: "mirrortest-hello",
                },
                RASPBERRY_PI_ARCHIVE,
            ],
        },
    );
}

/// Raspberry Pi OS 64-bit: Debian's archive (security stays upstream) and raspi.list.
#[test]
fn apt_raspberry_pi_os_64_bit() {
    apt_distribution(
        "apt_raspberry_pi_os_64_bit",
        &AptDistribution {
            os_release: DEBIAN_OS_RELEASE,
            arch: "arm64",
            files: &[("etc/apt/sources.list", include_str!("fixtures/apt/rpios64-bookworm.list")), RASPI_LIST],
            keyrings: &["debian-archive-bookworm-stable.gpg", "raspberrypi-archive-stable.gpg"],
            archives: &[
                AptArchive {
                    tree: Some("debian"),
                    host: "deb.debian.org",
                    path: "debian",
                    suites: &["bookworm", "bookworm-updates"],
                    upstream_suites: &[],
                    origin: "Debian",
                    components: "main contrib non-free non-free-firmware",
                    package: "mirrortest-hello",
                },
                AptArchive {
                    tree: None,
                    host: "deb.debian.org",
                    path: "debian-security",
                    suites: &[],
                    upstream_suites: &["bookworm-security"],
                    origin: "Debian",
                    components: "main contrib non-free non-free-firmware",
                    package: "mirrortest-security",
                },
                RASPBERRY_PI_ARCHIVE,
            ],
        },
    );
}

/// `use loop apt`: `apt-get update` and `apt-get download` of each archive's package from the
/// site (what only the official server has from there); `restore`: the stock bytes, and apt
/// on the official servers again; `use broken apt`: apt refuses the expired metadata.
fn apt_distribution(name: &'static str, d: &AptDistribution) {
    let needs = [
        Need::Cmd("apt-get"),
        Need::Cmd("apt-ftparchive"),
        Need::Cmd("dpkg-deb"),
        Need::Cmd("gpg"),
        Need::Cmd("gpgconf"),
    ];
    if !tools_present(name, &needs) {
        return;
    }
    let sb = Sandbox::new(name, None);
    sb.write(&sb.root.join("etc/os-release"), d.os_release);
    for dir in ["apt.conf.d", "preferences.d", "trusted.gpg.d", "sources.list.d"] {
        fs::create_dir_all(sb.root.join("etc/apt").join(dir)).unwrap();
    }
    let key = sb.path("keyrings/test.gpg");
    fs::create_dir_all(key.parent().unwrap()).unwrap();
    let w = &sb.www;
    for (i, a) in d.archives.iter().enumerate() {
        let build_one = |dir: &std::path::Path, mode: &str, suites: Vec<&str>| {
            let mut c = sb.client(tests_dir().join("apt-repo.sh"));
            c.env("ORIGIN", a.origin).env("COMPONENTS", a.components).env("ARCHS", d.arch).env("PACKAGE", a.package);
            c.arg(sb.path("apt/gnupg")).arg(&key).arg(dir).arg(mode).args(suites);
            build(&format!("{} archive ({mode})", a.origin), &mut c);
        };
        let (fresh, stale) = (sb.path(&format!("apt/{i}/fresh")), sb.path(&format!("apt/{i}/stale")));
        build_one(&fresh, "fresh", a.suites.iter().chain(a.upstream_suites).copied().collect());
        symlink(&fresh, &w.join("_hosts").join(a.host).join(a.path));
        if let Some(tree) = a.tree {
            // The site carries the suites the mirror serves, not the ones only upstream has.
            symlink(&fresh.join("pool"), &w.join("loop").join(tree).join("pool"));
            for suite in a.suites {
                symlink(&fresh.join("dists").join(suite), &w.join("loop").join(tree).join("dists").join(suite));
            }
            build_one(&stale, "stale", a.suites.to_vec());
            symlink(&stale, &w.join("broken").join(tree));
        }
    }
    for keyring in d.keyrings {
        fs::copy(&key, sb.root.join("etc/apt/trusted.gpg.d").join(keyring)).unwrap();
    }
    let files: Vec<(std::path::PathBuf, &str)> =
        d.files.iter().map(|(rel, stock)| (sb.write(&sb.root.join(rel), stock), *stock)).collect();
    let apt = PrivateApt::new(&sb, d.arch);
    let dl = apt.dir.join("dl");
    let download = |what: &str| {
        for a in d.archives {
            sb.ok(&format!("apt-get download {} ({what})", a.package), &mut apt.get(&["download", a.package]));
            fs::remove_file(dl.join(format!("{}_1.0-1_all.deb", a.package))).unwrap();
        }
    };
    let pool = |a: &AptArchive| {
        format!(
            "pool/{0}/{1}/{2}/{2}_1.0-1_all.deb",
            a.components.split(' ').next().unwrap(),
            &a.package[..1],
            a.package
        )
    };

    // Baseline: the stock files work against the (fake) official servers.
    sb.ok("apt-get update (stock sources)", &mut apt.update());
    for a in d.archives {
        sb.assert_proxied(a.host);
    }
    sb.assert_no_hit("/loop/");

    sb.use_site(&sb.good, "apt");
    for (path, stock) in &files {
        let written = read(path);
        eprintln!("--- written {}\n{written}---", path.display());
        assert_ne!(&written, stock, "{} was not switched", path.display());
        assert!(written.contains(&sb.good.base), "{}:\n{written}", path.display());
    }
    sb.server.clear();
    sb.ok("apt-get update (mirror)", &mut apt.update());
    download("mirror");
    for a in d.archives {
        match a.tree {
            Some(tree) => {
                for suite in a.suites {
                    sb.assert_hit(&format!("/loop/{tree}/dists/{suite}/InRelease"), 200);
                }
                sb.assert_hit(&format!("/loop/{tree}/{}", pool(a)), 200);
                let upstream = sb.server.proxy_hits(a.host);
                assert!(
                    !upstream.iter().any(|h| h.path.starts_with(&format!("/{}/", a.path))),
                    "{} still fetched from {}:\n{}",
                    a.origin,
                    a.host,
                    sb.server.dump()
                );
            }
            None => {
                let upstream = sb.server.proxy_hits(a.host);
                for suite in a.upstream_suites {
                    let want = format!("/{}/dists/{suite}/InRelease", a.path);
                    assert!(
                        upstream.iter().any(|h| h.path == want),
                        "{want} not from {}:\n{}",
                        a.host,
                        sb.server.dump()
                    );
                }
            }
        }
    }
    let status = sb.mirror(&["--json", "status", "apt"]);
    let doc: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(doc["targets"][0]["site"], "loop", "{doc}");

    sb.restore();
    for (path, stock) in &files {
        assert_eq!(&read(path), stock, "restore did not bring back the exact bytes of {}", path.display());
    }
    sb.server.clear();
    sb.ok("apt-get update (restored)", &mut apt.update());
    download("restored");
    sb.assert_no_hit("/loop/");
    for a in d.archives {
        let want = format!("/{}/{}", a.path, pool(a));
        assert!(
            sb.server.proxy_hits(a.host).iter().any(|h| h.path == want),
            "after restore {want} should come from {}:\n{}",
            a.host,
            sb.server.dump()
        );
    }

    // broken: signed but expired Release files; apt refuses them.
    sb.use_site(&sb.broken, "apt");
    sb.server.clear();
    let out = sb.fails("apt-get update (broken site)", &mut apt.update());
    assert!(out.contains("expired"), "apt should refuse the expired Release:\n{out}");
    let first = d.archives.iter().find_map(|a| a.tree.map(|t| (t, a.suites[0]))).unwrap();
    sb.assert_hit(&format!("/broken/{}/dists/{}/InRelease", first.0, first.1), 200);
    sb.assert_status_check_reports_failing("apt");
}

// ---------------------------------------------------------------------------------------------
// pacman

const ARCH_OS_RELEASE: &str = r#"NAME="Arch Linux"
PRETTY_NAME="Arch Linux"
ID=arch
BUILD_ID=rolling
ANSI_COLOR="38;2;23;147;209"
HOME_URL="https://archlinux.org/"
DOCUMENTATION_URL="https://wiki.archlinux.org/"
SUPPORT_URL="https://bbs.archlinux.org/"
BUG_REPORT_URL="https://gitlab.archlinux.org/groups/archlinux/-/issues"
PRIVACY_POLICY_URL="https://terms.archlinux.org/docs/privacy-policy/"
LOGO=archlinux-logo
"#;

/// The archlinux container image's mirrorlist (written by reflector).
const MIRRORLIST: &str = "################################################################################
################# Arch Linux mirrorlist generated by Reflector #################
################################################################################

# With:       reflector @/etc/xdg/reflector/reflector.conf
# When:       2024-06-09 00:03:24 UTC
# From:       https://archlinux.org/mirrors/status/json/
# Retrieved:  2024-06-09 00:03:21 UTC
# Last Check: 2024-06-08 23:53:57 UTC

Server = https://geo.mirror.pkgbuild.com/$repo/os/$arch
Server = https://mirror.rackspace.com/archlinux/$repo/os/$arch
Server = https://mirror.leaseweb.net/archlinux/$repo/os/$arch
";

const PACMAN_CONF: &str = "#
# /etc/pacman.conf
#
[options]
HoldPkg     = pacman glibc
Architecture = auto
CheckSpace
SigLevel    = Required DatabaseOptional
LocalFileSigLevel = Optional

[core]
Include = /etc/pacman.d/mirrorlist

[extra]
Include = /etc/pacman.d/mirrorlist
";

#[test]
fn pacman() {
    let needs = [
        Need::Root,
        Need::Cmd("pacman"),
        Need::Cmd("pacman-conf"),
        Need::Cmd("repo-add"),
        Need::Cmd("bsdtar"),
        Need::Cmd("zstd"),
        Need::File("/usr/share/makepkg/util/compress.sh"),
    ];
    if !tools_present("pacman", &needs) {
        return;
    }
    let sb = Sandbox::new("pacman", None);
    build("pacman repos core+extra", sb.client(tests_dir().join("pacman-repo.sh")).arg(sb.www.join("loop/archlinux")));
    sb.write(&sb.root.join("etc/os-release"), ARCH_OS_RELEASE);
    sb.write(&sb.root.join("etc/pacman.conf"), PACMAN_CONF);
    let mirrorlist = sb.write(&sb.root.join("etc/pacman.d/mirrorlist"), MIRRORLIST);

    // A private pacman.conf: the stock repos, including the --root's mirrorlist.
    let p = sb.path("pacman");
    for d in ["root/var/lib/pacman", "root/var/cache/pacman/pkg", "gnupg", "hooks"] {
        fs::create_dir_all(p.join(d)).unwrap();
    }
    let conf = sb.write(
        &p.join("pacman.conf"),
        &format!(
            "[options]\nRootDir = {p}/root\nDBPath = {p}/root/var/lib/pacman/\nCacheDir = {p}/root/var/cache/pacman/pkg/\n\
             LogFile = {p}/pacman.log\nGPGDir = {p}/gnupg\nHookDir = {p}/hooks\nArchitecture = x86_64\n\
             SigLevel = Never\nLocalFileSigLevel = Never\n\n[core]\nInclude = {ml}\n\n[extra]\nInclude = {ml}\n",
            p = p.display(),
            ml = mirrorlist.display()
        ),
    );
    let servers = |repo: &str| -> Vec<String> {
        let mut c = sb.client("pacman-conf");
        c.arg("--config").arg(&conf).args(["--repo", repo, "Server"]);
        sb.ok(&format!("pacman-conf --repo {repo} Server"), &mut c).lines().map(str::to_string).collect()
    };
    let pacman = |args: &[&str]| {
        let mut c = sb.client("pacman");
        c.arg("--config").arg(&conf).args(args).arg("--noconfirm");
        c
    };
    assert_eq!(servers("core")[0], "https://geo.mirror.pkgbuild.com/core/os/x86_64");

    sb.use_verified(&sb.good, "pacman", "pacman");
    eprintln!("--- written mirrorlist\n{}---", read(&mirrorlist));
    for repo in ["core", "extra"] {
        let s = servers(repo);
        assert_eq!(s[0], format!("{}/{repo}/os/x86_64", sb.good.archlinux()), "mirror not first for [{repo}]: {s:?}");
    }
    sb.server.clear();
    sb.ok("pacman -Sy (mirror)", &mut pacman(&["-Sy"]));
    sb.assert_hit("/loop/archlinux/core/os/x86_64/core.db", 200);
    sb.assert_hit("/loop/archlinux/extra/os/x86_64/extra.db", 200);
    sb.ok("pacman -Sw mirrortest-hello (mirror)", &mut pacman(&["-Sw", "mirrortest-hello"]));
    sb.assert_hit("/loop/archlinux/extra/os/x86_64/mirrortest-hello-1.0-1-any.pkg.tar.zst", 200);
    sb.assert_only_proxied(&[]);

    sb.restore();
    assert_eq!(read(&mirrorlist), MIRRORLIST, "restore did not bring back the exact bytes");
    assert_eq!(servers("core")[0], "https://geo.mirror.pkgbuild.com/core/os/x86_64");
    sb.server.clear();
    sb.fails("pacman -Sy (restored)", &mut pacman(&["-Sy"]));
    sb.assert_no_hit("/loop/");
    sb.assert_proxied("geo.mirror.pkgbuild.com");

    for site in [&sb.broken, &sb.error, &sb.wrong] {
        sb.assert_check_catches(site, "pacman", "pacman", &[&mirrorlist]);
    }
    assert_eq!(read(&mirrorlist), MIRRORLIST);
    sb.use_site(&sb.broken, "pacman");
    assert_eq!(servers("core")[0], format!("{}/core/os/x86_64", sb.broken.archlinux()));
    sb.server.clear();
    sb.fails("pacman -Sy (broken site)", &mut pacman(&["-Sy"]));
    sb.assert_hit("/broken/archlinux/core/os/x86_64/core.db", 404);
    sb.assert_status_check_reports_failing("pacman");
}

// ---------------------------------------------------------------------------------------------
// pip

const PIP_CONF: &str = "# pip user configuration
[global]
timeout = 60

[list]
format = columns
";

#[test]
fn pip() {
    if !tools_present("pip", &[Need::Pip]) {
        return;
    }
    let sb = Sandbox::new("pip", None);
    debian_root(&sb);
    let py = system_python().unwrap();
    build("PEP 503 index", sb.client(&py).arg(tests_dir().join("pypi-index.py")).arg(sb.www.join("loop/simple")));
    let conf = sb.write(&sb.home.join(".config/pip/pip.conf"), PIP_CONF);
    // `mirror`'s check runs pip as the user would: the `pip3` next to the system python.
    sb.mirror_path(py.parent().unwrap());
    let pip = |args: &[&str]| {
        let mut c = sb.client(&py);
        c.args(["-m", "pip"]).args(args);
        c
    };
    let download =
        |dir: &str| pip(&["download", "--no-cache-dir", "--no-deps", "--retries", "0", "-d", dir, "mirrortest-hello"]);

    sb.use_verified(&sb.good, "pip", "pip");
    eprintln!("--- written pip.conf\n{}---", read(&conf));
    let cfg = sb.ok("pip config list", &mut pip(&["config", "list"]));
    assert!(cfg.contains(&format!("global.index-url='{}", sb.good.pypi())), "pip does not see the mirror:\n{cfg}");
    assert!(cfg.contains("global.timeout='60'"), "unrelated key lost:\n{cfg}");
    sb.server.clear();
    sb.ok("pip download (mirror)", &mut download("dl"));
    assert!(sb.path("dl/mirrortest_hello-1.0-py3-none-any.whl").is_file());
    sb.assert_hit("/loop/simple/mirrortest-hello/", 200);
    sb.assert_hit("/loop/simple/mirrortest-hello/mirrortest_hello-1.0-py3-none-any.whl", 200);
    sb.assert_only_proxied(&[]);

    sb.restore();
    assert_eq!(read(&conf), PIP_CONF, "restore did not bring back the exact bytes");
    sb.server.clear();
    sb.fails("pip download (restored)", &mut download("dl2"));
    sb.assert_no_hit("/loop/");
    sb.assert_proxied("pypi.org");

    for site in [&sb.broken, &sb.error, &sb.wrong] {
        sb.assert_check_catches(site, "pip", "pip", &[&conf]);
    }
    assert_eq!(read(&conf), PIP_CONF);
    sb.use_site(&sb.broken, "pip");
    sb.server.clear();
    sb.fails("pip download (broken site)", &mut download("dl3"));
    sb.assert_hit("/broken/simple/mirrortest-hello/", 404);
    sb.assert_status_check_reports_failing("pip");
}

// ---------------------------------------------------------------------------------------------
// uv

const UV_TOML: &str = "# uv user settings
link-mode = \"copy\"

[pip]
compile-bytecode = false
";

#[test]
fn uv() {
    if !tools_present("uv", &[Need::VenvBin("uv"), Need::Pip]) {
        return;
    }
    let sb = Sandbox::new("uv", None);
    debian_root(&sb);
    let py = system_python().unwrap();
    build("PEP 503 index", sb.client(&py).arg(tests_dir().join("pypi-index.py")).arg(sb.www.join("loop/simple")));
    let conf = sb.write(&sb.home.join(".config/uv/uv.toml"), UV_TOML);
    let req = sb.write(&sb.path("requirements.in"), "mirrortest-hello\n");
    let uv = venv().join("bin/uv");
    // `mirror`'s check finds uv, and the python it resolves for, on its `PATH`.
    sb.mirror_path(uv.parent().unwrap());
    sb.mirror_path(py.parent().unwrap());
    let compile = || {
        let mut c = sb.client(&uv);
        // No retries: after `restore` uv goes for pypi.org, which the recording proxy refuses.
        c.env("UV_HTTP_RETRIES", "0")
            .args(["pip", "compile", "--no-cache", "--emit-index-url", "--python"])
            .arg(&py)
            .arg(&req);
        c
    };

    sb.use_verified(&sb.good, "uv", "uv");
    eprintln!("--- written uv.toml\n{}---", read(&conf));
    sb.server.clear();
    let lock = sb.ok("uv pip compile (mirror)", &mut compile());
    assert!(lock.contains(&format!("--index-url {}", sb.good.pypi())), "not resolved from the mirror:\n{lock}");
    assert!(lock.contains("mirrortest-hello==1.0"), "{lock}");
    let target = sb.path("uv-target");
    let mut install = sb.client(&uv);
    install.args(["pip", "install", "--python"]).arg(&py).arg("--target").arg(&target).arg("mirrortest-hello");
    sb.ok("uv pip install (mirror)", &mut install);
    assert!(target.join("mirrortest_hello/__init__.py").is_file());
    sb.assert_hit("/loop/simple/mirrortest-hello/", 200);
    sb.assert_hit("/loop/simple/mirrortest-hello/mirrortest_hello-1.0-py3-none-any.whl", 200);
    sb.assert_only_proxied(&[]);

    sb.restore();
    assert_eq!(read(&conf), UV_TOML, "restore did not bring back the exact bytes");
    sb.server.clear();
    sb.fails("uv pip compile (restored)", &mut compile());
    sb.assert_no_hit("/loop/");
    sb.assert_proxied("pypi.org");

    for site in [&sb.broken, &sb.error, &sb.wrong] {
        sb.assert_check_catches(site, "uv", "uv", &[&conf]);
    }
    assert_eq!(read(&conf), UV_TOML);
    sb.use_site(&sb.broken, "uv");
    sb.server.clear();
    sb.fails("uv pip compile (broken site)", &mut compile());
    sb.assert_hit("/broken/simple/mirrortest-hello/", 404);
    sb.assert_status_check_reports_failing("uv");
}

/// What many users have: only `[pip] index-url` (here the broken site), which `uv add`,
/// `uv lock` and `uv sync` ignore.
const UV_PIP_ONLY: &str = "# uv user settings, from a blog post
[pip]
index-url = \"@BROKEN@\"
";

/// A named default index (here the broken site), as in uv's documentation.
const UV_NAMED: &str = "[[index]]
name = \"aliyun\"
url = \"@BROKEN@\"   # fast from Hangzhou
default = true
";

/// `uv lock` (the project interface) must resolve from the mirror after `use`, for a file that
/// had only `[pip] index-url` and for one with a named default index.
#[test]
fn uv_project_commands_use_the_mirror() {
    if !tools_present("uv_project_commands_use_the_mirror", &[Need::VenvBin("uv"), Need::Pip]) {
        return;
    }
    let sb = Sandbox::new("uv-project", None);
    debian_root(&sb);
    let py = system_python().unwrap();
    build("PEP 503 index", sb.client(&py).arg(tests_dir().join("pypi-index.py")).arg(sb.www.join("loop/simple")));
    let uv = venv().join("bin/uv");
    let proj = sb.path("proj");
    sb.write(
        &proj.join("pyproject.toml"),
        "[project]\nname = \"rc-consumer\"\nversion = \"0.1.0\"\nrequires-python = \">=3.8\"\ndependencies = [\"mirrortest-hello\"]\n",
    );
    let lock = || {
        let _ = fs::remove_file(proj.join("uv.lock"));
        let mut c = sb.client(&uv);
        c.env("UV_HTTP_RETRIES", "0").args(["lock", "--no-cache", "--python"]).arg(&py).current_dir(&proj);
        c
    };
    let conf = sb.home.join(".config/uv/uv.toml");
    for (name, stock) in [("pip-only", UV_PIP_ONLY), ("named", UV_NAMED)] {
        let stock = stock.replace("@BROKEN@", &sb.broken.pypi());
        sb.write(&conf, &stock);
        sb.server.clear();
        sb.fails(&format!("uv lock ({name}, stock)"), &mut lock());
        if name == "pip-only" {
            // `[pip] index-url` does not reach `uv lock`: it goes to PyPI.
            sb.assert_no_hit("/broken/");
            sb.assert_proxied("pypi.org");
        } else {
            sb.assert_hit("/broken/simple/mirrortest-hello/", 404);
        }

        sb.use_site(&sb.good, "uv");
        let written = read(&conf);
        eprintln!("--- written uv.toml ({name})\n{written}---");
        assert!(written.contains("name = \"mirror\""), "{written}");
        assert!(!written.contains("aliyun"), "{written}");
        sb.server.clear();
        sb.ok(&format!("uv lock ({name}, mirror)"), &mut lock());
        let locked = read(&proj.join("uv.lock"));
        assert!(locked.contains(&format!("registry = \"{}\"", sb.good.pypi())), "{locked}");
        sb.assert_hit("/loop/simple/mirrortest-hello/", 200);
        sb.assert_no_hit("/broken/");
        sb.assert_only_proxied(&[]);

        sb.restore();
        assert_eq!(read(&conf), stock, "restore did not bring back the exact bytes");
    }
}

// ---------------------------------------------------------------------------------------------
// cargo

const CARGO_CONFIG: &str = "# ~/.cargo/config.toml
[net]
git-fetch-with-cli = true

[term]
color = \"never\"
";

#[test]
fn cargo() {
    if !tools_present("cargo", &[Need::Cmd("cargo"), Need::Cmd("sha256sum")]) {
        return;
    }
    let sb = Sandbox::new("cargo", None);
    debian_root(&sb);
    let mut mk = sb.client("sh");
    mk.arg(tests_dir().join("crates-index.sh"))
        .arg(sb.www.join("loop/crates.io-index"))
        .arg(sb.www.join("loop/crates-dl"))
        .arg(format!("{}/crates-dl/{{crate}}-{{version}}.crate", sb.good.base));
    build("sparse crates index", &mut mk);
    let cargo_home = sb.home.join(".cargo");
    let conf = sb.write(&cargo_home.join("config.toml"), CARGO_CONFIG);
    let proj = sb.path("proj");
    sb.write(
        &proj.join("Cargo.toml"),
        "[package]\nname = \"rc-consumer\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\nmirrortest-hello = \"1\"\n\n[workspace]\n",
    );
    sb.write(&proj.join("src/main.rs"), "fn main() { println!(\"{}\", mirrortest_hello::greeting()); }\n");
    let fetch = || {
        // A fresh resolution each time: no lockfile, no downloaded registry data.
        let _ = fs::remove_file(proj.join("Cargo.lock"));
        let _ = fs::remove_dir_all(cargo_home.join("registry"));
        let mut c = sb.client("cargo");
        c.arg("fetch").current_dir(&proj).env("CARGO_HOME", &cargo_home).env("CARGO_NET_RETRY", "0");
        c
    };

    sb.use_verified(&sb.good, "cargo", "cargo");
    let written = read(&conf);
    eprintln!("--- written config.toml\n{written}---");
    assert!(
        written.contains(&format!("\"sparse+{}\"", sb.good.crates())),
        "no sparse registry for the mirror:\n{written}"
    );
    sb.server.clear();
    sb.ok("cargo fetch (mirror)", &mut fetch());
    sb.assert_hit("/loop/crates.io-index/config.json", 200);
    sb.assert_hit("/loop/crates.io-index/mi/rr/mirrortest-hello", 200);
    sb.assert_hit("/loop/crates-dl/mirrortest-hello-1.0.0.crate", 200);
    sb.assert_only_proxied(&[]);

    sb.restore();
    assert_eq!(read(&conf), CARGO_CONFIG, "restore did not bring back the exact bytes");
    sb.server.clear();
    sb.fails("cargo fetch (restored)", &mut fetch());
    sb.assert_no_hit("/loop/");
    sb.assert_proxied("index.crates.io");

    for site in [&sb.broken, &sb.error, &sb.wrong] {
        sb.assert_check_catches(site, "cargo", "cargo", &[&conf]);
    }
    assert_eq!(read(&conf), CARGO_CONFIG);
    sb.use_site(&sb.broken, "cargo");
    sb.server.clear();
    sb.fails("cargo fetch (broken site)", &mut fetch());
    sb.assert_hit("/broken/crates.io-index/config.json", 404);
    sb.assert_status_check_reports_failing("cargo");
}

// ---------------------------------------------------------------------------------------------
// conda

/// `@BROKEN@/cloud/conda-forge/` is a channel URL written out in full, as `conda config --add
/// channels` leaves it: `use` must move it to the site too.
const CONDARC: &str = "# conda user configuration
channels:
  - defaults
  - conda-forge
  - @BROKEN@/cloud/conda-forge/
auto_activate_base: false
channel_priority: strict
";

#[test]
fn conda() {
    if !tools_present("conda", &[Need::VenvModules("rattler, ruamel.yaml")]) {
        return;
    }
    let sb = Sandbox::new("conda", None);
    debian_root(&sb);
    let py = venv().join("bin/python");
    build(
        "conda channels",
        sb.client(&py).arg(tests_dir().join("conda-channels.py")).arg(sb.www.join("loop/anaconda")),
    );
    let stock = CONDARC.replace("@BROKEN@", &sb.broken.anaconda());
    let condarc = sb.write(&sb.home.join(".condarc"), &stock);
    let check = || {
        let mut c = sb.client(&py);
        c.arg(tests_dir().join("check-condarc.py")).arg(&condarc).arg("mirrortest-hello");
        c
    };
    let report =
        |out: &str| -> serde_json::Value { serde_json::from_str(out).unwrap_or_else(|e| panic!("{e}: {out}")) };

    // No conda or mamba installs here (see realclients.md): the probe checks.
    sb.use_verified(&sb.good, "conda", "probe");
    eprintln!("--- written .condarc\n{}---", read(&condarc));
    sb.server.clear();
    let r = report(&sb.ok("check-condarc (mirror)", &mut check()));
    let a = sb.good.anaconda();
    let expected =
        [format!("{a}/pkgs/main"), format!("{a}/pkgs/r"), format!("{a}/pkgs/msys2"), format!("{a}/cloud/conda-forge")];
    assert_eq!(r["channels"], serde_json::json!(expected), "conda would not use the mirror for every channel: {r}");
    assert_eq!(r["solved"][0], format!("{a}/pkgs/main/noarch/mirrortest-hello-1.0-0.tar.bz2"), "{r}");
    sb.assert_hit("/loop/anaconda/pkgs/main/noarch/", 200);
    sb.assert_hit("/loop/anaconda/cloud/conda-forge/noarch/", 200);
    sb.assert_only_proxied(&[]);

    sb.restore();
    assert_eq!(read(&condarc), stock, "restore did not bring back the exact bytes");
    sb.server.clear();
    let out = sb.run("check-condarc (restored)", &mut check());
    assert!(!out.status.success());
    let r = report(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(
        r["channels"],
        serde_json::json!([
            "https://repo.anaconda.com/pkgs/main",
            "https://repo.anaconda.com/pkgs/r",
            "https://conda.anaconda.org/conda-forge",
            format!("{}/cloud/conda-forge", sb.broken.anaconda())
        ]),
        "{r}"
    );
    sb.assert_no_hit("/loop/");
    sb.assert_proxied("repo.anaconda.com");

    for site in [&sb.broken, &sb.error, &sb.wrong] {
        sb.assert_check_catches(site, "conda", "probe", &[&condarc]);
    }
    assert_eq!(read(&condarc), stock);
    sb.use_site(&sb.broken, "conda");
    sb.server.clear();
    sb.fails("check-condarc (broken site)", &mut check());
    sb.assert_hit("/broken/anaconda/pkgs/main/", 404);
    sb.assert_status_check_reports_failing("conda");
}

// ---------------------------------------------------------------------------------------------
// docker

/// A stock-looking daemon.json with one mirror of the user's own (`@OTHER@`, a loopback port
/// nobody listens on), written inline as most real files have it: `use` must put the site
/// first, keep this one after it, and leave every other byte alone.
const DAEMON_JSON: &str = r#"{
  "log-driver": "json-file",
  "log-opts": {"max-size": "10m", "max-file": "3"},
  "registry-mirrors": ["@OTHER@"],
  "features": {
    "buildkit": true
  }
}
"#;

/// A sandbox on Debian whose sites' Docker Hub mirrors are two empty `docker-registry`
/// instances on loopback: `loop`'s and `broken`'s.
fn registry_sandbox(name: &'static str) -> (Sandbox, docker_support::Registry, docker_support::Registry) {
    let (good_port, broken_port) = (harness::free_port(), harness::free_port());
    let url = |port: u16| format!("http://127.0.0.1:{port}");
    let sb = Sandbox::new(name, Some((url(good_port), url(broken_port))));
    debian_root(&sb);
    let good = docker_support::Registry::start(&sb, "good", good_port);
    let broken = docker_support::Registry::start(&sb, "broken", broken_port);
    (sb, good, broken)
}

#[test]
fn docker() {
    let needs = [
        Need::Root,
        Need::Cmd("dockerd"),
        Need::Cmd("docker"),
        Need::Cmd("docker-registry"),
        Need::Cmd("containerd"),
        Need::Cmd("tar"),
    ];
    if !tools_present("docker", &needs) {
        return;
    }
    let (sb, good_reg, broken_reg) = registry_sandbox("docker");
    let other = format!("http://127.0.0.1:{}", harness::free_port());
    let stock = DAEMON_JSON.replace("@OTHER@", &other);
    let daemon_json = sb.write(&sb.root.join("etc/docker/daemon.json"), &stock);

    let d = docker_support::Dockerd::start(&sb, &daemon_json);
    // `mirror`'s check asks this daemon (`docker info`).
    sb.mirror_env("DOCKER_HOST", d.host());
    let docker = |args: &[&str]| d.cli(&sb, args);
    let mirrors = || {
        sb.ok("docker info", &mut docker(&["info", "--format", "{{json .RegistryConfig.Mirrors}}"])).trim().to_string()
    };

    // Put an image into the good registry: docker.io/library/mirrortest:latest on the mirror.
    let rootfs = sb.path("rootfs");
    sb.write(&rootfs.join("hello.txt"), "hello from the loopback docker mirror\n");
    let tarball = sb.path("rootfs.tar");
    sb.ok("tar rootfs", Command::new("tar").arg("-C").arg(&rootfs).arg("-cf").arg(&tarball).arg("."));
    let tag = format!("{}/library/mirrortest:latest", good_reg.addr);
    sb.ok("docker import", docker(&["import", tarball.to_str().unwrap(), &tag]).stdout(std::process::Stdio::null()));
    sb.ok("docker push (populate mirror)", &mut docker(&["push", &tag]));
    // The official image `mirror`'s check resolves through a mirror (a stand-in, by name).
    let alpine = format!("{}/library/alpine:latest", good_reg.addr);
    sb.ok("docker tag alpine", &mut docker(&["tag", &tag, &alpine]));
    sb.ok("docker push alpine", &mut docker(&["push", &alpine]));
    sb.ok("docker rmi", &mut docker(&["rmi", &tag, &alpine]));
    assert_eq!(mirrors(), format!("[\"{other}/\"]"), "stock daemon.json has the user's mirror");

    sb.use_verified(&sb.good, "docker", "docker info + probe");
    let written = read(&daemon_json);
    eprintln!("--- written daemon.json\n{written}---");
    assert_eq!(
        written,
        stock.replace(&format!("[\"{other}\"]"), &format!("[\"{}\", \"{other}\"]", good_reg.url())),
        "only the list may change"
    );
    d.restart(&sb);
    assert_eq!(
        mirrors(),
        format!("[\"{}/\",\"{other}/\"]", good_reg.url()),
        "docker info does not show the mirror first and the user's after it"
    );
    good_reg.clear_log();
    sb.ok("docker pull mirrortest (mirror)", &mut docker(&["pull", "mirrortest:latest"]));
    good_reg.assert_served("/v2/library/mirrortest/manifests/latest", 200);
    sb.ok("docker image inspect", &mut docker(&["image", "inspect", "mirrortest:latest"]));
    sb.assert_only_proxied(&[]);

    sb.restore();
    assert_eq!(read(&daemon_json), stock, "restore did not bring back the exact bytes");
    d.restart(&sb);
    assert_eq!(mirrors(), format!("[\"{other}/\"]"), "docker info still shows the site after restore");
    sb.ok("docker rmi mirrortest", &mut docker(&["rmi", "mirrortest:latest"]));
    good_reg.clear_log();
    sb.server.clear();
    sb.fails("docker pull mirrortest (restored)", &mut docker(&["pull", "mirrortest:latest"]));
    good_reg.assert_not_served("/v2/library/mirrortest/");
    sb.assert_proxied("registry-1.docker.io");

    // The broken registry (no images), and a web server where a registry should be.
    for site in [&sb.broken, &sb.wrong] {
        sb.assert_check_catches(site, "docker", "docker info + probe", &[&daemon_json]);
    }
    assert_eq!(read(&daemon_json), stock);
    sb.use_site(&sb.broken, "docker");
    d.restart(&sb);
    assert_eq!(
        mirrors(),
        format!("[\"{}/\",\"{other}/\"]", broken_reg.url()),
        "docker info does not show the broken mirror first"
    );
    broken_reg.clear_log();
    sb.fails("docker pull mirrortest (broken site)", &mut docker(&["pull", "mirrortest:latest"]));
    broken_reg.assert_served("/v2/library/mirrortest/manifests/latest", 404);
    sb.assert_status_check_reports_failing("docker");
}

// ---------------------------------------------------------------------------------------------
// dnf

const FEDORA_OS_RELEASE: &str = r#"NAME="Fedora Linux"
VERSION="40 (Container Image)"
ID=fedora
VERSION_ID=40
VERSION_CODENAME=""
PLATFORM_ID="platform:f40"
PRETTY_NAME="Fedora Linux 40 (Container Image)"
"#;

/// Fedora 40's stock `fedora.repo` (fedora-repos), its first section.
const FEDORA_REPO: &str = "[fedora]
name=Fedora $releasever - $basearch
#baseurl=http://download.example/pub/fedora/linux/releases/$releasever/Everything/$basearch/os/
metalink=https://mirrors.fedoraproject.org/metalink?repo=fedora-$releasever&arch=$basearch
enabled=1
countme=1
metadata_expire=7d
repo_gpgcheck=0
type=rpm
gpgcheck=1
gpgkey=file:///etc/pki/rpm-gpg/RPM-GPG-KEY-fedora-$releasever-$basearch
skip_if_unavailable=False
";

#[test]
fn dnf() {
    if !tools_present("dnf", &[Need::Cmd("dnf"), Need::Cmd("createrepo_c")]) {
        return;
    }
    let sb = Sandbox::new("dnf", None);
    sb.write(&sb.root.join("etc/os-release"), FEDORA_OS_RELEASE);
    let tree = sb.www.join("loop/fedora/releases/40/Everything/x86_64/os");
    fs::create_dir_all(&tree).unwrap();
    build("rpm-md repository", Command::new("createrepo_c").arg("-q").arg(&tree));
    // The updates tree a Fedora mirror also carries: what `mirror`'s probe reads.
    let updates = sb.www.join("loop/fedora/updates/40/Everything/x86_64");
    fs::create_dir_all(&updates).unwrap();
    build("rpm-md repository (updates)", Command::new("createrepo_c").arg("-q").arg(&updates));
    let repo = sb.write(&sb.root.join("etc/yum.repos.d/fedora.repo"), FEDORA_REPO);
    let makecache = || {
        let mut c = sb.client("dnf");
        c.arg(format!("--installroot={}", sb.root.display()))
            .arg(format!("--setopt=reposdir={}", sb.root.join("etc/yum.repos.d").display()))
            .arg(format!("--setopt=cachedir={}", sb.path("dnf-cache").display()))
            .args([
                "--releasever=40",
                "--forcearch=x86_64",
                "--setopt=retries=0",
                "--setopt=timeout=10",
                "-q",
                "makecache",
            ]);
        c
    };

    // dnf's own refresh downloads whole package lists: the probe checks.
    sb.use_verified(&sb.good, "dnf", "probe");
    let written = read(&repo);
    eprintln!("--- written fedora.repo\n{written}---");
    assert!(
        written.contains(&format!(
            "\nbaseurl={}/releases/$releasever/Everything/$basearch/os/\n#metalink=",
            sb.good.fedora()
        )),
        "{written}"
    );
    sb.server.clear();
    sb.ok("dnf makecache (mirror)", &mut makecache());
    sb.assert_hit("/loop/fedora/releases/40/Everything/x86_64/os/repodata/repomd.xml", 200);
    sb.assert_only_proxied(&[]);

    sb.restore();
    assert_eq!(read(&repo), FEDORA_REPO, "restore did not bring back the exact bytes");
    sb.server.clear();
    sb.fails("dnf makecache (restored: the metalink again)", &mut makecache());
    sb.assert_no_hit("/loop/");
    sb.assert_proxied("mirrors.fedoraproject.org");

    for site in [&sb.broken, &sb.error, &sb.wrong] {
        sb.assert_check_catches(site, "dnf", "probe", &[&repo]);
    }
    assert_eq!(read(&repo), FEDORA_REPO);
    sb.use_site(&sb.broken, "dnf");
    sb.server.clear();
    sb.fails("dnf makecache (broken site)", &mut makecache());
    sb.assert_hit("/broken/fedora/releases/40/Everything/x86_64/os/repodata/repomd.xml", 404);
    sb.assert_status_check_reports_failing("dnf");
}

// ---------------------------------------------------------------------------------------------
// zypper

const LEAP_OS_RELEASE: &str = r#"NAME="openSUSE Leap"
VERSION="15.6"
ID="opensuse-leap"
ID_LIKE="suse opensuse"
VERSION_ID="15.6"
PRETTY_NAME="openSUSE Leap 15.6"
"#;

/// openSUSE Leap 15.6's stock `repo-oss.repo` (openSUSE-release).
const REPO_OSS: &str = "[repo-oss]
name=Main Repository
enabled=1
autorefresh=1
baseurl=http://download.opensuse.org/distribution/leap/$releasever/repo/oss/
type=rpm-md
keeppackages=0
";

#[test]
fn zypper() {
    if !tools_present("zypper", &[Need::Root, Need::Cmd("zypper"), Need::Cmd("createrepo_c")]) {
        return;
    }
    let sb = Sandbox::new("zypper", None);
    sb.write(&sb.root.join("etc/os-release"), LEAP_OS_RELEASE);
    let tree = sb.path("opensuse/distribution/leap/15.6/repo/oss");
    fs::create_dir_all(&tree).unwrap();
    build("rpm-md repository", Command::new("createrepo_c").arg("-q").arg(&tree));
    // The update tree an openSUSE mirror also carries: what `mirror`'s probe reads.
    let update = sb.path("opensuse/update/leap/15.6/oss");
    fs::create_dir_all(&update).unwrap();
    build("rpm-md repository (update)", Command::new("createrepo_c").arg("-q").arg(&update));
    symlink(&sb.path("opensuse"), &sb.www.join("loop/opensuse"));
    // download.opensuse.org, reached only through the proxy.
    symlink(&sb.path("opensuse"), &sb.www.join("_hosts/download.opensuse.org"));
    let repo = sb.write(&sb.root.join("etc/zypp/repos.d/repo-oss.repo"), REPO_OSS);
    let refresh = || {
        let mut c = sb.client("zypper");
        c.arg("--root").arg(&sb.root).args([
            "--non-interactive",
            "--no-gpg-checks",
            "--releasever",
            "15.6",
            "refresh",
            "--force",
        ]);
        c
    };
    let uri = || {
        let mut c = sb.client("zypper");
        c.arg("--root").arg(&sb.root).args(["--non-interactive", "--releasever", "15.6", "lr", "-u"]);
        sb.ok("zypper lr -u", &mut c)
    };

    sb.use_verified(&sb.good, "zypper", "probe");
    eprintln!("--- written repo-oss.repo\n{}---", read(&repo));
    assert!(uri().contains(&format!("{}/distribution/leap/15.6/repo/oss/", sb.good.opensuse())));
    sb.server.clear();
    sb.ok("zypper refresh (mirror)", &mut refresh());
    sb.assert_hit("/loop/opensuse/distribution/leap/15.6/repo/oss/repodata/repomd.xml", 200);
    sb.assert_only_proxied(&[]);

    sb.restore();
    assert_eq!(read(&repo), REPO_OSS, "restore did not bring back the exact bytes");
    sb.server.clear();
    sb.ok("zypper refresh (restored)", &mut refresh());
    sb.assert_no_hit("/loop/");
    sb.assert_proxied("download.opensuse.org");

    for site in [&sb.broken, &sb.error, &sb.wrong] {
        sb.assert_check_catches(site, "zypper", "probe", &[&repo]);
    }
    assert_eq!(read(&repo), REPO_OSS);
    sb.use_site(&sb.broken, "zypper");
    sb.server.clear();
    sb.fails("zypper refresh (broken site)", &mut refresh());
    sb.assert_hit("/broken/opensuse/distribution/leap/15.6/repo/oss/repodata/repomd.xml", 404);
}

// ---------------------------------------------------------------------------------------------
// archlinuxcn

#[test]
fn archlinuxcn() {
    let needs = [
        Need::Root,
        Need::Cmd("pacman"),
        Need::Cmd("pacman-conf"),
        Need::Cmd("repo-add"),
        Need::Cmd("bsdtar"),
        Need::Cmd("zstd"),
        Need::File("/usr/share/makepkg/util/compress.sh"),
    ];
    if !tools_present("archlinuxcn", &needs) {
        return;
    }
    let sb = Sandbox::new("archlinuxcn", None);
    // The archlinuxcn layout: `<root>/$arch/archlinuxcn.db` beside the packages.
    build("pacman repos", sb.client(tests_dir().join("pacman-repo.sh")).arg(sb.path("arch")));
    let cn = sb.www.join("loop/archlinuxcn/x86_64");
    fs::create_dir_all(&cn).unwrap();
    let pkg = "mirrortest-hello-1.0-1-any.pkg.tar.zst";
    fs::copy(sb.path("arch/extra/os/x86_64").join(pkg), cn.join(pkg)).unwrap();
    build("archlinuxcn db", Command::new("repo-add").arg("-q").arg(cn.join("archlinuxcn.db.tar.gz")).arg(cn.join(pkg)));
    sb.write(&sb.root.join("etc/os-release"), ARCH_OS_RELEASE);
    // pacman.conf as the client reads it: private paths, and the [archlinuxcn] section a user
    // adds after the official repositories.
    let p = sb.path("pacman");
    for d in ["root/var/lib/pacman", "root/var/cache/pacman/pkg", "gnupg", "hooks"] {
        fs::create_dir_all(p.join(d)).unwrap();
    }
    let stock = format!(
        "#\n# /etc/pacman.conf\n#\n[options]\nRootDir = {p}/root\nDBPath = {p}/root/var/lib/pacman/\nCacheDir = {p}/root/var/cache/pacman/pkg/\n\
         LogFile = {p}/pacman.log\nGPGDir = {p}/gnupg\nHookDir = {p}/hooks\nArchitecture = x86_64\n\
         SigLevel = Never\nLocalFileSigLevel = Never\n\n[archlinuxcn]\nServer = https://repo.archlinuxcn.org/$arch\n",
        p = p.display()
    );
    let conf = sb.write(&sb.root.join("etc/pacman.conf"), &stock);
    let servers = || -> Vec<String> {
        let mut c = sb.client("pacman-conf");
        c.arg("--config").arg(&conf).args(["--repo", "archlinuxcn", "Server"]);
        sb.ok("pacman-conf --repo archlinuxcn Server", &mut c).lines().map(str::to_string).collect()
    };
    let pacman = |args: &[&str]| {
        let mut c = sb.client("pacman");
        c.arg("--config").arg(&conf).args(args).arg("--noconfirm");
        c
    };

    sb.use_verified(&sb.good, "archlinuxcn", "pacman");
    eprintln!("--- written pacman.conf\n{}---", read(&conf));
    assert_eq!(servers(), [format!("{}/x86_64", sb.good.archlinuxcn()), "https://repo.archlinuxcn.org/x86_64".into()]);
    sb.server.clear();
    sb.ok("pacman -Sy (mirror)", &mut pacman(&["-Sy"]));
    sb.assert_hit("/loop/archlinuxcn/x86_64/archlinuxcn.db", 200);
    sb.ok("pacman -Sw mirrortest-hello (mirror)", &mut pacman(&["-Sw", "mirrortest-hello"]));
    sb.assert_hit(&format!("/loop/archlinuxcn/x86_64/{pkg}"), 200);
    sb.assert_only_proxied(&[]);

    sb.restore();
    assert_eq!(read(&conf), stock, "restore did not bring back the exact bytes");
    assert_eq!(servers(), ["https://repo.archlinuxcn.org/x86_64"]);
    sb.server.clear();
    sb.fails("pacman -Sy (restored)", &mut pacman(&["-Sy"]));
    sb.assert_no_hit("/loop/");

    for site in [&sb.broken, &sb.error, &sb.wrong] {
        sb.assert_check_catches(site, "archlinuxcn", "pacman", &[&conf]);
    }
    assert_eq!(read(&conf), stock);
    sb.use_site(&sb.broken, "archlinuxcn");
    sb.server.clear();
    sb.fails("pacman -Sy (broken site, then the official one)", &mut pacman(&["-Sy"]));
    sb.assert_hit("/broken/archlinuxcn/x86_64/archlinuxcn.db", 404);
    sb.assert_status_check_reports_failing("archlinuxcn");
}

// ---------------------------------------------------------------------------------------------
// podman

/// The registries.conf podman's Debian package installs (all comments).
const REGISTRIES_CONF: &str = include_str!("fixtures/podman/registries.conf");

#[test]
fn podman() {
    let needs = [Need::Root, Need::Cmd("podman"), Need::Cmd("docker-registry"), Need::Cmd("tar")];
    if !tools_present("podman", &needs) {
        return;
    }
    let (sb, good_reg, broken_reg) = registry_sandbox("podman");
    let conf = sb.write(&sb.root.join("etc/containers/registries.conf"), REGISTRIES_CONF);
    let podman = |args: &[&str]| {
        let mut c = sb.client("podman");
        c.env("CONTAINERS_REGISTRIES_CONF", &conf)
            .arg("--root")
            .arg(sb.path("podman/storage"))
            .arg("--runroot")
            .arg(sb.path("podman/run"))
            .args(["--storage-driver", "vfs", "--cgroup-manager", "cgroupfs", "--events-backend", "none"])
            .args(args);
        c
    };
    let rootfs = sb.path("rootfs");
    sb.write(&rootfs.join("hello.txt"), "hello from the loopback registry mirror\n");
    let tarball = sb.path("rootfs.tar");
    sb.ok("tar rootfs", Command::new("tar").arg("-C").arg(&rootfs).arg("-cf").arg(&tarball).arg("."));
    let tag = format!("{}/library/mirrortest:latest", good_reg.addr);
    sb.ok("podman import", &mut podman(&["import", tarball.to_str().unwrap(), &tag]));
    sb.ok("podman push (populate mirror)", &mut podman(&["push", "--tls-verify=false", &tag]));
    // The official image `mirror`'s check resolves through a mirror (a stand-in, by name).
    let alpine = format!("{}/library/alpine:latest", good_reg.addr);
    sb.ok("podman tag alpine", &mut podman(&["tag", &tag, &alpine]));
    sb.ok("podman push alpine", &mut podman(&["push", "--tls-verify=false", &alpine]));
    sb.ok("podman rmi", &mut podman(&["rmi", &tag, &alpine]));

    sb.use_verified(&sb.good, "podman", "probe");
    let written = read(&conf);
    eprintln!("--- written registries.conf (tail)\n{}---", &written[REGISTRIES_CONF.len()..]);
    assert!(written.starts_with(REGISTRIES_CONF), "the stock file stays as it was");
    good_reg.clear_log();
    sb.ok("podman pull (mirror)", &mut podman(&["pull", "docker.io/library/mirrortest:latest"]));
    good_reg.assert_served("/v2/library/mirrortest/manifests/latest", 200);
    sb.assert_only_proxied(&[]);

    sb.restore();
    assert_eq!(read(&conf), REGISTRIES_CONF, "restore did not bring back the exact bytes");
    sb.ok("podman rmi mirrortest", &mut podman(&["rmi", "docker.io/library/mirrortest:latest"]));
    good_reg.clear_log();
    sb.server.clear();
    sb.fails("podman pull (restored)", &mut podman(&["pull", "docker.io/library/mirrortest:latest"]));
    good_reg.assert_not_served("/v2/library/mirrortest/");

    for site in [&sb.broken, &sb.wrong] {
        sb.assert_check_catches(site, "podman", "probe", &[&conf]);
    }
    assert_eq!(read(&conf), REGISTRIES_CONF);
    sb.use_site(&sb.broken, "podman");
    broken_reg.clear_log();
    sb.fails("podman pull (broken site)", &mut podman(&["pull", "docker.io/library/mirrortest:latest"]));
    broken_reg.assert_served("/v2/library/mirrortest/manifests/latest", 404);
    sb.assert_status_check_reports_failing("podman");
}

// ---------------------------------------------------------------------------------------------
// containerd

/// A `hosts.toml` a user wrote for Docker Hub: their own mirror (`@OWN@`), then Docker Hub.
const HOSTS_TOML: &str = r#"# Docker Hub through our own mirror first.
server = "https://registry-1.docker.io"

[host."@OWN@"]
  capabilities = ["pull", "resolve"]
"#;

#[test]
fn containerd() {
    let needs = [
        Need::Root,
        Need::Cmd("containerd"),
        Need::Cmd("ctr"),
        Need::Cmd("docker-registry"),
        Need::Cmd("curl"),
        Need::Cmd("sha256sum"),
        Need::Cmd("gzip"),
        Need::Cmd("tar"),
    ];
    if !tools_present("containerd", &needs) {
        return;
    }
    let (sb, good_reg, broken_reg) = registry_sandbox("containerd");
    fs::create_dir_all(sb.root.join("etc/containerd")).unwrap();
    // The user's own mirror, which does not have the image.
    let own_reg = docker_support::Registry::start(&sb, "own", harness::free_port());
    let mut push = sb.client(tests_dir().join("oci-push.sh"));
    push.arg(good_reg.url()).args(["library/mirrortest", "latest", "hello from the loopback containerd mirror"]);
    build("image on the good registry", &mut push);
    // The official image `mirror`'s check resolves through a mirror (a stand-in, by name).
    let mut push = sb.client(tests_dir().join("oci-push.sh"));
    push.arg(good_reg.url()).args(["library/alpine", "latest", "a stand-in for alpine"]);
    build("library/alpine on the good registry", &mut push);
    good_reg.clear_log();

    let d = docker_support::Containerd::start(&sb);
    let certs = sb.root.join("etc/containerd/certs.d");
    let hosts = certs.join("docker.io/hosts.toml");
    let image = "docker.io/library/mirrortest:latest";
    let pull = || {
        let mut c = d.ctr(&sb, &["images", "pull", "--snapshotter", "native", "--hosts-dir"]);
        c.arg(&certs).arg(image);
        c
    };
    let forget = |what: &str| sb.ok(what, &mut d.ctr(&sb, &["images", "rm", image]));

    // No hosts.toml: ctr goes to Docker Hub (through the recording proxy, which refuses).
    sb.fails("ctr images pull (stock: no hosts.toml)", &mut pull());
    sb.assert_proxied("registry-1.docker.io");
    good_reg.assert_not_served("/v2/library/mirrortest/");

    // use: the file is created (and checked by the probe), and ctr pulls through the site.
    sb.use_verified(&sb.good, "containerd", "probe");
    let written = read(&hosts);
    eprintln!("--- written hosts.toml\n{written}---");
    good_reg.clear_log();
    sb.server.clear();
    sb.ok("ctr images pull (mirror)", &mut pull());
    good_reg.assert_served("/v2/library/mirrortest/manifests/latest", 200);
    let listed = sb.ok("ctr images ls", &mut d.ctr(&sb, &["images", "ls", "-q"]));
    assert!(listed.lines().any(|l| l == image), "{listed}");
    sb.assert_only_proxied(&[]);

    // restore: the file `mirror` created is gone, and ctr goes to Docker Hub again.
    sb.restore();
    assert!(!hosts.exists(), "restore left the hosts.toml `use` created:\n{}", read(&hosts));
    forget("ctr images rm (restored)");
    good_reg.clear_log();
    sb.server.clear();
    sb.fails("ctr images pull (restored)", &mut pull());
    good_reg.assert_not_served("/v2/library/mirrortest/");
    sb.assert_proxied("registry-1.docker.io");

    // A hosts.toml of the user's own: the site goes first, theirs stays after it; restore
    // gives their bytes back, and ctr asks their mirror again.
    let stock = HOSTS_TOML.replace("@OWN@", &own_reg.url());
    sb.write(&hosts, &stock);
    sb.use_site(&sb.good, "containerd");
    let written = read(&hosts);
    eprintln!("--- written hosts.toml (over the user's)\n{written}---");
    let (site_at, own_at) = (written.find(&good_reg.url()), written.find(&own_reg.url()));
    assert!(site_at.is_some() && own_at.is_some() && site_at < own_at, "the site first, the user's after:\n{written}");
    good_reg.clear_log();
    own_reg.clear_log();
    sb.ok("ctr images pull (mirror, over the user's file)", &mut pull());
    good_reg.assert_served("/v2/library/mirrortest/manifests/latest", 200);
    own_reg.assert_not_served("/v2/library/mirrortest/");
    sb.restore();
    assert_eq!(read(&hosts), stock, "restore did not bring back the exact bytes");
    forget("ctr images rm (restored user's file)");
    good_reg.clear_log();
    own_reg.clear_log();
    sb.fails("ctr images pull (restored user's file)", &mut pull());
    own_reg.assert_served("/v2/library/mirrortest/manifests/latest", 404);
    good_reg.assert_not_served("/v2/library/mirrortest/");

    // The check catches a registry without the image and a web server where a registry
    // should be; the user's file stays as it was.
    for site in [&sb.broken, &sb.wrong] {
        sb.assert_check_catches(site, "containerd", "probe", &[&hosts]);
    }
    assert_eq!(read(&hosts), stock);

    // broken: a registry without the image.
    sb.use_site(&sb.broken, "containerd");
    broken_reg.clear_log();
    sb.fails("ctr images pull (broken site)", &mut pull());
    broken_reg.assert_served("/v2/library/mirrortest/manifests/latest", 404);
    sb.assert_status_check_reports_failing("containerd");
}
