//! The machine being configured: `--root` holds everything (home, links, architecture),
//! `--user` picks a home inside it, tools installed in a home are found, sudo trusts only the
//! invoking user's home, and dotfiles kept as links are written through.

use std::os::unix::fs::{MetadataExt, PermissionsExt, symlink};
use std::path::Path;

use crate::support::{TestEnv, is_root, need_root, root_tests_required, skip};

const UBUNTU_2404_OS_RELEASE: &str = "PRETTY_NAME=\"Ubuntu 24.04.1 LTS\"\nNAME=\"Ubuntu\"\nVERSION_ID=\"24.04\"\nVERSION=\"24.04.1 LTS (Noble Numbat)\"\nVERSION_CODENAME=noble\nID=ubuntu\nID_LIKE=debian\nHOME_URL=\"https://www.ubuntu.com/\"\nSUPPORT_URL=\"https://help.ubuntu.com/\"\nBUG_REPORT_URL=\"https://bugs.launchpad.net/ubuntu/\"\nPRIVACY_POLICY_URL=\"https://www.ubuntu.com/legal/terms-and-policies/privacy-policy\"\nUBUNTU_CODENAME=noble\nLOGO=ubuntu-logo\n";

const DEBIAN_12_OS_RELEASE: &str = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nVERSION=\"12 (bookworm)\"\nVERSION_CODENAME=bookworm\nID=debian\nHOME_URL=\"https://www.debian.org/\"\nSUPPORT_URL=\"https://www.debian.org/support\"\nBUG_REPORT_URL=\"https://bugs.debian.org/\"\n";

const ALARM_OS_RELEASE: &str = "NAME=\"Arch Linux ARM\"\nPRETTY_NAME=\"Arch Linux ARM\"\nID=archarm\nID_LIKE=arch\nBUILD_ID=rolling\nANSI_COLOR=\"38;2;23;147;209\"\nHOME_URL=\"https://archlinuxarm.org/\"\nDOCUMENTATION_URL=\"https://archlinuxarm.org/wiki\"\nSUPPORT_URL=\"https://archlinuxarm.org/forum\"\nBUG_REPORT_URL=\"https://github.com/archlinuxarm/PKGBUILDs/issues\"\nLOGO=archlinux-logo\n";

/// Three stanzas of an arm64 Ubuntu 24.04 image's dpkg database (multiarch armhf libc too).
const UBUNTU_ARM64_DPKG_STATUS: &str = "Package: base-files\nEssential: yes\nStatus: install ok installed\nPriority: required\nSection: admin\nInstalled-Size: 394\nMaintainer: Ubuntu Developers <ubuntu-devel-discuss@lists.ubuntu.com>\nArchitecture: arm64\nVersion: 13ubuntu10.1\nReplaces: base, dpkg (<= 1.15.0), miscfiles (<< 2.8.2)\nProvides: base\nDescription: Debian base system miscellaneous files\n\nPackage: libc6\nStatus: install ok installed\nPriority: optional\nSection: libs\nInstalled-Size: 9924\nMaintainer: Ubuntu Developers <ubuntu-devel-discuss@lists.ubuntu.com>\nArchitecture: armhf\nMulti-Arch: same\nSource: glibc\nVersion: 2.39-0ubuntu8.3\nDescription: GNU C Library: Shared libraries\n\nPackage: dpkg\nEssential: yes\nStatus: install ok installed\nPriority: required\nSection: admin\nInstalled-Size: 6620\nOrigin: Ubuntu\nMaintainer: Ubuntu Developers <ubuntu-devel-discuss@lists.ubuntu.com>\nArchitecture: arm64\nMulti-Arch: foreign\nVersion: 1.22.6ubuntu6.1\nDepends: tar (>= 1.28-1)\nPre-Depends: libbz2-1.0, libc6 (>= 2.34), liblzma5 (>= 5.4.0), libmd0 (>= 0.0.0), libselinux1 (>= 3.1~), libzstd1 (>= 1.5.5), zlib1g (>= 1:1.1.4)\nDescription: Debian package management system\n\n";

