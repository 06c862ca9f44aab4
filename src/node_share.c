/* node_share.c -- owns the per-node copy of the data
 * (include/ilrl/node_share.h): the node and leaders' communicators, the
 * MPI-3 shared-memory window (or the private block of the one-copy-per-rank
 * way), and the per-node memory report. */
#include "config.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <mpi.h>

#include "ilrl/error.h"
#include "ilrl/node_share.h"

#define BROADCAST_CHUNK ((size_t)1 << 30)   /* MPI counts are int */

struct ilrl_node_share {
    MPI_Comm node;            /* the ranks of this node */
    MPI_Comm leaders;         /* the nodes' lowest ranks; MPI_COMM_NULL elsewhere */
    int node_index, n_nodes;  /* this node's number (its leader's rank among leaders) */
    int node_rank, node_size;
    char host[ILRL_NODE_SHARE_HOST_MAX];
    /* the data block */
    int allocated, shared;    /* shared: a window; else a private malloc */
    MPI_Win window;           /* MPI_WIN_NULL when private */
    void *base;
    size_t bytes;
    void *private_block;      /* the malloc when private */
    double hwm_before;        /* VmHWM (bytes) just before the block was made */
};

static int writer(const struct ilrl_node_share *share)
{
    return !share->shared || share->node_rank == 0;
}

int ilrl_node_share_open(struct ilrl_node_share **result)
{
    struct ilrl_node_share *share = calloc(1, sizeof *share);
    int rank, ok;
    *result = NULL;
    if (share == NULL)
        return ilrl_error(ILRL_EFAILED, "out of memory");
    share->node = share->leaders = MPI_COMM_NULL;
    share->window = MPI_WIN_NULL;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    ok = MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL,
                             &share->node) == MPI_SUCCESS;
    if (ok) {
        MPI_Comm_rank(share->node, &share->node_rank);
        MPI_Comm_size(share->node, &share->node_size);
        ok = MPI_Comm_split(MPI_COMM_WORLD, share->node_rank == 0 ? 0 : MPI_UNDEFINED, rank,
                            &share->leaders) == MPI_SUCCESS;
    }
    int where[2] = {0, 0};   /* node index, number of nodes */
    if (ok && share->leaders != MPI_COMM_NULL) {
        MPI_Comm_rank(share->leaders, &where[0]);
        MPI_Comm_size(share->leaders, &where[1]);
    }
    ok = ok && MPI_Bcast(where, 2, MPI_INT, 0, share->node) == MPI_SUCCESS;
    if (!ok) {
        ilrl_node_share_close(share);
        return ilrl_error(ILRL_EFAILED, "rank %d: cannot make the node's communicators", rank);
    }
    share->node_index = where[0];
    share->n_nodes = where[1];
    if (gethostname(share->host, sizeof share->host) != 0)
        snprintf(share->host, sizeof share->host, "node %d", share->node_index);
    share->host[sizeof share->host - 1] = '\0';
    *result = share;
    return ILRL_OK;
}

void ilrl_node_share_close(struct ilrl_node_share *share)
{
    if (share == NULL)
        return;
    if (share->window != MPI_WIN_NULL) {
        MPI_Win_unlock_all(share->window);
        MPI_Win_free(&share->window);
    }
    free(share->private_block);
    if (share->leaders != MPI_COMM_NULL)
        MPI_Comm_free(&share->leaders);
    if (share->node != MPI_COMM_NULL)
        MPI_Comm_free(&share->node);
    free(share);
}

int ilrl_node_share_node(const struct ilrl_node_share *share)
{
    return share->node_index;
}

int ilrl_node_share_nodes(const struct ilrl_node_share *share)
{
    return share->n_nodes;
}

int ilrl_node_share_node_ranks(const struct ilrl_node_share *share)
{
    return share->node_size;
}

const char *ilrl_node_share_host(const struct ilrl_node_share *share)
{
    return share->host;
}

/* ---- /proc ------------------------------------------------------------------- */

