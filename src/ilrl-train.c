/* ilrl-train -- learn a policy network from a demonstration (IL), from the
 * environment (RL), or both, on any number of MPI ranks with the same bits
 * (train.h, src/train.c).  This file parses options, says where notices go,
 * installs the signal handlers and calls ilrl_train_run; rank 0 speaks. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ilrl/error.h"
#include "ilrl/ncfile.h"
#include "ilrl/progress.h"
#include "ilrl/schedule.h"
#include "ilrl/train.h"
#include "ilrl/version.h"

#define PROGRAM "ilrl-train"

#if defined(__SANITIZE_ADDRESS__)
/* As in ilrl-landscape: no LeakSanitizer in MPI ranks. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "detect_leaks=0";
}
#endif

static const char usage_text[] =
    "Usage: mpirun -n N " PROGRAM " [OPTION]...\n"
    "Train the policy network by imitation of a demonstration (IL), then by\n"
    "reinforcement in the simulator (RL); write the trajectory to NetCDF.\n"
    "\n"
    "Network:\n"
    "  --demo FILE           demonstration (IL data; RL plays its environment)\n"
    "  --env NAME            environment without a demo (flappy-bird, cartpole)\n"
    "  --rewards SCHEME      its reward scheme (default: the environment's default)\n"
    "  --layers LIST         D,H1,...,K (default D,64,64,K)\n"
    "  --activation NAME     tanh (default) or relu\n"
    "  --seed N              initialisation and every random stream (default 1);\n"
    "                        theta0 is ilrl-landscape's for the same seed and layers\n"
    "  --init FILE[:K]       start from a network file, or checkpoint K of a\n"
    "                        trajectory file (default: its last)\n"
    "Imitation phase:\n"
    "  --il-epochs E         epochs of behaviour cloning (default 0: no IL phase)\n"
    "  --lr RATE             Adam's learning rate, both phases (default 0.001)\n"
    "  --batch B             minibatch size (default 256)\n"
    "  --val-episodes V      hold out the demo's last V episodes (default 0)\n"
    "  --patience P          stop after P epochs without a better held-out loss\n"
    "                        (default 0: never)\n"
    "Reinforcement phase:\n"
    "  --rl-steps S          environment steps (default 0: no RL phase)\n"
    "  --batch-episodes B    episodes per update (default 16)\n"
    "  --rollout-steps M     frames per episode at most (default 1000)\n"
    "  --algo A              ppo (default) or reinforce\n"
    "  --clip EPS            PPO's clip (default 0.2)\n"
    "  --ppo-epochs N        PPO passes over each batch (default 4)\n"
    "  --minibatches N       PPO minibatches per pass (default 4)\n"
    "  --gamma G             discount of the returns-to-go (default 0.99)\n"
    "  --bc-weight L[:DECAY] add L*DECAY^u*L_IL(demo) to the RL objective (default 0)\n"
    "Evaluation and output:\n"
    "  --eval-every N        greedy evaluation every N rows of a phase (default 10)\n"
    "  --eval-episodes N     its episodes, fixed seeds (default 10; 0: none)\n"
    "  --save-every N        keep theta every N rows in the trajectory (default 0)\n"
    "  --out FILE            trajectory file (default trajectory.nc)\n"
    "  --save-network FILE   also write the final network\n"
    "  --checkpoint SECONDS  checkpoint to FILE.partial at least this often (default 30)\n"
    "  --resume              continue from FILE.partial (starts afresh if there is none)\n"
    "  --force               overwrite existing output files\n"
    "  --quiet               no notices on stderr\n"
    "  --help, --version\n"
    "\n"
    "Exit status: 0 success, 2 bad command line, 3 bad input file, 4 output\n"
    "problem, 1 other failure, 128+N stopped by signal N after a checkpoint.\n";

enum {
    OPT_DEMO = 256, OPT_ENV, OPT_REWARDS, OPT_LAYERS, OPT_ACTIVATION, OPT_SEED, OPT_INIT,
    OPT_IL_EPOCHS, OPT_LR, OPT_BATCH, OPT_VAL, OPT_PATIENCE, OPT_RL_STEPS, OPT_BATCH_EPISODES,
    OPT_ROLLOUT_STEPS, OPT_ALGO, OPT_CLIP, OPT_PPO_EPOCHS, OPT_MINIBATCHES, OPT_GAMMA,
    OPT_BC_WEIGHT, OPT_EVAL_EVERY, OPT_EVAL_EPISODES, OPT_SAVE_EVERY, OPT_OUT, OPT_SAVE_NETWORK,
    OPT_CHECKPOINT, OPT_RESUME, OPT_FORCE, OPT_QUIET, OPT_HELP, OPT_VERSION
};

static const struct option long_options[] = {
    {"demo", required_argument, NULL, OPT_DEMO},
    {"env", required_argument, NULL, OPT_ENV},
    {"rewards", required_argument, NULL, OPT_REWARDS},
    {"layers", required_argument, NULL, OPT_LAYERS},
    {"activation", required_argument, NULL, OPT_ACTIVATION},
    {"seed", required_argument, NULL, OPT_SEED},
    {"init", required_argument, NULL, OPT_INIT},
    {"il-epochs", required_argument, NULL, OPT_IL_EPOCHS},
    {"lr", required_argument, NULL, OPT_LR},
    {"batch", required_argument, NULL, OPT_BATCH},
    {"val-episodes", required_argument, NULL, OPT_VAL},
    {"patience", required_argument, NULL, OPT_PATIENCE},
    {"rl-steps", required_argument, NULL, OPT_RL_STEPS},
    {"batch-episodes", required_argument, NULL, OPT_BATCH_EPISODES},
    {"rollout-steps", required_argument, NULL, OPT_ROLLOUT_STEPS},
    {"algo", required_argument, NULL, OPT_ALGO},
    {"clip", required_argument, NULL, OPT_CLIP},
    {"ppo-epochs", required_argument, NULL, OPT_PPO_EPOCHS},
    {"minibatches", required_argument, NULL, OPT_MINIBATCHES},
    {"gamma", required_argument, NULL, OPT_GAMMA},
    {"bc-weight", required_argument, NULL, OPT_BC_WEIGHT},
    {"eval-every", required_argument, NULL, OPT_EVAL_EVERY},
    {"eval-episodes", required_argument, NULL, OPT_EVAL_EPISODES},
    {"save-every", required_argument, NULL, OPT_SAVE_EVERY},
    {"out", required_argument, NULL, OPT_OUT},
    {"save-network", required_argument, NULL, OPT_SAVE_NETWORK},
    {"checkpoint", required_argument, NULL, OPT_CHECKPOINT},
    {"resume", no_argument, NULL, OPT_RESUME},
    {"force", no_argument, NULL, OPT_FORCE},
    {"quiet", no_argument, NULL, OPT_QUIET},
    {"help", no_argument, NULL, OPT_HELP},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0},
};

/* An integer in [min, max]. */
static int parse_count(const char *option, const char *text, unsigned long long min,
                       unsigned long long max, unsigned long long *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long long value = strtoull(text, &end, 10);
    if (text[0] < '0' || text[0] > '9' || *end != '\0' || errno != 0 || value < min || value > max)
        return ilrl_error(ILRL_EUSAGE, "%s: '%s' is not an integer in [%llu, %llu]", option, text,
                          min, max);
    *out = value;
    return ILRL_OK;
}

