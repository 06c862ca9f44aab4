/* demo_io.c -- owns the demonstration file's schema (docs/formats.md,
 * include/ilrl/demo_io.h): the NetCDF-4 writer used by ilrl-demo and the
 * reader used by every program.  Opening, checked calls, attributes, fill
 * values, size bounds and the atomic publication are ncfile.h's; a message
 * reads "out.nc: nc_put_var_double(obs): NetCDF: HDF error (No space left on
 * device)".
 *
 * Reader contract (files from any tool are welcome):
 *  - NetCDF-4 or NetCDF-3 classic; chunked or contiguous; any D >= 1,
 *    2 <= K <= 65536 (MAX_ACTIONS below says why).
 *  - obs and reward may be float or double (read as double).
 *  - action, episode_start, episode_length, terminated and score may be of
 *    any integer type (byte ... uint64); a floating-point or text variable is
 *    rejected, because a fractional action or length has no meaning.
 *  - score and final_obs (episode, feature; float or double, validated like
 *    obs: no fill value, then finite) are optional; every other variable is
 *    required, with exactly the
 *    dimensions of docs/formats.md in that order (an unlimited `step` is
 *    fine).
 *  - Sizes before allocation: episode <= step (every episode has a step),
 *    and every variable within what the file can hold and the machine's
 *    memory (ilrl_ncfile_check_size), so a 26 kB file declaring 10^8
 *    episodes is refused at once.
 *  - No value may be a fill value or missing_value (ilrl_ncfile_refuse_fill):
 *    a record never written is refused, naming variable and index.
 *  - n_actions (global, one integer) is required; ilrl_file_kind may be
 *    absent, but if present it must be "demonstration".  The other text
 *    attributes are optional ("" when absent) but must be text when present;
 *    seed is optional (-1 when absent) but must be one integer when present.
 *  - then every rule of ilrl_demo_validate().
 *
 * Writer: the schema plus CF long_name/units, published atomically by
 * ilrl_ncfile_create/ilrl_ncfile_publish with an upper bound of its size
 * reserved first (size_estimate(); output_file.h says why HDF5 needs that).
 * The history attribute is demo->history as given (programs build it with
 * ilrl_ncfile_history).
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netcdf.h>

#include "ilrl/demo.h"
#include "ilrl/demo_io.h"
#include "ilrl/error.h"
#include "ilrl/ncfile.h"

/* ---- the schema's names (docs/formats.md) ---------------------------------------- */

#define DIM_STEP "step"
#define DIM_FEATURE "feature"
#define DIM_EPISODE "episode"

#define VAR_OBS "obs"
#define VAR_ACTION "action"
#define VAR_REWARD "reward"
#define VAR_EPISODE_START "episode_start"
#define VAR_EPISODE_LENGTH "episode_length"
#define VAR_TERMINATED "terminated"
#define VAR_SCORE "score"
#define VAR_FINAL_OBS "final_obs"

#define ATT_CONVENTIONS "Conventions"
#define ATT_TITLE "title"
#define ATT_HISTORY "history"
#define ATT_SOURCE "source"
#define ATT_FILE_KIND "ilrl_file_kind"
#define ATT_N_ACTIONS "n_actions"
#define ATT_ACTION_NAMES "action_names"
#define ATT_FEATURE_NAMES "feature_names"
#define ATT_ENV "env"
#define ATT_PILOT "pilot"
#define ATT_SEED "seed"
#define ATT_REWARD_SCHEME "reward_scheme"
#define ATT_LONG_NAME "long_name"
#define ATT_UNITS "units"

#define CONVENTIONS "CF-1.8"
#define FILE_KIND "demonstration"
#define UNITS_DIMENSIONLESS "1"

/* The largest K accepted: far above any discrete control task, and small
 * enough that a network's output layer and the per-action tallies (K
 * doubles per step in the losses) cannot be made to exhaust memory by one
 * attribute.  A file claiming more (n_actions = 2147483647 was tried) is a
 * bad input file, not a bad --layers. */
