/* check_policy_gradient.c -- REINFORCE and PPO gradients (advantages held
 * fixed, steps inside and outside the clip range) and the retention term
 * against central finite differences; PPO's zero-gradient region; PPO at
 * the sampling policy = REINFORCE; per-episode parts reduced in order are
 * bit-identical; parts over index lists (PPO minibatches); returns-to-go
 * advantages by hand. */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <gsl/gsl_rng.h>

#include "ilrl/bc.h"
#include "ilrl/error.h"
#include "ilrl/loss.h"
#include "ilrl/mlp.h"
#include "ilrl/policy_gradient.h"

/* ---- advantages ---------------------------------------------------------- */

START_TEST(test_advantages_by_hand)
{
    /* Episodes [1, 0, -1] and [0.5, 0.5], gamma = 0.5:
     * G = [1 + 0.5 (0 + 0.5 (-1)), 0 + 0.5 (-1), -1, 0.5 + 0.5 0.5, 0.5]
     *   = [0.75, -0.5, -1, 0.75, 0.5]; mean 0.1;
     * A = [0.65, -0.6, -1.1, 0.65, 0.4]; population std = sqrt(2.575 / 5). */
    const size_t length[] = {3, 2};
    const double reward[] = {1, 0, -1, 0.5, 0.5};
    const double centred[] = {0.65, -0.6, -1.1, 0.65, 0.4};
    double a[5];
    ilrl_pg_advantages(2, length, reward, 0.5, 0, a);
    for (int t = 0; t < 5; t++)
        ck_assert_double_eq_tol(a[t], centred[t], 1e-15);
    ilrl_pg_advantages(2, length, reward, 0.5, 1, a);
    double std = sqrt(2.575 / 5.0);
    for (int t = 0; t < 5; t++)
        ck_assert_double_eq_tol(a[t], centred[t] / std, 1e-15);

    /* gamma = 1: plain sums [0, -1, -1, 1, 0.5], mean -0.1. */
    const double summed[] = {0.1, -0.9, -0.9, 1.1, 0.6};
    ilrl_pg_advantages(2, length, reward, 1.0, 0, a);
    for (int t = 0; t < 5; t++)
        ck_assert_double_eq_tol(a[t], summed[t], 1e-15);

    /* Equal returns: std 0, every advantage 0 (normalised or not); in place. */
    const size_t one[] = {4};
    double same[] = {2, 2, 2, 2};
    ilrl_pg_advantages(1, one, same, 0.0, 1, same);
    for (int t = 0; t < 4; t++)
        ck_assert_double_eq(same[t], 0.0);
}
END_TEST

/* ---- objectives ------------------------------------------------------------ */

/* A small network (K = 3, the general softmax path) and a batch of steps. */
struct batch {
    struct ilrl_mlp *mlp;
    double *theta;
    size_t n, n_episodes;
    size_t length[3];
    double *obs, *advantage, *old_log_prob;
    int *action;
    struct ilrl_pg_steps steps;
    struct ilrl_pg_work *work;
};

