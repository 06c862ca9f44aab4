/* check_value_loss.c -- the TD and CQL objectives: the plan of targets on
 * hand-made episodes, closed forms, a second code path for L_TD, the CQL
 * regulariser against L_IL, and semi-gradients against finite differences
 * with the target held fixed. */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <gsl/gsl_rng.h>

#include "ilrl/demo.h"
#include "ilrl/error.h"
#include "ilrl/loss.h"
#include "ilrl/mlp.h"
#include "ilrl/value_loss.h"

/* ---- the hand-made demo ---------------------------------------------------------
 *
 * D = 1, K = 2, three episodes back to back (N = 6):
 *   episode 0, terminated: s = 1, 2, 0.25   a = 0, 1, 0   r = 0, 1, -1
 *   episode 1, truncated:  s = -1, 0.5      a = 1, 0      r = 0.5, 0
 *              final_obs 3 (when the demo has final_obs)
 *   episode 2, terminated: s = 0            a = 1         r = 2
 * The network is one linear layer, theta = {W[0,0], W[1,0], b[0], b[1]}:
 *   at THETA = {1, -1, 0, 0.5}:   Q(s) = (s, 0.5 - s)
 *     Q(1) = (1, -0.5)   Q(2) = (2, -1.5)   Q(0.25) = (0.25, 0.25)
 *     Q(-1) = (-1, 1.5)  Q(0.5) = (0.5, 0)  Q(0) = (0, 0.5)  Q(3) = (3, -2.5)
 *     q_taken = 1, -1.5, 0.25, 1.5, 0.5, 0.5
 *     "same" targets: y = 2g, 1 + 0.25g, -1, 0.5 + 0.5g, 3g (final_obs), 2
 *   at BAR = {2, 0, 0, 0}:        Qbar(s) = (2s, 0), max = max(2s, 0)
 *     frozen targets: y = 4g, 1 + 0.5g, -1, 0.5 + g, 6g (final_obs), 2
 * All these numbers are exact in binary for g = 0, 0.5; the tests also use
 * g = 0.99 with a tolerance. */
static const double hand_obs[6] = {1, 2, 0.25, -1, 0.5, 0};
static const int hand_action[6] = {0, 1, 0, 1, 0, 1};
static const double hand_reward[6] = {0, 1, -1, 0.5, 0, 2};
static const double hand_zero[6] = {0};
static const double THETA[4] = {1, -1, 0, 0.5};
static const double BAR[4] = {2, 0, 0, 0};

static struct ilrl_demo *hand_demo(int with_final_obs)
{
    struct ilrl_demo *demo = ilrl_demo_alloc(6, 1, 3, 2);
    ck_assert_ptr_nonnull(demo);
    memcpy(demo->obs, hand_obs, sizeof hand_obs);
    memcpy(demo->action, hand_action, sizeof hand_action);
    memcpy(demo->reward, hand_reward, sizeof hand_reward);
    const int64_t start[3] = {0, 3, 5};
    const int length[3] = {3, 2, 1};
    const unsigned char terminated[3] = {1, 0, 1};
    for (int e = 0; e < 3; e++) {
        demo->episode_start[e] = start[e];
        demo->episode_length[e] = length[e];
        demo->terminated[e] = terminated[e];
    }
    if (with_final_obs) {
        ck_assert_int_eq(ilrl_demo_add_final_obs(demo), ILRL_OK);
        demo->final_obs[0] = 7.0;   /* episode 0 terminated: never read */
        demo->final_obs[1] = 3.0;
        demo->final_obs[2] = -9.0;  /* episode 2 terminated: never read */
    }
    ck_assert_int_eq(ilrl_demo_validate(demo, "hand"), ILRL_OK);
    return demo;
}

static struct ilrl_mlp *linear_network(void)
{
    size_t sizes[] = {1, 2};
    struct ilrl_mlp *mlp = ilrl_mlp_alloc(sizes, 2, ILRL_ACTIVATION_TANH);
    ck_assert_ptr_nonnull(mlp);
    ck_assert_uint_eq(mlp->n_params, 4);
    return mlp;
}

static struct ilrl_loss_data hand_data(void)
{
    struct ilrl_loss_data data = {6, 1, hand_obs, hand_action, hand_zero};
    return data;
}

/* L_TD at THETA from the targets y (has[t] = 0 leaves step t out). */
static double hand_td(const double y[6], const int has[6])
{
    static const double q_taken[6] = {1, -1.5, 0.25, 1.5, 0.5, 0.5};
    double sum = 0.0;
    int count = 0;
    for (int t = 0; t < 6; t++)
        if (has[t]) {
            sum += (q_taken[t] - y[t]) * (q_taken[t] - y[t]);
            count++;
        }
    return sum / count;
}

