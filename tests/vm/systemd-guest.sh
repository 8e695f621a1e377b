#!/bin/bash
# Runs inside the systemd guest (kcrash-vmtest.service, after the kcrash
# units): first boot crashes it; the boot after reports what happened.
say() { echo "KCRASHVM[$(cut -d' ' -f1 /proc/uptime)] $*" > /dev/console; }
if [ ! -e /var/lib/kcrash-vmtest/crashed ]; then
        mkdir -p /var/lib/kcrash-vmtest
        touch /var/lib/kcrash-vmtest/crashed
        sync
        say "units: $(systemctl is-active kcrash-load kcrash-collect kcrash-submit | tr '\n' ' ')"
        say "test crash"
        kcrashctl test-crash --yes
        exit 0
fi
# wait for the uploader to deliver the report
for i in $(seq 90); do
        kcrashctl status | grep -q "PASSED" && break
        sleep 1
done
say "folder $(kcrashctl status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["offload"]["folder"])' 2>/dev/null || kcrashctl status | sed -n 's/^Folder: *\([^ ]*\).*/\1/p') recorded $(readlink /run/kcrash/offload)"
say "kdump cmdline: $(sed -n 's/.*\(kcrash\.folder=[^ "]*\).*/\1/p' /home/vendor/kdump/.kcrash/armed.json)"
[ -z "$(ls -A /home/vendor/kdump/crash 2>/dev/null)" ] && [ -d /home/vendor/kdump/crash ] && say "capture collected: crash/ empty"
ls -la /home/vendor/kdump /home/vendor/kdump/sent_logs 2>&1 | sed 's/^/  LS /' > /dev/console
for u in kcrash-load kcrash-collect kcrash-submit; do
        say "order $u $(systemctl show -p ExecMainStartTimestampMonotonic --value $u) result=$(systemctl show -p Result --value $u) user=$(systemctl show -p User --value $u)"
done
say "pstore left: $(ls /sys/fs/pstore | wc -l)"
kcrashctl status | sed 's/^/  STATUS /' > /dev/console
journalctl -b -u kcrash-collect -u kcrash-submit -u kcrash-load --no-pager -o cat | tail -20 | sed 's/^/  JOURNAL /' > /dev/console
say "DONE"
systemctl poweroff
