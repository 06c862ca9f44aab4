#!/bin/sh
# cluster-start.sh DIR [NODES] -- bring up a private Slurm cluster whose whole
# state lives in DIR: munged + slurmctld + one slurmd per node.
#
#   NODES=1 (default)  one node: this host, daemons on 127.0.0.1, on ports
#                      found free now (`make check-slurm`).
#   NODES=2            two emulated nodes on this one machine (`make
#                      check-cluster`): network namespaces joined by a veth
#                      pair, ilrl-node1 at 10.77.0.1/24 and ilrl-node2 at
#                      10.77.0.2/24, each with its own host name (UTS
#                      namespace) and its own slurmd.  slurmctld runs on
#                      ilrl-node1 (the head node is also a compute node).
#
# Two-node decisions, and why:
#   - Namespaces are entered with nsenter --net + unshare --uts --mount, not
#     `ip netns exec`, which remounts /sys and would hide the cgroup mounts
#     slurmd 22.05 needs.  Each node's private mount namespace (slave
#     propagation: it sees everything the host mounts) differs from the host
#     in two bind mounts only: DIR/etc/hosts over /etc/hosts (the nodes know
#     each other by name, as on a real cluster, without touching the host's
#     /etc) and a node-local DIR/node-tmp/NAME over TmpFS=DIR/tmp (Slurm's
#     PMIx plugin keeps per-step directories there that must not be shared
#     between nodes).  Everything else -- the job directory, the build tree,
#     the munge socket -- is the same file system, as on a cluster with a
#     shared home.
#   - One munged serves both nodes: its socket is a path in DIR, reachable
#     from every network namespace.
#   - The namespaces are named ilrl-<cksum of DIR>-node1/2, so runs never
#     collide; the same private addresses and fixed ports serve every run
#     because each run has its own namespaces.  Namespaces that an earlier,
#     killed run left behind (no process inside, older than 2 minutes) are
#     deleted here.
#   - Clients (sbatch, squeue, ...) must run inside ilrl-node1's network
#     namespace to reach slurmctld: DIR/env sets ILRL_SLURM_CLIENT_NETNS to
#     its path (`nsenter --net=$ILRL_SLURM_CLIENT_NETNS sbatch ...`).
#
# Needs root and the Debian packages slurm-wlm and munge (two nodes: also
# iproute2 and util-linux); touches nothing outside DIR (no /etc/slurm, no
# systemd) except mounting a cgroup tmpfs where the machine has none (see
# below) and, for two nodes, the two network namespaces.  On success it
# writes DIR/env, a shell fragment that sets SLURM_CONF for the clients, and
# leaves the daemons' PIDs in DIR/run/*.pid and the namespaces' names in
# DIR/run/netns for cluster-stop.sh, which is the only supported way to
# stop them.  On failure it stops whatever it started, prints the daemon
# logs and exits 1.
#
# Environment: ILRL_SLURM_CPUS (CPUs per node; default: one node max(nproc, 2),
#              two nodes 2), ILRL_SLURM_START_TIMEOUT (seconds to wait for
#              idle nodes, 60), ILRL_SLURMD_DEBUG (slurmd's and the
#              slurmstepds' log level, info; check-cluster.sh reads the PMIx
#              plugin's fences from the debug level).
set -u
dir=${1:?usage: cluster-start.sh DIR [NODES]}
nodes=${2:-1}
here=$(cd "$(dirname "$0")" && pwd)
case $nodes in 1|2) ;; *) echo "cluster-start: NODES must be 1 or 2, not '$nodes'" >&2; exit 2 ;; esac
mkdir -p "$dir" || exit 1
dir=$(cd "$dir" && pwd)

