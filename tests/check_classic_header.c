/* check_classic_header.c -- the guard run before nc_open on classic-format
 * files (classic_header.h): a consistent header passes, one whose counts
 * exceed the file, whose list tags are wrong or whose variable shape would
 * crash netcdf-c is refused, other formats and missing files are left to
 * nc_open. */
#include "config.h"

#include <string.h>

#include <check.h>

#include "ilrl/classic_header.h"
#include "ilrl/error.h"
#include "testutil.h"

static void setup(void)
{
    test_scratch_create("check_classic_header");
}

/* CDF-1: one dimension "x" = 3, one global text attribute "a" = "hi", no
 * variables; `claimed` is the attribute's value count. */
static size_t make_classic(unsigned char *buf, unsigned char claimed)
{
    static const unsigned char header[] = {
        'C', 'D', 'F', 1, 0, 0, 0, 0,           /* magic, numrecs */
        0, 0, 0, 0x0A, 0, 0, 0, 1,              /* dimension list, 1 */
        0, 0, 0, 1, 'x', 0, 0, 0, 0, 0, 0, 3,   /* "x" = 3 */
        0, 0, 0, 0x0C, 0, 0, 0, 1,              /* attribute list, 1 */
        0, 0, 0, 1, 'a', 0, 0, 0,               /* "a" */
        0, 0, 0, 2, 0, 0, 0, 2, 'h', 'i', 0, 0, /* char, 2 values */
        0, 0, 0, 0, 0, 0, 0, 0,                 /* no variables */
    };
    memcpy(buf, header, sizeof header);
    buf[51] = claimed;
    return sizeof header;
}

START_TEST(test_classic_header)
{
    unsigned char buf[128];
    const char *path = test_scratch_path("classic.nc");

    test_write_bytes(path, buf, make_classic(buf, 2));
    ck_assert_int_eq(ilrl_classic_header_check(path), ILRL_OK);
    test_write_bytes(path, buf, make_classic(buf, 200));      /* beyond the file */
    ck_assert_int_eq(ilrl_classic_header_check(path), ILRL_EINPUT);
    ck_assert_ptr_nonnull(strstr(ilrl_error_message(), "classic header: global attributes claims 200"));
    test_write_bytes(path, buf, make_classic(buf, 2) - 10);   /* truncated */
    ck_assert_int_eq(ilrl_classic_header_check(path), ILRL_EINPUT);
    size_t n = make_classic(buf, 2);
    buf[11] = 0x0B;                                       /* wrong list tag */
    test_write_bytes(path, buf, n);
    ck_assert_int_eq(ilrl_classic_header_check(path), ILRL_EINPUT);
    ck_assert_ptr_nonnull(strstr(ilrl_error_message(), "bad tag in the dimension list"));
    test_write_bytes(path, (const unsigned char *)"\x89HDF\r\n\x1a\n", 8);  /* not classic */
    ck_assert_int_eq(ilrl_classic_header_check(path), ILRL_OK);
    ck_assert_int_eq(ilrl_classic_header_check(test_scratch_path("missing.nc")), ILRL_OK);
}
END_TEST

/* CDF-1 with a record dimension "r", "x" = 3 and one variable v(d0, d1) of
 * type `type`, in `buf`; returns the size. */
static size_t make_variable(unsigned char *buf, unsigned char d0, unsigned char d1,
                            unsigned char type)
{
    static const unsigned char header[] = {
        'C', 'D', 'F', 1, 0, 0, 0, 0,           /* magic, numrecs */
        0, 0, 0, 0x0A, 0, 0, 0, 2,              /* dimension list, 2 */
        0, 0, 0, 1, 'r', 0, 0, 0, 0, 0, 0, 0,   /* "r" = record */
        0, 0, 0, 1, 'x', 0, 0, 0, 0, 0, 0, 3,   /* "x" = 3 */
        0, 0, 0, 0, 0, 0, 0, 0,                 /* no attributes */
        0, 0, 0, 0x0B, 0, 0, 0, 1,              /* variable list, 1 */
        0, 0, 0, 1, 'v', 0, 0, 0,               /* "v" */
        0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 1,     /* 2 dims: 0, 1 */
        0, 0, 0, 0, 0, 0, 0, 0,                 /* no attributes */
        0, 0, 0, 6, 0, 0, 0, 24, 0, 0, 0, 100,  /* double, vsize, begin */
    };
    memcpy(buf, header, sizeof header);
    buf[71] = d0;
    buf[75] = d1;
    buf[87] = type;
    return sizeof header;
}

