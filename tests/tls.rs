//! Probes over HTTPS against the farm's TLS sites (`Spec::tls`): the real binary, a hermetic
//! environment (no `SSL_*` of the caller's; each test sets the ones it means), certificates
//! from `tests/fixtures/tls/`. A certificate the probe does not trust, a server that answers the
//! TLS hello with garbage or hangs up on it, and no CA certificates at all are each `failed`
//! with a TLS reason; `SSL_CERT_FILE` and `SSL_CERT_DIR` make a private CA trusted.

mod farm;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use farm::report::{Bench, Row, TargetRow};
use farm::{Farm, Mode, Spec};

/// What rustls says of a certificate no trusted CA signed.
const UNKNOWN_ISSUER: &str = "TLS error: invalid peer certificate: UnknownIssuer";
/// What the probe says when no CA certificate could be loaded at all.
const NO_ROOTS: &str = "TLS error: cannot check the server's certificate: no CA certificates were loaded from the \
                        system store, SSL_CERT_FILE or SSL_CERT_DIR";

/// A file of `tests/fixtures/tls/`.
fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tls").join(name)
}

/// A fake Debian machine: `--root`, its root's home, and a temp dir for the test's files.
struct Machine {
    dir: tempfile::TempDir,
}

impl Machine {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let etc = dir.path().join("root/etc");
        std::fs::create_dir_all(&etc).unwrap();
        std::fs::write(
            etc.join("os-release"),
            "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n",
        )
        .unwrap();
        std::fs::create_dir_all(dir.path().join("root/root")).unwrap();
        Self { dir }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// `mirror ARGS` against the farm's catalog, in the hermetic environment (which drops every
    /// `SSL_*`, `REQUESTS_CA_BUNDLE`, `PIP_*` and proxy variable of the caller's) plus `vars`.
    fn run(&self, farm: &Farm, args: &[&str], vars: &[(&str, PathBuf)]) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_mirror"));
        cmd.args(args).arg("--catalog").arg(farm.catalog()).arg("--root").arg(self.path("root"));
        farm::hermetic(&mut cmd, self.dir.path(), "amd64");
        for (k, v) in vars {
            cmd.env(k, v);
        }
        if let Some(resolver) = farm.resolver() {
            cmd.env("MIRROR_TEST_RESOLVER", resolver);
        }
        cmd.output().expect("run mirror")
    }

    /// `mirror bench pip --json --timeout 10s`: the one target's rows. A generous timeout: a
    /// site that hung until it would say "no answer within 10 s".
    fn bench_pip(&self, farm: &Farm, vars: &[(&str, PathBuf)]) -> TargetRow {
        let out = self.run(farm, &["bench", "pip", "--json", "--timeout", "10s"], vars);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let stdout = String::from_utf8_lossy(&out.stdout);
        let mut bench: Bench = serde_json::from_str(&stdout)
            .unwrap_or_else(|e| panic!("stdout is not the bench JSON ({e}):\n{stdout}\n{}", stderr(&out)));
        assert_eq!(bench.targets.len(), 1, "{bench:#?}");
        bench.targets.remove(0)
    }
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn row<'a>(t: &'a TargetRow, site: &str) -> &'a Row {
    t.results.iter().find(|r| r.site == site).unwrap_or_else(|| panic!("no row for {site}: {t:#?}"))
}

/// A row `failed` for this reason, with nothing measured.
fn assert_failed(t: &TargetRow, site: &str, reason: &str) {
    let r = row(t, site);
    assert_eq!((r.status.as_str(), r.reason.as_str()), ("failed", reason), "{site}: {t:#?}");
    assert_eq!((r.latency_ms, r.throughput_bps, r.lag_seconds), (None, None, None), "{site}: {r:?}");
}

/// A row `ok`, measured: latency, throughput and freshness.
fn assert_measured(t: &TargetRow, site: &str) {
    let r = row(t, site);
    assert_eq!(r.status, "ok", "{site}: {t:#?}");
    assert!(r.latency_ms.is_some() && r.throughput_bps.is_some(), "{site} measured: {r:?}");
    assert_eq!(r.lag_seconds, Some(0), "{site}: {r:?}");
}

/// Whether the site received any HTTP request (it does not when the handshake fails).
fn served_http(farm: &Farm, site: &str) -> bool {
    !farm.requests(site).is_empty()
}

/// A healthy plain-http site (the fastest, so the best whenever it works), a healthy HTTPS one
/// with a certificate from the farm's CA, and one with the self-signed `other.pem`.
fn trio() -> Farm {
    Farm::start(&[
        Spec::new("plain").mbps(40),
        Spec::new("secure").tls().mbps(10),
        Spec::new("selfsigned").tls_self_signed().mbps(10),
    ])
}

