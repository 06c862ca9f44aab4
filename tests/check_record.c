/* check_record.c -- recording a session (record.h): the demonstration's
 * layout and metadata, the episode seeds (seed.h, pinned), the pilot hooks a
 * recording calls, the per-episode callback, refused options, the human
 * pilot's terminal, and rendering. */
#include "config.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "ilrl/demo.h"
#include "ilrl/error.h"
#include "ilrl/pilot.h"
#include "ilrl/record.h"
#include "ilrl/flappy.h"
#include "ilrl/rollout.h"
#include "ilrl/seed.h"
#include "record_util.h"

START_TEST(test_record_metadata)
{
    struct ilrl_record_options options = test_record_options(2, 100, 42);
    options.scheme = ILRL_REWARD_SHAPED;
    struct ilrl_demo *demo = test_record("strong", &options);
    ck_assert_str_eq(demo->env, "flappy-bird");
    ck_assert_str_eq(demo->pilot, "strong");
    ck_assert_str_eq(demo->reward_scheme, "shaped");
    ck_assert_str_eq(demo->action_names, "idle,flap");
    ck_assert_str_eq(demo->feature_names, ilrl_flappy_feature_names);
    ck_assert_int_eq(demo->seed, 42);
    ck_assert_int_eq(demo->n_actions, 2);
    ck_assert_uint_eq(demo->n_features, 12);
    /* Two truncated episodes of 100 steps; pipes 0 and 1 are passed at
     * frames 61 and 97 (steps 60 and 96). */
    ck_assert_uint_eq(demo->n_steps, 200);
    for (size_t e = 0; e < 2; e++) {
        ck_assert_int_eq(demo->episode_start[e], (int64_t)(100 * e));
        ck_assert_int_eq(demo->episode_length[e], 100);
        ck_assert_int_eq(demo->terminated[e], 0);
        ck_assert_int_eq(demo->score[e], 2);
        ck_assert(demo->reward[100 * e + 60] == 1.0);
        ck_assert(demo->reward[100 * e + 96] == 1.0);
        ck_assert(demo->reward[100 * e + 59] == 0.1);
    }
    /* Step 0 observes the reset state; episode 1 has its own pipes. */
    ck_assert_double_eq_tol(demo->obs[9], 244 / 512.0, 1e-15);
    ck_assert_double_eq_tol(demo->obs[100 * 12 + 9], 244 / 512.0, 1e-15);
    struct ilrl_flappy *game = ilrl_flappy_alloc(ILRL_REWARD_SHAPED);
    for (size_t e = 0; e < 2; e++) {
        ilrl_flappy_reset(game, ilrl_episode_seed(42, e));
        ck_assert_double_eq_tol(demo->obs[100 * e * 12 + 1],
                                game->state.pipe_gap_top[0] / 512.0, 1e-15);
    }
    ilrl_flappy_free(game);
    ilrl_demo_free(demo);
}
END_TEST
/* final_obs[e] is the observation after the episode's last action: replaying
 * the episode's actions in the game from its seed and observing gives it
 * exactly, for a truncated and a terminated episode alike. */
START_TEST(test_record_final_obs)
{
    const char *specs[2] = {"poor", "strong"};
    int saw_terminated = 0, saw_truncated = 0;
    struct ilrl_flappy *game = ilrl_flappy_alloc(ILRL_REWARD_SPARSE);
    for (int k = 0; k < 2; k++) {
        struct ilrl_record_options options = test_record_options(2, k == 0 ? 150 : 80, 7);
        struct ilrl_demo *demo = test_record(specs[k], &options);
        ck_assert_ptr_nonnull(demo->final_obs);
        for (size_t e = 0; e < demo->n_episodes; e++) {
            double reward, obs[12];
            size_t begin = (size_t)demo->episode_start[e];
            size_t last = begin + (size_t)demo->episode_length[e] - 1;
            ilrl_flappy_reset(game, ilrl_episode_seed(7, e));
            for (size_t t = begin; t <= last; t++)
                ilrl_flappy_step(game, demo->action[t], &reward);
            ilrl_flappy_observe(&game->state, obs);
            for (size_t f = 0; f < 12; f++)
                ck_assert_double_eq(demo->final_obs[e * 12 + f], obs[f]);
            /* not the last step's own observation */
            ck_assert(memcmp(obs, demo->obs + last * 12, sizeof obs) != 0);
            saw_terminated |= demo->terminated[e];
            saw_truncated |= !demo->terminated[e];
        }
        ilrl_demo_free(demo);
    }
    ck_assert(saw_terminated && saw_truncated);
    ilrl_flappy_free(game);
}
END_TEST

