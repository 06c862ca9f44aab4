/* check_output_file.c -- the atomic output path (output_file.h):
 * publication with and without overwrite, a file appearing meanwhile, cleanup
 * on every path, and the reservation on a "full disk" (RLIMIT_FSIZE). */
#define _XOPEN_SOURCE 700
#include "config.h"

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <check.h>

#include "ilrl/error.h"
#include "ilrl/output_file.h"
#include "testutil.h"

static void setup(void)
{
    test_scratch_create("check_output_file");
}

static int count_entries(void)
{
    int count = 0;
    DIR *dir = opendir(test_scratch_dir());
    struct dirent *entry;
    ck_assert_ptr_nonnull(dir);
    while ((entry = readdir(dir)) != NULL)
        count += entry->d_name[0] != '.';
    closedir(dir);
    return count;
}

static void write_text(const char *path, const char *text)
{
    test_write_bytes(path, text, strlen(text));
}

START_TEST(test_publish_new_and_replace)
{
    struct ilrl_output_file *out = NULL;
    const char *path = test_scratch_path("a.dat");

    ck_assert_int_eq(ilrl_output_file_begin(path, 0, 4096, &out), ILRL_OK);
    ck_assert_ptr_nonnull(strstr(ilrl_output_file_temporary(out), "a.dat.tmp."));
    ck_assert_str_eq(ilrl_output_file_path(out), path);
    write_text(ilrl_output_file_temporary(out), "one");
    ck_assert_int_eq(access(path, F_OK), -1);          /* not before commit */
    ck_assert_int_eq(ilrl_output_file_commit(out), ILRL_OK);
    ilrl_output_file_free(out);
    test_assert_file_holds(path, "one");
    ck_assert_int_eq(count_entries(), 1);

    /* exists: refused at begin without force, replaced with force */
    ck_assert_int_eq(ilrl_output_file_begin(path, 0, 0, &out), ILRL_EOUTPUT);
    ck_assert_ptr_null(out);
    ck_assert_ptr_nonnull(strstr(ilrl_error_message(), "exists (use --force to overwrite)"));
    ck_assert_int_eq(ilrl_output_file_begin(path, 1, 0, &out), ILRL_OK);
    write_text(ilrl_output_file_temporary(out), "two");
    ck_assert_int_eq(ilrl_output_file_commit(out), ILRL_OK);
    ilrl_output_file_free(out);
    test_assert_file_holds(path, "two");
    ck_assert_int_eq(count_entries(), 1);
}
END_TEST

START_TEST(test_file_appearing_meanwhile_is_kept)
{
    struct ilrl_output_file *out = NULL;
    const char *path = test_scratch_path("race.dat");

    ck_assert_int_eq(ilrl_output_file_begin(path, 0, 0, &out), ILRL_OK);
    write_text(ilrl_output_file_temporary(out), "ours");
    write_text(path, "theirs");                      /* another writer won */
    ck_assert_int_eq(ilrl_output_file_commit(out), ILRL_EOUTPUT);
    ck_assert_ptr_nonnull(strstr(ilrl_error_message(), "exists"));
    ilrl_output_file_free(out);
    test_assert_file_holds(path, "theirs");
    ck_assert_int_eq(count_entries(), 1);             /* temporary removed */
}
END_TEST

START_TEST(test_free_without_commit_removes_temporary)
{
    struct ilrl_output_file *out = NULL;
    ck_assert_int_eq(ilrl_output_file_begin(test_scratch_path("gone.dat"), 0, 1000, &out),
                     ILRL_OK);
    write_text(ilrl_output_file_temporary(out), "half");
    ck_assert_int_eq(count_entries(), 1);
    ilrl_output_file_free(out);
    ilrl_output_file_free(NULL);
    ck_assert_int_eq(count_entries(), 0);
}
END_TEST

START_TEST(test_bad_places)
{
    struct ilrl_output_file *out = NULL;
    ck_assert_int_eq(ilrl_output_file_check("", 1), ILRL_EOUTPUT);
    ck_assert_int_eq(ilrl_output_file_check(test_scratch_dir(), 1), ILRL_EOUTPUT);
    ck_assert_ptr_nonnull(strstr(ilrl_error_message(), "is a directory"));
    ck_assert_int_eq(ilrl_output_file_begin(test_scratch_path("no/such/x.dat"), 0, 0, &out),
                     ILRL_EOUTPUT);
    ck_assert_ptr_nonnull(strstr(ilrl_error_message(), "No such file"));
    ck_assert_ptr_null(out);
    /* root passes permission checks: /proc refuses the creation itself */
    ck_assert_int_eq(ilrl_output_file_begin("/proc/ilrl-check-output-file", 0, 0, &out),
                     ILRL_EOUTPUT);
    ck_assert_ptr_nonnull(strstr(ilrl_error_message(), "/proc/ilrl-check-output-file"));
    ck_assert_int_eq(count_entries(), 0);
}
END_TEST

/* A reservation beyond RLIMIT_FSIZE fails cleanly (EFBIG), in a child. */
START_TEST(test_reservation_on_full_disk)
{
    const char *path = test_scratch_path("big.dat");
    fflush(NULL);
    pid_t child = fork();
    ck_assert_int_ge(child, 0);
    if (child == 0) {
        struct rlimit limit = {64 * 1024, 64 * 1024};
        struct ilrl_output_file *out = NULL;
        signal(SIGXFSZ, SIG_IGN);
        if (setrlimit(RLIMIT_FSIZE, &limit) != 0)
            _exit(20);
        int status = ilrl_output_file_begin(path, 0, 1 << 20, &out);
        if (status != ILRL_EOUTPUT || out != NULL)
            _exit(21);
        if (strstr(ilrl_error_message(), "no room for the file") == NULL)
            _exit(22);
        _exit(0);
    }
    int child_status;
    ck_assert_int_eq(waitpid(child, &child_status, 0), child);
    ck_assert(WIFEXITED(child_status));
    ck_assert_int_eq(WEXITSTATUS(child_status), 0);
    ck_assert_int_eq(count_entries(), 0);
}
END_TEST

