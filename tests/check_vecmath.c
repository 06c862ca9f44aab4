/* check_vecmath.c -- the SIMD exp/log/tanh kernels against libm, over the
 * ranges the network and the losses use, and the array functions (vector
 * lanes and scalar tail) against the scalar kernels bit for bit. */
#include "config.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <gsl/gsl_rng.h>

#include "ilrl/dense_kernel.h"
#include "ilrl/vecmath.h"

#define N_RANDOM 200000

static double relative_error(double got, double want)
{
    return want == 0.0 ? fabs(got) : fabs(got - want) / fabs(want);
}

/* exp on [-708, 709] (tanh uses exp(2z), the log-sum-exp exp(z - max) <= 0):
 * uniform over the whole range, dense near 0, and the edges. */
START_TEST(test_exp_matches_libm)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 1);
    double worst = 0.0, worst_x = 0.0;
    static const double edges[] = {-708.0, 709.0, 0.0, -0.0, 1e-300, -1e-17, 0.5 * M_LN2,
                                   -0.5 * M_LN2, M_LN2, 1.0, -1.0, 700.5, -700.5};
    for (size_t i = 0; i < N_RANDOM + sizeof edges / sizeof edges[0]; i++) {
        double x;
        if (i < N_RANDOM)
            x = (i % 3 == 0) ? -708.0 + 1417.0 * gsl_rng_uniform(rng)
                : (i % 3 == 1) ? -40.0 + 80.0 * gsl_rng_uniform(rng)
                               : -1.0 + 2.0 * gsl_rng_uniform(rng);
        else
            x = edges[i - N_RANDOM];
        double e = relative_error(ilrl_exp_kernel(x), exp(x));
        if (e > worst) {
            worst = e;
            worst_x = x;
        }
    }
    ck_assert_msg(worst <= 1e-13 && worst <= 4e-16,
                  "exp: largest relative error %.3g at x = %.17g", worst, worst_x);
    ck_assert(ilrl_exp_kernel(0.0) == 1.0);   /* the log-sum-exp's max term */
    /* Outside the range: clamped, still monotone and finite. */
    ck_assert(ilrl_exp_kernel(-1e4) > 0.0 && ilrl_exp_kernel(-1e4) < 1e-307);
    ck_assert(isfinite(ilrl_exp_kernel(1e4)) && ilrl_exp_kernel(1e4) > 1e307);
    ck_assert(1.0 + ilrl_exp_kernel(-INFINITY) == 1.0);
    gsl_rng_free(rng);
}
END_TEST

/* log on positive normal numbers (random exponents), densely on [1, 3]
 * (log-sum-exp sums lie in [1, K]) and next to 1. */
START_TEST(test_log_matches_libm)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 2);
    double worst = 0.0, worst_x = 0.0;
    static const double edges[] = {1.0, 2.0, 0.5, DBL_MIN, DBL_MAX, M_SQRT2, M_SQRT1_2,
                                   1.0 + DBL_EPSILON, 1.0 - DBL_EPSILON / 2, 1.0 + 1e-10, 3.0};
    for (size_t i = 0; i < N_RANDOM + sizeof edges / sizeof edges[0]; i++) {
        double x;
        if (i < N_RANDOM)
            x = (i % 3 == 0) ? ldexp(0.5 + gsl_rng_uniform(rng), (int)gsl_rng_uniform_int(rng, 2040) - 1020)
                : (i % 3 == 1) ? 1.0 + 2.0 * gsl_rng_uniform(rng)
                               : 1.0 + ldexp(gsl_rng_uniform(rng), -(int)gsl_rng_uniform_int(rng, 50));
        else
            x = edges[i - N_RANDOM];
        double e = relative_error(ilrl_log_kernel(x), log(x));
        if (e > worst) {
            worst = e;
            worst_x = x;
        }
    }
    ck_assert_msg(worst <= 1e-13 && worst <= 5e-16,
                  "log: largest relative error %.3g at x = %.17g", worst, worst_x);
    ck_assert(ilrl_log_kernel(1.0) == 0.0);
    gsl_rng_free(rng);
}
END_TEST

/* tanh against libm, relative: z uniform on [-25, 25] and on [-1, 1], and
 * log-uniform magnitudes from 1e-300 to 1e2 (the expm1 form keeps tiny
 * arguments exact); the edges and the sign of zero.  `f` is the portable
 * kernel over an array (bound 1e-15) or the fused dense kernel's (AVX-512
 * only; 5e-15: the rounding of its 2^(1/16) table entry, 8.2e-17, is
 * amplified up to 48x where 2^(1/16) - 1 cancels, z ~ 0.012; and tanh(-0)
 * may be +0 there, which no network sees).  The contract is 1e-13. */
