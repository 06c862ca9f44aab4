/* record_util.c -- see record_util.h. */
#include "config.h"

#include <string.h>

#include <check.h>

#include "ilrl/error.h"
#include "ilrl/flappy.h"
#include "ilrl/pilot.h"
#include "record_util.h"

struct ilrl_record_options test_record_options(size_t n_episodes, long max_steps,
                                               unsigned long seed)
{
    struct ilrl_record_options options;
    memset(&options, 0, sizeof options);
    options.n_episodes = n_episodes;
    options.max_steps = max_steps;
    options.seed = seed;
    options.scheme = ILRL_REWARD_SPARSE;
    options.fps = 30;
    return options;
}

struct ilrl_demo *test_record(const char *spec, const struct ilrl_record_options *options)
{
    struct ilrl_pilot *pilot = NULL;
    struct ilrl_demo *demo = NULL;
    ck_assert_int_eq(ilrl_pilot_parse(spec, options->seed, &pilot), ILRL_OK);
    int status = ilrl_record_session(pilot, options, &demo);
    ck_assert_msg(status == ILRL_OK, "%s: %s", spec, ilrl_error_message());
    ck_assert_int_eq(ilrl_demo_validate(demo, "test"), ILRL_OK);
    ilrl_pilot_free(pilot);
    return demo;
}
