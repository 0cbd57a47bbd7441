//! `use`, `restore` and `status` through the binary: journal, atomicity, exact restore.

use std::os::unix::fs::{MetadataExt, PermissionsExt};

use crate::support::{TestEnv, is_root, need_root, root_tests_required, skip};

pub const DEBIAN_12_OS_RELEASE: &str = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nVERSION=\"12 (bookworm)\"\nVERSION_CODENAME=bookworm\nID=debian\n";

pub const DEBIAN_SOURCES: &str = "Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm bookworm-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\nTypes: deb\nURIs: http://deb.debian.org/debian-security\nSuites: bookworm-security\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n";

const PIP_CONF: &str =
    "# my pip settings\n[global]\ntimeout = 60\nindex-url = https://pypi.org/simple\n\n[install]\nno-compile = true\n";

const CARGO_CONFIG: &str =
    "# cargo settings\n[build]\njobs = 2 # keep the laptop cool\n\n[net]\ngit-fetch-with-cli = true\n";

const DAEMON_JSON: &str = "{\n  \"log-driver\": \"json-file\",\n  \"log-opts\": {\n    \"max-size\": \"10m\"\n  },\n  \"storage-driver\": \"overlay2\"\n}\n";

const CONDARC: &str = "# conda settings\nchannels:\n  - defaults\nssl_verify: true\n";

const UV_TOML: &str = "# uv settings\nnative-tls = true\n";

const MIRRORLIST: &str = "##\n## Arch Linux repository mirrorlist\n##\n\n## Worldwide\nServer = https://geo.mirror.pkgbuild.com/$repo/os/$arch\n#Server = https://mirror.rackspace.com/archlinux/$repo/os/$arch\n";

/// A machine with every target configured, stock-looking files everywhere.
pub fn full_machine() -> TestEnv {
    let env = TestEnv::new();
    env.write("root/etc/os-release", DEBIAN_12_OS_RELEASE);
    env.write("root/etc/ssl/certs/ca-certificates.crt", "");
    env.write("root/etc/apt/sources.list.d/debian.sources", DEBIAN_SOURCES);
    env.write("root/etc/pacman.d/mirrorlist", MIRRORLIST);
    env.write("root/etc/docker/daemon.json", DAEMON_JSON);
    env.write("home/.config/pip/pip.conf", PIP_CONF);
    env.write("home/.config/uv/uv.toml", UV_TOML);
    env.write("home/.condarc", CONDARC);
    env.write("home/.cargo/config.toml", CARGO_CONFIG);
    env
}

/// Config files only, without the journal and state folders.
pub fn configs(env: &TestEnv) -> std::collections::BTreeMap<std::path::PathBuf, Vec<u8>> {
    configs_of(&env.tree())
}

