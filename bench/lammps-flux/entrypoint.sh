#!/bin/sh
# One Flux broker of MiniCluster lammps; rank 0 (lammps-0) leads the instance.
set -u
view=/mnt/flux/view
# The view's files link into /opt/software: link the init container's copy there.
link_tree() {
    for entry in "$1"/* "$1"/.[!.]*; do
        { [ -e "$entry" ] || [ -L "$entry" ]; } || continue
        name="${entry##*/}"
        if [ ! -e "$2/$name" ] && [ ! -L "$2/$name" ]; then
            ln -s "$entry" "$2/$name" || return 1
        elif [ -d "$entry" ] && [ -d "$2/$name" ] && [ ! -L "$2/$name" ]; then
            link_tree "$entry" "$2/$name" || return 1
        fi
    done
}
if [ /opt/software -ef /mnt/flux/software ] || [ ! -d /mnt/flux/software ]; then :
elif [ ! -e /opt/software ] && ln -s /mnt/flux/software /opt/software 2>/dev/null; then :
elif [ -d /opt/software ] && [ -w /opt/software ]; then link_tree /mnt/flux/software /opt/software || exit 1
else echo "/opt/software cannot take the Flux view: it is not writable by $(id -u)" >&2; exit 1; fi
export PATH="$PATH:$view/bin"
for site in "$view"/lib/python3*/site-packages; do
    if [ -d "$site" ]; then export PYTHONPATH="${PYTHONPATH:+$PYTHONPATH:}$site"; fi
done
if [ "${HOME:-/}" = / ]; then export HOME=/tmp; fi
export FLUX_RC_EXTRA="$view/etc/flux/rc1.d"
# The environment for kubectl exec sessions: Flux on PATH, the instance's socket.
{ echo "export PATH='$PATH'"; echo "export PYTHONPATH='${PYTHONPATH:-}'"; echo "export LD_LIBRARY_PATH='${LD_LIBRARY_PATH:-}'"; echo "export fluxsocket=local:///mnt/flux/config/run/flux/local"; } > /mnt/flux/flux-view.sh
mkdir -p /mnt/flux/config/etc/flux/config /mnt/flux/config/etc/flux/system/cron.d /mnt/flux/config/var/lib/flux /mnt/flux/config/run/flux /mnt/flux/config/curve
cp /flux_minicluster/config/broker.toml /mnt/flux/config/etc/flux/config/broker.toml
# The certificate as a file of this broker's user that no one else can read.
rm -f /mnt/flux/config/curve/minicluster.cert.new && (umask 077 && cat /flux_minicluster/curve/curve.cert > /mnt/flux/config/curve/minicluster.cert.new) && mv /mnt/flux/config/curve/minicluster.cert.new /mnt/flux/config/curve/minicluster.cert || exit 1
# The resource set: every rank as this pod has it (its cores).
flux R encode --hosts=lammps-[0-7] --local > /mnt/flux/config/etc/flux/system/R.new && mv /mnt/flux/config/etc/flux/system/R.new /mnt/flux/config/etc/flux/system/R || exit 1
options='-Scron.directory=/mnt/flux/config/etc/flux/system/cron.d -Stbon.fanout=256 -Srundir=/mnt/flux/config/run/flux -Sstatedir=/mnt/flux/config/var/lib/flux -Slocal-uri=local:///mnt/flux/config/run/flux/local -Stbon.connect_timeout=5s -Sbroker.quorum=1 -Slog-stderr-level=6 -Slog-stderr-mode=local'
if [ "$(cat /proc/sys/kernel/hostname)" = lammps-0 ]; then
    set -- flux broker --config-path=/mnt/flux/config/etc/flux/config $options -Sbroker.rc2_none=1
else
    set -- flux broker --config-path=/mnt/flux/config/etc/flux/config $options
fi
# The broker runs as a child so that the pod's stop request (SIGTERM) reaches
# it and it leaves the instance cleanly; wait until it has ended.
"$@" &
broker=$!
trap 'kill -TERM "$broker" 2>/dev/null' TERM INT
while :; do wait "$broker"; status=$?; kill -0 "$broker" 2>/dev/null || break; done
# An instance that waits for jobs has no end of its own: a broker that ended
# was stopped, and its rank must start again, not count as done.
if [ "$status" -eq 0 ]; then status=75; fi
exit "$status"
