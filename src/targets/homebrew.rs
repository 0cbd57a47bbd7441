//! Homebrew: `HOMEBREW_API_DOMAIN`, `HOMEBREW_BOTTLE_DOMAIN`, `HOMEBREW_BREW_GIT_REMOTE` and
//! `HOMEBREW_CORE_GIT_REMOTE` in the user's `brew.env`.
//!
//! The file is `$XDG_CONFIG_HOME/homebrew/brew.env` when `XDG_CONFIG_HOME` is set, else
//! `~/.homebrew/brew.env` (Homebrew's own rule); an existing one of the two is used. brew
//! loads each `HOMEBREW_*=value` line literally (no quotes, no `export`), so the file is
//! edited as `KEY=value` lines (see [`super::kvfile`]); quoted values of these keys are
//! refused. Each variable is set from the site's repository of the same purpose
//! (`homebrew-api`, `homebrew-bottles`, `homebrew-brew-git`, `homebrew-core-git`) and removed
//! where the site has none, so nothing points at the previous site; `use upstream` removes
//! all four (Homebrew's defaults are the official servers).

use std::path::PathBuf;

use anyhow::Result;

use super::common::{endpoint, exists};
use super::kvfile::{self, Rules};
use super::{Current, FileEdit, Host, LineError, Request, Target, current_from, plan_from};
use crate::catalog::{Repo, Site};
use crate::context::Context;
use crate::error::Problem;

pub struct Homebrew;

const RULES: Rules = Rules { what: "brew.env", literal_quotes: true };

/// Each variable and the repository it comes from.
pub const VARS: [(&str, Repo); 4] = [
    ("HOMEBREW_API_DOMAIN", Repo::HomebrewApi),
    ("HOMEBREW_BOTTLE_DOMAIN", Repo::HomebrewBottles),
    ("HOMEBREW_BREW_GIT_REMOTE", Repo::HomebrewBrewGit),
    ("HOMEBREW_CORE_GIT_REMOTE", Repo::HomebrewCoreGit),
];

fn path(ctx: &Context) -> PathBuf {
    let xdg = ctx.config_home.join("homebrew/brew.env");
    let home = ctx.home.join(".homebrew/brew.env");
    if exists(&xdg) || (ctx.xdg_config_set && !exists(&home)) { xdg } else { home }
}

impl Target for Homebrew {
    fn present(&self, ctx: &Context, _host: &Host) -> bool {
        ctx.has_program("brew") || exists(&path(ctx))
    }

    fn endpoint(&self, site: &Site, _host: &Host) -> Option<String> {
        endpoint(site, Repo::HomebrewBottles)
    }

    fn plan(&self, ctx: &Context, host: &Host, req: &Request<'_>) -> Result<Vec<FileEdit>> {
        if self.endpoint(req.site, host).is_none() {
            return Err(Problem::bad(format!("site `{}` has no Homebrew bottles mirror", req.site.id)).into());
        }
        let values: Vec<(&str, Option<String>)> = VARS
            .iter()
            .map(|(var, repo)| (*var, endpoint(req.site, *repo).filter(|_| !req.site.is_upstream())))
            .collect();
        plan_from(ctx, path(ctx), |text| render(text, &values))
    }

    fn current(&self, ctx: &Context, _host: &Host) -> Result<Current> {
        current_from(ctx, path(ctx), bottles)
    }
}

/// The bottle domain the text sets, without a trailing `/`.
pub fn bottles(text: &str) -> Result<Option<String>, LineError> {
    Ok(kvfile::get(text, "HOMEBREW_BOTTLE_DOMAIN", &RULES)?.map(|v| v.trim_end_matches('/').to_owned()))
}

/// Sets (or removes) the four variables; `None` is a missing file. Idempotent.
pub fn render(input: Option<&str>, values: &[(&str, Option<String>)]) -> Result<String, LineError> {
    let changes: Vec<(&str, Option<&str>)> = values.iter().map(|(k, v)| (*k, v.as_deref())).collect();
    kvfile::set(input, &changes, &RULES)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::targets::testing::{context, site};

    /// A `brew.env` as Homebrew's docs suggest writing one.
    const BREW_ENV: &str = "# Homebrew settings for every shell\nHOMEBREW_NO_ANALYTICS=1\nHOMEBREW_NO_AUTO_UPDATE=1\nHOMEBREW_BOTTLE_DOMAIN=https://mirrors.ustc.edu.cn/homebrew-bottles\n";

    fn tuna() -> Site {
        site(
            "tuna",
            "base = \"https://mirrors.tuna.tsinghua.edu.cn\"\n[repos]\nhomebrew-bottles = \"{base}/homebrew-bottles\"\nhomebrew-api = \"{base}/homebrew-bottles/api\"\nhomebrew-brew-git = \"{base}/git/homebrew/brew.git\"\nhomebrew-core-git = \"{base}/git/homebrew/homebrew-core.git\"\n",
        )
    }

    fn values(site: &Site) -> Vec<(&'static str, Option<String>)> {
        VARS.iter().map(|(v, r)| (*v, endpoint(site, *r).filter(|_| !site.is_upstream()))).collect()
    }

    #[test]
    fn all_four_are_set_and_a_lacking_one_is_removed() {
        let out = render(Some(BREW_ENV), &values(&tuna())).unwrap();
        assert_eq!(
            out,
            "# Homebrew settings for every shell\nHOMEBREW_NO_ANALYTICS=1\nHOMEBREW_NO_AUTO_UPDATE=1\nHOMEBREW_BOTTLE_DOMAIN=https://mirrors.tuna.tsinghua.edu.cn/homebrew-bottles\nHOMEBREW_API_DOMAIN=https://mirrors.tuna.tsinghua.edu.cn/homebrew-bottles/api\nHOMEBREW_BREW_GIT_REMOTE=https://mirrors.tuna.tsinghua.edu.cn/git/homebrew/brew.git\nHOMEBREW_CORE_GIT_REMOTE=https://mirrors.tuna.tsinghua.edu.cn/git/homebrew/homebrew-core.git\n"
        );
        assert_eq!(render(Some(&out), &values(&tuna())).unwrap(), out);
        let bottles_only = site("b", "[repos]\nhomebrew-bottles = \"https://b.example/bottles\"\n");
        let out = render(Some(&out), &values(&bottles_only)).unwrap();
        assert_eq!(
            out,
            "# Homebrew settings for every shell\nHOMEBREW_NO_ANALYTICS=1\nHOMEBREW_NO_AUTO_UPDATE=1\nHOMEBREW_BOTTLE_DOMAIN=https://b.example/bottles\n"
        );
    }

    #[test]
    fn malformed_files_name_the_line() {
        for (text, line) in [
            ("HOMEBREW_NO_ANALYTICS=1\nexport HOMEBREW_BOTTLE_DOMAIN=x\n", 2),
            ("HOMEBREW_BOTTLE_DOMAIN=\"https://x\"\n", 1),
            ("just words\n", 1),
        ] {
            assert_eq!(render(Some(text), &values(&tuna())).unwrap_err().line, Some(line), "{text:?}");
        }
    }

    #[test]
    fn the_file_follows_xdg_config_home_as_homebrew_does() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = context(dir.path(), &[]);
        assert_eq!(path(&ctx), dir.path().join("home/.homebrew/brew.env"));
        let ctx = context(dir.path(), &[("XDG_CONFIG_HOME", dir.path().join("xdg").display().to_string())]);
        assert_eq!(path(&ctx), dir.path().join("xdg/homebrew/brew.env"));
    }
}
