/* ilrl-landscape -- IL and RL loss landscapes of one policy network over one
 * plane of its weights, computed by all MPI ranks (docs/planes.md,
 * docs/distribution.md, docs/formats.md).  This file parses options, says
 * where notices go (ilrl_notice_setup), installs the signal handlers and
 * calls ilrl_landscape_run; rank 0 speaks for all. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ilrl/error.h"
#include "ilrl/landscape.h"
#include "ilrl/ncfile.h"
#include "ilrl/progress.h"
#include "ilrl/schedule.h"
#include "ilrl/version.h"

#define PROGRAM "ilrl-landscape"

#if defined(__SANITIZE_ADDRESS__)
/* Sanitizer builds (--enable-sanitizers): no LeakSanitizer in MPI ranks.
 * Its stop-the-world tracer crashed at exit of Open MPI processes on a
 * fresh Debian chroot, and what it reports there is Open MPI's own
 * allocations; ASan's memory errors and UBSan stay on.  The serial programs
 * and Check suites keep leak detection.  ASAN_OPTIONS overrides this. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "detect_leaks=0";
}
#endif
/* Grids beyond this many points per axis are a typo, not a plan. */
#define MAX_AXIS 1000000UL
/* Default tile sides: weights planes measured best at 32 (results/bench.md);
 * costly points -- dense planes, the return objective -- at 16 (see
 * parse_options). */
#define DEFAULT_TILE 32
#define DEFAULT_COSTLY_TILE 16

static const char usage_text[] =
    "Usage: mpirun -n N " PROGRAM " [OPTION]...\n"
    "Compute the imitation (IL) and reinforcement (RL) loss landscapes of one\n"
    "policy network over a plane of its weights, and write them to NetCDF.\n"
    "With no options: the built-in poor Flappy Bird session, 101 x 101 grid,\n"
    "written to landscape.nc.\n"
    "\n"
    "Input and network:\n"
    "  --demo FILE           demonstration file (default: built-in poor session)\n"
    "  --layers LIST         layer sizes D,H1,...,K (default D,64,64,K of the demo)\n"
    "  --activation NAME     tanh (default) or relu\n"
    "  --seed N              network initialisation seed (default 1)\n"
    "  --theta FILE[:K]      theta0 from a network file, or checkpoint K (from 0;\n"
    "                        default the last) of a trajectory file; the file sets\n"
    "                        the layer sizes and activation\n"
    "  --rl-weight W         return (default), advantage, awr:BETA\n"
    "  --gamma G             discount in [0, 1] (default 0.99)\n"
    "Plane and grid:\n"
    "  --plane P             weights:NAME1,NAME2 (default: the weights from the last\n"
    "                        hidden units 0 and 1 into the last logit -- flap, push\n"
    "                        right -- e.g. W3[1,0],W3[1,1]),\n"
    "                        random[:SEED], gradients,\n"
    "                        trajectory:FILE[:PHASE] (the plane of a training path's\n"
    "                        two leading directions, PHASE il or rl: that phase's\n"
    "                        checkpoints only; centred on its last checkpoint or\n"
    "                        --theta; default window: the path with a margin)\n"
    "  --path FILE[:PHASE]   draw a training path (a trajectory file) on the plane:\n"
    "                        coordinates, distance off the plane, true values at\n"
    "                        each checkpoint (default: the trajectory plane's own)\n"
    "  --nx N, --ny N        grid points along x and y (default 101 each)\n"
    "  --x-range MIN:MAX     x window (default -10:10 for weights planes, the path\n"
    "                        with a margin for trajectory planes, -1:1 otherwise)\n"
    "  --y-range MIN:MAX     y window (same defaults)\n"
    "Return surface (docs/return-surface.md; demos whose env is flappy-bird or\n"
    "cartpole):\n"
    "  --objective O         losses (default) or return: also play every point's\n"
    "                        policy in the simulator and record its return\n"
    "  --rollouts E          episodes per point (default 8)\n"
    "  --rollout-steps M     frames per episode at most (default 1000)\n"
    "  --rollout-policy P    greedy (argmax, default) or sample\n"
    "Objectives (docs/value-objectives.md):\n"
    "  --objectives LIST     from il,rl,td,cql,return (default il,rl; il and rl are\n"
    "                        always drawn; --objective return adds return)\n"
    "  --td-target T         frozen (default: targets at theta0) or same\n"
    "  --cql-alpha A         CQL regulariser weight, >= 0 (default 1)\n"
    "Run:\n"
    "  --out FILE            output file (default landscape.nc)\n"
    "  --tile NX[xNY]        tile size in points (default 32x32 for weights planes,\n"
    "                        16x16 for the other planes and with\n"
    "                        --objective return; measured: results/bench.md)\n"
    "  --checkpoint SECONDS  checkpoint to FILE.partial at least this often (default 30)\n"
    "  --resume              continue from FILE.partial (starts afresh if there is none)\n"
    "  --force               overwrite an existing output file\n"
    "  --quiet               no progress or summary on stderr\n"
    "  --help, --version\n"
    "\n"
    "Exit status: 0 success, 2 bad command line, 3 bad input file, 4 output\n"
    "problem, 1 other failure (also: non-finite losses, file written), 128+N\n"
    "stopped by signal N after saving the finished tiles.\n";