static int parse_size(const char *option, const char *text, unsigned long long min,
                      unsigned long long max, size_t *out)
{
    unsigned long long value = 0;
    int status = parse_count(option, text, min, max, &value);
    if (status == ILRL_OK)
        *out = (size_t)value;
    return status;
}

static int parse_double(const char *option, const char *text, double min, double max,
                        int open_min, double *out)
{
    char *end = NULL;
    errno = 0;
    double value = strtod(text, &end);
    if (end == text || *end != '\0' || errno != 0 || !isfinite(value) || value < min || value > max
        || (open_min && value == min))
        return ilrl_error(ILRL_EUSAGE, "%s: '%s' is not a number in %s%g, %g]", option, text,
                          open_min ? "(" : "[", min, max);
    *out = value;
    return ILRL_OK;
}

static int parse_bc_weight(const char *text, double *weight, double *decay)
{
    char copy[128];
    if (strlen(text) >= sizeof copy)
        return ilrl_error(ILRL_EUSAGE, "--bc-weight: '%s' is not L or L:DECAY", text);
    strcpy(copy, text);
    char *colon = strchr(copy, ':');
    if (colon != NULL)
        *colon = '\0';
    *decay = 1.0;
    int status = parse_double("--bc-weight", copy, 0.0, 1e6, 0, weight);
    if (status == ILRL_OK && colon != NULL)
        status = parse_double("--bc-weight", colon + 1, 0.0, 1.0, 0, decay);
    if (status != ILRL_OK)
        return ilrl_error(ILRL_EUSAGE, "--bc-weight: '%s' is not L or L:DECAY with L in [0, 1e6] and DECAY in [0, 1]",
                          text);
    return ILRL_OK;
}

