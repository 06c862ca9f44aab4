/* ncfile.c -- owns the project's one NetCDF layer (see include/ilrl/ncfile.h):
 * the checked call, file names, opening inputs, publishing outputs,
 * attributes, fill values, size bounds and the history line. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <netcdf.h>
#include <netcdf_filter.h>

#include "ilrl/classic_header.h"
#include "ilrl/error.h"
#include "ilrl/ncfile.h"
#include "ilrl/output_file.h"

/* Deflate's largest compression ratio is about 1032:1; a compressed
 * variable may not claim more than this many times its file's size. */
#define COMPRESSION_BOUND 1100.0

/* ---- names ------------------------------------------------------------------ */

/* Why netcdf-c would read `path` differently than open(2), or NULL. */
static const char *name_difference(const char *path)
{
    if (isspace((unsigned char)path[0]))
        return "leading white space, which it drops";
    if (strchr(path, '\\') != NULL)
        return "a backslash, which it turns into '/'";
    if (strstr(path, "://") != NULL)
        return "'://', which makes it a URL";
    if (isalpha((unsigned char)path[0]) && path[1] == ':'
        && (path[2] == '\0' || path[2] == '/'))
        return "a drive letter, which it maps to /X/";
    if (strncmp(path, "/cygdrive/", 10) == 0 && isalpha((unsigned char)path[10])
        && (path[11] == '\0' || path[11] == '/'))
        return "/cygdrive/X, which it maps to /X/";
    return NULL;
}

int ilrl_ncfile_check_name(const char *path)
{
    const char *why;

    if (path == NULL || path[0] == '\0')
        return ilrl_error(ILRL_EUSAGE, "empty file name");
    why = name_difference(path);
    if (why != NULL)
        return ilrl_error(ILRL_EUSAGE, "%s: a file name that the NetCDF library "
                          "reads differently (%s); rename the file", path, why);
    return ILRL_OK;
}

/* ---- the checked call ------------------------------------------------------- */

/* errno values worth adding to a NetCDF error: they tell the user what to fix. */
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

int ilrl_ncfile_checked(struct ilrl_ncfile *file, int nc_status, const char *call,
                        const char *object)
{
    int saved_errno = errno;
    int status;

    file->last_nc_status = nc_status;
    if (nc_status == NC_NOERR)
        return ILRL_OK;
    status = nc_status == NC_ENOMEM ? ILRL_EFAILED : file->failure;
    if (nc_status > 0) /* a system error returned as the status itself */
        return ilrl_error(status, "%s: %s(%s): %s", file->path, call, object,
                          strerror(nc_status));
    if (errno_is_telling(saved_errno))
        return ilrl_error(status, "%s: %s(%s): %s (%s)", file->path, call, object,
                          nc_strerror(nc_status), strerror(saved_errno));
    return ilrl_error(status, "%s: %s(%s): %s", file->path, call, object,
                      nc_strerror(nc_status));
}

/* ---- reading ------------------------------------------------------------------ */

int ilrl_ncfile_open(struct ilrl_ncfile *file, const char *path)
{
    struct stat info;
    int status, nc_status;

    *file = (struct ilrl_ncfile){ .path = path, .ncid = -1, .failure = ILRL_EINPUT };
    if ((status = ilrl_ncfile_check_name(path)) != ILRL_OK)
        return status;
    /* stat, not open: opening a FIFO blocks until a writer comes. */
    if (stat(path, &info) != 0)
        return ilrl_error(ILRL_EINPUT, "%s: cannot open: %s", path, strerror(errno));
    if (S_ISDIR(info.st_mode))
        return ilrl_error(ILRL_EINPUT, "%s: is a directory, not a NetCDF file", path);
    if (!S_ISREG(info.st_mode))
        return ilrl_error(ILRL_EINPUT, "%s: %s, not a NetCDF file (only regular "
                          "files are read)", path,
                          ilrl_output_file_type_name(info.st_mode));
    file->size = info.st_size;
    if ((status = ilrl_classic_header_check(path)) != ILRL_OK)
        return status;
    nc_status = nc_open(path, NC_NOWRITE, &file->ncid);
    if (nc_status == NC_NOERR) {
        file->open = 1;
        return ILRL_OK;
    }
    file->ncid = -1;
    /* A system error about the path itself: unreadable, vanished.  Other
     * errno values come from NetCDF-3 header parsing (E2BIG, EINVAL, ...)
     * and mean a damaged file. */
    if (nc_status == ENOENT || nc_status == EACCES || nc_status == EPERM
        || nc_status == ENOTDIR || nc_status == ELOOP || nc_status == ENAMETOOLONG
        || nc_status == EIO)
        return ilrl_error(ILRL_EINPUT, "%s: cannot open: %s", path, strerror(nc_status));
    if (nc_status == NC_ENOMEM)
        return ilrl_error(ILRL_EFAILED, "%s: out of memory opening it", path);
    return ilrl_error(ILRL_EINPUT, "%s: not a NetCDF file, or a truncated or damaged "
                      "one (nc_open: %s)", path,
                      nc_status > 0 ? strerror(nc_status) : nc_strerror(nc_status));
}

