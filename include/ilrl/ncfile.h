/* ncfile.h -- the one NetCDF layer: every file kind of the project (the
 * demonstration in demo_io.c, the landscape in landscape_io.c, and every
 * later kind) opens, creates, checks its calls, reads and writes its
 * attributes and publishes its output through this module, so the schema
 * modules hold only their schemas.  The formats themselves are described in
 * docs/formats.md; exit statuses in docs/exit-status.md.
 *
 * Rules this module owns, in one place:
 *
 *  - The checked call.  ILRL_NC(file, object, nc_function, (arguments))
 *    calls the function and turns a failing status into the file's failure
 *    class -- ILRL_EINPUT while reading, ILRL_EOUTPUT while writing,
 *    ILRL_EFAILED when NetCDF ran out of memory -- with one message
 *    "PATH: nc_function(OBJECT): NetCDF message", plus the errno text where
 *    the errno says what to fix (disk full, quota, read-only, permission).
 *    OBJECT names the variable or attribute ("file" for file-level calls).
 *
 *  - File names.  netcdf-c 4.9 does not open every name as open(2) does: it
 *    turns every backslash into '/' (NCpathcvt), maps drive-letter names
 *    ("c:/x", "c:\x", "c:") and "/cygdrive/c/..." to "/c/...", takes any
 *    name holding "://" for a URL (and may start a network transfer), and
 *    drops leading white space.  A name of one of these classes would make
 *    our own open/rename and NetCDF's calls reach different files (seen: an
 *    output with a backslash published a file of reserved zeros while the
 *    data went elsewhere), so ilrl_ncfile_check_name() refuses it as a bad
 *    command line (ILRL_EUSAGE), before anything is read or written.  Every
 *    other name ("x.nc#frag", "file:x.nc", "x?y", trailing blanks) was
 *    checked to reach the same file through both.
 *
 *  - Inputs.  ilrl_ncfile_open() accepts only an existing regular file: a
 *    FIFO (nc_open would block forever), a directory, a device or a socket
 *    is ILRL_EINPUT naming the file, before any open.  A classic-format
 *    file's header must be consistent and its size must cover its
 *    variables' data (classic_header.h), because netcdf-c reads a short
 *    file's missing data as zeros.
 *
 *  - Attributes, one rule for every kind: an absent attribute is an error
 *    naming it when required, and "not found" otherwise; a present one of
 *    the wrong kind is always an input error naming it ("attribute env is
 *    not text", "attribute n_actions must be one integer") -- a value
 *    that cannot mean what the schema says is never silently ignored.
 *    Text is NC_CHAR or a single NC_STRING.
 *
 *  - Values never written.  ilrl_ncfile_refuse_fill() refuses a value equal
 *    to the variable's _FillValue (declared, or NetCDF's default fill for
 *    its type when none is declared: what an unwritten record or chunk
 *    reads as) or to its missing_value: ILRL_EINPUT naming variable and
 *    index.  A NaN fill matches nothing, so landscape arrays keep their NaN
 *    "not computed" points.
 *
 *  - Sizes before allocation.  ilrl_ncfile_check_size() bounds a
 *    variable's bytes by what its file can hold (its stored size, or 1100
 *    times the file for a compressed variable: deflate's largest ratio is
 *    about 1032) and by 80 % of the machine's physical memory.
 *
 *  - Outputs.  ilrl_ncfile_create() starts an atomic publication
 *    (output_file.h: temporary PATH.tmp.<pid> in the same directory with
 *    its size reserved, no clobber without force, force replaces only a
 *    regular file) and creates the NetCDF-4 file in the temporary;
 *    ilrl_ncfile_publish() closes it, fsyncs and renames it into place, or
 *    removes it and says "(PATH not written)".
 *
 *  - History.  ilrl_ncfile_history() is the one formatter of the `history`
 *    attribute: "YYYY-MM-DDThh:mm:ssZ: " and the command line with every
 *    argument that the shell would split or expand in single quotes, so the
 *    line can be pasted back into a shell.
 *
 * A new file kind is a schema module that does, reading:
 *     struct ilrl_ncfile file;
 *     int status = ilrl_ncfile_open(&file, path);     (nothing to close on failure)
 *     if (status == ILRL_OK)
 *         status = ilrl_ncfile_close(&file, read_schema(&file, ...));
 * and writing:
 *     int status = ilrl_ncfile_create(&file, path, force, size_bound);
 *     if (status == ILRL_OK)
 *         status = ilrl_ncfile_publish(&file, write_schema(&file, ...));
 * with every nc_* call inside read_schema/write_schema written as
 *     status = ILRL_NC(&file, "obs", nc_get_var_double, (file.ncid, varid, buffer));
 * and sizes checked (ilrl_ncfile_check_size) before any allocation that a
 * dimension of the file decides.
 */
#ifndef ILRL_NCFILE_H
#define ILRL_NCFILE_H

#include <errno.h>
#include <stddef.h>
#include <sys/types.h>

struct ilrl_output_file;

/* An open NetCDF file.  Fields are read by the schema modules; set them only
 * through the functions below. */
struct ilrl_ncfile {
    const char *path;     /* the name in every message (the final name when writing) */
    int ncid;             /* valid while open != 0 */
    int open;
    int failure;          /* ILRL_EINPUT (reading) or ILRL_EOUTPUT (writing) */
    int last_nc_status;   /* of the last checked call, NC_NOERR on success */
    off_t size;           /* reading: the file's size in bytes */
    struct ilrl_output_file *output; /* writing: the publication under way */
};

