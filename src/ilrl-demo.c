/* ilrl-demo -- plays sessions of an environment (Flappy Bird by default,
 * CartPole with --env cartpole) with a pilot and records them as a
 * demonstration file (docs/flappy-bird.md, docs/cartpole.md, docs/formats.md,
 * docs/exit-status.md).
 *
 * The program parses options and calls the library: ilrl_pilot_spec_parse
 * takes the --pilot value apart, the program reads the file a pilot needs
 * (a keys file with keys_io.h, a landscape with ilrl_landscape_read) and
 * builds the pilot from its contents -- pilots open no files --,
 * ilrl_record_session plays the episodes, ilrl_demo_write saves them.  The
 * output is checked before playing, so nobody plays a session that cannot be
 * saved.
 *
 * A network pilot (network:LANDSCAPE.nc:I,J) gets the network of the file
 * (layer_sizes, activation) and the point's theta(x[I], y[J]) formed with
 * ilrl_plane_point as the engine does.  The file's rollout settings (init_seed,
 * rollouts, rollout_steps, reward_scheme, rollout_policy; absent
 * reward_scheme means the environment's default) are the defaults of --seed,
 * --episodes, --max-steps and --rewards for it (explicit options still win);
 * its environment is --env when given, else the one whose observation size
 * and action count are the network's (the landscape file does not name the
 * environment; its layer sizes do); a file made
 * with --objective losses has none and plays 8 greedy episodes of at most
 * 1000 steps.  I, J outside the grid is a command-line error (2); an
 * unreadable file, or one without a Flappy Bird network or with unusable
 * settings, is a bad input file (3, naming the file).
 * Exit status: 0 success, 2 bad command line (keys file included), 3 bad
 * landscape file (network pilot), 4 output problem (exists, unwritable, disk
 * full), 1 anything else.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ilrl/demo.h"
#include "ilrl/demo_io.h"
#include "ilrl/env.h"
#include "ilrl/error.h"
#include "ilrl/keys_io.h"
#include "ilrl/landscape_io.h"
#include "ilrl/ncfile.h"
#include "ilrl/network_pilot.h"
#include "ilrl/pilot.h"
#include "ilrl/plane.h"
#include "ilrl/record.h"
#include "ilrl/rollout.h"
#include "ilrl/version.h"

#define PROGRAM "ilrl-demo"

/* Defaults: five episodes is the manual's yardstick for the strong pilot (>= 50
 * pipes per episode over 5 episodes of 3000 steps); the poor pilot needs one
 * but five cost nothing. */
#define DEFAULT_PILOT "poor"
#define DEFAULT_EPISODES 5
#define DEFAULT_MAX_STEPS 3000
#define DEFAULT_SEED 1
#define DEFAULT_OUT "demo.nc"
#define DEFAULT_FPS 30.0

struct settings {
    const struct ilrl_env_type *env;
    const char *pilot;
    size_t n_episodes;
    long max_steps;
    unsigned long seed;
    const char *rewards;     /* --rewards, parsed once the environment is known */
    int scheme;
    const char *out;
    int force;
    int quiet;
    int render;
    double fps;
    /* Given on the command line (else a network pilot's file decides). */
    int episodes_set, max_steps_set, seed_set, rewards_set, env_set;
};

