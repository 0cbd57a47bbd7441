//! The scripts in `completions/` must be what `mirror completions <shell>` prints.
//! `MIRROR_BLESS=1 cargo test --test cli completions` rewrites them.

use crate::support::TestEnv;

const SHELLS: &[(&str, &str)] = &[
    ("bash", "mirror.bash"),
    ("zsh", "_mirror"),
    ("fish", "mirror.fish"),
    ("powershell", "_mirror.ps1"),
    ("elvish", "mirror.elv"),
];

#[test]
fn committed_completions_are_current() {
    let env = TestEnv::new();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("completions");
    let bless = std::env::var_os("MIRROR_BLESS").is_some();
    let mut stale = Vec::new();
    for (shell, file) in SHELLS {
        let run = env.run(&["completions", shell]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert!(run.stdout.contains("mirror"), "{shell}");
        let path = dir.join(file);
        if bless {
            std::fs::write(&path, &run.stdout).unwrap();
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(run.stdout.as_str()) {
            stale.push(path.display().to_string());
        }
    }
    assert!(
        stale.is_empty(),
        "stale completion scripts: {stale:?}\nrun `MIRROR_BLESS=1 cargo test --test cli completions`"
    );
}

#[test]
fn every_subcommand_and_global_option_completes() {
    let bash =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("completions/mirror.bash"))
            .unwrap();
    for word in [
        "list",
        "bench",
        "use",
        "status",
        "restore",
        "completions",
        "--json",
        "--dry-run",
        "--root",
        "--catalog",
        "--max-lag",
    ] {
        assert!(bash.contains(word), "{word}");
    }
}
