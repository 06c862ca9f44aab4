/* compare.h -- IL vs RL comparison of one landscape (docs/comparison.md):
 * statistics on plain arrays, no files, no MPI.
 *
 * Only *used* points enter any statistic: computed[k] == 1 (every point if
 * `computed` is NULL) and both losses finite.  The return correlations use
 * the used points where return_mean is also finite.  Computed points whose
 * IL or RL loss is not finite are counted (n_nonfinite, the first one's
 * plane coordinates in first_nonfinite) so that the caller can report them;
 * they never pass silently and never enter a statistic.
 *
 * Definitions:
 *  - pearson, spearman: r and rho of (L_IL, L_RL) over the used points
 *    (Spearman: GSL gsl_stats_spearman, ties get mean ranks).
 *  - il_argmin, rl_argmin: plane coordinates (x, y) of each surface's
 *    smallest value (the first in row-major (y, x) order on ties);
 *    minima_distance: their Euclidean distance in plane units.
 *  - nrmsd: with z = (L - mean L) / std L (population std),
 *        nrmsd = sqrt(mean((z_IL - z_RL)^2)) / 2  =  sqrt((1 - r) / 2),
 *    so identical (or positively scaled) surfaces give 0, a negated surface
 *    gives 1 and uncorrelated ones about 0.71.
 *  - complete_fraction: computed points / grid points (1 for a finished
 *    run, less for a checkpoint).
 *  - verdict: "inverted" if r <= -0.5, "aligned" if r >= +0.5, otherwise
 *    (including r undefined) "unrelated" -- but "incomplete" whenever
 *    complete_fraction < ILRL_COMPARE_MIN_COMPLETE (one half).  A
 *    checkpoint's computed points are whole tiles in schedule order, a band
 *    of the plane rather than a sample of it; with less than half the plane
 *    the band need not hold either minimum, and a verdict on it would read
 *    as one on the plane.  The statistics are still given (over the band);
 *    the caller says that the file is incomplete at any fraction below 1.
 *    The reference experiment expects |r| >= 0.9, well clear of the
 *    thresholds.
 *  - il_return_pearson, rl_return_pearson: Pearson r of -L_IL and of -L_RL
 *    with return_mean (positive: lower loss where the return is higher).
 *  - value objectives (docs/value-objectives.md), from a landscape with
 *    td_loss / cql_loss (ilrl_compare_landscape only), over the used points
 *    where those are finite too: il_td_pearson (L_IL, L_TD), rl_td_pearson
 *    (L_RL, L_TD), il_cql_pearson (L_IL, L_CQL), and with return_mean
 *    td_return_pearson, cql_return_pearson (-L_TD, -L_CQL with the return).
 *
 * Scale: every statistic is invariant under multiplying a surface by any
 * positive constant (negating one flips the signs of r and rho), from
 * losses near 1e-300 to near 1e300.  Sums never see the raw values: each
 * sample is first multiplied by a power of two that brings its largest
 * magnitude into [0.5, 1) (exact, so ordinary data give the same bits as
 * an unscaled computation), then centred in a second pass.  The same
 * power-of-two scaling makes ilrl_vector_norm and ilrl_vector_cosine (used
 * for the gradients of a plane) free of overflow and underflow.
 *
 * A statistic that is undefined -- fewer than 2 used points, or a constant
 * surface (zero variance) -- is NaN; argmins are NaN with no used point.
 * Nothing here fails on such data.
 */
#ifndef ILRL_COMPARE_H
#define ILRL_COMPARE_H

#include <stddef.h>

#include "ilrl/landscape_grid.h"

#define ILRL_COMPARE_INVERTED_R (-0.5)  /* r <= this: "inverted" */
#define ILRL_COMPARE_ALIGNED_R (0.5)    /* r >= this: "aligned" */
#define ILRL_COMPARE_MIN_COMPLETE (0.5) /* complete_fraction below: "incomplete" */

struct ilrl_comparison {
    size_t n_points;            /* used points, 0 .. nx * ny */
    size_t n_grid;              /* nx * ny */
    size_t n_computed;          /* points marked computed */
    size_t n_nonfinite;         /* computed points with a non-finite IL or RL loss */
    double first_nonfinite[2];  /* (x, y) of the first of them, NaN if none */
    double complete_fraction;   /* n_computed / n_grid, in [0, 1] */
    double pearson;             /* [-1, 1] or NaN */
    double spearman;            /* [-1, 1] or NaN */
    double il_argmin[2];        /* (x, y), NaN if no used point */
    double rl_argmin[2];
    double minima_distance;     /* >= 0 or NaN */
    double gradient_cosine;     /* copied from the caller (file metadata) */
    double nrmsd;               /* [0, 1] or NaN */
    const char *verdict;        /* static string: "inverted" | "aligned" |
                                   "unrelated" | "incomplete" */
    int has_return;             /* 1 if return_mean was given */
    double il_return_pearson;   /* NaN unless has_return and defined */
    double rl_return_pearson;
    int has_td, has_cql;        /* 1 if td_loss / cql_loss were given */
    double il_td_pearson;       /* NaN unless has_td and defined */
    double rl_td_pearson;
    double td_return_pearson;   /* NaN unless has_td, has_return and defined */
    double il_cql_pearson;      /* NaN unless has_cql and defined */
    double cql_return_pearson;  /* NaN unless has_cql, has_return and defined */
};

/* Compares two (ny, nx) row-major surfaces on the grid x[nx], y[ny].
 * `computed` and `return_mean` may be NULL.  Returns ILRL_OK, or
 * ILRL_EFAILED (out of memory, zero-size grid) with *result untouched. */
int ilrl_compare_surfaces(const double *x, size_t nx, const double *y, size_t ny,
                          const double *il_loss, const double *rl_loss,
                          const unsigned char *computed, const double *return_mean,
                          double gradient_cosine, struct ilrl_comparison *result);

/* The same for a landscape read from a file, with the value objectives'
 * correlations when it has td_loss or cql_loss. */
int ilrl_compare_landscape(const struct ilrl_landscape *landscape,
                           struct ilrl_comparison *result);

/* The verdict for a Pearson r (see the thresholds above), ignoring
 * completeness. */
const char *ilrl_compare_verdict(double pearson);

/* The exponent e with max |v[k]| = m 2^e, m in [0.5, 1), over the finite
 * entries (0 if none is nonzero): ldexp(v[k], -e) is at most 1 in
 * magnitude, and exactly v[k] / 2^e unless it falls below DBL_MIN. */
int ilrl_vector_exponent(size_t n, const double *v);

/* Euclidean norm of v[n] without overflow or underflow in the sum (as
 * BLAS dnrm2): +inf only if the norm itself exceeds DBL_MAX.  NaN if an
 * entry is NaN; 0 for n == 0 or a zero vector. */
double ilrl_vector_norm(size_t n, const double *v);

/* cos(a, b) = a.b / (|a| |b|), invariant under positive scalings of a and
 * b (separately) over the whole double range; 0 when either vector is zero
 * (the convention of a plane's gradient_cosine), NaN if an entry is not
 * finite.  Clamped to [-1, 1]. */
double ilrl_vector_cosine(size_t n, const double *a, const double *b);

#endif /* ILRL_COMPARE_H */
