/* check_rollout.c -- policy rollouts (rollout.h, docs/return-surface.md): seeds,
 * reproducibility, hand-built networks whose episodes are known from the
 * physics, a network that copies a pilot rule, sampling vs greedy, refusal
 * of non-Flappy networks, and no allocation in the rollout loop. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <gsl/gsl_rng.h>

#include "ilrl/env.h"
#include "ilrl/error.h"
#include "ilrl/flappy.h"
#include "ilrl/mlp.h"
#include "ilrl/rollout.h"

/* ---- counting allocations (glibc, no sanitizer) ------------------------------
 * The program's own malloc/calloc/realloc shadow libc's for every caller and
 * forward to glibc's internal entry points, counting calls.  Under a
 * sanitizer (which owns malloc), another libc or valgrind (which redirects
 * some of them) the allocation test only checks the results; valgrind's
 * heap summary of tests/bench_rollout at two durations checks the same. */
#if defined(__GLIBC__) && !defined(__SANITIZE_ADDRESS__) && !defined(ILRL_NO_MALLOC_COUNT)
#define COUNTS_ALLOCATIONS 1
extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *ptr, size_t size);
static long n_allocations;
void *malloc(size_t size)
{
    n_allocations++;
    return __libc_malloc(size);
}
void *calloc(size_t n, size_t size)
{
    n_allocations++;
    return __libc_calloc(n, size);
}
void *realloc(void *ptr, size_t size)
{
    n_allocations++;
    return __libc_realloc(ptr, size);
}
#else
#define COUNTS_ALLOCATIONS 0
static long n_allocations = -1;
#endif

/* 1 if every allocation function goes through the counters above (not so
 * under valgrind, which redirects some of them to its own). */
static int counting_works(void)
{
    if (!COUNTS_ALLOCATIONS)
        return 0;
    long before = n_allocations;
    void *volatile a = malloc(16);
    void *volatile b = calloc(2, 8);
    void *volatile c = realloc(NULL, 16);
    int works = n_allocations == before + 3;
    free(a);
    free(b);
    free(c);
    return works;
}

static const double GAMMA = 0.99;

/* The default network, 12-64-64-2 tanh. */
static const size_t DEFAULT_SIZES[] = {12, 64, 64, 2};

struct net {
    struct ilrl_mlp *mlp;
    double *theta;
};

static struct net net_alloc(const size_t *sizes, size_t n_sizes, enum ilrl_activation activation)
{
    struct net net;
    net.mlp = ilrl_mlp_alloc(sizes, n_sizes, activation);
    ck_assert_ptr_nonnull(net.mlp);
    net.theta = calloc(net.mlp->n_params, sizeof *net.theta);
    ck_assert_ptr_nonnull(net.theta);
    return net;
}

static void net_free(struct net *net)
{
    ilrl_mlp_free(net->mlp);
    free(net->theta);
}

static void set_param(struct net *net, const char *name, double value)
{
    size_t index;
    ck_assert_int_eq(ilrl_mlp_param_index(net->mlp, name, &index), ILRL_OK);
    net->theta[index] = value;
}

/* All weights 0 and the flap logit's bias `flap_bias`: logits (0, flap_bias)
 * in every state. */
static struct net constant_net(double flap_bias)
{
    struct net net = net_alloc(DEFAULT_SIZES, 4, ILRL_ACTIVATION_TANH);
    set_param(&net, "b3[1]", flap_bias);
    return net;
}

static struct ilrl_rollout_options options_of(size_t n_episodes, long max_steps,
                                              enum ilrl_reward_scheme scheme,
                                              enum ilrl_rollout_policy policy)
{
    struct ilrl_rollout_options options = {
        .n_episodes = n_episodes, .max_steps = max_steps, .scheme = scheme,
        .gamma = GAMMA, .policy = policy};
    return options;
}

static struct ilrl_rollout_stats run(const struct net *net,
                                     const struct ilrl_rollout_options *options,
                                     unsigned long run_seed, size_t point)
{
    struct ilrl_rollout_stats stats;
    struct ilrl_rollout_work *work = ilrl_rollout_work_alloc(net->mlp, options);
    ck_assert_ptr_nonnull(work);
    ck_assert_int_eq(ilrl_rollout_point(net->mlp, net->theta, options, run_seed, point, work,
                                        &stats, NULL, NULL), ILRL_OK);
    ilrl_rollout_work_free(work);
    return stats;
}

