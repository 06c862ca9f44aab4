/* landscape_io.c -- owns the landscape file's schema (docs/formats.md,
 * docs/return-surface.md; include/ilrl/landscape_io.h): the atomic writer
 * and the validating reader.  The in-memory form is landscape_grid.c's;
 * opening, checked calls ("PATH: CALL(NAME): NetCDF message"), attributes,
 * fill values, size bounds and publication are ncfile.c's.
 *
 * Layout decisions:
 *  - NetCDF-4 (HDF5) format, contiguous storage, no compression: a checkpoint
 *    rewrites the whole file every --checkpoint seconds, and at the default
 *    101 x 101 grid the file is ~0.3 MB, so deflate would buy little and cost
 *    time on every checkpoint.
 *  - Integer-valued attributes that the struct holds as `long` (init_seed,
 *    n_steps, n_episodes, rollouts, rollout_steps) are written as NC_INT64;
 *    the reader accepts any integer type with one value (gamma,
 *    gradient_cosine and wall_seconds: any numeric type).
 *  - `objective` is written as given, or "losses"/"return" by the presence of
 *    the return arrays when empty; the return arrays and the rollout
 *    attributes go together: present in the file iff return_mean != NULL.
 *  - `demo_checksum`, `objective`, `reward_scheme` and `dense_kernel` are
 *    optional on reading ("", "losses", "" and ""; older files lack them;
 *    reward_scheme and dense_kernel are written only when set);
 *    everything else is required.  A present attribute of the wrong kind is
 *    an error (ncfile.h's one rule).
 *  - td_loss and cql_loss (docs/value-objectives.md) are each optional; the
 *    attributes td_target, td_steps, td_left_out, gradient_cosine_il_td and
 *    gradient_cosine_rl_td go with either (present iff one of them is),
 *    cql_alpha with cql_loss.
 *  - theta_file and theta_checkpoint (theta0 from --theta or a trajectory
 *    plane) go together: written iff theta_file is not "", optional on
 *    reading ("" and -1: theta0 from --seed).
 *  - A training path (landscape->path; docs/formats.md, "Path") is the
 *    dimension checkpoint with path_x, path_y, path_residual, path_<v> for
 *    every grid array v (_FillValue NaN: not computed), path_phase (int),
 *    path_env_steps, path_update and path_checkpoint (int64), and the
 *    attributes path_file and path_phase; all present iff path_x is.
 *    explained_variance (two doubles) is written for a trajectory plane
 *    (when both ratios are finite) and optional on reading.
 *  - The grid arrays have _FillValue NaN: a point not computed is NaN with
 *    computed = 0.  A value equal to a non-NaN fill or missing_value is
 *    refused at computed points, and anywhere in x, y and the plane.
 */
#include "config.h"

#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netcdf.h>

#include "ilrl/error.h"
#include "ilrl/landscape_io.h"
#include "ilrl/ncfile.h"
#include "ilrl/output_file.h"

#define FILE_KIND "landscape"
#define CONVENTIONS "CF-1.8"
#define DEFAULT_TITLE "Imitation- and reinforcement-learning loss landscapes"

static const char *or_empty(const char *text)
{
    return text ? text : "";
}

/* ------------------------------------------------------------------------ */
/* Writer                                                                   */

int ilrl_landscape_check_output(const char *path, int force)
{
    return ilrl_ncfile_check_output(path, force);
}

int ilrl_landscape_check_checkpoint(const char *checkpoint_path)
{
    return ilrl_ncfile_check_output(checkpoint_path, 1);
}

/* Defines a grid variable: with _FillValue NaN (a point not computed). */
static int define_grid_variable(struct ilrl_ncfile *file, const char *name,
                                const int *dimids, const char *long_name,
                                const char *units, int *varid)
{
    double fill = NAN;
    int status = ILRL_NC(file, name, nc_def_var,
                         (file->ncid, name, NC_DOUBLE, 2, dimids, varid));
    if (!status)
        status = ILRL_NC(file, name, nc_def_var_fill, (file->ncid, *varid, 0, &fill));
    if (!status)
        status = ilrl_ncfile_put_text(file, *varid, "long_name", long_name);
    if (!status && units)
        status = ilrl_ncfile_put_text(file, *varid, "units", units);
    return status;
}

