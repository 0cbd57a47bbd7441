//! Proof by the real clients for the developer targets: npm, pnpm, Yarn 1, Yarn 4, Go, gem
//! and Bundler, Maven, PDM and huggingface_hub. Each test: a tiny real repository on the
//! sandbox's loopback server, stock config files, `mirror use loop <target>`, the client
//! installs from the loopback site; `mirror restore` brings back the exact bytes and the
//! client sees its original setting again; `mirror use broken <target>` and the client fails.

use std::fs;
use std::path::Path;
use std::process::Command;

use crate::harness::{
    ChildGuard, Need, Sandbox, build, free_port, npm_prefix, read, symlink, system_python, tests_dir, tools_present,
    venv, wait_for,
};

fn debian_root(sb: &Sandbox) {
    sb.write(&sb.root.join("etc/os-release"), "ID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n");
}

/// Builds one of `dev-repos.py`'s repositories for both sites' folders: the good one filled,
/// the broken one left empty (every request a 404).
fn dev_repo(sb: &Sandbox, kind: &str, dir: &str, base: &str) {
    let py = system_python().expect("python3");
    let mut c = sb.client(py);
    c.arg(tests_dir().join("dev-repos.py")).arg(kind).arg(sb.www.join("loop").join(dir)).arg(base);
    build(&format!("{kind} repository"), &mut c);
}

fn node_tool(sb: &Sandbox, script: &str) -> Command {
    let mut c = sb.client("node");
    c.arg(npm_prefix().join("lib/node_modules").join(script)).env("npm_config_cache", sb.path("npm-cache"));
    c
}

fn project(sb: &Sandbox, name: &str) -> std::path::PathBuf {
    let dir = sb.path(name);
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join("package.json"), "{\"name\":\"rc-consumer\",\"version\":\"1.0.0\",\"private\":true}\n").unwrap();
    dir
}

// ---------------------------------------------------------------------------------------------
// npm and pnpm: `~/.npmrc`

/// A developer's `~/.npmrc`: a scope on a company registry, an auth line, settings.
const NPMRC: &str = "; npm user config\nregistry=https://registry.npmjs.org/\n@mycorp:registry=https://npm.corp.example/\n//npm.corp.example/:_authToken=${CORP_NPM_TOKEN}\nsave-exact=true\nfund=false\naudit=false\nfetch-retries=0\n";

#[test]
fn npm() {
    if !tools_present("npm", &[Need::Cmd("npm"), Need::Cmd("node")]) {
        return;
    }
    let sb = Sandbox::new("npm", None);
    debian_root(&sb);
    dev_repo(&sb, "npm", "npm", &sb.good.npm());
    let rc = sb.write(&sb.home.join(".npmrc"), NPMRC);
    let proj = project(&sb, "proj");
    let npm = |args: &[&str]| {
        let mut c = sb.client("npm");
        c.args(args).current_dir(&proj).env("npm_config_cache", sb.path("npm-cache"));
        c
    };
    let install = || {
        let _ = fs::remove_dir_all(proj.join("node_modules"));
        let _ = fs::remove_file(proj.join("package-lock.json"));
        let _ = fs::remove_dir_all(sb.path("npm-cache"));
        npm(&["install", "--no-audit", "--no-fund", "mirrortest-hello"])
    };

    sb.use_verified(&sb.good, "npm", "npm");
    eprintln!("--- written .npmrc\n{}---", read(&rc));
    let got = sb.ok("npm config get registry", &mut npm(&["config", "get", "registry"]));
    assert_eq!(got.trim(), format!("{}/", sb.good.npm()), "npm does not see the mirror");
    let scope = sb.ok("npm config get @mycorp:registry", &mut npm(&["config", "get", "@mycorp:registry"]));
    assert_eq!(scope.trim(), "https://npm.corp.example/", "the scoped registry was lost");
    sb.server.clear();
    sb.ok("npm install (mirror)", &mut install());
    assert!(proj.join("node_modules/mirrortest-hello/index.js").is_file());
    sb.assert_hit("/loop/npm/mirrortest-hello", 200);
    sb.assert_hit("/loop/npm/mirrortest-hello/-/mirrortest-hello-1.0.0.tgz", 200);
    sb.assert_only_proxied(&[]);

    sb.restore();
    assert_eq!(read(&rc), NPMRC, "restore did not bring back the exact bytes");
    sb.server.clear();
    sb.fails("npm install (restored)", &mut install());
    sb.assert_no_hit("/loop/");
    sb.assert_proxied("registry.npmjs.org");

    for site in [&sb.broken, &sb.error, &sb.wrong] {
        sb.assert_check_catches(site, "npm", "npm", &[&rc]);
    }
    assert_eq!(read(&rc), NPMRC);
    sb.use_site(&sb.broken, "npm");
    sb.server.clear();
    sb.fails("npm install (broken site)", &mut install());
    sb.assert_hit("/broken/npm/mirrortest-hello", 404);
    sb.assert_status_check_reports_failing("npm");
}

