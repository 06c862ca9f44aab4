/* check_evaluator.c -- the plane evaluator against the full forward pass.
 *
 * For every mode (weights-output, weights-hidden, dense with the dgemm path
 * and, where the CPU has AVX-512, the fused kernel), both activations,
 * K = 2 and K = 3, every RL weighting and sample counts that do and do not
 * fill the 256-row blocks: the evaluator's L_IL and L_RL at random points
 * (unit offsets and large ones) equal ilrl_loss_eval at ilrl_plane_point's
 * theta to 1e-12 relative, and a point's values are bit-identical whether it
 * is evaluated alone, with many others, or in another order.  The same for
 * L_TD and L_CQL (value_loss.h) against ilrl_value_loss_eval, with the
 * frozen and the same target, with and without final_obs. */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "ilrl/dense_kernel.h"
#include "ilrl/error.h"
#include "ilrl/evaluator.h"
#include "ilrl/loss.h"
#include "ilrl/mlp.h"
#include "ilrl/plane.h"
#include "ilrl/value_loss.h"

#define N_POINTS 24

/* A random problem: network, theta0, N samples, RL weights of one kind. */
struct fixture {
    struct ilrl_mlp *mlp;
    double *theta0, *dx, *dy;
    double *obs, *weight, *reward, *G;
    int *action;
    int64_t *start;
    int *length;
    unsigned char *terminated;
    double *final_obs;        /* 3 x D */
    struct ilrl_demo demo;
    struct ilrl_loss_data data;
    struct ilrl_loss_work *work;
};

static void fixture_init(struct fixture *f, const size_t *sizes, size_t n_sizes,
                         enum ilrl_activation activation, size_t n_steps,
                         struct ilrl_rl_weight kind, unsigned long seed)
{
    memset(f, 0, sizeof *f);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, seed);
    f->mlp = ilrl_mlp_alloc(sizes, n_sizes, activation);
    ck_assert_ptr_nonnull(f->mlp);
    size_t P = f->mlp->n_params, D = sizes[0], K = sizes[n_sizes - 1];
    f->theta0 = malloc(P * sizeof(double));
    f->dx = calloc(P, sizeof(double));
    f->dy = calloc(P, sizeof(double));
    ck_assert_int_eq(ilrl_mlp_init(f->mlp, seed, f->theta0), ILRL_OK);
    f->obs = malloc(n_steps * D * sizeof(double));
    f->action = malloc(n_steps * sizeof(int));
    f->weight = malloc(n_steps * sizeof(double));
    f->reward = malloc(n_steps * sizeof(double));
    for (size_t i = 0; i < n_steps * D; i++)
        f->obs[i] = -1.5 + 3.0 * gsl_rng_uniform(rng);
    for (size_t t = 0; t < n_steps; t++) {
        f->action[t] = (int)gsl_rng_uniform_int(rng, K);
        f->reward[t] = gsl_rng_uniform(rng) < 0.1 ? 1.0 : 0.0;
    }
    /* Three episodes. */
    f->start = malloc(3 * sizeof(int64_t));
    f->length = malloc(3 * sizeof(int));
    f->terminated = calloc(3, 1);
    f->terminated[1] = 1;     /* 0 and 2 truncated: they bootstrap from final_obs */
    f->final_obs = malloc(3 * D * sizeof(double));
    for (size_t i = 0; i < 3 * D; i++)
        f->final_obs[i] = -1.5 + 3.0 * gsl_rng_uniform(rng);
    size_t a = n_steps / 3, b = n_steps / 3;
    f->start[0] = 0;
    f->start[1] = (int64_t)a;
    f->start[2] = (int64_t)(a + b);
    f->length[0] = (int)a;
    f->length[1] = (int)b;
    f->length[2] = (int)(n_steps - a - b);
    f->demo.n_steps = n_steps;
    f->demo.n_features = D;
    f->demo.n_episodes = 3;
    f->demo.n_actions = (int)K;
    f->demo.reward = f->reward;
    f->demo.episode_start = f->start;
    f->demo.episode_length = f->length;
    f->demo.terminated = f->terminated;
    ilrl_rl_weights(&f->demo, kind, 0.99, f->weight);
    f->data = (struct ilrl_loss_data){n_steps, D, f->obs, f->action, f->weight};
    ck_assert_int_eq(ilrl_loss_data_check(f->mlp, &f->data), ILRL_OK);
    f->work = ilrl_loss_work_alloc(f->mlp, n_steps);
    ck_assert_ptr_nonnull(f->work);
    gsl_rng_free(rng);
}

