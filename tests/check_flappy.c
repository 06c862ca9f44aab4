/* check_flappy.c -- the simulator against hand-computed trajectories, edges
 * of the collision boxes, scoring, random draws, rewards and observations. */
#include "config.h"

#include <math.h>
#include <string.h>

#include <check.h>
#include <gsl/gsl_rng.h>

#include "ilrl/error.h"
#include "ilrl/flappy.h"

/* A bare state: bird at rest-free position y with velocity vy, pipes far to
 * the right (no collision, no scoring) unless a test places them. */
static struct ilrl_flappy_state quiet_state(int y, int vy)
{
    struct ilrl_flappy_state state;
    memset(&state, 0, sizeof state);
    state.bird_y = y;
    state.bird_vy = vy;
    state.rotation = 45;
    for (int i = 0; i < ILRL_FLAPPY_N_PIPES; i++) {
        state.pipe_x[i] = 1000 + 200 * i;
        state.pipe_gap_top[i] = 150;
    }
    return state;
}

static struct ilrl_flappy *new_game(enum ilrl_reward_scheme scheme, unsigned long seed)
{
    struct ilrl_flappy *game = ilrl_flappy_alloc(scheme);
    ck_assert_ptr_nonnull(game);
    ilrl_flappy_reset(game, seed);
    return game;
}

START_TEST(test_reset_state)
{
    struct ilrl_flappy *game = new_game(ILRL_REWARD_SPARSE, 7);
    ck_assert_int_eq(game->state.bird_y, 244);
    ck_assert_int_eq(game->state.bird_vy, -9);
    ck_assert_int_eq(game->state.rotation, 45);
    ck_assert_int_eq(game->state.pipe_x[0], 288);
    ck_assert_int_eq(game->state.pipe_x[1], 432);
    ck_assert_int_eq(game->state.pipe_x[2], 576);
    ck_assert_int_eq(game->state.score, 0);
    ck_assert_int_eq(game->state.steps, 0);
    ck_assert_int_eq(game->state.crashed, 0);
    ilrl_flappy_free(game);
}
END_TEST

/* Free fall from reset: vy = -8, -7, ... up to 10, then capped; y from 244
 * by the running sums (236, 229, 223, ...), 263 at frame 19, +10 a frame to
 * 373 at frame 30, clamped to 380 (the ground) at frame 31: the crash. */
START_TEST(test_free_fall_from_reset)
{
    static const int expected_y[31] = {236, 229, 223, 218, 214, 211, 209, 208, 208, 209,
                                       211, 214, 218, 223, 229, 236, 244, 253, 263, 273,
                                       283, 293, 303, 313, 323, 333, 343, 353, 363, 373,
                                       380};
    struct ilrl_flappy *game = new_game(ILRL_REWARD_SPARSE, 1);
    for (int frame = 1; frame <= 31; frame++) {
        double reward = 99;
        int crashed = ilrl_flappy_step(game, ILRL_FLAPPY_IDLE, &reward);
        int expected_vy = -9 + frame < 10 ? -9 + frame : 10;
        ck_assert_int_eq(game->state.bird_vy, expected_vy);
        ck_assert_int_eq(game->state.bird_y, expected_y[frame - 1]);
        ck_assert_int_eq(game->state.rotation, 45 - 3 * frame);
        ck_assert_int_eq(game->state.pipe_x[0], 288 - 4 * frame);
        ck_assert_int_eq(crashed, frame == 31);
        ck_assert(reward == (frame == 31 ? -1.0 : 0.0));
    }
    ck_assert_int_eq(game->state.steps, 31);
    ilrl_flappy_free(game);
}
END_TEST