#[test]
fn pnpm() {
    if !tools_present("pnpm", &[Need::Cmd("node"), Need::NpmFile("bin/pnpm")]) {
        return;
    }
    let sb = Sandbox::new("pnpm", None);
    debian_root(&sb);
    dev_repo(&sb, "npm", "npm", &sb.good.npm());
    let rc = sb.write(&sb.home.join(".npmrc"), NPMRC);
    let proj = project(&sb, "proj");
    let pnpm = |args: &[&str]| {
        let mut c = sb.client(npm_prefix().join("bin/pnpm"));
        c.args(args).current_dir(&proj).env("npm_config_cache", sb.path("npm-cache"));
        c
    };
    let add = || {
        let _ = fs::remove_dir_all(proj.join("node_modules"));
        let _ = fs::remove_file(proj.join("pnpm-lock.yaml"));
        let _ = fs::remove_dir_all(sb.home.join(".local/share/pnpm"));
        let _ = fs::remove_dir_all(sb.home.join(".cache/pnpm"));
        pnpm(&["add", "mirrortest-hello", "--store-dir", sb.path("pnpm-store").to_str().unwrap()])
    };

    sb.use_site(&sb.good, "pnpm");
    let got = sb.ok("pnpm config get registry", &mut pnpm(&["config", "get", "registry"]));
    assert_eq!(got.trim().trim_end_matches('/'), sb.good.npm(), "pnpm does not see the mirror");
    sb.server.clear();
    sb.ok("pnpm add (mirror)", &mut add());
    assert!(proj.join("node_modules/mirrortest-hello/index.js").exists());
    sb.assert_hit("/loop/npm/mirrortest-hello/-/mirrortest-hello-1.0.0.tgz", 200);
    sb.assert_only_proxied(&[]);

    sb.restore();
    assert_eq!(read(&rc), NPMRC, "restore did not bring back the exact bytes");
    let got = sb.ok("pnpm config get registry (restored)", &mut pnpm(&["config", "get", "registry"]));
    assert_eq!(got.trim(), "https://registry.npmjs.org/");

    sb.use_site(&sb.broken, "pnpm");
    sb.server.clear();
    sb.fails("pnpm add (broken site)", &mut add());
    sb.assert_hit("/broken/npm/mirrortest-hello", 404);
}

// ---------------------------------------------------------------------------------------------
// Yarn 1 (`~/.yarnrc`) and Yarn 4 (`~/.yarnrc.yml`)

const YARNRC: &str = "# THIS IS AN AUTOGENERATED FILE. DO NOT EDIT THIS FILE DIRECTLY.\n# yarn lockfile v1\n\n\nlastUpdateCheck 1733011200000\nregistry \"https://registry.yarnpkg.com\"\n";

/// Yarn 4 refuses plain-http registries unless whitelisted: the loopback host is, as a
/// company's plain-http registry host would be.
const YARNRC_YML: &str = "# Yarn 4 user settings\nenableTelemetry: false\nenableGlobalCache: false\nnpmRegistryServer: \"https://registry.yarnpkg.com\"\nunsafeHttpWhitelist:\n  - \"127.0.0.1\"\n";