static void assert_same_stats(const struct ilrl_rollout_stats *a,
                              const struct ilrl_rollout_stats *b)
{
    /* Bit for bit, not within a tolerance. */
    ck_assert_mem_eq(&a->return_mean, &b->return_mean, sizeof(double));
    ck_assert_mem_eq(&a->return_std, &b->return_std, sizeof(double));
    ck_assert_mem_eq(&a->score_mean, &b->score_mean, sizeof(double));
    ck_assert_mem_eq(&a->length_mean, &b->length_mean, sizeof(double));
    ck_assert_int_eq(a->total_steps, b->total_steps);
}

/* ---- seeds -------------------------------------------------------------------- */

START_TEST(test_seed_pinned_values)
{
    /* The documented formula of rollout.c; a change here changes every
     * return surface ever computed. */
    ck_assert_uint_eq(ilrl_rollout_seed(1, 0, 0), 1837991619UL);
    ck_assert_uint_eq(ilrl_rollout_seed(1, 0, 1), 2214004712UL);
    ck_assert_uint_eq(ilrl_rollout_seed(1, 10200, 7), 2887056238UL);
    ck_assert_uint_eq(ilrl_rollout_seed(4294967295UL, 5, 3), 219549467UL);
    for (size_t p = 0; p < 4; p++)
        ck_assert_uint_le(ilrl_rollout_seed(12345, p, p), 0xFFFFFFFFUL);
}
END_TEST

static int compare_ulong(const void *a, const void *b)
{
    unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;
    return (x > y) - (x < y);
}

START_TEST(test_seed_distinct_per_point_and_episode)
{
    enum { N_POINTS = 200, N_EPISODES = 8 };
    static unsigned long seeds[2 * N_POINTS * N_EPISODES];
    size_t n = 0;
    for (unsigned long run = 1; run <= 2; run++)
        for (size_t p = 0; p < N_POINTS; p++)
            for (size_t k = 0; k < N_EPISODES; k++)
                seeds[n++] = ilrl_rollout_seed(run, p, k);
    qsort(seeds, n, sizeof seeds[0], compare_ulong);
    for (size_t i = 1; i < n; i++)
        ck_assert_uint_ne(seeds[i - 1], seeds[i]);
}
END_TEST

START_TEST(test_policy_names)
{
    enum ilrl_rollout_policy policy;
    ck_assert_int_eq(ilrl_rollout_policy_parse("sample", &policy), ILRL_OK);
    ck_assert_int_eq(policy, ILRL_ROLLOUT_SAMPLE);
    ck_assert_int_eq(ilrl_rollout_policy_parse("greedy", &policy), ILRL_OK);
    ck_assert_int_eq(policy, ILRL_ROLLOUT_GREEDY);
    ck_assert_str_eq(ilrl_rollout_policy_name(ILRL_ROLLOUT_SAMPLE), "sample");
    ck_assert_str_eq(ilrl_rollout_policy_name(ILRL_ROLLOUT_GREEDY), "greedy");
    ck_assert_int_eq(ilrl_rollout_policy_parse("best", &policy), ILRL_EUSAGE);
    ck_assert_ptr_nonnull(strstr(ilrl_error_message(), "'best'"));
}
END_TEST

/* ---- reproducibility ---------------------------------------------------------- */

START_TEST(test_same_point_same_seeds_identical)
{
    static const enum ilrl_rollout_policy policies[] = {ILRL_ROLLOUT_GREEDY,
                                                        ILRL_ROLLOUT_SAMPLE};
    struct net net = net_alloc(DEFAULT_SIZES, 4, ILRL_ACTIVATION_TANH);
    ck_assert_int_eq(ilrl_mlp_init(net.mlp, 3, net.theta), ILRL_OK);
    for (size_t q = 0; q < 2; q++) {
        struct ilrl_rollout_options options =
            options_of(6, 500, ILRL_REWARD_SHAPED, policies[q]);
        struct ilrl_rollout_stats first, second, other_point;
        struct ilrl_rollout_work *work = ilrl_rollout_work_alloc(net.mlp, &options);
        ck_assert_ptr_nonnull(work);
        /* Twice with the same workspace (its state must not leak), once
         * after another point, and once with a fresh workspace. */
        ck_assert_int_eq(ilrl_rollout_point(net.mlp, net.theta, &options, 9, 42, work, &first,
                                            NULL, NULL), ILRL_OK);
        ck_assert_int_eq(ilrl_rollout_point(net.mlp, net.theta, &options, 9, 42, work,
                                            &second, NULL, NULL), ILRL_OK);
        assert_same_stats(&first, &second);
        ck_assert_int_eq(ilrl_rollout_point(net.mlp, net.theta, &options, 9, 43, work,
                                            &other_point, NULL, NULL), ILRL_OK);
        ck_assert_int_eq(ilrl_rollout_point(net.mlp, net.theta, &options, 9, 42, work,
                                            &second, NULL, NULL), ILRL_OK);
        assert_same_stats(&first, &second);
        ilrl_rollout_work_free(work);
        second = run(&net, &options, 9, 42);
        assert_same_stats(&first, &second);
        ck_assert_int_ge(first.total_steps, 6);
        ck_assert_double_eq_tol(first.length_mean * 6.0, (double)first.total_steps, 1e-9);
    }
    net_free(&net);
}
END_TEST