die() {
    echo "cluster-start: $*" >&2
    for log in "$dir"/log/*.log "$dir"/log/*.stderr; do
        [ -s "$log" ] || continue
        echo "--- $log (last 30 lines)" >&2
        tail -n 30 "$log" >&2
    done
    sh "$here/cluster-stop.sh" "$dir" >&2
    exit 1
}

tools="munged munge unmunge slurmctld slurmd sbatch sinfo scontrol python3"
[ "$nodes" -eq 2 ] && tools="$tools ip nsenter unshare mount"
for tool in $tools; do
    command -v "$tool" >/dev/null 2>&1 || { echo "cluster-start: $tool not found (tests/install-deps.sh)" >&2; exit 77; }
done
[ "$(id -u)" -eq 0 ] || { echo "cluster-start: must run as root (slurmd launches jobs)" >&2; exit 77; }

mkdir -p "$dir/etc" "$dir/state" "$dir/spool" "$dir/log" "$dir/run" "$dir/tmp" "$dir/munge" || exit 1
chmod 711 "$dir/munge"

# slurmd 22.05 initialises its cgroup plugin even with proctrack/linuxproc
# and task/none, and refuses to start when /sys/fs/cgroup holds no cgroup
# filesystem at all -- as in a chroot (tests/.. fresh-machine checks) or a
# bare container.  Then give it what a cgroup-v1 host has: a tmpfs with a
# named (controller-less) hierarchy, unmounted again by cluster-stop.sh.
# A host that has cgroups mounted is left alone.
if [ ! -d /sys/fs/cgroup/systemd ] && ! mountpoint -q /sys/fs/cgroup 2>/dev/null; then
    mount -t tmpfs ilrl-slurm-cgroup /sys/fs/cgroup \
        && mkdir -p /sys/fs/cgroup/systemd \
        && mount -t cgroup -o none,name=systemd ilrl-slurm-cgroup /sys/fs/cgroup/systemd \
        && touch "$dir/run/cgroup-mounted" \
        || echo "cluster-start: no cgroup filesystem and none could be mounted; slurmd may refuse to start" >&2
fi

if [ "$nodes" -eq 1 ]; then
    # This host, on 127.0.0.1.  Free ports, chosen by the kernel: two for
    # the daemons, a range for srun.
    host=$(hostname -s)
    node_names=$host node_addrs=127.0.0.1 ctld_host=$host ctld_addr=127.0.0.1
    ports=$(python3 -c '
import socket
def free():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p
print(free(), free())') || exit 1
    ctld_port=${ports% *} slurmd_port=${ports#* }
    srun_lo=$(( (ctld_port + 1000) % 20000 + 40000 ))
    cpus=${ILRL_SLURM_CPUS:-$(nproc)}
    [ "$cpus" -ge 2 ] || cpus=2
    client=
    # on_node N CMD...: exec CMD as node N (here: this host, as it is).
    on_node() { shift; exec "$@"; }
else
    node_names=ilrl-node1,ilrl-node2 node_addrs=10.77.0.1,10.77.0.2
    ctld_host=ilrl-node1 ctld_addr=10.77.0.1
    ctld_port=6817 slurmd_port=6818 srun_lo=60001
    cpus=${ILRL_SLURM_CPUS:-2}
    tag=ilrl-$(printf '%s' "$dir" | cksum | cut -d ' ' -f 1)
    # Leftovers of killed runs: empty namespaces of ours, 2 minutes old.
    now=$(date +%s)
    for ns in $(ip netns list 2>/dev/null | awk '{print $1}'); do
        case $ns in ilrl-*-node[12]) ;; *) continue ;; esac
        [ -z "$(ip netns pids "$ns" 2>/dev/null)" ] || continue
        [ $(( now - $(stat -c %Y "/run/netns/$ns" 2>/dev/null || echo "$now") )) -ge 120 ] || continue
        ip netns delete "$ns" && echo "cluster-start: deleted stale network namespace $ns" >&2
    done
    # in_netns NS CMD...: CMD in network namespace NS.  Not `ip -n` or `ip
    # netns exec`: both first remount / as a slave, which fails where / is
    # no mount point (a chroot, as on a fresh-machine check).
    in_netns() { _ns=$1; shift; nsenter --net="/run/netns/$_ns" "$@"; }
    # The nodes' own mount namespaces keep their bind mounts to themselves:
    # slave propagation, or, where / is no mount point and cannot be made a
    # slave, the propagation of the mount that holds it (private on these
    # machines; a shared one would let the nodes' bind mounts show on the
    # host until they end).
    # `ip netns add` mounts /run/netns on first use; cluster-stop.sh
    # unmounts it again when this run made it.
    mountpoint -q /run/netns 2>/dev/null || touch "$dir/run/netns-mounted"
    propagation=slave
    unshare --mount --propagation slave true 2>/dev/null || propagation=unchanged
    for i in 1 2; do
        ns=$tag-node$i
        ip netns delete "$ns" 2>/dev/null   # this DIR's own earlier run
        echo "$ns" >>"$dir/run/netns"       # before creating: stop removes it
        ip netns add "$ns" || die "ip netns add $ns failed"
        in_netns "$ns" ip link set lo up || die "lo up in $ns failed"
        mkdir -p "$dir/node-tmp/ilrl-node$i" || exit 1
    done
    # The wire: one veth pair, an end in each namespace (never on the host).
    ip link add veth0 netns "$tag-node1" type veth peer name veth0 netns "$tag-node2" \
        || die "veth pair between $tag-node1 and $tag-node2 failed"
    for i in 1 2; do
        in_netns "$tag-node$i" ip addr add "10.77.0.$i/24" dev veth0 \
            && in_netns "$tag-node$i" ip link set veth0 up \
            || die "address 10.77.0.$i on $tag-node$i failed"
    done
    printf '127.0.0.1\tlocalhost\n10.77.0.1\tilrl-node1\n10.77.0.2\tilrl-node2\n' >"$dir/etc/hosts"
    client="/run/netns/$tag-node1"
    # on_node N CMD...: exec CMD inside emulated node N (see the header).
    on_node() {
        _n=$1; shift
        exec nsenter --net="/run/netns/$tag-node$_n" unshare --uts --mount --propagation "$propagation" \
            sh -c 'mount --bind "$1" /etc/hosts && mount --bind "$2" "$3" && hostname "$4" || exit 1
                   shift 4; exec "$@"' on-node \
            "$dir/etc/hosts" "$dir/node-tmp/ilrl-node$_n" "$dir/tmp" "ilrl-node$_n" "$@"
    }
fi
for n in $(echo "$node_names" | tr ',' ' '); do mkdir -p "$dir/spool/slurmd-$n" || exit 1; done
# client CMD...: run a Slurm client where it reaches slurmctld.
client() { if [ -n "$client" ]; then nsenter --net="$client" "$@"; else "$@"; fi; }

: >"$dir/etc/plugstack.conf"
sed -e "s|@DIR@|$dir|g" -e "s|@CTLD_HOST@|$ctld_host|g" -e "s|@CTLD_ADDR@|$ctld_addr|g" \
    -e "s|@NODES@|$node_names|g" -e "s|@NODE_ADDRS@|$node_addrs|g" -e "s|@USER@|$(id -un)|g" \
    -e "s|@CTLD_PORT@|$ctld_port|g" -e "s|@SLURMD_PORT@|$slurmd_port|g" \
    -e "s|@SRUN_PORTS@|$srun_lo-$((srun_lo + 200))|g" -e "s|@CPUS@|$cpus|g" \
    -e "s|@MEMORY@|1000|g" -e "s|@PARTITION@|debug|g" \
    -e "s|@MPI_DEFAULT@|none|g" -e "s|@CRED_EXPIRE@|10|g" \
    -e "s|@MIN_JOB_AGE@|600|g" -e "s|@SLURMD_DEBUG@|${ILRL_SLURMD_DEBUG:-info}|g" \
    "$here/slurm.conf.in" >"$dir/etc/slurm.conf" || exit 1
SLURM_CONF=$dir/etc/slurm.conf
export SLURM_CONF
# Tag every daemon (and so the slurmstepds they fork) with this cluster, so
# that cluster-stop.sh can find stray processes by PID without name matching.
ILRL_SLURM_CLUSTER=$dir
export ILRL_SLURM_CLUSTER

# munge: a fresh random key; munged refuses group/world-readable keys.
dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 2>/dev/null || exit 1
chmod 400 "$dir/munge/munge.key"
socket=$dir/munge/munge.socket.2
munged --force --socket="$socket" --key-file="$dir/munge/munge.key" \
    --pid-file="$dir/run/munged.pid" --log-file="$dir/log/munged.log" \
    --seed-file="$dir/munge/munged.seed" 2>>"$dir/log/munged.log" \
    || die "munged failed to start"
timeout 10 sh -c "munge -n -S '$socket' | unmunge -S '$socket' >/dev/null" \
    || die "munge round trip failed"

# Slurm daemons, in the foreground of a background subshell that execs them
# (through nsenter and unshare, which exec too): $! is the daemon's PID.
(on_node 1 slurmctld -D -i -f "$SLURM_CONF") >>"$dir/log/slurmctld.stderr" 2>&1 &
echo $! >"$dir/run/slurmctld.daemon.pid"
i=0
for n in $(echo "$node_names" | tr ',' ' '); do
    i=$((i + 1))
    (on_node $i slurmd -D -f "$SLURM_CONF" -N "$n") >>"$dir/log/slurmd-$n.stderr" 2>&1 &
    echo $! >"$dir/run/slurmd-$n.daemon.pid"
done

{
    echo "SLURM_CONF='$SLURM_CONF'; export SLURM_CONF"
    [ -z "$client" ] || echo "ILRL_SLURM_CLIENT_NETNS='$client'; export ILRL_SLURM_CLIENT_NETNS"
} >"$dir/env"

# Ready when every node reports idle.
count=$(echo "$node_names" | tr ',' '\n' | wc -l)
deadline=$(( $(date +%s) + ${ILRL_SLURM_START_TIMEOUT:-60} ))
while :; do
    states=$(client timeout 10 sinfo -h -N -n "$node_names" -o %T 2>/dev/null)
    [ "$(echo "$states" | grep -c '^idle')" -eq "$count" ] && break
    for f in "$dir"/run/*.daemon.pid; do
        kill -0 "$(cat "$f")" 2>/dev/null || die "$(basename "$f" .daemon.pid) exited"
    done
    [ "$(date +%s)" -lt "$deadline" ] || die "nodes not idle after ${ILRL_SLURM_START_TIMEOUT:-60} s (states: $(echo $states))"
    sleep 1
done
echo "cluster-start: $count node(s) idle ($node_names, $cpus CPUs each), SLURM_CONF=$SLURM_CONF"
