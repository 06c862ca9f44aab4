/* plane.c -- owns the directions of a landscape plane (see plane.h).
 *
 * Numerics: no norm or cosine here sums raw squares.  A vector is first
 * multiplied by the power of two that brings its largest entry into
 * [0.5, 1) (ilrl_vector_exponent, compare.h), which is exact, so gradients
 * of any magnitude from 1e-300 to 1e300 (a demo whose rewards are scaled by
 * 1e160, say) give the same directions, the same degenerate test and the
 * same gradient_cosine as their unscaled selves, and ordinary magnitudes
 * give bit for bit what the plain sums gave. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "ilrl/compare.h"
#include "ilrl/error.h"
#include "ilrl/path.h"
#include "ilrl/plane.h"

static const unsigned long DEFAULT_RANDOM_SEED = 1;

static void default_weights(const struct ilrl_mlp *mlp, struct ilrl_plane_spec *spec)
{
    size_t L = mlp->n_layers, K = mlp->sizes[L], H = mlp->sizes[L - 1];
    /* The flap (last) logit's weights from hidden units 0 and 1: moving them
     * tilts the logit along two different features, so the picture has
     * structure in both axes (two weights of one unit for different logits
     * would only move their difference: a one-dimensional ridge).  A last
     * hidden layer of one unit pairs its weight with the logit's bias. */
    snprintf(spec->name_x, sizeof spec->name_x, "W%zu[%zu,0]", L, K - 1);
    if (H >= 2)
        snprintf(spec->name_y, sizeof spec->name_y, "W%zu[%zu,1]", L, K - 1);
    else
        snprintf(spec->name_y, sizeof spec->name_y, "b%zu[%zu]", L, K - 1);
}

int ilrl_plane_parse(const char *text, const struct ilrl_mlp *mlp,
                     struct ilrl_plane_spec *spec)
{
    memset(spec, 0, sizeof *spec);
    spec->random_seed = DEFAULT_RANDOM_SEED;
    if (text == NULL || text[0] == '\0' || strcmp(text, "weights") == 0) {
        spec->kind = ILRL_PLANE_WEIGHTS;
        default_weights(mlp, spec);
        return ILRL_OK;
    }
    if (strcmp(text, "gradients") == 0) {
        spec->kind = ILRL_PLANE_GRADIENTS;
        return ILRL_OK;
    }
    if (strncmp(text, "random", 6) == 0 && (text[6] == '\0' || text[6] == ':')) {
        spec->kind = ILRL_PLANE_RANDOM;
        if (text[6] == ':') {
            char *end = NULL;
            const char *digits = text + 7;
            unsigned long long seed = strtoull(digits, &end, 10);
            if (*digits < '0' || *digits > '9' || *end != '\0' || seed > 0xffffffffULL)
                return ilrl_error(ILRL_EUSAGE, "--plane: '%s': SEED must be an integer in [0, 4294967295]", text);
            spec->random_seed = (unsigned long)seed;
        }
        return ILRL_OK;
    }
    if (strncmp(text, "trajectory:", 11) == 0 && text[11] != '\0') {
        if (strlen(text + 11) >= sizeof spec->trajectory)
            return ilrl_error(ILRL_EUSAGE, "--plane: the trajectory file name is too long");
        spec->kind = ILRL_PLANE_TRAJECTORY;
        strcpy(spec->trajectory, text + 11);
        return ILRL_OK;
    }
    if (strncmp(text, "weights:", 8) == 0) {
        const char *names = text + 8;
        /* Split at the comma that follows a closing bracket: names contain
         * commas themselves ("W2[5,3]"). */
        const char *split = strstr(names, "],");
        const char *second = NULL;
        size_t first_length;
        if (split != NULL) {
            first_length = (size_t)(split + 1 - names);
            second = split + 2;
        } else if ((split = strchr(names, ',')) != NULL && names[0] == 'b') {
            first_length = (size_t)(split - names);
            second = split + 1;
        } else {
            return ilrl_error(ILRL_EUSAGE, "--plane: '%s': expected weights:NAME1,NAME2 (e.g. weights:W3[1,0],W3[1,1])", text);
        }
        if (first_length == 0 || first_length >= sizeof spec->name_x || second[0] == '\0'
            || strlen(second) >= sizeof spec->name_y)
            return ilrl_error(ILRL_EUSAGE, "--plane: '%s': expected weights:NAME1,NAME2 (e.g. weights:W3[1,0],W3[1,1])", text);
        spec->kind = ILRL_PLANE_WEIGHTS;
        memcpy(spec->name_x, names, first_length);
        spec->name_x[first_length] = '\0';
        strcpy(spec->name_y, second);
        return ILRL_OK;
    }
    return ilrl_error(ILRL_EUSAGE, "--plane: '%s' is not one of weights:NAME1,NAME2, random[:SEED], gradients, trajectory:FILE[:PHASE]", text);
}

