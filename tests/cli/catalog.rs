use crate::support::{TestEnv, site_file};

#[test]
fn user_site_file_adds_and_overrides() {
    let env = TestEnv::new();
    env.write("home/.config/mirror/mirrors/corp.toml", site_file("corp", "pypi = \"{base}/pypi/simple\"\n"));
    env.write("home/.config/mirror/mirrors/tuna.toml", site_file("tuna", "crates = \"{base}/crates.io-index/\"\n"));
    let run = env.run(&["list", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let doc = run.json();
    let sites = doc["sites"].as_array().unwrap();
    let corp = sites.iter().find(|s| s["id"] == "corp").unwrap();
    assert_eq!(corp["targets"], serde_json::json!(["pip", "uv", "pdm"]));
    let tuna = sites.iter().find(|s| s["id"] == "tuna").unwrap();
    assert_eq!(tuna["name"], "test site tuna");
    assert_eq!(tuna["targets"], serde_json::json!(["cargo"]));
    assert!(sites.iter().any(|s| s["id"] == "ustc"), "built-in sites stay");
}

#[test]
fn catalog_option_replaces_the_builtin_set() {
    let env = TestEnv::new();
    let dir = env.path().join("cat");
    env.write("cat/only.toml", site_file("only", "debian = \"http://127.0.0.1:9/debian\"\n"));
    env.write("cat/notes.txt", "ignored");
    for args in [vec!["list", "--json", "--catalog", dir.to_str().unwrap()], vec!["list", "--json"]] {
        let mut cmd = env.cmd();
        if args.len() == 2 {
            cmd.env("MIRROR_CATALOG", &dir);
        }
        let run = env.run_with(&mut cmd, &args);
        assert_eq!(run.code, 0, "{}", run.stderr);
        let ids: Vec<String> =
            run.json()["sites"].as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap().to_owned()).collect();
        assert_eq!(ids, ["only"]);
    }
    let file = env.path().join("cat/only.toml");
    let run = env.run(&["list", "--json", "--catalog", file.to_str().unwrap()]);
    assert_eq!(run.json()["sites"][0]["id"], "only");
}

/// Every malformed user site file: exit 2, the file and key named, no output on stdout.
#[test]
fn malformed_user_site_files() {
    let cases: &[(&str, &str, &[&str])] = &[
        (
            "bad.toml",
            "id = \"bad\"\nname = \"b\"\nhomepage = \"https://b/\"\nregion = \"X\"\nmirrorlist = true\n",
            &["bad.toml", "key `mirrorlist`"],
        ),
        (
            "bad.toml",
            &site_file("bad", "pypi = \"http://b.example/simple\"\n"),
            &["bad.toml", "key `repos.pypi`", "http://", "allow_http"],
        ),
        (
            "bad.toml",
            &site_file("bad", "pypi = \"https://b.example/sim ple\"\n"),
            &["bad.toml", "key `repos.pypi`", "whitespace"],
        ),
        (
            "bad.toml",
            &site_file("bad", "crates = \"https://b.example/\\u0007\"\n"),
            &["bad.toml", "key `repos.crates`", "control"],
        ),
        ("bad.toml", &site_file("bad", "debian = \"not a url\"\n"), &["bad.toml", "key `repos.debian`"]),
        (
            "bad.toml",
            &site_file("bad", "cpan = \"https://b.example/cpan\"\n"),
            &["bad.toml", "key `repos.cpan`", "unknown repository"],
        ),
        (
            "bad.toml",
            &site_file("other", "debian = \"https://b.example/debian\"\n"),
            &["bad.toml", "key `id`", "file name"],
        ),
        ("bad.toml", "id = \"bad\"\nname = [\n", &["bad.toml", "line"]),
        (
            "bad.toml",
            &site_file("bad", "pypi = \"https://b.example/simple\"\n[lacks]\npypi = \"gone\"\n"),
            &["bad.toml", "key `lacks.pypi`", "also lists `repos.pypi`"],
        ),
        (
            "bad.toml",
            &site_file("bad", "debian = \"https://b.example/debian\"\n[lacks]\ncpan = \"never\"\n"),
            &["bad.toml", "key `lacks.cpan`", "unknown repository"],
        ),
        (
            "bad.toml",
            &site_file("bad", "debian = \"https://b.example/debian\"\n[lacks]\npypi = \"\"\n"),
            &["bad.toml", "key `lacks.pypi`", "reason"],
        ),
        (
            "bad.toml",
            &site_file("bad", "debian = \"https://b.example/debian\"\n").replace("region", "third_party = 1\nregion"),
            &["bad.toml", "key `third_party`", "line 4"],
        ),
        ("bad.toml", "\u{0}\u{1}binary", &["bad.toml"]),
    ];
    for (file, text, needles) in cases {
        let env = TestEnv::new();
        env.write(&format!("home/.config/mirror/mirrors/{file}"), text);
        let before = env.tree();
        let run = env.run(&["list"]);
        assert_eq!(run.code, 2, "{text}\n{}", run.stderr);
        assert_eq!(run.stdout, "", "{text}");
        assert!(run.stderr.starts_with("error: "), "{}", run.stderr);
        assert!(run.stderr.contains("hint: "), "{}", run.stderr);
        for needle in *needles {
            assert!(run.stderr.contains(needle), "{text}: expected {needle:?} in\n{}", run.stderr);
        }
        assert_eq!(env.tree(), before, "nothing may change");
    }
}

#[test]
fn missing_catalog_path_is_a_usage_error() {
    let env = TestEnv::new();
    let run = env.run(&["list", "--catalog", "/nonexistent/catalog"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("could not read catalog `/nonexistent/catalog`"), "{}", run.stderr);
}

#[test]
fn unknown_site_is_a_usage_error_listing_known_ones() {
    let env = TestEnv::new();
    let run = env.run(&["use", "nosuch", "pip", "--yes"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("unknown site `nosuch`"), "{}", run.stderr);
    assert!(run.stderr.contains("hint: known sites: 1ms, 1panel, aliyun, bfsu"), "{}", run.stderr);
}

// ---------------------------------------------------------------------------------------------
// The built-in site files: they load, their URLs obey the http rule, and what a file says a
// site lacks, it does not list.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use mirror::catalog::{Catalog, Repo, Site};

fn builtin_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("mirrors");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
}

fn builtin() -> Catalog {
    Catalog::builtin().expect("the built-in catalog loads")
}

#[test]
fn every_builtin_site_file_loads() {
    let stems: Vec<String> =
        builtin_files().iter().map(|p| p.file_stem().unwrap().to_string_lossy().into_owned()).collect();
    assert!(stems.len() >= 26, "{stems:?}");
    // One by one, as a user would check a file of their own ...
    for file in builtin_files() {
        let env = TestEnv::new();
        let run = env.run(&["list", "--json", "--catalog", file.to_str().unwrap()]);
        assert_eq!(run.code, 0, "{}: {}", file.display(), run.stderr);
        assert_eq!(run.json()["sites"][0]["id"], file.file_stem().unwrap().to_str().unwrap());
    }
    // ... and all together, as the binary embeds them.
    let env = TestEnv::new();
    let run = env.run(&["list", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let ids: Vec<String> =
        run.json()["sites"].as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap().to_owned()).collect();
    assert_eq!(ids, stems);
    // Each says when it was last compared with the site's own data.
    for site in builtin().sites() {
        assert!(site.checked.is_some(), "{} has no `checked` date", site.id);
    }
}

/// Every string that is a URL, with its key path (`repos.pypi`), walking the raw TOML; free
/// text (`note`, `[lacks]` reasons) is skipped.
fn urls(value: &toml::Value, path: &str, out: &mut Vec<(String, String)>) {
    if path == "note" || path.starts_with("lacks.") {
        return;
    }
    match value {
        toml::Value::String(s) if s.contains("://") || s.starts_with("{base}") => {
            out.push((path.to_owned(), s.clone()))
        }
        toml::Value::Table(t) => {
            for (k, v) in t {
                let sub = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
                urls(v, &sub, out);
            }
        }
        toml::Value::Array(a) => a.iter().for_each(|v| urls(v, path, out)),
        _ => {}
    }
}

#[test]
fn builtin_urls_are_https_unless_the_repository_is_signed_or_the_site_allows_http() {
    // The distributions' repositories are signed (apt, pacman, dnf, zypper and apk check
    // signatures); the rest trust what the server sends.
    let signed: Vec<String> = Repo::ALL.iter().filter(|r| r.http_ok()).map(|r| format!("repos.{}", r.key())).collect();
    for unsigned in [Repo::Pypi, Repo::Anaconda, Repo::Crates, Repo::Dockerhub, Repo::Npm, Repo::Goproxy, Repo::Maven] {
        assert!(!unsigned.http_ok(), "{unsigned}");
    }
    let mut plain_http = Vec::new();
    for file in builtin_files() {
        let text = std::fs::read_to_string(&file).unwrap();
        let doc: toml::Table = toml::from_str(&text).unwrap();
        let allow_http = doc.get("allow_http").and_then(toml::Value::as_bool).unwrap_or(false);
        let base = doc.get("base").and_then(toml::Value::as_str).unwrap_or_default().to_owned();
        let mut found = Vec::new();
        urls(&toml::Value::Table(doc), "", &mut found);
        assert!(found.iter().any(|(k, _)| k == "homepage"), "{}", file.display());
        for (key, url) in found {
            let url = url.replace("{base}", &base);
            let name = file.file_name().unwrap().to_string_lossy();
            assert!(url.starts_with("https://") || url.starts_with("http://"), "{name}: {key} = {url}");
            if url.starts_with("http://") {
                assert!(allow_http || signed.contains(&key), "{name}: {key} = {url} must be https");
                plain_http.push(format!("{name} {key}"));
            }
        }
    }
    // The only plain-http URLs are upstream's signed archives, as the distributions ship them.
    assert_eq!(
        plain_http,
        [
            "upstream.toml repos.archlinuxarm",
            "upstream.toml repos.debian",
            "upstream.toml repos.debian-security",
            "upstream.toml repos.kali",
            "upstream.toml repos.opensuse",
            "upstream.toml repos.raspberrypi",
            "upstream.toml repos.raspbian",
            "upstream.toml repos.ubuntu",
            "upstream.toml repos.ubuntu-ports",
        ]
    );
    // The loaded sites agree (`{base}` expanded, feeds and conda roots included).
    for site in builtin().sites() {
        for repo in Repo::ALL {
            if let Some(url) = site.repo(repo) {
                assert!(
                    url.starts_with("https://") || (repo.http_ok() && url.starts_with("http://")),
                    "{}: {url}",
                    site.id
                );
            }
        }
        for url in [&site.status.tunasync, &site.status.mirrorz, &site.conda.cloud].into_iter().flatten() {
            assert!(url.starts_with("https://"), "{}: {url}", site.id);
        }
    }
}

/// How notes name each repository.
const NAMES: &[(Repo, &[&str])] = &[
    (Repo::Debian, &["debian"]),
    (Repo::DebianSecurity, &["debian-security", "debian security"]),
    (Repo::Ubuntu, &["ubuntu"]),
    (Repo::UbuntuPorts, &["ubuntu-ports", "ubuntu ports"]),
    (Repo::Archlinux, &["archlinux", "arch linux"]),
    (Repo::Archlinuxarm, &["archlinuxarm", "arch linux arm", "alarm"]),
    (Repo::Pypi, &["pypi", "pip"]),
    (Repo::Anaconda, &["anaconda", "conda"]),
    (Repo::Crates, &["crates", "crates.io", "cargo", "sparse index"]),
    (Repo::Dockerhub, &["docker hub", "dockerhub", "registry mirror"]),
];

/// Whether `text` (lowercase) says it has no `name`: "no <name>", "without <name>", "lacks
/// <name>", "<name> is not served/offered/mirrored", "<name> is left out". A name followed by
/// more of a longer name (`debian` in `debian-security`) does not count.
fn claims_gap(text: &str, name: &str) -> bool {
    let longer: Vec<&str> = NAMES
        .iter()
        .flat_map(|(_, ns)| ns.iter().copied())
        .filter(|n| n.len() > name.len() && n.starts_with(name))
        .collect();
    let word = |c: Option<char>| c.is_none_or(|c| !c.is_alphanumeric());
    text.match_indices(name).any(|(at, _)| {
        let before = &text[..at];
        let after = &text[at + name.len()..];
        if !word(before.chars().next_back()) || !word(after.chars().next()) {
            return false;
        }
        if longer.iter().any(|l| text[at..].starts_with(l)) {
            return false;
        }
        ["no ", "without ", "lacks ", "lacking "]
            .iter()
            .any(|p| before.ends_with(p) && word(before[..before.len() - p.len()].chars().next_back()))
            || [" is not served", " is not offered", " is not mirrored", " is left out", " are left out"]
                .iter()
                .any(|s| after.starts_with(s))
    })
}

#[test]
fn no_site_lists_a_repository_its_file_says_it_lacks() {
    for site in builtin().sites() {
        // `[lacks]` is the structured form: the loader already refuses an overlap, so this
        // holds for every file; it is asserted here for the built-in ones by name.
        for (repo, why) in site.lacking() {
            assert!(site.repo(repo).is_none(), "{} lists {repo} and lacks it: {why}", site.id);
        }
        // Gaps are stated in `[lacks]`, not in the free `note`: the note claims no gap for a
        // repository the site serves.
        let note = site.note.as_deref().unwrap_or_default().to_lowercase();
        for (repo, names) in NAMES {
            if site.repo(*repo).is_some() {
                for name in *names {
                    assert!(
                        !claims_gap(&note, name),
                        "{}: the note says it has no {name}, yet it lists {repo}:\n{note}",
                        site.id
                    );
                }
            }
        }
    }
}

#[test]
fn the_gap_phrases_are_recognised() {
    assert!(claims_gap("no anaconda: not in the data.", "anaconda"));
    assert!(claims_gap("a site without pypi", "pypi"));
    assert!(claims_gap("docker hub is not offered here", "docker hub"));
    assert!(!claims_gap("no debian-security mirror", "debian"));
    assert!(!claims_gap("no arch linux arm tree", "arch linux"));
    assert!(!claims_gap("anaconda is served", "conda"));
    assert!(!claims_gap("casino pypi", "pypi"));
}

fn site<'a>(catalog: &'a Catalog, id: &str) -> &'a Site {
    catalog.get(id).unwrap_or_else(|| panic!("no built-in site `{id}`"))
}

/// The corrections of issue 14, each against what the site's own data says.
#[test]
fn audited_corrections_hold() {
    let c = builtin();
    // The CERNET redirector does not redirect anaconda (`cnames_noredir`).
    let cernet = site(&c, "cernet");
    assert_eq!(cernet.repo(Repo::Anaconda), None);
    assert!(cernet.lacks(Repo::Anaconda).is_some_and(|why| why.contains("cnames_noredir")));
    // LZU's mirrorz.json never had PyPI; its feed has been failing since July 2026.
    let lzu = site(&c, "lzu");
    assert_eq!(lzu.repo(Repo::Pypi), None);
    assert!(lzu.lacks(Repo::Pypi).is_some());
    assert!(lzu.note.as_deref().unwrap().contains("failing since 2026-07-13"));
    // SJTUG serves apt repositories over plain http too.
    let sjtug = site(&c, "sjtug").note.as_deref().unwrap();
    assert!(!sjtug.to_lowercase().contains("https only"), "{sjtug}");
    assert!(sjtug.contains("Plain http also serves /debian"), "{sjtug}");
    // What chsrc disabled at NJU is the git index, not the sparse one the catalog uses.
    let nju = site(&c, "nju").note.as_deref().unwrap();
    assert!(nju.contains("git index") && !nju.contains("blames"), "{nju}");
    // Site files cite primary sources, not documents outside the repository.
    for file in builtin_files() {
        let text = std::fs::read_to_string(&file).unwrap();
        for needle in ["formats.md", "part C", " A8", " A4", " B2"] {
            assert!(!text.contains(needle), "{} cites {needle:?}", file.display());
        }
    }
}

#[test]
fn the_added_sites_serve_what_their_data_says() {
    let c = builtin();
    // The repositories of the first targets (the distributions' own are checked below).
    let fedora = Repo::ALL.iter().position(|r| *r == Repo::Fedora).unwrap();
    let raspberrypi = Repo::ALL.iter().position(|r| *r == Repo::Raspberrypi).unwrap();
    let served = |id: &str| -> Vec<&'static str> {
        (0..Repo::ALL.len())
            .filter(|i| !(fedora..=raspberrypi).contains(i))
            .map(|i| Repo::ALL[i])
            .filter(|r| site(&c, id).repo(*r).is_some())
            .map(|r| r.key())
            .collect()
    };
    // The distributions' (Fedora to Raspberry Pi; the developer registries follow them).
    let distributions = |id: &str| -> Vec<&'static str> {
        Repo::ALL[10..=Repo::ALL.iter().position(|r| *r == Repo::Raspberrypi).unwrap()]
            .iter()
            .filter(|r| site(&c, id).repo(**r).is_some())
            .map(|r| r.key())
            .collect()
    };
    // mirrorz-org/mirrorz-json-legacy data/*.json of 2026-08-08.
    assert_eq!(
        distributions("tuna"),
        [
            "fedora",
            "epel",
            "centos-stream",
            "openeuler",
            "alpine",
            "opensuse",
            "archlinuxcn",
            "kali",
            "raspbian",
            "raspberrypi"
        ]
    );
    assert_eq!(
        distributions("pku"),
        ["epel", "centos-stream", "rocky", "almalinux", "openeuler", "opensuse", "archlinuxcn"]
    );
    assert_eq!(site(&c, "sjtug").repo(Repo::Archlinuxcn), Some("https://mirror.sjtu.edu.cn/archlinux-cn"));
    assert_eq!(site(&c, "sjtug").repo(Repo::Fedora), Some("https://mirror.sjtu.edu.cn/fedora/linux"));
    assert_eq!(site(&c, "sustech").repo(Repo::Rocky), Some("https://mirrors.sustech.edu.cn/rocky-linux"));
    assert_eq!(
        site(&c, "ustc").repo(Repo::Raspberrypi),
        Some("https://mirrors.ustc.edu.cn/archive.raspberrypi.org/debian")
    );
    assert_eq!(site(&c, "tuna").repo(Repo::Raspbian), Some("https://mirrors.tuna.tsinghua.edu.cn/raspbian/raspbian"));
    assert_eq!(site(&c, "tuna").repo(Repo::Rocky), None, "no rocky entry in TUNA's data");
    assert_eq!(served("pku"), ["debian", "debian-security", "ubuntu", "ubuntu-ports", "archlinux", "pypi", "anaconda"]);
    assert_eq!(
        served("sustech"),
        ["debian", "debian-security", "ubuntu", "ubuntu-ports", "archlinux", "archlinuxarm", "pypi", "anaconda"]
    );
    assert_eq!(site(&c, "sustech").repo(Repo::Archlinuxarm), Some("https://mirrors.sustech.edu.cn/archlinux-arm"));
    assert_eq!(served("cqu"), ["debian", "debian-security", "ubuntu", "archlinux", "crates"]);
    assert_eq!(
        served("iscas"),
        ["debian", "debian-security", "ubuntu", "ubuntu-ports", "archlinux", "archlinuxarm", "rustup"]
    );
    assert_eq!(served("hit"), ["debian", "ubuntu", "ubuntu-ports", "archlinux", "archlinuxarm", "anaconda"]);
    assert_eq!(served("rsproxy"), ["crates", "rustup"]);
    assert_eq!(site(&c, "rsproxy").repo(Repo::Crates), Some("https://rsproxy.cn/index"));
    assert_eq!(site(&c, "rsproxy").repo(Repo::Rustup), Some("https://rsproxy.cn"));
    // The sites of one ecosystem each.
    assert_eq!(served("npmmirror"), ["npm"]);
    assert_eq!(served("goproxy-cn"), ["goproxy", "gosumdb"]);
    assert_eq!(served("goproxy-io"), ["goproxy"]);
    assert_eq!(served("hf-mirror"), ["huggingface"]);
    assert_eq!(served("rubychina"), ["rubygems"]);
    assert_eq!(site(&c, "ustc").lacks(Repo::Npm).map(|w| w.contains("2026-06-12")), Some(true));
    assert_eq!(served("volcengine"), ["debian", "ubuntu"]);
    assert_eq!(served("netease"), ["debian", "ubuntu", "archlinux"]);
}

