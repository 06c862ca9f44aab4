#!/bin/sh
# check-cluster.sh -- the Slurm job scripts (jobs/) across two emulated
# nodes on this one machine.  Run by `make check-cluster`; needs root, the
# Debian packages slurm-wlm and munge, iproute2 (ip netns) and util-linux
# (nsenter, unshare).  Exit 0 pass, 1 fail, 77 skip (no Slurm, not root,
# programs not built).  See docs/cluster.md.
#
# tests/slurm/cluster-start.sh DIR 2 makes two network namespaces with their
# own host names, ilrl-node1 (10.77.0.1, also runs slurmctld) and ilrl-node2
# (10.77.0.2), joined by a veth pair, each with its own slurmd; munged and
# the job directory (a scratch directory) are shared, as on a cluster with a
# shared file system.  Then it checks:
#   1. `srun hostname` in a 2-node job prints both node names;
#   2. landscape.sbatch submitted with `-N 2 --ntasks-per-node=2`, once with
#      srun --mpi=pmix and once with mpirun (which starts its daemon on the
#      second node through Slurm): Open MPI's verbose output
#      (btl_base_verbose) must show 4 ranks, 2 on each node, every pair of
#      ranks on different nodes using the tcp BTL and every pair on the same
#      node the vader (shared-memory) BTL, and TCP connections made between
#      10.77.0.1 and 10.77.0.2; il_loss/rl_loss byte-identical to
#      `mpirun -n 1` outside Slurm;
#  2b. that srun job's PMIx fences, from the slurmstepds' debug log: every
#      one a ring across both nodes (jobs/ilrl-job.sh sets
#      SLURM_PMIX_FENCE=ring; docs/cluster.md says why), and, said only,
#      how many of a bare srun's fences each node completed alone;
#   3. pre-emption on the two-node job: USR1 to the batch shell mid-run,
#      checkpoint, requeue, resume; byte-identical to `mpirun -n 1`;
#   4. nodes that differ: ilrl-node2 is told (the node-keyed test overrides
#      of include/ilrl/landscape.h, by host name) that its CPU lacks AVX-512
#      and that it has 40 MiB: a dense plane still equals `mpirun -n 1` with
#      dgemm byte for byte (rank 0 decided the kernel, recorded as
#      dense_kernel = "dgemm"), and each node holds the samples once
#      (node_share.h: the job prints one memory line per node); a grid
#      whose tiles do not fit ilrl-node2's two ranks ends the job within
#      seconds, exit 1, with one line naming a rank of ilrl-node2.
# Open MPI is held to the veth subnet (btl_tcp_if_include and
# oob_tcp_if_include = 10.77.0.0/24) so that no other interface can carry
# the traffic.  Daemons and namespaces are removed by PID on every exit path
# (tests/slurm/check-lib.sh); a watchdog ends the test after
# ILRL_CLUSTER_TEST_TIMEOUT seconds (default 480); the pre-emption job has
# 180 s after its signal.  A rank that crashes leaves a core in the job
# directory; the failure report shows its backtrace (check-lib.sh).
#
# Environment: top_srcdir, top_builddir (set by make),
#   ILRL_SLURM_REQUEUE_NX  starting grid side of the pre-emption run (default
#                          1014; grown until `mpirun -n 1` takes >= 8 s)
#   ILRL_SLURM_KEEP=1      keep the scratch directory even on success
set -u
TEST=cluster NODES=2 TEST_TIMEOUT=${ILRL_CLUSTER_TEST_TIMEOUT:-480}
for tool in ip nsenter unshare; do
    command -v "$tool" >/dev/null 2>&1 || { echo "SKIP: $tool not installed (tests/install-deps.sh)"; exit 77; }
done
# The PMIx plugin's fences are read from the slurmstepds' debug log (2b).
ILRL_SLURMD_DEBUG=debug
export ILRL_SLURMD_DEBUG
. "$(cd "$(dirname "$0")" && pwd)/check-lib.sh"

