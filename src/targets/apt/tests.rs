use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::Path;

use super::*;
use crate::catalog::{Origin, parse_site};
use crate::context::Overrides;

/// A plan with the notes its edits carry, for the assertions below.
struct Planned {
    edits: Vec<FileEdit>,
    warnings: Vec<String>,
}

macro_rules! fixture {
    ($name:literal) => {
        include_str!(concat!("../../../tests/fixtures/apt/", $name))
    };
}

const DEBIAN12_CONTAINER: &str = fixture!("debian12-container.sources");
const DEBIAN11: &str = fixture!("debian11.list");
const DEBIAN12_SIGNED: &str = fixture!("debian12-signed.list");
const DEBIAN13_INLINE: &str = fixture!("debian13-inline-key.sources");
const DEBIAN_SID: &str = fixture!("debian-sid-container.sources");
const UBUNTU2404_AMD64: &str = fixture!("ubuntu2404-amd64.sources");
const UBUNTU2404_ARM64: &str = fixture!("ubuntu2404-arm64.sources");
const UBUNTU2404_LIST: &str = fixture!("ubuntu2404-sources.list");
const UBUNTU2204: &str = fixture!("ubuntu2204.list");
const PPA: &str = fixture!("deadsnakes-ubuntu-ppa-jammy.list");
const NODESOURCE: &str = fixture!("nodesource.list");
const RASPI: &str = fixture!("raspi.list");
const TAILSCALE: &str = fixture!("tailscale.list");
const WINEHQ: &str = fixture!("winehq-jammy.sources");
const UNKNOWN_MIRROR: &str = fixture!("debian12-unknown-mirror.list");
const UPGRADING: &str = fixture!("debian12-upgrading-to-trixie.list");

const TUNA: &str = r#"
id = "tuna"
name = "TUNA"
homepage = "https://mirrors.tuna.tsinghua.edu.cn/"
region = "CN"
base = "https://mirrors.tuna.tsinghua.edu.cn"
[repos]
debian          = "{base}/debian"
debian-security = "{base}/debian-security"
ubuntu          = "{base}/ubuntu"
ubuntu-ports    = "{base}/ubuntu-ports"
kali            = "{base}/kali"
raspbian        = "{base}/raspbian/raspbian"
raspberrypi     = "{base}/raspberrypi"
pypi            = "{base}/pypi/web/simple"
"#;
const USTC: &str = r#"
id = "ustc"
name = "USTC"
homepage = "https://mirrors.ustc.edu.cn/"
region = "CN"
base = "https://mirrors.ustc.edu.cn"
[repos]
debian          = "{base}/debian/"
debian-security = "{base}/debian-security"
ubuntu          = "{base}/ubuntu"
ubuntu-ports    = "{base}/ubuntu-ports"
kali            = "{base}/kali"
raspbian        = "{base}/raspbian/raspbian"
raspberrypi     = "{base}/archive.raspberrypi.org/debian"
"#;
/// Serves Debian, Kali and Raspbian, not the Raspberry Pi archive (as NJU).
const NJU: &str = r#"
id = "nju"
name = "NJU"
homepage = "https://mirrors.nju.edu.cn/"
region = "CN"
base = "https://mirrors.nju.edu.cn"
[repos]
debian          = "{base}/debian"
kali            = "{base}/kali"
raspbian        = "{base}/raspbian/raspbian"
"#;
const UPSTREAM: &str = r#"
id = "upstream"
name = "Official upstream servers"
homepage = "https://deb.debian.org/"
region = "global"
[repos]
debian          = "http://deb.debian.org/debian"
debian-security = "http://deb.debian.org/debian-security"
ubuntu          = "http://archive.ubuntu.com/ubuntu"
ubuntu-ports    = "http://ports.ubuntu.com/ubuntu-ports"
kali            = "http://http.kali.org/kali"
raspbian        = "http://raspbian.raspberrypi.com/raspbian"
raspberrypi     = "http://archive.raspberrypi.com/debian"
pypi            = "https://pypi.org/simple"
"#;
/// Serves only the Debian archive: no security tree, no Ubuntu.
const TINY: &str = r#"
id = "tiny"
name = "Tiny"
homepage = "https://tiny.example/"
region = "EU"
[repos]
debian = "http://tiny.example/debian"
"#;
/// Unusual paths: only rule (a) recognises its URLs.
const ODD: &str = r#"
id = "odd"
name = "Odd"
homepage = "https://odd.example/"
region = "EU"
[repos]
debian          = "https://odd.example/pub/deb"
debian-security = "https://odd.example/pub/deb-sec"
ubuntu          = "https://odd.example/pub/ub"
ubuntu-ports    = "https://odd.example/pub/ub-ports"
"#;

fn site(text: &str) -> Site {
    let id = text.lines().find_map(|l| l.strip_prefix("id = ")).unwrap().trim_matches('"');
    parse_site(Path::new(&format!("x/{id}.toml")), text, Origin::Builtin).unwrap()
}

fn host(os_release: &str, arch: &str) -> Host {
    let mut h = Host { arch: arch.into(), has_os_release: true, ..Host::default() };
    h.parse_os_release(os_release);
    h
}

const BOOKWORM: &str = "ID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n";
const BULLSEYE: &str = "ID=debian\nVERSION_ID=\"11\"\nVERSION_CODENAME=bullseye\n";
const BUSTER: &str = "ID=debian\nVERSION_ID=\"10\"\nVERSION_CODENAME=buster\n";
const TRIXIE: &str = "ID=debian\nVERSION_ID=\"13\"\nVERSION_CODENAME=trixie\n";
const SID: &str = "ID=debian\nVERSION_CODENAME=sid\n";
const FORKY_SID: &str = "PRETTY_NAME=\"Debian GNU/Linux forky/sid\"\nID=debian\nVERSION_CODENAME=forky\n";
const NOBLE: &str = "ID=ubuntu\nID_LIKE=debian\nVERSION_ID=\"24.04\"\nVERSION_CODENAME=noble\nUBUNTU_CODENAME=noble\n";
const JAMMY: &str = "ID=ubuntu\nID_LIKE=debian\nVERSION_ID=\"22.04\"\nVERSION_CODENAME=jammy\nUBUNTU_CODENAME=jammy\n";

/// A request's rewrite: `site`, the official upstream unless `no_upstream`, `--security`, a
/// root without CA certificates, a Debian host with `raspi.list` (Raspberry Pi OS 64-bit).
struct Opts {
    security: bool,
    no_upstream: bool,
    no_ca: bool,
    raspberry_pi: bool,
}

const DEFAULT: Opts = Opts { security: false, no_upstream: false, no_ca: false, raspberry_pi: false };

fn rewrite(h: &Host, site_text: &str, o: &Opts) -> Rewrite {
    rewrite_with(h, site_text, UPSTREAM, o)
}

/// As [`rewrite`], with `upstream_text` as the request's official upstream.
fn rewrite_with(h: &Host, site_text: &str, upstream_text: &str, o: &Opts) -> Rewrite {
    let s = site(site_text);
    let up = site(upstream_text);
    let req = Request { site: &s, upstream: (!o.no_upstream).then_some(&up), security: o.security };
    let family = Family::of(h).unwrap_or_else(|| panic!("{h:?}"));
    Rewrite::for_request(family, h, &req, o.raspberry_pi || family == Family::Raspbian, o.no_ca)
}

/// Renders `text` as a file the distribution wrote (`sources.list`, `debian.sources`, …).
fn run(format: Format, text: &str, h: &Host, site_text: &str, o: &Opts) -> String {
    run_in(Place::Own, format, text, h, site_text, o)
}

fn run_in(place: Place, format: Format, text: &str, h: &Host, site_text: &str, o: &Opts) -> String {
    render(format, place, text, &rewrite(h, site_text, o)).unwrap()
}

fn err(format: Format, text: &str, h: &Host, site_text: &str, o: &Opts) -> RenderError {
    render(format, Place::Own, text, &rewrite(h, site_text, o)).unwrap_err()
}

/// Every fixture that holds the archive, with its format and host.
fn cases() -> Vec<(&'static str, Format, &'static str, Host)> {
    vec![
        ("debian12-container", Format::Sources, DEBIAN12_CONTAINER, host(BOOKWORM, "amd64")),
        ("debian11", Format::List, DEBIAN11, host(BULLSEYE, "amd64")),
        ("debian12-signed", Format::List, DEBIAN12_SIGNED, host(BOOKWORM, "amd64")),
        ("debian13-inline", Format::Sources, DEBIAN13_INLINE, host(TRIXIE, "arm64")),
        ("debian-sid", Format::Sources, DEBIAN_SID, host(FORKY_SID, "amd64")),
        ("ubuntu2404-amd64", Format::Sources, UBUNTU2404_AMD64, host(NOBLE, "amd64")),
        ("ubuntu2404-arm64", Format::Sources, UBUNTU2404_ARM64, host(NOBLE, "arm64")),
        ("ubuntu2204", Format::List, UBUNTU2204, host(JAMMY, "amd64")),
    ]
}

// ---- snapshots of render output ----

#[test]
fn snapshots_for_tuna() {
    for (name, format, text, h) in cases() {
        insta::assert_snapshot!(format!("tuna_{name}"), run(format, text, &h, TUNA, &DEFAULT));
    }
}

#[test]
fn snapshots_for_tuna_with_security() {
    let o = Opts { security: true, ..DEFAULT };
    for (name, format, text, h) in cases() {
        insta::assert_snapshot!(format!("tuna_security_{name}"), run(format, text, &h, TUNA, &o));
    }
}

#[test]
fn snapshot_ubuntu2204_on_arm64_goes_to_ports() {
    let out = run(Format::List, UBUNTU2204, &host(JAMMY, "arm64"), TUNA, &DEFAULT);
    insta::assert_snapshot!(out);
}

// ---- properties over every fixture ----

#[test]
fn idempotent_for_every_fixture_site_and_option() {
    for (name, format, text, h) in cases() {
        for site_text in [TUNA, USTC, UPSTREAM, ODD] {
            for (security, no_upstream, no_ca) in [
                (false, false, false),
                (true, false, false),
                (false, true, false),
                (false, false, true),
                (true, true, true),
            ] {
                let o = Opts { security, no_upstream, no_ca, ..DEFAULT };
                let once = run(format, text, &h, site_text, &o);
                let twice = run(format, &once, &h, site_text, &o);
                assert_eq!(once, twice, "{name} security={security} no_upstream={no_upstream} plain={no_ca}");
            }
        }
    }
}

#[test]
fn tuna_then_ustc_equals_ustc_directly() {
    for (name, format, text, h) in cases() {
        for security in [false, true] {
            let o = Opts { security, ..DEFAULT };
            let direct = run(format, text, &h, USTC, &o);
            let via_tuna = run(format, &run(format, text, &h, TUNA, &o), &h, USTC, &o);
            assert_eq!(via_tuna, direct, "{name} security={security}");
        }
    }
}

#[test]
fn tuna_then_upstream_gives_back_the_official_servers() {
    for (name, format, text, h) in cases() {
        if name == "ubuntu2204" {
            continue; // cn.archive.ubuntu.com is official but not the catalog's upstream
        }
        let there = run(format, text, &h, TUNA, &DEFAULT);
        assert_ne!(there, text, "{name}");
        let back = run(format, &there, &h, UPSTREAM, &DEFAULT);
        // TUNA is https, and deb.debian.org serves https too: the archive keeps https (only
        // `restore` gives the very bytes back). Ubuntu's servers are http only.
        let stock = if name.starts_with("debian") {
            text.replace("http://ftp.de.debian.org/", "http://deb.debian.org/")
                .replace("http://deb.debian.org/debian-security", "@SECURITY@")
                .replace("http://deb.debian.org/debian", "https://deb.debian.org/debian")
                .replace("@SECURITY@", "http://deb.debian.org/debian-security")
        } else {
            text.to_owned()
        };
        assert_eq!(back, stock, "{name}");
    }
    let back = run(
        Format::List,
        &run(Format::List, UBUNTU2204, &host(JAMMY, "amd64"), TUNA, &DEFAULT),
        &host(JAMMY, "amd64"),
        UPSTREAM,
        &DEFAULT,
    );
    insta::assert_snapshot!(back);
}

#[test]
fn only_uri_tokens_change() {
    for (name, format, text, h) in cases() {
        let out = run(format, text, &h, TUNA, &Opts { security: true, ..DEFAULT });
        let a: Vec<&str> = text.lines().collect();
        let b: Vec<&str> = out.lines().collect();
        assert_eq!(a.len(), b.len(), "{name}");
        assert_eq!(text.ends_with('\n'), out.ends_with('\n'));
        for (x, y) in a.iter().zip(&b) {
            if x != y {
                let strip =
                    |l: &str| l.split_whitespace().filter(|w| !w.starts_with("http")).collect::<Vec<_>>().join(" ");
                assert_eq!(strip(x), strip(y), "{name}: {x} -> {y}");
            }
        }
    }
}

// ---- security ----