static void fixture_free(struct fixture *f)
{
    ilrl_loss_work_free(f->work);
    ilrl_mlp_free(f->mlp);
    free(f->theta0);
    free(f->dx);
    free(f->dy);
    free(f->obs);
    free(f->action);
    free(f->weight);
    free(f->reward);
    free(f->start);
    free(f->length);
    free(f->terminated);
    free(f->final_obs);
}

static void set_unit(struct fixture *f, const char *name_x, const char *name_y)
{
    size_t ix, iy;
    ck_assert_int_eq(ilrl_mlp_param_index(f->mlp, name_x, &ix), ILRL_OK);
    ck_assert_int_eq(ilrl_mlp_param_index(f->mlp, name_y, &iy), ILRL_OK);
    memset(f->dx, 0, f->mlp->n_params * sizeof(double));
    memset(f->dy, 0, f->mlp->n_params * sizeof(double));
    f->dx[ix] = 1.0;
    f->dy[iy] = 1.0;
}

static void set_dense(struct fixture *f, unsigned long seed)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, seed);
    for (size_t k = 0; k < f->mlp->n_params; k++) {
        f->dx[k] = gsl_ran_gaussian(rng, 0.3);
        f->dy[k] = gsl_ran_gaussian(rng, 0.3);
    }
    gsl_rng_free(rng);
}

/* |a - b| <= 1e-12 max(|a|, |b|), with a floor for losses that cancel to
 * ~0 (advantage weights): relative to the sum of |terms|, which the
 * caller passes as `scale`. */
static int close_enough(double a, double b, double scale)
{
    double m = fmax(fmax(fabs(a), fabs(b)), scale);
    return fabs(a - b) <= 1e-12 * m;
}

/* 1 if this CPU runs the fused dense kernel (AVX-512). */
static int have_fused_kernel(void)
{
    double v = 0.5;
    return ilrl_dense_kernel_tanh(&v, 1);
}

static void check_plane_in(struct fixture *f, const char *mode, unsigned long seed,
                           enum ilrl_dense_path path);

/* Checks the evaluator in `mode` on the fixture's plane at N_POINTS points;
 * a dense plane twice: the dgemm path, then the AVX-512 one, which must be
 * the fused kernel exactly when the CPU has AVX-512 and the shape fits it. */
static void check_plane(struct fixture *f, const char *mode, unsigned long seed)
{
    if (strcmp(mode, "dense") != 0) {
        check_plane_in(f, mode, seed, ILRL_DENSE_AVX512);
        return;
    }
    check_plane_in(f, "dense", seed, ILRL_DENSE_DGEMM);
    int fused = have_fused_kernel() && f->mlp->n_layers >= 2
                && f->mlp->activation == ILRL_ACTIVATION_TANH;
    for (size_t l = 1; l < f->mlp->n_layers; l++)
        fused = fused && f->mlp->sizes[l] % 8 == 0;
    check_plane_in(f, fused ? "dense-fused" : "dense", seed, ILRL_DENSE_AVX512);
}

