//! `mirror`'s own settings: the user config file `$XDG_CONFIG_HOME/mirror/config.toml`
//! (path from [`Context::user_config_file`]).
//!
//! The file is optional; a missing file means the defaults. It is validated as strictly as a
//! site file: unknown keys, wrong types, text that is not UTF-8 or not TOML are errors that
//! name the file and the key, and nothing is changed. It is read only by the commands that
//! need a setting (`use best`, `status --check`), so a broken file never stands in the way of
//! `mirror restore`.

use std::path::Path;

use anyhow::Result;
use serde::Deserialize;

use crate::context::Context;
use crate::error::Problem;

/// The settings, with their defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserConfig {
    /// Let automatic choices (`use best`, `heal`) pick third-party mirrors (site files with
    /// `third_party = true`), as `--allow-third-party` does for one run.
    #[serde(default)]
    pub allow_third_party: bool,
}

impl UserConfig {
    /// The user's settings, or the defaults when the file does not exist.
    pub fn load(ctx: &Context) -> Result<Self> {
        let path = ctx.user_config_file();
        match std::fs::read(&path) {
            Ok(bytes) => Self::parse(&path, &bytes),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(anyhow::Error::new(e).context(
                Problem::bad(format!("could not read config file `{}`", path.display()))
                    .hint("make the file readable, or move it away to use the defaults"),
            )),
        }
    }

    /// Parses and validates the file's bytes; `path` is used in messages.
    pub fn parse(path: &Path, bytes: &[u8]) -> Result<Self> {
        let text = std::str::from_utf8(bytes).map_err(|_| invalid(path, None, "the file is not UTF-8 text"))?;
        toml::from_str(text).map_err(|e| {
            let (line, key) = crate::catalog::toml_error_place(&e, text);
            let at = line.map(|l| format!("line {l}: ")).unwrap_or_default();
            invalid(path, key.as_deref(), format!("{at}{}", e.message().trim()))
        })
    }
}

fn invalid(path: &Path, key: Option<&str>, what: impl std::fmt::Display) -> anyhow::Error {
    let at = key.map(|k| format!(": key `{k}`")).unwrap_or_default();
    Problem::bad(format!("invalid config file `{}`{at}: {what}", path.display()))
        .hint("the one setting is `allow_third_party = true|false` (see the README, \"Third-party mirrors\"); fix the file or move it away")
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &[u8]) -> String {
        crate::error::render(&UserConfig::parse(Path::new("/h/.config/mirror/config.toml"), text).unwrap_err())
    }

    #[test]
    fn defaults_and_the_one_setting() {
        let path = Path::new("config.toml");
        assert_eq!(UserConfig::parse(path, b"").unwrap(), UserConfig::default());
        assert!(!UserConfig::default().allow_third_party);
        let text = b"# mirror's own settings\nallow_third_party = true\n";
        assert!(UserConfig::parse(path, text).unwrap().allow_third_party);
    }

    #[test]
    fn malformed_files_name_the_file_and_the_key() {
        for (text, needles) in [
            (&b"allow_third_parties = true\n"[..], &["key `allow_third_parties`", "line 1", "unknown field"][..]),
            (b"\n\nallow_third_party = \"yes\"\n", &["key `allow_third_party`", "line 3"]),
            (b"allow_third_party = \n", &["line 1"]),
            (b"[best]\nallow_third_party = true\n", &["key `best`"]),
            (b"\xff\xfe", &["not UTF-8"]),
        ] {
            let e = err(text);
            assert!(e.contains("invalid config file `/h/.config/mirror/config.toml`"), "{e}");
            assert!(e.contains("hint: the one setting is `allow_third_party"), "{e}");
            for needle in needles {
                assert!(e.contains(needle), "{:?}: expected {needle:?} in {e}", String::from_utf8_lossy(text));
            }
        }
    }
}
