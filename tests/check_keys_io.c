/* check_keys_io.c -- reading a keys file (keys_io.h): frames in file order
 * with comments and blanks skipped, a bad line named "FILE:LINE:", and the
 * refusals that keep a keys file from hanging or exhausting the program: a
 * FIFO, a device, a directory, a file over the size or line bound. */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>

#include "ilrl/error.h"
#include "ilrl/keys_io.h"

/* A temporary file holding `text` (length bytes); `path` receives its name. */
static void make_file(char *path, const char *text, size_t length)
{
    strcpy(path, "/tmp/ilrl-keys-XXXXXX");
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, text, length), (ssize_t)length);
    close(fd);
}

/* Expects `path` to be refused with ILRL_EUSAGE, a message holding `fragment`,
 * and nothing returned. */
static void expect_refused(const char *path, const char *fragment)
{
    long *frames = (long *)1;
    size_t n = 99;
    ilrl_error_clear();
    ck_assert_int_eq(ilrl_keys_read(path, &frames, &n), ILRL_EUSAGE);
    ck_assert_ptr_null(frames);
    ck_assert_uint_eq(n, 0);
    ck_assert_msg(strstr(ilrl_error_message(), fragment) != NULL,
                  "'%s': message '%s' lacks '%s'", path ? path : "(null)",
                  ilrl_error_message(), fragment);
}

START_TEST(test_frames_in_file_order)
{
    static const char text[] = "# flap frames\n5\n\n  2 \n2\r\n\t#x\n17";
    char path[64];
    make_file(path, text, sizeof text - 1);
    long *frames = NULL;
    size_t n = 0;
    ck_assert_int_eq(ilrl_keys_read(path, &frames, &n), ILRL_OK);
    ck_assert_uint_eq(n, 4);
    ck_assert_int_eq(frames[0], 5);
    ck_assert_int_eq(frames[1], 2);
    ck_assert_int_eq(frames[2], 2);
    ck_assert_int_eq(frames[3], 17);
    free(frames);
    unlink(path);
    /* Only comments: no frames, not an error. */
    make_file(path, "# none\n\n", 8);
    ck_assert_int_eq(ilrl_keys_read(path, &frames, &n), ILRL_OK);
    ck_assert_uint_eq(n, 0);
    ck_assert_ptr_null(frames);
    unlink(path);
}
END_TEST

START_TEST(test_bad_line_named)
{
    static const char *const bad[] = {"12\nabc\n", "12\n-3\n", "12\n4 5\n", "1\n2.5\n",
                                      "1\n99999999999999999999\n", "1\n+4\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char path[64], where[160];
        make_file(path, bad[i], strlen(bad[i]));
        snprintf(where, sizeof where, "%s:2: expected one frame index >= 0 per line", path);
        expect_refused(path, where);
        unlink(path);
    }
    /* A line longer than 255 characters is refused, not split. */
    char text[400], path[64], where[160];
    memset(text, '1', sizeof text);
    text[0] = '7';
    text[1] = '\n';
    make_file(path, text, sizeof text);
    snprintf(where, sizeof where, "%s:2:", path);
    expect_refused(path, where);
    unlink(path);
}
END_TEST

START_TEST(test_missing_and_unnamed)
{
    expect_refused(NULL, "no keys file");
    expect_refused("", "no keys file");
    expect_refused("/nonexistent/keys.txt", "cannot open keys file '/nonexistent/keys.txt'");
}
END_TEST

START_TEST(test_non_regular_refused)
{
    /* /dev/zero used to be read forever; a FIFO without a writer used to
     * block in open(); both now fail at once. */
    expect_refused("/dev/zero", "keys file '/dev/zero' is not a regular file (a device)");
    expect_refused("/tmp", "keys file '/tmp' is not a regular file (a directory)");
    char dir[] = "/tmp/ilrl-fifo-XXXXXX", fifo[64];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(fifo, sizeof fifo, "%s/keys", dir);
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    char where[160];
    snprintf(where, sizeof where, "keys file '%s' is not a regular file (a FIFO)", fifo);
    expect_refused(fifo, where);
    unlink(fifo);
    rmdir(dir);
}
END_TEST

START_TEST(test_size_and_line_bounds)
{
    /* One byte over the size bound (a sparse file: nothing is written). */
    char path[64];
    make_file(path, "1\n", 2);
    ck_assert_int_eq(truncate(path, ILRL_KEYS_MAX_BYTES + 1), 0);
    expect_refused(path, "more than the 16777216");
    unlink(path);
    /* Exactly the line bound is fine; one more line is not. */
    size_t size = (size_t)ILRL_KEYS_MAX_LINES + 2;   /* "3" and MAX_LINES + 1 newlines */
    char *text = malloc(size);
    ck_assert_ptr_nonnull(text);
    memset(text, '\n', size);
    text[0] = '3';
    text[1] = '\n';
    make_file(path, text, size - 1);
    long *frames = NULL;
    size_t n = 0;
    ck_assert_int_eq(ilrl_keys_read(path, &frames, &n), ILRL_OK);
    ck_assert_uint_eq(n, 1);
    ck_assert_int_eq(frames[0], 3);
    free(frames);
    unlink(path);
    make_file(path, text, size);
    expect_refused(path, "more than 1000000 lines");
    unlink(path);
    free(text);
}
END_TEST

Suite *keys_io_suite(void)
{
    Suite *suite = suite_create("keys_io");
    TCase *reading = tcase_create("reading");
    tcase_add_test(reading, test_frames_in_file_order);
    tcase_add_test(reading, test_bad_line_named);
    tcase_add_test(reading, test_missing_and_unnamed);
    tcase_add_test(reading, test_non_regular_refused);
    tcase_add_test(reading, test_size_and_line_bounds);
    suite_add_tcase(suite, reading);
    return suite;
}