/* "KEY:   N kB" of FILE, in bytes; 0 if absent. */
static double proc_kib(const char *path, const char *key)
{
    char line[256];
    double value = 0.0, kib;
    size_t n = strlen(key);
    FILE *file = fopen(path, "r");
    if (file == NULL)
        return 0.0;
    while (fgets(line, sizeof line, file) != NULL)
        if (strncmp(line, key, n) == 0 && line[n] == ':' && sscanf(line + n + 1, "%lf", &kib) == 1) {
            value = 1024.0 * kib;
            break;
        }
    fclose(file);
    return value;
}

/* The Rss of the mappings of /proc/self/smaps that overlap [base, base +
 * bytes): the window's pages resident in this process. */
static double window_rss(const void *base, size_t bytes)
{
    char line[512];
    double rss = 0.0, kib;
    int inside = 0;
    uintptr_t lo = (uintptr_t)base, hi = lo + bytes;
    FILE *file = fopen("/proc/self/smaps", "r");
    if (file == NULL || base == NULL)
        goto done;
    while (fgets(line, sizeof line, file) != NULL) {
        unsigned long start, end;
        if (sscanf(line, "%lx-%lx ", &start, &end) == 2 && strchr(line, '-') < strchr(line, ' '))
            inside = start < hi && end > lo;
        else if (inside && sscanf(line, "Rss: %lf kB", &kib) == 1)
            rss += 1024.0 * kib;
    }
done:
    if (file != NULL)
        fclose(file);
    return rss;
}

/* VmHWM := VmRSS (Linux >= 4.0), so that the peak after this point can be
 * told from the one before; without it VmHWM keeps the earlier peak and
 * the "after" figure only overstates. */
static void reset_hwm(void)
{
    FILE *file = fopen("/proc/self/clear_refs", "w");
    if (file != NULL) {
        fputs("5", file);
        fclose(file);
    }
}

double ilrl_node_share_hwm_before(const struct ilrl_node_share *share)
{
    return share->hwm_before;
}

/* ---- the data block ---------------------------------------------------------- */

/* Whether this node's leader can back a window of `bytes`: Open MPI makes
 * it a file in /dev/shm (osc_sm_backing_directory's default on Linux), so
 * the file size limit and the room there bound it.  Measured why: a
 * leader under `ulimit -f 16` failed inside MPI_Win_allocate_shared while
 * its node's other ranks waited there for ever. */