#[test]
fn security_stays_official_without_the_flag() {
    let out = run(Format::Sources, UBUNTU2404_AMD64, &host(NOBLE, "amd64"), TUNA, &DEFAULT);
    assert!(
        out.contains("URIs: https://mirrors.tuna.tsinghua.edu.cn/ubuntu/\nSuites: noble noble-updates noble-backports")
    );
    assert!(out.contains("URIs: http://security.ubuntu.com/ubuntu/\nSuites: noble-security"));
    let out = run(Format::List, DEBIAN11, &host(BULLSEYE, "amd64"), TUNA, &DEFAULT);
    assert!(out.contains("deb http://security.debian.org/debian-security bullseye-security main contrib non-free\n"));
    assert!(out.contains("deb-src http://security.debian.org/debian-security bullseye-security"));
}

#[test]
fn security_flag_moves_security_to_the_site() {
    let o = Opts { security: true, ..DEFAULT };
    let out = run(Format::Sources, UBUNTU2404_AMD64, &host(NOBLE, "amd64"), TUNA, &o);
    assert!(out.contains("URIs: https://mirrors.tuna.tsinghua.edu.cn/ubuntu/\nSuites: noble-security"));
    let out = run(Format::Sources, DEBIAN12_CONTAINER, &host(BOOKWORM, "amd64"), TUNA, &o);
    assert!(out.contains("URIs: https://mirrors.tuna.tsinghua.edu.cn/debian-security\nSuites: bookworm-security"));
}

#[test]
fn security_on_a_mirror_goes_back_to_the_official_server() {
    let h = host(BOOKWORM, "amd64");
    let on_tuna = run(Format::Sources, DEBIAN12_CONTAINER, &h, TUNA, &Opts { security: true, ..DEFAULT });
    let out = run(Format::Sources, &on_tuna, &h, USTC, &DEFAULT);
    // The https security mirror goes back to the official server over https.
    assert_eq!(
        out,
        run(Format::Sources, DEBIAN12_CONTAINER, &h, USTC, &DEFAULT)
            .replace("http://deb.debian.org/debian-security", "https://deb.debian.org/debian-security")
    );
    let h = host(NOBLE, "arm64");
    let on_tuna = run(Format::Sources, UBUNTU2404_ARM64, &h, TUNA, &Opts { security: true, ..DEFAULT });
    assert!(on_tuna.contains("URIs: https://mirrors.tuna.tsinghua.edu.cn/ubuntu-ports/\nSuites: noble-security"));
    let out = run(Format::Sources, &on_tuna, &h, USTC, &DEFAULT);
    assert_eq!(out, run(Format::Sources, UBUNTU2404_ARM64, &h, USTC, &DEFAULT));
}

#[test]
fn without_upstream_security_is_left_alone() {
    let h = host(BOOKWORM, "amd64");
    let o = Opts { security: true, ..DEFAULT };
    let on_tuna = run(Format::Sources, DEBIAN12_CONTAINER, &h, TUNA, &o);
    let out = run(Format::Sources, &on_tuna, &h, USTC, &Opts { no_upstream: true, ..DEFAULT });
    assert!(out.contains("URIs: https://mirrors.ustc.edu.cn/debian\n"));
    assert!(out.contains("URIs: https://mirrors.tuna.tsinghua.edu.cn/debian-security\n"));
}

#[test]
fn ubuntu_security_goes_back_to_security_ubuntu_com() {
    let amd64 = host(JAMMY, "amd64");
    let text = "deb https://mirrors.tuna.tsinghua.edu.cn/ubuntu/ jammy-security main universe\n";
    assert_eq!(
        run(Format::List, text, &amd64, USTC, &DEFAULT),
        "deb http://security.ubuntu.com/ubuntu/ jammy-security main universe\n"
    );
    // `use upstream` too, and with `--security` the upstream site's security server is the same.
    assert_eq!(
        run(Format::List, text, &amd64, UPSTREAM, &DEFAULT),
        "deb http://security.ubuntu.com/ubuntu/ jammy-security main universe\n"
    );
    assert_eq!(
        run(Format::List, text, &amd64, UPSTREAM, &Opts { security: true, ..DEFAULT }),
        "deb http://security.ubuntu.com/ubuntu/ jammy-security main universe\n"
    );
    // Ports architectures: ports.ubuntu.com serves security.
    let arm64 = host(JAMMY, "arm64");
    let ports = "deb https://mirrors.tuna.tsinghua.edu.cn/ubuntu-ports jammy-security main\n";
    assert_eq!(
        run(Format::List, ports, &arm64, USTC, &DEFAULT),
        "deb http://ports.ubuntu.com/ubuntu-ports jammy-security main\n"
    );
    // Already on an official host: kept, whichever one.
    for official in [
        "deb http://archive.ubuntu.com/ubuntu jammy-security main\n",
        "deb http://cn.archive.ubuntu.com/ubuntu/ jammy-security main\n",
        "deb http://security.ubuntu.com/ubuntu jammy-security main\n",
    ] {
        assert_eq!(run(Format::List, official, &amd64, USTC, &DEFAULT), official);
        assert_eq!(run(Format::List, official, &amd64, UPSTREAM, &DEFAULT), official);
    }
    // `--security` to a mirror, then back: the stock 24.04 file, security.ubuntu.com included.
    let noble = host(NOBLE, "amd64");
    let on_tuna = run(Format::Sources, UBUNTU2404_AMD64, &noble, TUNA, &Opts { security: true, ..DEFAULT });
    assert!(on_tuna.contains("URIs: https://mirrors.tuna.tsinghua.edu.cn/ubuntu/\nSuites: noble-security"));
    assert_eq!(run(Format::Sources, &on_tuna, &noble, UPSTREAM, &DEFAULT), UBUNTU2404_AMD64);
    // A stanza with archive and security suites keeps one URL: archive.ubuntu.com serves both.
    let mixed = "Types: deb\nURIs: https://mirrors.tuna.tsinghua.edu.cn/ubuntu\nSuites: noble noble-security\nComponents: main\n";
    assert_eq!(
        run(Format::Sources, mixed, &noble, UPSTREAM, &DEFAULT),
        mixed.replace("https://mirrors.tuna.tsinghua.edu.cn", "http://archive.ubuntu.com")
    );
}

#[test]
fn ubuntu_security_server_only_for_the_official_upstream() {
    let h = host(JAMMY, "amd64");
    let text = "deb https://mirrors.tuna.tsinghua.edu.cn/ubuntu jammy-security main\n";
    // An upstream under another id, or `upstream` pointed at a server of one's own: its `ubuntu` URL.
    let renamed = UPSTREAM.replace("id = \"upstream\"", "id = \"official\"");
    let proxied = UPSTREAM.replace("http://archive.ubuntu.com/ubuntu", "http://apt-cache.corp.example/ubuntu");
    for (upstream, expected) in [
        (renamed.as_str(), "deb http://archive.ubuntu.com/ubuntu jammy-security main\n"),
        (proxied.as_str(), "deb http://apt-cache.corp.example/ubuntu jammy-security main\n"),
    ] {
        assert_eq!(
            render(Format::List, Place::Own, text, &rewrite_with(&h, USTC, upstream, &DEFAULT)).unwrap(),
            expected
        );
    }
    // The scheme follows the upstream's `ubuntu` URL.
    let https = UPSTREAM.replace("http://archive.ubuntu.com/ubuntu", "https://archive.ubuntu.com/ubuntu");
    assert_eq!(
        render(Format::List, Place::Own, text, &rewrite_with(&h, USTC, &https, &DEFAULT)).unwrap(),
        "deb https://security.ubuntu.com/ubuntu jammy-security main\n"
    );
    // Generated sources.list: security.ubuntu.com on amd64, ports.ubuntu.com on arm64.
    let generated = |os: &str, arch: &str| {
        generate(None, &rewrite(&host(os, arch), TUNA, &DEFAULT), true, &mut Notes::default()).unwrap()
    };
    assert!(generated(JAMMY, "amd64").contains("deb http://security.ubuntu.com/ubuntu jammy-security main"));
    assert!(generated(JAMMY, "arm64").contains("deb http://ports.ubuntu.com/ubuntu-ports jammy-security main"));
}

#[test]
fn site_without_security_tree_needs_the_flag_dropped() {
    let h = host(BOOKWORM, "amd64");
    let e = err(Format::Sources, DEBIAN12_CONTAINER, &h, TINY, &Opts { security: true, ..DEFAULT });
    assert_eq!(e, RenderError::Missing { repo: Repo::DebianSecurity, via: Via::SiteSecurity });
    // Without the flag the site is fine.
    let out = run(Format::Sources, DEBIAN12_CONTAINER, &h, TINY, &DEFAULT);
    assert!(out.contains("URIs: http://tiny.example/debian\n"));
}

#[test]
fn mixed_stanza_is_split_unless_one_url_serves_both() {
    let h = host(BOOKWORM, "amd64");
    let text = fixture!("mixed.sources");
    let stanza = |uri: &str, suites: &str| {
        format!(
            "Types: deb\nURIs: {uri}\nSuites: {suites}\nComponents: main contrib\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n"
        )
    };
    let split =
        |a: String, s: String| format!("{a}\n# the security suites of the stanza above, split off by mirror\n{s}");
    // The security suite stays where it was: deb.debian.org is official.
    assert_eq!(
        run(Format::Sources, text, &h, TUNA, &DEFAULT),
        split(
            stanza("https://mirrors.tuna.tsinghua.edu.cn/debian", "bookworm bookworm-updates"),
            stanza("http://deb.debian.org/debian", "bookworm-security")
        )
    );
    // Debian's security suites live in their own tree: --security splits too.
    assert_eq!(
        run(Format::Sources, text, &h, TUNA, &Opts { security: true, ..DEFAULT }),
        split(
            stanza("https://mirrors.tuna.tsinghua.edu.cn/debian", "bookworm bookworm-updates"),
            stanza("https://mirrors.tuna.tsinghua.edu.cn/debian-security", "bookworm-security")
        )
    );
    // Splitting is stable: the next run changes nothing, the next site only the servers.
    let once = run(Format::Sources, text, &h, TUNA, &DEFAULT);
    assert_eq!(run(Format::Sources, &once, &h, TUNA, &DEFAULT), once);
    assert_eq!(
        run(Format::Sources, &once, &h, USTC, &DEFAULT),
        once.replace("mirrors.tuna.tsinghua.edu.cn", "mirrors.ustc.edu.cn")
    );
    // CRLF and a last line without a line break are kept.
    let crlf = text.replace('\n', "\r\n");
    let out = run(Format::Sources, crlf.trim_end(), &h, TUNA, &DEFAULT);
    assert_eq!(out, run(Format::Sources, text, &h, TUNA, &DEFAULT).replace('\n', "\r\n").trim_end());
    // Ubuntu keeps security suites in the same tree: with --security one URI serves both.
    let h = host(NOBLE, "amd64");
    let text = "Types: deb\nURIs: http://archive.ubuntu.com/ubuntu\nSuites: noble noble-security\nComponents: main\n";
    assert_eq!(
        run(Format::Sources, text, &h, TUNA, &DEFAULT),
        "Types: deb\nURIs: https://mirrors.tuna.tsinghua.edu.cn/ubuntu\nSuites: noble\nComponents: main\n\n# the security suites of the stanza above, split off by mirror\nTypes: deb\nURIs: http://archive.ubuntu.com/ubuntu\nSuites: noble-security\nComponents: main\n"
    );
    // On a mirror, split off: the security suites go to security.ubuntu.com.
    let on_ustc = text.replace("http://archive.ubuntu.com", "https://mirrors.ustc.edu.cn");
    assert!(
        run(Format::Sources, &on_ustc, &h, TUNA, &DEFAULT)
            .ends_with("URIs: http://security.ubuntu.com/ubuntu\nSuites: noble-security\nComponents: main\n")
    );
    let out = run(Format::Sources, text, &h, TUNA, &Opts { security: true, ..DEFAULT });
    assert_eq!(out, text.replace("http://archive.ubuntu.com", "https://mirrors.tuna.tsinghua.edu.cn"));
    // Going to the official server: the URI already is it, nothing to split.
    assert_eq!(run(Format::Sources, text, &h, UPSTREAM, &DEFAULT), text);
}

// ---- ports, https, third party ----

#[test]
fn arm64_uses_ubuntu_ports() {
    let h = host(NOBLE, "arm64");
    let out = run(Format::Sources, UBUNTU2404_ARM64, &h, TUNA, &DEFAULT);
    assert!(out.contains("URIs: https://mirrors.tuna.tsinghua.edu.cn/ubuntu-ports/\nSuites: noble noble-updates"));
    assert!(out.contains("URIs: http://ports.ubuntu.com/ubuntu-ports/\nSuites: noble-security"));
    // A ports entry on an amd64 host (multiarch) also stays in the ports tree.
    let text = "deb [arch=arm64] http://ports.ubuntu.com/ubuntu-ports noble main\ndeb [arch=amd64] http://archive.ubuntu.com/ubuntu noble main\n";
    let out = run(Format::List, text, &host(NOBLE, "amd64"), TUNA, &DEFAULT);
    assert_eq!(
        out,
        "deb [arch=arm64] https://mirrors.tuna.tsinghua.edu.cn/ubuntu-ports noble main\ndeb [arch=amd64] https://mirrors.tuna.tsinghua.edu.cn/ubuntu noble main\n"
    );
}