/* ILRL_OK, or ILRL_EUSAGE ("a\b.nc: a file name that the NetCDF library
 * reads differently (a backslash, which it turns into '/'); rename the
 * file") for the classes above. */
int ilrl_ncfile_check_name(const char *path);

/* The checked call (see the header comment).  `nc_status` is the call's
 * result; errno must still be the one the call left. */
int ilrl_ncfile_checked(struct ilrl_ncfile *file, int nc_status,
                        const char *call, const char *object);

#define ILRL_NC(file, object, function, arguments) \
    (errno = 0, ilrl_ncfile_checked((file), function arguments, #function, (object)))

/* Opens an existing file for reading (see "Inputs").  On failure the file
 * is not open and the status is ILRL_EUSAGE (name), ILRL_EINPUT or
 * ILRL_EFAILED. */
int ilrl_ncfile_open(struct ilrl_ncfile *file, const char *path);

/* Closes a file opened for reading; accepts a closed one.  Returns
 * `status`, keeping its message (nothing is lost by a failing close of a
 * read-only file). */
int ilrl_ncfile_close(struct ilrl_ncfile *file, int status);

/* Whether an output to `path` may start: the name (ilrl_ncfile_check_name)
 * and every name the publication will use (ilrl_output_file_check). */
int ilrl_ncfile_check_output(const char *path, int force);

/* Starts writing `path`: checks as ilrl_ncfile_check_output, reserves
 * `size_bound` bytes (an upper bound of the file's size) and creates an
 * empty NetCDF-4 file under the temporary name, in define mode, fill off.
 * On failure nothing is left on disk. */
int ilrl_ncfile_create(struct ilrl_ncfile *file, const char *path, int force,
                       off_t size_bound);

/* Ends a write started by ilrl_ncfile_create: closes the file and, when
 * `status` is ILRL_OK, moves it into place (output_file.h); otherwise, or
 * when closing fails, removes the temporary and returns the failure with
 * " (PATH not written)" added to its message. */
int ilrl_ncfile_publish(struct ilrl_ncfile *file, int status);

/* Reads a text attribute of `varid` (NC_GLOBAL for global) into a new
 * string stored in *out (the old one is freed).  `found` NULL: the
 * attribute is required; otherwise *found tells whether it was there and
 * *out is untouched when not.  Not text: ILRL_EINPUT naming it. */
int ilrl_ncfile_get_text(struct ilrl_ncfile *file, int varid, const char *name,
                         char **out, int *found);

/* One integer (any NetCDF integer type) or one number (any numeric type),
 * as get_text for absence; anything else is ILRL_EINPUT ("attribute
 * n_actions must be one integer"). */
int ilrl_ncfile_get_integer(struct ilrl_ncfile *file, int varid, const char *name,
                            long long *value, int *found);
int ilrl_ncfile_get_double(struct ilrl_ncfile *file, int varid, const char *name,
                           double *value, int *found);

/* `count` integers (count 0: any number >= 1) into a new array *values
 * (caller frees) with *length entries. */
int ilrl_ncfile_get_ints(struct ilrl_ncfile *file, const char *name, size_t count,
                         int **values, size_t *length);

/* Whether a NetCDF type is one of the eight integer types (byte ... uint64). */
int ilrl_ncfile_is_integer_type(int type);

/* Writers of attributes (NULL text is written as ""). */
int ilrl_ncfile_put_text(struct ilrl_ncfile *file, int varid, const char *name,
                         const char *text);
int ilrl_ncfile_put_double(struct ilrl_ncfile *file, const char *name, double value);
int ilrl_ncfile_put_int64(struct ilrl_ncfile *file, const char *name, long long value);
int ilrl_ncfile_put_ints(struct ilrl_ncfile *file, const char *name,
                         const int *values, size_t n);

/* Defines a variable with its long_name and (unless NULL) units. */
int ilrl_ncfile_define(struct ilrl_ncfile *file, const char *name, int type,
                       int n_dims, const int *dimids, const char *long_name,
                       const char *units, int *varid);

/* Checks the size of variable `varid` before it is read (see "Sizes"). */
int ilrl_ncfile_check_size(struct ilrl_ncfile *file, int varid, const char *name);

/* Refuses values never written (see "Values never written") among the n
 * values read from `varid` as doubles.  `columns` > 1 names an index as
 * [row, column] of rows of `columns` values; `mask`, when not NULL, has n
 * entries and limits the check to the values whose entry is non-zero. */
int ilrl_ncfile_refuse_fill(struct ilrl_ncfile *file, int varid, const char *name,
                            const double *values, size_t n, size_t columns,
                            const unsigned char *mask);

/* The same for values read as long long (integer variables). */
int ilrl_ncfile_refuse_fill_integers(struct ilrl_ncfile *file, int varid,
                                     const char *name, const long long *values,
                                     size_t n);

/* "2026-11-29T20:00:00Z: ilrl-demo --out 'my demo.nc'" in a new string
 * (caller frees); NULL when out of memory. */
char *ilrl_ncfile_history(int argc, char *const *argv);

#endif /* ILRL_NCFILE_H */
