/* check_pilot.c -- the pilots' promised behaviour (poor crashes at the first
 * pipe, strong passes >= 50 pipes an episode, noisy:0 is strong, keys replay
 * a session exactly), spec parsing, and recording with its metadata. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>

#include <check.h>

#include "ilrl/demo.h"
#include "ilrl/error.h"
#include "ilrl/pilot.h"

static struct ilrl_record_options options_for(size_t n_episodes, long max_steps,
                                              unsigned long seed)
{
    struct ilrl_record_options options;
    memset(&options, 0, sizeof options);
    options.n_episodes = n_episodes;
    options.max_steps = max_steps;
    options.seed = seed;
    options.scheme = ILRL_REWARD_SPARSE;
    options.fps = 30;
    return options;
}

/* Plays `spec` (pilot seed `seed`) and returns the validated demonstration. */
static struct ilrl_demo *record(const char *spec, const struct ilrl_record_options *options)
{
    struct ilrl_pilot *pilot = NULL;
    struct ilrl_demo *demo = NULL;
    ck_assert_int_eq(ilrl_pilot_parse(spec, options->seed, &pilot), ILRL_OK);
    int status = ilrl_pilot_record(pilot, options, &demo);
    ck_assert_msg(status == ILRL_OK, "%s: %s", spec, ilrl_error_message());
    ck_assert_int_eq(ilrl_demo_validate(demo, "test"), ILRL_OK);
    ilrl_pilot_free(pilot);
    return demo;
}

static double mean_score(const struct ilrl_demo *demo)
{
    double total = 0;
    for (size_t e = 0; e < demo->n_episodes; e++)
        total += demo->score[e];
    return total / (double)demo->n_episodes;
}

START_TEST(test_poor_crashes_into_first_pipe)
{
    struct ilrl_record_options options = options_for(4, 3000, 11);
    struct ilrl_demo *demo = record("poor", &options);
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
    struct ilrl_record_options options = options_for(5, 3000, 1);
    struct ilrl_demo *demo = record("strong", &options);
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
    struct ilrl_record_options options = options_for(2, 1500, 4);
    struct ilrl_demo *strong = record("strong", &options);
    struct ilrl_demo *noisy = record("noisy:0", &options);
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
    struct ilrl_record_options options = options_for(3, 3000, 2);
    struct ilrl_demo *noisy = record("noisy:1", &options);
    /* Uniform random play dies long before the first pipe's respawn. */
    for (size_t e = 0; e < noisy->n_episodes; e++)
        ck_assert_int_eq(noisy->terminated[e], 1);
    ck_assert_double_lt(mean_score(noisy), 2);
    ilrl_demo_free(noisy);
}
END_TEST

START_TEST(test_random_plays)
{
    struct ilrl_record_options options = options_for(3, 3000, 9);
    struct ilrl_demo *demo = record("random", &options);
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

/* Writes the flap frames of `demo` (its step indices) to a keys file. */
static void write_keys(const char *path, const struct ilrl_demo *demo)
{
    FILE *file = fopen(path, "w");
    ck_assert_ptr_nonnull(file);
    fprintf(file, "# flap frames\n");
    for (size_t t = 0; t < demo->n_steps; t++)
        if (demo->action[t] == 1)
            fprintf(file, "%zu\n", t);
    ck_assert_int_eq(fclose(file), 0);
}

START_TEST(test_keys_replay_equals_session)
{
    char path[] = "/tmp/ilrl-keys-XXXXXX", spec[64];
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    struct ilrl_record_options options = options_for(3, 400, 6);
    struct ilrl_demo *played = record("noisy:0.05", &options);
    write_keys(path, played);
    snprintf(spec, sizeof spec, "keys:%s", path);
    struct ilrl_demo *replayed = record(spec, &options);
    ck_assert_uint_eq(played->n_steps, replayed->n_steps);
    ck_assert_uint_eq(played->n_episodes, replayed->n_episodes);
    ck_assert_mem_eq(played->action, replayed->action, played->n_steps * sizeof(int));
    ck_assert_mem_eq(played->obs, replayed->obs, played->n_steps * 12 * sizeof(double));
    ck_assert_mem_eq(played->reward, replayed->reward, played->n_steps * sizeof(double));
    ck_assert_mem_eq(played->episode_length, replayed->episode_length,
                     played->n_episodes * sizeof(int));
    ck_assert_str_eq(replayed->pilot, spec);
    unlink(path);
    ilrl_demo_free(played);
    ilrl_demo_free(replayed);
}
END_TEST

START_TEST(test_keys_file_order_and_end)
{
    /* Unsorted lines with blanks; after the last line the pilot idles. */
    char path[] = "/tmp/ilrl-keys-XXXXXX", spec[64];
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, "5\n\n  2 \n2\n", 10), 10);
    close(fd);
    snprintf(spec, sizeof spec, "keys:%s", path);
    struct ilrl_pilot *pilot = NULL;
    struct ilrl_flappy *game = ilrl_flappy_alloc(ILRL_REWARD_SPARSE);
    ilrl_flappy_reset(game, 1);
    ck_assert_int_eq(ilrl_pilot_parse(spec, 0, &pilot), ILRL_OK);
    for (int frame = 0; frame < 10; frame++)
        ck_assert_int_eq(ilrl_pilot_act(pilot, game), frame == 2 || frame == 5);
    ilrl_pilot_free(pilot);
    ilrl_flappy_free(game);
    unlink(path);
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
    expect_refused("keys:/nonexistent/keys.txt", "/nonexistent/keys.txt");
}
END_TEST

