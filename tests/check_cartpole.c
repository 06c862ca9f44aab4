/* check_cartpole.c -- CartPole-v1 against Gymnasium's step() to the last bit:
 * single steps and a 15-step chain from given states, whose expected values
 * were computed by CPython from Gymnasium's cartpole.py step() as written
 * (math.cos / math.sin, ** 2, left-to-right evaluation; the observation is
 * the float32 rounding, numpy's astype) and are pasted here as hex floats.
 * Also: both termination thresholds (strict), the 500-step truncation, the
 * reward sequences of both schemes, reset reproducible from the seed, and
 * the pilots' promises (strong >= 475 mean over 20 episodes, poor falls
 * within 20 steps).  Whole recorded sessions, reset draws included, are
 * replayed through tests/upstream_cartpole.py by tests/upstream_cartpole.sh. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "ilrl/cartpole.h"
#include "ilrl/demo.h"
#include "ilrl/env.h"
#include "ilrl/error.h"
#include "ilrl/pilot.h"
#include "ilrl/record.h"
#include "ilrl/seed.h"

struct step_case {
    double before[4];
    int action;
    double after[4];      /* Gymnasium's float64 state */
    double observed[4];   /* np.array(state, dtype=np.float32) */
    int terminated;
};

static const struct step_case cases[] = {
    {{0x1.47ae147ae147bp-7, -0x1.47ae147ae147bp-6, 0x1.eb851eb851eb8p-6, 0x1.47ae147ae147bp-5}, 1, {0x1.3a92a30553262p-7, 0x1.65be34c837f9ep-3, 0x1.f8a0902de00d1p-6, -0x1.f1ce03128d125p-3}, {0x1.3a92a40000000p-7, 0x1.65be340000000p-3, 0x1.f8a0900000000p-6, -0x1.f1ce040000000p-3}, 0},
    {{0x1.47ae147ae147bp-7, -0x1.47ae147ae147bp-6, 0x1.eb851eb851eb8p-6, 0x1.47ae147ae147bp-5}, 0, {0x1.3a92a30553262p-7, -0x1.b96c852bbf6a9p-3, 0x1.f8a0902de00d1p-6, 0x1.5e33fef60670dp-2}, {0x1.3a92a40000000p-7, -0x1.b96c860000000p-3, 0x1.f8a0900000000p-6, 0x1.5e33fe0000000p-2}, 0},
    {{-0x1.8000000000000p+0, 0x1.6666666666666p-1, -0x1.851eb851eb852p-3, 0x1.4cccccccccccdp+0}, 1, {-0x1.7c6a7ef9db22dp+0, 0x1.cb3ddb9c2ada4p-1, -0x1.4fdf3b645a1cbp-3, 0x1.e8a18eade6de8p-1}, {-0x1.7c6a7e0000000p+0, 0x1.cb3ddc0000000p-1, -0x1.4fdf3c0000000p-3, 0x1.e8a18e0000000p-1}, 0},
    {{0x1.0000000000000p+1, -0x1.199999999999ap+0, 0x1.999999999999ap-3, -0x1.4000000000000p+1}, 0, {0x1.fa5e353f7ced9p+0, -0x1.4bcf9a67bb936p+0, 0x1.3333333333334p-3, -0x1.139dba11d67d2p+1}, {0x1.fa5e360000000p+0, -0x1.4bcf9a0000000p+0, 0x1.3333340000000p-3, -0x1.139dba0000000p+1}, 0},
    {{0x0.0p+0, 0x0.0p+0, 0x0.0p+0, 0x0.0p+0}, 1, {0x0.0p+0, 0x1.8f9c18f9c18fap-3, 0x0.0p+0, -0x1.2bb512bb512bbp-2}, {0x0.0p+0, 0x1.8f9c180000000p-3, 0x0.0p+0, -0x1.2bb5120000000p-2}, 0},
};

static struct ilrl_cartpole_state state_of(const double v[4])
{
    struct ilrl_cartpole_state state = {v[0], v[1], v[2], v[3], 0};
    return state;
}

static void assert_bits(double got, double expected, const char *what, int k)
{
    ck_assert_msg(memcmp(&got, &expected, sizeof got) == 0, "%s[%d]: got %a, expected %a",
                  what, k, got, expected);
}

