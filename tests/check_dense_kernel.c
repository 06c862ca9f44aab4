/* check_dense_kernel.c -- the fused AVX-512 forward pass against a plain
 * reference: loops in the textbook order with libm's tanh.
 *
 * Logits of every shape the kernel takes (one to more than eight vectors per
 * layer, two column panels, no hidden-to-hidden layer, several, K = 2 .. 4)
 * for row counts that leave partial 24-row blocks and 1- or 2-row register
 * tiles agree to 1e-13 (relative to the sum of |terms|); its tanh to 5e-15
 * relative everywhere; and the kernel declines what it does not handle.
 * On a CPU without AVX-512 the numerical tests say so and pass. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <gsl/gsl_rng.h>

#include "ilrl/dense_kernel.h"
#include "ilrl/mlp.h"
#include "testutil.h"

static int have_avx512(void)
{
    double v = 0.5;
    if (ilrl_dense_kernel_tanh(&v, 1))
        return 1;
    printf("dense_kernel: no AVX-512 on this CPU, numerical checks skipped\n");
    return 0;
}

/* Random theta (uniform, scale 1 / sqrt(fan-in) * 2: many saturated tanh)
 * and layer-1 products for n rows, the bias included as the kernel expects:
 * p0 = X W0^T + b0, px, py the same for the two directions. */
struct problem {
    struct ilrl_mlp *mlp;
    double *theta, *p0, *px, *py;
    size_t n;
};

static void problem_init(struct problem *pb, const size_t *sizes, size_t n_sizes,
                         size_t n, unsigned long seed)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, seed);
    pb->mlp = ilrl_mlp_alloc(sizes, n_sizes, ILRL_ACTIVATION_TANH);
    ck_assert_ptr_nonnull(pb->mlp);
    pb->n = n;
    pb->theta = malloc(pb->mlp->n_params * sizeof(double));
    for (size_t l = 1; l <= pb->mlp->n_layers; l++) {
        double scale = 2.0 / sqrt((double)sizes[l - 1]);
        size_t from = pb->mlp->weight_offset[l - 1];
        size_t to = pb->mlp->bias_offset[l - 1] + sizes[l];
        for (size_t k = from; k < to; k++)
            pb->theta[k] = scale * (2.0 * gsl_rng_uniform(rng) - 1.0);
    }
    size_t H = sizes[1];
    double **p[3] = {&pb->p0, &pb->px, &pb->py};
    for (int k = 0; k < 3; k++) {
        *p[k] = malloc((n ? n : 1) * H * sizeof(double));
        for (size_t i = 0; i < n * H; i++)
            (*p[k])[i] = (k == 0 ? 3.0 : 0.5) * (2.0 * gsl_rng_uniform(rng) - 1.0);
    }
    gsl_rng_free(rng);
}

static void problem_free(struct problem *pb)
{
    ilrl_mlp_free(pb->mlp);
    free(pb->theta);
    free(pb->p0);
    free(pb->px);
    free(pb->py);
}

/* The reference: row by row, layer by layer; scale[i * K + k] gets the sum
 * of |terms| of each logit (its rounding scale). */
static void reference_logits(const struct problem *pb, double x, double y, double *logits,
                             double *scale)
{
    const struct ilrl_mlp *mlp = pb->mlp;
    const size_t L = mlp->n_layers, K = mlp->sizes[L], H1 = mlp->sizes[1];
    size_t widest = 0;
    for (size_t l = 1; l <= L; l++)
        widest = mlp->sizes[l] > widest ? mlp->sizes[l] : widest;
    double *a = malloc(widest * sizeof(double)), *b = malloc(widest * sizeof(double));
    for (size_t i = 0; i < pb->n; i++) {
        for (size_t j = 0; j < H1; j++)
            a[j] = tanh(pb->p0[i * H1 + j] + x * pb->px[i * H1 + j] + y * pb->py[i * H1 + j]);
        for (size_t l = 2; l <= L; l++) {
            const size_t n_in = mlp->sizes[l - 1], n_out = mlp->sizes[l];
            const double *W = pb->theta + mlp->weight_offset[l - 1];
            const double *bias = pb->theta + mlp->bias_offset[l - 1];
            for (size_t o = 0; o < n_out; o++) {
                double sum = bias[o], size = fabs(bias[o]);
                for (size_t k = 0; k < n_in; k++) {
                    sum += W[o * n_in + k] * a[k];
                    size += fabs(W[o * n_in + k] * a[k]);
                }
                b[o] = l < L ? tanh(sum) : sum;
                if (l == L)
                    scale[i * K + o] = size;
            }
            memcpy(a, b, n_out * sizeof(double));
        }
        memcpy(logits + i * K, a, K * sizeof(double));
    }
    free(a);
    free(b);
}

