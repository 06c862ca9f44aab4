/* schedule.c -- owns all MPI messaging: start-up, broadcasts, status
 * agreement and the on-demand tile scheduler (see include/ilrl/schedule.h
 * for the protocol). */
#include "config.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mpi.h>

#include "ilrl/error.h"
#include "ilrl/schedule.h"

#ifdef HAVE_OPENBLAS_SET_NUM_THREADS
void openblas_set_num_threads(int n_threads);
#endif

enum {
    TAG_HEADER = 1,   /* worker -> 0: long long[3] = {kind, tile, status} */
    TAG_VALUES = 2,   /* worker -> 0: a tile's doubles, after a RESULT header */
    TAG_MESSAGE = 3,  /* worker -> 0: error text, after an ERROR header */
    TAG_ASSIGN = 4,   /* 0 -> worker: long long tile index, or STOP */
    TAG_STATUS = 5    /* failing rank -> 0: error text for ilrl_schedule_agree */
};

enum { KIND_RESULT = 1, KIND_ERROR = 2, KIND_INTERRUPT = 3, KIND_BYE = 4 };

static const long long ASSIGN_STOP = -1;

#define MESSAGE_SIZE 1024
#define MAX_QUEUED 2   /* tiles a worker holds: one computing, one waiting */

/* ---- start-up and collectives ------------------------------------------ */

int ilrl_schedule_init(int *argc, char ***argv)
{
    if (MPI_Init(argc, argv) != MPI_SUCCESS)
        return ilrl_error(ILRL_EFAILED, "MPI_Init failed");
    /* Errors are reported through statuses, not MPI's default abort. */
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
#ifdef HAVE_OPENBLAS_SET_NUM_THREADS
    /* One rank per core: BLAS threads would only fight the other ranks. */
    openblas_set_num_threads(1);
#endif
    return ILRL_OK;
}

void ilrl_schedule_finalize(void)
{
    int initialized = 0, finalized = 0;
    MPI_Initialized(&initialized);
    MPI_Finalized(&finalized);
    if (initialized && !finalized)
        MPI_Finalize();
}

int ilrl_schedule_rank(void)
{
    int rank = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    return rank;
}

int ilrl_schedule_size(void)
{
    int size = 1;
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    return size;
}

double ilrl_schedule_wtime(void)
{
    return MPI_Wtime();
}