static struct batch make_batch(const size_t *sizes, size_t n_sizes,
                               const size_t *length, size_t n_episodes,
                               unsigned long seed)
{
    struct batch b;
    memset(&b, 0, sizeof b);
    b.mlp = ilrl_mlp_alloc(sizes, n_sizes, ILRL_ACTIVATION_TANH);
    ck_assert_ptr_nonnull(b.mlp);
    b.theta = malloc(b.mlp->n_params * sizeof(double));
    ilrl_mlp_init(b.mlp, seed, b.theta);
    b.n_episodes = n_episodes;
    for (size_t e = 0; e < n_episodes; e++) {
        b.length[e] = length[e];
        b.n += length[e];
    }
    size_t D = sizes[0], K = sizes[n_sizes - 1];
    b.obs = malloc(b.n * D * sizeof(double));
    b.advantage = malloc(b.n * sizeof(double));
    b.old_log_prob = malloc(b.n * sizeof(double));
    b.action = malloc(b.n * sizeof(int));
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, seed + 77);
    for (size_t i = 0; i < b.n * D; i++)
        b.obs[i] = -1.5 + 3.0 * gsl_rng_uniform(rng);
    for (size_t t = 0; t < b.n; t++) {
        b.action[t] = (int)gsl_rng_uniform_int(rng, K);
        b.advantage[t] = -2.0 + 4.0 * gsl_rng_uniform(rng);
    }
    gsl_rng_free(rng);
    b.work = ilrl_pg_work_alloc(b.mlp);
    ck_assert_ptr_nonnull(b.work);
    b.steps = (struct ilrl_pg_steps){b.n, D, b.obs, b.action, b.advantage,
                                     b.old_log_prob};
    return b;
}

static void free_batch(struct batch *b)
{
    ilrl_pg_work_free(b->work);
    ilrl_mlp_free(b->mlp);
    free(b->theta);
    free(b->obs);
    free(b->advantage);
    free(b->old_log_prob);
    free(b->action);
}

/* old log-probs so that r_t = ratio[t mod n_ratios] at the current theta. */
static void set_ratios(struct batch *b, const double *ratio, size_t n_ratios)
{
    ilrl_pg_log_prob(b->mlp, b->theta, b->obs, b->action, b->n, b->work,
                     b->old_log_prob);
    for (size_t t = 0; t < b->n; t++)
        b->old_log_prob[t] -= log(ratio[t % n_ratios]);
}

/* The objective (plus coefficient * L_IL of the same steps when
 * coefficient != 0) at theta, for finite differences. */
static double objective_at(struct batch *b, struct ilrl_pg_objective_spec spec,
                           const double *theta, double coefficient,
                           struct ilrl_loss_work *lw, const double *ones)
{
    double value;
    double *g = malloc(b->mlp->n_params * sizeof(double));
    ilrl_pg_objective(b->mlp, theta, spec, &b->steps, b->n_episodes, b->length,
                      b->work, &value, g);
    free(g);
    if (coefficient != 0.0) {
        struct ilrl_loss_data data = {b->n, b->steps.n_features, b->obs, b->action, ones};
        double il;
        ilrl_loss_eval(b->mlp, theta, &data, lw, &il, NULL, NULL, NULL);
        value += coefficient * il;
    }
    return value;
}

/* Largest |analytic - central difference| over max |analytic|. */
static double finite_difference_error(struct batch *b,
                                      struct ilrl_pg_objective_spec spec,
                                      const double *grad, double coefficient)
{
    const size_t P = b->mlp->n_params;
    const double h = 1e-5;
    double *theta = malloc(P * sizeof(double));
    double *ones = malloc(b->n * sizeof(double));
    for (size_t t = 0; t < b->n; t++)
        ones[t] = 1.0;
    struct ilrl_loss_work *lw = ilrl_loss_work_alloc(b->mlp, b->n);
    memcpy(theta, b->theta, P * sizeof(double));
    double worst = 0.0, scale = 0.0;
    for (size_t k = 0; k < P; k++) {
        theta[k] = b->theta[k] + h;
        double up = objective_at(b, spec, theta, coefficient, lw, ones);
        theta[k] = b->theta[k] - h;
        double down = objective_at(b, spec, theta, coefficient, lw, ones);
        theta[k] = b->theta[k];
        double fd = (up - down) / (2.0 * h);
        worst = fmax(worst, fabs(fd - grad[k]));
        scale = fmax(scale, fabs(grad[k]));
    }
    ck_assert(scale > 1e-3);
    ilrl_loss_work_free(lw);
    free(theta);
    free(ones);
    return worst / scale;
}

static const size_t small_sizes[] = {4, 6, 5, 3};
/* Three episodes, the second longer than one ILRL_PG_BLOCK. */
static const size_t long_lengths[] = {7, 300, 13};

