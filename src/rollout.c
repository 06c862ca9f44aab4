/* rollout.c -- owns policy rollouts: the return a network earns in an
 * environment's simulator (env.h) at one grid point (see include/ilrl/rollout.h,
 * docs/return-surface.md).
 *
 * Seeds.  Episode k of grid point p in a run seeded S resets its game (pipes, start state) with
 *
 *     ilrl_rollout_seed(S, p, k) = low 32 bits of
 *         mix(mix(mix(S + PHI) + (p + 1) PHI) + (k + 1) PHI)      (mod 2^64)
 *
 * with PHI = 0x9E3779B97F4A7C15 and mix() the splitmix64 finaliser, i.e.
 * ilrl_seed_derive(ilrl_seed_derive(ilrl_seed_derive(S, 0), p), k) of
 * include/ilrl/seed.h (the project's one splitmix64).  Each
 * stage is a bijection of 64-bit words and (p + 1) PHI is distinct for
 * distinct p (PHI is odd), so for a fixed S different (p, k) differ before
 * the truncation; gsl_rng_mt19937 uses 32 bits of its seed, so 32 are kept
 * (on a 101 x 101 x 8 plane about one pair of episodes is expected to share
 * a 32-bit seed, which is harmless).  When sampling, the actions come from a
 * second mt19937 seeded with the low 32 bits of mix(seed ^ SAMPLER_SALT):
 * a stream unrelated to the game's own.  Values are pinned in
 * tests/check_rollout.c; changing the formula changes every return surface.
 *
 * Statistics.  The discounted return of an episode is sum_t gamma^t r_t with
 * gamma^t as a running product; return_mean, score_mean and length_mean are
 * sums divided once by the number of episodes; return_std is the population
 * standard deviation from Welford's running M2 (exactly 0 when all episodes
 * agree).  Nothing after ilrl_rollout_work_alloc() allocates.
 *
 * Lockstep.  A point's episodes (and ilrl-train's batches) are played side
 * by side, one ilrl_mlp_forward_rows() per frame over the episodes still
 * running (rollout.h).  That forward gives every row forward_one's bits,
 * and each episode has its own game and sampler, so the values of a return
 * surface are those of playing the episodes one by one: they did not move
 * when this came in (the return surfaces under results/ recomputed and
 * compared byte for byte).
 * dgemm could not be used: its row's bits depend on the batch's size.
 */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>

#include "ilrl/error.h"
#include "ilrl/rollout.h"
#include "ilrl/seed.h"

#define SAMPLER_SALT UINT64_C(0xA0761D6478BD642F)
/* A point's episodes played together at most (more: in groups of this). */
#define LOCKSTEP_MAX 256
/* Frames between two calls of a play's poll hook. */
#define POLL_FRAMES 64

struct ilrl_rollout_work {
    struct ilrl_env *env;              /* the game ilrl_rollout_point plays */
    gsl_rng *sampler;                  /* sampled actions; reseeded per episode */
    struct ilrl_mlp_work *mlp_work;    /* forward_one scratch */
    size_t n_actions;                  /* K of the environment */
    double *obs;                       /* D */
    double *logits;                    /* K */
    double *log_probs;                 /* K */
    struct ilrl_lockstep *lockstep;    /* a point's episodes, side by side */
    unsigned long *seeds;              /* lockstep capacity */
    struct ilrl_lockstep_result *results;
    size_t capacity;
};

/* The lockstep engine (rollout.h).  Episodes still running are kept in
 * `live` in episode order; every frame their observations fill the first
 * n_live rows of `x`, one ilrl_mlp_forward_rows() gives their logits, and
 * each episode then acts and steps on its own game with its own sampler:
 * nothing an episode computes reads another's row. */
struct ilrl_lockstep {
    const struct ilrl_env_type *type;
    size_t max_batch, D, K;
    struct ilrl_env **env;             /* max_batch games */
    gsl_rng **sampler;                 /* max_batch samplers */
    struct ilrl_mlp_work *mlp_work;    /* max_batch rows */
    double *packed;                    /* theta's weights for forward_rows */
    double *x;                         /* max_batch x D */
    double *log_probs;                 /* K */
    double *discount;                  /* max_batch */
    size_t *live;                      /* max_batch */
};

unsigned long ilrl_rollout_seed(unsigned long run_seed, size_t point, size_t episode)
{
    uint64_t z = ilrl_seed_derive((uint64_t)run_seed, 0);
    z = ilrl_seed_derive(z, (uint64_t)point);
    return ilrl_seed_low32(ilrl_seed_derive(z, (uint64_t)episode));
}

