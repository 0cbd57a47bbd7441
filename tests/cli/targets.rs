//! What the targets do on real machines, through the binary: derivatives that must be left
//! alone, and warnings about settings a target cannot move.

use crate::support::TestEnv;

fn fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

const MIRRORLIST: &str = "root/etc/pacman.d/mirrorlist";

fn manjaro() -> TestEnv {
    let env = TestEnv::new();
    env.write("root/etc/os-release", fixture("pacman/manjaro.os-release"));
    env.write("root/etc/pacman.conf", "[options]\nArchitecture = auto\n\n[core]\nInclude = /etc/pacman.d/mirrorlist\n");
    env.write(MIRRORLIST, fixture("pacman/manjaro.mirrorlist"));
    env.write("home/.config/pip/pip.conf", "[global]\ntimeout = 60\n");
    env
}

#[test]
fn manjaro_mirrorlist_is_never_given_arch_servers() {
    let env = manjaro();
    // Named: an error that says why, and nothing changes.
    let run = env.run(&["use", "tuna", "pacman", "--yes"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("os-release says `ID=manjaro`, an Arch derivative"), "{}", run.stderr);
    assert!(run.stderr.contains("nothing was changed"), "{}", run.stderr);
    assert_eq!(env.read(MIRRORLIST).as_bytes(), fixture("pacman/manjaro.mirrorlist"));

    // Not named: pacman is skipped with the same reason, the other targets change.
    let run = env.run(&["use", "tuna", "--yes", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let targets = run.json()["targets"].as_array().unwrap().clone();
    let pacman = targets.iter().find(|t| t["target"] == "pacman").unwrap();
    assert_eq!(pacman["status"], "skipped", "{pacman}");
    assert!(pacman["reason"].as_str().unwrap().contains("`ID=manjaro`"), "{pacman}");
    let pip = targets.iter().find(|t| t["target"] == "pip").unwrap();
    assert_eq!(pip["status"], "changed", "{pip}");
    assert_eq!(env.read(MIRRORLIST).as_bytes(), fixture("pacman/manjaro.mirrorlist"));
}

#[test]
fn endeavouros_mirrorlist_is_arch_and_gets_the_mirror_first() {
    let env = TestEnv::new();
    env.write("root/etc/os-release", fixture("pacman/endeavouros.os-release"));
    env.write(MIRRORLIST, fixture("pacman/stock.mirrorlist"));
    let run = env.run(&["use", "tuna", "pacman", "--yes"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let list = env.read(MIRRORLIST);
    let first = list.lines().find(|l| l.starts_with("Server")).unwrap();
    assert_eq!(first, "Server = https://mirrors.tuna.tsinghua.edu.cn/archlinux/$repo/os/$arch");
}

#[test]
fn conda_warns_about_mirror_urls_it_cannot_move() {
    let env = TestEnv::new();
    env.write("root/etc/os-release", "ID=debian\nVERSION_CODENAME=bookworm\n");
    env.write("home/.condarc", fixture("conda/literal-channels.condarc"));
    let run = env.run(&["use", "ustc", "conda", "--yes"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("warning: conda: `") && run.stderr.contains("/.condarc`: `channels` names `https://mirrors.tuna.tsinghua.edu.cn/anaconda/cloud/pytorch/`, left as it is: `ustc` does not carry `pytorch`"),
        "{}",
        run.stderr
    );
    let condarc = env.read("home/.condarc");
    assert!(condarc.contains("  - https://mirrors.ustc.edu.cn/anaconda/cloud/conda-forge/\n"), "{condarc}");
    assert!(condarc.contains("  - https://mirrors.ustc.edu.cn/anaconda/cloud/bioconda/\n"), "{condarc}");
}