/// The start of a position-independent executable's ELF header (`e_machine` at byte 18):
/// aarch64 (183), as Ubuntu's arm64 `dash` or Arch Linux ARM's `bash`.
fn elf_executable(machine: u8) -> Vec<u8> {
    let mut header = vec![
        0x7f, b'E', b'L', b'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, // 64-bit, little-endian, SysV
        3, 0, machine, 0, 1, 0, 0, 0, 0x40, 0x3a, 0, 0, 0, 0, 0, 0, // ET_DYN, e_machine, e_entry
        0x40, 0, 0, 0, 0, 0, 0, 0, 0x28, 0xd5, 1, 0, 0, 0, 0, 0, // e_phoff, e_shoff
        0, 0, 0, 0, 0x40, 0, 0x38, 0, 9, 0, 0x40, 0, 0x1b, 0, 0x1a, 0, // flags, sizes, counts
    ];
    header.resize(4096, 0);
    header
}

/// An arm64 Ubuntu 24.04 image as `docker export` gives it: merged /usr (`bin -> usr/bin`),
/// `etc/os-release -> ../usr/lib/os-release`, `bin/sh -> dash`, the dpkg database and the
/// stock ports `ubuntu.sources`.
fn ubuntu_arm64_image(env: &TestEnv) {
    env.write("root/usr/lib/os-release", UBUNTU_2404_OS_RELEASE);
    env.write("root/usr/bin/dash", elf_executable(183));
    env.write("root/var/lib/dpkg/status", UBUNTU_ARM64_DPKG_STATUS);
    env.write("root/etc/ssl/certs/ca-certificates.crt", "");
    env.write("root/etc/apt/sources.list.d/ubuntu.sources", include_str!("../fixtures/apt/ubuntu2404-arm64.sources"));
    let root = env.root();
    for (link, target) in [("bin", "usr/bin"), ("lib", "usr/lib"), ("sbin", "usr/sbin")] {
        symlink(target, root.join(link)).unwrap();
    }
    symlink("dash", root.join("usr/bin/sh")).unwrap();
    symlink("../usr/lib/os-release", root.join("etc/os-release")).unwrap();
}

/// A Debian 12 root whose home holds every user-level config.
fn debian_root(env: &TestEnv) {
    env.write("root/etc/os-release", DEBIAN_12_OS_RELEASE);
    env.write("root/etc/apt/sources.list.d/debian.sources", include_str!("../fixtures/apt/debian12-container.sources"));
}

fn status<'a>(doc: &'a serde_json::Value, target: &str) -> &'a str {
    doc["targets"].as_array().unwrap().iter().find(|t| t["target"] == target).unwrap()["status"].as_str().unwrap()
}

// ---- 1. --root holds the user-level files --------------------------------------------

/// The builder's own home, with a config for every user-level target, named by every
/// variable that could point `mirror` at it.
fn host_home(env: &TestEnv, cmd: &mut assert_cmd::Command) -> std::path::PathBuf {
    let host = env.path().join("builder");
    env.write("builder/.config/pip/pip.conf", include_str!("../fixtures/pip/pip.conf"));
    env.write("builder/.config/uv/uv.toml", include_str!("../fixtures/uv/uv.toml"));
    env.write("builder/.condarc", include_str!("../fixtures/conda/condarc"));
    env.write("builder/.cargo/config.toml", include_str!("../fixtures/cargo/config.toml"));
    cmd.env("HOME", &host)
        .env("XDG_CONFIG_HOME", host.join(".config"))
        .env("XDG_STATE_HOME", host.join(".local/state"))
        .env("CARGO_HOME", host.join(".cargo"))
        .env("PIP_CONFIG_FILE", host.join(".config/pip/pip.conf"))
        .env("CONDARC", host.join(".condarc"));
    host
}