static int put_global_attributes(struct ilrl_ncfile *file,
                                 const struct ilrl_landscape *landscape)
{
    const struct ilrl_landscape_meta *meta = &landscape->meta;
    const char *title = or_empty(meta->title)[0] ? meta->title : DEFAULT_TITLE;
    const char *objective = or_empty(meta->objective)[0]
        ? meta->objective : (landscape->return_mean ? "return" : "losses");
    int status = 0;

    if (!status) status = ilrl_ncfile_put_text(file, NC_GLOBAL, "Conventions", CONVENTIONS);
    if (!status) status = ilrl_ncfile_put_text(file, NC_GLOBAL, "title", title);
    if (!status) status = ilrl_ncfile_put_text(file, NC_GLOBAL, "history", meta->history);
    if (!status) status = ilrl_ncfile_put_text(file, NC_GLOBAL, "source", meta->source);
    if (!status) status = ilrl_ncfile_put_text(file, NC_GLOBAL, "ilrl_file_kind", FILE_KIND);
    if (!status) status = ilrl_ncfile_put_ints(file, "layer_sizes", meta->layer_sizes,
                                               meta->n_layer_sizes);
    if (!status) status = ilrl_ncfile_put_text(file, NC_GLOBAL, "activation",
                                               meta->activation);
    if (!status) status = ilrl_ncfile_put_int64(file, "init_seed", meta->init_seed);
    if (!status) status = ilrl_ncfile_put_text(file, NC_GLOBAL, "plane", meta->plane);
    if (!status) status = ilrl_ncfile_put_text(file, NC_GLOBAL, "rl_weight", meta->rl_weight);
    if (!status) status = ilrl_ncfile_put_double(file, "gamma", meta->gamma);
    if (!status) status = ilrl_ncfile_put_text(file, NC_GLOBAL, "demo_file", meta->demo_file);
    if (!status) status = ilrl_ncfile_put_text(file, NC_GLOBAL, "demo_checksum",
                                               meta->demo_checksum);
    if (!status) status = ilrl_ncfile_put_int64(file, "n_steps", meta->n_steps);
    if (!status) status = ilrl_ncfile_put_int64(file, "n_episodes", meta->n_episodes);
    if (!status) status = ilrl_ncfile_put_double(file, "gradient_cosine",
                                                 meta->gradient_cosine);
    if (!status) status = ilrl_ncfile_put_ints(file, "mpi_ranks", &meta->mpi_ranks, 1);
    if (!status) status = ilrl_ncfile_put_ints(file, "tile", meta->tile, 2);
    if (!status) status = ilrl_ncfile_put_double(file, "wall_seconds", meta->wall_seconds);
    if (!status) status = ilrl_ncfile_put_text(file, NC_GLOBAL, "objective", objective);
    if (landscape->return_mean) {
        if (!status) status = ilrl_ncfile_put_int64(file, "rollouts", meta->rollouts);
        if (!status) status = ilrl_ncfile_put_int64(file, "rollout_steps",
                                                    meta->rollout_steps);
        if (!status) status = ilrl_ncfile_put_text(file, NC_GLOBAL, "rollout_policy",
                                                   meta->rollout_policy);
    }
    if (!status && or_empty(meta->reward_scheme)[0])
        status = ilrl_ncfile_put_text(file, NC_GLOBAL, "reward_scheme",
                                      meta->reward_scheme);
    if (!status && or_empty(meta->dense_kernel)[0])
        status = ilrl_ncfile_put_text(file, NC_GLOBAL, "dense_kernel",
                                      meta->dense_kernel);
    if (landscape->td_loss || landscape->cql_loss) {
        if (!status) status = ilrl_ncfile_put_text(file, NC_GLOBAL, "td_target",
                                                   meta->td_target);
        if (!status) status = ilrl_ncfile_put_int64(file, "td_steps", meta->td_steps);
        if (!status) status = ilrl_ncfile_put_int64(file, "td_left_out", meta->td_left_out);
        if (!status) status = ilrl_ncfile_put_double(file, "gradient_cosine_il_td",
                                                     meta->gradient_cosine_il_td);
        if (!status) status = ilrl_ncfile_put_double(file, "gradient_cosine_rl_td",
                                                     meta->gradient_cosine_rl_td);
    }
    if (landscape->cql_loss && !status)
        status = ilrl_ncfile_put_double(file, "cql_alpha", meta->cql_alpha);
    if (!status && landscape->path != NULL) {
        status = ilrl_ncfile_put_text(file, NC_GLOBAL, "path_file", meta->path_file);
        if (!status) status = ilrl_ncfile_put_text(file, NC_GLOBAL, "path_phase",
                                                   meta->path_phase);
    }
    if (!status && isfinite(meta->explained_variance[0]) && isfinite(meta->explained_variance[1]))
        status = ILRL_NC(file, "explained_variance", nc_put_att_double,
                         (file->ncid, NC_GLOBAL, "explained_variance", NC_DOUBLE, 2,
                          meta->explained_variance));
    if (!status && or_empty(meta->theta_file)[0]) {
        status = ilrl_ncfile_put_text(file, NC_GLOBAL, "theta_file", meta->theta_file);
        if (!status) status = ilrl_ncfile_put_int64(file, "theta_checkpoint",
                                                    meta->theta_checkpoint);
    }
    return status;
}

/* The grid variables: name, long name, units, and where the data live. */
struct grid_variable {
    const char *name;
    const char *long_name;
    const char *units;
    double *data;
    int varid;
};

