/* check_compare.c -- IL vs RL statistics on small known surfaces; their
 * invariance under scaling across the double range; completeness and
 * non-finite points; the scale-safe vector norm and cosine. */
#include "config.h"

#include <float.h>
#include <math.h>
#include <string.h>

#include <check.h>

#include "ilrl/compare.h"
#include "ilrl/error.h"
#include "ilrl/landscape_grid.h"

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
    ck_assert_uint_eq(c.n_computed, 0);
    ck_assert_double_eq(c.complete_fraction, 0.0);
    ck_assert(isnan(c.pearson));
    ck_assert(isnan(c.il_argmin[0]));
    ck_assert(isnan(c.minima_distance));
    ck_assert_str_eq(c.verdict, "incomplete");
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

/* The value objectives' correlations from a landscape: L_TD = 3 L_IL + 1
 * (r = +1 with IL), L_RL = sin-perturbed (an independent check against
 * ilrl_compare_surfaces' own r), L_CQL = -L_IL, return_mean = -L_TD; a
 * non-finite L_TD at a computed point leaves the TD statistics only. */
START_TEST(test_value_correlations)
{
    struct ilrl_landscape *l = ilrl_landscape_alloc(NX, NY, 1, 1);
    ck_assert_ptr_nonnull(l);
    memcpy(l->x, x, sizeof x);
    memcpy(l->y, y, sizeof y);
    ck_assert_int_eq(ilrl_landscape_add_value_arrays(l, 1, 1), ILRL_OK);
    double td_only[N];
    for (int k = 0; k < N; k++) {
        l->computed[k] = 1;
        l->il_loss[k] = bowl[k];
        l->rl_loss[k] = bowl[k] + 0.3 * sin(3.0 * k);
        l->td_loss[k] = td_only[k] = 3.0 * bowl[k] + 1.0;
        l->cql_loss[k] = -bowl[k];
        l->return_mean[k] = -(3.0 * bowl[k] + 1.0);
    }
    struct ilrl_comparison c, rl_vs_td;
    ck_assert_int_eq(ilrl_compare_landscape(l, &c), ILRL_OK);
    ck_assert(c.has_td && c.has_cql);
    ck_assert_double_eq_tol(c.il_td_pearson, 1.0, 1e-12);
    ck_assert_double_eq_tol(c.il_cql_pearson, -1.0, 1e-12);
    ck_assert_double_eq_tol(c.td_return_pearson, 1.0, 1e-12);
    ck_assert_double_eq_tol(c.cql_return_pearson, -1.0, 1e-12);
    ck_assert_int_eq(ilrl_compare_surfaces(x, NX, y, NY, l->rl_loss, td_only, NULL, NULL,
                                           0.0, &rl_vs_td), ILRL_OK);
    ck_assert_double_eq_tol(c.rl_td_pearson, rl_vs_td.pearson, 1e-14);
    ck_assert(fabs(c.rl_td_pearson) < 0.999);

    l->td_loss[3] = NAN;    /* out of the TD statistics, not of IL vs RL */
    l->td_loss[4] = 1e6;    /* an outlier the NaN must not hide */
    struct ilrl_comparison d;
    ck_assert_int_eq(ilrl_compare_landscape(l, &d), ILRL_OK);
    ck_assert_uint_eq(d.n_points, N);
    ck_assert(memcmp(&d.pearson, &c.pearson, sizeof d.pearson) == 0);
    ck_assert(isfinite(d.il_td_pearson) && d.il_td_pearson < 0.9);
    ilrl_landscape_free(l);

    /* Without td_loss or cql_loss: not reported. */
    struct ilrl_comparison e = compare(bowl, bowl, NULL, NULL);
    ck_assert(!e.has_td && !e.has_cql && isnan(e.il_td_pearson));
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

/* A bumpy RL surface, correlated with the bowl but not perfectly. */
static void bumpy(double *rl)
{
    for (int k = 0; k < N; k++)
        rl[k] = bowl[k] + 0.8 * sin(3.0 * k) - 0.2 * (k % 4);
}

/* Pearson r by the textbook formula in long double, on ordinary magnitudes:
 * the reference the scaled computation must match. */
static double reference_pearson(const double *a, const double *b, int n)
{
    long double ma = 0, mb = 0, saa = 0, sbb = 0, sab = 0;
    for (int k = 0; k < n; k++) {
        ma += a[k];
        mb += b[k];
    }
    ma /= n;
    mb /= n;
    for (int k = 0; k < n; k++) {
        saa += (a[k] - ma) * (a[k] - ma);
        sbb += (b[k] - mb) * (b[k] - mb);
        sab += (a[k] - ma) * (b[k] - mb);
    }
    return (double)(sab / sqrtl(saa * sbb));
}

#define REL_EQ(got, want) ck_assert_msg(fabs((got) - (want)) <= 1e-12 * fmax(1.0, fabs(want)), \
                                        "%s = %.17g, expected %.17g", #got, (double)(got), (double)(want))

/* Surfaces multiplied by 1e-300, 1e160 or 1e300 (each alone, or IL and RL
 * by different factors) give the statistics of the unscaled surfaces: the
 * sums of squares of the raw values would overflow or underflow. */
START_TEST(test_statistics_are_scale_invariant)
{
    double rl[N], return_mean[N];
    bumpy(rl);
    for (int k = 0; k < N; k++)
        return_mean[k] = 3.0 - rl[k] + 0.3 * cos(5.0 * k);
    struct ilrl_comparison base = compare(bowl, rl, NULL, return_mean);
    double r = reference_pearson(bowl, rl, N);
    ck_assert_double_gt(r, 0.5);
    ck_assert_double_lt(r, 0.99);
    REL_EQ(base.pearson, r);
    REL_EQ(base.nrmsd, sqrt((1.0 - r) / 2.0));

    static const double factors[][3] = {   /* IL, RL, return */
        {1e-300, 1e-300, 1e-300}, {1e160, 1e160, 1e160}, {1e300, 1e300, 1e300},
        {1e-300, 1e300, 1e160}, {1e300, 1e-300, 1e-300}, {1e160, 1.0, 1e300}};
    for (size_t f = 0; f < sizeof factors / sizeof factors[0]; f++) {
        double il_s[N], rl_s[N], return_s[N];
        for (int k = 0; k < N; k++) {
            il_s[k] = bowl[k] * factors[f][0];
            rl_s[k] = rl[k] * factors[f][1];
            return_s[k] = return_mean[k] * factors[f][2];
        }
        struct ilrl_comparison c = compare(il_s, rl_s, NULL, return_s);
        ck_assert_uint_eq(c.n_points, N);
        REL_EQ(c.pearson, base.pearson);
        REL_EQ(c.spearman, base.spearman);
        REL_EQ(c.nrmsd, base.nrmsd);
        REL_EQ(c.il_return_pearson, base.il_return_pearson);
        REL_EQ(c.rl_return_pearson, base.rl_return_pearson);
        ck_assert_str_eq(c.verdict, base.verdict);
        ck_assert_double_eq(c.il_argmin[0], base.il_argmin[0]);
        ck_assert_double_eq(c.il_argmin[1], base.il_argmin[1]);
        ck_assert_double_eq(c.rl_argmin[0], base.rl_argmin[0]);
        ck_assert_double_eq(c.rl_argmin[1], base.rl_argmin[1]);
    }
    /* A perfect correlation at 1e160 stays perfect (it read "unrelated"
     * when the Pearson sums overflowed). */
    double big[N], big_negated[N];
    for (int k = 0; k < N; k++) {
        big[k] = 1e160 * bowl[k];
        big_negated[k] = -7e299 * bowl[k];
    }
    struct ilrl_comparison c = compare(big, big, NULL, NULL);
    REL_EQ(c.pearson, 1.0);
    REL_EQ(c.nrmsd, 0.0);
    ck_assert_str_eq(c.verdict, "aligned");
    c = compare(big, big_negated, NULL, NULL);
    REL_EQ(c.pearson, -1.0);
    REL_EQ(c.nrmsd, 1.0);
    ck_assert_str_eq(c.verdict, "inverted");
}
END_TEST

/* Surfaces near DBL_MAX whose sum, mean and spread all exceed the range
 * unless scaled first. */
START_TEST(test_values_near_the_largest_double)
{
    double a[N], b[N];
    for (int k = 0; k < N; k++) {
        a[k] = DBL_MAX * (0.5 + 0.05 * bowl[k] / 7.0) * (k % 2 ? 1.0 : -1.0);
        b[k] = 0.5 * a[k];
    }
    struct ilrl_comparison c = compare(a, b, NULL, NULL);
    REL_EQ(c.pearson, 1.0);
    REL_EQ(c.spearman, 1.0);
    ck_assert_str_eq(c.verdict, "aligned");
}
END_TEST

/* The verdict is withheld below half the grid; the statistics still
 * describe the computed points, and the fraction is reported. */
START_TEST(test_completeness)
{
    double rl[N];
    unsigned char computed[N];
    for (int k = 0; k < N; k++)
        rl[k] = 2.0 * bowl[k] + 1.0;
    for (int n_done = 12; n_done <= N; n_done += 6) {   /* 12, 18, 24, 30 of 35 */
        for (int k = 0; k < N; k++)
            computed[k] = k < n_done;
        struct ilrl_comparison c = compare(bowl, rl, computed, NULL);
        ck_assert_uint_eq(c.n_grid, N);
        ck_assert_uint_eq(c.n_computed, (size_t)n_done);
        ck_assert_uint_eq(c.n_points, (size_t)n_done);
        ck_assert_double_eq(c.complete_fraction, (double)n_done / N);
        ck_assert_double_eq_tol(c.pearson, 1.0, 1e-12);
        ck_assert_str_eq(c.verdict, 2 * n_done < N ? "incomplete" : "aligned");
    }
    memset(computed, 1, sizeof computed);
    computed[3] = 2;   /* not a "computed" mark: only 1 is */
    struct ilrl_comparison c = compare(bowl, rl, computed, NULL);
    ck_assert_uint_eq(c.n_computed, N - 1);
    c = compare(bowl, rl, NULL, NULL);
    ck_assert_double_eq(c.complete_fraction, 1.0);
}
END_TEST

/* Non-finite losses at computed points are counted, located and left out;
 * at uncomputed points they are nobody's business. */
START_TEST(test_nonfinite_points_are_counted)
{
    double il[N], rl[N];
    unsigned char computed[N];
    for (int k = 0; k < N; k++) {
        il[k] = bowl[k];
        rl[k] = -bowl[k];
        computed[k] = 1;
    }
    computed[1] = 0;
    il[1] = NAN;                   /* uncomputed: not counted */
    rl[2 * NX + 3] = INFINITY;     /* first non-finite: (x[3], y[2]) */
    il[3 * NX + 5] = NAN;
    il[4 * NX + 6] = -INFINITY;
    struct ilrl_comparison c = compare(il, rl, computed, NULL);
    ck_assert_uint_eq(c.n_computed, N - 1);
    ck_assert_uint_eq(c.n_nonfinite, 3);
    ck_assert_uint_eq(c.n_points, N - 4);
    ck_assert_double_eq(c.first_nonfinite[0], x[3]);
    ck_assert_double_eq(c.first_nonfinite[1], y[2]);
    ck_assert_double_eq_tol(c.pearson, -1.0, 1e-12);
    c = compare(bowl, bowl, NULL, NULL);
    ck_assert_uint_eq(c.n_nonfinite, 0);
    ck_assert(isnan(c.first_nonfinite[0]));
}
END_TEST

/* The gradient norm and cosine of a plane: same answers whatever the
 * magnitude, no fake zero, bit-identical to the plain sums on ordinary
 * vectors. */
START_TEST(test_vector_norm_and_cosine_are_scale_safe)
{
    enum { P = 9 };
    double a[P], b[P], sa[P], sb[P];
    double aa = 0.0, bb = 0.0, ab = 0.0;
    for (int k = 0; k < P; k++) {
        a[k] = sin(1.0 + k) * (k == 4 ? 30.0 : 1.0);
        b[k] = cos(2.0 * k) + 0.5 * a[k];
        aa += a[k] * a[k];
        bb += b[k] * b[k];
        ab += a[k] * b[k];
    }
    double norm_a = sqrt(aa), cosine = ab / (sqrt(aa) * sqrt(bb));
    ck_assert_double_eq(ilrl_vector_norm(P, a), norm_a);        /* same bits */
    ck_assert_double_eq(ilrl_vector_cosine(P, a, b), cosine);
    ck_assert_double_gt(cosine, 0.1);
    ck_assert_double_lt(cosine, 0.99);

    static const double factors[][2] = {
        {1e-300, 1e-300}, {1e160, 1e160}, {1e300, 1e300}, {1e-300, 1e300},
        {1e160, 1e-160}, {1e-310, 1.0}};
    for (size_t f = 0; f < sizeof factors / sizeof factors[0]; f++) {
        for (int k = 0; k < P; k++) {
            sa[k] = a[k] * factors[f][0];
            sb[k] = b[k] * factors[f][1];
        }
        double tolerance = factors[f][0] < DBL_MIN ? 1e-9 : 1e-14;   /* subnormal */
        ck_assert_msg(fabs(ilrl_vector_norm(P, sa) / (norm_a * factors[f][0]) - 1.0) < tolerance,
                      "norm at scale %g", factors[f][0]);
        ck_assert_msg(fabs(ilrl_vector_cosine(P, sa, sb) - cosine) < tolerance,
                      "cosine at scales %g, %g: %.17g", factors[f][0], factors[f][1],
                      ilrl_vector_cosine(P, sa, sb));
        ck_assert_msg(fabs(ilrl_vector_cosine(P, sa, a) - 1.0) < tolerance, "self cosine");
    }
    double zero[P] = {0};
    ck_assert_double_eq(ilrl_vector_norm(P, zero), 0.0);
    ck_assert_double_eq(ilrl_vector_cosine(P, zero, a), 0.0);
    double max_vector[4] = {DBL_MAX, DBL_MAX, 0.0, 0.0};
    ck_assert(isinf(ilrl_vector_norm(4, max_vector)));   /* the norm itself overflows */
    max_vector[1] = 0.0;
    ck_assert_double_eq(ilrl_vector_norm(4, max_vector), DBL_MAX);
    ck_assert_double_eq_tol(ilrl_vector_cosine(4, max_vector, max_vector), 1.0, 1e-15);
    sa[0] = NAN;
    ck_assert(isnan(ilrl_vector_norm(P, sa)));
    ck_assert(isnan(ilrl_vector_cosine(P, sa, b)));
    sa[0] = INFINITY;
    ck_assert(isinf(ilrl_vector_norm(P, sa)));
    sa[1] = NAN;   /* NaN wins wherever it is */
    ck_assert(isnan(ilrl_vector_norm(P, sa)));
    ck_assert(isnan(ilrl_vector_cosine(P, b, sa)));
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
    tcase_add_test(tc, test_value_correlations);
    tcase_add_test(tc, test_verdict_thresholds);
    tcase_add_test(tc, test_statistics_are_scale_invariant);
    tcase_add_test(tc, test_values_near_the_largest_double);
    tcase_add_test(tc, test_completeness);
    tcase_add_test(tc, test_nonfinite_points_are_counted);
    tcase_add_test(tc, test_vector_norm_and_cosine_are_scale_safe);
    suite_add_tcase(suite, tc);
    return suite;
}
