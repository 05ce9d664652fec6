# bash completion for gox
_gox() {
    local cur prev words cword
    _init_completion 2>/dev/null || { cur=${COMP_WORDS[COMP_CWORD]}; prev=${COMP_WORDS[COMP_CWORD-1]}; words=("${COMP_WORDS[@]}"); cword=$COMP_CWORD; }
    # gox's commands, then the go verbs gox runs as go itself
    local verbs="build test install run vet parse explain diff history stats doctor report cacheprog help list mod env generate work tool version clean get fmt fix doc bug telemetry"
    local gox_opts="--summary= --summary-format= --why --baseline= --no-history --keep= --no-progress --repro-clean --no-repro --verify-suspects --go= --report= --report-format= --redact-paths --no-redact --annotations= --cacheprog --cacheprog= -C --help --version"
    local i verb=""
    for ((i = 1; i < cword; i++)); do
        case ${words[i]} in -C|--C) ((i++)) ;; -*) ;; *) verb=${words[i]}; break ;; esac
    done
    # go's -C dir, before or right after the verb
    case $prev in -C|--C) COMPREPLY=($(compgen -d -- "$cur")); return ;; esac
    case $verb in
    "")
        case $cur in
        --summary-format=*) COMPREPLY=($(compgen -W "text json" -- "${cur#*=}")) ;;
        --summary=*) COMPREPLY=($(compgen -W "stderr off" -- "${cur#*=}") $(compgen -f -- "${cur#*=}")) ;;
        --go=*) COMPREPLY=($(compgen -c -- "${cur#*=}")) ;;
        --report-format=*) COMPREPLY=($(compgen -W "json markdown html junit chrome-trace text otlp openmetrics" -- "${cur#*=}")) ;;
        --report=*) COMPREPLY=($(compgen -f -- "${cur#*=}")) ;;
        --annotations=*) COMPREPLY=($(compgen -W "github" -- "${cur#*=}")) ;;
        -*) COMPREPLY=($(compgen -W "$gox_opts" -- "$cur")); compopt -o nospace 2>/dev/null ;;
        *) COMPREPLY=($(compgen -W "$verbs" -- "$cur")) ;;
        esac ;;
    parse)
        case $cur in
        --format=*) COMPREPLY=($(compgen -W "text json otlp openmetrics" -- "${cur#*=}")) ;;
        -*) COMPREPLY=($(compgen -W "--format= --actiongraph= --stdout= --help" -- "$cur")); compopt -o nospace 2>/dev/null ;;
        *) COMPREPLY=($(compgen -f -- "$cur")) ;;
        esac ;;
    doctor)
        case $cur in
        --format=*) COMPREPLY=($(compgen -W "text json" -- "${cur#*=}")) ;;
        *) COMPREPLY=($(compgen -W "--format= --mod-verify --verify-cache --help" -- "$cur")) ;;
        esac ;;
    cacheprog)
        case $cur in
        --gocache=*) COMPREPLY=($(compgen -d -- "${cur#*=}")) ;;
        --record=*) COMPREPLY=($(compgen -f -- "${cur#*=}")) ;;
        -*) COMPREPLY=($(compgen -W "--gocache= --record= --upstream= --no-local --no-history --help" -- "$cur")); compopt -o nospace 2>/dev/null ;;
        esac ;;
    report)
        case $cur in
        --format=*) COMPREPLY=($(compgen -W "json markdown html junit chrome-trace text otlp openmetrics" -- "${cur#*=}")) ;;
        --output=*) COMPREPLY=($(compgen -f -- "${cur#*=}")) ;;
        -*) COMPREPLY=($(compgen -W "--format= --output= --redact-paths --no-redact --help" -- "$cur")); compopt -o nospace 2>/dev/null ;;
        *) COMPREPLY=($(compgen -f -- "$cur")) ;;
        esac ;;
    stats)
        case $cur in
        --format=*) COMPREPLY=($(compgen -W "text json html" -- "${cur#*=}")) ;;
        --output=*|--report=*) COMPREPLY=($(compgen -f -- "${cur#*=}")) ;;
        --since=*) COMPREPLY=($(compgen -W "1d 7d 30d 2w" -- "${cur#*=}")) ;;
        -*) COMPREPLY=($(compgen -W "--since= --project= --format= --output= --report= --help" -- "$cur")); compopt -o nospace 2>/dev/null ;;
        esac ;;
    explain|diff|history)
        case $cur in
        --format=*) COMPREPLY=($(compgen -W "text json" -- "${cur#*=}")) ;;
        *) COMPREPLY=($(compgen -W "--format= --run= --reasons --classes --outcomes --evidence --all --fail-over= --help" -- "$cur")) ;;
        esac ;;
    *)
        # The go verb's own arguments: go's flags and packages are go's; offer
        # directories and files, as go's shells do.
        COMPREPLY=($(compgen -f -- "$cur")) ;;
    esac
}
complete -F _gox gox