#[test]
fn yarn_classic() {
    if !tools_present("yarn_classic", &[Need::Cmd("node"), Need::NpmFile("lib/node_modules/yarn/bin/yarn.js")]) {
        return;
    }
    let sb = Sandbox::new("yarn_classic", None);
    debian_root(&sb);
    dev_repo(&sb, "npm", "npm", &sb.good.npm());
    let rc = sb.write(&sb.home.join(".yarnrc"), YARNRC);
    let proj = project(&sb, "proj");
    let yarn = |args: &[&str]| {
        let mut c = node_tool(&sb, "yarn/bin/yarn.js");
        c.args(args).current_dir(&proj).env("YARN_CACHE_FOLDER", sb.path("yarn-cache"));
        c
    };
    let add = || {
        let _ = fs::remove_dir_all(proj.join("node_modules"));
        let _ = fs::remove_dir_all(sb.path("yarn-cache"));
        yarn(&["add", "mirrortest-hello", "--no-lockfile", "--non-interactive"])
    };

    sb.use_site(&sb.good, "yarn");
    let got = sb.ok("yarn config get registry", &mut yarn(&["config", "get", "registry"]));
    assert_eq!(got.trim(), sb.good.npm(), "Yarn 1 does not see the mirror");
    sb.server.clear();
    sb.ok("yarn add (mirror)", &mut add());
    assert!(proj.join("node_modules/mirrortest-hello/index.js").is_file());
    sb.assert_hit("/loop/npm/mirrortest-hello/-/mirrortest-hello-1.0.0.tgz", 200);
    sb.assert_only_proxied(&[]);
    assert!(!sb.home.join(".yarnrc.yml").exists(), "only the Yarn 1 file existed, so only it is edited");

    sb.restore();
    assert_eq!(read(&rc), YARNRC, "restore did not bring back the exact bytes");
    let got = sb.ok("yarn config get registry (restored)", &mut yarn(&["config", "get", "registry"]));
    assert_eq!(got.trim(), "https://registry.yarnpkg.com");

    sb.use_site(&sb.broken, "yarn");
    sb.server.clear();
    sb.fails("yarn add (broken site)", &mut add());
    sb.assert_hit("/broken/npm/mirrortest-hello", 404);
}

#[test]
fn yarn_berry() {
    if !tools_present(
        "yarn_berry",
        &[Need::Cmd("node"), Need::NpmFile("lib/node_modules/@yarnpkg/cli-dist/bin/yarn.js")],
    ) {
        return;
    }
    let sb = Sandbox::new("yarn_berry", None);
    debian_root(&sb);
    dev_repo(&sb, "npm", "npm", &sb.good.npm());
    let rc = sb.write(&sb.home.join(".yarnrc.yml"), YARNRC_YML);
    let proj = project(&sb, "proj");
    let yarn = |args: &[&str]| {
        let mut c = node_tool(&sb, "@yarnpkg/cli-dist/bin/yarn.js");
        c.args(args).current_dir(&proj).env("YARN_ENABLE_TELEMETRY", "0");
        c
    };
    let add = || {
        for f in ["yarn.lock", ".pnp.cjs", ".pnp.loader.mjs"] {
            let _ = fs::remove_file(proj.join(f));
        }
        let _ = fs::remove_dir_all(proj.join(".yarn"));
        yarn(&["add", "mirrortest-hello"])
    };

    sb.use_site(&sb.good, "yarn");
    let got = sb.ok("yarn config get npmRegistryServer", &mut yarn(&["config", "get", "npmRegistryServer"]));
    assert_eq!(got.trim(), sb.good.npm(), "Yarn 4 does not see the mirror");
    sb.server.clear();
    sb.ok("yarn add (mirror)", &mut add());
    assert!(read(&proj.join("yarn.lock")).contains("mirrortest-hello@npm:1.0.0"));
    sb.assert_hit("/loop/npm/mirrortest-hello/-/mirrortest-hello-1.0.0.tgz", 200);
    sb.assert_only_proxied(&[]);
    assert!(!sb.home.join(".yarnrc").exists(), "only the Yarn 2+ file existed, so only it is edited");

    sb.restore();
    assert_eq!(read(&rc), YARNRC_YML, "restore did not bring back the exact bytes");
    let got = sb.ok("yarn config get (restored)", &mut yarn(&["config", "get", "npmRegistryServer"]));
    assert_eq!(got.trim(), "https://registry.yarnpkg.com");

    sb.use_site(&sb.broken, "yarn");
    sb.server.clear();
    sb.fails("yarn add (broken site)", &mut add());
    sb.assert_hit("/broken/npm/mirrortest-hello", 404);
}

