/* landscape.c -- owns one landscape run (see include/ilrl/landscape.h):
 * set-up on rank 0, broadcast, tile computation, checkpoints and the final
 * file.  MPI is reached only through schedule.h, NetCDF only through
 * demo_io.h and landscape_io.h. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ilrl/demo.h"
#include "ilrl/demo_io.h"
#include "ilrl/error.h"
#include "ilrl/evaluator.h"
#include "ilrl/landscape.h"
#include "ilrl/landscape_io.h"
#include "ilrl/output_file.h"
#include "ilrl/env.h"
#include "ilrl/flappy.h"   /* the built-in demo is Flappy Bird's */
#include "ilrl/pilot.h"
#include "ilrl/record.h"
#include "ilrl/plane.h"
#include "ilrl/progress.h"
#include "ilrl/rollout.h"
#include "ilrl/schedule.h"

/* Doubles per point in a finished tile: L_IL, L_RL, then with --objective
 * return: return_mean, return_std, score_mean, length_mean. */
#define N_LOSS_VALUES 2
#define N_RETURN_VALUES 6
#define DEFAULT_HIDDEN 64       /* D,64,64,K */

/* ---- signals ----------------------------------------------------------------- */

static volatile sig_atomic_t stop_signal = 0;

static void on_stop_signal(int signum)
{
    if (stop_signal != 0)
        _exit(128 + signum);    /* second signal: leave at once */
    stop_signal = signum;
}

static void install_signal_handlers(void)
{
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_stop_signal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGTERM, &action, NULL);
    sigaction(SIGINT, &action, NULL);
    sigaction(SIGUSR1, &action, NULL);
}

int ilrl_landscape_interrupt_signal(void)
{
    return (int)stop_signal;
}

static int stop_requested(void *ctx)
{
    (void)ctx;
    return stop_signal != 0;
}

/* ---- the shared problem: what every rank holds -------------------------------- */

/* Sizes broadcast first, so that workers can allocate before the arrays. */
struct problem_shape {
    uint64_t n_steps, n_features, n_sizes, n_params, nx, ny;
    int32_t activation;
    int32_t objective_return;    /* 1: rollouts at every point (SPEC §11) */
    uint64_t run_seed;           /* rollout seeds derive from it */
    struct ilrl_rollout_options rollout;
};

struct problem {
    struct problem_shape shape;
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
    size_t max_row;                          /* points per evaluator call (tile_nx) */
    double *row;                             /* 4 x max_row: x, y, L_IL, L_RL */
    double *theta;            /* scratch: theta at the current point */
};

static size_t values_per_point(const struct problem *problem)
{
    return problem->shape.objective_return ? N_RETURN_VALUES : N_LOSS_VALUES;
}

static void problem_free(struct problem *problem)
{
    free(problem->sizes);
    free(problem->obs);
    free(problem->action);
    free(problem->weight);
    free(problem->theta0);
    free(problem->direction_x);
    free(problem->direction_y);
    free(problem->x);
    free(problem->y);
    free(problem->theta);
    ilrl_mlp_free(problem->mlp);
    ilrl_loss_work_free(problem->work);
    ilrl_rollout_work_free(problem->rollout_work);
    ilrl_evaluator_free(problem->evaluator);
    free(problem->row);
    memset(problem, 0, sizeof *problem);
}

/* Allocates every array from the shape (rank 0 after set-up, workers after
 * the shape broadcast). */
