/* check_pilot.c -- the pilots' promised behaviour (poor crashes at the first
 * pipe, strong passes >= 50 pipes an episode, noisy:0 is strong, keys replay
 * a session exactly), the --pilot spec syntax, and pilots of other modules
 * (ilrl_pilot_custom).  Recording itself is check_record.c's. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "ilrl/demo.h"
#include "ilrl/env.h"
#include "ilrl/error.h"
#include "ilrl/flappy.h"
#include "ilrl/pilot.h"
#include "ilrl/record.h"
#include "ilrl/seed.h"
#include "record_util.h"

static double mean_score(const struct ilrl_demo *demo)
{
    double total = 0;
    for (size_t e = 0; e < demo->n_episodes; e++)
        total += demo->score[e];
    return total / (double)demo->n_episodes;
}

START_TEST(test_poor_crashes_into_first_pipe)
{
    struct ilrl_record_options options = test_record_options(4, 3000, 11);
    struct ilrl_demo *demo = test_record("poor", &options);
    ck_assert_uint_eq(demo->n_episodes, 4);
    for (size_t e = 0; e < demo->n_episodes; e++) {
        /* Pipe 0 (x = 288 - 4 t) first overlaps the bird's x range at frame
         * 50 (x = 88 < 91); the poor bird is then above every gap. */
        ck_assert_int_eq(demo->episode_length[e], 50);
        ck_assert_int_eq(demo->terminated[e], 1);
        ck_assert_int_eq(demo->score[e], 0);
        int64_t last = demo->episode_start[e] + demo->episode_length[e] - 1;
        ck_assert(demo->reward[last] == -1.0);
        /* Flying high: the bird's y (feature 9, y / 512) stays above 60. */
        for (int64_t t = demo->episode_start[e] + 30; t <= last; t++)
            ck_assert_double_lt(demo->obs[t * 12 + 9], 60 / 512.0);
    }
    ilrl_demo_free(demo);
}
END_TEST
START_TEST(test_strong_passes_fifty_pipes)
{
    struct ilrl_record_options options = test_record_options(5, 3000, 1);
    struct ilrl_demo *demo = test_record("strong", &options);
    double mean = mean_score(demo);
    fprintf(stderr, "strong: mean score %.1f over 5 episodes of 3000 steps (", mean);
    for (size_t e = 0; e < demo->n_episodes; e++)
        fprintf(stderr, "%s%d", e ? " " : "", demo->score[e]);
    fprintf(stderr, ")\n");
    ck_assert_msg(mean >= 50, "strong pilot: mean score %.1f < 50", mean);
    ilrl_demo_free(demo);
}
END_TEST
START_TEST(test_noisy_zero_is_strong)
{
    struct ilrl_record_options options = test_record_options(2, 1500, 4);
    struct ilrl_demo *strong = test_record("strong", &options);
    struct ilrl_demo *noisy = test_record("noisy:0", &options);
    ck_assert_uint_eq(strong->n_steps, noisy->n_steps);
    ck_assert_mem_eq(strong->action, noisy->action, strong->n_steps * sizeof(int));
    ck_assert_mem_eq(strong->obs, noisy->obs, strong->n_steps * 12 * sizeof(double));
    ck_assert_str_eq(noisy->pilot, "noisy:0");
    ilrl_demo_free(strong);
    ilrl_demo_free(noisy);
}
END_TEST
START_TEST(test_noisy_one_is_random_and_noise_hurts)
{
    struct ilrl_record_options options = test_record_options(3, 3000, 2);
    struct ilrl_demo *noisy = test_record("noisy:1", &options);
    /* Uniform random play dies long before the first pipe's respawn. */
    for (size_t e = 0; e < noisy->n_episodes; e++)
        ck_assert_int_eq(noisy->terminated[e], 1);
    ck_assert_double_lt(mean_score(noisy), 2);
    ilrl_demo_free(noisy);
}
END_TEST
START_TEST(test_random_plays)
{
    struct ilrl_record_options options = test_record_options(3, 3000, 9);
    struct ilrl_demo *demo = test_record("random", &options);
    int flaps = 0;
    for (size_t t = 0; t < demo->n_steps; t++)
        flaps += demo->action[t];
    ck_assert_int_gt(flaps, 0);
    ck_assert_int_lt(flaps, (int)demo->n_steps);
    for (size_t e = 0; e < demo->n_episodes; e++)
        ck_assert_int_eq(demo->terminated[e], 1);
    ck_assert_str_eq(demo->pilot, "random");
    ilrl_demo_free(demo);
}
END_TEST
/* The flap frames of `demo` (its step indices), as a keys file lists them. */
static long *flap_frames(const struct ilrl_demo *demo, size_t *n)
{
    long *frames = malloc((demo->n_steps + 1) * sizeof *frames);
    ck_assert_ptr_nonnull(frames);
    *n = 0;
    for (size_t t = 0; t < demo->n_steps; t++)
        if (demo->action[t] == 1)
            frames[(*n)++] = (long)t;
    return frames;
}