int ilrl_ncfile_close(struct ilrl_ncfile *file, int status)
{
    if (file->open)
        nc_close(file->ncid); /* read-only: nothing to lose on a failed close */
    file->open = 0;
    file->ncid = -1;
    return status;
}

/* ---- writing ------------------------------------------------------------------ */

int ilrl_ncfile_check_output(const char *path, int force)
{
    int status = ilrl_ncfile_check_name(path);

    if (status == ILRL_OK)
        status = ilrl_output_file_check(path, force);
    return status;
}

int ilrl_ncfile_create(struct ilrl_ncfile *file, const char *path, int force,
                       off_t size_bound)
{
    const char *temporary;
    int status, nc_status;

    *file = (struct ilrl_ncfile){ .path = path, .ncid = -1, .failure = ILRL_EOUTPUT };
    if ((status = ilrl_ncfile_check_output(path, force)) != ILRL_OK)
        return status;
    if ((status = ilrl_output_file_begin(path, force, size_bound, &file->output))
        != ILRL_OK) {
        char reason[1024];
        snprintf(reason, sizeof reason, "%s", ilrl_error_message());
        return ilrl_error(status, "%s (%s not written)", reason, path);
    }
    temporary = ilrl_output_file_temporary(file->output);
    errno = 0;
    nc_status = nc_create(temporary, NC_NETCDF4 | NC_CLOBBER, &file->ncid);
    if (nc_status != NC_NOERR) {
        status = ilrl_error(nc_status == NC_ENOMEM ? ILRL_EFAILED : ILRL_EOUTPUT,
                            "%s: cannot create temporary file %s: %s (%s not written)",
                            path, temporary, nc_status > 0 ? strerror(nc_status)
                            : nc_strerror(nc_status), path);
        ilrl_output_file_free(file->output);
        file->output = NULL;
        file->ncid = -1;
        return status;
    }
    file->open = 1;
    return ILRL_OK;
}

int ilrl_ncfile_publish(struct ilrl_ncfile *file, int status)
{
    if (file->open) {
        /* A full disk often shows up here.  On failure the handle stays
         * open: output_file.h says why not nc_abort. */
        int close_status = ILRL_NC(file, "file", nc_close, (file->ncid));
        file->open = 0;
        if (status == ILRL_OK)
            status = close_status;
    }
    if (status != ILRL_OK) {
        char reason[1024];
        snprintf(reason, sizeof reason, "%s", ilrl_error_message());
        status = ilrl_error(status, "%s (%s not written)", reason, file->path);
    } else {
        status = ilrl_output_file_commit(file->output);
    }
    ilrl_output_file_free(file->output);
    file->output = NULL;
    return status;
}

/* ---- attributes ------------------------------------------------------------------ */

int ilrl_ncfile_is_integer_type(int type)
{
    switch (type) {
    case NC_BYTE: case NC_UBYTE: case NC_SHORT: case NC_USHORT:
    case NC_INT: case NC_UINT: case NC_INT64: case NC_UINT64:
        return 1;
    default:
        return 0;
    }
}

/* Inquires about an attribute.  Absent: ILRL_OK with *found = 0 when
 * optional, an error naming it when required. */
static int inquire(struct ilrl_ncfile *file, int varid, const char *name,
                   int *found, nc_type *type, size_t *length)
{
    int nc_status = nc_inq_att(file->ncid, varid, name, type, length);

    if (found != NULL)
        *found = nc_status == NC_NOERR;
    if (nc_status == NC_ENOTATT && found != NULL)
        return ILRL_OK;
    if (nc_status == NC_ENOTATT)
        return ilrl_error(file->failure, "%s: attribute %s is missing", file->path,
                          name);
    return ilrl_ncfile_checked(file, nc_status, "nc_inq_att", name);
}

