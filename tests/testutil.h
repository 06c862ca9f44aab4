/* testutil.h -- helpers the Check suites and benchmarks share: a private
 * scratch directory per test, whole-file reads and writes, and a clock.
 *
 * Contract:
 *  - The file helpers (tests/testutil.c) fail the running test through
 *    Check's ck_assert_* when the file system refuses them; they never
 *    return an error.  Programs that use them link tests/testutil.c and
 *    Check.
 *  - One scratch directory at a time: test_scratch_create() makes
 *    $TMPDIR/<label>.XXXXXX (/tmp without TMPDIR); test_scratch_remove()
 *    deletes it with everything below it, read-only subdirectories
 *    included, and forgets it.  Both fit tcase_add_checked_fixture (give
 *    the suite a setup that names its label; test_scratch_remove is the
 *    teardown as it is).
 *  - Strings returned by test_scratch_create, test_scratch_dir and
 *    test_scratch_path stay valid until test_scratch_remove(); the caller
 *    does not free them.  test_read_file's buffer belongs to the caller.
 *  - test_now() needs nothing else (it is inline here), so benchmarks that
 *    do not link Check can use it.
 *  - test_tanh_arguments / test_tanh_worst: the arguments every tanh kernel
 *    is checked on, and its largest relative error against libm.
 */
#ifndef ILRL_TESTS_TESTUTIL_H
#define ILRL_TESTS_TESTUTIL_H

#include <stddef.h>
#include <time.h>

/* Creates the scratch directory $TMPDIR/<label>.XXXXXX and returns its path;
 * a previous one still there is removed first. */
const char *test_scratch_create(const char *label);

/* The current scratch directory (test_scratch_create must have run). */
const char *test_scratch_dir(void);

/* "<scratch>/<name>"; each call returns a new string. */
const char *test_scratch_path(const char *name);

/* Removes the scratch directory recursively; does nothing without one. */
void test_scratch_remove(void);

/* Writes exactly `n` bytes to `path` (created or truncated). */
void test_write_bytes(const char *path, const void *bytes, size_t n);

/* The whole file at `path` in a new buffer with a '\0' after its `*size`
 * bytes; the caller frees it.  `size` may be NULL. */
char *test_read_file(const char *path, size_t *size);

/* Asserts that the file at `path` holds exactly the text `expected`. */
void test_assert_file_holds(const char *path, const char *expected);

/* Number of entries in `directory` whose name contains ".tmp." (leftover
 * temporaries of the atomic output path); asserts the directory opens. */
int test_count_temporaries(const char *directory);

/* tanh arguments: z[0] = +0, z[1] = -0, then edges (tiny, the 2^(j/16)
 * cancellation zone near 0.01, the saturation near 19-20) and the last
 * four edges -400, 400, 1e300, -1e300 at TEST_TANH_SATURATED; after
 * TEST_TANH_EDGES, by thirds: uniform on [-25, 25], uniform on [-1, 1],
 * and magnitudes log-uniform from 1e-300 to 1e2 with random signs (GSL's
 * mt19937 seeded with `seed`).  n >= TEST_TANH_EDGES. */
enum { TEST_TANH_EDGES = 17, TEST_TANH_SATURATED = TEST_TANH_EDGES - 4 };
void test_tanh_arguments(double *z, size_t n, unsigned long seed);

/* The largest relative error of t[i] against libm's tanh(z[i]) (absolute
 * where tanh is 0); *at gets the z where it occurs. */
double test_tanh_worst(const double *z, const double *t, size_t n, double *at);

/* Seconds on the monotonic clock, for timing intervals. */
static inline double test_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

#endif
