//! apt on real machines and real files (issue 9, items 7 to 15): Kicksecure over Tor,
//! apt-cacher-ng, one stanza holding security suites, proposed-updates, half-finished release
//! upgrades, mirrors that collapse into duplicates, https, bad URIs, Raspbian and end-of-life
//! releases; and Kali and Raspberry Pi OS (issue 13). Each test runs the binary on a fake root
//! holding the file as the system has it.

use crate::support::{Run, TestEnv};

const DEBIAN_12: &str = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nVERSION=\"12 (bookworm)\"\nVERSION_CODENAME=bookworm\nID=debian\n";
const DEBIAN_13: &str = "PRETTY_NAME=\"Debian GNU/Linux 13 (trixie)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"13\"\nVERSION=\"13 (trixie)\"\nVERSION_CODENAME=trixie\nID=debian\n";
/// Debian 7 wrote no `VERSION_CODENAME`.
const DEBIAN_7: &str = "PRETTY_NAME=\"Debian GNU/Linux 7 (wheezy)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"7\"\nVERSION=\"7 (wheezy)\"\nID=debian\n";
const UBUNTU_2404: &str = "PRETTY_NAME=\"Ubuntu 24.04.1 LTS\"\nNAME=\"Ubuntu\"\nVERSION_ID=\"24.04\"\nVERSION=\"24.04.1 LTS (Noble Numbat)\"\nVERSION_CODENAME=noble\nID=ubuntu\nID_LIKE=debian\nUBUNTU_CODENAME=noble\n";
const UBUNTU_2204: &str = "PRETTY_NAME=\"Ubuntu 22.04.4 LTS\"\nNAME=\"Ubuntu\"\nVERSION_ID=\"22.04\"\nVERSION=\"22.04.4 LTS (Jammy Jellyfish)\"\nVERSION_CODENAME=jammy\nID=ubuntu\nID_LIKE=debian\nUBUNTU_CODENAME=jammy\n";
const POP_2204: &str = "NAME=\"Pop!_OS\"\nVERSION=\"22.04 LTS\"\nID=pop\nID_LIKE=\"ubuntu debian\"\nPRETTY_NAME=\"Pop!_OS 22.04 LTS\"\nVERSION_ID=\"22.04\"\nVERSION_CODENAME=jammy\nUBUNTU_CODENAME=jammy\n";
const RASPBIAN_12: &str = "PRETTY_NAME=\"Raspbian GNU/Linux 12 (bookworm)\"\nNAME=\"Raspbian GNU/Linux\"\nVERSION_ID=\"12\"\nVERSION=\"12 (bookworm)\"\nVERSION_CODENAME=bookworm\nID=raspbian\nID_LIKE=debian\n";

const LIST: &str = "root/etc/apt/sources.list";
const D: &str = "root/etc/apt/sources.list.d/";

