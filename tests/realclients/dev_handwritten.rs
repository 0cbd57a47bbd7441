//! DEVELOPMENT ONLY — delete before the suite is finished.
//!
//! With `MIRROR_RC_DEV_HANDWRITTEN=1`, `Sandbox::use_site`/`restore` do not run `mirror`;
//! they write by hand what `mirror use` is expected to write (and put the original bytes
//! back), so the repository builders and client checks can be developed before `use` lands.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::harness::{Sandbox, Site};

type Snapshot = Vec<(PathBuf, Option<Vec<u8>>)>;
static SAVED: Mutex<Option<HashMap<PathBuf, Snapshot>>> = Mutex::new(None);

pub fn active() -> bool {
    std::env::var("MIRROR_RC_DEV_HANDWRITTEN").is_ok_and(|v| v == "1")
}

fn save(sb: &Sandbox, files: &[PathBuf]) {
    let mut g = SAVED.lock().unwrap();
    let map = g.get_or_insert_with(HashMap::new);
    let snap = map.entry(sb.tmp.path().to_path_buf()).or_default();
    for f in files {
        if !snap.iter().any(|(p, _)| p == f) {
            snap.push((f.clone(), fs::read(f).ok()));
        }
    }
}

pub fn restore(sb: &Sandbox) {
    let mut g = SAVED.lock().unwrap();
    if let Some(snap) = g.as_mut().and_then(|m| m.remove(sb.tmp.path())) {
        for (p, bytes) in snap {
            match bytes {
                Some(b) => fs::write(&p, b).unwrap(),
                None => {
                    let _ = fs::remove_file(&p);
                }
            }
        }
    }
}

fn edit(sb: &Sandbox, path: &Path, f: impl FnOnce(&str) -> String) {
    save(sb, &[path.to_path_buf()]);
    let old = fs::read_to_string(path).unwrap_or_default();
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, f(&old)).unwrap();
}

pub fn write(sb: &Sandbox, site: &Site, target: &str) {
    match target {
        "apt" => {
            let deb = site.debian();
            let list = sb.root.join("etc/apt/sources.list");
            if list.exists() {
                edit(sb, &list, |s| {
                    s.lines().map(|l| l.replace("http://deb.debian.org/debian/", &format!("{deb}/")) + "\n").collect()
                });
            }
            let src = sb.root.join("etc/apt/sources.list.d/debian.sources");
            if src.exists() {
                edit(sb, &src, |s| {
                    s.lines()
                        .map(|l| {
                            let l = if l == "URIs: http://deb.debian.org/debian" {
                                format!("URIs: {deb}")
                            } else {
                                l.to_string()
                            };
                            l + "\n"
                        })
                        .collect()
                });
            }
        }
        "pacman" => {
            let p = sb.root.join("etc/pacman.d/mirrorlist");
            let line = format!("Server = {}/$repo/os/$arch\n", site.archlinux());
            edit(sb, &p, |s| {
                let i = s.find("\nServer").map_or(0, |i| i + 1);
                format!("{}{line}{}", &s[..i], &s[i..])
            });
        }
        "pip" => {
            let p = sb.home.join(".config/pip/pip.conf");
            let url = site.pypi();
            edit(sb, &p, |s| s.replacen("[global]\n", &format!("[global]\nindex-url = {url}\n"), 1));
        }
        "uv" => {
            let p = sb.home.join(".config/uv/uv.toml");
            let url = site.pypi();
            edit(sb, &p, |s| format!("{s}\n[[index]]\nurl = \"{url}\"\ndefault = true\n"));
        }
        "conda" => {
            let p = sb.home.join(".condarc");
            let a = site.anaconda();
            edit(sb, &p, |s| {
                format!(
                    "{s}show_channel_urls: true\ndefault_channels:\n  - {a}/pkgs/main\n  - {a}/pkgs/r\n  - {a}/pkgs/msys2\ncustom_channels:\n  conda-forge: {a}/cloud\n"
                )
            });
        }
        "cargo" => {
            let p = sb.home.join(".cargo/config.toml");
            let url = site.crates();
            edit(sb, &p, |s| {
                format!(
                    "{s}\n[source.crates-io]\nreplace-with = \"mirror\"\n\n[source.mirror]\nregistry = \"sparse+{url}\"\n"
                )
            });
        }
        "docker" => {
            let p = sb.root.join("etc/docker/daemon.json");
            let url = site.dockerhub.clone();
            edit(sb, &p, |s| {
                let mut v: serde_json::Value = serde_json::from_str(s).unwrap();
                v["registry-mirrors"] = serde_json::json!([url]);
                serde_json::to_string_pretty(&v).unwrap() + "\n"
            });
        }
        t => panic!("no hand-written config for {t}"),
    }
}