START_TEST(test_reinforce_gradient_finite_differences)
{
    struct batch b = make_batch(small_sizes, 4, long_lengths, 3, 3);
    struct ilrl_pg_objective_spec spec = {ILRL_PG_REINFORCE, 0.0};
    double *g = malloc(b.mlp->n_params * sizeof(double)), value;
    ilrl_pg_objective(b.mlp, b.theta, spec, &b.steps, 3, b.length, b.work, &value, g);
    double err = finite_difference_error(&b, spec, g, 0.0);
    ck_assert_msg(err < 1e-7, "REINFORCE: relative error %g", err);

    /* Its value against loss.c's L_RL with w = A (same definition). */
    struct ilrl_loss_data data = {b.n, 4, b.obs, b.action, b.advantage};
    struct ilrl_loss_work *lw = ilrl_loss_work_alloc(b.mlp, b.n);
    double rl, *g_rl = malloc(b.mlp->n_params * sizeof(double));
    ilrl_loss_eval(b.mlp, b.theta, &data, lw, NULL, &rl, NULL, g_rl);
    ck_assert_double_eq_tol(value, rl, 1e-13);
    for (size_t k = 0; k < b.mlp->n_params; k++)
        ck_assert_double_eq_tol(g[k], g_rl[k], 1e-13);
    ilrl_loss_work_free(lw);
    free(g_rl);
    free(g);
    free_batch(&b);
}
END_TEST

START_TEST(test_ppo_gradient_finite_differences)
{
    /* Ratios below, inside and above [0.8, 1.2], advantages of both signs:
     * (A > 0, r = 1.5) and (A < 0, r = 0.5) are clipped, the rest flow. */
    struct batch b = make_batch(small_sizes, 4, long_lengths, 3, 5);
    const double ratios[] = {0.5, 0.9, 1.0, 1.1, 1.5, 0.7, 1.35};
    set_ratios(&b, ratios, 7);
    struct ilrl_pg_objective_spec spec = {ILRL_PG_PPO, 0.2};
    double *g = malloc(b.mlp->n_params * sizeof(double)), value;
    ilrl_pg_objective(b.mlp, b.theta, spec, &b.steps, 3, b.length, b.work, &value, g);

    size_t clipped, expected_clipped = 0;
    double sum, *scratch = malloc(b.mlp->n_params * sizeof(double));
    ilrl_pg_part(b.mlp, b.theta, spec, &b.steps, NULL, 0, b.n, b.work, &sum, scratch, &clipped);
    double by_hand = 0.0;
    for (size_t t = 0; t < b.n; t++) {
        double r = ratios[t % 7], A = b.advantage[t];
        double rc = fmin(fmax(r, 0.8), 1.2);
        by_hand += fmin(r * A, rc * A);
        expected_clipped += (A > 0 && r > 1.2) || (A < 0 && r < 0.8);
    }
    ck_assert_uint_eq(clipped, expected_clipped);
    ck_assert_uint_gt(clipped, 20);
    ck_assert_uint_lt(clipped, b.n / 2);
    ck_assert_double_eq_tol(value, -by_hand / (double)b.n, 1e-13);

    double err = finite_difference_error(&b, spec, g, 0.0);
    ck_assert_msg(err < 1e-7, "PPO: relative error %g", err);
    free(scratch);
    free(g);
    free_batch(&b);
}
END_TEST