START_TEST(test_rotation_floor_and_flap)
{
    struct ilrl_flappy_state state = quiet_state(200, 0);
    state.rotation = -87;
    ilrl_flappy_state_step(&state, ILRL_FLAPPY_IDLE, NULL);
    ck_assert_int_eq(state.rotation, -90);
    ilrl_flappy_state_step(&state, ILRL_FLAPPY_IDLE, NULL);
    ck_assert_int_eq(state.rotation, -90);
    state.rotation = -88; /* not a multiple of 3: the floor still holds */
    ilrl_flappy_state_step(&state, ILRL_FLAPPY_IDLE, NULL);
    ck_assert_int_eq(state.rotation, -90);
    /* A flap resets vy to -9 (no gravity that frame) and rotation to 45. */
    state.bird_vy = 7;
    int y = state.bird_y;
    ilrl_flappy_state_step(&state, ILRL_FLAPPY_FLAP, NULL);
    ck_assert_int_eq(state.bird_vy, -9);
    ck_assert_int_eq(state.rotation, 45);
    ck_assert_int_eq(state.bird_y, y - 9);
    ilrl_flappy_state_step(&state, ILRL_FLAPPY_IDLE, NULL);
    ck_assert_int_eq(state.bird_vy, -8);
    ck_assert_int_eq(state.rotation, 42);
    ck_assert_int_eq(state.bird_y, y - 17);
}
END_TEST

START_TEST(test_flap_refused_at_ceiling)
{
    /* y > -48 flaps: -47 -> vy -9, y -56. */
    struct ilrl_flappy_state state = quiet_state(-47, 3);
    state.rotation = 0;
    ilrl_flappy_state_step(&state, ILRL_FLAPPY_FLAP, NULL);
    ck_assert_int_eq(state.bird_vy, -9);
    ck_assert_int_eq(state.bird_y, -56);
    ck_assert_int_eq(state.rotation, 45);
    /* y = -48 does not: gravity acts, rotation keeps falling. */
    state = quiet_state(-48, 3);
    state.rotation = 0;
    ilrl_flappy_state_step(&state, ILRL_FLAPPY_FLAP, NULL);
    ck_assert_int_eq(state.bird_vy, 4);
    ck_assert_int_eq(state.bird_y, -44);
    ck_assert_int_eq(state.rotation, -3);
}
END_TEST

START_TEST(test_no_ceiling_death)
{
    struct ilrl_flappy_state state = quiet_state(-90, -1); /* vy becomes 0: y stays */
    ck_assert_int_eq(ilrl_flappy_state_step(&state, ILRL_FLAPPY_IDLE, NULL), 0);
    ck_assert_int_eq(state.bird_y, -90);
    ck_assert_int_eq(state.crashed, 0);
}
END_TEST

START_TEST(test_ground)
{
    /* 379 is alive, 380 (bottom on the ground line 404) is a crash. */
    struct ilrl_flappy_state state = quiet_state(379, -1);
    ck_assert_int_eq(ilrl_flappy_state_step(&state, ILRL_FLAPPY_IDLE, NULL), 0);
    ck_assert_int_eq(state.bird_y, 379);
    state = quiet_state(378, 1); /* vy 2: 380 */
    ck_assert_int_eq(ilrl_flappy_state_step(&state, ILRL_FLAPPY_IDLE, NULL), 1);
    ck_assert_int_eq(state.bird_y, 380);
    state = quiet_state(375, 9); /* 375 + 10 clamps to 380 */
    ck_assert_int_eq(ilrl_flappy_state_step(&state, ILRL_FLAPPY_IDLE, NULL), 1);
    ck_assert_int_eq(state.bird_y, 380);
}
END_TEST

/* One frame with the bird held at y (vy -1 -> 0) and pipe 0 moving from
 * x_before to x_before - 4 with gap top 150.  Returns the crash flag. */
static int crash_with_pipe(int y, int x_before)
{
    struct ilrl_flappy_state state = quiet_state(y, -1);
    state.pipe_x[0] = x_before;
    state.pipe_gap_top[0] = 150;
    int crashed = ilrl_flappy_state_step(&state, ILRL_FLAPPY_IDLE, NULL);
    ck_assert_int_eq(state.bird_y, y);
    ck_assert_int_eq(state.pipe_x[0], x_before - 4);
    return crashed;
}