START_TEST(test_single_steps_to_the_bit)
{
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        struct ilrl_cartpole_state state = state_of(cases[c].before);
        ck_assert_int_eq(ilrl_cartpole_state_step(&state, cases[c].action), cases[c].terminated);
        double after[4] = {state.x, state.x_dot, state.theta, state.theta_dot}, obs[4];
        ilrl_cartpole_observe(&state, obs);
        for (int k = 0; k < 4; k++) {
            assert_bits(after[k], cases[c].after[k], "state", k);
            assert_bits(obs[k], cases[c].observed[k], "observation", k);
            ck_assert(obs[k] == (double)(float)obs[k]);   /* a float32 value */
        }
    }
}
END_TEST

START_TEST(test_chain_of_steps_until_the_pole_falls)
{
    /* From (0.01, -0.02, 0.03, 0.04), action 1 when 7t mod 3 == 0, else 0:
     * Gymnasium's state after step t = 14 is beyond 12 degrees. */
    static const double start[4] = {0.01, -0.02, 0.03, 0.04};
    static const double end[4] = {-0x1.848ff17677d82p-4, -0x1.026df77937315p+0,
                                  0x1.bf15c80055623p-3, 0x1.d8c1b97540860p+0};
    struct ilrl_cartpole_state state = state_of(start);
    int t;
    for (t = 0; t < 60; t++)
        if (ilrl_cartpole_state_step(&state, (t * 7) % 3 == 0))
            break;
    ck_assert_int_eq(t, 14);
    double got[4] = {state.x, state.x_dot, state.theta, state.theta_dot};
    for (int k = 0; k < 4; k++)
        assert_bits(got[k], end[k], "chain", k);
    /* A terminated state stays put. */
    ck_assert_int_eq(ilrl_cartpole_state_step(&state, 1), 1);
    ck_assert(state.x == end[0] && state.theta_dot == end[3]);
}
END_TEST

START_TEST(test_thresholds_are_strict)
{
    const double limit = ilrl_cartpole_theta_threshold();
    ck_assert(limit == 0x1.acee9f37bebd5p-3);   /* CPython's 12 * 2 * math.pi / 360 */
    /* x moves by tau * x_dot only: exactly at +-2.4 stays, beyond ends. */
    const double at_edge[][4] = {{2.4, 0, 0, 0}, {-2.4, 0, 0, 0}, {0, 0, limit, 0},
                                 {0, 0, -limit, 0}};
    const double beyond[][4] = {{2.4, 1e-9, 0, 0}, {-2.4, -1e-9, 0, 0}, {0, 0, limit, 1e-9},
                                {0, 0, -limit, -1e-9}};
    for (int k = 0; k < 4; k++) {
        struct ilrl_cartpole_state a = state_of(at_edge[k]), b = state_of(beyond[k]);
        ck_assert_msg(ilrl_cartpole_state_step(&a, 1) == 0, "edge case %d terminated", k);
        ck_assert(k >= 2 ? fabs(a.theta) == limit : fabs(a.x) == 2.4);
        ck_assert_msg(ilrl_cartpole_state_step(&b, 1) == 1, "case %d beyond did not end", k);
    }
}
END_TEST

START_TEST(test_reset_from_the_seed)
{
    struct ilrl_cartpole *a = ilrl_cartpole_alloc(), *b = ilrl_cartpole_alloc();
    ilrl_cartpole_reset(a, 12345);
    ilrl_cartpole_step(a, 1, 0, NULL);
    ilrl_cartpole_reset(a, 12345);    /* reset forgets the past */
    ilrl_cartpole_reset(b, 12345);
    ck_assert_mem_eq(&a->state, &b->state, sizeof a->state);
    ck_assert_int_eq(a->state.terminated, 0);
    /* The draws: -0.05 + 0.1 u, u = gsl_rng_uniform of mt19937(seed), in
     * the order x, x_dot, theta, theta_dot. */
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 12345);
    double expected[4];
    for (int k = 0; k < 4; k++)
        expected[k] = -0.05 + 0.1 * gsl_rng_uniform(rng);
    ck_assert(a->state.x == expected[0] && a->state.x_dot == expected[1]
              && a->state.theta == expected[2] && a->state.theta_dot == expected[3]);
    /* Other seeds, other states, all in [-0.05, 0.05). */
    int differ = 0;
    for (unsigned long seed = 0; seed < 200; seed++) {
        ilrl_cartpole_reset(b, seed);
        const double *v = &b->state.x;
        for (int k = 0; k < 4; k++)
            ck_assert(v[k] >= -0.05 && v[k] < 0.05);
        differ += b->state.x != a->state.x;
    }
    ck_assert_int_ge(differ, 199);
    gsl_rng_free(rng);
    ilrl_cartpole_free(a);
    ilrl_cartpole_free(b);
}
END_TEST

