/* compare.c -- owns the IL vs RL statistics of a landscape and the
 * scale-safe vector norm and cosine (see include/ilrl/compare.h for the
 * definitions, the completeness rule and the scaling). */
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

/* Below DBL_MIN a scaled value loses bits, but its square would not count
 * next to the largest one's anyway.  Non-finite entries are skipped (the
 * callers deal with them). */
int ilrl_vector_exponent(size_t n, const double *v)
{
    double largest = 0.0;
    for (size_t k = 0; k < n; k++)
        if (isfinite(v[k]) && fabs(v[k]) > largest)
            largest = fabs(v[k]);
    int exponent = 0;
    if (largest > 0.0)
        frexp(largest, &exponent);
    return exponent;
}

/* A sample brought to unit scale and centred: value k is
 * ldexp(v[k], -exponent) - mean. */
struct scaled_sample {
    int exponent;
    double mean;
};

/* Two passes over the scaled values: the mean, then its correction by the
 * mean of the deviations (Bjorck's corrected two-pass form). */
static struct scaled_sample scale_sample(const double *v, size_t n)
{
    struct scaled_sample s = {ilrl_vector_exponent(n, v), 0.0};
    double sum = 0.0;
    for (size_t k = 0; k < n; k++)
        sum += ldexp(v[k], -s.exponent);
    s.mean = sum / (double)n;
    double correction = 0.0;
    for (size_t k = 0; k < n; k++)
        correction += ldexp(v[k], -s.exponent) - s.mean;
    s.mean += correction / (double)n;
    return s;
}

static double deviation(const struct scaled_sample *s, double value)
{
    return ldexp(value, -s->exponent) - s->mean;
}

/* Sums of squared and crossed deviations of the scaled samples: each
 * deviation is at most 2 in magnitude, so no sum overflows. */
static void deviation_sums(const double *a, const double *b, size_t n,
                           double *saa, double *sbb, double *sab)
{
    struct scaled_sample sa = scale_sample(a, n), sb = scale_sample(b, n);
    *saa = *sbb = *sab = 0.0;
    for (size_t k = 0; k < n; k++) {
        double da = deviation(&sa, a[k]), db = deviation(&sb, b[k]);
        *saa += da * da;
        *sbb += db * db;
        *sab += da * db;
    }
}

static double pearson(const double *a, const double *b, size_t n)
{
    if (n < 2 || is_constant(a, n) || is_constant(b, n))
        return NAN;
    double saa, sbb, sab;
    deviation_sums(a, b, n, &saa, &sbb, &sab);
    if (!(saa > 0.0) || !(sbb > 0.0))
        return NAN;
    double r = sab / (sqrt(saa) * sqrt(sbb));
    return fmax(-1.0, fmin(1.0, r));   /* rounding can step past +-1 */
}

/* Ranks are small numbers: GSL's sums cannot overflow on them. */
static double spearman(const double *a, const double *b, size_t n, double *work)
{
    if (n < 2 || is_constant(a, n) || is_constant(b, n))
        return NAN;
    double rho = gsl_stats_spearman(a, 1, b, 1, n, work);
    return fmax(-1.0, fmin(1.0, rho));
}

/* sqrt(mean((z_a - z_b)^2)) / 2 with population z-scores of the scaled
 * samples (z is unchanged by the scaling). */
static double normalised_rms_difference(const double *a, const double *b, size_t n)
{
    if (n < 2 || is_constant(a, n) || is_constant(b, n))
        return NAN;
    struct scaled_sample sa = scale_sample(a, n), sb = scale_sample(b, n);
    double saa = 0.0, sbb = 0.0;
    for (size_t k = 0; k < n; k++) {
        double da = deviation(&sa, a[k]), db = deviation(&sb, b[k]);
        saa += da * da;
        sbb += db * db;
    }
    double sd_a = sqrt(saa / (double)n), sd_b = sqrt(sbb / (double)n);
    if (!(sd_a > 0.0) || !(sd_b > 0.0))
        return NAN;
    double sum = 0.0;
    for (size_t k = 0; k < n; k++) {
        double difference = deviation(&sa, a[k]) / sd_a - deviation(&sb, b[k]) / sd_b;
        sum += difference * difference;
    }
    return sqrt(sum / (double)n) / 2.0;
}

double ilrl_vector_norm(size_t n, const double *v)
{
    int infinite = 0;
    for (size_t k = 0; k < n; k++) {
        if (isnan(v[k]))
            return NAN;
        infinite |= isinf(v[k]);
    }
    if (infinite)
        return INFINITY;
    int exponent = ilrl_vector_exponent(n, v);
    double sum = 0.0;
    for (size_t k = 0; k < n; k++) {
        double scaled = ldexp(v[k], -exponent);
        sum += scaled * scaled;
    }
    return ldexp(sqrt(sum), exponent);
}