#[test]
fn docker_hub_mirrors_other_than_upstream_are_third_party() {
    let c = builtin();
    let mut third: Vec<&str> = c.third_party().map(|s| s.id.as_str()).collect();
    third.sort_unstable();
    assert_eq!(third, ["1ms", "1panel", "daocloud", "dockerproxy", "goproxy-io", "hf-mirror", "rubychina"]);
    let third: Vec<&str> = third.into_iter().filter(|id| site(&c, id).repo(Repo::Dockerhub).is_some()).collect();
    for s in c.sites() {
        if s.repo(Repo::Dockerhub).is_some() {
            assert!(s.third_party || s.is_upstream(), "{} serves Docker Hub but is not marked third party", s.id);
        }
    }
    let hosts: BTreeMap<&str, &str> =
        third.iter().map(|id| (*id, site(&c, id).repo(Repo::Dockerhub).unwrap())).collect();
    assert_eq!(hosts["daocloud"], "https://docker.m.daocloud.io");
    assert_eq!(hosts["1panel"], "https://docker.1panel.live");
    assert_eq!(hosts["1ms"], "https://docker.1ms.run");
    assert_eq!(hosts["dockerproxy"], "https://dockerproxy.net");
}

// ---------------------------------------------------------------------------------------------
// Third-party mirrors: `use best` considers them only when the user opts in, by flag or by
// `config.toml`; `use <one of them>` warns once what trusting it means.

