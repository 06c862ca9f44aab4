/* landscape_probe.c -- the engine's second code path, for the MPI tests.
 *
 *   landscape_probe check FILE.nc [DEMO.nc]
 *       Rebuilds the network, theta0 and the RL weights from FILE's metadata
 *       and the demo (the built-in one when FILE says so), recomputes L_IL and
 *       L_RL serially at sampled grid points (corners, centre, a fixed
 *       pseudo-random set) and checks them against FILE to 1e-12 (relative);
 *       checks theta0 against the seeded initialisation and the directions
 *       against the plane's definition (unit weight vectors; filter-normalised
 *       random rows with zero biases; normalised, orthogonal gradient
 *       directions with d_x parallel to grad L_IL) and gradient_cosine.
 *   landscape_probe same A.nc B.nc
 *       il_loss, rl_loss and computed (and the return surface, when there
 *       is one) are byte-identical.
 *   landscape_probe poison FILE.nc I J
 *       Rewrites FILE with il_loss at point (I, J) set to NaN, still marked
 *       computed (a corrupted checkpoint, for the resume refusals).
 *   landscape_probe retext FILE.nc ATTRIBUTE VALUE
 *       Rewrites FILE with the text attribute reward_scheme or dense_kernel
 *       set to VALUE.
 * Prints one line per failure and exits 1, else 0.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ilrl/demo.h"
#include "ilrl/demo_io.h"
#include "ilrl/error.h"
#include "ilrl/landscape.h"
#include "ilrl/landscape_io.h"
#include "ilrl/loss.h"
#include "ilrl/mlp.h"
#include "ilrl/plane.h"

static int failures = 0;

static void fail(const char *format, const char *what, double got, double expected)
{
    fprintf(stderr, "landscape_probe: ");
    fprintf(stderr, format, what, got, expected);
    fputc('\n', stderr);
    failures++;
}

static int close_to(double got, double expected, double tolerance)
{
    return fabs(got - expected) <= tolerance * fmax(1.0, fabs(expected));
}

static double dot(size_t n, const double *a, const double *b)
{
    double sum = 0.0;
    for (size_t k = 0; k < n; k++)
        sum += a[k] * b[k];
    return sum;
}

static void check_directions(const struct ilrl_landscape *ls, const struct ilrl_mlp *mlp,
                             const double *grad_il, const double *grad_rl)
{
    size_t P = ls->n_params;
    const char *plane = ls->meta.plane;
    double cosine = dot(P, grad_il, grad_rl) / sqrt(dot(P, grad_il, grad_il) * dot(P, grad_rl, grad_rl));
    if (!close_to(ls->meta.gradient_cosine, cosine, 1e-10))
        fail("%s: %.17g, recomputed %.17g", "gradient_cosine", ls->meta.gradient_cosine, cosine);

    if (strncmp(plane, "weights:", 8) == 0) {
        size_t nonzero_x = 0, nonzero_y = 0;
        for (size_t k = 0; k < P; k++) {
            nonzero_x += ls->direction_x[k] != 0.0;
            nonzero_y += ls->direction_y[k] != 0.0;
        }
        if (nonzero_x != 1 || nonzero_y != 1 || dot(P, ls->direction_x, ls->direction_x) != 1.0
            || dot(P, ls->direction_y, ls->direction_y) != 1.0)
            fail("%s: not two unit weight vectors (%g, %g)", plane, (double)nonzero_x, (double)nonzero_y);
    } else if (strncmp(plane, "random", 6) == 0) {
        const double *d[2] = {ls->direction_x, ls->direction_y};
        for (int axis = 0; axis < 2; axis++)
            for (size_t l = 0; l < mlp->n_layers; l++) {
                size_t n_in = mlp->sizes[l];
                for (size_t row = 0; row < mlp->sizes[l + 1]; row++) {
                    size_t o = mlp->weight_offset[l] + row * n_in;
                    double want = sqrt(dot(n_in, ls->theta0 + o, ls->theta0 + o));
                    double got = sqrt(dot(n_in, d[axis] + o, d[axis] + o));
                    if (!close_to(got, want, 1e-12))
                        fail("%s: filter row norm %.17g, want %.17g", plane, got, want);
                    if (d[axis][mlp->bias_offset[l] + row] != 0.0)
                        fail("%s: bias entry %g is not zero (%g)", plane, d[axis][mlp->bias_offset[l] + row], 0);
                }
            }
    } else if (strcmp(plane, "gradients") == 0) {
        double il_norm = sqrt(dot(P, grad_il, grad_il));
        double along = dot(P, ls->direction_x, grad_il) / il_norm;
        if (!close_to(along, 1.0, 1e-12))
            fail("%s: d_x . grad_il / |grad_il| = %.17g, want %.17g", plane, along, 1.0);
        if (!close_to(dot(P, ls->direction_y, ls->direction_y), 1.0, 1e-12)
            || fabs(dot(P, ls->direction_x, ls->direction_y)) > 1e-12)
            fail("%s: d_y not a unit vector orthogonal to d_x (%g, %g)", plane,
                 dot(P, ls->direction_y, ls->direction_y), dot(P, ls->direction_x, ls->direction_y));
        /* d_y lies in span(grad_il, grad_rl): its part outside is zero. */
        double rl_along_y = dot(P, ls->direction_y, grad_rl);
        double rl_perp = sqrt(fmax(0.0, dot(P, grad_rl, grad_rl) - pow(dot(P, ls->direction_x, grad_rl), 2)));
        if (!close_to(rl_along_y, rl_perp, 1e-8))
            fail("%s: grad_rl . d_y = %.17g, want its orthogonal norm %.17g", plane, rl_along_y, rl_perp);
    } else {
        fail("%s: unknown plane (%g %g)", plane, 0, 0);
    }
}

