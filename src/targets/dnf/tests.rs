use std::path::Path;

use super::*;
use crate::catalog::Catalog;
use crate::targets::testing::{self, root_context, write};

macro_rules! fixture {
    ($name:literal) => {
        include_str!(concat!("../../../tests/fixtures/dnf/", $name))
    };
}

const FEDORA: &str = fixture!("fedora40/fedora.repo");
const UPDATES: &str = fixture!("fedora40/fedora-updates.repo");
const TESTING: &str = fixture!("fedora40/fedora-updates-testing.repo");
const OPENH264: &str = fixture!("fedora40/fedora-cisco-openh264.repo");
const DOCKER: &str = fixture!("docker-ce.repo");
const ROCKY: &str = fixture!("rocky9/rocky.repo");
const EPEL: &str = fixture!("rocky9/epel.repo");
const CENTOS: &str = fixture!("centos9/centos.repo");
const ALMA: &str = fixture!("alma9/almalinux-baseos.repo");
const OPENEULER: &str = fixture!("openeuler2203/openEuler.repo");
const MALFORMED: &str = fixture!("malformed.repo");

const FEDORA_OS: &str =
    "NAME=\"Fedora Linux\"\nVERSION=\"40 (Container Image)\"\nID=fedora\nVERSION_ID=40\nPLATFORM_ID=\"platform:f40\"\n";
const ROCKY_OS: &str = "NAME=\"Rocky Linux\"\nVERSION=\"9.4 (Blue Onyx)\"\nID=\"rocky\"\nID_LIKE=\"rhel centos fedora\"\nVERSION_ID=\"9.4\"\n";
const CENTOS_OS: &str =
    "NAME=\"CentOS Stream\"\nVERSION=\"9\"\nID=\"centos\"\nID_LIKE=\"rhel fedora\"\nVERSION_ID=\"9\"\n";
const ALMA_OS: &str = "NAME=\"AlmaLinux\"\nVERSION=\"9.4 (Seafoam Ocelot)\"\nID=\"almalinux\"\nID_LIKE=\"rhel centos fedora\"\nVERSION_ID=\"9.4\"\n";
const OPENEULER_OS: &str = "NAME=\"openEuler\"\nVERSION=\"22.03 (LTS-SP3)\"\nID=\"openEuler\"\nVERSION_ID=\"22.03\"\n";

fn host(os: &str) -> Host {
    let mut h = Host { arch: "amd64".into(), ..Host::default() };
    h.parse_os_release(os);
    h.has_os_release = true;
    h
}

fn site(id: &str) -> Site {
    Catalog::builtin().unwrap().get(id).unwrap().clone()
}

/// A fake root holding `files` in `/etc/yum.repos.d`.
struct Root {
    dir: tempfile::TempDir,
    os: &'static str,
}

impl Root {
    fn new(os: &'static str, files: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "etc/os-release", os);
        for (name, text) in files {
            write(dir.path(), &format!("etc/yum.repos.d/{name}"), text);
        }
        Self { dir, os }
    }

    fn ctx(&self) -> Context {
        root_context(self.dir.path())
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.path().join("etc/yum.repos.d").join(name)).unwrap()
    }

    fn plan(&self, site: &Site) -> Result<Vec<FileEdit>> {
        let upstream = self::site("upstream");
        Dnf.plan(&self.ctx(), &host(self.os), &Request { site, upstream: Some(&upstream), security: false })
    }

    /// Plans `site` and writes the result; returns the names of the files that changed.
    fn apply(&self, site: &str) -> Vec<String> {
        let edits = self.plan(&self::site(site)).unwrap();
        let mut changed = Vec::new();
        for e in edits.into_iter().filter(FileEdit::is_change) {
            std::fs::write(&e.path, e.after.unwrap()).unwrap();
            changed.push(e.path.file_name().unwrap().to_string_lossy().into_owned());
        }
        changed
    }

    fn current(&self) -> Current {
        Dnf.current(&self.ctx(), &host(self.os)).unwrap()
    }
}

fn active<'a>(text: &'a str, key: &str) -> Vec<&'a str> {
    text.lines().filter_map(|l| l.strip_prefix(&format!("{key}="))).collect()
}