#[test]
fn https_becomes_http_without_ca_certificates() {
    let h = host(BOOKWORM, "amd64");
    let o = Opts { no_ca: true, security: true, ..DEFAULT };
    let out = run(Format::Sources, DEBIAN12_CONTAINER, &h, TUNA, &o);
    assert!(out.contains("URIs: http://mirrors.tuna.tsinghua.edu.cn/debian\n"));
    assert!(out.contains("URIs: http://mirrors.tuna.tsinghua.edu.cn/debian-security\n"));
    assert!(!out.contains("https://"));
    // Once certificates are installed the next run upgrades to https.
    let out = run(Format::Sources, &out, &h, TUNA, &DEFAULT);
    assert!(out.contains("URIs: https://mirrors.tuna.tsinghua.edu.cn/debian\n"));
}

#[test]
fn third_party_entries_are_byte_identical() {
    let h = host(BOOKWORM, "amd64");
    let out = run(Format::List, DEBIAN12_SIGNED, &h, TUNA, &Opts { security: true, ..DEFAULT });
    let docker = DEBIAN12_SIGNED.lines().find(|l| l.contains("docker")).unwrap();
    assert!(out.lines().any(|l| l == docker));
    let backports = out.lines().find(|l| l.contains("bookworm-backports")).unwrap();
    assert_eq!(
        backports,
        "deb  [ arch=amd64,arm64   signed-by=/usr/share/keyrings/debian-archive-keyring.gpg ]   https://mirrors.tuna.tsinghua.edu.cn/debian/\tbookworm-backports main   # backports, pinned low"
    );
    let jammy = host(JAMMY, "amd64");
    assert_eq!(run(Format::List, PPA, &jammy, TUNA, &Opts { security: true, ..DEFAULT }), PPA);
    assert_eq!(run(Format::List, NODESOURCE, &h, TUNA, &DEFAULT), NODESOURCE);
    let inline = run(Format::Sources, DEBIAN13_INLINE, &host(TRIXIE, "amd64"), TUNA, &DEFAULT);
    let ms = &DEBIAN13_INLINE[DEBIAN13_INLINE.find("# A third-party").unwrap()..];
    assert!(inline.ends_with(ms));
    for text in [
        "deb file:///srv/repo/debian bookworm main\n",
        "deb cdrom:[Debian GNU/Linux 12.5.0 _Bookworm_ - Official amd64 DVD Binary-1 with firmware 20240210-11:28]/ bookworm contrib main non-free-firmware\n",
        "deb mirror+file:/etc/apt/mirrors/vendor.list bookworm main\n",
        "deb tor+http://apt.vendor.example/debian bookworm main extras\n",
        "deb http://ppa.launchpad.net/x/y/ubuntu bookworm main\n",
        "deb https://download.docker.com/linux/debian bookworm main\n",
        "deb http://deb.debian.org/debian-debug bookworm-debug main\n",
        "deb http://mirror.example.org/debian bookworm main extras\n",
        "deb http://repo.example.org/debian ./\n",
        "deb http://apt-cache.lab.example:3142/vendor stable main\n",
    ] {
        assert_eq!(run(Format::List, text, &h, TUNA, &DEFAULT), text, "{text}");
    }
}

// ---- transports, caches, mirror lists (issue 9 items 7 and 8) ----

#[test]
fn tor_keeps_tor_and_onion_services_stay() {
    let h = host(TRIXIE, "amd64");
    let text = fixture!("kicksecure-trixie.sources");
    let out = run(Format::Sources, text, &h, TUNA, &DEFAULT);
    assert!(
        out.contains("URIs: tor+https://mirrors.tuna.tsinghua.edu.cn/debian\nSuites: trixie trixie-updates"),
        "{out}"
    );
    assert!(out.contains("URIs: tor+https://deb.debian.org/debian-security\n"), "security stays official");
    assert!(out.contains("URIs: tor+https://fasttrack.debian.net/debian-fasttrack\n"));
    assert_eq!(out.matches(".onion/").count(), 2, "onion services are kept");
    assert!(!out.contains("URIs: tor+https://mirrors.tuna.tsinghua.edu.cn/debian-security"));
    // --security moves security through Tor too; `tor://` keeps its spelling over http.
    let out = run(Format::Sources, text, &h, TUNA, &Opts { security: true, ..DEFAULT });
    assert!(out.contains("URIs: tor+https://mirrors.tuna.tsinghua.edu.cn/debian-security\n"));
    let tor = "deb tor://deb.debian.org/debian trixie main\n";
    assert_eq!(run(Format::List, tor, &h, UPSTREAM, &DEFAULT), tor);
    assert_eq!(
        run(Format::List, tor, &h, TUNA, &DEFAULT),
        "deb tor+https://mirrors.tuna.tsinghua.edu.cn/debian trixie main\n"
    );
    // Rendering is stable and goes back.
    let once = run(Format::Sources, text, &h, TUNA, &DEFAULT);
    assert_eq!(run(Format::Sources, &once, &h, TUNA, &DEFAULT), once);
    assert_eq!(run(Format::Sources, &once, &h, UPSTREAM, &DEFAULT), text);
}

#[test]
fn caches_keep_their_place_in_front() {
    let h = host(BOOKWORM, "amd64");
    let text = fixture!("apt-cacher-ng.list");
    let out = run(Format::List, text, &h, TUNA, &DEFAULT);
    assert_eq!(
        out,
        text.replace(
            "http://localhost:3142/ftp.fr.debian.org/",
            "http://localhost:3142/HTTPS///mirrors.tuna.tsinghua.edu.cn/"
        )
    );
    assert_eq!(run(Format::List, &out, &h, TUNA, &DEFAULT), out);
    // No CA certificates on the client: the cache does the TLS, https stays.
    assert_eq!(run(Format::List, text, &h, TUNA, &Opts { no_ca: true, ..DEFAULT }), out);
    // An http site stays http behind the cache; --security moves security behind it too.
    let out = run(Format::List, text, &h, TINY, &DEFAULT);
    assert!(out.contains("deb http://localhost:3142/tiny.example/debian/ bookworm main"), "{out}");
    let out = run(Format::List, text, &h, TUNA, &Opts { security: true, ..DEFAULT });
    assert!(
        out.contains(
            "deb http://localhost:3142/HTTPS///mirrors.tuna.tsinghua.edu.cn/debian-security bookworm-security"
        ),
        "{out}"
    );
    // A cache that picks the upstream itself is kept, and counts as the archive.
    let remap = "deb http://cacher:3142/debian bookworm main\n";
    assert_eq!(run(Format::List, remap, &h, TUNA, &DEFAULT), remap);
    let r = Root::new(BOOKWORM, "amd64");
    r.write("etc/apt/sources.list", remap);
    let planned = r.planned(TUNA, false).unwrap();
    assert!(planned.edits.iter().all(|e| !e.is_change()), "nothing generated beside it");
    assert_eq!(planned.warnings.len(), 1, "{:?}", planned.warnings);
    assert!(
        planned.warnings[0].contains("line 1: `http://cacher:3142/debian` is a package cache"),
        "{:?}",
        planned.warnings
    );
}

#[test]
fn mirror_lists_are_refused_and_never_doubled() {
    let h = host(BOOKWORM, "amd64");
    let text = fixture!("debian12-cloud-mirror-list.sources");
    let e = err(Format::Sources, text, &h, TUNA, &DEFAULT);
    assert!(matches!(&e, RenderError::Refused { line: 1, message, .. } if message.contains("mirror list")), "{e:?}");
    // Ubuntu's mirror-list service too.
    let text = "deb mirror://mirrors.ubuntu.com/mirrors.txt noble main restricted\n";
    assert!(matches!(
        err(Format::List, text, &host(NOBLE, "amd64"), TUNA, &DEFAULT),
        RenderError::Refused { line: 1, .. }
    ));
    // Disabled, it is left alone; in a file of its own it is a third party's.
    let disabled = "Types: deb\nURIs: mirror+file:///etc/apt/mirrors/debian.list\nSuites: bookworm\nComponents: main\nEnabled: no\n";
    assert_eq!(run(Format::Sources, disabled, &h, TUNA, &DEFAULT), disabled);
    let list = "deb mirror+file:/etc/apt/mirrors/debian.list bookworm main\n";
    assert_eq!(run_in(Place::Added, Format::List, list, &h, TUNA, &DEFAULT), list);
}

// ---- duplicates, https, suites (issue 9 items 10, 12, 13) ----

#[test]
fn uris_that_become_one_are_written_once() {
    let h = host(BOOKWORM, "amd64");
    let text = fixture!("debian12-two-mirrors.sources");
    let out = run(Format::Sources, text, &h, TUNA, &DEFAULT);
    assert!(out.starts_with("Types: deb\nURIs: https://mirrors.tuna.tsinghua.edu.cn/debian\nSuites:"), "{out}");
    assert_eq!(run(Format::Sources, &out, &h, TUNA, &DEFAULT), out);
    // A third party's URI in the same field stays; duplicates the file had are its own.
    let text = "Types: deb\nURIs: http://deb.debian.org/debian https://apt.vendor.example/repo http://ftp.de.debian.org/debian\nSuites: bookworm\nComponents: main\n";
    assert_eq!(
        run(Format::Sources, text, &h, TUNA, &DEFAULT),
        "Types: deb\nURIs: https://mirrors.tuna.tsinghua.edu.cn/debian https://apt.vendor.example/repo\nSuites: bookworm\nComponents: main\n"
    );
    let twice = "deb http://deb.debian.org/debian bookworm main\ndeb http://deb.debian.org/debian bookworm main\n";
    assert_eq!(
        run(Format::List, twice, &h, TUNA, &DEFAULT),
        twice.replace("http://deb.debian.org", "https://mirrors.tuna.tsinghua.edu.cn")
    );
}

#[test]
fn entries_that_become_duplicates_are_disabled_or_refused() {
    let h = host(JAMMY, "amd64");
    let out = run(Format::List, fixture!("ubuntu2204-two-mirrors.list"), &h, TUNA, &DEFAULT);
    assert_eq!(
        out.matches("# disabled by mirror, a duplicate once switched: deb http://cn.archive.ubuntu.com/").count(),
        2
    );
    // A stanza: `Enabled: no`, after a comment; with an `Enabled:` field, that one.
    let h = host(BOOKWORM, "amd64");
    let a = "Types: deb\nURIs: http://ftp.cn.debian.org/debian\nSuites: bookworm\nComponents: main\n";
    let b = "Types: deb\nURIs: http://mirrors.163.com/debian\nSuites: bookworm\nComponents: main\n";
    let out = run(Format::Sources, &format!("{a}\n{b}"), &h, TUNA, &DEFAULT);
    let tuna = |t: &str| {
        t.replace("http://ftp.cn.debian.org", "https://mirrors.tuna.tsinghua.edu.cn")
            .replace("http://mirrors.163.com", "https://mirrors.tuna.tsinghua.edu.cn")
    };
    assert_eq!(out, format!("{}\n{}# disabled by mirror, a duplicate once switched\nEnabled: no\n", tuna(a), tuna(b)));
    assert_eq!(run(Format::Sources, &out, &h, TUNA, &DEFAULT), out, "stable");
    let b_on = b.replace("Types:", "Enabled: yes\nTypes:");
    let out = run(Format::Sources, &format!("{a}\n{b_on}"), &h, TUNA, &DEFAULT);
    assert!(out.ends_with("# disabled by mirror, a duplicate once switched\nEnabled: no\nTypes: deb\nURIs: https://mirrors.tuna.tsinghua.edu.cn/debian\nSuites: bookworm\nComponents: main\n"), "{out}");
    // Other architectures, types or suites are not duplicates.
    let text = "deb [arch=amd64] http://ftp.cn.debian.org/debian bookworm main\ndeb [arch=arm64] http://mirrors.163.com/debian bookworm main\ndeb-src http://mirrors.163.com/debian bookworm main\n";
    assert_eq!(run(Format::List, text, &h, TUNA, &DEFAULT), tuna(text));
    // Only part of an entry would repeat an earlier one: refused, naming both.
    let text =
        "deb http://ftp.cn.debian.org/debian bookworm main\ndeb http://mirrors.163.com/debian bookworm main contrib\n";
    let e = err(Format::List, text, &h, TUNA, &DEFAULT);
    assert!(
        matches!(&e, RenderError::Refused { line: 2, message, .. } if message.contains("line 1") && message.contains("`bookworm` `main`")),
        "{e:?}"
    );
}