START_TEST(test_collision_half_open_boxes)
{
    /* Bird [57, 91) x [y, y + 24); upper pipe [x, x+52) x [-170, 150),
     * lower pipe [x, x+52) x [250, 570). */
    /* Horizontal: pipe left edge at 91 touches, 90 overlaps by 1 px. */
    ck_assert_int_eq(crash_with_pipe(100, 95), 0);
    ck_assert_int_eq(crash_with_pipe(100, 94), 1);
    /* Pipe right edge x + 52 at 57 touches (x = 5), 58 overlaps (x = 6). */
    ck_assert_int_eq(crash_with_pipe(100, 9), 0);
    ck_assert_int_eq(crash_with_pipe(100, 10), 1);
    /* Vertical, pipe over the bird (x = 60 after the move). */
    ck_assert_int_eq(crash_with_pipe(150, 64), 0); /* top at the gap top */
    ck_assert_int_eq(crash_with_pipe(149, 64), 1); /* 1 px into the upper pipe */
    ck_assert_int_eq(crash_with_pipe(226, 64), 0); /* bottom 250 = gap bottom */
    ck_assert_int_eq(crash_with_pipe(227, 64), 1); /* 1 px into the lower pipe */
    ck_assert_int_eq(crash_with_pipe(200, 64), 0); /* in the middle of the gap */
    /* Far above the upper pipe (its top is -170): the box does not reach. */
    ck_assert_int_eq(crash_with_pipe(-194, 64), 0);
    ck_assert_int_eq(crash_with_pipe(-193, 64), 1);
}
END_TEST

/* Holds a bare state in every gap by a threshold rule that works only
 * because all gaps are equal (150): y stays within [155, 209]. */
START_TEST(test_scoring_once_per_pipe)
{
    static const long scoring_frames[] = {61, 97, 133, 175, 211, 247, 288};
    struct ilrl_flappy_state state = quiet_state(244, -9);
    size_t next = 0;
    state.pipe_x[0] = 288;
    state.pipe_x[1] = 432;
    state.pipe_x[2] = 576;
    for (long frame = 1; frame <= 300; frame++) {
        int passed = -1;
        int action = state.bird_y >= 200 ? ILRL_FLAPPY_FLAP : ILRL_FLAPPY_IDLE;
        ck_assert_int_eq(ilrl_flappy_state_step(&state, action, &passed), 0);
        int expected = next < sizeof scoring_frames / sizeof scoring_frames[0]
                       && scoring_frames[next] == frame;
        ck_assert_msg(passed == expected, "frame %ld: passed %d, expected %d", frame, passed,
                      expected);
        next += (size_t)expected;
        ck_assert_int_eq(state.score, (int)next);
    }
    ck_assert_uint_eq(next, 7);
    /* Respawns happened at x = 397 and kept gap 150 without a generator. */
    for (int i = 0; i < ILRL_FLAPPY_N_PIPES; i++)
        ck_assert_int_eq(state.pipe_gap_top[i], 150);
}
END_TEST

/* The pipe the bird is inside or next meets: smallest x with x > 9 (its
 * right edge still past the bird after this frame's move). */
static int pipe_ahead(const struct ilrl_flappy_state *state)
{
    int best = -1;
    for (int i = 0; i < ILRL_FLAPPY_N_PIPES; i++)
        if (state->pipe_x[i] > 9 && (best < 0 || state->pipe_x[i] < state->pipe_x[best]))
            best = i;
    return best;
}