static size_t grid_variables(const struct ilrl_landscape *landscape,
                             struct grid_variable variables[8])
{
    size_t n = 0;
    variables[n++] = (struct grid_variable){
        "il_loss", "imitation-learning loss (behaviour cloning, mean negative log-likelihood)",
        "1", landscape->il_loss, -1};
    variables[n++] = (struct grid_variable){
        "rl_loss", "reinforcement-learning loss (REINFORCE surrogate on the demonstration)",
        "1", landscape->rl_loss, -1};
    if (landscape->td_loss)
        variables[n++] = (struct grid_variable){
            "td_loss", "temporal-difference loss (mean squared TD error of the outputs read as Q-values)",
            "1", landscape->td_loss, -1};
    if (landscape->cql_loss)
        variables[n++] = (struct grid_variable){
            "cql_loss", "conservative Q-learning loss (TD loss + cql_alpha * IL loss)",
            "1", landscape->cql_loss, -1};
    if (landscape->return_mean) {
        variables[n++] = (struct grid_variable){
            "return_mean", "mean discounted return of rollouts", "1",
            landscape->return_mean, -1};
        variables[n++] = (struct grid_variable){
            "return_std", "standard deviation of the discounted return over rollouts",
            "1", landscape->return_std, -1};
        variables[n++] = (struct grid_variable){
            "score_mean", "mean score (pipes passed) of rollouts", "1",
            landscape->score_mean, -1};
        variables[n++] = (struct grid_variable){
            "length_mean", "mean rollout length", "steps",
            landscape->length_mean, -1};
    }
    return n;
}

static const char *const plane_names[3] = {"theta0", "direction_x", "direction_y"};

/* ---- the training path ---- */

#define PATH_MAX_VARIABLES (3 + ILRL_LANDSCAPE_MAX_POINT_ARRAYS + 4)

/* One variable of the path: name, type, long name, and its data (doubles
 * or integers: one of the two is set). */
struct path_variable {
    char name[64];
    int type;                 /* NC_DOUBLE, NC_INT, NC_INT64 */
    const char *long_name;
    double *doubles;
    long long *integers;
    int *ints;
    int nan_fill;             /* values may be NaN: not computed */
    int varid;
};

static size_t path_variables(const struct ilrl_landscape *landscape,
                             struct path_variable variables[PATH_MAX_VARIABLES])
{
    struct ilrl_landscape_path *path = landscape->path;
    const char *names[ILRL_LANDSCAPE_MAX_POINT_ARRAYS];
    size_t n_arrays = ilrl_landscape_point_array_names(landscape, names), n = 0;
    variables[n++] = (struct path_variable){"path_x", NC_DOUBLE,
        "least-squares coordinate of theta_k - theta0 along direction_x", path->x, NULL, NULL, 0, -1};
    variables[n++] = (struct path_variable){"path_y", NC_DOUBLE,
        "least-squares coordinate of theta_k - theta0 along direction_y", path->y, NULL, NULL, 0, -1};
    variables[n++] = (struct path_variable){"path_residual", NC_DOUBLE,
        "distance of theta_k from the plane relative to |theta_k - theta0| (0 when equal)",
        path->residual, NULL, NULL, 0, -1};
    for (size_t k = 0; k < n_arrays && k < path->n_values; k++) {
        variables[n] = (struct path_variable){"", NC_DOUBLE,
            "the grid variable of the same name without path_, at theta_k itself (not its projection)",
            path->values[k], NULL, NULL, 1, -1};
        snprintf(variables[n].name, sizeof variables[n].name, "path_%s", names[k]);
        n++;
    }
    variables[n++] = (struct path_variable){"path_phase", NC_INT,
        "phase of the checkpoint: 0 imitation, 1 reinforcement", NULL, NULL, path->phase, 0, -1};
    variables[n++] = (struct path_variable){"path_env_steps", NC_INT64,
        "environment steps at the checkpoint", NULL, path->env_steps, NULL, 0, -1};
    variables[n++] = (struct path_variable){"path_update", NC_INT64,
        "optimiser steps at the checkpoint", NULL, path->update, NULL, 0, -1};
    variables[n++] = (struct path_variable){"path_checkpoint", NC_INT64,
        "the checkpoint's number in path_file (from 0)", NULL, path->index, NULL, 0, -1};
    return n;
}

static int define_path(struct ilrl_ncfile *file, const struct ilrl_landscape *landscape,
                       struct path_variable *variables, size_t *n_variables)
{
    int dim, status;
    *n_variables = 0;
    if (landscape->path == NULL)
        return ILRL_OK;
    status = ILRL_NC(file, "checkpoint", nc_def_dim,
                     (file->ncid, "checkpoint", landscape->path->n, &dim));
    *n_variables = path_variables(landscape, variables);
    for (size_t k = 0; !status && k < *n_variables; k++) {
        struct path_variable *v = &variables[k];
        status = ilrl_ncfile_define(file, v->name, v->type, 1, &dim, v->long_name, NULL,
                                    &v->varid);
        if (!status && v->nan_fill) {
            double fill = NAN;
            status = ILRL_NC(file, v->name, nc_def_var_fill, (file->ncid, v->varid, 0, &fill));
        }
    }
    return status;
}

