/* path_probe.c -- the training path of a landscape file, checked from
 * outside the engine, for tests/landscape_path.np2.
 *
 *   path_probe same A.nc B.nc
 *       Every grid array, the mask, x, y, theta0, the directions, and the
 *       path (coordinates, residuals, values, phases, counters), the
 *       explained variances and the theta/path attributes are the same bit
 *       for bit.
 *   path_probe trajectory FILE.nc TRAJ.nc
 *       Each checkpoint of FILE's path has path_il_loss and path_rl_loss
 *       equal (1e-12 relative) to the il_loss_train and rl_loss_demo that
 *       TRAJ recorded for the row of the same phase and update.
 *   path_probe centre FILE.nc TRAJ.nc
 *       FILE's theta0 came from TRAJ checkpoint theta_checkpoint, and the
 *       grid point at (x, y) = (0, 0) holds the il_loss_train and
 *       rl_loss_demo that TRAJ recorded for it (1e-12 relative).
 *   path_probe explained FILE.nc TRAJ.nc
 *       FILE is a trajectory plane of TRAJ (path_phase's checkpoints):
 *       explained_variance[i] equals sum_k (d_i . (theta_k - theta0))^2 /
 *       sum_k |theta_k - theta0|^2 over those checkpoints (1e-10), and
 *       d_x, d_y are orthonormal (1e-12).
 *   path_probe get FILE.nc VARIABLE K
 *       Prints path variable VARIABLE (path_x, path_y, path_residual,
 *       path_il_loss, ...) at checkpoint K with 17 digits.
 * Prints one line per failure and exits 1, else 0.
 */
#include "config.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ilrl/error.h"
#include "ilrl/landscape_io.h"
#include "ilrl/mlp.h"
#include "ilrl/trajectory_io.h"

#define TOLERANCE 1e-12

static int failures = 0;

static void failf(const char *format, ...) __attribute__((format(printf, 1, 2)));

static void failf(const char *format, ...)
{
    va_list args;
    va_start(args, format);
    fprintf(stderr, "path_probe: ");
    vfprintf(stderr, format, args);
    fputc('\n', stderr);
    va_end(args);
    failures++;
}

static struct ilrl_landscape *load(const char *path)
{
    struct ilrl_landscape *landscape = NULL;
    if (ilrl_landscape_read(path, &landscape) != ILRL_OK) {
        fprintf(stderr, "path_probe: %s\n", ilrl_error_message());
        exit(2);
    }
    return landscape;
}

static void same_bytes(const char *what, const void *a, const void *b, size_t n)
{
    if ((a == NULL) != (b == NULL) || (a != NULL && memcmp(a, b, n) != 0))
        failf("%s differs", what);
}

static int same(const char *file_a, const char *file_b)
{
    struct ilrl_landscape *a = load(file_a), *b = load(file_b);
    if (a->nx != b->nx || a->ny != b->ny || a->n_params != b->n_params) {
        failf("%s: grids of other sizes (%g vs %g points)", "shape", (double)(a->nx * a->ny),
              (double)(b->nx * b->ny));
        goto done;
    }
    size_t points = a->nx * a->ny, P = a->n_params;
    double *arrays_a[ILRL_LANDSCAPE_MAX_POINT_ARRAYS], *arrays_b[ILRL_LANDSCAPE_MAX_POINT_ARRAYS];
    const char *names[ILRL_LANDSCAPE_MAX_POINT_ARRAYS];
    size_t n_arrays = ilrl_landscape_point_arrays(a, arrays_a);
    if (ilrl_landscape_point_arrays(b, arrays_b) != n_arrays)
        failf("%s: other grid arrays (%g vs %g)", "arrays", (double)n_arrays,
              (double)ilrl_landscape_point_arrays(b, arrays_b));
    ilrl_landscape_point_array_names(a, names);
    for (size_t k = 0; !failures && k < n_arrays; k++)
        same_bytes(names[k], arrays_a[k], arrays_b[k], points * sizeof(double));
    same_bytes("computed", a->computed, b->computed, points);
    same_bytes("x", a->x, b->x, a->nx * sizeof(double));
    same_bytes("y", a->y, b->y, a->ny * sizeof(double));
    same_bytes("theta0", a->theta0, b->theta0, P * sizeof(double));
    same_bytes("direction_x", a->direction_x, b->direction_x, P * sizeof(double));
    same_bytes("direction_y", a->direction_y, b->direction_y, P * sizeof(double));
    same_bytes("explained_variance", a->meta.explained_variance, b->meta.explained_variance,
               sizeof a->meta.explained_variance);
    if (strcmp(a->meta.theta_file, b->meta.theta_file) != 0
        || a->meta.theta_checkpoint != b->meta.theta_checkpoint
        || strcmp(a->meta.path_file, b->meta.path_file) != 0
        || strcmp(a->meta.path_phase, b->meta.path_phase) != 0)
        failf("attributes theta_file, theta_checkpoint, path_file or path_phase differ");
    if ((a->path == NULL) != (b->path == NULL))
        failf("path: only one file has one");
    if (a->path == NULL || b->path == NULL)
        goto done;
    const struct ilrl_landscape_path *p = a->path, *q = b->path;
    size_t n = p->n;
    if (q->n != n || q->n_values != p->n_values) {
        failf("%s: other lengths (%g vs %g)", "path", (double)n, (double)q->n);
        goto done;
    }
    same_bytes("path_x", p->x, q->x, n * sizeof(double));
    same_bytes("path_y", p->y, q->y, n * sizeof(double));
    same_bytes("path_residual", p->residual, q->residual, n * sizeof(double));
    for (size_t k = 0; k < p->n_values; k++)
        same_bytes(names[k], p->values[k], q->values[k], n * sizeof(double));
    same_bytes("path_phase", p->phase, q->phase, n * sizeof(int));
    same_bytes("path_env_steps", p->env_steps, q->env_steps, n * sizeof(long long));
    same_bytes("path_update", p->update, q->update, n * sizeof(long long));
    same_bytes("path_checkpoint", p->index, q->index, n * sizeof(long long));
done:
    ilrl_landscape_free(a);
    ilrl_landscape_free(b);
    return failures > 0;
}