START_TEST(test_reset_and_respawn_draw_order)
{
    const unsigned long seed = 12345;
    gsl_rng *reference = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(reference, seed);
    struct ilrl_flappy *game = new_game(ILRL_REWARD_SPARSE, seed);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(game->state.pipe_gap_top[i],
                         100 + 10 * (int)gsl_rng_uniform_int(reference, 8));
    int respawns = 0;
    for (int frame = 1; frame <= 400; frame++) {
        /* Test-only steering: park the bird in the middle of the gap ahead,
         * at rest (vy -1 becomes 0), so the episode lives to see respawns. */
        int ahead = pipe_ahead(&game->state);
        game->state.bird_y = game->state.pipe_gap_top[ahead] + 38;
        game->state.bird_vy = -1;
        int before[ILRL_FLAPPY_N_PIPES];
        memcpy(before, game->state.pipe_x, sizeof before);
        ck_assert_int_eq(ilrl_flappy_step(game, ILRL_FLAPPY_IDLE, NULL), 0);
        for (int i = 0; i < ILRL_FLAPPY_N_PIPES; i++) {
            if (game->state.pipe_x[i] == before[i] - 4)
                continue;
            ck_assert_int_eq(game->state.pipe_x[i], 397);
            ck_assert_int_lt(before[i] - 4, -52);
            ck_assert_int_eq(game->state.pipe_gap_top[i],
                             100 + 10 * (int)gsl_rng_uniform_int(reference, 8));
            respawns++;
        }
    }
    /* Respawns at frames 86, 122, 158, 199, 235, 271, 312, 348, 384. */
    ck_assert_int_eq(respawns, 9);
    gsl_rng_free(reference);
    ilrl_flappy_free(game);
}
END_TEST

/* The gap tops of one reset and a fixed flap sequence's trajectory. */
static void play_fixed(unsigned long seed, int gaps[3], int ys[40])
{
    struct ilrl_flappy *game = new_game(ILRL_REWARD_SHAPED, seed);
    memcpy(gaps, game->state.pipe_gap_top, 3 * sizeof(int));
    for (int frame = 0; frame < 40; frame++) {
        ilrl_flappy_step(game, frame % 7 == 0, NULL);
        ys[frame] = game->state.bird_y;
    }
    ilrl_flappy_free(game);
}

START_TEST(test_determinism)
{
    int gaps_a[3], gaps_b[3], ys_a[40], ys_b[40];
    play_fixed(99, gaps_a, ys_a);
    play_fixed(99, gaps_b, ys_b);
    ck_assert_mem_eq(gaps_a, gaps_b, sizeof gaps_a);
    ck_assert_mem_eq(ys_a, ys_b, sizeof ys_a);
    /* Different seeds: some of 10 seeds' gap triples differ from seed 99's
     * (8^3 = 512 triples, so all equal by chance is out of the question). */
    int differing = 0;
    for (unsigned long seed = 1; seed <= 10; seed++) {
        play_fixed(seed, gaps_b, ys_b);
        differing += memcmp(gaps_a, gaps_b, sizeof gaps_a) != 0;
        for (int i = 0; i < 3; i++) {
            ck_assert_int_ge(gaps_b[i], 100);
            ck_assert_int_le(gaps_b[i], 170);
            ck_assert_int_eq(gaps_b[i] % 10, 0);
        }
    }
    ck_assert_int_ge(differing, 8);
}
END_TEST

/* One frame of `scheme` from a prepared state; returns the reward. */
static double reward_of(enum ilrl_reward_scheme scheme, struct ilrl_flappy_state state, int action)
{
    struct ilrl_flappy *game = ilrl_flappy_alloc(scheme);
    double reward = 99;
    ck_assert_ptr_nonnull(game);
    ilrl_flappy_reset(game, 1);
    game->state = state;
    ilrl_flappy_step(game, action, &reward);
    ilrl_flappy_free(game);
    return reward;
}

