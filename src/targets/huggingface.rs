//! Hugging Face (`huggingface_hub`, `transformers`, the `hf` CLI): `HF_ENDPOINT` in
//! `mirror`'s env file.
//!
//! The Hub client reads its endpoint only from the environment, so `HF_ENDPOINT` goes into the
//! env file of spec §9 (see [`super::envfile`]); `use upstream` removes it (the default is
//! `https://huggingface.co`).

use anyhow::Result;

use super::common::{endpoint, exists};
use super::{Current, FileEdit, Host, Request, Target, envfile};
use crate::catalog::{Repo, Site};
use crate::context::Context;
use crate::error::Problem;

pub struct Huggingface;

pub const ENDPOINT: &str = "HF_ENDPOINT";
/// The variable the Hub client reads its endpoint from (its [`super::TargetKind::overriding_vars`]).
pub const VARS: &[&str] = &[ENDPOINT];

impl Target for Huggingface {
    /// The CLI (`hf`, `huggingface-cli`), or the Hub's cache in the home: the library is
    /// usually used without the CLI.
    fn present(&self, ctx: &Context, _host: &Host) -> bool {
        ctx.has_program("hf") || ctx.has_program("huggingface-cli") || exists(&ctx.home.join(".cache/huggingface"))
    }

    fn endpoint(&self, site: &Site, _host: &Host) -> Option<String> {
        endpoint(site, Repo::Huggingface)
    }

    fn plan(&self, ctx: &Context, host: &Host, req: &Request<'_>) -> Result<Vec<FileEdit>> {
        let Some(url) = self.endpoint(req.site, host) else {
            return Err(Problem::bad(format!("site `{}` has no Hugging Face mirror", req.site.id)).into());
        };
        let value = (!req.site.is_upstream()).then_some(url.as_str());
        envfile::plan(ctx, &[(ENDPOINT, value)])
    }

    fn current(&self, ctx: &Context, _host: &Host) -> Result<Current> {
        envfile::current_url(ctx, ENDPOINT)
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

    #[test]
    fn endpoint_goes_into_the_env_file_next_to_rustups() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = context(dir.path(), &[]);
        let hf = site("hf-mirror", "[repos]\nhuggingface = \"https://hf-mirror.com\"\n");
        let req = Request { site: &hf, upstream: None, security: false };
        let edits = Huggingface.plan(&ctx, &Host::default(), &req).unwrap();
        let sh = String::from_utf8(edits[0].after.clone().unwrap()).unwrap();
        assert!(sh.ends_with("export HF_ENDPOINT='https://hf-mirror.com'\n"), "{sh}");
        let none = site("bare", "[repos]\ndebian = \"https://b.example/debian\"\n");
        let req = Request { site: &none, upstream: None, security: false };
        assert!(Huggingface.plan(&ctx, &Host::default(), &req).is_err());
    }
}