/* Plays `actions` (NULL: always push left) from seed 3 through the
 * interface; returns the episode's length, rewards in reward[]. */
static long play(int scheme, double *reward, int *terminated, int *truncated)
{
    struct ilrl_env *env = ilrl_env_alloc(&ilrl_cartpole_env, scheme);
    ck_assert_ptr_nonnull(env);
    ilrl_env_reset(env, 3);
    long t = 0;
    while (!ilrl_env_step(env, 0, &reward[t], terminated, truncated))
        t++;
    ilrl_env_free(env);
    return t + 1;
}

START_TEST(test_reward_sequences)
{
    double reward[600];
    int terminated, truncated;
    long n = play(ILRL_CARTPOLE_REWARD_DEFAULT, reward, &terminated, &truncated);
    /* Pushing left all the time: the pole falls right within 12 steps. */
    ck_assert_int_ge(n, 5);
    ck_assert_int_le(n, 12);
    ck_assert(terminated && !truncated);
    for (long t = 0; t < n; t++)
        ck_assert(reward[t] == 1.0);   /* the terminating step too */
    long m = play(ILRL_CARTPOLE_REWARD_SHAPED, reward, &terminated, &truncated);
    ck_assert_int_eq(m, n);
    for (long t = 0; t + 1 < n; t++)
        ck_assert(reward[t] == 0.0);
    ck_assert(reward[n - 1] == -1.0);
    /* Stepping after the end: reward 0, still over. */
    struct ilrl_cartpole *game = ilrl_cartpole_alloc();
    ilrl_cartpole_reset(game, 3);
    while (!ilrl_cartpole_step(game, 0, ILRL_CARTPOLE_REWARD_SHAPED, NULL))
        continue;
    double r = 7;
    ck_assert_int_eq(ilrl_cartpole_step(game, 1, ILRL_CARTPOLE_REWARD_SHAPED, &r), 1);
    ck_assert(r == 0.0);
    ilrl_cartpole_free(game);
}
END_TEST

static struct ilrl_demo *record(const char *spec, size_t n_episodes, long max_steps,
                                int scheme, unsigned long seed)
{
    struct ilrl_pilot_spec parsed;
    struct ilrl_pilot *pilot = NULL;
    struct ilrl_demo *demo = NULL;
    struct ilrl_record_options options = {
        .n_episodes = n_episodes, .max_steps = max_steps, .seed = seed, .scheme = scheme,
        .fps = 30};
    ck_assert_int_eq(ilrl_pilot_spec_parse(spec, &parsed), ILRL_OK);
    ck_assert_int_eq(ilrl_pilot_new_env(&ilrl_cartpole_env, &parsed, seed, &pilot), ILRL_OK);
    ilrl_pilot_spec_free(&parsed);
    ck_assert_msg(ilrl_record_session(pilot, &options, &demo) == ILRL_OK, "%s",
                  ilrl_error_message());
    ilrl_pilot_free(pilot);
    return demo;
}