static void count_episode(void *ctx, size_t e, long length, int score, int terminated)
{
    int *calls = ctx;
    ck_assert_uint_eq(e, (size_t)*calls);
    ck_assert_int_eq(length, 50);
    ck_assert_int_eq(score, 0);
    ck_assert_int_eq(terminated, 1);
    (*calls)++;
}

START_TEST(test_on_episode_callback)
{
    int calls = 0;
    struct ilrl_record_options options = test_record_options(3, 3000, 1);
    options.on_episode = count_episode;
    options.on_episode_ctx = &calls;
    struct ilrl_demo *demo = test_record("poor", &options);
    ck_assert_int_eq(calls, 3);
    ilrl_demo_free(demo);
}
END_TEST
START_TEST(test_episode_seed_formula)
{
    /* Pinned: recorded demonstrations depend on these values. */
    ck_assert_uint_eq(ilrl_episode_seed(1, 0), 2298633409UL);
    ck_assert_uint_eq(ilrl_episode_seed(1, 1), 1703865447UL);
    ck_assert_uint_eq(ilrl_episode_seed(0, 0), 2065550767UL);
    ck_assert_uint_eq(ilrl_episode_seed(2, 0), 479680206UL);
}
END_TEST

START_TEST(test_one_splitmix64)
{
    /* splitmix64's first output for state 0 (Vigna's reference generator:
     * state += PHI, then the finaliser) is 0xE220A8397B1DCDAF. */
    ck_assert_uint_eq(ilrl_splitmix64(ILRL_SEED_PHI), UINT64_C(0xE220A8397B1DCDAF));
    ck_assert_uint_eq(ilrl_seed_derive(0, 0), UINT64_C(0xE220A8397B1DCDAF));
    ck_assert_uint_eq(ilrl_seed_low32(UINT64_C(0x123456789ABCDEF0)), 0x9ABCDEF0UL);
    /* Both derivations rest on it: the episode seed is one step, the
     * rollout seed three (values pinned in check_rollout.c too). */
    for (unsigned long s = 0; s < 4; s++)
        for (size_t e = 0; e < 4; e++) {
            ck_assert_uint_eq(ilrl_episode_seed(s, e),
                              ilrl_seed_low32(ilrl_seed_derive(s, e)));
            uint64_t z = ilrl_seed_derive(ilrl_seed_derive(ilrl_seed_derive(s, 0), 5), e);
            ck_assert_uint_eq(ilrl_rollout_seed(s, 5, e), ilrl_seed_low32(z));
        }
}
END_TEST

/* A custom pilot that records the hooks' calls: pipes from seed 1000 + e. */
struct hooks {
    int acts;
    unsigned long started[4];
    int n_started;
};

static int hooks_act(void *self, const struct ilrl_env *env)
{
    struct hooks *h = self;
    h->acts++;
    return ((const struct ilrl_flappy *)env->game)->state.bird_y > 50;  /* poor's rule */
}

static unsigned long hooks_seed(const void *self, unsigned long seed, size_t e)
{
    (void)self;
    return seed + 1000 + e;
}

static void hooks_start(void *self, unsigned long pipe_seed)
{
    struct hooks *h = self;
    if (h->n_started < 4)
        h->started[h->n_started] = pipe_seed;
    h->n_started++;
}

static const struct ilrl_pilot_ops hooks_ops = {
    .act = hooks_act, .episode_seed = hooks_seed, .episode_start = hooks_start};

START_TEST(test_record_uses_pilot_seeds)
{
    struct hooks state;
    memset(&state, 0, sizeof state);
    struct ilrl_pilot *pilot = NULL;
    struct ilrl_demo *demo = NULL;
    ck_assert_int_eq(ilrl_pilot_custom("hooks", &hooks_ops, &state, &pilot), ILRL_OK);
    struct ilrl_record_options options = test_record_options(3, 30, 5);
    ck_assert_int_eq(ilrl_record_session(pilot, &options, &demo), ILRL_OK);
    ck_assert_int_eq(state.n_started, 3);
    ck_assert_int_eq(state.acts, 90);
    struct ilrl_flappy *game = ilrl_flappy_alloc(ILRL_REWARD_SPARSE);
    for (size_t e = 0; e < 3; e++) {
        ck_assert_uint_eq(state.started[e], 5 + 1000 + e);
        /* Step 0 of episode e observes the pipes of seed 1005 + e. */
        ilrl_flappy_reset(game, 1005 + e);
        double obs[ILRL_FLAPPY_N_FEATURES];
        ilrl_flappy_observe(&game->state, obs);
        ck_assert_mem_eq(&demo->obs[30 * e * 12], obs, sizeof obs);
    }
    ck_assert_str_eq(demo->pilot, "hooks");
    ilrl_flappy_free(game);
    ilrl_demo_free(demo);
    ilrl_pilot_free(pilot);
}
END_TEST