#[test]
fn under_root_user_files_are_in_the_roots_home_never_the_hosts() {
    let env = TestEnv::new();
    debian_root(&env);
    env.write("root/root/.config/pip/pip.conf", "[global]\ntimeout = 60\n");
    let mut cmd = env.cmd();
    let host = host_home(&env, &mut cmd);
    let before = env.tree();

    let run = env.run_with(&mut cmd, &["use", "tuna", "pip", "uv", "conda", "cargo", "--dry-run"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains(&format!("{}/home/.config/pip/pip.conf", env.path().display())), "{}", run.stdout);
    assert!(!run.stdout.contains("builder"), "the host's home is not even read:\n{}", run.stdout);

    let mut cmd = env.cmd();
    host_home(&env, &mut cmd);
    let run = env.run_with(&mut cmd, &["use", "tuna", "pip", "uv", "conda", "cargo", "--yes"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let after = env.tree();
    for (path, bytes) in before.iter().filter(|(p, _)| p.starts_with("builder")) {
        assert_eq!(after.get(path), Some(bytes), "{} changed", path.display());
    }
    assert!(!host.join(".local/state/mirror").exists(), "no journal in the host's home");
    let pip = env.read("root/root/.config/pip/pip.conf");
    assert!(pip.contains("timeout = 60") && pip.contains("index-url = https://mirrors.tuna"), "{pip}");
    for file in ["root/root/.config/uv/uv.toml", "root/root/.condarc", "root/root/.cargo/config.toml"] {
        assert!(env.read(file).contains("tuna"), "{file}");
    }
    assert!(env.exists("root/root/.local/state/mirror/journal"), "the journal is in the root's home");

    let mut cmd = env.cmd();
    host_home(&env, &mut cmd);
    assert_eq!(env.run_with(&mut cmd, &["restore"]).code, 0);
    assert_eq!(env.read("root/root/.config/pip/pip.conf"), "[global]\ntimeout = 60\n");
    assert!(!env.exists("root/root/.condarc"));
}

/// `etc/passwd` of an Ubuntu 24.04 cloud image.
const UBUNTU_PASSWD: &str = "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\nbin:x:2:2:bin:/bin:/usr/sbin/nologin\nsys:x:3:3:sys:/dev:/usr/sbin/nologin\nsync:x:4:65534:sync:/bin:/bin/sync\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\nsystemd-network:x:998:998:systemd Network Management:/:/usr/sbin/nologin\nsshd:x:997:65534::/run/sshd:/usr/sbin/nologin\nubuntu:x:1000:1000:Ubuntu:/home/ubuntu:/bin/bash\n";

#[test]
fn user_configures_that_users_home_inside_the_root_with_their_owner() {
    let env = TestEnv::new();
    debian_root(&env);
    env.write("root/etc/passwd", UBUNTU_PASSWD);
    let pip = env.write("root/home/ubuntu/.config/pip/pip.conf", "[global]\ntimeout = 60\n");
    std::os::unix::fs::chown(&pip, Some(1000), Some(1000)).unwrap();
    let run = env.run(&["--user", "ubuntu", "use", "tuna", "pip", "cargo", "--yes", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(env.read("root/home/ubuntu/.config/pip/pip.conf").contains("index-url = https://mirrors.tuna"));
    assert!(env.read("root/home/ubuntu/.cargo/config.toml").contains("tuna"));
    assert!(!env.exists("root/root/.cargo"), "root's home is not the one asked for");
    if is_root() {
        for made in [".cargo", ".cargo/config.toml", ".config/pip/pip.conf", ".local/state/mirror/journal"] {
            let meta = std::fs::metadata(env.path().join("root/home/ubuntu").join(made)).unwrap();
            assert_eq!((meta.uid(), meta.gid()), (1000, 1000), "{made} belongs to ubuntu, per the root's passwd");
        }
    }
    assert_eq!(env.run(&["--user", "ubuntu", "restore"]).code, 0);
    assert_eq!(env.read("root/home/ubuntu/.config/pip/pip.conf"), "[global]\ntimeout = 60\n");

    let before = env.tree();
    let run = env.run(&["--user", "alice", "use", "tuna", "pip", "--yes"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("`[TMP]/root/etc/passwd` has no user `alice`"), "{}", run.stderr);
    assert_eq!(env.tree(), before, "nothing changed");
    let run = env.run_with(env.cmd().env_remove("MIRROR_ROOT"), &["--user", "ubuntu", "status", "pip"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("`--user ubuntu` needs `--root`"), "{}", run.stderr);
}

// ---- 2. links inside the root are resolved inside it ----------------------------------

#[test]
fn an_absolute_os_release_link_is_read_inside_the_root() {
    let env = TestEnv::new();
    ubuntu_arm64_image(&env);
    // As some images have it: absolute. On the host it names the host's own os-release.
    std::fs::remove_file(env.root().join("etc/os-release")).unwrap();
    symlink("/usr/lib/os-release", env.root().join("etc/os-release")).unwrap();
    let run = env.run(&["use", "tuna", "apt", "--yes"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let sources = env.read("root/etc/apt/sources.list.d/ubuntu.sources");
    assert!(
        sources.contains("URIs: https://mirrors.tuna.tsinghua.edu.cn/ubuntu-ports/\nSuites: noble noble-updates"),
        "{sources}"
    );
    assert!(!env.exists("root/etc/apt/sources.list"), "nothing appended for another distribution");
}

#[test]
fn a_dangling_link_is_named_as_such() {
    let env = TestEnv::new();
    ubuntu_arm64_image(&env);
    // A half-extracted image: the link is there, `usr/lib/os-release` is not.
    std::fs::remove_file(env.root().join("usr/lib/os-release")).unwrap();
    let before = env.tree();
    let run = env.run(&["use", "tuna", "apt", "--yes"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("`[TMP]/root/etc/os-release` is a dangling link: it points to `../usr/lib/os-release`"),
        "{}",
        run.stderr
    );
    assert_eq!(env.tree(), before);
}

#[test]
fn a_config_linked_elsewhere_in_the_root_is_written_there_not_on_the_host() {
    let env = TestEnv::new();
    debian_root(&env);
    // USTC's Docker Hub mirror, closed in 2024, still named by many machines.
    let daemon = "{\n  \"data-root\": \"/srv/docker\",\n  \"log-driver\": \"journald\",\n  \"registry-mirrors\": [\"https://docker.mirrors.ustc.edu.cn\"]\n}\n";
    env.write("root/srv/docker/daemon.json", daemon);
    std::fs::create_dir_all(env.root().join("etc/docker")).unwrap();
    symlink("/srv/docker/daemon.json", env.root().join("etc/docker/daemon.json")).unwrap();
    let run = env.run(&["use", "upstream", "docker", "--yes"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let written = env.read("root/srv/docker/daemon.json");
    assert!(!written.contains("ustc") && written.contains("journald"), "{written}");
    let link = std::fs::read_link(env.root().join("etc/docker/daemon.json")).unwrap();
    assert_eq!(link, Path::new("/srv/docker/daemon.json"), "the link stays as it was");
    assert_eq!(env.run(&["restore"]).code, 0);
    assert_eq!(env.read("root/srv/docker/daemon.json"), daemon);
}

// ---- 3. the architecture is the root's own ----------------------------------------------

#[test]
fn an_arm64_root_gets_ports_lines_from_its_dpkg_database() {
    let env = TestEnv::new();
    ubuntu_arm64_image(&env);
    // A slim image without its sources: `mirror` writes them, for the root's architecture.
    std::fs::remove_file(env.root().join("etc/apt/sources.list.d/ubuntu.sources")).unwrap();
    let run = env.run(&["use", "tuna", "apt", "--yes"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let list = env.read("root/etc/apt/sources.list");
    assert!(list.contains("https://mirrors.tuna.tsinghua.edu.cn/ubuntu-ports noble main"), "{list}");
    assert!(!list.contains("/ubuntu "), "no amd64 lines on arm64:\n{list}");
}

#[test]
fn without_dpkg_the_elf_header_of_bin_sh_tells_and_else_it_says_it_cannot_tell() {
    let env = TestEnv::new();
    ubuntu_arm64_image(&env);
    std::fs::remove_file(env.root().join("etc/apt/sources.list.d/ubuntu.sources")).unwrap();
    std::fs::remove_dir_all(env.root().join("var/lib/dpkg")).unwrap();
    let run = env.run(&["use", "tuna", "apt", "--dry-run"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("/ubuntu-ports noble main"), "bin/sh -> dash is an aarch64 ELF:\n{}", run.stdout);

    std::fs::remove_file(env.root().join("usr/bin/dash")).unwrap();
    let before = env.tree();
    let run = env.run(&["use", "tuna", "apt", "--yes"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("cannot tell the architecture of the root"), "{}", run.stderr);
    assert!(run.stderr.contains("set `MIRROR_ARCH`"), "{}", run.stderr);
    assert_eq!(env.tree(), before);
    let run = env.run_with(env.cmd().env("MIRROR_ARCH", "arm64"), &["use", "tuna", "apt", "--dry-run"]);
    assert!(run.stdout.contains("/ubuntu-ports noble main"), "MIRROR_ARCH still decides:\n{}", run.stdout);
}

#[test]
fn an_arch_linux_arm_root_with_its_own_links_and_pacman_conf() {
    let env = TestEnv::new();
    env.write("root/usr/lib/os-release", ALARM_OS_RELEASE);
    env.write("root/usr/bin/bash", elf_executable(183));
    env.write(
        "root/etc/pacman.conf",
        "[options]\nHoldPkg     = pacman glibc\nArchitecture = aarch64\nCheckSpace\nSigLevel    = Required DatabaseOptional\nLocalFileSigLevel = Optional\n\n[core]\nInclude = /etc/pacman.d/mirrorlist\n\n[extra]\nInclude = /etc/pacman.d/mirrorlist\n\n[alarm]\nInclude = /etc/pacman.d/mirrorlist\n",
    );
    env.write("root/etc/pacman.d/mirrorlist", include_str!("../fixtures/pacman/alarm.mirrorlist"));
    // Absolute, as the image has it: on the host it would read this machine's os-release.
    symlink("/usr/lib/os-release", env.root().join("etc/os-release")).unwrap();
    symlink("usr/bin", env.root().join("bin")).unwrap();
    symlink("bash", env.root().join("usr/bin/sh")).unwrap();
    let run = env.run(&["use", "tuna", "pacman", "--yes"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let list = env.read("root/etc/pacman.d/mirrorlist");
    assert!(list.contains("Server = https://mirrors.tuna.tsinghua.edu.cn/archlinuxarm/$arch/$repo"), "{list}");
    assert!(list.contains("Server = http://mirror.archlinuxarm.org/$arch/$repo"), "the stock server stays below");
}

// ---- 4. user-installed tools ---------------------------------------------------------------

/// Where rustup, uv's installer and Miniconda put their programs, in `home` (below the test
/// folder).
fn user_installed_tools(env: &TestEnv, home: &str) {
    let exe = |rel: &str, text: &str| {
        let path = env.write(&format!("{home}/{rel}"), text);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    };
    exe(".cargo/bin/rustup", "\u{7f}ELF rustup-init");
    std::fs::hard_link(env.path().join(home).join(".cargo/bin/rustup"), env.path().join(home).join(".cargo/bin/cargo"))
        .unwrap();
    exe(".local/bin/uv", "\u{7f}ELF uv");
    exe(
        "miniconda3/bin/conda",
        &format!(
            "#!{}/miniconda3/bin/python\n# -*- coding: utf-8 -*-\nimport re\nimport sys\nfrom conda.cli import main\nif __name__ == '__main__':\n    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])\n    sys.exit(main())\n",
            env.path().join(home).display()
        ),
    );
}

#[test]
fn tools_installed_in_the_roots_home_are_found() {
    let env = TestEnv::new();
    debian_root(&env);
    user_installed_tools(&env, "root/root");
    let run = env.run(&["use", "tuna", "--yes", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let doc = run.json();
    for target in ["cargo", "uv", "conda"] {
        assert_eq!(status(&doc, target), "changed", "{target}: {doc}");
    }
    assert_eq!(status(&doc, "pip"), "skipped", "no pip anywhere");
}

#[test]
fn tools_in_the_home_are_found_when_path_or_sudo_hides_them() {
    let env = TestEnv::new();
    user_installed_tools(&env, "home");
    // A cron job's PATH, or sudo's secure_path: none of the user's folders.
    let present = |cmd: &mut assert_cmd::Command| {
        let run = env.run_with(
            cmd.env_remove("MIRROR_ROOT").env("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"),
            &["status", "cargo", "uv", "conda", "--json"],
        );
        assert_eq!(run.code, 0, "{}", run.stderr);
        let doc = run.json();
        doc["targets"].as_array().unwrap().iter().map(|t| t["present"] == true).collect::<Vec<bool>>()
    };
    assert_eq!(present(&mut env.cmd()), [true, true, true]);
    let Some(mut sudo) = sudo_by_nobody(&env) else { return };
    assert_eq!(present(&mut sudo), [true, true, true], "sudo from nobody");
}

// ---- 5. sudo trusts only the invoking user's home ----------------------------------------

/// The binary as `sudo` runs it for `nobody` on this machine (no `--root`: a root's users are
/// its own), with the test's `home`, which `nobody` owns, as `HOME`. `None`, and the test is
/// skipped, unless the tests run as root.
pub fn sudo_by_nobody(env: &TestEnv) -> Option<assert_cmd::Command> {
    if !need_root("needs root to act as sudo") {
        return None;
    }
    std::fs::set_permissions(env.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::os::unix::fs::chown(env.home(), Some(65534), Some(65534)).unwrap();
    let mut cmd = env.cmd();
    cmd.env_remove("MIRROR_ROOT").env("SUDO_USER", "nobody");
    Some(cmd)
}

/// `nobody`'s home in this machine's passwd, when `nobody` exists and that home does not
/// (so a test run can never write there).
fn nobody_without_home() -> Option<String> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    let home = passwd.lines().find_map(|l| l.strip_prefix("nobody:"))?.split(':').nth(4)?.to_owned();
    (!Path::new(&home).exists()).then_some(home)
}

#[test]
fn under_sudo_a_home_that_is_not_the_invoking_users_is_not_used() {
    if !need_root("needs root to act as sudo") {
        return;
    }
    let Some(nobody_home) = nobody_without_home() else {
        skip(root_tests_required(), "`nobody` is missing or has a home here");
        return;
    };
    let env = TestEnv::new();
    env.write("home/.config/pip/pip.conf", "[global]\ntimeout = 60\n");
    let before = env.tree();
    // `sudo` kept a HOME that belongs to root, not to the user who ran it.
    let run = env
        .run_with(env.cmd().env_remove("MIRROR_ROOT").env("SUDO_USER", "nobody"), &["use", "tuna", "pip", "--dry-run"]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains(&format!("the home folder of `SUDO_USER` `nobody`, `{nobody_home}`, does not exist")),
        "{}",
        run.stderr
    );
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    assert_eq!(env.tree(), before);
}

#[test]
fn under_sudo_variables_naming_someone_elses_files_are_not_used() {
    let env = TestEnv::new();
    let Some(mut cmd) = sudo_by_nobody(&env) else { return };
    // `sudo -E` kept root's own XDG_CONFIG_HOME: that folder is root's, not the user's.
    let roots = env.path().join("root-config");
    std::fs::create_dir_all(&roots).unwrap();
    let run = env.run_with(cmd.env("XDG_CONFIG_HOME", &roots), &["use", "tuna", "pip", "--yes"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(env.read("home/.config/pip/pip.conf").contains("tuna"));
    assert!(!roots.join("pip").exists());
    assert_eq!(std::fs::metadata(env.home().join(".config/pip/pip.conf")).unwrap().uid(), 65534);
}

#[test]
fn a_sudo_user_that_does_not_exist_is_an_error() {
    if !need_root("needs root to act as sudo") {
        return;
    }
    let env = TestEnv::new();
    let before = env.tree();
    let run = env.run_with(
        env.cmd().env_remove("MIRROR_ROOT").env("SUDO_USER", "mirror-no-such-user"),
        &["use", "tuna", "pip", "--dry-run"],
    );
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("`SUDO_USER` is `mirror-no-such-user`, but this machine has no such user"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("hint:"), "{}", run.stderr);
    assert_eq!(env.tree(), before);
}

// ---- 6. dotfiles kept as links ----------------------------------------------------------

#[test]
fn stow_links_are_written_through_and_restore_keeps_them() {
    let env = TestEnv::new();
    debian_root(&env);
    let pip_conf = include_str!("../fixtures/pip/pip.conf");
    let uv_toml = include_str!("../fixtures/uv/uv.toml");
    // `stow pip` links the file; `stow uv` folds the whole folder into one link.
    env.write("home/dotfiles/pip/.config/pip/pip.conf", pip_conf);
    env.write("home/dotfiles/uv/.config/uv/uv.toml", uv_toml);
    std::fs::create_dir_all(env.home().join(".config/pip")).unwrap();
    symlink("../../dotfiles/pip/.config/pip/pip.conf", env.home().join(".config/pip/pip.conf")).unwrap();
    symlink("../dotfiles/uv/.config/uv", env.home().join(".config/uv")).unwrap();
    // chezmoi's symlink mode: absolute, into its source folder (inside the root, here).
    env.write("home/.local/share/chezmoi/dot_condarc", include_str!("../fixtures/conda/condarc"));
    symlink("/root/.local/share/chezmoi/dot_condarc", env.home().join(".condarc")).unwrap();
    let links = |env: &TestEnv| {
        ["home/.config/pip/pip.conf", "home/.config/uv", "home/.condarc"]
            .map(|l| std::fs::read_link(env.path().join(l)).unwrap().display().to_string())
    };
    let before_links = links(&env);

    let run = env.run(&["use", "tuna", "pip", "uv", "conda", "--yes"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("is a link; writing the file it points to"), "{}", run.stderr);
    assert_eq!(links(&env), before_links, "every link stays");
    assert!(env.read("home/dotfiles/pip/.config/pip/pip.conf").contains("index-url = https://mirrors.tuna"));
    assert!(env.read("home/dotfiles/uv/.config/uv/uv.toml").contains("mirrors.tuna"));
    assert!(env.read("home/.local/share/chezmoi/dot_condarc").contains("mirrors.tuna"));

    let run = env.run(&["restore"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(links(&env), before_links, "restore keeps the links");
    assert_eq!(env.read("home/dotfiles/pip/.config/pip/pip.conf"), pip_conf);
    assert_eq!(env.read("home/dotfiles/uv/.config/uv/uv.toml"), uv_toml);
    assert_eq!(env.read("home/.local/share/chezmoi/dot_condarc"), include_str!("../fixtures/conda/condarc"));
}

#[test]
fn a_link_into_the_nix_store_is_refused_with_what_to_do() {
    let env = TestEnv::new();
    debian_root(&env);
    let store = "nix/store/9x8ry2abwz5rdg1vpv1xl8m3lwqg7kfp-home-manager-files/.config/pip/pip.conf";
    env.write(&format!("root/{store}"), include_str!("../fixtures/pip/pip.conf"));
    std::fs::create_dir_all(env.home().join(".config/pip")).unwrap();
    symlink(format!("/{store}"), env.home().join(".config/pip/pip.conf")).unwrap();
    let before = env.tree();
    let run = env.run(&["use", "tuna", "pip", "--yes"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("which is in the Nix store and read-only"), "{}", run.stderr);
    assert!(run.stderr.contains("hint: the file is managed by Nix (home-manager, NixOS)"), "{}", run.stderr);
    assert_eq!(env.tree(), before);
}

#[test]
fn a_dangling_dotfile_link_is_refused() {
    let env = TestEnv::new();
    debian_root(&env);
    std::fs::create_dir_all(env.home().join(".config/pip")).unwrap();
    symlink("../../dotfiles/pip/.config/pip/pip.conf", env.home().join(".config/pip/pip.conf")).unwrap();
    let before = env.tree();
    let run = env.run(&["use", "tuna", "pip", "--yes"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("`[TMP]/home/.config/pip/pip.conf` is a dangling link"), "{}", run.stderr);
    assert_eq!(env.tree(), before);
}

#[test]
fn under_sudo_a_link_to_a_file_the_user_does_not_own_is_refused() {
    let env = TestEnv::new();
    let Some(mut sudo) = sudo_by_nobody(&env) else { return };
    let shared = env.write("shared/pip.conf", "[global]\ntimeout = 60\n");
    std::fs::create_dir_all(env.home().join(".config/pip")).unwrap();
    symlink(&shared, env.home().join(".config/pip/pip.conf")).unwrap();
    let before = env.tree();
    let run = env.run_with(&mut sudo, &["use", "tuna", "pip", "--yes"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("which `nobody` does not own"), "{}", run.stderr);
    assert_eq!(env.tree(), before);
}