static void load_trajectory(const char *path, struct ilrl_trajectory *traj)
{
    struct ilrl_mlp *mlp = NULL;
    char *settings = NULL;
    if (ilrl_trajectory_read(path, traj, &mlp, &settings, NULL) != ILRL_OK) {
        fprintf(stderr, "path_probe: %s\n", ilrl_error_message());
        exit(2);
    }
    ilrl_mlp_free(mlp);
    free(settings);
}

/* The last row of that phase and update (-1: none). */
static long find_row(const struct ilrl_trajectory *traj, int phase, long long update)
{
    long found = -1;
    for (size_t r = 0; r < traj->n_rows; r++)
        if (traj->rows[r].phase == phase && traj->rows[r].update == update)
            found = (long)r;
    return found;
}

static void compare(const char *what, double got, double expected)
{
    if (!(fabs(got - expected) <= TOLERANCE * fabs(expected)))
        failf("%s: %.17g, the trajectory recorded %.17g", what, got, expected);
}

static int trajectory(const char *file, const char *traj_file)
{
    struct ilrl_landscape *landscape = load(file);
    struct ilrl_trajectory traj;
    load_trajectory(traj_file, &traj);
    const struct ilrl_landscape_path *path = landscape->path;
    if (path == NULL)
        failf("%s has no path", file);
    for (size_t k = 0; path != NULL && k < path->n; k++) {
        long r = find_row(&traj, path->phase[k], path->update[k]);
        char what[64];
        if (r < 0) {
            failf("checkpoint %zu: no row of its phase and update %lld", k, path->update[k]);
            continue;
        }
        snprintf(what, sizeof what, "path_il_loss[%zu]", k);
        compare(what, path->values[0][k], traj.rows[r].il_loss_train);
        snprintf(what, sizeof what, "path_rl_loss[%zu]", k);
        compare(what, path->values[1][k], traj.rows[r].rl_loss_demo);
    }
    if (path != NULL)
        printf("%zu checkpoints match their rows\n", path->n);
    ilrl_trajectory_free(&traj);
    ilrl_landscape_free(landscape);
    return failures > 0;
}

static int centre(const char *file, const char *traj_file)
{
    struct ilrl_landscape *landscape = load(file);
    struct ilrl_trajectory traj;
    load_trajectory(traj_file, &traj);
    size_t i = landscape->nx, j = landscape->ny;
    for (size_t k = 0; k < landscape->nx; k++)
        if (landscape->x[k] == 0.0)
            i = k;
    for (size_t k = 0; k < landscape->ny; k++)
        if (landscape->y[k] == 0.0)
            j = k;
    long c = landscape->meta.theta_checkpoint;
    if (i == landscape->nx || j == landscape->ny || c < 0 || (size_t)c >= traj.n_checkpoints) {
        failf("%s: no grid point at (0, 0) or no theta_checkpoint (%ld)", file, c);
        goto done;
    }
    const size_t P = traj.n_params;
    if (landscape->n_params != P
        || memcmp(landscape->theta0, traj.ck_theta + (size_t)c * P, P * sizeof(double)) != 0)
        failf("%s: theta0 is not the trajectory's checkpoint %ld", file, c);
    long r = find_row(&traj, traj.ck_phase[c], traj.ck_update[c]);
    if (r < 0) {
        failf("%s: no row for checkpoint %ld", traj_file, c);
        goto done;
    }
    size_t p = j * landscape->nx + i;
    compare("il_loss at (0, 0)", landscape->il_loss[p], traj.rows[r].il_loss_train);
    compare("rl_loss at (0, 0)", landscape->rl_loss[p], traj.rows[r].rl_loss_demo);
    printf("checkpoint %ld (row %ld): il_loss %.17g rl_loss %.17g\n", c, r,
           landscape->il_loss[p], landscape->rl_loss[p]);
done:
    ilrl_trajectory_free(&traj);
    ilrl_landscape_free(landscape);
    return failures > 0;
}

