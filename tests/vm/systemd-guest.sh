#!/bin/bash
# Runs inside the systemd guest (kcrash-vmtest.service, after the kcrash
# units): first boot crashes it; the boot after reports what happened.
say() { echo "KCRASHVM[$(cut -d' ' -f1 /proc/uptime)] $*" > /dev/console; }
MODE=$(sed -n 's/.*kcrashvm\.mode=\([^ ]*\).*/\1/p' /proc/cmdline)
sent() { ls /home/vendor/kdump/sent_logs/*.zip 2>/dev/null | wc -l; }
# the boot after the event: wait for the upload, say what the collector did, stop
report_and_stop() { # what to call this boot
        for i in $(seq 90); do [ "$(sent)" -ge 1 ] && break; sleep 1; done
        say "$1sent reports: $(sent)"
        journalctl -b -u kcrash-collect --no-pager -o cat | tail -5 | sed 's/^/  JOURNAL /' > /dev/console
        say "DONE"
        systemctl poweroff
}
case $MODE in
watch)
        # Beyond panics: WARN 1,000 times from the test module (no
        # panic_on_warn), and a fake WARNING written from user space; the
        # guest keeps running and one report is uploaded.
        say "units: $(systemctl is-active kcrash-watch kcrash-collect.path kcrash-submit | tr '\n' ' ')"
        insmod "/lib/modules/$(uname -r)/extra/crashme.ko" || say "insmod crashme failed"
        echo '<4>WARNING: CPU: 0 PID: 1 at fake/user.c:1 user_space_fake+0x0/0x10' > /dev/kmsg
        for i in $(seq 1000); do echo warn > /proc/crashme; done
        say "warned 1000 times"
        for i in $(seq 120); do [ "$(sent)" -ge 1 ] && break; sleep 1; done
        sleep 10 # anything more would have arrived by now
        say "still running: $(systemctl is-system-running)"
        say "sent reports: $(sent)"
        journalctl -b -u kcrash-watch --no-pager -o cat | tail -5 | sed 's/^/  JOURNAL /' > /dev/console
        cat /var/lib/kcrash-watch/state | sed 's/^/  STATE /' > /dev/console
        say "DONE"
        systemctl poweroff
        exit 0
        ;;
watchdog)
        # WATCHDOG_PANIC=1 set by the vendor, load run again (no hardware
        # watchdog: it loads softdog with soft_panic=1); then a hang (crashme
        # spins with preemption off: PID 1 cannot pet the watchdog)
        if [ ! -e /var/lib/kcrash-vmtest/hung ]; then
                mkdir -p /var/lib/kcrash-vmtest
                touch /var/lib/kcrash-vmtest/hung
                sync
                printf 'WATCHDOG_PANIC=1\nWATCHDOG_TIMEOUT=16\n' >> /etc/default/kdump
                # on disk before the hang: unsynced, the panic left the file
                # with a block of NUL bytes (ext4 delayed allocation), and
                # the collector refused it ("line 10: NUL byte in line")
                sync
                systemctl restart kcrash-load
                kcrashctl status | sed -n 's/^Hangs: */Hangs: /p' | while read -r l; do say "$l"; done
                say "watchdog0: $(cat /sys/class/watchdog/watchdog0/identity), $(cat /sys/class/watchdog/watchdog0/state), timeout $(cat /sys/class/watchdog/watchdog0/timeout)"
                journalctl -b -u kcrash-load --no-pager -o cat | tail -5 | sed 's/^/  JOURNAL /' > /dev/console
                insmod "/lib/modules/$(uname -r)/extra/crashme.ko" || say "insmod crashme failed"
                say "hanging"
                echo softlockup > /proc/crashme
                exit 0
        fi
        report_and_stop ""
        exit 0
        ;;
unclean)
        # Reboots nobody explained: boot 1 reboots cleanly; boot 2 runs a
        # unit that allocates until the OOM killer fires and is restarted,
        # then the host cuts the power; boot 3 reports boot 2.
        mkdir -p /var/lib/kcrash-vmtest
        n=$(cat /var/lib/kcrash-vmtest/boots 2>/dev/null || echo 0)
        n=$((n + 1))
        echo $n > /var/lib/kcrash-vmtest/boots
        sync
        case $n in
        1)
                say "boot 1: clean reboot"
                systemctl reboot
                ;;
        2)
                say "boot 2: collected after a clean reboot: $(ls /home/vendor/kdump/not_sent_logs /home/vendor/kdump/sent_logs 2>/dev/null | grep -c zip) report(s)"
                systemctl start memhog.service
                for i in $(seq 240); do
                        starts=$(journalctl -b -u memhog --no-pager -o cat | grep -c '^Started memhog')
                        kills=$(journalctl -b -k --no-pager -o cat | grep -c 'Out of memory: Killed process')
                        [ "$starts" -ge 7 ] && [ "$kills" -ge 6 ] && break
                        sleep 1
                done
                say "memhog starts $starts, OOM kills $kills"
                journalctl --sync
                sync
                say "POWER CUT NOW"
                sleep 600
                ;;
        *)
                report_and_stop "boot $n: "
                ;;
        esac
        exit 0
        ;;
esac
if [ ! -e /var/lib/kcrash-vmtest/crashed ]; then
        mkdir -p /var/lib/kcrash-vmtest
        touch /var/lib/kcrash-vmtest/crashed
        sync
        say "units: $(systemctl is-active kcrash-load kcrash-collect kcrash-submit | tr '\n' ' ')"
        # why a unit failed, for whoever reads the serial log
        systemctl is-failed -q kcrash-load kcrash-collect &&
                journalctl -b -u kcrash-load -u kcrash-collect --no-pager -o cat | tail -n 20 | sed 's/^/  JOURNAL /' > /dev/console
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
