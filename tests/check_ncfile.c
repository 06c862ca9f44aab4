/* check_ncfile.c -- the one NetCDF layer (ncfile.h): names NetCDF reads
 * differently (and proof that it does), non-regular inputs, the attribute
 * rule, fill values, size bounds, the history line and publication. */
#define _XOPEN_SOURCE 700
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>
#include <netcdf.h>

#include "ilrl/error.h"
#include "ilrl/ncfile.h"
#include "testutil.h"

#define NC_OK(call) ck_assert_int_eq((call), NC_NOERR)

static void setup(void)
{
    test_scratch_create("check_ncfile");
}

static char saved_cwd[4096];

static void enter_scratch(void)
{
    ck_assert_ptr_nonnull(getcwd(saved_cwd, sizeof saved_cwd));
    ck_assert_int_eq(chdir(test_scratch_dir()), 0);
}

static void leave_scratch(void)
{
    ck_assert_int_eq(chdir(saved_cwd), 0);
}

static int exists(const char *path)
{
    struct stat info;
    return lstat(path, &info) == 0;
}

/* The reason for the rule: netcdf-c itself creates "a\b.nc" as a/b.nc and
 * " x.nc" as x.nc.  If this ever stops, the rule may be relaxed. */
START_TEST(test_netcdf_reads_these_names_differently)
{
    int ncid;

    enter_scratch();
    ck_assert_int_eq(mkdir("a", 0700), 0);
    NC_OK(nc_create("a\\b.nc", NC_NETCDF4 | NC_CLOBBER, &ncid));
    NC_OK(nc_close(ncid));
    ck_assert(exists("a/b.nc"));
    ck_assert(!exists("a\\b.nc"));
    NC_OK(nc_create(" lead.nc", NC_NETCDF4 | NC_CLOBBER, &ncid));
    NC_OK(nc_close(ncid));
    ck_assert(exists("lead.nc"));
    ck_assert(!exists(" lead.nc"));
    leave_scratch();
}
END_TEST

START_TEST(test_check_name)
{
    const char *refused[] = { "a\\b.nc", " x.nc", "\tx.nc", "file://x.nc",
                              "http://host/x.nc", "c:/x.nc", "C:", "c:\\x.nc",
                              "/cygdrive/c/x.nc", "" };
    const char *accepted[] = { "x.nc", "dir/x.nc", "/tmp/x.nc", "x.nc#frag",
                               "file:x.nc", "x?y.nc", "x.nc ", "cc:/x.nc",
                               "/cygdrive/cc/x.nc", "[x].nc" };

    for (size_t k = 0; k < sizeof refused / sizeof *refused; k++) {
        ck_assert_msg(ilrl_ncfile_check_name(refused[k]) == ILRL_EUSAGE,
                      "'%s' accepted", refused[k]);
        if (refused[k][0] != '\0')
            ck_assert_ptr_nonnull(strstr(ilrl_error_message(), "reads differently"));
    }
    for (size_t k = 0; k < sizeof accepted / sizeof *accepted; k++)
        ck_assert_msg(ilrl_ncfile_check_name(accepted[k]) == ILRL_OK,
                      "'%s' refused: %s", accepted[k], ilrl_error_message());
}
END_TEST

/* Nothing at all is created for a refused output name. */
START_TEST(test_create_refuses_name_and_leaves_nothing)
{
    struct ilrl_ncfile file;

    enter_scratch();
    ck_assert_int_eq(mkdir("a", 0700), 0);
    ck_assert_int_eq(ilrl_ncfile_create(&file, "a\\b.nc", 1, 0), ILRL_EUSAGE);
    ck_assert_int_eq(ilrl_ncfile_check_output("a\\b.nc", 1), ILRL_EUSAGE);
    ck_assert(!exists("a/b.nc"));
    ck_assert(!exists("a\\b.nc"));
    ck_assert_int_eq(test_count_temporaries("."), 0);
    ck_assert_int_eq(test_count_temporaries("a"), 0);
    leave_scratch();
}
END_TEST

