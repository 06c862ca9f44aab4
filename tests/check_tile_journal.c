/* check_tile_journal.c -- the append-only tile journal (tile_journal.h):
 * round trip, a torn last record cut at every byte, a flipped bit, foreign
 * headers, continuing after a torn tail, and the atomic replacement. */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>

#include "ilrl/error.h"
#include "ilrl/tile_journal.h"
#include "testutil.h"

static const struct ilrl_tile_journal_binding BINDING = {
    .settings = UINT64_C(0x1234567890abcdef), .checkpoint = 77, .grid_nx = 10, .grid_ny = 7,
    .n_values = 2,
};

/* What a replay saw: up to 16 records, values copied. */
struct seen {
    size_t n;
    struct ilrl_tile_journal_record records[16];
    double values[16][64];
};

static int visit(void *ctx, const struct ilrl_tile_journal_record *record)
{
    struct seen *seen = ctx;
    size_t n_values = (size_t)(record->nx * record->ny * BINDING.n_values);
    ck_assert_uint_lt(seen->n, 16);
    ck_assert_uint_le(n_values, 64);
    seen->records[seen->n] = *record;
    memcpy(seen->values[seen->n], record->values, n_values * sizeof(double));
    seen->n++;
    return ILRL_OK;
}

static void setup(void)
{
    test_scratch_create("check_tile_journal");
}

/* Value v of tile t: distinct, with a NaN and a negative zero among them. */
static double tile_value(size_t t, size_t v)
{
    if (t == 1 && v == 3)
        return NAN;
    if (t == 2 && v == 0)
        return -0.0;
    return (double)(t * 100 + v) + 0.125;
}

static const uint64_t GEOMETRY[3][4] = {{0, 0, 4, 3}, {4, 0, 4, 3}, {8, 3, 2, 4}};

/* Writes a journal with three tiles; returns its size. */
static long write_three(const char *path)
{
    struct ilrl_tile_journal *journal = NULL;
    double values[64];
    struct stat info;
    ck_assert_int_eq(ilrl_tile_journal_create(path, &BINDING, &journal), ILRL_OK);
    for (size_t t = 0; t < 3; t++) {
        size_t n = (size_t)(GEOMETRY[t][2] * GEOMETRY[t][3] * BINDING.n_values);
        for (size_t v = 0; v < n; v++)
            values[v] = tile_value(t, v);
        ck_assert_int_eq(ilrl_tile_journal_append(journal, t + 5, GEOMETRY[t][0], GEOMETRY[t][1],
                                                  GEOMETRY[t][2], GEOMETRY[t][3], values),
                         ILRL_OK);
    }
    ck_assert_uint_eq(ilrl_tile_journal_appended(journal), 3);
    ck_assert_int_eq(ilrl_tile_journal_sync(journal), ILRL_OK);
    ilrl_tile_journal_close(journal);
    ck_assert_int_eq(stat(path, &info), 0);
    return (long)info.st_size;
}

static void assert_tile(const struct seen *seen, size_t t)
{
    const struct ilrl_tile_journal_record *r = &seen->records[t];
    ck_assert_uint_eq(r->index, t + 5);
    ck_assert_uint_eq(r->x0, GEOMETRY[t][0]);
    ck_assert_uint_eq(r->y0, GEOMETRY[t][1]);
    ck_assert_uint_eq(r->nx, GEOMETRY[t][2]);
    ck_assert_uint_eq(r->ny, GEOMETRY[t][3]);
    size_t n = (size_t)(r->nx * r->ny * BINDING.n_values);
    for (size_t v = 0; v < n; v++) {
        double want = tile_value(t, v);
        /* bit for bit: NaN and -0.0 included */
        ck_assert_int_eq(memcmp(&seen->values[t][v], &want, sizeof want), 0);
    }
}

