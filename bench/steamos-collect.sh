#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The benchmark's baseline: the collector steps of SteamOS's submit-report.sh
# (evlav/kdump-steamos), written for kcrash's benchmarks from its public
# description, not copied. It runs the same programs the same number of times
# on the same data, in this order:
#   1. source /etc/default/kdump; read the offload folder from the KDUMP_MNT
#      file that the boot's load step wrote, and delete that file;
#   2. count ramoops records in pstore (find | grep -c); per record: find the
#      first one (find | grep | sort | head), cat it into the logs folder,
#      sync it, delete it; with no record, count kdump capture folders;
#   3. with something found: dmidecode -s system-product-name, and on a
#      "Jupiter" dmidecode -s system-serial-number; the most recent Steam
#      account and its id from loginusers.vdf (grep -c, then per account
#      block awk | grep | cut, then grep -n | cut and sed | cut for the id);
#      dmidecode into the logs; os-release copied; the kernel release; the
#      crash summary by sed; sync of the three; zip -9 -j of the logs; sync;
#   4. the request's fields (stat, grep | cut, cat, sed | sed, cat), the logs
#      folder removed.
# The network step is stubbed: the script behaves as when the device is
# offline, which keeps the ZIP in not_sent_logs/ (kcrash's collector queues it
# there too). Fake-tree changes: every absolute path is prefixed by $ROOT;
# `uname -r` reads $ROOT/proc/sys/kernel/osrelease (the fake tree's kernel);
# `logger` writes to stderr; dmidecode is whatever PATH names (the benchmark
# puts a stand-in reading a SMBIOS dump first). Exit status: 0 when the run
# ended as the original would (nothing to do, or the ZIP saved), 1 when the
# ZIP could not be made.
set -u
R="${ROOT:-}"
log() { echo "steamos-collect: $*" >&2; }

[ -s "${R}/etc/default/kdump" ] || { log "no configuration"; exit 0; }
. "${R}/etc/default/kdump"

MAIN="$(cat "${R}${KDUMP_MNT}")"
rm -f "${R}${KDUMP_MNT}"
[ -d "${MAIN}" ] || { log "invalid folder ${MAIN}"; exit 0; }

FOUND=0
LOGS="${MAIN}/logs"
STAMP=$(date -u +"%Y%m%d%H%M")
EPOCH=$(date +"%s")