# ---- 1. two nodes ----------------------------------------------------------------
client timeout 60 sbatch -Q -W -N 2 --ntasks-per-node=1 -o "$WORK/hosts.out" --wrap 'srun hostname' \
    || fail "trivial 2-node job failed"
[ "$(sort "$WORK/hosts.out" | tr '\n' ' ')" = "ilrl-node1 ilrl-node2 " ] \
    || fail "srun hostname on 2 nodes printed '$(cat "$WORK/hosts.out")'"
pass "cluster up, srun hostname on -N 2 ran on ilrl-node1 and ilrl-node2"

OMPI_MCA_btl_tcp_if_include=10.77.0.0/24 OMPI_MCA_oob_tcp_if_include=10.77.0.0/24
export OMPI_MCA_btl_tcp_if_include OMPI_MCA_oob_tcp_if_include
# The reference, outside Slurm on one rank (the veth subnet is not there).
mpirun_1() {
    timeout -k 10 300 env -u OMPI_MCA_btl_tcp_if_include -u OMPI_MCA_oob_tcp_if_include \
        mpirun -n 1 "$BIN/ilrl-landscape" "$@"
}

# check_tcp LOG -- from Open MPI's BTL verbose output in LOG: 2 ranks ran on
# each node, ranks on different nodes used tcp, ranks on one node vader
# (shared memory), and TCP connections were made between the nodes' own
# addresses (none to the node itself).  Prints a one-line summary.
check_tcp() {
    awk '
    function node_of(proc) { sub(/^\[/, "", proc); sub(/:.*/, "", proc); return proc }
    function addr_node(a)  { return a == "10.77.0.1" ? "ilrl-node1" : a == "10.77.0.2" ? "ilrl-node2" : "?" a }
    / mca: bml: Using [a-z0-9]+ btl for send to / {
        host = node_of($1); procs[$1] = host
        btl = $5; peer = $13
        if (btl == "self") next
        if (peer != host) { cross++; if (btl != "tcp") bad = bad " " $1 "->" peer ":" btl }
        else { local++; if (btl != "vader") bad = bad " " $1 "->" peer ":" btl }
    }
    / btl:tcp: connect\(\) to [0-9.]+:[0-9]+ completed/ {
        host = node_of($1); a = $5; sub(/:.*/, "", a)
        if (addr_node(a) == host) bad = bad " " $1 " connected to its own node " a
        else conns[host " -> " a]++
    }
    END {
        for (p in procs) { n[procs[p]]++; np++ }
        if (np != 4 || n["ilrl-node1"] != 2 || n["ilrl-node2"] != 2) {
            printf "ranks per node: ilrl-node1 %d, ilrl-node2 %d (of %d processes), expected 2 and 2\n",
                n["ilrl-node1"], n["ilrl-node2"], np; exit 1 }
        if (bad != "") { print "wrong BTL:" bad; exit 1 }
        if (cross == 0) { print "no inter-node BTL choice in the log"; exit 1 }
        if (local == 0) { print "no intra-node BTL choice in the log"; exit 1 }
        c = ""; for (k in conns) { c = c (c == "" ? "" : ", ") k " (" conns[k] ")"; nc += conns[k] }
        if (nc == 0) { print "no TCP connection between the nodes"; exit 1 }
        printf "2 ranks on each node; %d inter-node peer(s) via tcp, %d intra-node via vader; connections %s\n",
            cross, local, c
    }' "$1"
}

# ---- 2. one landscape on 2 nodes x 2 tasks ----------------------------------------
small="--nx 31 --ny 23 --tile 8 --quiet"
# shellcheck disable=SC2086
mpirun_1 $small --out ref-small.nc >/dev/null 2>&1 || fail "reference run outside Slurm failed"
for launcher in srun mpirun; do
    case $launcher in srun) use= ;; mpirun) use=mpirun ;; esac
    # shellcheck disable=SC2086
    client env ILRL_LAUNCHER="$use" OMPI_MCA_btl_base_verbose=100 \
        timeout 300 sbatch -Q -W -N 2 --ntasks-per-node=2 --job-name="small-$launcher" \
        "$JOBS/landscape.sbatch" $small --out "small-$launcher.nc" || fail "landscape.sbatch ($launcher) failed"
    log=$(ls ilrl-small-$launcher-*.out)
    case $launcher in
        srun) grep -q 'srun --mpi=pmix' "$log" || fail "landscape.sbatch did not launch with srun --mpi=pmix" ;;
        mpirun) grep -q 'ilrl-job.*: mpirun ' "$log" || fail "landscape.sbatch did not launch with mpirun" ;;
    esac
    summary=$(check_tcp "$log") || fail "$log: $summary"
    same_losses "small-$launcher.nc" ref-small.nc
    pass "landscape.sbatch -N 2 --ntasks-per-node=2 ($launcher) equals mpirun -n 1"
    echo "     $summary"