enum {
    OPT_DEMO = 256, OPT_LAYERS, OPT_ACTIVATION, OPT_SEED, OPT_RL_WEIGHT, OPT_GAMMA,
    OPT_PLANE, OPT_NX, OPT_NY, OPT_X_RANGE, OPT_Y_RANGE, OPT_OUT, OPT_TILE,
    OPT_CHECKPOINT, OPT_RESUME, OPT_FORCE, OPT_QUIET, OPT_HELP, OPT_VERSION,
    OPT_OBJECTIVE, OPT_ROLLOUTS, OPT_ROLLOUT_STEPS, OPT_ROLLOUT_POLICY,
    OPT_OBJECTIVES, OPT_TD_TARGET, OPT_CQL_ALPHA, OPT_THETA, OPT_PATH
};

static const struct option long_options[] = {
    {"demo", required_argument, NULL, OPT_DEMO},
    {"layers", required_argument, NULL, OPT_LAYERS},
    {"activation", required_argument, NULL, OPT_ACTIVATION},
    {"seed", required_argument, NULL, OPT_SEED},
    {"theta", required_argument, NULL, OPT_THETA},
    {"path", required_argument, NULL, OPT_PATH},
    {"rl-weight", required_argument, NULL, OPT_RL_WEIGHT},
    {"gamma", required_argument, NULL, OPT_GAMMA},
    {"plane", required_argument, NULL, OPT_PLANE},
    {"nx", required_argument, NULL, OPT_NX},
    {"ny", required_argument, NULL, OPT_NY},
    {"x-range", required_argument, NULL, OPT_X_RANGE},
    {"y-range", required_argument, NULL, OPT_Y_RANGE},
    {"out", required_argument, NULL, OPT_OUT},
    {"tile", required_argument, NULL, OPT_TILE},
    {"checkpoint", required_argument, NULL, OPT_CHECKPOINT},
    {"resume", no_argument, NULL, OPT_RESUME},
    {"force", no_argument, NULL, OPT_FORCE},
    {"quiet", no_argument, NULL, OPT_QUIET},
    {"objective", required_argument, NULL, OPT_OBJECTIVE},
    {"rollouts", required_argument, NULL, OPT_ROLLOUTS},
    {"rollout-steps", required_argument, NULL, OPT_ROLLOUT_STEPS},
    {"rollout-policy", required_argument, NULL, OPT_ROLLOUT_POLICY},
    {"objectives", required_argument, NULL, OPT_OBJECTIVES},
    {"td-target", required_argument, NULL, OPT_TD_TARGET},
    {"cql-alpha", required_argument, NULL, OPT_CQL_ALPHA},
    {"help", no_argument, NULL, OPT_HELP},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0},
};

static int parse_size(const char *option, const char *text, unsigned long max, size_t *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long value = strtoul(text, &end, 10);
    if (text[0] < '0' || text[0] > '9' || *end != '\0' || errno != 0 || value < 1 || value > max)
        return ilrl_error(ILRL_EUSAGE, "%s: '%s' is not an integer in [1, %lu]", option, text, max);
    *out = value;
    return ILRL_OK;
}

