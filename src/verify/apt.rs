//! apt: `apt-get update` of the sources files written, InRelease only (see the module docs).

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use super::{Check, Cx, Job, Outcome, Verdict, names_site, urls_in};

/// Index targets apt knows without any configuration of its own, turned off even when
/// `apt-config dump` cannot tell (the ones packages add, such as DEP-11 or Contents, are
/// read from the dump).
const BUILTIN_TARGETS: &[&str] = &["deb::Packages", "deb::Translations", "deb-src::Sources"];

/// apt's summary line after failed downloads: it names no source.
const SUMMARY: &str = "Some index files failed to download";

pub fn check(cx: &Cx<'_>, job: &Job<'_>) -> Check {
    let Some(apt_get) = cx.ctx.find_program("apt-get") else {
        return Check::probe("`apt-get` is not installed here; checked with the probe instead");
    };
    if let Err(why) = cx.runs(cx.cmd(&apt_get), "apt-get") {
        return Check::probe(why);
    }
    let conf = match prepare(cx, job) {
        Ok(conf) => conf,
        Err(e) => {
            return Check::probe(format!("could not prepare the apt check ({e}); checked with the probe instead"));
        }
    };
    let base = |program: &Path| {
        let mut cmd = cx.cmd(program);
        if !cx.ctx.is_real_root() {
            // The root's own apt configuration (`<root>/etc/apt/apt.conf.d`), not this machine's.
            cmd = cmd.env("APT_CONFIG", cx.dir.join("root.conf"));
        }
        cmd.arg("-c").arg(&conf)
    };
    // Index targets that packages configure (DEP-11, Contents, command-not-found, …).
    let apt_config = apt_get.with_file_name("apt-config");
    let mut targets: BTreeSet<String> = BUILTIN_TARGETS.iter().map(|t| (*t).to_owned()).collect();
    if apt_config.is_file() {
        let dump = cx.run(&base(&apt_config).arg("dump"), "apt-config");
        targets.extend(index_targets(&dump.output));
    }
    let mut extra = String::new();
    for t in &targets {
        let _ = writeln!(extra, "Acquire::IndexTargets::{t}::DefaultEnabled \"false\";");
    }
    if let Err(e) = append(&conf, &extra) {
        return Check::probe(format!("could not prepare the apt check ({e}); checked with the probe instead"));
    }
    let cmd = base(&apt_get).args(["-q", "update"]);
    let ran = cx.run(&cmd, "apt-get-update");
    Check::Done(judge(&ran, &cmd, &job.site_urls(), !cx.ctx.is_real_root()))
}

/// Writes the check's apt configuration and copies of the sources files written; returns
/// the configuration file.
fn prepare(cx: &Cx<'_>, job: &Job<'_>) -> std::io::Result<std::path::PathBuf> {
    let d = &cx.dir;
    // apt downloads as its `_apt` user, which must reach `lists/partial`.
    std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755))?;
    for sub in ["lists/partial", "cache/archives/partial", "sources.list.d"] {
        std::fs::create_dir_all(d.join(sub))?;
    }
    std::fs::write(d.join("status"), "")?;
    std::fs::write(d.join("sources.list"), "")?;
    let list = cx.ctx.sys("/etc/apt/sources.list");
    for (path, bytes) in &job.files {
        let Some(bytes) = bytes else { continue };
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if *path == list {
            std::fs::write(d.join("sources.list"), bytes)?;
        } else if name.ends_with(".list") || name.ends_with(".sources") {
            std::fs::write(d.join("sources.list.d").join(&name), bytes)?;
        }
    }
    let q = |p: &Path| p.display().to_string().replace('"', "");
    if !cx.ctx.is_real_root() {
        std::fs::write(d.join("root.conf"), format!("Dir::Etc \"{}/\";\n", q(&cx.ctx.sys("/etc/apt"))))?;
    }
    let secs = cx.timeout.as_secs().max(1);
    let conf = d.join("verify.conf");
    std::fs::write(
        &conf,
        format!(
            r#"// `mirror use --verify`: refresh the release files of the sources written, into
// temporary folders, and nothing else.
#clear APT::Update::Pre-Invoke;
#clear APT::Update::Post-Invoke;
#clear APT::Update::Post-Invoke-Success;
Dir::State::Lists "{d}/lists/";
Dir::Cache "{d}/cache/";
Dir::State::status "{d}/status";
Dir::Etc::sourcelist "{d}/sources.list";
Dir::Etc::sourceparts "{d}/sources.list.d/";
Debug::NoLocking "true";
Acquire::Languages "none";
Acquire::Retries "0";
Acquire::http::Timeout "{secs}";
Acquire::https::Timeout "{secs}";
APT::Update::Error-Mode "any";
"#,
            d = q(d)
        ),
    )?;
    Ok(conf)
}