static int put_path(struct ilrl_ncfile *file, const struct path_variable *variables,
                    size_t n_variables)
{
    int status = ILRL_OK;
    for (size_t k = 0; !status && k < n_variables; k++) {
        const struct path_variable *v = &variables[k];
        if (v->doubles != NULL)
            status = ILRL_NC(file, v->name, nc_put_var_double, (file->ncid, v->varid, v->doubles));
        else if (v->integers != NULL)
            status = ILRL_NC(file, v->name, nc_put_var_longlong,
                             (file->ncid, v->varid, v->integers));
        else
            status = ILRL_NC(file, v->name, nc_put_var_int, (file->ncid, v->varid, v->ints));
    }
    return status;
}

/* Defines and writes everything into an open, empty file. */
static int write_contents(struct ilrl_ncfile *file,
                          const struct ilrl_landscape *landscape)
{
    int y_dim, x_dim, param_dim, x_var, y_var, computed_var;
    int plane_vars[3];
    struct grid_variable variables[8];
    size_t n_variables = grid_variables(landscape, variables);
    struct path_variable path[PATH_MAX_VARIABLES];
    size_t n_path = 0;
    int status = 0;

    if (!status) status = ILRL_NC(file, "y", nc_def_dim, (file->ncid, "y", landscape->ny, &y_dim));
    if (!status) status = ILRL_NC(file, "x", nc_def_dim, (file->ncid, "x", landscape->nx, &x_dim));
    if (!status) status = ILRL_NC(file, "param", nc_def_dim,
                                  (file->ncid, "param", landscape->n_params, &param_dim));
    int grid_dims[2] = {y_dim, x_dim};

    if (!status) status = ilrl_ncfile_define(file, "x", NC_DOUBLE, 1, &x_dim,
                                             "plane coordinate along direction_x", "1", &x_var);
    if (!status) status = ilrl_ncfile_put_text(file, x_var, "axis", "X");
    if (!status) status = ilrl_ncfile_define(file, "y", NC_DOUBLE, 1, &y_dim,
                                             "plane coordinate along direction_y", "1", &y_var);
    if (!status) status = ilrl_ncfile_put_text(file, y_var, "axis", "Y");
    for (size_t k = 0; !status && k < n_variables; k++)
        status = define_grid_variable(file, variables[k].name, grid_dims,
                                      variables[k].long_name, variables[k].units,
                                      &variables[k].varid);
    if (!status) status = ilrl_ncfile_define(file, "computed", NC_BYTE, 2, grid_dims,
                                             "point computed (resume mask)", NULL,
                                             &computed_var);
    if (!status) {
        signed char flags[2] = {0, 1};
        status = ILRL_NC(file, "computed:flag_values", nc_put_att_schar,
                         (file->ncid, computed_var, "flag_values", NC_BYTE, 2, flags));
    }
    if (!status) status = ilrl_ncfile_put_text(file, computed_var, "flag_meanings",
                                               "pending computed");
    static const char *plane_long_names[3] = {
        "network parameters at the plane origin (per layer: W row-major, then b)",
        "plane direction along x", "plane direction along y"};
    for (int k = 0; !status && k < 3; k++)
        status = ilrl_ncfile_define(file, plane_names[k], NC_DOUBLE, 1, &param_dim,
                                    plane_long_names[k], NULL, &plane_vars[k]);
    if (!status) status = define_path(file, landscape, path, &n_path);
    if (!status) status = put_global_attributes(file, landscape);
    if (!status) status = ILRL_NC(file, "file", nc_enddef, (file->ncid));

    if (!status) status = ILRL_NC(file, "x", nc_put_var_double,
                                  (file->ncid, x_var, landscape->x));
    if (!status) status = ILRL_NC(file, "y", nc_put_var_double,
                                  (file->ncid, y_var, landscape->y));
    for (size_t k = 0; !status && k < n_variables; k++)
        status = ILRL_NC(file, variables[k].name, nc_put_var_double,
                         (file->ncid, variables[k].varid, variables[k].data));
    if (!status) status = ILRL_NC(file, "computed", nc_put_var_uchar,
                                  (file->ncid, computed_var, landscape->computed));
    const double *plane_data[3] = {landscape->theta0, landscape->direction_x,
                                   landscape->direction_y};
    for (int k = 0; !status && k < 3; k++)
        status = ILRL_NC(file, plane_names[k], nc_put_var_double,
                         (file->ncid, plane_vars[k], plane_data[k]));
    if (!status) status = put_path(file, path, n_path);
    return status;
}

