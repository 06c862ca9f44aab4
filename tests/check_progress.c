/* check_progress.c -- notices (ilrl_notice): where they go, their label and
 * rank, silence under --quiet; the progress line's duration format. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <check.h>

#include "ilrl/progress.h"

/* Runs one notice into a temporary file and returns what was written. */
static void notice_into(char *buf, size_t buf_size, const char *label, int rank, int quiet)
{
    FILE *file = tmpfile();
    ck_assert_ptr_nonnull(file);
    ilrl_notice_setup(quiet ? NULL : file, label, rank);
    ilrl_notice("resuming %s: %d of %d tiles already done", "x.nc.partial", 3, 16);
    rewind(file);
    size_t n = fread(buf, 1, buf_size - 1, file);
    buf[n] = '\0';
    fclose(file);
    ilrl_notice_setup(stderr, "ilrl", 0);
}

START_TEST(test_rank0_notice_is_label_and_message)
{
    char text[256];
    notice_into(text, sizeof text, "ilrl-landscape", 0, 0);
    ck_assert_str_eq(text, "ilrl-landscape: resuming x.nc.partial: 3 of 16 tiles already done\n");
}
END_TEST

START_TEST(test_other_rank_says_which)
{
    char text[256];
    notice_into(text, sizeof text, "ilrl-landscape", 3, 0);
    ck_assert_str_eq(text, "ilrl-landscape: rank 3: resuming x.nc.partial: 3 of 16 tiles already done\n");
}
END_TEST

START_TEST(test_quiet_writes_nothing)
{
    char text[256];
    notice_into(text, sizeof text, "ilrl-landscape", 0, 1);
    ck_assert_str_eq(text, "");
    ilrl_notice_setup(NULL, "ilrl-landscape", 0);
    ck_assert_ptr_null(ilrl_notice_stream());
    ck_assert_str_eq(ilrl_notice_label(), "ilrl-landscape");
    ilrl_notice_setup(stderr, "ilrl", 0);
}
END_TEST

START_TEST(test_duration_format)
{
    char text[32];
    ilrl_progress_format_duration(3725.4, text, sizeof text);
    ck_assert_str_eq(text, "1:02:05");
    ilrl_progress_format_duration(-1.0, text, sizeof text);
    ck_assert_str_eq(text, "?");
}
END_TEST

Suite *progress_suite(void);
Suite *progress_suite(void)
{
    Suite *suite = suite_create("progress");
    TCase *tc = tcase_create("notices");
    tcase_add_test(tc, test_rank0_notice_is_label_and_message);
    tcase_add_test(tc, test_other_rank_says_which);
    tcase_add_test(tc, test_quiet_writes_nothing);
    tcase_add_test(tc, test_duration_format);
    suite_add_tcase(suite, tc);
    return suite;
}
