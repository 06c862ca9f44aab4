/* landscape_grid.c -- owns the in-memory landscape (see
 * include/ilrl/landscape_grid.h): allocation with every point uncomputed,
 * release, the per-point arrays in their fixed order, metadata strings. */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ilrl/error.h"
#include "ilrl/landscape_grid.h"

/* The string fields of the metadata, for alloc/free loops. */
#define META_STRING_FIELDS(meta) \
    { &(meta)->title, &(meta)->history, &(meta)->source, &(meta)->activation, \
      &(meta)->plane, &(meta)->rl_weight, &(meta)->demo_file, \
      &(meta)->demo_checksum, &(meta)->objective, &(meta)->rollout_policy, \
      &(meta)->reward_scheme, &(meta)->dense_kernel, &(meta)->td_target, \
      &(meta)->theta_file, &(meta)->path_file, &(meta)->path_phase }
#define N_META_STRING_FIELDS 16

static double *nan_array(size_t n)
{
    double *array = malloc(n * sizeof *array);
    if (array)
        for (size_t k = 0; k < n; k++)
            array[k] = NAN;
    return array;
}

static void path_free(struct ilrl_landscape_path *path)
{
    if (path == NULL)
        return;
    free(path->x);
    free(path->y);
    free(path->residual);
    for (size_t k = 0; k < ILRL_LANDSCAPE_MAX_POINT_ARRAYS; k++)
        free(path->values[k]);
    free(path->phase);
    free(path->env_steps);
    free(path->update);
    free(path->index);
    free(path);
}

int ilrl_landscape_add_path(struct ilrl_landscape *landscape, size_t n)
{
    struct ilrl_landscape_path *path = n > 0 ? calloc(1, sizeof *path) : NULL;
    int ok = path != NULL;
    if (ok) {
        path->n = n;
        path->n_values = ilrl_landscape_point_arrays(landscape, NULL);
        path->x = calloc(n, sizeof *path->x);
        path->y = calloc(n, sizeof *path->y);
        path->residual = calloc(n, sizeof *path->residual);
        path->phase = calloc(n, sizeof *path->phase);
        path->env_steps = calloc(n, sizeof *path->env_steps);
        path->update = calloc(n, sizeof *path->update);
        path->index = calloc(n, sizeof *path->index);
        ok = path->x && path->y && path->residual && path->phase && path->env_steps
             && path->update && path->index;
        for (size_t k = 0; ok && k < path->n_values; k++)
            ok = (path->values[k] = nan_array(n)) != NULL;
    }
    if (!ok) {
        path_free(path);
        return ilrl_error(ILRL_EFAILED, "out of memory for a path of %zu checkpoints", n);
    }
    path_free(landscape->path);
    landscape->path = path;
    return ILRL_OK;
}

struct ilrl_landscape *ilrl_landscape_alloc(size_t nx, size_t ny,
                                            size_t n_params, int with_return)
{
    if (nx == 0 || ny == 0 || n_params == 0 || ny > SIZE_MAX / nx / sizeof(double))
        return NULL;
    struct ilrl_landscape *landscape = calloc(1, sizeof *landscape);
    if (!landscape)
        return NULL;
    size_t n_points = nx * ny;
    landscape->nx = nx;
    landscape->ny = ny;
    landscape->n_params = n_params;
    landscape->x = calloc(nx, sizeof(double));
    landscape->y = calloc(ny, sizeof(double));
    landscape->il_loss = nan_array(n_points);
    landscape->rl_loss = nan_array(n_points);
    landscape->computed = calloc(n_points, 1);
    landscape->theta0 = calloc(n_params, sizeof(double));
    landscape->direction_x = calloc(n_params, sizeof(double));
    landscape->direction_y = calloc(n_params, sizeof(double));
    int ok = landscape->x && landscape->y && landscape->il_loss &&
             landscape->rl_loss && landscape->computed && landscape->theta0 &&
             landscape->direction_x && landscape->direction_y;
    if (ok && with_return) {
        landscape->return_mean = nan_array(n_points);
        landscape->return_std = nan_array(n_points);
        landscape->score_mean = nan_array(n_points);
        landscape->length_mean = nan_array(n_points);
        ok = landscape->return_mean && landscape->return_std &&
             landscape->score_mean && landscape->length_mean;
    }
    char **strings[N_META_STRING_FIELDS] = META_STRING_FIELDS(&landscape->meta);
    for (size_t k = 0; ok && k < N_META_STRING_FIELDS; k++)
        ok = (*strings[k] = calloc(1, 1)) != NULL;
    landscape->meta.gamma = NAN;
    landscape->meta.gradient_cosine = NAN;
    landscape->meta.wall_seconds = NAN;
    landscape->meta.cql_alpha = NAN;
    landscape->meta.td_steps = -1;
    landscape->meta.td_left_out = -1;
    landscape->meta.theta_checkpoint = -1;
    landscape->meta.explained_variance[0] = landscape->meta.explained_variance[1] = NAN;
    landscape->meta.gradient_cosine_il_td = NAN;
    landscape->meta.gradient_cosine_rl_td = NAN;
    if (!ok) {
        ilrl_landscape_free(landscape);
        return NULL;
    }
    return landscape;
}