/* The point and the run seed choose the pipes: a policy whose episodes end
 * at a pipe sees different gaps at different points. */
START_TEST(test_points_see_different_pipes)
{
    struct ilrl_flappy *a = ilrl_flappy_alloc(ILRL_REWARD_SPARSE);
    struct ilrl_flappy *b = ilrl_flappy_alloc(ILRL_REWARD_SPARSE);
    int differ = 0;
    for (size_t p = 0; p < 8; p++) {
        ilrl_flappy_reset(a, ilrl_rollout_seed(1, p, 0));
        ilrl_flappy_reset(b, ilrl_rollout_seed(1, p + 1, 0));
        differ += memcmp(a->state.pipe_gap_top, b->state.pipe_gap_top,
                         sizeof a->state.pipe_gap_top) != 0;
    }
    ck_assert_int_ge(differ, 6);
    ilrl_flappy_free(a);
    ilrl_flappy_free(b);
}
END_TEST

/* ---- hand-built networks -------------------------------------------------------- */

/* Always idle: the bird starts at y = 244 with vy = -9 and falls.  Each frame
 * without a flap does vy += 1 (while vy < 10), then y += vy:
 *   frame  1..8 : vy -8..-1, y 236 229 223 218 214 211 209 208
 *   frame  9    : vy  0,     y 208
 *   frame 10..18: vy  1..9,  y 209 211 214 218 223 229 236 244 253
 *   frame 19..30: vy 10,     y 263 273 ... 373
 *   frame 31    : vy 10,     y 383 -> clipped to 380 = ground: crash.
 * The first pipe (x = 288, 4 px per frame) reaches the bird's box
 * [57, 91) only at frame 50, so the episode is 31 frames, no pipe, and the
 * sparse rewards are 0 x 30 then -1: return -gamma^30.  Shaped: +0.1 for the
 * 30 frames alive (y never < 0), then -1. */
enum { IDLE_LENGTH = 31 };

START_TEST(test_always_idle_falls_to_the_ground)
{
    struct net net = constant_net(-1e3);
    struct ilrl_rollout_options options =
        options_of(5, 1000, ILRL_REWARD_SPARSE, ILRL_ROLLOUT_GREEDY);
    struct ilrl_rollout_stats stats = run(&net, &options, 1, 0);
    ck_assert_double_eq(stats.length_mean, IDLE_LENGTH);
    ck_assert_int_eq(stats.total_steps, 5 * IDLE_LENGTH);
    ck_assert_double_eq(stats.score_mean, 0.0);
    ck_assert_double_eq_tol(stats.return_mean, -pow(GAMMA, IDLE_LENGTH - 1), 1e-12);
    ck_assert_double_eq(stats.return_std, 0.0);

    options.scheme = ILRL_REWARD_SHAPED;
    stats = run(&net, &options, 1, 0);
    double alive = 0.0;
    for (int t = 0; t < IDLE_LENGTH - 1; t++)
        alive += 0.1 * pow(GAMMA, t);
    ck_assert_double_eq_tol(stats.return_mean, alive - pow(GAMMA, IDLE_LENGTH - 1), 1e-12);
    ck_assert_double_eq(stats.return_std, 0.0);

    /* Truncation: max_steps below the fall length. */
    options = options_of(2, 10, ILRL_REWARD_SPARSE, ILRL_ROLLOUT_GREEDY);
    stats = run(&net, &options, 1, 0);
    ck_assert_double_eq(stats.length_mean, 10.0);
    ck_assert_double_eq(stats.return_mean, 0.0);
    net_free(&net);
}
END_TEST

/* Always flap: a flap is accepted while y > -48, so the bird climbs 9 px a
 * frame from 244 (y = 244 - 9 t, -44 after 32 frames, -53 after 33), then
 * hovers in y in [-89, -44] (no ceiling death), inside every upper pipe's
 * span [gap_top - 320, gap_top) with gap_top - 320 <= -150.  The first pipe,
 * at x = 288 - 4 t after t frames, first overlaps the bird's box [57, 91)
 * at t = 50 (x = 88): crash at frame 50, no pipe passed, return -gamma^49. */