use crate::farm::{Farm, Mode, Spec};

/// A stock `/etc/docker/daemon.json` (tests/fixtures/docker/two-spaces.json).
const DAEMON_JSON: &str = include_str!("../fixtures/docker/two-spaces.json");

/// The farm's catalog copied into the test folder, with `third` marked `third_party`.
fn farm_catalog(env: &TestEnv, farm: &Farm, third: &[&str]) -> PathBuf {
    let dest = env.path().join("farm-catalog");
    std::fs::create_dir_all(&dest).unwrap();
    for entry in std::fs::read_dir(farm.catalog()).unwrap() {
        let path = entry.unwrap().path();
        let id = path.file_stem().unwrap().to_string_lossy().into_owned();
        let mut text = std::fs::read_to_string(&path).unwrap();
        if third.contains(&id.as_str()) {
            text = text.replace("allow_http = true\n", "allow_http = true\nthird_party = true\n");
        }
        std::fs::write(dest.join(path.file_name().unwrap()), text).unwrap();
    }
    dest
}

/// `mirror use best docker --yes --json` against `catalog`, plus `extra` arguments.
fn use_best_docker(env: &TestEnv, catalog: &Path, extra: &[&str]) -> crate::support::Run {
    let mut args = vec!["use", "best", "docker", "--yes", "--json", "--catalog", catalog.to_str().unwrap()];
    args.extend_from_slice(extra);
    env.run(&args)
}

