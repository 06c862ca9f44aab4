/* classic_header.c -- owns the pre-open check of NetCDF classic headers (see
 * include/ilrl/classic_header.h).  The layout walked here is the "NetCDF
 * Classic Format Specification" (CDF-1, CDF-2 64-bit offset, CDF-5 64-bit
 * data):
 *   header    = magic numrecs dim_list gatt_list var_list
 *   list      = ABSENT (two zero words) | TAG nelems [element ...]
 *   name      = nelems chars, padded to 4 bytes
 *   dim       = name length
 *   attribute = name nc_type nelems values, padded to 4 bytes
 *   variable  = name ndims dimid... vatt_list nc_type vsize begin
 * Counts (nelems, lengths, dimids, vsize) are 4 bytes, 8 in CDF-5; begin is
 * 4 bytes in CDF-1, 8 otherwise; TAG and nc_type are 4 bytes; big-endian.
 * Beyond sizes, a variable's shape is checked where netcdf-c would crash
 * (read_variable_shape), and its data must lie within the file
 * (check_data_extents). */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ilrl/classic_header.h"
#include "ilrl/error.h"

#define TAG_DIMENSION 0x0A
#define TAG_VARIABLE 0x0B
#define TAG_ATTRIBUTE 0x0C
#define NC_NAME_SHOWN 64

struct header_reader {
    const char *path;
    FILE *file;
    uint64_t left;       /* bytes of the file not yet consumed */
    uint64_t size;       /* the file's size */
    int version;         /* 1, 2 or 5 */
};

/* Where a variable's data lie, as the header says. */
struct extent {
    char name[NC_NAME_SHOWN + 1]; /* for messages; cut if longer */
    int is_record;       /* its first dimension is the record dimension */
    double bytes;        /* one record's values (all of them if !is_record), unpadded */
    uint64_t begin;      /* offset of its first byte */
};

static int damaged(const struct header_reader *reader, const char *what,
                   uint64_t claimed, const char *unit)
{
    return ilrl_error(ILRL_EINPUT, "%s: not a NetCDF file, or a truncated or "
                      "damaged one (classic header: %s claims %llu %s, %llu bytes "
                      "left)", reader->path, what, (unsigned long long)claimed,
                      unit, (unsigned long long)reader->left);
}

/* Consumes n bytes into buf (NULL: skips them). */
static int take(struct header_reader *reader, void *buf, uint64_t n, const char *what)
{
    if (n > reader->left)
        return damaged(reader, what, n, "bytes");
    if (buf != NULL ? fread(buf, 1, (size_t)n, reader->file) != n
                    : fseeko(reader->file, (off_t)n, SEEK_CUR) != 0)
        return damaged(reader, what, n, "bytes");
    reader->left -= n;
    return ILRL_OK;
}

static int read_word(struct header_reader *reader, int wide, uint64_t *value,
                     const char *what)
{
    unsigned char bytes[8];
    int n = wide ? 8 : 4;
    int status = take(reader, bytes, (uint64_t)n, what);

    *value = 0;
    for (int i = 0; status == ILRL_OK && i < n; i++)
        *value = (*value << 8) | bytes[i];
    return status;
}

static int read_count(struct header_reader *reader, uint64_t *value, const char *what)
{
    return read_word(reader, reader->version == 5, value, what);
}

/* A count of elements of at least `unit` bytes each must fit in the file. */
static int claim(const struct header_reader *reader, uint64_t count, uint64_t unit,
                 const char *what)
{
    if (count > reader->left / unit)
        return damaged(reader, what, count, unit == 1 ? "bytes" : "entries");
    return ILRL_OK;
}

static int skip_padded(struct header_reader *reader, uint64_t n, const char *what)
{
    int status = claim(reader, n, 1, what);
    if (status == ILRL_OK)
        status = take(reader, NULL, (n + 3) & ~(uint64_t)3, what);
    return status;
}

static int skip_name(struct header_reader *reader, const char *what)
{
    uint64_t length;
    int status = read_count(reader, &length, what);
    if (status == ILRL_OK)
        status = skip_padded(reader, length, what);
    return status;
}

/* The size of one value of an external nc_type, 0 for an unknown type. */
static uint64_t type_size(uint64_t type)
{
    static const uint64_t sizes[] = { 0, 1, 1, 2, 4, 4, 8, 1, 2, 4, 8, 8 };
    return type < sizeof sizes / sizeof sizes[0] ? sizes[type] : 0;
}

