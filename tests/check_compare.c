/* check_compare.c -- IL vs RL statistics on small known surfaces. */
#include "config.h"

#include <math.h>

#include <check.h>

#include "ilrl/compare.h"
#include "ilrl/error.h"

#define NX 7
#define NY 5
#define N (NX * NY)

static double x[NX], y[NY], bowl[N];

/* A bowl with its minimum at grid point (i, j) = (4, 1): (x, y) = (1/3, -0.5). */
static void setup(void)
{
    for (int i = 0; i < NX; i++)
        x[i] = -1.0 + 2.0 * i / (NX - 1);
    for (int j = 0; j < NY; j++)
        y[j] = -1.0 + 2.0 * j / (NY - 1);
    for (int j = 0; j < NY; j++)
        for (int i = 0; i < NX; i++) {
            double dx = x[i] - 0.3, dy = y[j] + 0.5;
            bowl[j * NX + i] = dx * dx + 2.0 * dy * dy + 0.1 * x[i] * y[j];
        }
}

static struct ilrl_comparison compare(const double *il, const double *rl,
                                      const unsigned char *computed,
                                      const double *return_mean)
{
    struct ilrl_comparison c;
    ck_assert_int_eq(ilrl_compare_surfaces(x, NX, y, NY, il, rl, computed,
                                           return_mean, 0.25, &c), ILRL_OK);
    return c;
}

START_TEST(test_identical_surfaces)
{
    struct ilrl_comparison c = compare(bowl, bowl, NULL, NULL);
    ck_assert_uint_eq(c.n_points, N);
    ck_assert_double_eq_tol(c.pearson, 1.0, 1e-12);
    ck_assert_double_eq_tol(c.spearman, 1.0, 1e-12);
    ck_assert_double_eq_tol(c.nrmsd, 0.0, 1e-7);
    ck_assert_double_eq(c.minima_distance, 0.0);
    ck_assert_double_eq(c.gradient_cosine, 0.25);
    ck_assert_str_eq(c.verdict, "aligned");
    ck_assert_int_eq(c.has_return, 0);
    ck_assert(isnan(c.il_return_pearson));
}
END_TEST

START_TEST(test_negated_surface)
{
    double negated[N];
    for (int k = 0; k < N; k++)
        negated[k] = 5.0 - 3.0 * bowl[k];
    struct ilrl_comparison c = compare(bowl, negated, NULL, NULL);
    ck_assert_double_eq_tol(c.pearson, -1.0, 1e-12);
    ck_assert_double_eq_tol(c.spearman, -1.0, 1e-12);
    ck_assert_double_eq_tol(c.nrmsd, 1.0, 1e-12);
    ck_assert_str_eq(c.verdict, "inverted");
}
END_TEST

START_TEST(test_known_argmin_and_distance)
{
    double shifted[N];
    for (int k = 0; k < N; k++)
        shifted[k] = 0.0;
    shifted[3 * NX + 0] = -1.0;   /* RL minimum at (x, y) = (-1, 0.5) */
    struct ilrl_comparison c = compare(bowl, shifted, NULL, NULL);
    ck_assert_double_eq_tol(c.il_argmin[0], x[4], 1e-15);
    ck_assert_double_eq_tol(c.il_argmin[1], y[1], 1e-15);
    ck_assert_double_eq_tol(c.rl_argmin[0], -1.0, 1e-15);
    ck_assert_double_eq_tol(c.rl_argmin[1], 0.5, 1e-15);
    ck_assert_double_eq_tol(c.minima_distance, hypot(x[4] + 1.0, y[1] - 0.5), 1e-12);
}
END_TEST

START_TEST(test_spearman_of_monotone_transform)
{
    double transformed[N];
    for (int k = 0; k < N; k++)
        transformed[k] = exp(2.0 * bowl[k]);
    struct ilrl_comparison c = compare(bowl, transformed, NULL, NULL);
    ck_assert_double_eq_tol(c.spearman, 1.0, 1e-12);
    ck_assert_double_lt(c.pearson, 0.999);   /* nonlinear: Pearson is not 1 */
}
END_TEST

