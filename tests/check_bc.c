/* check_bc.c -- behaviour cloning in chunks: the minibatch gradient over
 * the whole data equals loss.c's grad L_IL, chunk results reduced in order
 * are bit-identical whoever computed them and in whatever order, the
 * documented shuffle, and BC with Adam learning a simple rule with the
 * same bits for 1, 2 and 3 simulated ranks. */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <gsl/gsl_rng.h>

#include "ilrl/adam.h"
#include "ilrl/bc.h"
#include "ilrl/error.h"
#include "ilrl/loss.h"
#include "ilrl/mlp.h"
#include "ilrl/seed.h"

/* A random data set for a network of the given sizes: obs ~ U(-2, 2),
 * actions uniform over K (biased to action 0 for K = 2, like the demos). */
struct fixture {
    struct ilrl_mlp *mlp;
    double *theta;
    size_t n;
    double *obs;
    int *action;
    double *ones;
    struct ilrl_bc_samples samples;
};

static struct fixture make_fixture(const size_t *sizes, size_t n_sizes, size_t n,
                                   unsigned long seed)
{
    struct fixture f;
    f.mlp = ilrl_mlp_alloc(sizes, n_sizes, ILRL_ACTIVATION_TANH);
    ck_assert_ptr_nonnull(f.mlp);
    size_t D = sizes[0], K = sizes[n_sizes - 1];
    f.theta = malloc(f.mlp->n_params * sizeof(double));
    ilrl_mlp_init(f.mlp, seed, f.theta);
    f.n = n;
    f.obs = malloc(n * D * sizeof(double));
    f.action = malloc(n * sizeof(int));
    f.ones = malloc(n * sizeof(double));
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, seed + 1000);
    for (size_t i = 0; i < n * D; i++)
        f.obs[i] = -2.0 + 4.0 * gsl_rng_uniform(rng);
    for (size_t i = 0; i < n; i++) {
        f.action[i] = (int)gsl_rng_uniform_int(rng, K);
        f.ones[i] = 1.0;
    }
    gsl_rng_free(rng);
    f.samples = (struct ilrl_bc_samples){n, D, f.obs, f.action};
    return f;
}

static void free_fixture(struct fixture *f)
{
    ilrl_mlp_free(f->mlp);
    free(f->theta);
    free(f->obs);
    free(f->action);
    free(f->ones);
}

static void check_full_data_matches_loss(const size_t *sizes, size_t n_sizes, size_t n)
{
    struct fixture f = make_fixture(sizes, n_sizes, n, 7);
    size_t P = f.mlp->n_params;
    double *g_ref = malloc(P * sizeof(double)), *g = malloc(P * sizeof(double));
    double l_ref, l;
    struct ilrl_loss_data data = {n, sizes[0], f.obs, f.action, f.ones};
    struct ilrl_loss_work *lw = ilrl_loss_work_alloc(f.mlp, n);
    ilrl_loss_eval(f.mlp, f.theta, &data, lw, &l_ref, NULL, g_ref, NULL);
    struct ilrl_bc_work *bw = ilrl_bc_work_alloc(f.mlp, sizes[0]);
    ck_assert_ptr_nonnull(bw);

    double g_max = 0.0;
    for (size_t k = 0; k < P; k++)
        g_max = fmax(g_max, fabs(g_ref[k]));
    ck_assert(g_max > 1e-3);   /* a gradient worth comparing */

    /* Contiguous (index NULL), and every sample once in a shuffled order. */
    size_t *order = malloc(n * sizeof(size_t));
    ck_assert_int_eq(ilrl_bc_shuffle(3, 0, n, order), ILRL_OK);
    for (int pass = 0; pass < 2; pass++) {
        ilrl_bc_minibatch(f.mlp, f.theta, &f.samples, pass ? order : NULL, n, bw,
                          &l, g);
        ck_assert_double_eq_tol(l, l_ref, 1e-12);
        for (size_t k = 0; k < P; k++)
            ck_assert_msg(fabs(g[k] - g_ref[k]) <= 1e-12,
                          "pass %d grad[%zu]: %.17g vs loss.c %.17g", pass, k,
                          g[k], g_ref[k]);
    }
    free(order);
    free(g_ref);
    free(g);
    ilrl_loss_work_free(lw);
    ilrl_bc_work_free(bw);
    free_fixture(&f);
}

START_TEST(test_full_data_equals_grad_il)
{
    /* The default network on 300 samples (4 full chunks and one of 44). */
    const size_t sizes[] = {12, 64, 64, 2};
    check_full_data_matches_loss(sizes, 4, 300);
}
END_TEST

START_TEST(test_full_data_equals_grad_il_three_actions)
{
    const size_t sizes[] = {5, 16, 8, 3};
    check_full_data_matches_loss(sizes, 4, 129);
}
END_TEST

