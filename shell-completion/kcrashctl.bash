# bash completion for kcrashctl(8)
_kcrashctl() {
        local cur prev words cword
        _init_completion || return
        local verbs
        verbs=$(kcrashctl --help 2>/dev/null | awk '/^Verbs:/{v=1;next} /^Options:/{v=0} v && NF {print $1}')
        local opts="--help --version --root --config --json --yes --now --all --verbose --debuginfo --debuginfod-urls --build-id"
        case $prev in
                --root|-r) _filedir -d; return ;;
                --config|-c) _filedir; return ;;
                --debuginfo) _filedir -d; return ;;
        esac
        local verb="" w
        for w in "${words[@]:1:cword-1}"; do
                [[ $w != -* ]] && [[ " $verbs " == *" $w "* ]] && { verb=$w; break; }
        done
        if [[ -z $verb ]]; then
                COMPREPLY=($(compgen -W "$verbs $opts" -- "$cur"))
                return
        fi
        case $verb in
                show)
                        local ids
                        ids=$(kcrashctl list --json 2>/dev/null | sed -n 's/.*"id": "\(.*\)".*/\1/p')
                        COMPREPLY=($(compgen -W "$ids $opts" -- "$cur")) ;;
                analyze|symbolize) _filedir ;;
                *) COMPREPLY=($(compgen -W "$opts" -- "$cur")) ;;
        esac
}
complete -F _kcrashctl kcrashctl
