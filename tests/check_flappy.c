/* check_flappy.c -- the simulator against hand-computed trajectories, edges
 * of the collision boxes, scoring, random draws, rewards and observations;
 * pipe positions in tenths of a pixel against upstream's floats (flappy.h,
 * "Pipe positions"). */
#include "config.h"

#include <math.h>
#include <string.h>

#include <check.h>
#include <gsl/gsl_rng.h>

#include "ilrl/error.h"
#include "ilrl/flappy.h"

/* Places pipe i of a hand-built state at x10 tenths of a pixel. */
static void place_pipe(struct ilrl_flappy_state *state, int i, int x10)
{
    state->pipe_x10[i] = x10;
    state->pipe_x[i] = x10 / 10;
}

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
        place_pipe(&state, i, 10 * (1000 + 200 * i));
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
    ck_assert_int_eq(game->state.pipe_x10[0], 2880);
    ck_assert_int_eq(game->state.pipe_x10[1], 4320);
    ck_assert_int_eq(game->state.pipe_x10[2], 5760);
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
        ck_assert_int_eq(game->state.pipe_x10[0], 2880 - 40 * frame);
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
 * x10_before to x10_before - 40 tenths with gap top 150.  Returns the crash
 * flag. */
static int crash_with_pipe_x10(int y, int x10_before)
{
    struct ilrl_flappy_state state = quiet_state(y, -1);
    place_pipe(&state, 0, x10_before);
    state.pipe_gap_top[0] = 150;
    int crashed = ilrl_flappy_state_step(&state, ILRL_FLAPPY_IDLE, NULL);
    ck_assert_int_eq(state.bird_y, y);
    ck_assert_int_eq(state.pipe_x10[0], x10_before - 40);
    ck_assert_int_eq(state.pipe_x[0], (x10_before - 40) / 10);
    return crashed;
}