#[test]
fn use_then_restore_gives_back_the_exact_bytes() {
    let env = full_machine();
    let before = env.tree();
    let run = env.run(&["use", "tuna", "apt", "pacman", "pip", "uv", "conda", "cargo", "--yes", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let doc = run.json();
    assert_eq!(doc["site"], "tuna");
    assert_eq!(doc["dry_run"], false);
    assert!(doc["journal"].is_string());
    for t in doc["targets"].as_array().unwrap() {
        assert_eq!(t["status"], "changed", "{t}");
        assert!(!t["files"].as_array().unwrap().is_empty(), "{t}");
    }
    assert!(
        env.read("home/.config/pip/pip.conf")
            .contains("index-url = https://mirrors.tuna.tsinghua.edu.cn/pypi/web/simple")
    );
    assert!(env.read("home/.config/pip/pip.conf").contains("# my pip settings"));
    assert!(env.read("home/.cargo/config.toml").contains("jobs = 2 # keep the laptop cool"));
    assert!(
        env.read("root/etc/apt/sources.list.d/debian.sources")
            .contains("URIs: https://mirrors.tuna.tsinghua.edu.cn/debian")
    );

    let run = env.run(&["restore", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for f in run.json()["files"].as_array().unwrap() {
        assert_eq!(f["action"], "restored", "{f}");
    }
    assert_eq!(configs(&env), configs_of(&before));
}

pub fn configs_of(
    tree: &std::collections::BTreeMap<std::path::PathBuf, Vec<u8>>,
) -> std::collections::BTreeMap<std::path::PathBuf, Vec<u8>> {
    tree.iter()
        .filter(|(p, _)| {
            let p = p.to_string_lossy();
            !p.ends_with('/') && !p.contains("var/lib/mirror") && !p.contains(".local/state")
        })
        .map(|(p, b)| (p.clone(), b.clone()))
        .collect()
}

#[test]
fn use_twice_changes_nothing_the_second_time() {
    let env = full_machine();
    let first = env.run(&["use", "ustc", "pip", "cargo", "apt", "--yes"]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    let after_first = env.tree();
    let second = env.run(&["use", "ustc", "pip", "cargo", "apt", "--yes", "--json"]);
    assert_eq!(second.code, 0, "{}", second.stderr);
    let doc = second.json();
    assert!(doc["journal"].is_null(), "no journal entry for a no-op");
    for t in doc["targets"].as_array().unwrap() {
        assert_eq!(t["status"], "unchanged", "{t}");
    }
    assert_eq!(env.tree(), after_first, "byte-identical, no new journal entry");
}

#[test]
fn restore_removes_files_that_did_not_exist() {
    let env = TestEnv::new();
    let run = env.run(&["use", "tuna", "pip", "cargo", "--yes"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(env.exists("home/.config/pip/pip.conf"));
    assert!(env.exists("home/.cargo/config.toml"));
    let run = env.run(&["restore", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let actions: Vec<String> =
        run.json()["files"].as_array().unwrap().iter().map(|f| f["action"].as_str().unwrap().to_owned()).collect();
    assert_eq!(actions, ["removed", "removed"]);
    assert!(!env.exists("home/.config/pip/pip.conf"));
    assert!(!env.exists("home/.cargo/config.toml"));
}

#[test]
fn dry_run_prints_a_diff_and_writes_nothing() {
    let env = full_machine();
    let before = env.tree();
    let run = env.run(&["use", "tuna", "pip", "--dry-run"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("--- a"), "{}", run.stdout);
    assert!(run.stdout.contains("+++ b"), "{}", run.stdout);
    assert!(run.stdout.contains("-index-url = https://pypi.org/simple"), "{}", run.stdout);
    assert!(run.stdout.contains("+index-url = https://mirrors.tuna.tsinghua.edu.cn/pypi/web/simple"), "{}", run.stdout);
    assert!(run.stdout.contains("would change"), "{}", run.stdout);
    assert_eq!(env.tree(), before, "dry-run writes and journals nothing");

    let run = env.run(&["use", "tuna", "pip", "--dry-run", "--json"]);
    let doc = run.json();
    assert_eq!(doc["dry_run"], true);
    assert!(doc["journal"].is_null());
    assert_eq!(doc["targets"][0]["status"], "changed");
    assert_eq!(env.tree(), before);
}

#[test]
fn without_a_terminal_use_needs_yes() {
    let env = full_machine();
    let before = env.tree();
    let run = env.run(&["use", "tuna", "pip"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("no terminal"), "{}", run.stderr);
    assert!(run.stderr.contains("hint: pass `--yes`"), "{}", run.stderr);
    assert_eq!(env.tree(), before);

    let run = env.run(&["use"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("no site given"), "{}", run.stderr);
}

#[test]
fn a_failed_write_rolls_back_every_file_already_written() {
    let env = full_machine();
    let before = configs(&env);
    let mut cmd = env.cmd();
    cmd.env("MIRROR_TEST_FAIL_WRITE", "uv/uv.toml");
    let run = env.run_with(&mut cmd, &["use", "tuna", "pip", "uv", "cargo", "--yes"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("could not write `[TMP]/home/.config/uv/uv.toml`"), "{}", run.stderr);
    assert!(run.stderr.contains("put back"), "{}", run.stderr);
    assert_eq!(configs(&env), before, "pip.conf was written first and must be back");
    let list = env.run(&["restore", "--list", "--json"]);
    assert_eq!(list.json()["entries"][0]["state"], "rolled-back");
    let run = env.run(&["restore"]);
    assert_eq!(run.code, 1, "a rolled-back use is nothing to restore");
}

#[test]
fn restore_refuses_a_file_edited_since_unless_forced() {
    let env = full_machine();
    assert_eq!(env.run(&["use", "tuna", "pip", "cargo", "--yes"]).code, 0);
    let edited = format!("{}# edited by hand\n", env.read("home/.config/pip/pip.conf"));
    env.write("home/.config/pip/pip.conf", &edited);
    let before = env.tree();
    let run = env.run(&["restore", "--json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("`[TMP]/home/.config/pip/pip.conf` changed after `mirror use`"), "{}", run.stderr);
    assert!(run.stderr.contains("--force"), "{}", run.stderr);
    let doc = run.json();
    let pip =
        doc["files"].as_array().unwrap().iter().find(|f| f["path"].as_str().unwrap().ends_with("pip.conf")).unwrap();
    assert_eq!(pip["action"], "refused");
    assert_eq!(env.tree(), before, "nothing restored while one file is refused");

    let run = env.run(&["restore", "--force"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(env.read("home/.config/pip/pip.conf"), PIP_CONF);
    assert_eq!(env.read("home/.cargo/config.toml"), CARGO_CONFIG);
}

#[test]
fn restore_by_id_and_list() {
    let env = full_machine();
    assert_eq!(env.run(&["use", "tuna", "pip", "--yes"]).code, 0);
    let after_tuna = env.read("home/.config/pip/pip.conf");
    assert_eq!(env.run(&["use", "ustc", "pip", "--yes"]).code, 0);
    let list = env.run(&["restore", "--list", "--json"]);
    assert_eq!(list.code, 0, "{}", list.stderr);
    let doc = list.json();
    let entries = doc["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["site"], "ustc", "newest first");
    assert_eq!(entries[1]["site"], "tuna");

    // The last `use` first, then the one before: an undo stack.
    assert_eq!(env.run(&["restore"]).code, 0);
    assert_eq!(env.read("home/.config/pip/pip.conf"), after_tuna);
    assert_eq!(env.run(&["restore"]).code, 0);
    assert_eq!(env.read("home/.config/pip/pip.conf"), PIP_CONF);
    let run = env.run(&["restore"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("nothing to restore"), "{}", run.stderr);

    let run = env.run(&["restore", "--id", "nosuch"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("no journal entry `nosuch`"), "{}", run.stderr);
}

#[test]
fn restore_dry_run_writes_nothing() {
    let env = full_machine();
    assert_eq!(env.run(&["use", "tuna", "pip", "--yes"]).code, 0);
    let before = env.tree();
    let run = env.run(&["restore", "--dry-run"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("+index-url = https://pypi.org/simple"), "{}", run.stdout);
    assert_eq!(env.tree(), before);
}

#[test]
fn journal_is_private_and_file_modes_are_kept() {
    let env = full_machine();
    let conf = env.path().join("home/.config/pip/pip.conf");
    std::fs::set_permissions(&conf, std::fs::Permissions::from_mode(0o640)).unwrap();
    assert_eq!(env.run(&["use", "tuna", "pip", "apt", "--yes"]).code, 0);
    assert_eq!(std::fs::metadata(&conf).unwrap().mode() & 0o777, 0o640);
    for dir in ["home/.local/state/mirror/journal", "root/var/lib/mirror/journal"] {
        let journal = env.path().join(dir);
        assert_eq!(std::fs::metadata(&journal).unwrap().mode() & 0o777, 0o700, "{dir}");
        for entry in std::fs::read_dir(&journal).unwrap() {
            let entry = entry.unwrap().path();
            assert_eq!(std::fs::metadata(&entry).unwrap().mode() & 0o777, 0o700);
            for file in std::fs::read_dir(&entry).unwrap() {
                let file = file.unwrap().path();
                assert_eq!(std::fs::metadata(&file).unwrap().mode() & 0o777, 0o600, "{}", file.display());
            }
        }
    }
    // No temporary files are left beside the configs.
    for dir in ["home/.config/pip", "root/etc/apt/sources.list.d"] {
        let names: Vec<String> = std::fs::read_dir(env.path().join(dir))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(names.iter().all(|n| !n.contains(".mirror-")), "{names:?}");
    }
}

#[test]
fn explicitly_named_target_the_site_does_not_serve_is_an_error() {
    let env = full_machine();
    let before = env.tree();
    let run = env.run(&["use", "bfsu", "pip", "conda", "--yes", "--json"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("conda"), "{}", run.stderr);
    let doc = run.json();
    let conda = doc["targets"].as_array().unwrap().iter().find(|t| t["target"] == "conda").unwrap();
    assert_eq!(conda["status"], "failed");
    assert_eq!(env.tree(), before, "nothing changes when a named target cannot be done");
}

#[test]
fn without_targets_only_present_ones_change_and_unserved_are_skipped() {
    let env = TestEnv::new();
    env.write("home/.config/pip/pip.conf", PIP_CONF);
    env.write("root/etc/docker/daemon.json", DAEMON_JSON);
    let run = env.run(&["use", "tuna", "--yes", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let doc = run.json();
    let status =
        |t: &str| doc["targets"].as_array().unwrap().iter().find(|x| x["target"] == t).unwrap()["status"].clone();
    assert_eq!(status("pip"), "changed");
    assert_eq!(status("docker"), "skipped", "tuna has no Docker Hub mirror");
    assert_eq!(status("cargo"), "skipped", "cargo is not on this system");
    assert!(!env.exists("home/.cargo/config.toml"));
}

#[test]
fn malformed_configs_stop_everything_and_name_the_file() {
    let cases: &[(&str, &str, &str, &[&str])] = &[
        ("pip", "home/.config/pip/pip.conf", "index-url = x\n[global]\n", &["pip.conf", "line 1"]),
        ("uv", "home/.config/uv/uv.toml", "[[index]\nurl = 1\n", &["uv.toml", "line 1"]),
        ("cargo", "home/.cargo/config.toml", "[source.crates-io]\nreplace-with = \n", &["config.toml", "line 2"]),
        ("conda", "home/.condarc", "channels:\n  - defaults\n bad: [\n", &[".condarc", "line"]),
        (
            "docker",
            "root/etc/docker/daemon.json",
            "{\n  \"log-driver\": \"json-file\",\n}\n",
            &["daemon.json", "line 3"],
        ),
        (
            "apt",
            "root/etc/apt/sources.list",
            "deb [arch=amd64 http://deb.debian.org/debian bookworm main\n",
            &["sources.list", "line 1"],
        ),
        (
            "pacman",
            "root/etc/pacman.d/mirrorlist",
            "Server https://geo.mirror.pkgbuild.com/$repo/os/$arch\n",
            &["mirrorlist", "line 1"],
        ),
        ("pip", "home/.config/pip/pip.conf", "\u{0}\u{7f}ELF\u{2}\u{1}", &["pip.conf", "binary"]),
    ];
    for (target, file, text, needles) in cases {
        let env = full_machine();
        env.write(file, text);
        let before = env.tree();
        // The broken target is named together with healthy ones: nothing at all may change.
        let site = if *target == "docker" { "upstream" } else { "tuna" };
        let run = env.run(&["use", site, target, "pip", "apt", "--yes"]);
        assert_eq!(run.code, 2, "{target}: {}", run.stderr);
        assert!(run.stderr.starts_with("error: "), "{}", run.stderr);
        for needle in *needles {
            assert!(run.stderr.contains(needle), "{target}: expected {needle:?} in\n{}", run.stderr);
        }
        assert_eq!(env.tree(), before, "{target}: no byte may change");
    }
}

#[test]
fn apt_without_ca_certificates_keeps_plain_http() {
    let env = TestEnv::new();
    env.write("root/etc/os-release", DEBIAN_12_OS_RELEASE);
    env.write("root/etc/apt/sources.list.d/debian.sources", DEBIAN_SOURCES);
    let run = env.run(&["use", "tuna", "apt", "--yes"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let written = env.read("root/etc/apt/sources.list.d/debian.sources");
    assert!(written.contains("URIs: http://mirrors.tuna.tsinghua.edu.cn/debian\n"), "{written}");
    let run = env.run(&["status", "apt", "--json"]);
    assert_eq!(run.json()["targets"][0]["site"], "tuna", "http and https of one site are the same site");
    let again = env.run(&["use", "tuna", "apt", "--yes", "--json"]);
    assert_eq!(again.json()["targets"][0]["status"], "unchanged");
}

#[test]
fn status_reports_site_files_and_overriding_variables() {
    let env = full_machine();
    assert_eq!(env.run(&["use", "tuna", "pip", "cargo", "--yes"]).code, 0);
    // Under `--root` this shell's variables are not the machine's: the files decide.
    let mut cmd = env.cmd();
    cmd.env("PIP_INDEX_URL", "https://example.invalid/simple");
    let run = env.run_with(&mut cmd, &["status", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let doc = run.json();
    let get = |t: &str| doc["targets"].as_array().unwrap().iter().find(|x| x["target"] == t).unwrap().clone();
    let pip = get("pip");
    assert_eq!(pip["present"], true);
    assert_eq!(pip["site"], "tuna");
    assert_eq!(pip["overridden_by"], serde_json::json!([]));
    assert!(pip["files"][0].as_str().unwrap().ends_with("home/.config/pip/pip.conf"));
    assert!(pip["check"].is_null());
    assert_eq!(get("cargo")["site"], "tuna");
    assert_eq!(get("apt")["site"], "upstream");
    assert_eq!(get("docker")["site"], "upstream", "no registry-mirrors: Docker Hub itself");

    // On this machine (the test root standing for it: `MIRROR_TEST_SHELL_VARS`), what pip
    // really uses is the variable, not the file.
    let mut here = env.cmd();
    here.env("MIRROR_TEST_SHELL_VARS", "1").env("PIP_INDEX_URL", "https://example.invalid/simple");
    let run = env.run_with(&mut here, &["status", "pip", "--json"]);
    let pip = run.json()["targets"][0].clone();
    assert_eq!(pip["site"], serde_json::Value::Null);
    assert_eq!(pip["url"], "https://example.invalid/simple");
    assert_eq!(pip["url_from"], "PIP_INDEX_URL");
    assert_eq!(pip["overridden_by"], serde_json::json!(["PIP_INDEX_URL"]));
    let mut here = env.cmd();
    here.env("MIRROR_TEST_SHELL_VARS", "1").env("PIP_INDEX_URL", "https://x.invalid/simple");
    let run = env.run_with(&mut here, &["status", "pip"]);
    assert!(run.stderr.contains("`PIP_INDEX_URL` is set"), "{}", run.stderr);
}

#[test]
fn status_describes_the_registry_a_variable_sets_for_every_target_that_has_one() {
    let env = full_machine();
    for (site, targets) in [("tencent", &["npm"][..]), ("aliyun", &["go", "cargo"])] {
        let mut args = vec!["use", site];
        args.extend(targets);
        args.push("--yes");
        let run = env.run(&args);
        assert_eq!(run.code, 0, "{}", run.stderr);
    }
    // On this machine (the test root standing for it), the shell points npm, Go and the Hub
    // elsewhere.
    let here = |vars: &[(&str, &str)]| {
        let mut cmd = env.cmd();
        cmd.env("MIRROR_TEST_SHELL_VARS", "1");
        for (k, v) in vars {
            cmd.env(k, v);
        }
        cmd
    };
    let vars = [
        ("npm_config_registry", "https://registry.npmmirror.com/"),
        ("GOPROXY", "https://goproxy.cn,direct"),
        ("HF_ENDPOINT", "https://hf-mirror.com"),
        ("CARGO_SOURCE_CRATES_IO_REPLACE_WITH", "corp"),
    ];
    let run = env.run_with(&mut here(&vars), &["status", "npm", "go", "huggingface", "cargo", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let doc = run.json();
    let get = |t: &str| doc["targets"].as_array().unwrap().iter().find(|x| x["target"] == t).unwrap().clone();
    for (target, var, url, site) in [
        ("npm", "npm_config_registry", "https://registry.npmmirror.com", "npmmirror"),
        ("go", "GOPROXY", "https://goproxy.cn", "goproxy-cn"),
        ("huggingface", "HF_ENDPOINT", "https://hf-mirror.com", "hf-mirror"),
    ] {
        let row = get(target);
        assert_eq!((row["url"].as_str(), row["url_from"].as_str()), (Some(url), Some(var)), "{row:#}");
        assert_eq!(row["site"], site, "{row:#}");
        assert_eq!(row["overridden_by"], serde_json::json!([var]), "{row:#}");
    }
    // cargo's variable names a source, not a URL: the URL shown is still the file's.
    let cargo = get("cargo");
    assert_eq!((cargo["site"].as_str(), cargo["url_from"].as_str()), (Some("aliyun"), Some("file")), "{cargo:#}");
    assert_eq!(cargo["overridden_by"], serde_json::json!(["CARGO_SOURCE_CRATES_IO_REPLACE_WITH"]));
    let run = env.run_with(&mut here(&vars), &["status", "go"]);
    assert!(run.stdout.contains("https://goproxy.cn  (from `GOPROXY`)"), "{}", run.stdout);
    assert!(
        run.stderr.contains("`GOPROXY` is set and takes precedence over the config file; the URL shown comes from it")
    );

    // `--check` probes what Go uses: the variable's proxy, here a loopback port nobody
    // listens on, though the file's mirror (a farm site) is fine. The farm's catalog only:
    // nothing leaves loopback.
    let farm = crate::farm::Farm::start(&[crate::farm::Spec::new("alpha")]);
    let catalog = farm.catalog().to_str().unwrap().to_owned();
    let run = env.run(&["--catalog", &catalog, "use", "alpha", "go", "--yes"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let dead = format!("http://127.0.0.1:{port}/goproxy");
    let check = ["--catalog", &catalog, "status", "go", "--check", "--json", "--timeout", "2s"];
    let run = env.run_with(&mut here(&[("GOPROXY", &dead)]), &check);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let go = run.json()["targets"][0].clone();
    assert_eq!(go["url"], dead.as_str(), "{go:#}");
    assert_eq!(go["check"]["url"], dead.as_str(), "{go:#}");
    assert_eq!(go["check"]["status"], "failed", "{go:#}");
    assert_eq!(go["check"]["best_alternative"], "alpha", "{go:#}");
    // The way out is the variable: `mirror use` would only rewrite the file it overrides.
    let advice = go["check"]["advice"].as_str().unwrap();
    assert_eq!(
        advice,
        format!(
            "`GOPROXY` sets it: point `GOPROXY` at `alpha` ({}/goproxy), or unset it and run `mirror use alpha go`",
            farm.base("alpha")
        )
    );
    // Without the variable the file's mirror is checked, and is fine.
    let run = env.run_with(&mut here(&[]), &check);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json()["targets"][0]["check"]["status"], "ok", "{}", run.stdout);
}

#[test]
fn use_upstream_goes_back_to_the_official_servers() {
    let env = full_machine();
    assert_eq!(env.run(&["use", "tuna", "pip", "cargo", "apt", "--yes"]).code, 0);
    let run = env.run(&["use", "upstream", "pip", "cargo", "apt", "--yes"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(env.read("home/.config/pip/pip.conf").contains("index-url = https://pypi.org/simple"));
    assert!(
        !env.read("home/.cargo/config.toml").contains("replace-with"),
        "cargo goes back to crates.io by dropping the replacement"
    );
    // TUNA's https stays: deb.debian.org serves https too (only `restore` gives the old bytes back).
    assert!(env.read("root/etc/apt/sources.list.d/debian.sources").contains("URIs: https://deb.debian.org/debian\n"));
}

#[test]
fn under_sudo_user_files_belong_to_the_invoking_user() {
    if !need_root("needs root to act as sudo") {
        return;
    }
    let env = TestEnv::new();
    // Only pip is named: nothing of the real system is written.
    let Some(mut cmd) = crate::machine::sudo_by_nobody(&env) else { return };
    let run = env.run_with(&mut cmd, &["use", "tuna", "pip", "--yes"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let nobody = std::fs::metadata(env.path().join("home/.config/pip/pip.conf")).unwrap();
    assert_eq!(nobody.uid(), 65534, "pip.conf belongs to the sudo user");
    assert_eq!(std::fs::metadata(env.path().join("home/.config/pip")).unwrap().uid(), 65534);
    let journal = env.path().join("home/.local/state/mirror/journal");
    assert_eq!(std::fs::metadata(&journal).unwrap().uid(), 65534, "the user journal too");
}

/// The binary run as `nobody` (uid 65534) with the test's environment, when the tests run
/// as root and `setpriv` exists; `None` otherwise.
pub fn as_nobody(env: &TestEnv) -> Option<assert_cmd::Command> {
    let setpriv = std::path::Path::new("/usr/bin/setpriv");
    if !is_root() || !setpriv.exists() {
        skip(root_tests_required(), "needs root and setpriv to run as an unprivileged user");
        return None;
    }
    std::fs::set_permissions(env.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let cmd = env.cmd();
    let mut nobody = assert_cmd::Command::new(setpriv);
    nobody.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"]).arg(cmd.get_program()).env_clear();
    for (key, value) in cmd.get_envs() {
        if let Some(v) = value {
            nobody.env(key, v);
        }
    }
    Some(nobody)
}

#[test]
fn a_system_file_without_permission_names_the_file_and_suggests_sudo() {
    let env = full_machine();
    let Some(mut nobody) = as_nobody(&env) else { return };
    let before = env.tree();
    // /etc under the root stays root's, read-only to `nobody`.
    let run = env.run_with(&mut nobody, &["use", "tuna", "apt", "--yes"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("permission denied"), "{}", run.stderr);
    assert!(run.stderr.contains("[TMP]/root/etc/apt/sources.list.d/debian.sources"), "{}", run.stderr);
    assert!(run.stderr.contains("hint: system files need root: run the same command with `sudo`"), "{}", run.stderr);
    assert_eq!(env.tree(), before, "nothing half-written, nothing journaled");
}

#[test]
fn an_unreadable_config_is_refused_and_nothing_changes() {
    let env = full_machine();
    let Some(mut nobody) = as_nobody(&env) else { return };
    // The home is root's and world-readable, but pip.conf is readable by root alone.
    std::fs::set_permissions(env.path().join("home/.config/pip/pip.conf"), std::fs::Permissions::from_mode(0o600))
        .unwrap();
    let before = env.tree();
    let run = env.run_with(&mut nobody, &["use", "tuna", "pip", "--yes"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("could not read `[TMP]/home/.config/pip/pip.conf`"), "{}", run.stderr);
    assert!(run.stderr.contains("hint: run the same command with `sudo`"), "{}", run.stderr);
    assert_eq!(env.tree(), before);
}

#[test]
fn restore_puts_the_original_mode_back() {
    let env = full_machine();
    let conf = env.path().join("home/.config/pip/pip.conf");
    std::fs::set_permissions(&conf, std::fs::Permissions::from_mode(0o644)).unwrap();
    assert_eq!(env.run(&["use", "tuna", "pip", "--yes"]).code, 0);
    std::fs::set_permissions(&conf, std::fs::Permissions::from_mode(0o600)).unwrap();
    let run = env.run(&["restore"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(std::fs::metadata(&conf).unwrap().mode() & 0o777, 0o644);
    assert_eq!(env.read("home/.config/pip/pip.conf"), PIP_CONF);
}

#[test]
fn a_failed_use_still_prints_its_json_report() {
    let env = full_machine();
    let mut cmd = env.cmd();
    cmd.env("MIRROR_TEST_FAIL_WRITE", "uv/uv.toml");
    let run = env.run_with(&mut cmd, &["use", "tuna", "pip", "uv", "--yes", "--json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let doc = run.json();
    assert!(doc["journal"].is_null());
    for t in doc["targets"].as_array().unwrap() {
        assert_eq!(t["status"], "failed", "{t}");
    }
}

/// Sets the state of every journal entry (as a crash part-way would leave it).
fn set_journal_state(env: &TestEnv, state: &str) -> String {
    let mut id = String::new();
    for dir in ["home/.local/state/mirror/journal", "root/var/lib/mirror/journal"] {
        let Ok(entries) = std::fs::read_dir(env.path().join(dir)) else { continue };
        for entry in entries {
            let manifest = entry.unwrap().path().join("manifest.json");
            let mut doc: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(&manifest).unwrap()).unwrap();
            doc["state"] = state.into();
            id = doc["id"].as_str().unwrap().to_owned();
            std::fs::write(&manifest, serde_json::to_string(&doc).unwrap()).unwrap();
        }
    }
    id
}

#[test]
fn a_use_that_never_finished_is_undone_by_a_plain_restore() {
    let env = full_machine();
    assert_eq!(env.run(&["use", "tuna", "pip", "apt", "--yes"]).code, 0);
    let id = set_journal_state(&env, "pending");
    let run = env.run(&["restore", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains(&format!("the `mirror use` of entry {id} was stopped part-way")), "{}", run.stderr);
    assert_eq!(run.json()["journal"], id.as_str());
    assert_eq!(env.read("home/.config/pip/pip.conf"), PIP_CONF);
    assert_eq!(env.read("root/etc/apt/sources.list.d/debian.sources"), DEBIAN_SOURCES);
    let list = env.run(&["restore", "--list", "--json"]);
    assert_eq!(list.json()["entries"][0]["state"], "restored");
}

#[test]
fn restore_of_a_target_picks_the_last_use_that_changed_it() {
    let env = full_machine();
    assert_eq!(env.run(&["use", "tuna", "pip", "--yes"]).code, 0);
    assert_eq!(env.run(&["use", "tuna", "cargo", "--yes"]).code, 0);
    let run = env.run(&["restore", "pip", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(env.read("home/.config/pip/pip.conf"), PIP_CONF);
    assert!(env.read("home/.cargo/config.toml").contains("replace-with"), "cargo's newer entry is untouched");
}

#[test]
fn root_restore_refuses_a_tampered_user_journal() {
    if !need_root("needs root to write files for another user") {
        return;
    }
    let env = full_machine();
    std::fs::set_permissions(env.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    env.write(
        "root/etc/passwd",
        "root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/home/nobody:/usr/sbin/nologin\n",
    );
    let pip = env.write("root/home/nobody/.config/pip/pip.conf", PIP_CONF);
    let secret = env.write("root/etc/secret", "root only\n");
    assert_eq!(env.run(&["--user", "nobody", "use", "tuna", "pip", "--yes"]).code, 0);
    // The user owns their journal and points an entry at a root-owned file.
    let journal = env.path().join("root/home/nobody/.local/state/mirror/journal");
    assert_eq!(std::fs::metadata(&journal).unwrap().uid(), 65534);
    let entry = std::fs::read_dir(&journal).unwrap().next().unwrap().unwrap().path();
    let manifest = entry.join("manifest.json");
    let text = std::fs::read_to_string(&manifest).unwrap();
    assert!(text.contains("\"~/.config/pip/pip.conf\""), "{text}");
    assert!(pip.exists());
    std::fs::write(&secret, std::fs::read(entry.join("0.after")).unwrap()).unwrap();
    // Inside the root, as the journal names files now and as earlier versions did (a host
    // path), and climbing out of the home.
    let secret_host = format!("\"{}\"", secret.display());
    for (to, says) in [
        ("\"etc/secret\"", "refusing to restore `[TMP]/root/etc/secret` as root"),
        (secret_host.as_str(), "refusing to restore `[TMP]/root/etc/secret` as root"),
        ("\"~/../../../etc/secret\"", "names files outside the root `[TMP]/root`: `~/../../../etc/secret`"),
    ] {
        std::fs::write(&manifest, text.replace("\"~/.config/pip/pip.conf\"", to)).unwrap();
        let run = env.run(&["--user", "nobody", "restore", "--force"]);
        assert_eq!(run.code, 2, "{to}: {}", run.stderr);
        assert!(run.stderr.contains(says), "{to}: {}", run.stderr);
        assert_eq!(std::fs::read(entry.join("0.after")).unwrap(), std::fs::read(&secret).unwrap(), "{to}: untouched");
    }
}

#[test]
fn restore_without_root_says_the_system_journal_needs_sudo() {
    let env = full_machine();
    assert_eq!(env.run(&["use", "tuna", "apt", "--yes"]).code, 0);
    let Some(mut nobody) = as_nobody(&env) else { return };
    let run = env.run_with(&mut nobody, &["restore", "--list"]);
    assert!(run.stderr.contains("need `sudo mirror restore`"), "{}", run.stderr);
}

/// Every journal manifest, with its path.
fn manifests(env: &TestEnv) -> Vec<(std::path::PathBuf, serde_json::Value)> {
    let mut out = Vec::new();
    for dir in ["home/.local/state/mirror/journal", "root/var/lib/mirror/journal"] {
        let Ok(entries) = std::fs::read_dir(env.path().join(dir)) else { continue };
        for entry in entries {
            let manifest = entry.unwrap().path().join("manifest.json");
            let Ok(text) = std::fs::read_to_string(&manifest) else { continue };
            out.push((manifest, serde_json::from_str(&text).unwrap()));
        }
    }
    out
}

/// Rewrites every record's `path` (and the folders it created) with `to`.
fn rewrite_paths(env: &TestEnv, to: impl Fn(&str) -> String) {
    for (manifest, mut doc) in manifests(env) {
        for file in doc["files"].as_array_mut().unwrap() {
            file["path"] = to(file["path"].as_str().unwrap()).into();
            if let Some(dirs) = file.get_mut("created_dirs").and_then(|d| d.as_array_mut()) {
                for d in dirs {
                    *d = to(d.as_str().unwrap()).into();
                }
            }
        }
        std::fs::write(&manifest, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
    }
}

/// A Debian machine with apt and pip at `rel` (a root) below the test's folder.
fn machine_at(env: &TestEnv, rel: &str) {
    env.write(&format!("{rel}/etc/os-release"), DEBIAN_12_OS_RELEASE);
    env.write(&format!("{rel}/etc/ssl/certs/ca-certificates.crt"), "");
    env.write(&format!("{rel}/etc/apt/sources.list.d/debian.sources"), DEBIAN_SOURCES);
    env.write(&format!("{rel}/root/.config/pip/pip.conf"), PIP_CONF);
}

#[test]
fn restore_finds_the_files_of_a_root_that_was_moved() {
    // An image built with `--root …/build/root`, then moved (or booted, or mounted elsewhere).
    let env = TestEnv::new();
    machine_at(&env, "build/root");
    let build = env.path().join("build/root");
    let run = env.run(&["--root", build.to_str().unwrap(), "use", "tuna", "apt", "pip", "--yes"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    std::fs::rename(env.path().join("build"), env.path().join("image")).unwrap();
    let image = env.path().join("image/root");
    let run = env.run(&["--root", image.to_str().unwrap(), "restore", "--yes", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let paths: Vec<String> =
        run.json()["files"].as_array().unwrap().iter().map(|f| f["path"].as_str().unwrap().to_owned()).collect();
    let image_text = image.display().to_string();
    assert!(paths.iter().all(|p| p.starts_with(&image_text)), "{paths:?}");
    assert_eq!(env.read("image/root/etc/apt/sources.list.d/debian.sources"), DEBIAN_SOURCES);
    assert_eq!(env.read("image/root/root/.config/pip/pip.conf"), PIP_CONF);
    assert!(!env.exists("build"), "nothing is written where the root used to be");
    // The records name the files inside the root: `etc/…` for system files, `~/…` in the home.
    let records: Vec<String> = manifests_at(&image)
        .iter()
        .flat_map(|m| m["files"].as_array().unwrap().iter().map(|f| f["path"].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(records.len(), 2, "{records:?}");
    assert!(records.contains(&"etc/apt/sources.list.d/debian.sources".to_owned()), "{records:?}");
    assert!(records.contains(&"~/.config/pip/pip.conf".to_owned()), "{records:?}");
}

/// The manifests of both journals of the machine at `root`.
fn manifests_at(root: &std::path::Path) -> Vec<serde_json::Value> {
    let mut out = Vec::new();
    for dir in ["root/.local/state/mirror/journal", "var/lib/mirror/journal"] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path().join("manifest.json")).unwrap();
            out.push(serde_json::from_str(&text).unwrap());
        }
    }
    out
}

#[test]
fn entries_that_name_host_paths_restore_inside_the_root_and_are_refused_outside_it() {
    let env = full_machine();
    let before = configs(&env);
    let root = env.root().display().to_string();
    // As earlier versions of `mirror` wrote them: absolute paths on the host.
    let host = |p: &str| match p.strip_prefix("~/") {
        Some(rest) => format!("{root}/root/{rest}"),
        None => format!("{root}/{p}"),
    };
    assert_eq!(env.run(&["use", "tuna", "apt", "pip", "--yes"]).code, 0);
    rewrite_paths(&env, host);
    let run = env.run(&["restore", "--yes"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(configs(&env), before, "an old entry of this root still restores");

    // An old entry made for a root that has moved since: its paths are outside this root.
    assert_eq!(env.run(&["use", "tuna", "apt", "pip", "--yes"]).code, 0);
    let old = env.path().join("old-place/root").display().to_string();
    rewrite_paths(&env, |p| host(p).replace(&root, &old));
    for (path, bytes) in configs(&env).into_iter().filter(|(p, _)| !env.path().join(p).is_symlink()) {
        let moved = env.path().join("old-place").join(&path);
        std::fs::create_dir_all(moved.parent().unwrap()).unwrap();
        std::fs::write(moved, bytes).unwrap();
    }
    let tree = env.tree();
    let run = env.run(&["restore", "--yes", "--force", "--json"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "names files outside the root `[TMP]/root`: `[TMP]/old-place/root/etc/apt/sources.list.d/debian.sources`, "
        ),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("hint: the entry was made for a root that was at another place"), "{}", run.stderr);
    let doc = run.json();
    assert_eq!(doc["error"]["exit"], 2, "{doc}");
    assert!(doc["files"].as_array().unwrap().iter().all(|f| f["action"] == "refused"), "{doc}");
    assert_eq!(env.tree(), tree, "nothing written, here or at the old place");
}

#[test]
fn a_use_whose_journal_fails_part_way_leaves_no_entry_behind() {
    let env = full_machine();
    let before = configs(&env);
    assert_eq!(env.run(&["use", "tuna", "apt", "pip", "--yes"]).code, 0);
    let after_tuna = configs(&env);
    // The system journal cannot be written: a file stands where its folder was. The user
    // part of the entry is made first.
    let journal = env.path().join("root/var/lib/mirror/journal");
    let aside = env.path().join("root/var/lib/mirror/journal.aside");
    std::fs::rename(&journal, &aside).unwrap();
    std::fs::write(&journal, "in the way\n").unwrap();
    let run = env.run(&["use", "ustc", "apt", "pip", "--yes"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("[TMP]/root/var/lib/mirror/journal"), "{}", run.stderr);
    assert_eq!(configs(&env), after_tuna, "nothing was written");
    let user_entries = std::fs::read_dir(env.path().join("home/.local/state/mirror/journal")).unwrap().count();
    assert_eq!(user_entries, 1, "only the entry of the first `use`");
    std::fs::remove_file(&journal).unwrap();
    std::fs::rename(&aside, &journal).unwrap();
    let run = env.run(&["restore", "--yes"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(configs(&env), before, "the first `use` is undone");
}

/// Sets the state of the journal entry `id`.
fn set_entry_state(env: &TestEnv, id: &str, state: &str) {
    for (manifest, mut doc) in manifests(env) {
        if doc["id"] == id {
            doc["state"] = state.into();
            std::fs::write(&manifest, serde_json::to_string(&doc).unwrap()).unwrap();
        }
    }
}

#[test]
fn restore_passes_over_a_pending_entry_that_wrote_nothing_and_undoes_the_one_before() {
    let env = full_machine();
    let before = configs(&env);
    let first = env.run(&["use", "tuna", "apt", "pip", "--yes", "--json"]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    let first = first.json()["journal"].as_str().unwrap().to_owned();
    let after_tuna = configs(&env);
    let second = env.run(&["use", "ustc", "apt", "pip", "--yes", "--json"]);
    assert_eq!(second.code, 0, "{}", second.stderr);
    let second = second.json()["journal"].as_str().unwrap().to_owned();
    // As a `use` stopped before its first write leaves it: pending, every file as it was.
    set_entry_state(&env, &second, "pending");
    let now = configs(&env);
    for (path, bytes) in after_tuna.iter().filter(|(p, b)| now.get(*p) != Some(*b)) {
        std::fs::write(env.path().join(path), bytes).unwrap();
    }
    assert_eq!(configs(&env), after_tuna);
    let run = env.run(&["restore", "--yes", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!("the `mirror use` of entry {second} was stopped before it wrote anything")),
        "{}",
        run.stderr
    );
    assert_eq!(run.json()["journal"], first.as_str());
    assert_eq!(configs(&env), before);
    let list = env.run(&["restore", "--list", "--json"]);
    let states: Vec<(String, String)> = list.json()["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["id"].as_str().unwrap().to_owned(), e["state"].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(states, [(second, "rolled-back".to_owned()), (first, "restored".to_owned())]);
}