#[test]
fn fedora_sections_go_to_the_site_and_third_parties_stay() {
    let r = Root::new(
        FEDORA_OS,
        &[
            ("fedora.repo", FEDORA),
            ("fedora-updates.repo", UPDATES),
            ("fedora-updates-testing.repo", TESTING),
            ("fedora-cisco-openh264.repo", OPENH264),
            ("docker-ce.repo", DOCKER),
        ],
    );
    assert_eq!(r.current().url, None, "the stock files use the metalink");
    assert_eq!(r.apply("tuna"), ["fedora-updates-testing.repo", "fedora-updates.repo", "fedora.repo"]);
    let fedora = r.read("fedora.repo");
    insta::assert_snapshot!(fedora);
    assert_eq!(
        active(&fedora, "baseurl"),
        [
            "https://mirrors.tuna.tsinghua.edu.cn/fedora/releases/$releasever/Everything/$basearch/os/",
            "https://mirrors.tuna.tsinghua.edu.cn/fedora/releases/$releasever/Everything/$basearch/debug/tree/",
            "https://mirrors.tuna.tsinghua.edu.cn/fedora/releases/$releasever/Everything/source/tree/",
        ]
    );
    assert!(active(&fedora, "metalink").is_empty(), "{fedora}");
    // Only the URL lines changed: every other line is the file's own, in order.
    let others = |t: &str| -> Vec<String> {
        t.lines().filter(|l| !l.contains("baseurl=") && !l.contains("metalink=")).map(str::to_owned).collect()
    };
    assert_eq!(others(&fedora), others(FEDORA));
    assert_eq!(
        active(&r.read("fedora-updates.repo"), "baseurl")[0],
        "https://mirrors.tuna.tsinghua.edu.cn/fedora/updates/$releasever/Everything/$basearch/"
    );
    assert_eq!(r.read("fedora-cisco-openh264.repo"), OPENH264, "Cisco's repository is not on mirrors");
    assert_eq!(r.read("docker-ce.repo"), DOCKER);
    let current = r.current();
    assert_eq!(current.url.as_deref(), Some("https://mirrors.tuna.tsinghua.edu.cn/fedora"));
    assert_eq!(current.url, Dnf.endpoint(&site("tuna"), &host(FEDORA_OS)));
    assert!(current.files[0].ends_with("fedora-updates.repo"), "the first enabled Fedora section: {current:?}");
    assert_eq!(current.files.len(), 3, "{current:?}");
}

#[test]
fn twice_is_unchanged_and_switching_equals_choosing_directly() {
    for (os, files) in [
        (FEDORA_OS, vec![("fedora.repo", FEDORA), ("fedora-updates.repo", UPDATES)]),
        (ROCKY_OS, vec![("rocky.repo", ROCKY), ("epel.repo", EPEL)]),
        (CENTOS_OS, vec![("centos.repo", CENTOS)]),
        (ALMA_OS, vec![("almalinux-baseos.repo", ALMA)]),
        (OPENEULER_OS, vec![("openEuler.repo", OPENEULER)]),
    ] {
        let (a, b) = (Root::new(os, &files), Root::new(os, &files));
        let mirror = if os == CENTOS_OS || os == OPENEULER_OS { "tuna" } else { "nju" };
        let other = if os == ALMA_OS { "nyist" } else { "ustc" };
        assert!(!a.apply(mirror).is_empty(), "{os}");
        assert!(a.apply(mirror).is_empty(), "{os}: the same site twice changes nothing");
        a.apply(other);
        b.apply(other);
        for (name, _) in &files {
            assert_eq!(a.read(name), b.read(name), "{os} {name}: via {mirror} = directly");
        }
        assert_eq!(a.current().url, Dnf.endpoint(&site(other), &host(os)), "{os}");
    }
}