static int explained(const char *file, const char *traj_file)
{
    struct ilrl_landscape *landscape = load(file);
    struct ilrl_trajectory traj;
    load_trajectory(traj_file, &traj);
    const size_t P = landscape->n_params;
    const char *phase = landscape->meta.path_phase;
    int keep = strcmp(phase, "il") == 0 ? 0 : strcmp(phase, "rl") == 0 ? 1 : -1;
    const double *d[2] = {landscape->direction_x, landscape->direction_y};
    double along[2] = {0.0, 0.0}, total = 0.0, norms[3] = {0.0, 0.0, 0.0};
    for (size_t p = 0; p < P; p++) {
        norms[0] += d[0][p] * d[0][p];
        norms[1] += d[1][p] * d[1][p];
        norms[2] += d[0][p] * d[1][p];
    }
    for (size_t k = 0; k < traj.n_checkpoints; k++) {
        if (keep >= 0 && traj.ck_phase[k] != keep)
            continue;
        double dots[2] = {0.0, 0.0};
        for (size_t p = 0; p < P; p++) {
            double v = traj.ck_theta[k * P + p] - landscape->theta0[p];
            dots[0] += d[0][p] * v;
            dots[1] += d[1][p] * v;
            total += v * v;
        }
        along[0] += dots[0] * dots[0];
        along[1] += dots[1] * dots[1];
    }
    for (int i = 0; i < 2; i++) {
        double expected = along[i] / total, got = landscape->meta.explained_variance[i];
        if (!(fabs(got - expected) <= 1e-10))
            failf("%s: %.17g, recomputed %.17g", i ? "explained_variance[1]" : "explained_variance[0]",
                  got, expected);
    }
    if (!(fabs(norms[0] - 1.0) <= 1e-12 && fabs(norms[1] - 1.0) <= 1e-12 && fabs(norms[2]) <= 1e-12))
        failf("%s: |d_x|^2 = %.17g, |d_y|^2 = %.17g", "directions", norms[0], norms[1]);
    printf("explained_variance %.6f %.6f\n", landscape->meta.explained_variance[0],
           landscape->meta.explained_variance[1]);
    ilrl_trajectory_free(&traj);
    ilrl_landscape_free(landscape);
    return failures > 0;
}

static int get(const char *file, const char *name, const char *index)
{
    struct ilrl_landscape *landscape = load(file);
    const struct ilrl_landscape_path *path = landscape->path;
    const char *names[ILRL_LANDSCAPE_MAX_POINT_ARRAYS];
    size_t k = strtoul(index, NULL, 10);
    if (path == NULL || k >= path->n) {
        failf("%s: no path checkpoint %zu", file, k);
        ilrl_landscape_free(landscape);
        return 1;
    }
    size_t n_names = ilrl_landscape_point_array_names(landscape, names);
    const double *values = strcmp(name, "path_x") == 0 ? path->x
                           : strcmp(name, "path_y") == 0 ? path->y
                           : strcmp(name, "path_residual") == 0 ? path->residual : NULL;
    for (size_t a = 0; values == NULL && a < n_names; a++)
        if (strncmp(name, "path_", 5) == 0 && strcmp(name + 5, names[a]) == 0)
            values = path->values[a];
    if (values == NULL) {
        fprintf(stderr, "path_probe: %s: no path variable %s\n", file, name);
        ilrl_landscape_free(landscape);
        return 1;
    }
    printf("%.17g\n", values[k]);
    ilrl_landscape_free(landscape);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "same") == 0)
        return same(argv[2], argv[3]);
    if (argc == 4 && strcmp(argv[1], "trajectory") == 0)
        return trajectory(argv[2], argv[3]);
    if (argc == 4 && strcmp(argv[1], "centre") == 0)
        return centre(argv[2], argv[3]);
    if (argc == 4 && strcmp(argv[1], "explained") == 0)
        return explained(argv[2], argv[3]);
    if (argc == 5 && strcmp(argv[1], "get") == 0)
        return get(argv[2], argv[3], argv[4]);
    fprintf(stderr, "usage: path_probe same A B | trajectory FILE TRAJ | centre FILE TRAJ | explained FILE TRAJ | get FILE VARIABLE K\n");
    return 2;
}
