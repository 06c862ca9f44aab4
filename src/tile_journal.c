/* tile_journal.c -- the append-only record of finished tiles (see
 * include/ilrl/tile_journal.h for the format and the fsync policy).  Plain
 * POSIX; no MPI, no NetCDF. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ilrl/error.h"
#include "ilrl/tile_journal.h"

#define FNV_OFFSET UINT64_C(14695981039346656037)
#define FNV_PRIME UINT64_C(1099511628211)
#define RECORD_HEADER_WORDS 6   /* marker, index, x0, y0, nx, ny */

static const char MAGIC[8] = {'I', 'L', 'R', 'L', 'T', 'J', '1', '\n'};

struct ilrl_tile_journal {
    char *path;
    int fd;
    struct ilrl_tile_journal_binding binding;
    size_t appended;
    int dirty;                /* appended since the last sync */
    unsigned char *buffer;    /* one record, grown as needed */
    size_t buffer_size;
};

uint64_t ilrl_tile_journal_checksum(uint64_t hash, const void *words, size_t n_words)
{
    const unsigned char *bytes = words;
    for (size_t k = 0; k < n_words; k++) {
        uint64_t word;
        memcpy(&word, bytes + 8 * k, sizeof word);
        hash ^= word;
        hash *= FNV_PRIME;
    }
    return hash;
}

static void encode_header(const struct ilrl_tile_journal_binding *binding,
                          unsigned char header[ILRL_TILE_JOURNAL_HEADER_SIZE])
{
    uint64_t words[7] = {binding->settings, binding->checkpoint, binding->grid_nx,
                         binding->grid_ny, binding->n_values, 0, 0};
    memcpy(header, MAGIC, sizeof MAGIC);
    memcpy(header + 8, words, 6 * sizeof words[0]);
    words[6] = ilrl_tile_journal_checksum(FNV_OFFSET, header, 7);
    memcpy(header + 56, &words[6], sizeof words[6]);
}

/* 1 when the header is a journal's (magic and checksum), filling *binding. */
static int decode_header(const unsigned char header[ILRL_TILE_JOURNAL_HEADER_SIZE],
                         struct ilrl_tile_journal_binding *binding)
{
    uint64_t words[7];
    if (memcmp(header, MAGIC, sizeof MAGIC) != 0)
        return 0;
    memcpy(words, header + 8, sizeof words);
    if (words[6] != ilrl_tile_journal_checksum(FNV_OFFSET, header, 7))
        return 0;
    binding->settings = words[0];
    binding->checkpoint = words[1];
    binding->grid_nx = words[2];
    binding->grid_ny = words[3];
    binding->n_values = words[4];
    return 1;
}

static int write_all(int fd, const void *data, size_t n)
{
    const unsigned char *bytes = data;
    while (n > 0) {
        ssize_t written = write(fd, bytes, n);
        if (written < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        bytes += written;
        n -= (size_t)written;
    }
    return 0;
}

/* fsync of the directory holding path, so a rename in it is durable. */
static void sync_directory(const char *path)
{
    char *copy = strdup(path);
    int fd = copy == NULL ? -1 : open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
    free(copy);
}

static struct ilrl_tile_journal *journal_new(const char *path,
                                             const struct ilrl_tile_journal_binding *binding)
{
    struct ilrl_tile_journal *journal = calloc(1, sizeof *journal);
    if (journal == NULL)
        return NULL;
    journal->path = strdup(path);
    journal->fd = -1;
    journal->binding = *binding;
    if (journal->path == NULL) {
        free(journal);
        return NULL;
    }
    return journal;
}

int ilrl_tile_journal_create(const char *path, const struct ilrl_tile_journal_binding *binding,
                             struct ilrl_tile_journal **out)
{
    unsigned char header[ILRL_TILE_JOURNAL_HEADER_SIZE];
    size_t n = strlen(path) + 32;
    char *temporary = malloc(n);
    struct ilrl_tile_journal *journal = journal_new(path, binding);
    int fd = -1, status = ILRL_OK;

    *out = NULL;
    if (temporary == NULL || journal == NULL) {
        free(temporary);
        ilrl_tile_journal_close(journal);
        return ilrl_error(ILRL_EFAILED, "out of memory");
    }
    snprintf(temporary, n, "%s.tmp.%ld", path, (long)getpid());
    encode_header(binding, header);
    fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0666);
    if (fd < 0)
        status = ilrl_error(ILRL_EOUTPUT, "%s: cannot create journal %s: %s", path, temporary,
                            strerror(errno));
    else if (write_all(fd, header, sizeof header) != 0 || fsync(fd) != 0)
        status = ilrl_error(ILRL_EOUTPUT, "%s: cannot write journal %s: %s", path, temporary,
                            strerror(errno));
    else if (rename(temporary, path) != 0)
        status = ilrl_error(ILRL_EOUTPUT, "%s: cannot move journal %s into place: %s", path,
                            temporary, strerror(errno));
    if (status != ILRL_OK) {
        if (fd >= 0)
            close(fd);
        unlink(temporary);
        free(temporary);
        ilrl_tile_journal_close(journal);
        return status;
    }
    sync_directory(path);
    free(temporary);
    /* The descriptor still refers to the renamed file: append through it. */
    if (lseek(fd, 0, SEEK_END) < 0) {
        close(fd);
        ilrl_tile_journal_close(journal);
        return ilrl_error(ILRL_EOUTPUT, "%s: %s", path, strerror(errno));
    }
    journal->fd = fd;
    *out = journal;
    return ILRL_OK;
}