/* --force replaces regular files (and symbolic links, not their targets)
 * only: a FIFO, a device node or a socket stays, even with force. */
START_TEST(test_force_replaces_only_regular_files)
{
    const char *fifo = test_scratch_path("fifo");
    const char *link_path = test_scratch_path("link");
    struct ilrl_output_file *out = NULL;
    struct stat info;

    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    ck_assert_int_eq(ilrl_output_file_check(fifo, 1), ILRL_EOUTPUT);
    ck_assert_ptr_nonnull(strstr(ilrl_error_message(), "is a FIFO, not a regular file"));
    ck_assert_int_eq(ilrl_output_file_begin(fifo, 1, 0, &out), ILRL_EOUTPUT);
    ck_assert_ptr_null(out);
    ck_assert_int_eq(lstat(fifo, &info), 0);
    ck_assert(S_ISFIFO(info.st_mode));
    /* as root, this would have replaced /dev/null */
    ck_assert_int_eq(ilrl_output_file_check("/dev/null", 1), ILRL_EOUTPUT);
    ck_assert_ptr_nonnull(strstr(ilrl_error_message(), "/dev/null is a character device"));
    ck_assert_int_eq(stat("/dev/null", &info), 0);
    ck_assert(S_ISCHR(info.st_mode));
    /* a FIFO appearing after begin is refused at commit */
    const char *late = test_scratch_path("late");
    ck_assert_int_eq(ilrl_output_file_begin(late, 1, 0, &out), ILRL_OK);
    ck_assert_int_eq(mkfifo(late, 0600), 0);
    ck_assert_int_eq(ilrl_output_file_commit(out), ILRL_EOUTPUT);
    ilrl_output_file_free(out);
    ck_assert_int_eq(lstat(late, &info), 0);
    ck_assert(S_ISFIFO(info.st_mode));
    ck_assert_int_eq(test_count_temporaries(test_scratch_dir()), 0);
    /* a symbolic link is replaced by the file; its target is untouched */
    write_text(test_scratch_path("target"), "target");
    ck_assert_int_eq(symlink("target", link_path), 0);
    ck_assert_int_eq(ilrl_output_file_begin(link_path, 1, 0, &out), ILRL_OK);
    write_text(ilrl_output_file_temporary(out), "new");
    ck_assert_int_eq(ilrl_output_file_commit(out), ILRL_OK);
    ilrl_output_file_free(out);
    test_assert_file_holds(link_path, "new");
    test_assert_file_holds(test_scratch_path("target"), "target");
}
END_TEST

/* The early check tries the names the write will use: a name that fits
 * NAME_MAX but whose PATH.tmp.<pid> does not is refused before anything. */
START_TEST(test_check_tries_the_temporary_name)
{
    char name[300], path[4600];
    long name_max = pathconf(test_scratch_dir(), _PC_NAME_MAX);

    ck_assert_int_gt(name_max, 10);
    ck_assert_int_lt(name_max, (long)sizeof name);
    memset(name, 'n', (size_t)name_max);
    name[name_max] = '\0';
    snprintf(path, sizeof path, "%s/%s", test_scratch_dir(), name);
    ck_assert_int_eq(ilrl_output_file_check(path, 0), ILRL_EOUTPUT);
    ck_assert_ptr_nonnull(strstr(ilrl_error_message(), "the temporary file name"));
    /* one byte more is too long for the output name itself */
    memset(name, 'n', (size_t)name_max + 1);
    name[name_max + 1] = '\0';
    snprintf(path, sizeof path, "%s/%s", test_scratch_dir(), name);
    ck_assert_int_eq(ilrl_output_file_check(path, 0), ILRL_EOUTPUT);
    ck_assert_ptr_nonnull(strstr(ilrl_error_message(), "the output file name"));
    /* short enough for both: accepted, and begin agrees */
    name[name_max - 20] = '\0';
    snprintf(path, sizeof path, "%s/%s", test_scratch_dir(), name);
    ck_assert_int_eq(ilrl_output_file_check(path, 0), ILRL_OK);
    struct ilrl_output_file *out = NULL;
    ck_assert_int_eq(ilrl_output_file_begin(path, 0, 0, &out), ILRL_OK);
    ilrl_output_file_free(out);
    ck_assert_int_eq(count_entries(), 0);
}
END_TEST

Suite *output_file_suite(void)
{
    Suite *suite = suite_create("output_file");
    TCase *tc = tcase_create("output_file");
    tcase_add_checked_fixture(tc, setup, test_scratch_remove);
    tcase_add_test(tc, test_publish_new_and_replace);
    tcase_add_test(tc, test_file_appearing_meanwhile_is_kept);
    tcase_add_test(tc, test_free_without_commit_removes_temporary);
    tcase_add_test(tc, test_bad_places);
    tcase_add_test(tc, test_reservation_on_full_disk);
    tcase_add_test(tc, test_force_replaces_only_regular_files);
    tcase_add_test(tc, test_check_tries_the_temporary_name);
    suite_add_tcase(suite, tc);
    return suite;
}
