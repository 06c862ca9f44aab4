/* record_util.h -- what the pilot and recording suites share: recording
 * options with the test defaults, and one recorded, validated session.
 * Failures fail the running Check test; the demonstration returned belongs
 * to the caller (ilrl_demo_free). */
#ifndef ILRL_TESTS_RECORD_UTIL_H
#define ILRL_TESTS_RECORD_UTIL_H

#include <stddef.h>

#include "ilrl/demo.h"
#include "ilrl/record.h"

/* Flappy Bird's sparse rewards, 30 frames per second, nothing rendered. */
struct ilrl_record_options test_record_options(size_t n_episodes, long max_steps,
                                               unsigned long seed);

/* Plays `spec` (pilot seed options->seed) and returns the validated
 * demonstration. */
struct ilrl_demo *test_record(const char *spec, const struct ilrl_record_options *options);

#endif /* ILRL_TESTS_RECORD_UTIL_H */