static int same_binding(const struct ilrl_tile_journal_binding *a,
                        const struct ilrl_tile_journal_binding *b)
{
    return a->settings == b->settings && a->checkpoint == b->checkpoint
           && a->grid_nx == b->grid_nx && a->grid_ny == b->grid_ny
           && a->n_values == b->n_values;
}

/* Reads exactly n bytes unless the file ends: returns the bytes read, or -1. */
static ssize_t read_full(int fd, void *data, size_t n)
{
    unsigned char *bytes = data;
    size_t done = 0;
    while (done < n) {
        ssize_t got = read(fd, bytes + done, n - done);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (got == 0)
            break;
        done += (size_t)got;
    }
    return (ssize_t)done;
}

int ilrl_tile_journal_replay(const char *path, const struct ilrl_tile_journal_binding *expected,
                             ilrl_tile_journal_visit_fn visit, void *ctx,
                             struct ilrl_tile_journal_replay *replay)
{
    unsigned char header[ILRL_TILE_JOURNAL_HEADER_SIZE];
    struct stat info;
    double *values = NULL;
    size_t values_size = 0;
    uint64_t offset, size;
    int fd, status = ILRL_OK;

    memset(replay, 0, sizeof *replay);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return ILRL_OK;
        return ilrl_error(ILRL_EOUTPUT, "%s: cannot open journal: %s", path, strerror(errno));
    }
    if (fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
        close(fd);
        return ilrl_error(ILRL_EOUTPUT, "%s: not a regular file", path);
    }
    size = (uint64_t)info.st_size;
    ssize_t got = read_full(fd, header, sizeof header);
    if (got < 0) {
        status = ilrl_error(ILRL_EOUTPUT, "%s: cannot read journal: %s", path, strerror(errno));
        close(fd);
        return status;
    }
    if ((size_t)got < sizeof header || !decode_header(header, &replay->found)) {
        replay->state = ILRL_TILE_JOURNAL_UNREADABLE;
        replay->ignored_bytes = size;
        close(fd);
        return ILRL_OK;
    }
    if (replay->found.settings != expected->settings || replay->found.grid_nx != expected->grid_nx
        || replay->found.grid_ny != expected->grid_ny
        || replay->found.n_values != expected->n_values) {
        replay->state = ILRL_TILE_JOURNAL_OTHER_SETTINGS;
        close(fd);
        return ILRL_OK;
    }
    if (!same_binding(&replay->found, expected)) {
        replay->state = ILRL_TILE_JOURNAL_OTHER_CHECKPOINT;
        close(fd);
        return ILRL_OK;
    }
    replay->state = ILRL_TILE_JOURNAL_USED;
    offset = sizeof header;
    for (;;) {
        uint64_t head[RECORD_HEADER_WORDS], checksum;
        got = read_full(fd, head, sizeof head);
        if (got < 0)
            goto read_error;
        if ((size_t)got < sizeof head || head[0] != ILRL_TILE_JOURNAL_RECORD_MARKER)
            break;
        uint64_t x0 = head[2], y0 = head[3], nx = head[4], ny = head[5];
        /* The geometry must lie inside the grid; this also bounds the size. */
        if (nx == 0 || ny == 0 || x0 >= expected->grid_nx || y0 >= expected->grid_ny
            || nx > expected->grid_nx - x0 || ny > expected->grid_ny - y0)
            break;
        uint64_t n_values = nx * ny * expected->n_values;
        if (n_values > (size - offset) / sizeof(double))
            break;  /* longer than what is left: torn */
        if (n_values > values_size) {
            double *grown = realloc(values, (size_t)n_values * sizeof *values);
            if (grown == NULL) {
                status = ilrl_error(ILRL_EFAILED, "%s: out of memory for a journal record", path);
                break;
            }
            values = grown;
            values_size = (size_t)n_values;
        }
        got = read_full(fd, values, (size_t)n_values * sizeof *values);
        if (got < 0)
            goto read_error;
        if ((size_t)got < n_values * sizeof *values)
            break;
        got = read_full(fd, &checksum, sizeof checksum);
        if (got < 0)
            goto read_error;
        if ((size_t)got < sizeof checksum)
            break;
        uint64_t hash = ilrl_tile_journal_checksum(FNV_OFFSET, head, RECORD_HEADER_WORDS);
        if (ilrl_tile_journal_checksum(hash, values, (size_t)n_values) != checksum)
            break;
        struct ilrl_tile_journal_record record = {head[1], x0, y0, nx, ny, values};
        if (visit != NULL && (status = visit(ctx, &record)) != ILRL_OK)
            break;
        replay->n_records++;
        offset += sizeof head + n_values * sizeof(double) + sizeof checksum;
    }
    replay->valid_bytes = offset;
    replay->ignored_bytes = size > offset ? size - offset : 0;
    free(values);
    close(fd);
    return status;