#[test]
fn tls_sites_are_https_in_the_catalog() {
    let farm = trio();
    assert!(farm.base("plain").starts_with("http://127.0.0.1:"), "{}", farm.base("plain"));
    for id in ["secure", "selfsigned"] {
        let base = farm.base(id);
        assert!(base.starts_with("https://127.0.0.1:"), "{base}");
        let file = std::fs::read_to_string(farm.catalog().join(format!("{id}.toml"))).unwrap();
        assert!(file.contains(&format!("base = \"{base}\"")), "{file}");
    }
}

#[test]
fn a_certificate_from_an_untrusted_ca_is_a_tls_failure_and_plain_http_still_wins() {
    let farm = trio();
    let machine = Machine::new();
    // Trusting only an unrelated certificate: the farm's CA is unknown.
    let t = machine.bench_pip(&farm, &[("SSL_CERT_FILE", fixture("other.pem"))]);
    assert_eq!(t.best.as_deref(), Some("plain"), "{t:#?}");
    assert_eq!(t.results[0].site, "plain", "{t:#?}");
    assert_measured(&t, "plain");
    assert_failed(&t, "secure", UNKNOWN_ISSUER);
    assert!(row(&t, "secure").url.starts_with("https://127.0.0.1:"), "{t:#?}");
    assert!(!served_http(&farm, "secure"), "no request goes over an unverified connection");
    // What the file holds is trusted: the self-signed `other.pem` itself. (Every run names its
    // certificates: none reads this machine's own store under /etc.)
    assert_measured(&t, "selfsigned");
}

#[test]
fn ssl_cert_file_trusts_a_private_ca_and_no_other() {
    let farm = trio();
    let machine = Machine::new();
    let t = machine.bench_pip(&farm, &[("SSL_CERT_FILE", fixture("ca.pem"))]);
    assert_measured(&t, "secure");
    assert!(row(&t, "secure").url.starts_with("https://127.0.0.1:"), "{t:#?}");
    assert_measured(&t, "plain");
    // The simple page and a wheel went over TLS.
    let paths: Vec<String> = farm.requests("secure").into_iter().map(|r| r.path).collect();
    assert!(paths.iter().any(|p| p.starts_with("/pypi/web/simple/")), "{paths:?}");
    assert!(paths.iter().any(|p| p.contains("/packages/") && p.ends_with(".whl")), "{paths:?}");
    // The wrong CA: a self-signed certificate for the same names is still not trusted.
    assert_failed(&t, "selfsigned", UNKNOWN_ISSUER);
    assert!(!served_http(&farm, "selfsigned"));
}

#[test]
fn ssl_cert_dir_trusts_a_rehashed_or_a_plain_folder() {
    let farm = trio();
    let machine = Machine::new();
    // As /etc/ssl/certs: the CA and its `openssl rehash` link.
    let t = machine.bench_pip(&farm, &[("SSL_CERT_DIR", fixture("certs"))]);
    assert_measured(&t, "secure");
    assert_failed(&t, "selfsigned", UNKNOWN_ISSUER);

    // A list of folders (`:`), one empty, one with the CA under a name of its own and a note.
    let (empty, corp) = (machine.path("empty"), machine.path("corp"));
    std::fs::create_dir_all(&empty).unwrap();
    std::fs::create_dir_all(&corp).unwrap();
    std::fs::copy(fixture("ca.pem"), corp.join("corp-root-ca.crt")).unwrap();
    std::fs::write(corp.join("README"), "CA certificates for the build machines.\n").unwrap();
    let list = PathBuf::from(format!("{}:{}", empty.display(), corp.display()));
    let t = machine.bench_pip(&farm, &[("SSL_CERT_DIR", list)]);
    assert_measured(&t, "secure");
    assert_failed(&t, "selfsigned", UNKNOWN_ISSUER);

    // Both variables: the certificates of both are trusted.
    let t = machine.bench_pip(&farm, &[("SSL_CERT_DIR", fixture("certs")), ("SSL_CERT_FILE", fixture("other.pem"))]);
    assert_measured(&t, "secure");
    assert_measured(&t, "selfsigned");
}

#[test]
fn a_server_that_answers_the_hello_with_garbage_or_hangs_up_fails_as_tls_at_once() {
    let farm = Farm::start(&[
        Spec::new("plain").mbps(40),
        // An SSH server on the https port: its banner instead of a server hello, then it waits.
        Spec::new("garbage").tls().mode(Mode::Garbage),
        Spec::new("cut").tls(),
    ]);
    // Takes the client's hello and closes the connection.
    farm.set_mode("cut", Mode::Refuse);
    let machine = Machine::new();
    let t = machine.bench_pip(&farm, &[("SSL_CERT_FILE", fixture("ca.pem"))]);
    assert_eq!(t.best.as_deref(), Some("plain"), "{t:#?}");
    // Not "no answer within 10 s": the probe gave up on the garbage, it did not wait it out.
    assert_failed(&t, "garbage", "TLS error: received corrupt message of type InvalidContentType");
    assert_failed(
        &t,
        "cut",
        "TLS error: the connection was closed during the TLS handshake (by the server, or a proxy on the way)",
    );
    assert!(!served_http(&farm, "garbage") && !served_http(&farm, "cut"));
}

