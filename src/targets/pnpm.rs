//! pnpm: the registry in `~/.npmrc`, which pnpm reads as npm does, and in pnpm's own global
//! `rc` file when that sets one.
//!
//! pnpm 7+ keeps `pnpm config set --global` settings in `$XDG_CONFIG_HOME/pnpm/rc` (same INI
//! format as `.npmrc`), which wins over `~/.npmrc`. The pnpm target edits `~/.npmrc` with npm's
//! rules (see [`super::npm`]) and, when the `rc` file sets `registry`, that line too. npm and
//! pnpm in one `use` write `~/.npmrc` once; `status` says the file is shared.

use std::path::PathBuf;

use anyhow::Result;

use super::common::{endpoint, exists};
use super::npm;
use super::{Bom, Current, FileEdit, Host, Request, Target, edit_of, read_config};
use crate::catalog::{Repo, Site};
use crate::context::Context;

pub struct Pnpm;

/// pnpm's global config file.
fn rc(ctx: &Context) -> PathBuf {
    ctx.config_home.join("pnpm/rc")
}

impl Target for Pnpm {
    fn present(&self, ctx: &Context, _host: &Host) -> bool {
        ctx.has_program("pnpm") || exists(&rc(ctx))
    }

    fn endpoint(&self, site: &Site, _host: &Host) -> Option<String> {
        endpoint(site, Repo::Npm)
    }

    fn plan(&self, ctx: &Context, _host: &Host, req: &Request<'_>) -> Result<Vec<FileEdit>> {
        let url = npm::registry_url(req.site).ok_or_else(|| npm::not_served(req.site))?;
        let mut edits = Vec::new();
        for (path, always) in [(npm::path(ctx), true), (rc(ctx), false)] {
            let before = read_config(ctx, &path)?;
            if !always {
                let Some(text) = before.as_deref() else {
                    continue;
                };
                let sets = Bom::Keep.body(text).and_then(npm::registry).map_err(|e| e.into_problem(&path))?;
                if sets.is_none() {
                    continue;
                }
            }
            edits.push(edit_of(path, before, Bom::Keep, |text, _| npm::render(text, &url))?);
        }
        Ok(edits)
    }

    fn current(&self, ctx: &Context, _host: &Host) -> Result<Current> {
        let mut current = Current::default();
        // pnpm's own file wins over `~/.npmrc`.
        for path in [rc(ctx), npm::path(ctx)] {
            let Some(text) = read_config(ctx, &path)? else {
                continue;
            };
            if current.url.is_none() {
                current.url = Bom::Keep.body(&text).and_then(npm::registry).map_err(|e| e.into_problem(&path))?;
            }
            current.files.push(path);
        }
        Ok(current)
    }

    fn status_notes(&self, ctx: &Context, current: &Current) -> Vec<String> {
        let npmrc = npm::path(ctx);
        if !current.files.contains(&npmrc) {
            return Vec::new();
        }
        vec![format!("pnpm reads `{}`, the file npm uses: switching npm switches pnpm too", npmrc.display())]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::targets::testing::{context, site};

    #[test]
    fn edits_npmrc_and_pnpms_own_rc_only_when_it_sets_a_registry() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = context(dir.path(), &[]);
        let mirror = site("npmmirror", "[repos]\nnpm = \"https://registry.npmmirror.com\"\n");
        let req = Request { site: &mirror, upstream: None, security: false };
        let edits = Pnpm.plan(&ctx, &Host::default(), &req).unwrap();
        assert_eq!(edits.len(), 1);
        assert_eq!(edits[0].path, dir.path().join("home/.npmrc"));
        let rc = dir.path().join("home/.config/pnpm/rc");
        std::fs::create_dir_all(rc.parent().unwrap()).unwrap();
        std::fs::write(&rc, "store-dir=/data/pnpm-store\n").unwrap();
        assert_eq!(Pnpm.plan(&ctx, &Host::default(), &req).unwrap().len(), 1, "no registry in rc: left alone");
        std::fs::write(&rc, "store-dir=/data/pnpm-store\nregistry=https://registry.npmjs.org/\n").unwrap();
        let edits = Pnpm.plan(&ctx, &Host::default(), &req).unwrap();
        assert_eq!(edits.len(), 2);
        assert_eq!(
            String::from_utf8(edits[1].after.clone().unwrap()).unwrap(),
            "store-dir=/data/pnpm-store\nregistry=https://registry.npmmirror.com/\n"
        );
        assert_eq!(Pnpm.current(&ctx, &Host::default()).unwrap().url.as_deref(), Some("https://registry.npmjs.org"));
    }
}