START_TEST(test_keys_replay_equals_session)
{
    struct ilrl_record_options options = test_record_options(3, 400, 6);
    struct ilrl_demo *played = test_record("noisy:0.05", &options);
    size_t n = 0;
    long *frames = flap_frames(played, &n);
    ck_assert_uint_gt(n, 10);
    struct ilrl_pilot *pilot = NULL;
    struct ilrl_demo *replayed = NULL;
    ck_assert_int_eq(ilrl_pilot_keys("keys:k.txt", frames, n, &pilot), ILRL_OK);
    free(frames);
    ck_assert_int_eq(ilrl_record_session(pilot, &options, &replayed), ILRL_OK);
    ilrl_pilot_free(pilot);
    ck_assert_uint_eq(played->n_steps, replayed->n_steps);
    ck_assert_uint_eq(played->n_episodes, replayed->n_episodes);
    ck_assert_mem_eq(played->action, replayed->action, played->n_steps * sizeof(int));
    ck_assert_mem_eq(played->obs, replayed->obs, played->n_steps * 12 * sizeof(double));
    ck_assert_mem_eq(played->reward, replayed->reward, played->n_steps * sizeof(double));
    ck_assert_mem_eq(played->episode_length, replayed->episode_length,
                     played->n_episodes * sizeof(int));
    ck_assert_str_eq(replayed->pilot, "keys:k.txt");
    ilrl_demo_free(played);
    ilrl_demo_free(replayed);
}
END_TEST

START_TEST(test_keys_order_and_end)
{
    /* Unsorted frames with a duplicate; after the last one the pilot idles. */
    static const long frames[] = {5, 2, 2};
    long copy[3];
    memcpy(copy, frames, sizeof copy);
    struct ilrl_pilot *pilot = NULL;
    struct ilrl_env *game = ilrl_env_alloc(&ilrl_flappy_env, ILRL_REWARD_SPARSE);
    ilrl_env_reset(game, 1);
    ck_assert_int_eq(ilrl_pilot_keys("keys:x", copy, 3, &pilot), ILRL_OK);
    /* The pilot copied the frames: changing ours changes nothing. */
    copy[0] = copy[1] = copy[2] = 0;
    for (int frame = 0; frame < 10; frame++)
        ck_assert_int_eq(ilrl_pilot_act(pilot, game), frame == 2 || frame == 5);
    ilrl_pilot_free(pilot);
    /* No frames at all: a pilot that never flaps. */
    ck_assert_int_eq(ilrl_pilot_keys("keys:empty", NULL, 0, &pilot), ILRL_OK);
    for (int frame = 0; frame < 5; frame++)
        ck_assert_int_eq(ilrl_pilot_act(pilot, game), 0);
    ilrl_pilot_free(pilot);
    static const long negative[] = {3, -1};
    pilot = (struct ilrl_pilot *)1;
    ck_assert_int_eq(ilrl_pilot_keys("keys:neg", negative, 2, &pilot), ILRL_EUSAGE);
    ck_assert_ptr_null(pilot);
    ck_assert_ptr_nonnull(strstr(ilrl_error_message(), "-1"));
    ilrl_env_free(game);
}
END_TEST

/* Expects `spec` to be refused with ILRL_EUSAGE and a message containing
 * `fragment`. */
