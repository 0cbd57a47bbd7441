//! Every fixture in `tests/fixtures/`, through the binary: `use tuna` then `restore` gives the
//! exact original bytes, `use` twice changes nothing the second time, and every malformed file
//! stops the command with the file named and nothing changed.

use crate::support::TestEnv;

const DEBIAN_12: &str = "ID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n";
const DEBIAN_11: &str = "ID=debian\nVERSION_ID=\"11\"\nVERSION_CODENAME=bullseye\n";
const DEBIAN_13: &str = "ID=debian\nVERSION_ID=\"13\"\nVERSION_CODENAME=trixie\n";
const DEBIAN_SID: &str = "ID=debian\nVERSION_CODENAME=forky\n";
const UBUNTU_2404: &str =
    "ID=ubuntu\nID_LIKE=debian\nVERSION_ID=\"24.04\"\nVERSION_CODENAME=noble\nUBUNTU_CODENAME=noble\n";
const UBUNTU_2204: &str =
    "ID=ubuntu\nID_LIKE=debian\nVERSION_ID=\"22.04\"\nVERSION_CODENAME=jammy\nUBUNTU_CODENAME=jammy\n";
const POP_2204: &str =
    "ID=pop\nID_LIKE=\"ubuntu debian\"\nVERSION_ID=\"22.04\"\nVERSION_CODENAME=jammy\nUBUNTU_CODENAME=jammy\n";
const KALI: &str = "ID=kali\nID_LIKE=debian\nVERSION_ID=\"2024.4\"\nVERSION_CODENAME=kali-rolling\n";
const RASPBIAN_12: &str = "ID=raspbian\nID_LIKE=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n";
const ARCH: &str = "NAME=\"Arch Linux\"\nID=arch\n";
const ALARM: &str = "NAME=\"Arch Linux ARM\"\nID=archarm\nID_LIKE=arch\n";

/// A fixture placed at `dest` (relative to the test folder) on a system described by
/// `os_release` and `arch`.
struct Case {
    target: &'static str,
    fixture: &'static str,
    dest: &'static str,
    os_release: &'static str,
    arch: &'static str,
}

const fn good(
    target: &'static str,
    fixture: &'static str,
    dest: &'static str,
    os: &'static str,
    arch: &'static str,
) -> Case {
    Case { target, fixture, dest, os_release: os, arch }
}

const fn bad(target: &'static str, fixture: &'static str, dest: &'static str, os: &'static str) -> Case {
    Case { target, fixture, dest, os_release: os, arch: "amd64" }
}

const SOURCES_D: &str = "root/etc/apt/sources.list.d/";

