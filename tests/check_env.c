/* check_env.c -- the conformance suite every environment of the table
 * (env.h) must pass: consistent constants (D feature names, K action names,
 * schemes that parse back), reset determinism from the seed, observations
 * of D finite values, every action in [0, K) playable, the termination and
 * truncation flags (terminated and truncated never both; the time limit
 * truncates; a terminated game stays terminated with reward 0), the own
 * pilots answering actions in range, and the renderer surviving extreme
 * states.  A new environment gets all of this by its table line
 * (docs/adding-an-environment.md). */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "ilrl/env.h"
#include "ilrl/error.h"

static size_t count_names(const char *list)
{
    size_t n = 1;
    for (const char *c = list; *c != '\0'; c++)
        n += *c == ',';
    return list[0] == '\0' ? 0 : n;
}

START_TEST(test_constants)
{
    const struct ilrl_env_type *type = ilrl_env_at((size_t)_i);
    ck_assert_ptr_nonnull(type);
    ck_assert(type->name[0] != '\0' && type->title[0] != '\0');
    ck_assert_uint_ge(type->n_features, 1);
    ck_assert_int_ge(type->n_actions, 2);
    ck_assert_uint_eq(count_names(type->feature_names), type->n_features);
    ck_assert_uint_eq(count_names(type->action_names), (size_t)type->n_actions);
    ck_assert_int_ge(type->n_schemes, 1);
    for (int s = 0; s < type->n_schemes; s++) {
        int back = -1;
        ck_assert_int_eq(ilrl_env_scheme_parse(type, type->scheme_names[s], &back), ILRL_OK);
        ck_assert_int_eq(back, s);
        ck_assert_str_eq(ilrl_env_scheme_name(type, s), type->scheme_names[s]);
    }
    int index = -1;
    ck_assert_ptr_eq(ilrl_env_find(type->name, &index), type);
    ck_assert_int_eq(index, _i);
    ck_assert_int_eq(ilrl_env_index(type), _i);
    ck_assert_ptr_nonnull(strstr(ilrl_env_names(), type->name));
    ck_assert(type->alloc && type->free && type->reset && type->step && type->observe
              && type->draw && type->human_action && type->poor && type->strong
              && type->poor->act && type->strong->act && type->set_extreme_state);
    ck_assert_ptr_nonnull(type->start_hint);
    ck_assert_ptr_nonnull(type->keys_help);
    ck_assert_int_eq(ilrl_env_scheme_parse(type, "no-such-scheme", &index), ILRL_EUSAGE);
    ck_assert_ptr_null(ilrl_env_alloc(type, type->n_schemes));
}
END_TEST

/* Plays one episode of at most `limit` steps with actions cycling through
 * [0, K) seeded by `seed`; the observations land in obs (limit + 1 rows). */
static long play(struct ilrl_env *env, unsigned long seed, long limit, double *obs,
                 double *reward)
{
    size_t d = env->type->n_features;
    ilrl_env_reset(env, seed);
    ck_assert_int_eq(env->steps, 0);
    ck_assert(!env->terminated && !env->truncated);
    long t;
    for (t = 0; t < limit; t++) {
        int terminated = -1, truncated = -1;
        ilrl_env_observe(env, &obs[(size_t)t * d]);
        for (size_t k = 0; k < d; k++)
            ck_assert_msg(isfinite(obs[(size_t)t * d + k]), "%s: obs[%ld][%zu] not finite",
                          env->type->name, t, k);
        int action = (int)((seed + (unsigned long)t * 7) % (unsigned long)env->type->n_actions);
        int over = ilrl_env_step(env, action, &reward[t], &terminated, &truncated);
        ck_assert(isfinite(reward[t]));
        ck_assert_int_eq(over, terminated || truncated);
        ck_assert(!(terminated && truncated));
        ck_assert_int_eq(env->steps, t + 1);
        if (truncated)
            ck_assert_int_eq(env->steps, env->type->time_limit);
        if (over)
            return t + 1;
    }
    return t;
}

START_TEST(test_reset_determinism_and_flags)
{
    const struct ilrl_env_type *type = ilrl_env_at((size_t)_i);
    enum { LIMIT = 3000 };
    size_t d = type->n_features;
    double *a = calloc((LIMIT + 1) * d, sizeof *a), *b = calloc((LIMIT + 1) * d, sizeof *b);
    double *ra = calloc(LIMIT, sizeof *ra), *rb = calloc(LIMIT, sizeof *rb);
    for (int scheme = 0; scheme < type->n_schemes; scheme++) {
        struct ilrl_env *env = ilrl_env_alloc(type, scheme), *other = ilrl_env_alloc(type, scheme);
        ck_assert_ptr_nonnull(env);
        for (unsigned long seed = 1; seed <= 5; seed++) {
            long na = play(env, seed, LIMIT, a, ra);
            /* Another game, and the same game after other episodes: same. */
            play(env, seed + 100, LIMIT, b, rb);
            long nb = play(other, seed, LIMIT, b, rb);
            ck_assert_int_eq(na, nb);
            ck_assert_mem_eq(a, b, (size_t)na * d * sizeof *a);
            ck_assert_mem_eq(ra, rb, (size_t)na * sizeof *ra);
            nb = play(env, seed, LIMIT, b, rb);
            ck_assert_int_eq(na, nb);
            ck_assert_mem_eq(a, b, (size_t)na * d * sizeof *a);
            /* After the end: terminated stays, reward 0, no more steps. */
            if (env->terminated) {
                double r = 9;
                ck_assert_int_eq(ilrl_env_step(env, 0, &r, NULL, NULL), 1);
                ck_assert(r == 0.0);
            }
        }
        /* Different seeds give different starts (or pipes) somewhere. */
        int differ = 0;
        for (unsigned long seed = 1; seed <= 20 && !differ; seed++) {
            play(env, seed, 60, a, ra);
            play(other, seed + 1, 60, b, rb);
            differ = memcmp(a, b, d * sizeof *a) != 0 || memcmp(ra, rb, 60 * sizeof *ra) != 0;
        }
        ck_assert(differ);
        ilrl_env_free(env);
        ilrl_env_free(other);
    }
    free(a);
    free(b);
    free(ra);
    free(rb);
}
END_TEST

