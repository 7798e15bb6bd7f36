#!/bin/sh
# One Flux broker of MiniCluster lammps; rank 0 (lammps-0) leads the instance.
set -u
view=/mnt/flux/view
# The view's files link into /opt/software: put the copy back where they point.
if [ -d /mnt/flux/software ]; then mkdir -p /opt/software && cp -R /mnt/flux/software/. /opt/software/; fi
export PATH="$PATH:$view/bin"
for site in "$view"/lib/python3*/site-packages; do
    if [ -d "$site" ]; then export PYTHONPATH="${PYTHONPATH:+$PYTHONPATH:}$site"; fi
done
if [ "${HOME:-/}" = / ]; then export HOME=/tmp; fi
export FLUX_RC_EXTRA="$view/etc/flux/rc1.d"
# The environment for kubectl exec sessions: Flux on PATH, the instance's socket.
{ echo "export PATH='$PATH'"; echo "export PYTHONPATH='${PYTHONPATH:-}'"; echo "export LD_LIBRARY_PATH='${LD_LIBRARY_PATH:-}'"; echo "export fluxsocket=local:///mnt/flux/config/run/flux/local"; } > /mnt/flux/flux-view.sh
mkdir -p /mnt/flux/config/etc/flux/config /mnt/flux/config/etc/flux/system/cron.d /mnt/flux/config/var/lib/flux /mnt/flux/config/run/flux
cp /flux_minicluster/config/broker.toml /mnt/flux/config/etc/flux/config/broker.toml
# The resource set: every rank as this node has it (cores, GPUs).
flux R encode --hosts=lammps-[0-7] --local > /mnt/flux/config/etc/flux/system/R.new && mv /mnt/flux/config/etc/flux/system/R.new /mnt/flux/config/etc/flux/system/R || exit 1
options='-Scron.directory=/mnt/flux/config/etc/flux/system/cron.d -Stbon.fanout=256 -Srundir=/mnt/flux/config/run/flux -Sstatedir=/mnt/flux/config/var/lib/flux -Slocal-uri=local:///mnt/flux/config/run/flux/local -Stbon.connect_timeout=5s -Sbroker.quorum=1 -Slog-stderr-level=6 -Slog-stderr-mode=local'
if [ "$(cat /proc/sys/kernel/hostname)" = lammps-0 ]; then
    flux broker --config-path=/mnt/flux/config/etc/flux/config $options -Sbroker.rc2_none=1
    status=$?
else
    flux broker --config-path=/mnt/flux/config/etc/flux/config $options
    status=$?
fi
exit "$status"