const CASES: &[Case] = &[
    good("apt", "apt/debian12-container.sources", "root/etc/apt/sources.list.d/debian.sources", DEBIAN_12, "amd64"),
    good("apt", "apt/debian11.list", "root/etc/apt/sources.list", DEBIAN_11, "amd64"),
    good("apt", "apt/debian12-signed.list", "root/etc/apt/sources.list", DEBIAN_12, "amd64"),
    good("apt", "apt/debian13-inline-key.sources", "root/etc/apt/sources.list.d/debian.sources", DEBIAN_13, "amd64"),
    good("apt", "apt/debian-sid-container.sources", "root/etc/apt/sources.list.d/debian.sources", DEBIAN_SID, "amd64"),
    good("apt", "apt/ubuntu2404-amd64.sources", "root/etc/apt/sources.list.d/ubuntu.sources", UBUNTU_2404, "amd64"),
    good("apt", "apt/ubuntu2404-arm64.sources", "root/etc/apt/sources.list.d/ubuntu.sources", UBUNTU_2404, "arm64"),
    good("apt", "apt/ubuntu2204.list", "root/etc/apt/sources.list", UBUNTU_2204, "amd64"),
    good("apt", "apt/mixed.sources", "root/etc/apt/sources.list.d/debian.sources", DEBIAN_12, "amd64"),
    good("apt", "apt/kicksecure-trixie.sources", "root/etc/apt/sources.list.d/debian.sources", DEBIAN_13, "amd64"),
    good("apt", "apt/apt-cacher-ng.list", "root/etc/apt/sources.list", DEBIAN_12, "amd64"),
    good("apt", "apt/apt-cacher-ng-compose.sources", "root/etc/apt/sources.list.d/debian.sources", DEBIAN_12, "amd64"),
    good("apt", "apt/popos2204-system.sources", "root/etc/apt/sources.list.d/system.sources", POP_2204, "amd64"),
    good(
        "apt",
        "apt/ubuntu2404-one-stanza.sources",
        "root/etc/apt/sources.list.d/ubuntu.sources",
        UBUNTU_2404,
        "amd64",
    ),
    good("apt", "apt/debian12-proposed-updates.list", "root/etc/apt/sources.list", DEBIAN_12, "amd64"),
    good("apt", "apt/debian12-two-mirrors.sources", "root/etc/apt/sources.list.d/debian.sources", DEBIAN_12, "amd64"),
    good("apt", "apt/ubuntu2204-two-mirrors.list", "root/etc/apt/sources.list", UBUNTU_2204, "amd64"),
    good("apt", "apt/debian12-ustc-https.list", "root/etc/apt/sources.list", DEBIAN_12, "amd64"),
    good("apt", "apt/kali-rolling.list", "root/etc/apt/sources.list", KALI, "amd64"),
    good("apt", "apt/raspbian-bookworm.list", "root/etc/apt/sources.list", RASPBIAN_12, "armhf"),
    good("apt", "apt/rpios64-bookworm.list", "root/etc/apt/sources.list", DEBIAN_12, "arm64"),
    good("pacman", "pacman/stock.mirrorlist", "root/etc/pacman.d/mirrorlist", ARCH, "amd64"),
    good("pacman", "pacman/reflector.mirrorlist", "root/etc/pacman.d/mirrorlist", ARCH, "amd64"),
    good("pacman", "pacman/alarm.mirrorlist", "root/etc/pacman.d/mirrorlist", ALARM, "arm64"),
    good("docker", "docker/two-spaces.json", "root/etc/docker/daemon.json", DEBIAN_12, "amd64"),
    good("docker", "docker/tabs.json", "root/etc/docker/daemon.json", DEBIAN_12, "amd64"),
    good("docker", "docker/one-line.json", "root/etc/docker/daemon.json", DEBIAN_12, "amd64"),
    good("docker", "docker/four-spaces-with-mirrors.json", "root/etc/docker/daemon.json", DEBIAN_12, "amd64"),
    good("docker", "docker/inline-k8s.json", "root/etc/docker/daemon.json", DEBIAN_12, "amd64"),
    good("docker", "docker/three-spaces.json", "root/etc/docker/daemon.json", DEBIAN_12, "amd64"),
    good("docker", "docker/compact.json", "root/etc/docker/daemon.json", DEBIAN_12, "amd64"),
    good("docker", "docker/bom.json", "root/etc/docker/daemon.json", DEBIAN_12, "amd64"),
    good("pip", "pip/pip.conf", PIP_CONF, DEBIAN_12, "amd64"),
    good("pip", "pip/index_url.conf", PIP_CONF, DEBIAN_12, "amd64"),
    good("pip", "pip/no-global.conf", PIP_CONF, DEBIAN_12, "amd64"),
    good("pip", "pip/http-trusted.conf", PIP_CONF, DEBIAN_12, "amd64"),
    good("pip", "pip/devpi-both-sections.conf", PIP_CONF, DEBIAN_12, "amd64"),
    good("pip", "pip/legacy-pip.conf", "home/.pip/pip.conf", DEBIAN_12, "amd64"),
    good("uv", "uv/uv.toml", UV_TOML, DEBIAN_12, "amd64"),
    good("uv", "uv/deprecated.toml", UV_TOML, DEBIAN_12, "amd64"),
    good("uv", "uv/named-index.toml", UV_TOML, DEBIAN_12, "amd64"),
    good("uv", "uv/inline-index.toml", UV_TOML, DEBIAN_12, "amd64"),
    good("uv", "uv/pip-only.toml", UV_TOML, DEBIAN_12, "amd64"),
    good("conda", "conda/condarc", CONDARC, DEBIAN_12, "amd64"),
    good("conda", "conda/flow.condarc", CONDARC, DEBIAN_12, "amd64"),
    good("conda", "conda/minimal.condarc", CONDARC, DEBIAN_12, "amd64"),
    good("conda", "conda/ustc-style.condarc", CONDARC, DEBIAN_12, "amd64"),
    good("conda", "conda/literal-channels.condarc", CONDARC, DEBIAN_12, "amd64"),
    good("conda", "conda/config-add.condarc", CONDARC, DEBIAN_12, "amd64"),
    good("conda", "conda/mirrored.condarc", CONDARC, DEBIAN_12, "amd64"),
    good("cargo", "cargo/config.toml", CARGO_CONFIG, DEBIAN_12, "amd64"),
    good("cargo", "cargo/dotted.toml", CARGO_CONFIG, DEBIAN_12, "amd64"),
    good("cargo", "cargo/git-index.toml", CARGO_CONFIG, DEBIAN_12, "amd64"),
    good("cargo", "cargo/ustc.toml", CARGO_CONFIG, DEBIAN_12, "amd64"),
    good("cargo", "cargo/own-tuna.toml", CARGO_CONFIG, DEBIAN_12, "amd64"),
    good("cargo", "cargo/config.toml", "home/.cargo/config", DEBIAN_12, "amd64"),
];

