/* landscape.c -- owns one landscape run (see include/ilrl/landscape.h):
 * set-up on rank 0, broadcast, tile computation, checkpoints and the final
 * file.  MPI is reached only through schedule.h, NetCDF only through
 * demo_io.h and landscape_io.h. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <dirent.h>
#include <unistd.h>

#include "ilrl/demo.h"
#include "ilrl/dense_kernel.h"
#include "ilrl/demo_io.h"
#include "ilrl/error.h"
#include "ilrl/evaluator.h"
#include "ilrl/landscape.h"
#include "ilrl/landscape_io.h"
#include "ilrl/landscape_path.h"
#include "ilrl/node_share.h"
#include "ilrl/output_file.h"
#include "ilrl/env.h"
#include "ilrl/flappy.h"   /* the built-in demo is Flappy Bird's */
#include "ilrl/pilot.h"
#include "ilrl/record.h"
#include "ilrl/plane.h"
#include "ilrl/progress.h"
#include "ilrl/rollout.h"
#include "ilrl/schedule.h"
#include "ilrl/tile_journal.h"

/* Doubles per point in a finished tile: L_IL, L_RL, then L_TD and L_CQL
 * when asked for (--objectives td,cql), then with the return objective:
 * return_mean, return_std, score_mean, length_mean -- the order of
 * ilrl_landscape_point_arrays. */
#define N_LOSS_VALUES 2
#define N_RETURN_STATS 4
#define DEFAULT_HIDDEN 64       /* D,64,64,K */

/* ---- stop requests ------------------------------------------------------------- */

/* Set by the program's signal handler (ilrl_landscape_request_stop), read
 * between points on every rank; the library installs no handler. */
static volatile sig_atomic_t stop_signal = 0;

void ilrl_landscape_request_stop(int signum)
{
    stop_signal = signum > 0 ? signum : SIGTERM;
}

int ilrl_landscape_interrupt_signal(void)
{
    return (int)stop_signal;
}

/* The signal asked for, 0 if none: the scheduler forwards a worker's value
 * to rank 0, so a signal to a worker is reported as itself. */
static int stop_requested(void *ctx)
{
    (void)ctx;
    return (int)stop_signal;
}

/* ---- the shared problem: what every rank holds -------------------------------- */

/* Sizes broadcast first, so that workers can allocate before the arrays. */
struct problem_shape {
    uint64_t n_steps, n_features, n_sizes, n_params, nx, ny;
    int32_t activation;
    int32_t objective_return;    /* 1: rollouts at every point (docs/return-surface.md) */
    int32_t dense_path;          /* enum ilrl_dense_path: rank 0's decision */
    int32_t value_td, value_cql; /* td_loss, cql_loss asked for */
    int32_t td_target;           /* enum ilrl_value_target */
    double cql_alpha;
    uint64_t n_final, n_targets; /* the value plan's F and N' */
    uint64_t run_seed;           /* rollout seeds derive from it */
    int32_t node_share;          /* 1: one copy of the samples per node, 0: per
                                    rank (ILRL_NODE_SHARE=0 on rank 0) */
    int32_t unused;
    struct ilrl_rollout_options rollout;
};

struct problem {
    struct problem_shape shape;
    struct ilrl_node_share *share;  /* the node's copy of the samples (share_samples) */
    int own_samples;          /* obs, action, weight are this rank's mallocs
                                 (rank 0 until share_samples); else in the
                                 node's block */
    size_t *sizes;
    double *obs;              /* N x D */
    int *action;              /* N */
    double *weight;           /* N: RL weights */
    double *theta0, *direction_x, *direction_y;
    double *x, *y;            /* grid coordinates */
    struct ilrl_mlp *mlp;
    struct ilrl_loss_data data;
    struct ilrl_loss_work *work;
    struct ilrl_rollout_work *rollout_work;  /* objective return only */
    struct ilrl_evaluator *evaluator;        /* losses of one tile row per call */
    struct ilrl_value_plan *plan;            /* TD targets (td or cql only) */
    size_t max_row;                          /* points per evaluator call (tile_nx) */
    double *row;                             /* 6 x max_row: x, y, L_IL, L_RL, L_TD, L_CQL */
    double *theta;            /* scratch: theta at the current point */
};

static size_t values_per_point(const struct problem *problem)
{
    const struct problem_shape *s = &problem->shape;
    return N_LOSS_VALUES + (size_t)(s->value_td != 0) + (size_t)(s->value_cql != 0)
           + (s->objective_return ? N_RETURN_STATS : 0);
}

/* Where a point's return statistics start among its values. */
static size_t return_offset(const struct problem *problem)
{
    return values_per_point(problem) - N_RETURN_STATS;
}

static void problem_free(struct problem *problem)
{
    free(problem->sizes);
    if (problem->own_samples) {
        free(problem->obs);
        free(problem->action);
        free(problem->weight);
    }
    free(problem->theta0);
    free(problem->direction_x);
    free(problem->direction_y);
    free(problem->x);
    free(problem->y);
    free(problem->theta);
    ilrl_mlp_free(problem->mlp);
    ilrl_loss_work_free(problem->work);
    ilrl_rollout_work_free(problem->rollout_work);
    ilrl_evaluator_free(problem->evaluator);   /* before the block it borrows */
    ilrl_value_plan_free(problem->plan);
    free(problem->row);
    ilrl_node_share_close(problem->share);     /* collective over the node */
    memset(problem, 0, sizeof *problem);
}

/* Allocates every array from the shape (rank 0 during set-up, with the
 * samples; workers after the shape broadcast, without: theirs are in the
 * node's block, share_samples). */
static int problem_alloc_arrays(struct problem *problem, int with_samples)
{
    const struct problem_shape *s = &problem->shape;
    if (problem->sizes == NULL)
        problem->sizes = malloc(s->n_sizes * sizeof *problem->sizes);
    if (with_samples) {
        problem->own_samples = 1;
        problem->obs = malloc(s->n_steps * s->n_features * sizeof *problem->obs);
        problem->action = malloc(s->n_steps * sizeof *problem->action);
        problem->weight = malloc(s->n_steps * sizeof *problem->weight);
        if (!problem->obs || !problem->action || !problem->weight)
            return ilrl_error(ILRL_EFAILED, "rank %d: out of memory for the demonstration",
                              ilrl_schedule_rank());
    }
    if (problem->theta0 == NULL)
        problem->theta0 = malloc(s->n_params * sizeof *problem->theta0);
    if (problem->direction_x == NULL)
        problem->direction_x = malloc(s->n_params * sizeof *problem->direction_x);
    if (problem->direction_y == NULL)
        problem->direction_y = malloc(s->n_params * sizeof *problem->direction_y);
    if (problem->x == NULL)
        problem->x = malloc(s->nx * sizeof *problem->x);
    if (problem->y == NULL)
        problem->y = malloc(s->ny * sizeof *problem->y);
    problem->theta = malloc(s->n_params * sizeof *problem->theta);
    if (!problem->sizes || !problem->theta0 || !problem->direction_x || !problem->direction_y
        || !problem->x || !problem->y || !problem->theta)
        return ilrl_error(ILRL_EFAILED, "rank %d: out of memory for the demonstration and plane",
                          ilrl_schedule_rank());
    return ILRL_OK;
}

/* Builds the network and loss workspace from the arrays (every rank). */
static int problem_prepare(struct problem *problem)
{
    const struct problem_shape *s = &problem->shape;
    if (problem->mlp == NULL) {
        problem->mlp = ilrl_mlp_alloc(problem->sizes, s->n_sizes,
                                      (enum ilrl_activation)s->activation);
        if (problem->mlp == NULL)
            return ILRL_EFAILED;
    }
    problem->data.n_steps = s->n_steps;
    problem->data.n_features = s->n_features;
    problem->data.obs = problem->obs;
    problem->data.action = problem->action;
    problem->data.weight = problem->weight;
    if (problem->work == NULL)
        problem->work = ilrl_loss_work_alloc(problem->mlp, s->n_steps);
    if (problem->work == NULL)
        return ilrl_error(ILRL_EFAILED, "rank %d: out of memory for the loss workspace",
                          ilrl_schedule_rank());
    if (s->objective_return && problem->rollout_work == NULL) {
        problem->rollout_work = ilrl_rollout_work_alloc(problem->mlp, &s->rollout);
        if (problem->rollout_work == NULL)
            return ILRL_EINPUT;   /* message recorded: the network cannot play */
    }
    return ILRL_OK;
}

/* The evaluator reads the plane's directions when it is made: every rank
 * makes it once the directions are final (after the broadcast), its
 * per-sample caches in `cache` (NULL: its own), computed if `fill`
 * (evaluator.h). */
static int prepare_evaluator(struct problem *problem, double *cache, int fill)
{
    problem->evaluator = ilrl_evaluator_alloc_cached(problem->mlp, problem->theta0,
                                                     problem->direction_x, problem->direction_y,
                                                     &problem->data, problem->max_row,
                                                     (enum ilrl_dense_path)problem->shape.dense_path,
                                                     cache, fill);
    problem->row = malloc(6 * problem->max_row * sizeof *problem->row);
    if (problem->evaluator == NULL || problem->row == NULL)
        return ilrl_error(ILRL_EFAILED, "rank %d: out of memory for the evaluator",
                          ilrl_schedule_rank());
    if (problem->plan != NULL
        && ilrl_evaluator_set_value(problem->evaluator, problem->plan,
                                    problem->shape.cql_alpha) != ILRL_OK)
        return ilrl_error(ILRL_EFAILED, "rank %d: %s", ilrl_schedule_rank(),
                          ilrl_error_message());
    return ILRL_OK;
}

/* ---- one copy of the samples per node (node_share.h) ----------------------------
 * The node's block holds, doubles first so that every array is aligned:
 * obs (N x D), the RL weights (N), the evaluator's per-sample caches
 * (ilrl_evaluator_cache_size), the value plan's doubles (td or cql only:
 * ilrl_value_plan_doubles, frozen targets included), then the plan's
 * next_row (N size_t), the actions (N ints), the plan's has_target (N
 * bytes).  Rank 0 moves its own copies in (it leads node 0; its plan,
 * frozen targets included, was computed there once: every rank regresses
 * onto the same bits), sends the samples and the plan to the other writers
 * (the node leaders, or every rank with ILRL_NODE_SHARE=0), each writer
 * computes the evaluator's caches there, and after the node's sync the
 * other ranks make evaluators that borrow them.  The caches are computed
 * by the same code from the same bytes as each rank computed them before:
 * the same bits.  The plan of a rank other than 0 borrows its arrays from
 * the block from the start (value_loss.h: freeing it frees the struct
 * only); rank 0's borrows them once moved. */
struct block_layout {
    size_t n_obs, n_cache, n_plan;   /* doubles of obs, caches, plan */
    int value;                        /* the plan is in the block */
    size_t bytes;
};

static struct block_layout block_layout(const struct problem *problem)
{
    const struct problem_shape *s = &problem->shape;
    const size_t N = s->n_steps;
    struct block_layout layout = {
        .n_obs = N * s->n_features,
        .n_cache = ilrl_evaluator_cache_size(problem->mlp, problem->direction_x,
                                             problem->direction_y, N),
        .value = s->value_td || s->value_cql,
    };
    if (layout.value)
        layout.n_plan = ilrl_value_plan_doubles(N, s->n_features, s->n_final,
                                                (enum ilrl_value_target)s->td_target);
    layout.bytes = (layout.n_obs + N + layout.n_cache + layout.n_plan) * sizeof(double)
                   + N * sizeof(int)
                   + (layout.value ? N * (sizeof(size_t) + 1) : 0);
    return layout;
}