/* Reads a list header: *count elements (0 for ABSENT) with the expected tag. */
static int read_list(struct header_reader *reader, uint64_t tag_expected,
                     uint64_t *count, const char *what)
{
    uint64_t tag;
    int status = read_word(reader, 0, &tag, what);
    if (status == ILRL_OK)
        status = read_count(reader, count, what);
    if (status == ILRL_OK && tag != tag_expected && !(tag == 0 && *count == 0))
        return ilrl_error(ILRL_EINPUT, "%s: not a NetCDF file, or a truncated or "
                          "damaged one (classic header: bad tag in the %s)",
                          reader->path, what);
    /* Every element takes at least 8 bytes (a name length and one word). */
    if (status == ILRL_OK)
        status = claim(reader, *count, 8, what);
    return status;
}

static int skip_attributes(struct header_reader *reader, const char *what)
{
    uint64_t count;
    int status = read_list(reader, TAG_ATTRIBUTE, &count, what);

    for (uint64_t k = 0; status == ILRL_OK && k < count; k++) {
        uint64_t type, n_values;
        status = skip_name(reader, what);
        if (status == ILRL_OK)
            status = read_word(reader, 0, &type, what);
        if (status == ILRL_OK && type_size(type) == 0)
            return ilrl_error(ILRL_EINPUT, "%s: not a NetCDF file, or a truncated "
                              "or damaged one (classic header: unknown type %llu "
                              "in the %s)", reader->path, (unsigned long long)type,
                              what);
        if (status == ILRL_OK)
            status = read_count(reader, &n_values, what);
        if (status == ILRL_OK)
            status = claim(reader, n_values, type_size(type), what);
        if (status == ILRL_OK)
            status = skip_padded(reader, n_values * type_size(type), what);
    }
    return status;
}

/* Checks a variable's shape as far as netcdf-c relies on it: dimension ids
 * in range, the record dimension (length 0) only first, a known type.
 * netcdf-c 4.9 divides by the product of the sizes in NC_check_vlen and
 * dies of SIGFPE on a record dimension elsewhere (tests/fuzz/README.md). */
static int read_variable_shape(struct header_reader *reader, const uint64_t *dim_lengths,
                               uint64_t n_dimensions, struct extent *extent)
{
    uint64_t n_dims, dimid, type = 0, word;
    double values = 1.0;
    int status = read_count(reader, &n_dims, "variable list");

    extent->is_record = 0;

    if (status == ILRL_OK)
        status = claim(reader, n_dims, reader->version == 5 ? 8 : 4,
                       "variable's dimension ids");
    for (uint64_t d = 0; status == ILRL_OK && d < n_dims; d++) {
        status = read_count(reader, &dimid, "variable's dimension ids");
        if (status == ILRL_OK && dimid >= n_dimensions)
            return ilrl_error(ILRL_EINPUT, "%s: not a NetCDF file, or a truncated or "
                              "damaged one (classic header: a variable uses dimension "
                              "id %llu of %llu)", reader->path,
                              (unsigned long long)dimid, (unsigned long long)n_dimensions);
        if (status == ILRL_OK && d > 0 && dim_lengths[dimid] == 0)
            return ilrl_error(ILRL_EINPUT, "%s: not a NetCDF file, or a truncated or "
                              "damaged one (classic header: a variable has the record "
                              "dimension in place %llu, not first)", reader->path,
                              (unsigned long long)d + 1);
        if (status == ILRL_OK && dim_lengths[dimid] == 0)
            extent->is_record = 1;
        else if (status == ILRL_OK)
            values *= (double)dim_lengths[dimid];
    }
    if (status == ILRL_OK)
        status = skip_attributes(reader, "variable attributes");
    if (status == ILRL_OK)
        status = read_word(reader, 0, &type, "variable list");
    if (status == ILRL_OK && (type_size(type) == 0 || (reader->version != 5 && type > 6)))
        return ilrl_error(ILRL_EINPUT, "%s: not a NetCDF file, or a truncated or "
                          "damaged one (classic header: a variable has unknown type "
                          "%llu)", reader->path, (unsigned long long)type);
    if (status == ILRL_OK)
        status = read_count(reader, &word, "variable list");           /* vsize */
    if (status == ILRL_OK)
        status = read_word(reader, reader->version != 1, &extent->begin,
                           "variable list");
    extent->bytes = values * (double)type_size(type);
    return status;
}

/* The name of a list element, kept (cut to NC_NAME_SHOWN) for messages. */
static int read_name(struct header_reader *reader, char *name, const char *what)
{
    uint64_t length;
    int status = read_count(reader, &length, what);

    name[0] = '\0';
    if (status == ILRL_OK)
        status = claim(reader, length, 1, what);
    if (status == ILRL_OK && length <= NC_NAME_SHOWN) {
        status = take(reader, name, length, what);
        name[status == ILRL_OK ? length : 0] = '\0';
        if (status == ILRL_OK)
            status = take(reader, NULL, ((length + 3) & ~(uint64_t)3) - length, what);
        return status;
    }
    if (status == ILRL_OK)
        status = take(reader, NULL, (length + 3) & ~(uint64_t)3, what);
    return status;
}