#[test]
fn no_ca_certificates_at_all_fails_the_https_sites_and_ranks_the_rest() {
    let farm = trio();
    let machine = Machine::new();
    // As in a slim container without ca-certificates: an SSL_CERT_FILE that names no file, an
    // SSL_CERT_DIR with no certificate in it.
    std::fs::create_dir_all(machine.path("no-certs")).unwrap();
    for vars in [[("SSL_CERT_FILE", machine.path("missing.pem"))], [("SSL_CERT_DIR", machine.path("no-certs"))]] {
        let t = machine.bench_pip(&farm, &vars);
        assert_eq!(t.best.as_deref(), Some("plain"), "{vars:?}: {t:#?}");
        assert_eq!(row(&t, "plain").status, "ok", "{t:#?}");
        assert_failed(&t, "secure", NO_ROOTS);
        assert_failed(&t, "selfsigned", NO_ROOTS);
    }
}

#[test]
fn a_certificate_for_another_name_is_a_tls_failure() {
    // The sites are `<id>.farm.test`; the certificate names 127.0.0.1 and localhost only.
    let farm = Farm::start_named(&[Spec::new("plain").mbps(40), Spec::new("secure").tls()], &[]);
    let machine = Machine::new();
    let t = machine.bench_pip(&farm, &[("SSL_CERT_FILE", fixture("ca.pem"))]);
    assert_eq!(t.best.as_deref(), Some("plain"), "{t:#?}");
    assert!(row(&t, "secure").url.starts_with("https://secure.farm.test:"), "{t:#?}");
    assert_failed(
        &t,
        "secure",
        "TLS error: invalid peer certificate: certificate not valid for name \"secure.farm.test\"; certificate is \
         only valid for IpAddress(127.0.0.1) or DnsName(\"localhost\")",
    );
}

#[test]
fn status_check_of_a_pip_conf_at_an_untrusted_site_says_failed_with_the_tls_reason() {
    let farm = Farm::start(&[Spec::new("plain").mbps(40), Spec::new("secure").tls().mbps(10)]);
    let machine = Machine::new();
    let conf = machine.path("root/root/.config/pip/pip.conf");
    std::fs::create_dir_all(conf.parent().unwrap()).unwrap();
    let text = format!(
        "# pip configuration for the build user\n[global]\ntimeout = 60\nindex-url = {}/pypi/web/simple\n\n[install]\nuser = true\n",
        farm.base("secure")
    );
    std::fs::write(&conf, &text).unwrap();
    let untrusted = [("SSL_CERT_FILE", fixture("other.pem"))];

    let out = machine.run(&farm, &["status", "pip", "--check", "--json", "--timeout", "10s"], &untrusted);
    assert_eq!(out.status.code(), Some(1), "an unhealthy mirror fails the check: {}", stderr(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let target = &doc["targets"][0];
    assert_eq!(target["url"], format!("{}/pypi/web/simple", farm.base("secure")), "{doc:#}");
    let check = &target["check"];
    assert_eq!(check["status"], "failed", "{check:#}");
    assert_eq!(check["reason"], UNKNOWN_ISSUER, "{check:#}");
    assert_eq!(check["best_alternative"], "plain", "{check:#}");

    // The table says failed and stderr the way out; `-v` shows the request and its TLS error.
    let out = machine.run(&farm, &["status", "pip", "--check", "--timeout", "10s"], &untrusted);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let shown = String::from_utf8_lossy(&out.stdout);
    let line = shown.lines().find(|l| l.starts_with("pip ")).unwrap_or_default();
    assert!(line.contains(&farm.base("secure")) && line.ends_with("failed"), "{shown}");
    assert!(
        stderr(&out).contains(&format!("pip: {UNKNOWN_ISSUER}; try `mirror use plain pip`")),
        "the human form says why, and the way out: {}",
        stderr(&out)
    );
    let out = machine.run(&farm, &["status", "pip", "--check", "-v", "--timeout", "10s"], &untrusted);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let detail = format!("pip check: GET {}/pypi/web/simple/botocore/ → {UNKNOWN_ISSUER}", farm.base("secure"));
    assert!(stderr(&out).lines().any(|l| l == detail), "{detail}\n{}", stderr(&out));

    // Trusting the farm's CA, the same configuration is healthy.
    let out = machine.run(
        &farm,
        &["status", "pip", "--check", "--json", "--timeout", "10s"],
        &[("SSL_CERT_FILE", fixture("ca.pem"))],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["targets"][0]["check"]["status"], "ok", "{doc:#}");
    assert_eq!(std::fs::read_to_string(&conf).unwrap(), text, "status changes nothing");
}