static int parse_double(const char *option, const char *text, double min, double max, double *out)
{
    char *end = NULL;
    errno = 0;
    double value = strtod(text, &end);
    if (end == text || *end != '\0' || errno != 0 || !isfinite(value) || value < min || value > max)
        return ilrl_error(ILRL_EUSAGE, "%s: '%s' is not a number in [%g, %g]", option, text, min, max);
    *out = value;
    return ILRL_OK;
}

static int parse_range(const char *option, const char *text, double *min, double *max)
{
    char *end = NULL;
    errno = 0;
    *min = strtod(text, &end);
    if (end == text || *end != ':' || errno != 0)
        return ilrl_error(ILRL_EUSAGE, "%s: '%s' is not MIN:MAX", option, text);
    const char *rest = end + 1;
    *max = strtod(rest, &end);
    if (end == rest || *end != '\0' || errno != 0)
        return ilrl_error(ILRL_EUSAGE, "%s: '%s' is not MIN:MAX", option, text);
    if (!isfinite(*min) || !isfinite(*max) || !(*min < *max))
        return ilrl_error(ILRL_EUSAGE, "%s: '%s' needs finite MIN < MAX", option, text);
    return ILRL_OK;
}

static int parse_tile(const char *text, size_t *tile_nx, size_t *tile_ny)
{
    char copy[64];
    if (strlen(text) >= sizeof copy)
        return ilrl_error(ILRL_EUSAGE, "--tile: '%s' is not NX or NXxNY", text);
    strcpy(copy, text);
    char *cross = strchr(copy, 'x');
    if (cross != NULL)
        *cross = '\0';
    int status = parse_size("--tile", copy, 65536, tile_nx);
    if (status == ILRL_OK)
        status = cross ? parse_size("--tile", cross + 1, 65536, tile_ny)
                       : (*tile_ny = *tile_nx, ILRL_OK);
    if (status != ILRL_OK)   /* name the whole value, not the half at fault */
        return ilrl_error(ILRL_EUSAGE, "--tile: '%s' is not NX or NXxNY with each in [1, 65536]", text);
    return status;
}

/* --objectives LIST: the one place the objectives are chosen.  il and rl
 * are always computed (every landscape file has them, and L_CQL is built on
 * L_IL), so naming them is allowed and changes nothing; td, cql and return
 * add their arrays.  --objective return is the older spelling of adding
 * return. */
static int parse_objectives(const char *text, struct ilrl_landscape_options *options)
{
    const char *item = text;
    for (;;) {
        size_t length = strcspn(item, ",");
        if (length == 2 && strncmp(item, "il", 2) == 0) {
        } else if (length == 2 && strncmp(item, "rl", 2) == 0) {
        } else if (length == 2 && strncmp(item, "td", 2) == 0) {
            options->objective_td = 1;
        } else if (length == 3 && strncmp(item, "cql", 3) == 0) {
            options->objective_cql = 1;
        } else if (length == 6 && strncmp(item, "return", 6) == 0) {
            options->objective_return = 1;
        } else {
            return ilrl_error(ILRL_EUSAGE, "--objectives: '%.*s' in '%s' is not one of il, rl, td, cql, return",
                              (int)length, item, text);
        }
        if (item[length] == '\0')
            return ILRL_OK;
        item += length + 1;
    }
}

/* Parses argv into options.  Returns ILRL_OK, ILRL_EUSAGE, or -1 when the
 * program should exit 0 at once (--help, --version). */