#[test]
fn upstream_brings_the_metalink_and_mirrorlist_back() {
    let r = Root::new(FEDORA_OS, &[("fedora.repo", FEDORA)]);
    r.apply("tuna");
    r.apply("upstream");
    let text = r.read("fedora.repo");
    assert_eq!(active(&text, "metalink").len(), 3, "{text}");
    assert!(active(&text, "baseurl").is_empty(), "{text}");
    assert!(text.contains(
        "#baseurl=https://dl.fedoraproject.org/pub/fedora/linux/releases/$releasever/Everything/$basearch/os/\nmetalink="
    ));
    assert_eq!(r.current().url, None);
    assert!(r.apply("upstream").is_empty(), "upstream twice changes nothing");
    // And to a mirror again from there.
    r.apply("ustc");
    assert_eq!(
        active(&r.read("fedora.repo"), "baseurl")[0],
        "https://mirrors.ustc.edu.cn/fedora/releases/$releasever/Everything/$basearch/os/"
    );

    let r = Root::new(ROCKY_OS, &[("rocky.repo", ROCKY)]);
    r.apply("nju");
    let text = r.read("rocky.repo");
    assert!(text.contains("#mirrorlist=https://mirrors.rockylinux.org/mirrorlist?arch=$basearch&repo=BaseOS-$releasever$rltype\nbaseurl=https://mirror.nju.edu.cn/rocky/$releasever/BaseOS/$basearch/os/\n"), "{text}");
    r.apply("upstream");
    let text = r.read("rocky.repo");
    assert_eq!(active(&text, "mirrorlist").len(), 4, "{text}");
    assert!(text.contains("#baseurl=https://dl.rockylinux.org/pub/rocky/$releasever/BaseOS/$basearch/os/"), "{text}");
}

#[test]
fn epel_follows_when_the_site_serves_it_and_stays_otherwise() {
    let r = Root::new(ROCKY_OS, &[("rocky.repo", ROCKY), ("epel.repo", EPEL)]);
    assert_eq!(r.apply("nju"), ["epel.repo", "rocky.repo"]);
    let epel = r.read("epel.repo");
    assert!(
        epel.contains("\nbaseurl=https://mirror.nju.edu.cn/epel/$releasever/Everything/$basearch/\n#metalink="),
        "{epel}"
    );
    assert!(epel.contains("# It is much more secure to use the metalink"), "comments kept");

    // SUSTech serves Rocky Linux but no EPEL: epel.repo stays, and the user is told.
    let r = Root::new(ROCKY_OS, &[("rocky.repo", ROCKY), ("epel.repo", EPEL)]);
    let edits = r.plan(&site("sustech")).unwrap();
    let epel = edits.iter().find(|e| e.path.ends_with("epel.repo")).unwrap();
    assert!(!epel.is_change());
    let notes: Vec<&String> = edits.iter().flat_map(|e| &e.notes).collect();
    assert!(
        notes.iter().any(|n| n.contains("epel.repo` [epel]: kept on its server: the site does not serve `epel`")),
        "{notes:?}"
    );
    let rocky = edits.iter().find(|e| e.path.ends_with("rocky.repo")).unwrap();
    assert!(
        String::from_utf8_lossy(rocky.after.as_ref().unwrap())
            .contains("baseurl=https://mirrors.sustech.edu.cn/rocky-linux/$releasever/BaseOS/")
    );
}

#[test]
fn centos_stream_gets_a_baseurl_under_its_metalink() {
    let r = Root::new(CENTOS_OS, &[("centos.repo", CENTOS)]);
    r.apply("tuna");
    let text = r.read("centos.repo");
    insta::assert_snapshot!(text);
    assert!(text.contains("#metalink=https://mirrors.centos.org/metalink?repo=centos-baseos-$stream&arch=$basearch&protocol=https,http\nbaseurl=https://mirrors.tuna.tsinghua.edu.cn/centos-stream/$stream/BaseOS/$basearch/os/\n"), "{text}");
    assert!(
        text.contains(
            "baseurl=https://mirrors.tuna.tsinghua.edu.cn/centos-stream/$stream/BaseOS/$basearch/debug/tree/\n"
        )
    );
    assert!(text.contains("baseurl=https://mirrors.tuna.tsinghua.edu.cn/centos-stream/$stream/BaseOS/source/tree/\n"));
    assert_eq!(r.current().url.as_deref(), Some("https://mirrors.tuna.tsinghua.edu.cn/centos-stream"));
    r.apply("upstream");
    let text = r.read("centos.repo");
    assert_eq!(active(&text, "metalink").len(), 5);
    assert!(active(&text, "baseurl").is_empty());
}