static int share_samples(struct problem *problem)
{
    const struct problem_shape *s = &problem->shape;
    const size_t N = s->n_steps;
    const struct block_layout layout = block_layout(problem);
    const size_t n_obs = layout.n_obs, n_cache = layout.n_cache, n_plan = layout.n_plan;
    int rank = ilrl_schedule_rank(), writer = 0, status;
    void *base = NULL;
    status = ilrl_node_share_alloc(problem->share, layout.bytes, s->node_share, &base, &writer);
    if ((status = ilrl_schedule_agree(status)) != ILRL_OK)
        return status;
    if (s->node_share && !ilrl_node_share_shared(problem->share) && rank == 0)
        ilrl_notice("one copy of the data per rank: a node cannot hold a shared-memory window of %.1f MiB (file size limit or room in /dev/shm)",
                    (double)layout.bytes / 1048576.0);
    double *obs = base, *weight = obs + n_obs, *cache = weight + N;
    double *plan_doubles = cache + n_cache;
    size_t *next_row = (size_t *)(plan_doubles + n_plan);
    int *action = (int *)(layout.value ? next_row + N : next_row);
    unsigned char *has_target = (unsigned char *)(action + N);
    if (rank == 0) {
        memcpy(obs, problem->obs, n_obs * sizeof *obs);
        memcpy(weight, problem->weight, N * sizeof *weight);
        memcpy(action, problem->action, N * sizeof *action);
        ilrl_evaluator_move_cache(problem->evaluator, cache);
        if (layout.value)
            ilrl_value_plan_move(problem->plan, plan_doubles, next_row, has_target);
        free(problem->obs);
        free(problem->weight);
        free(problem->action);
        problem->own_samples = 0;
    } else if (layout.value) {
        status = ilrl_value_plan_borrow(N, s->n_features, s->n_final, s->n_targets,
                                        s->rollout.gamma, (enum ilrl_value_target)s->td_target,
                                        plan_doubles, next_row, has_target, &problem->plan);
        if (status != ILRL_OK)
            status = ilrl_error(ILRL_EFAILED, "rank %d: out of memory for the TD targets", rank);
    }
    if ((status = ilrl_schedule_agree(status)) != ILRL_OK)
        return status;
    problem->data.obs = problem->obs = obs;
    problem->data.weight = problem->weight = weight;
    problem->data.action = problem->action = action;
    if ((status = ilrl_node_share_broadcast(problem->share, obs, n_obs * sizeof *obs)) != ILRL_OK
        || (status = ilrl_node_share_broadcast(problem->share, weight, N * sizeof *weight)) != ILRL_OK
        || (status = ilrl_node_share_broadcast(problem->share, action, N * sizeof *action)) != ILRL_OK
        || (layout.value
            && ((status = ilrl_node_share_broadcast(problem->share, plan_doubles,
                                                    n_plan * sizeof *plan_doubles)) != ILRL_OK
                || (status = ilrl_node_share_broadcast(problem->share, next_row,
                                                       N * sizeof *next_row)) != ILRL_OK
                || (status = ilrl_node_share_broadcast(problem->share, has_target, N)) != ILRL_OK)))
        return ilrl_schedule_agree(status);
    if (writer && rank != 0)
        status = prepare_evaluator(problem, cache, 1);
    int synced = ilrl_node_share_sync(problem->share);
    status = status != ILRL_OK ? status : synced;
    if (status == ILRL_OK && !writer)
        status = prepare_evaluator(problem, cache, 0);
    return ilrl_schedule_agree(status);
}

static int broadcast_problem(struct problem *problem)
{
    int rank = ilrl_schedule_rank(), status;
    const struct problem_shape *s = &problem->shape;

    if ((status = ilrl_schedule_broadcast(&problem->shape, sizeof problem->shape)) != ILRL_OK)
        return status;
    status = rank == 0 ? ILRL_OK : problem_alloc_arrays(problem, 0);
    if ((status = ilrl_schedule_agree(status)) != ILRL_OK)
        return status;
    struct { void *data; size_t bytes; } arrays[] = {
        {problem->sizes, s->n_sizes * sizeof *problem->sizes},
        {problem->theta0, s->n_params * sizeof *problem->theta0},
        {problem->direction_x, s->n_params * sizeof *problem->direction_x},
        {problem->direction_y, s->n_params * sizeof *problem->direction_y},
        {problem->x, s->nx * sizeof *problem->x},
        {problem->y, s->ny * sizeof *problem->y},
    };
    for (size_t k = 0; k < sizeof arrays / sizeof arrays[0]; k++)
        if ((status = ilrl_schedule_broadcast(arrays[k].data, arrays[k].bytes)) != ILRL_OK)
            return status;
    status = rank == 0 ? ILRL_OK : problem_prepare(problem);
    if ((status = ilrl_schedule_agree(status)) != ILRL_OK)
        return status;
    return share_samples(problem);   /* the samples, and every evaluator */
}

struct rank_facts;

/* Rank 0's state during the run. */
struct run {
    const struct ilrl_landscape_options *options;
    struct problem problem;
    struct ilrl_landscape *landscape;   /* rank 0 */
    struct ilrl_tiling tiling;
    unsigned char *tile_done;           /* rank 0: resumed tiles */
    char *partial;                      /* OUT.partial */
    struct ilrl_progress progress;
    double start_time, last_checkpoint;
    size_t new_tiles;                   /* finished since the last checkpoint */
    /* Tile journal (see "checkpoints" below): OUT.partial.journal. */
    struct ilrl_tile_journal *journal;  /* NULL until the first tile */
    char *journal_path;
    uint64_t disk_checkpoint;           /* fingerprint of OUT.partial on disk, 0 = none */
    int journal_broken;                 /* cannot be written: full checkpoints only */
    double last_sync;
    size_t n_samples;
    double peak_rss_mib;                /* largest over ranks, for the summary */
    struct rank_facts *facts;           /* rank 0: every rank's, by rank */
    double cosine_il_td, cosine_rl_td;  /* rank 0: gradient cosines at theta0 */
    struct ilrl_landscape_paths paths;  /* rank 0: theta0's file, training paths */
};

/* ---- what rank 0 decides for every rank ------------------------------------------ */

/* One rank's facts, gathered on rank 0 before set-up: rank 0 decides from
 * all of them, so ranks on unlike nodes cannot disagree (landscape.h). */
struct rank_facts {
    double available_bytes;   /* memory this rank may still take; 0 = unknown */
    int32_t avx512;           /* its CPU runs the fused dense kernel */
    int32_t node;             /* its node (node_share.h): ranks of one node
                                 share its memory */
    char host[48];            /* the node's host name, for messages */
};

/* Test-only overrides, honoured by the named ranks alone, so that a test on
 * one machine can make ranks disagree as unlike nodes would.  An entry is a
 * rank number, or a host name: every rank on that node (gethostname; the
 * emulated cluster's nodes have their own, tests/slurm/check-cluster.sh):
 *   ILRL_TEST_PRETEND_NO_AVX512=E[,E...]  these ranks say their CPU lacks
 *                                         AVX-512;
 *   ILRL_TEST_PRETEND_MEMORY_MB=E:MB      these ranks say MB MiB are
 *                                         available (on their node). */
static int names_rank(const char *list, int rank, const char *host, const char **after)
{
    while (list != NULL && *list != '\0') {
        const char *end = list + strcspn(list, ",:");
        int named;
        if (*list >= '0' && *list <= '9') {
            char *number_end = NULL;
            named = strtol(list, &number_end, 10) == rank && number_end == end;
        } else {
            named = host != NULL && strlen(host) == (size_t)(end - list)
                    && strncmp(list, host, (size_t)(end - list)) == 0;
        }
        if (named) {
            if (after != NULL)
                *after = end;
            return 1;
        }
        if (*end == ':')   /* E:MB: skip the value */
            end += strcspn(end, ",");
        list = *end == ',' ? end + 1 : NULL;
    }
    return 0;
}

/* MemAvailable of /proc/meminfo (memory the kernel can hand out without
 * swapping), bounded by this process's cgroup (v2: memory.max minus what it
 * holds besides reclaimable file cache: a Slurm job's or a container's
 * limit) and RLIMIT_AS; 80% of physical memory when /proc says nothing. */
static double read_number(const char *dir, const char *name, const char *key)
{
    char path[700], line[256];
    double value = -1.0;
    snprintf(path, sizeof path, "/sys/fs/cgroup%s/%s", dir, name);
    FILE *file = fopen(path, "r");
    if (file == NULL)
        return -1.0;
    size_t key_length = key != NULL ? strlen(key) : 0;
    while (fgets(line, sizeof line, file) != NULL)
        if (key == NULL || (strncmp(line, key, key_length) == 0 && line[key_length] == ' ')) {
            if (sscanf(line + key_length, "%lf", &value) != 1)
                value = -1.0;
            break;
        }
    fclose(file);
    return value;
}

static double cgroup_room(void)
{
    char line[512];
    double room = 0.0;
    FILE *file = fopen("/proc/self/cgroup", "r");
    if (file == NULL)
        return 0.0;
    while (fgets(line, sizeof line, file) != NULL) {
        line[strcspn(line, "\n")] = '\0';
        double max = -1.0, current = -1.0, cache = -1.0;
        char dir[600];
        char *v1 = strstr(line, ":memory:");
        if (strncmp(line, "0::", 3) == 0) {                 /* v2 */
            max = read_number(line + 3, "memory.max", NULL);   /* "max": -1 */
            current = read_number(line + 3, "memory.current", NULL);
            cache = read_number(line + 3, "memory.stat", "file");
        } else if (v1 != NULL) {                            /* v1 */
            snprintf(dir, sizeof dir, "/memory%s", v1 + 8);
            if (read_number(dir, "memory.limit_in_bytes", NULL) < 0)
                snprintf(dir, sizeof dir, "/memory");   /* a container's own root */
            max = read_number(dir, "memory.limit_in_bytes", NULL);
            current = read_number(dir, "memory.usage_in_bytes", NULL);
            cache = read_number(dir, "memory.stat", "cache");
        }
        if (max > 0 && current >= 0) {
            double held = current - (cache > 0 ? cache : 0.0);
            double here = max > held ? max - held : 1.0;
            room = room > 0.0 && room < here ? room : here;
        }
    }
    fclose(file);
    return room;
}