fn append(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    std::fs::OpenOptions::new().append(true).open(path)?.write_all(text.as_bytes())
}

/// `deb::DEP-11` and the like, from `apt-config dump` lines
/// `Acquire::IndexTargets::deb::DEP-11::MetaKey "…";`.
fn index_targets(dump: &str) -> Vec<String> {
    dump.lines()
        .filter_map(|l| l.strip_prefix("Acquire::IndexTargets::"))
        .filter_map(|rest| {
            let mut parts = rest.split("::");
            let (kind, name, key) = (parts.next()?, parts.next()?, parts.next()?);
            key.starts_with("MetaKey ").then(|| format!("{kind}::{name}"))
        })
        .collect()
}

/// One thing apt reported as wrong: the line (with the reason apt gives below it) and the
/// URLs it names.
struct Problem {
    text: String,
    urls: Vec<String>,
}

/// Reads `apt-get update`'s output: which problems are the site's, which are another
/// server's, and whether apt read the site at all.
fn judge(ran: &super::Ran, cmd: &super::Cmd, site: &[&str], under_root: bool) -> Verdict {
    let by = "apt-get";
    match &ran.end {
        super::run::End::Exited(_) => {}
        _ => return Verdict::new(Outcome::Failed, by, cmd, ran, format!("`apt-get update` {}", ran.ending())),
    }
    let lines: Vec<&str> = ran.output.lines().collect();
    let mut problems = Vec::new();
    let mut fetched = 0;
    for (n, line) in lines.iter().enumerate() {
        let first = line.split_whitespace().next().unwrap_or_default();
        let status_line = ["Get:", "Hit:", "Ign:", "Err:"].iter().any(|p| first.starts_with(p));
        if status_line && urls_in(line).any(|u| names_site(u, site)) && !first.starts_with("Err:") {
            fetched += 1;
        }
        let problem =
            first.starts_with("Err:") || line.starts_with("E: ") || (line.starts_with("W: ") && is_trouble(line));
        if !problem || line.contains(SUMMARY) {
            continue;
        }
        // An `Err:` line's reason is on the indented lines below it.
        let mut text = (*line).to_owned();
        for next in lines.iter().skip(n + 1).take_while(|l| l.starts_with(' ')) {
            text.push_str(" — ");
            text.push_str(next.trim());
        }
        problems.push(Problem { urls: urls_in(line).map(str::to_owned).collect(), text });
    }
    // Under `--root` apt here may lack the keyring the root's sources name.
    let keyless: BTreeSet<String> = problems
        .iter()
        .filter(|p| under_root && (p.text.contains("NO_PUBKEY") || p.text.contains("public key is not available")))
        .flat_map(|p| p.urls.iter().map(|u| repo_of(u)))
        .collect();
    let mut mine = Vec::new();
    let mut notes = Vec::new();
    for p in problems {
        let about_site = p.urls.iter().any(|u| names_site(u, site));
        let unattributed = p.urls.is_empty() && p.text.starts_with("E: ");
        if about_site && p.urls.iter().any(|u| keyless.contains(&repo_of(u))) {
            notes.push(format!(
                "apt on this machine lacks the key the root's sources name, so signatures were not checked: {}",
                p.text
            ));
        } else if about_site || unattributed {
            mine.push(p.text);
        } else if !p.urls.is_empty() {
            notes.push(format!("`apt-get update` also reported, about another server: {}", p.text));
        }
    }
    let code = match ran.end {
        super::run::End::Exited(c) => c,
        _ => None,
    };
    if let Some(first) = mine.first() {
        let more = if mine.len() > 1 { format!(" (and {} more)", mine.len() - 1) } else { String::new() };
        return Verdict::new(
            Outcome::Failed,
            by,
            cmd,
            ran,
            format!("`apt-get update` failed for the mirror: {first}{more}"),
        )
        .with_notes(notes);
    }
    if code != Some(0) && notes.is_empty() {
        return Verdict::new(Outcome::Failed, by, cmd, ran, format!("`apt-get update` failed ({})", ran.ending()));
    }
    if fetched == 0 {
        return Verdict::new(
            Outcome::Failed,
            by,
            cmd,
            ran,
            "`apt-get update` did not read the mirror: no source written points at it".into(),
        )
        .with_notes(notes);
    }
    let what = if fetched == 1 { "1 release file".to_owned() } else { format!("{fetched} release files") };
    Verdict::new(
        Outcome::Passed,
        by,
        cmd,
        ran,
        format!("`apt-get update` read {what} from the mirror and checked their signatures"),
    )
    .with_notes(notes)
}