static void check_tanh(int (*f)(double *, size_t), const char *name, double bound,
                       int signed_zero)
{
    enum { N = N_RANDOM };
    double *z = malloc(N * sizeof(double)), *t = malloc(N * sizeof(double));
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 3);
    static const double edges[] = {0.0, -0.0, 5e-324, -1e-300, 1e-9, 0.0108, 0.0217,
                                   0.5 * M_LN2, 19.0, 19.1, 20.0, 21.0, -400.0, 400.0,
                                   1e300, -1e300};
    const size_t n_edges = sizeof edges / sizeof edges[0];
    for (size_t i = 0; i < N; i++) {
        if (i < n_edges)
            z[i] = edges[i];
        else if (i % 3 == 0)
            z[i] = -25.0 + 50.0 * gsl_rng_uniform(rng);
        else if (i % 3 == 1)
            z[i] = -1.0 + 2.0 * gsl_rng_uniform(rng);
        else
            z[i] = (gsl_rng_uniform(rng) < 0.5 ? -1.0 : 1.0)
                   * pow(10.0, -300.0 + 302.0 * gsl_rng_uniform(rng));
    }
    memcpy(t, z, N * sizeof(double));
    if (!f(t, N)) {
        printf("vecmath: %s skipped (no AVX-512 on this CPU)\n", name);
        goto out;
    }
    double worst = 0.0, worst_z = 0.0;
    for (size_t i = 0; i < N; i++) {
        double e = relative_error(t[i], tanh(z[i]));
        if (e > worst)
            worst = e, worst_z = z[i];
    }
    ck_assert_msg(worst <= bound, "%s: largest relative error %.3g at z = %.17g", name,
                  worst, worst_z);
    ck_assert_msg(t[0] == 0.0 && !signbit(t[0]) && t[1] == 0.0
                  && (!signed_zero || signbit(t[1])),
                  "%s: tanh(+-0) = %g, %g", name, t[0], t[1]);
    ck_assert_msg(t[12] == -1.0 && t[13] == 1.0 && t[14] == 1.0 && t[15] == -1.0,
                  "%s: saturation", name);
out:
    gsl_rng_free(rng);
    free(z);
    free(t);
}

static int portable_tanh(double *v, size_t n)
{
    ilrl_vec_tanh(v, n);
    return 1;
}

START_TEST(test_tanh_matches_libm)
{
    check_tanh(portable_tanh, "tanh", 1e-15, 1);
    check_tanh(ilrl_dense_kernel_tanh, "dense kernel tanh", 5e-15, 0);
}
END_TEST

/* An element's bits do not depend on its position: arrays of every length
 * 0..40 at every offset (so each element meets the vector lanes and the
 * scalar tail) against the whole array computed at once. */
typedef void (*array_function)(double *, size_t);

static void check_positions(array_function f, const double *in)
{
    double whole[48], v[48];
    memcpy(whole, in, sizeof whole);
    f(whole, 48);
    for (size_t offset = 0; offset < 8; offset++)
        for (size_t n = 0; n <= 40; n++) {
            memcpy(v, in, sizeof v);
            f(v + offset, n);
            ck_assert(memcmp(v + offset, whole + offset, n * sizeof(double)) == 0);
        }
}

START_TEST(test_arrays_bitwise)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 4);
    double in[48], positive[48];
    for (int i = 0; i < 48; i++) {
        in[i] = -30.0 + 60.0 * gsl_rng_uniform(rng);
        positive[i] = fabs(in[i]) + 0.25;
    }
    check_positions(ilrl_vec_exp, in);
    check_positions(ilrl_vec_tanh, in);
    check_positions(ilrl_vec_log, positive);
    /* And the arrays agree with the scalar kernels to the last few bits
     * (the variants may contract multiply-adds). */
    double v[48];
    memcpy(v, in, sizeof v);
    ilrl_vec_exp(v, 48);
    for (int i = 0; i < 48; i++)
        ck_assert(relative_error(v[i], ilrl_exp_kernel(in[i])) <= 4e-16);
    gsl_rng_free(rng);
}
END_TEST

Suite *vecmath_suite(void)
{
    Suite *suite = suite_create("vecmath");
    TCase *accuracy = tcase_create("accuracy");
    tcase_add_test(accuracy, test_exp_matches_libm);
    tcase_add_test(accuracy, test_log_matches_libm);
    tcase_add_test(accuracy, test_tanh_matches_libm);
    tcase_add_test(accuracy, test_arrays_bitwise);
    suite_add_tcase(suite, accuracy);
    return suite;
}
