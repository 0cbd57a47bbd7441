//! `mirror site add | list | remove` against mirrors of the farm (tests/farm): what is found
//! and why, the file written, and the rest of `mirror` knowing the site at once.

use crate::farm::{Farm, Feed, Mode, NOW, Spec};
use crate::support::{Run, TestEnv};

const DEBIAN_12: &str = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nVERSION=\"12 (bookworm)\"\nVERSION_CODENAME=bookworm\nID=debian\nHOME_URL=\"https://www.debian.org/\"\n";

/// Where `site add` writes NAME's file, inside the test folder.
fn site_path(name: &str) -> String {
    format!("home/.config/mirror/mirrors/{name}.toml")
}

/// A Debian 12 machine.
fn machine() -> TestEnv {
    let env = TestEnv::new();
    env.write("root/etc/os-release", DEBIAN_12);
    env
}

/// `mirror ARGS` on the farm's clock (2026-08-08).
fn mirror(env: &TestEnv, args: &[&str]) -> Run {
    let mut cmd = env.cmd();
    cmd.env("MIRROR_TEST_NOW", NOW.to_string()).env("MIRROR_ARCH", "amd64");
    env.run_with(&mut cmd, args)
}

/// The table row of `key` in `site add`'s output.
fn row<'a>(stdout: &'a str, key: &str) -> &'a str {
    stdout
        .lines()
        .find(|l| l.split_whitespace().next() == Some(key))
        .unwrap_or_else(|| panic!("no row `{key}` in\n{stdout}"))
}

/// What `mirror list` says site `id` serves.
fn targets_of(env: &TestEnv, id: &str) -> serde_json::Value {
    let doc = mirror(env, &["list", "--json"]).json();
    doc["sites"].as_array().unwrap().iter().find(|s| s["id"] == id).map(|s| s["targets"].clone()).unwrap()
}

/// A lab mirror carrying Debian and Ubuntu (amd64), PyPI at USTC's `/pypi/simple`, the
/// crates.io index, and only conda-forge and bioconda under `/anaconda/cloud` (as USTC).
fn lab() -> Spec {
    Spec::new("lab")
        .only(&[
            "debian/",
            "ubuntu/",
            "pypi/simple/",
            "pypi/packages/",
            "crates.io-index/",
            "crates/",
            "anaconda/cloud/conda-forge/",
            "anaconda/cloud/bioconda/",
        ])
        .alias("pypi/simple", "pypi/web/simple")
}

