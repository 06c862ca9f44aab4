/* check_demo.c -- the in-memory demonstration: allocation, metadata strings
 * and every validity rule of docs/formats.md with its message. */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "ilrl/demo.h"
#include "ilrl/error.h"

/* Two episodes of 4 and 2 steps, 3 features, K = 2: valid. */
static struct ilrl_demo *small_demo(void)
{
    struct ilrl_demo *demo = ilrl_demo_alloc(6, 3, 2, 2);
    ck_assert_ptr_nonnull(demo);
    for (size_t t = 0; t < 6; t++) {
        for (size_t f = 0; f < 3; f++)
            demo->obs[t * 3 + f] = 0.1 * (double)t - 0.01 * (double)f;
        demo->action[t] = (int)(t % 2);
        demo->reward[t] = t == 3 ? -1.0 : 0.0;
    }
    demo->episode_start[0] = 0;
    demo->episode_length[0] = 4;
    demo->episode_start[1] = 4;
    demo->episode_length[1] = 2;
    demo->terminated[0] = 1;
    demo->terminated[1] = 0;
    return demo;
}

/* Validation must fail with ILRL_EINPUT and a message containing `a` and `b`. */
static void assert_invalid(const struct ilrl_demo *demo, const char *a, const char *b)
{
    int status = ilrl_demo_validate(demo, "d.nc");
    const char *message = ilrl_error_message();
    ck_assert_int_eq(status, ILRL_EINPUT);
    ck_assert_msg(strncmp(message, "d.nc: ", 6) == 0, "no origin in '%s'", message);
    ck_assert_msg(strstr(message, a) != NULL, "'%s' not in '%s'", a, message);
    if (b != NULL)
        ck_assert_msg(strstr(message, b) != NULL, "'%s' not in '%s'", b, message);
}

START_TEST(test_alloc_is_zeroed_with_empty_metadata)
{
    struct ilrl_demo *demo = ilrl_demo_alloc(5, 4, 2, 3);
    ck_assert_ptr_nonnull(demo);
    ck_assert_uint_eq(demo->n_steps, 5);
    ck_assert_uint_eq(demo->n_features, 4);
    ck_assert_uint_eq(demo->n_episodes, 2);
    ck_assert_int_eq(demo->n_actions, 3);
    for (size_t i = 0; i < 20; i++)
        ck_assert(demo->obs[i] == 0.0);
    for (size_t i = 0; i < 5; i++) {
        ck_assert_int_eq(demo->action[i], 0);
        ck_assert(demo->reward[i] == 0.0);
    }
    ck_assert_ptr_nonnull(demo->score);
    for (size_t e = 0; e < 2; e++) {
        ck_assert_int_eq(demo->score[e], 0);
        ck_assert_int_eq(demo->episode_length[e], 0);
        ck_assert_int_eq(demo->terminated[e], 0);
        ck_assert(demo->episode_start[e] == 0);
    }
    ck_assert_str_eq(demo->env, "");
    ck_assert_str_eq(demo->pilot, "");
    ck_assert_str_eq(demo->reward_scheme, "");
    ck_assert_str_eq(demo->action_names, "");
    ck_assert_str_eq(demo->feature_names, "");
    ck_assert_str_eq(demo->title, "");
    ck_assert_str_eq(demo->history, "");
    ck_assert_str_eq(demo->source, "");
    ck_assert_int_eq(demo->seed, -1);
    ilrl_demo_free(demo);
}
END_TEST

START_TEST(test_alloc_refuses_bad_sizes)
{
    ilrl_error_clear();
    ck_assert_ptr_null(ilrl_demo_alloc(0, 3, 1, 2));
    ck_assert_str_ne(ilrl_error_message(), "");
    ck_assert_ptr_null(ilrl_demo_alloc(3, 0, 1, 2));
    ck_assert_ptr_null(ilrl_demo_alloc(3, 3, 0, 2));
    ilrl_error_clear();
    ck_assert_ptr_null(ilrl_demo_alloc(3, 3, 1, 1));
    ck_assert_ptr_nonnull(strstr(ilrl_error_message(), "n_actions"));
    /* N x D overflows size_t: refused, not wrapped. */
    ck_assert_ptr_null(ilrl_demo_alloc(SIZE_MAX / 2, 4, 1, 2));
}
END_TEST

