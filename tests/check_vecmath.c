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

#include "ilrl/vecmath.h"
#include "testutil.h"

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

/* tanh against libm, relative (ilrl_vec_tanh: the vector lanes and the
 * tail), on test_tanh_arguments (the expm1 form keeps tiny arguments
 * exact); the saturated ends and the sign of zero.  The issue asks 1e-13;
 * the kernel does 1e-15.  (The fused dense kernel's own tanh is checked in
 * tests/check_dense_kernel.c.) */
START_TEST(test_tanh_matches_libm)
{
    enum { N = N_RANDOM };
    double *z = malloc(N * sizeof(double)), *t = malloc(N * sizeof(double));
    test_tanh_arguments(z, N, 3);
    memcpy(t, z, N * sizeof(double));
    ilrl_vec_tanh(t, N);
    double at, worst = test_tanh_worst(z, t, N, &at);
    ck_assert_msg(worst <= 1e-15, "tanh: largest relative error %.3g at z = %.17g", worst, at);
    ck_assert_msg(t[0] == 0.0 && !signbit(t[0]) && t[1] == 0.0 && signbit(t[1]),
                  "tanh(+-0) = %g, %g", t[0], t[1]);
    const double *s = t + TEST_TANH_SATURATED;
    ck_assert(s[0] == -1.0 && s[1] == 1.0 && s[2] == 1.0 && s[3] == -1.0);
    free(z);
    free(t);
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
