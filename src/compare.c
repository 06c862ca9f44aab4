/* compare.c -- owns the IL vs RL statistics of a landscape (see
 * include/ilrl/compare.h for the definitions). */
#include "config.h"

#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_statistics_double.h>

#include "ilrl/compare.h"
#include "ilrl/error.h"

const char *ilrl_compare_verdict(double pearson)
{
    if (pearson <= ILRL_COMPARE_INVERTED_R)
        return "inverted";
    if (pearson >= ILRL_COMPARE_ALIGNED_R)
        return "aligned";
    return "unrelated";        /* NaN compares false both ways */
}

/* Whether a sample has no spread: r is then 0/0, whatever GSL returns. */
static int is_constant(const double *values, size_t n)
{
    for (size_t k = 1; k < n; k++)
        if (values[k] != values[0])
            return 0;
    return 1;
}

static double pearson(const double *a, const double *b, size_t n)
{
    if (n < 2 || is_constant(a, n) || is_constant(b, n))
        return NAN;
    double r = gsl_stats_correlation(a, 1, b, 1, n);
    return fmax(-1.0, fmin(1.0, r));   /* rounding can step past +-1 */
}

static double spearman(const double *a, const double *b, size_t n, double *work)
{
    if (n < 2 || is_constant(a, n) || is_constant(b, n))
        return NAN;
    double rho = gsl_stats_spearman(a, 1, b, 1, n, work);
    return fmax(-1.0, fmin(1.0, rho));
}

/* sqrt(mean((z_a - z_b)^2)) / 2 with population z-scores. */
static double normalised_rms_difference(const double *a, const double *b, size_t n)
{
    if (n < 2 || is_constant(a, n) || is_constant(b, n))
        return NAN;
    double mean_a = gsl_stats_mean(a, 1, n), mean_b = gsl_stats_mean(b, 1, n);
    double sd_a = sqrt(gsl_stats_variance_with_fixed_mean(a, 1, n, mean_a));
    double sd_b = sqrt(gsl_stats_variance_with_fixed_mean(b, 1, n, mean_b));
    double sum = 0.0;
    for (size_t k = 0; k < n; k++) {
        double difference = (a[k] - mean_a) / sd_a - (b[k] - mean_b) / sd_b;
        sum += difference * difference;
    }
    return sqrt(sum / (double)n) / 2.0;
}

/* Plane coordinates of the smallest of values[] (first on ties). */
static void argmin(const double *values, const size_t *points, size_t n,
                   const double *x, size_t nx, const double *y, double out[2])
{
    out[0] = out[1] = NAN;
    if (n == 0)
        return;
    size_t best = 0;
    for (size_t k = 1; k < n; k++)
        if (values[k] < values[best])
            best = k;
    out[0] = x[points[best] % nx];
    out[1] = y[points[best] / nx];
}

int ilrl_compare_surfaces(const double *x, size_t nx, const double *y, size_t ny,
                          const double *il_loss, const double *rl_loss,
                          const unsigned char *computed, const double *return_mean,
                          double gradient_cosine, struct ilrl_comparison *result)
{
    if (nx == 0 || ny == 0)
        return ilrl_error(ILRL_EFAILED, "compare: empty grid");
    size_t n_grid = nx * ny;
    /* il, rl, work (2n) and the return pair (2n) in one block. */
    double *il = calloc(6 * n_grid, sizeof *il);
    size_t *points = malloc(n_grid * sizeof *points);
    if (!il || !points) {
        free(il);
        free(points);
        return ilrl_error(ILRL_EFAILED, "compare: out of memory for %zu points", n_grid);
    }
    double *rl = il + n_grid, *work = il + 2 * n_grid;
    double *return_values = il + 4 * n_grid, *negated = il + 5 * n_grid;

    size_t n = 0;
    for (size_t k = 0; k < n_grid; k++)
        if ((!computed || computed[k] == 1) && isfinite(il_loss[k]) && isfinite(rl_loss[k])) {
            il[n] = il_loss[k];
            rl[n] = rl_loss[k];
            points[n++] = k;
        }

    struct ilrl_comparison c;
    c.n_points = n;
    c.pearson = pearson(il, rl, n);
    c.spearman = spearman(il, rl, n, work);
    argmin(il, points, n, x, nx, y, c.il_argmin);
    argmin(rl, points, n, x, nx, y, c.rl_argmin);
    c.minima_distance = hypot(c.il_argmin[0] - c.rl_argmin[0],
                              c.il_argmin[1] - c.rl_argmin[1]);
    c.gradient_cosine = gradient_cosine;
    c.nrmsd = normalised_rms_difference(il, rl, n);
    c.verdict = ilrl_compare_verdict(c.pearson);
    c.has_return = return_mean != NULL;
    c.il_return_pearson = c.rl_return_pearson = NAN;
    if (return_mean) {
        const double *losses[2] = {il, rl};
        double *targets[2] = {&c.il_return_pearson, &c.rl_return_pearson};
        for (int which = 0; which < 2; which++) {
            size_t m = 0;
            for (size_t k = 0; k < n; k++)
                if (isfinite(return_mean[points[k]])) {
                    negated[m] = -losses[which][k];
                    return_values[m++] = return_mean[points[k]];
                }
            *targets[which] = pearson(negated, return_values, m);
        }
    }
    free(il);
    free(points);
    *result = c;
    return ILRL_OK;
}

int ilrl_compare_landscape(const struct ilrl_landscape *landscape,
                           struct ilrl_comparison *result)
{
    return ilrl_compare_surfaces(landscape->x, landscape->nx, landscape->y,
                                 landscape->ny, landscape->il_loss,
                                 landscape->rl_loss, landscape->computed,
                                 landscape->return_mean,
                                 landscape->meta.gradient_cosine, result);
}
