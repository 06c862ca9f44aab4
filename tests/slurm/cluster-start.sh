#!/bin/sh
# cluster-start.sh DIR -- bring up a private single-node Slurm cluster
# (munged + slurmctld + slurmd on this host) whose whole state lives in DIR.
#
# Needs root and the Debian packages slurm-wlm and munge; touches nothing
# outside DIR (no /etc/slurm, no systemd), except mounting a cgroup tmpfs
# where the machine has none (see below).  Daemons listen on
# 127.0.0.1, on ports found free now.  On success it writes DIR/env, a shell
# fragment that sets SLURM_CONF for the clients (sbatch, squeue, ...), and
# leaves the daemons' PIDs in DIR/run/*.pid for cluster-stop.sh, which is
# the only supported way to stop them.  On failure it stops whatever it
# started, prints the daemon logs and exits 1.
#
# Environment: ILRL_SLURM_CPUS (default: max(nproc, 2)),
#              ILRL_SLURM_START_TIMEOUT (seconds to wait for an idle node, 60).
set -u
dir=${1:?usage: cluster-start.sh DIR}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$dir" || exit 1
dir=$(cd "$dir" && pwd)
host=$(hostname -s)

die() {
    echo "cluster-start: $*" >&2
    for log in "$dir"/log/*.log; do
        [ -s "$log" ] || continue
        echo "--- $log (last 30 lines)" >&2
        tail -n 30 "$log" >&2
    done
    sh "$here/cluster-stop.sh" "$dir" >&2
    exit 1
}

for tool in munged munge unmunge slurmctld slurmd sbatch sinfo scontrol python3; do
    command -v "$tool" >/dev/null 2>&1 || { echo "cluster-start: $tool not found (install slurm-wlm munge)" >&2; exit 77; }
done
[ "$(id -u)" -eq 0 ] || { echo "cluster-start: must run as root (slurmd launches jobs)" >&2; exit 77; }

mkdir -p "$dir/etc" "$dir/state" "$dir/spool/slurmd-$host" "$dir/log" "$dir/run" "$dir/tmp" "$dir/munge" || exit 1
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

# Free ports, chosen by the kernel: two for the daemons, a range for srun.
# shellcheck disable=SC2046 # two numbers, split on purpose
set -- $(python3 - <<'EOF'
import socket
def free():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p
print(free(), free())
EOF
)
ctld_port=$1 slurmd_port=$2
srun_lo=$(( (ctld_port + 1000) % 20000 + 40000 ))
srun_ports="$srun_lo-$((srun_lo + 200))"

cpus=${ILRL_SLURM_CPUS:-$(nproc)}
[ "$cpus" -ge 2 ] || cpus=2
mpi_default=none

: >"$dir/etc/plugstack.conf"
sed -e "s|@DIR@|$dir|g" -e "s|@HOST@|$host|g" -e "s|@USER@|$(id -un)|g" \
    -e "s|@CTLD_PORT@|$ctld_port|g" -e "s|@SLURMD_PORT@|$slurmd_port|g" \
    -e "s|@SRUN_PORTS@|$srun_ports|g" -e "s|@CPUS@|$cpus|g" \
    -e "s|@MEMORY@|1000|g" -e "s|@PARTITION@|debug|g" \
    -e "s|@MPI_DEFAULT@|$mpi_default|g" -e "s|@CRED_EXPIRE@|10|g" \
    -e "s|@MIN_JOB_AGE@|600|g" \
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

# Slurm daemons, in the foreground of a background job: $! is their PID.
slurmctld -D -i -f "$SLURM_CONF" >>"$dir/log/slurmctld.stderr" 2>&1 &
echo $! >"$dir/run/slurmctld.daemon.pid"
slurmd -D -f "$SLURM_CONF" -N "$host" >>"$dir/log/slurmd.stderr" 2>&1 &
echo $! >"$dir/run/slurmd.daemon.pid"

cat >"$dir/env" <<EOF
SLURM_CONF='$SLURM_CONF'; export SLURM_CONF
EOF

# Ready when the node reports idle.
deadline=$(( $(date +%s) + ${ILRL_SLURM_START_TIMEOUT:-60} ))
while :; do
    state=$(timeout 10 sinfo -h -n "$host" -o %T 2>/dev/null)
    case $state in idle*) break ;; esac
    for d in slurmctld slurmd; do
        kill -0 "$(cat "$dir/run/$d.daemon.pid")" 2>/dev/null || die "$d exited"
    done
    [ "$(date +%s)" -lt "$deadline" ] || die "node not idle after ${ILRL_SLURM_START_TIMEOUT:-60} s (state '$state')"
    sleep 1
done
echo "cluster-start: node $host idle ($cpus CPUs), SLURM_CONF=$SLURM_CONF"
