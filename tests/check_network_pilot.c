/* check_network_pilot.c -- the network pilot (network_pilot.h): recording
 * with it replays ilrl_rollout_point's episodes bit for bit (greedy and
 * sampled, both reward schemes), it copies what it is given, and it refuses
 * networks that do not play Flappy Bird. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "ilrl/demo.h"
#include "ilrl/error.h"
#include "ilrl/flappy.h"
#include "ilrl/mlp.h"
#include "ilrl/network_pilot.h"
#include "ilrl/record.h"
#include "ilrl/rollout.h"

static const size_t COPY_SIZES[] = {12, 2, 2};

/* 12-2-2 relu that flaps when the bird is lower than 40.5 px above the next
 * gap's bottom (h0 - h1 = 512 obs[9] - 512 obs[2] + 40.5), with logits
 * (0, scale (h0 - h1)): greedy passes pipes, a small scale makes sampling
 * random near the rule's boundary.  Returns theta (12-2-2 has 32 params). */
static double *copy_theta(double scale)
{
    struct ilrl_mlp *mlp = ilrl_mlp_alloc(COPY_SIZES, 3, ILRL_ACTIVATION_RELU);
    ck_assert_ptr_nonnull(mlp);
    double *theta = calloc(mlp->n_params, sizeof *theta);
    ck_assert_ptr_nonnull(theta);
    static const struct { const char *name; double value; } set[] = {
        {"W1[0,9]", 512.0}, {"W1[0,2]", -512.0}, {"b1[0]", 40.5},
        {"W1[1,9]", -512.0}, {"W1[1,2]", 512.0}, {"b1[1]", -40.5}};
    for (size_t k = 0; k < sizeof set / sizeof set[0]; k++) {
        size_t index;
        ck_assert_int_eq(ilrl_mlp_param_index(mlp, set[k].name, &index), ILRL_OK);
        theta[index] = set[k].value;
    }
    size_t index;
    ck_assert_int_eq(ilrl_mlp_param_index(mlp, "W2[1,0]", &index), ILRL_OK);
    theta[index] = scale;
    ck_assert_int_eq(ilrl_mlp_param_index(mlp, "W2[1,1]", &index), ILRL_OK);
    theta[index] = -scale;
    ilrl_mlp_free(mlp);
    return theta;
}

/* ilrl_rollout_point's statistics vs a recording's, summarised with the
 * rollout module's own arithmetic: must be equal bit for bit. */
static void check_replay(enum ilrl_rollout_policy policy, int scheme,
                         double scale)
{
    enum { EPISODES = 5, MAX_STEPS = 700 };
    const unsigned long run_seed = 7;
    const size_t point = 13;
    const double gamma = 0.97;
    double *theta = copy_theta(scale);
    struct ilrl_mlp *mlp = ilrl_mlp_alloc(COPY_SIZES, 3, ILRL_ACTIVATION_RELU);
    struct ilrl_rollout_options rollout = {
        .n_episodes = EPISODES, .max_steps = MAX_STEPS, .scheme = scheme, .gamma = gamma,
        .policy = policy};
    struct ilrl_rollout_work *work = ilrl_rollout_work_alloc(mlp, &rollout);
    ck_assert_ptr_nonnull(work);
    struct ilrl_rollout_stats expected;
    ck_assert_int_eq(ilrl_rollout_point(mlp, theta, &rollout, run_seed, point, work,
                                        &expected, NULL, NULL), ILRL_OK);

    struct ilrl_network_pilot_spec spec = {
        .layer_sizes = COPY_SIZES, .n_layer_sizes = 3, .activation = ILRL_ACTIVATION_RELU,
        .theta = theta, .n_params = mlp->n_params, .point = point, .policy = policy};
    struct ilrl_pilot *pilot = NULL;
    ck_assert_int_eq(ilrl_network_pilot_new("network:f.nc:1,4", &spec, &pilot), ILRL_OK);
    ck_assert(ilrl_network_pilot_is(pilot));
    /* The pilot holds copies: spoiling ours after building changes nothing. */
    for (size_t k = 0; k < mlp->n_params; k++)
        theta[k] = -theta[k];

    struct ilrl_record_options options = {
        .n_episodes = EPISODES, .max_steps = MAX_STEPS, .seed = run_seed, .scheme = scheme,
        .fps = 30};
    struct ilrl_demo *demo = NULL;
    ck_assert_int_eq(ilrl_record_session(pilot, &options, &demo), ILRL_OK);
    ck_assert_str_eq(demo->pilot, "network:f.nc:1,4");
    struct ilrl_rollout_tally tally = {0};
    for (size_t e = 0; e < demo->n_episodes; e++)
        ilrl_rollout_tally_add(&tally,
                               ilrl_rollout_episode_return(
                                   &demo->reward[demo->episode_start[e]],
                                   (size_t)demo->episode_length[e], gamma),
                               demo->score[e], demo->episode_length[e]);
    struct ilrl_rollout_stats got;
    ilrl_rollout_tally_stats(&tally, &got);
    ck_assert_mem_eq(&got.return_mean, &expected.return_mean, sizeof(double));
    ck_assert_mem_eq(&got.return_std, &expected.return_std, sizeof(double));
    ck_assert_mem_eq(&got.score_mean, &expected.score_mean, sizeof(double));
    ck_assert_mem_eq(&got.length_mean, &expected.length_mean, sizeof(double));
    ck_assert_int_eq(got.total_steps, expected.total_steps);
    /* Not a trivial surface: some pipes are passed, episodes differ. */
    ck_assert_double_gt(expected.score_mean, 0.0);
    ck_assert_double_gt(expected.return_std, 0.0);

    ilrl_demo_free(demo);
    ilrl_pilot_free(pilot);
    ilrl_rollout_work_free(work);
    ilrl_mlp_free(mlp);
    free(theta);
}