static void expect_refused(const char *spec, const char *fragment)
{
    struct ilrl_pilot *pilot = (struct ilrl_pilot *)1;
    ilrl_error_clear();
    ck_assert_int_eq(ilrl_pilot_parse(spec, 1, &pilot), ILRL_EUSAGE);
    ck_assert_ptr_null(pilot);
    ck_assert_msg(strstr(ilrl_error_message(), fragment) != NULL,
                  "'%s': message '%s' lacks '%s'", spec ? spec : "(null)",
                  ilrl_error_message(), fragment);
}

START_TEST(test_bad_specs_refused)
{
    expect_refused(NULL, "no pilot");
    expect_refused("", "unknown pilot ''");
    expect_refused("expert", "unknown pilot 'expert'");
    expect_refused("Strong", "unknown pilot");
    expect_refused("noisy", "unknown pilot 'noisy'");
    expect_refused("noisy:", "EPS");
    expect_refused("noisy:1.5", "noisy:1.5");
    expect_refused("noisy:-0.1", "[0, 1]");
    expect_refused("noisy:abc", "noisy:abc");
    expect_refused("noisy:0.1x", "noisy:0.1x");
    expect_refused("noisy:nan", "noisy:nan");
    expect_refused("noisy:inf", "noisy:inf");
    expect_refused("keys:", "no keys file");
    expect_refused("network:x.nc:1", "expected network:LANDSCAPE.nc:I,J");
    expect_refused("network:x.nc:1,-1", "expected network:LANDSCAPE.nc:I,J");
    expect_refused("network:x.nc", "expected network:LANDSCAPE.nc:I,J");
    expect_refused("network:1,1", "expected network:LANDSCAPE.nc:I,J");
    expect_refused("network::1,1", "expected network:LANDSCAPE.nc:I,J");
    /* Well formed, but their data must be read by the program first. */
    expect_refused("keys:/nonexistent/keys.txt", "read by the program");
    expect_refused("network:x.nc:0,0", "read by the program");
}
END_TEST

START_TEST(test_spec_parts)
{
    struct ilrl_pilot_spec spec;
    ck_assert_int_eq(ilrl_pilot_spec_parse("network:/a:b/c.nc:12,3", &spec), ILRL_OK);
    ck_assert_int_eq(spec.kind, ILRL_PILOT_NETWORK);
    ck_assert_str_eq(spec.file, "/a:b/c.nc");
    ck_assert_uint_eq(spec.i, 12);
    ck_assert_uint_eq(spec.j, 3);
    ck_assert_str_eq(spec.name, "network:/a:b/c.nc:12,3");
    ilrl_pilot_spec_free(&spec);
    ck_assert_int_eq(ilrl_pilot_spec_parse("keys:dir/k:1.txt", &spec), ILRL_OK);
    ck_assert_int_eq(spec.kind, ILRL_PILOT_KEYS);
    ck_assert_str_eq(spec.file, "dir/k:1.txt");
    ilrl_pilot_spec_free(&spec);
    ck_assert_int_eq(ilrl_pilot_spec_parse("noisy:.5", &spec), ILRL_OK);
    ck_assert_int_eq(spec.kind, ILRL_PILOT_NOISY);
    ck_assert(spec.epsilon == 0.5);
    ck_assert_str_eq(spec.name, "noisy:0.5");
    ck_assert_ptr_null(spec.file);
    ilrl_pilot_spec_free(&spec);
    ilrl_pilot_spec_free(&spec);   /* twice is harmless */
    ck_assert_int_eq(ilrl_pilot_spec_parse("bogus", &spec), ILRL_EUSAGE);
    ck_assert_ptr_null(spec.name);
}
END_TEST

/* A custom pilot: flaps on even frames, counts what the pilot module calls. */
struct counting {
    int acts, starts, *freed;
    unsigned long last_seed;
};

static int counting_act(void *self, const struct ilrl_env *env)
{
    struct counting *c = self;
    (void)env;
    return c->acts++ % 2 == 0;
}

static unsigned long counting_seed(const void *self, unsigned long seed, size_t e)
{
    (void)self;
    return seed * 1000 + e;
}

static void counting_start(void *self, unsigned long pipe_seed)
{
    struct counting *c = self;
    c->starts++;
    c->last_seed = pipe_seed;
}

static void counting_free(void *self)
{
    struct counting *c = self;
    (*c->freed)++;
}

static const struct ilrl_pilot_ops counting_ops = {
    .act = counting_act, .episode_seed = counting_seed, .episode_start = counting_start,
    .free = counting_free};