/* Shapes on which netcdf-c 4.9 divides by zero (SIGFPE) in nc_open. */
START_TEST(test_variable_shapes)
{
    unsigned char buf[128];
    const char *path = test_scratch_path("classic.nc");

    test_write_bytes(path, buf, make_variable(buf, 0, 1, 6));
    ck_assert_int_eq(ilrl_classic_header_check(path), ILRL_OK);
    test_write_bytes(path, buf, make_variable(buf, 0, 1, 12));
    ck_assert_int_eq(ilrl_classic_header_check(path), ILRL_EINPUT);
    ck_assert_ptr_nonnull(strstr(ilrl_error_message(), "unknown type 12"));
    test_write_bytes(path, buf, make_variable(buf, 0, 1, 10));   /* int64: CDF-5 only */
    ck_assert_int_eq(ilrl_classic_header_check(path), ILRL_EINPUT);
    test_write_bytes(path, buf, make_variable(buf, 1, 0, 6));
    ck_assert_int_eq(ilrl_classic_header_check(path), ILRL_EINPUT);
    ck_assert_ptr_nonnull(strstr(ilrl_error_message(), "record dimension in place 2"));
    test_write_bytes(path, buf, make_variable(buf, 0, 7, 6));
    ck_assert_int_eq(ilrl_classic_header_check(path), ILRL_EINPUT);
    ck_assert_ptr_nonnull(strstr(ilrl_error_message(), "dimension id 7 of 2"));
}
END_TEST

/* netcdf-c reads the missing tail of a cut classic file as zeros: the
 * data of every variable must lie within the file.  v(r, x) doubles begin
 * at byte 100; with 2 records of 24 bytes they end at 148.  v(x, x) holds
 * 72 bytes: it ends at 172. */
START_TEST(test_data_must_lie_within_the_file)
{
    unsigned char buf[256];
    const char *path = test_scratch_path("cut.nc");

    memset(buf, 0, sizeof buf);
    make_variable(buf, 0, 1, 6);
    buf[7] = 2; /* numrecs */
    test_write_bytes(path, buf, 148);
    ck_assert_int_eq(ilrl_classic_header_check(path), ILRL_OK);
    test_write_bytes(path, buf, 147);
    ck_assert_int_eq(ilrl_classic_header_check(path), ILRL_EINPUT);
    ck_assert_ptr_nonnull(strstr(ilrl_error_message(), "truncated file: the data of "
                                 "variable 'v' end at byte 148, but the file has 147"));
    /* no records yet: nothing to read */
    buf[7] = 0;
    test_write_bytes(path, buf, 100);
    ck_assert_int_eq(ilrl_classic_header_check(path), ILRL_OK);
    /* a streaming file (numrecs unknown) is left to netcdf-c */
    memset(buf + 4, 0xFF, 4);
    test_write_bytes(path, buf, 100);
    ck_assert_int_eq(ilrl_classic_header_check(path), ILRL_OK);

    memset(buf, 0, sizeof buf);
    make_variable(buf, 1, 1, 6);
    test_write_bytes(path, buf, 172);
    ck_assert_int_eq(ilrl_classic_header_check(path), ILRL_OK);
    test_write_bytes(path, buf, 171);
    ck_assert_int_eq(ilrl_classic_header_check(path), ILRL_EINPUT);
    ck_assert_ptr_nonnull(strstr(ilrl_error_message(), "end at byte 172"));
}
END_TEST

Suite *classic_header_suite(void)
{
    Suite *suite = suite_create("classic_header");
    TCase *tc = tcase_create("classic_header");
    tcase_add_checked_fixture(tc, setup, test_scratch_remove);
    tcase_add_test(tc, test_classic_header);
    tcase_add_test(tc, test_variable_shapes);
    tcase_add_test(tc, test_data_must_lie_within_the_file);
    suite_add_tcase(suite, tc);
    return suite;
}
