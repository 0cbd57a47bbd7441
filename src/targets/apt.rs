//! apt: not built yet.

use anyhow::Result;

use super::{Current, FileEdit, Host, Request, Target, TargetKind};
use crate::catalog::Site;
use crate::context::Context;
use crate::error::Problem;

pub struct Apt;

impl Target for Apt {
    fn kind(&self) -> TargetKind {
        TargetKind::Apt
    }

    fn present(&self, _ctx: &Context, _host: &Host) -> bool {
        false
    }

    fn endpoint(&self, _site: &Site, _host: &Host) -> Option<String> {
        None
    }

    fn plan(&self, _ctx: &Context, _host: &Host, _req: &Request<'_>) -> Result<Vec<FileEdit>> {
        Err(Problem::bad("the apt target is not built yet").into())
    }

    fn current(&self, _ctx: &Context, _host: &Host) -> Result<Current> {
        Ok(Current::default())
    }
}