#[test]
fn https_is_kept_where_the_server_serves_it() {
    let h = host(BOOKWORM, "amd64");
    let text = fixture!("debian12-ustc-https.list");
    let tuna = text.replace("deb https://mirrors.ustc.edu.cn/", "deb https://mirrors.tuna.tsinghua.edu.cn/");
    assert_eq!(run(Format::List, text, &h, TUNA, &Opts { security: true, ..DEFAULT }), tuna);
    // Without CA certificates too: the file used https, apt there evidently can.
    assert_eq!(run(Format::List, text, &h, TUNA, &Opts { security: true, no_ca: true, ..DEFAULT }), tuna);
    // The security mirror goes back to deb.debian.org, which serves https.
    let out = run(Format::List, text, &h, TUNA, &DEFAULT);
    assert!(out.contains("deb https://deb.debian.org/debian-security/ bookworm-security"), "{out}");
    // An http site gets the file's https only where it serves https.
    let out = run(Format::List, text, &h, TINY, &DEFAULT);
    assert!(out.contains("deb http://tiny.example/debian/ bookworm main"), "{out}");
    let notes = |site: &str, text: &str, o: &Opts| {
        let input = Input { name: "sources.list".into(), format: Format::List, place: Place::Own, text };
        render_all(&[input], &rewrite(&h, site, o)).unwrap().notes
    };
    let n = notes(TINY, text, &DEFAULT);
    assert!(
        n.warnings.iter().any(|w| w.contains(
            "sources.list` line 2: `https://mirrors.ustc.edu.cn/debian/` becomes `http://tiny.example/debian/`"
        )),
        "{n:?}"
    );
    assert!(notes(TUNA, text, &Opts { no_ca: true, ..DEFAULT }).https_without_ca);
    let http = "deb http://deb.debian.org/debian bookworm main\n";
    let n = notes(TUNA, http, &Opts { no_ca: true, ..DEFAULT });
    assert!(n.http_for_lack_of_ca && !n.https_without_ca, "{n:?}");
    assert_eq!(notes(TUNA, http, &DEFAULT), Notes::default());
}

#[test]
fn proposed_updates_and_friends_are_debian_suites() {
    let h = host(BOOKWORM, "amd64");
    let text = fixture!("debian12-proposed-updates.list");
    assert_eq!(
        run(Format::List, text, &h, TUNA, &DEFAULT),
        text.replace("http://deb.debian.org/debian ", "https://mirrors.tuna.tsinghua.edu.cn/debian ")
    );
    for suite in [
        "proposed-updates",
        "rc-buggy",
        "stable-proposed-updates",
        "oldstable-backports-sloppy",
        "testing-proposed-updates",
    ] {
        let text =
            format!("Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm {suite}\nComponents: main\n");
        assert_ne!(run(Format::Sources, &text, &h, TUNA, &DEFAULT), text, "{suite}");
    }
    // Ubuntu has no such alias.
    let text =
        "deb http://archive.ubuntu.com/ubuntu proposed-updates main\ndeb http://archive.ubuntu.com/ubuntu noble main\n";
    assert!(matches!(
        err(Format::List, text, &host(NOBLE, "amd64"), TUNA, &DEFAULT),
        RenderError::Stray { line: 1, .. }
    ));
}

#[test]
fn an_end_of_life_release_is_warned_about() {
    let h = host("ID=debian\nVERSION_ID=\"7\"\n", "amd64");
    let input = Input {
        name: "sources.list".into(),
        format: Format::List,
        place: Place::Own,
        text: fixture!("debian7-wheezy.list"),
    };
    let o = render_all(&[input], &rewrite(&h, TUNA, &DEFAULT)).unwrap();
    assert_eq!(o.notes.warnings.len(), 1, "one per release and file: {:?}", o.notes.warnings);
    assert!(
        o.notes.warnings[0].starts_with("`sources.list` line 1: `wheezy` has reached its end of life"),
        "{:?}",
        o.notes.warnings
    );
    assert!(o.texts[0].contains("deb https://mirrors.tuna.tsinghua.edu.cn/debian/ wheezy main"));
}

#[test]
fn archive_like_paths_outside_the_distribution_files_are_third_party() {
    let (bookworm, jammy) = (host(BOOKWORM, "arm64"), host(JAMMY, "amd64"));
    for site_text in [TUNA, USTC, UPSTREAM] {
        for o in [DEFAULT, Opts { security: true, ..DEFAULT }] {
            for place in [Place::Added, Place::Own] {
                // Another key than the archive's: third party even in `sources.list`.
                assert_eq!(run_in(place, Format::List, TAILSCALE, &jammy, site_text, &o), TAILSCALE);
                assert_eq!(run_in(place, Format::Sources, WINEHQ, &jammy, site_text, &o), WINEHQ);
            }
            // No key at all: only the file tells it apart from a mirror of Debian.
            assert_eq!(run_in(Place::Added, Format::List, RASPI, &bookworm, site_text, &o), RASPI);
        }
    }
    assert_ne!(run_in(Place::Own, Format::List, RASPI, &bookworm, TUNA, &DEFAULT), RASPI);
    // An end-of-life release is only on the archive hosts: never sent to a mirror.
    let eol = "deb http://archive.debian.org/debian bookworm main\n";
    assert_eq!(run_in(Place::Own, Format::List, eol, &bookworm, TUNA, &DEFAULT), eol);
    // Rules (a) and (b) hold in any file, whatever key the entry names.
    let official = "deb [signed-by=/etc/apt/keyrings/test.gpg] http://deb.debian.org/debian bookworm main\n";
    assert_eq!(
        run_in(Place::Added, Format::List, official, &bookworm, TUNA, &DEFAULT),
        "deb [signed-by=/etc/apt/keyrings/test.gpg] https://mirrors.tuna.tsinghua.edu.cn/debian bookworm main\n"
    );
    let odd = "deb [signed-by=/etc/apt/keyrings/test.gpg] http://odd.example/pub/deb bookworm main\n";
    assert_eq!(
        run_in(Place::Added, Format::List, odd, &bookworm, ODD, &DEFAULT),
        odd.replace("http://odd.example", "https://odd.example")
    );
}

#[test]
fn unknown_mirror_in_the_distribution_files_is_rewritten() {
    let h = host(BOOKWORM, "amd64");
    let out = run(Format::List, UNKNOWN_MIRROR, &h, TUNA, &DEFAULT);
    assert_eq!(
        out,
        UNKNOWN_MIRROR
            .replace("http://mirrors.163.com/debian/ bookworm", "https://mirrors.tuna.tsinghua.edu.cn/debian/ bookworm")
            .replace("http://mirrors.163.com/debian-security/", "http://deb.debian.org/debian-security/")
    );
    // The same lines in a file of their own are left alone.
    assert_eq!(run_in(Place::Added, Format::List, UNKNOWN_MIRROR, &h, TUNA, &DEFAULT), UNKNOWN_MIRROR);
    // deb822, with the archive keyring or an inline key block.
    let stanza = |key: &str| {
        format!(
            "Types: deb\nURIs: http://mirrors.163.com/debian\nSuites: bookworm\nComponents: main\nSigned-By:{key}\n"
        )
    };
    for key in [
        " /usr/share/keyrings/debian-archive-keyring.gpg",
        "\n -----BEGIN PGP PUBLIC KEY BLOCK-----\n .\n mQINBGPL0BUBEADmW5NdOOHwPIJlgPu6JDcKw/NZJPR7lsCnYTdWmNJDvLxoGFDJ\n -----END PGP PUBLIC KEY BLOCK-----",
    ] {
        let text = stanza(key);
        assert_eq!(
            run(Format::Sources, &text, &h, TUNA, &DEFAULT),
            text.replace("http://mirrors.163.com", "https://mirrors.tuna.tsinghua.edu.cn"),
            "{key}"
        );
    }
    // Another keyring, a fingerprint, or the archive keyring next to another: not the archive.
    for key in [
        " /etc/apt/keyrings/mirror163.gpg",
        " 0x6ED0E7B82643E131",
        " /usr/share/keyrings/debian-archive-keyring.gpg,/etc/apt/keyrings/extra.gpg",
    ] {
        let text = stanza(key);
        assert_eq!(run(Format::Sources, &text, &h, TUNA, &DEFAULT), text, "{key}");
    }
    // An Ubuntu mirror needs the Ubuntu keyring, not Debian's.
    let text =
        "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://mirrors.163.com/ubuntu jammy main\n";
    assert_eq!(run(Format::List, text, &host(JAMMY, "amd64"), TUNA, &DEFAULT), text);
    let text = "deb [ arch=amd64 signed-by=/usr/share/keyrings/ubuntu-archive-keyring.gpg ] http://mirrors.163.com/ubuntu jammy main\n";
    assert_ne!(run(Format::List, text, &host(JAMMY, "amd64"), TUNA, &DEFAULT), text);
}

#[test]
fn inline_signed_by_block_survives() {
    let out = run(Format::Sources, DEBIAN13_INLINE, &host(TRIXIE, "amd64"), TUNA, &Opts { security: true, ..DEFAULT });
    let key = |t: &str| {
        let start = t.find(" -----BEGIN").unwrap();
        let end = t.find("-----END PGP PUBLIC KEY BLOCK-----").unwrap();
        t[start..end].to_owned()
    };
    assert_eq!(key(&out), key(DEBIAN13_INLINE));
    assert_eq!(out.matches(" .\n").count(), DEBIAN13_INLINE.matches(" .\n").count());
}

#[test]
fn disabled_stanza_and_deb_src_are_rewritten_too() {
    let out = run(Format::Sources, DEBIAN13_INLINE, &host(TRIXIE, "amd64"), TUNA, &DEFAULT);
    assert!(out.contains("URIs: https://mirrors.tuna.tsinghua.edu.cn/debian/\nSuites: trixie-backports"));
    let out = run(Format::List, DEBIAN11, &host(BULLSEYE, "amd64"), TUNA, &DEFAULT);
    assert!(out.contains("deb-src https://mirrors.tuna.tsinghua.edu.cn/debian/ bullseye main contrib non-free\n"));
    assert!(out.starts_with("#deb cdrom:[Debian GNU/Linux 11.7.0"));
}

// ---- which entries are the archive ----

#[test]
fn suites_must_belong_to_the_release() {
    let h = host(BOOKWORM, "amd64");
    for suite in [
        "bookworm",
        "bookworm-updates",
        "bookworm-backports",
        "bookworm-backports-sloppy",
        "bookworm-proposed-updates",
        "bookworm-security",
        "stable",
        "sid",
    ] {
        let text = format!("deb http://deb.debian.org/debian {suite} main\n");
        assert_ne!(run(Format::List, &text, &h, TUNA, &Opts { security: true, ..DEFAULT }), text, "{suite}");
    }
    let text = "deb http://ftp.us.debian.org/debian buster/updates main\n";
    assert_eq!(
        run(Format::List, text, &host(BUSTER, "amd64"), TUNA, &Opts { security: true, ..DEFAULT }),
        "deb https://mirrors.tuna.tsinghua.edu.cn/debian-security buster/updates main\n"
    );
    // Unknown codename: any suite of the archive is accepted.
    let unknown = host("ID=debian\n", "amd64");
    let text = "deb http://deb.debian.org/debian whatever main\n";
    assert_ne!(run(Format::List, text, &unknown, TUNA, &DEFAULT), text);
    // Recognised server, suites partly unknown: refuse rather than guess.
    let text = "Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm bookworm-pgdg\nComponents: main\n";
    let e = err(Format::Sources, text, &h, TUNA, &DEFAULT);
    assert!(matches!(&e, RenderError::Parse { line: 1, message } if message.contains("`bookworm-pgdg`")), "{e:?}");
}

#[test]
fn official_hosts_and_mirror_paths_are_recognised() {
    let h = host(NOBLE, "amd64");
    for uri in [
        "http://archive.ubuntu.com/ubuntu",
        "http://de.archive.ubuntu.com/ubuntu/",
        "http://us-east-1.ec2.archive.ubuntu.com/ubuntu/",
        "https://mirrors.aliyun.com/ubuntu/",
        "http://mirror.example.edu/pub/ubuntu",
    ] {
        let text = format!("deb {uri} noble main universe\n");
        let out = run(Format::List, &text, &h, USTC, &DEFAULT);
        assert!(out.starts_with("deb https://mirrors.ustc.edu.cn/ubuntu"), "{uri}: {out}");
    }
    let h = host(BOOKWORM, "amd64");
    for uri in
        ["http://ftp.de.debian.org/debian", "http://httpredir.debian.org/debian", "http://ftp.debian.org/debian/"]
    {
        let text = format!("deb {uri} bookworm main contrib\n");
        assert!(
            run(Format::List, &text, &h, USTC, &DEFAULT).starts_with("deb https://mirrors.ustc.edu.cn/debian"),
            "{uri}"
        );
    }
    // Rule (a): the site's own URLs count whatever their path, with either scheme.
    let text = "deb http://odd.example/pub/deb bookworm main\n";
    assert_eq!(run(Format::List, text, &h, ODD, &DEFAULT), "deb https://odd.example/pub/deb bookworm main\n");
    // Components outside the distribution's set on an unknown host: third party.
    let text = "deb http://mirror.example.org/debian bookworm main non-free-firmware extras\n";
    assert_eq!(run(Format::List, text, &h, TUNA, &DEFAULT), text);
}

