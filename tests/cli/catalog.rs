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
    assert_eq!(corp["targets"], serde_json::json!(["pip", "uv"]));
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
            &site_file("bad", "npm = \"https://b.example/npm\"\n"),
            &["bad.toml", "key `repos.npm`", "unknown repository"],
        ),
        (
            "bad.toml",
            &site_file("other", "debian = \"https://b.example/debian\"\n"),
            &["bad.toml", "key `id`", "file name"],
        ),
        ("bad.toml", "id = \"bad\"\nname = [\n", &["bad.toml", "line"]),
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
    assert!(run.stderr.contains("hint: known sites: aliyun, bfsu"), "{}", run.stderr);
}