START_TEST(test_chunks_reduced_in_order_are_bit_identical)
{
    const size_t sizes[] = {12, 64, 64, 2};
    const size_t n = 1000, batch = 250;
    struct fixture f = make_fixture(sizes, 4, n, 11);
    size_t P = f.mlp->n_params;
    size_t *order = malloc(n * sizeof(size_t));
    ck_assert_int_eq(ilrl_bc_shuffle(42, 5, n, order), ILRL_OK);
    const size_t *index = order + 500;   /* the epoch's third minibatch */
    size_t n_chunks = ilrl_bc_n_chunks(batch);
    ck_assert_uint_eq(n_chunks, 4);      /* 64 + 64 + 64 + 58 */

    struct ilrl_bc_work *w1 = ilrl_bc_work_alloc(f.mlp, 12);
    double loss_one, *g_one = malloc(P * sizeof(double));
    ilrl_bc_minibatch(f.mlp, f.theta, &f.samples, index, batch, w1, &loss_one, g_one);

    /* Chunks in reverse order, alternating between two workspaces (two
     * "ranks"), the second of which has just computed another minibatch. */
    struct ilrl_bc_work *w2 = ilrl_bc_work_alloc(f.mlp, 12);
    double *scratch = malloc(P * sizeof(double)), scratch_loss;
    ilrl_bc_minibatch(f.mlp, f.theta, &f.samples, order, 200, w2, &scratch_loss, scratch);
    double *part_grad = malloc(n_chunks * P * sizeof(double));
    double part_loss[4];
    for (size_t c = n_chunks; c-- > 0;)
        ilrl_bc_chunk(f.mlp, f.theta, &f.samples, index, batch, c, c % 2 ? w2 : w1,
                      &part_loss[c], part_grad + c * P);
    double loss_parts, *g_parts = malloc(P * sizeof(double));
    ilrl_bc_sum_parts(P, n_chunks, part_loss, part_grad, batch, &loss_parts, g_parts);
    ck_assert(loss_parts == loss_one);
    ck_assert_int_eq(memcmp(g_parts, g_one, P * sizeof(double)), 0);

    /* The chunk's gradient is the sum over its samples: chunk 3 on its own
     * (a 58-sample minibatch of the same indices) gives it divided by 58. */
    double loss58;
    ilrl_bc_minibatch(f.mlp, f.theta, &f.samples, index + 192, 58, w1, &loss58, scratch);
    ck_assert_double_eq_tol(loss58, part_loss[3] / 58.0, 1e-15);
    for (size_t k = 0; k < P; k++)
        ck_assert_double_eq_tol(scratch[k], part_grad[3 * P + k] / 58.0, 1e-15);

    free(order);
    free(g_one);
    free(g_parts);
    free(scratch);
    free(part_grad);
    ilrl_bc_work_free(w1);
    ilrl_bc_work_free(w2);
    free_fixture(&f);
}
END_TEST

START_TEST(test_shuffle_is_the_documented_fisher_yates)
{
    enum { N = 1001 };
    size_t order[N], again[N], other[N], mine[N];
    ck_assert_int_eq(ilrl_bc_shuffle(12345, 7, N, order), ILRL_OK);
    ck_assert_int_eq(ilrl_bc_shuffle(12345, 7, N, again), ILRL_OK);
    ck_assert_int_eq(memcmp(order, again, sizeof order), 0);
    ck_assert_int_eq(ilrl_bc_shuffle(12345, 8, N, other), ILRL_OK);
    ck_assert_int_ne(memcmp(order, other, sizeof order), 0);

    /* A permutation. */
    int seen[N] = {0};
    for (size_t i = 0; i < N; i++) {
        ck_assert_uint_lt(order[i], N);
        seen[order[i]]++;
    }
    for (size_t i = 0; i < N; i++)
        ck_assert_int_eq(seen[i], 1);

    /* The formula of bc.h, written out. */
    uint64_t z = 12345 + (ILRL_BC_STREAM + 1) * UINT64_C(0x9E3779B97F4A7C15);
    z = ilrl_splitmix64(z);
    z = ilrl_splitmix64(z + (7 + 1) * UINT64_C(0x9E3779B97F4A7C15));
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, (unsigned long)(z & 0xFFFFFFFFu));
    for (size_t i = 0; i < N; i++)
        mine[i] = i;
    for (size_t i = N - 1; i >= 1; i--) {
        size_t j = gsl_rng_uniform_int(rng, i + 1);
        size_t t = mine[i];
        mine[i] = mine[j];
        mine[j] = t;
    }
    gsl_rng_free(rng);
    ck_assert_int_eq(memcmp(order, mine, sizeof order), 0);

    /* Edge sizes. */
    size_t one = 99;
    ck_assert_int_eq(ilrl_bc_shuffle(1, 0, 1, &one), ILRL_OK);
    ck_assert_uint_eq(one, 0);
    ck_assert_int_eq(ilrl_bc_shuffle(1, 0, 0, NULL), ILRL_OK);
}
END_TEST