// ---------------------------------------------------------------------------------------------
// Go: the `go env -w` file

/// What `go env -w GOPRIVATE=… GOFLAGS=…` leaves.
const GO_ENV: &str = "GOPRIVATE=git.corp.example/*\nGOFLAGS=-modcacherw\n";

#[test]
fn go() {
    if !tools_present("go", &[Need::Cmd("go")]) {
        return;
    }
    let sb = Sandbox::new("go", None);
    debian_root(&sb);
    dev_repo(&sb, "goproxy", "goproxy", "");
    let env_file = sb.write(&sb.home.join(".config/go/env"), GO_ENV);
    let go = |args: &[&str]| {
        let mut c = sb.client("go");
        // The test module is not in sum.golang.org: skip the checksum database for it only.
        c.args(args).env("GONOSUMDB", "example.com").env("GOTOOLCHAIN", "local");
        c
    };
    let download = || {
        let _ = Command::new("chmod").arg("-R").arg("u+w").arg(sb.home.join("go")).status();
        let _ = fs::remove_dir_all(sb.home.join("go"));
        go(&["mod", "download", "-json", "example.com/mirrortest/hello@v1.0.0"])
    };

    sb.use_site(&sb.good, "go");
    eprintln!("--- written go env\n{}---", read(&env_file));
    let got = sb.ok("go env GOPROXY", &mut go(&["env", "GOPROXY", "GOFLAGS", "GOENV"]));
    let lines: Vec<&str> = got.lines().collect();
    assert_eq!(lines[0], format!("{},direct", sb.good.goproxy()), "go does not see the mirror");
    assert_eq!(lines[1], "-modcacherw", "an unrelated key was lost");
    assert_eq!(Path::new(lines[2]), env_file, "go reads another file");
    sb.server.clear();
    let out = sb.ok("go mod download (mirror)", &mut download());
    assert!(out.contains("\"Zip\""), "{out}");
    sb.assert_hit("/loop/goproxy/example.com/mirrortest/hello/@v/v1.0.0.zip", 200);
    sb.assert_only_proxied(&[]);

    sb.restore();
    assert_eq!(read(&env_file), GO_ENV, "restore did not bring back the exact bytes");
    let got = sb.ok("go env GOPROXY (restored)", &mut go(&["env", "GOPROXY"]));
    assert!(!got.contains("127.0.0.1"), "{got}");

    sb.use_site(&sb.broken, "go");
    sb.server.clear();
    // `direct` after the proxy: a 404 from the proxy sends go to the origin, which is not
    // reachable here either.
    sb.fails("go mod download (broken site)", &mut download());
    sb.assert_hit("/broken/goproxy/example.com/mirrortest/hello/@v/v1.0.0.info", 404);
    sb.assert_status_check_reports_failing("go");
}

// ---------------------------------------------------------------------------------------------
// RubyGems and Bundler

const GEMRC: &str =
    "---\n:backtrace: false\n:sources:\n- https://rubygems.org/\n:update_sources: true\ngem: --no-document\n";
const BUNDLE_CONFIG: &str = "---\nBUNDLE_JOBS: \"2\"\n";