#define MAX_ACTIONS 65536

static int is_float_type(nc_type type)
{
    return type == NC_FLOAT || type == NC_DOUBLE;
}

/* ---- reading --------------------------------------------------------------- */

static int read_dimension(struct ilrl_ncfile *file, const char *name,
                          int *dimid, size_t *length)
{
    int nc_status = nc_inq_dimid(file->ncid, name, dimid);

    if (nc_status == NC_EBADDIM)
        return ilrl_error(ILRL_EINPUT, "%s: dimension '%s' is missing (a demonstration "
                          "needs step, feature and episode)", file->path, name);
    if (nc_status != NC_NOERR)
        return ilrl_ncfile_checked(file, nc_status, "nc_inq_dimid", name);
    int status = ILRL_NC(file, name, nc_inq_dimlen, (file->ncid, *dimid, length));
    if (status != ILRL_OK)
        return status;
    if (*length == 0)
        return ilrl_error(ILRL_EINPUT, "%s: dimension '%s' has length 0: the "
                          "file holds no %s", file->path, name,
                          strcmp(name, DIM_STEP) == 0 ? "steps"
                          : strcmp(name, DIM_EPISODE) == 0 ? "episodes"
                          : "observation features");
    return ILRL_OK;
}

enum value_kind { VALUES_FLOAT, VALUES_INTEGER };

struct variable_spec {
    const char *name;
    enum value_kind kind;
    int n_dims;
    const char *dims[2];
    int optional;
};

/* The dimension names of a variable as "(step, feature)" for messages. */
static void describe_dims(const struct ilrl_ncfile *file, int n_dims, const int *dimids,
                          char *buf, size_t buf_size)
{
    size_t used = (size_t)snprintf(buf, buf_size, "(");
    for (int i = 0; i < n_dims && used < buf_size; i++) {
        char name[NC_MAX_NAME + 1] = "?";
        nc_inq_dimname(file->ncid, dimids[i], name);
        used += (size_t)snprintf(buf + used, buf_size - used, "%s%s",
                                 i > 0 ? ", " : "", name);
    }
    if (used < buf_size)
        snprintf(buf + used, buf_size - used, ")");
}

static void describe_spec_dims(const struct variable_spec *spec, char *buf,
                               size_t buf_size)
{
    if (spec->n_dims == 1)
        snprintf(buf, buf_size, "(%s)", spec->dims[0]);
    else
        snprintf(buf, buf_size, "(%s, %s)", spec->dims[0], spec->dims[1]);
}

/* Finds the variable and checks its type, dimensions and size.  *varid = -1
 * for a missing optional variable. */
static int find_variable(struct ilrl_ncfile *file, const struct variable_spec *spec,
                         int *varid)
{
    nc_type type;
    int n_dims, status;
    int dimids[NC_MAX_VAR_DIMS];
    int nc_status = nc_inq_varid(file->ncid, spec->name, varid);

    if (nc_status == NC_ENOTVAR) {
        *varid = -1;
        if (spec->optional)
            return ILRL_OK;
        return ilrl_error(ILRL_EINPUT, "%s: variable '%s' is missing", file->path,
                          spec->name);
    }
    if (nc_status != NC_NOERR)
        return ilrl_ncfile_checked(file, nc_status, "nc_inq_varid", spec->name);
    status = ILRL_NC(file, spec->name, nc_inq_var,
                     (file->ncid, *varid, NULL, &type, &n_dims, dimids, NULL));
    if (status != ILRL_OK)
        return status;

    if ((spec->kind == VALUES_FLOAT && !is_float_type(type))
        || (spec->kind == VALUES_INTEGER && !ilrl_ncfile_is_integer_type(type))) {
        char type_name[NC_MAX_NAME + 1] = "?";
        nc_inq_type(file->ncid, type, type_name, NULL);
        return ilrl_error(ILRL_EINPUT, "%s: variable '%s' has type %s, expected %s",
                          file->path, spec->name, type_name,
                          spec->kind == VALUES_FLOAT ? "double (or float)"
                                                     : "an integer type (int)");
    }

    int shape_ok = n_dims == spec->n_dims;
    for (int i = 0; shape_ok && i < n_dims; i++) {
        int expected;
        shape_ok = nc_inq_dimid(file->ncid, spec->dims[i], &expected) == NC_NOERR
                   && expected == dimids[i];
    }
    if (!shape_ok) {
        char got[256], expected[128];
        describe_dims(file, n_dims, dimids, got, sizeof got);
        describe_spec_dims(spec, expected, sizeof expected);
        return ilrl_error(ILRL_EINPUT, "%s: variable '%s' has dimensions %s, "
                          "expected %s", file->path, spec->name, got, expected);
    }
    return ilrl_ncfile_check_size(file, *varid, spec->name);
}