/* ILRL_OK, ILRL_EUSAGE, or -1 for --help / --version. */
static int parse_options(int argc, char **argv, struct ilrl_train_options *o, int *quiet, int speak)
{
    int status = ILRL_OK, option;
    unsigned long long wide = 0;
    *o = (struct ilrl_train_options){
        .activation = ILRL_ACTIVATION_TANH, .seed = 1, .lr = 1e-3, .batch = 256,
        .batch_episodes = 16, .rollout_steps = 1000, .algo = ILRL_PG_PPO, .clip = 0.2,
        .ppo_epochs = 4, .minibatches = 4, .gamma = 0.99, .normalise = 1, .bc_decay = 1.0,
        .eval_every = 10, .eval_episodes = 10, .out_path = "trajectory.nc",
        .checkpoint_seconds = 30.0,
    };
    opterr = 0;
    while (status == ILRL_OK && (option = getopt_long(argc, argv, ":", long_options, NULL)) != -1) {
        switch (option) {
        case OPT_DEMO: o->demo_path = optarg; break;
        case OPT_ENV: o->env_name = optarg; break;
        case OPT_REWARDS: o->rewards = optarg; break;
        case OPT_LAYERS: o->layers = optarg; break;
        case OPT_ACTIVATION:
            o->activation_given = 1;
            if (ilrl_activation_parse(optarg, &o->activation) != ILRL_OK)
                status = ilrl_error(ILRL_EUSAGE, "--activation: '%s' is not tanh or relu", optarg);
            break;
        case OPT_SEED:
            status = parse_count("--seed", optarg, 0, 4294967295ULL, &wide);
            o->seed = (unsigned long)wide;
            break;
        case OPT_INIT:
            o->init = optarg;
            if (optarg[0] == '\0')
                status = ilrl_error(ILRL_EUSAGE, "--init: the file name is empty");
            break;
        case OPT_IL_EPOCHS: status = parse_size("--il-epochs", optarg, 0, 100000000, &o->il_epochs); break;
        case OPT_LR: status = parse_double("--lr", optarg, 0.0, 10.0, 1, &o->lr); break;
        case OPT_BATCH: status = parse_size("--batch", optarg, 1, 100000000, &o->batch); break;
        case OPT_VAL: status = parse_size("--val-episodes", optarg, 0, 100000000, &o->val_episodes); break;
        case OPT_PATIENCE: status = parse_size("--patience", optarg, 0, 100000000, &o->patience); break;
        case OPT_RL_STEPS:
            status = parse_count("--rl-steps", optarg, 0, 1000000000000000ULL, &wide);
            o->rl_steps = (long long)wide;
            break;
        case OPT_BATCH_EPISODES:
            status = parse_size("--batch-episodes", optarg, 1, 1000000, &o->batch_episodes);
            break;
        case OPT_ROLLOUT_STEPS:
            status = parse_count("--rollout-steps", optarg, 1, 10000000, &wide);
            o->rollout_steps = (long)wide;
            break;
        case OPT_ALGO:
            if (strcmp(optarg, "ppo") == 0)
                o->algo = ILRL_PG_PPO;
            else if (strcmp(optarg, "reinforce") == 0)
                o->algo = ILRL_PG_REINFORCE;
            else
                status = ilrl_error(ILRL_EUSAGE, "--algo: '%s' is not ppo or reinforce", optarg);
            break;
        case OPT_CLIP:
            status = parse_double("--clip", optarg, 0.0, 1.0, 1, &o->clip);
            if (status == ILRL_OK && o->clip >= 1.0)
                status = ilrl_error(ILRL_EUSAGE, "--clip: '%s' is not a number in (0, 1)", optarg);
            break;
        case OPT_PPO_EPOCHS: status = parse_size("--ppo-epochs", optarg, 1, 10000, &o->ppo_epochs); break;
        case OPT_MINIBATCHES: status = parse_size("--minibatches", optarg, 1, 1000000, &o->minibatches); break;
        case OPT_GAMMA: status = parse_double("--gamma", optarg, 0.0, 1.0, 0, &o->gamma); break;
        case OPT_BC_WEIGHT: status = parse_bc_weight(optarg, &o->bc_weight, &o->bc_decay); break;
        case OPT_EVAL_EVERY: status = parse_size("--eval-every", optarg, 1, 100000000, &o->eval_every); break;
        case OPT_EVAL_EPISODES:
            status = parse_size("--eval-episodes", optarg, 0, 1000000, &o->eval_episodes);
            break;
        case OPT_SAVE_EVERY: status = parse_size("--save-every", optarg, 0, 100000000, &o->save_every); break;
        case OPT_OUT:
            o->out_path = optarg;
            if (optarg[0] == '\0')
                status = ilrl_error(ILRL_EUSAGE, "--out: the file name is empty");
            break;
        case OPT_SAVE_NETWORK:
            o->save_network = optarg;
            if (optarg[0] == '\0')
                status = ilrl_error(ILRL_EUSAGE, "--save-network: the file name is empty");
            break;
        case OPT_CHECKPOINT:
            status = parse_double("--checkpoint", optarg, 1e-3, 1e9, 0, &o->checkpoint_seconds);
            break;
        case OPT_RESUME: o->resume = 1; break;
        case OPT_FORCE: o->force = 1; break;
        case OPT_QUIET: *quiet = 1; break;
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
    }
    if (status == ILRL_OK && optind < argc)
        status = ilrl_error(ILRL_EUSAGE, "unexpected argument '%s'", argv[optind]);
    if (status == ILRL_OK && o->demo_path != NULL && (o->env_name != NULL || o->rewards != NULL))
        status = ilrl_error(ILRL_EUSAGE, "%s: the demo decides the environment and its rewards",
                            o->env_name ? "--env" : "--rewards");
    if (status == ILRL_OK && o->il_epochs == 0 && o->rl_steps == 0)
        status = ilrl_error(ILRL_EUSAGE, "nothing to train: give --il-epochs and/or --rl-steps");
    if (status == ILRL_OK && o->il_epochs > 0 && o->demo_path == NULL)
        status = ilrl_error(ILRL_EUSAGE, "--il-epochs needs --demo");
    if (status == ILRL_OK && o->bc_weight > 0 && o->demo_path == NULL)
        status = ilrl_error(ILRL_EUSAGE, "--bc-weight needs --demo");
    if (status == ILRL_OK && o->init != NULL && o->resume)
        status = ILRL_OK;   /* the checkpoint wins; --init only names the start */
    return status;
}

/* A second signal leaves at once only when this is the only rank: with
 * several, a rank leaving alone strands the others in a collective (the
 * same rule as ilrl-landscape, whose two-node test hung on it). */
static volatile sig_atomic_t single_rank = 1;

static void on_stop_signal(int signum)
{
    if (ilrl_train_interrupt_signal() != 0) {
        if (single_rank)
            _exit(128 + signum);
        return;
    }
    ilrl_train_request_stop(signum);
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
    struct ilrl_train_options options;
    int quiet = 0;
    int status = ilrl_schedule_init(&argc, &argv);
    if (status != ILRL_OK) {
        fprintf(stderr, PROGRAM ": %s\n", ilrl_error_message());
        return ilrl_exit_code(status);
    }
    int rank = ilrl_schedule_rank();
    char *history = ilrl_ncfile_history(argc, argv);
    status = parse_options(argc, argv, &options, &quiet, rank == 0);
    if (status == -1) {
        free(history);
        ilrl_schedule_finalize();
        return 0;
    }
    options.command_line = history ? history : PROGRAM;
    ilrl_notice_setup(rank == 0 && !quiet ? stderr : NULL, PROGRAM, rank);
    if (status == ILRL_OK) {
        single_rank = ilrl_schedule_size() == 1;
        install_signal_handlers();
        status = ilrl_train_run(&options);
    }
    if (status != ILRL_OK && rank == 0 && status != ILRL_EINTERRUPTED)
        fprintf(stderr, PROGRAM ": %s\n", ilrl_error_message());
    free(history);
    ilrl_schedule_finalize();
    if (status == ILRL_EINTERRUPTED)
        return 128 + (ilrl_train_interrupt_signal() ? ilrl_train_interrupt_signal() : 15);
    return ilrl_exit_code(status);
}