START_TEST(test_ppo_clipped_region_has_zero_gradient)
{
    /* Every step clipped: A > 0 with r = 1.5, A < 0 with r = 0.5.  The
     * objective is then constant nearby: gradient exactly 0, value
     * -(1/N) sum clip(r) A. */
    struct batch b = make_batch(small_sizes, 4, long_lengths, 3, 9);
    ilrl_pg_log_prob(b.mlp, b.theta, b.obs, b.action, b.n, b.work, b.old_log_prob);
    double by_hand = 0.0;
    for (size_t t = 0; t < b.n; t++) {
        double r = b.advantage[t] > 0 ? 1.5 : 0.5;
        b.old_log_prob[t] -= log(r);
        by_hand += (b.advantage[t] > 0 ? 1.2 : 0.8) * b.advantage[t];
    }
    struct ilrl_pg_objective_spec spec = {ILRL_PG_PPO, 0.2};
    double *g = malloc(b.mlp->n_params * sizeof(double)), value, sum;
    size_t clipped;
    ilrl_pg_objective(b.mlp, b.theta, spec, &b.steps, 3, b.length, b.work, &value, g);
    for (size_t k = 0; k < b.mlp->n_params; k++)
        ck_assert_msg(g[k] == 0.0, "grad[%zu] = %g in the clipped region", k, g[k]);
    ck_assert_double_eq_tol(value, -by_hand / (double)b.n, 1e-14);
    ilrl_pg_part(b.mlp, b.theta, spec, &b.steps, NULL, 0, b.n, b.work, &sum, g, &clipped);
    ck_assert_uint_eq(clipped, b.n);
    free(g);
    free_batch(&b);
}
END_TEST

START_TEST(test_ppo_at_sampling_policy_is_reinforce)
{
    /* r = 1 everywhere: PPO's gradient is REINFORCE's (d r / d theta =
     * d l / d theta at r = 1), its value -(1/N) sum A. */
    struct batch b = make_batch(small_sizes, 4, long_lengths, 3, 13);
    ilrl_pg_log_prob(b.mlp, b.theta, b.obs, b.action, b.n, b.work, b.old_log_prob);
    size_t P = b.mlp->n_params;
    double *g_ppo = malloc(P * sizeof(double)), *g_rf = malloc(P * sizeof(double));
    double v_ppo, v_rf, sum_a = 0.0;
    ilrl_pg_objective(b.mlp, b.theta, (struct ilrl_pg_objective_spec){ILRL_PG_PPO, 0.2},
                      &b.steps, 3, b.length, b.work, &v_ppo, g_ppo);
    ilrl_pg_objective(b.mlp, b.theta, (struct ilrl_pg_objective_spec){ILRL_PG_REINFORCE, 0},
                      &b.steps, 3, b.length, b.work, &v_rf, g_rf);
    for (size_t t = 0; t < b.n; t++)
        sum_a += b.advantage[t];
    ck_assert_double_eq_tol(v_ppo, -sum_a / (double)b.n, 1e-14);
    for (size_t k = 0; k < P; k++)
        ck_assert_double_eq_tol(g_ppo[k], g_rf[k], 1e-14);
    /* The log-probabilities match the network's own log-softmax. */
    double logits[3], lsm[3];
    for (size_t t = 0; t < b.n; t += 37) {
        struct ilrl_mlp_work *one = ilrl_mlp_work_alloc(b.mlp, 1);
        ilrl_mlp_forward_one(b.mlp, b.theta, b.obs + 4 * t, logits, one);
        ilrl_log_softmax(logits, 3, lsm);
        ck_assert_double_eq_tol(b.old_log_prob[t], lsm[b.action[t]], 1e-13);
        ilrl_mlp_work_free(one);
    }
    free(g_ppo);
    free(g_rf);
    free_batch(&b);
}
END_TEST

