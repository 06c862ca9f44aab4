/* landscape_io.c -- owns the landscape file (SPEC §8, §11): its in-memory
 * form, the atomic writer and the validating reader.
 *
 * Every nc_* call goes through nc_checked(), which turns a NetCDF status
 * into an ilrl status and one message naming the file, the variable (or
 * attribute) and the call, as NCO's nco_err_exit does.  A reader failure is
 * ILRL_EINPUT ("bad input file"), a writer failure ILRL_EOUTPUT; the caller
 * picks which by the `failure_status` of the open file.
 *
 * Layout decisions (not in the SPEC):
 *  - NetCDF-4 (HDF5) format, contiguous storage, no compression: a checkpoint
 *    rewrites the whole file every --checkpoint seconds, and at the default
 *    101 x 101 grid the file is ~0.3 MB, so deflate would buy little and cost
 *    time on every checkpoint.
 *  - Integer-valued attributes that the struct holds as `long` (init_seed,
 *    n_steps, n_episodes, rollouts, rollout_steps) are written as NC_INT64;
 *    the reader accepts any numeric type with one value.
 *  - `objective` is written as given, or "losses"/"return" by the presence of
 *    the return arrays when empty; the return arrays and the rollout
 *    attributes go together: present in the file iff return_mean != NULL.
 *  - `demo_checksum`, `objective`, `reward_scheme` and `dense_kernel` are
 *    optional on reading ("", "losses", "" and ""): older files lack them
 *    (reward_scheme and dense_kernel are written only when set); every
 *    other attribute of docs/formats.md is required.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netcdf.h>

#include "ilrl/classic_header.h"
#include "ilrl/error.h"
#include "ilrl/landscape_io.h"
#include "ilrl/output_file.h"

#define FILE_KIND "landscape"
#define CONVENTIONS "CF-1.8"
#define DEFAULT_TITLE "Imitation- and reinforcement-learning loss landscapes"

/* The string fields of the metadata, for alloc/free/read loops. */
#define META_STRING_FIELDS(meta) \
    { &(meta)->title, &(meta)->history, &(meta)->source, &(meta)->activation, \
      &(meta)->plane, &(meta)->rl_weight, &(meta)->demo_file, \
      &(meta)->demo_checksum, &(meta)->objective, &(meta)->rollout_policy, \
      &(meta)->reward_scheme, &(meta)->dense_kernel }
#define N_META_STRING_FIELDS 12

/* An open NetCDF file and what a failing call on it means. */
struct nc_file {
    const char *path;
    int ncid;
    int open;             /* ncid is valid */
    int failure_status;   /* ILRL_EINPUT (reading) or ILRL_EOUTPUT (writing) */
    int last_nc_status;   /* of the last call, for callers that refine it */
};

/* The one checked wrapper: ILRL_OK, or `file->failure_status` with the
 * message "PATH: CALL(NAME): NetCDF message".  `name` is the variable or
 * attribute concerned, or NULL for file-level calls. */
static int nc_checked(struct nc_file *file, int nc_status, const char *call,
                      const char *name)
{
    file->last_nc_status = nc_status;
    if (nc_status == NC_NOERR)
        return ILRL_OK;
    if (name)
        return ilrl_error(file->failure_status, "%s: %s(%s): %s", file->path,
                          call, name, nc_strerror(nc_status));
    return ilrl_error(file->failure_status, "%s: %s: %s", file->path, call,
                      nc_strerror(nc_status));
}

/* Closes the file through nc_checked().  If `status` already reports an
 * error, that message is kept: a failing close after it says less. */
static int close_file(struct nc_file *file, int status)
{
    char earlier[1024];
    if (!file->open)
        return status;
    file->open = 0;
    snprintf(earlier, sizeof earlier, "%s", ilrl_error_message());
    int close_status = nc_checked(file, nc_close(file->ncid), "nc_close", NULL);
    if (status) {
        ilrl_error(status, "%s", earlier);
        return status;
    }
    return close_status;
}

/* ------------------------------------------------------------------------ */
/* In-memory landscape                                                      */