done

# ---- 2b. MPI_Init's barrier spans both nodes ------------------------------------------
# fences JOB NODE -- the PMIx fences step JOB.0 completed on NODE, one line
# each from Slurm's PMIx plugin (debug log): "ring" when the fence went
# round the nodes, "alone" when a tree fence finished on NODE without a
# message to or from the other node (no children, no parent).
fences() {
    awk -v step="[$1.0]" '
        index($0, step) == 0 { next }
        / _progress_collect: / && /child_cntr=/ { alone = 1 }
        / send data to / || / contrib\/chld/ || / contrib\/prnt/ { alone = 0 }
        / COLL_FENCE_RING seq=[0-9]+ is DONE/ { print "ring" }
        / COLL_FENCE_TREE seq=[0-9]+ is DONE/ { print (alone ? "alone" : "tree"); alone = 0 }
    ' "$CLUSTER/log/slurmd-$2.log"
}
# The job scripts' launch (srun --mpi=pmix, jobs/ilrl-job.sh): every fence a
# ring on both nodes -- MPI_Init's modex and its closing barrier, and
# MPI_Finalize's -- so no rank leaves MPI_Init before every rank has set up.
small_job=$(ls ilrl-small-srun-*.out | sed 's/.*-\([0-9]*\)\.out$/\1/')
for node in ilrl-node1 ilrl-node2; do
    seen=$(fences "$small_job" "$node")
    kinds=$(echo "$seen" | sort | uniq -c | tr -s ' ' | tr '\n' ',')
    rings=$(echo "$seen" | grep -c '^ring$')
    others=$(echo "$seen" | grep -vc '^ring$')
    [ "$rings" -ge 3 ] && [ "$others" -eq 0 ] \
        || fail "job $small_job on $node: PMIx fences '$kinds', expected 3 or more rings and nothing else (SLURM_PMIX_FENCE=ring from jobs/ilrl-job.sh)"
done
# The hazard it avoids, shown on this Slurm: the same program launched by a
# bare srun (Slurm's default, "mixed") ends MPI_Init with a tree fence that
# each node completes alone.  Said, not required: a Slurm that fixes this
# passes too.
client env -u SLURM_PMIX_FENCE timeout 120 sbatch -Q -W -N 2 --ntasks-per-node=2 --job-name=bare \
    -o "$WORK/ilrl-bare-%j.out" \
    --wrap "srun --mpi=pmix $BIN/ilrl-landscape $small --out bare.nc" || fail "bare srun job failed"
bare_job=$(ls ilrl-bare-*.out | sed 's/.*-\([0-9]*\)\.out$/\1/')
same_losses bare.nc ref-small.nc
pass "jobs/ilrl-job.sh's srun launch: every PMIx fence ($rings per node) a ring across both nodes"
echo "     a bare srun (Slurm's default fences): $(fences "$bare_job" ilrl-node1 | grep -c '^alone$') fence(s) on ilrl-node1 and $(fences "$bare_job" ilrl-node2 | grep -c '^alone$') on ilrl-node2 completed without the other node"