/* Behaviour cloning with Adam, its chunks dealt round-robin to R simulated
 * ranks (one workspace each, chunk c on rank c mod R), gathered into
 * arrays and reduced in chunk order.  Returns the final training loss. */
static double train(struct fixture *f, size_t n_ranks, size_t epochs, size_t batch,
                    double *theta)
{
    size_t P = f->mlp->n_params, D = f->samples.n_features;
    struct ilrl_bc_work *work[3];
    for (size_t r = 0; r < n_ranks; r++)
        work[r] = ilrl_bc_work_alloc(f->mlp, D);
    struct ilrl_adam *adam = ilrl_adam_alloc(P, 1e-2);
    size_t *order = malloc(f->n * sizeof(size_t));
    size_t max_chunks = ilrl_bc_n_chunks(batch);
    double *part_grad = malloc(max_chunks * P * sizeof(double));
    double *part_loss = malloc(max_chunks * sizeof(double));
    double *grad = malloc(P * sizeof(double)), loss = 0.0;
    memcpy(theta, f->theta, P * sizeof(double));
    for (size_t epoch = 0; epoch < epochs; epoch++) {
        ck_assert_int_eq(ilrl_bc_shuffle(5, epoch, f->n, order), ILRL_OK);
        for (size_t start = 0; start < f->n; start += batch) {
            size_t b = f->n - start < batch ? f->n - start : batch;
            size_t n_chunks = ilrl_bc_n_chunks(b);
            for (size_t c = 0; c < n_chunks; c++)
                ilrl_bc_chunk(f->mlp, theta, &f->samples, order + start, b, c,
                              work[c % n_ranks], &part_loss[c], part_grad + c * P);
            ilrl_bc_sum_parts(P, n_chunks, part_loss, part_grad, b, &loss, grad);
            ilrl_adam_step(adam, theta, grad);
        }
    }
    for (size_t r = 0; r < n_ranks; r++)
        ilrl_bc_work_free(work[r]);
    ilrl_adam_free(adam);
    free(order);
    free(part_grad);
    free(part_loss);
    free(grad);
    return loss;
}

START_TEST(test_training_learns_and_is_rank_count_independent)
{
    /* A learnable rule, action = [x0 + x1 > 0], 600 samples, batch 200
     * (chunks 64, 64, 64, 8), 15 epochs of Adam at 1e-2. */
    const size_t sizes[] = {4, 16, 2};
    struct fixture f = make_fixture(sizes, 3, 600, 31);
    for (size_t i = 0; i < f.n; i++)
        f.action[i] = f.obs[4 * i] + f.obs[4 * i + 1] > 0.0;
    size_t P = f.mlp->n_params;
    double *theta[3];
    double loss[3];
    for (size_t r = 0; r < 3; r++) {
        theta[r] = malloc(P * sizeof(double));
        loss[r] = train(&f, r + 1, 15, 200, theta[r]);
    }
    ck_assert_int_eq(memcmp(theta[0], theta[1], P * sizeof(double)), 0);
    ck_assert_int_eq(memcmp(theta[0], theta[2], P * sizeof(double)), 0);
    ck_assert(loss[0] == loss[1] && loss[0] == loss[2]);

    /* L_IL on all samples: from ~ln 2 at theta0 to well below. */
    double before, after, *g = malloc(P * sizeof(double));
    struct ilrl_bc_work *w = ilrl_bc_work_alloc(f.mlp, 4);
    ilrl_bc_minibatch(f.mlp, f.theta, &f.samples, NULL, f.n, w, &before, g);
    ilrl_bc_minibatch(f.mlp, theta[0], &f.samples, NULL, f.n, w, &after, g);
    ck_assert_msg(before > 0.5 && after < 0.25, "L_IL %g -> %g", before, after);
    ilrl_bc_work_free(w);
    free(g);
    for (size_t r = 0; r < 3; r++)
        free(theta[r]);
    free_fixture(&f);
}
END_TEST

Suite *bc_suite(void)
{
    Suite *s = suite_create("bc");
    TCase *tc = tcase_create("bc");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_full_data_equals_grad_il);
    tcase_add_test(tc, test_full_data_equals_grad_il_three_actions);
    tcase_add_test(tc, test_chunks_reduced_in_order_are_bit_identical);
    tcase_add_test(tc, test_shuffle_is_the_documented_fisher_yates);
    tcase_add_test(tc, test_training_learns_and_is_rank_count_independent);
    suite_add_tcase(s, tc);
    return s;
}