START_TEST(test_round_trip)
{
    const char *path = test_scratch_path("j");
    struct seen seen = {0};
    struct ilrl_tile_journal_replay replay;
    long size = write_three(path);

    /* 64-byte header; a record is 6 words + values + 1 checksum word. */
    ck_assert_int_eq(size, 64 + (7 + 24) * 8 + (7 + 24) * 8 + (7 + 16) * 8);
    ck_assert_int_eq(ilrl_tile_journal_replay(path, &BINDING, visit, &seen, &replay), ILRL_OK);
    ck_assert_int_eq(replay.state, ILRL_TILE_JOURNAL_USED);
    ck_assert_uint_eq(replay.n_records, 3);
    ck_assert_uint_eq(seen.n, 3);
    ck_assert_uint_eq(replay.valid_bytes, (uint64_t)size);
    ck_assert_uint_eq(replay.ignored_bytes, 0);
    for (size_t t = 0; t < 3; t++)
        assert_tile(&seen, t);
    /* no temporary left beside it */
    ck_assert_int_eq(test_count_temporaries(test_scratch_dir()), 0);
}
END_TEST

START_TEST(test_absent_and_empty)
{
    struct ilrl_tile_journal_replay replay;
    struct ilrl_tile_journal *journal = NULL;
    const char *path = test_scratch_path("j");
    ck_assert_int_eq(ilrl_tile_journal_replay(path, &BINDING, visit, NULL, &replay), ILRL_OK);
    ck_assert_int_eq(replay.state, ILRL_TILE_JOURNAL_ABSENT);
    ck_assert_int_eq(ilrl_tile_journal_create(path, &BINDING, &journal), ILRL_OK);
    ilrl_tile_journal_close(journal);
    ck_assert_int_eq(ilrl_tile_journal_replay(path, &BINDING, visit, NULL, &replay), ILRL_OK);
    ck_assert_int_eq(replay.state, ILRL_TILE_JOURNAL_USED);
    ck_assert_uint_eq(replay.n_records, 0);
    ck_assert_uint_eq(replay.valid_bytes, ILRL_TILE_JOURNAL_HEADER_SIZE);
}
END_TEST

/* A kill can stop the last write after any byte: every prefix replays the
 * whole records before the cut and ignores the rest. */
START_TEST(test_torn_last_record)
{
    const char *path = test_scratch_path("j");
    long size = write_three(path);
    size_t length;
    char *bytes = test_read_file(path, &length);
    long second_end = 64 + 2 * (7 + 24) * 8;

    for (long cut = second_end; cut < size; cut++) {
        struct seen seen = {0};
        struct ilrl_tile_journal_replay replay;
        test_write_bytes(path, bytes, (size_t)cut);
        ck_assert_int_eq(ilrl_tile_journal_replay(path, &BINDING, visit, &seen, &replay), ILRL_OK);
        ck_assert_int_eq(replay.state, ILRL_TILE_JOURNAL_USED);
        ck_assert_uint_eq(replay.n_records, 2);
        ck_assert_uint_eq(replay.valid_bytes, (uint64_t)second_end);
        ck_assert_uint_eq(replay.ignored_bytes, (uint64_t)(cut - second_end));
        assert_tile(&seen, 0);
        assert_tile(&seen, 1);
    }
    /* A header cut short is not a journal at all. */
    for (long cut = 0; cut < 64; cut += 7) {
        struct ilrl_tile_journal_replay replay;
        test_write_bytes(path, bytes, (size_t)cut);
        ck_assert_int_eq(ilrl_tile_journal_replay(path, &BINDING, visit, NULL, &replay), ILRL_OK);
        ck_assert_int_eq(replay.state, ILRL_TILE_JOURNAL_UNREADABLE);
    }
    free(bytes);
}
END_TEST

/* One flipped bit anywhere in a record stops the replay there. */
START_TEST(test_checksum_mismatch)
{
    const char *path = test_scratch_path("j");
    long size = write_three(path);
    size_t length;
    char *bytes = test_read_file(path, &length);
    long first_end = 64 + (7 + 24) * 8;

    for (long at = first_end; at < first_end + (7 + 24) * 8; at += 5) {
        struct seen seen = {0};
        struct ilrl_tile_journal_replay replay;
        bytes[at] ^= 0x10;
        test_write_bytes(path, bytes, (size_t)size);
        bytes[at] ^= 0x10;
        ck_assert_int_eq(ilrl_tile_journal_replay(path, &BINDING, visit, &seen, &replay), ILRL_OK);
        ck_assert_uint_eq(replay.n_records, 1);
        ck_assert_uint_eq(replay.valid_bytes, (uint64_t)first_end);
        ck_assert_uint_eq(replay.ignored_bytes, (uint64_t)(size - first_end));
        assert_tile(&seen, 0);
    }
    /* A bit flipped in the header makes it unreadable. */
    bytes[20] ^= 1;
    test_write_bytes(path, bytes, (size_t)size);
    struct ilrl_tile_journal_replay replay;
    ck_assert_int_eq(ilrl_tile_journal_replay(path, &BINDING, visit, NULL, &replay), ILRL_OK);
    ck_assert_int_eq(replay.state, ILRL_TILE_JOURNAL_UNREADABLE);
    ck_assert_uint_eq(replay.n_records, 0);
    free(bytes);
}
END_TEST