/* (1/N) sum_t [log(e^Q0 + e^Q1) - Q(s_t, a_t)] at THETA, from the table above. */
static double hand_regulariser(void)
{
    static const double q[6][2] = {{1, -0.5}, {2, -1.5}, {0.25, 0.25},
                                   {-1, 1.5}, {0.5, 0}, {0, 0.5}};
    double sum = 0.0;
    for (int t = 0; t < 6; t++)
        sum += log(exp(q[t][0]) + exp(q[t][1])) - q[t][hand_action[t]];
    return sum / 6.0;
}

START_TEST(test_plan_of_hand_episodes)
{
    struct ilrl_demo *demo = hand_demo(1);
    struct ilrl_value_plan *plan;
    ck_assert_int_eq(ilrl_value_plan_alloc(demo, 0.5, "hand", &plan), ILRL_OK);
    ck_assert_uint_eq(plan->n_steps, 6);
    ck_assert_uint_eq(plan->n_final, 1);            /* only the truncated episode */
    ck_assert_uint_eq(plan->n_targets, 6);
    ck_assert_uint_eq(plan->n_left_out, 0);
    ck_assert(plan->final_obs[0] == 3.0);
    ck_assert_int_eq(plan->target, ILRL_VALUE_TARGET_SAME);
    ck_assert_ptr_null(plan->frozen_target);
    const double discount[6] = {0.5, 0.5, 0, 0.5, 0.5, 0};
    const size_t next[4] = {1, 2, 4, 6};            /* for t = 0, 1, 3, 4 */
    const int bootstraps[6] = {1, 1, 0, 1, 1, 0};
    for (int t = 0, j = 0; t < 6; t++) {
        ck_assert_double_eq(plan->discount[t], discount[t]);
        ck_assert_double_eq(plan->reward[t], hand_reward[t]);
        ck_assert_int_eq(plan->has_target[t], 1);
        if (bootstraps[t])
            ck_assert_uint_eq(plan->next_row[t], next[j++]);
    }
    ilrl_value_plan_free(plan);
    ilrl_demo_free(demo);

    /* Without final_obs the truncated episode's last step (t = 4) is left out. */
    demo = hand_demo(0);
    ck_assert_int_eq(ilrl_value_plan_alloc(demo, 0.5, "hand", &plan), ILRL_OK);
    ck_assert_uint_eq(plan->n_final, 0);
    ck_assert_ptr_null(plan->final_obs);
    ck_assert_uint_eq(plan->n_targets, 5);
    ck_assert_uint_eq(plan->n_left_out, 1);
    ck_assert_int_eq(plan->has_target[4], 0);
    ck_assert_double_eq(plan->discount[4], 0.0);
    ilrl_value_plan_free(plan);
    ilrl_value_plan_free(NULL);
    ilrl_demo_free(demo);

    /* An all-NaN final_obs row is "unknown" (the Python writer's mark): the
     * truncated episode's last step is left out as without final_obs, and
     * terminated episodes' NaN rows are never read. */
    demo = hand_demo(1);
    demo->final_obs[0] = demo->final_obs[1] = NAN;
    ck_assert_int_eq(ilrl_demo_validate(demo, "hand"), ILRL_OK);
    ck_assert_int_eq(ilrl_value_plan_alloc(demo, 0.5, "hand", &plan), ILRL_OK);
    ck_assert_uint_eq(plan->n_final, 0);
    ck_assert_uint_eq(plan->n_targets, 5);
    ck_assert_int_eq(plan->has_target[4], 0);
    ilrl_value_plan_free(plan);
    ilrl_demo_free(demo);
}
END_TEST

START_TEST(test_plan_refusals)
{
    struct ilrl_demo *demo = hand_demo(0);
    struct ilrl_value_plan dummy, *plan = &dummy;   /* must become NULL */
    ck_assert_int_eq(ilrl_value_plan_alloc(demo, NAN, "hand", &plan), ILRL_EUSAGE);
    ck_assert_ptr_null(plan);
    ck_assert_ptr_nonnull(strstr(ilrl_error_message(), "--gamma"));
    ck_assert_int_eq(ilrl_value_plan_alloc(demo, -0.5, "hand", &plan), ILRL_EUSAGE);
    ilrl_demo_free(demo);

    /* Two truncated one-step episodes and no final_obs: no target at all. */
    demo = ilrl_demo_alloc(2, 1, 2, 2);
    demo->episode_start[1] = 1;
    demo->episode_length[0] = demo->episode_length[1] = 1;
    ck_assert_int_eq(ilrl_demo_validate(demo, "two.nc"), ILRL_OK);
    ck_assert_int_eq(ilrl_value_plan_alloc(demo, 0.99, "two.nc", &plan), ILRL_EINPUT);
    ck_assert_ptr_null(plan);
    ck_assert_str_eq(ilrl_error_message(), "two.nc: no step has a TD target (every "
                     "episode is one truncated step and there is no final_obs)");
    /* With final_obs both steps bootstrap from it. */
    ck_assert_int_eq(ilrl_demo_add_final_obs(demo), ILRL_OK);
    ck_assert_int_eq(ilrl_value_plan_alloc(demo, 0.99, "two.nc", &plan), ILRL_OK);
    ck_assert_uint_eq(plan->n_targets, 2);
    ck_assert_uint_eq(plan->n_final, 2);
    ck_assert_uint_eq(plan->next_row[0], 2);
    ck_assert_uint_eq(plan->next_row[1], 3);
    ilrl_value_plan_free(plan);
    ilrl_demo_free(demo);
}
END_TEST