int ilrl_ncfile_get_text(struct ilrl_ncfile *file, int varid, const char *name,
                         char **out, int *found)
{
    nc_type type;
    size_t length;
    char *text;
    int present = 1;
    int status = inquire(file, varid, name, found ? found : &present, &type, &length);

    if (found == NULL && status == ILRL_OK && !present)
        status = ilrl_error(file->failure, "%s: attribute %s is missing",
                            file->path, name);
    if (status != ILRL_OK || (found != NULL && !*found))
        return status;
    if (type == NC_CHAR) {
        text = malloc(length + 1);
        if (text == NULL)
            return ilrl_error(ILRL_EFAILED, "%s: out of memory reading attribute %s",
                              file->path, name);
        status = ILRL_NC(file, name, nc_get_att_text, (file->ncid, varid, name, text));
        text[length] = '\0';
    } else if (type == NC_STRING && length == 1) {
        char *value = NULL;
        status = ILRL_NC(file, name, nc_get_att_string, (file->ncid, varid, name, &value));
        if (status != ILRL_OK)
            return status;
        text = strdup(value != NULL ? value : "");
        nc_free_string(1, &value);
        if (text == NULL)
            return ilrl_error(ILRL_EFAILED, "%s: out of memory reading attribute %s",
                              file->path, name);
    } else {
        return ilrl_error(ILRL_EINPUT, "%s: attribute %s is not text", file->path, name);
    }
    if (status != ILRL_OK) {
        free(text);
        return status;
    }
    free(*out);
    *out = text;
    return ILRL_OK;
}

/* One value of a numeric attribute; `integer` demands an integer type. */
static int get_one_number(struct ilrl_ncfile *file, int varid, const char *name,
                          int integer, int *found, nc_type *type)
{
    size_t length;
    int present = 1;
    int status = inquire(file, varid, name, found ? found : &present, type, &length);

    if (found == NULL && status == ILRL_OK && !present)
        status = ilrl_error(file->failure, "%s: attribute %s is missing",
                            file->path, name);
    if (status != ILRL_OK || (found != NULL && !*found))
        return status;
    if (length != 1 || (integer ? !ilrl_ncfile_is_integer_type(*type)
                                : (*type == NC_CHAR || *type == NC_STRING
                                   || *type > NC_MAX_ATOMIC_TYPE)))
        return ilrl_error(ILRL_EINPUT, "%s: attribute %s must be one %s", file->path,
                          name, integer ? "integer" : "number");
    return ILRL_OK;
}

int ilrl_ncfile_get_integer(struct ilrl_ncfile *file, int varid, const char *name,
                            long long *value, int *found)
{
    nc_type type;
    int status = get_one_number(file, varid, name, 1, found, &type);

    if (status != ILRL_OK || (found != NULL && !*found))
        return status;
    if (type == NC_UINT64) {
        unsigned long long wide;
        status = ILRL_NC(file, name, nc_get_att_ulonglong, (file->ncid, varid, name, &wide));
        if (status == ILRL_OK && wide > LLONG_MAX)
            return ilrl_error(ILRL_EINPUT, "%s: attribute %s = %llu is too large",
                              file->path, name, wide);
        *value = (long long)wide;
        return status;
    }
    return ILRL_NC(file, name, nc_get_att_longlong, (file->ncid, varid, name, value));
}

int ilrl_ncfile_get_double(struct ilrl_ncfile *file, int varid, const char *name,
                           double *value, int *found)
{
    nc_type type;
    int status = get_one_number(file, varid, name, 0, found, &type);

    if (status != ILRL_OK || (found != NULL && !*found))
        return status;
    return ILRL_NC(file, name, nc_get_att_double, (file->ncid, varid, name, value));
}

int ilrl_ncfile_get_ints(struct ilrl_ncfile *file, const char *name, size_t count,
                         int **values, size_t *length)
{
    nc_type type;
    int status = inquire(file, NC_GLOBAL, name, NULL, &type, length);

    *values = NULL;
    if (status != ILRL_OK)
        return status;
    if (!ilrl_ncfile_is_integer_type(type) || *length == 0
        || (count != 0 && *length != count))
        return ilrl_error(ILRL_EINPUT, "%s: attribute %s must be %s%zu integer%s",
                          file->path, name, count != 0 ? "" : "at least ",
                          count != 0 ? count : 1, count == 1 ? "" : "s");
    *values = malloc(*length * sizeof **values);
    if (*values == NULL)
        return ilrl_error(ILRL_EFAILED, "%s: out of memory reading attribute %s",
                          file->path, name);
    status = ILRL_NC(file, name, nc_get_att_int, (file->ncid, NC_GLOBAL, name, *values));
    if (status != ILRL_OK) {
        free(*values);
        *values = NULL;
    }
    return status;
}