START_TEST(test_bad_keys_line_named)
{
    static const char *const bad[] = {"12\nabc\n", "12\n-3\n", "12\n4 5\n", "1\n2.5\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char path[] = "/tmp/ilrl-keys-XXXXXX", spec[64], where[64];
        int fd = mkstemp(path);
        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(write(fd, bad[i], strlen(bad[i])), (ssize_t)strlen(bad[i]));
        close(fd);
        snprintf(spec, sizeof spec, "keys:%s", path);
        snprintf(where, sizeof where, "%s:2:", path);
        expect_refused(spec, where);
        unlink(path);
    }
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

START_TEST(test_record_metadata)
{
    struct ilrl_record_options options = options_for(2, 100, 42);
    options.scheme = ILRL_REWARD_SHAPED;
    struct ilrl_demo *demo = record("strong", &options);
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
    struct ilrl_record_options options = options_for(3, 3000, 1);
    options.on_episode = count_episode;
    options.on_episode_ctx = &calls;
    struct ilrl_demo *demo = record("poor", &options);
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

static int record_status(const char *spec, const struct ilrl_record_options *options)
{
    struct ilrl_pilot *pilot = NULL;
    struct ilrl_demo *demo = (struct ilrl_demo *)1;
    ck_assert_int_eq(ilrl_pilot_parse(spec, 1, &pilot), ILRL_OK);
    int status = ilrl_pilot_record(pilot, options, &demo);
    ck_assert_ptr_null(demo);
    ilrl_pilot_free(pilot);
    return status;
}

START_TEST(test_record_refuses_bad_options)
{
    struct ilrl_record_options options = options_for(0, 100, 1);
    ck_assert_int_eq(record_status("poor", &options), ILRL_EUSAGE);
    ck_assert_ptr_nonnull(strstr(ilrl_error_message(), "episode"));
    options = options_for(1, 0, 1);
    ck_assert_int_eq(record_status("poor", &options), ILRL_EUSAGE);
    ck_assert_ptr_nonnull(strstr(ilrl_error_message(), "max steps"));
    options = options_for(1, 10, 1);
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
    struct ilrl_record_options options = options_for(1, 10, 1);
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
    struct ilrl_record_options options = options_for(1, 3000, 1);
    options.render = 1;
    options.render_to = screen;
    options.fps = 1000;
    struct ilrl_demo *demo = record("poor", &options);
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
    tcase_add_test(pilots, test_keys_file_order_and_end);
    suite_add_tcase(suite, pilots);
    TCase *parsing = tcase_create("parsing");
    tcase_add_test(parsing, test_bad_specs_refused);
    tcase_add_test(parsing, test_bad_keys_line_named);
    tcase_add_test(parsing, test_canonical_names);
    suite_add_tcase(suite, parsing);
    TCase *recording = tcase_create("recording");
    tcase_set_timeout(recording, 60);
    tcase_add_test(recording, test_record_metadata);
    tcase_add_test(recording, test_on_episode_callback);
    tcase_add_test(recording, test_episode_seed_formula);
    tcase_add_test(recording, test_record_refuses_bad_options);
    tcase_add_test(recording, test_human_needs_a_terminal);
    tcase_add_test(recording, test_render_draws_frames);
    suite_add_tcase(suite, recording);
    return suite;
}