double ilrl_vector_cosine(size_t n, const double *a, const double *b)
{
    for (size_t k = 0; k < n; k++)
        if (!isfinite(a[k]) || !isfinite(b[k]))
            return NAN;
    int ea = ilrl_vector_exponent(n, a), eb = ilrl_vector_exponent(n, b);
    double saa = 0.0, sbb = 0.0, sab = 0.0;
    for (size_t k = 0; k < n; k++) {
        double x = ldexp(a[k], -ea), y = ldexp(b[k], -eb);
        saa += x * x;
        sbb += y * y;
        sab += x * y;
    }
    if (!(saa > 0.0) || !(sbb > 0.0))
        return 0.0;
    double cosine = sab / (sqrt(saa) * sqrt(sbb));
    return fmax(-1.0, fmin(1.0, cosine));
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

    struct ilrl_comparison c;
    size_t n = 0;
    c.n_grid = n_grid;
    c.n_computed = c.n_nonfinite = 0;
    c.first_nonfinite[0] = c.first_nonfinite[1] = NAN;
    for (size_t k = 0; k < n_grid; k++) {
        if (computed && computed[k] != 1)
            continue;
        c.n_computed++;
        if (isfinite(il_loss[k]) && isfinite(rl_loss[k])) {
            il[n] = il_loss[k];
            rl[n] = rl_loss[k];
            points[n++] = k;
        } else if (c.n_nonfinite++ == 0) {
            c.first_nonfinite[0] = x[k % nx];
            c.first_nonfinite[1] = y[k / nx];
        }
    }
    c.complete_fraction = (double)c.n_computed / (double)n_grid;
    c.n_points = n;
    c.pearson = pearson(il, rl, n);
    c.spearman = spearman(il, rl, n, work);
    argmin(il, points, n, x, nx, y, c.il_argmin);
    argmin(rl, points, n, x, nx, y, c.rl_argmin);
    c.minima_distance = hypot(c.il_argmin[0] - c.rl_argmin[0],
                              c.il_argmin[1] - c.rl_argmin[1]);
    c.gradient_cosine = gradient_cosine;
    c.nrmsd = normalised_rms_difference(il, rl, n);
    c.verdict = c.complete_fraction < ILRL_COMPARE_MIN_COMPLETE
                ? "incomplete" : ilrl_compare_verdict(c.pearson);
    c.has_return = return_mean != NULL;
    c.il_return_pearson = c.rl_return_pearson = NAN;
    c.has_td = c.has_cql = 0;
    c.il_td_pearson = c.rl_td_pearson = c.td_return_pearson = NAN;
    c.il_cql_pearson = c.cql_return_pearson = NAN;
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

/* Pearson r of (sign_a a, b) over the used points (computed, L_IL and L_RL
 * finite) where a and b are finite too. */
static double used_pearson(const struct ilrl_landscape *l, const double *a, double sign_a,
                           const double *b, double *pair)
{
    size_t n_grid = l->nx * l->ny, m = 0;
    double *first = pair, *second = pair + n_grid;
    for (size_t k = 0; k < n_grid; k++)
        if (l->computed[k] == 1 && isfinite(l->il_loss[k]) && isfinite(l->rl_loss[k])
            && isfinite(a[k]) && isfinite(b[k])) {
            first[m] = sign_a * a[k];
            second[m++] = b[k];
        }
    return pearson(first, second, m);
}

int ilrl_compare_landscape(const struct ilrl_landscape *landscape,
                           struct ilrl_comparison *result)
{
    const struct ilrl_landscape *l = landscape;
    struct ilrl_comparison c;
    int status = ilrl_compare_surfaces(l->x, l->nx, l->y, l->ny, l->il_loss, l->rl_loss,
                                       l->computed, l->return_mean,
                                       l->meta.gradient_cosine, &c);
    if (status != ILRL_OK || (l->td_loss == NULL && l->cql_loss == NULL)) {
        if (status == ILRL_OK)
            *result = c;
        return status;
    }
    double *pair = malloc(2 * l->nx * l->ny * sizeof *pair);
    if (pair == NULL)
        return ilrl_error(ILRL_EFAILED, "compare: out of memory for %zu points",
                          l->nx * l->ny);
    c.has_td = l->td_loss != NULL;
    c.has_cql = l->cql_loss != NULL;
    if (c.has_td) {
        c.il_td_pearson = used_pearson(l, l->il_loss, 1.0, l->td_loss, pair);
        c.rl_td_pearson = used_pearson(l, l->rl_loss, 1.0, l->td_loss, pair);
        if (l->return_mean != NULL)
            c.td_return_pearson = used_pearson(l, l->td_loss, -1.0, l->return_mean, pair);
    }
    if (c.has_cql) {
        c.il_cql_pearson = used_pearson(l, l->il_loss, 1.0, l->cql_loss, pair);
        if (l->return_mean != NULL)
            c.cql_return_pearson = used_pearson(l, l->cql_loss, -1.0, l->return_mean, pair);
    }
    free(pair);
    *result = c;
    return ILRL_OK;
}