START_TEST(test_free_accepts_null)
{
    ilrl_demo_free(NULL);
}
END_TEST

START_TEST(test_set_string_copies)
{
    struct ilrl_demo *demo = small_demo();
    char value[] = "noisy:0.01";
    ck_assert_int_eq(ilrl_demo_set_string(&demo->pilot, value), ILRL_OK);
    value[0] = 'X';
    ck_assert_str_eq(demo->pilot, "noisy:0.01");
    ck_assert_int_eq(ilrl_demo_set_string(&demo->pilot, ""), ILRL_OK);
    ck_assert_str_eq(demo->pilot, "");
    ck_assert_int_eq(ilrl_demo_set_string(&demo->env, "flappy-bird"), ILRL_OK);
    ck_assert_str_eq(demo->env, "flappy-bird");
    ilrl_demo_free(demo);
}
END_TEST

START_TEST(test_valid_demo_passes)
{
    struct ilrl_demo *demo = small_demo();
    ck_assert_int_eq(ilrl_demo_validate(demo, "d.nc"), ILRL_OK);
    free(demo->score);          /* score is optional */
    demo->score = NULL;
    ck_assert_int_eq(ilrl_demo_validate(demo, "d.nc"), ILRL_OK);
    ilrl_demo_free(demo);
}
END_TEST

START_TEST(test_action_out_of_range)
{
    struct ilrl_demo *demo = small_demo();
    demo->action[5] = 2;
    assert_invalid(demo, "action[5] = 2 is outside [0, 2)", NULL);
    ck_assert_str_eq(ilrl_error_message(), "d.nc: action[5] = 2 is outside [0, 2)");
    demo->action[5] = -1;
    assert_invalid(demo, "action[5] = -1", NULL);
    ilrl_demo_free(demo);
}
END_TEST

START_TEST(test_non_finite_values)
{
    struct ilrl_demo *demo = small_demo();
    demo->obs[4 * 3 + 2] = NAN;
    assert_invalid(demo, "obs[4,2]", "not finite");
    demo->obs[4 * 3 + 2] = 0.0;
    demo->obs[0] = -INFINITY;
    assert_invalid(demo, "obs[0,0]", "not finite");
    demo->obs[0] = 0.0;
    demo->reward[2] = INFINITY;
    assert_invalid(demo, "reward[2]", "not finite");
    demo->reward[2] = NAN;
    assert_invalid(demo, "reward[2]", "not finite");
    ilrl_demo_free(demo);
}
END_TEST

START_TEST(test_episode_start_rules)
{
    struct ilrl_demo *demo = small_demo();
    demo->episode_start[0] = 1;
    assert_invalid(demo, "episode_start[0] = 1", "must be 0");
    demo->episode_start[0] = 0;
    demo->episode_start[1] = 3;
    assert_invalid(demo, "episode_start[1] = 3", "contiguous");
    demo->episode_start[1] = 4;
    demo->episode_length[1] = 1;  /* covers 5 of 6 steps */
    assert_invalid(demo, "episode_length", "cover 5 of the 6 steps");
    demo->episode_length[1] = 3;  /* runs past the end */
    assert_invalid(demo, "episode_length[1] = 3", "past the last step");
    ilrl_demo_free(demo);
}
END_TEST

START_TEST(test_episode_length_zero)
{
    struct ilrl_demo *demo = small_demo();
    demo->episode_length[0] = 0;
    assert_invalid(demo, "episode_length[0] = 0", ">= 1");
    demo->episode_length[0] = -3;
    assert_invalid(demo, "episode_length[0] = -3", ">= 1");
    ilrl_demo_free(demo);
}
END_TEST

START_TEST(test_terminated_is_a_flag)
{
    struct ilrl_demo *demo = small_demo();
    demo->terminated[1] = 2;
    assert_invalid(demo, "terminated[1] = 2", "0");
    ilrl_demo_free(demo);
}
END_TEST

