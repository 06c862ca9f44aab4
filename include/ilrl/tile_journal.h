/* tile_journal.h -- an append-only record of the tiles finished since the
 * last full checkpoint, so that saving on a signal costs one fsync whatever
 * the grid's size (the write-ahead idea of SQLite's WAL and Redis' AOF).
 * Plain C and POSIX: no MPI, no NetCDF.
 *
 * Life of a journal (the landscape engine's use; see docs/distribution.md):
 *   - a run starts a journal bound to the full checkpoint on disk (or to
 *     none) and appends each finished tile as rank 0 stores it;
 *   - a periodic full checkpoint holds every tile of the journal: once it is
 *     in place, a new empty journal bound to it replaces the old one
 *     (ilrl_tile_journal_create writes a temporary and renames it, so the
 *     name always holds a whole header);
 *   - on a signal, one ilrl_tile_journal_sync makes every appended tile
 *     durable; nothing else has to be written;
 *   - --resume reads the checkpoint, then replays the journal records that
 *     belong to it, and keeps appending to the same journal
 *     (ilrl_tile_journal_open_append, which cuts off a torn tail first).
 *
 * File format (integers and doubles in the machine's native byte order: a
 * journal is read back by the run that continues on the same cluster; on a
 * machine of the other order its fingerprints do not match and it is
 * refused):
 *   header, 64 bytes:
 *     char     magic[8]      "ILRLTJ1\n"
 *     uint64   settings      fingerprint of everything that decides a
 *                            point's values (the caller computes it)
 *     uint64   checkpoint    fingerprint of the full checkpoint the journal
 *                            extends, 0 = no checkpoint
 *     uint64   grid_nx, grid_ny
 *     uint64   n_values      doubles per point
 *     uint64   reserved      0
 *     uint64   checksum      of the 56 bytes before it
 *   records, one after the other:
 *     uint64   marker        ILRL_TILE_JOURNAL_RECORD_MARKER
 *     uint64   index         the tile's index in the run's tiling
 *     uint64   x0, y0, nx, ny   the points it covers (x0 + nx <= grid_nx ...)
 *     double   values[ny * nx * n_values]   point-major, as the engine's tiles
 *     uint64   checksum      of everything from marker to the last value
 * A record carries its geometry, not only its index, so a resume with
 * another --tile still places it right.
 *
 * Checksum: FNV-1a over 64-bit words (each word xor'd in, then multiplied by
 * the FNV prime), seeded with the FNV offset basis.  It is not a security
 * hash; it tells a torn or overwritten record from a whole one.
 *
 * A torn last record.  A record is written with one write(2) call, so a
 * process killed at any point (SIGKILL) leaves the journal ending in whole
 * records and at most one partial one; a machine crash may in addition
 * lose what was not yet synced.  Replay stops at the first record that is
 * short, has a bad marker or checksum, or has a geometry outside the grid,
 * and reports the bytes it ignored; every record before it is used.
 *
 * fsync policy.  Measured on ext4 (2-core VM, virtio disk): fdatasync after
 * appending one 16x16 tile of two values (4 KB) takes 0.3 ms median, 0.4 ms
 * at the 90th percentile, 7 ms at worst over 200 appends; a tile takes
 * 10-100 ms to compute (the benchmark's sizing).  The caller appends each tile with write(2)
 * -- that alone survives the death of the process, which is what signals
 * and SIGKILL do -- and calls ilrl_tile_journal_sync at most once a second
 * while running (group commit, as Redis' "appendfsync everysec"), at once
 * on a stop signal, and before leaving.  So a machine crash loses at most
 * the last second's tiles, and rank 0 never waits on the disk per tile.
 *
 * Errors: ILRL_EOUTPUT naming the journal's path and the system error.
 */
#ifndef ILRL_TILE_JOURNAL_H
#define ILRL_TILE_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#define ILRL_TILE_JOURNAL_HEADER_SIZE 64
#define ILRL_TILE_JOURNAL_RECORD_MARKER UINT64_C(0x4452434552544c49)  /* "ILTRECRD" */

/* What a journal belongs to: a replay accepts records only when every
 * field equals the expected one. */
