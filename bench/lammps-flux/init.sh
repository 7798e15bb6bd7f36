#!/bin/sh
# Runs in the view image: copy its Flux install (a spack view whose files link
# into /opt/software) into the volume the broker container mounts.
set -eu
views=/opt/views/._view
view="$(ls "$views" | head -n 1)"
mkdir -p /mnt/flux/view /mnt/flux/software
cp -R "$views/$view/." /mnt/flux/view/
cp -R /opt/software/. /mnt/flux/software/
echo "flux view $view copied"
