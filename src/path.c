/* path.c -- owns the training path: its checkpoints read from a trajectory
 * file, the trajectory plane (SVD) and the projection onto a plane (see
 * include/ilrl/path.h). */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_vector.h>

#include "ilrl/error.h"
#include "ilrl/network_source.h"
#include "ilrl/path.h"
#include "ilrl/trajectory_io.h"

/* Below this ratio sigma_2 / sigma_1 the second direction is rounding
 * noise of a one-dimensional path. */
#define RANK_TWO_THRESHOLD 1e-12

const char *ilrl_path_phase_name(int phase)
{
    return phase == ILRL_PATH_IL ? "il" : phase == ILRL_PATH_RL ? "rl" : "all";
}

static int parse_phase(const char *text, int *phase)
{
    static const int phases[3] = {ILRL_PATH_ALL, ILRL_PATH_IL, ILRL_PATH_RL};
    for (int k = 0; k < 3; k++)
        if (strcmp(text, ilrl_path_phase_name(phases[k])) == 0) {
            *phase = phases[k];
            return 1;
        }
    return 0;
}

void ilrl_path_free(struct ilrl_path *path)
{
    if (path == NULL)
        return;
    free(path->file);
    free(path->theta);
    free(path->checkpoint_phase);
    free(path->update);
    free(path->env_steps);
    free(path->index);
    ilrl_mlp_free(path->mlp);
    memset(path, 0, sizeof *path);
}

/* Keeps the trajectory's checkpoints of `path->phase`, in file order. */
static int keep_checkpoints(struct ilrl_path *path, const struct ilrl_trajectory *traj)
{
    size_t P = traj->n_params, n = 0;
    for (size_t k = 0; k < traj->n_checkpoints; k++)
        n += path->phase == ILRL_PATH_ALL || traj->ck_phase[k] == path->phase;
    if (traj->n_checkpoints == 0)
        return ilrl_error(ILRL_EINPUT, "%s: the trajectory holds no checkpoint of theta",
                          path->file);
    if (n == 0)
        return ilrl_error(ILRL_EINPUT, "%s: none of its %zu checkpoints is of phase %s",
                          path->file, traj->n_checkpoints, ilrl_path_phase_name(path->phase));
    path->n_params = P;
    path->theta = malloc(n * P * sizeof *path->theta);
    path->checkpoint_phase = malloc(n * sizeof *path->checkpoint_phase);
    path->update = malloc(n * sizeof *path->update);
    path->env_steps = malloc(n * sizeof *path->env_steps);
    path->index = malloc(n * sizeof *path->index);
    if (path->theta == NULL || path->checkpoint_phase == NULL || path->update == NULL
        || path->env_steps == NULL || path->index == NULL)
        return ilrl_error(ILRL_EFAILED, "out of memory for the checkpoints of %s", path->file);
    for (size_t k = 0; k < traj->n_checkpoints; k++) {
        if (path->phase != ILRL_PATH_ALL && traj->ck_phase[k] != path->phase)
            continue;
        size_t i = path->n_checkpoints++;
        memcpy(path->theta + i * P, traj->ck_theta + k * P, P * sizeof *path->theta);
        path->checkpoint_phase[i] = traj->ck_phase[k];
        path->update[i] = traj->ck_update[k];
        path->env_steps[i] = traj->ck_env_steps[k];
        path->index[i] = (long long)k;
    }
    return ILRL_OK;
}

int ilrl_path_read(const char *option, const char *spec, struct ilrl_path *path)
{
    char *suffix = NULL, *settings = NULL;
    memset(path, 0, sizeof *path);
    path->phase = ILRL_PATH_ALL;
    int status = ilrl_file_suffix_split(spec, &path->file, &suffix);
    if (status == ILRL_OK && suffix != NULL && !parse_phase(suffix, &path->phase)) {
        if (access(path->file, F_OK) == 0) {
            status = ilrl_error(ILRL_EUSAGE, "%s %s: PHASE '%s' is not il, rl or all", option,
                                spec, suffix);
        } else {   /* neither "x.nc:foo" nor "x.nc" exists: name what was given */
            free(path->file);
            path->file = strdup(spec);
            if (path->file == NULL)
                status = ilrl_error(ILRL_EFAILED, "out of memory");
        }
    }
    free(suffix);
    if (status != ILRL_OK)
        return status;
    char *kind = NULL;
    status = ilrl_file_kind(path->file, &kind);
    if (status == ILRL_OK && strcmp(kind, ILRL_TRAJECTORY_KIND) != 0)
        status = ilrl_error(ILRL_EINPUT, "%s: not a trajectory file (ilrl_file_kind '%s'), %s needs one",
                            path->file, kind, option);
    free(kind);
    if (status != ILRL_OK)
        return status;
    struct ilrl_trajectory traj;
    status = ilrl_trajectory_read(path->file, &traj, &path->mlp, &settings, NULL);
    free(settings);
    if (status != ILRL_OK)
        return status;
    status = keep_checkpoints(path, &traj);
    ilrl_trajectory_free(&traj);
    return status;
}

/* ---- the trajectory plane ---------------------------------------------------- */

static double dot(size_t n, const double *a, const double *b)
{
    double sum = 0.0;
    for (size_t k = 0; k < n; k++)
        sum += a[k] * b[k];
    return sum;
}

