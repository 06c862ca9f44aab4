/* demo_io.h -- the demonstration file (NetCDF-4, docs/formats.md): the only reader
 * and writer of it in the project.
 *
 * The reader accepts files written by any tool (any D, any K >= 2), checks the
 * schema (dimensions, variable types and shapes, required attributes) and then
 * every rule of ilrl_demo_validate(); the first violation is reported with the
 * file, the variable and, where it applies, the index.
 */
#ifndef ILRL_DEMO_IO_H
#define ILRL_DEMO_IO_H

#include "ilrl/demo.h"

/* Reads and validates `path`.  On success *out owns a new dataset (free with
 * ilrl_demo_free) and ILRL_OK is returned; otherwise *out is NULL and the
 * status is ILRL_EINPUT (not a NetCDF file, schema or value violation) or
 * ILRL_EFAILED (out of memory). */
int ilrl_demo_read(const char *path, struct ilrl_demo **out);

/* Writes `demo` to `path` with the full schema of docs/formats.md and attributes
 * (Conventions, title, history, source, ilrl_file_kind = "demonstration",
 * n_actions, action_names, feature_names, env, pilot, seed, reward_scheme).
 * An existing file is refused unless `force`.  The file is written under a
 * temporary name in the same directory and renamed into place, so `path`
 * never holds half a file.  Returns ILRL_OK, ILRL_EOUTPUT (exists,
 * unwritable, disk full: the temporary file is removed) or ILRL_EFAILED. */
int ilrl_demo_write(const char *path, const struct ilrl_demo *demo, int force);

/* Checks that ilrl_demo_write(path, ..., force) may start: `path` is not an
 * existing file (unless `force`) nor a directory, and its directory exists and
 * is writable.  Programs call it before a long recording so that a human does
 * not play a session that cannot be saved.  Returns ILRL_OK or ILRL_EOUTPUT
 * ("FILE exists (use --force to overwrite)", ...). */
int ilrl_demo_check_output(const char *path, int force);

#endif /* ILRL_DEMO_IO_H */