static int check_shape(const struct ilrl_landscape *landscape)
{
    const struct ilrl_landscape_meta *meta = &landscape->meta;
    if (!landscape->x || !landscape->y || !landscape->il_loss ||
        !landscape->rl_loss || !landscape->computed || !landscape->theta0 ||
        !landscape->direction_x || !landscape->direction_y ||
        landscape->nx == 0 || landscape->ny == 0 || landscape->n_params == 0)
        return ilrl_error(ILRL_EFAILED, "landscape to write is incomplete");
    if (landscape->return_mean && !(landscape->return_std &&
                                    landscape->score_mean && landscape->length_mean))
        return ilrl_error(ILRL_EFAILED, "landscape to write has return_mean "
                          "without return_std, score_mean, length_mean");
    if (meta->objective && strcmp(meta->objective, "return") == 0 &&
        !landscape->return_mean)
        return ilrl_error(ILRL_EFAILED, "landscape to write has objective "
                          "\"return\" without return arrays");
    if (meta->n_layer_sizes < 2 || !meta->layer_sizes)
        return ilrl_error(ILRL_EFAILED, "landscape to write has %zu layer sizes "
                          "(need >= 2)", meta->n_layer_sizes);
    return ILRL_OK;
}

/* An upper bound of the file's size, reserved before HDF5 writes (see
 * output_file.h): the arrays, the attributes' text and generous room for
 * HDF5's metadata (about 20 kB for this schema; 64 kB allowed). */
static off_t size_estimate(const struct ilrl_landscape *landscape)
{
    const struct ilrl_landscape_meta *meta = &landscape->meta;
    double points = (double)landscape->nx * (double)landscape->ny;
    double grids = (landscape->return_mean ? 6.0 : 2.0) + (landscape->td_loss ? 1.0 : 0.0)
                   + (landscape->cql_loss ? 1.0 : 0.0);
    double bytes = 65536.0 + points * (grids * 8.0 + 1.0)
        + 8.0 * ((double)landscape->nx + (double)landscape->ny)
        + 24.0 * (double)landscape->n_params + 4.0 * (double)meta->n_layer_sizes;
    const char *strings[] = {
        meta->title, meta->history, meta->source, meta->activation, meta->plane,
        meta->rl_weight, meta->demo_file, meta->demo_checksum, meta->objective,
        meta->rollout_policy, meta->reward_scheme, meta->dense_kernel, meta->td_target,
        meta->theta_file};
    for (size_t k = 0; k < sizeof strings / sizeof *strings; k++)
        bytes += (double)strlen(or_empty(strings[k]));
    if (landscape->path != NULL)
        bytes += 8192.0 + (double)landscape->path->n * (8.0 * (3.0 + 3.0 + (double)landscape->path->n_values) + 4.0)
                 + (double)strlen(or_empty(meta->path_file)) + (double)strlen(or_empty(meta->path_phase));
    return (off_t)bytes;
}

int ilrl_landscape_write(const char *path, const struct ilrl_landscape *landscape,
                         int force)
{
    struct ilrl_ncfile file;
    int status = check_shape(landscape);

    if (!status)
        status = ilrl_ncfile_create(&file, path, force, size_estimate(landscape));
    if (status)
        return status;
    return ilrl_ncfile_publish(&file, write_contents(&file, landscape));
}

/* ------------------------------------------------------------------------ */
/* Reader                                                                   */

static int get_long(struct ilrl_ncfile *file, const char *name, long *out)
{
    long long wide = 0;
    int status = ilrl_ncfile_get_integer(file, NC_GLOBAL, name, &wide, NULL);
    if (!status && (wide < LONG_MIN || wide > LONG_MAX))
        return ilrl_error(ILRL_EINPUT, "%s: attribute %s = %lld is out of range",
                          file->path, name, wide);
    if (!status)
        *out = (long)wide;
    return status;
}

/* The dimension's length; missing or empty is ILRL_EINPUT. */
static int get_dimension(struct ilrl_ncfile *file, const char *name, int *dimid,
                         size_t *length)
{
    int nc_status = nc_inq_dimid(file->ncid, name, dimid);
    if (nc_status == NC_EBADDIM)
        return ilrl_error(ILRL_EINPUT, "%s: dimension '%s' missing", file->path, name);
    int status = ilrl_ncfile_checked(file, nc_status, "nc_inq_dimid", name);
    if (!status)
        status = ILRL_NC(file, name, nc_inq_dimlen, (file->ncid, *dimid, length));
    if (!status && *length == 0)
        return ilrl_error(ILRL_EINPUT, "%s: dimension '%s' is empty", file->path, name);
    return status;
}