struct ilrl_tile_journal_binding {
    uint64_t settings;        /* caller's fingerprint of the run's settings */
    uint64_t checkpoint;      /* fingerprint of the full checkpoint, 0 = none */
    uint64_t grid_nx, grid_ny;
    uint64_t n_values;        /* doubles per point, >= 1 */
};

/* One record as replay hands it over. */
struct ilrl_tile_journal_record {
    uint64_t index;
    uint64_t x0, y0, nx, ny;
    const double *values;     /* ny * nx * n_values, valid during the call */
};

/* The verdict of a replay. */
enum ilrl_tile_journal_state {
    ILRL_TILE_JOURNAL_ABSENT = 0,   /* no file: nothing to replay */
    ILRL_TILE_JOURNAL_USED,         /* header matched: records were replayed */
    ILRL_TILE_JOURNAL_UNREADABLE,   /* shorter than a header, or not a journal */
    ILRL_TILE_JOURNAL_OTHER_SETTINGS,  /* made for other settings or grid */
    ILRL_TILE_JOURNAL_OTHER_CHECKPOINT /* extends another full checkpoint */
};

struct ilrl_tile_journal_replay {
    enum ilrl_tile_journal_state state;
    struct ilrl_tile_journal_binding found;  /* the file's header (when readable) */
    size_t n_records;         /* whole records replayed */
    uint64_t valid_bytes;     /* header + whole records: where appending resumes */
    uint64_t ignored_bytes;   /* torn or corrupt tail after them */
};

/* Per record: a nonzero return stops the replay with that status. */
typedef int (*ilrl_tile_journal_visit_fn)(void *ctx, const struct ilrl_tile_journal_record *record);

struct ilrl_tile_journal;

/* The checksum of the format above, over n_words 64-bit words. */
uint64_t ilrl_tile_journal_checksum(uint64_t hash, const void *words, size_t n_words);

/* Starts an empty journal at `path` bound to `binding`: writes the header
 * to PATH.tmp.<pid>, fsyncs it, renames it over `path` and fsyncs the
 * directory, so `path` holds either the old journal or the new one.  The
 * handle appends to it.  Returns ILRL_OK or ILRL_EOUTPUT (*out = NULL). */
int ilrl_tile_journal_create(const char *path, const struct ilrl_tile_journal_binding *binding,
                             struct ilrl_tile_journal **out);

/* Reads `path`, checks its header against `expected` and calls `visit` for
 * each whole record in order (visit may be NULL).  Fills *replay.  A missing
 * file, a file that is not a journal and a foreign header are not errors:
 * replay->state says which.  Returns ILRL_OK, ILRL_EOUTPUT when the file
 * cannot be read, or visit's status. */
int ilrl_tile_journal_replay(const char *path, const struct ilrl_tile_journal_binding *expected,
                             ilrl_tile_journal_visit_fn visit, void *ctx,
                             struct ilrl_tile_journal_replay *replay);

/* Continues a journal that a replay accepted: cuts it to
 * replay->valid_bytes (dropping a torn tail) and appends after it. */
int ilrl_tile_journal_open_append(const char *path, const struct ilrl_tile_journal_binding *binding,
                                  const struct ilrl_tile_journal_replay *replay,
                                  struct ilrl_tile_journal **out);

/* Appends one tile (ny * nx * n_values doubles) with one write(2).  No
 * fsync (see the policy above).  ILRL_OK or ILRL_EOUTPUT. */
int ilrl_tile_journal_append(struct ilrl_tile_journal *journal, uint64_t index, uint64_t x0,
                             uint64_t y0, uint64_t nx, uint64_t ny, const double *values);

/* fdatasync: every appended record is durable on return.  Cheap when
 * nothing was appended since the last sync. */
int ilrl_tile_journal_sync(struct ilrl_tile_journal *journal);

/* Records appended through this handle since it was opened. */
size_t ilrl_tile_journal_appended(const struct ilrl_tile_journal *journal);

/* Closes (no sync); NULL is fine. */
void ilrl_tile_journal_close(struct ilrl_tile_journal *journal);

#endif /* ILRL_TILE_JOURNAL_H */
