//! Malformed arguments: exit 2, a message naming the argument, nothing written.

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

#[test]
fn help_has_examples_for_every_command() {
    let env = TestEnv::new();
    for cmd in ["list", "bench", "use", "status", "restore", "completions"] {
        let run = env.run(&[cmd, "--help"]);
        assert_eq!(run.code, 0, "{cmd}");
        assert!(run.stdout.contains("Examples:"), "{cmd}: {}", run.stdout);
    }
    let run = env.run(&["--help"]);
    assert!(run.stdout.contains("Exit codes: 0 success"), "{}", run.stdout);
    assert!(run.stdout.contains("MIRROR_ROOT"), "{}", run.stdout);
}