static int record_status(const char *spec, const struct ilrl_record_options *options)
{
    struct ilrl_pilot *pilot = NULL;
    struct ilrl_demo *demo = (struct ilrl_demo *)1;
    ck_assert_int_eq(ilrl_pilot_parse(spec, 1, &pilot), ILRL_OK);
    int status = ilrl_record_session(pilot, options, &demo);
    ck_assert_ptr_null(demo);
    ilrl_pilot_free(pilot);
    return status;
}

START_TEST(test_record_refuses_bad_options)
{
    struct ilrl_record_options options = test_record_options(0, 100, 1);
    ck_assert_int_eq(record_status("poor", &options), ILRL_EUSAGE);
    ck_assert_ptr_nonnull(strstr(ilrl_error_message(), "episode"));
    options = test_record_options(1, 0, 1);
    ck_assert_int_eq(record_status("poor", &options), ILRL_EUSAGE);
    ck_assert_ptr_nonnull(strstr(ilrl_error_message(), "max steps"));
    options = test_record_options(1, 10, 1);
    options.render = 1;
    options.fps = 0;
    ck_assert_int_eq(record_status("poor", &options), ILRL_EUSAGE);
    ck_assert_ptr_nonnull(strstr(ilrl_error_message(), "frame rate"));
}
END_TEST
START_TEST(test_human_needs_a_terminal)
{
    /* Standard input from /dev/null: the human pilot must refuse, not hang. */
    int saved = dup(STDIN_FILENO);
    int null_fd = open("/dev/null", O_RDONLY);
    ck_assert_int_ge(saved, 0);
    ck_assert_int_ge(null_fd, 0);
    dup2(null_fd, STDIN_FILENO);
    FILE *screen = tmpfile();
    struct ilrl_record_options options = test_record_options(1, 10, 1);
    options.render_to = screen;
    int status = record_status("human", &options);
    dup2(saved, STDIN_FILENO);
    close(saved);
    close(null_fd);
    fclose(screen);
    ck_assert_int_eq(status, ILRL_EUSAGE);
    ck_assert_ptr_nonnull(strstr(ilrl_error_message(), "terminal"));
}
END_TEST
START_TEST(test_render_draws_frames)
{
    char text[4096];
    FILE *screen = tmpfile();
    ck_assert_ptr_nonnull(screen);
    struct ilrl_record_options options = test_record_options(1, 3000, 1);
    options.render = 1;
    options.render_to = screen;
    options.fps = 1000;
    struct ilrl_demo *demo = test_record("poor", &options);
    ck_assert_int_eq(demo->episode_length[0], 50);
    long size = ftell(screen);
    rewind(screen);
    size_t n = fread(text, 1, sizeof text - 1, screen);
    text[n] = '\0';
    fclose(screen);
    /* 51 frames (reset + 50 steps) of 23 lines; the cursor comes back. */
    ck_assert_int_gt(size, 51 * 21 * 36);
    ck_assert_ptr_nonnull(strstr(text, "\033[?25l"));
    ck_assert_ptr_nonnull(strstr(text, "score 0"));
    ck_assert_ptr_nonnull(strstr(text, "@"));
    ilrl_demo_free(demo);
}
END_TEST

Suite *record_suite(void)
{
    Suite *suite = suite_create("record");
    TCase *recording = tcase_create("recording");
    tcase_set_timeout(recording, 60);
    tcase_add_test(recording, test_record_metadata);
    tcase_add_test(recording, test_record_final_obs);
    tcase_add_test(recording, test_on_episode_callback);
    tcase_add_test(recording, test_episode_seed_formula);
    tcase_add_test(recording, test_one_splitmix64);
    tcase_add_test(recording, test_record_uses_pilot_seeds);
    tcase_add_test(recording, test_record_refuses_bad_options);
    tcase_add_test(recording, test_human_needs_a_terminal);
    tcase_add_test(recording, test_render_draws_frames);
    suite_add_tcase(suite, recording);
    return suite;
}