/* netcdf-c reads the part of a variable beyond the end of a short file as
 * zeros: every variable's data must lie within the file.  Records are
 * laid out one after another, each holding every record variable padded to
 * 4 bytes (unpadded when there is only one: the format's special case). */
static int check_data_extents(const struct header_reader *reader, uint64_t numrecs,
                              const struct extent *extents, uint64_t count)
{
    double record_size = 0.0;
    uint64_t n_record_variables = 0;
    int streaming = numrecs == (reader->version == 5 ? UINT64_MAX : 0xFFFFFFFFu);

    for (uint64_t k = 0; k < count; k++)
        if (extents[k].is_record) {
            n_record_variables++;
            record_size += 4.0 * ceil(extents[k].bytes / 4.0);
        }
    if (n_record_variables == 1)
        for (uint64_t k = 0; k < count; k++)
            if (extents[k].is_record)
                record_size = extents[k].bytes;
    for (uint64_t k = 0; k < count; k++) {
        const struct extent *e = &extents[k];
        double end;
        if (e->is_record && (numrecs == 0 || streaming || e->bytes == 0))
            continue;
        end = (double)e->begin + e->bytes
              + (e->is_record ? (double)(numrecs - 1) * record_size : 0.0);
        if (e->bytes > 0 && end > (double)reader->size)
            return ilrl_error(ILRL_EINPUT, "%s: truncated file: the data of variable "
                              "'%s' end at byte %.0f, but the file has %llu bytes",
                              reader->path, e->name, end,
                              (unsigned long long)reader->size);
    }
    return ILRL_OK;
}

/* More dimensions than any file of ours needs by far; bounds the table. */
#define MAX_DIMENSIONS 65536

static int walk_header(struct header_reader *reader)
{
    uint64_t numrecs, n_dimensions, count;
    uint64_t *dim_lengths = NULL;
    struct extent *extents = NULL;
    int status = read_count(reader, &numrecs, "record count");

    if (status == ILRL_OK)
        status = read_list(reader, TAG_DIMENSION, &n_dimensions, "dimension list");
    if (status == ILRL_OK && n_dimensions > MAX_DIMENSIONS)
        return damaged(reader, "dimension list", n_dimensions, "entries");
    if (status == ILRL_OK && n_dimensions > 0) {
        dim_lengths = malloc(n_dimensions * sizeof *dim_lengths);
        if (dim_lengths == NULL)
            return ilrl_error(ILRL_EFAILED, "%s: out of memory", reader->path);
    }
    for (uint64_t k = 0; status == ILRL_OK && k < n_dimensions; k++) {
        status = skip_name(reader, "dimension list");
        if (status == ILRL_OK)
            status = read_count(reader, &dim_lengths[k], "dimension list");
    }
    if (status == ILRL_OK)
        status = skip_attributes(reader, "global attributes");
    if (status == ILRL_OK)
        status = read_list(reader, TAG_VARIABLE, &count, "variable list");
    if (status == ILRL_OK && count > 0) {
        /* read_list bounded count by the bytes left: at most size / 8. */
        extents = calloc((size_t)count, sizeof *extents);
        if (extents == NULL) {
            free(dim_lengths);
            return ilrl_error(ILRL_EFAILED, "%s: out of memory", reader->path);
        }
    }
    for (uint64_t k = 0; status == ILRL_OK && k < count; k++) {
        status = read_name(reader, extents[k].name, "variable list");
        if (status == ILRL_OK)
            status = read_variable_shape(reader, dim_lengths, n_dimensions, &extents[k]);
    }
    if (status == ILRL_OK)
        status = check_data_extents(reader, numrecs, extents, count);
    free(extents);
    free(dim_lengths);
    return status;
}

int ilrl_classic_header_check(const char *path)
{
    struct header_reader reader = { path, NULL, 0, 0, 0 };
    unsigned char magic[4];
    struct stat info;
    int status = ILRL_OK;

    reader.file = fopen(path, "rb");
    if (reader.file == NULL)
        return ILRL_OK; /* nc_open says why, in its words */
    if (fstat(fileno(reader.file), &info) != 0 || !S_ISREG(info.st_mode)
        || fread(magic, 1, 4, reader.file) != 4 || memcmp(magic, "CDF", 3) != 0
        || (magic[3] != 1 && magic[3] != 2 && magic[3] != 5)) {
        fclose(reader.file);
        return ILRL_OK; /* not a classic file: not ours to judge */
    }
    reader.version = magic[3];
    reader.size = (uint64_t)info.st_size;
    reader.left = reader.size - 4;
    status = walk_header(&reader);
    fclose(reader.file);
    return status;
}
