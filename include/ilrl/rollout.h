/* rollout.h -- the return a policy earns in the simulator (docs/return-surface.md).
 *
 * A grid point's policy theta plays n_episodes episodes of at most max_steps
 * frames (the environment's own time limit, if shorter, ends them first) of
 * the demo's environment (env.h: Flappy Bird, CartPole) with the demo's
 * reward scheme, choosing argmax pi
 * (greedy) or sampling from pi.  Episode k of grid point p (= j * nx + i) of
 * a run seeded S uses ilrl_rollout_seed(S, p, k) for its game's reset (and, when
 * sampling, a second generator derived from the same value), so a point's
 * result depends on nothing but (theta, S, p) -- not on the rank that
 * computes it -- and `ilrl-demo --pilot network:FILE:I,J` replays it.
 * A point's episodes are played in lockstep (ilrl_lockstep_play below), with
 * the same results as one after the other.
 * Knows nothing of MPI or NetCDF; allocates only in the *_alloc functions.
 */
#ifndef ILRL_ROLLOUT_H
#define ILRL_ROLLOUT_H

#include <stddef.h>

#include "ilrl/env.h"
#include "ilrl/mlp.h"

enum ilrl_rollout_policy { ILRL_ROLLOUT_GREEDY = 0, ILRL_ROLLOUT_SAMPLE = 1 };

struct ilrl_rollout_options {
    size_t n_episodes;                /* >= 1 (--rollouts, default 8) */
    long max_steps;                   /* >= 1 (--rollout-steps, default 1000) */
    int env;                          /* index in the environment table (env.h);
                                         0 = flappy-bird */
    int scheme;                       /* the demo's reward scheme: an index of
                                         the environment's scheme_names */
    double gamma;                     /* discount for the returns */
    enum ilrl_rollout_policy policy;
};

struct ilrl_rollout_stats {
    double return_mean;   /* discounted return per episode, mean over episodes */
    double return_std;    /* population std over episodes */
    double score_mean;    /* the environment's score (pipes passed; 0 without one) */
    double length_mean;   /* frames played */
    long total_steps;     /* frames played over all episodes (cost) */
};

/* The seed of episode `episode` of grid point `point` in a run seeded
 * `run_seed`: three ilrl_seed_derive steps of seed.h (formula in rollout.c;
 * pinned by tests). */
unsigned long ilrl_rollout_seed(unsigned long run_seed, size_t point, size_t episode);

/* "greedy" / "sample" <-> enum; parse returns ILRL_OK or ILRL_EUSAGE. */
int ilrl_rollout_policy_parse(const char *name, enum ilrl_rollout_policy *policy);
const char *ilrl_rollout_policy_name(enum ilrl_rollout_policy policy);

/* Workspace: a game of options->env with options->scheme, a sampling
 * generator, forward-pass scratch.  The network must map the environment's
 * D features to its K actions.  NULL (error recorded: ILRL_EINPUT for a
 * network that cannot play it) if not, or on out of memory. */
struct ilrl_rollout_work;
struct ilrl_rollout_work *ilrl_rollout_work_alloc(const struct ilrl_mlp *mlp,
                                                  const struct ilrl_rollout_options *options);
void ilrl_rollout_work_free(struct ilrl_rollout_work *work);

/* Plays the episodes of one grid point and fills *stats.  No allocation.
 * The game's rewards follow options->scheme (whatever the work was
 * allocated with).  If poll is not NULL it is called between episodes; a
 * nonzero return stops and the function returns nonzero (ILRL_EINTERRUPTED,
 * stats undefined).  ILRL_EUSAGE when n_episodes or max_steps is < 1. */
int ilrl_rollout_point(const struct ilrl_mlp *mlp, const double *theta,
                       const struct ilrl_rollout_options *options,
                       unsigned long run_seed, size_t point,
                       struct ilrl_rollout_work *work,
                       struct ilrl_rollout_stats *stats,
                       int (*poll)(void *), void *poll_ctx);

/* ---- pieces shared with the network pilot (network_pilot.c) -------------------------
 * `ilrl-demo --pilot network:...` plays its own game through the recorder, so
 * it needs the per-episode sampler and the action choice of ilrl_rollout_point
 * -- these, not copies of them. */

/* Prepares `work` for an episode seeded `seed` (= ilrl_rollout_seed(...)):
 * the work's game is reset with that seed and the sampling generator is
 * set from a value derived from the seed (formula in rollout.c), so the
 * actions sampled never share a stream with the game.  A caller playing a
 * game of its own uses only the sampler; the work's game is then unused. */
void ilrl_rollout_episode_start(struct ilrl_rollout_work *work, unsigned long seed);

