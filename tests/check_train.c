/* check_train.c -- the trainer's files: network and trajectory files round
 * trip bit for bit (NaN "not evaluated" included), a resume state comes
 * back, wrong kinds and inconsistent shapes are refused naming the file. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "ilrl/error.h"
#include "ilrl/mlp.h"
#include "ilrl/network_io.h"
#include "ilrl/trajectory_io.h"
#include "testutil.h"

static void setup(void)
{
    test_scratch_create("check_train");
}

static struct ilrl_mlp *small_mlp(void)
{
    size_t sizes[3] = {3, 5, 2};
    struct ilrl_mlp *mlp = ilrl_mlp_alloc(sizes, 3, ILRL_ACTIVATION_RELU);
    ck_assert_ptr_nonnull(mlp);
    return mlp;
}

START_TEST(test_network_round_trip)
{
    struct ilrl_mlp *mlp = small_mlp(), *back = NULL;
    double *theta = malloc(mlp->n_params * sizeof *theta), *read = NULL;
    ck_assert_int_eq(ilrl_mlp_init(mlp, 7, theta), ILRL_OK);
    theta[0] = 0x1.123456789abcdp-3;   /* every bit must come back */
    const char *path = test_scratch_path("net.nc");
    ck_assert_int_eq(ilrl_network_write(path, mlp, theta, "h", "s", 0), ILRL_OK);
    /* no clobber without force */
    ck_assert_int_eq(ilrl_network_write(path, mlp, theta, "h", "s", 0), ILRL_EOUTPUT);
    ck_assert_int_eq(ilrl_network_read(path, &back, &read), ILRL_OK);
    ck_assert_uint_eq(back->n_layers, 2);
    ck_assert_uint_eq(back->sizes[1], 5);
    ck_assert_int_eq(back->activation, ILRL_ACTIVATION_RELU);
    ck_assert_uint_eq(back->n_params, mlp->n_params);
    ck_assert_int_eq(memcmp(read, theta, mlp->n_params * sizeof *theta), 0);
    char *kind = NULL;
    ck_assert_int_eq(ilrl_file_kind(path, &kind), ILRL_OK);
    ck_assert_str_eq(kind, "network");
    free(kind);
    ilrl_mlp_free(back);
    free(read);

    /* A trajectory file is not a network file, and the message says so. */
    struct ilrl_trajectory traj;
    ilrl_trajectory_init(&traj, mlp->n_params);
    const char *tpath = test_scratch_path("traj.nc");
    ck_assert_int_eq(ilrl_trajectory_write(tpath, &traj, mlp, "x", NULL, 0, NULL, 0), ILRL_OK);
    ck_assert_int_eq(ilrl_network_read(tpath, &back, &read), ILRL_EINPUT);
    ck_assert_ptr_nonnull(strstr(ilrl_error_message(), "ilrl_file_kind is 'trajectory'"));
    ck_assert_ptr_null(back);
    ilrl_trajectory_free(&traj);
    ilrl_mlp_free(mlp);
    free(theta);
}
END_TEST

START_TEST(test_trajectory_round_trip)
{
    struct ilrl_mlp *mlp = small_mlp(), *back = NULL;
    size_t P = mlp->n_params;
    struct ilrl_trajectory traj, read;
    ilrl_trajectory_init(&traj, P);
    for (int i = 0; i < 5; i++) {
        struct ilrl_traj_row row = {
            .phase = i >= 3, .update = 10 * i, .env_steps = 1000LL * i, .samples = 7 * i,
            .il_loss_train = 0.1 * i, .il_loss_val = 1.0 / (i + 3), .rl_loss_demo = -i,
            .return_mean = NAN, .score_mean = i, .length_mean = 2.5, .eval_return = i % 2 ? NAN : 1e300,
            .eval_score = -0.0, .grad_norm = 3, .cos_il_rl = NAN, .wall_seconds = 0.5,
        };
        ck_assert_int_eq(ilrl_trajectory_add_row(&traj, &row), ILRL_OK);
    }
    double *theta = calloc(P, sizeof *theta);
    for (int c = 0; c < 3; c++) {
        theta[c] = c + 0.25;
        ck_assert_int_eq(ilrl_trajectory_add_checkpoint(&traj, theta, c, 100 * c, c == 2), ILRL_OK);
    }
    double *m = calloc(P, sizeof *m), *v = calloc(P, sizeof *v);
    m[1] = 1e-7;
    v[2] = 3e-9;
    struct ilrl_traj_state state = {.present = 1, .theta = theta, .adam_m = m, .adam_v = v,
                                    .counter = {1, 2, 3, 4, 5, 6, 7, 8}, .best_val = 0.75,
                                    .wall_seconds = 9};
    struct ilrl_traj_attr attrs[2] = {{.name = "lr", .number = 1e-3},
                                      {.name = "demo", .text = "d.nc"}};
    const char *path = test_scratch_path("t.nc");
    ck_assert_int_eq(ilrl_trajectory_write(path, &traj, mlp, "settings line", attrs, 2, &state, 0),
                     ILRL_OK);
    char *settings = NULL;
    struct ilrl_traj_state got;
    ck_assert_int_eq(ilrl_trajectory_read(path, &read, &back, &settings, &got), ILRL_OK);
    ck_assert_str_eq(settings, "settings line");
    ck_assert_uint_eq(read.n_rows, 5);
    for (int i = 0; i < 5; i++) {
        const struct ilrl_traj_row *a = &traj.rows[i], *b = &read.rows[i];
        ck_assert_int_eq(a->phase, b->phase);
        ck_assert_int_eq(a->update, b->update);
        ck_assert_int_eq(a->env_steps, b->env_steps);
        ck_assert_int_eq(a->samples, b->samples);
        /* Bit for bit, NaN and -0 included. */
        ck_assert_int_eq(memcmp(&a->il_loss_train, &b->il_loss_train,
                                ILRL_TRAJ_N_DOUBLES * sizeof(double)), 0);
    }
    ck_assert_uint_eq(read.n_checkpoints, 3);
    ck_assert_int_eq(memcmp(read.ck_theta, traj.ck_theta, 3 * P * sizeof(double)), 0);
    ck_assert_int_eq(read.ck_env_steps[2], 200);
    ck_assert_int_eq(read.ck_phase[2], 1);
    ck_assert_int_eq(got.present, 1);
    ck_assert_int_eq(got.counter[7], 8);
    ck_assert(got.best_val == 0.75);
    ck_assert(got.adam_m[1] == 1e-7 && got.adam_v[2] == 3e-9);
    ilrl_traj_state_free(&got);
    free(settings);
    ilrl_trajectory_free(&read);
    ilrl_mlp_free(back);

    /* A network file is not a trajectory. */
    const char *npath = test_scratch_path("n.nc");
    ck_assert_int_eq(ilrl_network_write(npath, mlp, theta, NULL, NULL, 0), ILRL_OK);
    ck_assert_int_eq(ilrl_trajectory_read(npath, &read, &back, &settings, NULL), ILRL_EINPUT);
    ck_assert_ptr_nonnull(strstr(ilrl_error_message(), "n.nc"));
    ilrl_trajectory_free(&traj);
    ilrl_mlp_free(mlp);
    free(theta);
    free(m);
    free(v);
}
END_TEST

Suite *train_suite(void)
{
    Suite *suite = suite_create("train");
    TCase *tc = tcase_create("files");
    tcase_add_checked_fixture(tc, setup, test_scratch_remove);
    tcase_add_test(tc, test_network_round_trip);
    tcase_add_test(tc, test_trajectory_round_trip);
    suite_add_tcase(suite, tc);
    return suite;
}
