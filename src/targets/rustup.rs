//! rustup: `RUSTUP_DIST_SERVER` and `RUSTUP_UPDATE_ROOT` in `mirror`'s env file.
//!
//! rustup reads its mirror only from the environment, so the two variables go into the env
//! file of spec §9 (see [`super::envfile`]): the dist server is the site's `rustup` URL (the
//! folder that holds `dist/`), the update root `<rustup>/rustup`. `use upstream` removes them
//! (rustup's default is `https://static.rust-lang.org`).

use anyhow::Result;

use super::common::endpoint;
use super::{Current, FileEdit, Host, Request, Target, envfile};
use crate::catalog::{Repo, Site};
use crate::context::Context;
use crate::error::Problem;

pub struct Rustup;

pub const DIST: &str = "RUSTUP_DIST_SERVER";
pub const UPDATE: &str = "RUSTUP_UPDATE_ROOT";
/// The variables rustup reads its mirror from (its [`super::TargetKind::overriding_vars`]).
pub const VARS: &[&str] = &[DIST, UPDATE];

impl Target for Rustup {
    fn present(&self, ctx: &Context, _host: &Host) -> bool {
        ctx.has_program("rustup") || super::common::exists(&ctx.home.join(".rustup"))
    }

    fn endpoint(&self, site: &Site, _host: &Host) -> Option<String> {
        endpoint(site, Repo::Rustup)
    }

    fn plan(&self, ctx: &Context, host: &Host, req: &Request<'_>) -> Result<Vec<FileEdit>> {
        let Some(dist) = self.endpoint(req.site, host) else {
            return Err(Problem::bad(format!("site `{}` has no rustup mirror", req.site.id)).into());
        };
        let update = format!("{dist}/rustup");
        let changes: Vec<(&str, Option<&str>)> = if req.site.is_upstream() {
            vec![(DIST, None), (UPDATE, None)]
        } else {
            vec![(DIST, Some(dist.as_str())), (UPDATE, Some(update.as_str()))]
        };
        envfile::plan(ctx, &changes)
    }

    fn current(&self, ctx: &Context, _host: &Host) -> Result<Current> {
        envfile::current_url(ctx, DIST)
    }

    fn overridden_by(&self, ctx: &Context, _vars: &[&str], _current: &Current) -> Vec<String> {
        envfile::overridden_now(ctx, VARS)
    }

    fn status_notes(&self, ctx: &Context, _current: &Current) -> Vec<String> {
        envfile::notes_now(ctx, VARS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::targets::testing::{context, site};

    fn plan(ctx: &Context, site: &Site) -> Vec<FileEdit> {
        Rustup.plan(ctx, &Host::default(), &Request { site, upstream: None, security: false }).unwrap()
    }

    fn apply(edits: &[FileEdit]) {
        for e in edits {
            match &e.after {
                Some(b) => {
                    std::fs::create_dir_all(e.path.parent().unwrap()).unwrap();
                    std::fs::write(&e.path, b).unwrap();
                }
                None => {
                    let _ = std::fs::remove_file(&e.path);
                }
            }
        }
    }

    #[test]
    fn use_writes_both_variables_and_upstream_removes_them() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = context(dir.path(), &[]);
        let profile = dir.path().join("home/.profile");
        std::fs::create_dir_all(profile.parent().unwrap()).unwrap();
        let stock = "# ~/.profile: executed by the command interpreter for login shells.\nif [ -n \"$BASH_VERSION\" ]; then\n    if [ -f \"$HOME/.bashrc\" ]; then\n\t. \"$HOME/.bashrc\"\n    fi\nfi\n. \"$HOME/.cargo/env\"\n";
        std::fs::write(&profile, stock).unwrap();
        let tuna = site("tuna", "[repos]\nrustup = \"https://mirrors.tuna.tsinghua.edu.cn/rustup\"\n");
        let edits = plan(&ctx, &tuna);
        apply(&edits);
        let sh = std::fs::read_to_string(dir.path().join("home/.config/mirror/env.sh")).unwrap();
        assert!(sh.contains("export RUSTUP_DIST_SERVER='https://mirrors.tuna.tsinghua.edu.cn/rustup'\n"), "{sh}");
        assert!(
            sh.contains("export RUSTUP_UPDATE_ROOT='https://mirrors.tuna.tsinghua.edu.cn/rustup/rustup'\n"),
            "{sh}"
        );
        assert!(std::fs::read_to_string(&profile).unwrap().starts_with(stock));
        let cur = Rustup.current(&ctx, &Host::default()).unwrap();
        assert_eq!(cur.url, Rustup.endpoint(&tuna, &Host::default()));
        assert!(plan(&ctx, &tuna).iter().all(|e| !e.is_change()), "idempotent");

        let upstream = site("upstream", "[repos]\nrustup = \"https://static.rust-lang.org\"\n");
        let back = plan(&ctx, &upstream);
        apply(&back);
        assert_eq!(std::fs::read_to_string(&profile).unwrap(), stock, "the guarded line went again");
        assert!(!dir.path().join("home/.config/mirror/env.sh").exists());
        assert_eq!(Rustup.current(&ctx, &Host::default()).unwrap(), Current::default());
    }

    #[test]
    fn status_tells_whether_the_shell_has_the_value() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = context(dir.path(), &[]);
        let tuna = site("tuna", "[repos]\nrustup = \"https://m.example/rustup\"\n");
        apply(&plan(&ctx, &tuna));
        let mut ctx = context(dir.path(), &[]);
        assert!(Rustup.status_notes(&ctx, &Current::default())[0].contains("this shell does not have it yet"));
        ctx.overrides.insert(DIST.into(), "https://m.example/rustup".into());
        assert!(Rustup.overridden_by(&ctx, VARS, &Current::default()).is_empty());
        assert!(Rustup.status_notes(&ctx, &Current::default())[0].contains("active in this shell"));
        ctx.overrides.insert(DIST.into(), "https://rsproxy.cn".into());
        assert_eq!(Rustup.overridden_by(&ctx, VARS, &Current::default()), [DIST]);
    }
}