static unsigned long sampler_seed(unsigned long seed)
{
    return ilrl_seed_low32(ilrl_splitmix64((uint64_t)seed ^ SAMPLER_SALT));
}

int ilrl_rollout_policy_parse(const char *name, enum ilrl_rollout_policy *policy)
{
    if (name != NULL && strcmp(name, "greedy") == 0) {
        *policy = ILRL_ROLLOUT_GREEDY;
        return ILRL_OK;
    }
    if (name != NULL && strcmp(name, "sample") == 0) {
        *policy = ILRL_ROLLOUT_SAMPLE;
        return ILRL_OK;
    }
    return ilrl_error(ILRL_EUSAGE, "unknown rollout policy '%s' (expected greedy or sample)",
                      name != NULL ? name : "(null)");
}

const char *ilrl_rollout_policy_name(enum ilrl_rollout_policy policy)
{
    return policy == ILRL_ROLLOUT_SAMPLE ? "sample" : "greedy";
}

/* ---- workspace ----------------------------------------------------------- */

/* Whether `mlp` can play `type` with reward scheme `scheme` (its inputs are
 * the features, its outputs the actions); ILRL_OK, or the error recorded. */
static int check_player(const struct ilrl_mlp *mlp, const struct ilrl_env_type *type, int scheme)
{
    size_t n_in = mlp->sizes[0], n_out = mlp->sizes[mlp->n_layers];
    if (n_in != type->n_features || n_out != (size_t)type->n_actions)
        return ilrl_error(ILRL_EINPUT, "rollouts need a %s network of %zu inputs and "
                          "%d outputs, but the network maps %zu inputs to %zu outputs",
                          type->title, type->n_features, type->n_actions, n_in, n_out);
    if (scheme < 0 || scheme >= type->n_schemes)
        return ilrl_error(ILRL_EFAILED, "rollouts: reward scheme %d is not one of %s's", scheme,
                          type->name);
    return ILRL_OK;
}


struct ilrl_rollout_work *ilrl_rollout_work_alloc(const struct ilrl_mlp *mlp,
                                                  const struct ilrl_rollout_options *options)
{
    if (mlp == NULL || options == NULL) {
        ilrl_error(ILRL_EFAILED, "rollouts: no network or no options");
        return NULL;
    }
    const struct ilrl_env_type *type = ilrl_env_at((size_t)options->env);
    if (options->env < 0 || type == NULL) {
        ilrl_error(ILRL_EFAILED, "rollouts: no environment %d in the table", options->env);
        return NULL;
    }
    if (check_player(mlp, type, options->scheme) != ILRL_OK)
        return NULL;
    struct ilrl_rollout_work *work = calloc(1, sizeof *work);
    if (work == NULL)
        goto out_of_memory;
    work->n_actions = (size_t)type->n_actions;
    work->env = ilrl_env_alloc(type, options->scheme);
    work->sampler = gsl_rng_alloc(gsl_rng_mt19937);
    work->mlp_work = ilrl_mlp_work_alloc(mlp, 1);
    work->obs = malloc(type->n_features * sizeof *work->obs);
    work->logits = malloc(work->n_actions * sizeof *work->logits);
    work->log_probs = malloc(work->n_actions * sizeof *work->log_probs);
    if (work->env == NULL || work->sampler == NULL || work->mlp_work == NULL
        || work->obs == NULL || work->logits == NULL || work->log_probs == NULL)
        goto out_of_memory;
    work->capacity = options->n_episodes < 1 ? 1
                     : options->n_episodes > LOCKSTEP_MAX ? LOCKSTEP_MAX : options->n_episodes;
    work->seeds = malloc(work->capacity * sizeof *work->seeds);
    work->results = malloc(work->capacity * sizeof *work->results);
    if (work->seeds == NULL || work->results == NULL)
        goto out_of_memory;
    work->lockstep = ilrl_lockstep_alloc(mlp, options->env, options->scheme, work->capacity);
    if (work->lockstep == NULL) {
        ilrl_rollout_work_free(work);
        return NULL;
    }
    return work;

out_of_memory:
    ilrl_rollout_work_free(work);
    ilrl_error(ILRL_EFAILED, "out of memory for the rollout workspace");
    return NULL;
}

void ilrl_rollout_work_free(struct ilrl_rollout_work *work)
{
    if (work == NULL)
        return;
    ilrl_env_free(work->env);
    gsl_rng_free(work->sampler);
    ilrl_mlp_work_free(work->mlp_work);
    free(work->obs);
    free(work->logits);
    free(work->log_probs);
    ilrl_lockstep_free(work->lockstep);
    free(work->seeds);
    free(work->results);
    free(work);
}

