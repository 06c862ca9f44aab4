/* check_adam.c -- Adam against a hand computation (one and three steps),
 * the operation order documented in adam.h bit for bit, checkpoint and
 * restore, and the hyper-parameter checks. */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "ilrl/adam.h"
#include "ilrl/error.h"

/* Textbook Adam (Kingma and Ba, Algorithm 1) in long double: m_hat =
 * m / (1 - b1^t), v_hat = v / (1 - b2^t), theta -= lr m_hat / (sqrt(v_hat)
 * + eps).  Mathematically the same update as PyTorch's arrangement. */
static void textbook_adam(long double *theta, long double *m, long double *v,
                          const double *grad, size_t n, int t, long double lr)
{
    const long double b1 = 0.9L, b2 = 0.999L, eps = 1e-8L;
    for (size_t k = 0; k < n; k++) {
        m[k] = b1 * m[k] + (1 - b1) * grad[k];
        v[k] = b2 * v[k] + (1 - b2) * grad[k] * grad[k];
        long double m_hat = m[k] / (1 - powl(b1, t));
        long double v_hat = v[k] / (1 - powl(b2, t));
        theta[k] -= lr * m_hat / (sqrtl(v_hat) + eps);
    }
}

START_TEST(test_one_step_by_hand)
{
    /* g = 2, theta = 1, lr = 0.1: m = 0.2, v = 0.004, m_hat = 2, v_hat = 4,
     * theta = 1 - 0.1 * 2 / (2 + 1e-8) = 1 - 0.1 / (1 + 5e-9)
     *       = 0.900000000499999997500...
     * g = -0.5, theta = 0: m_hat = -0.5, v_hat = 0.25,
     * theta = 0.1 * 0.5 / (0.5 + 1e-8) = 0.1 / (1 + 2e-8) = 0.0999999980000000040...
     * g = 0: m = v = 0, theta unchanged (0 / eps). */
    struct ilrl_adam *adam = ilrl_adam_alloc(3, 0.1);
    ck_assert_ptr_nonnull(adam);
    double theta[3] = {1.0, 0.0, 3.0};
    const double grad[3] = {2.0, -0.5, 0.0};
    ilrl_adam_step(adam, theta, grad);
    ck_assert_uint_eq(adam->step, 1);
    ck_assert_double_eq_tol(theta[0], 0.9000000004999999975, 2e-16);
    ck_assert_double_eq_tol(theta[1], 0.0999999980000000040, 5e-17);   /* 3 ulp */
    ck_assert_double_eq(theta[2], 3.0);
    ck_assert_double_eq_tol(adam->m[0], 0.2, 1e-16);
    ck_assert_double_eq_tol(adam->v[0], 0.004, 1e-17);   /* 1 - 0.999 is 0.0010000000000000009 */
    ck_assert_double_eq_tol(adam->m[1], -0.05, 5e-17);   /* 1 - 0.9 is 0.09999999999999998 */
    ck_assert_double_eq_tol(adam->v[1], 0.00025, 1e-18);
    ilrl_adam_free(adam);
}
END_TEST

START_TEST(test_three_steps_by_hand)
{
    /* Gradients 2, -1, 0.5 on one parameter (and their negatives and a
     * tiny one on two others), lr 1e-3, against the textbook form. */
    const double grads[3][3] = {{2.0, -2.0, 1e-9}, {-1.0, 1.0, 3e-9}, {0.5, -0.5, -2e-9}};
    struct ilrl_adam *adam = ilrl_adam_alloc(3, 1e-3);
    double theta[3] = {0.25, -0.25, 1.0};
    long double ref[3] = {0.25L, -0.25L, 1.0L}, m[3] = {0}, v[3] = {0};
    for (int t = 1; t <= 3; t++) {
        ilrl_adam_step(adam, theta, grads[t - 1]);
        textbook_adam(ref, m, v, grads[t - 1], 3, t, 1e-3L);
        for (int k = 0; k < 3; k++) {
            ck_assert_double_eq_tol(theta[k], (double)ref[k], 1e-15);
            ck_assert_double_eq_tol(adam->m[k], (double)m[k], 1e-15 * fabsl(m[k]) + 1e-30);
            ck_assert_double_eq_tol(adam->v[k], (double)v[k], 1e-15 * fabsl(v[k]) + 1e-40);
        }
    }
    ck_assert_uint_eq(adam->step, 3);
    /* By hand for parameter 0: m = 0.2, then 0.08, then 0.122; v = 0.004,
     * then 0.004996, then 0.005241004; m_hat3 = 0.122 / 0.271 =
     * 0.45018450184501845, v_hat3 = 0.005241004 / 0.002997001 =
     * 1.7487493...; the three updates move theta by -1e-3 * (1 - ...),
     * -1e-3 * 0.08/0.19 / sqrt(0.004996/0.001999), -1e-3 * 0.4502/1.3224. */
    ck_assert_double_eq_tol(adam->m[0], 0.122, 1e-16);
    ck_assert_double_eq_tol(adam->v[0], 0.005241004, 1e-17);
    double expected = 0.25 - 1e-3 * (2.0 / (2.0 + 1e-8))
                      - 1e-3 * (0.08 / 0.19) / (sqrt(0.004996 / 0.001999) + 1e-8)
                      - 1e-3 * (0.122 / 0.271) / (sqrt(0.005241004 / 0.002997001) + 1e-8);
    ck_assert_double_eq_tol(theta[0], expected, 1e-15);
    ilrl_adam_free(adam);
}
END_TEST