START_TEST(test_greedy_replays_the_point)
{
    check_replay(ILRL_ROLLOUT_GREEDY, ILRL_REWARD_SPARSE, 1.0);
    check_replay(ILRL_ROLLOUT_GREEDY, ILRL_REWARD_SHAPED, 1.0);
}
END_TEST

START_TEST(test_sampled_replays_the_point)
{
    check_replay(ILRL_ROLLOUT_SAMPLE, ILRL_REWARD_SPARSE, 0.2);
    check_replay(ILRL_ROLLOUT_SAMPLE, ILRL_REWARD_SHAPED, 0.2);
}
END_TEST

static void expect_refused(const size_t *sizes, size_t n_sizes, size_t n_params,
                           const char *fragment)
{
    double theta[64] = {0};
    struct ilrl_network_pilot_spec spec = {
        .layer_sizes = sizes, .n_layer_sizes = n_sizes, .activation = ILRL_ACTIVATION_TANH,
        .theta = theta, .n_params = n_params, .point = 0, .policy = ILRL_ROLLOUT_GREEDY};
    struct ilrl_pilot *pilot = (struct ilrl_pilot *)1;
    ilrl_error_clear();
    ck_assert_int_eq(ilrl_network_pilot_new("network:x:0,0", &spec, &pilot), ILRL_EINPUT);
    ck_assert_ptr_null(pilot);
    ck_assert_msg(strstr(ilrl_error_message(), fragment) != NULL, "message '%s' lacks '%s'",
                  ilrl_error_message(), fragment);
}

START_TEST(test_refuses_non_flappy_networks)
{
    static const size_t tiny[] = {2, 1, 2}, wide_out[] = {12, 3}, zero[] = {12, 0, 2};
    expect_refused(tiny, 3, 11, "layer_sizes (2 inputs, 2 outputs) fit no environment of "
                   "flappy-bird, cartpole");
    expect_refused(wide_out, 2, 39, "(12 inputs, 3 outputs) fit no environment");
    expect_refused(COPY_SIZES, 1, 32, "layer_sizes has fewer than two entries");
    expect_refused(zero, 3, 2, "");
    /* 12-2-2 has 2 * 13 + 2 * 3 = 32 parameters. */
    expect_refused(COPY_SIZES, 3, 31, "layer_sizes make 32 parameters but the param "
                   "dimension is 31");
    struct ilrl_pilot *pilot = NULL;
    ck_assert_int_eq(ilrl_pilot_parse("poor", 1, &pilot), ILRL_OK);
    ck_assert(!ilrl_network_pilot_is(pilot));
    ilrl_pilot_free(pilot);
    ck_assert(!ilrl_network_pilot_is(NULL));
}
END_TEST

Suite *network_pilot_suite(void)
{
    Suite *suite = suite_create("network_pilot");
    TCase *replay = tcase_create("replay");
    tcase_set_timeout(replay, 60);
    tcase_add_test(replay, test_greedy_replays_the_point);
    tcase_add_test(replay, test_sampled_replays_the_point);
    tcase_add_test(replay, test_refuses_non_flappy_networks);
    suite_add_tcase(suite, replay);
    return suite;
}