START_TEST(test_sizes_and_k)
{
    struct ilrl_demo *demo = small_demo();
    demo->n_actions = 1;
    assert_invalid(demo, "n_actions = 1", ">= 2");
    demo->n_actions = 2;
    demo->n_steps = 0;
    assert_invalid(demo, "step", NULL);
    demo->n_steps = 6;
    ck_assert_int_eq(ilrl_demo_validate(NULL, "d.nc"), ILRL_EINPUT);
    ilrl_demo_free(demo);
}
END_TEST

START_TEST(test_larger_k_accepts_all_actions)
{
    struct ilrl_demo *demo = small_demo();
    demo->n_actions = 4;
    demo->action[0] = 3;
    ck_assert_int_eq(ilrl_demo_validate(demo, "d.nc"), ILRL_OK);
    demo->action[0] = 4;
    assert_invalid(demo, "action[0] = 4 is outside [0, 4)", NULL);
    ilrl_demo_free(demo);
}
END_TEST

/* ---- final_obs: optional, absent by default, finite when present ---------- */

START_TEST(test_final_obs_absent_by_default)
{
    struct ilrl_demo *demo = small_demo();
    ck_assert_ptr_null(demo->final_obs);
    ck_assert_int_eq(ilrl_demo_validate(demo, "d.nc"), ILRL_OK);
    ilrl_demo_free(demo);
}
END_TEST

START_TEST(test_final_obs_added_zeroed_and_kept)
{
    struct ilrl_demo *demo = small_demo();
    ck_assert_int_eq(ilrl_demo_add_final_obs(demo), ILRL_OK);
    ck_assert_ptr_nonnull(demo->final_obs);
    for (size_t i = 0; i < 2 * 3; i++)
        ck_assert(demo->final_obs[i] == 0.0);
    ck_assert_int_eq(ilrl_demo_validate(demo, "d.nc"), ILRL_OK);
    /* A second call keeps the caller's values (and the same array). */
    double *first = demo->final_obs;
    demo->final_obs[5] = 0.25;
    ck_assert_int_eq(ilrl_demo_add_final_obs(demo), ILRL_OK);
    ck_assert_ptr_eq(demo->final_obs, first);
    ck_assert(demo->final_obs[5] == 0.25);
    ilrl_demo_free(demo);   /* frees final_obs too (the sanitizer build checks) */
}
END_TEST

START_TEST(test_final_obs_must_be_finite)
{
    struct ilrl_demo *demo = small_demo();
    ck_assert_int_eq(ilrl_demo_add_final_obs(demo), ILRL_OK);
    demo->final_obs[1 * 3 + 2] = NAN;
    assert_invalid(demo, "final_obs[1,2]", "not finite");
    ck_assert_str_eq(ilrl_error_message(), "d.nc: final_obs[1,2] = nan is not finite");
    demo->final_obs[1 * 3 + 2] = 0.0;
    demo->final_obs[0] = INFINITY;
    assert_invalid(demo, "final_obs[0,0]", "not finite");
    demo->final_obs[0] = 1e300;
    ck_assert_int_eq(ilrl_demo_validate(demo, "d.nc"), ILRL_OK);
    /* The other rules still come first and still apply. */
    demo->action[2] = 7;
    assert_invalid(demo, "action[2] = 7", NULL);
    ilrl_demo_free(demo);
}
END_TEST

Suite *demo_suite(void)
{
    Suite *suite = suite_create("demo");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_alloc_is_zeroed_with_empty_metadata);
    tcase_add_test(tc, test_alloc_refuses_bad_sizes);
    tcase_add_test(tc, test_free_accepts_null);
    tcase_add_test(tc, test_set_string_copies);
    tcase_add_test(tc, test_valid_demo_passes);
    tcase_add_test(tc, test_action_out_of_range);
    tcase_add_test(tc, test_non_finite_values);
    tcase_add_test(tc, test_episode_start_rules);
    tcase_add_test(tc, test_episode_length_zero);
    tcase_add_test(tc, test_terminated_is_a_flag);
    tcase_add_test(tc, test_sizes_and_k);
    tcase_add_test(tc, test_larger_k_accepts_all_actions);
    tcase_add_test(tc, test_final_obs_absent_by_default);
    tcase_add_test(tc, test_final_obs_added_zeroed_and_kept);
    tcase_add_test(tc, test_final_obs_must_be_finite);
    suite_add_tcase(suite, tc);
    return suite;
}