void ilrl_plane_format(const struct ilrl_plane_spec *spec, char *buf, size_t buf_size)
{
    switch (spec->kind) {
    case ILRL_PLANE_WEIGHTS:
        snprintf(buf, buf_size, "weights:%s,%s", spec->name_x, spec->name_y);
        break;
    case ILRL_PLANE_RANDOM:
        snprintf(buf, buf_size, "random:%lu", spec->random_seed);
        break;
    case ILRL_PLANE_GRADIENTS:
        snprintf(buf, buf_size, "gradients");
        break;
    case ILRL_PLANE_TRAJECTORY:
        if (spec->path != NULL)
            snprintf(buf, buf_size, "trajectory:%s%s%s", spec->path->file,
                     spec->path->phase == ILRL_PATH_ALL ? "" : ":",
                     spec->path->phase == ILRL_PATH_ALL ? "" : ilrl_path_phase_name(spec->path->phase));
        else
            snprintf(buf, buf_size, "trajectory:%s", spec->trajectory);
        break;
    }
}

/* The trajectory plane around theta0 (the path's reference). */
static int trajectory_directions(const struct ilrl_plane_spec *spec, size_t n_params,
                                 const double *theta0, double *dx, double *dy)
{
    const struct ilrl_path *path = spec->path;
    double spare[2];
    if (path == NULL)
        return ilrl_error(ILRL_EFAILED, "--plane trajectory:%s: the path was not read", spec->trajectory);
    if (path->n_params != n_params)
        return ilrl_error(ILRL_EINPUT, "%s: its network has %zu parameters, the landscape's %zu",
                          path->file, path->n_params, n_params);
    if (path->n_checkpoints < 3)
        return ilrl_error(ILRL_EINPUT, "%s: %zu checkpoint%s%s%s; the trajectory plane needs at least 3",
                          path->file, path->n_checkpoints, path->n_checkpoints == 1 ? "" : "s",
                          path->phase == ILRL_PATH_ALL ? "" : " of phase ",
                          path->phase == ILRL_PATH_ALL ? "" : ilrl_path_phase_name(path->phase));
    int status = ilrl_path_pca(path->n_checkpoints, n_params, path->theta, theta0, dx, dy,
                               spec->explained_variance ? spec->explained_variance : spare);
    if (status == ILRL_EINPUT)
        return ilrl_error(status, "%s: %s", path->file, ilrl_error_message());
    return status;
}

static double dot(size_t n, const double *a, const double *b)
{
    double sum = 0.0;
    for (size_t k = 0; k < n; k++)
        sum += a[k] * b[k];
    return sum;
}

static void scale(size_t n, double factor, double *a)
{
    for (size_t k = 0; k < n; k++)
        a[k] *= factor;
}

/* a -= (a . unit) unit, for a unit vector. */
static void remove_component(size_t n, const double *unit, double *a)
{
    double along = dot(n, a, unit);
    for (size_t k = 0; k < n; k++)
        a[k] -= along * unit[k];
}

/* Li et al. 2018 filter normalisation: each row of each weight matrix gets
 * the norm of theta0's row; biases are not moved. */