static void check_plane_in(struct fixture *f, const char *mode, unsigned long seed,
                           enum ilrl_dense_path path)
{
    struct ilrl_evaluator *ev = ilrl_evaluator_alloc(f->mlp, f->theta0, f->dx, f->dy,
                                                     &f->data, N_POINTS, path);
    ck_assert_ptr_nonnull(ev);
    ck_assert_str_eq(ilrl_evaluator_mode(ev), mode);

    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, seed);
    double x[N_POINTS], y[N_POINTS], il[N_POINTS], rl[N_POINTS];
    for (int p = 0; p < N_POINTS; p++) {
        double range = p < 12 ? 1.0 : p < 18 ? 30.0 : 1e3;   /* large offsets too */
        x[p] = range * (2.0 * gsl_rng_uniform(rng) - 1.0);
        y[p] = range * (2.0 * gsl_rng_uniform(rng) - 1.0);
    }
    x[0] = y[0] = 0.0;
    ilrl_evaluator_eval(ev, x, y, N_POINTS, il, rl);

    double *theta = malloc(f->mlp->n_params * sizeof(double));
    double *theta_il = malloc(f->mlp->n_params * sizeof(double));
    for (int p = 0; p < N_POINTS; p++) {
        double il_ref, rl_ref;
        ilrl_plane_point(f->mlp->n_params, f->theta0, f->dx, f->dy, x[p], y[p], theta);
        ilrl_loss_eval(f->mlp, theta, &f->data, f->work, &il_ref, &rl_ref, NULL, NULL);
        /* The RL loss can cancel (signed weights): its scale is the IL loss
         * times the largest |w|. */
        double w_max = 0.0;
        for (size_t t = 0; t < f->data.n_steps; t++)
            w_max = fmax(w_max, fabs(f->weight[t]));
        ck_assert_msg(isfinite(il[p]) && isfinite(rl[p]), "%s point %d not finite", mode, p);
        ck_assert_msg(close_enough(il[p], il_ref, 0.0),
                      "%s point %d (%g, %g): L_IL %.17g vs %.17g", mode, p, x[p], y[p],
                      il[p], il_ref);
        ck_assert_msg(close_enough(rl[p], rl_ref, 1e-3 * fabs(il_ref) * w_max),
                      "%s point %d (%g, %g): L_RL %.17g vs %.17g", mode, p, x[p], y[p],
                      rl[p], rl_ref);
    }
    free(theta);
    free(theta_il);

    /* Bits: alone, and in reverse order in two calls. */
    for (int p = 0; p < N_POINTS; p++) {
        double a, b;
        ilrl_evaluator_eval(ev, &x[p], &y[p], 1, &a, &b);
        ck_assert_msg(memcmp(&a, &il[p], sizeof a) == 0 && memcmp(&b, &rl[p], sizeof b) == 0,
                      "%s point %d: alone %.17g/%.17g, in a batch %.17g/%.17g",
                      mode, p, a, b, il[p], rl[p]);
    }
    double xr[N_POINTS], yr[N_POINTS], ilr[N_POINTS], rlr[N_POINTS];
    for (int p = 0; p < N_POINTS; p++) {
        xr[p] = x[N_POINTS - 1 - p];
        yr[p] = y[N_POINTS - 1 - p];
    }
    ilrl_evaluator_eval(ev, xr, yr, 7, ilr, rlr);
    ilrl_evaluator_eval(ev, xr + 7, yr + 7, N_POINTS - 7, ilr + 7, rlr + 7);
    for (int p = 0; p < N_POINTS; p++)
        ck_assert(memcmp(&ilr[p], &il[N_POINTS - 1 - p], sizeof(double)) == 0
                  && memcmp(&rlr[p], &rl[N_POINTS - 1 - p], sizeof(double)) == 0);
    gsl_rng_free(rng);

    /* L_TD and L_CQL: frozen and same targets, with and without final_obs. */
    for (int v = 0; v < 3 && f->data.n_steps >= 3; v++) {   /* 3 episodes of >= 1 step */
        const enum ilrl_value_target target = v == 0 ? ILRL_VALUE_TARGET_FROZEN
                                                     : ILRL_VALUE_TARGET_SAME;
        const double alpha = 0.75 + v;
        struct ilrl_value_plan *plan = NULL;
        f->demo.final_obs = v < 2 ? f->final_obs : NULL;
        ck_assert_int_eq(ilrl_value_plan_alloc(&f->demo, 0.9, "test", &plan), ILRL_OK);
        ck_assert_uint_eq(plan->n_left_out, v < 2 ? 0 : 2);
        struct ilrl_value_work *vwork = ilrl_value_work_alloc(f->mlp, f->data.n_steps,
                                                              plan->n_final);
        ck_assert_ptr_nonnull(vwork);
        if (target == ILRL_VALUE_TARGET_FROZEN)
            ck_assert_int_eq(ilrl_value_plan_freeze(plan, f->mlp, f->theta0, &f->data, vwork),
                             ILRL_OK);
        ck_assert_int_eq(ilrl_evaluator_set_value(ev, plan, alpha), ILRL_OK);
        double td[N_POINTS], cql[N_POINTS], il2[N_POINTS], rl2[N_POINTS];
        ilrl_evaluator_eval_all(ev, x, y, N_POINTS, il2, rl2, td, cql);
        double *theta_p = malloc(f->mlp->n_params * sizeof(double));
        for (int p = 0; p < N_POINTS; p++) {
            double td_ref, cql_ref;
            ck_assert(memcmp(&il2[p], &il[p], sizeof(double)) == 0
                      && memcmp(&rl2[p], &rl[p], sizeof(double)) == 0);
            ilrl_plane_point(f->mlp->n_params, f->theta0, f->dx, f->dy, x[p], y[p], theta_p);
            ilrl_value_loss_eval(f->mlp, theta_p, &f->data, plan, alpha, vwork, &td_ref,
                                 &cql_ref, NULL, NULL);
            ck_assert_msg(isfinite(td[p]) && close_enough(td[p], td_ref, 0.0)
                          && close_enough(cql[p], cql_ref, 0.0),
                          "%s %s%s point %d: L_TD %.17g vs %.17g, L_CQL %.17g vs %.17g",
                          mode, ilrl_value_target_name(target), v == 2 ? " (no final_obs)" : "",
                          p, td[p], td_ref, cql[p], cql_ref);
            double a[4];
            ilrl_evaluator_eval_all(ev, &x[p], &y[p], 1, &a[0], &a[1], &a[2], &a[3]);
            ck_assert(memcmp(&a[2], &td[p], sizeof(double)) == 0
                      && memcmp(&a[3], &cql[p], sizeof(double)) == 0);
        }
        /* At theta0 the frozen and same targets agree: point 0 is (0, 0). */
        if (v == 1) {
            double frozen_td;
            ilrl_value_plan_freeze(plan, f->mlp, f->theta0, &f->data, vwork);
            ilrl_value_loss_eval(f->mlp, f->theta0, &f->data, plan, alpha, vwork, &frozen_td,
                                 NULL, NULL, NULL);
            ck_assert(close_enough(td[0], frozen_td, 0.0));
        }
        free(theta_p);
        ilrl_value_work_free(vwork);
        ilrl_evaluator_free(ev);   /* the plan is borrowed: a fresh evaluator next */
        ev = ilrl_evaluator_alloc(f->mlp, f->theta0, f->dx, f->dy, &f->data, N_POINTS, path);
        ck_assert_ptr_nonnull(ev);
        ilrl_value_plan_free(plan);
    }
    f->demo.final_obs = NULL;
    ilrl_evaluator_free(ev);
}