START_TEST(test_custom_pilot)
{
    int freed = 0;
    struct counting state = {0, 0, &freed, 0};
    struct ilrl_pilot *pilot = NULL;
    struct ilrl_env *game = ilrl_env_alloc(&ilrl_flappy_env, ILRL_REWARD_SPARSE);
    ilrl_env_reset(game, 1);
    ck_assert_int_eq(ilrl_pilot_custom("mine", &counting_ops, &state, &pilot), ILRL_OK);
    ck_assert_str_eq(ilrl_pilot_name(pilot), "mine");
    ck_assert_ptr_eq(ilrl_pilot_custom_self(pilot, &counting_ops), &state);
    static const struct ilrl_pilot_ops other = {.act = counting_act};
    ck_assert_ptr_null(ilrl_pilot_custom_self(pilot, &other));
    ck_assert_int_eq(ilrl_pilot_act(pilot, game), 1);
    ck_assert_int_eq(ilrl_pilot_act(pilot, game), 0);
    ck_assert_int_eq(state.acts, 2);
    ck_assert_uint_eq(ilrl_pilot_episode_seed(pilot, 7, 3), 7003);
    ilrl_pilot_episode_start(pilot, 99);
    ck_assert_int_eq(state.starts, 1);
    ck_assert_uint_eq(state.last_seed, 99);
    ck_assert_int_eq(ilrl_pilot_is_human(pilot), 0);
    ilrl_pilot_free(pilot);
    ck_assert_int_eq(freed, 1);
    /* Built-in pilots: pipes from ilrl_episode_seed, no custom state. */
    ck_assert_int_eq(ilrl_pilot_parse("poor", 1, &pilot), ILRL_OK);
    ck_assert_uint_eq(ilrl_pilot_episode_seed(pilot, 1, 0), ilrl_episode_seed(1, 0));
    ck_assert_ptr_null(ilrl_pilot_custom_self(pilot, &counting_ops));
    ilrl_pilot_episode_start(pilot, 5);
    ilrl_pilot_free(pilot);
    ck_assert_int_eq(ilrl_pilot_parse("human", 1, &pilot), ILRL_OK);
    ck_assert_int_eq(ilrl_pilot_is_human(pilot), 1);
    ilrl_pilot_free(pilot);
    ilrl_env_free(game);
}
END_TEST

START_TEST(test_canonical_names)
{
    static const char *const specs[][2] = {
        {"poor", "poor"}, {"strong", "strong"}, {"random", "random"}, {"human", "human"},
        {"noisy:0.01", "noisy:0.01"}, {"noisy:1", "noisy:1"}, {"noisy:0.0", "noisy:0"},
        {"noisy:.25", "noisy:0.25"}, {"noisy:1e-3", "noisy:0.001"}};
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) {
        struct ilrl_pilot *pilot = NULL;
        ck_assert_int_eq(ilrl_pilot_parse(specs[i][0], 1, &pilot), ILRL_OK);
        ck_assert_str_eq(ilrl_pilot_name(pilot), specs[i][1]);
        ilrl_pilot_free(pilot);
    }
    ilrl_pilot_free(NULL);
}
END_TEST

Suite *pilot_suite(void)
{
    Suite *suite = suite_create("pilot");
    TCase *pilots = tcase_create("pilots");
    tcase_set_timeout(pilots, 120);
    tcase_add_test(pilots, test_poor_crashes_into_first_pipe);
    tcase_add_test(pilots, test_strong_passes_fifty_pipes);
    tcase_add_test(pilots, test_noisy_zero_is_strong);
    tcase_add_test(pilots, test_noisy_one_is_random_and_noise_hurts);
    tcase_add_test(pilots, test_random_plays);
    tcase_add_test(pilots, test_keys_replay_equals_session);
    tcase_add_test(pilots, test_keys_order_and_end);
    tcase_add_test(pilots, test_custom_pilot);
    suite_add_tcase(suite, pilots);
    TCase *parsing = tcase_create("parsing");
    tcase_add_test(parsing, test_bad_specs_refused);
    tcase_add_test(parsing, test_spec_parts);
    tcase_add_test(parsing, test_canonical_names);
    suite_add_tcase(suite, parsing);
    return suite;
}