/* The environment's own pilots and its key map answer actions in [0, K). */
START_TEST(test_pilots_answer_actions_in_range)
{
    const struct ilrl_env_type *type = ilrl_env_at((size_t)_i);
    const struct ilrl_env_controller *controllers[2] = {type->poor, type->strong};
    struct ilrl_env *env = ilrl_env_alloc(type, 0);
    for (int c = 0; c < 2; c++) {
        void *self = controllers[c]->alloc ? controllers[c]->alloc() : NULL;
        ck_assert(controllers[c]->alloc == NULL || self != NULL);
        ilrl_env_reset(env, 11);
        for (int t = 0; t < 300; t++) {
            int action = controllers[c]->act(self, env->game);
            ck_assert_int_ge(action, 0);
            ck_assert_int_lt(action, type->n_actions);
            if (ilrl_env_step(env, action, NULL, NULL, NULL))
                break;
        }
        if (controllers[c]->free)
            controllers[c]->free(self);
    }
    for (unsigned keys = 0; keys < 8; keys++)
        for (long frame = 0; frame < 4; frame++) {
            int action = type->human_action(keys, frame);
            ck_assert(action >= 0 && action < type->n_actions);
        }
    ilrl_env_free(env);
}
END_TEST

START_TEST(test_renderer_survives_extreme_states)
{
    const struct ilrl_env_type *type = ilrl_env_at((size_t)_i);
    struct ilrl_env *env = ilrl_env_alloc(type, 0);
    FILE *sink = tmpfile();
    ck_assert_ptr_nonnull(sink);
    ck_assert_uint_ge(type->n_extreme_states, 1);
    double *obs = malloc(type->n_features * sizeof *obs);
    ilrl_env_reset(env, 1);
    type->draw(env->game, sink);
    for (size_t k = 0; k < type->n_extreme_states; k++) {
        ilrl_env_reset(env, 1);
        type->set_extreme_state(env->game, k);
        type->draw(env->game, sink);
        ilrl_env_observe(env, obs);
        ilrl_env_step(env, (int)(k % (size_t)type->n_actions), NULL, NULL, NULL);
        type->draw(env->game, sink);
    }
    /* A reset game's picture fits the terminal: at most 21 rows of at most
     * 79 visible columns (escape sequences do not count). */
    fclose(sink);
    sink = tmpfile();
    ck_assert_ptr_nonnull(sink);
    ilrl_env_reset(env, 1);
    type->draw(env->game, sink);
    rewind(sink);
    int c, rows = 0, column = 0, widest = 0, escape = 0;
    while ((c = fgetc(sink)) != EOF) {
        if (escape) {
            escape = !(c >= '@' && c <= '~' && c != '[');
            continue;
        }
        if (c == 033) {
            escape = 1;
        } else if (c == '\n') {
            rows++;
            column = 0;
        } else if (c != '\r') {
            column++;
            widest = column > widest ? column : widest;
        }
    }
    ck_assert_int_le(rows, 21);
    ck_assert_int_ge(rows, 1);
    ck_assert_int_le(widest, 79);
    fclose(sink);
    free(obs);
    ilrl_env_free(env);
}
END_TEST

START_TEST(test_table)
{
    ck_assert_uint_ge(ilrl_env_count(), 2);
    ck_assert_ptr_eq(ilrl_env_default(), ilrl_env_at(0));
    ck_assert_str_eq(ilrl_env_default()->name, "flappy-bird");
    ck_assert_ptr_null(ilrl_env_at(ilrl_env_count()));
    const struct ilrl_env_type *type = NULL;
    ck_assert_int_eq(ilrl_env_parse("mountain-car", &type), ILRL_EUSAGE);
    ck_assert_ptr_nonnull(strstr(ilrl_error_message(), "flappy-bird, cartpole"));
    ck_assert_int_eq(ilrl_env_parse("cartpole", &type), ILRL_OK);
    ck_assert_str_eq(ilrl_env_scheme_list(type), "default or shaped");
    /* Names are unique. */
    for (size_t i = 0; i < ilrl_env_count(); i++)
        for (size_t j = i + 1; j < ilrl_env_count(); j++)
            ck_assert_str_ne(ilrl_env_at(i)->name, ilrl_env_at(j)->name);
}
END_TEST

Suite *env_suite(void)
{
    Suite *suite = suite_create("env");
    TCase *table = tcase_create("table");
    tcase_add_test(table, test_table);
    suite_add_tcase(suite, table);
    TCase *each = tcase_create("every environment");
    tcase_set_timeout(each, 60);
    int n = (int)ilrl_env_count();
    tcase_add_loop_test(each, test_constants, 0, n);
    tcase_add_loop_test(each, test_reset_determinism_and_flags, 0, n);
    tcase_add_loop_test(each, test_pilots_answer_actions_in_range, 0, n);
    tcase_add_loop_test(each, test_renderer_survives_extreme_states, 0, n);
    suite_add_tcase(suite, each);
    return suite;
}