#[test]
fn trailing_slash_style_is_kept_per_entry() {
    let h = host(BOOKWORM, "amd64");
    let text =
        "deb http://deb.debian.org/debian/ bookworm main\ndeb http://deb.debian.org/debian bookworm-updates main\n";
    assert_eq!(
        run(Format::List, text, &h, USTC, &DEFAULT),
        "deb https://mirrors.ustc.edu.cn/debian/ bookworm main\ndeb https://mirrors.ustc.edu.cn/debian bookworm-updates main\n"
    );
}

#[test]
fn crlf_and_missing_final_newline_are_kept() {
    let h = host(BOOKWORM, "amd64");
    let text = "# x\r\ndeb http://deb.debian.org/debian bookworm main\r\ndeb http://deb.debian.org/debian bookworm-updates main";
    assert_eq!(
        run(Format::List, text, &h, TUNA, &DEFAULT),
        text.replace("http://deb.debian.org", "https://mirrors.tuna.tsinghua.edu.cn")
    );
}

#[test]
fn several_uris_in_one_stanza_become_one() {
    let h = host(BOOKWORM, "amd64");
    let text = "Types: deb\nURIs: http://deb.debian.org/debian https://download.example.com/debian\n  http://ftp.de.debian.org/debian/\nSuites: bookworm\nComponents: main\n";
    assert_eq!(
        run(Format::Sources, text, &h, TUNA, &DEFAULT),
        "Types: deb\nURIs: https://mirrors.tuna.tsinghua.edu.cn/debian\nSuites: bookworm\nComponents: main\n",
        "three mirrors of Debian (by host, by path, by host) become one"
    );
}

// ---- malformed input ----