enum { FLAP_LENGTH = 50 };

START_TEST(test_always_flap_hits_the_first_pipe)
{
    struct net net = constant_net(1e3);
    struct ilrl_rollout_options options =
        options_of(4, 1000, ILRL_REWARD_SPARSE, ILRL_ROLLOUT_GREEDY);
    struct ilrl_rollout_stats stats = run(&net, &options, 7, 3);
    ck_assert_double_eq(stats.length_mean, FLAP_LENGTH);
    ck_assert_double_eq(stats.score_mean, 0.0);
    ck_assert_double_eq_tol(stats.return_mean, -pow(GAMMA, FLAP_LENGTH - 1), 1e-12);
    ck_assert_double_eq(stats.return_std, 0.0);
    net_free(&net);
}
END_TEST

/* Ties go to the lowest action: all-zero logits are idle when greedy. */
START_TEST(test_greedy_tie_is_idle)
{
    struct net net = constant_net(0.0);
    struct ilrl_rollout_options options =
        options_of(3, 1000, ILRL_REWARD_SPARSE, ILRL_ROLLOUT_GREEDY);
    struct ilrl_rollout_stats stats = run(&net, &options, 1, 0);
    ck_assert_double_eq(stats.length_mean, IDLE_LENGTH);
    net_free(&net);
}
END_TEST

/* ---- a network that copies a pilot rule ----------------------------------------- */

/* The rule, on the observation: flap iff the bird's top is lower than 40.5
 * px above the gap bottom of the first pipe (in observation order), i.e.
 * 512 obs[9] > 512 obs[2] - 40.5.  The observation values are k / 512, so
 * both sides are exact and the threshold (a half) never ties. */
static const double COPY_MARGIN = 40.5;

static int rule_action(const struct ilrl_flappy_state *state)
{
    double obs[ILRL_FLAPPY_N_FEATURES];
    ilrl_flappy_observe(state, obs);
    return 512.0 * obs[9] > 512.0 * obs[2] - COPY_MARGIN ? ILRL_FLAPPY_FLAP
                                                           : ILRL_FLAPPY_IDLE;
}

/* 12-2-2 relu: hidden h0 = relu(z), h1 = relu(-z) with
 * z = 512 obs[9] - 512 obs[2] + 40.5 (exact), logits (0, scale (h0 - h1)) =
 * (0, scale z): argmax flaps iff z > 0, the rule. */
static struct net copy_net(double scale)
{
    static const size_t sizes[] = {12, 2, 2};
    struct net net = net_alloc(sizes, 3, ILRL_ACTIVATION_RELU);
    set_param(&net, "W1[0,9]", 512.0);
    set_param(&net, "W1[0,2]", -512.0);
    set_param(&net, "b1[0]", COPY_MARGIN);
    set_param(&net, "W1[1,9]", -512.0);
    set_param(&net, "W1[1,2]", 512.0);
    set_param(&net, "b1[1]", -COPY_MARGIN);
    set_param(&net, "W2[1,0]", scale);
    set_param(&net, "W2[1,1]", -scale);
    return net;
}

START_TEST(test_copy_network_reaches_the_rule_score)
{
    enum { N_EPISODES = 6, MAX_STEPS = 2000 };
    const unsigned long run_seed = 5;
    const size_t point = 11;
    /* The rule played directly through the simulator, same seeds. */
    struct ilrl_flappy *game = ilrl_flappy_alloc(ILRL_REWARD_SPARSE);
    double score_sum = 0.0, length_sum = 0.0;
    for (size_t k = 0; k < N_EPISODES; k++) {
        ilrl_flappy_reset(game, ilrl_rollout_seed(run_seed, point, k));
        int crashed = 0;
        while (!crashed && game->state.steps < MAX_STEPS)
            crashed = ilrl_flappy_step(game, rule_action(&game->state), NULL);
        score_sum += game->state.score;
        length_sum += (double)game->state.steps;
    }
    ilrl_flappy_free(game);
    ck_assert_double_gt(score_sum, 0.0);   /* the rule does pass pipes */

    struct net net = copy_net(1.0);
    struct ilrl_rollout_options options =
        options_of(N_EPISODES, MAX_STEPS, ILRL_REWARD_SPARSE, ILRL_ROLLOUT_GREEDY);
    struct ilrl_rollout_stats stats = run(&net, &options, run_seed, point);
    ck_assert_double_eq(stats.score_mean, score_sum / N_EPISODES);
    ck_assert_double_eq(stats.length_mean, length_sum / N_EPISODES);
    net_free(&net);
}
END_TEST