/* Geometry outside the grid (a record made for a bigger grid) is refused
 * even with a valid checksum. */
START_TEST(test_geometry_outside_grid)
{
    const char *path = test_scratch_path("j");
    struct ilrl_tile_journal *journal = NULL;
    struct ilrl_tile_journal_replay replay;
    double values[2 * 4 * 2] = {0};
    ck_assert_int_eq(ilrl_tile_journal_create(path, &BINDING, &journal), ILRL_OK);
    ck_assert_int_eq(ilrl_tile_journal_append(journal, 0, 0, 0, 2, 4, values), ILRL_OK);
    ck_assert_int_eq(ilrl_tile_journal_append(journal, 1, 9, 0, 2, 4, values), ILRL_OK);
    ilrl_tile_journal_close(journal);
    ck_assert_int_eq(ilrl_tile_journal_replay(path, &BINDING, NULL, NULL, &replay), ILRL_OK);
    ck_assert_uint_eq(replay.n_records, 1);
    ck_assert_uint_eq(replay.ignored_bytes, (7 + 16) * 8);
}
END_TEST

START_TEST(test_wrong_header)
{
    const char *path = test_scratch_path("j");
    struct ilrl_tile_journal_replay replay;
    struct seen seen = {0};
    write_three(path);

    struct ilrl_tile_journal_binding other = BINDING;
    other.settings ^= 1;
    ck_assert_int_eq(ilrl_tile_journal_replay(path, &other, visit, &seen, &replay), ILRL_OK);
    ck_assert_int_eq(replay.state, ILRL_TILE_JOURNAL_OTHER_SETTINGS);
    ck_assert_uint_eq(seen.n, 0);
    ck_assert_uint_eq(replay.found.settings, BINDING.settings);

    other = BINDING;
    other.grid_ny = 8;
    ck_assert_int_eq(ilrl_tile_journal_replay(path, &other, visit, &seen, &replay), ILRL_OK);
    ck_assert_int_eq(replay.state, ILRL_TILE_JOURNAL_OTHER_SETTINGS);

    other = BINDING;
    other.n_values = 6;
    ck_assert_int_eq(ilrl_tile_journal_replay(path, &other, visit, &seen, &replay), ILRL_OK);
    ck_assert_int_eq(replay.state, ILRL_TILE_JOURNAL_OTHER_SETTINGS);

    other = BINDING;
    other.checkpoint = 78;
    ck_assert_int_eq(ilrl_tile_journal_replay(path, &other, visit, &seen, &replay), ILRL_OK);
    ck_assert_int_eq(replay.state, ILRL_TILE_JOURNAL_OTHER_CHECKPOINT);
    ck_assert_uint_eq(replay.found.checkpoint, 77);
    ck_assert_uint_eq(seen.n, 0);

    /* Not a journal at all. */
    static const char not_journal[] =
        "CDF\001 this is a netcdf file, honestly, with more than 64 bytes in it";
    test_write_bytes(path, not_journal, sizeof not_journal - 1);
    ck_assert_int_eq(ilrl_tile_journal_replay(path, &BINDING, visit, &seen, &replay), ILRL_OK);
    ck_assert_int_eq(replay.state, ILRL_TILE_JOURNAL_UNREADABLE);
    ck_assert_uint_eq(seen.n, 0);
}
END_TEST

/* Continuing after a torn tail cuts it off, so the new records follow the
 * last whole one and all replay. */
