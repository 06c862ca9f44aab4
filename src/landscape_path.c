/* landscape_path.c -- owns a landscape run's trained networks and training
 * paths: theta0's file, the trajectory plane's path, the path shown and its
 * arrays (see include/ilrl/landscape_path.h for the decisions). */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ilrl/error.h"
#include "ilrl/landscape_path.h"
#include "ilrl/value_loss.h"

#define PATH_WINDOW_MARGIN 0.25

void ilrl_landscape_paths_free(struct ilrl_landscape_paths *paths)
{
    if (paths == NULL)
        return;
    ilrl_network_source_free(&paths->theta);
    ilrl_path_free(&paths->plane);
    ilrl_path_free(&paths->overlay);
}

/* The trajectory plane's path's last checkpoint as theta0's source. */
static int source_from_path(const struct ilrl_path *path, struct ilrl_network_source *source)
{
    const size_t P = path->n_params, last = path->n_checkpoints - 1;
    source->checkpoint = path->index[last];
    source->file = strdup(path->file);
    source->mlp = ilrl_mlp_alloc(path->mlp->sizes, path->mlp->n_layers + 1, path->mlp->activation);
    source->theta = malloc(P * sizeof *source->theta);
    if (source->file == NULL || source->mlp == NULL || source->theta == NULL)
        return ilrl_error(ILRL_EFAILED, "out of memory");
    memcpy(source->theta, path->theta + last * P, P * sizeof *source->theta);
    return ILRL_OK;
}

int ilrl_landscape_paths_read(struct ilrl_landscape_paths *paths,
                              const struct ilrl_landscape_paths_request *request)
{
    const char *plane = request->plane;
    struct ilrl_network_source *source = &paths->theta;
    char what[4200], shape[512], other[512];
    int status = ILRL_OK;
    memset(paths, 0, sizeof *paths);
    source->checkpoint = -1;
    paths->explained_variance[0] = paths->explained_variance[1] = NAN;
    if (plane != NULL && strncmp(plane, "trajectory:", 11) == 0 && plane[11] != '\0')
        status = ilrl_path_read("--plane trajectory:", plane + 11, &paths->plane);
    if (status != ILRL_OK || (request->theta == NULL && paths->plane.mlp == NULL))
        return status;
    if (request->theta != NULL) {
        status = ilrl_network_source_read("--theta", request->theta, source);
        snprintf(what, sizeof what, "--theta %s", request->theta);
    } else {
        status = source_from_path(&paths->plane, source);
        snprintf(what, sizeof what, "--plane %s", plane);
    }
    if (status != ILRL_OK)
        return status;
    const struct ilrl_mlp *mlp = source->mlp;
    status = ilrl_network_source_check_options(mlp, what, request->layers,
                                               request->activation_given, request->activation);
    if (status != ILRL_OK)
        return status;
    if (mlp->sizes[0] != request->n_features || mlp->sizes[mlp->n_layers] != request->n_actions)
        return ilrl_error(ILRL_EINPUT, "%s: the network maps %zu inputs to %zu actions but %s has %zu features and %zu actions",
                          source->file, mlp->sizes[0], mlp->sizes[mlp->n_layers],
                          request->demo_origin, request->n_features, request->n_actions);
    if (paths->plane.mlp != NULL && !ilrl_mlp_same_shape(paths->plane.mlp, mlp)) {
        ilrl_mlp_shape_format(paths->plane.mlp, shape, sizeof shape);
        ilrl_mlp_shape_format(mlp, other, sizeof other);
        return ilrl_error(ILRL_EINPUT, "%s: its network (%s) differs from the one of %s (%s)",
                          paths->plane.file, shape, what, other);
    }
    return ILRL_OK;
}

int ilrl_landscape_paths_read_overlay(struct ilrl_landscape_paths *paths, const char *spec,
                                      const struct ilrl_mlp *mlp)
{
    char shape[512], other[512];
    if (spec == NULL)
        return ILRL_OK;
    int status = ilrl_path_read("--path", spec, &paths->overlay);
    if (status != ILRL_OK || ilrl_mlp_same_shape(paths->overlay.mlp, mlp))
        return status;
    ilrl_mlp_shape_format(paths->overlay.mlp, shape, sizeof shape);
    ilrl_mlp_shape_format(mlp, other, sizeof other);
    return ilrl_error(ILRL_EINPUT, "%s: its network (%s) differs from the landscape's (%s)",
                      paths->overlay.file, shape, other);
}

void ilrl_landscape_paths_attach(struct ilrl_landscape_paths *paths,
                                 struct ilrl_plane_spec *plane)
{
    if (plane->kind != ILRL_PLANE_TRAJECTORY)
        return;
    plane->path = &paths->plane;
    plane->explained_variance = paths->explained_variance;
}

