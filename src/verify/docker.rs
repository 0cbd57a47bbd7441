//! docker: the daemon's view (`docker info`) as a note, and the probe resolves an official
//! image's manifest through the mirror (a pull would download the image).

use super::{Check, Cx, Job};

pub fn check(cx: &Cx<'_>, job: &Job<'_>) -> Check {
    let Some(docker) = cx.ctx.find_program("docker") else {
        return Check::probe("`docker` is not installed here: the daemon was not asked");
    };
    let Some(mirror) = job.site.repo(crate::catalog::Repo::Dockerhub).filter(|_| !job.site.is_upstream()) else {
        return Check::probe("no mirror is configured (the official registry): the daemon was not asked");
    };
    let cmd = cx.cmd(&docker).args(["info", "--format", "{{json .RegistryConfig.Mirrors}}"]);
    let ran = cx.run(&cmd, "docker-info");
    let note = if ran.success() {
        let mirrors: Vec<String> = serde_json::from_str(ran.output.trim()).unwrap_or_default();
        if mirrors.iter().any(|m| crate::targets::common::same_url(m, mirror)) {
            format!("the Docker daemon reports the mirror (`docker info`: {})", mirrors.join(", "))
        } else {
            format!(
                "the Docker daemon does not report the mirror yet (`docker info`: {}): it reads `daemon.json` when it starts or reloads (`sudo systemctl reload docker`)",
                if mirrors.is_empty() { "no mirrors".to_owned() } else { mirrors.join(", ") }
            )
        }
    } else {
        let last = ran.tail().last().cloned().unwrap_or_else(|| ran.ending());
        format!("the Docker daemon did not answer `docker info` ({last}): it uses the mirror once it starts")
    };
    Check::Probe { by: Some("docker info".into()), command: Some(cmd.display()), notes: vec![note] }
}