START_TEST(test_target_names)
{
    enum ilrl_value_target target;
    ck_assert_int_eq(ilrl_value_target_parse("frozen", &target), ILRL_OK);
    ck_assert_int_eq(target, ILRL_VALUE_TARGET_FROZEN);
    ck_assert_str_eq(ilrl_value_target_name(target), "frozen");
    ck_assert_int_eq(ilrl_value_target_parse("same", &target), ILRL_OK);
    ck_assert_int_eq(target, ILRL_VALUE_TARGET_SAME);
    ck_assert_str_eq(ilrl_value_target_name(target), "same");
    const char *bad[] = {"", "Same", "frozen ", "theta0"};
    for (int i = 0; i < 4; i++) {
        ck_assert_int_eq(ilrl_value_target_parse(bad[i], &target), ILRL_EUSAGE);
        ck_assert_ptr_nonnull(strstr(ilrl_error_message(), "--td-target"));
    }
}
END_TEST

/* L_TD and L_CQL of the hand demo for both targets, with and without
 * final_obs, at gamma 0, 0.5 and 0.99. */
START_TEST(test_closed_forms)
{
    struct ilrl_mlp *mlp = linear_network();
    const struct ilrl_loss_data data = hand_data();
    const double gammas[3] = {0.0, 0.5, 0.99};
    const double regulariser = hand_regulariser();
    for (int with_final = 0; with_final <= 1; with_final++)
        for (int gi = 0; gi < 3; gi++) {
            const double g = gammas[gi];
            struct ilrl_demo *demo = hand_demo(with_final);
            struct ilrl_value_plan *plan;
            ck_assert_int_eq(ilrl_value_plan_alloc(demo, g, "hand", &plan), ILRL_OK);
            struct ilrl_value_work *work = ilrl_value_work_alloc(mlp, 6, plan->n_final);
            const int has[6] = {1, 1, 1, 1, with_final, 1};
            const double same[6] = {2 * g, 1 + 0.25 * g, -1, 0.5 + 0.5 * g, 3 * g, 2};
            const double frozen[6] = {4 * g, 1 + 0.5 * g, -1, 0.5 + g, 6 * g, 2};
            double td, cql;

            ilrl_value_loss_eval(mlp, THETA, &data, plan, 1.0, work, &td, &cql, NULL, NULL);
            ck_assert_double_eq_tol(td, hand_td(same, has), 1e-14);
            ck_assert_double_eq_tol(cql, hand_td(same, has) + regulariser, 1e-14);
            ilrl_value_loss_eval(mlp, THETA, &data, plan, 2.5, work, NULL, &cql, NULL, NULL);
            ck_assert_double_eq_tol(cql, hand_td(same, has) + 2.5 * regulariser, 1e-14);

            ck_assert_int_eq(ilrl_value_plan_freeze(plan, mlp, BAR, &data, work), ILRL_OK);
            ck_assert_int_eq(plan->target, ILRL_VALUE_TARGET_FROZEN);
            for (int t = 0; t < 6; t++)
                ck_assert_double_eq_tol(plan->frozen_target[t], has[t] ? frozen[t] : 0.0,
                                        1e-15);
            ilrl_value_loss_eval(mlp, THETA, &data, plan, 1.0, work, &td, &cql, NULL, NULL);
            ck_assert_double_eq_tol(td, hand_td(frozen, has), 1e-14);
            ck_assert_double_eq_tol(cql, hand_td(frozen, has) + regulariser, 1e-14);
            /* gamma 0: the target is the reward whatever theta_bar is. */
            if (g == 0.0)
                ck_assert_double_eq(hand_td(frozen, has), hand_td(same, has));

            ilrl_value_work_free(work);
            ilrl_value_plan_free(plan);
            ilrl_demo_free(demo);
        }
    /* The regulariser's closed form is L_IL of loss.c on the same outputs. */
    struct ilrl_loss_work *loss_work = ilrl_loss_work_alloc(mlp, 6);
    double il;
    ilrl_loss_eval(mlp, THETA, &data, loss_work, &il, NULL, NULL, NULL);
    ck_assert_double_eq_tol(il, regulariser, 1e-15);
    ilrl_loss_work_free(loss_work);
    ilrl_value_work_free(NULL);
    ilrl_mlp_free(mlp);
}
END_TEST

