//! Malformed arguments: exit 2, a message naming the argument, nothing written.

use clap::CommandFactory;

use crate::support::TestEnv;

#[test]
fn malformed_arguments_are_usage_errors() {
    let cases: &[(&[&str], &str)] = &[
        (&["bench", "--timeout", "soon"], "`soon` is not a duration"),
        (&["bench", "--timeout", "0s"], "not a positive duration"),
        (&["bench", "--max-lag=-3"], "not a positive duration"),
        (&["list", "--color", "rainbow"], "invalid value 'rainbow'"),
        (&["use", "tuna", "cpan"], "invalid value 'cpan'"),
        (&["restore", "--list", "--id", "x"], "cannot be used with"),
        (&["completions", "tcsh"], "invalid value 'tcsh'"),
        (&["list", "-q", "-v"], "cannot be used with"),
        (&["frobnicate"], "unrecognized subcommand"),
    ];
    for (args, needle) in cases {
        let env = TestEnv::new();
        let before = env.tree();
        let run = env.run(args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains(needle), "{args:?}: expected {needle:?} in\n{}", run.stderr);
        assert_eq!(run.stdout, "", "{args:?}");
        assert_eq!(env.tree(), before, "{args:?}");
    }
}

/// Every command in clap's tree (the top one first), as the words that name it.
fn commands() -> Vec<Vec<String>> {
    fn walk(cmd: &clap::Command, path: &[String], out: &mut Vec<Vec<String>>) {
        out.push(path.to_vec());
        for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help" && !s.is_hide_set()) {
            let mut p = path.to_vec();
            p.push(sub.get_name().to_owned());
            walk(sub, &p, out);
        }
    }
    let mut out = Vec::new();
    walk(&mirror::cli::Cli::command(), &[], &mut out);
    out
}

/// The command lines of the `Examples:` section of a help text (a command, then two spaces
/// and what it does, or a shell redirection).
fn examples(help: &str) -> Vec<String> {
    let Some(start) = help.find("\nExamples:\n") else { return Vec::new() };
    help[start + "\nExamples:\n".len()..]
        .lines()
        .take_while(|l| l.starts_with("  "))
        .map(|l| l.trim().split("  ").next().unwrap_or("").split(" > ").next().unwrap_or("").trim().to_owned())
        .collect()
}

#[test]
fn help_has_examples_for_every_command() {
    use clap::Parser;
    let env = TestEnv::new();
    let all = commands();
    assert!(all.len() > 6, "{all:?}");
    for path in all {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        let run = env.run(&args);
        assert_eq!(run.code, 0, "{path:?}");
        let lines = examples(&run.stdout);
        assert!(!lines.is_empty(), "{path:?} has no Examples section:\n{}", run.stdout);
        for line in lines {
            let words: Vec<&str> = line.split_whitespace().collect();
            assert_eq!(words.first(), Some(&"mirror"), "{path:?}: {line}");
            if !path.is_empty() {
                assert_eq!(
                    words.get(1..=path.len()).map(<[&str]>::to_vec),
                    Some(args[..path.len()].to_vec()),
                    "{path:?}: {line}"
                );
            }
            if let Err(e) = mirror::cli::Cli::try_parse_from(&words) {
                panic!("{path:?}: the example `{line}` does not parse:\n{e}");
            }
        }
    }
    let run = env.run(&["--help"]);
    assert!(run.stdout.contains("Exit codes: 0 success"), "{}", run.stdout);
    assert!(run.stdout.contains("MIRROR_ROOT"), "{}", run.stdout);
}
