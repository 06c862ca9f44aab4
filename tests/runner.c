/* runner.c -- the one test runner shared by every Check suite.
 *
 * Each tests/check_<module>.c defines `Suite *<module>_suite(void)`; the build
 * compiles this file once per suite with -DILRL_SUITE=<module>_suite (and
 * -DILRL_SUITE_MPI for suites that need MPI).  Under MPI every rank runs the
 * suite in no-fork mode and the ranks agree on the verdict with an allreduce
 * before exiting, so one failing rank fails the test on all ranks instead of
 * leaving the others waiting.
 */
#include "config.h"

#include <stdlib.h>

#include <check.h>
#ifdef ILRL_SUITE_MPI
#include <mpi.h>
#endif

Suite *ILRL_SUITE(void);

int main(int argc, char **argv)
{
    int failed;
#ifdef ILRL_SUITE_MPI
    MPI_Init(&argc, &argv);
#else
    (void)argc;
    (void)argv;
#endif
    SRunner *runner = srunner_create(ILRL_SUITE());
#ifdef ILRL_SUITE_MPI
    srunner_set_fork_status(runner, CK_NOFORK);
#endif
    srunner_run_all(runner, CK_NORMAL);
    failed = srunner_ntests_failed(runner);
    srunner_free(runner);
#ifdef ILRL_SUITE_MPI
    int any_failed = 0;
    MPI_Allreduce(&failed, &any_failed, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    failed = any_failed;
    MPI_Finalize();
#endif
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
