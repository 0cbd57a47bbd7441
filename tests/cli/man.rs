//! The man pages in `man/` must be what clap_mangen makes of the command line today, one
//! page per command. `MIRROR_BLESS=1 cargo test --test cli man` rewrites them.

use std::collections::BTreeMap;
use std::path::Path;

use clap::CommandFactory;
use mirror::cli::Cli;

/// The pages clap_mangen renders now, by file name.
fn rendered() -> BTreeMap<String, String> {
    let dir = tempfile::tempdir().unwrap();
    clap_mangen::generate_to(Cli::command(), dir.path()).unwrap();
    std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (e.file_name().to_string_lossy().into_owned(), std::fs::read_to_string(e.path()).unwrap())
        })
        .collect()
}

fn committed(dir: &Path) -> BTreeMap<String, String> {
    let Ok(read) = std::fs::read_dir(dir) else { return BTreeMap::new() };
    read.map(|e| {
        let e = e.unwrap();
        (e.file_name().to_string_lossy().into_owned(), std::fs::read_to_string(e.path()).unwrap_or_default())
    })
    .collect()
}

#[test]
fn committed_man_pages_are_current() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("man");
    let now = rendered();
    if std::env::var_os("MIRROR_BLESS").is_some() {
        for name in committed(&dir).keys().filter(|n| !now.contains_key(*n)) {
            std::fs::remove_file(dir.join(name)).unwrap();
        }
        std::fs::create_dir_all(&dir).unwrap();
        for (name, text) in &now {
            std::fs::write(dir.join(name), text).unwrap();
        }
    }
    assert_eq!(committed(&dir), now, "stale man pages in `man/`; run `MIRROR_BLESS=1 cargo test --test cli man`");
}

#[test]
fn there_is_a_page_for_every_command_naming_its_options() {
    let pages = rendered();
    let cli = Cli::command();
    let top = &pages["mirror.1"];
    for arg in cli.get_arguments().filter_map(|a| a.get_long()) {
        assert!(top.contains(&format!("\\-\\-{}", arg.replace('-', "\\-"))), "mirror.1 lacks --{arg}");
    }
    for sub in cli.get_subcommands().filter(|s| s.get_name() != "help") {
        let page = pages.get(&format!("mirror-{}.1", sub.get_name())).unwrap_or_else(|| panic!("no page for {sub}"));
        assert!(top.contains(&format!("mirror\\-{}(1)", sub.get_name())), "mirror.1 does not point at {sub}");
        for arg in sub.get_arguments().filter_map(|a| a.get_long()) {
            assert!(page.contains(&format!("\\-\\-{}", arg.replace('-', "\\-"))), "mirror-{sub}.1 lacks --{arg}");
        }
        assert!(page.contains("Examples:"), "mirror-{sub}.1 has no examples");
    }
}

#[test]
fn the_pages_are_valid_roff() {
    let groff = Path::new("/usr/bin/groff");
    if !groff.exists() {
        // `man` itself reads them with `groff -k` (UTF-8 through preconv).
        crate::support::skip(crate::support::root_tests_required(), "no groff to check the pages with");
        return;
    }
    for (name, text) in rendered() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(&name);
        std::fs::write(&file, text).unwrap();
        let out =
            std::process::Command::new(groff).args(["-k", "-man", "-Tutf8", "-ww", "-z"]).arg(&file).output().unwrap();
        assert!(out.status.success() && out.stderr.is_empty(), "{name}: {}", String::from_utf8_lossy(&out.stderr));
    }
}