/* The same with whole pixels. */
static int crash_with_pipe(int y, int x_before)
{
    return crash_with_pipe_x10(y, 10 * x_before);
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

/* A respawned pipe sits at 397.6 - 4k: pygame's Rect truncates its x toward
 * zero, so the box starts at the whole pixel below (x > 0).  x = 91.6 -> 91
 * touches the bird's right edge 91; 90.6 -> 90 overlaps.  x = 5.6 -> 5: the
 * right edge 57 touches the bird's left edge although the float pipe
 * reaches 57.6 (rounding to 6 would crash); 6.6 -> 6 overlaps. */
START_TEST(test_collision_fractional_x_truncates)
{
    ck_assert_int_eq(crash_with_pipe_x10(100, 956), 0); /* to 91.6 */
    ck_assert_int_eq(crash_with_pipe_x10(100, 946), 1); /* to 90.6 */
    ck_assert_int_eq(crash_with_pipe_x10(100, 96), 0);  /* to 5.6 */
    ck_assert_int_eq(crash_with_pipe_x10(100, 106), 1); /* to 6.6 */
    /* In the gap at the same x: no crash. */
    ck_assert_int_eq(crash_with_pipe_x10(200, 946), 0);
    ck_assert_int_eq(crash_with_pipe_x10(200, 106), 0);
    /* Left of zero the view truncates toward zero too: -2.4 reads -2. */
    struct ilrl_flappy_state state = quiet_state(200, -1);
    place_pipe(&state, 0, 16);
    ilrl_flappy_state_step(&state, ILRL_FLAPPY_IDLE, NULL);
    ck_assert_int_eq(state.pipe_x10[0], -24);
    ck_assert_int_eq(state.pipe_x[0], -2);
}
END_TEST

/* Holds a bare state in every gap by a threshold rule that works only
 * because all gaps are equal (150): y stays within [155, 209]. */
START_TEST(test_scoring_once_per_pipe)
{
    static const long scoring_frames[] = {61, 97, 133, 175, 211, 247, 288};
    struct ilrl_flappy_state state = quiet_state(244, -9);
    size_t next = 0;
    place_pipe(&state, 0, 2880);
    place_pipe(&state, 1, 4320);
    place_pipe(&state, 2, 5760);
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
    /* Respawns happened at x = 397.6 and kept gap 150 without a generator. */
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
        if (state->pipe_x10[i] > 90
            && (best < 0 || state->pipe_x10[i] < state->pipe_x10[best]))
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
        memcpy(before, game->state.pipe_x10, sizeof before);
        ck_assert_int_eq(ilrl_flappy_step(game, ILRL_FLAPPY_IDLE, NULL), 0);
        for (int i = 0; i < ILRL_FLAPPY_N_PIPES; i++) {
            ck_assert_int_eq(game->state.pipe_x[i], game->state.pipe_x10[i] / 10);
            if (game->state.pipe_x10[i] == before[i] - 40)
                continue;
            ck_assert_int_eq(game->state.pipe_x10[i], 3976);
            ck_assert_int_eq(game->state.pipe_x[i], 397);
            ck_assert_int_lt(before[i] - 40, -520);
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
    place_pipe(&passing, 0, 480); /* centre 74: scores this frame; the bird is in its gap */
    struct ilrl_flappy_state high = quiet_state(-10, -1);
    struct ilrl_flappy_state high_passing = high;
    place_pipe(&high_passing, 0, 480);
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
    place_pipe(&state, 0, 3976); state.pipe_gap_top[0] = 170; /* off screen */
    place_pipe(&state, 1, -200); state.pipe_gap_top[1] = 100;
    place_pipe(&state, 2, 1240); state.pipe_gap_top[2] = 130;
    ilrl_flappy_observe(&state, obs);
    const double expected[ILRL_FLAPPY_N_FEATURES] = {
        -20 / 288.0, 100 / 512.0, 200 / 512.0, 124 / 288.0, 130 / 512.0, 230 / 512.0,
        1.0, 0.0, 1.0, -0.125, 1.0, -1.0};
    for (int k = 0; k < ILRL_FLAPPY_N_FEATURES; k++)
        ck_assert_double_eq_tol(obs[k], expected[k], 1e-15);
}
END_TEST

/* Upstream's x of a respawned pipe after k frames, as upstream computes it:
 * x = 288 + 52 + 288 * 0.2 in _get_random_pipe(), then x += -4 per step(). */
static double upstream_respawned_x(int k)
{
    volatile double x = 288 + 52 + (288 * 0.2);
    for (int frame = 0; frame < k; frame++)
        x += -4;
    return x;
}

START_TEST(test_pipe_x_is_upstreams_double)
{
    /* Whole pixels are exact; a respawned pipe is upstream's float; any
     * other tenths (hand-built states) the nearest double. */
    ck_assert(ilrl_flappy_pipe_x(2880) == 288.0);
    ck_assert(ilrl_flappy_pipe_x(-560) == -56.0);
    for (int k = 0; k <= 113; k++) {
        double x = ilrl_flappy_pipe_x(3976 - 40 * k);
        double closed = 397.6 - 4.0 * k;
        ck_assert_msg(x == upstream_respawned_x(k), "k = %d: %a", k, x);
        ck_assert_msg(x == closed, "k = %d: %a vs closed form %a", k, x, closed);
    }
    ck_assert(ilrl_flappy_pipe_x(3976) == 397.6);
    /* 1.6 here is fl(397.6) - 396, not the double nearest 1.6. */
    ck_assert(ilrl_flappy_pipe_x(16) == 397.6 - 396.0);
    ck_assert(ilrl_flappy_pipe_x(16) != 1.6);
    ck_assert(ilrl_flappy_pipe_x(1234) == 123.4);
    ck_assert(ilrl_flappy_pipe_x(-1235) == -123.5);
    ck_assert(ilrl_flappy_pipe_x(1237) == 123.7);
}
END_TEST

/* Where a pipe's x feature is: the index in obs of the reading whose x
 * feature equals `want` (there is exactly one), or -1. */
static int feature_of(const double obs[ILRL_FLAPPY_N_FEATURES], double want)
{
    int found = -1;
    for (int p = 0; p < ILRL_FLAPPY_N_PIPES; p++)
        if (obs[3 * p] == want) {
            ck_assert_int_eq(found, -1);
            found = 3 * p;
        }
    return found;
}

/* A game steered through its gaps (as in the draw-order test) from reset to
 * frame 400: pipe 0 leaves at frame 86 (288 - 4 * 86 = -56 < -52) and
 * respawns at 397.6; k frames later it is at 397.6 - 4k exactly, i.e. 3976
 * - 40k tenths, its pixel view 397 - 4k while x > 0; it stays off screen
 * (reads 288, 0, 512) while 397.6 - 4k > 288, i.e. k <= 27, then reads
 * ((397.6 - 4k) / 288, gap / 512, (gap + 100) / 512), each divided once in
 * double as upstream's _get_observation_features() does.  It scores at the
 * step from k = 88 (45.6 + 26 = 71.6 <= 74 < 75.6), and respawns again at
 * k = 113 (397.6 - 452 = -54.4 < -52). */
START_TEST(test_respawn_trajectory)
{
    struct ilrl_flappy *game = new_game(ILRL_REWARD_SPARSE, 2024);
    double obs[ILRL_FLAPPY_N_FEATURES];
    int respawn_frame = -1, seen_on_screen = 0;
    for (int frame = 1; frame <= 400; frame++) {
        int ahead = pipe_ahead(&game->state);
        game->state.bird_y = game->state.pipe_gap_top[ahead] + 38;
        game->state.bird_vy = -1;
        int score_before = game->state.score;
        ck_assert_int_eq(ilrl_flappy_step(game, ILRL_FLAPPY_IDLE, NULL), 0);
        if (frame < 86) {
            ck_assert_int_eq(game->state.pipe_x10[0], 2880 - 40 * frame);
            continue;
        }
        if (frame == 86)
            respawn_frame = frame;
        int k = frame - respawn_frame;
        if (k == 113)
            break;
        int gap = game->state.pipe_gap_top[0];
        ck_assert_int_eq(game->state.pipe_x10[0], 3976 - 40 * k);
        if (3976 - 40 * k > 0)
            ck_assert_int_eq(game->state.pipe_x[0], 397 - 4 * k);
        double x = 397.6 - 4.0 * k;
        ck_assert(ilrl_flappy_pipe_x(game->state.pipe_x10[0]) == x);
        ilrl_flappy_observe(&game->state, obs);
        if (k <= 27) {
            ck_assert_int_eq(feature_of(obs, x / 288), -1);
            continue;
        }
        seen_on_screen++;
        int f = feature_of(obs, x / 288);
        ck_assert_msg(f >= 0, "k = %d: no feature equals %a", k, x / 288);
        ck_assert(obs[f] == (397.6 - 4.0 * k) / 288);
        ck_assert(obs[f + 1] == gap / 512.0);
        ck_assert(obs[f + 2] == (gap + 100) / 512.0);
        /* Pipe 0 scores in the step from k = 88 to 89. */
        if (k == 89)
            ck_assert_int_eq(game->state.score, score_before + 1);
    }
    ck_assert_int_eq(respawn_frame, 86);
    ck_assert_int_eq(seen_on_screen, 113 - 28);
    /* Pipe 0 respawned again in the frame where k would have been 113. */
    ck_assert_int_eq(game->state.pipe_x10[0], 3976);
    ilrl_flappy_free(game);
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
    tcase_add_test(physics, test_collision_fractional_x_truncates);
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
    tcase_add_test(interface, test_pipe_x_is_upstreams_double);
    tcase_add_test(interface, test_respawn_trajectory);
    tcase_add_test(interface, test_names_and_schemes);
    suite_add_tcase(suite, interface);
    return suite;
}
