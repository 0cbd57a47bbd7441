# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_mirror_global_optspecs
    string join \n json q/quiet v/verbose color= no-progress y/yes dry-run root= user= catalog= timeout= max-lag= h/help V/version
end

function __fish_mirror_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_mirror_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_mirror_using_subcommand
    set -l cmd (__fish_mirror_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c mirror -n "__fish_mirror_needs_command" -l color -d 'When to use colour (`NO_COLOR` turns it off in `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mirror -n "__fish_mirror_needs_command" -l root -d 'Configure the machine in DIR instead of this one, as in a chroot (also `MIRROR_ROOT`)' -r -F
complete -c mirror -n "__fish_mirror_needs_command" -l user -d 'With `--root`: configure the user files of NAME (home, uid and gid from DIR/etc/passwd)' -r
complete -c mirror -n "__fish_mirror_needs_command" -l catalog -d 'A site file or folder of site files replacing the built-in catalog (also `MIRROR_CATALOG`)' -r -F
complete -c mirror -n "__fish_mirror_needs_command" -l timeout -d 'Time allowed for each probe, e.g. `800ms`, `3s`' -r
complete -c mirror -n "__fish_mirror_needs_command" -l max-lag -d 'A site further behind upstream than this is `stale`, e.g. `6h`, `2d`' -r
complete -c mirror -n "__fish_mirror_needs_command" -l json -d 'Print one JSON document on stdout instead of tables'
complete -c mirror -n "__fish_mirror_needs_command" -s q -l quiet -d 'Print only errors and data'
complete -c mirror -n "__fish_mirror_needs_command" -s v -l verbose -d 'Explain more: every file read, every probe sent'
complete -c mirror -n "__fish_mirror_needs_command" -l no-progress -d 'Never show progress bars (also `MIRROR_NO_PROGRESS`)'
complete -c mirror -n "__fish_mirror_needs_command" -s y -l yes -d 'Answer yes to the question `use` and `restore` ask on a terminal'
complete -c mirror -n "__fish_mirror_needs_command" -l dry-run -d 'For `use`, `heal` and `restore`: print a unified diff per file, write and journal nothing (`site add`: print the site file; `site remove`: say what it would remove)'
complete -c mirror -n "__fish_mirror_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mirror -n "__fish_mirror_needs_command" -s V -l version -d 'Print version'
complete -c mirror -n "__fish_mirror_needs_command" -f -a "list" -d 'List the sites in the catalog and the package managers each serves'
complete -c mirror -n "__fish_mirror_needs_command" -f -a "bench" -d 'Probe sites for latency, throughput and freshness, and rank them per package manager'
complete -c mirror -n "__fish_mirror_needs_command" -f -a "use" -d 'Point package managers at a site (`best`: the best per target; `upstream`: the official servers)'
complete -c mirror -n "__fish_mirror_needs_command" -f -a "status" -d 'Show what each package manager points at now (`--check`: probe it)'
complete -c mirror -n "__fish_mirror_needs_command" -f -a "heal" -d 'Switch only the package managers whose mirror is failed or stale (for timers and cron)'
complete -c mirror -n "__fish_mirror_needs_command" -f -a "restore" -d 'Undo the last `mirror use` (or the journal entry `--id`)'
complete -c mirror -n "__fish_mirror_needs_command" -f -a "site" -d 'Your own sites: find out what a mirror serves and write its site file'
complete -c mirror -n "__fish_mirror_needs_command" -f -a "completions" -d 'Print the completion script for a shell'
complete -c mirror -n "__fish_mirror_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mirror -n "__fish_mirror_using_subcommand list" -l color -d 'When to use colour (`NO_COLOR` turns it off in `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mirror -n "__fish_mirror_using_subcommand list" -l root -d 'Configure the machine in DIR instead of this one, as in a chroot (also `MIRROR_ROOT`)' -r -F
complete -c mirror -n "__fish_mirror_using_subcommand list" -l user -d 'With `--root`: configure the user files of NAME (home, uid and gid from DIR/etc/passwd)' -r
complete -c mirror -n "__fish_mirror_using_subcommand list" -l catalog -d 'A site file or folder of site files replacing the built-in catalog (also `MIRROR_CATALOG`)' -r -F
complete -c mirror -n "__fish_mirror_using_subcommand list" -l timeout -d 'Time allowed for each probe, e.g. `800ms`, `3s`' -r
complete -c mirror -n "__fish_mirror_using_subcommand list" -l max-lag -d 'A site further behind upstream than this is `stale`, e.g. `6h`, `2d`' -r
complete -c mirror -n "__fish_mirror_using_subcommand list" -l json -d 'Print one JSON document on stdout instead of tables'
complete -c mirror -n "__fish_mirror_using_subcommand list" -s q -l quiet -d 'Print only errors and data'
complete -c mirror -n "__fish_mirror_using_subcommand list" -s v -l verbose -d 'Explain more: every file read, every probe sent'
complete -c mirror -n "__fish_mirror_using_subcommand list" -l no-progress -d 'Never show progress bars (also `MIRROR_NO_PROGRESS`)'
complete -c mirror -n "__fish_mirror_using_subcommand list" -s y -l yes -d 'Answer yes to the question `use` and `restore` ask on a terminal'
complete -c mirror -n "__fish_mirror_using_subcommand list" -l dry-run -d 'For `use`, `heal` and `restore`: print a unified diff per file, write and journal nothing (`site add`: print the site file; `site remove`: say what it would remove)'
complete -c mirror -n "__fish_mirror_using_subcommand list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mirror -n "__fish_mirror_using_subcommand bench" -l site -d 'Probe only these sites (comma-separated ids)' -r
complete -c mirror -n "__fish_mirror_using_subcommand bench" -l color -d 'When to use colour (`NO_COLOR` turns it off in `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mirror -n "__fish_mirror_using_subcommand bench" -l root -d 'Configure the machine in DIR instead of this one, as in a chroot (also `MIRROR_ROOT`)' -r -F
complete -c mirror -n "__fish_mirror_using_subcommand bench" -l user -d 'With `--root`: configure the user files of NAME (home, uid and gid from DIR/etc/passwd)' -r
complete -c mirror -n "__fish_mirror_using_subcommand bench" -l catalog -d 'A site file or folder of site files replacing the built-in catalog (also `MIRROR_CATALOG`)' -r -F
complete -c mirror -n "__fish_mirror_using_subcommand bench" -l timeout -d 'Time allowed for each probe, e.g. `800ms`, `3s`' -r
complete -c mirror -n "__fish_mirror_using_subcommand bench" -l max-lag -d 'A site further behind upstream than this is `stale`, e.g. `6h`, `2d`' -r
complete -c mirror -n "__fish_mirror_using_subcommand bench" -l json -d 'Print one JSON document on stdout instead of tables'
complete -c mirror -n "__fish_mirror_using_subcommand bench" -s q -l quiet -d 'Print only errors and data'
complete -c mirror -n "__fish_mirror_using_subcommand bench" -s v -l verbose -d 'Explain more: every file read, every probe sent'
complete -c mirror -n "__fish_mirror_using_subcommand bench" -l no-progress -d 'Never show progress bars (also `MIRROR_NO_PROGRESS`)'
complete -c mirror -n "__fish_mirror_using_subcommand bench" -s y -l yes -d 'Answer yes to the question `use` and `restore` ask on a terminal'
complete -c mirror -n "__fish_mirror_using_subcommand bench" -l dry-run -d 'For `use`, `heal` and `restore`: print a unified diff per file, write and journal nothing (`site add`: print the site file; `site remove`: say what it would remove)'
complete -c mirror -n "__fish_mirror_using_subcommand bench" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mirror -n "__fish_mirror_using_subcommand use" -l site -d 'With `best`: consider only these sites (comma-separated ids)' -r
complete -c mirror -n "__fish_mirror_using_subcommand use" -l verify-timeout -d 'Time allowed for each package manager\'s check, e.g. `30s`, `2m`' -r
complete -c mirror -n "__fish_mirror_using_subcommand use" -l from -d 'With `best`: follow the ranking in FILE, which `mirror bench --json` wrote (here or on another machine), instead of probing; `-` reads it from stdin' -r -F
complete -c mirror -n "__fish_mirror_using_subcommand use" -l max-age -d 'With `--from`: the oldest ranking to follow, e.g. `6h`, `3d`' -r
complete -c mirror -n "__fish_mirror_using_subcommand use" -l color -d 'When to use colour (`NO_COLOR` turns it off in `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mirror -n "__fish_mirror_using_subcommand use" -l root -d 'Configure the machine in DIR instead of this one, as in a chroot (also `MIRROR_ROOT`)' -r -F
complete -c mirror -n "__fish_mirror_using_subcommand use" -l user -d 'With `--root`: configure the user files of NAME (home, uid and gid from DIR/etc/passwd)' -r
complete -c mirror -n "__fish_mirror_using_subcommand use" -l catalog -d 'A site file or folder of site files replacing the built-in catalog (also `MIRROR_CATALOG`)' -r -F
complete -c mirror -n "__fish_mirror_using_subcommand use" -l timeout -d 'Time allowed for each probe, e.g. `800ms`, `3s`' -r
complete -c mirror -n "__fish_mirror_using_subcommand use" -l max-lag -d 'A site further behind upstream than this is `stale`, e.g. `6h`, `2d`' -r
complete -c mirror -n "__fish_mirror_using_subcommand use" -l security -d 'Also point the Debian/Ubuntu security suites at the mirror (they stay official by default)'
complete -c mirror -n "__fish_mirror_using_subcommand use" -l refresh -d 'With `best`: probe again even when recent `bench` results exist'
complete -c mirror -n "__fish_mirror_using_subcommand use" -l allow-third-party -d 'With `best`: also consider third-party mirrors (marked in `mirror list`); the same as `allow_third_party = true` in `$XDG_CONFIG_HOME/mirror/config.toml`'
complete -c mirror -n "__fish_mirror_using_subcommand use" -l verify -d 'Check each changed package manager against its new files, and put back the ones that fail (the default for `best`)'
complete -c mirror -n "__fish_mirror_using_subcommand use" -l no-verify -d 'Write without checking (also for `best`)'
complete -c mirror -n "__fish_mirror_using_subcommand use" -l json -d 'Print one JSON document on stdout instead of tables'
complete -c mirror -n "__fish_mirror_using_subcommand use" -s q -l quiet -d 'Print only errors and data'
complete -c mirror -n "__fish_mirror_using_subcommand use" -s v -l verbose -d 'Explain more: every file read, every probe sent'
complete -c mirror -n "__fish_mirror_using_subcommand use" -l no-progress -d 'Never show progress bars (also `MIRROR_NO_PROGRESS`)'
complete -c mirror -n "__fish_mirror_using_subcommand use" -s y -l yes -d 'Answer yes to the question `use` and `restore` ask on a terminal'
complete -c mirror -n "__fish_mirror_using_subcommand use" -l dry-run -d 'For `use`, `heal` and `restore`: print a unified diff per file, write and journal nothing (`site add`: print the site file; `site remove`: say what it would remove)'
complete -c mirror -n "__fish_mirror_using_subcommand use" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mirror -n "__fish_mirror_using_subcommand status" -l color -d 'When to use colour (`NO_COLOR` turns it off in `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mirror -n "__fish_mirror_using_subcommand status" -l root -d 'Configure the machine in DIR instead of this one, as in a chroot (also `MIRROR_ROOT`)' -r -F
complete -c mirror -n "__fish_mirror_using_subcommand status" -l user -d 'With `--root`: configure the user files of NAME (home, uid and gid from DIR/etc/passwd)' -r
complete -c mirror -n "__fish_mirror_using_subcommand status" -l catalog -d 'A site file or folder of site files replacing the built-in catalog (also `MIRROR_CATALOG`)' -r -F
complete -c mirror -n "__fish_mirror_using_subcommand status" -l timeout -d 'Time allowed for each probe, e.g. `800ms`, `3s`' -r
complete -c mirror -n "__fish_mirror_using_subcommand status" -l max-lag -d 'A site further behind upstream than this is `stale`, e.g. `6h`, `2d`' -r
complete -c mirror -n "__fish_mirror_using_subcommand status" -l check -d 'Probe the configured mirror of each target and say whether it is healthy'
complete -c mirror -n "__fish_mirror_using_subcommand status" -l json -d 'Print one JSON document on stdout instead of tables'
complete -c mirror -n "__fish_mirror_using_subcommand status" -s q -l quiet -d 'Print only errors and data'
complete -c mirror -n "__fish_mirror_using_subcommand status" -s v -l verbose -d 'Explain more: every file read, every probe sent'
complete -c mirror -n "__fish_mirror_using_subcommand status" -l no-progress -d 'Never show progress bars (also `MIRROR_NO_PROGRESS`)'
complete -c mirror -n "__fish_mirror_using_subcommand status" -s y -l yes -d 'Answer yes to the question `use` and `restore` ask on a terminal'
complete -c mirror -n "__fish_mirror_using_subcommand status" -l dry-run -d 'For `use`, `heal` and `restore`: print a unified diff per file, write and journal nothing (`site add`: print the site file; `site remove`: say what it would remove)'
complete -c mirror -n "__fish_mirror_using_subcommand status" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mirror -n "__fish_mirror_using_subcommand heal" -l site -d 'Move only to these sites (comma-separated ids)' -r
complete -c mirror -n "__fish_mirror_using_subcommand heal" -l verify-timeout -d 'Time allowed for each package manager\'s check of its new config' -r
complete -c mirror -n "__fish_mirror_using_subcommand heal" -l color -d 'When to use colour (`NO_COLOR` turns it off in `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mirror -n "__fish_mirror_using_subcommand heal" -l root -d 'Configure the machine in DIR instead of this one, as in a chroot (also `MIRROR_ROOT`)' -r -F
complete -c mirror -n "__fish_mirror_using_subcommand heal" -l user -d 'With `--root`: configure the user files of NAME (home, uid and gid from DIR/etc/passwd)' -r
complete -c mirror -n "__fish_mirror_using_subcommand heal" -l catalog -d 'A site file or folder of site files replacing the built-in catalog (also `MIRROR_CATALOG`)' -r -F
complete -c mirror -n "__fish_mirror_using_subcommand heal" -l timeout -d 'Time allowed for each probe, e.g. `800ms`, `3s`' -r
complete -c mirror -n "__fish_mirror_using_subcommand heal" -l max-lag -d 'A site further behind upstream than this is `stale`, e.g. `6h`, `2d`' -r
complete -c mirror -n "__fish_mirror_using_subcommand heal" -l allow-third-party -d 'Also consider third-party mirrors; the same as `allow_third_party = true` in `$XDG_CONFIG_HOME/mirror/config.toml`'
complete -c mirror -n "__fish_mirror_using_subcommand heal" -l json -d 'Print one JSON document on stdout instead of tables'
complete -c mirror -n "__fish_mirror_using_subcommand heal" -s q -l quiet -d 'Print only errors and data'
complete -c mirror -n "__fish_mirror_using_subcommand heal" -s v -l verbose -d 'Explain more: every file read, every probe sent'
complete -c mirror -n "__fish_mirror_using_subcommand heal" -l no-progress -d 'Never show progress bars (also `MIRROR_NO_PROGRESS`)'
complete -c mirror -n "__fish_mirror_using_subcommand heal" -s y -l yes -d 'Answer yes to the question `use` and `restore` ask on a terminal'
complete -c mirror -n "__fish_mirror_using_subcommand heal" -l dry-run -d 'For `use`, `heal` and `restore`: print a unified diff per file, write and journal nothing (`site add`: print the site file; `site remove`: say what it would remove)'
complete -c mirror -n "__fish_mirror_using_subcommand heal" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mirror -n "__fish_mirror_using_subcommand restore" -l id -d 'Restore this journal entry instead of the last one' -r
complete -c mirror -n "__fish_mirror_using_subcommand restore" -l color -d 'When to use colour (`NO_COLOR` turns it off in `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mirror -n "__fish_mirror_using_subcommand restore" -l root -d 'Configure the machine in DIR instead of this one, as in a chroot (also `MIRROR_ROOT`)' -r -F
complete -c mirror -n "__fish_mirror_using_subcommand restore" -l user -d 'With `--root`: configure the user files of NAME (home, uid and gid from DIR/etc/passwd)' -r
complete -c mirror -n "__fish_mirror_using_subcommand restore" -l catalog -d 'A site file or folder of site files replacing the built-in catalog (also `MIRROR_CATALOG`)' -r -F
complete -c mirror -n "__fish_mirror_using_subcommand restore" -l timeout -d 'Time allowed for each probe, e.g. `800ms`, `3s`' -r
complete -c mirror -n "__fish_mirror_using_subcommand restore" -l max-lag -d 'A site further behind upstream than this is `stale`, e.g. `6h`, `2d`' -r
complete -c mirror -n "__fish_mirror_using_subcommand restore" -l list -d 'List the journal entries instead of restoring'
complete -c mirror -n "__fish_mirror_using_subcommand restore" -l force -d 'Restore files even if they were edited after the `use`'
complete -c mirror -n "__fish_mirror_using_subcommand restore" -l json -d 'Print one JSON document on stdout instead of tables'
complete -c mirror -n "__fish_mirror_using_subcommand restore" -s q -l quiet -d 'Print only errors and data'
complete -c mirror -n "__fish_mirror_using_subcommand restore" -s v -l verbose -d 'Explain more: every file read, every probe sent'
complete -c mirror -n "__fish_mirror_using_subcommand restore" -l no-progress -d 'Never show progress bars (also `MIRROR_NO_PROGRESS`)'
complete -c mirror -n "__fish_mirror_using_subcommand restore" -s y -l yes -d 'Answer yes to the question `use` and `restore` ask on a terminal'
complete -c mirror -n "__fish_mirror_using_subcommand restore" -l dry-run -d 'For `use`, `heal` and `restore`: print a unified diff per file, write and journal nothing (`site add`: print the site file; `site remove`: say what it would remove)'
complete -c mirror -n "__fish_mirror_using_subcommand restore" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mirror -n "__fish_mirror_using_subcommand site; and not __fish_seen_subcommand_from add list remove help" -l color -d 'When to use colour (`NO_COLOR` turns it off in `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mirror -n "__fish_mirror_using_subcommand site; and not __fish_seen_subcommand_from add list remove help" -l root -d 'Configure the machine in DIR instead of this one, as in a chroot (also `MIRROR_ROOT`)' -r -F
complete -c mirror -n "__fish_mirror_using_subcommand site; and not __fish_seen_subcommand_from add list remove help" -l user -d 'With `--root`: configure the user files of NAME (home, uid and gid from DIR/etc/passwd)' -r
complete -c mirror -n "__fish_mirror_using_subcommand site; and not __fish_seen_subcommand_from add list remove help" -l catalog -d 'A site file or folder of site files replacing the built-in catalog (also `MIRROR_CATALOG`)' -r -F
complete -c mirror -n "__fish_mirror_using_subcommand site; and not __fish_seen_subcommand_from add list remove help" -l timeout -d 'Time allowed for each probe, e.g. `800ms`, `3s`' -r
complete -c mirror -n "__fish_mirror_using_subcommand site; and not __fish_seen_subcommand_from add list remove help" -l max-lag -d 'A site further behind upstream than this is `stale`, e.g. `6h`, `2d`' -r
complete -c mirror -n "__fish_mirror_using_subcommand site; and not __fish_seen_subcommand_from add list remove help" -l json -d 'Print one JSON document on stdout instead of tables'
complete -c mirror -n "__fish_mirror_using_subcommand site; and not __fish_seen_subcommand_from add list remove help" -s q -l quiet -d 'Print only errors and data'
complete -c mirror -n "__fish_mirror_using_subcommand site; and not __fish_seen_subcommand_from add list remove help" -s v -l verbose -d 'Explain more: every file read, every probe sent'
complete -c mirror -n "__fish_mirror_using_subcommand site; and not __fish_seen_subcommand_from add list remove help" -l no-progress -d 'Never show progress bars (also `MIRROR_NO_PROGRESS`)'
complete -c mirror -n "__fish_mirror_using_subcommand site; and not __fish_seen_subcommand_from add list remove help" -s y -l yes -d 'Answer yes to the question `use` and `restore` ask on a terminal'
complete -c mirror -n "__fish_mirror_using_subcommand site; and not __fish_seen_subcommand_from add list remove help" -l dry-run -d 'For `use`, `heal` and `restore`: print a unified diff per file, write and journal nothing (`site add`: print the site file; `site remove`: say what it would remove)'
complete -c mirror -n "__fish_mirror_using_subcommand site; and not __fish_seen_subcommand_from add list remove help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mirror -n "__fish_mirror_using_subcommand site; and not __fish_seen_subcommand_from add list remove help" -f -a "add" -d 'Probe a mirror for every repository layout and write NAME\'s site file'
complete -c mirror -n "__fish_mirror_using_subcommand site; and not __fish_seen_subcommand_from add list remove help" -f -a "list" -d 'List your own site files and what each serves'
complete -c mirror -n "__fish_mirror_using_subcommand site; and not __fish_seen_subcommand_from add list remove help" -f -a "remove" -d 'Remove one of your own site files'
complete -c mirror -n "__fish_mirror_using_subcommand site; and not __fish_seen_subcommand_from add list remove help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mirror -n "__fish_mirror_using_subcommand site; and __fish_seen_subcommand_from add" -l region -d 'Where the site is: an ISO 3166 country code (`CN`, `DE`) or `global`; asked on a terminal when not given' -r
complete -c mirror -n "__fish_mirror_using_subcommand site; and __fish_seen_subcommand_from add" -l color -d 'When to use colour (`NO_COLOR` turns it off in `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mirror -n "__fish_mirror_using_subcommand site; and __fish_seen_subcommand_from add" -l root -d 'Configure the machine in DIR instead of this one, as in a chroot (also `MIRROR_ROOT`)' -r -F
complete -c mirror -n "__fish_mirror_using_subcommand site; and __fish_seen_subcommand_from add" -l user -d 'With `--root`: configure the user files of NAME (home, uid and gid from DIR/etc/passwd)' -r
complete -c mirror -n "__fish_mirror_using_subcommand site; and __fish_seen_subcommand_from add" -l catalog -d 'A site file or folder of site files replacing the built-in catalog (also `MIRROR_CATALOG`)' -r -F
complete -c mirror -n "__fish_mirror_using_subcommand site; and __fish_seen_subcommand_from add" -l timeout -d 'Time allowed for each probe, e.g. `800ms`, `3s`' -r
complete -c mirror -n "__fish_mirror_using_subcommand site; and __fish_seen_subcommand_from add" -l max-lag -d 'A site further behind upstream than this is `stale`, e.g. `6h`, `2d`' -r
complete -c mirror -n "__fish_mirror_using_subcommand site; and __fish_seen_subcommand_from add" -l allow-http -d 'Let pip, uv, conda, cargo, docker and the other unsigned clients use the site over `http://`'
complete -c mirror -n "__fish_mirror_using_subcommand site; and __fish_seen_subcommand_from add" -l force -d 'Replace an existing site file of that name (or a built-in site of that id)'
complete -c mirror -n "__fish_mirror_using_subcommand site; and __fish_seen_subcommand_from add" -l json -d 'Print one JSON document on stdout instead of tables'
complete -c mirror -n "__fish_mirror_using_subcommand site; and __fish_seen_subcommand_from add" -s q -l quiet -d 'Print only errors and data'
complete -c mirror -n "__fish_mirror_using_subcommand site; and __fish_seen_subcommand_from add" -s v -l verbose -d 'Explain more: every file read, every probe sent'
complete -c mirror -n "__fish_mirror_using_subcommand site; and __fish_seen_subcommand_from add" -l no-progress -d 'Never show progress bars (also `MIRROR_NO_PROGRESS`)'
complete -c mirror -n "__fish_mirror_using_subcommand site; and __fish_seen_subcommand_from add" -s y -l yes -d 'Answer yes to the question `use` and `restore` ask on a terminal'
complete -c mirror -n "__fish_mirror_using_subcommand site; and __fish_seen_subcommand_from add" -l dry-run -d 'For `use`, `heal` and `restore`: print a unified diff per file, write and journal nothing (`site add`: print the site file; `site remove`: say what it would remove)'
complete -c mirror -n "__fish_mirror_using_subcommand site; and __fish_seen_subcommand_from add" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mirror -n "__fish_mirror_using_subcommand site; and __fish_seen_subcommand_from list" -l color -d 'When to use colour (`NO_COLOR` turns it off in `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mirror -n "__fish_mirror_using_subcommand site; and __fish_seen_subcommand_from list" -l root -d 'Configure the machine in DIR instead of this one, as in a chroot (also `MIRROR_ROOT`)' -r -F
complete -c mirror -n "__fish_mirror_using_subcommand site; and __fish_seen_subcommand_from list" -l user -d 'With `--root`: configure the user files of NAME (home, uid and gid from DIR/etc/passwd)' -r
complete -c mirror -n "__fish_mirror_using_subcommand site; and __fish_seen_subcommand_from list" -l catalog -d 'A site file or folder of site files replacing the built-in catalog (also `MIRROR_CATALOG`)' -r -F
complete -c mirror -n "__fish_mirror_using_subcommand site; and __fish_seen_subcommand_from list" -l timeout -d 'Time allowed for each probe, e.g. `800ms`, `3s`' -r
complete -c mirror -n "__fish_mirror_using_subcommand site; and __fish_seen_subcommand_from list" -l max-lag -d 'A site further behind upstream than this is `stale`, e.g. `6h`, `2d`' -r
complete -c mirror -n "__fish_mirror_using_subcommand site; and __fish_seen_subcommand_from list" -l json -d 'Print one JSON document on stdout instead of tables'
complete -c mirror -n "__fish_mirror_using_subcommand site; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Print only errors and data'
complete -c mirror -n "__fish_mirror_using_subcommand site; and __fish_seen_subcommand_from list" -s v -l verbose -d 'Explain more: every file read, every probe sent'
complete -c mirror -n "__fish_mirror_using_subcommand site; and __fish_seen_subcommand_from list" -l no-progress -d 'Never show progress bars (also `MIRROR_NO_PROGRESS`)'
complete -c mirror -n "__fish_mirror_using_subcommand site; and __fish_seen_subcommand_from list" -s y -l yes -d 'Answer yes to the question `use` and `restore` ask on a terminal'
complete -c mirror -n "__fish_mirror_using_subcommand site; and __fish_seen_subcommand_from list" -l dry-run -d 'For `use`, `heal` and `restore`: print a unified diff per file, write and journal nothing (`site add`: print the site file; `site remove`: say what it would remove)'
complete -c mirror -n "__fish_mirror_using_subcommand site; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mirror -n "__fish_mirror_using_subcommand site; and __fish_seen_subcommand_from remove" -l color -d 'When to use colour (`NO_COLOR` turns it off in `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mirror -n "__fish_mirror_using_subcommand site; and __fish_seen_subcommand_from remove" -l root -d 'Configure the machine in DIR instead of this one, as in a chroot (also `MIRROR_ROOT`)' -r -F
complete -c mirror -n "__fish_mirror_using_subcommand site; and __fish_seen_subcommand_from remove" -l user -d 'With `--root`: configure the user files of NAME (home, uid and gid from DIR/etc/passwd)' -r
complete -c mirror -n "__fish_mirror_using_subcommand site; and __fish_seen_subcommand_from remove" -l catalog -d 'A site file or folder of site files replacing the built-in catalog (also `MIRROR_CATALOG`)' -r -F
complete -c mirror -n "__fish_mirror_using_subcommand site; and __fish_seen_subcommand_from remove" -l timeout -d 'Time allowed for each probe, e.g. `800ms`, `3s`' -r
complete -c mirror -n "__fish_mirror_using_subcommand site; and __fish_seen_subcommand_from remove" -l max-lag -d 'A site further behind upstream than this is `stale`, e.g. `6h`, `2d`' -r
complete -c mirror -n "__fish_mirror_using_subcommand site; and __fish_seen_subcommand_from remove" -l json -d 'Print one JSON document on stdout instead of tables'
complete -c mirror -n "__fish_mirror_using_subcommand site; and __fish_seen_subcommand_from remove" -s q -l quiet -d 'Print only errors and data'
complete -c mirror -n "__fish_mirror_using_subcommand site; and __fish_seen_subcommand_from remove" -s v -l verbose -d 'Explain more: every file read, every probe sent'
complete -c mirror -n "__fish_mirror_using_subcommand site; and __fish_seen_subcommand_from remove" -l no-progress -d 'Never show progress bars (also `MIRROR_NO_PROGRESS`)'
complete -c mirror -n "__fish_mirror_using_subcommand site; and __fish_seen_subcommand_from remove" -s y -l yes -d 'Answer yes to the question `use` and `restore` ask on a terminal'
complete -c mirror -n "__fish_mirror_using_subcommand site; and __fish_seen_subcommand_from remove" -l dry-run -d 'For `use`, `heal` and `restore`: print a unified diff per file, write and journal nothing (`site add`: print the site file; `site remove`: say what it would remove)'
complete -c mirror -n "__fish_mirror_using_subcommand site; and __fish_seen_subcommand_from remove" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mirror -n "__fish_mirror_using_subcommand site; and __fish_seen_subcommand_from help" -f -a "add" -d 'Probe a mirror for every repository layout and write NAME\'s site file'
complete -c mirror -n "__fish_mirror_using_subcommand site; and __fish_seen_subcommand_from help" -f -a "list" -d 'List your own site files and what each serves'
complete -c mirror -n "__fish_mirror_using_subcommand site; and __fish_seen_subcommand_from help" -f -a "remove" -d 'Remove one of your own site files'
complete -c mirror -n "__fish_mirror_using_subcommand site; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mirror -n "__fish_mirror_using_subcommand completions" -l color -d 'When to use colour (`NO_COLOR` turns it off in `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mirror -n "__fish_mirror_using_subcommand completions" -l root -d 'Configure the machine in DIR instead of this one, as in a chroot (also `MIRROR_ROOT`)' -r -F
complete -c mirror -n "__fish_mirror_using_subcommand completions" -l user -d 'With `--root`: configure the user files of NAME (home, uid and gid from DIR/etc/passwd)' -r
complete -c mirror -n "__fish_mirror_using_subcommand completions" -l catalog -d 'A site file or folder of site files replacing the built-in catalog (also `MIRROR_CATALOG`)' -r -F
complete -c mirror -n "__fish_mirror_using_subcommand completions" -l timeout -d 'Time allowed for each probe, e.g. `800ms`, `3s`' -r
complete -c mirror -n "__fish_mirror_using_subcommand completions" -l max-lag -d 'A site further behind upstream than this is `stale`, e.g. `6h`, `2d`' -r
complete -c mirror -n "__fish_mirror_using_subcommand completions" -l json -d 'Print one JSON document on stdout instead of tables'
complete -c mirror -n "__fish_mirror_using_subcommand completions" -s q -l quiet -d 'Print only errors and data'
complete -c mirror -n "__fish_mirror_using_subcommand completions" -s v -l verbose -d 'Explain more: every file read, every probe sent'
complete -c mirror -n "__fish_mirror_using_subcommand completions" -l no-progress -d 'Never show progress bars (also `MIRROR_NO_PROGRESS`)'
complete -c mirror -n "__fish_mirror_using_subcommand completions" -s y -l yes -d 'Answer yes to the question `use` and `restore` ask on a terminal'
complete -c mirror -n "__fish_mirror_using_subcommand completions" -l dry-run -d 'For `use`, `heal` and `restore`: print a unified diff per file, write and journal nothing (`site add`: print the site file; `site remove`: say what it would remove)'
complete -c mirror -n "__fish_mirror_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mirror -n "__fish_mirror_using_subcommand help; and not __fish_seen_subcommand_from list bench use status heal restore site completions help" -f -a "list" -d 'List the sites in the catalog and the package managers each serves'
complete -c mirror -n "__fish_mirror_using_subcommand help; and not __fish_seen_subcommand_from list bench use status heal restore site completions help" -f -a "bench" -d 'Probe sites for latency, throughput and freshness, and rank them per package manager'
complete -c mirror -n "__fish_mirror_using_subcommand help; and not __fish_seen_subcommand_from list bench use status heal restore site completions help" -f -a "use" -d 'Point package managers at a site (`best`: the best per target; `upstream`: the official servers)'
complete -c mirror -n "__fish_mirror_using_subcommand help; and not __fish_seen_subcommand_from list bench use status heal restore site completions help" -f -a "status" -d 'Show what each package manager points at now (`--check`: probe it)'
complete -c mirror -n "__fish_mirror_using_subcommand help; and not __fish_seen_subcommand_from list bench use status heal restore site completions help" -f -a "heal" -d 'Switch only the package managers whose mirror is failed or stale (for timers and cron)'
complete -c mirror -n "__fish_mirror_using_subcommand help; and not __fish_seen_subcommand_from list bench use status heal restore site completions help" -f -a "restore" -d 'Undo the last `mirror use` (or the journal entry `--id`)'
complete -c mirror -n "__fish_mirror_using_subcommand help; and not __fish_seen_subcommand_from list bench use status heal restore site completions help" -f -a "site" -d 'Your own sites: find out what a mirror serves and write its site file'
complete -c mirror -n "__fish_mirror_using_subcommand help; and not __fish_seen_subcommand_from list bench use status heal restore site completions help" -f -a "completions" -d 'Print the completion script for a shell'
complete -c mirror -n "__fish_mirror_using_subcommand help; and not __fish_seen_subcommand_from list bench use status heal restore site completions help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mirror -n "__fish_mirror_using_subcommand help; and __fish_seen_subcommand_from site" -f -a "add" -d 'Probe a mirror for every repository layout and write NAME\'s site file'
complete -c mirror -n "__fish_mirror_using_subcommand help; and __fish_seen_subcommand_from site" -f -a "list" -d 'List your own site files and what each serves'
complete -c mirror -n "__fish_mirror_using_subcommand help; and __fish_seen_subcommand_from site" -f -a "remove" -d 'Remove one of your own site files'