/* ---- one episode ---------------------------------------------------------- */

void ilrl_rollout_episode_start(struct ilrl_rollout_work *work, unsigned long seed)
{
    ilrl_env_reset(work->env, seed);
    gsl_rng_set(work->sampler, sampler_seed(seed));
}

/* Greedy: the first maximal logit (strict >), so ties and NaN go to action 0. */
static int argmax(const double *logits, size_t k)
{
    size_t best = 0;
    for (size_t a = 1; a < k; a++)
        if (logits[a] > logits[best])
            best = a;
    return (int)best;
}

/* Sampled: one uniform u in [0, 1) against the cumulative probabilities; the
 * last action takes whatever rounding leaves over. */
static int sample(const double *logits, size_t k, double *log_probs, gsl_rng *sampler)
{
    double u = gsl_rng_uniform(sampler), cumulative = 0.0;
    ilrl_log_softmax(logits, k, log_probs);
    for (size_t a = 0; a + 1 < k; a++) {
        cumulative += exp(log_probs[a]);
        if (u < cumulative)
            return (int)a;
    }
    return (int)(k - 1);
}

int ilrl_rollout_act(const struct ilrl_mlp *mlp, const double *theta,
                     enum ilrl_rollout_policy policy,
                     const struct ilrl_env *env,
                     struct ilrl_rollout_work *work)
{
    ilrl_env_observe(env, work->obs);
    ilrl_mlp_forward_one(mlp, theta, work->obs, work->logits, work->mlp_work);
    if (policy == ILRL_ROLLOUT_SAMPLE)
        return sample(work->logits, work->n_actions, work->log_probs, work->sampler);
    return argmax(work->logits, work->n_actions);
}

/* The one discounting step: return += discount * reward; discount *= gamma. */
static void discount_add(double *episode_return, double *discount, double reward,
                         double gamma)
{
    *episode_return += *discount * reward;
    *discount *= gamma;
}

double ilrl_rollout_episode_return(const double *reward, size_t n, double gamma)
{
    double episode_return = 0.0, discount = 1.0;
    for (size_t t = 0; t < n; t++)
        discount_add(&episode_return, &discount, reward[t], gamma);
    return episode_return;
}

/* ---- statistics ------------------------------------------------------------ */

void ilrl_rollout_tally_add(struct ilrl_rollout_tally *tally, double episode_return,
                            int score, long length)
{
    tally->n_episodes++;
    tally->return_sum += episode_return;
    double delta = episode_return - tally->return_mean_run;
    tally->return_mean_run += delta / (double)tally->n_episodes;
    tally->return_m2 += delta * (episode_return - tally->return_mean_run);
    tally->score_sum += score;
    tally->length_sum += (double)length;
    tally->total_steps += length;
}

void ilrl_rollout_tally_stats(const struct ilrl_rollout_tally *tally,
                              struct ilrl_rollout_stats *stats)
{
    double n = tally->n_episodes > 0 ? (double)tally->n_episodes : NAN;
    stats->return_mean = tally->return_sum / n;
    stats->return_std = sqrt(tally->return_m2 / n);
    stats->score_mean = tally->score_sum / n;
    stats->length_mean = tally->length_sum / n;
    stats->total_steps = tally->total_steps;
}

/* ---- lockstep ---------------------------------------------------------------- */

