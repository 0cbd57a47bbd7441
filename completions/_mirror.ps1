
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'mirror' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'mirror'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'mirror' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (`NO_COLOR` turns it off in `auto`)')
            [CompletionResult]::new('--root', '--root', [CompletionResultType]::ParameterName, 'Configure the machine in DIR instead of this one, as in a chroot (also `MIRROR_ROOT`)')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'With `--root`: configure the user files of NAME (home, uid and gid from DIR/etc/passwd)')
            [CompletionResult]::new('--catalog', '--catalog', [CompletionResultType]::ParameterName, 'A site file or folder of site files replacing the built-in catalog (also `MIRROR_CATALOG`)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Time allowed for each probe, e.g. `800ms`, `3s`')
            [CompletionResult]::new('--max-lag', '--max-lag', [CompletionResultType]::ParameterName, 'A site further behind upstream than this is `stale`, e.g. `6h`, `2d`')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout instead of tables')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and data')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and data')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Explain more: every file read, every probe sent')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Explain more: every file read, every probe sent')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'Never show progress bars (also `MIRROR_NO_PROGRESS`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to the question `use` and `restore` ask on a terminal')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to the question `use` and `restore` ask on a terminal')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'For `use`, `heal` and `restore`: print a unified diff per file, write and journal nothing (`site add`: print the site file; `site remove`: say what it would remove)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the sites in the catalog and the package managers each serves')
            [CompletionResult]::new('bench', 'bench', [CompletionResultType]::ParameterValue, 'Probe sites for latency, throughput and freshness, and rank them per package manager')
            [CompletionResult]::new('use', 'use', [CompletionResultType]::ParameterValue, 'Point package managers at a site (`best`: the best per target; `upstream`: the official servers)')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show what each package manager points at now (`--check`: probe it)')
            [CompletionResult]::new('heal', 'heal', [CompletionResultType]::ParameterValue, 'Switch only the package managers whose mirror is failed or stale (for timers and cron)')
            [CompletionResult]::new('restore', 'restore', [CompletionResultType]::ParameterValue, 'Undo the last `mirror use` (or the journal entry `--id`)')
            [CompletionResult]::new('site', 'site', [CompletionResultType]::ParameterValue, 'Your own sites: find out what a mirror serves and write its site file')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print the completion script for a shell')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mirror;list' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (`NO_COLOR` turns it off in `auto`)')
            [CompletionResult]::new('--root', '--root', [CompletionResultType]::ParameterName, 'Configure the machine in DIR instead of this one, as in a chroot (also `MIRROR_ROOT`)')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'With `--root`: configure the user files of NAME (home, uid and gid from DIR/etc/passwd)')
            [CompletionResult]::new('--catalog', '--catalog', [CompletionResultType]::ParameterName, 'A site file or folder of site files replacing the built-in catalog (also `MIRROR_CATALOG`)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Time allowed for each probe, e.g. `800ms`, `3s`')
            [CompletionResult]::new('--max-lag', '--max-lag', [CompletionResultType]::ParameterName, 'A site further behind upstream than this is `stale`, e.g. `6h`, `2d`')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout instead of tables')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and data')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and data')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Explain more: every file read, every probe sent')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Explain more: every file read, every probe sent')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'Never show progress bars (also `MIRROR_NO_PROGRESS`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to the question `use` and `restore` ask on a terminal')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to the question `use` and `restore` ask on a terminal')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'For `use`, `heal` and `restore`: print a unified diff per file, write and journal nothing (`site add`: print the site file; `site remove`: say what it would remove)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'mirror;bench' {
            [CompletionResult]::new('--site', '--site', [CompletionResultType]::ParameterName, 'Probe only these sites (comma-separated ids)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (`NO_COLOR` turns it off in `auto`)')
            [CompletionResult]::new('--root', '--root', [CompletionResultType]::ParameterName, 'Configure the machine in DIR instead of this one, as in a chroot (also `MIRROR_ROOT`)')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'With `--root`: configure the user files of NAME (home, uid and gid from DIR/etc/passwd)')
            [CompletionResult]::new('--catalog', '--catalog', [CompletionResultType]::ParameterName, 'A site file or folder of site files replacing the built-in catalog (also `MIRROR_CATALOG`)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Time allowed for each probe, e.g. `800ms`, `3s`')
            [CompletionResult]::new('--max-lag', '--max-lag', [CompletionResultType]::ParameterName, 'A site further behind upstream than this is `stale`, e.g. `6h`, `2d`')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout instead of tables')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and data')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and data')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Explain more: every file read, every probe sent')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Explain more: every file read, every probe sent')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'Never show progress bars (also `MIRROR_NO_PROGRESS`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to the question `use` and `restore` ask on a terminal')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to the question `use` and `restore` ask on a terminal')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'For `use`, `heal` and `restore`: print a unified diff per file, write and journal nothing (`site add`: print the site file; `site remove`: say what it would remove)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'mirror;use' {
            [CompletionResult]::new('--site', '--site', [CompletionResultType]::ParameterName, 'With `best`: consider only these sites (comma-separated ids)')
            [CompletionResult]::new('--verify-timeout', '--verify-timeout', [CompletionResultType]::ParameterName, 'Time allowed for each package manager''s check, e.g. `30s`, `2m`')
            [CompletionResult]::new('--from', '--from', [CompletionResultType]::ParameterName, 'With `best`: follow the ranking in FILE, which `mirror bench --json` wrote (here or on another machine), instead of probing; `-` reads it from stdin')
            [CompletionResult]::new('--max-age', '--max-age', [CompletionResultType]::ParameterName, 'With `--from`: the oldest ranking to follow, e.g. `6h`, `3d`')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (`NO_COLOR` turns it off in `auto`)')
            [CompletionResult]::new('--root', '--root', [CompletionResultType]::ParameterName, 'Configure the machine in DIR instead of this one, as in a chroot (also `MIRROR_ROOT`)')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'With `--root`: configure the user files of NAME (home, uid and gid from DIR/etc/passwd)')
            [CompletionResult]::new('--catalog', '--catalog', [CompletionResultType]::ParameterName, 'A site file or folder of site files replacing the built-in catalog (also `MIRROR_CATALOG`)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Time allowed for each probe, e.g. `800ms`, `3s`')
            [CompletionResult]::new('--max-lag', '--max-lag', [CompletionResultType]::ParameterName, 'A site further behind upstream than this is `stale`, e.g. `6h`, `2d`')
            [CompletionResult]::new('--security', '--security', [CompletionResultType]::ParameterName, 'Also point the Debian/Ubuntu security suites at the mirror (they stay official by default)')
            [CompletionResult]::new('--refresh', '--refresh', [CompletionResultType]::ParameterName, 'With `best`: probe again even when recent `bench` results exist')
            [CompletionResult]::new('--allow-third-party', '--allow-third-party', [CompletionResultType]::ParameterName, 'With `best`: also consider third-party mirrors (marked in `mirror list`); the same as `allow_third_party = true` in `$XDG_CONFIG_HOME/mirror/config.toml`')
            [CompletionResult]::new('--verify', '--verify', [CompletionResultType]::ParameterName, 'Check each changed package manager against its new files, and put back the ones that fail (the default for `best`)')
            [CompletionResult]::new('--no-verify', '--no-verify', [CompletionResultType]::ParameterName, 'Write without checking (also for `best`)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout instead of tables')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and data')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and data')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Explain more: every file read, every probe sent')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Explain more: every file read, every probe sent')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'Never show progress bars (also `MIRROR_NO_PROGRESS`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to the question `use` and `restore` ask on a terminal')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to the question `use` and `restore` ask on a terminal')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'For `use`, `heal` and `restore`: print a unified diff per file, write and journal nothing (`site add`: print the site file; `site remove`: say what it would remove)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'mirror;status' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (`NO_COLOR` turns it off in `auto`)')
            [CompletionResult]::new('--root', '--root', [CompletionResultType]::ParameterName, 'Configure the machine in DIR instead of this one, as in a chroot (also `MIRROR_ROOT`)')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'With `--root`: configure the user files of NAME (home, uid and gid from DIR/etc/passwd)')
            [CompletionResult]::new('--catalog', '--catalog', [CompletionResultType]::ParameterName, 'A site file or folder of site files replacing the built-in catalog (also `MIRROR_CATALOG`)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Time allowed for each probe, e.g. `800ms`, `3s`')
            [CompletionResult]::new('--max-lag', '--max-lag', [CompletionResultType]::ParameterName, 'A site further behind upstream than this is `stale`, e.g. `6h`, `2d`')
            [CompletionResult]::new('--check', '--check', [CompletionResultType]::ParameterName, 'Probe the configured mirror of each target and say whether it is healthy')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout instead of tables')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and data')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and data')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Explain more: every file read, every probe sent')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Explain more: every file read, every probe sent')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'Never show progress bars (also `MIRROR_NO_PROGRESS`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to the question `use` and `restore` ask on a terminal')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to the question `use` and `restore` ask on a terminal')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'For `use`, `heal` and `restore`: print a unified diff per file, write and journal nothing (`site add`: print the site file; `site remove`: say what it would remove)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'mirror;heal' {
            [CompletionResult]::new('--site', '--site', [CompletionResultType]::ParameterName, 'Move only to these sites (comma-separated ids)')
            [CompletionResult]::new('--verify-timeout', '--verify-timeout', [CompletionResultType]::ParameterName, 'Time allowed for each package manager''s check of its new config')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (`NO_COLOR` turns it off in `auto`)')
            [CompletionResult]::new('--root', '--root', [CompletionResultType]::ParameterName, 'Configure the machine in DIR instead of this one, as in a chroot (also `MIRROR_ROOT`)')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'With `--root`: configure the user files of NAME (home, uid and gid from DIR/etc/passwd)')
            [CompletionResult]::new('--catalog', '--catalog', [CompletionResultType]::ParameterName, 'A site file or folder of site files replacing the built-in catalog (also `MIRROR_CATALOG`)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Time allowed for each probe, e.g. `800ms`, `3s`')
            [CompletionResult]::new('--max-lag', '--max-lag', [CompletionResultType]::ParameterName, 'A site further behind upstream than this is `stale`, e.g. `6h`, `2d`')
            [CompletionResult]::new('--allow-third-party', '--allow-third-party', [CompletionResultType]::ParameterName, 'Also consider third-party mirrors; the same as `allow_third_party = true` in `$XDG_CONFIG_HOME/mirror/config.toml`')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout instead of tables')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and data')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and data')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Explain more: every file read, every probe sent')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Explain more: every file read, every probe sent')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'Never show progress bars (also `MIRROR_NO_PROGRESS`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to the question `use` and `restore` ask on a terminal')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to the question `use` and `restore` ask on a terminal')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'For `use`, `heal` and `restore`: print a unified diff per file, write and journal nothing (`site add`: print the site file; `site remove`: say what it would remove)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'mirror;restore' {
            [CompletionResult]::new('--id', '--id', [CompletionResultType]::ParameterName, 'Restore this journal entry instead of the last one')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (`NO_COLOR` turns it off in `auto`)')
            [CompletionResult]::new('--root', '--root', [CompletionResultType]::ParameterName, 'Configure the machine in DIR instead of this one, as in a chroot (also `MIRROR_ROOT`)')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'With `--root`: configure the user files of NAME (home, uid and gid from DIR/etc/passwd)')
            [CompletionResult]::new('--catalog', '--catalog', [CompletionResultType]::ParameterName, 'A site file or folder of site files replacing the built-in catalog (also `MIRROR_CATALOG`)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Time allowed for each probe, e.g. `800ms`, `3s`')
            [CompletionResult]::new('--max-lag', '--max-lag', [CompletionResultType]::ParameterName, 'A site further behind upstream than this is `stale`, e.g. `6h`, `2d`')
            [CompletionResult]::new('--list', '--list', [CompletionResultType]::ParameterName, 'List the journal entries instead of restoring')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Restore files even if they were edited after the `use`')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout instead of tables')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and data')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and data')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Explain more: every file read, every probe sent')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Explain more: every file read, every probe sent')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'Never show progress bars (also `MIRROR_NO_PROGRESS`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to the question `use` and `restore` ask on a terminal')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to the question `use` and `restore` ask on a terminal')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'For `use`, `heal` and `restore`: print a unified diff per file, write and journal nothing (`site add`: print the site file; `site remove`: say what it would remove)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'mirror;site' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (`NO_COLOR` turns it off in `auto`)')
            [CompletionResult]::new('--root', '--root', [CompletionResultType]::ParameterName, 'Configure the machine in DIR instead of this one, as in a chroot (also `MIRROR_ROOT`)')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'With `--root`: configure the user files of NAME (home, uid and gid from DIR/etc/passwd)')
            [CompletionResult]::new('--catalog', '--catalog', [CompletionResultType]::ParameterName, 'A site file or folder of site files replacing the built-in catalog (also `MIRROR_CATALOG`)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Time allowed for each probe, e.g. `800ms`, `3s`')
            [CompletionResult]::new('--max-lag', '--max-lag', [CompletionResultType]::ParameterName, 'A site further behind upstream than this is `stale`, e.g. `6h`, `2d`')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout instead of tables')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and data')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and data')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Explain more: every file read, every probe sent')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Explain more: every file read, every probe sent')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'Never show progress bars (also `MIRROR_NO_PROGRESS`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to the question `use` and `restore` ask on a terminal')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to the question `use` and `restore` ask on a terminal')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'For `use`, `heal` and `restore`: print a unified diff per file, write and journal nothing (`site add`: print the site file; `site remove`: say what it would remove)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Probe a mirror for every repository layout and write NAME''s site file')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List your own site files and what each serves')
            [CompletionResult]::new('remove', 'remove', [CompletionResultType]::ParameterValue, 'Remove one of your own site files')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mirror;site;add' {
            [CompletionResult]::new('--region', '--region', [CompletionResultType]::ParameterName, 'Where the site is: an ISO 3166 country code (`CN`, `DE`) or `global`; asked on a terminal when not given')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (`NO_COLOR` turns it off in `auto`)')
            [CompletionResult]::new('--root', '--root', [CompletionResultType]::ParameterName, 'Configure the machine in DIR instead of this one, as in a chroot (also `MIRROR_ROOT`)')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'With `--root`: configure the user files of NAME (home, uid and gid from DIR/etc/passwd)')
            [CompletionResult]::new('--catalog', '--catalog', [CompletionResultType]::ParameterName, 'A site file or folder of site files replacing the built-in catalog (also `MIRROR_CATALOG`)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Time allowed for each probe, e.g. `800ms`, `3s`')
            [CompletionResult]::new('--max-lag', '--max-lag', [CompletionResultType]::ParameterName, 'A site further behind upstream than this is `stale`, e.g. `6h`, `2d`')
            [CompletionResult]::new('--allow-http', '--allow-http', [CompletionResultType]::ParameterName, 'Let pip, uv, conda, cargo, docker and the other unsigned clients use the site over `http://`')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Replace an existing site file of that name (or a built-in site of that id)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout instead of tables')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and data')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and data')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Explain more: every file read, every probe sent')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Explain more: every file read, every probe sent')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'Never show progress bars (also `MIRROR_NO_PROGRESS`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to the question `use` and `restore` ask on a terminal')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to the question `use` and `restore` ask on a terminal')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'For `use`, `heal` and `restore`: print a unified diff per file, write and journal nothing (`site add`: print the site file; `site remove`: say what it would remove)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'mirror;site;list' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (`NO_COLOR` turns it off in `auto`)')
            [CompletionResult]::new('--root', '--root', [CompletionResultType]::ParameterName, 'Configure the machine in DIR instead of this one, as in a chroot (also `MIRROR_ROOT`)')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'With `--root`: configure the user files of NAME (home, uid and gid from DIR/etc/passwd)')
            [CompletionResult]::new('--catalog', '--catalog', [CompletionResultType]::ParameterName, 'A site file or folder of site files replacing the built-in catalog (also `MIRROR_CATALOG`)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Time allowed for each probe, e.g. `800ms`, `3s`')
            [CompletionResult]::new('--max-lag', '--max-lag', [CompletionResultType]::ParameterName, 'A site further behind upstream than this is `stale`, e.g. `6h`, `2d`')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout instead of tables')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and data')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and data')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Explain more: every file read, every probe sent')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Explain more: every file read, every probe sent')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'Never show progress bars (also `MIRROR_NO_PROGRESS`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to the question `use` and `restore` ask on a terminal')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to the question `use` and `restore` ask on a terminal')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'For `use`, `heal` and `restore`: print a unified diff per file, write and journal nothing (`site add`: print the site file; `site remove`: say what it would remove)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'mirror;site;remove' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (`NO_COLOR` turns it off in `auto`)')
            [CompletionResult]::new('--root', '--root', [CompletionResultType]::ParameterName, 'Configure the machine in DIR instead of this one, as in a chroot (also `MIRROR_ROOT`)')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'With `--root`: configure the user files of NAME (home, uid and gid from DIR/etc/passwd)')
            [CompletionResult]::new('--catalog', '--catalog', [CompletionResultType]::ParameterName, 'A site file or folder of site files replacing the built-in catalog (also `MIRROR_CATALOG`)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Time allowed for each probe, e.g. `800ms`, `3s`')
            [CompletionResult]::new('--max-lag', '--max-lag', [CompletionResultType]::ParameterName, 'A site further behind upstream than this is `stale`, e.g. `6h`, `2d`')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout instead of tables')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and data')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and data')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Explain more: every file read, every probe sent')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Explain more: every file read, every probe sent')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'Never show progress bars (also `MIRROR_NO_PROGRESS`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to the question `use` and `restore` ask on a terminal')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to the question `use` and `restore` ask on a terminal')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'For `use`, `heal` and `restore`: print a unified diff per file, write and journal nothing (`site add`: print the site file; `site remove`: say what it would remove)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'mirror;site;help' {
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Probe a mirror for every repository layout and write NAME''s site file')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List your own site files and what each serves')
            [CompletionResult]::new('remove', 'remove', [CompletionResultType]::ParameterValue, 'Remove one of your own site files')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mirror;site;help;add' {
            break
        }
        'mirror;site;help;list' {
            break
        }
        'mirror;site;help;remove' {
            break
        }
        'mirror;site;help;help' {
            break
        }
        'mirror;completions' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (`NO_COLOR` turns it off in `auto`)')
            [CompletionResult]::new('--root', '--root', [CompletionResultType]::ParameterName, 'Configure the machine in DIR instead of this one, as in a chroot (also `MIRROR_ROOT`)')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'With `--root`: configure the user files of NAME (home, uid and gid from DIR/etc/passwd)')
            [CompletionResult]::new('--catalog', '--catalog', [CompletionResultType]::ParameterName, 'A site file or folder of site files replacing the built-in catalog (also `MIRROR_CATALOG`)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Time allowed for each probe, e.g. `800ms`, `3s`')
            [CompletionResult]::new('--max-lag', '--max-lag', [CompletionResultType]::ParameterName, 'A site further behind upstream than this is `stale`, e.g. `6h`, `2d`')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout instead of tables')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and data')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and data')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Explain more: every file read, every probe sent')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Explain more: every file read, every probe sent')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'Never show progress bars (also `MIRROR_NO_PROGRESS`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to the question `use` and `restore` ask on a terminal')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to the question `use` and `restore` ask on a terminal')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'For `use`, `heal` and `restore`: print a unified diff per file, write and journal nothing (`site add`: print the site file; `site remove`: say what it would remove)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'mirror;help' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the sites in the catalog and the package managers each serves')
            [CompletionResult]::new('bench', 'bench', [CompletionResultType]::ParameterValue, 'Probe sites for latency, throughput and freshness, and rank them per package manager')
            [CompletionResult]::new('use', 'use', [CompletionResultType]::ParameterValue, 'Point package managers at a site (`best`: the best per target; `upstream`: the official servers)')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show what each package manager points at now (`--check`: probe it)')
            [CompletionResult]::new('heal', 'heal', [CompletionResultType]::ParameterValue, 'Switch only the package managers whose mirror is failed or stale (for timers and cron)')
            [CompletionResult]::new('restore', 'restore', [CompletionResultType]::ParameterValue, 'Undo the last `mirror use` (or the journal entry `--id`)')
            [CompletionResult]::new('site', 'site', [CompletionResultType]::ParameterValue, 'Your own sites: find out what a mirror serves and write its site file')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print the completion script for a shell')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mirror;help;list' {
            break
        }
        'mirror;help;bench' {
            break
        }
        'mirror;help;use' {
            break
        }
        'mirror;help;status' {
            break
        }
        'mirror;help;heal' {
            break
        }
        'mirror;help;restore' {
            break
        }
        'mirror;help;site' {
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Probe a mirror for every repository layout and write NAME''s site file')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List your own site files and what each serves')
            [CompletionResult]::new('remove', 'remove', [CompletionResultType]::ParameterValue, 'Remove one of your own site files')
            break
        }
        'mirror;help;site;add' {
            break
        }
        'mirror;help;site;list' {
            break
        }
        'mirror;help;site;remove' {
            break
        }
        'mirror;help;completions' {
            break
        }
        'mirror;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
