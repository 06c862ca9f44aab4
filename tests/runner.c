/* runner.c -- the one test runner shared by every Check suite.
 *
 * Each tests/check_<module>.c defines `Suite *<module>_suite(void)`; the build
 * compiles this file once per suite with -DILRL_SUITE=<module>_suite.
 *
 * MPI suites (tests/check_schedule.c) add -DILRL_SUITE_MPI and run under
 * mpirun through a .np2 / .np3 wrapper script.  Every rank then starts MPI
 * the way the programs do (ilrl_schedule_init), runs the whole suite in
 * no-fork mode (a forked child cannot use its parent's MPI), and the ranks
 * agree on the verdict (the worst failure count over ranks) before
 * finalising, so every rank exits with the same status.  Inside a test, the
 * suite itself must agree before asserting (see check_schedule.c): a rank
 * that leaves a test early would leave the others waiting in a collective.
 */
#include "config.h"

#include <stdlib.h>

#include <check.h>
#ifdef ILRL_SUITE_MPI
#include "ilrl/error.h"
#include "ilrl/schedule.h"
#endif

Suite *ILRL_SUITE(void);

int main(int argc, char **argv)
{
    int failed;
#ifdef ILRL_SUITE_MPI
    if (ilrl_schedule_init(&argc, &argv) != ILRL_OK)
        return EXIT_FAILURE;
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
    failed = (int)ilrl_schedule_max((double)failed);
    ilrl_schedule_finalize();
#endif
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