fn fixture(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/apt").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A machine with `os_release`, CA certificates (unless `ca` is false) and `files` under
/// `/etc/apt` (`(path below the test folder, fixture name)`).
fn machine(os_release: &str, ca: bool, files: &[(&str, &str)]) -> TestEnv {
    let env = TestEnv::new();
    env.write("root/etc/os-release", os_release);
    if ca {
        env.write("root/etc/ssl/certs/ca-certificates.crt", "");
    }
    std::fs::create_dir_all(env.path().join(D)).unwrap();
    for (dest, name) in files {
        env.write(dest, fixture(name));
    }
    env
}

fn apt(env: &TestEnv, args: &[&str], arch: &str) -> Run {
    let mut cmd = env.cmd();
    cmd.env("MIRROR_ARCH", arch);
    let mut all = args.to_vec();
    all.extend(["apt", "--yes"]);
    env.run_with(&mut cmd, &all)
}

fn ok(env: &TestEnv, args: &[&str]) -> Run {
    let run = apt(env, args, "amd64");
    assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
    run
}

/// `use` stops with exit 2, the message holding every one of `needles`, and no byte changed.
fn refused(env: &TestEnv, args: &[&str], needles: &[&str]) -> Run {
    let before = env.tree();
    let run = apt(env, args, "amd64");
    assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
    assert!(run.stderr.starts_with("error: "), "{}", run.stderr);
    for needle in needles {
        assert!(run.stderr.contains(needle), "expected {needle:?} in\n{}", run.stderr);
    }
    assert_eq!(env.tree(), before, "no byte may change");
    run
}

/// `restore`, once per `use` that changed something, gives back the exact bytes of every
/// file.
fn restores(env: &TestEnv, files: &[(&str, &str)]) {
    let first = env.run(&["restore"]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    while env.run(&["restore"]).code == 0 {}
    for (dest, name) in files {
        assert_eq!(env.read(dest), fixture(name), "{dest}");
    }
}

// ---- 7: Tor and other transports ----

#[test]
fn kicksecure_over_tor_keeps_tor_and_generates_nothing() {
    let files = [("root/etc/apt/sources.list.d/debian.sources", "kicksecure-trixie.sources")];
    let env = machine(DEBIAN_13, true, &files);
    ok(&env, &["use", "tuna"]);
    assert!(!env.exists(LIST), "no clear-net sources.list beside the Tor sources");
    let text = env.read(files[0].0);
    let expected = fixture(files[0].1)
        .replacen(
            "URIs: tor+https://deb.debian.org/debian\nSuites: trixie trixie-updates trixie-backports\nComponents: main contrib non-free non-free-firmware\nEnabled: yes",
            "URIs: tor+https://mirrors.tuna.tsinghua.edu.cn/debian\nSuites: trixie trixie-updates trixie-backports\nComponents: main contrib non-free non-free-firmware\nEnabled: yes",
            1,
        )
        .replace(
            "Types: deb-src\nURIs: tor+https://deb.debian.org/debian\n",
            "Types: deb-src\nURIs: tor+https://mirrors.tuna.tsinghua.edu.cn/debian\n",
        );
    assert_eq!(text, expected, "only the archive's host changes; security, fasttrack and the onion services stay");
    // Back to the official server: the very same file.
    ok(&env, &["use", "upstream"]);
    assert_eq!(env.read(files[0].0), fixture(files[0].1));
    ok(&env, &["use", "ustc"]);
    restores(&env, &files);
}

#[test]
fn a_mirror_list_is_refused_rather_than_doubled() {
    // Debian's cloud images take their servers from /etc/apt/mirrors/*.list.
    let env = machine(
        DEBIAN_12,
        true,
        &[("root/etc/apt/sources.list.d/debian.sources", "debian12-cloud-mirror-list.sources")],
    );
    env.write("root/etc/apt/mirrors/debian.list", "https://deb.debian.org/debian\n");
    refused(
        &env,
        &["use", "tuna"],
        &["[TMP]/root/etc/apt/sources.list.d/debian.sources` line 1", "mirror+file:///etc/apt/mirrors/debian.list"],
    );
}

// ---- 8: apt-cacher-ng ----

#[test]
fn apt_cacher_ng_stays_in_front_of_the_mirror() {
    let files = [(LIST, "apt-cacher-ng.list")];
    let env = machine(DEBIAN_12, true, &files);
    ok(&env, &["use", "tuna"]);
    assert_eq!(
        env.read(LIST),
        fixture("apt-cacher-ng.list").replace(
            "http://localhost:3142/ftp.fr.debian.org/debian/",
            "http://localhost:3142/HTTPS///mirrors.tuna.tsinghua.edu.cn/debian/"
        ),
        "only the upstream behind the cache changes; security stays official, through the cache"
    );
    ok(&env, &["use", "upstream"]);
    assert_eq!(
        env.read(LIST),
        fixture("apt-cacher-ng.list").replace("/ftp.fr.debian.org/", "/HTTPS///deb.debian.org/"),
        "the file used the cache's https form by then, and deb.debian.org serves https"
    );
    restores(&env, &files);

    let files = [("root/etc/apt/sources.list.d/debian.sources", "apt-cacher-ng-compose.sources")];
    let env = machine(DEBIAN_12, false, &files);
    let run = ok(&env, &["use", "ustc", "--security"]);
    assert!(!run.stderr.contains("CA certificates"), "the cache speaks TLS, not apt: {}", run.stderr);
    assert_eq!(
        env.read(files[0].0),
        fixture(files[0].1)
            .replace(
                "http://cacher:3142/deb.debian.org/debian\n",
                "http://cacher:3142/HTTPS///mirrors.ustc.edu.cn/debian\n"
            )
            .replace(
                "http://cacher:3142/deb.debian.org/debian-security\n",
                "http://cacher:3142/HTTPS///mirrors.ustc.edu.cn/debian-security\n"
            )
    );
    restores(&env, &files);
}

#[test]
fn a_cache_that_picks_its_own_upstream_is_left_alone_and_said_so() {
    let text = "deb http://apt-cache.lab.example:3142/debian bookworm main contrib\ndeb http://apt-cache.lab.example:3142/debian-security bookworm-security main contrib\n";
    let env = machine(DEBIAN_12, true, &[]);
    env.write(LIST, text);
    let run = ok(&env, &["use", "tuna"]);
    assert_eq!(env.read(LIST), text);
    assert!(!env.exists("root/etc/apt/sources.list.d/debian.sources"));
    assert!(
        run.stderr.contains("warning: apt: `[TMP]/root/etc/apt/sources.list` line 1: `http://apt-cache.lab.example:3142/debian` is a package cache"),
        "{}",
        run.stderr
    );
}

// ---- 9: one stanza holding security suites ----

#[test]
fn a_stanza_with_security_suites_is_split() {
    let files = [("root/etc/apt/sources.list.d/ubuntu.sources", "ubuntu2404-one-stanza.sources")];
    let env = machine(UBUNTU_2404, true, &files);
    let run = ok(&env, &["use", "tuna"]);
    let stanza = "Types: deb\nURIs: {uri}\nSuites: {suites}\nComponents: main restricted universe multiverse\nSigned-By: /usr/share/keyrings/ubuntu-archive-keyring.gpg\n";
    let of = |uri: &str, suites: &str| stanza.replace("{uri}", uri).replace("{suites}", suites);
    assert_eq!(
        env.read(files[0].0),
        format!(
            "## Written by the provisioning script: one stanza for everything.\n{}\n# the security suites of the stanza above, split off by mirror\n{}",
            of("https://mirrors.tuna.tsinghua.edu.cn/ubuntu/", "noble noble-updates noble-backports"),
            of("http://archive.ubuntu.com/ubuntu/", "noble-security"),
        )
    );
    assert!(run.stderr.contains("ubuntu.sources` line 2: split the stanza"), "{}", run.stderr);
    assert!(run.stderr.contains("--security"), "{}", run.stderr);
    let again = apt(&env, &["use", "tuna", "--json"], "amd64");
    assert_eq!(again.json()["targets"][0]["status"], "unchanged", "{}", again.stderr);
    restores(&env, &files);
    // With --security one stanza serves both: nothing to split.
    let run = ok(&env, &["use", "tuna", "--security"]);
    assert!(!run.stderr.contains("split"), "{}", run.stderr);
    assert_eq!(
        env.read(files[0].0),
        fixture(files[0].1)
            .replace("http://archive.ubuntu.com/ubuntu/", "https://mirrors.tuna.tsinghua.edu.cn/ubuntu/")
    );
}

#[test]
fn pop_os_system_sources_are_split_and_restored() {
    let files = [("root/etc/apt/sources.list.d/system.sources", "popos2204-system.sources")];
    let env = machine(POP_2204, true, &files);
    env.write(
        LIST,
        "## This file is deprecated in Pop!_OS.\n## See `man deb822` and /etc/apt/sources.list.d/system.sources.\n",
    );
    let run = ok(&env, &["use", "ustc"]);
    let text = env.read(files[0].0);
    let head = "X-Repolib-Name: Pop_OS System Sources\nEnabled: yes\nTypes: deb deb-src\n";
    let tail = "Components: main restricted universe multiverse\nX-Repolib-ID: system\nX-Repolib-Default-Mirror: http://apt.pop-os.org/ubuntu\n";
    assert_eq!(
        text,
        format!(
            "{head}URIs: https://mirrors.ustc.edu.cn/ubuntu\nSuites: jammy jammy-updates jammy-backports\n{tail}\n# the security suites of the stanza above, split off by mirror\n{head}URIs: http://security.ubuntu.com/ubuntu\nSuites: jammy-security\n{tail}"
        )
    );
    assert!(run.stderr.contains("system.sources` line 1: split the stanza"), "{}", run.stderr);
    restores(&env, &files);
}

// ---- 10: suites every full mirror carries ----

#[test]
fn proposed_updates_is_a_debian_suite() {
    let files = [(LIST, "debian12-proposed-updates.list")];
    let env = machine(DEBIAN_12, true, &files);
    ok(&env, &["use", "tuna"]);
    assert_eq!(
        env.read(LIST),
        fixture(files[0].1).replace("http://deb.debian.org/debian ", "https://mirrors.tuna.tsinghua.edu.cn/debian ")
    );
    let env = machine(DEBIAN_12, true, &[]);
    let stanza = "Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm bookworm-updates bookworm-proposed-updates bookworm-backports bookworm-backports-sloppy proposed-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n";
    env.write("root/etc/apt/sources.list.d/debian.sources", stanza);
    ok(&env, &["use", "tuna"]);
    assert_eq!(
        env.read("root/etc/apt/sources.list.d/debian.sources"),
        stanza.replace("http://deb.debian.org", "https://mirrors.tuna.tsinghua.edu.cn")
    );
}

// ---- 11: half-finished release upgrades ----

#[test]
fn a_half_finished_release_upgrade_stops_with_the_line_named() {
    let env = machine(DEBIAN_13, true, &[(LIST, "debian13-half-upgraded.list")]);
    refused(
        &env,
        &["use", "tuna"],
        &[
            "`[TMP]/root/etc/apt/sources.list` line 4: suite `bookworm-updates` does not match `trixie`",
            "finish the release upgrade",
        ],
    );
    let env = machine(
        UBUNTU_2404,
        true,
        &[("root/etc/apt/sources.list.d/ubuntu.sources", "ubuntu2404-leftover-oracular.sources")],
    );
    refused(
        &env,
        &["use", "tuna"],
        &["`[TMP]/root/etc/apt/sources.list.d/ubuntu.sources` line 46: suite `oracular` does not match `noble`"],
    );
}

// ---- 12: duplicates ----

#[test]
fn two_mirrors_do_not_become_one_twice() {
    let files = [("root/etc/apt/sources.list.d/debian.sources", "debian12-two-mirrors.sources")];
    let env = machine(DEBIAN_12, true, &files);
    ok(&env, &["use", "tuna"]);
    assert_eq!(
        env.read(files[0].0),
        fixture(files[0].1).replace(
            "URIs: http://ftp.cn.debian.org/debian http://mirrors.163.com/debian\n",
            "URIs: https://mirrors.tuna.tsinghua.edu.cn/debian\n"
        )
    );
    restores(&env, &files);

    let files = [(LIST, "ubuntu2204-two-mirrors.list")];
    let env = machine(UBUNTU_2204, true, &files);
    let run = ok(&env, &["use", "tuna"]);
    let disabled = "# disabled by mirror, a duplicate once switched: ";
    assert_eq!(
        env.read(LIST),
        "# Aliyun first; the official country server as a fallback when Aliyun syncs.\n\
         deb https://mirrors.tuna.tsinghua.edu.cn/ubuntu/ jammy main restricted universe multiverse\n\
         # disabled by mirror, a duplicate once switched: deb http://cn.archive.ubuntu.com/ubuntu/ jammy main restricted universe multiverse\n\
         deb https://mirrors.tuna.tsinghua.edu.cn/ubuntu/ jammy-updates main restricted universe multiverse\n\
         # disabled by mirror, a duplicate once switched: deb http://cn.archive.ubuntu.com/ubuntu/ jammy-updates main restricted universe multiverse\n\
         deb http://security.ubuntu.com/ubuntu/ jammy-security main restricted universe multiverse\n"
    );
    assert!(run.stderr.contains("sources.list` line 3: disabled, the same as line 2"), "{}", run.stderr);
    assert!(env.read(LIST).matches(disabled).count() == 2);
    let again = apt(&env, &["use", "tuna", "--json"], "amd64");
    assert_eq!(again.json()["targets"][0]["status"], "unchanged", "{}", again.stderr);
    restores(&env, &files);
}

// ---- 13: https ----

#[test]
fn https_is_never_downgraded() {
    let files = [(LIST, "debian12-ustc-https.list")];
    // A root without CA certificates: https stays, with a warning.
    let env = machine(DEBIAN_12, false, &files);
    let run = ok(&env, &["use", "tuna", "--security"]);
    assert_eq!(
        env.read(LIST),
        fixture(files[0].1).replace("deb https://mirrors.ustc.edu.cn/", "deb https://mirrors.tuna.tsinghua.edu.cn/")
    );
    assert!(run.stderr.contains("warning: apt: no CA certificates under the root"), "{}", run.stderr);
    // The security mirror goes back to the official server, over https.
    let run = ok(&env, &["use", "tuna"]);
    assert!(
        env.read(LIST).contains("deb https://deb.debian.org/debian-security/ bookworm-security main"),
        "{}\n{}",
        env.read(LIST),
        run.stderr
    );
    ok(&env, &["use", "upstream"]);
    assert!(env.read(LIST).contains("deb https://deb.debian.org/debian/ bookworm main"), "{}", env.read(LIST));
    restores(&env, &files);

    // An http file on a root without CA certificates gets http, and is told why.
    let files = [("root/etc/apt/sources.list.d/debian.sources", "debian12-container.sources")];
    let env = machine(DEBIAN_12, false, &files);
    let run = ok(&env, &["use", "tuna"]);
    assert!(env.read(files[0].0).contains("URIs: http://mirrors.tuna.tsinghua.edu.cn/debian\n"));
    assert!(run.stderr.contains("no CA certificates under the root"), "{}", run.stderr);
    assert!(run.stderr.contains("ca-certificates"), "{}", run.stderr);

    // Ubuntu's official servers have no https: said so, not done silently.
    let env = machine(UBUNTU_2204, true, &[]);
    env.write(LIST, "deb https://mirrors.ustc.edu.cn/ubuntu/ jammy main universe\ndeb https://mirrors.ustc.edu.cn/ubuntu/ jammy-security main universe\n");
    let run = ok(&env, &["use", "tuna"]);
    assert_eq!(
        env.read(LIST),
        "deb https://mirrors.tuna.tsinghua.edu.cn/ubuntu/ jammy main universe\ndeb http://security.ubuntu.com/ubuntu/ jammy-security main universe\n"
    );
    assert!(
        run.stderr
            .contains("line 2: `https://mirrors.ustc.edu.cn/ubuntu/` becomes `http://security.ubuntu.com/ubuntu/`"),
        "{}",
        run.stderr
    );
}

// ---- 14: bad URIs ----

#[test]
fn a_bad_uri_stops_the_command_with_its_line() {
    let env = machine(DEBIAN_12, true, &[(LIST, "malformed-no-scheme.list")]);
    refused(
        &env,
        &["use", "tuna"],
        &["`[TMP]/root/etc/apt/sources.list` line 3", "`://deb.debian.org/debian` has no scheme"],
    );
    for (text, what) in [
        ("Types: deb\nURIs: http:///debian\nSuites: bookworm\nComponents: main\n", "`http:///debian` has no host"),
        (
            "Types: deb\nURIs: deb.debian.org/debian\nSuites: bookworm\nComponents: main\n",
            "`deb.debian.org/debian` has no scheme",
        ),
    ] {
        let env = machine(DEBIAN_12, true, &[]);
        env.write("root/etc/apt/sources.list.d/debian.sources", text);
        refused(&env, &["use", "tuna"], &["debian.sources` line 2", what]);
    }
    // In a third party's file too: apt itself stops at it.
    let env = machine(DEBIAN_12, true, &[("root/etc/apt/sources.list.d/debian.sources", "debian12-container.sources")]);
    env.write(
        "root/etc/apt/sources.list.d/vendor.list",
        "deb [signed-by=/etc/apt/keyrings/vendor.gpg] https//apt.vendor.example/debian stable main\n",
    );
    refused(&env, &["use", "tuna"], &["vendor.list` line 1", "has no scheme"]);
}

// ---- 15: errors name the file read; end-of-life releases ----

#[test]
fn raspbian_errors_name_the_file_and_line_read() {
    // raspi.list of the next release on a bookworm Raspbian: a half-done upgrade.
    let env = machine(RASPBIAN_12, true, &[(LIST, "raspbian-bookworm.list")]);
    env.write(&format!("{D}raspi.list"), fixture("raspi.list").replace("bookworm", "trixie"));
    let run = refused(
        &env,
        &["use", "tuna"],
        &[
            "`[TMP]/root/etc/apt/sources.list.d/raspi.list` line 1: suite `trixie` does not match `bookworm`",
            "the codename in `[TMP]/root/etc/os-release`",
        ],
    );
    assert!(run.stderr.contains("hint: finish the release upgrade first"), "{}", run.stderr);
    // A Raspbian line apt cannot read.
    let env = machine(RASPBIAN_12, true, &[(&format!("{D}raspi.list"), "raspi.list")]);
    env.write(LIST, "deb http://raspbian.raspberrypi.com/raspbian/ bookworm\n");
    refused(&env, &["use", "tuna"], &["`[TMP]/root/etc/apt/sources.list` line 1", "suite `bookworm` needs components"]);
    // A site without Raspbian: the error says which repository is missing.
    let env = machine(RASPBIAN_12, true, &[(LIST, "raspbian-bookworm.list")]);
    refused(&env, &["use", "aliyun"], &["`aliyun` does not serve apt for this system"]);
}

// ---- issue 13: Kali and Raspberry Pi OS ----

const KALI: &str = "PRETTY_NAME=\"Kali GNU/Linux Rolling\"\nNAME=\"Kali GNU/Linux\"\nVERSION_ID=\"2024.4\"\nVERSION=\"2024.4\"\nVERSION_CODENAME=kali-rolling\nID=kali\nID_LIKE=debian\nHOME_URL=\"https://www.kali.org/\"\n";

/// `status apt --json`: the site and URL apt points at.
fn status(env: &TestEnv, arch: &str) -> (String, String) {
    let mut cmd = env.cmd();
    cmd.env("MIRROR_ARCH", arch);
    let run = env.run_with(&mut cmd, &["status", "apt", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let t = &run.json()["targets"][0];
    (t["site"].as_str().unwrap_or("-").to_owned(), t["url"].as_str().unwrap_or("-").to_owned())
}

#[test]
fn kali_switches_and_restores() {
    let files = [(LIST, "kali-rolling.list")];
    let env = machine(KALI, true, &files);
    assert_eq!(status(&env, "amd64"), ("upstream".into(), "http://http.kali.org/kali".into()));
    ok(&env, &["use", "tuna"]);
    assert_eq!(
        env.read(LIST),
        fixture(files[0].1).replacen(
            "deb http://http.kali.org/kali",
            "deb https://mirrors.tuna.tsinghua.edu.cn/kali",
            1
        )
    );
    assert_eq!(status(&env, "amd64"), ("tuna".into(), "https://mirrors.tuna.tsinghua.edu.cn/kali".into()));
    let again = apt(&env, &["use", "tuna", "--json"], "amd64");
    assert_eq!(again.json()["targets"][0]["status"], "unchanged", "{}", again.stderr);
    ok(&env, &["use", "ustc"]);
    assert_eq!(status(&env, "amd64").0, "ustc");
    restores(&env, &files);
}

#[test]
fn raspbian_switches_both_archives_and_restores() {
    let files = [(LIST, "raspbian-bookworm.list"), ("root/etc/apt/sources.list.d/raspi.list", "raspi.list")];
    let env = machine(RASPBIAN_12, true, &files);
    assert_eq!(status(&env, "armhf"), ("upstream".into(), "http://raspbian.raspberrypi.com/raspbian".into()));
    let run = apt(&env, &["use", "ustc", "--json"], "armhf");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let row = &run.json()["targets"][0];
    assert_eq!(row["status"], "changed");
    assert_eq!(row["files"].as_array().unwrap().len(), 2, "{row}");
    assert!(
        env.read(LIST)
            .starts_with("deb https://mirrors.ustc.edu.cn/raspbian/raspbian/ bookworm main contrib non-free rpi\n")
    );
    assert!(
        env.read(files[1].0)
            .starts_with("deb https://mirrors.ustc.edu.cn/archive.raspberrypi.org/debian/ bookworm main\n")
    );
    assert_eq!(status(&env, "armhf").0, "ustc");
    // NJU has Raspbian but not the Raspberry Pi archive: raspi.list stays, and says so.
    let run = apt(&env, &["use", "nju"], "armhf");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("raspi.list` line 1: `nju` does not serve the Raspberry Pi archive; `https://mirrors.ustc.edu.cn/archive.raspberrypi.org/debian/` is left as it is"),
        "{}",
        run.stderr
    );
    assert_eq!(status(&env, "armhf").0, "nju");
    restores(&env, &files);
}

#[test]
fn raspberry_pi_os_64_bit_switches_debian_and_raspi_list() {
    let files = [(LIST, "rpios64-bookworm.list"), ("root/etc/apt/sources.list.d/raspi.list", "raspi.list")];
    let env = machine(DEBIAN_12, true, &files);
    let run = apt(&env, &["use", "tuna"], "arm64");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(env.read(LIST).starts_with("deb https://mirrors.tuna.tsinghua.edu.cn/debian bookworm main"));
    assert!(
        env.read(LIST).contains("\ndeb http://deb.debian.org/debian-security/ bookworm-security"),
        "security stays"
    );
    assert!(env.read(files[1].0).starts_with("deb https://mirrors.tuna.tsinghua.edu.cn/raspberrypi/ bookworm main\n"));
    assert_eq!(status(&env, "arm64"), ("tuna".into(), "https://mirrors.tuna.tsinghua.edu.cn/debian".into()));
    restores(&env, &files);
}

#[test]
fn an_end_of_life_release_on_a_mirror_is_warned_about() {
    let files = [(LIST, "debian7-wheezy.list")];
    let env = machine(DEBIAN_7, true, &files);
    let run = ok(&env, &["use", "tuna", "--security"]);
    assert!(
        run.stderr
            .contains("warning: apt: `[TMP]/root/etc/apt/sources.list` line 1: `wheezy` has reached its end of life"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("archive.debian.org"), "{}", run.stderr);
    restores(&env, &files);
}