/* ---- sampling ---------------------------------------------------------------------- */

/* A logit gap of 1e3 leaves the other action a probability of e^-1000 = 0:
 * sampling plays exactly the greedy episodes. */
START_TEST(test_sampling_with_certain_policy_equals_greedy)
{
    struct net nets[2] = {constant_net(-1e3), copy_net(1e3)};
    for (size_t n = 0; n < 2; n++) {
        struct ilrl_rollout_options options =
            options_of(4, 1500, ILRL_REWARD_SHAPED, ILRL_ROLLOUT_GREEDY);
        struct ilrl_rollout_stats greedy = run(&nets[n], &options, 2, 17);
        options.policy = ILRL_ROLLOUT_SAMPLE;
        struct ilrl_rollout_stats sampled = run(&nets[n], &options, 2, 17);
        assert_same_stats(&greedy, &sampled);
        net_free(&nets[n]);
    }
}
END_TEST

/* Uniform logits: sampling flips a fair coin each frame (so the episodes
 * differ from greedy's 31-frame fall) from a generator that depends on the
 * episode seed only, and is not the pipes' generator (seeded with the same
 * value, it would draw the same numbers). */
START_TEST(test_sampling_uses_its_own_reproducible_generator)
{
    enum { N_FRAMES = 64 };
    struct net net = constant_net(0.0);
    struct ilrl_rollout_options options =
        options_of(8, 1000, ILRL_REWARD_SPARSE, ILRL_ROLLOUT_SAMPLE);
    struct ilrl_rollout_stats a = run(&net, &options, 1, 0);
    struct ilrl_rollout_stats b = run(&net, &options, 1, 0);
    assert_same_stats(&a, &b);
    ck_assert_double_ne(a.length_mean, IDLE_LENGTH);

    struct ilrl_rollout_work *work = ilrl_rollout_work_alloc(net.mlp, &options);
    struct ilrl_env *game = ilrl_env_alloc(&ilrl_flappy_env, ILRL_REWARD_SPARSE);
    gsl_rng *pipes_stream = gsl_rng_alloc(gsl_rng_mt19937);
    int first[N_FRAMES], again[N_FRAMES], other[N_FRAMES], naive[N_FRAMES];
    unsigned long seed = ilrl_rollout_seed(1, 0, 0);
    ilrl_env_reset(game, 1);
    ilrl_rollout_episode_start(work, seed);
    for (int t = 0; t < N_FRAMES; t++)
        first[t] = ilrl_rollout_act(net.mlp, net.theta, ILRL_ROLLOUT_SAMPLE, game, work);
    ilrl_rollout_episode_start(work, seed);
    for (int t = 0; t < N_FRAMES; t++)
        again[t] = ilrl_rollout_act(net.mlp, net.theta, ILRL_ROLLOUT_SAMPLE, game, work);
    ilrl_rollout_episode_start(work, ilrl_rollout_seed(1, 0, 1));
    for (int t = 0; t < N_FRAMES; t++)
        other[t] = ilrl_rollout_act(net.mlp, net.theta, ILRL_ROLLOUT_SAMPLE, game, work);
    gsl_rng_set(pipes_stream, seed);
    int flaps = 0;
    for (int t = 0; t < N_FRAMES; t++) {
        naive[t] = gsl_rng_uniform(pipes_stream) < 0.5 ? 0 : 1;
        flaps += first[t];
    }
    ck_assert_mem_eq(first, again, sizeof first);
    ck_assert(memcmp(first, other, sizeof first) != 0);
    ck_assert(memcmp(first, naive, sizeof first) != 0);
    ck_assert_int_gt(flaps, 16);   /* a fair coin: 32 +- 4 expected */
    ck_assert_int_lt(flaps, 48);
    gsl_rng_free(pipes_stream);
    ilrl_env_free(game);
    ilrl_rollout_work_free(work);
    net_free(&net);
}
END_TEST

/* ---- refusal, interruption, allocation ------------------------------------------------ */

START_TEST(test_refuses_non_flappy_networks)
{
    static const size_t wrong_input[] = {5, 8, 2};
    static const size_t wrong_output[] = {12, 8, 3};
    struct ilrl_mlp *a = ilrl_mlp_alloc(wrong_input, 3, ILRL_ACTIVATION_TANH);
    struct ilrl_mlp *b = ilrl_mlp_alloc(wrong_output, 3, ILRL_ACTIVATION_TANH);
    const struct ilrl_rollout_options flappy = {.env = 0, .scheme = ILRL_REWARD_SPARSE};
    ilrl_error_clear();
    ck_assert_ptr_null(ilrl_rollout_work_alloc(a, &flappy));
    ck_assert_ptr_nonnull(strstr(ilrl_error_message(), "12 inputs and 2 outputs"));
    ck_assert_ptr_nonnull(strstr(ilrl_error_message(), "maps 5 inputs to 2 outputs"));
    ilrl_error_clear();
    ck_assert_ptr_null(ilrl_rollout_work_alloc(b, &flappy));
    ck_assert_ptr_nonnull(strstr(ilrl_error_message(), "maps 12 inputs to 3 outputs"));
    ilrl_mlp_free(a);
    ilrl_mlp_free(b);
}
END_TEST