const PIP_CONF: &str = "home/.config/pip/pip.conf";
const UV_TOML: &str = "home/.config/uv/uv.toml";
const CONDARC: &str = "home/.condarc";
const CARGO_CONFIG: &str = "home/.cargo/config.toml";

fn fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn setup(case: &Case) -> TestEnv {
    let env = TestEnv::new();
    env.write("root/etc/os-release", case.os_release);
    env.write(case.dest, fixture(case.fixture));
    // A third-party list beside the distribution's must never change.
    if case.target == "apt" {
        env.write(&format!("{SOURCES_D}nodesource.list"), fixture("apt/nodesource.list"));
    }
    env
}

/// Sites that serve the case's target here: docker needs a site with a Docker Hub mirror.
fn sites_for(case: &Case) -> (&'static str, &'static str) {
    if case.target == "docker" { ("upstream", "upstream") } else { ("tuna", "ustc") }
}

#[test]
fn use_then_restore_is_byte_identical_for_every_fixture() {
    for case in CASES.iter() {
        let env = setup(case);
        let (site, _) = sites_for(case);
        let before = env.tree();
        let mut cmd = env.cmd();
        cmd.env("MIRROR_ARCH", case.arch);
        let run = env.run_with(&mut cmd, &["use", site, case.target, "--yes", "--json"]);
        assert_eq!(run.code, 0, "{}: {}", case.fixture, run.stderr);
        let status = run.json()["targets"][0]["status"].as_str().unwrap().to_owned();
        assert!(status == "changed" || site == "upstream", "{}: {status}", case.fixture);
        let mut cmd = env.cmd();
        cmd.env("MIRROR_ARCH", case.arch);
        let restore = env.run_with(&mut cmd, &["restore"]);
        if status == "changed" {
            assert_eq!(restore.code, 0, "{}: {}", case.fixture, restore.stderr);
        }
        let after = env.tree();
        for (path, bytes) in before.iter() {
            assert_eq!(after.get(path), Some(bytes), "{}: {} differs after restore", case.fixture, path.display());
        }
    }
}

#[test]
fn use_twice_is_a_no_op_and_switching_sites_does_not_pile_up() {
    for case in CASES.iter() {
        let (first, second) = sites_for(case);
        let env = setup(case);
        let run = |site: &str| {
            let mut cmd = env.cmd();
            cmd.env("MIRROR_ARCH", case.arch);
            env.run_with(&mut cmd, &["use", site, case.target, "--yes", "--json"])
        };
        assert_eq!(run(second).code, 0, "{}", case.fixture);
        let direct = env.read(case.dest);
        let twice = run(second);
        assert_eq!(twice.code, 0, "{}", case.fixture);
        assert_eq!(twice.json()["targets"][0]["status"], "unchanged", "{}", case.fixture);
        assert_eq!(env.read(case.dest), direct, "{}", case.fixture);

        let env2 = setup(case);
        let run2 = |site: &str| {
            let mut cmd = env2.cmd();
            cmd.env("MIRROR_ARCH", case.arch);
            env2.run_with(&mut cmd, &["use", site, case.target, "--yes"])
        };
        assert_eq!(run2(first).code, 0, "{}", case.fixture);
        assert_eq!(run2(second).code, 0, "{}", case.fixture);
        // A cargo config already on the second site through the user's own table is left as
        // it is directly, while through the first site `mirror`'s table takes over; conda keeps
        // `default_channels` when the second site does not serve `pkgs/*`: the settings
        // match, the bytes may not.
        if case.target != "conda" && case.fixture != "cargo/ustc.toml" {
            let via_first = env2.read(case.dest);
            assert_eq!(via_first, direct, "{}: {first} then {second} must equal {second} directly", case.fixture);
        }
        let status = env2.run_with(env2.cmd().env("MIRROR_ARCH", case.arch), &["status", case.target, "--json"]);
        assert_eq!(status.json()["targets"][0]["site"], second, "{}: status after switching", case.fixture);
    }
}

