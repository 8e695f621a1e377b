#!/bin/bash
# Builds the Debian packages from this tree (dpkg-buildpackage -b), checks
# them with lintian (no errors) and unpacks them into a scratch root, where
# every file must sit where systemd and dracut look for it.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
for t in dpkg-buildpackage dh lintian; do
        command -v $t >/dev/null || { echo "$t missing: skipped (apt-get install debhelper dpkg-dev lintian)"; exit 77; }
done
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
mkdir "$W/src"
(cd "$SRC" && git ls-files -z --cached --others --exclude-standard 2>/dev/null || find . -path ./build -prune -o -type f -print0) |
        (cd "$SRC" && xargs -0 cp --parents -t "$W/src")
cd "$W/src"
dpkg-buildpackage -b -us -uc -Pnocheck >"$W/build.log" 2>&1 || { tail -40 "$W/build.log"; exit 1; }
ls "$W"/*.deb
lintian --fail-on error "$W/kcrash_"*_amd64.deb "$W/kcrash-server_"*_amd64.deb 2>&1 | grep -v "running with root" || true
lintian --fail-on error "$W/kcrash_"*_amd64.deb "$W/kcrash-server_"*_amd64.deb >/dev/null 2>&1 ||
        { echo "lintian reports errors"; exit 1; }
R=$W/root
for d in "$W"/kcrash_*_amd64.deb "$W"/kcrash-server_*_amd64.deb; do dpkg-deb -x "$d" "$R"; done
unitdir=$(pkg-config --variable=systemdsystemunitdir systemd)
presetdir=$(pkg-config --variable=systemdsystempresetdir systemd)
sysusersdir=$(pkg-config --variable=sysusersdir systemd)
tmpfilesdir=$(pkg-config --variable=tmpfilesdir systemd)
dracutdir=$(pkg-config --variable=dracutmodulesdir dracut 2>/dev/null || echo /usr/lib/dracut/modules.d)
fail=0
for f in /usr/bin/kcrashctl /usr/sbin/kcrashd /usr/libexec/kcrash/kcrash-save /usr/libexec/kcrash/kcrash-collect \
        /usr/libexec/kcrash/kcrash-submit /usr/libexec/kcrash/kcrash-watch /usr/bin/kcrash-server /etc/default/kdump \
        "$unitdir/kcrash-load.service" "$unitdir/kcrash-collect.service" "$unitdir/kcrash-submit.service" \
        "$unitdir/kcrash-watch.service" "$unitdir/kcrash-collect.path" "$unitdir/kcrash-shutdown.service" \
        "$presetdir/80-kcrash.preset" "$sysusersdir/kcrash.conf" "$tmpfilesdir/kcrash.conf" /usr/lib/sysctl.d/50-kcrash.conf \
        "$dracutdir/99kcrash/module-setup.sh" "$dracutdir/99kcrash/kcrash-capture.sh" \
        /usr/share/man/man5/kdump.5.gz /usr/share/man/man8/kcrashctl.8.gz /usr/share/man/man8/kcrash-server.8.gz \
        /usr/share/man/man8/kcrash-save.8.gz \
        /usr/share/kcrash/console/index.html /usr/share/kcrash/console/console.js /usr/share/kcrash/console/console.css; do
        if [ -e "$R$f" ]; then echo "ok $f"; else echo "MISSING $f"; fail=1; fi
done
# A production build: the switches the tests set in the environment
# (fault injection, stand-in programs, the uploader as root) are not in it,
# and the root collector links no network library.
for b in /usr/bin/kcrashctl /usr/sbin/kcrashd /usr/libexec/kcrash/kcrash-save /usr/libexec/kcrash/kcrash-collect \
        /usr/libexec/kcrash/kcrash-submit /usr/libexec/kcrash/kcrash-watch /usr/bin/kcrash-server; do
        if grep -a -o -E 'KCRASH_FAILPOINT|KCRASHD_ALLOW_ROOT|KCRASH_DMIDECODE|KCRASH_TEST_REFUSE_KEXEC_FILE|KCRASH_LIBEXEC_DIR|KCRASH_MAKEDUMPFILE|KCRASH_DRACUT|KCRASH_TEST_CA_FILE' "$R$b" | sort -u | grep .; then
                echo "TEST HOOK in $b"; fail=1
        else
                echo "ok no test hooks in $b"
        fi
done
# The root collector starts with libc only (issue 15): libzip, libsystemd
# and jansson are loaded with dlopen(3) when there is a crash.
needed=$(readelf -d "$R/usr/libexec/kcrash/kcrash-collect" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
for lib in $needed; do
        case "$lib" in
        libc.so.*|ld-linux*) ;;
        *) echo "kcrash-collect links $lib"; fail=1 ;;
        esac
done
echo "kcrash-collect links: $needed"
# dpkg-shlibdeps cannot see a dlopen: the packages still depend on the
# package of every library the build opens (debian/dlopen-depends).
config=$(ls "$W"/src/obj-*/build-config.h)
for pair in kcrash:LIBZIP_SONAME kcrash:LIBSYSTEMD_SONAME kcrash-server:LIBZIP_SONAME; do
        deb=${pair%%:*} key=${pair#*:}
        soname=$(sed -n "s/^#define $key \"\(.*\)\"\$/\1/p" "$config")
        pkg=$(dpkg-query -S "*/$soname" | sed -n '1s/:.*//p')
        depends=$(dpkg-deb -f "$W/${deb}_"*_amd64.deb Depends)
        if [ -n "$pkg" ] && echo ", $depends," | grep -q ", $pkg[ ,]"; then
                echo "ok $deb depends on $pkg ($soname, dlopened)"
        else
                echo "$deb does not depend on the package of $soname ($pkg): $depends"; fail=1
        fi
done
exit $fail