START_TEST(test_truncation_at_500_and_the_strong_pilot)
{
    /* 20 episodes of the strong pilot: every one reaches the time limit
     * (500 >= 475, CartPole-v1's "solved" line), truncated, not terminated,
     * even when --max-steps allows more. */
    struct ilrl_demo *demo = record("strong", 20, 3000, ILRL_CARTPOLE_REWARD_DEFAULT, 1);
    ck_assert_str_eq(demo->env, "cartpole");
    ck_assert_str_eq(demo->reward_scheme, "default");
    ck_assert_str_eq(demo->action_names, "push_left,push_right");
    ck_assert_str_eq(demo->feature_names, "x,x_dot,theta,theta_dot");
    ck_assert_uint_eq(demo->n_features, 4);
    ck_assert_ptr_null(demo->score);
    ck_assert_uint_eq(demo->n_episodes, 20);
    double total = 0;
    for (size_t e = 0; e < 20; e++) {
        ck_assert_int_eq(demo->episode_length[e], ILRL_CARTPOLE_TIME_LIMIT);
        ck_assert_int_eq(demo->terminated[e], 0);
    }
    for (size_t t = 0; t < demo->n_steps; t++)
        total += demo->reward[t];
    ck_assert_double_ge(total / 20, 475.0);
    /* Episode e starts from ilrl_episode_seed(1, e)'s draw, as float32. */
    struct ilrl_cartpole *game = ilrl_cartpole_alloc();
    double obs[4];
    ilrl_cartpole_reset(game, ilrl_episode_seed(1, 7));
    ilrl_cartpole_observe(&game->state, obs);
    ck_assert_mem_eq(&demo->obs[7 * 500 * 4], obs, sizeof obs);
    ilrl_cartpole_free(game);
    ilrl_demo_free(demo);
    /* A shorter --max-steps truncates first. */
    demo = record("strong", 1, 100, ILRL_CARTPOLE_REWARD_DEFAULT, 1);
    ck_assert_int_eq(demo->episode_length[0], 100);
    ck_assert_int_eq(demo->terminated[0], 0);
    ilrl_demo_free(demo);
}
END_TEST

START_TEST(test_poor_falls_fast)
{
    struct ilrl_demo *demo = record("poor", 20, 3000, ILRL_CARTPOLE_REWARD_SHAPED, 2);
    for (size_t e = 0; e < 20; e++) {
        ck_assert_int_le(demo->episode_length[e], 20);
        ck_assert_int_eq(demo->terminated[e], 1);
        ck_assert(demo->reward[demo->episode_start[e] + demo->episode_length[e] - 1] == -1.0);
    }
    ilrl_demo_free(demo);
    /* noisy:1 plays only random actions: the pole falls well before 500. */
    demo = record("noisy:1", 5, 3000, ILRL_CARTPOLE_REWARD_DEFAULT, 2);
    for (size_t e = 0; e < 5; e++)
        ck_assert_int_lt(demo->episode_length[e], 200);
    ilrl_demo_free(demo);
}
END_TEST

START_TEST(test_human_key_map)
{
    /* An arrow pushes its way; no key (or both) alternates left, right. */
    for (long frame = 0; frame < 4; frame++) {
        ck_assert_int_eq(ilrl_cartpole_env.human_action(ILRL_KEY_RIGHT, frame), 1);
        ck_assert_int_eq(ilrl_cartpole_env.human_action(ILRL_KEY_LEFT, frame), 0);
        ck_assert_int_eq(ilrl_cartpole_env.human_action(ILRL_KEY_NONE, frame), frame % 2);
        ck_assert_int_eq(ilrl_cartpole_env.human_action(ILRL_KEY_LEFT | ILRL_KEY_RIGHT, frame),
                         frame % 2);
        ck_assert_int_eq(ilrl_cartpole_env.human_action(ILRL_KEY_FLAP, frame), frame % 2);
    }
}
END_TEST

Suite *cartpole_suite(void)
{
    Suite *suite = suite_create("cartpole");
    TCase *physics = tcase_create("physics");
    tcase_add_test(physics, test_single_steps_to_the_bit);
    tcase_add_test(physics, test_chain_of_steps_until_the_pole_falls);
    tcase_add_test(physics, test_thresholds_are_strict);
    tcase_add_test(physics, test_reset_from_the_seed);
    tcase_add_test(physics, test_reward_sequences);
    tcase_add_test(physics, test_human_key_map);
    suite_add_tcase(suite, physics);
    TCase *pilots = tcase_create("pilots");
    tcase_set_timeout(pilots, 60);
    tcase_add_test(pilots, test_truncation_at_500_and_the_strong_pilot);
    tcase_add_test(pilots, test_poor_falls_fast);
    suite_add_tcase(suite, pilots);
    return suite;
}
