//! The command line, as data: clap derives only. Doc comments are the help text.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::targets::TargetKind;

const AFTER_HELP: &str = "\
Examples:
  mirror list                      sites and the package managers each serves
  mirror bench pip cargo           probe and rank sites for pip and cargo
  mirror use tuna                  point every package manager here at TUNA
  mirror use best --yes            the best site per package manager, no questions
  mirror status --check            what each package manager uses now, and is it healthy
  mirror heal                      move only the package managers whose mirror went bad
  mirror restore                   undo the last `mirror use`
  mirror site add lab URL          find out what a mirror of your own serves, and add it

Environment:
  MIRROR_ROOT         same as --root
  MIRROR_CATALOG      same as --catalog
  MIRROR_NO_PROGRESS  never show progress bars
  MIRROR_ARCH         host architecture in Debian spelling (amd64, arm64, ...) for foreign chroots
  NO_COLOR            no colour
  HOME, XDG_CONFIG_HOME, XDG_STATE_HOME, CARGO_HOME, PIP_CONFIG_FILE, CONDARC, GOENV,
  NPM_CONFIG_USERCONFIG, SUDO_USER
                      where user-level configs and the journal live (not used under --root)

Exit codes: 0 success, 1 the operation could not succeed (a check failed and was put back,
  `heal` could not heal a target), 2 usage or bad input,
  130, 143, 129 stopped by SIGINT, SIGTERM, SIGHUP (everything written was put back)";

/// Point apt, pacman, pip, uv, conda, cargo, Docker and developer tools (npm, Go, rustup, Maven, …) at a fast, fresh mirror — and back.
#[derive(Debug, Parser)]
#[command(name = "mirror", version, about, after_help = AFTER_HELP, max_term_width = 100)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Command,
}