read_error:
    status = ilrl_error(ILRL_EOUTPUT, "%s: cannot read journal: %s", path, strerror(errno));
    free(values);
    close(fd);
    return status;
}

int ilrl_tile_journal_open_append(const char *path, const struct ilrl_tile_journal_binding *binding,
                                  const struct ilrl_tile_journal_replay *replay,
                                  struct ilrl_tile_journal **out)
{
    struct ilrl_tile_journal *journal;
    int fd;

    *out = NULL;
    if (replay->state != ILRL_TILE_JOURNAL_USED || !same_binding(&replay->found, binding))
        return ilrl_error(ILRL_EFAILED, "%s: journal was not accepted by a replay", path);
    journal = journal_new(path, binding);
    if (journal == NULL)
        return ilrl_error(ILRL_EFAILED, "out of memory");
    fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0 || ftruncate(fd, (off_t)replay->valid_bytes) != 0
        || lseek(fd, 0, SEEK_END) < 0 || fdatasync(fd) != 0) {
        int status = ilrl_error(ILRL_EOUTPUT, "%s: cannot continue journal: %s", path,
                                strerror(errno));
        if (fd >= 0)
            close(fd);
        ilrl_tile_journal_close(journal);
        return status;
    }
    journal->fd = fd;
    *out = journal;
    return ILRL_OK;
}

int ilrl_tile_journal_append(struct ilrl_tile_journal *journal, uint64_t index, uint64_t x0,
                             uint64_t y0, uint64_t nx, uint64_t ny, const double *values)
{
    uint64_t head[RECORD_HEADER_WORDS] = {ILRL_TILE_JOURNAL_RECORD_MARKER, index, x0, y0, nx, ny};
    size_t n_values = (size_t)(nx * ny * journal->binding.n_values);
    size_t size = sizeof head + n_values * sizeof(double) + sizeof(uint64_t);

    if (size > journal->buffer_size) {
        unsigned char *grown = realloc(journal->buffer, size);
        if (grown == NULL)
            return ilrl_error(ILRL_EFAILED, "out of memory for a journal record");
        journal->buffer = grown;
        journal->buffer_size = size;
    }
    uint64_t hash = ilrl_tile_journal_checksum(FNV_OFFSET, head, RECORD_HEADER_WORDS);
    hash = ilrl_tile_journal_checksum(hash, values, n_values);
    memcpy(journal->buffer, head, sizeof head);
    memcpy(journal->buffer + sizeof head, values, n_values * sizeof(double));
    memcpy(journal->buffer + size - sizeof hash, &hash, sizeof hash);
    /* One write: a kill leaves this record whole or torn, never interleaved. */
    if (write_all(journal->fd, journal->buffer, size) != 0)
        return ilrl_error(ILRL_EOUTPUT, "%s: cannot append to journal: %s", journal->path,
                          strerror(errno));
    journal->appended++;
    journal->dirty = 1;
    return ILRL_OK;
}

int ilrl_tile_journal_sync(struct ilrl_tile_journal *journal)
{
    if (!journal->dirty)
        return ILRL_OK;
    if (fdatasync(journal->fd) != 0)
        return ilrl_error(ILRL_EOUTPUT, "%s: cannot sync journal: %s", journal->path,
                          strerror(errno));
    journal->dirty = 0;
    return ILRL_OK;
}

size_t ilrl_tile_journal_appended(const struct ilrl_tile_journal *journal)
{
    return journal->appended;
}

void ilrl_tile_journal_close(struct ilrl_tile_journal *journal)
{
    if (journal == NULL)
        return;
    if (journal->fd >= 0)
        close(journal->fd);
    free(journal->path);
    free(journal->buffer);
    free(journal);
}