static int parse_options(int argc, char **argv, struct ilrl_landscape_options *options,
                         int speak)
{
    int status = ILRL_OK, option;
    size_t index = 0;
    int x_given = 0, y_given = 0, tile_given = 0;
    int td_target_given = 0, cql_alpha_given = 0;

    *options = (struct ilrl_landscape_options){
        .out_path = "landscape.nc", .activation = ILRL_ACTIVATION_TANH, .seed = 1,
        .rl_weight = {ILRL_RL_WEIGHT_RETURN, 0.0}, .gamma = 0.99, .nx = 101, .ny = 101,
        .tile_nx = DEFAULT_TILE, .tile_ny = DEFAULT_TILE, .checkpoint_seconds = 30.0,
        .rollouts = 8, .rollout_steps = 1000, .rollout_policy = ILRL_ROLLOUT_GREEDY,
        .td_target = ILRL_VALUE_TARGET_FROZEN, .cql_alpha = 1.0,
    };
    opterr = 0;
    while (status == ILRL_OK
           && (option = getopt_long(argc, argv, ":", long_options, NULL)) != -1) {
        switch (option) {
        case OPT_DEMO: options->demo_path = optarg; break;
        case OPT_LAYERS: options->layers = optarg; break;
        case OPT_ACTIVATION:
            status = ilrl_activation_parse(optarg, &options->activation);
            if (status != ILRL_OK)
                status = ilrl_error(status, "--activation: '%s' is not tanh or relu", optarg);
            options->activation_given = 1;
            break;
        case OPT_PATH:
            options->path = optarg;
            if (optarg[0] == '\0')
                status = ilrl_error(ILRL_EUSAGE, "--path: the file name is empty");
            break;
        case OPT_THETA:
            options->theta = optarg;
            if (optarg[0] == '\0')
                status = ilrl_error(ILRL_EUSAGE, "--theta: the file name is empty");
            break;
        case OPT_SEED: {
            size_t seed = 0;
            status = parse_size("--seed", optarg, 4294967295UL, &seed);
            if (status != ILRL_OK && strcmp(optarg, "0") == 0)
                status = ILRL_OK;   /* seed 0 is a seed too */
            options->seed = (unsigned long)seed;
            break;
        }
        case OPT_RL_WEIGHT:
            status = ilrl_rl_weight_parse(optarg, &options->rl_weight);
            if (status != ILRL_OK)
                status = ilrl_error(status, "--rl-weight: %s", ilrl_error_message());
            break;
        case OPT_GAMMA: status = parse_double("--gamma", optarg, 0.0, 1.0, &options->gamma); break;
        case OPT_PLANE: options->plane = optarg; break;
        case OPT_NX: status = parse_size("--nx", optarg, MAX_AXIS, &options->nx); break;
        case OPT_NY: status = parse_size("--ny", optarg, MAX_AXIS, &options->ny); break;
        case OPT_X_RANGE:
            status = parse_range("--x-range", optarg, &options->x_min, &options->x_max);
            x_given = 1;
            break;
        case OPT_Y_RANGE:
            status = parse_range("--y-range", optarg, &options->y_min, &options->y_max);
            y_given = 1;
            break;
        case OPT_OUT:
            options->out_path = optarg;
            if (optarg[0] == '\0')
                status = ilrl_error(ILRL_EUSAGE, "--out: the file name is empty");
            break;
        case OPT_TILE:
            status = parse_tile(optarg, &options->tile_nx, &options->tile_ny);
            tile_given = 1;
            break;
        case OPT_CHECKPOINT:
            status = parse_double("--checkpoint", optarg, 1e-3, 1e9, &options->checkpoint_seconds);
            break;
        case OPT_OBJECTIVE:
            if (strcmp(optarg, "losses") == 0 || strcmp(optarg, "return") == 0)
                options->objective_return = strcmp(optarg, "return") == 0;
            else
                status = ilrl_error(ILRL_EUSAGE, "--objective: '%s' is not losses or return", optarg);
            break;
        case OPT_OBJECTIVES: status = parse_objectives(optarg, options); break;
        case OPT_TD_TARGET:
            status = ilrl_value_target_parse(optarg, &options->td_target);
            td_target_given = 1;
            break;
        case OPT_CQL_ALPHA:
            status = parse_double("--cql-alpha", optarg, 0.0, 1e12, &options->cql_alpha);
            cql_alpha_given = 1;
            break;
        case OPT_ROLLOUTS: status = parse_size("--rollouts", optarg, 1000000, &options->rollouts); break;
        case OPT_ROLLOUT_STEPS: {
            size_t steps = 0;
            status = parse_size("--rollout-steps", optarg, 100000000, &steps);
            options->rollout_steps = (long)steps;
            break;
        }
        case OPT_ROLLOUT_POLICY:
            if (ilrl_rollout_policy_parse(optarg, &options->rollout_policy) != ILRL_OK)
                status = ilrl_error(ILRL_EUSAGE, "--rollout-policy: '%s' is not greedy or sample", optarg);
            break;
        case OPT_RESUME: options->resume = 1; break;
        case OPT_FORCE: options->force = 1; break;
        case OPT_QUIET: options->quiet = 1; break;
        case OPT_HELP:
            if (speak)
                fputs(usage_text, stdout);
            return -1;
        case OPT_VERSION:
            if (speak)
                ilrl_version_print(stdout, PROGRAM);
            return -1;
        case ':':
            status = ilrl_error(ILRL_EUSAGE, "%s needs a value", argv[optind - 1]);
            break;
        default:
            status = ilrl_error(ILRL_EUSAGE, "unknown option '%s'", argv[optind - 1]);
            break;
        }
        index++;
    }
    if (status == ILRL_OK && optind < argc)
        status = ilrl_error(ILRL_EUSAGE, "unexpected argument '%s'", argv[optind]);
    if (status == ILRL_OK && x_given != y_given)
        status = ilrl_error(ILRL_EUSAGE, "give both --x-range and --y-range, or neither");
    options->ranges_given = x_given && y_given;
    /* A TD setting without a value objective would be silently ignored. */
    if (status == ILRL_OK && cql_alpha_given && !options->objective_cql)
        status = ilrl_error(ILRL_EUSAGE, "--cql-alpha: needs cql in --objectives");
    if (status == ILRL_OK && td_target_given && !options->objective_td && !options->objective_cql)
        status = ilrl_error(ILRL_EUSAGE, "--td-target: needs td or cql in --objectives");
    /* Costly points want small tiles, so that the last ones do not leave a
     * rank idle.  Rollout cost varies ~30x across a plane (reference plane,
     * 2 ranks: 16x16 tiles 4.5 s and 100 %/100 % busy; 32x32 tiles 5.2 s and
     * 76 %/100 %); a dense (random, gradients) point costs the whole forward
     * pass (15 000-step demo, 101x101, 2 ranks: 16x16 tiles 20.4 s and
     * 98 %/93 % busy; 32x32 21.9 s and 82 %/97 %). */
    int dense_plane = options->plane != NULL && strncmp(options->plane, "weights", 7) != 0;
    if (!tile_given && (options->objective_return || dense_plane))
        options->tile_nx = options->tile_ny = DEFAULT_COSTLY_TILE;
    /* Whether the grid fits in memory is not decided here: every rank
     * parses argv, and only rank 0 may judge for all (landscape.h). */
    return status;
}