/// Options accepted by every command.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// Print one JSON document on stdout instead of tables
    #[arg(long, global = true)]
    pub json: bool,

    /// Print only errors and data
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Explain more: every file read, every probe sent
    #[arg(short, long, global = true)]
    pub verbose: bool,

    /// When to use colour (`NO_COLOR` turns it off in `auto`)
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,

    /// Never show progress bars (also `MIRROR_NO_PROGRESS`)
    #[arg(long, global = true)]
    pub no_progress: bool,

    /// Answer yes to the question `use` and `restore` ask on a terminal
    ///
    /// Without a terminal, `use` changes files only with `--yes` (else it exits 2); `restore`
    /// does not ask there, and `heal` never asks.
    #[arg(short, long, global = true)]
    pub yes: bool,

    /// For `use`, `heal` and `restore`: print a unified diff per file, write and journal nothing
    /// (`site add`: print the site file; `site remove`: say what it would remove)
    #[arg(long, global = true)]
    pub dry_run: bool,

    /// Configure the machine in DIR instead of this one, as in a chroot (also `MIRROR_ROOT`)
    ///
    /// System files are read and written under DIR, user files in a home inside DIR (root's,
    /// or the one of `--user`), and links are resolved inside DIR. `HOME`, `XDG_*`,
    /// `CARGO_HOME`, `PIP_CONFIG_FILE` and `CONDARC` describe this machine and are not used.
    #[arg(long, global = true, value_name = "DIR")]
    pub root: Option<PathBuf>,

    /// With `--root`: configure the user files of NAME (home, uid and gid from DIR/etc/passwd)
    #[arg(long, global = true, value_name = "NAME")]
    pub user: Option<String>,

    /// A site file or folder of site files replacing the built-in catalog (also `MIRROR_CATALOG`)
    #[arg(long, global = true, value_name = "PATH")]
    pub catalog: Option<PathBuf>,

    /// Time allowed for each probe, e.g. `800ms`, `3s`
    #[arg(long, global = true, value_name = "DURATION", value_parser = parse_duration, default_value = "3s")]
    pub timeout: Duration,

    /// A site further behind upstream than this is `stale`, e.g. `6h`, `2d`
    #[arg(long, global = true, value_name = "DURATION", value_parser = parse_duration, default_value = "1d")]
    pub max_lag: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List the sites in the catalog and the package managers each serves
    #[command(after_help = "Examples:\n  mirror list\n  mirror list cargo docker\n  mirror list --json")]
    List(ListArgs),

    /// Probe sites for latency, throughput and freshness, and rank them per package manager
    ///
    /// Writes no configuration. Results are kept in the state directory, where `mirror use best`
    /// reuses them while they are recent.
    #[command(
        after_help = "Examples:\n  mirror bench\n  mirror bench pip --site tuna,ustc,upstream\n  mirror bench --json --timeout 2s"
    )]
    Bench(BenchArgs),

    /// Point package managers at a site (`best`: the best per target; `upstream`: the official servers)
    ///
    /// With no TARGET, every package manager present here that the site serves is switched; a
    /// target the site does not serve is skipped. A named target the site does not serve, or a
    /// named system package manager (apt, pacman, Docker, dnf, …) that is not on this system, is
    /// an error. On a terminal the changes are shown and one confirmation is asked; without a
    /// terminal `--yes` is required.
    /// Every original file is journaled first, so `mirror restore` gives the exact bytes back.
    ///
    /// With `--verify` (the default for `best`), each changed package manager is then checked
    /// against its new files, by the package manager itself when it is installed (`apt-get
    /// update` of the release files into temporary lists, `pacman -Sy` into a temporary
    /// database, `pip download`, `uv pip compile`, `cargo generate-lockfile`, `conda search`,
    /// `npm view` of one small package), else by probing the URL written. A target whose check
    /// fails is put back, the others stay, and the exit code is 1.
    #[command(
        after_help = "Examples:\n  mirror use tuna\n  mirror use ustc pip cargo --dry-run\n  mirror use tuna apt --verify --yes\n  mirror use best --yes\n  mirror use best --from ranking.json --yes   (a ranking `mirror bench --json` wrote)\n  mirror use upstream apt --yes"
    )]
    Use(UseArgs),

    /// Show what each package manager points at now (`--check`: probe it)
    #[command(after_help = "Examples:\n  mirror status\n  mirror status pip --json\n  mirror status --check")]
    Status(StatusArgs),

    /// Switch only the package managers whose mirror is failed or stale (for timers and cron)
    ///
    /// Probes the mirror each configured package manager uses now, as `status --check` does.
    /// A healthy one (`ok` or `slow`) is never touched. One that is `failed`, `stale` or
    /// `throttled` is switched to the best healthy site, probed afresh, and the new config is
    /// checked as `use --verify` checks it (put back when the check fails). A package manager
    /// pinned to a mirror outside the catalog is reported and left alone; so is one at its
    /// built-in default (no mirror configured) or overridden by a variable. Never asks:
    /// `--dry-run` shows what it would do. Every switch of a run is one journal entry:
    /// `mirror restore` undoes it. Exit 0 when everything is healthy or healed, 1 when
    /// something could not be healed.
    #[command(
        after_help = "Examples:\n  mirror heal\n  mirror heal apt docker --dry-run\n  mirror heal --json   (systemd units and a cron line: `contrib/`)"
    )]
    Heal(HealArgs),

    /// Undo the last `mirror use` (or the journal entry `--id`)
    ///
    /// Refuses a file that was edited after the `use` unless `--force`.
    #[command(
        after_help = "Examples:\n  mirror restore\n  mirror restore --list\n  mirror restore --id 20261123T101500-1234 --force"
    )]
    Restore(RestoreArgs),

    /// Your own sites: find out what a mirror serves and write its site file
    ///
    /// Site files of your own live in `$XDG_CONFIG_HOME/mirror/mirrors/` (usually
    /// `~/.config/mirror/mirrors/`) and join the built-in catalog: `mirror use NAME`,
    /// `mirror bench --site NAME` and `mirror status` know them at once.
    #[command(
        after_help = "Examples:\n  mirror site add lab https://mirror.lab.example/ --region DE\n  mirror site list\n  mirror site remove lab"
    )]
    Site(SiteArgs),

    /// Print the completion script for a shell
    #[command(
        after_help = "Examples:\n  mirror completions bash > ~/.local/share/bash-completion/completions/mirror\n  mirror completions fish > ~/.config/fish/completions/mirror.fish"
    )]
    Completions(CompletionsArgs),
}

#[derive(Debug, Clone, Args)]
pub struct ListArgs {
    /// Only sites serving these package managers
    #[arg(value_enum)]
    pub targets: Vec<TargetKind>,
}