static const size_t shapes[][6] = {
    {12, 64, 64, 2}, {12, 16, 24, 3}, {12, 64, 2}, {12, 128, 72, 2},
    {7, 8, 64, 64, 2}, {3, 8, 8, 8, 8, 4}, {5, 40, 56, 2},
};
static const size_t n_sizes[] = {4, 4, 3, 4, 5, 6, 4};
static const size_t row_counts[] = {1, 2, 3, 24, 25, 50, 77, 300};

/* _i: the shape */
START_TEST(test_logits_match_reference)
{
    if (!have_avx512())
        return;
    for (size_t c = 0; c < sizeof row_counts / sizeof row_counts[0]; c++) {
        struct problem pb;
        problem_init(&pb, shapes[_i], n_sizes[_i], row_counts[c], 10 * (unsigned long)_i + c);
        int out_of_memory = 1;
        struct ilrl_dense_kernel *kernel = ilrl_dense_kernel_alloc(pb.mlp, 1, &out_of_memory);
        ck_assert_ptr_nonnull(kernel);
        ck_assert_int_eq(out_of_memory, 0);
        ilrl_dense_kernel_set_theta(kernel, 0, pb.theta);
        const size_t K = pb.mlp->sizes[pb.mlp->n_layers], n = pb.n;
        double *got = malloc(n * K * sizeof(double)), *want = malloc(n * K * sizeof(double));
        double *scale = malloc(n * K * sizeof(double));
        static const double points[][2] = {{0.0, 0.0}, {0.7, -1.3}, {-25.0, 40.0}};
        for (int p = 0; p < 3; p++) {
            ilrl_dense_kernel_logits(kernel, 0, pb.p0, pb.px, pb.py, points[p][0], points[p][1],
                                     n, got);
            reference_logits(&pb, points[p][0], points[p][1], want, scale);
            for (size_t i = 0; i < n * K; i++)
                ck_assert_msg(fabs(got[i] - want[i]) <= 1e-13 * scale[i],
                              "shape %d, %zu rows, point %d: logit %zu = %.17g, want %.17g",
                              _i, n, p, i, got[i], want[i]);
        }
        free(got);
        free(want);
        free(scale);
        ilrl_dense_kernel_free(kernel);
        problem_free(&pb);
    }
}
END_TEST

/* The same rows give the same bits whatever the block they sit in: the
 * first rows of a long call equal a short call of those rows alone. */
START_TEST(test_rows_independent_of_block)
{
    if (!have_avx512())
        return;
    struct problem pb;
    problem_init(&pb, shapes[0], n_sizes[0], 77, 5);
    int out_of_memory;
    struct ilrl_dense_kernel *kernel = ilrl_dense_kernel_alloc(pb.mlp, 1, &out_of_memory);
    ck_assert_ptr_nonnull(kernel);
    ilrl_dense_kernel_set_theta(kernel, 0, pb.theta);
    double all[77 * 2], part[5 * 2];
    ilrl_dense_kernel_logits(kernel, 0, pb.p0, pb.px, pb.py, 0.3, 0.2, 77, all);
    for (size_t start = 0; start + 5 <= 77; start += 12) {
        ilrl_dense_kernel_logits(kernel, 0, pb.p0 + start * 64, pb.px + start * 64,
                                 pb.py + start * 64, 0.3, 0.2, 5, part);
        ck_assert_msg(memcmp(part, all + start * 2, sizeof part) == 0,
                      "rows %zu..%zu differ alone", start, start + 4);
    }
    ilrl_dense_kernel_free(kernel);
    problem_free(&pb);
}
END_TEST

/* Slots hold their points independently: three points packed into three
 * slots, used interleaved, give the bits of each point alone in slot 0. */
START_TEST(test_slots_independent)
{
    if (!have_avx512())
        return;
    struct problem pb[3];
    int out_of_memory;
    struct ilrl_dense_kernel *kernel = NULL;
    for (int q = 0; q < 3; q++)
        problem_init(&pb[q], shapes[1], n_sizes[1], 40, 70 + (unsigned long)q);
    kernel = ilrl_dense_kernel_alloc(pb[0].mlp, 3, &out_of_memory);
    ck_assert_ptr_nonnull(kernel);
    double together[3][40 * 3], alone[40 * 3];
    for (int q = 0; q < 3; q++)
        ilrl_dense_kernel_set_theta(kernel, (size_t)q, pb[q].theta);
    for (int q = 2; q >= 0; q--)   /* the products of problem 0 for all */
        ilrl_dense_kernel_logits(kernel, (size_t)q, pb[0].p0, pb[0].px, pb[0].py, 0.5, -0.5,
                                 40, together[q]);
    for (int q = 0; q < 3; q++) {
        ilrl_dense_kernel_set_theta(kernel, 0, pb[q].theta);
        ilrl_dense_kernel_logits(kernel, 0, pb[0].p0, pb[0].px, pb[0].py, 0.5, -0.5, 40,
                                 alone);
        ck_assert_msg(memcmp(alone, together[q], sizeof alone) == 0, "slot %d differs", q);
    }
    ck_assert(memcmp(together[0], together[1], sizeof alone) != 0);
    ilrl_dense_kernel_free(kernel);
    for (int q = 0; q < 3; q++)
        problem_free(&pb[q]);
}
END_TEST