/* Reads n doubles and refuses values never written. */
static int read_doubles(struct ilrl_ncfile *file, int varid, const char *name,
                        size_t n, size_t columns, double *out)
{
    int status = ILRL_NC(file, name, nc_get_var_double, (file->ncid, varid, out));

    if (status == ILRL_OK)
        status = ilrl_ncfile_refuse_fill(file, varid, name, out, n, columns, NULL);
    return status;
}

/* Reads n integers of any integer type into a long long buffer (caller
 * frees), refusing values never written. */
static int read_integers(struct ilrl_ncfile *file, int varid, const char *name,
                         size_t n, long long **out)
{
    long long *values = malloc(n * sizeof *values);
    int status;

    *out = NULL;
    if (values == NULL)
        return ilrl_error(ILRL_EFAILED, "%s: out of memory reading '%s'",
                          file->path, name);
    status = ILRL_NC(file, name, nc_get_var_longlong, (file->ncid, varid, values));
    if (status == ILRL_OK)
        status = ilrl_ncfile_refuse_fill_integers(file, varid, name, values, n);
    if (status != ILRL_OK) {
        free(values);
        return status;
    }
    *out = values;
    return ILRL_OK;
}

/* Copies integer values into an int array; a value that an int cannot hold is
 * an error naming the element. */
static int read_ints(struct ilrl_ncfile *file, int varid, const char *name,
                     size_t n, int *out)
{
    long long *values;
    int status = read_integers(file, varid, name, n, &values);

    for (size_t i = 0; status == ILRL_OK && i < n; i++) {
        if (values[i] < INT_MIN || values[i] > INT_MAX)
            status = ilrl_error(ILRL_EINPUT, "%s: %s[%zu] = %lld does not fit in "
                                "an int", file->path, name, i, values[i]);
        else
            out[i] = (int)values[i];
    }
    free(values);
    return status;
}

static int read_int64s(struct ilrl_ncfile *file, int varid, const char *name,
                       size_t n, int64_t *out)
{
    long long *values;
    int status = read_integers(file, varid, name, n, &values);

    for (size_t i = 0; status == ILRL_OK && i < n; i++)
        out[i] = (int64_t)values[i];
    free(values);
    return status;
}

static int read_flags(struct ilrl_ncfile *file, int varid, const char *name,
                      size_t n, unsigned char *out)
{
    long long *values;
    int status = read_integers(file, varid, name, n, &values);

    for (size_t i = 0; status == ILRL_OK && i < n; i++) {
        if (values[i] != 0 && values[i] != 1)
            status = ilrl_error(ILRL_EINPUT, "%s: %s[%zu] = %lld is not 0 "
                                "(truncated) or 1 (terminated)", file->path, name,
                                i, values[i]);
        else
            out[i] = (unsigned char)values[i];
    }
    free(values);
    return status;
}