START_TEST(test_rewards)
{
    struct ilrl_flappy_state alive = quiet_state(200, -1);
    struct ilrl_flappy_state passing = quiet_state(200, -1);
    passing.pipe_x[0] = 48; /* centre 74: scores this frame; the bird is in its gap */
    struct ilrl_flappy_state high = quiet_state(-10, -1);
    struct ilrl_flappy_state high_passing = high;
    high_passing.pipe_x[0] = 48;
    high_passing.pipe_gap_top[0] = -30; /* gap [-30, 70): the bird at -10 is inside */
    struct ilrl_flappy_state crashing = quiet_state(378, 1);
    struct ilrl_flappy_state crash_on_pipe = passing;
    crash_on_pipe.bird_y = 100; /* in the upper pipe while its centre passes */

    ck_assert(reward_of(ILRL_REWARD_SPARSE, alive, 0) == 0.0);
    ck_assert(reward_of(ILRL_REWARD_SPARSE, passing, 0) == 1.0);
    ck_assert(reward_of(ILRL_REWARD_SPARSE, high, 0) == 0.0);
    ck_assert(reward_of(ILRL_REWARD_SPARSE, crashing, 0) == -1.0);
    ck_assert(reward_of(ILRL_REWARD_SPARSE, crash_on_pipe, 0) == -1.0);

    ck_assert(reward_of(ILRL_REWARD_SHAPED, alive, 0) == 0.1);
    ck_assert(reward_of(ILRL_REWARD_SHAPED, passing, 0) == 1.0);
    ck_assert(reward_of(ILRL_REWARD_SHAPED, high, 0) == -0.5);
    ck_assert(reward_of(ILRL_REWARD_SHAPED, high_passing, 0) == -0.5);
    ck_assert(reward_of(ILRL_REWARD_SHAPED, crashing, 0) == -1.0);
    ck_assert(reward_of(ILRL_REWARD_SHAPED, crash_on_pipe, 0) == -1.0);
    /* y = 0 is not above the screen. */
    ck_assert(reward_of(ILRL_REWARD_SHAPED, quiet_state(0, -1), 0) == 0.1);
}
END_TEST

START_TEST(test_crashed_game_is_frozen)
{
    struct ilrl_flappy *game = new_game(ILRL_REWARD_SHAPED, 3);
    game->state = quiet_state(378, 1);
    ck_assert_int_eq(ilrl_flappy_step(game, 0, NULL), 1);
    struct ilrl_flappy_state frozen = game->state;
    double reward = 99;
    ck_assert_int_eq(ilrl_flappy_step(game, 1, &reward), 1);
    ck_assert(reward == 0.0);
    ck_assert_mem_eq(&frozen, &game->state, sizeof frozen);
    int passed = 7;
    ck_assert_int_eq(ilrl_flappy_state_step(&frozen, 1, &passed), 1);
    ck_assert_int_eq(passed, 0);
    ilrl_flappy_free(game);
}
END_TEST

START_TEST(test_unknown_action_is_idle)
{
    struct ilrl_flappy_state a = quiet_state(200, 2), b = a;
    ilrl_flappy_state_step(&a, 7, NULL);
    ilrl_flappy_state_step(&b, ILRL_FLAPPY_IDLE, NULL);
    ck_assert_mem_eq(&a, &b, sizeof a);
    a = quiet_state(200, 2);
    ilrl_flappy_state_step(&a, -1, NULL);
    ck_assert_mem_eq(&a, &b, sizeof a);
}
END_TEST

START_TEST(test_observation_at_reset)
{
    double obs[ILRL_FLAPPY_N_FEATURES];
    struct ilrl_flappy *game = new_game(ILRL_REWARD_SPARSE, 5);
    int gap = game->state.pipe_gap_top[0];
    ilrl_flappy_observe(&game->state, obs);
    /* Pipe 0 at x = 288 is on screen; 432 and 576 are beyond it. */
    ck_assert_double_eq(obs[0], 1.0);
    ck_assert_double_eq_tol(obs[1], gap / 512.0, 1e-15);
    ck_assert_double_eq_tol(obs[2], (gap + 100) / 512.0, 1e-15);
    for (int i = 1; i < 3; i++) {
        ck_assert_double_eq(obs[3 * i], 1.0);
        ck_assert_double_eq(obs[3 * i + 1], 0.0);
        ck_assert_double_eq(obs[3 * i + 2], 1.0);
    }
    ck_assert_double_eq_tol(obs[9], 244 / 512.0, 1e-15);
    ck_assert_double_eq_tol(obs[10], -0.9, 1e-15);
    ck_assert_double_eq_tol(obs[11], 0.5, 1e-15);
    ilrl_flappy_free(game);
}
END_TEST

