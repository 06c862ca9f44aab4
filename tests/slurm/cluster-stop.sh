#!/bin/sh
# cluster-stop.sh DIR -- stop the cluster that cluster-start.sh DIR started,
# and every process it launched; leave DIR (logs) in place.
#
# Order: cancel all jobs (the cluster is private, so all jobs are ours) and
# give them a few seconds to end, then SIGTERM the daemons by their recorded
# PIDs, then SIGKILL what is still alive.  Finally, processes that still
# carry this cluster's tag in their environment (slurmstepd daemons forked by
# our slurmd, job processes holding our SLURM_CONF) are killed by PID.
# Processes are never matched by name, so other clusters and other users'
# programs on the machine are safe.  Last, the network namespaces of a
# two-node cluster (DIR/run/netns) are emptied (`ip netns pids`, by PID:
# only our daemons and jobs live there) and deleted, which also destroys
# the veth pair and the nodes' private mounts.  Idempotent; always exits 0.
set -u
dir=${1:?usage: cluster-stop.sh DIR}
[ -d "$dir" ] || exit 0
dir=$(cd "$dir" && pwd)
conf=$dir/etc/slurm.conf

alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null; }
pid_of() { [ -r "$dir/run/$1.pid" ] && cat "$dir/run/$1.pid"; }
# client CMD...: a Slurm client where it reaches slurmctld.
client_ns=$(sed -n "s/^ILRL_SLURM_CLIENT_NETNS='\(.*\)';.*/\1/p" "$dir/env" 2>/dev/null)
client() {
    if [ -n "$client_ns" ]; then SLURM_CONF=$conf nsenter --net="$client_ns" "$@"; else SLURM_CONF=$conf "$@"; fi
}

ctld=$(pid_of slurmctld.daemon)
if alive "$ctld" && [ -r "$conf" ]; then
    client timeout 10 scancel --quiet --partition=debug 2>/dev/null
    i=0
    while [ $i -lt 15 ] && [ -n "$(client timeout 5 squeue -h -o %i 2>/dev/null)" ]; do
        sleep 1; i=$((i + 1))
    done
fi

# Our own ancestry must survive the sweep (the caller may carry SLURM_CONF).
protected=" $$ "
p=$$
while [ "$p" -gt 1 ] 2>/dev/null; do
    p=$(awk '/^PPid:/ {print $2}' "/proc/$p/status" 2>/dev/null) || break
    [ -n "$p" ] || break
    protected="$protected$p "
done

tagged() {
    for e in /proc/[0-9]*/environ; do
        pid=${e#/proc/}; pid=${pid%/environ}
        case $protected in *" $pid "*) continue ;; esac
        tr '\0' '\n' 2>/dev/null <"$e" \
            | grep -qx -e "ILRL_SLURM_CLUSTER=$dir" -e "SLURM_CONF=$conf" && echo "$pid"
    done
}

daemons=
for f in "$dir"/run/slurmd*.daemon.pid "$dir/run/slurmctld.daemon.pid" "$dir/run/munged.pid"; do
    pid=$(cat "$f" 2>/dev/null)
    alive "$pid" && daemons="$daemons $pid"
done
[ -n "$daemons" ] && kill -TERM $daemons 2>/dev/null
i=0
while [ $i -lt 20 ]; do
    left=
    for pid in $daemons; do alive "$pid" && left="$left $pid"; done
    [ -z "$left" ] && break
    sleep 0.5; i=$((i + 1))
done
[ -n "${left:-}" ] && kill -KILL $left 2>/dev/null

stray=$(tagged)
if [ -n "$stray" ]; then
    kill -TERM $stray 2>/dev/null
    sleep 1
    stray=$(tagged)
    [ -n "$stray" ] && kill -KILL $stray 2>/dev/null
fi
# Reap our own background children (the daemons were started with &).
wait 2>/dev/null
if [ -r "$dir/run/netns" ]; then
    for ns in $(cat "$dir/run/netns"); do
        [ -e "/run/netns/$ns" ] || continue
        left=$(ip netns pids "$ns" 2>/dev/null)
        [ -n "$left" ] && kill -KILL $left 2>/dev/null && sleep 0.5
        ip netns delete "$ns" 2>/dev/null || echo "cluster-stop: could not delete network namespace $ns" >&2
    done
    rm -f "$dir/run/netns"
fi
# The /run/netns mount that the first `ip netns add` made, when
# cluster-start.sh found none: gone once no namespace is left in it (a
# chroot's would otherwise pin the chroot's directory).
if [ -e "$dir/run/netns-mounted" ]; then
    [ -z "$(ls -A /run/netns 2>/dev/null)" ] && umount /run/netns 2>/dev/null
    rm -f "$dir/run/netns-mounted"
fi
# The cgroup tmpfs cluster-start.sh mounted on a machine that had none.
if [ -e "$dir/run/cgroup-mounted" ]; then
    umount /sys/fs/cgroup/systemd 2>/dev/null
    umount /sys/fs/cgroup 2>/dev/null
    rm -f "$dir/run/cgroup-mounted"
fi
exit 0