/* SIGTERM, SIGINT, SIGUSR1: the run checkpoints and stops (the library
 * polls the request between points).  A second signal leaves at once only
 * when this is the only rank.  With several ranks, a rank that left on its
 * own would leave the others waiting in a collective for ever wherever the
 * launcher does not kill them (srun without --kill-on-bad-exit; seen on two
 * nodes over TCP, where srun had forwarded the batch shell's USR1 to every
 * rank twice); the stop path itself is bounded (schedule.h: a silent worker
 * is given up after a grace and every rank ends). */
static volatile sig_atomic_t single_rank = 1;

static void on_stop_signal(int signum)
{
    if (ilrl_landscape_interrupt_signal() != 0) {
        if (single_rank)
            _exit(128 + signum);
        return;
    }
    ilrl_landscape_request_stop(signum);
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

int main(int argc, char **argv)
{
    struct ilrl_landscape_options options;
    int status = ilrl_schedule_init(&argc, &argv);
    if (status != ILRL_OK) {
        fprintf(stderr, PROGRAM ": %s\n", ilrl_error_message());
        return ilrl_exit_code(status);
    }
    int rank = ilrl_schedule_rank();
    char *history = ilrl_ncfile_history(argc, argv);

    /* Every rank parses the same argv, so all reach the same verdict
     * without talking; rank 0 alone prints it. */
    status = parse_options(argc, argv, &options, rank == 0);
    if (status == -1) {
        free(history);
        ilrl_schedule_finalize();
        return 0;
    }
    options.command_line = history ? history : PROGRAM;
    /* Notices and progress: rank 0 speaks, unless --quiet. */
    ilrl_notice_setup(rank == 0 && !options.quiet ? stderr : NULL, PROGRAM, rank);
    if (status == ILRL_OK) {
        single_rank = ilrl_schedule_size() == 1;
        install_signal_handlers();
        status = ilrl_landscape_run(&options);
    }
    if (status != ILRL_OK && rank == 0) {
        fprintf(stderr, PROGRAM ": %s\n", ilrl_error_message());
    }
    free(history);
    ilrl_schedule_finalize();
    if (status == ILRL_EINTERRUPTED)
        return 128 + ilrl_landscape_interrupt_signal();
    return ilrl_exit_code(status);
}