int ilrl_schedule_agree(int status)
{
    int n_ranks = ilrl_schedule_size(), rank = ilrl_schedule_rank();
    int *statuses = malloc((size_t)n_ranks * sizeof *statuses);
    int first = -1, agreed = ILRL_OK;

    if (statuses == NULL) {
        /* Cannot gather: fall back to the worst status, without a message. */
        MPI_Allreduce(&status, &agreed, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
        return agreed;
    }
    MPI_Allgather(&status, 1, MPI_INT, statuses, 1, MPI_INT, MPI_COMM_WORLD);
    for (int r = 0; r < n_ranks && first < 0; r++)
        if (statuses[r] != ILRL_OK)
            first = r;
    if (first > 0) {
        char message[MESSAGE_SIZE];
        if (rank == first) {
            snprintf(message, sizeof message, "%s", ilrl_error_message());
            MPI_Send(message, MESSAGE_SIZE, MPI_CHAR, 0, TAG_STATUS, MPI_COMM_WORLD);
        } else if (rank == 0) {
            MPI_Recv(message, MESSAGE_SIZE, MPI_CHAR, first, TAG_STATUS,
                     MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            message[MESSAGE_SIZE - 1] = '\0';
            ilrl_error(statuses[first], "%s", message);
        }
    }
    agreed = first < 0 ? ILRL_OK : statuses[first];
    free(statuses);
    return agreed;
}

int ilrl_schedule_broadcast(void *buffer, size_t n_bytes)
{
    const size_t chunk = (size_t)1 << 30;
    unsigned char *bytes = buffer;
    while (n_bytes > 0) {
        size_t n = n_bytes < chunk ? n_bytes : chunk;
        if (MPI_Bcast(bytes, (int)n, MPI_BYTE, 0, MPI_COMM_WORLD) != MPI_SUCCESS)
            return ilrl_error(ILRL_EFAILED, "MPI_Bcast of %zu bytes failed", n);
        bytes += n;
        n_bytes -= n;
    }
    return ILRL_OK;
}

int ilrl_schedule_gather(const void *mine, size_t n_bytes, void *all)
{
    if (n_bytes > INT_MAX
        || MPI_Gather(mine, (int)n_bytes, MPI_BYTE, all, (int)n_bytes, MPI_BYTE, 0,
                      MPI_COMM_WORLD) != MPI_SUCCESS)
        return ilrl_error(ILRL_EFAILED, "MPI_Gather of %zu bytes failed", n_bytes);
    return ILRL_OK;
}

int ilrl_schedule_allgather(const void *mine, size_t n_bytes, void *all)
{
    if (n_bytes > INT_MAX
        || MPI_Allgather(mine, (int)n_bytes, MPI_BYTE, all, (int)n_bytes, MPI_BYTE,
                         MPI_COMM_WORLD) != MPI_SUCCESS)
        return ilrl_error(ILRL_EFAILED, "MPI_Allgather of %zu bytes failed", n_bytes);
    return ILRL_OK;
}

double ilrl_schedule_max(double value)
{
    double max = value;
    MPI_Allreduce(&value, &max, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    return max;
}

/* ---- tiling ---------------------------------------------------------------- */

void ilrl_tiling_init(struct ilrl_tiling *tiling, size_t grid_nx, size_t grid_ny,
                      size_t tile_nx, size_t tile_ny)
{
    tiling->grid_nx = grid_nx;
    tiling->grid_ny = grid_ny;
    tiling->tile_nx = tile_nx < grid_nx ? tile_nx : grid_nx;
    tiling->tile_ny = tile_ny < grid_ny ? tile_ny : grid_ny;
    tiling->tiles_x = (grid_nx + tiling->tile_nx - 1) / tiling->tile_nx;
    tiling->tiles_y = (grid_ny + tiling->tile_ny - 1) / tiling->tile_ny;
    tiling->n_tiles = tiling->tiles_x * tiling->tiles_y;
}

void ilrl_tiling_tile(const struct ilrl_tiling *tiling, size_t index,
                      struct ilrl_tile *tile)
{
    size_t tx = index % tiling->tiles_x, ty = index / tiling->tiles_x;
    tile->index = index;
    tile->x0 = tx * tiling->tile_nx;
    tile->y0 = ty * tiling->tile_ny;
    tile->nx = tiling->grid_nx - tile->x0 < tiling->tile_nx ? tiling->grid_nx - tile->x0
                                                             : tiling->tile_nx;
    tile->ny = tiling->grid_ny - tile->y0 < tiling->tile_ny ? tiling->grid_ny - tile->y0
                                                             : tiling->tile_ny;
}

static size_t tile_values(const struct ilrl_schedule_job *job, const struct ilrl_tile *tile)
{
    return tile->nx * tile->ny * job->n_values;
}

static int send_header(long long kind, long long tile, long long status)
{
    long long header[3] = {kind, tile, status};
    return MPI_Send(header, 3, MPI_LONG_LONG, 0, TAG_HEADER, MPI_COMM_WORLD);
}

/* ---- worker side ------------------------------------------------------------ */

struct worker {
    struct ilrl_schedule_job *job;
    MPI_Request assign_request;     /* always one receive posted until STOP */
    long long assign_buffer;
    long long queue[MAX_QUEUED];
    int n_queued;
    int stopping;                   /* STOP received */
    int interrupt_sent;
};

static void worker_take_assignment(struct worker *worker)
{
    if (worker->assign_buffer == ASSIGN_STOP) {
        worker->stopping = 1;
        worker->n_queued = 0;       /* a STOP discards what is queued */
        return;
    }
    if (worker->n_queued < MAX_QUEUED)
        worker->queue[worker->n_queued++] = worker->assign_buffer;
    MPI_Irecv(&worker->assign_buffer, 1, MPI_LONG_LONG, 0, TAG_ASSIGN, MPI_COMM_WORLD,
              &worker->assign_request);
}

/* Poll hook between points: takes assignments, forwards a local stop request
 * to rank 0 once, and says "stop" once STOP has arrived. */
static int worker_poll(void *ctx)
{
    struct worker *worker = ctx;
    int arrived = 0;
    if (!worker->stopping) {
        MPI_Test(&worker->assign_request, &arrived, MPI_STATUS_IGNORE);
        if (arrived)
            worker_take_assignment(worker);
    }
    int stop_value = 0;
    if (!worker->interrupt_sent && worker->job->stop_requested != NULL
        && (stop_value = worker->job->stop_requested(worker->job->ctx)) != 0) {
        send_header(KIND_INTERRUPT, -1, stop_value);   /* the signal, for rank 0 */
        worker->interrupt_sent = 1;
    }
    return worker->stopping;
}

/* ILRL_TEST_STALL_RANK=r: worker r never comes back from its first tile
 * (see schedule.h); a signal interrupts one sleep, not the stall. */
static void test_stall_if_asked(void)
{
    const char *stall = getenv("ILRL_TEST_STALL_RANK");
    if (stall == NULL || atoi(stall) != ilrl_schedule_rank())
        return;
    for (;;) {
        struct timespec pause = {3600, 0};
        nanosleep(&pause, NULL);
    }
}

static int worker_run(struct ilrl_schedule_job *job, double *busy_seconds)
{
    struct worker worker = {.job = job};
    struct ilrl_tile_hooks hooks = {worker_poll, &worker};
    size_t max_values = job->tiling.tile_nx * job->tiling.tile_ny * job->n_values;
    double *values = malloc(max_values * sizeof *values);
    int failed = values == NULL;

    if (failed) {
        char message[MESSAGE_SIZE];
        snprintf(message, sizeof message, "out of memory for a tile of %zu values", max_values);
        send_header(KIND_ERROR, -1, ILRL_EFAILED);
        MPI_Send(message, MESSAGE_SIZE, MPI_CHAR, 0, TAG_MESSAGE, MPI_COMM_WORLD);
    }
    MPI_Irecv(&worker.assign_buffer, 1, MPI_LONG_LONG, 0, TAG_ASSIGN, MPI_COMM_WORLD,
              &worker.assign_request);
    *busy_seconds = 0.0;
    while (!worker.stopping) {
        if (worker.n_queued == 0 || failed) {
            MPI_Wait(&worker.assign_request, MPI_STATUS_IGNORE);
            worker_take_assignment(&worker);
            if (failed)
                worker.n_queued = 0;   /* after an error: only wait for STOP */
            continue;
        }
        struct ilrl_tile tile;
        ilrl_tiling_tile(&job->tiling, (size_t)worker.queue[0], &tile);
        worker.n_queued--;
        memmove(worker.queue, worker.queue + 1, (size_t)worker.n_queued * sizeof worker.queue[0]);

        double start = MPI_Wtime();
        test_stall_if_asked();
        int status = job->compute(job->ctx, &tile, values, &hooks);
        *busy_seconds += MPI_Wtime() - start;
        if (status == ILRL_EINTERRUPTED && worker.stopping)
            break;
        if (status != ILRL_OK) {
            char message[MESSAGE_SIZE];
            snprintf(message, sizeof message, "%s", ilrl_error_message());
            send_header(KIND_ERROR, (long long)tile.index, status);
            MPI_Send(message, MESSAGE_SIZE, MPI_CHAR, 0, TAG_MESSAGE, MPI_COMM_WORLD);
            failed = 1;
            continue;
        }
        send_header(KIND_RESULT, (long long)tile.index, ILRL_OK);
        MPI_Send(values, (int)tile_values(job, &tile), MPI_DOUBLE, 0, TAG_VALUES,
                 MPI_COMM_WORLD);
    }
    /* BYE carries the busy time in place of a status; nothing follows it. */
    send_header(KIND_BYE, -1, (long long)(*busy_seconds * 1e6));
    free(values);
    return ILRL_OK;
}

/* ---- rank 0 side ------------------------------------------------------------ */

struct master {
    struct ilrl_schedule_job *job;
    int n_ranks;
    size_t *todo;                 /* tiles to compute, in order */
    size_t n_todo, next_todo;
    int *outstanding;             /* per rank: tiles assigned, result not yet in */
    unsigned char *stop_sent;
    int n_bye;
    int aborting;
    double abort_time;            /* when the stop began (MPI_Wtime) */
    int status;                   /* first error or interruption */
    double *values;               /* receive buffer: one tile */
    double *busy;                 /* per rank, seconds */
};

static void master_abort(struct master *master, int status)
{
    if (master->status == ILRL_OK)
        master->status = status;
    /* Save first: a worker that never answers must not cost what rank 0
     * already holds. */
    if (!master->aborting && master->job->save != NULL)
        master->job->save(master->job->ctx, master->status);
    if (!master->aborting)
        master->abort_time = MPI_Wtime();
    master->aborting = 1;
    for (int w = 1; w < master->n_ranks; w++)
        if (!master->stop_sent[w]) {
            MPI_Send(&ASSIGN_STOP, 1, MPI_LONG_LONG, w, TAG_ASSIGN, MPI_COMM_WORLD);
            master->stop_sent[w] = 1;
        }
}

/* Gives worker w its next tile, or STOP once it has nothing left to do.
 * A second, queued tile (prefetch) is given only while at least one tile
 * per rank remains: near the end a queued tile would wait behind the
 * worker's current one while rank 0 or another worker sits idle. */
static void master_assign(struct master *master, int w)
{
    size_t remaining = master->n_todo - master->next_todo;
    if (master->stop_sent[w])
        return;
    if (!master->aborting && remaining > 0
        && (master->outstanding[w] == 0 || remaining >= (size_t)master->n_ranks)) {
        long long tile = (long long)master->todo[master->next_todo++];
        MPI_Send(&tile, 1, MPI_LONG_LONG, w, TAG_ASSIGN, MPI_COMM_WORLD);
        master->outstanding[w]++;
    } else if (master->outstanding[w] == 0) {
        MPI_Send(&ASSIGN_STOP, 1, MPI_LONG_LONG, w, TAG_ASSIGN, MPI_COMM_WORLD);
        master->stop_sent[w] = 1;
    }
}

static void master_store(struct master *master, const struct ilrl_tile *tile,
                         const double *values)
{
    int status = master->job->store(master->job->ctx, tile, values);
    if (status != ILRL_OK)
        master_abort(master, status);
}

/* Records a worker's error as rank 0's, saying where it came from. */
static void forwarded_error(const struct master *master, int w, const long long header[3],
                            const char *message)
{
    if (header[1] < 0 || (size_t)header[1] >= master->job->tiling.n_tiles) {
        ilrl_error((int)header[2], "rank %d: %s", w, message);
        return;
    }
    struct ilrl_tile tile;
    ilrl_tiling_tile(&master->job->tiling, (size_t)header[1], &tile);
    ilrl_error((int)header[2], "rank %d, tile %lld (x %zu..%zu, y %zu..%zu): %s", w, header[1],
               tile.x0, tile.x0 + tile.nx - 1, tile.y0, tile.y0 + tile.ny - 1, message);
}

/* Receives and handles one message whose header is waiting. */
static void master_serve_one(struct master *master, const MPI_Status *probe)
{
    long long header[3];
    int w = probe->MPI_SOURCE;
    MPI_Recv(header, 3, MPI_LONG_LONG, w, TAG_HEADER, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    switch (header[0]) {
    case KIND_RESULT: {
        struct ilrl_tile tile;
        ilrl_tiling_tile(&master->job->tiling, (size_t)header[1], &tile);
        MPI_Recv(master->values, (int)tile_values(master->job, &tile), MPI_DOUBLE, w,
                 TAG_VALUES, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        master->outstanding[w]--;
        master_store(master, &tile, master->values);
        master_assign(master, w);
        break;
    }
    case KIND_ERROR: {
        char message[MESSAGE_SIZE];
        MPI_Recv(message, MESSAGE_SIZE, MPI_CHAR, w, TAG_MESSAGE, MPI_COMM_WORLD,
                 MPI_STATUS_IGNORE);
        message[MESSAGE_SIZE - 1] = '\0';
        master->outstanding[w]--;
        if (master->status == ILRL_OK)
            forwarded_error(master, w, header, message);
        master_abort(master, (int)header[2]);
        break;
    }
    case KIND_INTERRUPT:
        if (master->job->stop_value == 0)
            master->job->stop_value = (int)header[2];
        master_abort(master, ILRL_EINTERRUPTED);
        break;
    case KIND_BYE:
        master->busy[w] = (double)header[2] / 1e6;
        master->n_bye++;
        break;
    default:
        master_abort(master, ilrl_error(ILRL_EFAILED, "rank %d sent an unknown message", w));
    }
}

/* Serves every message already waiting; returns nonzero if rank 0 should
 * stop computing its own tile. */
static int master_poll(void *ctx)
{
    struct master *master = ctx;
    int waiting = 1;
    MPI_Status probe;
    while (waiting) {
        MPI_Iprobe(MPI_ANY_SOURCE, TAG_HEADER, MPI_COMM_WORLD, &waiting, &probe);
        if (waiting)
            master_serve_one(master, &probe);
    }
    int stop_value = 0;
    if (!master->aborting && master->job->stop_requested != NULL
        && (stop_value = master->job->stop_requested(master->job->ctx)) != 0) {
        if (master->job->stop_value == 0)
            master->job->stop_value = stop_value;
        master_abort(master, ILRL_EINTERRUPTED);
    }
    return master->aborting;
}

static void master_idle_wait(void)
{
    struct timespec pause = {0, 200000}; /* 0.2 ms: keeps a signal noticed quickly */
    nanosleep(&pause, NULL);
}

/* A worker did not answer STOP within the grace (see schedule.h): the
 * job's last words, then every rank ends. */
static void master_give_up(struct master *master)
{
    int code = master->job->abandon != NULL
                   ? master->job->abandon(master->job->ctx, master->status)
                   : 1;
    MPI_Abort(MPI_COMM_WORLD, code);
    exit(code);   /* MPI_Abort does not return; if it did, leave anyway */
}

static int master_run(struct ilrl_schedule_job *job, double *busy)
{
    struct master master = {.job = job, .n_ranks = ilrl_schedule_size(), .busy = busy};
    struct ilrl_tile_hooks hooks = {master_poll, &master};
    size_t n_tiles = job->tiling.n_tiles;
    size_t max_values = job->tiling.tile_nx * job->tiling.tile_ny * job->n_values;
    double *own_values = malloc(max_values * sizeof *own_values);

    master.todo = malloc(n_tiles * sizeof *master.todo);
    master.outstanding = calloc((size_t)master.n_ranks, sizeof *master.outstanding);
    master.stop_sent = calloc((size_t)master.n_ranks, 1);
    master.values = malloc(max_values * sizeof *master.values);
    if (master.todo == NULL || master.outstanding == NULL || master.stop_sent == NULL
        || master.values == NULL || own_values == NULL) {
        /* Workers are waiting for an assignment: stop them before failing. */
        master.stop_sent = master.stop_sent ? master.stop_sent
                                            : calloc((size_t)master.n_ranks, 1);
        ilrl_error(ILRL_EFAILED, "rank 0: out of memory for the tile schedule");
        if (master.stop_sent == NULL)
            MPI_Abort(MPI_COMM_WORLD, ILRL_EFAILED);
        master_abort(&master, ILRL_EFAILED);
    } else {
        for (size_t t = 0; t < n_tiles; t++)
            if (job->tile_done == NULL || !job->tile_done[t])
                master.todo[master.n_todo++] = t;
        /* One round for everybody first, then the prefetch round. */
        for (int k = 0; k < MAX_QUEUED; k++)
            for (int w = 1; w < master.n_ranks; w++)
                master_assign(&master, w);
    }

    busy[0] = 0.0;
    for (;;) {
        master_poll(&master);
        if (!master.aborting && master.next_todo < master.n_todo) {
            struct ilrl_tile tile;
            ilrl_tiling_tile(&job->tiling, master.todo[master.next_todo++], &tile);
            double start = MPI_Wtime();
            int status = job->compute(job->ctx, &tile, own_values, &hooks);
            busy[0] += MPI_Wtime() - start;
            if (status == ILRL_OK) {
                master_store(&master, &tile, own_values);
            } else if (status != ILRL_EINTERRUPTED || !master.aborting) {
                if (status != ILRL_EINTERRUPTED && master.status == ILRL_OK) {
                    /* Where it happened, as for a worker's error. */
                    char message[MESSAGE_SIZE];
                    long long header[3] = {KIND_ERROR, (long long)tile.index, status};
                    snprintf(message, sizeof message, "%s", ilrl_error_message());
                    forwarded_error(&master, 0, header, message);
                }
                master_abort(&master, status);
            }
            continue;
        }
        /* Rank 0 has nothing of its own left: hand out STOPs as workers
         * finish, then wait for every BYE. */
        for (int w = 1; w < master.n_ranks; w++)
            master_assign(&master, w);
        if (master.n_bye == master.n_ranks - 1)
            break;
        if (master.aborting && MPI_Wtime() - master.abort_time > ILRL_SCHEDULE_STOP_GRACE)
            master_give_up(&master);
        int waiting = 0;
        MPI_Status probe;
        MPI_Iprobe(MPI_ANY_SOURCE, TAG_HEADER, MPI_COMM_WORLD, &waiting, &probe);
        if (waiting)
            master_serve_one(&master, &probe);
        else
            master_idle_wait();
    }
    free(own_values);
    free(master.todo);
    free(master.outstanding);
    free(master.stop_sent);
    free(master.values);
    return master.status;
}

int ilrl_schedule_run(struct ilrl_schedule_job *job)
{
    int n_ranks = ilrl_schedule_size(), rank = ilrl_schedule_rank();
    double *busy = job->busy_seconds;
    double local_busy[1];
    int status;

    if (rank == 0) {
        double *own = busy;
        if (own == NULL)
            own = calloc((size_t)n_ranks, sizeof *own);
        if (own == NULL)
            MPI_Abort(MPI_COMM_WORLD, ILRL_EFAILED);
        status = master_run(job, own);
        if (own != busy)
            free(own);
    } else {
        status = worker_run(job, local_busy);
    }
    /* Everyone leaves with rank 0's verdict. */
    MPI_Bcast(&status, 1, MPI_INT, 0, MPI_COMM_WORLD);
    return status;
}
