#!/bin/sh
# dracut cmdline hook: the capture kernel boots with root=kcrash (see
# capture_cmdline() in src/shared/capture.c); claim it so dracut goes on to
# the pre-mount hook that runs kcrash-save, without mounting any root.
[ "$root" = "kcrash" ] && rootok=1