static void filter_normalise(const struct ilrl_mlp *mlp, const double *theta0, double *d)
{
    for (size_t l = 0; l < mlp->n_layers; l++) {
        size_t n_in = mlp->sizes[l], n_out = mlp->sizes[l + 1];
        for (size_t row = 0; row < n_out; row++) {
            size_t offset = mlp->weight_offset[l] + row * n_in;
            double theta_norm = ilrl_vector_norm(n_in, theta0 + offset);
            double d_norm = ilrl_vector_norm(n_in, d + offset);
            scale(n_in, d_norm > 0.0 ? theta_norm / d_norm : 0.0, d + offset);
        }
        memset(d + mlp->bias_offset[l], 0, n_out * sizeof *d);
    }
}

static int random_directions(const struct ilrl_mlp *mlp, unsigned long seed,
                             const double *theta0, double *dx, double *dy)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (rng == NULL)
        return ilrl_error(ILRL_EFAILED, "out of memory for the random plane");
    gsl_rng_set(rng, seed);
    for (size_t k = 0; k < mlp->n_params; k++)
        dx[k] = gsl_ran_gaussian(rng, 1.0);
    for (size_t k = 0; k < mlp->n_params; k++)
        dy[k] = gsl_ran_gaussian(rng, 1.0);
    gsl_rng_free(rng);
    filter_normalise(mlp, theta0, dx);
    filter_normalise(mlp, theta0, dy);
    return ILRL_OK;
}

/* Fills `direction` with a unit vector orthogonal to `unit` (may be NULL)
 * taken from the random plane -- its d_x, or its d_y when `second` (both
 * gradients vanished, so d_x already is the random plane's d_x): the
 * fallback of a degenerate gradient plane. */
static int fallback_direction(const struct ilrl_mlp *mlp, const double *theta0,
                              unsigned long seed, const double *unit, int second,
                              double *direction)
{
    size_t n = mlp->n_params;
    double *spare = malloc(n * sizeof *spare);
    if (spare == NULL)
        return ilrl_error(ILRL_EFAILED, "out of memory for the gradient plane");
    int status = second ? random_directions(mlp, seed, theta0, spare, direction)
                        : random_directions(mlp, seed, theta0, direction, spare);
    free(spare);
    if (status != ILRL_OK)
        return status;
    if (unit != NULL)
        remove_component(n, unit, direction);
    double norm = ilrl_vector_norm(n, direction);
    if (norm == 0.0) {
        /* theta0 all zero: filter normalisation has no row norms to borrow.
         * Take the coordinate axis least along `unit` (|unit[k]| <= 1/sqrt(n)
         * < 1 there, as n >= 2), made orthogonal to it. */
        size_t axis = 0;
        for (size_t k = 1; unit != NULL && k < n; k++)
            if (fabs(unit[k]) < fabs(unit[axis]))
                axis = k;
        memset(direction, 0, n * sizeof *direction);
        direction[axis] = 1.0;
        if (unit != NULL)
            remove_component(n, unit, direction);
        norm = sqrt(dot(n, direction, direction));
    }
    scale(n, 1.0 / norm, direction);
    return ILRL_OK;
}

/* dst = ldexp(v, -e) for v's ilrl_vector_exponent e: v at unit scale,
 * exactly; returns the norm of dst (0 for a zero vector, NaN for a
 * non-finite entry). */
static double unit_scale(size_t n, const double *v, double *dst)
{
    int exponent = ilrl_vector_exponent(n, v);
    for (size_t k = 0; k < n; k++)
        dst[k] = ldexp(v[k], -exponent);
    return sqrt(dot(n, dst, dst));
}

/* dst = v / |v|; 0 (and dst not a unit vector) when v is zero or not
 * finite. */
static int unit_vector(size_t n, const double *v, double *dst)
{
    double norm = unit_scale(n, v, dst);
    if (!(norm > 0.0))
        return 0;
    scale(n, 1.0 / norm, dst);
    return 1;
}