/* The policy's action in [0, K) in `env`'s current game: logits of the observation
 * through ilrl_mlp_forward_one; greedy = argmax with ties to the lowest
 * action (also when logits are NaN: action 0), sample = one uniform draw from the
 * work's sampler against the cumulative softmax.  No allocation. */
int ilrl_rollout_act(const struct ilrl_mlp *mlp, const double *theta,
                     enum ilrl_rollout_policy policy,
                     const struct ilrl_env *env,
                     struct ilrl_rollout_work *work);

/* ---- lockstep: many episodes, one batched forward per frame ------------------
 * ilrl_lockstep_play() plays n episodes side by side: every frame, the
 * observations of the episodes still running go through one
 * ilrl_mlp_forward_rows() (mlp.h: a row's logits do not depend on the
 * other rows), each episode picks its action as ilrl_rollout_act() would
 * (greedy, or from its own sampler started by ilrl_rollout_episode_start's
 * rule) and steps its own game.  So an episode's actions, rewards and
 * return are bit for bit those of playing it alone with ilrl_rollout_act,
 * whatever episodes share its batch (tests/check_rollout.c).  Used by the
 * return surface (ilrl_rollout_point plays a point's episodes together),
 * by ilrl-train's RL batches and by its greedy evaluation. */
struct ilrl_lockstep;

/* Games of `env` (env.h's table) with reward scheme `scheme`, samplers and
 * forward scratch for up to max_batch episodes at once (a play of more
 * runs them in consecutive groups of max_batch; results do not change).
 * NULL (error recorded: ILRL_EINPUT for a network that cannot play the
 * environment) if the network does not fit, or on out of memory. */
struct ilrl_lockstep *ilrl_lockstep_alloc(const struct ilrl_mlp *mlp, int env, int scheme,
                                          size_t max_batch);
void ilrl_lockstep_free(struct ilrl_lockstep *lockstep);

/* Where episode e of a play records its frames, if anything: obs[e] gets
 * length x D observations (the one each action was chosen from), action[e]
 * and reward[e] length entries, log_prob[e] the log-probability of each
 * action under the policy (rollout.c's log-softmax of the frame's logits,
 * the one sampling used).  Any of the four arrays, and any entry, may be
 * NULL; each must have room for max_steps frames. */
struct ilrl_lockstep_record {
    double **obs;
    int **action;
    double **reward;
    double **log_prob;
};

/* One episode's result: return = sum_t gamma^t r_t with gamma^t a running
 * product (with gamma = 1 exactly the plain sum of the rewards), the
 * environment's score, frames played. */
struct ilrl_lockstep_result {
    double episode_return;
    int score;
    long length;
};

/* Plays n episodes, episode e started with seeds[e] (its game reset and its
 * sampler set as by ilrl_rollout_episode_start), each until its game ends
 * or after max_steps frames, choosing actions by `policy` at theta; fills
 * result[e] and the record (may be NULL).  If poll is not NULL it is called
 * every 64 frames; a nonzero return stops the play and the function
 * returns ILRL_EINTERRUPTED (results undefined).  ILRL_EUSAGE when
 * max_steps < 1.  No allocation. */
int ilrl_lockstep_play(struct ilrl_lockstep *lockstep, const struct ilrl_mlp *mlp,
                       const double *theta, enum ilrl_rollout_policy policy, size_t n,
                       const unsigned long *seeds, long max_steps, double gamma,
                       const struct ilrl_lockstep_record *record,
                       struct ilrl_lockstep_result *result, int (*poll)(void *), void *poll_ctx);

/* Episode statistics accumulated one episode at a time, exactly as
 * ilrl_rollout_point does: exposed so that a recorded replay (a
 * demonstration file) is summarised with the same arithmetic, bit for bit.
 * Zero-initialise, add each episode, then read the stats. */
struct ilrl_rollout_tally {
    size_t n_episodes;
    double return_sum;       /* for the mean: sum, then one division */
    double return_mean_run;  /* Welford's running mean and M2, for the std */
    double return_m2;
    double score_sum;
    double length_sum;
    long total_steps;
};
void ilrl_rollout_tally_add(struct ilrl_rollout_tally *tally, double episode_return,
                            int score, long length);
void ilrl_rollout_tally_stats(const struct ilrl_rollout_tally *tally,
                              struct ilrl_rollout_stats *stats);

/* The discounted return sum_t gamma^t reward[t] of one recorded episode, with
 * gamma^t kept as a running product -- the accumulation ilrl_rollout_point
 * performs frame by frame. */
double ilrl_rollout_episode_return(const double *reward, size_t n, double gamma);

#endif /* ILRL_ROLLOUT_H */