static double *nan_array(size_t n)
{
    double *array = malloc(n * sizeof *array);
    if (array)
        for (size_t k = 0; k < n; k++)
            array[k] = NAN;
    return array;
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
    char **strings[N_META_STRING_FIELDS] = META_STRING_FIELDS(&landscape->meta);
    for (size_t k = 0; k < N_META_STRING_FIELDS; k++)
        free(*strings[k]);
    free(landscape->meta.layer_sizes);
    free(landscape);
}

size_t ilrl_landscape_point_arrays(const struct ilrl_landscape *landscape,
                                   double *arrays[ILRL_LANDSCAPE_MAX_POINT_ARRAYS])
{
    size_t n = 0;
    arrays[n++] = landscape->il_loss;
    arrays[n++] = landscape->rl_loss;
    if (landscape->return_mean != NULL) {
        arrays[n++] = landscape->return_mean;
        arrays[n++] = landscape->return_std;
        arrays[n++] = landscape->score_mean;
        arrays[n++] = landscape->length_mean;
    }
    return n;
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

/* ------------------------------------------------------------------------ */
/* Writer                                                                   */

static const char *or_empty(const char *text)
{
    return text ? text : "";
}

static int put_text(struct nc_file *file, int varid, const char *name,
                    const char *value)
{
    value = or_empty(value);
    return nc_checked(file, nc_put_att_text(file->ncid, varid, name,
                                            strlen(value), value),
                      "nc_put_att_text", name);
}

static int put_double(struct nc_file *file, const char *name, double value)
{
    return nc_checked(file, nc_put_att_double(file->ncid, NC_GLOBAL, name,
                                              NC_DOUBLE, 1, &value),
                      "nc_put_att_double", name);
}

static int put_long(struct nc_file *file, const char *name, long value)
{
    long long wide = value;
    return nc_checked(file, nc_put_att_longlong(file->ncid, NC_GLOBAL, name,
                                                NC_INT64, 1, &wide),
                      "nc_put_att_longlong", name);
}

static int put_ints(struct nc_file *file, const char *name, const int *values,
                    size_t n)
{
    return nc_checked(file, nc_put_att_int(file->ncid, NC_GLOBAL, name, NC_INT,
                                           n, values),
                      "nc_put_att_int", name);
}

/* Defines a variable with long_name and units; `fill_nan` adds _FillValue NaN. */
static int define_variable(struct nc_file *file, const char *name, nc_type type,
                           int ndims, const int *dimids, const char *long_name,
                           const char *units, int fill_nan, int *varid)
{
    int status = nc_checked(file, nc_def_var(file->ncid, name, type, ndims,
                                             dimids, varid),
                            "nc_def_var", name);
    if (!status && fill_nan) {
        double fill = NAN;
        status = nc_checked(file, nc_def_var_fill(file->ncid, *varid, 0, &fill),
                            "nc_def_var_fill", name);
    }
    if (!status)
        status = put_text(file, *varid, "long_name", long_name);
    if (!status && units)
        status = put_text(file, *varid, "units", units);
    return status;
}

static int put_global_attributes(struct nc_file *file,
                                 const struct ilrl_landscape *landscape)
{
    const struct ilrl_landscape_meta *meta = &landscape->meta;
    const char *title = or_empty(meta->title)[0] ? meta->title : DEFAULT_TITLE;
    const char *objective = or_empty(meta->objective)[0]
        ? meta->objective : (landscape->return_mean ? "return" : "losses");
    int status = 0;

    if (!status) status = put_text(file, NC_GLOBAL, "Conventions", CONVENTIONS);
    if (!status) status = put_text(file, NC_GLOBAL, "title", title);
    if (!status) status = put_text(file, NC_GLOBAL, "history", meta->history);
    if (!status) status = put_text(file, NC_GLOBAL, "source", meta->source);
    if (!status) status = put_text(file, NC_GLOBAL, "ilrl_file_kind", FILE_KIND);
    if (!status) status = put_ints(file, "layer_sizes", meta->layer_sizes,
                                   meta->n_layer_sizes);
    if (!status) status = put_text(file, NC_GLOBAL, "activation", meta->activation);
    if (!status) status = put_long(file, "init_seed", meta->init_seed);
    if (!status) status = put_text(file, NC_GLOBAL, "plane", meta->plane);
    if (!status) status = put_text(file, NC_GLOBAL, "rl_weight", meta->rl_weight);
    if (!status) status = put_double(file, "gamma", meta->gamma);
    if (!status) status = put_text(file, NC_GLOBAL, "demo_file", meta->demo_file);
    if (!status) status = put_text(file, NC_GLOBAL, "demo_checksum", meta->demo_checksum);
    if (!status) status = put_long(file, "n_steps", meta->n_steps);
    if (!status) status = put_long(file, "n_episodes", meta->n_episodes);
    if (!status) status = put_double(file, "gradient_cosine", meta->gradient_cosine);
    if (!status) status = put_ints(file, "mpi_ranks", &meta->mpi_ranks, 1);
    if (!status) status = put_ints(file, "tile", meta->tile, 2);
    if (!status) status = put_double(file, "wall_seconds", meta->wall_seconds);
    if (!status) status = put_text(file, NC_GLOBAL, "objective", objective);
    if (landscape->return_mean) {
        if (!status) status = put_long(file, "rollouts", meta->rollouts);
        if (!status) status = put_long(file, "rollout_steps", meta->rollout_steps);
        if (!status) status = put_text(file, NC_GLOBAL, "rollout_policy",
                                       meta->rollout_policy);
    }
    if (!status && or_empty(meta->reward_scheme)[0])
        status = put_text(file, NC_GLOBAL, "reward_scheme", meta->reward_scheme);
    if (!status && or_empty(meta->dense_kernel)[0])
        status = put_text(file, NC_GLOBAL, "dense_kernel", meta->dense_kernel);
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
                             struct grid_variable variables[6])
{
    size_t n = 0;
    variables[n++] = (struct grid_variable){
        "il_loss", "imitation-learning loss (behaviour cloning, mean negative log-likelihood)",
        "1", landscape->il_loss, -1};
    variables[n++] = (struct grid_variable){
        "rl_loss", "reinforcement-learning loss (REINFORCE surrogate on the demonstration)",
        "1", landscape->rl_loss, -1};
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

/* Defines and writes everything into an open, empty file. */
static int write_contents(struct nc_file *file,
                          const struct ilrl_landscape *landscape)
{
    int y_dim, x_dim, param_dim, x_var, y_var, computed_var;
    int plane_vars[3];
    struct grid_variable variables[6];
    size_t n_variables = grid_variables(landscape, variables);
    int status = 0;

    if (!status) status = nc_checked(file, nc_def_dim(file->ncid, "y", landscape->ny, &y_dim),
                                     "nc_def_dim", "y");
    if (!status) status = nc_checked(file, nc_def_dim(file->ncid, "x", landscape->nx, &x_dim),
                                     "nc_def_dim", "x");
    if (!status) status = nc_checked(file, nc_def_dim(file->ncid, "param",
                                                      landscape->n_params, &param_dim),
                                     "nc_def_dim", "param");
    int grid_dims[2] = {y_dim, x_dim};

    if (!status) status = define_variable(file, "x", NC_DOUBLE, 1, &x_dim,
                                          "plane coordinate along direction_x", "1", 0, &x_var);
    if (!status) status = put_text(file, x_var, "axis", "X");
    if (!status) status = define_variable(file, "y", NC_DOUBLE, 1, &y_dim,
                                          "plane coordinate along direction_y", "1", 0, &y_var);
    if (!status) status = put_text(file, y_var, "axis", "Y");
    for (size_t k = 0; !status && k < n_variables; k++)
        status = define_variable(file, variables[k].name, NC_DOUBLE, 2, grid_dims,
                                 variables[k].long_name, variables[k].units, 1,
                                 &variables[k].varid);
    if (!status) status = define_variable(file, "computed", NC_BYTE, 2, grid_dims,
                                          "point computed (resume mask)", NULL, 0,
                                          &computed_var);
    if (!status) {
        signed char flags[2] = {0, 1};
        status = nc_checked(file, nc_put_att_schar(file->ncid, computed_var, "flag_values",
                                                   NC_BYTE, 2, flags),
                            "nc_put_att_schar", "computed:flag_values");
    }
    if (!status) status = put_text(file, computed_var, "flag_meanings", "pending computed");
    static const char *plane_names[3] = {"theta0", "direction_x", "direction_y"};
    static const char *plane_long_names[3] = {
        "network parameters at the plane origin (per layer: W row-major, then b)",
        "plane direction along x", "plane direction along y"};
    for (int k = 0; !status && k < 3; k++)
        status = define_variable(file, plane_names[k], NC_DOUBLE, 1, &param_dim,
                                 plane_long_names[k], NULL, 0, &plane_vars[k]);
    if (!status) status = put_global_attributes(file, landscape);
    if (!status) status = nc_checked(file, nc_enddef(file->ncid), "nc_enddef", NULL);

    if (!status) status = nc_checked(file, nc_put_var_double(file->ncid, x_var, landscape->x),
                                     "nc_put_var_double", "x");
    if (!status) status = nc_checked(file, nc_put_var_double(file->ncid, y_var, landscape->y),
                                     "nc_put_var_double", "y");
    for (size_t k = 0; !status && k < n_variables; k++)
        status = nc_checked(file, nc_put_var_double(file->ncid, variables[k].varid,
                                                    variables[k].data),
                            "nc_put_var_double", variables[k].name);
    if (!status) status = nc_checked(file, nc_put_var_uchar(file->ncid, computed_var,
                                                            landscape->computed),
                                     "nc_put_var_uchar", "computed");
    const double *plane_data[3] = {landscape->theta0, landscape->direction_x,
                                   landscape->direction_y};
    for (int k = 0; !status && k < 3; k++)
        status = nc_checked(file, nc_put_var_double(file->ncid, plane_vars[k], plane_data[k]),
                            "nc_put_var_double", plane_names[k]);
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
    double grids = landscape->return_mean ? 6.0 : 2.0;
    double bytes = 65536.0 + points * (grids * 8.0 + 1.0)
        + 8.0 * ((double)landscape->nx + (double)landscape->ny)
        + 24.0 * (double)landscape->n_params + 4.0 * (double)meta->n_layer_sizes;
    const char *strings[N_META_STRING_FIELDS] = {
        meta->title, meta->history, meta->source, meta->activation, meta->plane,
        meta->rl_weight, meta->demo_file, meta->demo_checksum, meta->objective,
        meta->rollout_policy, meta->reward_scheme, meta->dense_kernel};
    for (size_t k = 0; k < N_META_STRING_FIELDS; k++)
        bytes += (double)strlen(or_empty(strings[k]));
    return (off_t)bytes;
}

int ilrl_landscape_write(const char *path, const struct ilrl_landscape *landscape,
                         int force)
{
    struct ilrl_output_file *output = NULL;
    int status = check_shape(landscape);
    if (status)
        return status;
    status = ilrl_output_file_check(path, force);
    if (status)
        return status;
    status = ilrl_output_file_begin(path, force, size_estimate(landscape), &output);
    if (!status) {
        struct nc_file file = {path, -1, 0, ILRL_EOUTPUT, 0};  /* messages name the target */
        status = nc_checked(&file, nc_create(ilrl_output_file_temporary(output),
                                             NC_NETCDF4 | NC_CLOBBER, &file.ncid),
                            "nc_create", NULL);
        if (!status) {
            file.open = 1;
            status = write_contents(&file, landscape);
        }
        status = close_file(&file, status);  /* a full disk often shows up here */
    }
    if (status) {
        /* Keep the one message; say that the target was left alone. */
        char reason[1024];
        snprintf(reason, sizeof reason, "%s", ilrl_error_message());
        status = ilrl_error(status, "%s (%s not written)", reason, path);
    }
    if (!status)
        status = ilrl_output_file_commit(output);
    ilrl_output_file_free(output);
    return status;
}

/* ------------------------------------------------------------------------ */
/* Reader                                                                   */

/* Reads a text attribute (NC_CHAR, or a single NC_STRING) into a new string.
 * A missing attribute is an error unless `optional` (then *out is untouched). */
static int get_text(struct nc_file *file, int varid, const char *name,
                    int optional, char **out)
{
    nc_type type;
    size_t length;
    int status = nc_checked(file, nc_inq_att(file->ncid, varid, name, &type, &length),
                            "nc_inq_att", name);
    if (status) {
        if (file->last_nc_status == NC_ENOTATT) {
            if (optional) {
                ilrl_error_clear();
                return ILRL_OK;
            }
            return ilrl_error(ILRL_EINPUT, "%s: attribute '%s' missing",
                              file->path, name);
        }
        return status;
    }
    char *text = NULL;
    if (type == NC_CHAR) {
        text = malloc(length + 1);
        if (!text)
            return ilrl_error(ILRL_EFAILED, "out of memory");
        status = nc_checked(file, nc_get_att_text(file->ncid, varid, name, text),
                            "nc_get_att_text", name);
        text[length] = '\0';
    } else if (type == NC_STRING && length == 1) {
        char *value = NULL;
        status = nc_checked(file, nc_get_att_string(file->ncid, varid, name, &value),
                            "nc_get_att_string", name);
        if (!status) {
            text = strdup(value ? value : "");
            nc_checked(file, nc_free_string(1, &value), "nc_free_string", name);
            if (!text)
                return ilrl_error(ILRL_EFAILED, "out of memory");
        }
    } else {
        return ilrl_error(ILRL_EINPUT, "%s: attribute '%s' is not text",
                          file->path, name);
    }
    if (status) {
        free(text);
        return status;
    }
    free(*out);
    *out = text;
    return ILRL_OK;
}

/* Checks that a numeric attribute exists with `count` values (count 0: any
 * number >= 1) and returns its length. */
static int inquire_numbers(struct nc_file *file, const char *name, size_t count,
                           size_t *length)
{
    nc_type type;
    int status = nc_checked(file, nc_inq_att(file->ncid, NC_GLOBAL, name, &type, length),
                            "nc_inq_att", name);
    if (status && file->last_nc_status == NC_ENOTATT)
        return ilrl_error(ILRL_EINPUT, "%s: attribute '%s' missing", file->path, name);
    if (status)
        return status;
    if (type == NC_CHAR || type == NC_STRING || *length == 0 ||
        (count && *length != count))
        return ilrl_error(ILRL_EINPUT, "%s: attribute '%s' is not %zu number%s",
                          file->path, name, count ? count : 1, count == 1 ? "" : "s");
    return ILRL_OK;
}

static int get_double(struct nc_file *file, const char *name, double *out)
{
    size_t length;
    int status = inquire_numbers(file, name, 1, &length);
    if (!status)
        status = nc_checked(file, nc_get_att_double(file->ncid, NC_GLOBAL, name, out),
                            "nc_get_att_double", name);
    return status;
}

static int get_long(struct nc_file *file, const char *name, long *out)
{
    size_t length;
    long long wide = 0;
    int status = inquire_numbers(file, name, 1, &length);
    if (!status)
        status = nc_checked(file, nc_get_att_longlong(file->ncid, NC_GLOBAL, name, &wide),
                            "nc_get_att_longlong", name);
    if (!status)
        *out = (long)wide;
    return status;
}

/* The dimension's length; missing or empty is ILRL_EINPUT. */
static int get_dimension(struct nc_file *file, const char *name, int *dimid,
                         size_t *length)
{
    int status = nc_checked(file, nc_inq_dimid(file->ncid, name, dimid),
                            "nc_inq_dimid", name);
    if (status && file->last_nc_status == NC_EBADDIM)
        return ilrl_error(ILRL_EINPUT, "%s: dimension '%s' missing", file->path, name);
    if (!status)
        status = nc_checked(file, nc_inq_dimlen(file->ncid, *dimid, length),
                            "nc_inq_dimlen", name);
    if (!status && *length == 0)
        return ilrl_error(ILRL_EINPUT, "%s: dimension '%s' is empty", file->path, name);
    return status;
}

/* Finds variable `name`, checks its type and dimensions, reads it into
 * `buffer` (double, or unsigned char for NC_BYTE). */
static int read_variable(struct nc_file *file, const char *name, nc_type type,
                         int ndims, const int *dimids, const char *shape,
                         void *buffer)
{
    int varid, actual_ndims, actual_dimids[NC_MAX_VAR_DIMS];
    nc_type actual_type;
    int status = nc_checked(file, nc_inq_varid(file->ncid, name, &varid),
                            "nc_inq_varid", name);
    if (status && file->last_nc_status == NC_ENOTVAR)
        return ilrl_error(ILRL_EINPUT, "%s: variable '%s' missing", file->path, name);
    if (!status)
        status = nc_checked(file, nc_inq_var(file->ncid, varid, NULL, &actual_type,
                                             &actual_ndims, actual_dimids, NULL),
                            "nc_inq_var", name);
    if (status)
        return status;
    int same_shape = actual_ndims == ndims;
    for (int k = 0; same_shape && k < ndims; k++)
        same_shape = actual_dimids[k] == dimids[k];
    if (actual_type != type || !same_shape)
        return ilrl_error(ILRL_EINPUT, "%s: variable '%s' must be %s %s",
                          file->path, name, type == NC_BYTE ? "byte" : "double", shape);
    if (type == NC_BYTE)
        return nc_checked(file, nc_get_var_uchar(file->ncid, varid, buffer),
                          "nc_get_var_uchar", name);
    return nc_checked(file, nc_get_var_double(file->ncid, varid, buffer),
                      "nc_get_var_double", name);
}

/* Whether the file has a variable `name` (a quiet probe). */
static int has_variable(struct nc_file *file, const char *name)
{
    int varid;
    int status = nc_checked(file, nc_inq_varid(file->ncid, name, &varid),
                            "nc_inq_varid", name);
    ilrl_error_clear();
    return status == ILRL_OK;
}

static int read_attributes(struct nc_file *file, struct ilrl_landscape *landscape)
{
    struct ilrl_landscape_meta *meta = &landscape->meta;
    size_t length;
    int status = 0;
    static const char *required_text[] = {
        "Conventions", "title", "history", "source", "activation", "plane",
        "rl_weight", "demo_file"};
    char *conventions = NULL;
    char **required_fields[] = {
        &conventions, &meta->title, &meta->history, &meta->source,
        &meta->activation, &meta->plane, &meta->rl_weight, &meta->demo_file};
    for (size_t k = 0; !status && k < sizeof required_text / sizeof *required_text; k++)
        status = get_text(file, NC_GLOBAL, required_text[k], 0, required_fields[k]);
    free(conventions);
    if (!status) status = get_text(file, NC_GLOBAL, "demo_checksum", 1, &meta->demo_checksum);
    if (!status) status = get_text(file, NC_GLOBAL, "objective", 1, &meta->objective);
    if (!status) status = get_text(file, NC_GLOBAL, "reward_scheme", 1,
                                   &meta->reward_scheme);
    if (!status) status = get_text(file, NC_GLOBAL, "dense_kernel", 1,
                                   &meta->dense_kernel);
    if (!status && meta->objective[0] == '\0')
        status = ilrl_landscape_set_string(&meta->objective, "losses");

    if (!status) status = inquire_numbers(file, "layer_sizes", 0, &length);
    if (!status && length < 2)
        status = ilrl_error(ILRL_EINPUT, "%s: attribute 'layer_sizes' has %zu "
                            "entries (need >= 2)", file->path, length);
    if (!status) {
        meta->layer_sizes = malloc(length * sizeof *meta->layer_sizes);
        if (!meta->layer_sizes)
            return ilrl_error(ILRL_EFAILED, "out of memory");
        meta->n_layer_sizes = length;
        status = nc_checked(file, nc_get_att_int(file->ncid, NC_GLOBAL, "layer_sizes",
                                                 meta->layer_sizes),
                            "nc_get_att_int", "layer_sizes");
    }
    long ranks = 0;
    if (!status) status = get_long(file, "init_seed", &meta->init_seed);
    if (!status) status = get_double(file, "gamma", &meta->gamma);
    if (!status) status = get_long(file, "n_steps", &meta->n_steps);
    if (!status) status = get_long(file, "n_episodes", &meta->n_episodes);
    if (!status) status = get_double(file, "gradient_cosine", &meta->gradient_cosine);
    if (!status) status = get_long(file, "mpi_ranks", &ranks);
    if (!status) meta->mpi_ranks = (int)ranks;
    if (!status) status = inquire_numbers(file, "tile", 2, &length);
    if (!status) status = nc_checked(file, nc_get_att_int(file->ncid, NC_GLOBAL, "tile",
                                                          meta->tile),
                                     "nc_get_att_int", "tile");
    if (!status) status = get_double(file, "wall_seconds", &meta->wall_seconds);
    if (!status && landscape->return_mean) {
        status = get_long(file, "rollouts", &meta->rollouts);
        if (!status) status = get_long(file, "rollout_steps", &meta->rollout_steps);
        if (!status) status = get_text(file, NC_GLOBAL, "rollout_policy", 0,
                                       &meta->rollout_policy);
    }
    return status;
}

/* Reads everything after the kind check, into a landscape of the file's size. */
static int read_contents(struct nc_file *file, struct ilrl_landscape **out)
{
    int y_dim, x_dim, param_dim;
    size_t ny, nx, n_params;
    int status = get_dimension(file, "y", &y_dim, &ny);
    if (!status) status = get_dimension(file, "x", &x_dim, &nx);
    if (!status) status = get_dimension(file, "param", &param_dim, &n_params);
    if (status)
        return status;
    int with_return = has_variable(file, "return_mean");
    struct ilrl_landscape *landscape = ilrl_landscape_alloc(nx, ny, n_params, with_return);
    if (!landscape)
        return ilrl_error(ILRL_EFAILED, "%s: out of memory for a %zu x %zu grid",
                          file->path, nx, ny);
    int grid_dims[2] = {y_dim, x_dim};
    struct grid_variable variables[6];
    size_t n_variables = grid_variables(landscape, variables);
    status = read_variable(file, "x", NC_DOUBLE, 1, &x_dim, "(x)", landscape->x);
    if (!status)
        status = read_variable(file, "y", NC_DOUBLE, 1, &y_dim, "(y)", landscape->y);
    for (size_t k = 0; !status && k < n_variables; k++)
        status = read_variable(file, variables[k].name, NC_DOUBLE, 2, grid_dims,
                               "(y, x)", variables[k].data);
    if (!status)
        status = read_variable(file, "computed", NC_BYTE, 2, grid_dims, "(y, x)",
                               landscape->computed);
    if (!status)
        status = read_variable(file, "theta0", NC_DOUBLE, 1, &param_dim, "(param)",
                               landscape->theta0);
    if (!status)
        status = read_variable(file, "direction_x", NC_DOUBLE, 1, &param_dim,
                               "(param)", landscape->direction_x);
    if (!status)
        status = read_variable(file, "direction_y", NC_DOUBLE, 1, &param_dim,
                               "(param)", landscape->direction_y);
    for (size_t k = 0; !status && k < nx * ny; k++)
        if (landscape->computed[k] > 1)
            status = ilrl_error(ILRL_EINPUT, "%s: variable 'computed' holds %d at "
                                "point (%zu, %zu); expected 0 or 1", file->path,
                                landscape->computed[k], k % nx, k / nx);
    if (!status)
        status = read_attributes(file, landscape);
    if (status) {
        ilrl_landscape_free(landscape);
        return status;
    }
    *out = landscape;
    return ILRL_OK;
}

int ilrl_landscape_read(const char *path, struct ilrl_landscape **out)
{
    struct nc_file file = {path, -1, 0, ILRL_EINPUT, 0};
    char *kind = NULL;
    *out = NULL;

    if (ilrl_classic_header_check(path) != ILRL_OK)
        return ILRL_EINPUT; /* a damaged classic header: see classic_header.h */
    int status = nc_checked(&file, nc_open(path, NC_NOWRITE, &file.ncid), "nc_open", NULL);
    if (status)
        return ilrl_error(ILRL_EINPUT, "%s: not a readable NetCDF file (%s)", path,
                          nc_strerror(file.last_nc_status));
    file.open = 1;
    status = get_text(&file, NC_GLOBAL, "ilrl_file_kind", 1, &kind);
    if (!status && !kind)
        status = ilrl_error(ILRL_EINPUT, "%s: not a landscape file (no "
                            "ilrl_file_kind attribute)", path);
    else if (!status && strcmp(kind, "demonstration") == 0)
        status = ilrl_error(ILRL_EINPUT, "%s: a demonstration file, not a landscape "
                            "file (ilrl-landscape turns demonstrations into landscapes)",
                            path);
    else if (!status && strcmp(kind, FILE_KIND) != 0)
        status = ilrl_error(ILRL_EINPUT, "%s: not a landscape file "
                            "(ilrl_file_kind = \"%s\")", path, kind);
    free(kind);
    if (!status)
        status = read_contents(&file, out);
    int close_status = close_file(&file, status);
    if (!status && close_status) {
        ilrl_landscape_free(*out);
        *out = NULL;
    }
    return close_status;
}