#[test]
fn gem_and_bundler() {
    if !tools_present("gem_and_bundler", &[Need::Cmd("gem"), Need::Cmd("bundle"), Need::Cmd("ruby")]) {
        return;
    }
    let sb = Sandbox::new("gem_and_bundler", None);
    debian_root(&sb);
    // A real gem and the full index `gem generate_index` writes (Bundler falls back to it
    // when the compact index is missing).
    let src = sb.path("gem-src");
    sb.write(
        &src.join("lib/mirrortest_hello.rb"),
        "module MirrortestHello\n  GREETING = \"hello from the loopback RubyGems mirror\"\nend\n",
    );
    sb.write(
        &src.join("mirrortest-hello.gemspec"),
        "Gem::Specification.new do |s|\n  s.name = \"mirrortest-hello\"\n  s.version = \"1.0.0\"\n  s.summary = \"test gem\"\n  s.authors = [\"mirror\"]\n  s.files = [\"lib/mirrortest_hello.rb\"]\n  s.license = \"MIT\"\nend\n",
    );
    let repo = sb.www.join("loop/rubygems");
    fs::create_dir_all(repo.join("gems")).unwrap();
    build("gem build", sb.client("gem").args(["build", "mirrortest-hello.gemspec"]).current_dir(&src));
    fs::copy(src.join("mirrortest-hello-1.0.0.gem"), repo.join("gems/mirrortest-hello-1.0.0.gem")).unwrap();
    build("gem generate_index", sb.client("gem").arg("generate_index").arg("--directory").arg(&repo));

    let gemrc = sb.write(&sb.home.join(".gemrc"), GEMRC);
    let bundle_config = sb.write(&sb.home.join(".bundle/config"), BUNDLE_CONFIG);
    let proj = sb.path("proj");
    sb.write(&proj.join("Gemfile"), "source \"https://rubygems.org\"\n\ngem \"mirrortest-hello\"\n");
    let gem = |args: &[&str]| {
        let mut c = sb.client("gem");
        c.args(args).current_dir(&proj);
        c
    };
    let bundle = |args: &[&str]| {
        let mut c = sb.client("bundle");
        c.args(args).current_dir(&proj).env("BUNDLE_PATH", sb.path("bundle-path")).env("BUNDLE_RETRY", "0");
        c
    };
    let install = || {
        let _ = fs::remove_file(proj.join("Gemfile.lock"));
        let _ = fs::remove_dir_all(sb.path("bundle-path"));
        bundle(&["install"])
    };

    sb.use_site(&sb.good, "rubygems");
    eprintln!("--- written .gemrc\n{}--- and bundle config\n{}---", read(&gemrc), read(&bundle_config));
    let sources = sb.ok("gem sources", &mut gem(&["sources", "--list"]));
    assert!(sources.contains(&sb.good.rubygems()) && !sources.contains("https://rubygems.org"), "{sources}");
    let mirror = sb.ok("bundle config get", &mut bundle(&["config", "get", "mirror.https://rubygems.org"]));
    assert!(mirror.contains(&sb.good.rubygems()), "Bundler does not see the mirror: {mirror}");
    sb.server.clear();
    fs::create_dir_all(sb.path("gem-fetch")).unwrap();
    sb.ok("gem fetch (mirror)", gem(&["fetch", "mirrortest-hello"]).current_dir(sb.path("gem-fetch")));
    sb.assert_hit("/loop/rubygems/gems/mirrortest-hello-1.0.0.gem", 200);
    sb.server.clear();
    sb.ok("bundle install (mirror)", &mut install());
    sb.assert_hit("/loop/rubygems/specs.4.8.gz", 200);
    sb.assert_hit("/loop/rubygems/gems/mirrortest-hello-1.0.0.gem", 200);
    sb.assert_only_proxied(&[]);

    sb.restore();
    assert_eq!(read(&gemrc), GEMRC, "restore did not bring back the exact bytes");
    assert_eq!(read(&bundle_config), BUNDLE_CONFIG, "restore did not bring back the exact bytes");
    let sources = sb.ok("gem sources (restored)", &mut gem(&["sources", "--list"]));
    assert!(sources.contains("https://rubygems.org/") && !sources.contains("127.0.0.1"), "{sources}");

    sb.use_site(&sb.broken, "rubygems");
    sb.server.clear();
    sb.fails("bundle install (broken site)", &mut install());
    sb.assert_hit("/broken/rubygems/", 404);
}

// ---------------------------------------------------------------------------------------------
// Maven

/// A developer's settings.xml: a company server's credentials and a profile.
const SETTINGS_XML: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<settings xmlns=\"http://maven.apache.org/SETTINGS/1.2.0\"\n          xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"\n          xsi:schemaLocation=\"http://maven.apache.org/SETTINGS/1.2.0 https://maven.apache.org/xsd/settings-1.2.0.xsd\">\n  <!-- credentials for the company repository -->\n  <servers>\n    <server>\n      <id>corp-releases</id>\n      <username>ci</username>\n      <password>secret</password>\n    </server>\n  </servers>\n  <profiles>\n    <profile>\n      <id>jdk17</id>\n      <properties><maven.compiler.release>17</maven.compiler.release></properties>\n    </profile>\n  </profiles>\n</settings>\n";