START_TEST(test_retention_term_finite_differences)
{
    /* PPO + L DECAY^u L_IL, L_IL on the batch's own steps as "the demo",
     * its gradient from bc.h over all samples. */
    struct batch b = make_batch(small_sizes, 4, long_lengths, 3, 17);
    const double ratios[] = {0.6, 1.0, 1.3};
    set_ratios(&b, ratios, 3);
    double coefficient = ilrl_pg_retention_coefficient(0.5, 0.9, 3);
    ck_assert_double_eq_tol(coefficient, 0.3645, 1e-16);
    ck_assert_double_eq(ilrl_pg_retention_coefficient(2.0, 0.5, 0), 2.0);

    size_t P = b.mlp->n_params;
    struct ilrl_pg_objective_spec spec = {ILRL_PG_PPO, 0.2};
    double *g = malloc(P * sizeof(double)), *g_il = malloc(P * sizeof(double));
    double value, il;
    ilrl_pg_objective(b.mlp, b.theta, spec, &b.steps, 3, b.length, b.work, &value, g);
    struct ilrl_bc_work *bw = ilrl_bc_work_alloc(b.mlp, 4);
    struct ilrl_bc_samples demo = {b.n, 4, b.obs, b.action};
    ilrl_bc_minibatch(b.mlp, b.theta, &demo, NULL, b.n, bw, &il, g_il);
    double before = value;
    ilrl_pg_add_retention(P, coefficient, il, g_il, &value, g);
    ck_assert_double_eq_tol(value, before + 0.3645 * il, 1e-15);

    double err = finite_difference_error(&b, spec, g, coefficient);
    ck_assert_msg(err < 1e-7, "PPO + retention: relative error %g", err);
    ilrl_bc_work_free(bw);
    free(g);
    free(g_il);
    free_batch(&b);
}
END_TEST

START_TEST(test_episode_parts_reduced_in_order_are_bit_identical)
{
    /* The default network, PPO, five episodes: parts computed in reverse
     * order on another workspace, reduced with ilrl_bc_sum_parts, equal
     * ilrl_pg_objective bit for bit. */
    const size_t sizes[] = {12, 64, 64, 2};
    const size_t lengths[] = {40, 290, 3};
    struct batch b = make_batch(sizes, 4, lengths, 3, 21);
    const double ratios[] = {0.5, 0.95, 1.0, 1.25};
    set_ratios(&b, ratios, 4);
    size_t P = b.mlp->n_params;
    struct ilrl_pg_objective_spec spec = {ILRL_PG_PPO, 0.2};
    double *g = malloc(P * sizeof(double)), value;
    ilrl_pg_objective(b.mlp, b.theta, spec, &b.steps, 3, b.length, b.work, &value, g);

    struct ilrl_pg_work *other = ilrl_pg_work_alloc(b.mlp);
    double *parts = malloc(3 * P * sizeof(double)), part_value[3];
    size_t begin[3] = {0, 40, 330};
    for (size_t e = 3; e-- > 0;)
        ilrl_pg_part(b.mlp, b.theta, spec, &b.steps, NULL, begin[e], begin[e] + lengths[e],
                     other, &part_value[e], parts + e * P, NULL);
    double value_parts, *g_parts = malloc(P * sizeof(double));
    ilrl_bc_sum_parts(P, 3, part_value, parts, b.n, &value_parts, g_parts);
    ck_assert(value_parts == value);
    ck_assert_int_eq(memcmp(g_parts, g, P * sizeof(double)), 0);
    ilrl_pg_work_free(other);
    free(parts);
    free(g_parts);
    free(g);
    free_batch(&b);
}
END_TEST

