use crate::support::TestEnv;

const SITES: &[&str] = &[
    "upstream",
    "tuna",
    "ustc",
    "bfsu",
    "sjtug",
    "nju",
    "zju",
    "hust",
    "nyist",
    "lzu",
    "aliyun",
    "tencent",
    "huawei",
    "cernet",
    "pku",
    "sustech",
    "cqu",
    "iscas",
    "hit",
    "rsproxy",
    "volcengine",
    "netease",
    "daocloud",
    "1panel",
    "1ms",
    "dockerproxy",
];

const THIRD_PARTY: &[&str] = &["1ms", "1panel", "daocloud", "dockerproxy", "goproxy-io", "hf-mirror", "rubychina"];

#[test]
fn json_lists_every_required_site_with_targets() {
    let env = TestEnv::new();
    let run = env.run(&["list", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stderr, "");
    let doc = run.json();
    let sites = doc["sites"].as_array().unwrap();
    for id in SITES {
        let site = sites.iter().find(|s| s["id"] == *id).unwrap_or_else(|| panic!("site {id} missing"));
        assert!(site["name"].as_str().is_some_and(|n| !n.is_empty()));
        assert!(site["region"].as_str().is_some());
        assert!(!site["targets"].as_array().unwrap().is_empty(), "{id} serves nothing");
    }
    let upstream = sites.iter().find(|s| s["id"] == "upstream").unwrap();
    let targets: Vec<&str> = upstream["targets"].as_array().unwrap().iter().map(|t| t.as_str().unwrap()).collect();
    let every: Vec<&str> = mirror::targets::TargetKind::ALL.iter().map(|t| t.name()).collect();
    assert_eq!(targets, every);
    let tuna = sites.iter().find(|s| s["id"] == "tuna").unwrap();
    assert!(!tuna["targets"].as_array().unwrap().iter().any(|t| t == "docker"), "TUNA never ran a Docker Hub mirror");
    // The spec §6 shape, plus the third-party mark on every row.
    for site in sites {
        let keys: Vec<&str> = site.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, ["id", "name", "region", "targets", "third_party", "user"], "{site}");
        let id = site["id"].as_str().unwrap();
        assert_eq!(site["third_party"], THIRD_PARTY.contains(&id), "{id}");
    }
}

#[test]
fn the_table_marks_third_party_sites_and_says_what_the_mark_means() {
    let env = TestEnv::new();
    let run = env.run(&["list"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for line in run.stdout.lines().skip(1) {
        let id = line.split_whitespace().next().unwrap();
        assert_eq!(line.contains("(third party)"), THIRD_PARTY.contains(&id), "{line}");
    }
    assert!(run.stdout.contains("daocloud     DaoCloud public image mirror (third party)  "), "{}", run.stdout);
    assert!(run.stderr.contains("(third party): run by neither the software's publisher"), "{}", run.stderr);
    assert!(run.stderr.contains("`--allow-third-party`"), "{}", run.stderr);

    // No third-party site in view: no footnote.
    let run = env.run(&["list", "pip"]);
    assert_eq!(run.code, 0);
    assert!(!run.stdout.contains("third party") && run.stderr.is_empty(), "{}{}", run.stdout, run.stderr);
    let run = env.run(&["list", "docker", "--json"]);
    let ids: Vec<String> =
        run.json()["sites"].as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap().to_owned()).collect();
    assert_eq!(ids, ["1ms", "1panel", "daocloud", "dockerproxy", "upstream"]);
    assert_eq!(run.stderr, "", "no talk under --json");
}

#[test]
fn table_on_stdout_and_filter_by_target() {
    let env = TestEnv::new();
    let run = env.run(&["list"]);
    assert_eq!(run.code, 0);
    assert!(run.stdout.starts_with("SITE"), "{}", run.stdout);
    assert!(run.stdout.contains("tuna"));
    assert!(!run.stdout.contains('\x1b'), "no colour without a terminal");

    let run = env.run(&["list", "docker", "--json"]);
    let ids: Vec<String> =
        run.json()["sites"].as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap().to_owned()).collect();
    assert!(ids.contains(&"upstream".to_owned()));
    assert!(!ids.contains(&"tuna".to_owned()));
}

#[test]
fn bad_target_is_a_usage_error() {
    let env = TestEnv::new();
    let run = env.run(&["list", "cpan"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("invalid value 'cpan'"), "{}", run.stderr);
}

#[test]
fn colour_always_is_honoured() {
    let env = TestEnv::new();
    let run = env.run(&["list", "--color", "always"]);
    assert!(run.stdout.contains("\x1b[1m"), "{}", run.stdout);
}

#[test]
fn closed_stdout_is_a_quiet_success() {
    use std::process::Stdio;
    let env = TestEnv::new();
    for args in [&["completions", "zsh"][..], &["list"], &["list", "--json"], &["restore", "--list", "--json"]] {
        // The reading end is closed before `mirror` starts, so its very first write to stdout
        // fails with EPIPE, however little it prints (a pipe buffer cannot absorb it).
        let (read, write) = nix::unistd::pipe().unwrap();
        drop(read);
        let out = env.std_cmd().args(args).stdout(Stdio::from(write)).stderr(Stdio::piped()).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(String::from_utf8_lossy(&out.stderr), "", "{args:?}");
    }
}