#[test]
fn openeuler_keeps_its_keys_and_alma_takes_its_spaced_comment_back() {
    let r = Root::new(OPENEULER_OS, &[("openEuler.repo", OPENEULER)]);
    r.apply("tuna");
    let text = r.read("openEuler.repo");
    assert!(text.contains("baseurl=https://mirrors.tuna.tsinghua.edu.cn/openeuler/openEuler-22.03-LTS-SP3/OS/$basearch/\n#metalink=https://mirrors.openeuler.org/"), "{text}");
    assert_eq!(active(&text, "gpgkey"), active(OPENEULER, "gpgkey"), "keys stay where the distribution publishes them");
    assert!(text.starts_with("#generic-repos is licensed under the Mulan PSL v2."));

    let r = Root::new(ALMA_OS, &[("almalinux-baseos.repo", ALMA)]);
    r.apply("nju");
    let text = r.read("almalinux-baseos.repo");
    assert!(text.contains("#mirrorlist=https://mirrors.almalinux.org/mirrorlist/$releasever/baseos\nbaseurl=https://mirror.nju.edu.cn/almalinux/$releasever/BaseOS/$basearch/os/\n"), "{text}");
    // The debug section's commented URL is on vault.almalinux.org, which mirrors do not carry.
    assert!(text.contains("# baseurl=https://vault.almalinux.org/"), "{text}");
}

#[test]
fn malformed_files_name_the_file_and_line_and_nothing_is_planned() {
    let r = Root::new(FEDORA_OS, &[("fedora.repo", FEDORA), ("zz-bad.repo", MALFORMED)]);
    for err in [r.plan(&site("tuna")).unwrap_err(), Dnf.current(&r.ctx(), &host(FEDORA_OS)).unwrap_err()] {
        let text = crate::error::render(&err);
        assert!(text.contains("zz-bad.repo` line 9:"), "{text}");
        assert!(text.contains("`gpgcheck 1` is neither `key=value`"), "{text}");
        assert_eq!(crate::error::status_of(&err).code(), 2);
    }
    assert_eq!(r.read("fedora.repo"), FEDORA);
}

#[test]
fn other_distributions_and_missing_repositories_are_refused() {
    let r = Root::new("ID=\"rhel\"\nID_LIKE=\"fedora\"\nVERSION_ID=\"9.4\"\n", &[]);
    let e = crate::error::render(&r.plan(&site("tuna")).unwrap_err());
    assert!(e.contains("cannot configure dnf: the root's os-release says `ID=rhel`"), "{e}");
    assert!(e.contains("subscription-manager"), "{e}");
    let r = Root::new(FEDORA_OS, &[("docker-ce.repo", DOCKER)]);
    let e = crate::error::render(&r.plan(&site("tuna")).unwrap_err());
    assert!(e.contains("names a Fedora repository `mirror` recognises"), "{e}");
    // TUNA has no Rocky Linux.
    let r = Root::new(ROCKY_OS, &[("rocky.repo", ROCKY)]);
    let e = crate::error::render(&r.plan(&site("tuna")).unwrap_err());
    assert!(e.contains("site `tuna` does not serve `rocky`"), "{e}");
    assert_eq!(Dnf.endpoint(&site("tuna"), &host(ROCKY_OS)), None);
    assert_eq!(Dnf.endpoint(&site("tuna"), &host("ID=debian\n")), None);
}

#[test]
fn present_when_repo_files_exist_or_dnf_runs_here() {
    let r = Root::new(FEDORA_OS, &[]);
    assert!(!Dnf.present(&r.ctx(), &host(FEDORA_OS)));
    write(r.dir.path(), "usr/bin/dnf", "");
    assert!(Dnf.present(&r.ctx(), &host(FEDORA_OS)));
    // dnf installed on Debian (to build Fedora roots) is not a dnf system.
    assert!(!Dnf.present(&r.ctx(), &host("ID=debian\n")));
    let r = Root::new("ID=debian\n", &[("fedora.repo", FEDORA)]);
    assert!(Dnf.present(&r.ctx(), &host("ID=debian\n")));
    let _ = (testing::site, Path::new("."));
}