static int stop_after_two(void *ctx)
{
    int *calls = ctx;
    return ++*calls >= 2;
}

/* The hook is asked every 64 frames of a point's lockstep play (and
 * between groups): the copy network's episodes last the whole 1000 frames,
 * so a hook that says stop at its second call (frame 128) stops the point. */
START_TEST(test_poll_stops_a_point)
{
    struct net net = copy_net(1.0);
    struct ilrl_rollout_options options =
        options_of(5, 1000, ILRL_REWARD_SPARSE, ILRL_ROLLOUT_GREEDY);
    struct ilrl_rollout_work *work = ilrl_rollout_work_alloc(net.mlp, &options);
    struct ilrl_rollout_stats stats;
    int calls = 0;
    ck_assert_int_eq(ilrl_rollout_point(net.mlp, net.theta, &options, 1, 0, work, &stats,
                                        stop_after_two, &calls), ILRL_EINTERRUPTED);
    ck_assert_int_eq(calls, 2);
    options.n_episodes = 0;
    ck_assert_int_eq(ilrl_rollout_point(net.mlp, net.theta, &options, 1, 0, work, &stats,
                                        NULL, NULL), ILRL_EUSAGE);
    ilrl_rollout_work_free(work);
    net_free(&net);
}
END_TEST

/* ---- lockstep: an episode is the same whoever shares its batch -------------- */

enum { LS_EPISODES = 13, LS_STEPS = 400 };

struct played {
    long length;
    int score;
    double episode_return;
    int action[LS_STEPS];
    double reward[LS_STEPS];
    double log_prob[LS_STEPS];
    double obs[LS_STEPS * ILRL_FLAPPY_N_FEATURES];
};

/* Episode `seed` alone, one ilrl_rollout_act per frame (the path the
 * network pilot and, before lockstep, every rollout took). */
static void play_alone(const struct net *net, enum ilrl_rollout_policy policy,
                       unsigned long seed, struct played *out)
{
    struct ilrl_rollout_options options = options_of(1, LS_STEPS, ILRL_REWARD_SHAPED, policy);
    struct ilrl_rollout_work *work = ilrl_rollout_work_alloc(net->mlp, &options);
    struct ilrl_env *env = ilrl_env_alloc(ilrl_env_at(0), ILRL_REWARD_SHAPED);
    struct ilrl_mlp_work *mlp_work = ilrl_mlp_work_alloc(net->mlp, 1);
    ck_assert_ptr_nonnull(work);
    ck_assert_ptr_nonnull(env);
    ilrl_rollout_episode_start(work, seed);
    ilrl_env_reset(env, seed);
    int over = 0;
    long t = 0;
    while (!over && t < LS_STEPS) {
        ilrl_env_observe(env, out->obs + t * ILRL_FLAPPY_N_FEATURES);
        out->action[t] = ilrl_rollout_act(net->mlp, net->theta, policy, env, work);
        double logits[2], log_probs[2];
        ilrl_mlp_forward_one(net->mlp, net->theta, out->obs + t * ILRL_FLAPPY_N_FEATURES, logits,
                             mlp_work);
        ilrl_log_softmax(logits, 2, log_probs);
        out->log_prob[t] = log_probs[out->action[t]];
        over = ilrl_env_step(env, out->action[t], &out->reward[t], NULL, NULL);
        t++;
    }
    out->length = t;
    out->score = ilrl_env_score(env);
    out->episode_return = ilrl_rollout_episode_return(out->reward, (size_t)t, GAMMA);
    ilrl_env_free(env);
    ilrl_rollout_work_free(work);
    ilrl_mlp_work_free(mlp_work);
}

