#!/bin/sh
# Readiness probe: the broker's state as its local socket reports it. A broker
# that has not joined (wrong certificate, lead unreachable) stays in 'join'.
. /mnt/flux/flux-view.sh || exit 1
state="$(FLUX_URI="$fluxsocket" flux uptime 2>/dev/null)" || exit 1
set -- $state
[ "${2:-}" = run ]
