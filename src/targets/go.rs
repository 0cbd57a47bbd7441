//! Go: `GOPROXY` (and `GOSUMDB`) in the file `go env -w` writes: `$GOENV`, else
//! `$XDG_CONFIG_HOME/go/env` (`~/.config/go/env`).
//!
//! The file holds `KEY=value` lines (see [`super::kvfile`]), edited in place; `GOPRIVATE`,
//! `GOFLAGS` and everything else stay. `GOPROXY` becomes `<site>,direct` (private modules and
//! modules the proxy refuses still come from their origin, as with Go's default). `GOSUMDB`
//! is written only for a site that proxies the checksum database (`gosumdb` in its file), as
//! `sum.golang.org <url>`: the go command still checks every answer against sum.golang.org's
//! key. A `GOSUMDB` of that form that `mirror` wrote for another site is removed when the new
//! one has none; any other value (`off`, a private database) stays. `use upstream` removes
//! `GOPROXY` (Go's default is `https://proxy.golang.org,direct`).

use std::path::PathBuf;

use anyhow::Result;

use super::common::{endpoint, exists};
use super::kvfile::{self, Rules};
use super::{Current, FileEdit, Host, LineError, Request, Target, current_from, plan_noted};
use crate::catalog::{Repo, Site};
use crate::context::Context;
use crate::error::Problem;

pub struct Go;

const RULES: Rules = Rules { what: "go env file", literal_quotes: true };

/// The checksum database every `GOSUMDB` `mirror` writes verifies against.
const SUMDB: &str = "sum.golang.org";

fn path(ctx: &Context) -> PathBuf {
    ctx.goenv.clone().unwrap_or_else(|| ctx.config_home.join("go/env"))
}

impl Target for Go {
    fn present(&self, ctx: &Context, _host: &Host) -> bool {
        ctx.has_program("go") || exists(&path(ctx))
    }

    fn endpoint(&self, site: &Site, _host: &Host) -> Option<String> {
        endpoint(site, Repo::Goproxy)
    }

    fn plan(&self, ctx: &Context, host: &Host, req: &Request<'_>) -> Result<Vec<FileEdit>> {
        let Some(proxy) = self.endpoint(req.site, host) else {
            return Err(Problem::bad(format!("site `{}` has no Go module proxy", req.site.id)).into());
        };
        let want = Want {
            proxy: (!req.site.is_upstream()).then(|| format!("{proxy},direct")),
            sumdb: endpoint(req.site, Repo::Gosumdb).filter(|_| !req.site.is_upstream()),
        };
        plan_noted(ctx, path(ctx), |body, notes| render(body, &want, notes))
    }

    fn current(&self, ctx: &Context, _host: &Host) -> Result<Current> {
        current_from(ctx, path(ctx), proxy)
    }
}

/// What the file should say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Want {
    /// The `GOPROXY` value; `None` removes it (Go's default).
    pub proxy: Option<String>,
    /// The checksum-database proxy, when the site has one.
    pub sumdb: Option<String>,
}

/// The first proxy the go env text's `GOPROXY` names, without a trailing `/`.
pub fn proxy(text: &str) -> Result<Option<String>, LineError> {
    Ok(kvfile::get(text, "GOPROXY", &RULES)?.as_deref().and_then(first_proxy))
}

/// The first proxy of a `GOPROXY` value (`https://a,https://b|direct`), without a trailing `/`.
pub fn first_proxy(value: &str) -> Option<String> {
    value.split([',', '|']).next().map(|p| p.trim().trim_end_matches('/').to_owned())
}

/// Whether a `GOSUMDB` value is one `mirror` writes: `sum.golang.org <https URL>`.
fn proxied_sumdb(value: &str) -> bool {
    value.split_once(' ').is_some_and(|(name, url)| name == SUMDB && url.trim().starts_with("http"))
}