START_TEST(test_indexed_minibatch_parts)
{
    /* PPO's shuffled minibatches: a part over an index list equals the part
     * over the same steps copied contiguously (bit for bit), an identity
     * list equals NULL, and chunks of a whole shuffled epoch reduced in
     * order give the full objective. */
    struct batch b = make_batch(small_sizes, 4, long_lengths, 3, 25);
    const double ratios[] = {0.5, 0.95, 1.0, 1.1, 1.5};
    set_ratios(&b, ratios, 5);
    size_t P = b.mlp->n_params, n = b.n;
    struct ilrl_pg_objective_spec spec = {ILRL_PG_PPO, 0.2};
    size_t *order = malloc(n * sizeof(size_t)), *identity = malloc(n * sizeof(size_t));
    ck_assert_int_eq(ilrl_bc_shuffle(9, 2, n, order), ILRL_OK);
    for (size_t t = 0; t < n; t++)
        identity[t] = t;
    double *g1 = malloc(P * sizeof(double)), *g2 = malloc(P * sizeof(double));
    double v1, v2;
    size_t c1, c2;

    ilrl_pg_part(b.mlp, b.theta, spec, &b.steps, identity, 0, n, b.work, &v1, g1, &c1);
    ilrl_pg_part(b.mlp, b.theta, spec, &b.steps, NULL, 0, n, b.work, &v2, g2, &c2);
    ck_assert(v1 == v2 && c1 == c2);
    ck_assert_int_eq(memcmp(g1, g2, P * sizeof(double)), 0);

    /* Steps order[40 .. 300) (more than one block), copied. */
    size_t m = 260;
    double *obs = malloc(m * 4 * sizeof(double)), *adv = malloc(m * sizeof(double));
    double *old = malloc(m * sizeof(double));
    int *act = malloc(m * sizeof(int));
    for (size_t i = 0; i < m; i++) {
        size_t t = order[40 + i];
        memcpy(obs + 4 * i, b.obs + 4 * t, 4 * sizeof(double));
        adv[i] = b.advantage[t];
        old[i] = b.old_log_prob[t];
        act[i] = b.action[t];
    }
    struct ilrl_pg_steps copy = {m, 4, obs, act, adv, old};
    ilrl_pg_part(b.mlp, b.theta, spec, &b.steps, order, 40, 300, b.work, &v1, g1, &c1);
    ilrl_pg_part(b.mlp, b.theta, spec, &copy, NULL, 0, m, b.work, &v2, g2, &c2);
    ck_assert(v1 == v2 && c1 == c2);
    ck_assert_int_eq(memcmp(g1, g2, P * sizeof(double)), 0);

    /* The whole shuffled epoch in chunks of 64, reduced in order. */
    size_t n_parts = (n + 63) / 64;
    double *parts = malloc(n_parts * P * sizeof(double)), *values = malloc(n_parts * sizeof(double));
    for (size_t p = 0; p < n_parts; p++)
        ilrl_pg_part(b.mlp, b.theta, spec, &b.steps, order, 64 * p,
                     64 * (p + 1) < n ? 64 * (p + 1) : n, b.work, &values[p],
                     parts + p * P, NULL);
    ilrl_bc_sum_parts(P, n_parts, values, parts, n, &v1, g1);
    ilrl_pg_objective(b.mlp, b.theta, spec, &b.steps, 3, b.length, b.work, &v2, g2);
    ck_assert_double_eq_tol(v1, v2, 1e-14);
    for (size_t k = 0; k < P; k++)
        ck_assert_double_eq_tol(g1[k], g2[k], 1e-14);

    free(parts);
    free(values);
    free(obs);
    free(adv);
    free(old);
    free(act);
    free(order);
    free(identity);
    free(g1);
    free(g2);
    free_batch(&b);
}
END_TEST

Suite *policy_gradient_suite(void)
{
    Suite *s = suite_create("policy_gradient");
    TCase *tc = tcase_create("policy_gradient");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_advantages_by_hand);
    tcase_add_test(tc, test_reinforce_gradient_finite_differences);
    tcase_add_test(tc, test_ppo_gradient_finite_differences);
    tcase_add_test(tc, test_ppo_clipped_region_has_zero_gradient);
    tcase_add_test(tc, test_ppo_at_sampling_policy_is_reinforce);
    tcase_add_test(tc, test_retention_term_finite_differences);
    tcase_add_test(tc, test_episode_parts_reduced_in_order_are_bit_identical);
    tcase_add_test(tc, test_indexed_minibatch_parts);
    suite_add_tcase(s, tc);
    return s;
}