int ilrl_landscape_paths_window(const struct ilrl_landscape_paths *paths, size_t n_params,
                                const double *theta0, const double *direction_x,
                                const double *direction_y, double range[4])
{
    const struct ilrl_path *path = &paths->plane;
    size_t n = path->n_checkpoints;
    double *coordinates = malloc(3 * n * sizeof *coordinates);
    if (coordinates == NULL)
        return ilrl_error(ILRL_EFAILED, "out of memory");
    ilrl_path_project(n, n_params, path->theta, theta0, direction_x, direction_y, coordinates,
                      coordinates + n, coordinates + 2 * n);
    for (int axis = 0; axis < 2; axis++) {
        double low = 0.0, high = 0.0;
        for (size_t k = 0; k < n; k++) {
            low = fmin(low, coordinates[axis * n + k]);
            high = fmax(high, coordinates[axis * n + k]);
        }
        double margin = high > low ? PATH_WINDOW_MARGIN * (high - low) : 1.0;
        range[2 * axis] = low - margin;
        range[2 * axis + 1] = high + margin;
    }
    free(coordinates);
    return ILRL_OK;
}

/* The values of every point array at theta (checkpoint k) itself, in the
 * order of ilrl_landscape_point_arrays. */
static int checkpoint_values(const struct ilrl_path_evaluation *e, const double *theta,
                             const double *zeros, size_t k, double *values)
{
    const double origin = 0.0;
    double il, rl, td, cql;
    struct ilrl_evaluator *evaluator = ilrl_evaluator_alloc(e->mlp, theta, zeros, zeros, e->data,
                                                            1, e->dense_path);
    if (evaluator == NULL)
        return ILRL_EFAILED;
    if (e->plan != NULL && ilrl_evaluator_set_value(evaluator, e->plan, e->cql_alpha) != ILRL_OK) {
        ilrl_evaluator_free(evaluator);
        return ILRL_EFAILED;
    }
    ilrl_evaluator_eval_all(evaluator, &origin, &origin, 1, &il, &rl, e->want_td ? &td : NULL,
                            e->want_cql ? &cql : NULL);
    ilrl_evaluator_free(evaluator);
    size_t v = 0;
    values[v++] = il;
    values[v++] = rl;
    if (e->want_td)
        values[v++] = td;
    if (e->want_cql)
        values[v++] = cql;
    if (e->rollout == NULL)
        return ILRL_OK;
    struct ilrl_rollout_stats stats;
    if (ilrl_rollout_point(e->mlp, theta, e->rollout, e->run_seed, e->first_point + k,
                           e->rollout_work, &stats, e->poll, e->poll_ctx) != 0)
        return ILRL_EINTERRUPTED;
    values[v++] = stats.return_mean;
    values[v++] = stats.return_std;
    values[v++] = stats.score_mean;
    values[v++] = stats.length_mean;
    return ILRL_OK;
}

int ilrl_landscape_paths_store(const struct ilrl_landscape_paths *paths,
                               struct ilrl_landscape *landscape,
                               const struct ilrl_path_evaluation *evaluation)
{
    struct ilrl_landscape_meta *meta = &landscape->meta;
    const struct ilrl_path *path = paths->overlay.mlp != NULL ? &paths->overlay
                                   : paths->plane.mlp != NULL ? &paths->plane : NULL;
    const size_t P = landscape->n_params;
    int status;
    meta->theta_checkpoint = paths->theta.mlp != NULL ? (long)paths->theta.checkpoint : -1;
    if ((status = ilrl_landscape_set_string(&meta->theta_file,
                                            paths->theta.mlp != NULL ? paths->theta.file : ""))
        != ILRL_OK)
        return status;
    meta->explained_variance[0] = paths->explained_variance[0];
    meta->explained_variance[1] = paths->explained_variance[1];
    if (path == NULL)
        return ILRL_OK;
    const size_t n = path->n_checkpoints;
    if ((status = ilrl_landscape_add_path(landscape, n)) != ILRL_OK
        || (status = ilrl_landscape_set_string(&meta->path_file, path->file)) != ILRL_OK
        || (status = ilrl_landscape_set_string(&meta->path_phase,
                                               ilrl_path_phase_name(path->phase))) != ILRL_OK)
        return status;
    struct ilrl_landscape_path *shown = landscape->path;
    ilrl_path_project(n, P, path->theta, landscape->theta0, landscape->direction_x,
                      landscape->direction_y, shown->x, shown->y, shown->residual);
    for (size_t k = 0; k < n; k++) {
        shown->phase[k] = path->checkpoint_phase[k];
        shown->env_steps[k] = path->env_steps[k];
        shown->update[k] = path->update[k];
        shown->index[k] = path->index[k];
    }
    double *zeros = calloc(P, sizeof *zeros);
    double values[ILRL_LANDSCAPE_MAX_POINT_ARRAYS];
    if (zeros == NULL)
        return ilrl_error(ILRL_EFAILED, "out of memory");
    for (size_t k = 0; k < n && status == ILRL_OK; k++) {
        status = checkpoint_values(evaluation, path->theta + k * P, zeros, k, values);
        for (size_t a = 0; status == ILRL_OK && a < shown->n_values; a++)
            shown->values[a][k] = values[a];
    }
    free(zeros);
    if (status == ILRL_EINTERRUPTED)
        return ILRL_OK;
    return status == ILRL_OK ? ILRL_OK
           : ilrl_error(status, "%s: %s", path->file, ilrl_error_message());
}
