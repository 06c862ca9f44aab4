/* landscape_io.h -- the landscape file (NetCDF-4, docs/formats.md): the
 * only reader and writer of it in the project.  The in-memory form is
 * landscape_grid.h's.
 *
 * Writing is atomic (ncfile.h, output_file.h): the file's size is reserved
 * under PATH.tmp.<pid> in the same directory, the file is written there,
 * synced (nc_close, then fsync of the file), moved over the target and the
 * directory is fsynced, so a kill at any instant leaves either the previous
 * file or the new one under the target name (HDF5 does not journal), and a
 * full disk is an ordinary error before HDF5 writes a byte.  Checkpoints use
 * the same path with overwrite allowed.
 */
#ifndef ILRL_LANDSCAPE_IO_H
#define ILRL_LANDSCAPE_IO_H

#include "ilrl/landscape_grid.h"

/* Whether a write of `path` may start (ilrl_ncfile_check_output): the name,
 * PATH and its temporary.  Programs call it before computing. */
int ilrl_landscape_check_output(const char *path, int force);

/* The same for a checkpoint file (the engine's OUT.partial), which is
 * always overwritten: its name, that it is a regular file if it exists, and
 * its temporary name (ILRL_OK, ILRL_EUSAGE or ILRL_EOUTPUT naming it). */
int ilrl_landscape_check_checkpoint(const char *checkpoint_path);

/* Writes the whole landscape to `path` atomically (see above).  If !force and
 * `path` exists: ILRL_EOUTPUT ("PATH exists (use --force to overwrite)"),
 * nothing touched.  Unwritable directory or disk full: ILRL_EOUTPUT ("...
 * (PATH not written)") with the temporary removed and `path` untouched. */
int ilrl_landscape_write(const char *path, const struct ilrl_landscape *landscape,
                         int force);

/* Reads and validates a landscape file: ilrl_file_kind = "landscape", the
 * dimensions and shapes of docs/formats.md, required attributes, sizes
 * within what the file holds, no fill value at a computed point nor in the
 * coordinates and plane.  ILRL_EINPUT naming the file and the problem
 * otherwise; ILRL_EUSAGE for a name the NetCDF library reads differently
 * (ncfile.h). */
int ilrl_landscape_read(const char *path, struct ilrl_landscape **out);

#endif /* ILRL_LANDSCAPE_IO_H */
