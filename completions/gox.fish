# fish completion for gox
# gox's commands, then the go verbs gox runs as go itself
set -l verbs build test install run vet parse explain diff history stats doctor report cacheprog help list mod env generate work tool version clean get fmt fix doc bug telemetry
complete -c gox -f -n "not __fish_seen_subcommand_from $verbs" -a "$verbs"
complete -c gox -n "not __fish_seen_subcommand_from $verbs" -l summary -r -d 'where the summary goes: stderr, off or a file'
complete -c gox -n "not __fish_seen_subcommand_from $verbs" -l summary-format -x -a 'text json' -d 'summary format'
complete -c gox -n "not __fish_seen_subcommand_from $verbs" -l why -d 'name the exact input that changed'
complete -c gox -n "not __fish_seen_subcommand_from $verbs" -l baseline -r -F -d 'compare with another run: a JSON summary or a history run id'
complete -c gox -n "not __fish_seen_subcommand_from $verbs" -l no-history -d 'neither read nor write the run history'
complete -c gox -n "not __fish_seen_subcommand_from $verbs" -l keep -r -d 'runs or days of history kept per project'
complete -c gox -n "not __fish_seen_subcommand_from $verbs" -l no-progress -d 'no progress line'
complete -c gox -n "not __fish_seen_subcommand_from $verbs" -l repro-clean -d 're-run a failure against an empty temporary cache'
complete -c gox -n "not __fish_seen_subcommand_from $verbs" -l no-repro -d 'never re-run a failure'
complete -c gox -n "not __fish_seen_subcommand_from $verbs" -l verify-suspects -d "check the suspect packages' cache files"
complete -c gox -n "not __fish_seen_subcommand_from $verbs" -l go -r -d 'the go command to run'
complete -c gox -n "not __fish_seen_subcommand_from $verbs" -l report -r -d 'also write a report (format from the extension)'
complete -c gox -n "not __fish_seen_subcommand_from $verbs" -l report-format -x -a 'json markdown html junit chrome-trace text otlp openmetrics' -d 'report format'
complete -c gox -n "not __fish_seen_subcommand_from $verbs" -l redact-paths -d 'reports drop absolute paths and the user name'
complete -c gox -n "not __fish_seen_subcommand_from $verbs" -l no-redact -d 'reports keep secrets'
complete -c gox -n "not __fish_seen_subcommand_from $verbs" -l annotations -x -a 'github' -d 'workflow commands for compile errors'
complete -c gox -n "not __fish_seen_subcommand_from $verbs" -l cacheprog -d 'go cache through gox cacheprog (=UPSTREAM: a helper behind it)'
complete -c gox -n "not __fish_seen_subcommand_from $verbs" -l help -d 'show help'
complete -c gox -n "not __fish_seen_subcommand_from $verbs" -l version -d 'print the version'
complete -c gox -n "not __fish_seen_subcommand_from $verbs" -s C -x -a '(__fish_complete_directories)' -d "go's -C: change to dir first"
complete -c gox -n "__fish_seen_subcommand_from parse" -l format -x -a 'text json otlp openmetrics'
complete -c gox -n "__fish_seen_subcommand_from parse" -l actiongraph -r
complete -c gox -n "__fish_seen_subcommand_from parse" -l stdout -r
complete -c gox -n "__fish_seen_subcommand_from explain diff history" -l format -x -a 'text json'
complete -c gox -n "__fish_seen_subcommand_from explain" -l run -x
complete -c gox -n "__fish_seen_subcommand_from explain" -l reasons
complete -c gox -n "__fish_seen_subcommand_from explain" -l classes
complete -c gox -n "__fish_seen_subcommand_from explain" -l outcomes
complete -c gox -n "__fish_seen_subcommand_from explain" -l evidence
complete -c gox -n "__fish_seen_subcommand_from history" -l all
complete -c gox -n "__fish_seen_subcommand_from doctor" -l format -x -a 'text json'
complete -c gox -n "__fish_seen_subcommand_from doctor" -l mod-verify -d 'also go mod verify'
complete -c gox -n "__fish_seen_subcommand_from doctor" -l verify-cache -d 'check every cache file against its hash'
complete -c gox -n "__fish_seen_subcommand_from diff" -l fail-over -x -d 'exit 1 when work time grew more than PCT percent'
complete -c gox -n "__fish_seen_subcommand_from report" -l format -x -a 'json markdown html junit chrome-trace text otlp openmetrics'
complete -c gox -n "__fish_seen_subcommand_from report" -l output -r
complete -c gox -n "__fish_seen_subcommand_from report" -l redact-paths
complete -c gox -n "__fish_seen_subcommand_from report" -l no-redact
complete -c gox -n "__fish_seen_subcommand_from stats" -l since -x -a '1d 7d 30d 2w' -d 'the window'
complete -c gox -n "__fish_seen_subcommand_from stats" -l project -x -d 'only this project (module path)'
complete -c gox -n "__fish_seen_subcommand_from stats" -l format -x -a 'text json html'
complete -c gox -n "__fish_seen_subcommand_from stats" -s o -l output -r
complete -c gox -n "__fish_seen_subcommand_from stats" -l report -r -d 'also write to FILE (.html, .json, .txt)'
complete -c gox -n "__fish_seen_subcommand_from cacheprog" -l gocache -r -d 'local tier directory'
complete -c gox -n "__fish_seen_subcommand_from cacheprog" -l record -r -d 'append a JSON line per request'
complete -c gox -n "__fish_seen_subcommand_from cacheprog" -l upstream -x -d 'upstream GOCACHEPROG command'
complete -c gox -n "__fish_seen_subcommand_from cacheprog" -l no-local -d 'pass every request to the upstream'
complete -c gox -n "__fish_seen_subcommand_from cacheprog" -l no-history -d 'do not record the go command in the history'