START_TEST(test_observation_sorted_by_x)
{
    double obs[ILRL_FLAPPY_N_FEATURES];
    struct ilrl_flappy_state state = quiet_state(-64, 10);
    state.rotation = -90;
    state.pipe_x[0] = 397; state.pipe_gap_top[0] = 170; /* off screen */
    state.pipe_x[1] = -20; state.pipe_gap_top[1] = 100;
    state.pipe_x[2] = 124; state.pipe_gap_top[2] = 130;
    ilrl_flappy_observe(&state, obs);
    const double expected[ILRL_FLAPPY_N_FEATURES] = {
        -20 / 288.0, 100 / 512.0, 200 / 512.0, 124 / 288.0, 130 / 512.0, 230 / 512.0,
        1.0, 0.0, 1.0, -0.125, 1.0, -1.0};
    for (int k = 0; k < ILRL_FLAPPY_N_FEATURES; k++)
        ck_assert_double_eq_tol(obs[k], expected[k], 1e-15);
}
END_TEST

START_TEST(test_names_and_schemes)
{
    enum ilrl_reward_scheme scheme = ILRL_REWARD_SHAPED;
    int commas = 0;
    for (const char *c = ilrl_flappy_feature_names; *c; c++)
        commas += *c == ',';
    ck_assert_int_eq(commas, ILRL_FLAPPY_N_FEATURES - 1);
    ck_assert_str_eq(ilrl_flappy_action_names, "idle,flap");
    ck_assert_int_eq(ilrl_reward_scheme_parse("sparse", &scheme), ILRL_OK);
    ck_assert_int_eq(scheme, ILRL_REWARD_SPARSE);
    ck_assert_int_eq(ilrl_reward_scheme_parse("shaped", &scheme), ILRL_OK);
    ck_assert_int_eq(scheme, ILRL_REWARD_SHAPED);
    ck_assert_int_eq(ilrl_reward_scheme_parse("dense", &scheme), ILRL_EUSAGE);
    ck_assert_ptr_nonnull(strstr(ilrl_error_message(), "dense"));
    ck_assert_int_eq(ilrl_reward_scheme_parse(NULL, &scheme), ILRL_EUSAGE);
    ck_assert_str_eq(ilrl_reward_scheme_name(ILRL_REWARD_SPARSE), "sparse");
    ck_assert_str_eq(ilrl_reward_scheme_name(ILRL_REWARD_SHAPED), "shaped");
}
END_TEST

Suite *flappy_suite(void)
{
    Suite *suite = suite_create("flappy");
    TCase *physics = tcase_create("physics");
    tcase_add_test(physics, test_reset_state);
    tcase_add_test(physics, test_free_fall_from_reset);
    tcase_add_test(physics, test_rotation_floor_and_flap);
    tcase_add_test(physics, test_flap_refused_at_ceiling);
    tcase_add_test(physics, test_no_ceiling_death);
    tcase_add_test(physics, test_ground);
    tcase_add_test(physics, test_collision_half_open_boxes);
    tcase_add_test(physics, test_scoring_once_per_pipe);
    tcase_add_test(physics, test_crashed_game_is_frozen);
    tcase_add_test(physics, test_unknown_action_is_idle);
    suite_add_tcase(suite, physics);
    TCase *randomness = tcase_create("randomness");
    tcase_add_test(randomness, test_reset_and_respawn_draw_order);
    tcase_add_test(randomness, test_determinism);
    suite_add_tcase(suite, randomness);
    TCase *interface = tcase_create("interface");
    tcase_add_test(interface, test_rewards);
    tcase_add_test(interface, test_observation_at_reset);
    tcase_add_test(interface, test_observation_sorted_by_x);
    tcase_add_test(interface, test_names_and_schemes);
    suite_add_tcase(suite, interface);
    return suite;
}
