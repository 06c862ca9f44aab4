/* compare.h -- IL vs RL comparison of one landscape (SPEC §10): statistics
 * on plain arrays, no files, no MPI.
 *
 * Only *used* points enter any statistic: computed[k] == 1 (every point if
 * `computed` is NULL) and both losses finite.  The return correlations use
 * the used points where return_mean is also finite.
 *
 * Definitions:
 *  - pearson, spearman: r and rho of (L_IL, L_RL) over the used points
 *    (GSL gsl_stats_correlation / gsl_stats_spearman; ties get mean ranks).
 *  - il_argmin, rl_argmin: plane coordinates (x, y) of each surface's
 *    smallest value (the first in row-major (y, x) order on ties);
 *    minima_distance: their Euclidean distance in plane units.
 *  - nrmsd: with z = (L - mean L) / std L (population std),
 *        nrmsd = sqrt(mean((z_IL - z_RL)^2)) / 2  =  sqrt((1 - r) / 2),
 *    so identical (or positively scaled) surfaces give 0, a negated surface
 *    gives 1 and uncorrelated ones about 0.71.
 *  - verdict: "inverted" if r <= -0.5, "aligned" if r >= +0.5, otherwise
 *    (including r undefined) "unrelated".  The SPEC's reference experiment
 *    expects |r| >= 0.9, well clear of these thresholds.
 *  - il_return_pearson, rl_return_pearson: Pearson r of -L_IL and of -L_RL
 *    with return_mean (positive: lower loss where the return is higher).
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

struct ilrl_comparison {
    size_t n_points;            /* used points, 0 .. nx * ny */
    double pearson;             /* [-1, 1] or NaN */
    double spearman;            /* [-1, 1] or NaN */
    double il_argmin[2];        /* (x, y), NaN if no used point */
    double rl_argmin[2];
    double minima_distance;     /* >= 0 or NaN */
    double gradient_cosine;     /* copied from the caller (file metadata) */
    double nrmsd;               /* [0, 1] or NaN */
    const char *verdict;        /* static string: "inverted" | "aligned" | "unrelated" */
    int has_return;             /* 1 if return_mean was given */
    double il_return_pearson;   /* NaN unless has_return and defined */
    double rl_return_pearson;
};

/* Compares two (ny, nx) row-major surfaces on the grid x[nx], y[ny].
 * `computed` and `return_mean` may be NULL.  Returns ILRL_OK, or
 * ILRL_EFAILED (out of memory, zero-size grid) with *result untouched. */
int ilrl_compare_surfaces(const double *x, size_t nx, const double *y, size_t ny,
                          const double *il_loss, const double *rl_loss,
                          const unsigned char *computed, const double *return_mean,
                          double gradient_cosine, struct ilrl_comparison *result);

/* The same for a landscape read from a file. */
int ilrl_compare_landscape(const struct ilrl_landscape *landscape,
                           struct ilrl_comparison *result);

/* The verdict for a Pearson r (see the thresholds above). */
const char *ilrl_compare_verdict(double pearson);

#endif /* ILRL_COMPARE_H */