struct ilrl_lockstep *ilrl_lockstep_alloc(const struct ilrl_mlp *mlp, int env, int scheme,
                                          size_t max_batch)
{
    const struct ilrl_env_type *type = env >= 0 ? ilrl_env_at((size_t)env) : NULL;
    if (mlp == NULL || type == NULL || max_batch < 1) {
        ilrl_error(ILRL_EFAILED, "lockstep rollouts: no network, no environment %d or no episodes",
                   env);
        return NULL;
    }
    if (check_player(mlp, type, scheme) != ILRL_OK)
        return NULL;
    size_t n_in = mlp->sizes[0], n_out = mlp->sizes[mlp->n_layers];
    struct ilrl_lockstep *ls = calloc(1, sizeof *ls);
    if (ls == NULL)
        goto out_of_memory;
    ls->type = type;
    ls->max_batch = max_batch;
    ls->D = n_in;
    ls->K = n_out;
    ls->env = calloc(max_batch, sizeof *ls->env);
    ls->sampler = calloc(max_batch, sizeof *ls->sampler);
    ls->mlp_work = ilrl_mlp_work_alloc(mlp, max_batch);
    ls->packed = malloc(ilrl_mlp_packed_size(mlp) * sizeof *ls->packed);
    ls->x = malloc(max_batch * n_in * sizeof *ls->x);
    ls->log_probs = malloc(n_out * sizeof *ls->log_probs);
    ls->discount = malloc(max_batch * sizeof *ls->discount);
    ls->live = malloc(max_batch * sizeof *ls->live);
    if (ls->env == NULL || ls->sampler == NULL || ls->mlp_work == NULL || ls->packed == NULL
        || ls->x == NULL || ls->log_probs == NULL || ls->discount == NULL || ls->live == NULL)
        goto out_of_memory;
    for (size_t e = 0; e < max_batch; e++) {
        ls->env[e] = ilrl_env_alloc(type, scheme);
        ls->sampler[e] = gsl_rng_alloc(gsl_rng_mt19937);
        if (ls->env[e] == NULL || ls->sampler[e] == NULL)
            goto out_of_memory;
    }
    return ls;

out_of_memory:
    ilrl_lockstep_free(ls);
    ilrl_error(ILRL_EFAILED, "out of memory for %zu lockstep episodes", max_batch);
    return NULL;
}

void ilrl_lockstep_free(struct ilrl_lockstep *ls)
{
    if (ls == NULL)
        return;
    for (size_t e = 0; e < ls->max_batch; e++) {
        if (ls->env != NULL)
            ilrl_env_free(ls->env[e]);
        if (ls->sampler != NULL)
            gsl_rng_free(ls->sampler[e]);
    }
    free(ls->env);
    free(ls->sampler);
    ilrl_mlp_work_free(ls->mlp_work);
    free(ls->packed);
    free(ls->x);
    free(ls->log_probs);
    free(ls->discount);
    free(ls->live);
    free(ls);
}

/* One group of n <= max_batch episodes; result, seeds and the record's
 * arrays start at the group's first episode. */
static int lockstep_group(struct ilrl_lockstep *ls, const struct ilrl_mlp *mlp,
                          const double *theta, enum ilrl_rollout_policy policy, size_t n,
                          const unsigned long *seeds, long max_steps, double gamma,
                          const struct ilrl_lockstep_record *record,
                          struct ilrl_lockstep_result *result, int (*poll)(void *),
                          void *poll_ctx)
{
    const size_t D = ls->D, K = ls->K;
    size_t n_live = 0;
    for (size_t e = 0; e < n; e++) {
        ilrl_env_reset(ls->env[e], seeds[e]);
        gsl_rng_set(ls->sampler[e], sampler_seed(seeds[e]));
        result[e] = (struct ilrl_lockstep_result){0.0, 0, 0};
        ls->discount[e] = 1.0;
        ls->live[n_live++] = e;
    }
    for (long frame = 0; n_live > 0; frame++) {
        if (frame > 0 && frame % POLL_FRAMES == 0 && poll != NULL && poll(poll_ctx))
            return ILRL_EINTERRUPTED;
        for (size_t q = 0; q < n_live; q++)
            ilrl_env_observe(ls->env[ls->live[q]], ls->x + q * D);
        const double *logits = ilrl_mlp_forward_rows(mlp, theta, ls->packed, ls->x, n_live,
                                                     ls->mlp_work);
        size_t kept = 0;
        for (size_t q = 0; q < n_live; q++) {
            size_t e = ls->live[q];
            struct ilrl_env *env = ls->env[e];
            int action = policy == ILRL_ROLLOUT_SAMPLE
                             ? sample(logits + q * K, K, ls->log_probs, ls->sampler[e])
                             : argmax(logits + q * K, K);
            long t = env->steps;
            if (record != NULL) {
                if (record->obs != NULL && record->obs[e] != NULL)
                    memcpy(record->obs[e] + (size_t)t * D, ls->x + q * D, D * sizeof *ls->x);
                if (record->action != NULL && record->action[e] != NULL)
                    record->action[e][t] = action;
                if (record->log_prob != NULL && record->log_prob[e] != NULL) {
                    if (policy != ILRL_ROLLOUT_SAMPLE)   /* sample() has computed them */
                        ilrl_log_softmax(logits + q * K, K, ls->log_probs);
                    record->log_prob[e][t] = ls->log_probs[action];
                }
            }
            double reward;
            int over = ilrl_env_step(env, action, &reward, NULL, NULL);
            if (record != NULL && record->reward != NULL && record->reward[e] != NULL)
                record->reward[e][t] = reward;
            discount_add(&result[e].episode_return, &ls->discount[e], reward, gamma);
            if (over || env->steps >= max_steps) {
                result[e].score = ilrl_env_score(env);
                result[e].length = env->steps;
            } else {
                ls->live[kept++] = e;
            }
        }
        n_live = kept;
    }
    return ILRL_OK;
}

