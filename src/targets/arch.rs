//! The architecture of the machine under `--root`, read from its own files, not from the
//! machine `mirror` runs on (an arm64 image built on an amd64 host is arm64).
//!
//! In order: dpkg's native architecture (the `Architecture:` of the installed `dpkg` package
//! in `var/lib/dpkg/status`, else the first line of `var/lib/dpkg/arch`), an explicit
//! `Architecture` in pacman's `etc/pacman.conf` (`auto` says nothing), and the ELF header of
//! `bin/sh`. Every path is resolved inside the root. The result is in Debian spelling.

use std::io::Read;

use crate::context::Context;

/// Reads an architecture from a file's text.
type Reader = fn(&str) -> Option<String>;

/// The root's architecture and the file that told, or `None` when none of them does.
pub fn of_root(ctx: &Context) -> Option<(String, &'static str)> {
    let file = |rel: &str| ctx.resolve(&ctx.root.join(rel)).ok().filter(|r| r.path.is_file()).map(|r| r.path);
    let text = |rel: &str| file(rel).and_then(|p| std::fs::read_to_string(p).ok());
    let readers: [(&'static str, Reader); 3] = [
        ("var/lib/dpkg/status", dpkg_status_arch),
        ("var/lib/dpkg/arch", dpkg_arch_file),
        ("etc/pacman.conf", pacman_conf_arch),
    ];
    for (rel, read) in readers {
        if let Some(arch) = text(rel).as_deref().and_then(read) {
            return Some((arch, rel));
        }
    }
    let mut header = [0u8; 64];
    let got = file("bin/sh").and_then(|p| std::fs::File::open(p).and_then(|mut f| f.read(&mut header)).ok())?;
    elf_arch(&header[..got]).map(|arch| (arch.to_owned(), "bin/sh"))
}

/// The `Architecture:` of the installed `dpkg` package: dpkg's native architecture.
fn dpkg_status_arch(status: &str) -> Option<String> {
    status.split("\n\n").find_map(|stanza| {
        let field = |name: &str| {
            stanza.lines().find_map(|l| l.strip_prefix(name).and_then(|v| v.strip_prefix(':')).map(str::trim))
        };
        let installed = field("Status").is_some_and(|s| s.ends_with(" installed"));
        (field("Package") == Some("dpkg") && installed)
            .then(|| field("Architecture"))
            .flatten()
            .filter(|a| !a.is_empty() && *a != "all")
            .map(str::to_owned)
    })
}

/// `var/lib/dpkg/arch` lists the architectures, the native one first.
fn dpkg_arch_file(text: &str) -> Option<String> {
    text.lines().map(str::trim).find(|l| !l.is_empty()).map(str::to_owned)
}

/// `Architecture = x86_64` in `[options]` (the first word that is not `auto`).
fn pacman_conf_arch(text: &str) -> Option<String> {
    let mut in_options = false;
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or_default().trim();
        if line.starts_with('[') {
            in_options = line == "[options]";
            continue;
        }
        let Some((key, value)) = line.split_once('=') else { continue };
        if in_options && key.trim() == "Architecture" {
            return value.split_whitespace().find(|w| *w != "auto").and_then(pacman_to_debian).map(str::to_owned);
        }
    }
    None
}

/// pacman's architecture names (Arch Linux, Arch Linux 32, Arch Linux ARM) in Debian spelling.
fn pacman_to_debian(arch: &str) -> Option<&'static str> {
    Some(match arch {
        a if a.starts_with("x86_64") => "amd64",
        "i486" | "i686" | "pentium4" => "i386",
        "aarch64" => "arm64",
        "armv7h" => "armhf",
        "armv6h" | "arm" => "armel",
        "riscv64" => "riscv64",
        "loong64" | "loongarch64" => "loong64",
        _ => return None,
    })
}