void ilrl_landscape_free(struct ilrl_landscape *landscape)
{
    if (!landscape)
        return;
    free(landscape->x);
    free(landscape->y);
    free(landscape->il_loss);
    free(landscape->rl_loss);
    free(landscape->computed);
    free(landscape->theta0);
    free(landscape->direction_x);
    free(landscape->direction_y);
    free(landscape->return_mean);
    free(landscape->return_std);
    free(landscape->score_mean);
    free(landscape->length_mean);
    free(landscape->td_loss);
    free(landscape->cql_loss);
    path_free(landscape->path);
    char **strings[N_META_STRING_FIELDS] = META_STRING_FIELDS(&landscape->meta);
    for (size_t k = 0; k < N_META_STRING_FIELDS; k++)
        free(*strings[k]);
    free(landscape->meta.layer_sizes);
    free(landscape);
}

int ilrl_landscape_add_value_arrays(struct ilrl_landscape *landscape, int with_td,
                                    int with_cql)
{
    size_t n_points = landscape->nx * landscape->ny;
    if (with_td && landscape->td_loss == NULL
        && (landscape->td_loss = nan_array(n_points)) == NULL)
        return ilrl_error(ILRL_EFAILED, "out of memory for td_loss");
    if (with_cql && landscape->cql_loss == NULL
        && (landscape->cql_loss = nan_array(n_points)) == NULL)
        return ilrl_error(ILRL_EFAILED, "out of memory for cql_loss");
    return ILRL_OK;
}

/* The one place the order is decided: both functions below read it. */
static size_t point_arrays(const struct ilrl_landscape *landscape,
                           double *arrays[ILRL_LANDSCAPE_MAX_POINT_ARRAYS],
                           const char *names[ILRL_LANDSCAPE_MAX_POINT_ARRAYS])
{
    struct { double *array; const char *name; } all[ILRL_LANDSCAPE_MAX_POINT_ARRAYS] = {
        {landscape->il_loss, "il_loss"}, {landscape->rl_loss, "rl_loss"},
        {landscape->td_loss, "td_loss"}, {landscape->cql_loss, "cql_loss"},
        {landscape->return_mean, "return_mean"}, {landscape->return_std, "return_std"},
        {landscape->score_mean, "score_mean"}, {landscape->length_mean, "length_mean"},
    };
    size_t n = 0;
    for (size_t k = 0; k < ILRL_LANDSCAPE_MAX_POINT_ARRAYS; k++) {
        if (all[k].array == NULL)
            continue;
        if (arrays != NULL)
            arrays[n] = all[k].array;
        if (names != NULL)
            names[n] = all[k].name;
        n++;
    }
    return n;
}

size_t ilrl_landscape_point_arrays(const struct ilrl_landscape *landscape,
                                   double *arrays[ILRL_LANDSCAPE_MAX_POINT_ARRAYS])
{
    return point_arrays(landscape, arrays, NULL);
}

size_t ilrl_landscape_point_array_names(const struct ilrl_landscape *landscape,
                                        const char *names[ILRL_LANDSCAPE_MAX_POINT_ARRAYS])
{
    return point_arrays(landscape, NULL, names);
}

int ilrl_landscape_set_string(char **field, const char *value)
{
    char *copy = strdup(value ? value : "");
    if (!copy)
        return ilrl_error(ILRL_EFAILED, "out of memory copying a string");
    free(*field);
    *field = copy;
    return ILRL_OK;
}