int ilrl_lockstep_play(struct ilrl_lockstep *ls, const struct ilrl_mlp *mlp,
                       const double *theta, enum ilrl_rollout_policy policy, size_t n,
                       const unsigned long *seeds, long max_steps, double gamma,
                       const struct ilrl_lockstep_record *record,
                       struct ilrl_lockstep_result *result, int (*poll)(void *), void *poll_ctx)
{
    if (max_steps < 1)
        return ilrl_error(ILRL_EUSAGE, "rollouts: need episodes of at least one step (got %ld)",
                          max_steps);
    ilrl_mlp_pack(mlp, theta, ls->packed);
    for (size_t e0 = 0; e0 < n; e0 += ls->max_batch) {
        size_t group = n - e0 < ls->max_batch ? n - e0 : ls->max_batch;
        struct ilrl_lockstep_record shifted;
        if (record != NULL)
            shifted = (struct ilrl_lockstep_record){
                record->obs ? record->obs + e0 : NULL,
                record->action ? record->action + e0 : NULL,
                record->reward ? record->reward + e0 : NULL,
                record->log_prob ? record->log_prob + e0 : NULL};
        int status = lockstep_group(ls, mlp, theta, policy, group, seeds + e0, max_steps, gamma,
                                    record ? &shifted : NULL, result + e0, poll, poll_ctx);
        if (status != ILRL_OK)
            return status;
    }
    return ILRL_OK;
}

/* The scheme of a lockstep's games (the return surface sets it per run). */
static int lockstep_play(struct ilrl_lockstep *ls, const struct ilrl_mlp *mlp,
                         const double *theta, enum ilrl_rollout_policy policy, size_t n,
                         const unsigned long *seeds, long max_steps, double gamma, int scheme,
                         const struct ilrl_lockstep_record *record,
                         struct ilrl_lockstep_result *result, int (*poll)(void *), void *poll_ctx)
{
    for (size_t e = 0; e < ls->max_batch; e++)
        ls->env[e]->scheme = scheme;
    return ilrl_lockstep_play(ls, mlp, theta, policy, n, seeds, max_steps, gamma, record, result,
                              poll, poll_ctx);
}

/* ---- one grid point ---------------------------------------------------------- */

int ilrl_rollout_point(const struct ilrl_mlp *mlp, const double *theta,
                       const struct ilrl_rollout_options *options,
                       unsigned long run_seed, size_t point,
                       struct ilrl_rollout_work *work,
                       struct ilrl_rollout_stats *stats,
                       int (*poll)(void *), void *poll_ctx)
{
    struct ilrl_rollout_tally tally = {0};
    if (options->n_episodes < 1 || options->max_steps < 1)
        return ilrl_error(ILRL_EUSAGE, "rollouts: need at least one episode of at least "
                          "one step (got %zu episodes of %ld steps)",
                          options->n_episodes, options->max_steps);
    if (options->scheme < 0 || options->scheme >= work->env->type->n_schemes)
        return ilrl_error(ILRL_EUSAGE, "rollouts: reward scheme %d is not one of %s's",
                          options->scheme, work->env->type->name);
    work->env->scheme = options->scheme;
    for (size_t k0 = 0; k0 < options->n_episodes; k0 += work->capacity) {
        size_t n = options->n_episodes - k0 < work->capacity ? options->n_episodes - k0
                                                             : work->capacity;
        if (k0 > 0 && poll != NULL && poll(poll_ctx))
            return ILRL_EINTERRUPTED;
        for (size_t k = 0; k < n; k++)
            work->seeds[k] = ilrl_rollout_seed(run_seed, point, k0 + k);
        int status = lockstep_play(work->lockstep, mlp, theta, options->policy, n, work->seeds,
                                   options->max_steps, options->gamma, options->scheme, NULL,
                                   work->results, poll, poll_ctx);
        if (status != ILRL_OK)
            return status;
        for (size_t k = 0; k < n; k++)
            ilrl_rollout_tally_add(&tally, work->results[k].episode_return,
                                   work->results[k].score, work->results[k].length);
    }
    ilrl_rollout_tally_stats(&tally, stats);
    return ILRL_OK;
}
