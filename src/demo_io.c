/* demo_io.c -- owns the demonstration file (SPEC §3, include/ilrl/demo_io.h):
 * the NetCDF-4 writer used by ilrl-demo and the reader used by every program.
 *
 * Every nc_* call goes through NC_CALL(), which names the file, the variable
 * or attribute and the failing call, so a message reads
 *   "out.nc: nc_put_var_double(obs): NetCDF: HDF error (No space left on device)".
 * A failing call is ILRL_EINPUT while reading and ILRL_EOUTPUT while writing
 * (ILRL_EFAILED when NetCDF ran out of memory).
 *
 * Reader contract (files from any tool are welcome):
 *  - NetCDF-4 or NetCDF-3 classic; chunked or contiguous; any D >= 1, K >= 2.
 *  - obs and reward may be float or double (read as double).
 *  - action, episode_start, episode_length, terminated and score may be of
 *    any integer type (byte ... uint64); a floating-point or text variable is
 *    rejected, because a fractional action or length has no meaning.
 *  - score is optional; every other variable of §3 is required, with exactly
 *    the dimensions of §3 in that order (an unlimited `step` is fine).
 *  - n_actions (global, one integer, >= 2) is required; ilrl_file_kind may be
 *    absent, but if present it must be "demonstration".  The other text
 *    attributes are optional ("" when absent, or when not text); seed is -1
 *    when absent or not an integer.
 *  - then every rule of ilrl_demo_validate().
 *
 * Writer: the §3 schema plus CF long_name/units, written through
 * output_file.h: PATH.tmp.<pid> in the target's directory with an upper bound
 * of its size reserved first (size_estimate(); output_file.h says why HDF5
 * needs that), nc_close, fsync, then link() (which refuses a file that
 * appeared meanwhile, when !force) or rename() into place, and fsync of the
 * directory.  On any failure the temporary file is removed, so PATH holds
 * either its previous content or the complete new file.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <netcdf.h>

#include "ilrl/classic_header.h"
#include "ilrl/demo.h"
#include "ilrl/demo_io.h"
#include "ilrl/error.h"
#include "ilrl/output_file.h"

/* ---- the schema's names (SPEC §3) ---------------------------------------- */

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

/* ---- the one checked path for nc_* calls ---------------------------------- */

struct nc_file {
    const char *path;   /* named at the start of every message */
    int ncid;           /* -1 when not open */
    int failure;        /* status of a failing call: EINPUT reading, EOUTPUT writing */
};

/* errno values worth adding to an HDF error: they tell the user what to fix. */
static int errno_is_telling(int error)
{
    switch (error) {
    case ENOSPC: case EFBIG: case EIO: case EROFS: case EACCES: case EPERM:
#ifdef EDQUOT
    case EDQUOT:
#endif
        return 1;
    default:
        return 0;
    }
}

static int nc_failure(const struct nc_file *file, int nc_status, int saved_errno,
                      const char *call, const char *object)
{
    int status = nc_status == NC_ENOMEM ? ILRL_EFAILED : file->failure;

    if (nc_status < 0 && errno_is_telling(saved_errno))
        return ilrl_error(status, "%s: %s(%s): %s (%s)", file->path, call, object,
                          nc_strerror(nc_status), strerror(saved_errno));
    return ilrl_error(status, "%s: %s(%s): %s", file->path, call, object,
                      nc_strerror(nc_status));
}

/* NC_CALL(file, "obs", nc_put_var_double, (ncid, varid, data)): calls, and on
 * failure returns the status of nc_failure() from the enclosing function. */