static int gradient_directions(const struct ilrl_plane_spec *spec, const struct ilrl_mlp *mlp,
                               const double *theta0, const double *grad_il,
                               const double *grad_rl, double *dx, double *dy,
                               int *degenerate)
{
    size_t n = mlp->n_params;
    /* Relative threshold: below it the orthogonal part is rounding noise. */
    const double tiny = 1e-10;
    int status;

    int il_vanishes = !unit_vector(n, grad_il, dx);
    int both_vanish = 0;
    if (il_vanishes) {
        *degenerate = 1;
        both_vanish = !unit_vector(n, grad_rl, dx);
        if (both_vanish
            && (status = fallback_direction(mlp, theta0, spec->random_seed, NULL, 0, dx)) != ILRL_OK)
            return status;
    }
    /* RL's gradient at unit scale (both norms below are relative to it). */
    double rl_norm = unit_scale(n, grad_rl, dy);
    remove_component(n, dx, dy);
    double orthogonal_norm = sqrt(dot(n, dy, dy));
    if (orthogonal_norm > tiny * (rl_norm > 0.0 ? rl_norm : 1.0) && !il_vanishes) {
        scale(n, 1.0 / orthogonal_norm, dy);
        return ILRL_OK;
    }
    *degenerate = 1;
    return fallback_direction(mlp, theta0, spec->random_seed, dx, both_vanish, dy);
}

int ilrl_plane_build(const struct ilrl_plane_spec *spec, const struct ilrl_mlp *mlp,
                     const double *theta0, const struct ilrl_loss_data *data,
                     struct ilrl_loss_work *work, double *direction_x,
                     double *direction_y, double *gradient_cosine, int *degenerate)
{
    size_t n = mlp->n_params;
    double *grad_il = malloc(n * sizeof *grad_il);
    double *grad_rl = malloc(n * sizeof *grad_rl);
    double il_loss, rl_loss;
    int status = ILRL_OK;

    *degenerate = 0;
    if (grad_il == NULL || grad_rl == NULL) {
        free(grad_il);
        free(grad_rl);
        return ilrl_error(ILRL_EFAILED, "out of memory for %zu-parameter gradients", n);
    }
    ilrl_loss_eval(mlp, theta0, data, work, &il_loss, &rl_loss, grad_il, grad_rl);
    *gradient_cosine = ilrl_vector_cosine(n, grad_il, grad_rl);

    switch (spec->kind) {
    case ILRL_PLANE_WEIGHTS: {
        size_t ix, iy;
        if ((status = ilrl_mlp_param_index(mlp, spec->name_x, &ix)) != ILRL_OK
            || (status = ilrl_mlp_param_index(mlp, spec->name_y, &iy)) != ILRL_OK) {
            status = ilrl_error(ILRL_EUSAGE, "--plane: %s", ilrl_error_message());
            break;
        }
        if (ix == iy) {
            status = ilrl_error(ILRL_EUSAGE, "--plane: %s and %s are the same weight",
                                spec->name_x, spec->name_y);
            break;
        }
        memset(direction_x, 0, n * sizeof *direction_x);
        memset(direction_y, 0, n * sizeof *direction_y);
        direction_x[ix] = 1.0;
        direction_y[iy] = 1.0;
        break;
    }
    case ILRL_PLANE_RANDOM:
        status = random_directions(mlp, spec->random_seed, theta0, direction_x, direction_y);
        break;
    case ILRL_PLANE_GRADIENTS:
        status = gradient_directions(spec, mlp, theta0, grad_il, grad_rl, direction_x,
                                     direction_y, degenerate);
        break;
    case ILRL_PLANE_TRAJECTORY:
        status = trajectory_directions(spec, n, theta0, direction_x, direction_y);
        break;
    }
    free(grad_il);
    free(grad_rl);
    return status;
}

void ilrl_plane_point(size_t n_params, const double *theta0, const double *direction_x,
                      const double *direction_y, double x, double y, double *theta)
{
    for (size_t k = 0; k < n_params; k++)
        theta[k] = theta0[k] + x * direction_x[k] + y * direction_y[k];
}