#[test]
fn third_party_apt_lists_are_never_touched() {
    let case = &CASES[0];
    let env = setup(case);
    env.write(&format!("{SOURCES_D}deadsnakes.list"), fixture("apt/deadsnakes-ubuntu-ppa-jammy.list"));
    let run = env.run(&["use", "tuna", "apt", "--yes"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(env.read(&format!("{SOURCES_D}nodesource.list")).as_bytes(), fixture("apt/nodesource.list"));
    assert_eq!(
        env.read(&format!("{SOURCES_D}deadsnakes.list")).as_bytes(),
        fixture("apt/deadsnakes-ubuntu-ppa-jammy.list")
    );
}

#[test]
fn malformed_fixtures_are_refused_with_file_and_line() {
    let cases = [
        bad("apt", "apt/malformed-unterminated.list", "root/etc/apt/sources.list", DEBIAN_12),
        bad("apt", "apt/malformed-no-suite.list", "root/etc/apt/sources.list", DEBIAN_12),
        bad("apt", "apt/malformed-exact-path.list", "root/etc/apt/sources.list", DEBIAN_12),
        bad("apt", "apt/malformed-field.sources", "root/etc/apt/sources.list.d/debian.sources", DEBIAN_12),
        bad("apt", "apt/malformed-no-uris.sources", "root/etc/apt/sources.list.d/debian.sources", DEBIAN_12),
        bad("apt", "apt/malformed-no-scheme.list", "root/etc/apt/sources.list", DEBIAN_12),
        bad("apt", "apt/debian12-cloud-mirror-list.sources", "root/etc/apt/sources.list.d/debian.sources", DEBIAN_12),
        bad("apt", "apt/debian12-upgrading-to-trixie.list", "root/etc/apt/sources.list", DEBIAN_12),
        bad("apt", "apt/debian13-half-upgraded.list", "root/etc/apt/sources.list", DEBIAN_13),
        bad(
            "apt",
            "apt/ubuntu2404-leftover-oracular.sources",
            "root/etc/apt/sources.list.d/ubuntu.sources",
            UBUNTU_2404,
        ),
        bad("pacman", "pacman/malformed.mirrorlist", "root/etc/pacman.d/mirrorlist", ARCH),
        bad("docker", "docker/trailing-comma.json", "root/etc/docker/daemon.json", DEBIAN_12),
        bad("docker", "docker/top-array.json", "root/etc/docker/daemon.json", DEBIAN_12),
        bad("docker", "docker/mirrors-string.json", "root/etc/docker/daemon.json", DEBIAN_12),
        bad("docker", "docker/duplicate-key.json", "root/etc/docker/daemon.json", DEBIAN_12),
        bad("pip", "pip/malformed.conf", PIP_CONF, DEBIAN_12),
        bad("pip", "pip/upper-global.conf", PIP_CONF, DEBIAN_12),
        bad("pip", "pip/bom.conf", PIP_CONF, DEBIAN_12),
        bad("uv", "uv/malformed.toml", UV_TOML, DEBIAN_12),
        bad("conda", "conda/malformed.condarc", CONDARC, DEBIAN_12),
        bad("conda", "conda/tab-after-dash.condarc", CONDARC, DEBIAN_12),
        bad("conda", "conda/vertical-tab.condarc", CONDARC, DEBIAN_12),
        bad("cargo", "cargo/malformed.toml", CARGO_CONFIG, DEBIAN_12),
    ];
    for case in &cases {
        let env = setup(case);
        let (site, _) = sites_for(case);
        let before = env.tree();
        let run = env.run_with(env.cmd().env("MIRROR_ARCH", case.arch), &["use", site, case.target, "--yes"]);
        assert_eq!(run.code, 2, "{}: {}", case.fixture, run.stderr);
        let file = case.dest.rsplit('/').next().unwrap();
        assert!(run.stderr.contains(file), "{}: file not named:\n{}", case.fixture, run.stderr);
        assert!(run.stderr.contains(" line "), "{}: line not named:\n{}", case.fixture, run.stderr);
        assert_eq!(env.tree(), before, "{}: nothing may change", case.fixture);
    }
}