/* The outputs-based contract a plane evaluator follows, on the hand demo:
 * rows, targets and the loss from rows already computed. */
START_TEST(test_loss_from_given_rows)
{
    struct ilrl_demo *demo = hand_demo(1);
    struct ilrl_value_plan *plan;
    ck_assert_int_eq(ilrl_value_plan_alloc(demo, 0.5, "hand", &plan), ILRL_OK);
    /* Q at THETA for the 6 sample rows, then the final row Q(3). */
    const double outputs[7 * 2] = {1, -0.5, 2, -1.5, 0.25, 0.25, -1, 1.5,
                                   0.5, 0, 0, 0.5, 3, -2.5};
    double q_taken[6], q_max[7], y[6];
    ilrl_value_rows(outputs, 6, 2, hand_action, q_taken, q_max);
    ilrl_value_rows(outputs + 12, 1, 2, NULL, NULL, q_max + 6);
    const double expected_taken[6] = {1, -1.5, 0.25, 1.5, 0.5, 0.5};
    const double expected_max[7] = {1, 2, 0.25, 1.5, 0.5, 0.5, 3};
    for (int t = 0; t < 6; t++)
        ck_assert_double_eq(q_taken[t], expected_taken[t]);
    for (int r = 0; r < 7; r++)
        ck_assert_double_eq(q_max[r], expected_max[r]);
    ilrl_value_targets(plan, q_max, y);
    const double expected_y[6] = {1, 1.125, -1, 0.75, 1.5, 2};
    for (int t = 0; t < 6; t++)
        ck_assert_double_eq(y[t], expected_y[t]);
    const int all[6] = {1, 1, 1, 1, 1, 1};
    ck_assert_double_eq(ilrl_value_td_loss(plan, q_taken, y), hand_td(expected_y, all));
    /* Block by block (2 + 3 + 1 steps): the same sum. */
    double sum = 0.0;
    ilrl_value_td_accumulate(plan, 0, 2, q_taken, y, &sum);
    ilrl_value_td_accumulate(plan, 2, 3, q_taken + 2, y + 2, &sum);
    ilrl_value_td_accumulate(plan, 5, 1, q_taken + 5, y + 5, &sum);
    ck_assert_double_eq(sum / 6.0, hand_td(expected_y, all));

    /* A terminated step never reads q_max, even an infinite one. */
    q_max[3] = INFINITY;    /* row 3 is s' of step 2, which terminated */
    q_max[5] = NAN;         /* row 5 is nobody's s' */
    q_max[0] = NAN;         /* row 0 neither */
    ilrl_value_targets(plan, q_max, y);
    ck_assert_double_eq(y[2], -1.0);
    ck_assert_double_eq(y[5], 2.0);
    ck_assert_double_eq(y[4], 1.5);     /* from row 6, the final observation */
    ilrl_value_plan_free(plan);
    ilrl_demo_free(demo);
}
END_TEST

/* ---- random demos: second code path, L_IL, gradients ------------------------------ */

/* N steps in episodes of 1..max_length steps, alternately terminated and
 * truncated; final_obs when asked.  Rewards 0.1, 1 or -1 at a crash. */
static struct ilrl_demo *random_demo(size_t N, size_t D, int K, int max_length,
                                     int with_final_obs, unsigned long seed)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, seed);
    size_t E = 0, lengths[4096];
    for (size_t t = 0; t < N; E++) {
        size_t length = 1 + gsl_rng_uniform_int(rng, (unsigned long)max_length);
        lengths[E] = length < N - t ? length : N - t;
        t += lengths[E];
    }
    struct ilrl_demo *demo = ilrl_demo_alloc(N, D, E, K);
    ck_assert_ptr_nonnull(demo);
    for (size_t i = 0; i < N * D; i++)
        demo->obs[i] = -2.0 + 4.0 * gsl_rng_uniform(rng);
    for (size_t t = 0; t < N; t++) {
        demo->action[t] = (int)gsl_rng_uniform_int(rng, (unsigned long)K);
        demo->reward[t] = gsl_rng_uniform(rng) < 0.2 ? 1.0 : 0.1;
    }
    for (size_t e = 0, t = 0; e < E; t += lengths[e], e++) {
        demo->episode_start[e] = (int64_t)t;
        demo->episode_length[e] = (int)lengths[e];
        demo->terminated[e] = (unsigned char)(e % 2);
        if (demo->terminated[e])
            demo->reward[t + lengths[e] - 1] = -1.0;
    }
    if (with_final_obs) {
        ck_assert_int_eq(ilrl_demo_add_final_obs(demo), ILRL_OK);
        for (size_t i = 0; i < E * D; i++)
            demo->final_obs[i] = -2.0 + 4.0 * gsl_rng_uniform(rng);
    }
    gsl_rng_free(rng);
    ck_assert_int_eq(ilrl_demo_validate(demo, "random"), ILRL_OK);
    return demo;
}

