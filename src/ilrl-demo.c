/* ilrl-demo -- plays Flappy Bird sessions with a pilot and records them as a
 * demonstration file (SPEC §2, §3, §9).
 *
 * The program parses options and calls the library: ilrl_pilot_parse builds
 * the pilot, ilrl_pilot_record plays the episodes, ilrl_demo_write saves them.
 * The output is checked before playing, so nobody plays a session that
 * cannot be saved.  A network pilot (network:LANDSCAPE.nc:I,J) brings the
 * landscape's rollout settings, which are the defaults of --episodes,
 * --max-steps, --seed and --rewards for it (explicit options still win).
 * Exit status: 0 success, 2 bad command line, 3 bad landscape file (network
 * pilot), 4 output problem (exists, unwritable, disk full), 1 anything else.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ilrl/demo.h"
#include "ilrl/demo_io.h"
#include "ilrl/ncfile.h"
#include "ilrl/error.h"
#include "ilrl/flappy.h"
#include "ilrl/pilot.h"
#include "ilrl/rollout.h"
#include "ilrl/version.h"

#define PROGRAM "ilrl-demo"

/* Defaults: five episodes is the SPEC's yardstick for the strong pilot (>= 50
 * pipes per episode over 5 episodes of 3000 steps); the poor pilot needs one
 * but five cost nothing. */
#define DEFAULT_PILOT "poor"
#define DEFAULT_EPISODES 5
#define DEFAULT_MAX_STEPS 3000
#define DEFAULT_SEED 1
#define DEFAULT_OUT "demo.nc"
#define DEFAULT_FPS 30.0

struct settings {
    const char *pilot;
    size_t n_episodes;
    long max_steps;
    unsigned long seed;
    enum ilrl_reward_scheme scheme;
    const char *out;
    int force;
    int quiet;
    int render;
    double fps;
    /* Given on the command line (else a network pilot's file decides). */
    int episodes_set, max_steps_set, seed_set, rewards_set;
};

static void usage(FILE *out)
{
    fprintf(out,
"Usage: " PROGRAM " [OPTION]...\n"
"Play Flappy Bird with a pilot and record the session as a demonstration\n"
"file (NetCDF-4, SPEC section 3) for ilrl-landscape.\n"
"\n"
"  -p, --pilot SPEC      poor | strong | noisy:EPS | random | human | keys:FILE\n"
"                        | network:LANDSCAPE.nc:I,J (default " DEFAULT_PILOT ")\n"
"  -n, --episodes N      episodes to play, N >= 1 (default %d)\n"
"      --max-steps N     truncate an episode after N steps (default %d)\n"
"  -s, --seed N          session seed: pipe gaps and the pilot's own random\n"
"                        choices (default %d)\n"
"      --rewards SCHEME  sparse (+1 pipe, -1 crash) or shaped (default sparse)\n"
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
           && (c = getopt_long(argc, argv, ":p:n:s:o:fqhV", options, NULL)) != -1) {
        switch (c) {
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
            if (ilrl_reward_scheme_parse(optarg, &settings->scheme) != ILRL_OK)
                status = bad_usage("--rewards: '%s' is not sparse or shaped", optarg);
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
    return status;
}

/* A network pilot's replay: the point and the statistics the landscape
 * stores for it, computed with the rollout module's own arithmetic. */
static void print_replay(const struct ilrl_demo *demo, const struct ilrl_pilot_network *network)
{
    struct ilrl_rollout_tally tally = {0};
    struct ilrl_rollout_stats stats;
    for (size_t e = 0; e < demo->n_episodes; e++)
        ilrl_rollout_tally_add(&tally,
                               ilrl_rollout_episode_return(
                                   &demo->reward[demo->episode_start[e]],
                                   (size_t)demo->episode_length[e], network->gamma),
                               demo->score[e], demo->episode_length[e]);
    ilrl_rollout_tally_stats(&tally, &stats);
    printf("grid point (%zu, %zu) at (x, y) = (%.17g, %.17g), %s policy: return_mean %.17g, "
           "return_std %.17g (gamma %g), score_mean %.17g, length_mean %.17g\n",
           network->i, network->j, network->x, network->y,
           ilrl_rollout_policy_name(network->policy), stats.return_mean, stats.return_std,
           network->gamma, stats.score_mean, stats.length_mean);
}

static void print_summary(const struct ilrl_demo *demo, const char *out)
{
    long total_score = 0;

    for (size_t e = 0; e < demo->n_episodes; e++) {
        int score = demo->score != NULL ? demo->score[e] : 0;
        total_score += score;
        printf("episode %zu: %d steps, score %d, %s\n", e + 1, demo->episode_length[e],
               score, demo->terminated[e] ? "terminated" : "truncated");
    }
    printf("total: %zu episode%s, %zu steps, mean score %.2f, wrote %s\n",
           demo->n_episodes, demo->n_episodes == 1 ? "" : "s", demo->n_steps,
           (double)total_score / (double)demo->n_episodes, out);
}

/* Plays and writes; returns a library status (message recorded). */
static int run(const struct settings *settings, const char *history)
{
    struct ilrl_record_options record = {
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
    int status;

    status = ilrl_pilot_parse(settings->pilot, settings->seed, &pilot);
    if (status == ILRL_EUSAGE) {
        char reason[1024];
        snprintf(reason, sizeof reason, "%s", ilrl_error_message());
        status = ilrl_error(status, "--pilot: %s", reason);
    }
    const struct ilrl_pilot_network *network = ilrl_pilot_network(pilot);
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
        status = ilrl_pilot_record(pilot, &record, &demo);
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
        .pilot = DEFAULT_PILOT,
        .n_episodes = DEFAULT_EPISODES,
        .max_steps = DEFAULT_MAX_STEPS,
        .seed = DEFAULT_SEED,
        .scheme = ILRL_REWARD_SPARSE,
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