#define NC_CALL(file, object, function, arguments)                             \
    do {                                                                       \
        int nc_status_;                                                        \
        errno = 0;                                                             \
        nc_status_ = function arguments;                                       \
        if (nc_status_ != NC_NOERR)                                            \
            return nc_failure((file), nc_status_, errno, #function, (object)); \
    } while (0)

static int is_integer_type(nc_type type)
{
    switch (type) {
    case NC_BYTE: case NC_UBYTE: case NC_SHORT: case NC_USHORT:
    case NC_INT: case NC_UINT: case NC_INT64: case NC_UINT64:
        return 1;
    default:
        return 0;
    }
}

static int is_float_type(nc_type type)
{
    return type == NC_FLOAT || type == NC_DOUBLE;
}

/* ---- reading --------------------------------------------------------------- */

static int open_for_reading(struct nc_file *file)
{
    int nc_status;

    file->ncid = -1;
    if (ilrl_classic_header_check(file->path) != ILRL_OK)
        return ILRL_EINPUT; /* a damaged classic header: see classic_header.h */
    nc_status = nc_open(file->path, NC_NOWRITE, &file->ncid);

    if (nc_status == NC_NOERR)
        return ILRL_OK;
    file->ncid = -1;
    /* A system error about the path itself: missing, unreadable.  Other
     * errno values come from NetCDF-3 header parsing (E2BIG, EINVAL, ...)
     * and mean a damaged file. */
    if (nc_status == ENOENT || nc_status == EACCES || nc_status == EPERM
        || nc_status == EISDIR || nc_status == ENOTDIR || nc_status == ELOOP
        || nc_status == ENAMETOOLONG || nc_status == EIO)
        return ilrl_error(ILRL_EINPUT, "%s: cannot open: %s", file->path,
                          strerror(nc_status));
    if (nc_status > 0)
        return ilrl_error(ILRL_EINPUT, "%s: not a NetCDF file, or a truncated or "
                          "damaged one (nc_open: %s)", file->path,
                          strerror(nc_status));
    return ilrl_error(ILRL_EINPUT, "%s: not a NetCDF file, or a truncated or "
                      "damaged one (nc_open: %s)", file->path,
                      nc_strerror(nc_status));
}

static int read_dimension(const struct nc_file *file, const char *name,
                          int *dimid, size_t *length)
{
    int nc_status = nc_inq_dimid(file->ncid, name, dimid);

    if (nc_status == NC_EBADDIM)
        return ilrl_error(ILRL_EINPUT, "%s: dimension '%s' is missing (SPEC §3 "
                          "needs step, feature and episode)", file->path, name);
    if (nc_status != NC_NOERR)
        return nc_failure(file, nc_status, 0, "nc_inq_dimid", name);
    NC_CALL(file, name, nc_inq_dimlen, (file->ncid, *dimid, length));
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
static void describe_dims(const struct nc_file *file, int n_dims, const int *dimids,
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

/* Finds the variable and checks its type and dimensions.  *varid = -1 for a
 * missing optional variable. */
static int find_variable(const struct nc_file *file, const struct variable_spec *spec,
                         int *varid)
{
    nc_type type;
    int n_dims;
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
        return nc_failure(file, nc_status, 0, "nc_inq_varid", spec->name);
    NC_CALL(file, spec->name, nc_inq_var,
            (file->ncid, *varid, NULL, &type, &n_dims, dimids, NULL));

    if ((spec->kind == VALUES_FLOAT && !is_float_type(type))
        || (spec->kind == VALUES_INTEGER && !is_integer_type(type))) {
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
    return ILRL_OK;
}

/* Reads n integers of any integer type into a long long buffer (caller frees). */
static int read_integers(const struct nc_file *file, int varid, const char *name,
                         size_t n, long long **out)
{
    long long *values = malloc(n * sizeof *values);

    *out = NULL;
    if (values == NULL)
        return ilrl_error(ILRL_EFAILED, "%s: out of memory reading '%s'",
                          file->path, name);
    int nc_status = nc_get_var_longlong(file->ncid, varid, values);
    if (nc_status != NC_NOERR) {
        free(values);
        return nc_failure(file, nc_status, 0, "nc_get_var_longlong", name);
    }
    *out = values;
    return ILRL_OK;
}

/* Copies integer values into an int array; a value that an int cannot hold is
 * an error naming the element. */
static int read_ints(const struct nc_file *file, int varid, const char *name,
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

static int read_int64s(const struct nc_file *file, int varid, const char *name,
                       size_t n, int64_t *out)
{
    long long *values;
    int status = read_integers(file, varid, name, n, &values);

    for (size_t i = 0; status == ILRL_OK && i < n; i++)
        out[i] = (int64_t)values[i];
    free(values);
    return status;
}

static int read_flags(const struct nc_file *file, int varid, const char *name,
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

/* A global text attribute into *field; absent or not text leaves it alone.
 * Sets *found to whether text was read. */
static int read_text_attribute(const struct nc_file *file, const char *name,
                               char **field, int *found)
{
    nc_type type;
    size_t length;
    int nc_status = nc_inq_att(file->ncid, NC_GLOBAL, name, &type, &length);

    if (found != NULL)
        *found = 0;
    if (nc_status == NC_ENOTATT)
        return ILRL_OK;
    if (nc_status != NC_NOERR)
        return nc_failure(file, nc_status, 0, "nc_inq_att", name);

    if (type == NC_CHAR) {
        char *text = malloc(length + 1);
        if (text == NULL)
            return ilrl_error(ILRL_EFAILED, "%s: out of memory reading attribute "
                              "'%s'", file->path, name);
        nc_status = nc_get_att_text(file->ncid, NC_GLOBAL, name, text);
        if (nc_status != NC_NOERR) {
            free(text);
            return nc_failure(file, nc_status, 0, "nc_get_att_text", name);
        }
        text[length] = '\0';
        free(*field);
        *field = text;
    } else if (type == NC_STRING && length == 1) {
        char *text = NULL;
        NC_CALL(file, name, nc_get_att_string, (file->ncid, NC_GLOBAL, name, &text));
        int status = ilrl_demo_set_string(field, text);
        nc_free_string(1, &text);
        if (status != ILRL_OK)
            return status;
    } else {
        return ILRL_OK;
    }
    if (found != NULL)
        *found = 1;
    return ILRL_OK;
}

/* A global attribute holding one integer. *found = 0 when absent or not one
 * integer. */
static int read_integer_attribute(const struct nc_file *file, const char *name,
                                  long long *value, int *found)
{
    nc_type type;
    size_t length;
    int nc_status = nc_inq_att(file->ncid, NC_GLOBAL, name, &type, &length);

    *found = 0;
    if (nc_status == NC_ENOTATT)
        return ILRL_OK;
    if (nc_status != NC_NOERR)
        return nc_failure(file, nc_status, 0, "nc_inq_att", name);
    if (!is_integer_type(type) || length != 1)
        return ILRL_OK;
    NC_CALL(file, name, nc_get_att_longlong, (file->ncid, NC_GLOBAL, name, value));
    *found = 1;
    return ILRL_OK;
}

static int read_n_actions(const struct nc_file *file, int *n_actions)
{
    long long value;
    int found;
    int status = read_integer_attribute(file, ATT_N_ACTIONS, &value, &found);

    if (status != ILRL_OK)
        return status;
    if (!found) {
        if (nc_inq_att(file->ncid, NC_GLOBAL, ATT_N_ACTIONS, NULL, NULL) == NC_NOERR)
            return ilrl_error(ILRL_EINPUT, "%s: global attribute n_actions must "
                              "be one integer (the number of actions K)",
                              file->path);
        return ilrl_error(ILRL_EINPUT, "%s: global attribute n_actions is missing "
                          "(the number of actions K)", file->path);
    }
    if (value < 2 || value > INT_MAX)
        return ilrl_error(ILRL_EINPUT, "%s: global attribute n_actions = %lld "
                          "must be >= 2", file->path, value);
    *n_actions = (int)value;
    return ILRL_OK;
}

static int check_file_kind(const struct nc_file *file)
{
    char *kind = calloc(1, 1);
    int found = 0;
    int status;

    if (kind == NULL)
        return ilrl_error(ILRL_EFAILED, "%s: out of memory", file->path);
    status = read_text_attribute(file, ATT_FILE_KIND, &kind, &found);
    if (status == ILRL_OK && found && strcmp(kind, FILE_KIND) != 0)
        status = ilrl_error(ILRL_EINPUT, "%s: ilrl_file_kind = \"%s\", expected "
                            "\"%s\"", file->path, kind, FILE_KIND);
    free(kind);
    return status;
}

static int read_metadata(const struct nc_file *file, struct ilrl_demo *demo)
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
    long long seed;
    int found;
    int status;

    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        status = read_text_attribute(file, texts[i].name, texts[i].field, NULL);
        if (status != ILRL_OK)
            return status;
    }
    status = read_integer_attribute(file, ATT_SEED, &seed, &found);
    if (status != ILRL_OK)
        return status;
    demo->seed = found && seed >= 0 && seed <= LONG_MAX ? (long)seed : -1;
    return ILRL_OK;
}

static int read_contents(const struct nc_file *file, struct ilrl_demo **out)
{
    const struct variable_spec specs[] = {
        { VAR_OBS, VALUES_FLOAT, 2, { DIM_STEP, DIM_FEATURE }, 0 },
        { VAR_ACTION, VALUES_INTEGER, 1, { DIM_STEP, NULL }, 0 },
        { VAR_REWARD, VALUES_FLOAT, 1, { DIM_STEP, NULL }, 0 },
        { VAR_EPISODE_START, VALUES_INTEGER, 1, { DIM_EPISODE, NULL }, 0 },
        { VAR_EPISODE_LENGTH, VALUES_INTEGER, 1, { DIM_EPISODE, NULL }, 0 },
        { VAR_TERMINATED, VALUES_INTEGER, 1, { DIM_EPISODE, NULL }, 0 },
        { VAR_SCORE, VALUES_INTEGER, 1, { DIM_EPISODE, NULL }, 1 },
    };
    enum { OBS, ACTION, REWARD, START, LENGTH, TERMINATED, SCORE, N_VARIABLES };
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
    {
        int nc_status = nc_get_var_double(file->ncid, varids[OBS], demo->obs);
        if (nc_status != NC_NOERR) {
            status = nc_failure(file, nc_status, 0, "nc_get_var_double", VAR_OBS);
            goto fail;
        }
        nc_status = nc_get_var_double(file->ncid, varids[REWARD], demo->reward);
        if (nc_status != NC_NOERR) {
            status = nc_failure(file, nc_status, 0, "nc_get_var_double", VAR_REWARD);
            goto fail;
        }
    }
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
    struct nc_file file = { path, -1, ILRL_EINPUT };
    struct ilrl_demo *demo = NULL;
    int status;

    *out = NULL;
    status = open_for_reading(&file);
    if (status != ILRL_OK)
        return status;
    status = read_contents(&file, &demo);
    nc_close(file.ncid); /* read-only: nothing to lose on a failed close */
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
    return ilrl_output_file_check(path, force);
}

static int put_text(const struct nc_file *file, int varid, const char *name,
                    const char *value)
{
    NC_CALL(file, name, nc_put_att_text,
            (file->ncid, varid, name, strlen(value), value));
    return ILRL_OK;
}

static int define_variable(const struct nc_file *file, const char *name,
                           nc_type type, int n_dims, const int *dimids,
                           const char *long_name, const char *units, int *varid)
{
    int status;

    NC_CALL(file, name, nc_def_var, (file->ncid, name, type, n_dims, dimids, varid));
    status = put_text(file, *varid, ATT_LONG_NAME, long_name);
    if (status == ILRL_OK && units != NULL)
        status = put_text(file, *varid, ATT_UNITS, units);
    return status;
}

/* "2024-05-01T12:00:00Z: <command line>" as NCO does, one entry. */
static void format_history(const struct ilrl_demo *demo, char *buf, size_t buf_size)
{
    char stamp[32] = "unknown time";
    time_t now = time(NULL);
    struct tm utc;

    if (gmtime_r(&now, &utc) != NULL)
        strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &utc);
    snprintf(buf, buf_size, "%s: %s", stamp,
             demo->history[0] != '\0' ? demo->history : "ilrl-demo");
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

static int write_global_attributes(const struct nc_file *file,
                                   const struct ilrl_demo *demo)
{
    char title[512], source[128];
    size_t history_size = strlen(demo->history) + 64;
    char *history = malloc(history_size);
    int status;

    if (history == NULL)
        return ilrl_error(ILRL_EFAILED, "%s: out of memory", file->path);
    format_history(demo, history, history_size);
    format_title(demo, title, sizeof title);
    snprintf(source, sizeof source, "%s %s", PACKAGE_NAME, PACKAGE_VERSION);

    const struct { const char *name; const char *value; } texts[] = {
        { ATT_CONVENTIONS, CONVENTIONS },
        { ATT_TITLE, title },
        { ATT_HISTORY, history },
        { ATT_SOURCE, source },
        { ATT_FILE_KIND, FILE_KIND },
        { ATT_ACTION_NAMES, demo->action_names },
        { ATT_FEATURE_NAMES, demo->feature_names },
        { ATT_ENV, demo->env },
        { ATT_PILOT, demo->pilot },
        { ATT_REWARD_SCHEME, demo->reward_scheme },
    };
    status = ILRL_OK;
    for (size_t i = 0; status == ILRL_OK && i < sizeof texts / sizeof texts[0]; i++)
        status = put_text(file, NC_GLOBAL, texts[i].name, texts[i].value);
    free(history);
    if (status != ILRL_OK)
        return status;

    NC_CALL(file, ATT_N_ACTIONS, nc_put_att_int,
            (file->ncid, NC_GLOBAL, ATT_N_ACTIONS, NC_INT, 1, &demo->n_actions));
    if (demo->seed >= 0) { /* an unknown seed is left out rather than invented */
        long long seed = demo->seed;
        NC_CALL(file, ATT_SEED, nc_put_att_longlong,
                (file->ncid, NC_GLOBAL, ATT_SEED, NC_INT64, 1, &seed));
    }
    return ILRL_OK;
}

static int write_contents(const struct nc_file *file, const struct ilrl_demo *demo)
{
    int step_dim, feature_dim, episode_dim;
    int obs_var, action_var, reward_var, start_var, length_var, terminated_var;
    int score_var = -1;
    int old_fill, status;
    int dims[2];
    long long *starts;

    NC_CALL(file, "file", nc_set_fill, (file->ncid, NC_NOFILL, &old_fill));
    NC_CALL(file, DIM_STEP, nc_def_dim, (file->ncid, DIM_STEP, demo->n_steps, &step_dim));
    NC_CALL(file, DIM_FEATURE, nc_def_dim,
            (file->ncid, DIM_FEATURE, demo->n_features, &feature_dim));
    NC_CALL(file, DIM_EPISODE, nc_def_dim,
            (file->ncid, DIM_EPISODE, demo->n_episodes, &episode_dim));

    dims[0] = step_dim;
    dims[1] = feature_dim;
    if ((status = define_variable(file, VAR_OBS, NC_DOUBLE, 2, dims,
                                  "observation s_t", UNITS_DIMENSIONLESS, &obs_var))
        || (status = define_variable(file, VAR_ACTION, NC_INT, 1, &step_dim,
                                     "action a_t (index into action_names)", NULL,
                                     &action_var))
        || (status = define_variable(file, VAR_REWARD, NC_DOUBLE, 1, &step_dim,
                                     "reward r_t received after a_t",
                                     UNITS_DIMENSIONLESS, &reward_var))
        || (status = define_variable(file, VAR_EPISODE_START, NC_INT64, 1,
                                     &episode_dim, "index of the episode's first step",
                                     NULL, &start_var))
        || (status = define_variable(file, VAR_EPISODE_LENGTH, NC_INT, 1, &episode_dim,
                                     "number of steps in the episode", NULL,
                                     &length_var))
        || (status = define_variable(file, VAR_TERMINATED, NC_BYTE, 1, &episode_dim,
                                     "1 = terminated (crash or terminal state), "
                                     "0 = truncated at the step limit", NULL,
                                     &terminated_var)))
        return status;
    if (demo->score != NULL
        && (status = define_variable(file, VAR_SCORE, NC_INT, 1, &episode_dim,
                                     "score of the episode (pipes passed)",
                                     UNITS_DIMENSIONLESS, &score_var)))
        return status;
    {
        int valid_range[2] = { 0, demo->n_actions - 1 };
        NC_CALL(file, VAR_ACTION, nc_put_att_int,
                (file->ncid, action_var, "valid_range", NC_INT, 2, valid_range));
    }
    if ((status = write_global_attributes(file, demo)) != ILRL_OK)
        return status;
    NC_CALL(file, "file", nc_enddef, (file->ncid));

    NC_CALL(file, VAR_OBS, nc_put_var_double, (file->ncid, obs_var, demo->obs));
    NC_CALL(file, VAR_ACTION, nc_put_var_int, (file->ncid, action_var, demo->action));
    NC_CALL(file, VAR_REWARD, nc_put_var_double,
            (file->ncid, reward_var, demo->reward));
    NC_CALL(file, VAR_EPISODE_LENGTH, nc_put_var_int,
            (file->ncid, length_var, demo->episode_length));
    NC_CALL(file, VAR_TERMINATED, nc_put_var_uchar,
            (file->ncid, terminated_var, demo->terminated));
    if (score_var >= 0)
        NC_CALL(file, VAR_SCORE, nc_put_var_int, (file->ncid, score_var, demo->score));

    /* int64_t and long long are both 64 bits but distinct types: copy. */
    starts = malloc(demo->n_episodes * sizeof *starts);
    if (starts == NULL)
        return ilrl_error(ILRL_EFAILED, "%s: out of memory", file->path);
    for (size_t e = 0; e < demo->n_episodes; e++)
        starts[e] = demo->episode_start[e];
    int nc_status = nc_put_var_longlong(file->ncid, start_var, starts);
    int saved_errno = errno;
    free(starts);
    if (nc_status != NC_NOERR)
        return nc_failure(file, nc_status, saved_errno, "nc_put_var_longlong",
                          VAR_EPISODE_START);
    return ILRL_OK;
}

/* An upper bound of the file size: the arrays plus generous room for HDF5's
 * metadata (about 12 kB for this schema). */
static off_t size_estimate(const struct ilrl_demo *demo)
{
    return (off_t)(65536 + demo->n_steps * (demo->n_features * 8 + 12)
                   + demo->n_episodes * 24 + strlen(demo->history)
                   + strlen(demo->action_names) + strlen(demo->feature_names));
}

/* Writes the NetCDF file at `temp` (space already reserved) and closes it. */
static int write_temporary(const char *temp, const char *path,
                           const struct ilrl_demo *demo)
{
    struct nc_file file = { path, -1, ILRL_EOUTPUT };
    int status, nc_status;

    errno = 0;
    nc_status = nc_create(temp, NC_NETCDF4 | NC_CLOBBER, &file.ncid);
    if (nc_status != NC_NOERR)
        return ilrl_error(ILRL_EOUTPUT, "%s: cannot create temporary file %s: %s",
                          path, temp, nc_status > 0 ? strerror(nc_status)
                          : nc_strerror(nc_status));
    status = write_contents(&file, demo);
    errno = 0;
    nc_status = nc_close(file.ncid); /* on failure the handle stays open; see
                                        output_file.h for why not nc_abort */
    if (status == ILRL_OK && nc_status != NC_NOERR)
        status = nc_failure(&file, nc_status, errno, "nc_close", "file");
    return status;
}

int ilrl_demo_write(const char *path, const struct ilrl_demo *demo, int force)
{
    struct ilrl_output_file *output = NULL;
    int status;

    status = ilrl_demo_validate(demo, "demonstration to write");
    if (status != ILRL_OK) {
        char reason[1024];
        snprintf(reason, sizeof reason, "%s", ilrl_error_message());
        return ilrl_error(ILRL_EFAILED, "%s: refusing to write an invalid %s", path,
                          reason);
    }
    status = ilrl_output_file_check(path, force);
    if (status != ILRL_OK)
        return status;
    status = ilrl_output_file_begin(path, force, size_estimate(demo), &output);
    if (status == ILRL_OK)
        status = write_temporary(ilrl_output_file_temporary(output), path, demo);
    if (status != ILRL_OK) {
        /* Keep the one message; say that the target was left alone. */
        char reason[1024];
        snprintf(reason, sizeof reason, "%s", ilrl_error_message());
        status = ilrl_error(status, "%s (%s not written)", reason, path);
    }
    if (status == ILRL_OK)
        status = ilrl_output_file_commit(output);
    ilrl_output_file_free(output);
    return status;
}