/// Debian's Maven repository (`/usr/share/maven-repo`) holds maven-dependency-plugin and
/// everything it needs; the loopback "central" serves it plus the test artifact.
const DEBIAN_MAVEN_REPO: &str = "/usr/share/maven-repo";
const DEPENDENCY_PLUGIN: &str = "org.apache.maven.plugins:maven-dependency-plugin:3.5.0:get";

#[test]
fn maven() {
    let needs = [
        Need::Cmd("mvn"),
        Need::Cmd("java"),
        Need::File("/usr/share/maven-repo/org/apache/maven/plugins/maven-dependency-plugin/3.5.0"),
    ];
    if !tools_present("maven", &needs) {
        return;
    }
    let sb = Sandbox::new("maven", None);
    debian_root(&sb);
    let repo = sb.www.join("loop/maven");
    for entry in fs::read_dir(DEBIAN_MAVEN_REPO).unwrap() {
        let entry = entry.unwrap();
        symlink(&entry.path(), &repo.join(entry.file_name()));
    }
    dev_repo(&sb, "maven", "maven", "");
    let settings = sb.write(&sb.home.join(".m2/settings.xml"), SETTINGS_XML);
    let get = || {
        let _ = fs::remove_dir_all(sb.path("m2-repo"));
        let local = format!("-Dmaven.repo.local={}", sb.path("m2-repo").display());
        // Java takes `~` from the password database, not `HOME`: name the sandbox's home.
        let home = format!("-Duser.home={}", sb.home.display());
        let mut c = sb.client("mvn");
        c.args([
            "-B",
            "-ntp",
            &home,
            &local,
            DEPENDENCY_PLUGIN,
            "-Dartifact=mirrortest:hello:1.0",
            "-Dtransitive=false",
        ])
        .current_dir(sb.path("tmp"));
        c
    };

    sb.use_site(&sb.good, "maven");
    let written = read(&settings);
    eprintln!("--- written settings.xml\n{written}---");
    assert!(written.contains(&format!("<url>{}</url>", sb.good.maven())), "{written}");
    sb.server.clear();
    sb.ok("mvn dependency:get (mirror)", &mut get());
    assert!(sb.path("m2-repo/mirrortest/hello/1.0/hello-1.0.jar").is_file());
    sb.assert_hit("/loop/maven/mirrortest/hello/1.0/hello-1.0.jar", 200);
    sb.assert_hit(
        "/loop/maven/org/apache/maven/plugins/maven-dependency-plugin/3.5.0/maven-dependency-plugin-3.5.0.jar",
        200,
    );
    sb.assert_only_proxied(&[]);

    sb.restore();
    assert_eq!(read(&settings), SETTINGS_XML, "restore did not bring back the exact bytes");
    sb.server.clear();
    let out = sb.fails("mvn dependency:get (restored)", &mut get());
    sb.assert_no_hit("/loop/");
    // Maven does not use the proxy variables: it tried Central itself (no DNS here).
    assert!(out.contains("https://repo.maven.apache.org/maven2"), "{out}");

    sb.use_site(&sb.broken, "maven");
    sb.server.clear();
    sb.fails("mvn dependency:get (broken site)", &mut get());
    sb.assert_hit("/broken/maven/org/apache/maven/plugins/maven-dependency-plugin/3.5.0/", 404);
    sb.assert_status_check_reports_failing("maven");
}

// ---------------------------------------------------------------------------------------------
// PDM

const PDM_CONFIG: &str = "check_update = false\n\n[pypi]\nurl = \"https://pypi.org/simple\"\nverify_ssl = true\n\n[python]\nuse_venv = true\n";