#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    /// Package managers to rank (default: those on this system; all of them when none is)
    #[arg(value_enum)]
    pub targets: Vec<TargetKind>,

    /// Probe only these sites (comma-separated ids)
    #[arg(long, value_delimiter = ',', value_name = "ID,...")]
    pub site: Vec<String>,
}

#[derive(Debug, Clone, Args)]
pub struct UseArgs {
    /// A site id from `mirror list`, `best`, or `upstream` (a picker on a terminal when omitted)
    pub site: Option<String>,

    /// Package managers to switch (default: every one present that the site serves)
    #[arg(value_enum)]
    pub targets: Vec<TargetKind>,

    /// Also point the Debian/Ubuntu security suites at the mirror (they stay official by default)
    #[arg(long)]
    pub security: bool,

    /// With `best`: probe again even when recent `bench` results exist
    #[arg(long)]
    pub refresh: bool,

    /// With `best`: consider only these sites (comma-separated ids)
    #[arg(long = "site", value_delimiter = ',', value_name = "ID,...")]
    pub candidates: Vec<String>,

    /// With `best`: also consider third-party mirrors (marked in `mirror list`); the same as
    /// `allow_third_party = true` in `$XDG_CONFIG_HOME/mirror/config.toml`
    #[arg(long)]
    pub allow_third_party: bool,

    /// Check each changed package manager against its new files, and put back the ones that
    /// fail (the default for `best`)
    #[arg(long, conflicts_with = "no_verify")]
    pub verify: bool,

    /// Write without checking (also for `best`)
    #[arg(long)]
    pub no_verify: bool,

    /// Time allowed for each package manager's check, e.g. `30s`, `2m`
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "60s")]
    pub verify_timeout: Duration,

    /// With `best`: follow the ranking in FILE, which `mirror bench --json` wrote (here or on
    /// another machine), instead of probing; `-` reads it from stdin
    ///
    /// FILE must rank every target being switched, for this kind of system, with sites this
    /// catalog has at the same URLs, and be no older than `--max-age` (by its `measured_at`).
    /// Anything else is an error (exit 2) that says what differs.
    #[arg(long, value_name = "FILE", conflicts_with = "refresh")]
    pub from: Option<PathBuf>,

    /// With `--from`: the oldest ranking to follow, e.g. `6h`, `3d`
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "1d")]
    pub max_age: Duration,
}

#[derive(Debug, Clone, Args)]
pub struct HealArgs {
    /// Package managers to heal (default: every one configured here)
    #[arg(value_enum)]
    pub targets: Vec<TargetKind>,

    /// Move only to these sites (comma-separated ids)
    #[arg(long = "site", value_delimiter = ',', value_name = "ID,...")]
    pub candidates: Vec<String>,

    /// Also consider third-party mirrors; the same as `allow_third_party = true` in
    /// `$XDG_CONFIG_HOME/mirror/config.toml`
    #[arg(long)]
    pub allow_third_party: bool,

    /// Time allowed for each package manager's check of its new config
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "60s")]
    pub verify_timeout: Duration,
}

#[derive(Debug, Clone, Args)]
pub struct StatusArgs {
    /// Package managers to report (default: all)
    #[arg(value_enum)]
    pub targets: Vec<TargetKind>,

    /// Probe the configured mirror of each target and say whether it is healthy
    #[arg(long)]
    pub check: bool,
}

#[derive(Debug, Clone, Args)]
pub struct RestoreArgs {
    /// Restore only the files of these package managers
    #[arg(value_enum)]
    pub targets: Vec<TargetKind>,

    /// List the journal entries instead of restoring
    #[arg(long, conflicts_with_all = ["id", "force"])]
    pub list: bool,

    /// Restore this journal entry instead of the last one
    #[arg(long, value_name = "ID")]
    pub id: Option<String>,

    /// Restore files even if they were edited after the `use`
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Clone, Args)]
pub struct SiteArgs {
    #[command(subcommand)]
    pub command: SiteCommand,
}

