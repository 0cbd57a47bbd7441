
use builtin;
use str;

set edit:completion:arg-completer[mirror] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'mirror'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'mirror'= {
            cand --color 'When to use colour (`NO_COLOR` turns it off in `auto`)'
            cand --root 'Configure the machine in DIR instead of this one, as in a chroot (also `MIRROR_ROOT`)'
            cand --user 'With `--root`: configure the user files of NAME (home, uid and gid from DIR/etc/passwd)'
            cand --catalog 'A site file or folder of site files replacing the built-in catalog (also `MIRROR_CATALOG`)'
            cand --timeout 'Time allowed for each probe, e.g. `800ms`, `3s`'
            cand --max-lag 'A site further behind upstream than this is `stale`, e.g. `6h`, `2d`'
            cand --json 'Print one JSON document on stdout instead of tables'
            cand -q 'Print only errors and data'
            cand --quiet 'Print only errors and data'
            cand -v 'Explain more: every file read, every probe sent'
            cand --verbose 'Explain more: every file read, every probe sent'
            cand --no-progress 'Never show progress bars (also `MIRROR_NO_PROGRESS`)'
            cand -y 'Answer yes to the question `use` and `restore` ask on a terminal'
            cand --yes 'Answer yes to the question `use` and `restore` ask on a terminal'
            cand --dry-run 'For `use`, `heal` and `restore`: print a unified diff per file, write and journal nothing (`site add`: print the site file; `site remove`: say what it would remove)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand list 'List the sites in the catalog and the package managers each serves'
            cand bench 'Probe sites for latency, throughput and freshness, and rank them per package manager'
            cand use 'Point package managers at a site (`best`: the best per target; `upstream`: the official servers)'
            cand status 'Show what each package manager points at now (`--check`: probe it)'
            cand heal 'Switch only the package managers whose mirror is failed or stale (for timers and cron)'
            cand restore 'Undo the last `mirror use` (or the journal entry `--id`)'
            cand site 'Your own sites: find out what a mirror serves and write its site file'
            cand completions 'Print the completion script for a shell'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'mirror;list'= {
            cand --color 'When to use colour (`NO_COLOR` turns it off in `auto`)'
            cand --root 'Configure the machine in DIR instead of this one, as in a chroot (also `MIRROR_ROOT`)'
            cand --user 'With `--root`: configure the user files of NAME (home, uid and gid from DIR/etc/passwd)'
            cand --catalog 'A site file or folder of site files replacing the built-in catalog (also `MIRROR_CATALOG`)'
            cand --timeout 'Time allowed for each probe, e.g. `800ms`, `3s`'
            cand --max-lag 'A site further behind upstream than this is `stale`, e.g. `6h`, `2d`'
            cand --json 'Print one JSON document on stdout instead of tables'
            cand -q 'Print only errors and data'
            cand --quiet 'Print only errors and data'
            cand -v 'Explain more: every file read, every probe sent'
            cand --verbose 'Explain more: every file read, every probe sent'
            cand --no-progress 'Never show progress bars (also `MIRROR_NO_PROGRESS`)'
            cand -y 'Answer yes to the question `use` and `restore` ask on a terminal'
            cand --yes 'Answer yes to the question `use` and `restore` ask on a terminal'
            cand --dry-run 'For `use`, `heal` and `restore`: print a unified diff per file, write and journal nothing (`site add`: print the site file; `site remove`: say what it would remove)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'mirror;bench'= {
            cand --site 'Probe only these sites (comma-separated ids)'
            cand --color 'When to use colour (`NO_COLOR` turns it off in `auto`)'
            cand --root 'Configure the machine in DIR instead of this one, as in a chroot (also `MIRROR_ROOT`)'
            cand --user 'With `--root`: configure the user files of NAME (home, uid and gid from DIR/etc/passwd)'
            cand --catalog 'A site file or folder of site files replacing the built-in catalog (also `MIRROR_CATALOG`)'
            cand --timeout 'Time allowed for each probe, e.g. `800ms`, `3s`'
            cand --max-lag 'A site further behind upstream than this is `stale`, e.g. `6h`, `2d`'
            cand --json 'Print one JSON document on stdout instead of tables'
            cand -q 'Print only errors and data'
            cand --quiet 'Print only errors and data'
            cand -v 'Explain more: every file read, every probe sent'
            cand --verbose 'Explain more: every file read, every probe sent'
            cand --no-progress 'Never show progress bars (also `MIRROR_NO_PROGRESS`)'
            cand -y 'Answer yes to the question `use` and `restore` ask on a terminal'
            cand --yes 'Answer yes to the question `use` and `restore` ask on a terminal'
            cand --dry-run 'For `use`, `heal` and `restore`: print a unified diff per file, write and journal nothing (`site add`: print the site file; `site remove`: say what it would remove)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'mirror;use'= {
            cand --site 'With `best`: consider only these sites (comma-separated ids)'
            cand --verify-timeout 'Time allowed for each package manager''s check, e.g. `30s`, `2m`'
            cand --from 'With `best`: follow the ranking in FILE, which `mirror bench --json` wrote (here or on another machine), instead of probing; `-` reads it from stdin'
            cand --max-age 'With `--from`: the oldest ranking to follow, e.g. `6h`, `3d`'
            cand --color 'When to use colour (`NO_COLOR` turns it off in `auto`)'
            cand --root 'Configure the machine in DIR instead of this one, as in a chroot (also `MIRROR_ROOT`)'
            cand --user 'With `--root`: configure the user files of NAME (home, uid and gid from DIR/etc/passwd)'
            cand --catalog 'A site file or folder of site files replacing the built-in catalog (also `MIRROR_CATALOG`)'
            cand --timeout 'Time allowed for each probe, e.g. `800ms`, `3s`'
            cand --max-lag 'A site further behind upstream than this is `stale`, e.g. `6h`, `2d`'
            cand --security 'Also point the Debian/Ubuntu security suites at the mirror (they stay official by default)'
            cand --refresh 'With `best`: probe again even when recent `bench` results exist'
            cand --allow-third-party 'With `best`: also consider third-party mirrors (marked in `mirror list`); the same as `allow_third_party = true` in `$XDG_CONFIG_HOME/mirror/config.toml`'
            cand --verify 'Check each changed package manager against its new files, and put back the ones that fail (the default for `best`)'
            cand --no-verify 'Write without checking (also for `best`)'
            cand --json 'Print one JSON document on stdout instead of tables'
            cand -q 'Print only errors and data'
            cand --quiet 'Print only errors and data'
            cand -v 'Explain more: every file read, every probe sent'
            cand --verbose 'Explain more: every file read, every probe sent'
            cand --no-progress 'Never show progress bars (also `MIRROR_NO_PROGRESS`)'
            cand -y 'Answer yes to the question `use` and `restore` ask on a terminal'
            cand --yes 'Answer yes to the question `use` and `restore` ask on a terminal'
            cand --dry-run 'For `use`, `heal` and `restore`: print a unified diff per file, write and journal nothing (`site add`: print the site file; `site remove`: say what it would remove)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'mirror;status'= {
            cand --color 'When to use colour (`NO_COLOR` turns it off in `auto`)'
            cand --root 'Configure the machine in DIR instead of this one, as in a chroot (also `MIRROR_ROOT`)'
            cand --user 'With `--root`: configure the user files of NAME (home, uid and gid from DIR/etc/passwd)'
            cand --catalog 'A site file or folder of site files replacing the built-in catalog (also `MIRROR_CATALOG`)'
            cand --timeout 'Time allowed for each probe, e.g. `800ms`, `3s`'
            cand --max-lag 'A site further behind upstream than this is `stale`, e.g. `6h`, `2d`'
            cand --check 'Probe the configured mirror of each target and say whether it is healthy'
            cand --json 'Print one JSON document on stdout instead of tables'
            cand -q 'Print only errors and data'
            cand --quiet 'Print only errors and data'
            cand -v 'Explain more: every file read, every probe sent'
            cand --verbose 'Explain more: every file read, every probe sent'
            cand --no-progress 'Never show progress bars (also `MIRROR_NO_PROGRESS`)'
            cand -y 'Answer yes to the question `use` and `restore` ask on a terminal'
            cand --yes 'Answer yes to the question `use` and `restore` ask on a terminal'
            cand --dry-run 'For `use`, `heal` and `restore`: print a unified diff per file, write and journal nothing (`site add`: print the site file; `site remove`: say what it would remove)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'mirror;heal'= {
            cand --site 'Move only to these sites (comma-separated ids)'
            cand --verify-timeout 'Time allowed for each package manager''s check of its new config'
            cand --color 'When to use colour (`NO_COLOR` turns it off in `auto`)'
            cand --root 'Configure the machine in DIR instead of this one, as in a chroot (also `MIRROR_ROOT`)'
            cand --user 'With `--root`: configure the user files of NAME (home, uid and gid from DIR/etc/passwd)'
            cand --catalog 'A site file or folder of site files replacing the built-in catalog (also `MIRROR_CATALOG`)'
            cand --timeout 'Time allowed for each probe, e.g. `800ms`, `3s`'
            cand --max-lag 'A site further behind upstream than this is `stale`, e.g. `6h`, `2d`'
            cand --allow-third-party 'Also consider third-party mirrors; the same as `allow_third_party = true` in `$XDG_CONFIG_HOME/mirror/config.toml`'
            cand --json 'Print one JSON document on stdout instead of tables'
            cand -q 'Print only errors and data'
            cand --quiet 'Print only errors and data'
            cand -v 'Explain more: every file read, every probe sent'
            cand --verbose 'Explain more: every file read, every probe sent'
            cand --no-progress 'Never show progress bars (also `MIRROR_NO_PROGRESS`)'
            cand -y 'Answer yes to the question `use` and `restore` ask on a terminal'
            cand --yes 'Answer yes to the question `use` and `restore` ask on a terminal'
            cand --dry-run 'For `use`, `heal` and `restore`: print a unified diff per file, write and journal nothing (`site add`: print the site file; `site remove`: say what it would remove)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'mirror;restore'= {
            cand --id 'Restore this journal entry instead of the last one'
            cand --color 'When to use colour (`NO_COLOR` turns it off in `auto`)'
            cand --root 'Configure the machine in DIR instead of this one, as in a chroot (also `MIRROR_ROOT`)'
            cand --user 'With `--root`: configure the user files of NAME (home, uid and gid from DIR/etc/passwd)'
            cand --catalog 'A site file or folder of site files replacing the built-in catalog (also `MIRROR_CATALOG`)'
            cand --timeout 'Time allowed for each probe, e.g. `800ms`, `3s`'
            cand --max-lag 'A site further behind upstream than this is `stale`, e.g. `6h`, `2d`'
            cand --list 'List the journal entries instead of restoring'
            cand --force 'Restore files even if they were edited after the `use`'
            cand --json 'Print one JSON document on stdout instead of tables'
            cand -q 'Print only errors and data'
            cand --quiet 'Print only errors and data'
            cand -v 'Explain more: every file read, every probe sent'
            cand --verbose 'Explain more: every file read, every probe sent'
            cand --no-progress 'Never show progress bars (also `MIRROR_NO_PROGRESS`)'
            cand -y 'Answer yes to the question `use` and `restore` ask on a terminal'
            cand --yes 'Answer yes to the question `use` and `restore` ask on a terminal'
            cand --dry-run 'For `use`, `heal` and `restore`: print a unified diff per file, write and journal nothing (`site add`: print the site file; `site remove`: say what it would remove)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'mirror;site'= {
            cand --color 'When to use colour (`NO_COLOR` turns it off in `auto`)'
            cand --root 'Configure the machine in DIR instead of this one, as in a chroot (also `MIRROR_ROOT`)'
            cand --user 'With `--root`: configure the user files of NAME (home, uid and gid from DIR/etc/passwd)'
            cand --catalog 'A site file or folder of site files replacing the built-in catalog (also `MIRROR_CATALOG`)'
            cand --timeout 'Time allowed for each probe, e.g. `800ms`, `3s`'
            cand --max-lag 'A site further behind upstream than this is `stale`, e.g. `6h`, `2d`'
            cand --json 'Print one JSON document on stdout instead of tables'
            cand -q 'Print only errors and data'
            cand --quiet 'Print only errors and data'
            cand -v 'Explain more: every file read, every probe sent'
            cand --verbose 'Explain more: every file read, every probe sent'
            cand --no-progress 'Never show progress bars (also `MIRROR_NO_PROGRESS`)'
            cand -y 'Answer yes to the question `use` and `restore` ask on a terminal'
            cand --yes 'Answer yes to the question `use` and `restore` ask on a terminal'
            cand --dry-run 'For `use`, `heal` and `restore`: print a unified diff per file, write and journal nothing (`site add`: print the site file; `site remove`: say what it would remove)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand add 'Probe a mirror for every repository layout and write NAME''s site file'
            cand list 'List your own site files and what each serves'
            cand remove 'Remove one of your own site files'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'mirror;site;add'= {
            cand --region 'Where the site is: an ISO 3166 country code (`CN`, `DE`) or `global`; asked on a terminal when not given'
            cand --color 'When to use colour (`NO_COLOR` turns it off in `auto`)'
            cand --root 'Configure the machine in DIR instead of this one, as in a chroot (also `MIRROR_ROOT`)'
            cand --user 'With `--root`: configure the user files of NAME (home, uid and gid from DIR/etc/passwd)'
            cand --catalog 'A site file or folder of site files replacing the built-in catalog (also `MIRROR_CATALOG`)'
            cand --timeout 'Time allowed for each probe, e.g. `800ms`, `3s`'
            cand --max-lag 'A site further behind upstream than this is `stale`, e.g. `6h`, `2d`'
            cand --allow-http 'Let pip, uv, conda, cargo, docker and the other unsigned clients use the site over `http://`'
            cand --force 'Replace an existing site file of that name (or a built-in site of that id)'
            cand --json 'Print one JSON document on stdout instead of tables'
            cand -q 'Print only errors and data'
            cand --quiet 'Print only errors and data'
            cand -v 'Explain more: every file read, every probe sent'
            cand --verbose 'Explain more: every file read, every probe sent'
            cand --no-progress 'Never show progress bars (also `MIRROR_NO_PROGRESS`)'
            cand -y 'Answer yes to the question `use` and `restore` ask on a terminal'
            cand --yes 'Answer yes to the question `use` and `restore` ask on a terminal'
            cand --dry-run 'For `use`, `heal` and `restore`: print a unified diff per file, write and journal nothing (`site add`: print the site file; `site remove`: say what it would remove)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'mirror;site;list'= {
            cand --color 'When to use colour (`NO_COLOR` turns it off in `auto`)'
            cand --root 'Configure the machine in DIR instead of this one, as in a chroot (also `MIRROR_ROOT`)'
            cand --user 'With `--root`: configure the user files of NAME (home, uid and gid from DIR/etc/passwd)'
            cand --catalog 'A site file or folder of site files replacing the built-in catalog (also `MIRROR_CATALOG`)'
            cand --timeout 'Time allowed for each probe, e.g. `800ms`, `3s`'
            cand --max-lag 'A site further behind upstream than this is `stale`, e.g. `6h`, `2d`'
            cand --json 'Print one JSON document on stdout instead of tables'
            cand -q 'Print only errors and data'
            cand --quiet 'Print only errors and data'
            cand -v 'Explain more: every file read, every probe sent'
            cand --verbose 'Explain more: every file read, every probe sent'
            cand --no-progress 'Never show progress bars (also `MIRROR_NO_PROGRESS`)'
            cand -y 'Answer yes to the question `use` and `restore` ask on a terminal'
            cand --yes 'Answer yes to the question `use` and `restore` ask on a terminal'
            cand --dry-run 'For `use`, `heal` and `restore`: print a unified diff per file, write and journal nothing (`site add`: print the site file; `site remove`: say what it would remove)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'mirror;site;remove'= {
            cand --color 'When to use colour (`NO_COLOR` turns it off in `auto`)'
            cand --root 'Configure the machine in DIR instead of this one, as in a chroot (also `MIRROR_ROOT`)'
            cand --user 'With `--root`: configure the user files of NAME (home, uid and gid from DIR/etc/passwd)'
            cand --catalog 'A site file or folder of site files replacing the built-in catalog (also `MIRROR_CATALOG`)'
            cand --timeout 'Time allowed for each probe, e.g. `800ms`, `3s`'
            cand --max-lag 'A site further behind upstream than this is `stale`, e.g. `6h`, `2d`'
            cand --json 'Print one JSON document on stdout instead of tables'
            cand -q 'Print only errors and data'
            cand --quiet 'Print only errors and data'
            cand -v 'Explain more: every file read, every probe sent'
            cand --verbose 'Explain more: every file read, every probe sent'
            cand --no-progress 'Never show progress bars (also `MIRROR_NO_PROGRESS`)'
            cand -y 'Answer yes to the question `use` and `restore` ask on a terminal'
            cand --yes 'Answer yes to the question `use` and `restore` ask on a terminal'
            cand --dry-run 'For `use`, `heal` and `restore`: print a unified diff per file, write and journal nothing (`site add`: print the site file; `site remove`: say what it would remove)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'mirror;site;help'= {
            cand add 'Probe a mirror for every repository layout and write NAME''s site file'
            cand list 'List your own site files and what each serves'
            cand remove 'Remove one of your own site files'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'mirror;site;help;add'= {
        }
        &'mirror;site;help;list'= {
        }
        &'mirror;site;help;remove'= {
        }
        &'mirror;site;help;help'= {
        }
        &'mirror;completions'= {
            cand --color 'When to use colour (`NO_COLOR` turns it off in `auto`)'
            cand --root 'Configure the machine in DIR instead of this one, as in a chroot (also `MIRROR_ROOT`)'
            cand --user 'With `--root`: configure the user files of NAME (home, uid and gid from DIR/etc/passwd)'
            cand --catalog 'A site file or folder of site files replacing the built-in catalog (also `MIRROR_CATALOG`)'
            cand --timeout 'Time allowed for each probe, e.g. `800ms`, `3s`'
            cand --max-lag 'A site further behind upstream than this is `stale`, e.g. `6h`, `2d`'
            cand --json 'Print one JSON document on stdout instead of tables'
            cand -q 'Print only errors and data'
            cand --quiet 'Print only errors and data'
            cand -v 'Explain more: every file read, every probe sent'
            cand --verbose 'Explain more: every file read, every probe sent'
            cand --no-progress 'Never show progress bars (also `MIRROR_NO_PROGRESS`)'
            cand -y 'Answer yes to the question `use` and `restore` ask on a terminal'
            cand --yes 'Answer yes to the question `use` and `restore` ask on a terminal'
            cand --dry-run 'For `use`, `heal` and `restore`: print a unified diff per file, write and journal nothing (`site add`: print the site file; `site remove`: say what it would remove)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'mirror;help'= {
            cand list 'List the sites in the catalog and the package managers each serves'
            cand bench 'Probe sites for latency, throughput and freshness, and rank them per package manager'
            cand use 'Point package managers at a site (`best`: the best per target; `upstream`: the official servers)'
            cand status 'Show what each package manager points at now (`--check`: probe it)'
            cand heal 'Switch only the package managers whose mirror is failed or stale (for timers and cron)'
            cand restore 'Undo the last `mirror use` (or the journal entry `--id`)'
            cand site 'Your own sites: find out what a mirror serves and write its site file'
            cand completions 'Print the completion script for a shell'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'mirror;help;list'= {
        }
        &'mirror;help;bench'= {
        }
        &'mirror;help;use'= {
        }
        &'mirror;help;status'= {
        }
        &'mirror;help;heal'= {
        }
        &'mirror;help;restore'= {
        }
        &'mirror;help;site'= {
            cand add 'Probe a mirror for every repository layout and write NAME''s site file'
            cand list 'List your own site files and what each serves'
            cand remove 'Remove one of your own site files'
        }
        &'mirror;help;site;add'= {
        }
        &'mirror;help;site;list'= {
        }
        &'mirror;help;site;remove'= {
        }
        &'mirror;help;completions'= {
        }
        &'mirror;help;help'= {
        }
    ]
    $completions[$command]
}