static const struct ilrl_rl_weight weightings[] = {
    {ILRL_RL_WEIGHT_RETURN, 0.0},
    {ILRL_RL_WEIGHT_ADVANTAGE, 0.0},
    {ILRL_RL_WEIGHT_AWR, 0.5},
};

/* _i: activation (bit 0) x weighting (i / 2) */
START_TEST(test_flappy_shape)
{
    static const size_t sizes[] = {12, 64, 64, 2};
    enum ilrl_activation act = (_i & 1) ? ILRL_ACTIVATION_RELU : ILRL_ACTIVATION_TANH;
    struct fixture f;
    fixture_init(&f, sizes, 4, act, 600, weightings[_i / 2], 11 + (unsigned long)_i);
    set_unit(&f, "W3[1,0]", "W3[1,1]");               /* the default plane */
    check_plane(&f, "weights-output", 1);
    set_unit(&f, "b3[0]", "W3[1,63]");
    check_plane(&f, "weights-output", 2);
    set_unit(&f, "W2[5,3]", "W2[5,7]");               /* one hidden unit twice */
    check_plane(&f, "weights-hidden", 3);
    set_unit(&f, "W1[0,11]", "b2[63]");                /* two layers */
    check_plane(&f, "weights-hidden", 4);
    set_unit(&f, "W3[0,4]", "b1[2]");                  /* x after y */
    check_plane(&f, "weights-hidden", 5);
    set_dense(&f, 7);
    check_plane(&f, "dense", 6);
    fixture_free(&f);
}
END_TEST

/* Three actions (the general log-sum-exp), a sample count below one block,
 * three hidden layers. */