fn daemon_json_env() -> TestEnv {
    let env = TestEnv::new();
    env.write("root/etc/docker/daemon.json", DAEMON_JSON);
    env
}

/// "campus" answers in 300 ms and transfers at 4 MB/s, the third-party "proxy" at once and at
/// 40 MB/s: proxy is the better one, and wins only when third parties are allowed.
fn campus_and_proxy() -> Farm {
    Farm::start(&[Spec::new("campus").ttfb(300).mbps(4), Spec::new("proxy").mbps(40)])
}

#[test]
fn use_best_leaves_third_party_mirrors_alone_unless_the_flag_allows_them() {
    let farm = campus_and_proxy();
    let env = daemon_json_env();
    let catalog = farm_catalog(&env, &farm, &["proxy"]);

    let run = use_best_docker(&env, &catalog, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json()["targets"][0]["reason"], "now campus", "{}", run.stdout);
    assert!(farm.requests("proxy").is_empty(), "a third party is not even probed without the opt-in");
    assert!(!run.stderr.contains("third party"), "{}", run.stderr);
    assert!(env.read("root/etc/docker/daemon.json").contains(&farm.base("campus")));

    let run = use_best_docker(&env, &catalog, &["--allow-third-party", "--refresh"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json()["targets"][0]["reason"], "now proxy", "{}", run.stdout);
    assert_eq!(run.stderr.matches("warning: ").count(), 1, "warned once:\n{}", run.stderr);
    assert!(run.stderr.contains("warning: `proxy` (Farm site proxy) is run by a third party"), "{}", run.stderr);
    assert!(run.stderr.contains("hint: pin images by digest"), "{}", run.stderr);
    let written = env.read("root/etc/docker/daemon.json");
    assert!(written.contains(&farm.base("proxy")) && written.contains("\"live-restore\": true"), "{written}");
}

#[test]
fn the_config_setting_allows_third_party_mirrors_too() {
    let farm = campus_and_proxy();
    let env = daemon_json_env();
    let catalog = farm_catalog(&env, &farm, &["proxy"]);
    env.write(
        "home/.config/mirror/config.toml",
        "# mirror's own settings\n# let `use best` and `heal` pick third-party mirrors\nallow_third_party = true\n",
    );
    let run = use_best_docker(&env, &catalog, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json()["targets"][0]["reason"], "now proxy", "{}", run.stdout);
    assert_eq!(run.stderr.matches("warning: ").count(), 1, "{}", run.stderr);

    // `false` is the default, spelled out.
    let env = daemon_json_env();
    let catalog = farm_catalog(&env, &farm, &["proxy"]);
    env.write("home/.config/mirror/config.toml", "allow_third_party = false\n");
    let run = use_best_docker(&env, &catalog, &[]);
    assert_eq!(run.json()["targets"][0]["reason"], "now campus", "{}", run.stdout);
}

#[test]
fn without_the_opt_in_a_third_party_mirror_cannot_be_named_among_the_candidates() {
    let farm = campus_and_proxy();
    let env = daemon_json_env();
    let catalog = farm_catalog(&env, &farm, &["proxy"]);
    let before = env.tree();
    let run = use_best_docker(&env, &catalog, &["--site", "campus,proxy"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("`proxy` is a third-party mirror"), "{}", run.stderr);
    assert!(run.stderr.contains("hint: add `--allow-third-party`"), "{}", run.stderr);
    assert_eq!(env.tree(), before, "nothing may change");
    assert!(farm.requests("proxy").is_empty() && farm.requests("campus").is_empty());

    let run = use_best_docker(&env, &catalog, &["--site", "campus,proxy", "--allow-third-party"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json()["targets"][0]["reason"], "now proxy");
}

#[test]
fn no_usable_mirror_names_the_third_party_ones_left_out() {
    let farm = Farm::start(&[Spec::new("campus").mode(Mode::Refuse), Spec::new("proxy")]);
    let env = daemon_json_env();
    let catalog = farm_catalog(&env, &farm, &["proxy"]);
    let before = env.tree();
    let run = use_best_docker(&env, &catalog, &["--timeout", "1s"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("third-party mirrors not considered without `--allow-third-party`: proxy"),
        "{}",
        run.stderr
    );
    // Nothing changed but the kept bench results.
    let mut after = env.tree().0;
    let kept = |path: &std::path::PathBuf| path.to_string_lossy().contains(".local/state/mirror");
    after.retain(|path, _| !kept(path));
    let mut before = before.0;
    before.retain(|path, _| !kept(path));
    assert_eq!(after, before);
}

/// A user's own third-party site that serves both PyPI and Docker Hub (nothing is fetched
/// by `use <site>`).
const HUB_PROXY: &str = r#"# ~/.config/mirror/mirrors/hubproxy.toml
id = "hubproxy"
name = "Community hub proxy"
homepage = "https://hubproxy.example/"
region = "global"
third_party = true

[repos]
pypi      = "https://hubproxy.example/pypi/simple"
dockerhub = "https://hub.hubproxy.example"
"#;

#[test]
fn using_a_third_party_site_warns_once_before_anything_is_written() {
    let env = daemon_json_env();
    env.write("home/.config/mirror/mirrors/hubproxy.toml", HUB_PROXY);
    let run = env.run(&["use", "hubproxy", "pip", "docker", "--yes"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stderr.matches("warning: ").count(), 1, "once for the site, not per target:\n{}", run.stderr);
    assert!(run.stderr.contains("warning: `hubproxy` (Community hub proxy) is run by a third party"), "{}", run.stderr);
    assert!(run.stderr.contains("it decides which image a tag"), "{}", run.stderr);
    assert!(run.stderr.contains("hint: pin images by digest (`docker pull alpine@sha256:<digest>`"), "{}", run.stderr);
    let warned_at = run.stderr.find("warning: ").unwrap();
    let journal_at = run.stderr.find("journal ").unwrap();
    assert!(warned_at < journal_at, "the warning comes first:\n{}", run.stderr);
    assert!(env.read("root/etc/docker/daemon.json").contains("https://hub.hubproxy.example"));

    // Without Docker among the targets, the hint is about pinning packages instead.
    let run = env.run(&["use", "hubproxy", "pip", "--yes", "--dry-run"]);
    assert_eq!(run.stderr.matches("warning: ").count(), 1, "{}", run.stderr);
    assert!(run.stderr.contains("--require-hashes") && !run.stderr.contains("digest"), "{}", run.stderr);

    // A built-in one, on a dry run: the warning, nothing written.
    let env = daemon_json_env();
    let before = env.tree();
    let run = env.run(&["use", "daocloud", "docker", "--dry-run"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("warning: `daocloud` (DaoCloud public image mirror) is run by a third party"),
        "{}",
        run.stderr
    );
    assert!(
        run.stdout.lines().any(|l| l.starts_with('+') && l.contains("\"https://docker.m.daocloud.io\"")),
        "{}",
        run.stdout
    );
    assert_eq!(env.tree(), before);

    // Not for other sites.
    let run = env.run(&["use", "tuna", "pip", "--yes"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.stderr.contains("warning"), "{}", run.stderr);
}

/// Every malformed `config.toml`: exit 2, the file and key named, nothing changed; and a
/// command that does not need the settings is not stopped by them.
#[test]
fn malformed_user_config_files() {
    let cases: &[(&[u8], &[&str])] = &[
        (b"allow-third-party = true\n", &["key `allow-third-party`", "line 1", "unknown field"]),
        (b"# mirror\nallow_third_party = \"yes\"\n", &["key `allow_third_party`", "line 2", "expected a boolean"]),
        (b"allow_third_party = tru\n", &["line 1"]),
        (b"[best]\nallow_third_party = true\n", &["key `best`"]),
        (b"allow_third_party = true\xff\n", &["not UTF-8"]),
    ];
    // Only loopback sites, so that nothing could reach the network even if a case parsed.
    let loopback = |env: &TestEnv| {
        env.write(
            "cat/local.toml",
            site_file("local", "dockerhub = \"https://127.0.0.1:9\"\npypi = \"https://127.0.0.1:9/simple\"\n"),
        )
    };
    for (text, needles) in cases {
        let env = daemon_json_env();
        env.write("home/.config/mirror/config.toml", text);
        let catalog = loopback(&env);
        let before = env.tree();
        let run = env.run(&["use", "best", "docker", "--yes", "--catalog", catalog.to_str().unwrap()]);
        assert_eq!(run.code, 2, "{:?}\n{}", String::from_utf8_lossy(text), run.stderr);
        assert!(
            run.stderr.starts_with("error: invalid config file `[TMP]/home/.config/mirror/config.toml`"),
            "{}",
            run.stderr
        );
        assert!(run.stderr.contains("hint: the one setting is `allow_third_party"), "{}", run.stderr);
        for needle in *needles {
            assert!(
                run.stderr.contains(needle),
                "{:?}: expected {needle:?} in\n{}",
                String::from_utf8_lossy(text),
                run.stderr
            );
        }
        assert_eq!(env.tree(), before, "nothing may change");
        // `use <site>` and `list` do not read it.
        let run = env.run(&["use", "tuna", "pip", "--yes"]);
        assert_eq!(run.code, 0, "{}", run.stderr);
    }
    // A folder where the file should be.
    let env = TestEnv::new();
    std::fs::create_dir_all(env.path().join("home/.config/mirror/config.toml")).unwrap();
    let catalog = loopback(&env);
    let run = env.run(&["use", "best", "pip", "--yes", "--catalog", catalog.to_str().unwrap()]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("could not read config file `[TMP]/home/.config/mirror/config.toml`"),
        "{}",
        run.stderr
    );
}