static struct ilrl_mlp *network(const char *layers, enum ilrl_activation activation)
{
    size_t *sizes, n_sizes;
    ck_assert_int_eq(ilrl_mlp_parse_layers(layers, &sizes, &n_sizes), ILRL_OK);
    struct ilrl_mlp *mlp = ilrl_mlp_alloc(sizes, n_sizes, activation);
    free(sizes);
    ck_assert_ptr_nonnull(mlp);
    return mlp;
}

/* theta0 from the project's initialisation, theta = theta0 + 0.3 u, u a
 * fixed pseudo-random direction, so theta and theta0 differ everywhere. */
static void two_points(const struct ilrl_mlp *mlp, double *theta0, double *theta)
{
    ck_assert_int_eq(ilrl_mlp_init(mlp, 7, theta0), ILRL_OK);
    for (size_t k = 0; k < mlp->n_params; k++)
        theta[k] = theta0[k] + 0.3 * sin(1.7 * (double)k + 0.4);
}

/* The second code path: L_TD straight from the definitions, one sample at
 * a time with ilrl_mlp_forward_one, reading the demo (not the plan).
 * theta_bar is the target's parameters (theta itself for "same"). */
static double td_by_definition(const struct ilrl_mlp *mlp, const double *theta,
                               const double *theta_bar, const struct ilrl_demo *demo,
                               double gamma, size_t *n_left_out)
{
    const size_t D = demo->n_features, K = (size_t)demo->n_actions;
    struct ilrl_mlp_work *work = ilrl_mlp_work_alloc(mlp, 1);
    double q[16], q_next[16], sum = 0.0;
    size_t count = 0;
    *n_left_out = 0;
    for (size_t e = 0; e < demo->n_episodes; e++) {
        size_t begin = (size_t)demo->episode_start[e];
        size_t end = begin + (size_t)demo->episode_length[e];
        for (size_t t = begin; t < end; t++) {
            const double *next;
            if (t + 1 < end)
                next = demo->obs + (t + 1) * D;
            else if (demo->terminated[e])
                next = NULL;
            else if (demo->final_obs != NULL)
                next = demo->final_obs + e * D;
            else {
                (*n_left_out)++;
                continue;
            }
            double y = demo->reward[t];
            if (next != NULL) {
                ilrl_mlp_forward_one(mlp, theta_bar, next, q_next, work);
                double max = -INFINITY;
                for (size_t a = 0; a < K; a++)
                    max = fmax(max, q_next[a]);
                y += gamma * max;
            }
            ilrl_mlp_forward_one(mlp, theta, demo->obs + t * D, q, work);
            sum += (q[demo->action[t]] - y) * (q[demo->action[t]] - y);
            count++;
        }
    }
    ilrl_mlp_work_free(work);
    return sum / (double)count;
}

/* The CQL regulariser by its definition, one sample at a time. */
static double regulariser_by_definition(const struct ilrl_mlp *mlp, const double *theta,
                                        const struct ilrl_demo *demo)
{
    const size_t D = demo->n_features;
    struct ilrl_mlp_work *work = ilrl_mlp_work_alloc(mlp, 1);
    double q[16], sum = 0.0;
    for (size_t t = 0; t < demo->n_steps; t++) {
        ilrl_mlp_forward_one(mlp, theta, demo->obs + t * D, q, work);
        sum += ilrl_log_softmax(q, (size_t)demo->n_actions, NULL) - q[demo->action[t]];
    }
    ilrl_mlp_work_free(work);
    return sum / (double)demo->n_steps;
}

static struct ilrl_loss_data demo_data(const struct ilrl_demo *demo, double *zeros)
{
    struct ilrl_loss_data data = {demo->n_steps, demo->n_features, demo->obs,
                                  demo->action, zeros};
    return data;
}

/* The streaming contract of the frozen target, as a plane evaluator
 * follows it: outputs in blocks of uneven sizes (97 rows, crossing every
 * episode and 256-row boundary differently), a pick per row, one running sum;
 * no per-step storage. */
static double streamed_frozen_td(const struct ilrl_mlp *mlp, const double *theta,
                                 const struct ilrl_loss_data *data,
                                 const struct ilrl_value_plan *plan)
{
    const size_t block = 97, N = data->n_steps, D = data->n_features;
    const size_t K = mlp->sizes[mlp->n_layers];
    struct ilrl_mlp_work *work = ilrl_mlp_work_alloc(mlp, block);
    double q_taken[97], sum = 0.0;
    for (size_t start = 0; start < N; start += block) {
        size_t n = N - start < block ? N - start : block;
        const double *outputs = ilrl_mlp_forward(mlp, theta, data->obs + start * D, n,
                                                 work);
        ilrl_value_rows(outputs, n, K, data->action + start, q_taken, NULL);
        ilrl_value_td_accumulate(plan, start, n, q_taken, plan->frozen_target + start,
                                 &sum);
    }
    ilrl_mlp_work_free(work);
    return sum / (double)plan->n_targets;
}