START_TEST(test_open_refuses_non_regular_files)
{
    struct ilrl_ncfile file;
    const char *fifo = test_scratch_path("fifo.nc");
    const char *dir = test_scratch_path("dir.nc");
    double started = test_now();

    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    ck_assert_int_eq(ilrl_ncfile_open(&file, fifo), ILRL_EINPUT);
    ck_assert_ptr_nonnull(strstr(ilrl_error_message(), "a FIFO"));
    ck_assert(test_now() - started < 2.0);
    ck_assert_int_eq(mkdir(dir, 0700), 0);
    ck_assert_int_eq(ilrl_ncfile_open(&file, dir), ILRL_EINPUT);
    ck_assert_ptr_nonnull(strstr(ilrl_error_message(), "is a directory"));
    ck_assert_int_eq(ilrl_ncfile_open(&file, "/dev/null"), ILRL_EINPUT);
    ck_assert_ptr_nonnull(strstr(ilrl_error_message(), "a character device"));
    ck_assert_int_eq(ilrl_ncfile_open(&file, test_scratch_path("absent.nc")),
                     ILRL_EINPUT);
    ck_assert_ptr_nonnull(strstr(ilrl_error_message(), "cannot open: No such file"));
    ck_assert_int_eq(file.open, 0);
}
END_TEST

/* A file written with ncfile itself: a text and an integer attribute,
 * v(4) double with _FillValue -999 and values {1, 2, -999, 4}, w(4) double
 * without _FillValue and only w[0..1] written, n(3) int with
 * missing_value 7, z(4) with _FillValue NaN. */
static const char *write_fixture(void)
{
    const char *path = test_scratch_path("fixture.nc");
    struct ilrl_ncfile file;
    int dim, v, w, n, z;
    double fill = -999.0, nan_fill = NAN;
    double values[4] = { 1, 2, -999, 4 }, z_values[4] = { 1, NAN, 3, NAN };
    int ints[3] = { 1, 7, 3 }, seven = 7;
    size_t start = 0, count = 2;

    ck_assert_int_eq(ilrl_ncfile_create(&file, path, 0, 100000), ILRL_OK);
    ck_assert_int_eq(ILRL_NC(&file, "d", nc_def_dim, (file.ncid, "d", 4, &dim)), ILRL_OK);
    ck_assert_int_eq(ilrl_ncfile_define(&file, "v", NC_DOUBLE, 1, &dim, "v", "1", &v),
                     ILRL_OK);
    NC_OK(nc_def_var_fill(file.ncid, v, 0, &fill));
    ck_assert_int_eq(ilrl_ncfile_define(&file, "w", NC_DOUBLE, 1, &dim, "w", NULL, &w),
                     ILRL_OK);
    int dim3;
    NC_OK(nc_def_dim(file.ncid, "e", 3, &dim3));
    ck_assert_int_eq(ilrl_ncfile_define(&file, "n", NC_INT, 1, &dim3, "n", NULL, &n),
                     ILRL_OK);
    NC_OK(nc_put_att_int(file.ncid, n, "missing_value", NC_INT, 1, &seven));
    ck_assert_int_eq(ilrl_ncfile_define(&file, "z", NC_DOUBLE, 1, &dim, "z", NULL, &z),
                     ILRL_OK);
    NC_OK(nc_def_var_fill(file.ncid, z, 0, &nan_fill));
    ck_assert_int_eq(ilrl_ncfile_put_text(&file, NC_GLOBAL, "kind", "fixture"), ILRL_OK);
    ck_assert_int_eq(ilrl_ncfile_put_int64(&file, "count", 12), ILRL_OK);
    ck_assert_int_eq(ilrl_ncfile_put_double(&file, "ratio", 0.5), ILRL_OK);
    NC_OK(nc_enddef(file.ncid));
    NC_OK(nc_put_var_double(file.ncid, v, values));
    NC_OK(nc_put_vara_double(file.ncid, w, &start, &count, values));
    NC_OK(nc_put_var_int(file.ncid, n, ints));
    NC_OK(nc_put_var_double(file.ncid, z, z_values));
    ck_assert_int_eq(ilrl_ncfile_publish(&file, ILRL_OK), ILRL_OK);
    ck_assert_int_eq(test_count_temporaries(test_scratch_dir()), 0);
    return path;
}