#[derive(Debug, Clone, Subcommand)]
pub enum SiteCommand {
    /// Probe a mirror for every repository layout and write NAME's site file
    ///
    /// Tries the usual paths of each repository below URL (`/debian`, `/ubuntu-ports`,
    /// `/archlinux`, `/pypi/web/simple`, `/anaconda`, `/crates.io-index`, a registry at the
    /// host's `/v2/`, …) with the requests each package manager makes, and reads the site's
    /// own `mirrorz.json` or `tunasync.json` to find more and to set its status feed. Prints
    /// what was found, what was not and why, then writes only what answered correctly to
    /// `$XDG_CONFIG_HOME/mirror/mirrors/NAME.toml`. Each round of probes takes at most
    /// `--timeout`.
    #[command(
        after_help = "Examples:\n  mirror site add lab https://mirror.lab.example/ --region DE\n  mirror site add campus http://10.10.0.5/ --allow-http --region CN\n  mirror site add lab https://mirror.lab.example/ --dry-run --region DE\n  mirror site add lab https://mirror.lab.example/ --force --region DE --json"
    )]
    Add(SiteAddArgs),

    /// List your own site files and what each serves
    #[command(after_help = "Examples:\n  mirror site list\n  mirror site list --json")]
    List,

    /// Remove one of your own site files
    #[command(after_help = "Examples:\n  mirror site remove lab\n  mirror site remove lab --dry-run")]
    Remove(SiteRemoveArgs),
}

#[derive(Debug, Clone, Args)]
pub struct SiteAddArgs {
    /// The site's id: lowercase letters, digits and `-` (`mirror use NAME`)
    pub name: String,

    /// The site's root URL, the folder that holds `debian/`, `pypi/`, … (`https://mirror.lab.example/`)
    pub url: String,

    /// Let pip, uv, conda, cargo, docker and the other unsigned clients use the site over `http://`
    ///
    /// They trust whatever an index returns (apt, pacman, dnf, zypper and apk check
    /// signatures, so their repositories may always be http): anyone on the network path could
    /// change what gets installed. Use it only for a mirror on a network you trust.
    #[arg(long)]
    pub allow_http: bool,

    /// Where the site is: an ISO 3166 country code (`CN`, `DE`) or `global`; asked on a
    /// terminal when not given
    #[arg(long, value_name = "CODE")]
    pub region: Option<String>,

    /// Replace an existing site file of that name (or a built-in site of that id)
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Clone, Args)]
pub struct SiteRemoveArgs {
    /// The id of one of your own sites (`mirror site list`)
    pub name: String,
}

#[derive(Debug, Clone, Args)]
pub struct CompletionsArgs {
    /// The shell to print the script for
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Whether the raw command line asks for `--json` (before a `--`), for errors clap reports
/// before there is a parsed [`Cli`].
pub fn json_requested(args: impl IntoIterator<Item = std::ffi::OsString>) -> bool {
    args.into_iter().skip(1).take_while(|a| a != "--").any(|a| a == "--json")
}

/// Parses `800ms`, `3s`, `2m`, `6h`, `2d`; a bare number is seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    // Ten years: far past any lag or timeout, and far from overflowing arithmetic on it.
    const LONGEST: Duration = Duration::from_secs(10 * 365 * 86_400);
    let text = text.trim();
    let parsed = if let Ok(secs) = text.parse::<f64>() {
        if secs.is_finite() && secs > 0.0 {
            Duration::try_from_secs_f64(secs).map_err(|_| format!("`{text}` is too long a duration"))?
        } else {
            return Err(format!("`{text}` is not a positive duration"));
        }
    } else {
        match humantime::parse_duration(text) {
            Ok(d) if d.is_zero() => return Err(format!("`{text}` is not a positive duration")),
            Ok(d) => d,
            Err(e) => return Err(format!("`{text}` is not a duration ({e}); try `800ms`, `3s`, `6h` or `2d`")),
        }
    };
    if parsed > LONGEST {
        return Err(format!("`{text}` is too long a duration (at most ten years)"));
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("800ms"), Ok(Duration::from_millis(800)));
        assert_eq!(parse_duration("2"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("2d"), Ok(Duration::from_secs(172_800)));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("-1").is_err());
        assert!(parse_duration("soon").is_err());
        // Absurd lengths are refused, not panicked on (or overflowed later).
        assert!(parse_duration("300000000000y").unwrap_err().contains("too long"));
        assert!(parse_duration("1e20").unwrap_err().contains("too long"));
        assert!(parse_duration("11y").unwrap_err().contains("too long"));
        assert_eq!(parse_duration("30d"), Ok(Duration::from_secs(30 * 86_400)));
    }
}