static void assert_same_episode(const struct played *a, const struct played *b, size_t e)
{
    ck_assert_msg(a->length == b->length, "episode %zu: length %ld vs %ld", e, a->length,
                  b->length);
    ck_assert_int_eq(a->score, b->score);
    ck_assert_msg(memcmp(&a->episode_return, &b->episode_return, sizeof(double)) == 0,
                  "episode %zu: return %.17g vs %.17g", e, a->episode_return, b->episode_return);
    size_t n = (size_t)a->length;
    ck_assert_int_eq(memcmp(a->action, b->action, n * sizeof *a->action), 0);
    ck_assert_int_eq(memcmp(a->reward, b->reward, n * sizeof *a->reward), 0);
    ck_assert_int_eq(memcmp(a->log_prob, b->log_prob, n * sizeof *a->log_prob), 0);
    ck_assert_int_eq(memcmp(a->obs, b->obs, n * ILRL_FLAPPY_N_FEATURES * sizeof *a->obs), 0);
}

/* Lockstep plays of 13 episodes -- all together, in groups of 4, and in
 * the reverse order with capacity 5 -- give every episode exactly the
 * actions, rewards, observations, log-probabilities of its actions, score
 * and return of playing it alone,
 * greedy (the copy network: long episodes) and sampled (the seed-1
 * network with a flap bias of -2: episodes of varied lengths, so the batch
 * shrinks frame by frame). */
START_TEST(test_lockstep_episode_independent_of_batch)
{
    int sampled = _i;
    enum ilrl_rollout_policy policy = sampled ? ILRL_ROLLOUT_SAMPLE : ILRL_ROLLOUT_GREEDY;
    struct net net;
    if (sampled) {
        net = net_alloc(DEFAULT_SIZES, 4, ILRL_ACTIVATION_TANH);
        ck_assert_int_eq(ilrl_mlp_init(net.mlp, 1, net.theta), ILRL_OK);
        set_param(&net, "b3[1]", -2.0);   /* flaps on ~1 frame in 8: lengths vary */
    } else {
        net = copy_net(1.0);
    }
    struct played *alone = calloc(LS_EPISODES, sizeof *alone);
    struct played *together = calloc(LS_EPISODES, sizeof *together);
    unsigned long seeds[LS_EPISODES], reversed[LS_EPISODES];
    for (size_t e = 0; e < LS_EPISODES; e++) {
        seeds[e] = ilrl_rollout_seed(9, 4, e);
        reversed[LS_EPISODES - 1 - e] = seeds[e];
        play_alone(&net, policy, seeds[e], &alone[e]);
    }
    long lengths_differ = 0;
    for (size_t e = 1; e < LS_EPISODES; e++)
        lengths_differ += alone[e].length != alone[0].length;
    if (sampled)
        ck_assert_msg(lengths_differ > 0, "lengths %ld %ld %ld", alone[0].length, alone[1].length, alone[2].length);
    static const size_t capacity[] = {LS_EPISODES, 4, 5};
    for (size_t c = 0; c < 3; c++) {
        int reverse = c == 2;
        struct ilrl_lockstep *ls = ilrl_lockstep_alloc(net.mlp, 0, ILRL_REWARD_SHAPED, capacity[c]);
        ck_assert_ptr_nonnull(ls);
        double *obs[LS_EPISODES];
        int *action[LS_EPISODES];
        double *reward[LS_EPISODES], *log_prob[LS_EPISODES];
        struct ilrl_lockstep_result result[LS_EPISODES];
        for (size_t e = 0; e < LS_EPISODES; e++) {
            size_t slot = reverse ? LS_EPISODES - 1 - e : e;
            obs[slot] = together[e].obs;
            action[slot] = together[e].action;
            reward[slot] = together[e].reward;
            log_prob[slot] = together[e].log_prob;
        }
        struct ilrl_lockstep_record record = {obs, action, reward, log_prob};
        ck_assert_int_eq(ilrl_lockstep_play(ls, net.mlp, net.theta, policy, LS_EPISODES,
                                            reverse ? reversed : seeds, LS_STEPS, GAMMA, &record,
                                            result, NULL, NULL), ILRL_OK);
        for (size_t e = 0; e < LS_EPISODES; e++) {
            size_t slot = reverse ? LS_EPISODES - 1 - e : e;
            together[e].length = result[slot].length;
            together[e].score = result[slot].score;
            together[e].episode_return = result[slot].episode_return;
            assert_same_episode(&alone[e], &together[e], e);
        }
        ck_assert_int_eq(ilrl_lockstep_play(ls, net.mlp, net.theta, policy, 1, seeds, 0, GAMMA,
                                            NULL, result, NULL, NULL), ILRL_EUSAGE);
        ilrl_lockstep_free(ls);
    }
    free(alone);
    free(together);
    net_free(&net);
}
END_TEST