#[test]
fn malformed_lists_name_the_line() {
    let h = host(BOOKWORM, "amd64");
    for (text, line, what) in [
        (fixture!("malformed-unterminated.list"), 3, "unterminated `[`"),
        (fixture!("malformed-no-suite.list"), 3, "no suite"),
        (fixture!("malformed-exact-path.list"), 2, "exact path"),
        ("deb http://deb.debian.org/debian bookworm\n", 1, "needs components"),
        ("# x\ndeb\n", 2, "no URI"),
        ("  dep http://deb.debian.org/debian bookworm main\n", 1, "expected `deb` or `deb-src`, found `dep`"),
        ("deb cdrom:[Debian GNU/Linux 12 bookworm main\n", 1, "unterminated `[`"),
        ("deb [arch=amd64] http://deb.debian.org/debian\n", 1, "no suite after `http://deb.debian.org/debian`"),
    ] {
        match err(Format::List, text, &h, TUNA, &DEFAULT) {
            RenderError::Parse { line: l, message } => {
                assert_eq!(l, line, "{text}");
                assert!(message.contains(what), "{text}: {message}");
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn malformed_sources_name_the_line() {
    let h = host(BOOKWORM, "amd64");
    for (text, line, what) in [
        (
            fixture!("malformed-field.sources"),
            7,
            "expected `Field: value`, found `URIs http://deb.debian.org/debian-security`",
        ),
        (fixture!("malformed-no-uris.sources"), 7, "stanza has no `URIs` field"),
        ("Types: deb\nURIs: http://deb.debian.org/debian\nComponents: main\n", 1, "no `Suites` field"),
        ("URIs: http://deb.debian.org/debian\nSuites: bookworm\n", 1, "no `Types` field"),
        ("Types: deb\nURIs:\nSuites: bookworm\n", 1, "no `URIs` field"),
        ("# c\n continued\n", 2, "continuation line"),
        ("Types: deb\nTypes: deb-src\n", 2, "field `Types` appears twice"),
        ("Types: deb\n: x\n", 2, "expected `Field: value`, found `: x`"),
    ] {
        match err(Format::Sources, text, &h, TUNA, &DEFAULT) {
            RenderError::Parse { line: l, message } => {
                assert_eq!(l, line, "{text}");
                assert!(message.contains(what), "{text}: {message}");
            }
            other => panic!("{other:?}"),
        }
    }
}

// ---- generating a sources.list ----

fn gen_for(os: &str, arch: &str, o: &Opts) -> String {
    generate(None, &rewrite(&host(os, arch), TUNA, o), true, &mut Notes::default()).unwrap()
}

#[test]
fn generated_sources_lists() {
    insta::assert_snapshot!("generated_bookworm", gen_for(BOOKWORM, "amd64", &DEFAULT));
    insta::assert_snapshot!("generated_trixie_security", gen_for(TRIXIE, "amd64", &Opts { security: true, ..DEFAULT }));
    insta::assert_snapshot!("generated_bullseye", gen_for(BULLSEYE, "amd64", &DEFAULT));
    insta::assert_snapshot!("generated_buster", gen_for(BUSTER, "amd64", &DEFAULT));
    insta::assert_snapshot!("generated_sid", gen_for(SID, "amd64", &DEFAULT));
    insta::assert_snapshot!("generated_noble", gen_for(NOBLE, "amd64", &DEFAULT));
    insta::assert_snapshot!(
        "generated_noble_arm64_plain_http",
        gen_for(NOBLE, "arm64", &Opts { no_ca: true, ..DEFAULT })
    );
    insta::assert_snapshot!(
        "generated_bookworm_no_upstream",
        gen_for(BOOKWORM, "amd64", &Opts { no_upstream: true, ..DEFAULT })
    );
}

#[test]
fn generated_text_renders_to_itself() {
    for (os, arch) in [
        (BOOKWORM, "amd64"),
        (BULLSEYE, "amd64"),
        (BUSTER, "amd64"),
        (SID, "amd64"),
        (NOBLE, "amd64"),
        (NOBLE, "arm64"),
    ] {
        for o in [DEFAULT, Opts { security: true, ..DEFAULT }, Opts { no_upstream: true, ..DEFAULT }] {
            let h = host(os, arch);
            let text = generate(None, &rewrite(&h, TUNA, &o), true, &mut Notes::default()).unwrap();
            assert_eq!(run(Format::List, &text, &h, TUNA, &o), text, "{os}");
        }
    }
}

#[test]
fn generation_appends_after_comments() {
    let h = host(NOBLE, "amd64");
    let out = generate(Some(UBUNTU2404_LIST), &rewrite(&h, TUNA, &DEFAULT), true, &mut Notes::default()).unwrap();
    assert!(out.starts_with(UBUNTU2404_LIST));
    assert!(out[UBUNTU2404_LIST.len()..].starts_with("\n# generated by mirror from /etc/os-release\n"));
    let out = generate(Some("# only a comment"), &rewrite(&h, TUNA, &DEFAULT), true, &mut Notes::default()).unwrap();
    assert!(out.starts_with("# only a comment\n\n# generated by mirror"));
}

#[test]
fn generation_needs_a_current_release() {
    let e = generate(None, &rewrite(&host("ID=debian\n", "amd64"), TUNA, &DEFAULT), true, &mut Notes::default())
        .unwrap_err();
    assert!(matches!(e, RenderError::Release(m) if m.contains("VERSION_CODENAME")));
    let stretch = "ID=debian\nVERSION_CODENAME=stretch\n";
    let e = generate(None, &rewrite(&host(stretch, "amd64"), TUNA, &DEFAULT), true, &mut Notes::default()).unwrap_err();
    assert!(matches!(e, RenderError::Release(m) if m.contains("archive.debian.org")));
    let e = generate(None, &rewrite(&host(NOBLE, "arm64"), TINY, &DEFAULT), true, &mut Notes::default()).unwrap_err();
    assert_eq!(e, RenderError::Missing { repo: Repo::UbuntuPorts, via: Via::Site });
}

// ---- the Target, on a fake root ----

struct Root {
    dir: tempfile::TempDir,
    ctx: Context,
}

impl Root {
    fn new(os_release: &str, arch: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let map: BTreeMap<&str, OsString> =
            [("HOME", dir.path().join("home").into_os_string()), ("MIRROR_ARCH", arch.into())].into();
        let ctx =
            Context::from_vars(&Overrides { root: Some(dir.path().to_path_buf()), ..Overrides::default() }, |n| {
                map.get(n).cloned()
            })
            .unwrap();
        let root = Self { dir, ctx };
        root.write("etc/os-release", os_release);
        std::fs::create_dir_all(root.path("usr/share/ca-certificates")).unwrap();
        root
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn write(&self, rel: &str, text: &str) {
        let p = self.path(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap()
    }

    fn host(&self) -> Host {
        Host::detect(&self.ctx).unwrap()
    }

    fn plan(&self, site_text: &str, security: bool) -> Result<Vec<FileEdit>> {
        self.planned(site_text, security).map(|p| p.edits)
    }

    /// The plan's edits and the notes they carry.
    fn planned(&self, site_text: &str, security: bool) -> Result<Planned> {
        let s = site(site_text);
        let up = site(UPSTREAM);
        let req = Request { site: &s, upstream: Some(&up), security };
        let edits = Apt.plan(&self.ctx, &self.host(), &req)?;
        let warnings = edits.iter().flat_map(|e| e.notes.clone()).collect();
        Ok(Planned { edits, warnings })
    }

    /// Plans and writes the result, returning the edited paths relative to the root.
    fn apply(&self, site_text: &str, security: bool) -> Vec<String> {
        let edits = self.plan(site_text, security).unwrap();
        for e in &edits {
            std::fs::create_dir_all(e.path.parent().unwrap()).unwrap();
            std::fs::write(&e.path, e.after.as_ref().unwrap()).unwrap();
        }
        edits.iter().map(|e| self.rel(&e.path)).collect()
    }

    fn rel(&self, p: &Path) -> String {
        p.strip_prefix(self.dir.path()).unwrap().display().to_string()
    }

    fn error(&self, site_text: &str, security: bool) -> String {
        let e = self.plan(site_text, security).unwrap_err();
        crate::error::render(&e).replace(&self.dir.path().display().to_string(), "[ROOT]")
    }
}

#[test]
fn plan_rewrites_files_with_the_archive_only() {
    let r = Root::new(JAMMY, "amd64");
    r.write("etc/apt/sources.list", UBUNTU2204);
    r.write("etc/apt/sources.list.d/deadsnakes-ubuntu-ppa-jammy.list", PPA);
    r.write("etc/apt/sources.list.d/nodesource.list", NODESOURCE);
    r.write("etc/apt/sources.list.d/ignored.list.save", "garbage");
    r.write("etc/apt/sources.list.d/bad name.list", "garbage");
    assert_eq!(r.apply(TUNA, false), ["etc/apt/sources.list"]);
    assert_eq!(r.read("etc/apt/sources.list"), run(Format::List, UBUNTU2204, &r.host(), TUNA, &DEFAULT));
    assert_eq!(r.read("etc/apt/sources.list.d/deadsnakes-ubuntu-ppa-jammy.list"), PPA);
    // Applying again changes nothing.
    assert!(r.plan(TUNA, false).unwrap().iter().all(|e| !e.is_change()));
    let cur = Apt.current(&r.ctx, &r.host()).unwrap();
    assert_eq!(cur.url, Apt.endpoint(&site(TUNA), &r.host()));
    assert_eq!(cur.files, [r.path("etc/apt/sources.list")]);
}

#[test]
fn plan_leaves_tailscale_and_winehq_byte_identical() {
    let r = Root::new(JAMMY, "amd64");
    r.write("etc/apt/sources.list", UBUNTU2204);
    r.write("etc/apt/sources.list.d/tailscale.list", TAILSCALE);
    r.write("etc/apt/sources.list.d/winehq-jammy.sources", WINEHQ);
    for (site_text, security) in [(TUNA, false), (USTC, true), (UPSTREAM, false)] {
        assert_eq!(r.apply(site_text, security), ["etc/apt/sources.list"]);
        assert_eq!(r.read("etc/apt/sources.list.d/tailscale.list"), TAILSCALE);
        assert_eq!(r.read("etc/apt/sources.list.d/winehq-jammy.sources"), WINEHQ);
    }
    assert_eq!(Apt.current(&r.ctx, &r.host()).unwrap().files, [r.path("etc/apt/sources.list")]);
    // Appended to `sources.list` itself, Tailscale's key still marks it as third party.
    let r = Root::new(JAMMY, "amd64");
    r.write("etc/apt/sources.list", &format!("{UBUNTU2204}{TAILSCALE}"));
    r.apply(TUNA, false);
    assert!(r.read("etc/apt/sources.list").ends_with(TAILSCALE));
}

#[test]
fn plan_rewrites_an_unknown_mirror_in_sources_list() {
    let r = Root::new(BOOKWORM, "amd64");
    r.write("etc/apt/sources.list", UNKNOWN_MIRROR);
    assert_eq!(r.apply(TUNA, false), ["etc/apt/sources.list"]);
    let text = r.read("etc/apt/sources.list");
    assert!(text.contains("deb https://mirrors.tuna.tsinghua.edu.cn/debian/ bookworm main"), "{text}");
    assert!(!text.contains("163.com"), "{text}");
    // In `debian.sources` too; in a file of its own it is left alone.
    let r = Root::new(BOOKWORM, "amd64");
    // (BJTU is a real mirror the catalog does not know; NetEase, once unknown, is now a catalog site.)
    let stanza = "Types: deb\nURIs: http://mirror.bjtu.edu.cn/debian\nSuites: bookworm bookworm-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n";
    r.write("etc/apt/sources.list.d/debian.sources", stanza);
    r.write("etc/apt/sources.list.d/extra.sources", stanza);
    assert_eq!(r.apply(TUNA, false), ["etc/apt/sources.list.d/debian.sources"]);
    assert_eq!(r.read("etc/apt/sources.list.d/extra.sources"), stanza);
    // A file of its own that `mirror` moved to one catalog site moves to the next (rule (a)).
    let r = Root::new(BOOKWORM, "amd64");
    r.write("etc/apt/sources.list.d/debian.sources", DEBIAN12_CONTAINER);
    let backports =
        "deb [signed-by=/etc/apt/keyrings/backports.gpg] http://deb.debian.org/debian bookworm-backports main\n";
    r.write("etc/apt/sources.list.d/backports.list", backports);
    r.apply(TUNA, false);
    r.apply(USTC, false);
    assert_eq!(
        r.read("etc/apt/sources.list.d/backports.list"),
        backports.replace("http://deb.debian.org", "https://mirrors.ustc.edu.cn")
    );
    r.apply(UPSTREAM, false);
    let official = |t: &str| t.replace("http://deb.debian.org/debian ", "https://deb.debian.org/debian ");
    assert_eq!(r.read("etc/apt/sources.list.d/backports.list"), official(backports));
    assert_eq!(
        r.read("etc/apt/sources.list.d/debian.sources"),
        DEBIAN12_CONTAINER.replace("http://deb.debian.org/debian\n", "https://deb.debian.org/debian\n")
    );
}

#[test]
fn the_distribution_files() {
    for name in [
        "debian.sources",
        "ubuntu.sources",
        "moved-from-main.sources",
        "system.sources",
        "official-package-repositories.list",
    ] {
        assert_eq!(Place::of(name), Place::Own, "{name}");
    }
    for name in ["raspi.list", "raspi.sources"] {
        assert_eq!(Place::of(name), Place::RaspberryPi, "{name}");
    }
    for name in [
        "raspi.list.bak",
        "debian.list",
        "ubuntu.list",
        "tailscale.list",
        "winehq-jammy.sources",
        "debian-backports.sources",
    ] {
        assert_eq!(Place::of(name), Place::Added, "{name}");
    }
}

#[test]
fn plan_on_ubuntu_2404_reads_the_deb822_file() {
    let r = Root::new(NOBLE, "arm64");
    r.write("etc/apt/sources.list", UBUNTU2404_LIST);
    r.write("etc/apt/sources.list.d/ubuntu.sources", UBUNTU2404_ARM64);
    assert_eq!(r.apply(USTC, false), ["etc/apt/sources.list.d/ubuntu.sources"]);
    assert_eq!(r.read("etc/apt/sources.list"), UBUNTU2404_LIST);
    let cur = Apt.current(&r.ctx, &r.host()).unwrap();
    assert_eq!(cur.url.as_deref(), Some("https://mirrors.ustc.edu.cn/ubuntu-ports"));
    assert_eq!(cur.url, Apt.endpoint(&site(USTC), &r.host()));
}

#[test]
fn plan_orders_files_and_reads_back_the_first_archive() {
    let r = Root::new(BOOKWORM, "amd64");
    r.write("etc/apt/sources.list.d/debian.sources", DEBIAN12_CONTAINER);
    r.write("etc/apt/sources.list.d/backports.list", "deb http://deb.debian.org/debian bookworm-backports main\n");
    r.write("etc/apt/sources.list.d/docker.list", "deb [arch=amd64 signed-by=/etc/apt/keyrings/docker.asc] https://download.docker.com/linux/debian bookworm stable\n");
    let cur = Apt.current(&r.ctx, &r.host()).unwrap();
    assert_eq!(cur.url.as_deref(), Some("http://deb.debian.org/debian"));
    assert_eq!(cur.url, Apt.endpoint(&site(UPSTREAM), &r.host()));
    assert_eq!(
        r.apply(TUNA, false),
        ["etc/apt/sources.list.d/backports.list", "etc/apt/sources.list.d/debian.sources"]
    );
    let cur = Apt.current(&r.ctx, &r.host()).unwrap();
    assert_eq!(cur.url.as_deref(), Some("https://mirrors.tuna.tsinghua.edu.cn/debian"));
    assert_eq!(cur.files.len(), 2);
}

#[test]
fn plan_generates_for_a_minimal_container() {
    let r = Root::new(BOOKWORM, "amd64");
    std::fs::create_dir_all(r.path("etc/apt/sources.list.d")).unwrap();
    r.write("etc/apt/sources.list.d/docker.list", "deb https://download.docker.com/linux/debian bookworm stable\n");
    let edits = r.plan(TUNA, false).unwrap();
    assert_eq!(edits.len(), 1);
    assert_eq!(edits[0].before, None);
    assert_eq!(r.apply(TUNA, false), ["etc/apt/sources.list"]);
    insta::assert_snapshot!("plan_generated_bookworm", r.read("etc/apt/sources.list"));
    assert!(r.plan(TUNA, false).unwrap().iter().all(|e| !e.is_change()));
    let cur = Apt.current(&r.ctx, &r.host()).unwrap();
    assert_eq!(cur.url, Apt.endpoint(&site(TUNA), &r.host()));
}

#[test]
fn plan_appends_to_a_comment_only_sources_list() {
    let r = Root::new(NOBLE, "amd64");
    r.write("etc/apt/sources.list", UBUNTU2404_LIST);
    assert_eq!(r.apply(TUNA, true), ["etc/apt/sources.list"]);
    let text = r.read("etc/apt/sources.list");
    assert!(text.starts_with(UBUNTU2404_LIST));
    assert!(text.ends_with(
        "deb https://mirrors.tuna.tsinghua.edu.cn/ubuntu noble-security main restricted universe multiverse\n"
    ));
}

#[test]
fn plan_generation_keeps_existing_security_entries() {
    let r = Root::new(BOOKWORM, "amd64");
    r.write(
        "etc/apt/sources.list.d/security.list",
        "deb http://security.debian.org/debian-security bookworm-security main\n",
    );
    let edits = r.plan(TUNA, false).unwrap();
    assert_eq!(edits.len(), 2);
    let generated = String::from_utf8(edits[0].after.clone().unwrap()).unwrap();
    assert!(!generated.contains("-security"), "{generated}");
}

#[test]
fn plan_refuses_a_half_done_release_upgrade() {
    let r = Root::new(BOOKWORM, "amd64");
    r.write("etc/apt/sources.list", UPGRADING);
    r.write("etc/apt/sources.list.d/docker.list", "deb https://download.docker.com/linux/debian bookworm stable\n");
    insta::assert_snapshot!("error_release_upgrade", r.error(TUNA, false));
    assert!(r.plan(TUNA, true).is_err());
    assert_eq!(r.read("etc/apt/sources.list"), UPGRADING);
    // deb822, Ubuntu: the same, naming the stanza's line.
    let r = Root::new(JAMMY, "amd64");
    let noble =
        UBUNTU2404_AMD64.replace("URIs: http://archive.ubuntu.com/ubuntu/", "URIs: http://mirrors.163.com/ubuntu/");
    r.write("etc/apt/sources.list.d/ubuntu.sources", &noble);
    let e = r.error(USTC, false);
    assert!(
        e.contains("`[ROOT]/etc/apt/sources.list.d/ubuntu.sources` line 31: suite `noble` does not match `jammy`, the codename in `[ROOT]/etc/os-release`"),
        "{e}"
    );
    assert!(e.contains("hint: finish the release upgrade first"), "{e}");
    assert_eq!(r.read("etc/apt/sources.list.d/ubuntu.sources"), noble);
    assert!(!r.path("etc/apt/sources.list").exists());
    // A security entry of the right release does not hide the stale archive.
    let r = Root::new(BOOKWORM, "amd64");
    r.write("etc/apt/sources.list", UPGRADING);
    r.write(
        "etc/apt/sources.list.d/security.list",
        "deb http://security.debian.org/debian-security bookworm-security main\n",
    );
    assert!(r.error(TUNA, false).contains("line 2: suite `trixie` does not match `bookworm`"));
}

#[test]
fn another_release_next_to_the_hosts_stops_the_command() {
    // Even with the host's release there, an enabled archive entry of another release stops
    // the command: switching only part of the archive would hide a half-done upgrade.
    let r = Root::new(BOOKWORM, "amd64");
    r.write("etc/apt/sources.list.d/debian.sources", DEBIAN12_CONTAINER);
    let old = "deb http://deb.debian.org/debian bullseye main\n";
    r.write("etc/apt/sources.list.d/bullseye.list", old);
    let e = r.error(TUNA, false);
    assert!(
        e.contains("`[ROOT]/etc/apt/sources.list.d/bullseye.list` line 1: suite `bullseye` does not match `bookworm`"),
        "{e}"
    );
    assert!(!r.path("etc/apt/sources.list").exists());
    // The same on one line of `sources.list` (trixie on the host, one line still bookworm),
    // and a leftover stanza of the next Ubuntu release.
    let r = Root::new(TRIXIE, "amd64");
    r.write("etc/apt/sources.list", fixture!("debian13-half-upgraded.list"));
    assert!(r.error(TUNA, false).contains("sources.list` line 4: suite `bookworm-updates` does not match `trixie`"));
    let r = Root::new(NOBLE, "amd64");
    r.write("etc/apt/sources.list.d/ubuntu.sources", fixture!("ubuntu2404-leftover-oracular.sources"));
    assert!(r.error(TUNA, false).contains("ubuntu.sources` line 46: suite `oracular` does not match `noble`"));
    // Disabled, it is left alone.
    let r = Root::new(BOOKWORM, "amd64");
    r.write("etc/apt/sources.list.d/debian.sources", &format!("{DEBIAN12_CONTAINER}\nTypes: deb\nURIs: http://deb.debian.org/debian\nSuites: bullseye\nComponents: main\nEnabled: no\n"));
    assert_eq!(r.apply(TUNA, false), ["etc/apt/sources.list.d/debian.sources"]);
    // Third-party entries of another release never count as the archive.
    let r = Root::new(BOOKWORM, "arm64");
    r.write("etc/apt/sources.list.d/vendor.list", "deb http://apt.vendor.example/debian trixie main\n");
    assert_eq!(r.apply(TUNA, false), ["etc/apt/sources.list"]);
    assert!(r.read("etc/apt/sources.list").starts_with("# generated by mirror"));
    // On Raspberry Pi OS the Raspberry Pi archive is switched, so it must be the host's
    // release too.
    let r = Root::new(BOOKWORM, "arm64");
    r.write("etc/apt/sources.list", fixture!("rpios64-bookworm.list"));
    r.write("etc/apt/sources.list.d/raspi.list", &RASPI.replace("bookworm", "trixie"));
    let e = r.error(TUNA, false);
    assert!(
        e.contains("`[ROOT]/etc/apt/sources.list.d/raspi.list` line 1: suite `trixie` does not match `bookworm`"),
        "{e}"
    );
    assert_eq!(r.read("etc/apt/sources.list"), fixture!("rpios64-bookworm.list"));
}

#[test]
fn plan_writes_http_without_ca_certificates() {
    let r = Root::new(BOOKWORM, "amd64");
    std::fs::remove_dir(r.path("usr/share/ca-certificates")).unwrap();
    r.write("etc/apt/sources.list.d/debian.sources", DEBIAN12_CONTAINER);
    r.apply(TUNA, false);
    assert!(
        r.read("etc/apt/sources.list.d/debian.sources").contains("URIs: http://mirrors.tuna.tsinghua.edu.cn/debian\n")
    );
    r.write("etc/ssl/certs/ca-certificates.crt", "");
    r.apply(TUNA, false);
    assert!(
        r.read("etc/apt/sources.list.d/debian.sources").contains("URIs: https://mirrors.tuna.tsinghua.edu.cn/debian\n")
    );
}

#[test]
fn plan_errors_name_the_file_and_line() {
    let r = Root::new(BOOKWORM, "amd64");
    r.write("etc/apt/sources.list.d/debian.sources", DEBIAN12_CONTAINER);
    r.write("etc/apt/sources.list.d/z.list", fixture!("malformed-unterminated.list"));
    insta::assert_snapshot!("error_malformed_list", r.error(TUNA, false));
    r.write("etc/apt/sources.list.d/z.list", "");
    r.write("etc/apt/sources.list.d/debian.sources", fixture!("mixed.sources"));
    let planned = r.planned(TUNA, false).unwrap();
    assert_eq!(planned.warnings.len(), 1, "{:?}", planned.warnings);
    assert!(planned.warnings[0].contains("debian.sources` line 1: split the stanza in two"), "{:?}", planned.warnings);
    // Two entries of `sources.list` that would overlap in part once switched.
    r.write(
        "etc/apt/sources.list",
        "deb http://ftp.cn.debian.org/debian bookworm main\ndeb http://mirrors.163.com/debian bookworm main contrib\n",
    );
    insta::assert_snapshot!("error_partial_duplicate", r.error(TUNA, false));
    r.write("etc/apt/sources.list.d/debian.sources", fixture!("malformed-no-uris.sources"));
    let e = r.error(TUNA, false);
    assert!(e.contains("[ROOT]/etc/apt/sources.list.d/debian.sources` line 7: stanza has no `URIs` field"), "{e}");
    // current() reports the same error.
    let e = Apt.current(&r.ctx, &r.host()).unwrap_err();
    assert!(crate::error::render(&e).contains("line 7"));
}

#[test]
fn plan_errors_for_missing_repositories_and_releases() {
    let r = Root::new(BOOKWORM, "amd64");
    r.write("etc/apt/sources.list.d/debian.sources", DEBIAN12_CONTAINER);
    insta::assert_snapshot!("error_security_not_served", r.error(TINY, true));
    let r = Root::new(NOBLE, "arm64");
    r.write("etc/apt/sources.list.d/ubuntu.sources", UBUNTU2404_ARM64);
    let e = r.error(TINY, false);
    assert!(e.contains("site `tiny` does not serve `ubuntu-ports`"), "{e}");
    let r = Root::new("ID=debian\n", "amd64");
    insta::assert_snapshot!("error_no_codename", r.error(TUNA, false));
}

#[test]
fn derivatives_rewrite_what_they_recognise_and_never_generate() {
    // Parrot OS 6: Debian-based, with an archive of its own no catalog site describes.
    let parrot = "PRETTY_NAME=\"Parrot Security 6.2 (lorikeet)\"\nID=parrot\nID_LIKE=debian\nVERSION_ID=\"6.2\"\nVERSION_CODENAME=lory\n";
    let r = Root::new(parrot, "amd64");
    let list = "deb https://deb.parrot.sh/parrot lory main contrib non-free non-free-firmware\n";
    r.write("etc/apt/sources.list", list);
    insta::assert_snapshot!("error_derivative", r.error(TUNA, false));
    assert_eq!(r.read("etc/apt/sources.list"), list);

    let pop = "ID=pop\nID_LIKE=\"ubuntu debian\"\nVERSION_CODENAME=jammy\nUBUNTU_CODENAME=jammy\n";
    let r = Root::new(pop, "amd64");
    r.write(
        "etc/apt/sources.list.d/system.sources",
        "X-Repolib-Name: Pop_OS System Sources\nEnabled: yes\nTypes: deb deb-src\nURIs: http://apt.pop-os.org/ubuntu\nSuites: jammy jammy-security jammy-updates jammy-backports\nComponents: main restricted universe multiverse\n\nX-Repolib-Name: Pop_OS Release Sources\nEnabled: yes\nTypes: deb deb-src\nURIs: http://apt.pop-os.org/release\nSuites: jammy\nComponents: main\n",
    );
    assert_eq!(r.apply(TUNA, true), ["etc/apt/sources.list.d/system.sources"]);
    let text = r.read("etc/apt/sources.list.d/system.sources");
    assert!(text.contains("URIs: https://mirrors.tuna.tsinghua.edu.cn/ubuntu\n"), "{text}");
    assert!(text.contains("URIs: http://apt.pop-os.org/release\n"), "{text}");
}

#[test]
fn plan_refuses_other_distros() {
    let r = Root::new("ID=fedora\nVERSION_ID=40\n", "amd64");
    let e = r.error(TUNA, false);
    assert!(
        e.contains("apt's distro is not Debian, Ubuntu, Kali or Raspbian: `[ROOT]/etc/os-release` says `ID=fedora`"),
        "{e}"
    );
    std::fs::remove_file(r.path("etc/os-release")).unwrap();
    let e = r.error(TUNA, false);
    assert!(e.contains("`[ROOT]/etc/os-release` is missing"), "{e}");
    assert_eq!(Apt.current(&r.ctx, &r.host()).unwrap(), Current::default());
}

#[test]
fn present_and_endpoint() {
    let r = Root::new(BOOKWORM, "amd64");
    assert!(!Apt.present(&r.ctx, &r.host()));
    std::fs::create_dir_all(r.path("etc/apt")).unwrap();
    assert!(Apt.present(&r.ctx, &r.host()));
    let r = Root::new(BOOKWORM, "amd64");
    r.write("usr/bin/apt-get", "");
    assert!(Apt.present(&r.ctx, &r.host()));

    let (tuna, tiny) = (site(TUNA), site(TINY));
    assert_eq!(
        Apt.endpoint(&tuna, &host(BOOKWORM, "amd64")).as_deref(),
        Some("https://mirrors.tuna.tsinghua.edu.cn/debian")
    );
    assert_eq!(
        Apt.endpoint(&tuna, &host(NOBLE, "amd64")).as_deref(),
        Some("https://mirrors.tuna.tsinghua.edu.cn/ubuntu")
    );
    assert_eq!(
        Apt.endpoint(&tuna, &host(NOBLE, "riscv64")).as_deref(),
        Some("https://mirrors.tuna.tsinghua.edu.cn/ubuntu-ports")
    );
    assert_eq!(
        Apt.endpoint(&site(UPSTREAM), &host(NOBLE, "arm64")).as_deref(),
        Some("http://ports.ubuntu.com/ubuntu-ports")
    );
    assert_eq!(Apt.endpoint(&tiny, &host(BOOKWORM, "amd64")).as_deref(), Some("http://tiny.example/debian"));
    assert_eq!(Apt.endpoint(&tiny, &host(NOBLE, "amd64")), None);
    assert_eq!(Apt.endpoint(&tuna, &host("ID=arch\n", "amd64")), None);
}

#[test]
fn catalog_urls_compare_with_the_shared_normaliser() {
    // Rule (a) compares an entry with the catalog's URLs as `common::same_tree` does: http
    // and https alike, host case and default ports ignored, but the path as written (servers
    // tell `/PUB/deb` from `/pub/deb`).
    let h = host(BOOKWORM, "amd64");
    let rewritten = "deb [signed-by=/etc/apt/keyrings/test.gpg] https://odd.example/pub/deb bookworm main\n";
    for uri in ["http://odd.example/pub/deb", "https://ODD.example:443/pub/deb", "http://odd.example:80/pub/deb/"] {
        let text = format!("deb [signed-by=/etc/apt/keyrings/test.gpg] {uri} bookworm main\n");
        let slash = if uri.ends_with('/') { "/" } else { "" };
        assert_eq!(
            run_in(Place::Added, Format::List, &text, &h, ODD, &DEFAULT),
            rewritten.replace("/pub/deb ", &format!("/pub/deb{slash} ")),
            "{uri}"
        );
    }
    for uri in ["https://odd.example/PUB/deb", "https://odd.example:8443/pub/deb", "https://odd.example/pub/deb?x=1"] {
        let text = format!("deb [signed-by=/etc/apt/keyrings/test.gpg] {uri} bookworm main\n");
        assert_eq!(run_in(Place::Added, Format::List, &text, &h, ODD, &DEFAULT), text, "{uri}");
    }
}

// ---- Kali and Raspberry Pi OS ----

const KALI_OS: &str = "PRETTY_NAME=\"Kali GNU/Linux Rolling\"\nNAME=\"Kali GNU/Linux\"\nVERSION_ID=\"2024.4\"\nVERSION=\"2024.4\"\nVERSION_CODENAME=kali-rolling\nID=kali\nID_LIKE=debian\nHOME_URL=\"https://www.kali.org/\"\n";
const RASPBIAN_OS: &str = "PRETTY_NAME=\"Raspbian GNU/Linux 12 (bookworm)\"\nNAME=\"Raspbian GNU/Linux\"\nVERSION_ID=\"12\"\nVERSION=\"12 (bookworm)\"\nVERSION_CODENAME=bookworm\nID=raspbian\nID_LIKE=debian\n";
/// Raspberry Pi OS 64-bit says it is Debian; only `raspi.list` tells it apart.
const RPIOS64_OS: &str = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nVERSION=\"12 (bookworm)\"\nVERSION_CODENAME=bookworm\nID=debian\n";
const KALI: &str = fixture!("kali-rolling.list");
const RASPBIAN: &str = fixture!("raspbian-bookworm.list");
const RPIOS64: &str = fixture!("rpios64-bookworm.list");
const RASPI_TRIXIE: &str = fixture!("raspi-trixie.sources");

#[test]
fn kali_goes_to_the_site_and_back() {
    let h = host(KALI_OS, "amd64");
    let tuna = run(Format::List, KALI, &h, TUNA, &DEFAULT);
    assert_eq!(
        tuna,
        KALI.replacen("deb http://http.kali.org/kali", "deb https://mirrors.tuna.tsinghua.edu.cn/kali", 1),
        "only the server of the one entry changes; the comments stay"
    );
    assert_eq!(run(Format::List, &tuna, &h, TUNA, &DEFAULT), tuna, "twice is once");
    assert_eq!(run(Format::List, &tuna, &h, USTC, &DEFAULT), run(Format::List, KALI, &h, USTC, &DEFAULT));
    // http.kali.org has no https `mirror` knows of: back there, over http, with a warning.
    let rw = rewrite(&h, UPSTREAM, &DEFAULT);
    let back =
        render_all(&[Input { name: "sources.list".into(), format: Format::List, place: Place::Own, text: &tuna }], &rw)
            .unwrap();
    assert_eq!(back.texts[0], KALI);
    assert!(back.notes.warnings[0].contains("plain http"), "{:?}", back.notes.warnings);
    // The CDN, Kali's other branches, a keyring and deb822 are all the Kali archive.
    for (text, want) in [
        (
            "deb https://kali.download/kali kali-last-snapshot main contrib non-free non-free-firmware\n",
            "deb https://mirrors.tuna.tsinghua.edu.cn/kali kali-last-snapshot main contrib non-free non-free-firmware\n",
        ),
        (
            "deb [signed-by=/usr/share/keyrings/kali-archive-keyring.gpg] http://http.kali.org/kali kali-experimental main\n",
            "deb [signed-by=/usr/share/keyrings/kali-archive-keyring.gpg] https://mirrors.tuna.tsinghua.edu.cn/kali kali-experimental main\n",
        ),
        (
            "Types: deb deb-src\nURIs: http://http.kali.org/kali/\nSuites: kali-rolling kali-bleeding-edge\nComponents: main non-free\nSigned-By: /usr/share/keyrings/kali-archive-keyring.gpg\n",
            "Types: deb deb-src\nURIs: https://mirrors.tuna.tsinghua.edu.cn/kali/\nSuites: kali-rolling kali-bleeding-edge\nComponents: main non-free\nSigned-By: /usr/share/keyrings/kali-archive-keyring.gpg\n",
        ),
    ] {
        let format = if text.starts_with("Types:") { Format::Sources } else { Format::List };
        assert_eq!(run(format, text, &h, TUNA, &DEFAULT), want, "{text}");
    }
    // A mirror no catalog knows, in `sources.list`, with Kali's components: Kali's archive.
    let unknown = "deb http://mirror.math.princeton.edu/pub/kali kali-rolling main contrib non-free\n";
    assert_eq!(
        run(Format::List, unknown, &h, NJU, &DEFAULT),
        "deb https://mirrors.nju.edu.cn/kali kali-rolling main contrib non-free\n"
    );
    // Another keyring, or Debian's archive on a Kali host: not Kali's, left alone.
    for other in [
        "deb [signed-by=/etc/apt/keyrings/vendor.gpg] http://mirror.example/kali kali-rolling main\n",
        "deb http://deb.debian.org/debian kali-rolling main\n",
    ] {
        assert_eq!(run(Format::List, other, &h, TUNA, &DEFAULT), other, "{other}");
    }
    // `--security` has nothing to move: Kali has no security suites of its own.
    assert_eq!(run(Format::List, KALI, &h, TUNA, &Opts { security: true, ..DEFAULT }), tuna);
}

#[test]
fn kali_suites_and_sites_that_lack_it() {
    let h = host(KALI_OS, "amd64");
    // A suite that is not a Kali branch beside one: refused rather than guessed.
    let text = "Types: deb\nURIs: http://http.kali.org/kali\nSuites: kali-rolling bookworm\nComponents: main\n";
    let e = err(Format::Sources, text, &h, TUNA, &DEFAULT);
    assert!(
        matches!(&e, RenderError::Parse { line: 1, message } if message.contains("Kali archive with `bookworm`")),
        "{e:?}"
    );
    let e = err(Format::List, KALI, &h, TINY, &DEFAULT);
    assert_eq!(e, RenderError::Missing { repo: Repo::Kali, via: Via::Site });
    let r = Root::new(KALI_OS, "amd64");
    r.write("etc/apt/sources.list", KALI);
    let e = r.error(TINY, false);
    assert!(e.contains("site `tiny` does not serve `kali`"), "{e}");
    // Kali's old release, on a Kali host that has moved on: the file and line are named.
    r.write("etc/apt/sources.list", &format!("{KALI}deb http://http.kali.org/kali sana main non-free contrib\n"));
    let e = r.error(TUNA, false);
    assert!(e.contains("`[ROOT]/etc/apt/sources.list` line 6: suite `sana` does not match `kali-rolling`"), "{e}");
    assert_eq!(
        r.read("etc/apt/sources.list"),
        format!("{KALI}deb http://http.kali.org/kali sana main non-free contrib\n")
    );
}

#[test]
fn plan_on_kali() {
    let r = Root::new(KALI_OS, "amd64");
    r.write("etc/apt/sources.list", KALI);
    r.write("etc/apt/sources.list.d/vscode.list", "deb [arch=amd64,arm64,armhf signed-by=/usr/share/keyrings/microsoft.gpg] https://packages.microsoft.com/repos/code stable main\n");
    assert_eq!(Apt.current(&r.ctx, &r.host()).unwrap().url.as_deref(), Some("http://http.kali.org/kali"));
    assert_eq!(Apt.endpoint(&site(UPSTREAM), &r.host()).as_deref(), Some("http://http.kali.org/kali"));
    assert_eq!(r.apply(USTC, false), ["etc/apt/sources.list"]);
    let cur = Apt.current(&r.ctx, &r.host()).unwrap();
    assert_eq!(cur.url.as_deref(), Some("https://mirrors.ustc.edu.cn/kali"));
    assert_eq!(cur.url, Apt.endpoint(&site(USTC), &r.host()));
    assert_eq!(cur.files, [r.path("etc/apt/sources.list")]);
    assert!(r.plan(USTC, false).unwrap().iter().all(|e| !e.is_change()), "twice is once");
    assert!(r.read("etc/apt/sources.list.d/vscode.list").contains("packages.microsoft.com"));
    // A minimal Kali image without sources gets Kali's own line.
    let r = Root::new(KALI_OS, "amd64");
    assert_eq!(r.apply(TUNA, false), ["etc/apt/sources.list"]);
    assert_eq!(
        r.read("etc/apt/sources.list"),
        "# generated by mirror from /etc/os-release\ndeb https://mirrors.tuna.tsinghua.edu.cn/kali kali-rolling main contrib non-free non-free-firmware\n"
    );
}

#[test]
fn raspbian_and_the_raspberry_pi_archive_go_to_the_site_and_back() {
    let r = Root::new(RASPBIAN_OS, "armhf");
    r.write("etc/apt/sources.list", RASPBIAN);
    r.write("etc/apt/sources.list.d/raspi.list", RASPI);
    let cur = Apt.current(&r.ctx, &r.host()).unwrap();
    assert_eq!(cur.url.as_deref(), Some("http://raspbian.raspberrypi.com/raspbian"));
    assert_eq!(cur.url, Apt.endpoint(&site(UPSTREAM), &r.host()));
    assert_eq!(cur.files, [r.path("etc/apt/sources.list"), r.path("etc/apt/sources.list.d/raspi.list")]);

    assert_eq!(r.apply(TUNA, false), ["etc/apt/sources.list", "etc/apt/sources.list.d/raspi.list"]);
    assert_eq!(
        r.read("etc/apt/sources.list"),
        RASPBIAN.replacen(
            "deb http://raspbian.raspberrypi.com/raspbian/",
            "deb https://mirrors.tuna.tsinghua.edu.cn/raspbian/raspbian/",
            1
        )
    );
    assert_eq!(
        r.read("etc/apt/sources.list.d/raspi.list"),
        RASPI.replacen(
            "deb http://archive.raspberrypi.com/debian/",
            "deb https://mirrors.tuna.tsinghua.edu.cn/raspberrypi/",
            1
        )
    );
    let cur = Apt.current(&r.ctx, &r.host()).unwrap();
    assert_eq!(cur.url, Apt.endpoint(&site(TUNA), &r.host()));
    assert!(r.plan(TUNA, false).unwrap().iter().all(|e| !e.is_change()), "twice is once");

    // USTC keeps the Raspberry Pi archive under `/archive.raspberrypi.org/debian`: the catalog
    // URL, not a cache in front of that host; and the next site takes it from there.
    r.apply(USTC, false);
    assert!(
        r.read("etc/apt/sources.list.d/raspi.list")
            .starts_with("deb https://mirrors.ustc.edu.cn/archive.raspberrypi.org/debian/ bookworm main\n"),
        "{}",
        r.read("etc/apt/sources.list.d/raspi.list")
    );
    r.apply(TUNA, false);
    assert!(
        r.read("etc/apt/sources.list.d/raspi.list")
            .starts_with("deb https://mirrors.tuna.tsinghua.edu.cn/raspberrypi/ bookworm main\n")
    );

    // A site without the Raspberry Pi archive: raspi.list stays where it is, and the user is told.
    let planned = r.planned(NJU, false).unwrap();
    assert!(
        planned.warnings.iter().any(|w| w.contains("raspi.list` line 1: `nju` does not serve the Raspberry Pi archive; `https://mirrors.tuna.tsinghua.edu.cn/raspberrypi/` is left as it is")),
        "{:?}",
        planned.warnings
    );
    r.apply(NJU, false);
    assert!(r.read("etc/apt/sources.list").starts_with("deb https://mirrors.nju.edu.cn/raspbian/raspbian/ bookworm"));
    assert!(r.read("etc/apt/sources.list.d/raspi.list").contains("mirrors.tuna.tsinghua.edu.cn/raspberrypi/"));

    // `use upstream`: both official servers again, http as they are.
    r.apply(UPSTREAM, false);
    assert_eq!(r.read("etc/apt/sources.list"), RASPBIAN);
    assert_eq!(r.read("etc/apt/sources.list.d/raspi.list"), RASPI);
}

#[test]
fn raspbian_rules_for_mirrors_keys_and_releases() {
    let h = host(RASPBIAN_OS, "armhf");
    // The older `.org` hosts and a mirror no catalog knows (in `sources.list`, Raspbian's components).
    for (text, place) in [
        ("deb http://raspbian.raspberrypi.org/raspbian/ bookworm main contrib non-free rpi\n", Place::Own),
        (
            "deb http://mirror.ox.ac.uk/sites/archive.raspbian.org/archive/raspbian bookworm main contrib non-free rpi\n",
            Place::Own,
        ),
        (
            "deb http://mirrordirector.raspbian.org/raspbian/ bookworm main contrib non-free rpi firmware\n",
            Place::Added,
        ),
    ] {
        let out = run_in(place, Format::List, text, &h, TUNA, &DEFAULT);
        assert!(out.starts_with("deb https://mirrors.tuna.tsinghua.edu.cn/raspbian/raspbian"), "{text} -> {out}");
    }
    // The Raspberry Pi archive: its servers in any file, a mirror no catalog knows only in
    // its own file, and never someone else's `/debian`.
    let pi = |text: &str, place: Place| run_in(place, Format::List, text, &h, USTC, &DEFAULT);
    assert!(
        pi("deb http://archive.raspberrypi.org/debian/ bookworm main ui\n", Place::Added)
            .contains("mirrors.ustc.edu.cn/archive.raspberrypi.org/debian/ bookworm")
    );
    let unknown = "deb http://mirrors.bfsu.edu.cn/raspberrypi/ bookworm main\n";
    assert_eq!(
        pi(unknown, Place::RaspberryPi),
        "deb https://mirrors.ustc.edu.cn/archive.raspberrypi.org/debian/ bookworm main\n"
    );
    assert_eq!(pi(unknown, Place::Added), unknown);
    let vendor = "deb [signed-by=/usr/share/keyrings/vendor.gpg] http://apt.vendor.example/debian bookworm main\n";
    assert_eq!(pi(vendor, Place::RaspberryPi), vendor);
    // The trixie deb822 file with its keyring.
    let h = host(&RASPBIAN_OS.replace("bookworm", "trixie").replace("12", "13"), "armhf");
    let out = run_in(Place::RaspberryPi, Format::Sources, RASPI_TRIXIE, &h, TUNA, &DEFAULT);
    assert_eq!(
        out,
        RASPI_TRIXIE
            .replace("http://archive.raspberrypi.com/debian/", "https://mirrors.tuna.tsinghua.edu.cn/raspberrypi/")
    );
    assert!(out.contains("Signed-By: /usr/share/keyrings/raspberrypi-archive-keyring.pgp\n"));
}

#[test]
fn raspberry_pi_os_64_bit_is_debian_with_raspi_list() {
    let r = Root::new(RPIOS64_OS, "arm64");
    r.write("etc/apt/sources.list", RPIOS64);
    r.write("etc/apt/sources.list.d/raspi.list", RASPI);
    let cur = Apt.current(&r.ctx, &r.host()).unwrap();
    assert_eq!(cur.url.as_deref(), Some("http://deb.debian.org/debian"));
    assert_eq!(cur.files, [r.path("etc/apt/sources.list"), r.path("etc/apt/sources.list.d/raspi.list")]);
    assert_eq!(r.apply(TUNA, false), ["etc/apt/sources.list", "etc/apt/sources.list.d/raspi.list"]);
    let list = r.read("etc/apt/sources.list");
    assert!(list.starts_with("deb https://mirrors.tuna.tsinghua.edu.cn/debian bookworm main contrib non-free non-free-firmware\ndeb http://deb.debian.org/debian-security/ bookworm-security"), "{list}");
    assert_eq!(
        r.read("etc/apt/sources.list.d/raspi.list"),
        RASPI.replacen(
            "http://archive.raspberrypi.com/debian/",
            "https://mirrors.tuna.tsinghua.edu.cn/raspberrypi/",
            1
        )
    );
    assert_eq!(Apt.current(&r.ctx, &r.host()).unwrap().url, Apt.endpoint(&site(TUNA), &r.host()));
    r.apply(UPSTREAM, false);
    assert_eq!(r.read("etc/apt/sources.list.d/raspi.list"), RASPI);
    // deb.debian.org serves https, which TUNA's entries had.
    let official: String = RPIOS64
        .lines()
        .map(|l| match l.strip_prefix("deb http://deb.debian.org/debian ") {
            Some(rest) => format!("deb https://deb.debian.org/debian {rest}\n"),
            None => format!("{l}\n"),
        })
        .collect();
    assert_eq!(r.read("etc/apt/sources.list"), official);

    // Without raspi.list it is plain Debian: the Raspberry Pi archive elsewhere is a third party's.
    let r = Root::new(RPIOS64_OS, "arm64");
    r.write("etc/apt/sources.list", RPIOS64);
    r.write("etc/apt/sources.list.d/rpi-extras.list", RASPI);
    assert_eq!(r.apply(TUNA, false), ["etc/apt/sources.list"]);
    assert_eq!(r.read("etc/apt/sources.list.d/rpi-extras.list"), RASPI);
}

#[test]
fn endpoints_for_kali_and_raspberry_pi_os() {
    let tuna = site(TUNA);
    for (os, arch, want) in [
        (KALI_OS, "amd64", Some("https://mirrors.tuna.tsinghua.edu.cn/kali")),
        (RASPBIAN_OS, "armhf", Some("https://mirrors.tuna.tsinghua.edu.cn/raspbian/raspbian")),
        (RPIOS64_OS, "arm64", Some("https://mirrors.tuna.tsinghua.edu.cn/debian")),
    ] {
        assert_eq!(Apt.endpoint(&tuna, &host(os, arch)).as_deref(), want, "{os}");
    }
    assert_eq!(Apt.endpoint(&site(TINY), &host(KALI_OS, "amd64")), None);
    assert_eq!(probed_repo(&host(KALI_OS, "amd64")), Repo::Kali);
    assert_eq!(probed_repo(&host(RASPBIAN_OS, "armhf")), Repo::Raspbian);
    assert_eq!(probed_repo(&host("ID=fedora\n", "amd64")), Repo::Debian);
    // A distribution built on Kali is Kali's family, but its own archive is not known.
    let derived = host("ID=kali-purple\nID_LIKE=\"kali debian\"\nVERSION_CODENAME=kali-rolling\n", "amd64");
    assert_eq!(Family::of(&derived), Some(Family::Kali));
    assert!(generate(None, &rewrite(&derived, TUNA, &DEFAULT), true, &mut Notes::default()).is_err());
}

#[test]
fn generated_raspbian_sources_list() {
    let out = gen_for(RASPBIAN_OS, "armhf", &Opts { security: true, ..DEFAULT });
    assert_eq!(
        out,
        "# generated by mirror from /etc/os-release\ndeb https://mirrors.tuna.tsinghua.edu.cn/raspbian/raspbian bookworm main contrib non-free rpi\n"
    );
    assert_eq!(run(Format::List, &out, &host(RASPBIAN_OS, "armhf"), TUNA, &DEFAULT), out);
}