START_TEST(test_attribute_rule)
{
    const char *path = write_fixture();
    struct ilrl_ncfile file;
    char *text = NULL;
    long long integer = 0;
    double number = 0;
    int found = -1;

    ck_assert_int_eq(ilrl_ncfile_open(&file, path), ILRL_OK);
    ck_assert_int_eq(ilrl_ncfile_get_text(&file, NC_GLOBAL, "kind", &text, NULL), ILRL_OK);
    ck_assert_str_eq(text, "fixture");
    /* absent: "not found" when optional, an error naming it when required */
    ck_assert_int_eq(ilrl_ncfile_get_text(&file, NC_GLOBAL, "absent", &text, &found),
                     ILRL_OK);
    ck_assert_int_eq(found, 0);
    ck_assert_str_eq(text, "fixture");
    ck_assert_int_eq(ilrl_ncfile_get_text(&file, NC_GLOBAL, "absent", &text, NULL),
                     ILRL_EINPUT);
    ck_assert_ptr_nonnull(strstr(ilrl_error_message(), "attribute absent is missing"));
    /* present but of the wrong kind: an error even when optional */
    ck_assert_int_eq(ilrl_ncfile_get_text(&file, NC_GLOBAL, "count", &text, &found),
                     ILRL_EINPUT);
    ck_assert_ptr_nonnull(strstr(ilrl_error_message(), "attribute count is not text"));
    ck_assert_int_eq(ilrl_ncfile_get_integer(&file, NC_GLOBAL, "ratio", &integer, &found),
                     ILRL_EINPUT);
    ck_assert_ptr_nonnull(strstr(ilrl_error_message(), "ratio must be one integer"));
    ck_assert_int_eq(ilrl_ncfile_get_double(&file, NC_GLOBAL, "kind", &number, &found),
                     ILRL_EINPUT);
    ck_assert_ptr_nonnull(strstr(ilrl_error_message(), "kind must be one number"));
    ck_assert_int_eq(ilrl_ncfile_get_integer(&file, NC_GLOBAL, "count", &integer, NULL),
                     ILRL_OK);
    ck_assert_int_eq(integer, 12);
    ck_assert_int_eq(ilrl_ncfile_get_double(&file, NC_GLOBAL, "count", &number, NULL),
                     ILRL_OK);
    ck_assert(number == 12.0);
    ilrl_ncfile_close(&file, ILRL_OK);
    free(text);
}
END_TEST

START_TEST(test_fill_values_refused)
{
    const char *path = write_fixture();
    struct ilrl_ncfile file;
    double values[4];
    long long ints[3];
    unsigned char mask[4] = { 1, 1, 0, 1 };
    int varid;

    ck_assert_int_eq(ilrl_ncfile_open(&file, path), ILRL_OK);
    NC_OK(nc_inq_varid(file.ncid, "v", &varid));
    NC_OK(nc_get_var_double(file.ncid, varid, values));
    ck_assert_int_eq(ilrl_ncfile_refuse_fill(&file, varid, "v", values, 4, 1, NULL),
                     ILRL_EINPUT);
    ck_assert_ptr_nonnull(strstr(ilrl_error_message(), "v[2] = -999 is the fill value"));
    /* a mask leaves the uncomputed point alone; 2 columns name [row, column] */
    ck_assert_int_eq(ilrl_ncfile_refuse_fill(&file, varid, "v", values, 4, 1, mask),
                     ILRL_OK);
    ck_assert_int_eq(ilrl_ncfile_refuse_fill(&file, varid, "v", values, 4, 2, NULL),
                     ILRL_EINPUT);
    ck_assert_ptr_nonnull(strstr(ilrl_error_message(), "v[1, 0]"));
    /* never written: NetCDF's default fill */
    NC_OK(nc_inq_varid(file.ncid, "w", &varid));
    NC_OK(nc_get_var_double(file.ncid, varid, values));
    ck_assert_int_eq(ilrl_ncfile_refuse_fill(&file, varid, "w", values, 4, 1, NULL),
                     ILRL_EINPUT);
    ck_assert_ptr_nonnull(strstr(ilrl_error_message(), "w[2]"));
    /* missing_value of an integer variable */
    NC_OK(nc_inq_varid(file.ncid, "n", &varid));
    NC_OK(nc_get_var_longlong(file.ncid, varid, ints));
    ck_assert_int_eq(ilrl_ncfile_refuse_fill_integers(&file, varid, "n", ints, 3),
                     ILRL_EINPUT);
    ck_assert_ptr_nonnull(strstr(ilrl_error_message(), "n[1] = 7"));
    /* a NaN fill matches nothing: NaN points stay legitimate */
    NC_OK(nc_inq_varid(file.ncid, "z", &varid));
    NC_OK(nc_get_var_double(file.ncid, varid, values));
    ck_assert(isnan(values[1]));
    ck_assert_int_eq(ilrl_ncfile_refuse_fill(&file, varid, "z", values, 4, 1, NULL),
                     ILRL_OK);
    ilrl_ncfile_close(&file, ILRL_OK);
}
END_TEST