static int read_n_actions(struct ilrl_ncfile *file, int *n_actions)
{
    long long value = 0;
    int found;
    int status = ilrl_ncfile_get_integer(file, NC_GLOBAL, ATT_N_ACTIONS, &value, &found);

    if (status != ILRL_OK)
        return status;
    if (!found)
        return ilrl_error(ILRL_EINPUT, "%s: global attribute n_actions is missing "
                          "(the number of actions K)", file->path);
    if (value < 2 || value > MAX_ACTIONS)
        return ilrl_error(ILRL_EINPUT, "%s: global attribute n_actions = %lld "
                          "must be >= 2 and <= %d", file->path, value, MAX_ACTIONS);
    *n_actions = (int)value;
    return ILRL_OK;
}

static int check_file_kind(struct ilrl_ncfile *file)
{
    char *kind = NULL;
    int found = 0;
    int status = ilrl_ncfile_get_text(file, NC_GLOBAL, ATT_FILE_KIND, &kind, &found);

    if (status == ILRL_OK && found && strcmp(kind, FILE_KIND) != 0)
        status = ilrl_error(ILRL_EINPUT, "%s: ilrl_file_kind = \"%s\", expected "
                            "\"%s\"", file->path, kind, FILE_KIND);
    free(kind);
    return status;
}

static int read_metadata(struct ilrl_ncfile *file, struct ilrl_demo *demo)
{
    const struct { const char *name; char **field; } texts[] = {
        { ATT_TITLE, &demo->title },
        { ATT_HISTORY, &demo->history },
        { ATT_SOURCE, &demo->source },
        { ATT_ACTION_NAMES, &demo->action_names },
        { ATT_FEATURE_NAMES, &demo->feature_names },
        { ATT_ENV, &demo->env },
        { ATT_PILOT, &demo->pilot },
        { ATT_REWARD_SCHEME, &demo->reward_scheme },
    };
    long long seed = -1;
    int found;
    int status;

    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        status = ilrl_ncfile_get_text(file, NC_GLOBAL, texts[i].name, texts[i].field,
                                      &found);
        if (status != ILRL_OK)
            return status;
    }
    status = ilrl_ncfile_get_integer(file, NC_GLOBAL, ATT_SEED, &seed, &found);
    if (status != ILRL_OK)
        return status;
    demo->seed = found && seed >= 0 && seed <= LONG_MAX ? (long)seed : -1;
    return ILRL_OK;
}