static int problem_alloc_arrays(struct problem *problem)
{
    const struct problem_shape *s = &problem->shape;
    if (problem->sizes == NULL)
        problem->sizes = malloc(s->n_sizes * sizeof *problem->sizes);
    if (problem->obs == NULL)
        problem->obs = malloc(s->n_steps * s->n_features * sizeof *problem->obs);
    if (problem->action == NULL)
        problem->action = malloc(s->n_steps * sizeof *problem->action);
    if (problem->weight == NULL)
        problem->weight = malloc(s->n_steps * sizeof *problem->weight);
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
    if (!problem->sizes || !problem->obs || !problem->action || !problem->weight
        || !problem->theta0 || !problem->direction_x || !problem->direction_y
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
 * makes it once the directions are final (after the broadcast). */
static int prepare_evaluator(struct problem *problem)
{
    problem->evaluator = ilrl_evaluator_alloc(problem->mlp, problem->theta0,
                                              problem->direction_x, problem->direction_y,
                                              &problem->data, problem->max_row);
    problem->row = malloc(4 * problem->max_row * sizeof *problem->row);
    if (problem->evaluator == NULL || problem->row == NULL)
        return ilrl_error(ILRL_EFAILED, "rank %d: out of memory for the evaluator",
                          ilrl_schedule_rank());
    return ILRL_OK;
}

static int broadcast_problem(struct problem *problem)
{
    int rank = ilrl_schedule_rank(), status;
    const struct problem_shape *s = &problem->shape;

    if ((status = ilrl_schedule_broadcast(&problem->shape, sizeof problem->shape)) != ILRL_OK)
        return status;
    status = rank == 0 ? ILRL_OK : problem_alloc_arrays(problem);
    if ((status = ilrl_schedule_agree(status)) != ILRL_OK)
        return status;
    struct { void *data; size_t bytes; } arrays[] = {
        {problem->sizes, s->n_sizes * sizeof *problem->sizes},
        {problem->obs, s->n_steps * s->n_features * sizeof *problem->obs},
        {problem->action, s->n_steps * sizeof *problem->action},
        {problem->weight, s->n_steps * sizeof *problem->weight},
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
    if (status == ILRL_OK)
        status = prepare_evaluator(problem);
    return ilrl_schedule_agree(status);
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

/* The settings a checkpoint must share with the run that resumes it. */
static int check_resume_settings(const char *path, const struct ilrl_landscape *saved,
                                 const struct ilrl_landscape *wanted)
{
    const struct ilrl_landscape_meta *a = &saved->meta, *b = &wanted->meta;
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
    return ILRL_OK;
}

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
    size_t n_samples;
    double peak_rss_mib;                /* largest over ranks, for the summary */
};

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

/* Marks the tiles whose every point the checkpoint already holds. */
static int adopt_checkpoint(struct run *run, struct ilrl_landscape *saved)
{
    struct ilrl_landscape *landscape = run->landscape;
    size_t n_points = landscape->nx * landscape->ny;
    size_t done_tiles = 0;

    double *arrays[ILRL_LANDSCAPE_MAX_POINT_ARRAYS], *saved_arrays[ILRL_LANDSCAPE_MAX_POINT_ARRAYS];
    /* The resume check compared the objective: both have the same arrays. */
    size_t n_arrays = ilrl_landscape_point_arrays(landscape, arrays);
    ilrl_landscape_point_arrays(saved, saved_arrays);

    for (size_t k = 0; k < n_arrays; k++)
        memcpy(arrays[k], saved_arrays[k], n_points * sizeof(double));
    memcpy(landscape->computed, saved->computed, n_points);
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
    if (run->partial == NULL)
        return ilrl_error(ILRL_EFAILED, "out of memory");
    /* Before any work: an output that cannot be written (exists without
     * --force, missing or unwritable directory) is refused now, not after
     * hours of computing. */
    if ((status = ilrl_output_file_check(options->out_path, options->force)) != ILRL_OK)
        return status;
    if (!options->resume && !options->force && path_exists(run->partial))
        return ilrl_error(ILRL_EOUTPUT, "%s holds an unfinished run's checkpoint: continue it with --resume, or use --force to start over",
                          run->partial);

    if ((status = load_demo(options, &demo)) != ILRL_OK)
        return status;
    if ((status = network_sizes(options, demo, origin, &sizes, &n_sizes)) != ILRL_OK)
        goto done;
    problem->mlp = ilrl_mlp_alloc(sizes, n_sizes, options->activation);
    if (problem->mlp == NULL) {
        status = ilrl_error(ILRL_EUSAGE, "--layers: %s", ilrl_error_message());
        goto done;
    }
    if ((status = ilrl_plane_parse(options->plane, problem->mlp, &plane)) != ILRL_OK)
        goto done;
    default_ranges(options, plane.kind, range);

    problem->shape = (struct problem_shape){
        .n_steps = demo->n_steps, .n_features = demo->n_features, .n_sizes = n_sizes,
        .n_params = problem->mlp->n_params, .nx = options->nx, .ny = options->ny,
        .activation = (int32_t)options->activation,
        .objective_return = options->objective_return, .run_seed = options->seed,
        .rollout = {.n_episodes = options->rollouts, .max_steps = options->rollout_steps,
                    .gamma = options->gamma, .policy = options->rollout_policy},
    };
    if (options->objective_return
        && (status = rollout_scheme(demo, origin, &problem->shape.rollout)) != ILRL_OK)
        goto done;
    problem->sizes = sizes;
    sizes = NULL;
    if ((status = problem_alloc_arrays(problem)) != ILRL_OK)
        goto done;
    memcpy(problem->obs, demo->obs, demo->n_steps * demo->n_features * sizeof *demo->obs);
    memcpy(problem->action, demo->action, demo->n_steps * sizeof *demo->action);
    ilrl_rl_weights(demo, options->rl_weight, options->gamma, problem->weight);
    if ((status = ilrl_mlp_init(problem->mlp, options->seed, problem->theta0)) != ILRL_OK)
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
    if (status != ILRL_OK)
        goto done;
    if (degenerate && !options->quiet)
        fprintf(stderr, "ilrl-landscape: warning: the RL gradient is (anti)parallel to the IL gradient "
                        "(cosine %.6f) or vanishes; the missing direction comes from random:%lu\n",
                gradient_cosine, plane.random_seed);
    linspace(range[0], range[1], options->nx, problem->x);
    linspace(range[2], range[3], options->ny, problem->y);
    run->n_samples = demo->n_steps;

    ilrl_tiling_init(&run->tiling, options->nx, options->ny, options->tile_nx, options->tile_ny);
    run->landscape = ilrl_landscape_alloc(options->nx, options->ny, problem->mlp->n_params,
                                          options->objective_return);
    run->tile_done = calloc(run->tiling.n_tiles, 1);
    if (run->landscape == NULL || run->tile_done == NULL) {
        status = ilrl_error(ILRL_EFAILED, "out of memory for a %zu x %zu grid", options->nx, options->ny);
        goto done;
    }
    memcpy(run->landscape->x, problem->x, options->nx * sizeof *problem->x);
    memcpy(run->landscape->y, problem->y, options->ny * sizeof *problem->y);
    memcpy(run->landscape->theta0, problem->theta0, problem->mlp->n_params * sizeof(double));
    memcpy(run->landscape->direction_x, problem->direction_x, problem->mlp->n_params * sizeof(double));
    memcpy(run->landscape->direction_y, problem->direction_y, problem->mlp->n_params * sizeof(double));
    if ((status = set_meta(run, demo, origin, &plane, gradient_cosine)) != ILRL_OK)
        goto done;

    if (options->resume) {
        struct ilrl_landscape *saved = NULL;
        if (!path_exists(run->partial)) {
            if (!options->quiet)
                fprintf(stderr, "ilrl-landscape: --resume: no checkpoint %s, starting afresh\n", run->partial);
        } else if ((status = ilrl_landscape_read(run->partial, &saved)) == ILRL_OK) {
            status = check_resume_settings(run->partial, saved, run->landscape);
            if (status == ILRL_OK) {
                int done_tiles = adopt_checkpoint(run, saved);
                if (!options->quiet)
                    fprintf(stderr, "ilrl-landscape: resuming %s: %d of %zu tiles already done\n",
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
    for (size_t i = 0; i < n; i++) {
        xs[i] = problem->x[x0 + i];
        ys[i] = problem->y[j];
    }
    ilrl_evaluator_eval(problem->evaluator, xs, ys, n, il, rl);
    for (size_t i = 0; i < n; i++) {
        values[i * stride] = il[i];
        values[i * stride + 1] = rl[i];
    }
}

/* Rollouts of one point (SPEC §11); values[2..5] receive the statistics. */
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
    values[2] = stats.return_mean;
    values[3] = stats.return_std;
    values[4] = stats.score_mean;
    values[5] = stats.length_mean;
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
            if (point_return(problem, tile->x0 + i, tile->y0 + j, row + i * stride, hooks) != ILRL_OK)
                return ILRL_EINTERRUPTED;
    }
    return ILRL_OK;
}

static int write_checkpoint(struct run *run)
{
    run->landscape->meta.wall_seconds = ilrl_schedule_wtime() - run->start_time;
    int status = ilrl_landscape_write(run->partial, run->landscape, 1);
    run->last_checkpoint = ilrl_schedule_wtime();
    run->new_tiles = 0;
    return status;
}

static int store_tile(void *ctx, const struct ilrl_tile *tile, const double *values)
{
    struct run *run = ctx;
    struct ilrl_landscape *landscape = run->landscape;
    double *arrays[ILRL_LANDSCAPE_MAX_POINT_ARRAYS];
    size_t stride = ilrl_landscape_point_arrays(landscape, arrays);
    for (size_t j = 0; j < tile->ny; j++)
        for (size_t i = 0; i < tile->nx; i++) {
            size_t p = (tile->y0 + j) * landscape->nx + tile->x0 + i;
            const double *point = values + (j * tile->nx + i) * stride;
            for (size_t k = 0; k < stride; k++)
                arrays[k][p] = point[k];
            landscape->computed[p] = 1;
        }
    run->new_tiles++;
    ilrl_progress_update(&run->progress, tile->nx * tile->ny, 1);
    if (ilrl_schedule_wtime() - run->last_checkpoint >= run->options->checkpoint_seconds)
        return write_checkpoint(run);
    return ILRL_OK;
}

static int compute_run_tile(void *ctx, const struct ilrl_tile *tile, double *values,
                               const struct ilrl_tile_hooks *hooks)
{
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

static double own_peak_rss_mib(void)
{
    struct rusage usage;
    if (getrusage(RUSAGE_SELF, &usage) != 0)
        return 0.0;
    return (double)usage.ru_maxrss / 1024.0;   /* Linux: kilobytes */
}

static void print_summary(const struct run *run, const double *busy, double seconds)
{
    int n_ranks = ilrl_schedule_size();
    size_t points = run->progress.done_points - run->progress.start_points;
    double rate = seconds > 0 ? (double)points * (double)run->n_samples / seconds : 0.0;
    fprintf(stderr, "ilrl-landscape: %zu points x %zu samples in %.2f s = %.3g sample-evaluations/s on %d rank%s; busy",
            points, run->n_samples, seconds, rate, n_ranks, n_ranks == 1 ? "" : "s");
    for (int r = 0; r < n_ranks; r++)
        fprintf(stderr, "%s %.0f%%", r ? "," : "", seconds > 0 ? 100.0 * busy[r] / seconds : 0.0);
    fprintf(stderr, "; peak RSS %.0f MiB; wrote %s\n", run->peak_rss_mib, run->options->out_path);
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
            unlink(run->partial);
            if (!run->options->quiet)
                print_summary(run, busy, seconds);
            return ILRL_OK;
        }
        /* The grid is complete: keep it where --resume finds it. */
        snprintf(message, sizeof message, "%s", ilrl_error_message());
        if (write_checkpoint(run) == ILRL_OK)
            return ilrl_error(status, "%s; the finished grid is kept in %s (--resume writes it)",
                              message, run->partial);
        return ilrl_error(status, "%s", message);
    }
    snprintf(message, sizeof message, "%s", ilrl_error_message());
    if (status != ILRL_EINTERRUPTED) {
        if (run->new_tiles > 0)
            write_checkpoint(run);     /* best effort: the error is what we report */
        return ilrl_error(status, "%s", message);
    }
    if ((status = write_checkpoint(run)) != ILRL_OK)
        return status;
    return ilrl_error(ILRL_EINTERRUPTED,
                      "interrupted by signal %d: checkpoint %s holds %zu of %zu points; continue with --resume",
                      ilrl_landscape_interrupt_signal(), run->partial,
                      count_computed(run->landscape), run->landscape->nx * run->landscape->ny);
}

int ilrl_landscape_run(const struct ilrl_landscape_options *options)
{
    struct run run = {.options = options};
    int rank = ilrl_schedule_rank(), n_ranks = ilrl_schedule_size();
    double *busy = calloc((size_t)n_ranks, sizeof *busy);
    int status;

    install_signal_handlers();
    run.problem.max_row = options->tile_nx < options->nx ? options->tile_nx : options->nx;
    run.start_time = run.last_checkpoint = ilrl_schedule_wtime();
    status = busy == NULL ? ilrl_error(ILRL_EFAILED, "out of memory") : ILRL_OK;
    if (rank == 0 && status == ILRL_OK)
        status = setup_rank0(&run);
    status = ilrl_schedule_agree(status);
    if (status == ILRL_OK)
        status = broadcast_problem(&run.problem);
    if (status == ILRL_OK) {
        struct ilrl_schedule_job job = {
            .n_values = values_per_point(&run.problem), .compute = compute_run_tile, .store = store_tile,
            .stop_requested = stop_requested, .ctx = &run, .busy_seconds = busy,
        };
        ilrl_tiling_init(&job.tiling, options->nx, options->ny, options->tile_nx, options->tile_ny);
        if (rank == 0) {
            size_t done_tiles, done_points = count_done_points(&run, &done_tiles);
            job.tile_done = run.tile_done;
            ilrl_progress_start(&run.progress, options->quiet ? NULL : stderr, "ilrl-landscape",
                                options->nx * options->ny, done_points, run.tiling.n_tiles,
                                done_tiles);
        }
        status = ilrl_schedule_run(&job);
        run.peak_rss_mib = ilrl_schedule_max(own_peak_rss_mib());
        if (status == ILRL_EINTERRUPTED) {
            /* Every rank exits 128 + the signal rank 0 saw. */
            int signum = stop_signal ? (int)stop_signal : SIGTERM;
            ilrl_schedule_broadcast(&signum, sizeof signum);
            stop_signal = signum;
        }
        if (rank == 0)
            status = finish_rank0(&run, status, busy);
        status = ilrl_schedule_agree(status);
    }
    problem_free(&run.problem);
    ilrl_landscape_free(run.landscape);
    free(run.tile_done);
    free(run.partial);
    free(busy);
    return status;
}
