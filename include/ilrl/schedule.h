/* schedule.h -- the MPI layer: start-up, broadcasts, and on-demand tile
 * scheduling.  The only module that includes <mpi.h> (besides version.c's
 * MPI_Get_library_version); everything it calls back is plain C.
 *
 * Tiles.  The ny x nx grid is cut into tiles of tile_ny x tile_nx points
 * (edge tiles smaller), numbered row-major over the tile grid.  Tile cost is
 * what the benchmark sizes: a tile should take ~10-100 ms so that scheduling
 * overhead (two small messages per tile) stays below 1 %.
 *
 * Protocol (libcircle-style master/worker, rank 0 computes too):
 *  - rank 0 hands each worker one tile, then a second while at least one
 *    tile per rank remains (so a worker has its next tile while its result
 *    travels), then one new tile per result -- a queued tile only while
 *    enough remain, so no rank idles at the end while another holds two;
 *  - rank 0 computes tiles itself and serves requests between points through
 *    the poll hook given to the compute callback, so workers never wait for a
 *    whole tile of rank 0's;
 *  - a finished tile travels once, as a header and ny*nx*n_values doubles, so
 *    communication is proportional to the grid;
 *  - to end, rank 0 sends STOP to every worker, and each worker answers BYE;
 *    a worker sends nothing after BYE, so rank 0 has received every result
 *    once it has every BYE (no message is left unmatched at MPI_Finalize);
 *  - a worker's error (ERROR, with status and message) or a stop request
 *    from any rank (a signal) makes rank 0 stop everyone the same way; results
 *    that arrive meanwhile are kept, so a checkpoint loses nothing finished.
 *    Rank 0 reports a forwarded error as "rank R, tile T (x I0..I1, y
 *    J0..J1): message", and a forwarded stop keeps its value (the signal).
 *  - Stop path: the moment rank 0 decides to stop (its own signal, a
 *    worker's INTERRUPT or ERROR, a failed store), it calls the job's save
 *    hook first -- before it sends a STOP or waits for any worker -- so
 *    what rank 0 holds is saved even when a worker never answers (a stalled
 *    worker, a node gone).  Under mpirun, which kills the ranks about a
 *    second after forwarding a signal, that hook is all the saving there is
 *    time for; it must therefore cost the same for every grid size (the
 *    landscape engine fsyncs its tile journal).  Then rank 0 sends STOP and
 *    waits for the BYEs, storing results that still arrive -- for at most
 *    ILRL_SCHEDULE_STOP_GRACE seconds (a worker polls between points, so
 *    it answers within a point's time).  A worker still silent then is
 *    given up: rank 0 calls the job's abandon hook (its last words and
 *    exit status) and ends every rank with MPI_Abort, since no collective
 *    can complete without that worker.  This is the only exit the library
 *    takes itself.
 *  - Test hook: with ILRL_TEST_STALL_RANK=r in the environment, worker r
 *    stalls in its first tile: it sleeps without polling, signals or not,
 *    as a worker stuck in a hung file system would (tests only).
 * Which rank computes which tile varies from run to run; the values of a tile
 * must not depend on it (the compute callback is a pure function of the tile).
 */
#ifndef ILRL_SCHEDULE_H
#define ILRL_SCHEDULE_H

#include <stddef.h>

struct ilrl_tile {
    size_t index;             /* row-major index in the tile grid */
    size_t x0, y0;            /* first point (x index, y index) */
    size_t nx, ny;            /* points in this tile, >= 1 each */
};

struct ilrl_tiling {
    size_t grid_nx, grid_ny;  /* the whole grid */
    size_t tile_nx, tile_ny;  /* nominal tile size */
    size_t tiles_x, tiles_y;  /* tiles per row / column */
    size_t n_tiles;
};

void ilrl_tiling_init(struct ilrl_tiling *tiling, size_t grid_nx, size_t grid_ny,
                      size_t tile_nx, size_t tile_ny);
void ilrl_tiling_tile(const struct ilrl_tiling *tiling, size_t index,
                      struct ilrl_tile *tile);

/* Hooks handed to the compute callback: call poll(poll_ctx) between points;
 * a nonzero return means "stop now" (return ILRL_EINTERRUPTED). */
struct ilrl_tile_hooks {
    int (*poll)(void *poll_ctx);
    void *poll_ctx;
};

