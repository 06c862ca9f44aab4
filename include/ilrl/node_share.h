/* node_share.h -- one copy of the data per node (docs/distribution.md).
 *
 * A landscape's samples and what is derived from them (the RL weights from
 * the returns-to-go, the evaluator's per-sample caches) are the same bytes
 * on every rank, and for a large demonstration they are most of a rank's
 * memory: 10^6 steps of a 12-feature demo hold 112 MB of samples alone.  A
 * node that runs 64 ranks held 64 copies; this module holds one per node.
 *
 * Topology (ilrl_node_share_open, collective over all ranks): the ranks
 * that can share memory (MPI_Comm_split_type MPI_COMM_TYPE_SHARED) form a
 * node; the lowest rank of each node is its leader, and the leaders form a
 * communicator of their own.  Rank 0 leads node 0.  Node numbers follow
 * the leaders' ranks.
 *
 * Data (ilrl_node_share_alloc, collective): with `shared`, one MPI-3
 * shared-memory window per node (MPI_Win_allocate_shared; the leader's
 * part holds every byte, the others map it); without, a private block per
 * rank, as before this module (the switch is kept for measurements: the
 * landscape reads ILRL_NODE_SHARE=0).  The writers fill it: the leaders
 * (shared) or every rank (private).  ilrl_node_share_broadcast sends rank
 * 0's bytes to the writers only (over the leaders' communicator, or to
 * every rank); ilrl_node_share_sync then makes the writers' stores visible
 * to the node (MPI_Win_sync, barrier, MPI_Win_sync: the passive-target
 * pattern of the MPI-3 unified memory model).  Nobody writes after it.
 *
 * Memory (ilrl_node_share_memory, collective): a node's peak, measured
 * (decision) in two phases split by the block's collective allocation,
 * from /proc/self/status and /proc/self/smaps:
 *  - before: each rank's VmHWM when the block is made (rank 0 has read the
 *    demo and built the problem: its set-up peak); then VmHWM is reset to
 *    the current RSS (/proc/self/clear_refs "5");
 *  - after: each rank's VmHWM at the end minus the window's pages resident
 *    in it (its Rss in smaps): its own memory, without the shared data.
 *    VmHWM alone counts the shared pages in every rank that touched them,
 *    so a sum of VmHWM would count the data once per rank.
 * The node's peak is max(sum of before, shared bytes + sum of after).
 * Pss (/proc/self/smaps_rollup) splits each shared page among the
 * processes that map it, so its sum over the node is the node's memory
 * now, the data counted once; it is reported beside as a check, but the
 * kernel keeps no peak of it.
 *
 * Every function returns ILRL_OK or ILRL_EFAILED (error recorded) and never
 * aborts; ilrl_node_share_close (collective over the node) frees the
 * window and the communicators and accepts NULL.
 */
#ifndef ILRL_NODE_SHARE_H
#define ILRL_NODE_SHARE_H

#include <stddef.h>

#define ILRL_NODE_SHARE_HOST_MAX 64

struct ilrl_node_share;

/* Collective over all ranks.  NULL in *share on failure. */
int ilrl_node_share_open(struct ilrl_node_share **share);

/* Collective over the node: frees the data block and communicators. */
void ilrl_node_share_close(struct ilrl_node_share *share);

int ilrl_node_share_node(const struct ilrl_node_share *share);      /* 0 .. nodes - 1 */
int ilrl_node_share_nodes(const struct ilrl_node_share *share);
int ilrl_node_share_node_ranks(const struct ilrl_node_share *share);
const char *ilrl_node_share_host(const struct ilrl_node_share *share);

/* Collective over all ranks (same bytes and shared everywhere): a block of
 * `bytes` (> 0) for the data, at *base, 64-byte aligned.  A second call
 * is refused.  *writer: 1 if this rank fills it.  Asked for `shared`, it
 * still gives private blocks everywhere when some node's leader cannot
 * back the window (Open MPI's file in /dev/shm: RLIMIT_FSIZE or the room
 * there below bytes + 1 MiB); ilrl_node_share_shared says which. */
int ilrl_node_share_alloc(struct ilrl_node_share *share, size_t bytes, int shared,
                          void **base, int *writer);
int ilrl_node_share_shared(const struct ilrl_node_share *share);

/* Collective over all ranks: rank 0's n_bytes at `data` (inside the block,
 * at the same offset everywhere) to the writers. */
int ilrl_node_share_broadcast(struct ilrl_node_share *share, void *data, size_t n_bytes);

/* Collective over all ranks: the writers' stores, visible to the node. */
int ilrl_node_share_sync(struct ilrl_node_share *share);

/* One node's memory (see above); bytes. */
struct ilrl_node_memory {
    char host[ILRL_NODE_SHARE_HOST_MAX];
    int n_ranks;
    double shared_bytes;      /* the node's data block, counted once (0: private) */
    double before_bytes;      /* sum over its ranks of VmHWM before the block */
    double after_bytes;       /* sum over its ranks of their own peaks after */
    double peak_bytes;        /* max(before, shared + after) */
    double pss_bytes;         /* sum over its ranks of Pss now */
};

/* This rank's VmHWM (bytes) when the block was made (0 before): VmHWM is
 * reset then, so a rank's peak RSS is the larger of this and VmHWM now. */
double ilrl_node_share_hwm_before(const struct ilrl_node_share *share);

/* Collective over all ranks.  On rank 0, *nodes gets a malloc'ed array of
 * ilrl_node_share_nodes() entries, by node (the caller frees it); NULL on
 * the others. */
int ilrl_node_share_memory(struct ilrl_node_share *share, struct ilrl_node_memory **nodes);

#endif /* ILRL_NODE_SHARE_H */