#[test]
fn a_mirror_serving_some_repositories_gets_a_file_of_exactly_those() {
    let farm = Farm::start(&[lab()]);
    let env = machine();
    let base = farm.base("lab");
    let run = mirror(&env, &["site", "add", "lab", &format!("{base}/"), "--allow-http", "--region", "cn"]);
    assert_eq!(run.code, 0, "{}", run.stderr);

    // What was found, what was not, and why.
    let header: Vec<&str> = run.stdout.lines().next().unwrap_or_default().split_whitespace().collect();
    assert_eq!(header, ["REPOSITORY", "STATUS", "URL", "WHY"], "{}", run.stdout);
    assert!(row(&run.stdout, "debian").contains(&format!("found      {base}/debian ")), "{}", run.stdout);
    assert!(row(&run.stdout, "debian").contains("apt: InRelease, trace answered in "), "{}", run.stdout);
    assert!(row(&run.stdout, "pypi").contains(&format!("found      {base}/pypi/simple ")), "{}", run.stdout);
    assert!(
        row(&run.stdout, "anaconda").contains("conda and pixi: channels conda-forge, bioconda (no pkgs/main)"),
        "{}",
        run.stdout
    );
    assert!(row(&run.stdout, "ubuntu-ports").contains("not found  -"), "{}", run.stdout);
    assert!(row(&run.stdout, "ubuntu-ports").ends_with("HTTP 404 for InRelease"), "{}", run.stdout);
    assert!(
        row(&run.stdout, "archlinuxarm")
            .ends_with(&format!("HTTP 404 for core.db (at {base}/archlinuxarm, {base}/archlinux-arm)")),
        "both layouts were tried:\n{}",
        run.stdout
    );
    assert!(row(&run.stdout, "dockerhub").ends_with("HTTP 404 for /v2/"), "{}", run.stdout);
    assert!(
        row(&run.stdout, "status.tunasync").contains("no tunasync job list at tunasync.json, static/tunasync.json")
    );

    let path = env.path().join(site_path("lab"));
    assert!(
        run.stderr.contains(&format!("wrote `[TMP]/{}`: `lab` serves apt, pip, uv, conda, cargo", site_path("lab"))),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains(
            "warning: `--allow-http`: `lab` is used over plain http by pip, uv and PDM; conda and pixi; cargo. They trust \
             whatever it returns"
        ),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("next: `mirror bench --site lab`, `mirror use lab`"), "{}", run.stderr);

    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace(&base, "http://[FARM]")
        .replace(concat!("mirror ", env!("CARGO_PKG_VERSION"), " probed"), "mirror [VERSION] probed");
    let expected = "\
# `lab`: written by `mirror site add lab http://[FARM]/ --allow-http --region CN` on 2026-08-08.
# mirror [VERSION] probed http://[FARM] (up to 121 requests: each repository's usual paths, with the requests
# its package manager makes, and the site's status feeds). What it found:
#   debian             {base}/debian: dists/stable/InRelease, project/trace/master, dists/stable-updates/InRelease
#   debian-security    not found
#   ubuntu             {base}/ubuntu: dists/noble/InRelease, dists/noble-updates/InRelease
#   ubuntu-ports       not found
#   archlinux          not found
#   archlinuxarm       not found
#   pypi               {base}/pypi/simple: botocore/, pip/
#   anaconda           {base}/anaconda: channels conda-forge, bioconda (no pkgs/main); pkgs/main/linux-64/repodata.json, pkgs/main/noarch/repodata.json and the same below cloud/<channel>
#   crates             {base}/crates.io-index: config.json, aw/s-/aws-sdk-s3
#   dockerhub          not found
#   fedora             not found
#   epel               not found
#   centos-stream      not found
#   rocky              not found
#   almalinux          not found
#   openeuler          not found
#   alpine             not found
#   opensuse           not found
#   archlinuxcn        not found
#   kali               not found
#   raspbian           not found
#   raspberrypi        not found
#   npm                not found
#   goproxy            not found
#   gosumdb            not found
#   rustup             not found
#   homebrew-bottles   not found
#   homebrew-api       not found
#   homebrew-brew-git  not found
#   homebrew-core-git  not found
#   huggingface        not found
#   rubygems           not found
#   maven              not found
#   status.tunasync    none found
#   status.mirrorz     none found
# Probe again with `mirror site add lab <URL> --force`; the format is in mirrors/README.md.

id = \"lab\"
name = \"lab (127.0.0.1)\"
homepage = \"http://[FARM]/\"
region = \"CN\"
base = \"http://[FARM]\"
checked = \"2026-08-08\"
# `--allow-http`: over plain http, trusting whatever this site returns: pip, uv and PDM; conda and pixi; cargo.
# Keep it so only on a network you trust.
allow_http = true

[repos]
debian = \"{base}/debian\"
ubuntu = \"{base}/ubuntu\"
pypi = \"{base}/pypi/simple\"
anaconda = \"{base}/anaconda\"
crates = \"{base}/crates.io-index\"

[conda]
pkgs = false
channels = [\"conda-forge\", \"bioconda\"]

[lacks]
debian-security = \"not found on 2026-08-08: HTTP 404 for InRelease\"
ubuntu-ports = \"not found on 2026-08-08: HTTP 404 for InRelease\"
archlinux = \"not found on 2026-08-08: HTTP 404 for core.db\"
archlinuxarm = \"not found on 2026-08-08: HTTP 404 for core.db (at http://[FARM]/archlinuxarm, http://[FARM]/archlinux-arm)\"
dockerhub = \"not found on 2026-08-08: HTTP 404 for /v2/\"
fedora = \"not found on 2026-08-08: HTTP 404 for repomd.xml\"
epel = \"not found on 2026-08-08: HTTP 404 for repomd.xml\"
centos-stream = \"not found on 2026-08-08: HTTP 404 for repomd.xml\"
rocky = \"not found on 2026-08-08: HTTP 404 for repomd.xml\"
almalinux = \"not found on 2026-08-08: HTTP 404 for repomd.xml\"
openeuler = \"not found on 2026-08-08: HTTP 404 for repomd.xml\"
alpine = \"not found on 2026-08-08: HTTP 404 for APKINDEX.tar.gz\"
opensuse = \"not found on 2026-08-08: HTTP 404 for repomd.xml\"
archlinuxcn = \"not found on 2026-08-08: HTTP 404 for archlinuxcn.db\"
kali = \"not found on 2026-08-08: HTTP 404 for InRelease\"
raspbian = \"not found on 2026-08-08: HTTP 404 for InRelease (at http://[FARM]/raspbian/raspbian, http://[FARM]/raspbian)\"
raspberrypi = \"not found on 2026-08-08: HTTP 404 for InRelease (at http://[FARM]/raspberrypi, http://[FARM]/archive.raspberrypi.org/debian)\"
npm = \"not found on 2026-08-08: HTTP 404 for package document (at http://[FARM]/npm, http://[FARM]/repository/npm, http://[FARM])\"
goproxy = \"not found on 2026-08-08: HTTP 404 for @latest (at http://[FARM]/goproxy, http://[FARM]/go, http://[FARM]/repository/goproxy, http://[FARM])\"
gosumdb = \"not found on 2026-08-08: HTTP 404 for latest (at http://[FARM]/sumdb/sum.golang.org, http://[FARM]/goproxy/sumdb/sum.golang.org)\"
rustup = \"not found on 2026-08-08: HTTP 404 for channel manifest (at http://[FARM]/rustup, http://[FARM]/rust-static)\"
homebrew-bottles = \"not found on 2026-08-08: HTTP 404 for formula.jws.json\"
homebrew-api = \"not found on 2026-08-08: HTTP 404 for formula.jws.json\"
homebrew-brew-git = \"not found on 2026-08-08: HTTP 404 for info/refs (at http://[FARM]/git/homebrew/brew.git, http://[FARM]/brew.git)\"
homebrew-core-git = \"not found on 2026-08-08: HTTP 404 for info/refs (at http://[FARM]/git/homebrew/homebrew-core.git, http://[FARM]/homebrew-core.git)\"
huggingface = \"not found on 2026-08-08: HTTP 404 for model info (at http://[FARM]/huggingface, http://[FARM]/hf, http://[FARM])\"
rubygems = \"not found on 2026-08-08: HTTP 404 for compact index (at http://[FARM]/rubygems, http://[FARM])\"
maven = \"not found on 2026-08-08: HTTP 404 for maven-metadata.xml (at http://[FARM]/maven, http://[FARM]/repository/public, http://[FARM]/repository/maven, http://[FARM]/nexus/repository/maven-public, http://[FARM]/maven2)\"
";
    assert_eq!(text, expected);

    // Polite and bounded: every request carries mirror's User-Agent, nothing is asked twice,
    // no bulk file is downloaded.
    let requests = farm.requests("lab");
    assert!(requests.iter().all(|r| r.user_agent.as_deref().is_some_and(|ua| ua.starts_with("mirror/"))));
    let mut paths: Vec<(&str, &str)> = requests.iter().map(|r| (r.method.as_str(), r.path.as_str())).collect();
    let n = paths.len();
    paths.sort();
    paths.dedup();
    assert_eq!(paths.len(), n, "a request was repeated: {paths:?}");
    assert!(
        !paths.iter().any(|(_, p)| p.contains("/packages/") || p.contains("Packages.xz") || p.ends_with("/download")),
        "{paths:?}"
    );
}

#[test]
fn the_site_works_at_once_for_list_bench_use_and_status() {
    let farm = Farm::start(&[lab()]);
    let env = machine();
    let base = farm.base("lab");
    let added = mirror(&env, &["site", "add", "lab", &base, "--allow-http", "--region", "DE"]);
    assert_eq!(added.code, 0, "{}", added.stderr);

    let list = mirror(&env, &["list", "--json"]);
    assert_eq!(list.code, 0, "{}", list.stderr);
    let doc = list.json();
    let lab = doc["sites"].as_array().unwrap().iter().find(|s| s["id"] == "lab").expect("lab is listed");
    assert_eq!(lab["targets"], serde_json::json!(["apt", "pip", "uv", "conda", "cargo", "pdm", "pixi"]));
    assert_eq!((lab["user"].as_bool(), lab["region"].as_str()), (Some(true), Some("DE")));
    assert!(doc["sites"].as_array().unwrap().iter().filter(|s| s["id"] != "lab").all(|s| s["user"] == false));
    let table = mirror(&env, &["list"]);
    assert!(
        table.stdout.lines().any(|l| l.starts_with("lab ") && l.contains("lab (127.0.0.1) (your site)")),
        "{}",
        table.stdout
    );
    assert!(
        table.stderr.contains("(your site): from a site file of your own in `[TMP]/home/.config/mirror/mirrors`"),
        "{}",
        table.stderr
    );

    let bench = mirror(&env, &["bench", "pip", "cargo", "--site", "lab", "--json"]);
    assert_eq!(bench.code, 0, "{}", bench.stderr);
    let doc = bench.json();
    for t in doc["targets"].as_array().unwrap() {
        assert_eq!(t["best"], "lab", "{t}");
    }
    assert_eq!(doc["targets"][0]["results"][0]["url"], format!("{base}/pypi/simple"));

    let used = mirror(&env, &["use", "lab", "pip", "cargo", "--yes"]);
    assert_eq!(used.code, 0, "{}", used.stderr);
    assert!(env.read("home/.config/pip/pip.conf").contains(&format!("index-url = {base}/pypi/simple")));
    assert!(env.read("home/.cargo/config.toml").contains(&format!("sparse+{base}/crates.io-index/")));

    let status = mirror(&env, &["status", "pip", "cargo", "--json"]);
    assert_eq!(status.code, 0, "{}", status.stderr);
    let doc = status.json();
    assert_eq!(doc["targets"][0]["site"], "lab", "{doc}");
    assert_eq!(doc["targets"][1]["site"], "lab", "{doc}");
}

#[test]
fn a_mirror_serving_everything_gets_every_repository_and_every_channel() {
    let farm = Farm::start(&[Spec::new("campus")]);
    let env = machine();
    let base = farm.base("campus");
    let run = mirror(&env, &["site", "add", "campus", &base, "--allow-http", "--region", "global", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let doc = run.json();
    assert_eq!(doc["written"], true);
    let results = doc["results"].as_array().unwrap();
    let found: Vec<&str> =
        results.iter().filter(|r| r["verdict"] == "found").map(|r| r["key"].as_str().unwrap()).collect();
    // Every repository the catalog has a key for (the farm serves them all).
    let every: Vec<&str> = mirror::catalog::Repo::ALL.iter().map(|r| r.key()).collect();
    assert_eq!(found, every, "{doc}");
    let conda = results.iter().find(|r| r["key"] == "anaconda").unwrap();
    assert_eq!(conda["conda"]["pkgs"], true);
    assert_eq!(conda["conda"]["channels"].as_array().unwrap().len(), 10, "{conda}");
    let text = env.read(&site_path("campus"));
    assert_eq!(doc["contents"].as_str(), Some(text.as_str()));
    for line in [
        "debian-security = \"{base}/debian-security\"\n",
        "ubuntu-ports = \"{base}/ubuntu-ports\"\n",
        "archlinuxarm = \"{base}/archlinuxarm\"\n",
        "pypi = \"{base}/pypi/web/simple\"\n",
        "dockerhub = \"{base}\"\n",
        "[conda]\npkgs = true\nchannels = [\"conda-forge\", \"bioconda\", \"pytorch\", \"nvidia\", \"rapidsai\", \"menpo\", \"fastai\", \"dglteam\", \"Paddle\", \"deepmodeling\"]\n",
    ] {
        assert!(text.contains(line), "{line:?} in\n{text}");
    }
    assert!(!text.contains("[lacks]"), "{text}");

    let all: Vec<&str> = mirror::targets::TargetKind::ALL.iter().map(|t| t.name()).collect();
    assert_eq!(targets_of(&env, "campus"), serde_json::json!(all));
}

#[test]
fn plain_http_for_pip_conda_cargo_and_docker_needs_allow_http() {
    let farm = Farm::start(&[Spec::new("campus").feed(Feed::Tunasync { status: "success", age: Some(3600) })]);
    let env = machine();
    let base = farm.base("campus");
    let run = mirror(&env, &["site", "add", "campus", &base, "--region", "CN"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for key in ["pypi", "anaconda", "crates", "dockerhub", "status.tunasync"] {
        let line = row(&run.stdout, key);
        assert!(line.contains("left out"), "{line}");
        assert!(line.contains("left out without `--allow-http`"), "{line}");
    }
    assert!(row(&run.stdout, "pypi").contains("pip, uv and PDM would trust whatever it returns"), "{}", run.stdout);
    assert!(row(&run.stdout, "archlinux").contains("found"), "apt and pacman check signatures:\n{}", run.stdout);
    assert!(!run.stderr.contains("--allow-http`: pip"), "{}", run.stderr);
    let text = env.read(&site_path("campus"));
    assert!(!text.contains("allow_http"), "{text}");
    assert!(!text.contains("[status]"), "{text}");
    assert!(text.contains("pypi = \"found on 2026-08-08 but served over plain http, and pip, uv and PDM would trust whatever it returns: left out without `--allow-http`\""), "{text}");
    assert!(text.contains("debian = \"{base}/debian\""), "{text}");
    assert_eq!(targets_of(&env, "campus"), serde_json::json!(["apt", "pacman", "dnf", "apk", "zypper", "archlinuxcn"]));
}

#[test]
fn allow_http_for_a_status_feed_alone_warns_of_freshness_not_installs() {
    // Signed archives only, and their feed: the feed is the one thing that needs the flag.
    let farm = Farm::start(&[Spec::new("campus")
        .feed(Feed::Tunasync { status: "success", age: Some(3600) })
        .only(&["debian/", "archlinux/"])]);
    let env = machine();
    let run = mirror(&env, &["site", "add", "campus", &farm.base("campus"), "--allow-http", "--region", "CN"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "warning: `--allow-http`: `campus` is used over plain http by mirror's freshness check (the status feed). \
             They trust whatever it returns: anyone on the network path can change what `mirror` believes of the \
             site's freshness"
        ),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("what gets installed"), "{}", run.stderr);
    let text = env.read(&site_path("campus"));
    assert!(
        text.contains("allow_http = true") && text.contains("tunasync = \"{base}/static/tunasync.json\""),
        "{text}"
    );
}

#[test]
fn a_tunasync_feed_lists_the_repositories_and_becomes_the_status_feed() {
    let farm = Farm::start(&[Spec::new("tuna-like")
        .feed(Feed::Tunasync { status: "success", age: Some(3600) })
        .only(&["debian/", "archlinux/", "crates.io-index/"])]);
    let env = machine();
    let base = farm.base("tuna-like");
    let run = mirror(&env, &["site", "add", "tuna-like", &base, "--allow-http", "--region", "CN"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        row(&run.stdout, "status.tunasync").contains(&format!("found      {base}/static/tunasync.json")),
        "{}",
        run.stdout
    );
    assert!(row(&run.stdout, "status.tunasync").ends_with("lists 8 repositories"), "{}", run.stdout);
    // Listed by the feed, but not answering: said so.
    for key in ["ubuntu", "ubuntu-ports", "archlinuxarm", "pypi", "anaconda"] {
        assert!(
            row(&run.stdout, key).contains("not found  -  ")
                && row(&run.stdout, key).contains("listed by the site's status feed, but HTTP 404"),
            "{}",
            run.stdout
        );
    }
    assert!(row(&run.stdout, "debian-security").ends_with("  HTTP 404 for InRelease"), "not listed:\n{}", run.stdout);
    let text = env.read(&site_path("tuna-like"));
    assert!(text.contains("\n[status]\ntunasync = \"{base}/static/tunasync.json\"\n"), "{text}");
    assert!(text.contains("archlinux = \"{base}/archlinux\"\ncrates = \"{base}/crates.io-index\"\n"), "{text}");

    // `bench` reads the feed: an hour since the last sync is fresh.
    let bench = mirror(&env, &["bench", "pacman", "--site", "tuna-like", "--json"]);
    assert_eq!(bench.code, 0, "{}", bench.stderr);
    assert_eq!(bench.json()["targets"][0]["best"], "tuna-like");
}

#[test]
fn a_mirrorz_document_finds_repositories_at_paths_of_its_own() {
    // A Nexus-style PyPI proxy at `/repository/pypi/simple`, which only the feed names.
    let body = r#"{"version":1.7,"site":{"url":"http://lab.example","abbr":"LAB","name":"Physics Lab Mirror"},"info":[],"mirrors":[{"cname":"debian","url":"/debian","status":"S1786177925"},{"cname":"pypi","url":"/repository/pypi","status":"S1786177925"},{"cname":"ubuntu","url":"https://elsewhere.example/ubuntu","status":"S1786177925"}]}"#;
    let farm = Farm::start(&[Spec::new("physics")
        .feed(Feed::Raw { path: "/mirrorz.json".into(), body: body.into() })
        .only(&["debian/", "repository/pypi/"])
        .alias("repository/pypi/simple", "pypi/web/simple")]);
    let env = machine();
    let base = farm.base("physics");
    let run = mirror(&env, &["site", "add", "physics", &base, "--allow-http", "--region", "DE"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(row(&run.stdout, "pypi").contains(&format!("found      {base}/repository/pypi/simple")), "{}", run.stdout);
    let text = env.read(&site_path("physics"));
    assert!(text.contains("name = \"Physics Lab Mirror\"\n"), "{text}");
    assert!(text.contains("pypi = \"{base}/repository/pypi/simple\"\n"), "{text}");
    assert!(text.contains("\n[status]\nmirrorz = \"{base}/mirrorz.json\"\n"), "{text}");
    assert!(!text.contains("elsewhere.example"), "another host is not this site:\n{text}");
    let paths: Vec<String> = farm.requests("physics").into_iter().map(|r| r.path).collect();
    assert!(paths.iter().any(|p| p == "/repository/pypi/simple/botocore/"), "{paths:?}");
    assert!(
        !paths.iter().any(|p| p == "/pypi/simple/botocore/"),
        "found through the feed, other paths are not tried: {paths:?}"
    );
}

#[test]
fn a_site_answering_an_html_page_everywhere_has_nothing_and_nothing_is_written() {
    let farm = Farm::start(&[Spec::new("portal").mode(Mode::WrongContent)]);
    let env = machine();
    let before = env.tree();
    let run = mirror(&env, &["site", "add", "portal", &farm.base("portal"), "--allow-http", "--region", "CN"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!(
            "error: found nothing at `{}` that a package manager could use; nothing was written",
            farm.base("portal")
        )),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("hint: give the site's root"), "{}", run.stderr);
    for (key, why) in [
        ("debian", "wrong content: an HTML page instead of InRelease"),
        ("archlinux", "wrong content: an HTML page instead of a timestamp"),
        ("pypi", "wrong content: not a simple index page of `botocore`"),
        ("anaconda", "wrong content: an HTML page instead of repodata.json"),
        ("crates", "wrong content: an HTML page instead of config.json"),
        ("dockerhub", "wrong content: `/v2/` is not a Docker registry"),
        ("status.tunasync", "no tunasync job list at"),
    ] {
        assert!(
            row(&run.stdout, key).contains("not found") && row(&run.stdout, key).contains(why),
            "{key}: {}",
            run.stdout
        );
    }
    assert_eq!(env.tree(), before, "nothing may be written");

    // `-v` shows every request and what it got.
    let verbose =
        mirror(&env, &["site", "add", "portal", &farm.base("portal"), "--allow-http", "--region", "CN", "-v"]);
    let base = farm.base("portal");
    assert!(
        verbose
            .stderr
            .contains(&format!("debian {base}/debian: failed (wrong content: an HTML page instead of InRelease)")),
        "{}",
        verbose.stderr
    );
    assert!(
        verbose.stderr.contains(&format!("  GET {base}/debian/dists/stable/InRelease → 206 in ")),
        "{}",
        verbose.stderr
    );
}

#[test]
fn an_unreachable_url_exits_1_and_writes_nothing() {
    let farm = Farm::start(&[Spec::new("gone").mode(Mode::Refuse)]);
    let env = machine();
    let before = env.tree();
    let run = mirror(&env, &["site", "add", "gone", &farm.base("gone"), "--region", "CN", "--json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!(
            "error: could not reach `{}`: connection refused; nothing was written",
            farm.base("gone")
        )),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("hint: check the URL and the network"), "{}", run.stderr);
    assert_eq!(env.tree(), before, "nothing may be written");
}

#[test]
fn bad_names_urls_and_regions_are_refused_before_anything_is_sent() {
    let farm = Farm::start(&[lab()]);
    let env = machine();
    let base = farm.base("lab");
    let before = env.tree();
    for (args, needles) in [
        (vec!["Lab", base.as_str()], vec!["`Lab` is not a site name: use lowercase letters, digits and `-`"]),
        (vec!["best", base.as_str()], vec!["`best` cannot name a site of your own"]),
        (vec!["upstream", base.as_str()], vec!["`upstream` cannot name a site of your own"]),
        (
            vec!["lab", "mirror.lab.example"],
            vec!["`mirror.lab.example` is not a mirror URL: relative URL without a base", "hint: give the site's root"],
        ),
        (vec!["lab", "ftp://mirror.lab.example/"], vec!["the scheme is `ftp`, not http or https"]),
        (vec!["lab", "https://user:secret@mirror.lab.example/"], vec!["credentials do not belong in a site file"]),
        (vec!["lab", "https://mirror.lab.example/?go=1"], vec!["it has a query or fragment"]),
        (vec!["lab", "https://mirror.lab.example/de bian"], vec!["it contains whitespace or control characters"]),
        (
            vec!["lab", base.as_str(), "--region", "China"],
            vec!["`China` is not a region: give an ISO 3166 country code such as `CN` or `DE`, or `global`"],
        ),
    ] {
        let mut full = vec!["site", "add"];
        full.extend(&args);
        if !args.contains(&"--region") {
            full.extend(["--region", "CN"]);
        }
        let run = mirror(&env, &full);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        for needle in needles {
            assert!(run.stderr.contains(needle), "{args:?}: expected {needle:?} in\n{}", run.stderr);
        }
    }
    // No terminal to ask the region on: a usage error, before probing.
    let run = mirror(&env, &["site", "add", "lab", &base]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("error: no `--region` given, and no terminal to ask on"), "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!("hint: say where the site is: `mirror site add lab {base} --region CN`")),
        "{}",
        run.stderr
    );
    assert_eq!(env.tree(), before, "nothing may be written");
    assert!(farm.requests("lab").is_empty(), "nothing may be sent");
}

#[test]
fn an_existing_name_is_refused_unless_force_and_dry_run_prints_the_file() {
    let farm = Farm::start(&[lab()]);
    let env = machine();
    let base = farm.base("lab");
    let mine = "# my own, by hand\nid = \"lab\"\nname = \"Lab\"\nhomepage = \"https://lab.example/\"\nregion = \"DE\"\n[repos]\ndebian = \"https://lab.example/debian\"\n";
    env.write(&site_path("lab"), mine);
    let before = env.tree();
    let run1 = mirror(&env, &["site", "add", "lab", &base, "--allow-http", "--region", "CN"]);
    assert_eq!(run1.code, 2, "{}", run1.stderr);
    assert!(
        run1.stderr.contains(&format!("error: `lab` already has a site file, `[TMP]/{}`", site_path("lab"))),
        "{}",
        run1.stderr
    );
    assert!(
        run1.stderr.contains("hint: `--force` probes again and replaces it; `mirror site remove lab` removes it"),
        "{}",
        run1.stderr
    );
    // A built-in id is a site too.
    let run2 = mirror(&env, &["site", "add", "tuna", &base, "--allow-http", "--region", "CN"]);
    assert_eq!(run2.code, 2, "{}", run2.stderr);
    assert!(
        run2.stderr.contains("error: `tuna` is a built-in site; a site file of that name would replace it"),
        "{}",
        run2.stderr
    );
    assert_eq!(env.tree(), before);
    assert!(farm.requests("lab").is_empty(), "refused before probing");

    // `--dry-run`: the file on stdout, the table on stderr, nothing written.
    let dry = mirror(&env, &["site", "add", "lab", &base, "--allow-http", "--region", "CN", "--dry-run"]);
    assert_eq!(dry.code, 0, "{}", dry.stderr);
    assert!(dry.stdout.starts_with("# `lab`: written by `mirror site add lab "), "{}", dry.stdout);
    assert!(dry.stdout.contains("\n[repos]\ndebian = \"{base}/debian\"\n"), "{}", dry.stdout);
    assert!(dry.stderr.lines().any(|l| l.starts_with("REPOSITORY ") && l.contains(" STATUS ")), "{}", dry.stderr);
    assert!(dry.stderr.contains(&format!("dry run: `[TMP]/{}` was not written", site_path("lab"))), "{}", dry.stderr);
    assert_eq!(env.tree(), before);

    let forced = mirror(&env, &["site", "add", "lab", &base, "--allow-http", "--region", "CN", "--force"]);
    assert_eq!(forced.code, 0, "{}", forced.stderr);
    assert_eq!(env.read(&site_path("lab")), dry.stdout, "what the dry run showed is what is written");
}

#[test]
fn site_list_shows_your_files_and_the_ones_that_do_not_load() {
    let farm = Farm::start(&[lab()]);
    let env = machine();
    let empty = mirror(&env, &["site", "list"]);
    assert_eq!((empty.code, empty.stdout.as_str()), (0, ""), "{}", empty.stderr);
    assert!(
        empty.stderr.contains(
            "no site files of your own in `[TMP]/home/.config/mirror/mirrors`; add one with `mirror site add NAME URL`"
        ),
        "{}",
        empty.stderr
    );

    assert_eq!(mirror(&env, &["site", "add", "lab", &farm.base("lab"), "--allow-http", "--region", "CN"]).code, 0);
    env.write(&site_path("tuna"), "id = \"tuna\"\nname = \"TUNA, via the campus proxy\"\nhomepage = \"https://proxy.example/\"\nregion = \"CN\"\n[repos]\npypi = \"https://proxy.example/pypi/web/simple\"\n");
    let list = mirror(&env, &["site", "list"]);
    assert_eq!(list.code, 0, "{}", list.stderr);
    assert_eq!(
        list.stdout,
        "SITE  NAME                                                     REGION  TARGETS\n\
         lab   lab (127.0.0.1)                                          CN      apt pip uv conda cargo pdm pixi\n\
         tuna  TUNA, via the campus proxy (replaces the built-in site)  CN      pip uv pdm\n"
    );
    let doc = mirror(&env, &["site", "list", "--json"]).json();
    assert_eq!(doc["sites"][0]["repos"]["pypi"], format!("{}/pypi/simple", farm.base("lab")));
    assert_eq!(doc["sites"][1]["replaces_builtin"], true);

    // A broken file is named with its error; the others are still listed.
    let broken = env.write(&site_path("broken"), "id = \"broken\"\nname = \"B\"\nhomepage = \"https://b.example/\"\nregion = \"CN\"\n[repos]\npipy = \"https://b.example/simple\"\n");
    let before = env.tree();
    let list = mirror(&env, &["site", "list"]);
    assert_eq!(list.code, 2, "{}", list.stderr);
    assert!(list.stdout.contains("lab "), "{}", list.stdout);
    assert!(list.stderr.contains("key `repos.pipy`: unknown repository"), "{}", list.stderr);
    assert!(
        list.stderr.contains("error: 1 of your site files in `[TMP]/home/.config/mirror/mirrors` cannot be loaded"),
        "{}",
        list.stderr
    );
    assert!(
        list.stderr.contains(
            "hint: fix them by hand (see `mirrors/README.md`), or remove them with `mirror site remove NAME`"
        ),
        "{}",
        list.stderr
    );
    let doc = mirror(&env, &["site", "list", "--json"]).json();
    assert_eq!(doc["invalid"][0]["file"], broken.to_str().unwrap());
    assert!(doc["invalid"][0]["error"].as_str().unwrap().contains("key `repos.pipy`"), "{doc}");
    assert_eq!(env.tree(), before, "listing changes nothing");

    // `site remove` takes the broken one away, and the catalog loads again.
    let removed = mirror(&env, &["site", "remove", "broken"]);
    assert_eq!(removed.code, 0, "{}", removed.stderr);
    assert!(removed.stderr.contains(&format!("removed `[TMP]/{}`", site_path("broken"))), "{}", removed.stderr);
    assert!(!env.exists(&site_path("broken")));
    assert_eq!(mirror(&env, &["site", "list"]).code, 0);
}

#[test]
fn site_remove_says_what_still_points_at_the_site() {
    let farm = Farm::start(&[lab()]);
    let env = machine();
    let base = farm.base("lab");
    assert_eq!(mirror(&env, &["site", "add", "lab", &base, "--allow-http", "--region", "CN"]).code, 0);
    assert_eq!(mirror(&env, &["use", "lab", "pip", "--yes"]).code, 0);
    env.write(&site_path("tuna"), "id = \"tuna\"\nname = \"T\"\nhomepage = \"https://t.example/\"\nregion = \"CN\"\n[repos]\npypi = \"https://t.example/simple\"\n");

    let before = env.tree();
    for (name, needle) in [
        ("ustc", "error: `ustc` is a built-in site, not a site file of your own; it cannot be removed"),
        ("nope", "error: no site file `nope.toml` in `[TMP]/home/.config/mirror/mirrors`"),
        ("No", "error: `No` is not a site name"),
    ] {
        let run = mirror(&env, &["site", "remove", name]);
        assert_eq!(run.code, 2, "{name}: {}", run.stderr);
        assert!(run.stderr.contains(needle), "{name}: {}", run.stderr);
    }
    let dry = mirror(&env, &["site", "remove", "lab", "--dry-run"]);
    assert_eq!(dry.code, 0, "{}", dry.stderr);
    assert!(dry.stderr.contains(&format!("dry run: would remove `[TMP]/{}`", site_path("lab"))), "{}", dry.stderr);
    assert_eq!(env.tree(), before);

    let removed = mirror(&env, &["site", "remove", "lab", "--json"]);
    assert_eq!(removed.code, 0, "{}", removed.stderr);
    assert!(removed.stderr.contains("warning: pip points at `lab` now and keeps its URL; switch it with `mirror use <SITE> pip` or `mirror restore`"), "{}", removed.stderr);
    assert_eq!(removed.json()["still_used_by"], serde_json::json!(["pip"]));
    assert!(!env.exists(&site_path("lab")));
    assert!(env.read("home/.config/pip/pip.conf").contains(&base), "pip's own file is left alone");

    let removed = mirror(&env, &["site", "remove", "tuna"]);
    assert_eq!(removed.code, 0, "{}", removed.stderr);
    assert!(removed.stderr.contains("the built-in site `tuna` is used again"), "{}", removed.stderr);
}

/// `util-linux` `script`, which runs a command on a pseudo-terminal, if installed.
fn script() -> Option<std::path::PathBuf> {
    ["/usr/bin/script", "/bin/script"].into_iter().map(std::path::PathBuf::from).find(|p| p.is_file())
}

#[test]
fn the_region_is_asked_on_a_terminal() {
    let Some(script) = script() else {
        crate::support::skip(crate::support::root_tests_required(), "needs `script` (util-linux) for a terminal");
        return;
    };
    let farm = Farm::start(&[lab()]);
    let env = machine();
    let base = farm.base("lab");
    let line = format!("{} site add lab {base} --allow-http", env!("CARGO_BIN_EXE_mirror"));
    let mut child = std::process::Command::new(script)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("SHELL", "/bin/sh")
        .env("TERM", "dumb")
        .env("HOME", env.home())
        .env("MIRROR_ROOT", env.root())
        .env("MIRROR_NO_PROGRESS", "1")
        .env("MIRROR_TEST_NOW", NOW.to_string())
        .env("NO_COLOR", "1")
        .env("NO_PROXY", "127.0.0.1,localhost")
        .args(["-qec", &line, "/dev/null"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Typed ahead: a wrong answer, then a right one.
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), b"China\rde\r").unwrap();
    let out = child.wait_with_output().unwrap();
    let screen = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{screen}");
    assert!(screen.contains("region of `lab` (a country code like CN or DE, or global): "), "{screen}");
    assert!(screen.contains("error: `China` is not a region"), "asked again:\n{screen}");
    assert!(screen.find("REPOSITORY") < screen.find("region of `lab`"), "asked after the table:\n{screen}");
    assert!(env.read(&site_path("lab")).contains("\nregion = \"DE\"\n"));
}

#[test]
fn under_sudo_the_site_file_belongs_to_the_invoking_user() {
    use std::os::unix::fs::MetadataExt;
    let farm = Farm::start(&[lab()]);
    let env = machine();
    let Some(mut sudo) = crate::machine::sudo_by_nobody(&env) else { return };
    let out = env.run_with(
        sudo.env("MIRROR_TEST_NOW", NOW.to_string()),
        &["site", "add", "lab", &farm.base("lab"), "--allow-http", "--region", "CN"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    for rel in [site_path("lab"), "home/.config/mirror/mirrors".into(), "home/.config/mirror".into()] {
        let meta = std::fs::metadata(env.path().join(&rel)).unwrap();
        assert_eq!((meta.uid(), meta.gid()), (65534, 65534), "{rel} belongs to nobody");
    }
    assert_eq!(std::fs::metadata(env.path().join(site_path("lab"))).unwrap().mode() & 0o777, 0o644);
}

#[test]
fn hostile_servers_get_a_clear_error_and_nothing_is_written() {
    let farm = Farm::start(&[
        Spec::new("hang").mode(Mode::Hang),
        Spec::new("garbage").mode(Mode::Garbage),
        Spec::new("loop").mode(Mode::RedirectLoop),
        Spec::new("refusing").mode(Mode::Status(403)),
        Spec::new("broken").mode(Mode::Status(500)),
    ]);
    let env = machine();
    let before = env.tree();
    for (id, error, row_why) in [
        ("hang", "could not reach `{base}`: no answer within", None),
        ("garbage", "could not reach `{base}`: garbled answer", None),
        ("loop", "found nothing at `{base}`", Some("redirect loop")),
        ("refusing", "found nothing at `{base}`", Some("access refused: 403")),
        ("broken", "found nothing at `{base}`", Some("HTTP 500 for InRelease")),
    ] {
        let base = farm.base(id);
        let started = std::time::Instant::now();
        let out = mirror(&env, &["site", "add", id, &base, "--allow-http", "--region", "CN", "--timeout", "1s"]);
        assert!(started.elapsed() < std::time::Duration::from_secs(15), "{id}: bounded by --timeout");
        assert_eq!(out.code, 1, "{id}: {}", out.stderr);
        let error = error.replace("{base}", &base);
        assert!(out.stderr.contains(&format!("error: {error}")), "{id}: {}", out.stderr);
        assert!(out.stderr.contains("nothing was written"), "{id}: {}", out.stderr);
        if let Some(why) = row_why {
            assert!(row(&out.stdout, "debian").contains(why), "{id}: {}", out.stdout);
        }
        assert_eq!(env.tree(), before, "{id}: nothing may be written");
    }
}

#[test]
fn an_endless_status_feed_is_cut_at_its_budget_and_the_rest_is_found() {
    // Paced, so what the farm sends is close to what the client read: at full speed the
    // kernel's socket buffers take megabytes more while a loaded machine delays the client.
    let farm = Farm::start(&[Spec::new("campus").feed(Feed::Endless).mbps(4)]);
    let env = machine();
    let out =
        mirror(&env, &["site", "add", "campus", &farm.base("campus"), "--allow-http", "--region", "CN", "--json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let doc = out.json();
    let feed = doc["results"].as_array().unwrap().iter().find(|r| r["key"] == "status.tunasync").unwrap();
    assert_eq!(feed["verdict"], "not_found", "{feed}");
    let tried = feed["tried"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["url"].as_str().unwrap().ends_with("/static/tunasync.json"))
        .unwrap();
    assert!(tried["reason"].as_str().unwrap().contains("larger than the 1 MiB budget"), "{tried}");
    assert!(farm.site_bytes("campus") < 3 << 20, "read no more than its budget: {}", farm.site_bytes("campus"));
    assert!(env.read(&site_path("campus")).contains("debian = \"{base}/debian\""));
}

#[test]
fn probes_cut_short_by_the_timeout_are_said_to_be() {
    let farm = Farm::start(&[Spec::new("far").ttfb(400)]);
    let env = machine();
    let out =
        mirror(&env, &["site", "add", "far", &farm.base("far"), "--allow-http", "--region", "CN", "--timeout", "1s"]);
    assert!(
        out.stderr.contains("warning: some probes had no full answer within `--timeout` (1.0 s)"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("run again with a larger `--timeout`"), "{}", out.stderr);
    assert!(out.stdout.contains("no full answer within the time"), "{}", out.stdout);
}
