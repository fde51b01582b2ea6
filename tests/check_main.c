/*
 * The unit-test runner: every suite of tests/test_*.c, run by Check.
 * Exits non-zero when any test fails.
 *
 * Check forks a child per test; libgomp's thread pool does not survive a
 * fork (GCC bug 60035), so nothing here may start an OpenMP region before
 * the tests fork.
 */
#include <check.h>
#include <stdlib.h>

#define SUITE(name) Suite *name##_suite(void);
#include "suites.inc"
#undef SUITE

int main(void)
{
    SRunner *runner = srunner_create(NULL);
#define SUITE(name) srunner_add_suite(runner, name##_suite());
#include "suites.inc"
#undef SUITE
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