static int check(const char *path, const char *demo_path)
{
    struct ilrl_landscape *ls = NULL;
    struct ilrl_demo *demo = NULL;
    int status = ilrl_landscape_read(path, &ls);
    if (status != ILRL_OK) {
        fprintf(stderr, "landscape_probe: %s\n", ilrl_error_message());
        return 1;
    }
    if (demo_path != NULL)
        status = ilrl_demo_read(demo_path, &demo);
    else if (strcmp(ls->meta.demo_file, ILRL_BUILTIN_DEMO_NAME) == 0)
        status = ilrl_landscape_builtin_demo(&demo);
    else
        status = ilrl_demo_read(ls->meta.demo_file, &demo);
    if (status != ILRL_OK) {
        fprintf(stderr, "landscape_probe: %s\n", ilrl_error_message());
        return 1;
    }

    size_t sizes[16], n_sizes = ls->meta.n_layer_sizes;
    for (size_t k = 0; k < n_sizes; k++)
        sizes[k] = (size_t)ls->meta.layer_sizes[k];
    enum ilrl_activation activation;
    struct ilrl_rl_weight rl_weight;
    ilrl_activation_parse(ls->meta.activation, &activation);
    ilrl_rl_weight_parse(ls->meta.rl_weight, &rl_weight);
    struct ilrl_mlp *mlp = ilrl_mlp_alloc(sizes, n_sizes, activation);
    size_t P = mlp->n_params, N = demo->n_steps;
    double *theta0 = malloc(P * sizeof *theta0), *theta = malloc(P * sizeof *theta);
    double *weight = malloc(N * sizeof *weight);
    double *grad_il = malloc(P * sizeof *grad_il), *grad_rl = malloc(P * sizeof *grad_rl);
    ilrl_mlp_init(mlp, (unsigned long)ls->meta.init_seed, theta0);
    if (P != ls->n_params || memcmp(theta0, ls->theta0, P * sizeof *theta0) != 0)
        fail("%s: theta0 differs from the seeded initialisation (%g, %g)", path, (double)P, (double)ls->n_params);
    ilrl_rl_weights(demo, rl_weight, ls->meta.gamma, weight);
    struct ilrl_loss_data data = {N, demo->n_features, demo->obs, demo->action, weight};
    struct ilrl_loss_work *work = ilrl_loss_work_alloc(mlp, N);
    double il, rl;
    ilrl_loss_eval(mlp, ls->theta0, &data, work, &il, &rl, grad_il, grad_rl);
    check_directions(ls, mlp, grad_il, grad_rl);

    /* Corners, centre, and 24 points from a fixed LCG. */
    size_t samples[32][2] = {{0, 0}, {ls->nx - 1, 0}, {0, ls->ny - 1}, {ls->nx - 1, ls->ny - 1},
                             {ls->nx / 2, ls->ny / 2}};
    size_t n_samples = 5;
    unsigned long long lcg = 12345;
    while (n_samples < 29) {
        lcg = lcg * 6364136223846793005ULL + 1442695040888963407ULL;
        samples[n_samples][0] = (size_t)(lcg >> 33) % ls->nx;
        samples[n_samples][1] = (size_t)(lcg >> 17) % ls->ny;
        n_samples++;
    }
    for (size_t s = 0; s < n_samples; s++) {
        size_t i = samples[s][0], j = samples[s][1], p = j * ls->nx + i;
        for (size_t k = 0; k < P; k++)
            theta[k] = ls->theta0[k] + ls->x[i] * ls->direction_x[k] + ls->y[j] * ls->direction_y[k];
        ilrl_loss_eval(mlp, theta, &data, work, &il, &rl, NULL, NULL);
        char where[64];
        snprintf(where, sizeof where, "il_loss[%zu,%zu]", j, i);
        if (!ls->computed[p] || !close_to(ls->il_loss[p], il, 1e-12))
            fail("%s = %.17g, serial %.17g", where, ls->il_loss[p], il);
        snprintf(where, sizeof where, "rl_loss[%zu,%zu]", j, i);
        if (!close_to(ls->rl_loss[p], rl, 1e-12))
            fail("%s = %.17g, serial %.17g", where, ls->rl_loss[p], rl);
    }
    free(theta0); free(theta); free(weight); free(grad_il); free(grad_rl);
    ilrl_loss_work_free(work);
    ilrl_mlp_free(mlp);
    ilrl_demo_free(demo);
    ilrl_landscape_free(ls);
    return failures ? 1 : 0;
}