/* 700 steps (two blocks of 256 rows and a partial one), episodes of up to
 * 40 steps, K = 3, tanh and relu, with and without final_obs, both targets.
 * Measured: L_TD against the per-sample path within 2.1e-16 relative (the
 * bound is 1e-12); (L_CQL - L_TD) / alpha equal to ilrl_loss_eval's L_IL to
 * the bit; the regulariser's definition (libm exp/log, another summation
 * order) within 1.8e-15 of L_IL ~ 1.1. */
START_TEST(test_second_code_path_and_il)
{
    const size_t N = 700, D = 3;
    for (int activation = 0; activation <= 1; activation++)
        for (int with_final = 0; with_final <= 1; with_final++) {
            struct ilrl_mlp *mlp = network("3,6,5,3", (enum ilrl_activation)activation);
            struct ilrl_demo *demo = random_demo(N, D, 3, 40, with_final,
                                                 11 + (unsigned long)with_final);
            double *zeros = calloc(N, sizeof *zeros);
            double *theta0 = malloc(mlp->n_params * sizeof *theta0);
            double *theta = malloc(mlp->n_params * sizeof *theta);
            two_points(mlp, theta0, theta);
            struct ilrl_loss_data data = demo_data(demo, zeros);
            ck_assert_int_eq(ilrl_loss_data_check(mlp, &data), ILRL_OK);
            struct ilrl_value_plan *plan;
            ck_assert_int_eq(ilrl_value_plan_alloc(demo, 0.99, "random", &plan), ILRL_OK);
            struct ilrl_value_work *work = ilrl_value_work_alloc(mlp, N, plan->n_final);
            struct ilrl_loss_work *loss_work = ilrl_loss_work_alloc(mlp, N);
            size_t left_out;
            double td, cql, il;

            /* "same" */
            ilrl_value_loss_eval(mlp, theta, &data, plan, 3.0, work, &td, &cql, NULL, NULL);
            double expected = td_by_definition(mlp, theta, theta, demo, 0.99, &left_out);
            ck_assert_uint_eq(plan->n_left_out, left_out);
            ck_assert_uint_eq(left_out > 0, !with_final);
            ck_assert_msg(fabs(td - expected) <= 1e-12 * expected,
                          "same: %.17g vs %.17g", td, expected);

            /* The regulariser is L_IL: to 1e-15 against ilrl_loss_eval, and
             * against its own definition to rounding. */
            ilrl_loss_eval(mlp, theta, &data, loss_work, &il, NULL, NULL, NULL);
            double regulariser = (cql - td) / 3.0;
            ck_assert_msg(fabs(regulariser - il) <= 1e-15 * (1.0 + fabs(td) / 3.0),
                          "CQL regulariser %.17g vs L_IL %.17g", regulariser, il);
            double defined = regulariser_by_definition(mlp, theta, demo);
            ck_assert_msg(fabs(defined - il) <= 1e-13 * il, "%.17g vs %.17g", defined, il);

            /* "frozen" at theta0, evaluated away from it */
            ck_assert_int_eq(ilrl_value_plan_freeze(plan, mlp, theta0, &data, work), ILRL_OK);
            ilrl_value_loss_eval(mlp, theta, &data, plan, 3.0, work, &td, &cql, NULL, NULL);
            expected = td_by_definition(mlp, theta, theta0, demo, 0.99, &left_out);
            ck_assert_msg(fabs(td - expected) <= 1e-12 * expected,
                          "frozen: %.17g vs %.17g", td, expected);
            /* Not bitwise: dgemm on 97 rows need not round like on 256. */
            double streamed = streamed_frozen_td(mlp, theta, &data, plan);
            ck_assert_msg(fabs(td - streamed) <= 1e-14 * td, "streamed: %.17g vs %.17g",
                          streamed, td);
            /* The frozen plan agrees with "same" at theta0 itself, bit for bit
             * (same rows, same sum). */
            double td_frozen_at_0, td_same_at_0;
            ilrl_value_loss_eval(mlp, theta0, &data, plan, 1.0, work, &td_frozen_at_0,
                                 NULL, NULL, NULL);
            struct ilrl_value_plan *same_plan;
            ck_assert_int_eq(ilrl_value_plan_alloc(demo, 0.99, "random", &same_plan),
                             ILRL_OK);
            ilrl_value_loss_eval(mlp, theta0, &data, same_plan, 1.0, work, &td_same_at_0,
                                 NULL, NULL, NULL);
            ck_assert(td_frozen_at_0 == td_same_at_0);

            ilrl_value_plan_free(same_plan);
            ilrl_loss_work_free(loss_work);
            ilrl_value_work_free(work);
            ilrl_value_plan_free(plan);
            free(theta);
            free(theta0);
            free(zeros);
            ilrl_demo_free(demo);
            ilrl_mlp_free(mlp);
        }
}
END_TEST