int ilrl_ncfile_put_text(struct ilrl_ncfile *file, int varid, const char *name,
                         const char *text)
{
    if (text == NULL)
        text = "";
    return ILRL_NC(file, name, nc_put_att_text,
                   (file->ncid, varid, name, strlen(text), text));
}

int ilrl_ncfile_put_double(struct ilrl_ncfile *file, const char *name, double value)
{
    return ILRL_NC(file, name, nc_put_att_double,
                   (file->ncid, NC_GLOBAL, name, NC_DOUBLE, 1, &value));
}

int ilrl_ncfile_put_int64(struct ilrl_ncfile *file, const char *name, long long value)
{
    return ILRL_NC(file, name, nc_put_att_longlong,
                   (file->ncid, NC_GLOBAL, name, NC_INT64, 1, &value));
}

int ilrl_ncfile_put_ints(struct ilrl_ncfile *file, const char *name,
                         const int *values, size_t n)
{
    return ILRL_NC(file, name, nc_put_att_int,
                   (file->ncid, NC_GLOBAL, name, NC_INT, n, values));
}

int ilrl_ncfile_define(struct ilrl_ncfile *file, const char *name, int type,
                       int n_dims, const int *dimids, const char *long_name,
                       const char *units, int *varid)
{
    int status = ILRL_NC(file, name, nc_def_var,
                         (file->ncid, name, type, n_dims, dimids, varid));

    if (status == ILRL_OK)
        status = ilrl_ncfile_put_text(file, *varid, "long_name", long_name);
    if (status == ILRL_OK && units != NULL)
        status = ilrl_ncfile_put_text(file, *varid, "units", units);
    return status;
}

/* ---- sizes ------------------------------------------------------------------------ */

static double physical_memory(void)
{
    long pages = sysconf(_SC_PHYS_PAGES);
    long page_size = sysconf(_SC_PAGESIZE);

    return pages > 0 && page_size > 0 ? (double)pages * (double)page_size : 0.0;
}

int ilrl_ncfile_check_size(struct ilrl_ncfile *file, int varid, const char *name)
{
    int dimids[NC_MAX_VAR_DIMS];
    int n_dims, status;
    nc_type type;
    size_t type_size = 0, n_filters = 0;
    double values = 1.0, bytes, bound, memory;
    char shape[256] = "";
    size_t used = 0;

    status = ILRL_NC(file, name, nc_inq_var,
                     (file->ncid, varid, NULL, &type, &n_dims, dimids, NULL));
    if (status == ILRL_OK)
        status = ILRL_NC(file, name, nc_inq_type, (file->ncid, type, NULL, &type_size));
    for (int d = 0; status == ILRL_OK && d < n_dims; d++) {
        size_t length;
        status = ILRL_NC(file, name, nc_inq_dimlen, (file->ncid, dimids[d], &length));
        values *= (double)length;
        if (used < sizeof shape)
            used += (size_t)snprintf(shape + used, sizeof shape - used, "%s%zu",
                                     d > 0 ? " x " : "", length);
    }
    if (status != ILRL_OK)
        return status;
    if (nc_inq_var_filter_ids(file->ncid, varid, &n_filters, NULL) != NC_NOERR)
        n_filters = 0; /* classic files have no filters */
    bytes = values * (double)type_size;
    bound = (double)file->size * (n_filters > 0 ? COMPRESSION_BOUND : 1.0);
    if (bytes > bound)
        return ilrl_error(ILRL_EINPUT, "%s: variable '%s' declares %s values (%.3g "
                          "bytes), more than the file's %lld bytes can hold%s",
                          file->path, name, shape, bytes, (long long)file->size,
                          n_filters > 0 ? " even compressed" : "");
    memory = physical_memory();
    if (memory > 0 && bytes > 0.8 * memory)
        return ilrl_error(ILRL_EINPUT, "%s: variable '%s' declares %s values (%.1f "
                          "GiB), more than this machine's memory (%.1f GiB)",
                          file->path, name, shape, bytes / 1073741824.0,
                          memory / 1073741824.0);
    return ILRL_OK;
}

/* ---- fill values --------------------------------------------------------------------- */

/* The values that mean "never written" for `varid`: its _FillValue (or
 * NetCDF's default for its type) and its missing_value.  Returns how many
 * (0 to 2) went into fills. */