START_TEST(test_size_bound)
{
    const char *path = test_scratch_path("huge.nc");
    struct ilrl_ncfile file;
    int ncid, dims[2], varid;

    NC_OK(nc_create(path, NC_NETCDF4 | NC_CLOBBER, &ncid));
    NC_OK(nc_def_dim(ncid, "a", 1000000, &dims[0]));
    NC_OK(nc_def_dim(ncid, "b", 3, &dims[1]));
    NC_OK(nc_def_var(ncid, "big", NC_DOUBLE, 2, dims, &varid));
    NC_OK(nc_def_var(ncid, "small", NC_BYTE, 1, &dims[1], &varid));
    NC_OK(nc_close(ncid));
    ck_assert_int_eq(ilrl_ncfile_open(&file, path), ILRL_OK);
    NC_OK(nc_inq_varid(file.ncid, "big", &varid));
    ck_assert_int_eq(ilrl_ncfile_check_size(&file, varid, "big"), ILRL_EINPUT);
    ck_assert_ptr_nonnull(strstr(ilrl_error_message(),
                                 "variable 'big' declares 1000000 x 3 values"));
    NC_OK(nc_inq_varid(file.ncid, "small", &varid));
    ck_assert_int_eq(ilrl_ncfile_check_size(&file, varid, "small"), ILRL_OK);
    ilrl_ncfile_close(&file, ILRL_OK);
}
END_TEST

START_TEST(test_history_quotes_for_the_shell)
{
    char *argv[] = { "ilrl-demo", "--out", "my demo.nc", "it's", "a=b,c", "" };
    char *line = ilrl_ncfile_history(6, argv);

    ck_assert_ptr_nonnull(line);
    /* "YYYY-MM-DDThh:mm:ssZ: " */
    ck_assert_int_eq(line[4], '-');
    ck_assert_int_eq(line[10], 'T');
    ck_assert_int_eq(line[19], 'Z');
    ck_assert_str_eq(line + 20, ": ilrl-demo --out 'my demo.nc' 'it'\\''s' a=b,c ''");
    free(line);
}
END_TEST

START_TEST(test_publish_failure_leaves_nothing)
{
    const char *path = test_scratch_path("out.nc");
    struct ilrl_ncfile file;

    test_write_bytes(path, "old", 3);
    ck_assert_int_eq(ilrl_ncfile_create(&file, path, 0, 0), ILRL_EOUTPUT);
    ck_assert_ptr_nonnull(strstr(ilrl_error_message(), "exists"));
    ck_assert_int_eq(ilrl_ncfile_create(&file, path, 1, 0), ILRL_OK);
    ck_assert_int_eq(test_count_temporaries(test_scratch_dir()), 1);
    ilrl_error(ILRL_EOUTPUT, "%s: simulated failure", path);
    ck_assert_int_eq(ilrl_ncfile_publish(&file, ILRL_EOUTPUT), ILRL_EOUTPUT);
    ck_assert_ptr_nonnull(strstr(ilrl_error_message(), "simulated failure"));
    ck_assert_ptr_nonnull(strstr(ilrl_error_message(), "not written"));
    test_assert_file_holds(path, "old");
    ck_assert_int_eq(test_count_temporaries(test_scratch_dir()), 0);
}
END_TEST

Suite *ncfile_suite(void)
{
    Suite *suite = suite_create("ncfile");
    TCase *tc = tcase_create("core");

    tcase_add_checked_fixture(tc, setup, test_scratch_remove);
    tcase_add_test(tc, test_netcdf_reads_these_names_differently);
    tcase_add_test(tc, test_check_name);
    tcase_add_test(tc, test_create_refuses_name_and_leaves_nothing);
    tcase_add_test(tc, test_open_refuses_non_regular_files);
    tcase_add_test(tc, test_attribute_rule);
    tcase_add_test(tc, test_fill_values_refused);
    tcase_add_test(tc, test_size_bound);
    tcase_add_test(tc, test_history_quotes_for_the_shell);
    tcase_add_test(tc, test_publish_failure_leaves_nothing);
    suite_add_tcase(suite, tc);
    return suite;
}
