#!/bin/bash
# The systemd units: `systemd-analyze verify` clean, and the exposure that
# `systemd-analyze security --offline=true` gives stays within the targets
# (collector <= 4.0, submitter <= 2.0, watcher <= 2.5, shutdown mark <= 4.0).
set -euo pipefail
BUILD=$1
command -v systemd-analyze >/dev/null || { echo "systemd-analyze missing: skipped"; exit 77; }
if ! systemd-analyze security --help 2>/dev/null | grep -q -- --offline; then
        echo "systemd-analyze has no --offline: skipped"; exit 77
fi
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
for u in "$BUILD"/systemd/*.service "$BUILD"/systemd/*.path; do
        # verify checks that ExecStart= exists: point it at this build
        sed -E "s#^ExecStart=[^ ]*/kcrashctl#ExecStart=$BUILD/src/kcrashctl/kcrashctl#;
                s#^ExecStart=[^ ]*/kcrashd#ExecStart=$BUILD/src/kcrashd/kcrashd#;
                s#^ExecStart=[^ ]*/kcrash/kcrash-collect#ExecStart=$BUILD/src/kcrashd/kcrash-collect#
                s#^ExecStop=[^ ]*/kcrashd#ExecStop=$BUILD/src/kcrashd/kcrashd#" "$u" > "$T/$(basename "$u")"
done
out=$(systemd-analyze verify --man=no "$T"/*.service "$T"/*.path 2>&1) || { echo "$out"; exit 1; }
[ -z "$out" ] || { echo "verify is not clean:"; echo "$out"; exit 1; }
echo "systemd-analyze verify: clean"
# Root's units make writable only paths that root's folders hold: systemd
# follows a symlink in ReadWritePaths=, so a path under a folder another
# account owns (a StateDirectory= of another User=) could be pointed anywhere.
for u in "$T"/kcrash-collect.service "$T"/kcrash-shutdown.service; do
        if grep -E '^ReadWritePaths=.*/var/lib/kcrash-watch/' "$u"; then
                echo "$(basename "$u"): a ReadWritePaths= inside the watcher's own directory"; exit 1
        fi
done
check() { # unit max
        local score
        score=$(systemd-analyze security --offline=true "$T/$1" 2>/dev/null | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
        echo "$1: exposure $score (limit $2)"
        awk -v s="$score" -v m="$2" 'BEGIN { exit !(s != "" && s <= m) }'
}
check kcrash-collect.service 4.0
check kcrash-submit.service 2.0
check kcrash-watch.service 2.5
check kcrash-shutdown.service 4.0