/* Unit norm, and the entry of largest magnitude positive. */
static void normalise_with_sign(size_t n, double *d)
{
    size_t largest = 0;
    for (size_t k = 1; k < n; k++)
        if (fabs(d[k]) > fabs(d[largest]))
            largest = k;
    double scale = 1.0 / sqrt(dot(n, d, d));
    if (d[largest] < 0.0)
        scale = -scale;
    for (size_t k = 0; k < n; k++)
        d[k] *= scale;
}

int ilrl_path_pca(size_t n, size_t n_params, const double *theta, const double *ref,
                  double *direction_x, double *direction_y, double explained_variance[2])
{
    const size_t P = n_params;
    const int transpose = P >= n;          /* decompose A^T (P x n), else A (n x P) */
    const size_t rows = transpose ? P : n, columns = transpose ? n : P;
    if (n < 2 || P < 2)
        return ilrl_error(ILRL_EINPUT, "%zu checkpoints of %zu parameters span no plane", n, P);
    /* GSL's default handler aborts on a failed allocation: statuses instead */
    gsl_error_handler_t *old_handler = gsl_set_error_handler_off();
    gsl_matrix *a = gsl_matrix_alloc(rows, columns);
    gsl_matrix *v = gsl_matrix_alloc(columns, columns);
    gsl_vector *s = gsl_vector_alloc(columns);
    gsl_vector *work = gsl_vector_alloc(columns);
    int status = ILRL_OK;
    if (a == NULL || v == NULL || s == NULL || work == NULL) {
        status = ilrl_error(ILRL_EFAILED, "out of memory for the SVD of %zu x %zu", rows, columns);
        goto done;
    }
    for (size_t k = 0; k < n; k++)
        for (size_t p = 0; p < P; p++) {
            double entry = theta[k * P + p] - ref[p];
            if (transpose)
                gsl_matrix_set(a, p, k, entry);
            else
                gsl_matrix_set(a, k, p, entry);
        }
    int gsl_status = gsl_linalg_SV_decomp(a, v, s, work);
    if (gsl_status != GSL_SUCCESS) {
        status = ilrl_error(ILRL_EFAILED, "the SVD of the checkpoints failed: %s",
                            gsl_strerror(gsl_status));
        goto done;
    }
    /* Singular values come sorted, largest first. */
    double s1 = gsl_vector_get(s, 0), s2 = gsl_vector_get(s, 1), total = 0.0;
    if (!isfinite(s1)) {
        status = ilrl_error(ILRL_EINPUT, "the checkpoints are too far from the reference (singular value %g)", s1);
        goto done;
    }
    if (s1 == 0.0) {
        status = ilrl_error(ILRL_EINPUT, "every checkpoint equals the reference theta: the path spans no plane");
        goto done;
    }
    if (!(s2 > RANK_TWO_THRESHOLD * s1)) {
        status = ilrl_error(ILRL_EINPUT, "the checkpoints lie on one line through the reference theta (sigma2/sigma1 = %.3g): the path spans no plane",
                            s2 / s1);
        goto done;
    }
    for (size_t i = 0; i < columns; i++)
        total += gsl_vector_get(s, i) * gsl_vector_get(s, i);
    explained_variance[0] = s1 * s1 / total;
    explained_variance[1] = s2 * s2 / total;
    /* The right singular vectors of A: the columns of U (A^T = U S V^T, in
     * `a`) or of V (A = U S V^T). */
    const gsl_matrix *vectors = transpose ? a : v;
    for (size_t p = 0; p < P; p++) {
        direction_x[p] = gsl_matrix_get(vectors, p, 0);
        direction_y[p] = gsl_matrix_get(vectors, p, 1);
    }
    normalise_with_sign(P, direction_x);
    normalise_with_sign(P, direction_y);
done:
    gsl_matrix_free(a);
    gsl_matrix_free(v);
    gsl_vector_free(s);
    gsl_vector_free(work);
    gsl_set_error_handler(old_handler);
    return status;
}

/* ---- the path on a plane --------------------------------------------------------- */

void ilrl_path_project(size_t n, size_t n_params, const double *theta, const double *theta0,
                       const double *direction_x, const double *direction_y, double *x,
                       double *y, double *residual)
{
    const size_t P = n_params;
    const double *dx = direction_x, *dy = direction_y;
    double xx = dot(P, dx, dx), xy = dot(P, dx, dy), yy = dot(P, dy, dy);
    double determinant = xx * yy - xy * xy;
    for (size_t k = 0; k < n; k++) {
        const double *t = theta + k * P;
        double bx = 0.0, by = 0.0, vv = 0.0;
        for (size_t p = 0; p < P; p++) {
            double v = t[p] - theta0[p];
            bx += dx[p] * v;
            by += dy[p] * v;
            vv += v * v;
        }
        x[k] = (yy * bx - xy * by) / determinant;
        y[k] = (xx * by - xy * bx) / determinant;
        double rr = 0.0;
        for (size_t p = 0; p < P; p++) {
            double r = (t[p] - theta0[p]) - x[k] * dx[p] - y[k] * dy[p];
            rr += r * r;
        }
        residual[k] = vv > 0.0 ? sqrt(rr / vv) : 0.0;
    }
}