/* Fourth-order central differences, as in check_loss.c (whose comment has
 * the measurements behind the step and the tolerance):
 *   fd = (L(-2h) - 8 L(-h) + 8 L(h) - L(2h)) / 12h,  h = 1e-3 (1 + |theta_k|),
 * tanh network only (relu's kinks make a stencil meaningless), an entry
 * passing when |g - fd| <= 1e-6 max(|g|, |fd|, 1e-3).  Measured worst:
 * 1.5e-10 (without final_obs) and 5.7e-10 (with); the full derivative of
 * the "same" loss differs from its semi-gradient by up to 2.0. */
static double fd_worst(const struct ilrl_mlp *mlp, const double *theta_at,
                       const struct ilrl_loss_data *data,
                       const struct ilrl_value_plan *frozen, double alpha,
                       struct ilrl_value_work *work, const double *grad_td,
                       const double *grad_cql, const char *what)
{
    const size_t P = mlp->n_params;
    double *theta = malloc(P * sizeof *theta), worst = 0.0;
    memcpy(theta, theta_at, P * sizeof *theta);
    for (size_t k = 0; k < P; k++) {
        static const double multiple[4] = {-2.0, -1.0, 1.0, 2.0};
        double h = 1e-3 * (1.0 + fabs(theta_at[k])), td[4], cql[4];
        for (int j = 0; j < 4; j++) {
            theta[k] = theta_at[k] + multiple[j] * h;
            ilrl_value_loss_eval(mlp, theta, data, frozen, alpha, work, &td[j], &cql[j],
                                 NULL, NULL);
        }
        theta[k] = theta_at[k];
        double fd[2] = {(td[0] - 8.0 * td[1] + 8.0 * td[2] - td[3]) / (12.0 * h),
                        (cql[0] - 8.0 * cql[1] + 8.0 * cql[2] - cql[3]) / (12.0 * h)};
        double g[2] = {grad_td[k], grad_cql[k]};
        for (int which = 0; which < 2; which++) {
            double scale = fmax(fmax(fabs(g[which]), fabs(fd[which])), 1e-3);
            double error = fabs(g[which] - fd[which]) / scale;
            char name[64];
            ilrl_mlp_param_name(mlp, k, name, sizeof name);
            ck_assert_msg(error <= 1e-6, "%s: d%s/d%s = %.12g by backprop, %.12g by FD "
                          "(rel. error %.3g)", what, which ? "L_CQL" : "L_TD", name,
                          g[which], fd[which], error);
            worst = fmax(worst, error);
        }
    }
    free(theta);
    return worst;
}