/* Computes a tile's values into `values` (tile->ny * tile->nx * n_values
 * doubles, point-major: point (i, j) of the tile at (j * tile->nx + i)).
 * Returns ILRL_OK, ILRL_EINTERRUPTED (poll asked to stop) or an error status
 * with ilrl_error() set. */
typedef int (*ilrl_tile_compute_fn)(void *ctx, const struct ilrl_tile *tile,
                                    double *values,
                                    const struct ilrl_tile_hooks *hooks);

/* Rank 0 only: a finished tile's values (any rank's), to store.  Called in
 * completion order.  A nonzero status stops the run with that status. */
typedef int (*ilrl_tile_store_fn)(void *ctx, const struct ilrl_tile *tile,
                                  const double *values);

/* Asked on every rank between points: nonzero = a stop was requested
 * (the signal's number; a worker's value travels to rank 0's stop_value).
 * May be NULL. */
typedef int (*ilrl_stop_requested_fn)(void *ctx);

/* Rank 0 only: the workers did not all answer within the grace after a
 * stop whose reason is `status`.  Says what it must and returns the exit
 * status every rank should end with; MPI_Abort follows.  May be NULL
 * (then the exit status is 1). */
typedef int (*ilrl_stop_abandon_fn)(void *ctx, int status);

#define ILRL_SCHEDULE_STOP_GRACE 5.0   /* seconds */

/* Rank 0 only: called once, at the moment rank 0 decides to stop (signal
 * or error), before it waits for any worker.  `status` is why
 * (ILRL_EINTERRUPTED for a signal).  Must be quick.  May be NULL. */
typedef void (*ilrl_stop_save_fn)(void *ctx, int status);

struct ilrl_schedule_job {
    struct ilrl_tiling tiling;
    size_t n_values;                 /* doubles per point */
    const unsigned char *tile_done;  /* rank 0: n_tiles flags, 1 = skip (resume); may be NULL */
    ilrl_tile_compute_fn compute;
    ilrl_tile_store_fn store;        /* rank 0 */
    ilrl_stop_requested_fn stop_requested;
    ilrl_stop_save_fn save;          /* rank 0; may be NULL */
    ilrl_stop_abandon_fn abandon;    /* rank 0; may be NULL */
    void *ctx;
    /* Filled in on return (rank 0): seconds each rank spent computing. */
    double *busy_seconds;            /* n_ranks entries, may be NULL */
    /* Filled in on return (rank 0): the first stop_requested() value seen
     * on any rank (rank 0's own or a worker's), 0 if none. */
    int stop_value;
};

/* MPI start-up and shut-down (MPI_THREAD_SINGLE).  Returns ILRL_OK or
 * ILRL_EFAILED.  Sets BLAS to one thread per rank. */
int ilrl_schedule_init(int *argc, char ***argv);
void ilrl_schedule_finalize(void);
int ilrl_schedule_rank(void);
int ilrl_schedule_size(void);
double ilrl_schedule_wtime(void);

/* Collective.  Every rank passes its own status; all get the first nonzero
 * one by rank order (0 if all succeeded), so every rank exits the same way.
 * The message of the failing rank is copied to rank 0's ilrl_error buffer. */
int ilrl_schedule_agree(int status);

/* Collective broadcast of n bytes from rank 0 (any n; chunked past INT_MAX). */
int ilrl_schedule_broadcast(void *buffer, size_t n_bytes);

/* Collective: runs the job to completion or to the first stop/error.
 * Returns on every rank the same status: ILRL_OK, ILRL_EINTERRUPTED, or the
 * first error (message on rank 0). */
int ilrl_schedule_run(struct ilrl_schedule_job *job);

/* Collective: rank 0 receives every rank's n_bytes from `mine`, in rank
 * order, into `all` (n_ranks * n_bytes; not touched on other ranks).  Used
 * for the facts rank 0 decides from (CPU, memory). */
int ilrl_schedule_gather(const void *mine, size_t n_bytes, void *all);

/* Collective: every rank receives every rank's n_bytes, in rank order,
 * into `all` (n_ranks * n_bytes).  ilrl-train's RL steps: every rank sums
 * the same gradient parts in the same order and steps its own Adam. */
int ilrl_schedule_allgather(const void *mine, size_t n_bytes, void *all);

/* Collective: the largest value over ranks (used for peak memory). */
double ilrl_schedule_max(double value);

#endif /* ILRL_SCHEDULE_H */
