/* train.h -- one training run of ilrl-train: an optional imitation (IL)
 * phase, then an optional reinforcement (RL) phase, of the policy network
 * of docs/network-and-losses.md, on any number of MPI ranks with the same
 * bits (the decisions are written down in src/train.c).
 *
 * The program (src/ilrl-train.c) parses options into struct
 * ilrl_train_options, installs signal handlers that call
 * ilrl_train_request_stop, and calls ilrl_train_run on every rank.  Library
 * code: nothing here prints except through progress.h's notices, nothing
 * exits.
 */
#ifndef ILRL_TRAIN_H
#define ILRL_TRAIN_H

#include <stddef.h>

#include "ilrl/mlp.h"
#include "ilrl/policy_gradient.h"

struct ilrl_train_options {
    const char *demo_path;       /* --demo; NULL: no demonstration (RL only) */
    const char *env_name;        /* --env without a demo (default flappy-bird) */
    const char *rewards;         /* --rewards scheme name without a demo */
    const char *layers;          /* --layers; NULL: D,64,64,K */
    enum ilrl_activation activation;
    int activation_given;        /* --activation given: checked against --init's */
    unsigned long seed;          /* --seed: theta0 and every derived stream */
    const char *init;            /* --init FILE[:K]; NULL: theta0 from --seed */
    /* IL */
    size_t il_epochs;            /* 0: no IL phase */
    double lr;                   /* Adam's learning rate (both phases) */
    size_t batch;                /* IL minibatch */
    size_t val_episodes;         /* held out: the demo's last episodes */
    size_t patience;             /* 0: no early stopping */
    /* RL */
    long long rl_steps;          /* 0: no RL phase */
    size_t batch_episodes;
    long rollout_steps;
    enum ilrl_pg_algo algo;
    double clip;
    size_t ppo_epochs, minibatches;
    double gamma;
    int normalise;               /* advantages divided by their std */
    double bc_weight, bc_decay;  /* retention L * DECAY^u * L_IL */
    /* evaluation and output */
    size_t eval_every, eval_episodes;
    size_t save_every;           /* checkpoint theta every this many rows; 0 never */
    const char *out_path;
    const char *save_network;    /* NULL: none */
    double checkpoint_seconds;
    int resume, force;
    const char *command_line;    /* for history */
};

/* Collective: the whole run.  ILRL_OK, ILRL_EINTERRUPTED (a signal, after
 * a checkpoint), or an error status with the message on rank 0. */
int ilrl_train_run(const struct ilrl_train_options *options);

/* Async-signal-safe: asks the run to checkpoint and stop. */
void ilrl_train_request_stop(int signum);
/* The signal that stopped the run (0 if none). */
int ilrl_train_interrupt_signal(void);

/* Seeds (documented in src/train.c): env reset and action sampling of RL
 * episode `episode` of update `update`, and of greedy evaluation episode
 * `episode` (the same for every evaluation). */
unsigned long ilrl_train_episode_seed(unsigned long run_seed, unsigned long long update,
                                      size_t episode);
unsigned long ilrl_train_eval_seed(unsigned long run_seed, size_t episode);

#endif /* ILRL_TRAIN_H */