static int same(const char *path_a, const char *path_b)
{
    struct ilrl_landscape *a = NULL, *b = NULL;
    if (ilrl_landscape_read(path_a, &a) != ILRL_OK || ilrl_landscape_read(path_b, &b) != ILRL_OK) {
        fprintf(stderr, "landscape_probe: %s\n", ilrl_error_message());
        return 1;
    }
    size_t n = a->nx * a->ny;
    if (a->nx != b->nx || a->ny != b->ny)
        fail("%s: grid %g differs from %g", "same", (double)n, (double)(b->nx * b->ny));
    else {
        double *arrays_a[ILRL_LANDSCAPE_MAX_POINT_ARRAYS], *arrays_b[ILRL_LANDSCAPE_MAX_POINT_ARRAYS];
        size_t n_a = ilrl_landscape_point_arrays(a, arrays_a);
        size_t n_b = ilrl_landscape_point_arrays(b, arrays_b);
        if (memcmp(a->computed, b->computed, n) != 0)
            fail("%s: computed differs (%g, %g)", "same", 0, 0);
        if (n_a != n_b)
            fail("%s: only one file has a return surface (%g, %g)", "same", (double)n_a, (double)n_b);
        else
            for (size_t k = 0; k < n_a; k++)   /* il_loss, rl_loss, then the return surface */
                if (memcmp(arrays_a[k], arrays_b[k], n * sizeof(double)) != 0)
                    fail("%s: point array %g differs (%g)", "same", (double)k, 0);
    }
    ilrl_landscape_free(a);
    ilrl_landscape_free(b);
    return failures ? 1 : 0;
}

/* Reads FILE, lets edit() change it, writes it back in place. */
static int rewrite(const char *path, int (*edit)(struct ilrl_landscape *, char **), char **args)
{
    struct ilrl_landscape *ls = NULL;
    int status = ilrl_landscape_read(path, &ls);
    if (status == ILRL_OK)
        status = edit(ls, args);
    if (status == ILRL_OK)
        status = ilrl_landscape_write(path, ls, 1);
    if (status != ILRL_OK)
        fprintf(stderr, "landscape_probe: %s\n", ilrl_error_message());
    ilrl_landscape_free(ls);
    return status == ILRL_OK ? 0 : 1;
}

static int poison_point(struct ilrl_landscape *ls, char **args)
{
    size_t i = strtoul(args[0], NULL, 10), j = strtoul(args[1], NULL, 10);
    if (i >= ls->nx || j >= ls->ny || !ls->computed[j * ls->nx + i])
        return ilrl_error(ILRL_EUSAGE, "point (%zu, %zu) is not a computed point", i, j);
    ls->il_loss[j * ls->nx + i] = NAN;
    return ILRL_OK;
}

static int set_text(struct ilrl_landscape *ls, char **args)
{
    if (strcmp(args[0], "reward_scheme") == 0)
        return ilrl_landscape_set_string(&ls->meta.reward_scheme, args[1]);
    if (strcmp(args[0], "dense_kernel") == 0)
        return ilrl_landscape_set_string(&ls->meta.dense_kernel, args[1]);
    return ilrl_error(ILRL_EUSAGE, "retext: no attribute %s", args[0]);
}

int main(int argc, char **argv)
{
    if (argc == 5 && strcmp(argv[1], "poison") == 0)
        return rewrite(argv[2], poison_point, argv + 3);
    if (argc == 5 && strcmp(argv[1], "retext") == 0)
        return rewrite(argv[2], set_text, argv + 3);
    if (argc >= 3 && strcmp(argv[1], "check") == 0)
        return check(argv[2], argc > 3 ? argv[3] : NULL);
    if (argc == 4 && strcmp(argv[1], "same") == 0)
        return same(argv[2], argv[3]);
    fprintf(stderr, "usage: landscape_probe check FILE.nc [DEMO.nc] | same A.nc B.nc | poison FILE.nc I J | retext FILE.nc ATTRIBUTE VALUE\n");
    return 2;
}