START_TEST(test_gradients_against_finite_differences)
{
    const size_t N = 300;   /* two blocks */
    for (int with_final = 0; with_final <= 1; with_final++) {
        struct ilrl_mlp *mlp = network("3,5,4,3", ILRL_ACTIVATION_TANH);
        struct ilrl_demo *demo = random_demo(N, 3, 3, 25, with_final, 5);
        const size_t P = mlp->n_params;
        double *zeros = calloc(N, sizeof *zeros);
        double *theta0 = malloc(P * sizeof *theta0), *theta = malloc(P * sizeof *theta);
        double *grad_td = malloc(P * sizeof *grad_td), *grad_cql = malloc(P * sizeof *grad_cql);
        double *grad_check = malloc(P * sizeof *grad_check);
        two_points(mlp, theta0, theta);
        struct ilrl_loss_data data = demo_data(demo, zeros);
        struct ilrl_value_plan *same, *frozen, *held;
        ck_assert_int_eq(ilrl_value_plan_alloc(demo, 0.99, "random", &same), ILRL_OK);
        ck_assert_int_eq(ilrl_value_plan_alloc(demo, 0.99, "random", &frozen), ILRL_OK);
        ck_assert_int_eq(ilrl_value_plan_alloc(demo, 0.99, "random", &held), ILRL_OK);
        struct ilrl_value_work *work = ilrl_value_work_alloc(mlp, N, same->n_final);
        const double alpha = 0.7;
        double td, cql, td_grad_path, cql_grad_path;

        /* Frozen at theta0, gradients at theta. */
        ck_assert_int_eq(ilrl_value_plan_freeze(frozen, mlp, theta0, &data, work), ILRL_OK);
        ilrl_value_loss_eval(mlp, theta, &data, frozen, alpha, work, &td, &cql, NULL, NULL);
        ilrl_value_loss_eval(mlp, theta, &data, frozen, alpha, work, &td_grad_path,
                             &cql_grad_path, grad_td, grad_cql);
        ck_assert(td == td_grad_path && cql == cql_grad_path);
        ilrl_value_loss_eval(mlp, theta, &data, frozen, alpha, work, NULL, NULL, NULL,
                             grad_check);
        ck_assert_int_eq(memcmp(grad_check, grad_cql, P * sizeof *grad_cql), 0);
        double worst = fd_worst(mlp, theta, &data, frozen, alpha, work, grad_td, grad_cql,
                                "frozen");

        /* "Same" at theta: the semi-gradient is the gradient with the target
         * held fixed at theta's own targets, i.e. of the plan frozen at theta. */
        ck_assert_int_eq(ilrl_value_plan_freeze(held, mlp, theta, &data, work), ILRL_OK);
        ilrl_value_loss_eval(mlp, theta, &data, same, alpha, work, NULL, NULL, grad_td,
                             grad_cql);
        ilrl_value_loss_eval(mlp, theta, &data, held, alpha, work, NULL, NULL, grad_check,
                             NULL);
        for (size_t k = 0; k < P; k++)
            ck_assert_double_eq(grad_check[k], grad_td[k]);
        worst = fmax(worst, fd_worst(mlp, theta, &data, held, alpha, work, grad_td,
                                     grad_cql, "same"));

        /* ... and not the full gradient of the "same" loss, whose target
         * moves with theta: the semi-gradient must differ from its FD. */
        double differs = 0.0;
        for (size_t k = 0; k < P; k++) {
            double h = 1e-5, up, down;
            double *shifted = malloc(P * sizeof *shifted);
            memcpy(shifted, theta, P * sizeof *shifted);
            shifted[k] += h;
            ilrl_value_loss_eval(mlp, shifted, &data, same, alpha, work, &up, NULL, NULL, NULL);
            shifted[k] -= 2 * h;
            ilrl_value_loss_eval(mlp, shifted, &data, same, alpha, work, &down, NULL, NULL,
                                 NULL);
            free(shifted);
            differs = fmax(differs, fabs((up - down) / (2 * h) - grad_td[k]));
        }
        ck_assert_msg(differs > 1e-3, "semi-gradient equals the full gradient (%g)",
                      differs);
        ck_assert_msg(worst < 1e-6, "worst %g", worst);

        ilrl_value_work_free(work);
        ilrl_value_plan_free(same);
        ilrl_value_plan_free(frozen);
        ilrl_value_plan_free(held);
        free(grad_check);
        free(grad_cql);
        free(grad_td);
        free(theta);
        free(theta0);
        free(zeros);
        ilrl_demo_free(demo);
        ilrl_mlp_free(mlp);
    }
}
END_TEST

/* By hand, the linear network: dL_TD/dQ(s_t, a_t) = 2 (Q - y_t) / N', and
 * dQ(s, a)/dW[a,0] = s, dQ(s, a)/db[a] = 1. */
START_TEST(test_gradient_by_hand)
{
    struct ilrl_mlp *mlp = linear_network();
    const struct ilrl_loss_data data = hand_data();
    struct ilrl_demo *demo = hand_demo(0);
    struct ilrl_value_plan *plan;
    ck_assert_int_eq(ilrl_value_plan_alloc(demo, 0.5, "hand", &plan), ILRL_OK);
    struct ilrl_value_work *work = ilrl_value_work_alloc(mlp, 6, 0);
    double grad[4], expected[4] = {0};
    ilrl_value_loss_eval(mlp, THETA, &data, plan, 1.0, work, NULL, NULL, grad, NULL);
    const double q_taken[6] = {1, -1.5, 0.25, 1.5, 0.5, 0.5};
    const double y[6] = {1, 1.125, -1, 0.75, 0, 2};   /* gamma 0.5, step 4 left out */
    for (int t = 0; t < 6; t++) {
        if (t == 4)
            continue;
        double d = 2.0 * (q_taken[t] - y[t]) / 5.0;
        expected[hand_action[t]] += d * hand_obs[t];   /* W[a, 0] */
        expected[2 + hand_action[t]] += d;             /* b[a] */
    }
    for (int k = 0; k < 4; k++)
        ck_assert_double_eq_tol(grad[k], expected[k], 1e-15);
    ilrl_value_work_free(work);
    ilrl_value_plan_free(plan);
    ilrl_demo_free(demo);
    ilrl_mlp_free(mlp);
}
END_TEST

Suite *value_loss_suite(void)
{
    Suite *suite = suite_create("value_loss");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_plan_of_hand_episodes);
    tcase_add_test(tc, test_plan_refusals);
    tcase_add_test(tc, test_target_names);
    tcase_add_test(tc, test_closed_forms);
    tcase_add_test(tc, test_loss_from_given_rows);
    tcase_add_test(tc, test_second_code_path_and_il);
    tcase_add_test(tc, test_gradient_by_hand);
    tcase_add_test(tc, test_gradients_against_finite_differences);
    suite_add_tcase(suite, tc);
    return suite;
}