#define WINDOW_MARGIN ((double)(1 << 20))   /* Open MPI's control pages */
static int window_fits(size_t bytes)
{
    struct rlimit limit;
    struct statvfs room;
    double need = (double)bytes + WINDOW_MARGIN;
    if (getrlimit(RLIMIT_FSIZE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY
        && (double)limit.rlim_cur < need)
        return 0;
    if (statvfs("/dev/shm", &room) == 0
        && (double)room.f_bavail * (double)room.f_frsize < need)
        return 0;
    return 1;
}

int ilrl_node_share_shared(const struct ilrl_node_share *share)
{
    return share->shared;
}

int ilrl_node_share_alloc(struct ilrl_node_share *share, size_t bytes, int shared,
                          void **base, int *is_writer)
{
    int rank, ok = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    if (share->allocated)
        return ilrl_error(ILRL_EFAILED, "rank %d: the node's data block is already made", rank);
    share->hwm_before = proc_kib("/proc/self/status", "VmHWM");
    reset_hwm();
    share->allocated = 1;
    if (shared) {   /* every node a window, or none: the broadcasts differ */
        int fits = share->node_rank != 0 || window_fits(bytes), all = 0;
        if (MPI_Allreduce(&fits, &all, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD) != MPI_SUCCESS)
            return ilrl_error(ILRL_EFAILED, "rank %d: MPI_Allreduce failed", rank);
        shared = all;
    }
    share->shared = shared;
    share->bytes = bytes;
    if (shared) {
        void *mine = NULL;
        MPI_Aint size = share->node_rank == 0 ? (MPI_Aint)bytes : 0, got = 0;
        int unit;
        ok = MPI_Win_allocate_shared(size, 1, MPI_INFO_NULL, share->node, &mine,
                                     &share->window) == MPI_SUCCESS;
        ok = ok && MPI_Win_shared_query(share->window, 0, &got, &unit, &share->base) == MPI_SUCCESS
             && (size_t)got >= bytes;
        ok = ok && MPI_Win_lock_all(MPI_MODE_NOCHECK, share->window) == MPI_SUCCESS;
    } else {
        ok = posix_memalign(&share->private_block, 64, bytes) == 0;
        share->base = share->private_block;
    }
    if (!ok)
        return ilrl_error(ILRL_EFAILED, "rank %d: out of memory for the node's copy of the data (%zu bytes%s)",
                          rank, bytes, shared ? ", a shared-memory window" : "");
    *base = share->base;
    *is_writer = writer(share);
    return ILRL_OK;
}

int ilrl_node_share_broadcast(struct ilrl_node_share *share, void *data, size_t n_bytes)
{
    MPI_Comm comm = share->shared ? share->leaders : MPI_COMM_WORLD;
    unsigned char *bytes = data;
    if (comm == MPI_COMM_NULL)
        return ILRL_OK;   /* not a writer: the leader receives for the node */
    while (n_bytes > 0) {
        size_t n = n_bytes < BROADCAST_CHUNK ? n_bytes : BROADCAST_CHUNK;
        if (MPI_Bcast(bytes, (int)n, MPI_BYTE, 0, comm) != MPI_SUCCESS)
            return ilrl_error(ILRL_EFAILED, "MPI_Bcast of %zu bytes to the %s failed", n,
                              share->shared ? "node leaders" : "ranks");
        bytes += n;
        n_bytes -= n;
    }
    return ILRL_OK;
}

int ilrl_node_share_sync(struct ilrl_node_share *share)
{
    if (!share->shared)
        return ILRL_OK;
    if (MPI_Win_sync(share->window) != MPI_SUCCESS || MPI_Barrier(share->node) != MPI_SUCCESS
        || MPI_Win_sync(share->window) != MPI_SUCCESS)
        return ilrl_error(ILRL_EFAILED, "the node's shared-memory window cannot be synchronised");
    return ILRL_OK;
}

/* ---- memory ---------------------------------------------------------------- */

int ilrl_node_share_memory(struct ilrl_node_share *share, struct ilrl_node_memory **nodes)
{
    int rank;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    *nodes = NULL;
    double after = proc_kib("/proc/self/status", "VmHWM");
    if (share->shared)
        after -= window_rss(share->base, share->bytes);
    double mine[3] = {share->hwm_before, after > 0 ? after : 0.0,
                      proc_kib("/proc/self/smaps_rollup", "Pss")};
    double sums[3] = {0, 0, 0};
    if (MPI_Reduce(mine, sums, 3, MPI_DOUBLE, MPI_SUM, 0, share->node) != MPI_SUCCESS)
        return ilrl_error(ILRL_EFAILED, "MPI_Reduce of the node's memory failed");
    struct ilrl_node_memory node = {.n_ranks = share->node_size, .before_bytes = sums[0],
                                    .after_bytes = sums[1], .pss_bytes = sums[2],
                                    .shared_bytes = share->shared ? (double)share->bytes : 0.0};
    double with_data = node.shared_bytes + node.after_bytes;
    node.peak_bytes = with_data > node.before_bytes ? with_data : node.before_bytes;
    snprintf(node.host, sizeof node.host, "%s", share->host);
    /* Each other leader sends its node's entry to rank 0, which keeps it
     * at the node's index (or, with no memory for the array, receives it
     * into a scratch entry and reports the failure after). */
    int ok = 1;
    if (share->leaders != MPI_COMM_NULL && rank != 0) {
        ok = MPI_Send(&node, (int)sizeof node, MPI_BYTE, 0, 0, share->leaders) == MPI_SUCCESS;
    } else if (rank == 0) {
        struct ilrl_node_memory *all = calloc((size_t)share->n_nodes, sizeof *all), scratch;
        if (all != NULL)
            all[0] = node;
        for (int k = 1; k < share->n_nodes; k++)
            ok = MPI_Recv(all != NULL ? &all[k] : &scratch, (int)sizeof node, MPI_BYTE, k, 0,
                          share->leaders, MPI_STATUS_IGNORE) == MPI_SUCCESS && ok;
        if (!ok || all == NULL) {
            free(all);
            return ilrl_error(ILRL_EFAILED, "the nodes' memory cannot be gathered");
        }
        *nodes = all;
    }
    if (!ok)
        return ilrl_error(ILRL_EFAILED, "rank %d: the node's memory cannot be sent to rank 0", rank);
    return ILRL_OK;
}