COUNT=$(find "${R}"/sys/fs/pstore/* 2>/dev/null | grep -c ramoops)
if [ "${COUNT}" -ne 0 ]; then
	mkdir -p "${LOGS}/pstore"
	n=0
	while [ "${COUNT}" -gt 0 ]; do
		RECORD="$(find "${R}"/sys/fs/pstore/* | grep ramoops | sort | head -n1)"
		COPY="${LOGS}/pstore/dmesg-pstore.${STAMP}-${n}"
		cat "${RECORD}" > "${COPY}"
		sync "${COPY}"
		rm -f "${RECORD}"
		COUNT=$((COUNT - 1))
		n=$((n + 1))
	done
	FOUND=${n}
	mv "${LOGS}/pstore"/* "${LOGS}/" 2>/dev/null
else
	CRASH="${MAIN}/crash"
	COUNT=$(find "${CRASH}"/* -type d 2>/dev/null | wc -l)
	if [ "${COUNT}" -ne 0 ]; then
		mkdir -p "${LOGS}/kdump"
		n=0
		while [ "${COUNT}" -gt 0 ]; do
			DIR=$(find "${CRASH}"/* -type d 2>/dev/null | head -n1)
			CSTAMP=$(basename "${DIR}")
			if [ -s "${DIR}/dmesg.txt" ]; then
				mv "${DIR}/dmesg.txt" "${LOGS}/kdump/dmesg-kdump.${CSTAMP}"
				sync "${LOGS}/kdump/dmesg-kdump.${CSTAMP}"
			fi
			rm -rf "${DIR}"
			COUNT=$((COUNT - 1))
			n=$((n + 1))
		done
		FOUND=$((FOUND + n))
		mv "${LOGS}/kdump"/* "${LOGS}/" 2>/dev/null
	fi
fi
[ "${FOUND}" -ne 0 ] || exit 0

PRODUCT="$(dmidecode -s system-product-name)"
if [ "${PRODUCT}" = "Jupiter" ]; then
	SERIAL="$(dmidecode -s system-serial-number)"
else
	SERIAL=0
fi

ACCOUNT=0
STEAMID=0
VDF="${R}${LOGINVDF}"
if [ -s "${VDF}" ]; then
	ACCOUNTS=$(grep -c AccountName "${VDF}")
	i=1
	while [ "${i}" -le "${ACCOUNTS}" ]; do
		# the i-th "{ ... }" block of the file
		RECENT=$(awk -v n="${i}" -v RS='}' 'NR == n { print }' "${VDF}" | grep MostRecent | cut -f4 -d'"')
		if [ "${RECENT}" != 1 ]; then
			i=$((i + 1))
			continue
		fi
		ACCOUNT=$(awk -v n="${i}" -v RS='}' 'NR == n { print }' "${VDF}" | grep AccountName | cut -f4 -d'"')
		# the id is the key two lines above the account name
		LINE=$(grep -n "AccountName.*${ACCOUNT}\"" "${VDF}" | cut -f1 -d:)
		LINE=$((LINE - 2))
		STEAMID=$(sed -n "${LINE}p" "${VDF}" | cut -f2 -d'"')
		break
	done
fi

dmidecode > "${LOGS}/dmidecode.${STAMP}"
BUILD="${LOGS}/build.${STAMP}"
cp "${R}/etc/os-release" "${BUILD}"
VERSION="${LOGS}/version.${STAMP}"
cat "${R}/proc/sys/kernel/osrelease" > "${VERSION}"
SUMMARY="${LOGS}/crash_summary.${STAMP}"
sed -n '/Kernel panic -/,/Kernel Offset:/p' "${LOGS}"/dmesg* > "${SUMMARY}"
sync "${BUILD}" "${VERSION}" "${SUMMARY}"

ZIP="${MAIN}/steamos-${SERIAL}-${ACCOUNT}.${STAMP}.zip"
zip -9 -jq "${ZIP}" "${LOGS}"/* > /dev/null 2>&1
sync "${ZIP}" 2>/dev/null
[ -s "${ZIP}" ] || { log "cannot make ${ZIP}"; exit 1; }

QUEUE="${MAIN}/not_sent_logs"
if [ "${STEAMID}" = 0 ]; then
	log "no Steam id: not submitted"
	LOG_SUBMISSION=0
fi
if [ "${LOG_SUBMISSION}" -eq 0 ]; then
	rm -rf "${LOGS}"
	mkdir -p "${QUEUE}"
	mv "${ZIP}" "${QUEUE}/"
	exit 0
fi

SIZE="$(stat --printf="%s" "${ZIP}")"
BUILD_ID="$(grep BUILD_ID "${BUILD}" | cut -f2 -d=)"
RELEASE="$(cat "${VERSION}")"
STACK="$(sed -n '/ Call Trace:/,/ RIP:/p' "${SUMMARY}" | sed 1d)"
NOTE="$(cat "${SUMMARY}")"
REQUEST="steamid=${STEAMID}&have_dump_file=1&dump_file_size=${SIZE}&product=holo&build=${BUILD_ID}"
REQUEST="${REQUEST}&version=${RELEASE}&platform=linux&crash_time=${EPOCH}&stack=${STACK}&note=${NOTE}&format=json"
rm -rf "${LOGS}"

# The network step, stubbed: offline, so the ZIP is kept for later.
: "${REQUEST}"
mkdir -p "${QUEUE}"
mv "${ZIP}" "${QUEUE}/"
log "logs not submitted, only saved locally (${QUEUE}/$(basename "${ZIP}"))"
exit 0