START_TEST(test_other_shape)
{
    static const size_t sizes[] = {5, 7, 6, 9, 3};
    enum ilrl_activation act = (_i & 1) ? ILRL_ACTIVATION_RELU : ILRL_ACTIVATION_TANH;
    struct fixture f;
    fixture_init(&f, sizes, 5, act, (_i & 2) ? 37 : 513, weightings[_i % 3], 99 + (unsigned long)_i);
    set_unit(&f, "W4[2,8]", "b4[0]");
    check_plane(&f, "weights-output", 8);
    set_unit(&f, "W2[1,1]", "W3[8,0]");
    check_plane(&f, "weights-hidden", 9);
    set_unit(&f, "b1[6]", "b1[6]");                    /* the same entry twice */
    check_plane(&f, "weights-hidden", 10);
    set_dense(&f, 12);
    check_plane(&f, "dense", 11);
    /* A single-entry direction that is not a unit vector is dense. */
    set_unit(&f, "W4[2,8]", "b4[0]");
    size_t ix;
    ck_assert_int_eq(ilrl_mlp_param_index(f.mlp, "W4[2,8]", &ix), ILRL_OK);
    f.dx[ix] = 0.5;
    check_plane(&f, "dense", 13);
    fixture_free(&f);
}
END_TEST

/* A single-layer network (logistic regression): layer 1 is the output. */
START_TEST(test_single_layer)
{
    static const size_t sizes[] = {4, 2};
    struct fixture f;
    fixture_init(&f, sizes, 2, ILRL_ACTIVATION_TANH, 300, weightings[0], 5);
    set_unit(&f, "W1[0,0]", "b1[1]");
    check_plane(&f, "weights-output", 14);
    set_dense(&f, 3);
    check_plane(&f, "dense", 15);
    fixture_free(&f);
}
END_TEST

/* The fused kernel's shapes: widths that fill 1, 2, 3 and more than 8
 * vectors (two column panels, then the output layer on its own), no
 * hidden-to-hidden layer, two of them, K = 2 and 3, and sample counts that
 * leave partial 24-row blocks and 1- or 2-row register tiles. */
START_TEST(test_fused_shapes)
{
    static const size_t shapes[][6] = {
        {12, 64, 64, 2}, {12, 16, 24, 3}, {12, 64, 2}, {12, 128, 72, 2},
        {7, 8, 64, 64, 2}, {3, 8, 8, 8, 8, 4},
    };
    static const size_t n_sizes[] = {4, 4, 3, 4, 5, 6};
    static const size_t steps[] = {600, 37, 2, 290};
    for (size_t s = 0; s < sizeof n_sizes / sizeof n_sizes[0]; s++) {
        struct fixture f;
        fixture_init(&f, shapes[s], n_sizes[s], ILRL_ACTIVATION_TANH, steps[_i],
                     weightings[s % 3], 40 + s);
        set_dense(&f, 50 + s);
        check_plane(&f, "dense", 60 + s);
        fixture_free(&f);
    }
}
END_TEST

/* A dense plane whose products pass 4 MiB (3000 samples x 64 units x 3):
 * points run in groups over each block (ilrl_evaluator_eval), and check_plane
 * holds each point to its value alone and to ilrl_loss_eval, on both paths. */
START_TEST(test_grouped_points)
{
    static const size_t sizes[] = {12, 64, 64, 2};
    struct fixture f;
    fixture_init(&f, sizes, 4, ILRL_ACTIVATION_TANH, 3000, weightings[0], 21);
    set_dense(&f, 22);
    check_plane(&f, "dense", 23);
    fixture_free(&f);
}
END_TEST

Suite *evaluator_suite(void)
{
    Suite *suite = suite_create("evaluator");
    TCase *against = tcase_create("against_loss_eval");
    tcase_set_timeout(against, 120);
    tcase_add_loop_test(against, test_flappy_shape, 0, 6);
    tcase_add_loop_test(against, test_other_shape, 0, 6);
    tcase_add_test(against, test_single_layer);
    tcase_add_loop_test(against, test_fused_shapes, 0, 4);
    tcase_add_test(against, test_grouped_points);
    suite_add_tcase(suite, against);
    return suite;
}