/* The documented arrangement, written out again: pins the operation order
 * that makes the PyTorch comparison exact. */
START_TEST(test_documented_formula_bit_for_bit)
{
    enum { P = 13 };   /* three vectors of 4 and a scalar tail */
    struct ilrl_adam *adam = ilrl_adam_alloc(P, 3e-4);
    double theta[P], mine[P], m[P] = {0}, v[P] = {0};
    for (int k = 0; k < P; k++)
        theta[k] = mine[k] = 0.1 * (k - 3) + 0.01;
    for (int t = 1; t <= 5; t++) {
        double grad[P];
        for (int k = 0; k < P; k++)
            grad[k] = sin(1.7 * k + 0.3 * t) * pow(10.0, k - 4);
        ilrl_adam_step(adam, theta, grad);
        double c1 = 1.0 - pow(0.9, t), c2 = sqrt(1.0 - pow(0.999, t));
        double step_size = 3e-4 / c1;
        for (int k = 0; k < P; k++) {
            m[k] = fma(grad[k], 1.0 - 0.9, m[k] * 0.9);
            volatile double decayed = v[k] * 0.999;
            volatile double added = ((1.0 - 0.999) * grad[k]) * grad[k];
            v[k] = decayed + added;
            volatile double root = sqrt(v[k]) / c2;
            double denom = root + 1e-8;
            volatile double numerator = -step_size * m[k];
            mine[k] = mine[k] + numerator / denom;
        }
        for (int k = 0; k < P; k++) {
            ck_assert_msg(theta[k] == mine[k], "step %d theta[%d]: %.17g != %.17g",
                          t, k, theta[k], mine[k]);
            ck_assert(adam->m[k] == m[k] && adam->v[k] == v[k]);
        }
    }
    ilrl_adam_free(adam);
}
END_TEST

START_TEST(test_restore_continues_bit_for_bit)
{
    enum { P = 5 };
    struct ilrl_adam *a = ilrl_adam_alloc(P, 1e-2), *b = ilrl_adam_alloc(P, 1e-2);
    double theta_a[P] = {0.1, -0.2, 0.3, -0.4, 0.5}, theta_b[P];
    double grad[P];
    for (int t = 0; t < 10; t++) {
        for (int k = 0; k < P; k++)
            grad[k] = cos(0.7 * t + k);
        ilrl_adam_step(a, theta_a, grad);
        if (t == 3) {   /* checkpoint: copy theta, m, v, step into b */
            memcpy(theta_b, theta_a, sizeof theta_b);
            memcpy(b->m, a->m, P * sizeof(double));
            memcpy(b->v, a->v, P * sizeof(double));
            b->step = a->step;
        } else if (t > 3) {
            ilrl_adam_step(b, theta_b, grad);
        }
    }
    ck_assert_int_eq(memcmp(theta_a, theta_b, sizeof theta_a), 0);
    ck_assert_int_eq(memcmp(a->m, b->m, P * sizeof(double)), 0);
    ck_assert_uint_eq(a->step, b->step);
    /* reset = fresh optimiser */
    ilrl_adam_reset(a);
    ck_assert_uint_eq(a->step, 0);
    for (int k = 0; k < P; k++)
        ck_assert(a->m[k] == 0.0 && a->v[k] == 0.0);
    ilrl_adam_free(a);
    ilrl_adam_free(b);
}
END_TEST

START_TEST(test_bad_hyper_parameters)
{
    ck_assert_ptr_null(ilrl_adam_alloc(3, 0.0));
    ck_assert_str_eq(ilrl_error_message(),
                     "--lr 0: the learning rate must be a finite number > 0");
    ck_assert_ptr_null(ilrl_adam_alloc(3, NAN));
    ck_assert_ptr_null(ilrl_adam_alloc(0, 1e-3));
    struct ilrl_adam *adam = ilrl_adam_alloc(2, 1e-3);
    ck_assert_int_eq(ilrl_adam_check(adam), ILRL_OK);
    adam->beta2 = 1.0;
    ck_assert_int_eq(ilrl_adam_check(adam), ILRL_EUSAGE);
    ck_assert_str_eq(ilrl_error_message(), "Adam beta2 1 is outside [0, 1)");
    adam->beta2 = 0.999;
    adam->eps = -1.0;
    ck_assert_int_eq(ilrl_adam_check(adam), ILRL_EUSAGE);
    ilrl_adam_free(adam);
    ilrl_adam_free(NULL);
}
END_TEST

Suite *adam_suite(void)
{
    Suite *s = suite_create("adam");
    TCase *tc = tcase_create("adam");
    tcase_add_test(tc, test_one_step_by_hand);
    tcase_add_test(tc, test_three_steps_by_hand);
    tcase_add_test(tc, test_documented_formula_bit_for_bit);
    tcase_add_test(tc, test_restore_continues_bit_for_bit);
    tcase_add_test(tc, test_bad_hyper_parameters);
    suite_add_tcase(s, tc);
    return s;
}