#[test]
fn pdm() {
    if !tools_present("pdm", &[Need::VenvBin("pdm")]) {
        return;
    }
    let sb = Sandbox::new("pdm", None);
    debian_root(&sb);
    let py = system_python().unwrap();
    build("PEP 503 index", sb.client(&py).arg(tests_dir().join("pypi-index.py")).arg(sb.www.join("loop/simple")));
    let conf = sb.write(&sb.home.join(".config/pdm/config.toml"), PDM_CONFIG);
    let proj = sb.path("proj");
    sb.write(
        &proj.join("pyproject.toml"),
        "[project]\nname = \"rc-consumer\"\nversion = \"0.1\"\nrequires-python = \">=3.8\"\ndependencies = [\"mirrortest-hello\"]\n\n[tool.pdm]\ndistribution = false\n",
    );
    let pdm = |args: &[&str]| {
        let mut c = sb.client(venv().join("bin/pdm"));
        c.args(args).current_dir(&proj).env("PDM_CHECK_UPDATE", "false").env("PDM_USE_VENV", "false");
        c
    };
    let lock = || {
        let _ = fs::remove_file(proj.join("pdm.lock"));
        let _ = fs::remove_dir_all(sb.home.join(".cache/pdm"));
        pdm(&["lock"])
    };

    sb.use_site(&sb.good, "pdm");
    let url = sb.ok("pdm config pypi.url", &mut pdm(&["config", "pypi.url"]));
    assert_eq!(url.trim(), sb.good.pypi(), "PDM does not see the mirror");
    sb.server.clear();
    sb.ok("pdm lock (mirror)", &mut lock());
    assert!(read(&proj.join("pdm.lock")).contains("name = \"mirrortest-hello\""));
    sb.assert_hit("/loop/simple/mirrortest-hello/", 200);
    sb.assert_only_proxied(&[]);

    sb.restore();
    assert_eq!(read(&conf), PDM_CONFIG, "restore did not bring back the exact bytes");
    let url = sb.ok("pdm config pypi.url (restored)", &mut pdm(&["config", "pypi.url"]));
    assert_eq!(url.trim(), "https://pypi.org/simple");

    sb.use_site(&sb.broken, "pdm");
    sb.server.clear();
    sb.fails("pdm lock (broken site)", &mut lock());
    sb.assert_hit("/broken/simple/mirrortest-hello/", 404);
}

// ---------------------------------------------------------------------------------------------
// huggingface_hub: `HF_ENDPOINT` from mirror's env file, through the login shell

const PROFILE: &str = "# ~/.profile: executed by the command interpreter for login shells.\nif [ -n \"$BASH_VERSION\" ]; then\n    if [ -f \"$HOME/.bashrc\" ]; then\n\t. \"$HOME/.bashrc\"\n    fi\nfi\n";

#[test]
fn huggingface_hub() {
    if !tools_present("huggingface_hub", &[Need::VenvModules("huggingface_hub"), Need::Cmd("sh")]) {
        return;
    }
    let sb = Sandbox::new("huggingface_hub", None);
    debian_root(&sb);
    let port = free_port();
    let log = sb.path("hub.log");
    let hub_url = format!("http://127.0.0.1:{port}");
    let _hub = ChildGuard::spawn(
        "hf-server",
        sb.client(system_python().unwrap()).arg(tests_dir().join("hf-server.py")).arg(port.to_string()).arg(&log),
    );
    wait_for("the Hub server", std::time::Duration::from_secs(10), || {
        std::net::TcpStream::connect(("127.0.0.1", port)).ok()
    });
    // The sites' Hub endpoints are that server's /loop and /broken.
    for site in ["loop", "broken"] {
        let file = sb.catalog.join(format!("{site}.toml"));
        let text = read(&file).replace("huggingface = \"{base}/hf\"", &format!("huggingface = \"{hub_url}/{site}\""));
        fs::write(&file, text).unwrap();
    }
    let profile = sb.write(&sb.home.join(".profile"), PROFILE);
    let hub_log = || fs::read_to_string(&log).unwrap_or_default();
    // A login shell, as a user's terminal starts: it sources ~/.profile, which sources env.sh.
    let download = || {
        let _ = fs::remove_dir_all(sb.path("hf-home"));
        let script = format!(
            "{} -c \"import os; from huggingface_hub import hf_hub_download; print(os.environ.get('HF_ENDPOINT')); p = hf_hub_download('mirrortest/hello', 'config.json'); print(open(p).read())\"",
            venv().join("bin/python").display()
        );
        let mut c = sb.client("sh");
        c.args(["-l", "-c", &script])
            .env("HF_HOME", sb.path("hf-home"))
            .env("HF_HUB_DISABLE_TELEMETRY", "1")
            .env("HF_HUB_ETAG_TIMEOUT", "5");
        c
    };

    sb.use_site(&sb.good, "huggingface");
    eprintln!("--- env.sh\n{}---", read(&sb.home.join(".config/mirror/env.sh")));
    let out = sb.ok("hf_hub_download (mirror)", &mut download());
    assert!(out.contains(&format!("{hub_url}/loop")), "the login shell has no HF_ENDPOINT: {out}");
    assert!(out.contains("hello from the loopback Hub"), "{out}");
    assert!(hub_log().contains("GET /loop/mirrortest/hello/resolve/main/config.json 200"), "{}", hub_log());

    sb.restore();
    assert_eq!(read(&profile), PROFILE, "restore did not bring back the exact bytes");
    assert!(!sb.home.join(".config/mirror/env.sh").exists(), "the env file `mirror` created is gone");
    sb.server.clear();
    let out = sb.fails("hf_hub_download (restored)", &mut download());
    assert!(out.contains("None"), "HF_ENDPOINT is still set: {out}");
    sb.assert_proxied("huggingface.co");

    sb.use_site(&sb.broken, "huggingface");
    let before = hub_log().len();
    sb.fails("hf_hub_download (broken site)", &mut download());
    assert!(hub_log()[before..].contains("/broken/mirrortest/hello/resolve/main/config.json 404"), "{}", hub_log());
}

