/* check_error.c -- status codes, messages and exit-code mapping. */
#include "config.h"

#include <string.h>

#include <check.h>

#include "ilrl/error.h"

START_TEST(test_error_returns_status_and_keeps_message)
{
    int status = ilrl_error(ILRL_EINPUT, "%s: variable '%s' has %d dims", "d.nc", "obs", 3);
    ck_assert_int_eq(status, ILRL_EINPUT);
    ck_assert_str_eq(ilrl_error_message(), "d.nc: variable 'obs' has 3 dims");
    ilrl_error_clear();
    ck_assert_str_eq(ilrl_error_message(), "");
}
END_TEST

START_TEST(test_message_may_prefix_itself)
{
    ilrl_error(ILRL_EUSAGE, "unit 64 is outside [0, 64)");
    ilrl_error(ILRL_EUSAGE, "--plane: %s", ilrl_error_message());
    ck_assert_str_eq(ilrl_error_message(), "--plane: unit 64 is outside [0, 64)");
}
END_TEST

START_TEST(test_long_message_is_cut_not_overflowed)
{
    char long_name[4096];
    memset(long_name, 'a', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';
    ilrl_error(ILRL_EOUTPUT, "%s", long_name);
    ck_assert_uint_lt(strlen(ilrl_error_message()), sizeof long_name - 1);
    ck_assert_uint_gt(strlen(ilrl_error_message()), 100);
}
END_TEST

START_TEST(test_exit_codes_follow_spec)
{
    ck_assert_int_eq(ilrl_exit_code(ILRL_OK), 0);
    ck_assert_int_eq(ilrl_exit_code(ILRL_EUSAGE), 2);
    ck_assert_int_eq(ilrl_exit_code(ILRL_EINPUT), 3);
    ck_assert_int_eq(ilrl_exit_code(ILRL_EOUTPUT), 4);
    ck_assert_int_eq(ilrl_exit_code(ILRL_EFAILED), 1);
    ck_assert_int_eq(ilrl_exit_code(ILRL_EINTERRUPTED), 1);
    ck_assert_int_eq(ilrl_exit_code(77), 1);
    ck_assert_str_eq(ilrl_strerror(ILRL_EINPUT), "bad input file");
}
END_TEST

START_TEST(test_message_is_one_line)
{
    /* quoted file content (found by the demo reader's fuzzer) */
    ilrl_error(ILRL_EINPUT, "f.nc: kind = \"%s\"", "demo\nnstr\r\tx");
    ck_assert_str_eq(ilrl_error_message(), "f.nc: kind = \"demo?nstr??x\"");
}
END_TEST

Suite *error_suite(void)
{
    Suite *suite = suite_create("error");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_error_returns_status_and_keeps_message);
    tcase_add_test(tc, test_message_may_prefix_itself);
    tcase_add_test(tc, test_long_message_is_cut_not_overflowed);
    tcase_add_test(tc, test_exit_codes_follow_spec);
    tcase_add_test(tc, test_message_is_one_line);
    suite_add_tcase(suite, tc);
    return suite;
}
