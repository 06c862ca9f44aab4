/* testutil.c -- the Check suites' scratch directory and file helpers (the
 * contract is in testutil.h).  Every failure is a Check assertion, so a
 * suite reads as its assertions, not as error handling. */
#define _XOPEN_SOURCE 700
#include "config.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>
#include <gsl/gsl_rng.h>

#include "testutil.h"

/* The scratch directory ("" when there is none) and the paths handed out
 * below it, freed together by test_scratch_remove. */
static char scratch[4096];
static char **paths;
static size_t n_paths, paths_capacity;

const char *test_scratch_create(const char *label)
{
    const char *tmp = getenv("TMPDIR");
    test_scratch_remove();      /* one at a time: a failed test's is gone */
    ck_assert_int_lt(snprintf(scratch, sizeof scratch, "%s/%s.XXXXXX",
                              tmp && *tmp ? tmp : "/tmp", label), (int)sizeof scratch);
    ck_assert_ptr_nonnull(mkdtemp(scratch));
    return scratch;
}

const char *test_scratch_dir(void)
{
    ck_assert_msg(scratch[0] != '\0', "no scratch directory");
    return scratch;
}

const char *test_scratch_path(const char *name)
{
    size_t size = strlen(test_scratch_dir()) + 1 + strlen(name) + 1;
    char *path = malloc(size);
    ck_assert_ptr_nonnull(path);
    snprintf(path, size, "%s/%s", scratch, name);
    if (n_paths == paths_capacity) {
        size_t capacity = paths_capacity ? 2 * paths_capacity : 16;
        char **grown = realloc(paths, capacity * sizeof *grown);
        ck_assert_ptr_nonnull(grown);
        paths = grown;
        paths_capacity = capacity;
    }
    paths[n_paths++] = path;
    return path;
}

/* Removes `path` and, for a directory, everything below it.  Directories
 * are made writable first: tests leave read-only ones behind on purpose. */
static void remove_tree(const char *path)
{
    struct stat info;
    if (lstat(path, &info) != 0)
        return;
    if (S_ISDIR(info.st_mode)) {
        chmod(path, 0700);
        DIR *dir = opendir(path);
        struct dirent *entry;
        while (dir && (entry = readdir(dir)) != NULL) {
            if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
                continue;
            size_t size = strlen(path) + 1 + strlen(entry->d_name) + 1;
            char *child = malloc(size);
            if (child == NULL)
                break;
            snprintf(child, size, "%s/%s", path, entry->d_name);
            remove_tree(child);
            free(child);
        }
        if (dir)
            closedir(dir);
        rmdir(path);
    } else {
        unlink(path);
    }
}

void test_scratch_remove(void)
{
    if (scratch[0] != '\0')
        remove_tree(scratch);
    scratch[0] = '\0';
    for (size_t i = 0; i < n_paths; i++)
        free(paths[i]);
    free(paths);
    paths = NULL;
    n_paths = paths_capacity = 0;
}

void test_write_bytes(const char *path, const void *bytes, size_t n)
{
    FILE *file = fopen(path, "wb");
    ck_assert_ptr_nonnull(file);
    ck_assert_uint_eq(fwrite(bytes, 1, n, file), n);
    ck_assert_int_eq(fclose(file), 0);
}

char *test_read_file(const char *path, size_t *size)
{
    FILE *file = fopen(path, "rb");
    ck_assert_ptr_nonnull(file);
    ck_assert_int_eq(fseek(file, 0, SEEK_END), 0);
    long length = ftell(file);
    ck_assert_int_ge(length, 0);
    rewind(file);
    char *data = malloc((size_t)length + 1);
    ck_assert_ptr_nonnull(data);
    ck_assert_uint_eq(fread(data, 1, (size_t)length, file), (size_t)length);
    fclose(file);
    data[length] = '\0';
    if (size)
        *size = (size_t)length;
    return data;
}

void test_assert_file_holds(const char *path, const char *expected)
{
    char *text = test_read_file(path, NULL);
    ck_assert_str_eq(text, expected);
    free(text);
}

int test_count_temporaries(const char *directory)
{
    int count = 0;
    DIR *dir = opendir(directory);
    struct dirent *entry;
    ck_assert_ptr_nonnull(dir);
    while ((entry = readdir(dir)) != NULL)
        if (strstr(entry->d_name, ".tmp.") != NULL)
            count++;
    closedir(dir);
    return count;
}

void test_tanh_arguments(double *z, size_t n, unsigned long seed)
{
    static const double edges[TEST_TANH_EDGES] = {
        0.0, -0.0, 5e-324, -1e-300, 1e-9, 0.0108, 0.0117, 0.0217, 0.5 * M_LN2,
        19.0, 19.1, 20.0, 21.0, -400.0, 400.0, 1e300, -1e300};
    ck_assert_uint_ge(n, TEST_TANH_EDGES);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    ck_assert_ptr_nonnull(rng);
    gsl_rng_set(rng, seed);
    for (size_t i = 0; i < n; i++) {
        if (i < TEST_TANH_EDGES)
            z[i] = edges[i];
        else if (i % 3 == 0)
            z[i] = -25.0 + 50.0 * gsl_rng_uniform(rng);
        else if (i % 3 == 1)
            z[i] = -1.0 + 2.0 * gsl_rng_uniform(rng);
        else
            z[i] = (gsl_rng_uniform(rng) < 0.5 ? -1.0 : 1.0)
                   * pow(10.0, -300.0 + 302.0 * gsl_rng_uniform(rng));
    }
    gsl_rng_free(rng);
}

double test_tanh_worst(const double *z, const double *t, size_t n, double *at)
{
    double worst = 0.0;
    *at = 0.0;
    for (size_t i = 0; i < n; i++) {
        double want = tanh(z[i]);
        double e = want == 0.0 ? fabs(t[i]) : fabs(t[i] - want) / fabs(want);
        if (e > worst)
            worst = e, *at = z[i];
    }
    return worst;
}