// ---------------------------------------------------------------------------------------------
// rustup: `RUSTUP_DIST_SERVER` from mirror's env file, through the login shell

#[test]
fn rustup() {
    if !tools_present("rustup", &[Need::Cmd("rustup"), Need::Cmd("sh")]) {
        return;
    }
    let sb = Sandbox::new("rustup", None);
    debian_root(&sb);
    dev_repo(&sb, "rustup", "rustup", "");
    let bashrc = sb.write(&sb.home.join(".bashrc"), "# ~/.bashrc\nHISTCONTROL=ignoreboth\n");
    let profile = sb.write(&sb.home.join(".profile"), PROFILE);
    let rustup = crate::harness::which("rustup").unwrap();
    // A login shell, as a user's terminal starts: ~/.profile sources env.sh. rustup gets a
    // home of its own in the sandbox.
    let install = || {
        let _ = fs::remove_dir_all(sb.path("rustup-home"));
        let script = format!(
            "echo \"dist=$RUSTUP_DIST_SERVER\"; {r} toolchain install stable --profile minimal --no-self-update && {r} run stable rustc --version",
            r = rustup.display()
        );
        let mut c = sb.client("sh");
        c.args(["-l", "-c", &script])
            .env("RUSTUP_HOME", sb.path("rustup-home"))
            .env("CARGO_HOME", sb.path("cargo-home"))
            .env_remove("RUSTUP_TOOLCHAIN")
            .env("RUSTUP_MAX_RETRIES", "0");
        c
    };

    sb.use_site(&sb.good, "rustup");
    eprintln!("--- env.sh\n{}---", read(&sb.home.join(".config/mirror/env.sh")));
    let out = sb.ok("rustup toolchain install (mirror)", &mut install());
    assert!(out.contains(&format!("dist={}/rustup", sb.good.base)), "the login shell has no RUSTUP_DIST_SERVER: {out}");
    assert!(out.contains("rustc 1.83.0 (from the loopback rustup mirror)"), "{out}");
    sb.assert_hit("/loop/rustup/dist/channel-rust-stable.toml", 200);
    // The manifest names static.rust-lang.org; rustup fetched the component from the mirror.
    sb.assert_hit("/loop/rustup/dist/2024-12-01/rustc-1.83.0-x86_64-unknown-linux-gnu.tar.gz", 200);
    sb.assert_only_proxied(&[]);

    sb.restore();
    assert_eq!(read(&profile), PROFILE, "restore did not bring back the exact bytes");
    assert!(read(&bashrc).ends_with("HISTCONTROL=ignoreboth\n"));
    sb.server.clear();
    sb.fails("rustup toolchain install (restored)", &mut install());
    sb.assert_no_hit("/loop/");
    sb.assert_proxied("static.rust-lang.org");

    sb.use_site(&sb.broken, "rustup");
    sb.server.clear();
    sb.fails("rustup toolchain install (broken site)", &mut install());
    sb.assert_hit("/broken/rustup/dist/channel-rust-stable.toml", 404);
    sb.assert_status_check_reports_failing("rustup");
}