static int read_contents(struct ilrl_ncfile *file, struct ilrl_demo **out)
{
    const struct variable_spec specs[] = {
        { VAR_OBS, VALUES_FLOAT, 2, { DIM_STEP, DIM_FEATURE }, 0 },
        { VAR_ACTION, VALUES_INTEGER, 1, { DIM_STEP, NULL }, 0 },
        { VAR_REWARD, VALUES_FLOAT, 1, { DIM_STEP, NULL }, 0 },
        { VAR_EPISODE_START, VALUES_INTEGER, 1, { DIM_EPISODE, NULL }, 0 },
        { VAR_EPISODE_LENGTH, VALUES_INTEGER, 1, { DIM_EPISODE, NULL }, 0 },
        { VAR_TERMINATED, VALUES_INTEGER, 1, { DIM_EPISODE, NULL }, 0 },
        { VAR_SCORE, VALUES_INTEGER, 1, { DIM_EPISODE, NULL }, 1 },
        { VAR_FINAL_OBS, VALUES_FLOAT, 2, { DIM_EPISODE, DIM_FEATURE }, 1 },
    };
    enum { OBS, ACTION, REWARD, START, LENGTH, TERMINATED, SCORE, FINAL_OBS, N_VARIABLES };
    int varids[N_VARIABLES];
    int dimid, n_actions = 0, status;
    size_t n_steps = 0, n_features = 0, n_episodes = 0;
    struct ilrl_demo *demo;

    if ((status = check_file_kind(file)) != ILRL_OK
        || (status = read_dimension(file, DIM_STEP, &dimid, &n_steps)) != ILRL_OK
        || (status = read_dimension(file, DIM_FEATURE, &dimid, &n_features)) != ILRL_OK
        || (status = read_dimension(file, DIM_EPISODE, &dimid, &n_episodes)) != ILRL_OK
        || (status = read_n_actions(file, &n_actions)) != ILRL_OK)
        return status;
    /* Every episode holds at least one step: checked before anything of the
     * episodes' size is allocated. */
    if (n_episodes > n_steps)
        return ilrl_error(ILRL_EINPUT, "%s: dimension 'episode' = %zu is more than "
                          "dimension 'step' = %zu (every episode has a step)",
                          file->path, n_episodes, n_steps);
    for (int v = 0; v < N_VARIABLES; v++)
        if ((status = find_variable(file, &specs[v], &varids[v])) != ILRL_OK)
            return status;

    demo = ilrl_demo_alloc(n_steps, n_features, n_episodes, n_actions);
    if (demo == NULL)
        return ILRL_EFAILED;

#define READ_OR_FAIL(call)                \
    do {                                  \
        if ((status = (call)) != ILRL_OK) \
            goto fail;                    \
    } while (0)
    READ_OR_FAIL(read_doubles(file, varids[OBS], VAR_OBS, n_steps * n_features,
                              n_features, demo->obs));
    READ_OR_FAIL(read_doubles(file, varids[REWARD], VAR_REWARD, n_steps, 1,
                              demo->reward));
    READ_OR_FAIL(read_ints(file, varids[ACTION], VAR_ACTION, n_steps, demo->action));
    READ_OR_FAIL(read_int64s(file, varids[START], VAR_EPISODE_START, n_episodes,
                             demo->episode_start));
    READ_OR_FAIL(read_ints(file, varids[LENGTH], VAR_EPISODE_LENGTH, n_episodes,
                           demo->episode_length));
    READ_OR_FAIL(read_flags(file, varids[TERMINATED], VAR_TERMINATED, n_episodes,
                            demo->terminated));
    if (varids[SCORE] >= 0) {
        READ_OR_FAIL(read_ints(file, varids[SCORE], VAR_SCORE, n_episodes,
                               demo->score));
    } else {
        free(demo->score);
        demo->score = NULL;
    }
    if (varids[FINAL_OBS] >= 0) {
        if (ilrl_demo_add_final_obs(demo) != ILRL_OK) {
            status = ILRL_EFAILED;
            goto fail;
        }
        READ_OR_FAIL(read_doubles(file, varids[FINAL_OBS], VAR_FINAL_OBS,
                                  n_episodes * n_features, n_features, demo->final_obs));
    }
    READ_OR_FAIL(read_metadata(file, demo));
#undef READ_OR_FAIL
    *out = demo;
    return ILRL_OK;

fail:
    ilrl_demo_free(demo);
    return status;
}

int ilrl_demo_read(const char *path, struct ilrl_demo **out)
{
    struct ilrl_ncfile file;
    struct ilrl_demo *demo = NULL;
    int status;

    *out = NULL;
    status = ilrl_ncfile_open(&file, path);
    if (status != ILRL_OK)
        return status;
    status = ilrl_ncfile_close(&file, read_contents(&file, &demo));
    if (status == ILRL_OK)
        status = ilrl_demo_validate(demo, path);
    if (status != ILRL_OK) {
        ilrl_demo_free(demo);
        return status;
    }
    *out = demo;
    return ILRL_OK;
}

/* ---- writing --------------------------------------------------------------- */

int ilrl_demo_check_output(const char *path, int force)
{
    return ilrl_ncfile_check_output(path, force);
}

static void format_title(const struct ilrl_demo *demo, char *buf, size_t buf_size)
{
    if (demo->title[0] != '\0')
        snprintf(buf, buf_size, "%s", demo->title);
    else if (demo->env[0] != '\0' && demo->pilot[0] != '\0')
        snprintf(buf, buf_size, "Demonstration: %s, pilot %s, %zu episode%s",
                 demo->env, demo->pilot, demo->n_episodes,
                 demo->n_episodes == 1 ? "" : "s");
    else
        snprintf(buf, buf_size, "Demonstration, %zu episode%s", demo->n_episodes,
                 demo->n_episodes == 1 ? "" : "s");
}

