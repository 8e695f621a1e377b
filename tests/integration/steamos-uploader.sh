#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A stand-in for SteamOS's shell uploader (submit-report.sh of
# evlav/kdump-steamos), written for kcrash's tests from its observed
# behaviour, not copied: the same member names, the same three curl steps and
# the same unencoded form body, so kcrash-server can be tested against what
# devices in the field send. Paths that are fixed on a device come from the
# environment here:
#   PSTORE_DIR   where pstore records are (/sys/fs/pstore on a device)
#   KDUMP_DIR    the kdump folder: crash/<stamp>/dmesg.txt, and the ZIP
#   OS_RELEASE   the os-release file copied as build.<stamp>
#   STEAM_ID     the device user's id (parsed from loginusers.vdf on a device)
#   START_URL, FINISH_URL
#   DMIDECODE    the dmidecode command (a stand-in in tests)
# Like the original: no status check of any step, values never URL-encoded.
set -u

LOGS="${KDUMP_DIR}/logs"
STAMP=$(date -u +%Y%m%d%H%M)
NOW=$(date +%s)
found=0
mkdir -p "${LOGS}"

# ramoops records first; kdump's dmesg.txt only when there are none.
n=0
for rec in $(ls "${PSTORE_DIR}" 2>/dev/null | grep ramoops | sort); do
	cat "${PSTORE_DIR}/${rec}" > "${LOGS}/dmesg-pstore.${STAMP}-${n}"
	rm -f "${PSTORE_DIR}/${rec}"
	n=$((n + 1))
done
found=${n}
if [ "${found}" -eq 0 ]; then
	for dir in "${KDUMP_DIR}"/crash/*/; do
		[ -d "${dir}" ] || continue
		cstamp=$(basename "${dir}")
		if [ -s "${dir}dmesg.txt" ]; then
			mv "${dir}dmesg.txt" "${LOGS}/dmesg-kdump.${cstamp}"
		fi
		rm -rf "${dir}"
		found=$((found + 1))
	done
fi
[ "${found}" -ne 0 ] || exit 0

${DMIDECODE} > "${LOGS}/dmidecode.${STAMP}"
cp "${OS_RELEASE}" "${LOGS}/build.${STAMP}"
# The kernel running now, after the crash's reboot: not the one that crashed.
uname -r > "${LOGS}/version.${STAMP}"
sed -n '/Kernel panic -/,/Kernel Offset:/p' "${LOGS}"/dmesg* > "${LOGS}/crash_summary.${STAMP}"

ZIP="${KDUMP_DIR}/steamos-0-0.${STAMP}.zip"
zip -9 -jq "${ZIP}" "${LOGS}"/* > /dev/null 2>&1
[ -s "${ZIP}" ] || exit 1

size=$(stat --printf=%s "${ZIP}")
build=$(grep BUILD_ID "${LOGS}/build.${STAMP}" | cut -f2 -d=)
version=$(cat "${LOGS}/version.${STAMP}")
stack=$(sed -n '/ Call Trace:/,/ RIP:/p' "${LOGS}/crash_summary.${STAMP}" | sed 1d)
note=$(cat "${LOGS}/crash_summary.${STAMP}")
body="steamid=${STEAM_ID}&have_dump_file=1&dump_file_size=${size}&product=holo&build=${build}"
body="${body}&version=${version}&platform=linux&crash_time=${NOW}&stack=${stack}&note=${note}&format=json"
rm -rf "${LOGS}"

answer="${KDUMP_DIR}/.answer"
headers="${KDUMP_DIR}/.headers"
curl -s -X POST -d "${body}" "${START_URL}" > "${answer}" || exit 1
url=$(jq -r .response.url "${answer}")
gid=$(jq -r .response.gid "${answer}")
pairs=$(jq '.response.headers.pairs | length' "${answer}")
if [ "${pairs}" -le 0 ] || [ "${pairs}" -gt 20 ]; then
	exit 1
fi
: > "${headers}"
i=0
while [ "${i}" -lt "${pairs}" ]; do
	echo "$(jq -r ".response.headers.pairs[${i}].name" "${answer}"): $(jq -r ".response.headers.pairs[${i}].value" "${answer}")" >> "${headers}"
	i=$((i + 1))
done
curl -s -X PUT --data-binary "@${ZIP}" -H "@${headers}" "${url}" > /dev/null || exit 1
curl -s -X POST -d "gid=${gid}" "${FINISH_URL}" > /dev/null || exit 1
mkdir -p "${KDUMP_DIR}/sent_logs"
mv "${ZIP}" "${KDUMP_DIR}/sent_logs/"
echo "${gid}"
