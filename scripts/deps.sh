# Sourced by scripts/check and scripts/demo: installs the Debian packages the
# build and the tests need, when any is missing (needs root and apt-get).
KCRASH_PACKAGES="meson ninja-build pkg-config gcc clang libclang-rt-14-dev \
libsystemd-dev libcurl4-openssl-dev libzip-dev libjansson-dev \
libmicrohttpd-dev libsqlite3-dev scdoc dmidecode systemd-journal-remote zip unzip python3 curl time \
qemu-system-x86 busybox-static cpio e2fsprogs kmod makedumpfile kexec-tools \
debhelper dpkg-dev lintian fakeroot git dracut-core debootstrap nodejs \
libdw-dev libdebuginfod-dev debuginfod elfutils make linux-headers-amd64 \
openssl chromium chromium-driver python3-selenium"

kcrash_install_deps() {
        local missing=""
        for p in $KCRASH_PACKAGES ${KCRASH_EXTRA_PACKAGES:-}; do
                dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
        done
        [ -z "$missing" ] && return 0
        if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
                echo "Missing packages:$missing (run as root on Debian to install them)" >&2
                return 1
        fi
        echo "Installing:$missing"
        apt-get update -q >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing >/dev/null
}
