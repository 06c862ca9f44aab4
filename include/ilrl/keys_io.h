/* keys_io.h -- reading the keys file of `ilrl-demo --pilot keys:FILE`.
 *
 * FILE holds one session frame index (decimal, >= 0) per line; blank lines
 * and lines starting with '#' are skipped; any order, duplicates harmless
 * (see ilrl_pilot_keys in pilot.h for what the frames mean).  The file is a
 * command-line argument, so every problem is ILRL_EUSAGE (exit 2) with one
 * message naming the file:
 *   - not a regular file (a FIFO, a device such as /dev/zero, a directory):
 *     refused before reading a byte, so nothing can hang;
 *   - larger than ILRL_KEYS_MAX_BYTES, or more than ILRL_KEYS_MAX_LINES
 *     lines (checked before and while reading): a bound far above any real
 *     session -- a million flaps are more than nine hours of play at 30 fps
 *     flapping every frame -- that keeps memory small;
 *   - a line that is not such an index, or longer than 255 characters:
 *     "FILE:LINE: expected one frame index >= 0 per line, got '...'";
 *   - unreadable: the system's reason.
 * Memory: on success *frames (malloc'ed, in file order; NULL when *n is 0)
 * belongs to the caller, who frees it.  On error *frames is NULL, *n 0.
 */
#ifndef ILRL_KEYS_IO_H
#define ILRL_KEYS_IO_H

#include <stddef.h>

#define ILRL_KEYS_MAX_BYTES (16L * 1024 * 1024)
#define ILRL_KEYS_MAX_LINES 1000000L

int ilrl_keys_read(const char *path, long **frames, size_t *n);

#endif /* ILRL_KEYS_IO_H */
