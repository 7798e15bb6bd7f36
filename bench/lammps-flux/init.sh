#!/bin/sh
# Runs in the view image: copy its Flux install (a spack view whose files link
# into /opt/software) into the volume the broker container mounts.
set -eu
views=/opt/views/._view
view="$(ls "$views" | head -n 1)"
mkdir -p /mnt/flux/view /mnt/flux/software
cp -R "$views/$view/." /mnt/flux/view/
if command -v tar >/dev/null 2>&1; then
    (cd /opt/software && tar -cf - --exclude=include --exclude='*.a' --exclude=share/man --exclude=share/doc --exclude=share/info --exclude='lib/python3.[0-9]/test' --exclude='lib/python3.[0-9][0-9]/test' .) | tar -xf - -C /mnt/flux/software
else cp -R /opt/software/. /mnt/flux/software/; fi
echo "flux view $view copied"