static int write_global_attributes(struct ilrl_ncfile *file,
                                   const struct ilrl_demo *demo)
{
    char title[512], source[128];
    int status = ILRL_OK;

    format_title(demo, title, sizeof title);
    snprintf(source, sizeof source, "%s %s", PACKAGE_NAME, PACKAGE_VERSION);

    /* history is the caller's line as given (ilrl_ncfile_history formats it). */
    const struct { const char *name; const char *value; } texts[] = {
        { ATT_CONVENTIONS, CONVENTIONS },
        { ATT_TITLE, title },
        { ATT_HISTORY, demo->history },
        { ATT_SOURCE, source },
        { ATT_FILE_KIND, FILE_KIND },
        { ATT_ACTION_NAMES, demo->action_names },
        { ATT_FEATURE_NAMES, demo->feature_names },
        { ATT_ENV, demo->env },
        { ATT_PILOT, demo->pilot },
        { ATT_REWARD_SCHEME, demo->reward_scheme },
    };
    for (size_t i = 0; status == ILRL_OK && i < sizeof texts / sizeof texts[0]; i++)
        status = ilrl_ncfile_put_text(file, NC_GLOBAL, texts[i].name, texts[i].value);
    if (status == ILRL_OK)
        status = ILRL_NC(file, ATT_N_ACTIONS, nc_put_att_int,
                         (file->ncid, NC_GLOBAL, ATT_N_ACTIONS, NC_INT, 1,
                          &demo->n_actions));
    if (status == ILRL_OK && demo->seed >= 0) /* an unknown seed is left out */
        status = ilrl_ncfile_put_int64(file, ATT_SEED, demo->seed);
    return status;
}