START_TEST(test_rollout_loop_does_not_allocate)
{
    struct net net = net_alloc(DEFAULT_SIZES, 4, ILRL_ACTIVATION_TANH);
    ck_assert_int_eq(ilrl_mlp_init(net.mlp, 1, net.theta), ILRL_OK);
    struct ilrl_rollout_options options =
        options_of(8, 300, ILRL_REWARD_SHAPED, ILRL_ROLLOUT_SAMPLE);
    struct ilrl_rollout_work *work = ilrl_rollout_work_alloc(net.mlp, &options);
    struct ilrl_rollout_stats stats;
    int status = ILRL_OK;
    /* No Check assertion inside the counted region: they record their
     * location, which allocates. */
    long before = n_allocations;
    for (size_t point = 0; point < 4; point++) {
        options.policy = point % 2 ? ILRL_ROLLOUT_SAMPLE : ILRL_ROLLOUT_GREEDY;
        status |= ilrl_rollout_point(net.mlp, net.theta, &options, 1, point, work, &stats,
                                     NULL, NULL);
    }
    long after = n_allocations;
    ck_assert_int_eq(status, ILRL_OK);
    ck_assert_int_gt(stats.total_steps, 8);
    if (counting_works()) {
        ck_assert_int_eq(after - before, 0);
        /* The counter does count: the workspace allocates. */
        ilrl_rollout_work_free(work);
        work = ilrl_rollout_work_alloc(net.mlp, &options);
        ck_assert_int_gt(n_allocations, after);
    }
    ilrl_rollout_work_free(work);
    net_free(&net);
}
END_TEST

/* The tally and episode return the network pilot's replay uses agree with
 * the rollout itself: replaying the idle network's episode. */
START_TEST(test_tally_matches_rollout)
{
    double reward[IDLE_LENGTH] = {0};
    reward[IDLE_LENGTH - 1] = -1.0;
    struct ilrl_rollout_tally tally = {0};
    struct ilrl_rollout_stats replay;
    for (int k = 0; k < 3; k++)
        ilrl_rollout_tally_add(&tally, ilrl_rollout_episode_return(reward, IDLE_LENGTH, GAMMA),
                               0, IDLE_LENGTH);
    ilrl_rollout_tally_stats(&tally, &replay);
    struct net net = constant_net(-1e3);
    struct ilrl_rollout_options options =
        options_of(3, 1000, ILRL_REWARD_SPARSE, ILRL_ROLLOUT_GREEDY);
    struct ilrl_rollout_stats stats = run(&net, &options, 1, 0);
    assert_same_stats(&stats, &replay);
    net_free(&net);

    /* Population std of {1, 3}: 1. */
    struct ilrl_rollout_tally two = {0};
    ilrl_rollout_tally_add(&two, 1.0, 1, 10);
    ilrl_rollout_tally_add(&two, 3.0, 2, 20);
    ilrl_rollout_tally_stats(&two, &replay);
    ck_assert_double_eq(replay.return_mean, 2.0);
    ck_assert_double_eq(replay.return_std, 1.0);
    ck_assert_double_eq(replay.score_mean, 1.5);
    ck_assert_double_eq(replay.length_mean, 15.0);
    ck_assert_int_eq(replay.total_steps, 30);
}
END_TEST

Suite *rollout_suite(void)
{
    Suite *suite = suite_create("rollout");
    TCase *seeds = tcase_create("seeds");
    tcase_add_test(seeds, test_seed_pinned_values);
    tcase_add_test(seeds, test_seed_distinct_per_point_and_episode);
    tcase_add_test(seeds, test_policy_names);
    tcase_add_test(seeds, test_points_see_different_pipes);
    suite_add_tcase(suite, seeds);

    TCase *episodes = tcase_create("episodes");
    tcase_set_timeout(episodes, 60);
    tcase_add_test(episodes, test_same_point_same_seeds_identical);
    tcase_add_test(episodes, test_always_idle_falls_to_the_ground);
    tcase_add_test(episodes, test_always_flap_hits_the_first_pipe);
    tcase_add_test(episodes, test_greedy_tie_is_idle);
    tcase_add_test(episodes, test_copy_network_reaches_the_rule_score);
    tcase_add_test(episodes, test_sampling_with_certain_policy_equals_greedy);
    tcase_add_test(episodes, test_sampling_uses_its_own_reproducible_generator);
    tcase_add_test(episodes, test_refuses_non_flappy_networks);
    tcase_add_test(episodes, test_poll_stops_a_point);
    tcase_add_loop_test(episodes, test_lockstep_episode_independent_of_batch, 0, 2);
    tcase_add_test(episodes, test_rollout_loop_does_not_allocate);
    tcase_add_test(episodes, test_tally_matches_rollout);
    suite_add_tcase(suite, episodes);
    return suite;
}