static double available_memory(void)
{
    double available = 0.0;
    char line[256];
    FILE *file = fopen("/proc/meminfo", "r");
    if (file != NULL) {
        unsigned long long kib;
        while (fgets(line, sizeof line, file) != NULL)
            if (sscanf(line, "MemAvailable: %llu kB", &kib) == 1)
                available = 1024.0 * (double)kib;
        fclose(file);
    }
    if (available <= 0.0) {
        long pages = sysconf(_SC_PHYS_PAGES), page_size = sysconf(_SC_PAGE_SIZE);
        available = pages > 0 && page_size > 0 ? 0.8 * (double)pages * (double)page_size : 0.0;
    }
    double room = cgroup_room();
    if (room > 0.0 && (available <= 0.0 || room < available))
        available = room;
    struct rlimit limit;
    if (getrlimit(RLIMIT_AS, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY) {
        double used = 0.0, kib;
        file = fopen("/proc/self/status", "r");
        if (file != NULL) {
            while (fgets(line, sizeof line, file) != NULL)
                if (sscanf(line, "VmSize: %lf kB", &kib) == 1)
                    used = 1024.0 * kib;
            fclose(file);
        }
        double left = (double)limit.rlim_cur > used ? (double)limit.rlim_cur - used : 1.0;
        if (available <= 0.0 || left < available)
            available = left;
    }
    return available;
}

static struct rank_facts own_facts(const struct ilrl_node_share *share)
{
    int rank = ilrl_schedule_rank();
    const char *after = NULL, *host = ilrl_node_share_host(share);
    struct rank_facts facts = {
        .available_bytes = available_memory(),
        .avx512 = ilrl_dense_kernel_cpu_supported(),
        .node = ilrl_node_share_node(share),
    };
    snprintf(facts.host, sizeof facts.host, "%s", host);
    if (names_rank(getenv("ILRL_TEST_PRETEND_NO_AVX512"), rank, host, NULL))
        facts.avx512 = 0;
    if (names_rank(getenv("ILRL_TEST_PRETEND_MEMORY_MB"), rank, host, &after) && *after == ':')
        facts.available_bytes = atof(after + 1) * 1048576.0;
    return facts;
}

/* One copy of the samples per node unless rank 0's environment says
 * ILRL_NODE_SHARE=0 (one per rank, the way before node_share.h: kept to
 * measure the difference, tests/bench.sh). */
static int32_t node_share_wanted(void)
{
    const char *value = getenv("ILRL_NODE_SHARE");
    return value == NULL || strcmp(value, "0") != 0;
}

/* The dense path: the fused kernel only if rank 0 wants it (its CPU and
 * ILRL_DENSE_KERNEL) and every rank's CPU runs it. */
static int32_t decide_dense_path(const struct rank_facts *facts, int n_ranks)
{
    int all = ilrl_evaluator_wanted_path() == ILRL_DENSE_AVX512;
    for (int r = 0; r < n_ranks; r++)
        all = all && facts[r].avx512;
    return all ? ILRL_DENSE_AVX512 : ILRL_DENSE_DGEMM;
}

/* The value plan's bytes (td or cql only; 0 without): exactly its part of
 * the node's block (block_layout), F x D final observations included. */
static double plan_bytes(const struct problem *problem)
{
    const struct problem_shape *s = &problem->shape;
    if (!s->value_td && !s->value_cql)
        return 0.0;
    return 8.0 * (double)ilrl_value_plan_doubles(s->n_steps, s->n_features, s->n_final,
                                                 (enum ilrl_value_target)s->td_target)
           + (double)s->n_steps * (double)(sizeof(size_t) + 1);
}

/* Bytes every rank held before node_share.h, once set up: the demo's
 * arrays and the value plan (sample_bytes: one copy per node now), theta0
 * and the directions, the grid coordinates, the loss workspace, the
 * evaluator and two tiles of values. */
static double work_bytes(const struct problem *problem, const struct ilrl_landscape_options *options)
{
    const struct problem_shape *s = &problem->shape;
    const struct ilrl_mlp *mlp = problem->mlp;
    double N = (double)s->n_steps, D = (double)s->n_features, P = (double)s->n_params;
    double block = N < ILRL_LOSS_BLOCK ? N : ILRL_LOSS_BLOCK, widths = 0.0;
    for (size_t l = 0; l <= mlp->n_layers; l++)
        widths += (double)mlp->sizes[l];
    double values = (double)values_per_point(problem);
    /* the value plan, and the evaluator's "same" storage: per point of a
     * group of 8 in flight, Q(s_t, a_t) and max Q (N + F), and the targets
     * (N): about 17 N doubles */
    double plan = plan_bytes(problem);
    if (plan > 0.0 && s->td_target == ILRL_VALUE_TARGET_SAME)
        plan += 8.0 * (17.0 * N + 8.0 * (double)s->n_final);
    return plan + N * (8.0 * D + 4.0 + 8.0) + 8.0 * 6.0 * P + 8.0 * ((double)s->nx + (double)s->ny)
           + 8.0 * 4.0 * block * widths
           + ilrl_evaluator_bytes(mlp, s->n_steps, problem->max_row)
           + 8.0 * (2.0 * (double)options->tile_nx * (double)options->tile_ny * values
                    + 4.0 * (double)problem->max_row);
}

/* "1.5 GiB" or "12.3 MiB". */
static const char *format_bytes(double bytes, char *buf, size_t buf_size)
{
    if (bytes >= 1073741824.0)
        snprintf(buf, buf_size, "%.1f GiB", bytes / 1073741824.0);
    else
        snprintf(buf, buf_size, "%.1f MiB", bytes / 1048576.0);
    return buf;
}

/* The bytes of the samples, the evaluator's caches (the bound of
 * ilrl_evaluator_bytes: N (3 widest + 2) doubles) and the value plan: what
 * one node holds once (share_samples), and what work_bytes counts for
 * every rank. */
static double sample_bytes(const struct problem *problem)
{
    const struct problem_shape *s = &problem->shape;
    const struct ilrl_mlp *mlp = problem->mlp;
    double N = (double)s->n_steps, widest = 1.0;
    for (size_t l = 0; l <= mlp->n_layers; l++)
        widest = (double)mlp->sizes[l] > widest ? (double)mlp->sizes[l] : widest;
    return N * (8.0 * (double)s->n_features + 4.0 + 8.0) + 8.0 * N * (3.0 * widest + 2.0)
           + plan_bytes(problem);
}

/* Refuses, before anything large is allocated, what some node cannot hold:
 * a failed allocation deep in BLAS may retry forever instead of failing,
 * and a rank that dies alone leaves the others in a collective.  The ranks
 * of a node share its memory: a node needs the samples once (or once per
 * rank with ILRL_NODE_SHARE=0), each rank's own work, and on rank 0's node
 * the grid and the demo rank 0 read; it has the least any of its ranks
 * reports, and that rank is named in a refusal. */
static int decide_memory(const struct run *run, const struct ilrl_demo *demo, const char *origin)
{
    const struct problem_shape *s = &run->problem.shape;
    const struct ilrl_landscape_options *options = run->options;
    const int n_ranks = ilrl_schedule_size();
    char need_text[32], available_text[32];
    double work = work_bytes(&run->problem, options);
    double samples = sample_bytes(&run->problem);
    double own = work > samples ? work - samples : 0.0;
    double values = (double)values_per_point(&run->problem);
    /* Rank 0 also holds the grid (values and mask per point, twice while
     * writing) and the demo it read. */
    double points = (double)s->nx * (double)s->ny;
    double grid = 2.0 * points * (8.0 * values + 1.0);
    double demo_bytes = (double)demo->n_steps * (8.0 * (double)demo->n_features + 4.0 + 8.0);
    for (int node = 0, more = 1; more; node++) {
        int ranks = 0, smallest = -1;
        more = 0;
        for (int r = 0; r < n_ranks; r++) {
            more |= run->facts[r].node > node;
            if (run->facts[r].node != node)
                continue;
            ranks++;
            double available = run->facts[r].available_bytes;
            if (available > 0.0 && (smallest < 0 || available < run->facts[smallest].available_bytes))
                smallest = r;
        }
        if (smallest < 0)
            continue;   /* no rank there, or none knows its memory */
        double data = s->node_share ? samples : samples * ranks;
        double need = data + own * ranks + (node == 0 ? demo_bytes + grid : 0.0);
        double available = run->facts[smallest].available_bytes;
        if (need <= available)
            continue;
        if (node == 0 && grid > need - grid)
            return ilrl_error(ILRL_EUSAGE, "--nx %zu --ny %zu: the grid needs %s on rank 0, more than the %s available there",
                              (size_t)s->nx, (size_t)s->ny,
                              format_bytes(need, need_text, sizeof need_text),
                              format_bytes(available, available_text, sizeof available_text));
        if (ranks == 1)
            return ilrl_error(ILRL_EFAILED, "rank %d: the demonstration %s (%zu steps x %zu features) and the evaluator need %s, more than the %s available there",
                              smallest, origin, demo->n_steps, demo->n_features,
                              format_bytes(need, need_text, sizeof need_text),
                              format_bytes(available, available_text, sizeof available_text));
        return ilrl_error(ILRL_EFAILED, "rank %d: the demonstration %s (%zu steps x %zu features, %s) and the evaluators and tiles of the %d ranks on %s need %s, more than the %s available there",
                          smallest, origin, demo->n_steps, demo->n_features,
                          s->node_share ? "one copy per node" : "one copy per rank", ranks,
                          run->facts[smallest].host,
                          format_bytes(need, need_text, sizeof need_text),
                          format_bytes(available, available_text, sizeof available_text));
    }
    return ILRL_OK;
}

/* ---- rank 0's set-up ------------------------------------------------------------ */

/* FNV-1a, 64 bits: a fingerprint of the demo's arrays for --resume (not a
 * security hash; it tells "same data" from "other data"). */
static uint64_t fnv1a(uint64_t hash, const void *data, size_t n_bytes)
{
    const unsigned char *bytes = data;
    for (size_t k = 0; k < n_bytes; k++) {
        hash ^= bytes[k];
        hash *= UINT64_C(1099511628211);
    }
    return hash;
}

static void demo_checksum(const struct ilrl_demo *demo, char *buf, size_t buf_size)
{
    uint64_t hash = UINT64_C(14695981039346656037);
    uint64_t sizes[3] = {demo->n_steps, demo->n_features, demo->n_episodes};
    int32_t n_actions = demo->n_actions;
    hash = fnv1a(hash, sizes, sizeof sizes);
    hash = fnv1a(hash, &n_actions, sizeof n_actions);
    hash = fnv1a(hash, demo->obs, demo->n_steps * demo->n_features * sizeof *demo->obs);
    hash = fnv1a(hash, demo->action, demo->n_steps * sizeof *demo->action);
    hash = fnv1a(hash, demo->reward, demo->n_steps * sizeof *demo->reward);
    hash = fnv1a(hash, demo->episode_length, demo->n_episodes * sizeof *demo->episode_length);
    hash = fnv1a(hash, demo->terminated, demo->n_episodes * sizeof *demo->terminated);
    /* final_obs decides TD targets; a demo without it keeps its old digest */
    if (demo->final_obs != NULL)
        hash = fnv1a(hash, demo->final_obs,
                     demo->n_episodes * demo->n_features * sizeof *demo->final_obs);
    snprintf(buf, buf_size, "fnv1a64:%016" PRIx64, hash);
}

int ilrl_landscape_builtin_demo(struct ilrl_demo **demo)
{
    struct ilrl_pilot *pilot = NULL;
    struct ilrl_record_options record = {
        .n_episodes = 1, .max_steps = 3000, .seed = 1, .scheme = ILRL_REWARD_SPARSE,
        .fps = 30.0,
    };
    int status = ilrl_pilot_parse("poor", 1, &pilot);
    if (status == ILRL_OK)
        status = ilrl_record_session(pilot, &record, demo);
    ilrl_pilot_free(pilot);
    return status;
}

static int load_demo(const struct ilrl_landscape_options *options, struct ilrl_demo **demo)
{
    if (options->demo_path != NULL)
        return ilrl_demo_read(options->demo_path, demo);
    return ilrl_landscape_builtin_demo(demo);
}

static int network_sizes(const struct ilrl_landscape_options *options,
                         const struct ilrl_demo *demo, const char *origin,
                         size_t **sizes, size_t *n_sizes)
{
    if (options->layers == NULL) {
        *sizes = malloc(4 * sizeof **sizes);
        if (*sizes == NULL)
            return ilrl_error(ILRL_EFAILED, "out of memory");
        (*sizes)[0] = demo->n_features;
        (*sizes)[1] = (*sizes)[2] = DEFAULT_HIDDEN;
        (*sizes)[3] = (size_t)demo->n_actions;
        *n_sizes = 4;
        return ILRL_OK;
    }
    int status = ilrl_mlp_parse_layers(options->layers, sizes, n_sizes);
    if (status != ILRL_OK)
        return ilrl_error(status, "--layers: %s", ilrl_error_message());
    if ((*sizes)[0] != demo->n_features || (*sizes)[*n_sizes - 1] != (size_t)demo->n_actions) {
        status = ilrl_error(ILRL_EUSAGE,
                            "--layers %s: the network must start with D = %zu features and end with K = %d actions of %s",
                            options->layers, demo->n_features, demo->n_actions, origin);
        free(*sizes);
        *sizes = NULL;
    }
    return status;
}

static void default_ranges(const struct ilrl_landscape_options *options,
                           enum ilrl_plane_kind kind, double range[4])
{
    if (options->ranges_given) {
        range[0] = options->x_min;
        range[1] = options->x_max;
        range[2] = options->y_min;
        range[3] = options->y_max;
        return;
    }
    double half = kind == ILRL_PLANE_WEIGHTS ? ILRL_WEIGHTS_RANGE : ILRL_DIRECTION_RANGE;
    range[0] = range[2] = -half;
    range[1] = range[3] = half;
}

/* Evenly spaced coordinates, computed from the index (no accumulation), so
 * every grid size gives exact end points. */
static void linspace(double min, double max, size_t n, double *out)
{
    if (n == 1) {
        out[0] = min;
        return;
    }
    for (size_t k = 0; k < n; k++)
        out[k] = min + (max - min) * (double)k / (double)(n - 1);
    out[n - 1] = max;
}

static char *partial_path(const char *out_path)
{
    size_t n = strlen(out_path) + sizeof ".partial";
    char *path = malloc(n);
    if (path != NULL)
        snprintf(path, n, "%s.partial", out_path);
    return path;
}

static int path_exists(const char *path)
{
    struct stat info;
    return stat(path, &info) == 0;
}

/* The first computed point holding a non-finite value, in storage order. */
struct nonfinite {
    size_t count;             /* such points */
    size_t i, j;              /* the first one's indices */
    const char *array;        /* its first non-finite array */
    double value;
};

static int find_nonfinite(const struct ilrl_landscape *landscape, struct nonfinite *bad)
{
    const char *names[ILRL_LANDSCAPE_MAX_POINT_ARRAYS];
    double *arrays[ILRL_LANDSCAPE_MAX_POINT_ARRAYS];
    size_t n_arrays = ilrl_landscape_point_arrays(landscape, arrays);
    ilrl_landscape_point_array_names(landscape, names);
    bad->count = 0;
    for (size_t p = 0; p < landscape->nx * landscape->ny; p++) {
        if (!landscape->computed[p])
            continue;
        for (size_t k = 0; k < n_arrays; k++)
            if (!isfinite(arrays[k][p])) {
                if (bad->count == 0) {
                    bad->i = p % landscape->nx;
                    bad->j = p / landscape->nx;
                    bad->array = names[k];
                    bad->value = arrays[k][p];
                }
                bad->count++;
                break;
            }
    }
    return bad->count > 0;
}

/* "il,rl[,td][,cql][,return]": the objectives a landscape holds. */
static void objectives_list(const struct ilrl_landscape *landscape, char *buf, size_t size)
{
    snprintf(buf, size, "il,rl%s%s%s", landscape->td_loss != NULL ? ",td" : "",
             landscape->cql_loss != NULL ? ",cql" : "",
             landscape->return_mean != NULL ? ",return" : "");
}

/* "--seed 3", "network file net.nc", "run.nc checkpoint 4": where theta0
 * came from, for the resume check's message. */
static void theta_origin(const struct ilrl_landscape_meta *meta, char *buf, size_t size)
{
    if (meta->theta_file[0] == '\0')
        snprintf(buf, size, "--seed %ld", meta->init_seed);
    else if (meta->theta_checkpoint < 0)
        snprintf(buf, size, "network file %s", meta->theta_file);
    else
        snprintf(buf, size, "%s checkpoint %ld", meta->theta_file, meta->theta_checkpoint);
}

/* theta0's source: a checkpoint's and this run's must be the same. */
static int check_resume_theta(const char *path, const struct ilrl_landscape_meta *a,
                              const struct ilrl_landscape_meta *b)
{
    char saved[4200], wanted[4200];
    if (strcmp(a->theta_file, b->theta_file) == 0 && a->theta_checkpoint == b->theta_checkpoint)
        return ILRL_OK;
    theta_origin(a, saved, sizeof saved);
    theta_origin(b, wanted, sizeof wanted);
    return ilrl_error(ILRL_EUSAGE, "--resume: %s was made with theta0 from %s, this run takes it from %s",
                      path, saved, wanted);
}

/* The path shown: a checkpoint's and this run's must be the same (its
 * values are computed afresh by every run, so only the choice matters). */
static int check_resume_path(const char *path, const struct ilrl_landscape_meta *a,
                             const struct ilrl_landscape_meta *b)
{
    if (strcmp(a->path_file, b->path_file) == 0 && strcmp(a->path_phase, b->path_phase) == 0)
        return ILRL_OK;
    return ilrl_error(ILRL_EUSAGE, "--resume: %s was made with the path %s%s%s, this run asks for %s%s%s",
                      path, a->path_file[0] ? a->path_file : "(none)", a->path_file[0] ? ":" : "",
                      a->path_phase, b->path_file[0] ? b->path_file : "(none)",
                      b->path_file[0] ? ":" : "", b->path_phase);
}

/* The settings a checkpoint must share with the run that resumes it. */
static int check_resume_settings(const char *path, const struct ilrl_landscape *saved,
                                 const struct ilrl_landscape *wanted)
{
    const struct ilrl_landscape_meta *a = &saved->meta, *b = &wanted->meta;
    int theta_status = check_resume_theta(path, a, b);
    if (theta_status == ILRL_OK)
        theta_status = check_resume_path(path, a, b);
    if (theta_status != ILRL_OK)
        return theta_status;
    struct { const char *option, *saved, *wanted; } strings[] = {
        {"demo (checksum)", a->demo_checksum, b->demo_checksum},
        {"--activation", a->activation, b->activation},
        {"--plane", a->plane, b->plane},
        {"--rl-weight", a->rl_weight, b->rl_weight},
        {"--objective", a->objective, b->objective},
    };
    for (size_t k = 0; k < sizeof strings / sizeof strings[0]; k++)
        if (strcmp(strings[k].saved, strings[k].wanted) != 0)
            return ilrl_error(ILRL_EUSAGE, "--resume: %s was made with %s %s, this run asks for %s",
                              path, strings[k].option, strings[k].saved, strings[k].wanted);
    if (a->n_layer_sizes != b->n_layer_sizes
        || memcmp(a->layer_sizes, b->layer_sizes, a->n_layer_sizes * sizeof *a->layer_sizes) != 0)
        return ilrl_error(ILRL_EUSAGE, "--resume: %s was made with other --layers", path);
    if (strcmp(b->objective, "return") == 0
        && (a->rollouts != b->rollouts || a->rollout_steps != b->rollout_steps
            || strcmp(a->rollout_policy, b->rollout_policy) != 0))
        return ilrl_error(ILRL_EUSAGE, "--resume: %s was made with --rollouts %ld --rollout-steps %ld --rollout-policy %s, this run asks for %ld, %ld, %s",
                          path, a->rollouts, a->rollout_steps, a->rollout_policy,
                          b->rollouts, b->rollout_steps, b->rollout_policy);
    char saved_list[64], wanted_list[64];
    objectives_list(saved, saved_list, sizeof saved_list);
    objectives_list(wanted, wanted_list, sizeof wanted_list);
    if (strcmp(saved_list, wanted_list) != 0)
        return ilrl_error(ILRL_EUSAGE, "--resume: %s was made with --objectives %s, this run asks for %s",
                          path, saved_list, wanted_list);
    if ((wanted->td_loss != NULL || wanted->cql_loss != NULL)
        && strcmp(a->td_target, b->td_target) != 0)
        return ilrl_error(ILRL_EUSAGE, "--resume: %s was made with --td-target %s, this run asks for %s",
                          path, a->td_target, b->td_target);
    if (wanted->cql_loss != NULL && a->cql_alpha != b->cql_alpha)
        return ilrl_error(ILRL_EUSAGE, "--resume: %s was made with --cql-alpha %g, this run asks for %g",
                          path, a->cql_alpha, b->cql_alpha);
    if (a->init_seed != b->init_seed)
        return ilrl_error(ILRL_EUSAGE, "--resume: %s was made with --seed %ld, this run asks for %ld",
                          path, a->init_seed, b->init_seed);
    if (a->gamma != b->gamma)
        return ilrl_error(ILRL_EUSAGE, "--resume: %s was made with --gamma %g, this run asks for %g",
                          path, a->gamma, b->gamma);
    if (saved->nx != wanted->nx || saved->ny != wanted->ny)
        return ilrl_error(ILRL_EUSAGE, "--resume: %s has a %zu x %zu grid, this run asks for %zu x %zu",
                          path, saved->nx, saved->ny, wanted->nx, wanted->ny);
    if (memcmp(saved->x, wanted->x, wanted->nx * sizeof *wanted->x) != 0
        || memcmp(saved->y, wanted->y, wanted->ny * sizeof *wanted->y) != 0)
        return ilrl_error(ILRL_EUSAGE, "--resume: %s was made with other --x-range/--y-range", path);
    if (saved->n_params != wanted->n_params
        || memcmp(saved->theta0, wanted->theta0, wanted->n_params * sizeof *wanted->theta0) != 0
        || memcmp(saved->direction_x, wanted->direction_x, wanted->n_params * sizeof(double)) != 0
        || memcmp(saved->direction_y, wanted->direction_y, wanted->n_params * sizeof(double)) != 0)
        return ilrl_error(ILRL_EUSAGE, "--resume: %s has another theta0 or plane directions", path);
    /* What would mix results without changing a setting: the demo's reward
     * scheme (the return surface replays it; the checksum covers the
     * arrays, not the attribute), the dense path (the two agree to ~1e-15,
     * not bit for bit), and values that no run of ours stores as computed. */
    if (strcmp(b->objective, "return") == 0 && strcmp(a->reward_scheme, b->reward_scheme) != 0)
        return ilrl_error(ILRL_EINPUT, "--resume: %s was made with a demonstration whose reward_scheme is \"%s\", this run's is \"%s\"",
                          path, a->reward_scheme, b->reward_scheme);
    if (strcmp(a->dense_kernel, b->dense_kernel) != 0)
        return ilrl_error(ILRL_EINPUT, "--resume: %s was made with dense_kernel \"%s\", this run computes with \"%s\" (the two differ in the last bits)",
                          path, a->dense_kernel[0] ? a->dense_kernel : "unrecorded", b->dense_kernel);
    struct nonfinite bad;
    if (find_nonfinite(saved, &bad))
        return ilrl_error(ILRL_EINPUT, "--resume: %s holds a non-finite %s (%g) at point (i, j) = (%zu, %zu), marked computed: it cannot be continued (start over with --force)",
                          path, bad.array, bad.value, bad.i, bad.j);
    return ILRL_OK;
}


static int set_meta(struct run *run, const struct ilrl_demo *demo, const char *origin,
                    const struct ilrl_plane_spec *plane, double gradient_cosine)
{
    const struct ilrl_landscape_options *options = run->options;
    struct ilrl_landscape_meta *meta = &run->landscape->meta;
    const struct problem *problem = &run->problem;
    char text[256], checksum[64];
    int status = ILRL_OK;

    meta->layer_sizes = malloc(problem->shape.n_sizes * sizeof *meta->layer_sizes);
    if (meta->layer_sizes == NULL)
        return ilrl_error(ILRL_EFAILED, "out of memory");
    meta->n_layer_sizes = problem->shape.n_sizes;
    for (size_t k = 0; k < meta->n_layer_sizes; k++)
        meta->layer_sizes[k] = (int)problem->sizes[k];
    meta->init_seed = (long)options->seed;
    meta->gamma = options->gamma;
    meta->n_steps = (long)demo->n_steps;
    meta->n_episodes = (long)demo->n_episodes;
    meta->gradient_cosine = gradient_cosine;
    meta->mpi_ranks = ilrl_schedule_size();
    meta->tile[0] = (int)run->tiling.tile_ny;
    meta->tile[1] = (int)run->tiling.tile_nx;

    snprintf(text, sizeof text, "IL and RL loss landscapes of %s (pilot %s)", origin,
             demo->pilot[0] ? demo->pilot : "unknown");
    status |= ilrl_landscape_set_string(&meta->title, text);
    status |= ilrl_landscape_set_string(&meta->history, options->command_line);
    snprintf(text, sizeof text, "%s %s", "ilrl-landscape", PACKAGE_VERSION);
    status |= ilrl_landscape_set_string(&meta->source, text);
    status |= ilrl_landscape_set_string(&meta->activation,
                                        ilrl_activation_name(problem->mlp->activation));
    ilrl_plane_format(plane, text, sizeof text);
    status |= ilrl_landscape_set_string(&meta->plane, text);
    ilrl_rl_weight_format(options->rl_weight, text, sizeof text);
    status |= ilrl_landscape_set_string(&meta->rl_weight, text);
    status |= ilrl_landscape_set_string(&meta->demo_file, origin);
    demo_checksum(demo, checksum, sizeof checksum);
    status |= ilrl_landscape_set_string(&meta->demo_checksum, checksum);
    status |= ilrl_landscape_set_string(&meta->objective,
                                        options->objective_return ? "return" : "losses");
    if (problem->plan != NULL) {
        meta->td_steps = (long)problem->plan->n_targets;
        meta->td_left_out = (long)problem->plan->n_left_out;
        meta->cql_alpha = options->objective_cql ? options->cql_alpha : NAN;
        status |= ilrl_landscape_set_string(&meta->td_target,
                                            ilrl_value_target_name(options->td_target));
    }
    if (options->objective_return) {
        meta->rollouts = (long)options->rollouts;
        meta->rollout_steps = options->rollout_steps;
        status |= ilrl_landscape_set_string(&meta->rollout_policy,
                                            ilrl_rollout_policy_name(options->rollout_policy));
        status |= ilrl_landscape_set_string(&meta->reward_scheme,
                                            ilrl_env_scheme_name(ilrl_env_at((size_t)problem->shape.rollout.env),
                                                                 problem->shape.rollout.scheme));
    }
    return status == ILRL_OK ? ILRL_OK : ilrl_error(ILRL_EFAILED, "out of memory");
}

/* ---- checkpoints: the full file and the tile journal ------------------------------
 * Decisions (the journal's format and fsync policy: include/ilrl/tile_journal.h):
 *  - OUT.partial is the full checkpoint, rewritten atomically every
 *    --checkpoint seconds.  OUT.partial.journal records every tile stored
 *    since, bound to OUT.partial by a fingerprint of its computed mask, and
 *    to the run by a fingerprint of everything that decides a point's
 *    values.  A point's values are a pure function of those settings, so two
 *    checkpoints with equal settings and equal masks hold equal values: the
 *    mask identifies a checkpoint as far as a journal is concerned.
 *  - A periodic checkpoint replaces OUT.partial first, then a new empty
 *    journal bound to it replaces the old one.  A kill in between leaves an
 *    old journal that no longer matches: it is ignored, and its tiles are in
 *    the new checkpoint.  A signal that arrives while rank 0 writes a full
 *    checkpoint (seconds for a 3001 x 3001 grid) is noticed only after it:
 *    if mpirun kills first, the old checkpoint and journal still hold every
 *    tile stored before the write began, and the write's temporary is
 *    removed by the next run.
 *  - On a stop (signal or error) rank 0 fdatasyncs the journal before it
 *    waits on any worker (save_on_stop): that is the save, and it costs the
 *    same for every grid.  A full checkpoint follows only for small grids
 *    (point arrays of at most SIGNAL_CHECKPOINT_BYTES, about 0.1 s to
 *    write), so that OUT.partial alone is current for ilrl-compare and
 *    ilrl-plot; larger grids stay in checkpoint + journal, which --resume
 *    folds together.
 *  - --resume reads OUT.partial (if any), replays the matching journal on
 *    top of it and keeps appending to that journal; a journal of other
 *    settings, of another checkpoint or cut short in its header is ignored
 *    with a notice (its tiles are computed again) and replaced.
 *  - A fresh run (necessarily --force when OUT.partial exists) removes the
 *    old OUT.partial when it starts its journal, so an old checkpoint never
 *    hides the new run's journal from --resume.
 *  - Temporaries PATH.tmp.<pid> of OUT, OUT.partial and the journal whose
 *    process no longer runs (kill(pid, 0) fails with ESRCH) are removed when
 *    a run starts.  Only names of exactly that pattern for this OUT, in its
 *    directory; a pid is checked on rank 0's node, so a run writing the same
 *    OUT from another node at the same time is not protected (two runs on
 *    one OUT are not supported anyway). */
#define SIGNAL_CHECKPOINT_BYTES ((size_t)4 << 20)
#define JOURNAL_SYNC_SECONDS 1.0

static size_t count_computed(const struct ilrl_landscape *landscape);
static int finish_rank0(struct run *run, int status, const double *busy);

static uint64_t fnv1a_string(uint64_t hash, const char *text)
{
    text = text != NULL ? text : "";
    return fnv1a(hash, text, strlen(text) + 1);
}

/* Everything that decides a point's values, and the grid's shape. */
static uint64_t settings_fingerprint(const struct run *run)
{
    const struct ilrl_landscape *l = run->landscape;
    const struct ilrl_landscape_meta *m = &l->meta;
    uint64_t hash = UINT64_C(14695981039346656037);
    const char *strings[] = {m->demo_checksum, m->activation, m->plane, m->rl_weight,
                             m->objective, m->rollout_policy, m->reward_scheme,
                             m->dense_kernel};
    for (size_t k = 0; k < sizeof strings / sizeof strings[0]; k++)
        hash = fnv1a_string(hash, strings[k]);
    long longs[4] = {m->init_seed, m->rollouts, m->rollout_steps, (long)m->n_layer_sizes};
    hash = fnv1a(hash, longs, sizeof longs);
    hash = fnv1a(hash, m->layer_sizes, m->n_layer_sizes * sizeof *m->layer_sizes);
    hash = fnv1a(hash, &m->gamma, sizeof m->gamma);
    /* the value objectives: which arrays, and what decides their values */
    int32_t value_arrays[2] = {l->td_loss != NULL, l->cql_loss != NULL};
    hash = fnv1a(hash, value_arrays, sizeof value_arrays);
    if (l->td_loss != NULL || l->cql_loss != NULL)
        hash = fnv1a_string(hash, m->td_target);
    if (l->cql_loss != NULL)
        hash = fnv1a(hash, &m->cql_alpha, sizeof m->cql_alpha);
    uint64_t sizes[3] = {l->nx, l->ny, l->n_params};
    hash = fnv1a(hash, sizes, sizeof sizes);
    hash = fnv1a(hash, l->x, l->nx * sizeof *l->x);
    hash = fnv1a(hash, l->y, l->ny * sizeof *l->y);
    hash = fnv1a(hash, l->theta0, l->n_params * sizeof(double));
    hash = fnv1a(hash, l->direction_x, l->n_params * sizeof(double));
    hash = fnv1a(hash, l->direction_y, l->n_params * sizeof(double));
    return hash;
}

/* The identity of a checkpoint holding this mask; never 0 (= none). */
static uint64_t checkpoint_fingerprint(const unsigned char *computed, size_t nx, size_t ny)
{
    uint64_t sizes[2] = {nx, ny};
    uint64_t hash = fnv1a(UINT64_C(14695981039346656037), sizes, sizeof sizes);
    hash = fnv1a(hash, computed, nx * ny);
    return hash != 0 ? hash : 1;
}

static struct ilrl_tile_journal_binding journal_binding(const struct run *run, uint64_t checkpoint)
{
    double *arrays[ILRL_LANDSCAPE_MAX_POINT_ARRAYS];
    struct ilrl_tile_journal_binding binding = {
        .settings = settings_fingerprint(run), .checkpoint = checkpoint,
        .grid_nx = run->landscape->nx, .grid_ny = run->landscape->ny,
        .n_values = ilrl_landscape_point_arrays(run->landscape, arrays),
    };
    return binding;
}

/* The journal cannot be written (a full disk, a directory that takes no
 * new files): the run goes on with full checkpoints only, as the journal
 * is an addition to them, and a signal then writes the full checkpoint.
 * The final file's own write reports the output's problem, if any. */
static void journal_give_up(struct run *run)
{
    ilrl_notice("%s; going on without the journal (a signal writes the full checkpoint)",
               ilrl_error_message());
    ilrl_tile_journal_close(run->journal);
    run->journal = NULL;
    run->journal_broken = 1;
}

/* A new, empty journal bound to the checkpoint on disk. */
static void start_journal(struct run *run)
{
    struct ilrl_tile_journal_binding binding = journal_binding(run, run->disk_checkpoint);
    ilrl_tile_journal_close(run->journal);
    run->journal = NULL;
    run->journal_broken = 0;
    run->last_sync = ilrl_schedule_wtime();
    if (ilrl_tile_journal_create(run->journal_path, &binding, &run->journal) != ILRL_OK)
        journal_give_up(run);
    else if (run->disk_checkpoint == 0)
        unlink(run->partial);   /* a --force run's old checkpoint (see above) */
}

/* Appends a stored tile; group commit at most once a second. */
static void journal_append(struct run *run, const struct ilrl_tile *tile, const double *values)
{
    if (run->journal_broken)
        return;
    if (run->journal == NULL && (start_journal(run), run->journal == NULL))
        return;
    int status = ilrl_tile_journal_append(run->journal, tile->index, tile->x0, tile->y0,
                                          tile->nx, tile->ny, values);
    double now = ilrl_schedule_wtime();
    if (status == ILRL_OK && now - run->last_sync >= JOURNAL_SYNC_SECONDS) {
        status = ilrl_tile_journal_sync(run->journal);
        run->last_sync = now;
    }
    if (status != ILRL_OK)
        journal_give_up(run);
}

/* The schedule's save hook: rank 0 is about to stop and wait for workers. */
static void save_on_stop(void *ctx, int status)
{
    struct run *run = ctx;
    int synced = run->journal == NULL || ilrl_tile_journal_sync(run->journal) == ILRL_OK;
    /* Said now: under mpirun the ranks may be killed before the last line
     * (a stalled worker, or mpirun's own grace of about a second). */
    if (status == ILRL_EINTERRUPTED && synced && run->journal != NULL)
        ilrl_notice("stopping: %zu of %zu points are saved (%s%s%s); waiting for the workers",
                   count_computed(run->landscape), run->landscape->nx * run->landscape->ny,
                   run->disk_checkpoint != 0 ? run->partial : "",
                   run->disk_checkpoint != 0 ? " and " : "", run->journal_path);
}

/* Writes one tile's values (point-major) into the landscape. */
static void put_tile(struct ilrl_landscape *landscape, size_t x0, size_t y0, size_t nx,
                     size_t ny, const double *values)
{
    double *arrays[ILRL_LANDSCAPE_MAX_POINT_ARRAYS];
    size_t stride = ilrl_landscape_point_arrays(landscape, arrays);
    for (size_t j = 0; j < ny; j++)
        for (size_t i = 0; i < nx; i++) {
            size_t p = (y0 + j) * landscape->nx + x0 + i;
            const double *point = values + (j * nx + i) * stride;
            for (size_t k = 0; k < stride; k++)
                arrays[k][p] = point[k];
            landscape->computed[p] = 1;
        }
}

static int journal_visit(void *ctx, const struct ilrl_tile_journal_record *record)
{
    struct run *run = ctx;
    put_tile(run->landscape, (size_t)record->x0, (size_t)record->y0, (size_t)record->nx,
             (size_t)record->ny, record->values);
    return ILRL_OK;
}

/* --resume: the journal's tiles on top of the checkpoint (run->disk_checkpoint
 * says which one is on disk); continues the journal when it belongs. */
static void fold_journal(struct run *run)
{
    struct ilrl_tile_journal_binding binding = journal_binding(run, run->disk_checkpoint);
    struct ilrl_tile_journal_replay replay;
    const char *path = run->journal_path;

    if (ilrl_tile_journal_replay(path, &binding, journal_visit, run, &replay) != ILRL_OK) {
        ilrl_notice("--resume: %s; its tiles are computed again", ilrl_error_message());
        return;
    }
    switch (replay.state) {
    case ILRL_TILE_JOURNAL_ABSENT:
        return;
    case ILRL_TILE_JOURNAL_UNREADABLE:
        ilrl_notice("--resume: %s is not a tile journal (or its header was cut short): ignored",
                   path);
        return;
    case ILRL_TILE_JOURNAL_OTHER_SETTINGS:
        ilrl_notice("--resume: %s was made for other settings or another grid: ignored", path);
        return;
    case ILRL_TILE_JOURNAL_OTHER_CHECKPOINT:
        if (run->disk_checkpoint != 0)
            ilrl_notice("--resume: %s belongs to another checkpoint than %s: ignored", path,
                       run->partial);
        else
            ilrl_notice("--resume: %s extends a checkpoint that is no longer there: ignored",
                       path);
        return;
    case ILRL_TILE_JOURNAL_USED:
        break;
    }
    if (replay.ignored_bytes > 0)
        ilrl_notice("--resume: %s: %zu tiles folded in, a torn last record (%" PRIu64 " bytes) ignored",
                   path, replay.n_records, replay.ignored_bytes);
    else if (replay.n_records > 0)
        ilrl_notice("--resume: %s: %zu tiles folded in", path, replay.n_records);
    if (ilrl_tile_journal_open_append(path, &binding, &replay, &run->journal) != ILRL_OK)
        ilrl_notice("--resume: %s", ilrl_error_message());
    run->last_sync = ilrl_schedule_wtime();
}

/* Removes OUT.tmp.<pid>, OUT.partial.tmp.<pid> and
 * OUT.partial.journal.tmp.<pid> of runs that no longer run. */
static void remove_stale_temporaries(const struct run *run)
{
    static const char *const suffixes[] = {"", ".partial", ".partial.journal"};
    ilrl_output_file_remove_stale(run->options->out_path, suffixes, 3);
}

/* Takes over what --resume finds: the checkpoint `saved` (NULL: none on
 * disk) and the journal's tiles on top of it, then marks the tiles whose
 * every point is held. */
static int adopt_checkpoint(struct run *run, struct ilrl_landscape *saved)
{
    struct ilrl_landscape *landscape = run->landscape;
    size_t n_points = landscape->nx * landscape->ny;
    size_t done_tiles = 0;

    double *arrays[ILRL_LANDSCAPE_MAX_POINT_ARRAYS], *saved_arrays[ILRL_LANDSCAPE_MAX_POINT_ARRAYS];
    /* The resume check compared the objective: both have the same arrays. */
    size_t n_arrays = ilrl_landscape_point_arrays(landscape, arrays);

    run->disk_checkpoint = 0;
    if (saved != NULL) {
        ilrl_landscape_point_arrays(saved, saved_arrays);
        for (size_t k = 0; k < n_arrays; k++)
            memcpy(arrays[k], saved_arrays[k], n_points * sizeof(double));
        memcpy(landscape->computed, saved->computed, n_points);
        run->disk_checkpoint = checkpoint_fingerprint(saved->computed, saved->nx, saved->ny);
    }
    fold_journal(run);
    for (size_t t = 0; t < run->tiling.n_tiles; t++) {
        struct ilrl_tile tile;
        int complete = 1;
        ilrl_tiling_tile(&run->tiling, t, &tile);
        for (size_t j = 0; j < tile.ny && complete; j++)
            for (size_t i = 0; i < tile.nx && complete; i++)
                complete = landscape->computed[(tile.y0 + j) * landscape->nx + tile.x0 + i];
        run->tile_done[t] = (unsigned char)complete;
        done_tiles += (size_t)complete;
    }
    /* Points of incomplete tiles are recomputed: forget them, so the mask
     * never claims a point this run has not confirmed. */
    for (size_t t = 0; t < run->tiling.n_tiles; t++) {
        struct ilrl_tile tile;
        if (run->tile_done[t])
            continue;
        ilrl_tiling_tile(&run->tiling, t, &tile);
        for (size_t j = 0; j < tile.ny; j++)
            for (size_t i = 0; i < tile.nx; i++) {
                size_t p = (tile.y0 + j) * landscape->nx + tile.x0 + i;
                landscape->computed[p] = 0;
                for (size_t k = 0; k < n_arrays; k++)
                    arrays[k][p] = NAN;
            }
    }
    return (int)done_tiles;
}

/* --objective return replays the demo's game: the demo's env attribute
 * selects the environment of the table (env.h), whose reward schemes must
 * include the demo's. */
static int rollout_scheme(const struct ilrl_demo *demo, const char *origin,
                          struct ilrl_rollout_options *rollout)
{
    const struct ilrl_env_type *env = ilrl_env_find(demo->env, &rollout->env);
    if (env == NULL)
        return ilrl_error(ILRL_EINPUT, "%s: --objective return needs a demonstration of one of our environments (env = %s), this one has env = \"%s\"",
                          origin, ilrl_env_names(), demo->env);
    if (ilrl_env_scheme_parse(env, demo->reward_scheme, &rollout->scheme) != ILRL_OK)
        return ilrl_error(ILRL_EINPUT, "%s: reward_scheme \"%s\" is not %s: --objective return cannot replay it on %s",
                          origin, demo->reward_scheme, ilrl_env_scheme_list(env), env->name);
    return ILRL_OK;
}

/* The network built from the demo (no --layers) cannot be made: the file is
 * at fault (exit 3), named by the attribute that gave the bad size. */
static int network_refused(const struct ilrl_landscape_options *options,
                           const struct ilrl_demo *demo, const char *origin)
{
    if (options->layers != NULL)
        return ilrl_error(ILRL_EUSAGE, "--layers: %s", ilrl_error_message());
    /* Which size is at fault: try each alone in the smallest network. */
    size_t input_only[2] = {demo->n_features, 2};
    size_t output_only[2] = {1, demo->n_actions > 0 ? (size_t)demo->n_actions : 0};
    struct ilrl_mlp *probe = ilrl_mlp_alloc(input_only, 2, ILRL_ACTIVATION_TANH);
    if (probe == NULL)
        return ilrl_error(ILRL_EINPUT, "%s: n_features = %zu cannot be a network's input size",
                          origin, demo->n_features);
    ilrl_mlp_free(probe);
    probe = ilrl_mlp_alloc(output_only, 2, ILRL_ACTIVATION_TANH);
    if (probe == NULL)
        return ilrl_error(ILRL_EINPUT, "%s: n_actions = %d cannot be a network's output size",
                          origin, demo->n_actions);
    ilrl_mlp_free(probe);
    return ilrl_error(ILRL_EINPUT, "%s: no network can be built from it: %s", origin,
                      ilrl_error_message());
}

/* Refuses a window in which theta = theta0 + x d_x + y d_y is not finite
 * somewhere: the grid would fill with NaN and inf marked computed.  With
 * X, Y the largest |x|, |y|, every point's entry k is bounded by
 * |theta0_k| + X |d_x,k| + Y |d_y,k|; linspace also needs MAX - MIN. */
static int check_window(const struct problem *problem, const double range[4])
{
    const char *option[2] = {"--x-range", "--y-range"};
    double largest[2];
    for (int axis = 0; axis < 2; axis++) {
        double min = range[2 * axis], max = range[2 * axis + 1];
        largest[axis] = fmax(fabs(min), fabs(max));
        if (!isfinite(max - min))
            return ilrl_error(ILRL_EUSAGE, "%s: '%g:%g' is too wide: MAX - MIN overflows", option[axis], min, max);
    }
    const double *d[2] = {problem->direction_x, problem->direction_y};
    for (size_t k = 0; k < problem->shape.n_params; k++) {
        double reach[2] = {largest[0] * fabs(d[0][k]), largest[1] * fabs(d[1][k])};
        for (int axis = 0; axis < 2; axis++)
            if (!isfinite(reach[axis]))
                return ilrl_error(ILRL_EUSAGE, "%s: '%g:%g' makes theta non-finite (parameter %zu overflows); choose a smaller window",
                                  option[axis], range[2 * axis], range[2 * axis + 1], k);
        if (!isfinite(fabs(problem->theta0[k]) + reach[0] + reach[1]))
            return ilrl_error(ILRL_EUSAGE, "--x-range '%g:%g' with --y-range '%g:%g' makes theta non-finite (parameter %zu overflows); choose a smaller window",
                              range[0], range[1], range[2], range[3], k);
    }
    return ILRL_OK;
}

static double cosine(const double *a, const double *b, size_t n)
{
    double ab = 0.0, aa = 0.0, bb = 0.0;
    for (size_t k = 0; k < n; k++) {
        ab += a[k] * b[k];
        aa += a[k] * a[k];
        bb += b[k] * b[k];
    }
    return aa > 0.0 && bb > 0.0 ? ab / sqrt(aa * bb) : NAN;
}

/* Rank 0, --objectives with td or cql: the plan of TD targets (frozen at
 * theta0 when asked: computed once, here, and broadcast), and the cosines
 * of L_TD's semi-gradient with L_IL's and L_RL's gradients at theta0. */
static int prepare_value(struct run *run, const struct ilrl_demo *demo, const char *origin)
{
    struct problem *problem = &run->problem;
    const struct ilrl_landscape_options *options = run->options;
    const size_t P = problem->mlp->n_params;
    int status = ilrl_value_plan_alloc(demo, options->gamma, origin, &problem->plan);
    if (status != ILRL_OK)
        return status;
    struct ilrl_value_work *work = ilrl_value_work_alloc(problem->mlp, demo->n_steps,
                                                         problem->plan->n_final);
    double *gradients = malloc(3 * P * sizeof *gradients);
    if (work == NULL || gradients == NULL) {
        ilrl_value_work_free(work);
        free(gradients);
        return ilrl_error(ILRL_EFAILED, "out of memory for the TD targets");
    }
    if (options->td_target == ILRL_VALUE_TARGET_FROZEN)
        status = ilrl_value_plan_freeze(problem->plan, problem->mlp, problem->theta0,
                                        &problem->data, work);
    if (status == ILRL_OK) {
        double il, rl, td;
        ilrl_loss_eval(problem->mlp, problem->theta0, &problem->data, problem->work, &il, &rl,
                       gradients, gradients + P);
        ilrl_value_loss_eval(problem->mlp, problem->theta0, &problem->data, problem->plan,
                             options->cql_alpha, work, &td, NULL, gradients + 2 * P, NULL);
        run->cosine_il_td = cosine(gradients, gradients + 2 * P, P);
        run->cosine_rl_td = cosine(gradients + P, gradients + 2 * P, P);
    }
    problem->shape.n_final = problem->plan->n_final;
    problem->shape.n_targets = problem->plan->n_targets;
    if (problem->plan->n_left_out > 0)
        ilrl_notice("%s: %zu truncated episode%s without final_obs: %s last step%s left out of L_TD",
                    origin, problem->plan->n_left_out, problem->plan->n_left_out == 1 ? "" : "s",
                    problem->plan->n_left_out == 1 ? "its" : "their",
                    problem->plan->n_left_out == 1 ? "" : "s");
    ilrl_value_work_free(work);
    free(gradients);
    return status;
}

/* theta0's file and the trajectory plane's path (landscape_path.h); the
 * file's layer sizes into a new *sizes.  Nothing when theta0 is --seed's. */
static int theta_network(struct run *run, const struct ilrl_demo *demo, const char *origin,
                         size_t **sizes, size_t *n_sizes)
{
    const struct ilrl_landscape_options *options = run->options;
    const struct ilrl_landscape_paths_request request = {
        .theta = options->theta, .plane = options->plane, .layers = options->layers,
        .activation_given = options->activation_given, .activation = options->activation,
        .n_features = demo->n_features, .n_actions = (size_t)demo->n_actions,
        .demo_origin = origin,
    };
    int status = ilrl_landscape_paths_read(&run->paths, &request);
    const struct ilrl_mlp *mlp = run->paths.theta.mlp;
    if (status != ILRL_OK || mlp == NULL)
        return status;
    *sizes = malloc((mlp->n_layers + 1) * sizeof **sizes);
    if (*sizes == NULL)
        return ilrl_error(ILRL_EFAILED, "out of memory");
    memcpy(*sizes, mlp->sizes, (mlp->n_layers + 1) * sizeof **sizes);
    *n_sizes = mlp->n_layers + 1;
    return ILRL_OK;
}

/* Stops a path's rollouts when a stop is asked for. */
static int path_poll(void *ctx)
{
    (void)ctx;
    return (int)stop_signal;
}

/* theta0's file and the path into the landscape, the path's values through
 * the grid's own pieces (landscape_path.h). */
static int store_paths(struct run *run)
{
    const struct problem *problem = &run->problem;
    const struct problem_shape *s = &problem->shape;
    const struct ilrl_path_evaluation evaluation = {
        .mlp = problem->mlp, .data = &problem->data,
        .dense_path = (enum ilrl_dense_path)s->dense_path, .plan = problem->plan,
        .cql_alpha = s->cql_alpha, .want_td = s->value_td, .want_cql = s->value_cql,
        .rollout = s->objective_return ? &s->rollout : NULL,
        .rollout_work = problem->rollout_work, .run_seed = (unsigned long)s->run_seed,
        .first_point = s->nx * s->ny, .poll = path_poll,
    };
    return ilrl_landscape_paths_store(&run->paths, run->landscape, &evaluation);
}

static int setup_rank0(struct run *run)
{
    const struct ilrl_landscape_options *options = run->options;
    struct problem *problem = &run->problem;
    struct ilrl_demo *demo = NULL;
    struct ilrl_plane_spec plane;
    size_t *sizes = NULL, n_sizes = 0;
    double range[4], gradient_cosine = 0.0;
    int degenerate = 0, status;
    const char *origin = options->demo_path ? options->demo_path : ILRL_BUILTIN_DEMO_NAME;

    run->partial = partial_path(options->out_path);
    run->journal_path = run->partial == NULL ? NULL : malloc(strlen(run->partial) + sizeof ".journal");
    if (run->partial == NULL || run->journal_path == NULL)
        return ilrl_error(ILRL_EFAILED, "out of memory");
    sprintf(run->journal_path, "%s.journal", run->partial);
    /* Before any work: an output that cannot be written (exists without
     * --force, missing or unwritable directory, a name too long for its
     * temporary, a checkpoint name that cannot be written) is refused now,
     * not after hours of computing. */
    if ((status = ilrl_landscape_check_output(options->out_path, options->force)) != ILRL_OK
        || (status = ilrl_landscape_check_checkpoint(run->partial)) != ILRL_OK)
        return status;
    remove_stale_temporaries(run);
    if (!options->resume && !options->force
        && (path_exists(run->partial) || path_exists(run->journal_path)))
        return ilrl_error(ILRL_EOUTPUT, "%s holds an unfinished run's checkpoint: continue it with --resume, or use --force to start over",
                          path_exists(run->partial) ? run->partial : run->journal_path);

    if ((status = load_demo(options, &demo)) != ILRL_OK)
        return status;
    if ((status = theta_network(run, demo, origin, &sizes, &n_sizes)) != ILRL_OK
        || (run->paths.theta.mlp == NULL
            && (status = network_sizes(options, demo, origin, &sizes, &n_sizes)) != ILRL_OK))
        goto done;
    problem->mlp = ilrl_mlp_alloc(sizes, n_sizes, run->paths.theta.mlp != NULL
                                                  ? run->paths.theta.mlp->activation
                                                  : options->activation);
    if (problem->mlp == NULL) {
        status = network_refused(options, demo, origin);
        goto done;
    }
    if ((status = ilrl_plane_parse(options->plane, problem->mlp, &plane)) != ILRL_OK
        || (status = ilrl_landscape_paths_read_overlay(&run->paths, options->path,
                                                       problem->mlp)) != ILRL_OK)
        goto done;
    ilrl_landscape_paths_attach(&run->paths, &plane);
    default_ranges(options, plane.kind, range);

    problem->shape = (struct problem_shape){
        .n_steps = demo->n_steps, .n_features = demo->n_features, .n_sizes = n_sizes,
        .n_params = problem->mlp->n_params, .nx = options->nx, .ny = options->ny,
        .activation = (int32_t)problem->mlp->activation,
        .objective_return = options->objective_return, .run_seed = options->seed,
        .value_td = options->objective_td, .value_cql = options->objective_cql,
        .td_target = (int32_t)options->td_target, .cql_alpha = options->cql_alpha,
        .rollout = {.n_episodes = options->rollouts, .max_steps = options->rollout_steps,
                    .gamma = options->gamma, .policy = options->rollout_policy},
    };
    if (options->objective_return
        && (status = rollout_scheme(demo, origin, &problem->shape.rollout)) != ILRL_OK)
        goto done;
    problem->shape.dense_path = decide_dense_path(run->facts, ilrl_schedule_size());
    problem->shape.node_share = node_share_wanted();
    if ((status = decide_memory(run, demo, origin)) != ILRL_OK)
        goto done;
    problem->sizes = sizes;
    sizes = NULL;
    if ((status = problem_alloc_arrays(problem, 1)) != ILRL_OK)
        goto done;
    memcpy(problem->obs, demo->obs, demo->n_steps * demo->n_features * sizeof *demo->obs);
    memcpy(problem->action, demo->action, demo->n_steps * sizeof *demo->action);
    ilrl_rl_weights(demo, options->rl_weight, options->gamma, problem->weight);
    if (run->paths.theta.theta != NULL)
        memcpy(problem->theta0, run->paths.theta.theta,
               problem->mlp->n_params * sizeof *problem->theta0);
    else if ((status = ilrl_mlp_init(problem->mlp, options->seed, problem->theta0)) != ILRL_OK)
        goto done;
    if ((status = problem_prepare(problem)) != ILRL_OK)
        goto done;
    if ((status = ilrl_loss_data_check(problem->mlp, &problem->data)) != ILRL_OK) {
        status = ilrl_error(status, "%s: %s", origin, ilrl_error_message());
        goto done;
    }
    status = ilrl_plane_build(&plane, problem->mlp, problem->theta0, &problem->data,
                              problem->work, problem->direction_x, problem->direction_y,
                              &gradient_cosine, &degenerate);
    if (status == ILRL_OK && plane.kind == ILRL_PLANE_TRAJECTORY && !options->ranges_given)
        status = ilrl_landscape_paths_window(&run->paths, problem->shape.n_params,
                                             problem->theta0, problem->direction_x,
                                             problem->direction_y, range);
    if (status != ILRL_OK)
        goto done;
    if ((status = check_window(problem, range)) != ILRL_OK)
        goto done;
    if ((options->objective_td || options->objective_cql)
        && (status = prepare_value(run, demo, origin)) != ILRL_OK)
        goto done;
    if (degenerate)
        ilrl_notice("warning: the RL gradient is (anti)parallel to the IL gradient "
                    "(cosine %.6f) or vanishes; the missing direction comes from random:%lu",
                    gradient_cosine, plane.random_seed);
    linspace(range[0], range[1], options->nx, problem->x);
    linspace(range[2], range[3], options->ny, problem->y);
    run->n_samples = demo->n_steps;
    /* Rank 0's evaluator now (the others' after the broadcast): the file
     * records the dense path it took, and --resume compares it. */
    if ((status = prepare_evaluator(problem, NULL, 1)) != ILRL_OK)
        goto done;

    ilrl_tiling_init(&run->tiling, options->nx, options->ny, options->tile_nx, options->tile_ny);
    run->landscape = ilrl_landscape_alloc(options->nx, options->ny, problem->mlp->n_params,
                                          options->objective_return);
    run->tile_done = calloc(run->tiling.n_tiles, 1);
    if (run->landscape == NULL || run->tile_done == NULL
        || ilrl_landscape_add_value_arrays(run->landscape, options->objective_td,
                                           options->objective_cql) != ILRL_OK) {
        status = ilrl_error(ILRL_EFAILED, "out of memory for a %zu x %zu grid", options->nx, options->ny);
        goto done;
    }
    memcpy(run->landscape->x, problem->x, options->nx * sizeof *problem->x);
    memcpy(run->landscape->y, problem->y, options->ny * sizeof *problem->y);
    memcpy(run->landscape->theta0, problem->theta0, problem->mlp->n_params * sizeof(double));
    memcpy(run->landscape->direction_x, problem->direction_x, problem->mlp->n_params * sizeof(double));
    memcpy(run->landscape->direction_y, problem->direction_y, problem->mlp->n_params * sizeof(double));
    if ((status = set_meta(run, demo, origin, &plane, gradient_cosine)) != ILRL_OK
        || (status = store_paths(run)) != ILRL_OK)
        goto done;
    run->landscape->meta.gradient_cosine_il_td = run->cosine_il_td;
    run->landscape->meta.gradient_cosine_rl_td = run->cosine_rl_td;
    if (ilrl_landscape_set_string(&run->landscape->meta.dense_kernel,
                                  ilrl_evaluator_dense_kernel(problem->evaluator)) != ILRL_OK) {
        status = ilrl_error(ILRL_EFAILED, "out of memory");
        goto done;
    }

    if (options->resume) {
        struct ilrl_landscape *saved = NULL;
        if (!path_exists(run->partial)) {
            int done_tiles = adopt_checkpoint(run, NULL);   /* a journal alone */
            if (done_tiles == 0)
                ilrl_notice("--resume: no checkpoint %s, starting afresh", run->partial);
            else
                ilrl_notice("resuming %s: %d of %zu tiles already done",
                            run->journal_path, done_tiles, run->tiling.n_tiles);
        } else if ((status = ilrl_landscape_read(run->partial, &saved)) == ILRL_OK) {
            status = check_resume_settings(run->partial, saved, run->landscape);
            if (status == ILRL_OK) {
                int done_tiles = adopt_checkpoint(run, saved);
                ilrl_notice("resuming %s: %d of %zu tiles already done",
                            run->partial, done_tiles, run->tiling.n_tiles);
            }
        }
        ilrl_landscape_free(saved);
    }
done:
    free(sizes);
    ilrl_demo_free(demo);
    return status;
}

/* ---- computing and storing tiles -------------------------------------------------- */

/* Losses of one row of a tile (points x0 .. x0 + n - 1 at y index j). */
static void row_losses(struct problem *problem, size_t x0, size_t n, size_t j,
                       double *values, size_t stride)
{
    double *xs = problem->row, *ys = xs + n, *il = ys + n, *rl = il + n;
    double *td = rl + n, *cql = td + n;
    const int want_td = problem->shape.value_td, want_cql = problem->shape.value_cql;
    for (size_t i = 0; i < n; i++) {
        xs[i] = problem->x[x0 + i];
        ys[i] = problem->y[j];
    }
    ilrl_evaluator_eval_all(problem->evaluator, xs, ys, n, il, rl, want_td ? td : NULL,
                            want_cql ? cql : NULL);
    for (size_t i = 0; i < n; i++) {
        double *point = values + i * stride;
        size_t k = 0;
        point[k++] = il[i];
        point[k++] = rl[i];
        if (want_td)
            point[k++] = td[i];
        if (want_cql)
            point[k++] = cql[i];
    }
}

/* Rollouts of one point (docs/return-surface.md); values[0..3] receive the
 * statistics. */
static int point_return(struct problem *problem, size_t i, size_t j, double *values,
                        const struct ilrl_tile_hooks *hooks)
{
    struct ilrl_rollout_stats stats;
    ilrl_plane_point(problem->shape.n_params, problem->theta0, problem->direction_x,
                     problem->direction_y, problem->x[i], problem->y[j], problem->theta);
    if (ilrl_rollout_point(problem->mlp, problem->theta, &problem->shape.rollout,
                           (unsigned long)problem->shape.run_seed, j * problem->shape.nx + i,
                           problem->rollout_work, &stats, hooks->poll, hooks->poll_ctx) != 0)
        return ILRL_EINTERRUPTED;
    values[0] = stats.return_mean;
    values[1] = stats.return_std;
    values[2] = stats.score_mean;
    values[3] = stats.length_mean;
    return ILRL_OK;
}

static int compute_tile(void *ctx, const struct ilrl_tile *tile, double *values,
                        const struct ilrl_tile_hooks *hooks)
{
    struct problem *problem = ctx;
    size_t stride = values_per_point(problem);
    for (size_t j = 0; j < tile->ny; j++) {
        double *row = values + j * tile->nx * stride;
        if (hooks->poll(hooks->poll_ctx))
            return ILRL_EINTERRUPTED;
        row_losses(problem, tile->x0, tile->nx, tile->y0 + j, row, stride);
        if (!problem->shape.objective_return)
            continue;
        for (size_t i = 0; i < tile->nx; i++)
            if (point_return(problem, tile->x0 + i, tile->y0 + j,
                             row + i * stride + return_offset(problem), hooks) != ILRL_OK)
                return ILRL_EINTERRUPTED;
    }
    return ILRL_OK;
}

/* The full checkpoint; once it is in place, a new empty journal bound to
 * it replaces the old one (see "checkpoints" above). */
static int write_checkpoint(struct run *run)
{
    run->landscape->meta.wall_seconds = ilrl_schedule_wtime() - run->start_time;
    int status = ilrl_landscape_write(run->partial, run->landscape, 1);
    run->last_checkpoint = ilrl_schedule_wtime();
    run->new_tiles = 0;
    if (status != ILRL_OK)
        return status;   /* the old checkpoint and its journal still hold everything */
    run->disk_checkpoint = checkpoint_fingerprint(run->landscape->computed, run->landscape->nx,
                                                  run->landscape->ny);
    start_journal(run);
    return ILRL_OK;
}

static int store_tile(void *ctx, const struct ilrl_tile *tile, const double *values)
{
    struct run *run = ctx;
    put_tile(run->landscape, tile->x0, tile->y0, tile->nx, tile->ny, values);
    journal_append(run, tile, values);
    run->new_tiles++;
    ilrl_progress_update(&run->progress, tile->nx * tile->ny, 1);
    if (ilrl_schedule_wtime() - run->last_checkpoint >= run->options->checkpoint_seconds)
        return write_checkpoint(run);
    return ILRL_OK;
}

/* Test-only: ILRL_TEST_FAIL_TILE=R makes rank R fail on the first tile it
 * computes, so that tests see how a tile's error reaches the user. */
static int test_fails_here(void)
{
    static int failed = 0;
    const char *rank = getenv("ILRL_TEST_FAIL_TILE");
    if (failed || rank == NULL || !names_rank(rank, ilrl_schedule_rank(), NULL, NULL))
        return 0;
    failed = 1;
    return 1;
}

/* The schedule's abandon hook: a worker did not answer the stop.  Rank 0
 * finishes as it would (journal synced; a small grid's full checkpoint),
 * says so in its one line, and returns the exit status. */
static int abandon_workers(void *ctx, int status)
{
    struct run *run = ctx;
    status = finish_rank0(run, status, NULL);
    /* The schedule ends every rank with MPI_Abort after this hook: the
     * program never gets its status back, so rank 0's one line is said
     * here, under the program's label. */
    fprintf(stderr, "%s: %s (a worker did not answer the stop within %.0f s: ending every rank)\n",
            ilrl_notice_label(), ilrl_error_message(), ILRL_SCHEDULE_STOP_GRACE);
    if (status == ILRL_EINTERRUPTED)
        return 128 + (ilrl_landscape_interrupt_signal() ? ilrl_landscape_interrupt_signal() : SIGTERM);
    return ilrl_exit_code(status);
}

static int compute_run_tile(void *ctx, const struct ilrl_tile *tile, double *values,
                               const struct ilrl_tile_hooks *hooks)
{
    if (test_fails_here())
        return ilrl_error(ILRL_EFAILED, "failure asked for by ILRL_TEST_FAIL_TILE");
    return compute_tile(&((struct run *)ctx)->problem, tile, values, hooks);
}

static size_t count_done_points(const struct run *run, size_t *done_tiles)
{
    size_t points = 0;
    *done_tiles = 0;
    for (size_t t = 0; t < run->tiling.n_tiles; t++)
        if (run->tile_done[t]) {
            struct ilrl_tile tile;
            ilrl_tiling_tile(&run->tiling, t, &tile);
            points += tile.nx * tile.ny;
            (*done_tiles)++;
        }
    return points;
}

/* The larger of VmHWM before the node's block and now (node_share.h
 * resets it there). */
static double own_peak_rss_mib(const struct ilrl_node_share *share)
{
    struct rusage usage;
    double before = share != NULL ? ilrl_node_share_hwm_before(share) / 1048576.0 : 0.0;
    if (getrusage(RUSAGE_SELF, &usage) != 0)
        return before;
    double now = (double)usage.ru_maxrss / 1024.0;   /* Linux: kilobytes */
    return now > before ? now : before;
}

static void print_summary(const struct run *run, const double *busy, double seconds)
{
    int n_ranks = ilrl_schedule_size();
    size_t points = run->progress.done_points - run->progress.start_points;
    double rate = seconds > 0 ? (double)points * (double)run->n_samples / seconds : 0.0;
    char line[8000];
    int used = snprintf(line, sizeof line, "%zu points x %zu samples in %.2f s = %.3g sample-evaluations/s on %d rank%s; busy",
                        points, run->n_samples, seconds, rate, n_ranks, n_ranks == 1 ? "" : "s");
    for (int r = 0; r < n_ranks && used > 0 && (size_t)used < sizeof line; r++)
        used += snprintf(line + used, sizeof line - (size_t)used, "%s %.0f%%", r ? "," : "",
                         seconds > 0 ? 100.0 * busy[r] / seconds : 0.0);
    ilrl_notice("%s; peak RSS %.0f MiB; wrote %s", line, run->peak_rss_mib, run->options->out_path);
}

/* One notice per node (collective): its peak memory, bounded as
 * node_share.h says (the shared samples once plus each rank's own peak),
 * and its Pss now.  "MiB" = 2^20 bytes. */
static void print_node_memory(struct run *run)
{
    struct ilrl_node_memory *nodes = NULL;
    const double mib = 1048576.0;
    if (ilrl_node_share_memory(run->problem.share, &nodes) != ILRL_OK) {
        if (ilrl_schedule_rank() == 0)
            ilrl_notice("%s", ilrl_error_message());
        return;
    }
    for (int k = 0; nodes != NULL && k < ilrl_node_share_nodes(run->problem.share); k++) {
        const struct ilrl_node_memory *node = &nodes[k];
        if (ilrl_node_share_shared(run->problem.share))
            ilrl_notice("node %s: %d rank%s, peak %.1f MiB = the larger of %.1f MiB before the data was shared and shared data %.1f MiB (once) + the ranks' own %.1f MiB; Pss now %.1f MiB",
                        node->host, node->n_ranks, node->n_ranks == 1 ? "" : "s",
                        node->peak_bytes / mib, node->before_bytes / mib, node->shared_bytes / mib,
                        node->after_bytes / mib, node->pss_bytes / mib);
        else
            ilrl_notice("node %s: %d rank%s, peak %.1f MiB = the larger of %.1f MiB before the data was copied and the ranks' own %.1f MiB (one copy of the data per rank, ILRL_NODE_SHARE=0); Pss now %.1f MiB",
                        node->host, node->n_ranks, node->n_ranks == 1 ? "" : "s",
                        node->peak_bytes / mib, node->before_bytes / mib, node->after_bytes / mib,
                        node->pss_bytes / mib);
    }
    free(nodes);
}

static size_t count_computed(const struct ilrl_landscape *landscape)
{
    size_t done = 0;
    for (size_t p = 0; p < landscape->nx * landscape->ny; p++)
        done += landscape->computed[p];
    return done;
}

/* After the schedule: rank 0 writes the final file, or saves what is
 * finished to the checkpoint and says how to continue. */
static int finish_rank0(struct run *run, int status, const double *busy)
{
    double seconds = ilrl_schedule_wtime() - run->start_time;
    char message[1024];

    if (status == ILRL_OK) {
        ilrl_progress_complete(&run->progress);
        run->landscape->meta.wall_seconds = seconds;
        status = ilrl_landscape_write(run->options->out_path, run->landscape, run->options->force);
        if (status == ILRL_OK) {
            ilrl_tile_journal_close(run->journal);
            run->journal = NULL;
            unlink(run->partial);
            unlink(run->journal_path);
            if (!run->options->quiet)
                print_summary(run, busy, seconds);
            return ILRL_OK;
        }
        /* The grid is complete: keep it where --resume finds it. */
        snprintf(message, sizeof message, "%s", ilrl_error_message());
        if (write_checkpoint(run) == ILRL_OK)
            return ilrl_error(status, "%s; the finished grid is kept in %s (--resume writes it)",
                              message, run->partial);
        /* No room for the full checkpoint either: the journal (with the
         * checkpoint it extends) still holds every tile. */
        if (run->journal != NULL && !run->journal_broken
            && ilrl_tile_journal_sync(run->journal) == ILRL_OK)
            return ilrl_error(status, "%s; the finished grid is kept in %s%s%s (--resume writes it)",
                              message, run->disk_checkpoint != 0 ? run->partial : "",
                              run->disk_checkpoint != 0 ? " and " : "", run->journal_path);
        return ilrl_error(status, "%s", message);
    }
    snprintf(message, sizeof message, "%s", ilrl_error_message());
    /* Tiles stored after the stop hook's sync: durable too. */
    int synced = !run->journal_broken
                 && (run->journal == NULL || ilrl_tile_journal_sync(run->journal) == ILRL_OK);
    if (status != ILRL_EINTERRUPTED) {
        if (run->new_tiles > 0)
            write_checkpoint(run);     /* best effort: the error is what we report */
        return ilrl_error(status, "%s", message);
    }
    size_t n_points = run->landscape->nx * run->landscape->ny;
    double *arrays[ILRL_LANDSCAPE_MAX_POINT_ARRAYS];
    size_t bytes = n_points * ilrl_landscape_point_arrays(run->landscape, arrays) * sizeof(double);
    int signum = ilrl_landscape_interrupt_signal();
    /* A small grid, a journal that failed, or nothing on disk at all: a
     * full checkpoint.  Otherwise the checkpoint on disk, plus the journal
     * when tiles were stored since. */
    int full = bytes <= SIGNAL_CHECKPOINT_BYTES || !synced
               || (run->journal == NULL && run->disk_checkpoint == 0);
    if (full && (status = write_checkpoint(run)) != ILRL_OK)
        return status;
    if (full || run->journal == NULL)
        return ilrl_error(ILRL_EINTERRUPTED,
                          "interrupted by signal %d: checkpoint %s holds %zu of %zu points; continue with --resume",
                          signum, run->partial, count_computed(run->landscape), n_points);
    if (run->disk_checkpoint == 0)
        return ilrl_error(ILRL_EINTERRUPTED,
                          "interrupted by signal %d: journal %s holds %zu of %zu points; continue with --resume",
                          signum, run->journal_path, count_computed(run->landscape), n_points);
    return ilrl_error(ILRL_EINTERRUPTED,
                      "interrupted by signal %d: checkpoint %s and journal %s hold %zu of %zu points; continue with --resume",
                      signum, run->partial, run->journal_path, count_computed(run->landscape), n_points);
}

/* After the final file is written: non-finite values are its truth, but
 * never a success (landscape.h). */
static int report_nonfinite(const struct run *run)
{
    struct nonfinite bad;
    const struct ilrl_landscape *landscape = run->landscape;
    if (!find_nonfinite(landscape, &bad))
        return ILRL_OK;
    return ilrl_error(ILRL_EFAILED, "%s: %zu of %zu points have non-finite values, the first %s = %g at (i, j) = (%zu, %zu), x = %g, y = %g (the network overflows: a smaller window or smaller observations?)",
                      run->options->out_path, bad.count, landscape->nx * landscape->ny, bad.array,
                      bad.value, bad.i, bad.j, landscape->x[bad.i], landscape->y[bad.j]);
}

int ilrl_landscape_run(const struct ilrl_landscape_options *options)
{
    struct run run = {.options = options};
    int rank = ilrl_schedule_rank(), n_ranks = ilrl_schedule_size();
    double *busy = calloc((size_t)n_ranks, sizeof *busy);
    int status;

    run.problem.max_row = options->tile_nx < options->nx ? options->tile_nx : options->nx;
    run.start_time = run.last_checkpoint = ilrl_schedule_wtime();
    /* The nodes, then every rank's facts to rank 0, which decides from
     * them all. */
    status = ilrl_schedule_agree(ilrl_node_share_open(&run.problem.share));
    if (status != ILRL_OK) {
        problem_free(&run.problem);
        free(busy);
        return status;
    }
    struct rank_facts facts = own_facts(run.problem.share);
    run.facts = rank == 0 ? calloc((size_t)n_ranks, sizeof *run.facts) : NULL;
    status = busy == NULL || (rank == 0 && run.facts == NULL)
             ? ilrl_error(ILRL_EFAILED, "rank %d: out of memory", rank) : ILRL_OK;
    status = ilrl_schedule_agree(status);
    if (status == ILRL_OK)
        status = ilrl_schedule_gather(&facts, sizeof facts, run.facts);
    if (rank == 0 && status == ILRL_OK)
        status = setup_rank0(&run);
    status = ilrl_schedule_agree(status);
    if (status == ILRL_OK)
        status = broadcast_problem(&run.problem);
    if (status == ILRL_OK) {
        struct ilrl_schedule_job job = {
            .n_values = values_per_point(&run.problem), .compute = compute_run_tile, .store = store_tile,
            .stop_requested = stop_requested, .save = save_on_stop,
            .abandon = abandon_workers, .ctx = &run,
            .busy_seconds = busy,
        };
        ilrl_tiling_init(&job.tiling, options->nx, options->ny, options->tile_nx, options->tile_ny);
        if (rank == 0) {
            size_t done_tiles, done_points = count_done_points(&run, &done_tiles);
            job.tile_done = run.tile_done;
            ilrl_progress_start(&run.progress, ilrl_notice_stream(), ilrl_notice_label(),
                                options->nx * options->ny, done_points, run.tiling.n_tiles,
                                done_tiles);
        }
        status = ilrl_schedule_run(&job);
        run.peak_rss_mib = ilrl_schedule_max(own_peak_rss_mib(run.problem.share));
        if (status == ILRL_EINTERRUPTED) {
            /* Every rank exits 128 + the signal rank 0 saw, or the one a
             * worker forwarded when rank 0 saw none. */
            int signum = stop_signal ? (int)stop_signal
                         : job.stop_value > 0 ? job.stop_value : SIGTERM;
            ilrl_schedule_broadcast(&signum, sizeof signum);
            stop_signal = signum;
        }
        if (rank == 0)
            status = finish_rank0(&run, status, busy);
        if (rank == 0 && status == ILRL_OK)
            status = report_nonfinite(&run);
        status = ilrl_schedule_agree(status);
        if (status == ILRL_OK && !options->quiet)
            print_node_memory(&run);
    }
    problem_free(&run.problem);
    ilrl_landscape_paths_free(&run.paths);
    free(run.facts);
    ilrl_landscape_free(run.landscape);
    free(run.tile_done);
    free(run.partial);
    ilrl_tile_journal_close(run.journal);
    free(run.journal_path);
    free(busy);
    return status;
}
