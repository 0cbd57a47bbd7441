//! The scripts in `completions/` must be what `mirror completions <shell>` prints.
//! `MIRROR_BLESS=1 cargo test --test cli completions` rewrites them.

use clap::CommandFactory;

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

/// What bash completes for `mirror WORDS… CUR`, with the committed script.
fn bash_candidates(words: &[&str], cur: &str) -> Vec<String> {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("completions/mirror.bash");
    let mut all = vec!["mirror"];
    all.extend_from_slice(words);
    all.push(cur);
    let quoted: Vec<String> = all.iter().map(|w| format!("'{w}'")).collect();
    let prev = all[all.len() - 2];
    let program = format!(
        "source '{}'\nCOMP_WORDS=({})\nCOMP_CWORD={}\n_mirror mirror '{cur}' '{prev}'\nprintf '%s\\n' \"${{COMPREPLY[@]}}\"\n",
        script.display(),
        quoted.join(" "),
        all.len() - 1
    );
    let out = std::process::Command::new("bash").args(["--norc", "-c", &program]).env_clear().output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).split_whitespace().map(str::to_owned).collect()
}

#[test]
fn every_subcommand_and_option_completes_in_its_context() {
    if !std::path::Path::new("/bin/bash").exists() && !std::path::Path::new("/usr/bin/bash").exists() {
        crate::support::skip(crate::support::root_tests_required(), "no bash to run the completion script in");
        return;
    }
    let mut cli = mirror::cli::Cli::command();
    cli.build();
    let subs: Vec<&clap::Command> = cli.get_subcommands().filter(|s| !s.is_hide_set()).collect();
    let top = bash_candidates(&[], "");
    for sub in &subs {
        assert!(top.contains(&sub.get_name().to_owned()), "`mirror <TAB>` lacks {}: {top:?}", sub.get_name());
    }
    let top_options = bash_candidates(&[], "-");
    for long in cli.get_arguments().filter(|a| !a.is_hide_set()).filter_map(|a| a.get_long()) {
        assert!(top_options.contains(&format!("--{long}")), "`mirror -<TAB>` lacks --{long}: {top_options:?}");
    }
    for sub in subs.iter().filter(|s| s.get_name() != "help") {
        let name = sub.get_name();
        let offered = bash_candidates(&[name], "-");
        for arg in sub.get_arguments().filter(|a| !a.is_hide_set()) {
            if let Some(long) = arg.get_long() {
                assert!(offered.contains(&format!("--{long}")), "`mirror {name} -<TAB>` lacks --{long}: {offered:?}");
            }
            if let Some(short) = arg.get_short() {
                assert!(offered.contains(&format!("-{short}")), "`mirror {name} -<TAB>` lacks -{short}: {offered:?}");
            }
            // An option with a fixed set of values completes them.
            if let (Some(long), true) = (arg.get_long(), arg.get_action().takes_values()) {
                let values: Vec<String> = arg.get_possible_values().iter().map(|v| v.get_name().to_owned()).collect();
                if !values.is_empty() {
                    let got = bash_candidates(&[name, &format!("--{long}")], "");
                    for v in &values {
                        assert!(got.contains(v), "`mirror {name} --{long} <TAB>` lacks {v}: {got:?}");
                    }
                }
            }
        }
    }
}