/// The Debian architecture of an ELF executable, from its header: class, byte order,
/// `e_machine` and (32-bit ARM) the hard-float flag.
fn elf_arch(header: &[u8]) -> Option<&'static str> {
    if header.len() < 52 || &header[..4] != b"\x7fELF" {
        return None;
    }
    let (class64, little) = (header[4] == 2, header[5] == 1);
    let u16_at = |i: usize| {
        let b = [header[i], header[i + 1]];
        if little { u16::from_le_bytes(b) } else { u16::from_be_bytes(b) }
    };
    // e_flags follows e_entry, e_phoff and e_shoff, whose width depends on the class.
    let flags_at = if class64 { 48 } else { 36 };
    let flags = {
        let b = [header[flags_at], header[flags_at + 1], header[flags_at + 2], header[flags_at + 3]];
        if little { u32::from_le_bytes(b) } else { u32::from_be_bytes(b) }
    };
    const EF_ARM_ABI_FLOAT_HARD: u32 = 0x400;
    Some(match (u16_at(18), class64, little) {
        (62, true, _) => "amd64",
        (3, false, _) => "i386",
        (183, true, _) => "arm64",
        (40, false, _) if flags & EF_ARM_ABI_FLOAT_HARD != 0 => "armhf",
        (40, false, _) => "armel",
        (21, true, true) => "ppc64el",
        (21, true, false) => "ppc64",
        (22, true, _) => "s390x",
        (243, true, _) => "riscv64",
        (258, true, _) => "loong64",
        (8, true, true) => "mips64el",
        (8, false, true) => "mipsel",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first 64 bytes of a real executable's header: class, byte order, machine, flags.
    fn elf(class64: bool, little: bool, machine: u16, flags: u32) -> Vec<u8> {
        let mut h = vec![0u8; 64];
        h[..4].copy_from_slice(b"\x7fELF");
        h[4] = if class64 { 2 } else { 1 };
        h[5] = if little { 1 } else { 2 };
        h[6] = 1;
        let m = if little { machine.to_le_bytes() } else { machine.to_be_bytes() };
        h[18..20].copy_from_slice(&m);
        let at = if class64 { 48 } else { 36 };
        let f = if little { flags.to_le_bytes() } else { flags.to_be_bytes() };
        h[at..at + 4].copy_from_slice(&f);
        h
    }

    #[test]
    fn elf_headers() {
        assert_eq!(elf_arch(&elf(true, true, 62, 0)), Some("amd64"));
        assert_eq!(elf_arch(&elf(true, true, 183, 0)), Some("arm64"));
        assert_eq!(elf_arch(&elf(false, true, 40, 0x0500_0400)), Some("armhf"), "EABI5, hard float");
        assert_eq!(elf_arch(&elf(false, true, 40, 0x0500_0200)), Some("armel"), "EABI5, soft float");
        assert_eq!(elf_arch(&elf(true, true, 21, 0)), Some("ppc64el"));
        assert_eq!(elf_arch(&elf(true, false, 22, 0)), Some("s390x"));
        assert_eq!(elf_arch(&elf(true, true, 243, 5)), Some("riscv64"));
        assert_eq!(elf_arch(&elf(false, true, 3, 0)), Some("i386"));
        assert_eq!(elf_arch(b"#!/bin/sh\nexec busybox sh \"$@\"\n"), None, "a script is not ELF");
        assert_eq!(elf_arch(&elf(true, true, 62, 0)[..20]), None, "a truncated header");
    }

    #[test]
    fn dpkg_status_names_the_native_architecture() {
        let status = "Package: libc6\nStatus: install ok installed\nArchitecture: armhf\nMulti-Arch: same\n\n\
                      Package: base-files\nStatus: install ok installed\nArchitecture: arm64\n\n\
                      Package: dpkg\nEssential: yes\nStatus: install ok installed\nPriority: required\n\
                      Section: admin\nInstalled-Size: 6620\nMaintainer: Ubuntu Developers\nArchitecture: arm64\n\
                      Multi-Arch: foreign\nVersion: 1.22.6ubuntu6\n\n";
        assert_eq!(dpkg_status_arch(status).as_deref(), Some("arm64"));
        let removed = "Package: dpkg\nStatus: deinstall ok config-files\nArchitecture: amd64\n";
        assert_eq!(dpkg_status_arch(removed), None);
        assert_eq!(dpkg_arch_file("amd64\ni386\n").as_deref(), Some("amd64"));
    }

    #[test]
    fn pacman_conf_architecture() {
        let stock = "[options]\n#RootDir     = /\nHoldPkg     = pacman glibc\nArchitecture = auto\n\n[core]\nInclude = /etc/pacman.d/mirrorlist\n";
        assert_eq!(pacman_conf_arch(stock), None, "`auto` says nothing");
        let alarm = "[options]\nHoldPkg = pacman glibc\nArchitecture = aarch64 # set by the image\n";
        assert_eq!(pacman_conf_arch(alarm).as_deref(), Some("arm64"));
        assert_eq!(pacman_conf_arch("[options]\nArchitecture = auto x86_64_v3\n").as_deref(), Some("amd64"));
        assert_eq!(pacman_conf_arch("[custom]\nArchitecture = aarch64\n"), None, "only [options] counts");
    }

    /// The start of Arch Linux ARM's stock `/etc/pacman.conf` (aarch64 image).
    const ALARM_PACMAN_CONF: &str = "#\n# /etc/pacman.conf\n#\n# See the pacman.conf(5) manpage for option and repository directives\n\n[options]\n#RootDir     = /\n#DBPath      = /var/lib/pacman/\nHoldPkg     = pacman glibc\n#XferCommand = /usr/bin/curl -L -C - -f -o %o %u\nArchitecture = aarch64\n\n#IgnorePkg   =\nCheckSpace\nSigLevel    = Required DatabaseOptional\nLocalFileSigLevel = Optional\n\n[core]\nInclude = /etc/pacman.d/mirrorlist\n\n[extra]\nInclude = /etc/pacman.d/mirrorlist\n\n[alarm]\nInclude = /etc/pacman.d/mirrorlist\n";

    #[test]
    fn host_detect_reads_the_roots_own_architecture() {
        use crate::targets::{Distro, Host, testing};
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        testing::write(
            root,
            "usr/lib/os-release",
            "NAME=\"Arch Linux ARM\"\nPRETTY_NAME=\"Arch Linux ARM\"\nID=archarm\nID_LIKE=arch\nBUILD_ID=rolling\n",
        );
        testing::write(root, "etc/pacman.conf", ALARM_PACMAN_CONF);
        std::os::unix::fs::symlink("../usr/lib/os-release", root.join("etc/os-release")).unwrap();
        let host = Host::detect(&testing::root_context(root)).unwrap();
        assert_eq!((host.arch.as_str(), host.arch_unknown, host.distro()), ("arm64", false, Distro::ArchArm));

        // Architecture = auto: the ELF header of bin/sh (merged /usr: bin -> usr/bin, sh -> bash).
        testing::write(root, "etc/pacman.conf", &ALARM_PACMAN_CONF.replace("= aarch64", "= auto"));
        let mut bash = elf(true, true, 183, 0);
        bash.resize(4096, 0);
        std::fs::create_dir_all(root.join("usr/bin")).unwrap();
        std::fs::write(root.join("usr/bin/bash"), &bash).unwrap();
        std::os::unix::fs::symlink("usr/bin", root.join("bin")).unwrap();
        std::os::unix::fs::symlink("bash", root.join("usr/bin/sh")).unwrap();
        assert_eq!(of_root(&testing::root_context(root)), Some(("arm64".into(), "bin/sh")));

        std::fs::remove_file(root.join("usr/bin/bash")).unwrap();
        let host = Host::detect(&testing::root_context(root)).unwrap();
        assert!(host.arch_unknown, "nothing tells: said so, not guessed silently");
    }
}