/* Finds variable `name` and checks its type, dimensions and size. */
static int find_variable(struct ilrl_ncfile *file, const char *name, nc_type type,
                         int ndims, const int *dimids, const char *shape, int *varid)
{
    int actual_ndims, actual_dimids[NC_MAX_VAR_DIMS];
    nc_type actual_type;
    int nc_status = nc_inq_varid(file->ncid, name, varid);
    if (nc_status == NC_ENOTVAR)
        return ilrl_error(ILRL_EINPUT, "%s: variable '%s' missing", file->path, name);
    int status = ilrl_ncfile_checked(file, nc_status, "nc_inq_varid", name);
    if (!status)
        status = ILRL_NC(file, name, nc_inq_var, (file->ncid, *varid, NULL, &actual_type,
                                                  &actual_ndims, actual_dimids, NULL));
    if (status)
        return status;
    int same_shape = actual_ndims == ndims;
    for (int k = 0; same_shape && k < ndims; k++)
        same_shape = actual_dimids[k] == dimids[k];
    if (actual_type != type || !same_shape)
        return ilrl_error(ILRL_EINPUT, "%s: variable '%s' must be %s %s",
                          file->path, name,
                          type == NC_BYTE ? "byte" : type == NC_INT ? "int"
                          : type == NC_INT64 ? "int64" : "double", shape);
    return ilrl_ncfile_check_size(file, *varid, name);
}

/* Reads the double variable `name` of the given shape into `buffer`; a fill
 * value is refused where `mask` (NULL: everywhere) is set. */
static int read_doubles(struct ilrl_ncfile *file, const char *name, int ndims,
                        const int *dimids, const char *shape, size_t n,
                        size_t columns, const unsigned char *mask, double *buffer)
{
    int varid;
    int status = find_variable(file, name, NC_DOUBLE, ndims, dimids, shape, &varid);
    if (!status)
        status = ILRL_NC(file, name, nc_get_var_double, (file->ncid, varid, buffer));
    if (!status)
        status = ilrl_ncfile_refuse_fill(file, varid, name, buffer, n, columns, mask);
    return status;
}

/* Whether the file has a variable `name` (a quiet probe). */
static int has_variable(struct ilrl_ncfile *file, const char *name)
{
    int varid;
    return nc_inq_varid(file->ncid, name, &varid) == NC_NOERR;
}

static int read_attributes(struct ilrl_ncfile *file, struct ilrl_landscape *landscape)
{
    struct ilrl_landscape_meta *meta = &landscape->meta;
    int status = 0;
    static const char *required_text[] = {
        "Conventions", "title", "history", "source", "activation", "plane",
        "rl_weight", "demo_file"};
    char *conventions = NULL;
    int found;
    char **required_fields[] = {
        &conventions, &meta->title, &meta->history, &meta->source,
        &meta->activation, &meta->plane, &meta->rl_weight, &meta->demo_file};
    for (size_t k = 0; !status && k < sizeof required_text / sizeof *required_text; k++)
        status = ilrl_ncfile_get_text(file, NC_GLOBAL, required_text[k],
                                      required_fields[k], NULL);
    free(conventions);
    if (!status) status = ilrl_ncfile_get_text(file, NC_GLOBAL, "demo_checksum",
                                               &meta->demo_checksum, &found);
    if (!status) status = ilrl_ncfile_get_text(file, NC_GLOBAL, "objective",
                                               &meta->objective, &found);
    if (!status) status = ilrl_ncfile_get_text(file, NC_GLOBAL, "reward_scheme",
                                               &meta->reward_scheme, &found);
    if (!status) status = ilrl_ncfile_get_text(file, NC_GLOBAL, "dense_kernel",
                                               &meta->dense_kernel, &found);
    if (!status && meta->objective[0] == '\0')
        status = ilrl_landscape_set_string(&meta->objective, "losses");

    if (!status) status = ilrl_ncfile_get_ints(file, "layer_sizes", 0, &meta->layer_sizes,
                                               &meta->n_layer_sizes);
    if (!status && meta->n_layer_sizes < 2)
        status = ilrl_error(ILRL_EINPUT, "%s: attribute layer_sizes has %zu "
                            "entries (need >= 2)", file->path, meta->n_layer_sizes);
    long ranks = 0;
    if (!status) status = get_long(file, "init_seed", &meta->init_seed);
    if (!status) status = ilrl_ncfile_get_double(file, NC_GLOBAL, "gamma", &meta->gamma,
                                                 NULL);
    if (!status) status = get_long(file, "n_steps", &meta->n_steps);
    if (!status) status = get_long(file, "n_episodes", &meta->n_episodes);
    if (!status) status = ilrl_ncfile_get_double(file, NC_GLOBAL, "gradient_cosine",
                                                 &meta->gradient_cosine, NULL);
    if (!status) status = get_long(file, "mpi_ranks", &ranks);
    if (!status) meta->mpi_ranks = (int)ranks;
    int *tile = NULL;
    size_t length;
    if (!status) status = ilrl_ncfile_get_ints(file, "tile", 2, &tile, &length);
    if (!status) {
        meta->tile[0] = tile[0];
        meta->tile[1] = tile[1];
    }
    free(tile);
    if (!status) status = ilrl_ncfile_get_double(file, NC_GLOBAL, "wall_seconds",
                                                 &meta->wall_seconds, NULL);
    if (!status && landscape->return_mean) {
        status = get_long(file, "rollouts", &meta->rollouts);
        if (!status) status = get_long(file, "rollout_steps", &meta->rollout_steps);
        if (!status) status = ilrl_ncfile_get_text(file, NC_GLOBAL, "rollout_policy",
                                                   &meta->rollout_policy, NULL);
    }
    if (!status && (landscape->td_loss || landscape->cql_loss)) {
        status = ilrl_ncfile_get_text(file, NC_GLOBAL, "td_target", &meta->td_target, NULL);
        if (!status) status = get_long(file, "td_steps", &meta->td_steps);
        if (!status) status = get_long(file, "td_left_out", &meta->td_left_out);
        if (!status) status = ilrl_ncfile_get_double(file, NC_GLOBAL, "gradient_cosine_il_td",
                                                     &meta->gradient_cosine_il_td, NULL);
        if (!status) status = ilrl_ncfile_get_double(file, NC_GLOBAL, "gradient_cosine_rl_td",
                                                     &meta->gradient_cosine_rl_td, NULL);
    }
    if (!status && landscape->cql_loss)
        status = ilrl_ncfile_get_double(file, NC_GLOBAL, "cql_alpha", &meta->cql_alpha, NULL);
    if (!status) status = ilrl_ncfile_get_text(file, NC_GLOBAL, "theta_file",
                                               &meta->theta_file, &found);
    if (!status && found) {
        status = get_long(file, "theta_checkpoint", &meta->theta_checkpoint);
        if (!status && meta->theta_checkpoint < -1)
            status = ilrl_error(ILRL_EINPUT, "%s: attribute theta_checkpoint = %ld is not -1 or a checkpoint number",
                                file->path, meta->theta_checkpoint);
    }
    return status;
}