START_TEST(test_continue_after_torn_tail)
{
    const char *path = test_scratch_path("j");
    struct ilrl_tile_journal_replay replay;
    struct ilrl_tile_journal *journal = NULL;
    struct seen seen = {0};
    long size = write_three(path);
    ck_assert_int_eq(truncate(path, size - 3), 0);
    ck_assert_int_eq(ilrl_tile_journal_replay(path, &BINDING, NULL, NULL, &replay), ILRL_OK);
    ck_assert_uint_eq(replay.n_records, 2);
    ck_assert_int_eq(ilrl_tile_journal_open_append(path, &BINDING, &replay, &journal), ILRL_OK);
    double values[64];
    for (size_t v = 0; v < 64; v++)
        values[v] = tile_value(2, v);
    ck_assert_int_eq(ilrl_tile_journal_append(journal, 7, 8, 3, 2, 4, values), ILRL_OK);
    ck_assert_int_eq(ilrl_tile_journal_sync(journal), ILRL_OK);
    ilrl_tile_journal_close(journal);
    ck_assert_int_eq(ilrl_tile_journal_replay(path, &BINDING, visit, &seen, &replay), ILRL_OK);
    ck_assert_uint_eq(replay.n_records, 3);
    ck_assert_uint_eq(replay.ignored_bytes, 0);
    ck_assert_uint_eq(replay.valid_bytes, (uint64_t)size);
    for (size_t t = 0; t < 3; t++)
        assert_tile(&seen, t);

    /* A journal the replay did not accept cannot be continued. */
    struct ilrl_tile_journal_binding other = BINDING;
    other.checkpoint = 1;
    ck_assert_int_eq(ilrl_tile_journal_replay(path, &other, NULL, NULL, &replay), ILRL_OK);
    ck_assert_int_ne(ilrl_tile_journal_open_append(path, &other, &replay, &journal), ILRL_OK);
    ck_assert_ptr_null(journal);
}
END_TEST

/* create replaces an old journal with an empty one bound elsewhere. */
START_TEST(test_create_replaces)
{
    const char *path = test_scratch_path("j");
    struct ilrl_tile_journal *journal = NULL;
    struct ilrl_tile_journal_replay replay;
    struct ilrl_tile_journal_binding next = BINDING;
    write_three(path);
    next.checkpoint = 99;
    ck_assert_int_eq(ilrl_tile_journal_create(path, &next, &journal), ILRL_OK);
    ilrl_tile_journal_close(journal);
    ck_assert_int_eq(ilrl_tile_journal_replay(path, &BINDING, NULL, NULL, &replay), ILRL_OK);
    ck_assert_int_eq(replay.state, ILRL_TILE_JOURNAL_OTHER_CHECKPOINT);
    ck_assert_int_eq(ilrl_tile_journal_replay(path, &next, NULL, NULL, &replay), ILRL_OK);
    ck_assert_int_eq(replay.state, ILRL_TILE_JOURNAL_USED);
    ck_assert_uint_eq(replay.n_records, 0);
    ck_assert_int_eq(test_count_temporaries(test_scratch_dir()), 0);

    /* An unwritable directory: one message naming the journal. */
    ck_assert_int_eq(ilrl_tile_journal_create(test_scratch_path("no/such/j"), &BINDING, &journal),
                     ILRL_EOUTPUT);
    ck_assert_ptr_null(journal);
    ck_assert_ptr_nonnull(strstr(ilrl_error_message(), "no/such/j"));
}
END_TEST

/* The checksum is FNV-1a over words: an independent value. */
START_TEST(test_checksum_value)
{
    uint64_t word = 0;
    /* one zero word: basis * prime mod 2^64 */
    ck_assert_uint_eq(ilrl_tile_journal_checksum(UINT64_C(14695981039346656037), &word, 1),
                      UINT64_C(14695981039346656037) * UINT64_C(1099511628211));
}
END_TEST

Suite *tile_journal_suite(void)
{
    Suite *suite = suite_create("tile_journal");
    TCase *tc = tcase_create("journal");
    tcase_add_checked_fixture(tc, setup, test_scratch_remove);
    tcase_add_test(tc, test_round_trip);
    tcase_add_test(tc, test_absent_and_empty);
    tcase_add_test(tc, test_torn_last_record);
    tcase_add_test(tc, test_checksum_mismatch);
    tcase_add_test(tc, test_geometry_outside_grid);
    tcase_add_test(tc, test_wrong_header);
    tcase_add_test(tc, test_continue_after_torn_tail);
    tcase_add_test(tc, test_create_replaces);
    tcase_add_test(tc, test_checksum_value);
    suite_add_tcase(suite, tc);
    return suite;
}