/* tanh against libm, relative, on test_tanh_arguments, the masked tail
 * included.  5e-15: the rounding of the 2^(1/16) table entry, 8.2e-17, is
 * amplified up to 48x where 2^(1/16) - 1 cancels (z ~ 0.012); tanh(-0) may
 * come out +0, which no network sees.  NaN stays NaN (no silent +-1 for a
 * broken input), infinities saturate.  The issue asks 1e-13. */
START_TEST(test_tanh_matches_libm)
{
    if (!have_avx512())
        return;
    enum { N = 300000 };
    double *z = malloc(N * sizeof(double)), *t = malloc(N * sizeof(double));
    test_tanh_arguments(z, N, 3);
    memcpy(t, z, N * sizeof(double));
    ck_assert(ilrl_dense_kernel_tanh(t, N - 3));   /* a masked tail of 5 */
    double at, worst = test_tanh_worst(z, t, N - 3, &at);
    ck_assert_msg(worst <= 5e-15, "largest relative error %.3g at z = %.17g", worst, at);
    for (size_t i = N - 3; i < N; i++)
        ck_assert_msg(t[i] == z[i], "element %zu past the end was written", i);
    const double *s = t + TEST_TANH_SATURATED;
    ck_assert(s[0] == -1.0 && s[1] == 1.0 && s[2] == 1.0 && s[3] == -1.0);
    double odd[3] = {NAN, INFINITY, -INFINITY};
    ck_assert(ilrl_dense_kernel_tanh(odd, 3));
    ck_assert_msg(isnan(odd[0]) && odd[1] == 1.0 && odd[2] == -1.0,
                  "tanh(nan, inf, -inf) = %g, %g, %g", odd[0], odd[1], odd[2]);
    free(z);
    free(t);
}
END_TEST

/* Shapes and settings the kernel leaves to the dgemm path: NULL, and no
 * out-of-memory flag. */
START_TEST(test_declines)
{
    static const size_t odd_width[] = {12, 60, 64, 2}, odd_second[] = {12, 64, 12, 2},
                        single[] = {12, 2};
    struct {
        const size_t *sizes;
        size_t n;
        enum ilrl_activation activation;
    } cases[] = {
        {odd_width, 4, ILRL_ACTIVATION_TANH},
        {odd_second, 4, ILRL_ACTIVATION_TANH},
        {single, 2, ILRL_ACTIVATION_TANH},
        {shapes[0], 4, ILRL_ACTIVATION_RELU},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        struct ilrl_mlp *mlp = ilrl_mlp_alloc(cases[c].sizes, cases[c].n, cases[c].activation);
        int out_of_memory = 1;
        ck_assert_ptr_null(ilrl_dense_kernel_alloc(mlp, 4, &out_of_memory));
        ck_assert_int_eq(out_of_memory, 0);
        ilrl_mlp_free(mlp);
    }
    struct ilrl_mlp *mlp = ilrl_mlp_alloc(shapes[0], 4, ILRL_ACTIVATION_TANH);
    int out_of_memory = 1;
    /* The environment is the caller's preference, never the kernel's. */
    setenv("ILRL_DENSE_KERNEL", "dgemm", 1);
    ck_assert_int_eq(ilrl_dense_kernel_wanted(), 0);
    unsetenv("ILRL_DENSE_KERNEL");
    ck_assert_int_eq(ilrl_dense_kernel_wanted(), have_avx512());
    struct ilrl_dense_kernel *kernel = ilrl_dense_kernel_alloc(mlp, 4, &out_of_memory);
    ck_assert(have_avx512() ? kernel != NULL : kernel == NULL);
    ilrl_dense_kernel_free(kernel);
    ilrl_dense_kernel_free(NULL);
    ilrl_mlp_free(mlp);
}
END_TEST

Suite *dense_kernel_suite(void)
{
    Suite *suite = suite_create("dense_kernel");
    TCase *numbers = tcase_create("numbers");
    tcase_set_timeout(numbers, 60);
    tcase_add_loop_test(numbers, test_logits_match_reference, 0,
                        (int)(sizeof n_sizes / sizeof n_sizes[0]));
    tcase_add_test(numbers, test_rows_independent_of_block);
    tcase_add_test(numbers, test_slots_independent);
    tcase_add_test(numbers, test_tanh_matches_libm);
    tcase_add_test(numbers, test_declines);
    suite_add_tcase(suite, numbers);
    return suite;
}