/// Sets `GOPROXY`/`GOSUMDB` in go env text; `None` is a missing file. `notes` gets what the
/// user should know (proxies dropped from a list). Idempotent.
pub fn render(input: Option<&str>, want: &Want, notes: &mut Vec<String>) -> Result<String, LineError> {
    let text = input.unwrap_or("");
    let old = kvfile::get(text, "GOPROXY", &RULES)?;
    if let (Some(old), Some(new)) = (&old, &want.proxy) {
        let dropped: Vec<&str> = old
            .split([',', '|'])
            .map(str::trim)
            .skip(1)
            .filter(|p| !p.is_empty() && *p != "direct" && *p != "off" && !new.contains(p))
            .collect();
        if !dropped.is_empty() {
            notes.push(format!(
                "`GOPROXY` listed more proxies after the first; these are dropped: {}",
                dropped.join(", ")
            ));
        }
    }
    let sumdb = kvfile::get(text, "GOSUMDB", &RULES)?;
    let new_sumdb = want.sumdb.as_ref().map(|u| format!("{SUMDB} {u}"));
    let sumdb_change = match (&sumdb, &new_sumdb) {
        (_, Some(v)) if sumdb.as_deref().is_none_or(proxied_sumdb) => Some(Some(v.as_str())),
        (Some(v), None) if proxied_sumdb(v) => Some(None),
        _ => None,
    };
    let mut changes: Vec<(&str, Option<&str>)> = vec![("GOPROXY", want.proxy.as_deref())];
    if let Some(c) = sumdb_change {
        changes.push(("GOSUMDB", c));
    }
    kvfile::set(input, &changes, &RULES)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `go env -w GOPRIVATE=… GOFLAGS=… GOPROXY=…` leaves (Go 1.22).
    const ENV: &str =
        "GOPRIVATE=git.corp.example/*\nGOFLAGS=-mod=mod\nGOPROXY=https://proxy.golang.org,direct\nGOTOOLCHAIN=local\n";

    fn want(proxy: &str, sumdb: Option<&str>) -> Want {
        Want { proxy: Some(format!("{proxy},direct")), sumdb: sumdb.map(str::to_owned) }
    }

    fn ok(text: Option<&str>, w: &Want) -> String {
        render(text, w, &mut Vec::new()).unwrap()
    }

    #[test]
    fn goproxy_is_replaced_and_sumdb_follows_the_site() {
        let cn = want("https://goproxy.cn", Some("https://goproxy.cn/sumdb/sum.golang.org"));
        let out = ok(Some(ENV), &cn);
        assert_eq!(
            out,
            "GOPRIVATE=git.corp.example/*\nGOFLAGS=-mod=mod\nGOPROXY=https://goproxy.cn,direct\nGOTOOLCHAIN=local\nGOSUMDB=sum.golang.org https://goproxy.cn/sumdb/sum.golang.org\n"
        );
        assert_eq!(ok(Some(&out), &cn), out, "idempotent");
        assert_eq!(proxy(&out).unwrap().as_deref(), Some("https://goproxy.cn"));
        // A site without a sumdb proxy: the one `mirror` wrote goes; GOPROXY stays in place.
        let io = want("https://goproxy.io", None);
        assert_eq!(ok(Some(&out), &io), ENV.replace("https://proxy.golang.org", "https://goproxy.io"));
        // Upstream removes GOPROXY.
        let up = Want { proxy: None, sumdb: None };
        assert_eq!(ok(Some(&out), &up), "GOPRIVATE=git.corp.example/*\nGOFLAGS=-mod=mod\nGOTOOLCHAIN=local\n");
        // The user's own GOSUMDB stays.
        let off = "GOSUMDB=off\n";
        assert_eq!(ok(Some(off), &cn), "GOSUMDB=off\nGOPROXY=https://goproxy.cn,direct\n");
        assert_eq!(ok(None, &io), "GOPROXY=https://goproxy.io,direct\n");
    }

    #[test]
    fn dropped_proxies_are_reported() {
        let mut notes = Vec::new();
        render(
            Some("GOPROXY=https://goproxy.cn|https://athens.corp.example,direct\n"),
            &want("https://goproxy.io", None),
            &mut notes,
        )
        .unwrap();
        assert_eq!(notes.len(), 1);
        assert!(notes[0].contains("athens.corp.example"), "{notes:?}");
    }

    #[test]
    fn malformed_files_name_the_line() {
        for (text, line) in
            [("GOFLAGS=-mod=mod\nGOPROXY\n", 2), ("GOPROXY=a\nGOPROXY=b\n", 2), ("GOPROXY=\"https://x\"\n", 1)]
        {
            let e = render(Some(text), &want("https://goproxy.cn", None), &mut Vec::new()).unwrap_err();
            assert_eq!(e.line, Some(line), "{text:?}: {e:?}");
        }
    }
}