static int write_contents(struct ilrl_ncfile *file, const struct ilrl_demo *demo)
{
    int step_dim, feature_dim, episode_dim;
    int obs_var, action_var, reward_var, start_var, length_var, terminated_var;
    int score_var = -1, final_var = -1;
    int old_fill, status;
    int dims[2];
    long long *starts;

    if ((status = ILRL_NC(file, "file", nc_set_fill, (file->ncid, NC_NOFILL, &old_fill)))
        || (status = ILRL_NC(file, DIM_STEP, nc_def_dim,
                             (file->ncid, DIM_STEP, demo->n_steps, &step_dim)))
        || (status = ILRL_NC(file, DIM_FEATURE, nc_def_dim,
                             (file->ncid, DIM_FEATURE, demo->n_features, &feature_dim)))
        || (status = ILRL_NC(file, DIM_EPISODE, nc_def_dim,
                             (file->ncid, DIM_EPISODE, demo->n_episodes, &episode_dim))))
        return status;

    dims[0] = step_dim;
    dims[1] = feature_dim;
    if ((status = ilrl_ncfile_define(file, VAR_OBS, NC_DOUBLE, 2, dims,
                                     "observation s_t", UNITS_DIMENSIONLESS, &obs_var))
        || (status = ilrl_ncfile_define(file, VAR_ACTION, NC_INT, 1, &step_dim,
                                        "action a_t (index into action_names)", NULL,
                                        &action_var))
        || (status = ilrl_ncfile_define(file, VAR_REWARD, NC_DOUBLE, 1, &step_dim,
                                        "reward r_t received after a_t",
                                        UNITS_DIMENSIONLESS, &reward_var))
        || (status = ilrl_ncfile_define(file, VAR_EPISODE_START, NC_INT64, 1,
                                        &episode_dim, "index of the episode's first step",
                                        NULL, &start_var))
        || (status = ilrl_ncfile_define(file, VAR_EPISODE_LENGTH, NC_INT, 1, &episode_dim,
                                        "number of steps in the episode", NULL,
                                        &length_var))
        || (status = ilrl_ncfile_define(file, VAR_TERMINATED, NC_BYTE, 1, &episode_dim,
                                        "1 = terminated (crash or terminal state), "
                                        "0 = truncated at the step limit", NULL,
                                        &terminated_var)))
        return status;
    if (demo->score != NULL
        && (status = ilrl_ncfile_define(file, VAR_SCORE, NC_INT, 1, &episode_dim,
                                        "score of the episode (pipes passed)",
                                        UNITS_DIMENSIONLESS, &score_var)))
        return status;
    dims[0] = episode_dim;
    if (demo->final_obs != NULL
        && (status = ilrl_ncfile_define(file, VAR_FINAL_OBS, NC_DOUBLE, 2, dims,
                                        "observation after the episode's last action",
                                        UNITS_DIMENSIONLESS, &final_var)))
        return status;
    {
        int valid_range[2] = { 0, demo->n_actions - 1 };
        if ((status = ILRL_NC(file, VAR_ACTION, nc_put_att_int,
                              (file->ncid, action_var, "valid_range", NC_INT, 2,
                               valid_range))))
            return status;
    }
    if ((status = write_global_attributes(file, demo))
        || (status = ILRL_NC(file, "file", nc_enddef, (file->ncid)))
        || (status = ILRL_NC(file, VAR_OBS, nc_put_var_double,
                             (file->ncid, obs_var, demo->obs)))
        || (status = ILRL_NC(file, VAR_ACTION, nc_put_var_int,
                             (file->ncid, action_var, demo->action)))
        || (status = ILRL_NC(file, VAR_REWARD, nc_put_var_double,
                             (file->ncid, reward_var, demo->reward)))
        || (status = ILRL_NC(file, VAR_EPISODE_LENGTH, nc_put_var_int,
                             (file->ncid, length_var, demo->episode_length)))
        || (status = ILRL_NC(file, VAR_TERMINATED, nc_put_var_uchar,
                             (file->ncid, terminated_var, demo->terminated))))
        return status;
    if (score_var >= 0
        && (status = ILRL_NC(file, VAR_SCORE, nc_put_var_int,
                             (file->ncid, score_var, demo->score))))
        return status;
    if (final_var >= 0
        && (status = ILRL_NC(file, VAR_FINAL_OBS, nc_put_var_double,
                             (file->ncid, final_var, demo->final_obs))))
        return status;

    /* int64_t and long long are both 64 bits but distinct types: copy. */
    starts = malloc(demo->n_episodes * sizeof *starts);
    if (starts == NULL)
        return ilrl_error(ILRL_EFAILED, "%s: out of memory", file->path);
    for (size_t e = 0; e < demo->n_episodes; e++)
        starts[e] = demo->episode_start[e];
    status = ILRL_NC(file, VAR_EPISODE_START, nc_put_var_longlong,
                     (file->ncid, start_var, starts));
    free(starts);
    return status;
}

/* An upper bound of the file size: the arrays plus generous room for HDF5's
 * metadata (about 12 kB for this schema). */
static off_t size_estimate(const struct ilrl_demo *demo)
{
    return (off_t)(65536 + demo->n_steps * (demo->n_features * 8 + 12)
                   + demo->n_episodes * (24 + (demo->final_obs != NULL
                                              ? demo->n_features * 8 : 0))
                   + strlen(demo->history)
                   + strlen(demo->action_names) + strlen(demo->feature_names));
}

int ilrl_demo_write(const char *path, const struct ilrl_demo *demo, int force)
{
    struct ilrl_ncfile file;
    int status;

    status = ilrl_demo_validate(demo, "demonstration to write");
    if (status != ILRL_OK) {
        char reason[1024];
        snprintf(reason, sizeof reason, "%s", ilrl_error_message());
        return ilrl_error(ILRL_EFAILED, "%s: refusing to write an invalid %s", path,
                          reason);
    }
    status = ilrl_ncfile_create(&file, path, force, size_estimate(demo));
    if (status != ILRL_OK)
        return status;
    return ilrl_ncfile_publish(&file, write_contents(&file, demo));
}