/* The training path, when the file has one (path_x present). */
static int read_path(struct ilrl_ncfile *file, struct ilrl_landscape *landscape)
{
    struct ilrl_landscape_meta *meta = &landscape->meta;
    struct path_variable variables[PATH_MAX_VARIABLES];
    int dim;
    size_t n;
    if (!has_variable(file, "path_x"))
        return ILRL_OK;
    int status = get_dimension(file, "checkpoint", &dim, &n);
    if (!status && ilrl_landscape_add_path(landscape, n) != ILRL_OK)
        status = ilrl_error(ILRL_EFAILED, "%s: out of memory for a path of %zu checkpoints",
                            file->path, n);
    if (status)
        return status;
    size_t n_variables = path_variables(landscape, variables);
    long long *buffer = malloc(n * sizeof *buffer);
    if (buffer == NULL)
        return ilrl_error(ILRL_EFAILED, "%s: out of memory for the path", file->path);
    for (size_t k = 0; !status && k < n_variables; k++) {
        struct path_variable *v = &variables[k];
        if (v->type == NC_DOUBLE) {
            /* NaN marks a value not computed; any other fill is refused */
            status = read_doubles(file, v->name, 1, &dim, "(checkpoint)", n, 1, NULL, v->doubles);
            continue;
        }
        status = find_variable(file, v->name, v->type, 1, &dim, "(checkpoint)", &v->varid);
        if (!status) status = ILRL_NC(file, v->name, nc_get_var_longlong,
                                      (file->ncid, v->varid, buffer));
        if (!status) status = ilrl_ncfile_refuse_fill_integers(file, v->varid, v->name, buffer, n);
        for (size_t i = 0; !status && i < n; i++) {
            if (v->ints != NULL && buffer[i] != 0 && buffer[i] != 1)
                status = ilrl_error(ILRL_EINPUT, "%s: variable '%s' holds %lld at checkpoint %zu; expected 0 or 1",
                                    file->path, v->name, buffer[i], i);
            else if (v->ints != NULL)
                v->ints[i] = (int)buffer[i];
            else
                v->integers[i] = buffer[i];
        }
    }
    free(buffer);
    if (!status) status = ilrl_ncfile_get_text(file, NC_GLOBAL, "path_file", &meta->path_file, NULL);
    if (!status) status = ilrl_ncfile_get_text(file, NC_GLOBAL, "path_phase", &meta->path_phase,
                                               NULL);
    if (!status && strcmp(meta->path_phase, "all") != 0 && strcmp(meta->path_phase, "il") != 0
        && strcmp(meta->path_phase, "rl") != 0)
        status = ilrl_error(ILRL_EINPUT, "%s: attribute path_phase is '%s', not all, il or rl",
                            file->path, meta->path_phase);
    return status;
}