static void usage(FILE *out)
{
    fprintf(out,
"Usage: " PROGRAM " [OPTION]...\n"
"Play Flappy Bird (or another environment) with a pilot and record the\n"
"session as a demonstration file (NetCDF-4, see docs/formats.md) for\n"
"ilrl-landscape.\n"
"\n"
"  -e, --env ENV         flappy-bird (default) or cartpole (CartPole-v1)\n"
"  -p, --pilot PILOT     poor | strong | noisy:EPS | random | human | keys:FILE\n"
"                        | network:LANDSCAPE.nc:I,J (default " DEFAULT_PILOT ")\n"
"  -n, --episodes N      episodes to play, N >= 1 (default %d)\n"
"      --max-steps N     truncate an episode after N steps (default %d)\n"
"  -s, --seed N          session seed: pipe gaps (start states) and the\n"
"                        pilot's own random choices (default %d)\n"
"      --rewards SCHEME  flappy-bird: sparse (+1 pipe, -1 crash, default) or\n"
"                        shaped; cartpole: default (+1 per step) or shaped\n"
"                        (0 per step, -1 when the pole falls)\n"
"  -o, --out FILE        output file (default " DEFAULT_OUT ")\n"
"  -f, --force           overwrite FILE if it exists\n"
"  -q, --quiet           print nothing on success\n"
"      --render          draw the game in the terminal while recording\n"
"      --fps F           frame rate of --render and the human pilot (default %g)\n"
"  -h, --help            show this help and exit\n"
"  -V, --version         show versions of the program and its libraries\n"
"\n"
"network:LANDSCAPE.nc:I,J replays the policy of grid point (I, J) (x index I,\n"
"y index J) of an ilrl-landscape file with the seeds, episodes, steps, reward\n"
"scheme and greedy/sampled actions of its --objective return rollouts, so its\n"
"mean score, length and return equal the file's score_mean, length_mean and\n"
"return_mean there; --episodes, --max-steps, --seed and --rewards given\n"
"explicitly override the file's.  A file without rollouts (--objective\n"
"losses) plays 8 greedy episodes of at most 1000 steps.\n"
"\n"
"keys:FILE plays action 1 (flap; cartpole: push right) on the session frames\n"
"listed in FILE and action 0 (idle; push left) on all others, one index >= 0\n"
"per line ('#' comments and blank lines skipped).  FILE must be a regular file\n"
"of at most 16 MiB and 1000000 lines.\n"
"\n"
"CartPole-v1 episodes end at 500 steps (its time limit) at the latest.\n"
"\n"
"Prints one line per episode (steps, score, terminated or truncated) and a\n"
"total.  Exit status: 0 success, 2 bad command line, 3 bad landscape file\n"
"(network pilot), 4 output problem (exists, unwritable, disk full), 1\n"
"anything else.\n",
            DEFAULT_EPISODES, DEFAULT_MAX_STEPS, DEFAULT_SEED, DEFAULT_FPS);
}

/* One line on stderr naming the option; returns the usage status. */
static int bad_usage(const char *format, ...) __attribute__((format(printf, 1, 2)));
static int bad_usage(const char *format, ...)
{
    char message[512];
    va_list args;
    va_start(args, format);
    vsnprintf(message, sizeof message, format, args);
    va_end(args);
    fprintf(stderr, PROGRAM ": %s (try '" PROGRAM " --help')\n", message);
    return ILRL_EUSAGE;
}

/* A whole-string integer in [min, max]. */
static int parse_long(const char *option, const char *text, long min, long max,
                      const char *what, long *value)
{
    char *end;
    long parsed;

    errno = 0;
    parsed = strtol(text, &end, 10);
    if (text[0] == '\0' || *end != '\0' || errno == ERANGE || parsed < min
        || parsed > max)
        return bad_usage("%s: '%s' is not %s", option, text, what);
    *value = parsed;
    return ILRL_OK;
}

static int parse_fps(const char *text, double *fps)
{
    char *end;
    double parsed;

    errno = 0;
    parsed = strtod(text, &end);
    if (text[0] == '\0' || *end != '\0' || errno == ERANGE || !isfinite(parsed)
        || parsed <= 0.0 || parsed > 1000.0)
        return bad_usage("--fps: '%s' is not a frame rate in (0, 1000]", text);
    *fps = parsed;
    return ILRL_OK;
}

enum { OPT_MAX_STEPS = 256, OPT_REWARDS, OPT_RENDER, OPT_FPS };

