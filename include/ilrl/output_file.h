/* output_file.h -- an output file that appears under its name only when it
 * is complete: the one write-to-temporary-and-rename path of the project,
 * used by the demonstration writer (demo_io.c) and the landscape writer
 * (landscape_io.c, final file and checkpoints).  No NetCDF here: the caller
 * writes the content by name with any library.
 *
 * Life of an output, as Redis's rdbSave does it:
 *   ilrl_output_file_begin(path, force, size, &out)
 *       checks the target (see ilrl_output_file_check), then creates
 *       PATH.tmp.<pid> in the target's directory (same file system, so the
 *       final rename is atomic) and reserves `size` bytes in it with
 *       posix_fallocate;
 *   the caller writes ilrl_output_file_temporary(out) and closes it;
 *   ilrl_output_file_commit(out)
 *       fsyncs the temporary, moves it into place and fsyncs the directory;
 *   ilrl_output_file_free(out)
 *       removes the temporary if it was not committed (every error path).
 * So PATH holds either its previous content (or nothing) or the complete new
 * file; after a SIGKILL at most a PATH.tmp.<pid> is left beside it.
 *
 * Why reserve: netcdf-c 4.9 / HDF5 1.10 do not survive a failed write.  A
 * close that cannot flush leaves the HDF5 file open, and nc_abort() or the
 * library's exit handler then crash (seen on a full disk).  posix_fallocate
 * turns a full disk, a quota or a file-size limit (RLIMIT_FSIZE, EFBIG) into
 * an ordinary errno before the library writes a byte.  `size` must therefore
 * be an upper bound of the file's size.  The libraries truncate the file when
 * they create it, which releases the reserved blocks: the reservation proves
 * that the space was free a moment before, which covers a disk filled by
 * earlier files but not a concurrent writer racing for the last blocks.
 * Where the file system cannot reserve (EINVAL, EOPNOTSUPP) the write is
 * simply attempted.
 *
 * Without `force` the move is link() + unlink(), which never replaces a file
 * that appeared at PATH after the first check; file systems without hard
 * links fall back to a last existence check and rename().  With `force` it
 * is rename() over the old file, after a last check that it is a regular
 * file (or a symbolic link, which is replaced, not followed).
 *
 * Every failure is ILRL_EOUTPUT (ILRL_EFAILED for out of memory) with one
 * message that names PATH and, where one was involved, the temporary.
 */
#ifndef ILRL_OUTPUT_FILE_H
#define ILRL_OUTPUT_FILE_H

#include <sys/types.h>

struct ilrl_output_file;

/* Whether an output to `path` may start, trying exactly the names the write
 * will use: the name is not empty, is not a directory, does not exist
 * (unless `force`; a dangling symbolic link counts as existing), is not a
 * FIFO, device node or socket (never replaced, even with `force`: as root,
 * --out /dev/null --force would otherwise replace /dev/null), its directory
 * exists and is writable, and both PATH and PATH.tmp.<pid> fit PATH_MAX and
 * the directory's NAME_MAX.  Programs call it before a long computation, so
 * that the result is not lost at the end; a checkpoint is checked the same
 * way with force = 1.  Returns ILRL_OK or ILRL_EOUTPUT, e.g. "out.nc exists
 * (use --force to overwrite)" or "x/out.nc: cannot write in directory x: No
 * such file or directory". */
int ilrl_output_file_check(const char *path, int force);

/* "a FIFO", "a character device", ... for a stat() mode, for messages. */
const char *ilrl_output_file_type_name(mode_t mode);

/* Starts an output to `path` reserving `size` bytes (0: no reservation).
 * On success *out owns the handle (free with ilrl_output_file_free).  On
 * failure *out is NULL, nothing is left on disk, and the status is
 * ILRL_EOUTPUT ("PATH: no room for the file (1.2 MB) in its directory: No
 * space left on device", ...) or ILRL_EFAILED. */
int ilrl_output_file_begin(const char *path, int force, off_t size,
                           struct ilrl_output_file **out);

/* The temporary file's name ("PATH.tmp.<pid>"), valid until free. */
const char *ilrl_output_file_temporary(const struct ilrl_output_file *file);

/* The final name given to begin. */
const char *ilrl_output_file_path(const struct ilrl_output_file *file);

/* Makes the written temporary durable and puts it under the final name (see
 * above); call it once, after the temporary is closed.  ILRL_OK, or ILRL_EOUTPUT with the temporary removed and PATH as it
 * was ("PATH exists (use --force to overwrite)" when a file appeared there). */
int ilrl_output_file_commit(struct ilrl_output_file *file);

/* Removes the temporaries PATH<suffix>.tmp.<pid> (for each of the
 * n_suffixes suffixes, "" for PATH's own) that a run killed mid-write left
 * behind: only exact names of that pattern, only when <pid> is not this
 * process and no longer runs (gone, or a zombie nobody reaps).  Each removal
 * is said through ilrl_notice().  A directory that cannot be listed is left
 * alone (the write itself will say what is wrong). */
void ilrl_output_file_remove_stale(const char *path, const char *const suffixes[],
                                   size_t n_suffixes);

/* Removes the temporary unless committed, and frees; accepts NULL. */
void ilrl_output_file_free(struct ilrl_output_file *file);

#endif /* ILRL_OUTPUT_FILE_H */