/// Warnings that mean a source cannot be used as it is (others, such as a key kept in the
/// legacy keyring or an architecture a repository lacks, are not the mirror's trouble).
fn is_trouble(line: &str) -> bool {
    [
        "Failed to fetch",
        "GPG error",
        "Conflicting distribution",
        "is expired",
        "not valid yet",
        "Release file",
        "is not signed",
        "Hash Sum mismatch",
        "Clearsigned",
    ]
    .iter()
    .any(|w| line.contains(w))
}

/// A URL up to its `dists/` part (what one source is, for matching the lines about it).
fn repo_of(url: &str) -> String {
    let url = url.trim_matches(|c: char| c == '\'' || c == ':');
    url.split("/dists/").next().unwrap_or(url).trim_end_matches('/').to_owned()
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::super::run::{Cmd, End, Ran};
    use super::*;

    fn ran(code: i32, output: &str) -> Ran {
        Ran { end: End::Exited(Some(code)), output: output.to_owned() }
    }

    const SITE: &[&str] = &["http://127.0.0.1:18931/partial"];

    fn judged(code: i32, output: &str, under_root: bool) -> Verdict {
        judge(&ran(code, output), &Cmd::new(Path::new("/usr/bin/apt-get")), SITE, under_root)
    }

    #[test]
    fn a_missing_suite_is_the_mirrors_failure() {
        // apt 2.6, a mirror without bookworm-updates.
        let out = "Get:1 http://127.0.0.1:18931/partial bookworm InRelease [6130 B]
Ign:2 http://127.0.0.1:18931/partial bookworm-updates InRelease
Err:3 http://127.0.0.1:18931/partial bookworm-updates Release
  404  File not found [IP: 127.0.0.1 18931]
Reading package lists...
E: The repository 'http://127.0.0.1:18931/partial bookworm-updates Release' does not have a Release file.
";
        let v = judged(100, out, false);
        assert_eq!(v.status, Outcome::Failed);
        assert!(
            v.reason.contains("Err:3 http://127.0.0.1:18931/partial bookworm-updates Release — 404  File not found"),
            "{}",
            v.reason
        );
        assert!(v.reason.ends_with("(and 1 more)"), "{}", v.reason);
        assert_eq!(
            v.output.last().map(String::as_str),
            Some(
                "E: The repository 'http://127.0.0.1:18931/partial bookworm-updates Release' does not have a Release file."
            )
        );
    }

    #[test]
    fn another_servers_failure_is_a_note_and_an_unread_mirror_a_failure() {
        let out = "Get:1 http://127.0.0.1:18931/partial bookworm InRelease [6130 B]
Err:2 http://security.debian.org/debian-security bookworm-security InRelease
  Could not resolve 'security.debian.org'
Reading package lists...
E: Failed to fetch http://security.debian.org/debian-security/dists/bookworm-security/InRelease  Could not resolve 'security.debian.org'
E: Some index files failed to download. They have been ignored, or old ones used instead.
";
        let v = judged(100, out, false);
        assert_eq!(v.status, Outcome::Passed, "{v:?}");
        assert_eq!(v.reason, "`apt-get update` read 1 release file from the mirror and checked their signatures");
        assert_eq!(v.notes.len(), 2, "{:?}", v.notes);
        assert!(
            v.notes[0]
                .starts_with("`apt-get update` also reported, about another server: Err:2 http://security.debian.org")
        );

        let out = "Hit:1 http://deb.debian.org/debian bookworm InRelease\nReading package lists...\n";
        let v = judged(0, out, false);
        assert_eq!(v.status, Outcome::Failed);
        assert!(v.reason.contains("did not read the mirror"), "{}", v.reason);
    }

    #[test]
    fn a_broken_sources_file_is_blamed_and_benign_warnings_are_not() {
        let v = judged(
            100,
            "Reading package lists...\nE: Malformed entry 3 in sources file /t/sources.list.d/debian.sources (Suites)\nE: The list of sources could not be read.\n",
            false,
        );
        assert_eq!(v.status, Outcome::Failed);
        assert!(v.reason.contains("Malformed entry 3"), "{}", v.reason);
        let out = "Hit:1 http://127.0.0.1:18931/partial bookworm InRelease
W: http://127.0.0.1:18931/partial/dists/bookworm/InRelease: Key is stored in legacy trusted.gpg keyring (/etc/apt/trusted.gpg), see the DEPRECATION section in apt-key(8) for details.
";
        assert_eq!(judged(0, out, false).status, Outcome::Passed);
    }

    #[test]
    fn a_missing_key_fails_except_under_a_root_whose_keyring_is_not_here() {
        let out = "Get:1 http://127.0.0.1:18931/partial bookworm InRelease [6130 B]
Err:1 http://127.0.0.1:18931/partial bookworm InRelease
  The following signatures couldn't be verified because the public key is not available: NO_PUBKEY 5BB0A9BB9685A06E
Reading package lists...
W: GPG error: http://127.0.0.1:18931/partial bookworm InRelease: The following signatures couldn't be verified because the public key is not available: NO_PUBKEY 5BB0A9BB9685A06E
E: The repository 'http://127.0.0.1:18931/partial bookworm InRelease' is not signed.
";
        assert_eq!(judged(100, out, false).status, Outcome::Failed);
        let v = judged(100, out, true);
        assert_eq!(v.status, Outcome::Passed, "{v:?}");
        assert!(v.notes[0].starts_with("apt on this machine lacks the key"), "{:?}", v.notes);
    }

    #[test]
    fn index_targets_come_from_the_dump() {
        let dump = "Acquire::IndexTargets::deb::Packages::MetaKey \"$(COMPONENT)/binary-$(ARCHITECTURE)/Packages\";
Acquire::IndexTargets::deb::Packages::flatMetaKey \"Packages\";
Acquire::IndexTargets::deb::DEP-11-icons-small::MetaKey \"$(COMPONENT)/dep11/icons-48x48.tar\";
Acquire::IndexTargets::deb::CNF::MetaKey \"$(COMPONENT)/cnf/Commands-$(NATIVE_ARCHITECTURE)\";
";
        assert_eq!(index_targets(dump), ["deb::Packages", "deb::DEP-11-icons-small", "deb::CNF"]);
    }
}