# ---- 3. pre-timeout signal on the two-node job ---------------------------------------
: "${ILRL_SLURM_REQUEUE_NX:=1014}"   # 4 ranks on the 2 cores: a larger grid than check-slurm
PREEMPTION_WAIT=180 preemption_test 8 mpirun_1 -N 2 --ntasks-per-node=2
nodes=$(job_field "$job" NodeList)
[ "$nodes" = "ilrl-node[1-2]" ] || fail "pre-emption job $job ran on '$nodes', not ilrl-node[1-2]"
pass "2-node job ($nodes), USR1 to the batch shell: checkpoint, requeue (Restarts=$restarts), resume; equals mpirun -n 1"

# ---- 4. nodes that differ ------------------------------------------------------------
small_node=ilrl-node2 small_mib=40
dense="--plane random:7 --nx 21 --ny 17 --tile 4"
# shellcheck disable=SC2086
ILRL_DENSE_KERNEL=dgemm mpirun_1 $dense --quiet --out ref-dense.nc >/dev/null 2>&1 || fail "reference dense run failed"
# shellcheck disable=SC2086
client env ILRL_TEST_PRETEND_NO_AVX512=$small_node ILRL_TEST_PRETEND_MEMORY_MB=$small_node:$small_mib \
    timeout 120 sbatch -Q -W -N 2 --ntasks-per-node=2 --job-name=unlike \
    "$JOBS/landscape.sbatch" $dense --out unlike.nc || fail "landscape.sbatch on unlike nodes failed: $(cat ilrl-unlike-*.out)"
same_losses unlike.nc ref-dense.nc
kernel=$(ncdump -h unlike.nc | sed -n 's/^[[:space:]]*:dense_kernel = "\(.*\)" ;$/\1/p')
[ "$kernel" = dgemm ] || fail "unlike.nc: dense_kernel = '$kernel', expected dgemm"
log=$(ls ilrl-unlike-*.out)
for node in ilrl-node1 ilrl-node2; do
    grep -Eq "^ilrl-landscape: node $node: 2 ranks, peak [0-9.]+ MiB = the larger of .* shared data [0-9.]+ MiB \(once\)" "$log" \
        || fail "$log: no memory line for $node: $(grep 'node ' "$log")"
done
pass "$small_node without AVX-512 and with $small_mib MiB: dense_kernel dgemm, equals mpirun -n 1; one copy of the data per node"
sed -n 's/^ilrl-landscape: \(node .*\)/     \1/p' "$log"

# Two tiles of 1000 x 1000 points per rank (32 MB each rank): one rank of
# ilrl-node2 would fit in 40 MiB, its two do not.
start=$(date +%s)
client timeout 120 env ILRL_TEST_PRETEND_MEMORY_MB=$small_node:$small_mib \
    sbatch -Q -W -N 2 --ntasks-per-node=2 --job-name=small-node \
    "$JOBS/landscape.sbatch" --nx 1000 --ny 1000 --tile 1000 --quiet --out too-big.nc
code=$?
elapsed=$(( $(date +%s) - start ))
log=$(ls ilrl-small-node-*.out)
[ "$code" -eq 1 ] || fail "the job for a grid too large for $small_node exited $code, expected 1: $(cat "$log")"
[ "$elapsed" -le 40 ] || fail "the refused job took $elapsed s (sbatch -W included), expected seconds"
lines=$(grep -c '^ilrl-landscape:' "$log")
[ "$lines" -eq 1 ] || fail "$log: $lines ilrl-landscape lines, expected one: $(cat "$log")"
grep -Eq "^ilrl-landscape: rank [23]: the demonstration built-in:poor \(.*one copy per node\) and the evaluators and tiles of the 2 ranks on $small_node need [0-9.]+ MiB, more than the $small_mib.0 MiB available there\$" "$log" \
    || fail "$log: not the expected refusal: $(grep '^ilrl-landscape:' "$log")"
[ -e too-big.nc ] || [ -e too-big.nc.partial ] && fail "the refused job wrote too-big.nc"
pass "a grid beyond $small_node's memory: exit 1 in $elapsed s, one line: $(grep '^ilrl-landscape:' "$log" | cut -c1-60)..."
exit 0