START_TEST(test_only_computed_points_are_used)
{
    double il[N], rl[N];
    unsigned char computed[N];
    for (int k = 0; k < N; k++) {
        int row = k / NX;
        computed[k] = row < 3;
        il[k] = computed[k] ? bowl[k] : NAN;
        /* Where not computed, RL holds garbage that would spoil r if used. */
        rl[k] = computed[k] ? -bowl[k] : 1e6 * (k % 3);
    }
    il[4 * NX + 6] = -100.0;            /* uncomputed: must not be the argmin */
    struct ilrl_comparison c = compare(il, rl, computed, NULL);
    ck_assert_uint_eq(c.n_points, 3 * NX);
    ck_assert_double_eq_tol(c.pearson, -1.0, 1e-12);
    ck_assert_double_eq_tol(c.il_argmin[0], x[4], 1e-15);
    ck_assert_double_eq_tol(c.il_argmin[1], y[1], 1e-15);
}
END_TEST

START_TEST(test_constant_surface_is_undefined_not_a_crash)
{
    double constant[N];
    for (int k = 0; k < N; k++)
        constant[k] = 2.5;
    struct ilrl_comparison c = compare(bowl, constant, NULL, constant);
    ck_assert(isnan(c.pearson));
    ck_assert(isnan(c.spearman));
    ck_assert(isnan(c.nrmsd));
    ck_assert(isnan(c.il_return_pearson));
    ck_assert_str_eq(c.verdict, "unrelated");
    ck_assert_double_eq_tol(c.il_argmin[0], x[4], 1e-15);
    ck_assert(!isnan(c.rl_argmin[0]));   /* first point on ties */

    unsigned char none[N] = {0};
    c = compare(bowl, bowl, none, NULL);
    ck_assert_uint_eq(c.n_points, 0);
    ck_assert(isnan(c.pearson));
    ck_assert(isnan(c.il_argmin[0]));
    ck_assert(isnan(c.minima_distance));
    ck_assert_str_eq(c.verdict, "unrelated");
}
END_TEST

START_TEST(test_return_correlations)
{
    double rl[N], return_mean[N];
    for (int k = 0; k < N; k++) {
        rl[k] = 1.0 - bowl[k];
        return_mean[k] = 10.0 - 2.0 * bowl[k];   /* high where IL is low */
    }
    return_mean[0] = NAN;                         /* skipped, not poisonous */
    struct ilrl_comparison c = compare(bowl, rl, NULL, return_mean);
    ck_assert_int_eq(c.has_return, 1);
    ck_assert_double_eq_tol(c.il_return_pearson, 1.0, 1e-12);
    ck_assert_double_eq_tol(c.rl_return_pearson, -1.0, 1e-12);
}
END_TEST

START_TEST(test_verdict_thresholds)
{
    ck_assert_str_eq(ilrl_compare_verdict(-0.5), "inverted");
    ck_assert_str_eq(ilrl_compare_verdict(-0.49), "unrelated");
    ck_assert_str_eq(ilrl_compare_verdict(0.49), "unrelated");
    ck_assert_str_eq(ilrl_compare_verdict(0.5), "aligned");
    ck_assert_str_eq(ilrl_compare_verdict(NAN), "unrelated");
}
END_TEST

Suite *compare_suite(void)
{
    Suite *suite = suite_create("compare");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_identical_surfaces);
    tcase_add_test(tc, test_negated_surface);
    tcase_add_test(tc, test_known_argmin_and_distance);
    tcase_add_test(tc, test_spearman_of_monotone_transform);
    tcase_add_test(tc, test_only_computed_points_are_used);
    tcase_add_test(tc, test_constant_surface_is_undefined_not_a_crash);
    tcase_add_test(tc, test_return_correlations);
    tcase_add_test(tc, test_verdict_thresholds);
    suite_add_tcase(suite, tc);
    return suite;
}