/* explained_variance: absent, or two numbers. */
static int read_explained_variance(struct ilrl_ncfile *file, struct ilrl_landscape_meta *meta)
{
    nc_type type;
    size_t length;
    int nc_status = nc_inq_att(file->ncid, NC_GLOBAL, "explained_variance", &type, &length);
    if (nc_status == NC_ENOTATT)
        return ILRL_OK;
    int status = ilrl_ncfile_checked(file, nc_status, "nc_inq_att", "explained_variance");
    if (!status && (length != 2 || type == NC_CHAR || type == NC_STRING))
        status = ilrl_error(ILRL_EINPUT, "%s: attribute explained_variance must be two numbers",
                            file->path);
    if (!status) status = ILRL_NC(file, "explained_variance", nc_get_att_double,
                                  (file->ncid, NC_GLOBAL, "explained_variance",
                                   meta->explained_variance));
    return status;
}

/* Reads everything after the kind check, into a landscape of the file's size. */
static int read_contents(struct ilrl_ncfile *file, struct ilrl_landscape **out)
{
    int y_dim, x_dim, param_dim, varid;
    size_t ny, nx, n_params;
    int status = get_dimension(file, "y", &y_dim, &ny);
    if (!status) status = get_dimension(file, "x", &x_dim, &nx);
    if (!status) status = get_dimension(file, "param", &param_dim, &n_params);
    if (status)
        return status;
    int grid_dims[2] = {y_dim, x_dim};
    /* Sizes before allocating: the mask stands for every grid array. */
    status = find_variable(file, "computed", NC_BYTE, 2, grid_dims, "(y, x)", &varid);
    if (status)
        return status;
    int with_return = has_variable(file, "return_mean");
    struct ilrl_landscape *landscape = ilrl_landscape_alloc(nx, ny, n_params, with_return);
    if (landscape && ilrl_landscape_add_value_arrays(landscape, has_variable(file, "td_loss"),
                                                     has_variable(file, "cql_loss")) != ILRL_OK) {
        ilrl_landscape_free(landscape);
        landscape = NULL;
    }
    if (!landscape)
        return ilrl_error(ILRL_EFAILED, "%s: out of memory for a %zu x %zu grid",
                          file->path, nx, ny);
    struct grid_variable variables[8];
    size_t n_variables = grid_variables(landscape, variables);
    status = ILRL_NC(file, "computed", nc_get_var_uchar,
                     (file->ncid, varid, landscape->computed));
    for (size_t k = 0; !status && k < nx * ny; k++)
        if (landscape->computed[k] > 1)
            status = ilrl_error(ILRL_EINPUT, "%s: variable 'computed' holds %d at "
                                "point (%zu, %zu); expected 0 or 1", file->path,
                                landscape->computed[k], k % nx, k / nx);
    if (!status)
        status = read_doubles(file, "x", 1, &x_dim, "(x)", nx, 1, NULL, landscape->x);
    if (!status)
        status = read_doubles(file, "y", 1, &y_dim, "(y)", ny, 1, NULL, landscape->y);
    for (size_t k = 0; !status && k < n_variables; k++)
        status = read_doubles(file, variables[k].name, 2, grid_dims, "(y, x)", nx * ny,
                              nx, landscape->computed, variables[k].data);
    double *plane_data[3] = {landscape->theta0, landscape->direction_x,
                             landscape->direction_y};
    for (int k = 0; !status && k < 3; k++)
        status = read_doubles(file, plane_names[k], 1, &param_dim, "(param)", n_params,
                              1, NULL, plane_data[k]);
    if (!status)
        status = read_attributes(file, landscape);
    if (!status)
        status = read_path(file, landscape);
    if (!status)
        status = read_explained_variance(file, &landscape->meta);
    if (status) {
        ilrl_landscape_free(landscape);
        return status;
    }
    *out = landscape;
    return ILRL_OK;
}

static int check_kind(struct ilrl_ncfile *file)
{
    char *kind = NULL;
    int found;
    int status = ilrl_ncfile_get_text(file, NC_GLOBAL, "ilrl_file_kind", &kind, &found);
    if (!status && !found)
        status = ilrl_error(ILRL_EINPUT, "%s: not a landscape file (no "
                            "ilrl_file_kind attribute)", file->path);
    else if (!status && strcmp(kind, "demonstration") == 0)
        status = ilrl_error(ILRL_EINPUT, "%s: a demonstration file, not a landscape "
                            "file (ilrl-landscape turns demonstrations into landscapes)",
                            file->path);
    else if (!status && strcmp(kind, FILE_KIND) != 0)
        status = ilrl_error(ILRL_EINPUT, "%s: not a landscape file "
                            "(ilrl_file_kind = \"%s\")", file->path, kind);
    free(kind);
    return status;
}

int ilrl_landscape_read(const char *path, struct ilrl_landscape **out)
{
    struct ilrl_ncfile file;
    *out = NULL;

    int status = ilrl_ncfile_open(&file, path);
    if (status)
        return status;
    status = check_kind(&file);
    if (!status)
        status = read_contents(&file, out);
    return ilrl_ncfile_close(&file, status);
}