static size_t fill_values(struct ilrl_ncfile *file, int varid, double fills[2])
{
    nc_type type, att_type;
    size_t length, n = 0;

    if (nc_inq_vartype(file->ncid, varid, &type) != NC_NOERR)
        return 0;
    if (nc_inq_att(file->ncid, varid, "_FillValue", &att_type, &length) == NC_NOERR) {
        if (length == 1 && att_type != NC_CHAR && att_type != NC_STRING
            && nc_get_att_double(file->ncid, varid, "_FillValue", &fills[n]) == NC_NOERR)
            n++;
    } else {
        switch (type) {
        case NC_BYTE: fills[n++] = NC_FILL_BYTE; break;
        case NC_UBYTE: fills[n++] = NC_FILL_UBYTE; break;
        case NC_SHORT: fills[n++] = NC_FILL_SHORT; break;
        case NC_USHORT: fills[n++] = NC_FILL_USHORT; break;
        case NC_INT: fills[n++] = NC_FILL_INT; break;
        case NC_UINT: fills[n++] = NC_FILL_UINT; break;
        case NC_INT64: fills[n++] = (double)NC_FILL_INT64; break;
        case NC_FLOAT: fills[n++] = (double)NC_FILL_FLOAT; break;
        case NC_DOUBLE: fills[n++] = NC_FILL_DOUBLE; break;
        default: break; /* uint64's fill is beyond every value we accept */
        }
    }
    if (nc_inq_att(file->ncid, varid, "missing_value", &att_type, &length) == NC_NOERR
        && length == 1 && att_type != NC_CHAR && att_type != NC_STRING
        && nc_get_att_double(file->ncid, varid, "missing_value", &fills[n]) == NC_NOERR)
        n++;
    return n;
}

static int refuse_value(struct ilrl_ncfile *file, const char *name, size_t index,
                        size_t columns, double value)
{
    if (columns > 1)
        return ilrl_error(ILRL_EINPUT, "%s: %s[%zu, %zu] = %g is the fill value or "
                          "missing_value (never written, or marked missing)",
                          file->path, name, index / columns, index % columns, value);
    return ilrl_error(ILRL_EINPUT, "%s: %s[%zu] = %g is the fill value or "
                      "missing_value (never written, or marked missing)",
                      file->path, name, index, value);
}

int ilrl_ncfile_refuse_fill(struct ilrl_ncfile *file, int varid, const char *name,
                            const double *values, size_t n, size_t columns,
                            const unsigned char *mask)
{
    double fills[2];
    size_t n_fills = fill_values(file, varid, fills);

    for (size_t f = 0; f < n_fills; f++) {
        if (isnan(fills[f]))
            continue; /* NaN equals nothing: NaN fills are the reader's business */
        for (size_t i = 0; i < n; i++)
            if (values[i] == fills[f] && (mask == NULL || mask[i]))
                return refuse_value(file, name, i, columns, values[i]);
    }
    return ILRL_OK;
}

int ilrl_ncfile_refuse_fill_integers(struct ilrl_ncfile *file, int varid,
                                     const char *name, const long long *values,
                                     size_t n)
{
    double fills[2];
    size_t n_fills = fill_values(file, varid, fills);

    for (size_t f = 0; f < n_fills; f++) {
        if (!(fabs(fills[f]) < 9.2e18) || fills[f] != floor(fills[f]))
            continue; /* no integer equals it */
        long long fill = (long long)fills[f];
        for (size_t i = 0; i < n; i++)
            if (values[i] == fill)
                return refuse_value(file, name, i, 1, (double)values[i]);
    }
    return ILRL_OK;
}

/* ---- history -------------------------------------------------------------------------- */

/* Characters the shell passes through unquoted. */
#define SHELL_PLAIN "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ" \
                    "0123456789_./:=,+-@%"

char *ilrl_ncfile_history(int argc, char *const *argv)
{
    char stamp[32] = "unknown time";
    time_t now = time(NULL);
    struct tm utc;
    size_t size = sizeof stamp + 2;
    char *line, *p;

    if (gmtime_r(&now, &utc) != NULL)
        strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &utc);
    for (int i = 0; i < argc; i++)
        size += 4 * strlen(argv[i]) + 3;
    line = malloc(size);
    if (line == NULL)
        return NULL;
    p = line + sprintf(line, "%s:", stamp);
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        *p++ = ' ';
        if (arg[0] != '\0' && strspn(arg, SHELL_PLAIN) == strlen(arg)) {
            p += sprintf(p, "%s", arg);
            continue;
        }
        *p++ = '\'';
        for (; *arg != '\0'; arg++) {
            if (*arg == '\'')
                p += sprintf(p, "'\\''");
            else
                *p++ = *arg;
        }
        *p++ = '\'';
    }
    *p = '\0';
    return line;
}