/* Returns ILRL_OK, ILRL_EUSAGE (message printed) or -1 after --help/--version. */
static int parse_options(int argc, char **argv, struct settings *settings)
{
    static const struct option options[] = {
        { "env", required_argument, NULL, 'e' },
        { "pilot", required_argument, NULL, 'p' },
        { "episodes", required_argument, NULL, 'n' },
        { "max-steps", required_argument, NULL, OPT_MAX_STEPS },
        { "seed", required_argument, NULL, 's' },
        { "rewards", required_argument, NULL, OPT_REWARDS },
        { "out", required_argument, NULL, 'o' },
        { "force", no_argument, NULL, 'f' },
        { "quiet", no_argument, NULL, 'q' },
        { "render", no_argument, NULL, OPT_RENDER },
        { "fps", required_argument, NULL, OPT_FPS },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 },
    };
    long value;
    int c, status = ILRL_OK;

    opterr = 0; /* our own one-line messages */
    while (status == ILRL_OK
           && (c = getopt_long(argc, argv, ":e:p:n:s:o:fqhV", options, NULL)) != -1) {
        switch (c) {
        case 'e':
            if (ilrl_env_parse(optarg, &settings->env) != ILRL_OK)
                status = bad_usage("--env: '%s' is not an environment (%s)", optarg,
                                   ilrl_env_names());
            settings->env_set = 1;
            break;
        case 'p':
            settings->pilot = optarg;
            break;
        case 'n':
            status = parse_long("--episodes", optarg, 1, 10000000,
                                "a positive integer", &value);
            settings->n_episodes = (size_t)value;
            settings->episodes_set = 1;
            break;
        case OPT_MAX_STEPS:
            status = parse_long("--max-steps", optarg, 1, 1000000000,
                                "a positive integer", &value);
            settings->max_steps = value;
            settings->max_steps_set = 1;
            break;
        case 's':
            status = parse_long("--seed", optarg, 0, 4294967295L,
                                "an integer in [0, 4294967295]", &value);
            settings->seed = (unsigned long)value;
            settings->seed_set = 1;
            break;
        case OPT_REWARDS:
            settings->rewards = optarg;
            settings->rewards_set = 1;
            break;
        case 'o':
            if (optarg[0] == '\0')
                status = bad_usage("--out: the file name is empty");
            settings->out = optarg;
            break;
        case 'f':
            settings->force = 1;
            break;
        case 'q':
            settings->quiet = 1;
            break;
        case OPT_RENDER:
            settings->render = 1;
            break;
        case OPT_FPS:
            status = parse_fps(optarg, &settings->fps);
            break;
        case 'h':
            usage(stdout);
            return -1;
        case 'V':
            ilrl_version_print(stdout, PROGRAM);
            return -1;
        case ':':
            return bad_usage("option '%s' needs a value", argv[optind - 1]);
        default:
            if (optopt != 0)
                return bad_usage("unknown option '-%c'", optopt);
            return bad_usage("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (status == ILRL_OK && optind < argc)
        status = bad_usage("unexpected argument '%s'", argv[optind]);
    /* A network pilot's environment is known once its file is read (run()). */
    if (status == ILRL_OK && settings->rewards != NULL
        && strncmp(settings->pilot, "network:", 8) != 0
        && ilrl_env_scheme_parse(settings->env, settings->rewards, &settings->scheme) != ILRL_OK)
        status = bad_usage("--rewards: '%s' is not %s (the reward schemes of %s)",
                           settings->rewards, ilrl_env_scheme_list(settings->env),
                           settings->env->name);
    return status;
}

/* What a network pilot replays: the point and the file's rollout settings. */
struct replay {
    size_t i, j;                      /* grid indices: x index I, y index J */
    size_t point;                     /* j * nx + i, the seed's point index */
    double x, y;                      /* plane coordinates x[I], y[J] */
    unsigned long run_seed;           /* the file's init_seed (its --seed) */
    size_t n_episodes;                /* the file's rollouts */
    long max_steps;                   /* rollout_steps */
    int scheme;                       /* reward_scheme (absent: the default) */
    enum ilrl_rollout_policy policy;  /* rollout_policy */
    double gamma;                     /* the file's gamma, for the returns */
};

/* The file's reward scheme among those of `env`, the environment the
 * network plays (known once the pilot is built). */
static int replay_scheme(struct replay *replay, const char *path,
                         const struct ilrl_landscape_meta *meta,
                         const struct ilrl_env_type *env)
{
    replay->scheme = 0;
    if (meta->reward_scheme[0] != '\0'
        && ilrl_env_scheme_parse(env, meta->reward_scheme, &replay->scheme) != ILRL_OK)
        return ilrl_error(ILRL_EINPUT, "%s: reward_scheme '%s' is not %s (the schemes of %s)",
                          path, meta->reward_scheme, ilrl_env_scheme_list(env), env->name);
    return ILRL_OK;
}

/* The replay settings from the file's attributes (see the top of this file),
 * but the reward scheme (replay_scheme). */
static int replay_settings(struct replay *replay, const char *path,
                           const struct ilrl_landscape_meta *meta)
{
    if (meta->init_seed < 0 || meta->init_seed > 4294967295L)
        return ilrl_error(ILRL_EINPUT, "%s: init_seed = %ld is outside [0, 4294967295]",
                          path, meta->init_seed);
    replay->run_seed = (unsigned long)meta->init_seed;
    replay->gamma = meta->gamma;
    if (!isfinite(replay->gamma))
        return ilrl_error(ILRL_EINPUT, "%s: gamma is not a finite number", path);
    if (strcmp(meta->objective, "return") != 0) {
        replay->n_episodes = ILRL_NETWORK_PILOT_EPISODES;
        replay->max_steps = ILRL_NETWORK_PILOT_MAX_STEPS;
        replay->policy = ILRL_ROLLOUT_GREEDY;
        return ILRL_OK;
    }
    if (meta->rollouts < 1)
        return ilrl_error(ILRL_EINPUT, "%s: rollouts = %ld (need >= 1)", path, meta->rollouts);
    if (meta->rollout_steps < 1 || meta->rollout_steps > INT32_MAX)
        return ilrl_error(ILRL_EINPUT, "%s: rollout_steps = %ld is outside [1, %ld]", path,
                          meta->rollout_steps, (long)INT32_MAX);
    if (ilrl_rollout_policy_parse(meta->rollout_policy, &replay->policy) != ILRL_OK)
        return ilrl_error(ILRL_EINPUT, "%s: rollout_policy '%s' is not greedy or sample",
                          path, meta->rollout_policy);
    replay->n_episodes = (size_t)meta->rollouts;
    replay->max_steps = meta->rollout_steps;
    return ILRL_OK;
}

/* Hands the landscape's network at the replay's point to the network pilot. */
static int hand_over_network(const struct ilrl_pilot_spec *spec, const char *path,
                             const struct ilrl_landscape *landscape,
                             const struct replay *replay, const struct ilrl_env_type *env,
                             struct ilrl_pilot **pilot)
{
    const struct ilrl_landscape_meta *meta = &landscape->meta;
    struct ilrl_network_pilot_spec network = {
        .env = env,
        .n_layer_sizes = meta->n_layer_sizes, .n_params = landscape->n_params,
        .point = replay->point, .policy = replay->policy,
    };
    size_t *sizes = malloc((meta->n_layer_sizes + 1) * sizeof *sizes);
    double *theta = malloc((landscape->n_params + 1) * sizeof *theta);
    int status = ILRL_OK;
    if (sizes == NULL || theta == NULL)
        status = ilrl_error(ILRL_EFAILED, "out of memory for the network pilot");
    if (status == ILRL_OK) {
        for (size_t k = 0; k < meta->n_layer_sizes; k++)
            sizes[k] = meta->layer_sizes[k] > 0 ? (size_t)meta->layer_sizes[k] : 0;
        ilrl_plane_point(landscape->n_params, landscape->theta0, landscape->direction_x,
                         landscape->direction_y, replay->x, replay->y, theta);
        network.layer_sizes = sizes;
        network.theta = theta;
        if (ilrl_activation_parse(meta->activation, &network.activation) != ILRL_OK)
            status = ilrl_error(ILRL_EINPUT, "%s: activation '%s' is not tanh or relu", path,
                                meta->activation);
    }
    if (status == ILRL_OK)
        status = ilrl_network_pilot_new(spec->name, &network, pilot);
    if (status == ILRL_EINPUT) {
        char reason[512];
        snprintf(reason, sizeof reason, "%s", ilrl_error_message());
        if (strncmp(reason, path, strlen(path)) != 0)
            status = ilrl_error(ILRL_EINPUT, "%s: %s", path, reason);
    }
    free(theta);
    free(sizes);
    return status;
}

/* network:LANDSCAPE.nc:I,J: reads the file, fills *replay, builds the pilot
 * (of `env`, or of the environment its layer sizes fit when env is NULL). */
static int network_pilot(const struct ilrl_pilot_spec *spec, const struct ilrl_env_type *env,
                         struct replay *replay, struct ilrl_pilot **pilot)
{
    struct ilrl_landscape *landscape = NULL;
    int status = ilrl_landscape_read(spec->file, &landscape);
    if (status == ILRL_OK && spec->i >= landscape->nx)
        status = ilrl_error(ILRL_EUSAGE, "pilot '%s': I = %zu is outside the grid's x "
                            "indices [0, %zu)", spec->name, spec->i, landscape->nx);
    if (status == ILRL_OK && spec->j >= landscape->ny)
        status = ilrl_error(ILRL_EUSAGE, "pilot '%s': J = %zu is outside the grid's y "
                            "indices [0, %zu)", spec->name, spec->j, landscape->ny);
    if (status == ILRL_OK)
        status = replay_settings(replay, spec->file, &landscape->meta);
    if (status == ILRL_OK) {
        replay->i = spec->i;
        replay->j = spec->j;
        replay->point = spec->j * landscape->nx + spec->i;
        replay->x = landscape->x[spec->i];
        replay->y = landscape->y[spec->j];
        status = hand_over_network(spec, spec->file, landscape, replay, env, pilot);
    }
    if (status == ILRL_OK)
        status = replay_scheme(replay, spec->file, &landscape->meta, ilrl_pilot_env(*pilot));
    ilrl_landscape_free(landscape);
    return status;
}

/* keys:FILE: reads the file's frames and builds the pilot. */
static int keys_pilot(const struct ilrl_pilot_spec *spec, struct ilrl_pilot **pilot)
{
    long *frames = NULL;
    size_t n = 0;
    int status = ilrl_keys_read(spec->file, &frames, &n);
    if (status == ILRL_OK)
        status = ilrl_pilot_keys(spec->name, frames, n, pilot);
    free(frames);
    return status;
}

/* The pilot of --pilot; *is_network says whether *replay was filled. */
static int build_pilot(const struct settings *settings, struct ilrl_pilot **pilot,
                       struct replay *replay, int *is_network)
{
    struct ilrl_pilot_spec spec;
    *is_network = 0;
    int status = ilrl_pilot_spec_parse(settings->pilot, &spec);
    if (status == ILRL_OK && spec.kind == ILRL_PILOT_KEYS)
        status = keys_pilot(&spec, pilot);
    else if (status == ILRL_OK && spec.kind == ILRL_PILOT_NETWORK) {
        status = network_pilot(&spec, settings->env_set ? settings->env : NULL, replay, pilot);
        *is_network = status == ILRL_OK;
    }
    else if (status == ILRL_OK)
        status = ilrl_pilot_new_env(settings->env, &spec, settings->seed, pilot);
    ilrl_pilot_spec_free(&spec);
    if (status == ILRL_EUSAGE) {
        char reason[1024];
        snprintf(reason, sizeof reason, "%s", ilrl_error_message());
        status = ilrl_error(status, "--pilot: %s", reason);
    }
    return status;
}

/* A network pilot's replay: the point and the statistics the landscape
 * stores for it, computed with the rollout module's own arithmetic. */
static void print_replay(const struct ilrl_demo *demo, const struct replay *network)
{
    struct ilrl_rollout_tally tally = {0};
    struct ilrl_rollout_stats stats;
    for (size_t e = 0; e < demo->n_episodes; e++)
        ilrl_rollout_tally_add(&tally,
                               ilrl_rollout_episode_return(
                                   &demo->reward[demo->episode_start[e]],
                                   (size_t)demo->episode_length[e], network->gamma),
                               demo->score != NULL ? demo->score[e] : 0,
                               demo->episode_length[e]);
    ilrl_rollout_tally_stats(&tally, &stats);
    printf("grid point (%zu, %zu) at (x, y) = (%.17g, %.17g), %s policy: return_mean %.17g, "
           "return_std %.17g (gamma %g), score_mean %.17g, length_mean %.17g\n",
           network->i, network->j, network->x, network->y,
           ilrl_rollout_policy_name(network->policy), stats.return_mean, stats.return_std,
           network->gamma, stats.score_mean, stats.length_mean);
}

/* An environment without a score (CartPole) prints the mean length and
 * the mean undiscounted return instead. */
static void print_summary(const struct ilrl_demo *demo, const char *out)
{
    long total_score = 0;

    for (size_t e = 0; e < demo->n_episodes; e++) {
        int score = demo->score != NULL ? demo->score[e] : 0;
        total_score += score;
        if (demo->score != NULL)
            printf("episode %zu: %d steps, score %d, %s\n", e + 1, demo->episode_length[e],
                   score, demo->terminated[e] ? "terminated" : "truncated");
        else
            printf("episode %zu: %d steps, %s\n", e + 1, demo->episode_length[e],
                   demo->terminated[e] ? "terminated" : "truncated");
    }
    if (demo->score != NULL) {
        printf("total: %zu episode%s, %zu steps, mean score %.2f, wrote %s\n",
               demo->n_episodes, demo->n_episodes == 1 ? "" : "s", demo->n_steps,
               (double)total_score / (double)demo->n_episodes, out);
        return;
    }
    double total_return = 0.0;
    for (size_t t = 0; t < demo->n_steps; t++)
        total_return += demo->reward[t];
    printf("total: %zu episode%s, %zu steps, mean length %.2f, mean return %.2f, wrote %s\n",
           demo->n_episodes, demo->n_episodes == 1 ? "" : "s", demo->n_steps,
           (double)demo->n_steps / (double)demo->n_episodes,
           total_return / (double)demo->n_episodes, out);
}

/* Plays and writes; returns a library status (message recorded). */
static int run(const struct settings *settings, const char *history)
{
    struct ilrl_record_options record = {
        .env = NULL,   /* the pilot's (a keys pilot: set below) */
        .n_episodes = settings->n_episodes,
        .max_steps = settings->max_steps,
        .seed = settings->seed,
        .scheme = settings->scheme,
        .render = settings->render,
        .render_to = stdout,
        .fps = settings->fps,
        .on_episode = NULL,
        .on_episode_ctx = NULL,
    };
    struct ilrl_pilot *pilot = NULL;
    struct ilrl_demo *demo = NULL;
    struct replay replay;
    int is_network = 0;
    int status;

    status = build_pilot(settings, &pilot, &replay, &is_network);
    const struct replay *network = is_network ? &replay : NULL;
    if (status == ILRL_OK && ilrl_pilot_env(pilot) == NULL)
        record.env = settings->env;
    if (status == ILRL_OK && network != NULL && settings->env_set
        && ilrl_pilot_env(pilot) != settings->env)
        status = ilrl_error(ILRL_EUSAGE, "--env %s: the network pilot plays %s",
                            settings->env->name, ilrl_pilot_env(pilot)->name);
    if (status == ILRL_OK && network != NULL && settings->rewards_set
        && ilrl_env_scheme_parse(ilrl_pilot_env(pilot), settings->rewards,
                                 &record.scheme) != ILRL_OK)
        status = ilrl_error(ILRL_EUSAGE, "--rewards: '%s' is not %s (the reward schemes of %s)",
                            settings->rewards, ilrl_env_scheme_list(ilrl_pilot_env(pilot)),
                            ilrl_pilot_env(pilot)->name);
    if (status == ILRL_OK && network != NULL) {
        if (!settings->episodes_set)
            record.n_episodes = network->n_episodes;
        if (!settings->max_steps_set)
            record.max_steps = network->max_steps;
        if (!settings->seed_set)
            record.seed = network->run_seed;
        if (!settings->rewards_set)
            record.scheme = network->scheme;
    }
    if (status == ILRL_OK)
        status = ilrl_demo_check_output(settings->out, settings->force);
    if (status == ILRL_OK)
        status = ilrl_record_session(pilot, &record, &demo);
    if (status == ILRL_OK)
        status = ilrl_demo_set_string(&demo->history, history);
    if (status == ILRL_OK)
        status = ilrl_demo_write(settings->out, demo, settings->force);
    if (status == ILRL_OK && !settings->quiet) {
        print_summary(demo, settings->out);
        if (network != NULL)
            print_replay(demo, network);
    }
    ilrl_demo_free(demo);
    ilrl_pilot_free(pilot);
    return status;
}

int main(int argc, char **argv)
{
    struct settings settings = {
        .env = ilrl_env_default(),
        .pilot = DEFAULT_PILOT,
        .n_episodes = DEFAULT_EPISODES,
        .max_steps = DEFAULT_MAX_STEPS,
        .seed = DEFAULT_SEED,
        .scheme = 0,
        .out = DEFAULT_OUT,
        .fps = DEFAULT_FPS,
    };
    char *history;
    int status;

    status = parse_options(argc, argv, &settings);
    if (status == -1)
        return EXIT_SUCCESS;
    if (status != ILRL_OK)
        return ilrl_exit_code(status);

    history = ilrl_ncfile_history(argc, argv);
    if (history == NULL) {
        fprintf(stderr, PROGRAM ": out of memory\n");
        return ilrl_exit_code(ILRL_EFAILED);
    }
    status = run(&settings, history);
    free(history);
    if (status != ILRL_OK) {
        fprintf(stderr, PROGRAM ": %s\n", ilrl_error_message());
        return ilrl_exit_code(status);
    }
    return EXIT_SUCCESS;
}
