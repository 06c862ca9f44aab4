/* env.c -- owns the table of environments and the bookkeeping every
 * environment shares (see include/ilrl/env.h): the reward scheme, the step
 * count and the truncation at the type's time limit.
 *
 * The table below is the one place that lists the environments.  Adding one
 * is a line here plus its module (docs/adding-an-environment.md); order
 * matters only for index 0, the default of every program, which stays
 * flappy-bird.  Truncation: a step that terminates is never also truncated
 * (Gymnasium's TimeLimit may report both; the demonstration file has one
 * flag per episode, and terminated is the one the losses need).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "ilrl/cartpole.h"
#include "ilrl/env.h"
#include "ilrl/error.h"
#include "ilrl/flappy.h"

static const struct ilrl_env_type *const table[] = {
    &ilrl_flappy_env,
    &ilrl_cartpole_env,
};
enum { N_ENVS = sizeof table / sizeof table[0] };

size_t ilrl_env_count(void)
{
    return N_ENVS;
}

const struct ilrl_env_type *ilrl_env_at(size_t index)
{
    return index < N_ENVS ? table[index] : NULL;
}

const struct ilrl_env_type *ilrl_env_default(void)
{
    return table[0];
}

const struct ilrl_env_type *ilrl_env_find(const char *name, int *index)
{
    for (size_t i = 0; name != NULL && i < N_ENVS; i++)
        if (strcmp(table[i]->name, name) == 0) {
            if (index != NULL)
                *index = (int)i;
            return table[i];
        }
    return NULL;
}

int ilrl_env_index(const struct ilrl_env_type *type)
{
    for (size_t i = 0; i < N_ENVS; i++)
        if (table[i] == type)
            return (int)i;
    return -1;
}

const char *ilrl_env_names(void)
{
    static char names[256];
    if (names[0] == '\0') {
        size_t used = 0;
        for (size_t i = 0; i < N_ENVS; i++)
            used += (size_t)snprintf(names + used, sizeof names - used, "%s%s",
                                     i > 0 ? ", " : "", table[i]->name);
    }
    return names;
}

int ilrl_env_parse(const char *name, const struct ilrl_env_type **type)
{
    *type = ilrl_env_find(name, NULL);
    if (*type == NULL)
        return ilrl_error(ILRL_EUSAGE, "unknown environment '%s' (expected one of: %s)",
                          name != NULL ? name : "(null)", ilrl_env_names());
    return ILRL_OK;
}

int ilrl_env_scheme_parse(const struct ilrl_env_type *type, const char *name, int *scheme)
{
    for (int s = 0; name != NULL && s < type->n_schemes; s++)
        if (strcmp(type->scheme_names[s], name) == 0) {
            *scheme = s;
            return ILRL_OK;
        }
    return ilrl_error(ILRL_EUSAGE, "'%s' is not a reward scheme of %s (%s)",
                      name != NULL ? name : "(null)", type->name, ilrl_env_scheme_list(type));
}

const char *ilrl_env_scheme_name(const struct ilrl_env_type *type, int scheme)
{
    return scheme >= 0 && scheme < type->n_schemes ? type->scheme_names[scheme] : "";
}

const char *ilrl_env_scheme_list(const struct ilrl_env_type *type)
{
    /* One buffer per table entry, filled once: the tables are constant. */
    static char lists[N_ENVS][128];
    int index = ilrl_env_index(type);
    if (index < 0)
        return "";
    char *list = lists[index];
    if (list[0] == '\0') {
        size_t used = 0;
        for (int s = 0; s < type->n_schemes; s++)
            used += (size_t)snprintf(list + used, sizeof lists[0] - used, "%s%s",
                                     s == 0 ? "" : s + 1 == type->n_schemes ? " or " : ", ",
                                     type->scheme_names[s]);
    }
    return list;
}

struct ilrl_env *ilrl_env_alloc(const struct ilrl_env_type *type, int scheme)
{
    if (type == NULL || scheme < 0 || scheme >= type->n_schemes) {
        ilrl_error(ILRL_EFAILED, "no environment, or reward scheme %d out of range", scheme);
        return NULL;
    }
    struct ilrl_env *env = calloc(1, sizeof *env);
    if (env != NULL)
        env->game = type->alloc();
    if (env == NULL || env->game == NULL) {
        free(env);
        ilrl_error(ILRL_EFAILED, "out of memory for a %s game", type->name);
        return NULL;
    }
    env->type = type;
    env->scheme = scheme;
    return env;
}

void ilrl_env_free(struct ilrl_env *env)
{
    if (env == NULL)
        return;
    env->type->free(env->game);
    free(env);
}

void ilrl_env_reset(struct ilrl_env *env, unsigned long seed)
{
    env->type->reset(env->game, seed);
    env->steps = 0;
    env->terminated = 0;
    env->truncated = 0;
}

int ilrl_env_step(struct ilrl_env *env, int action, double *reward, int *terminated,
                  int *truncated)
{
    double r;
    env->terminated = env->type->step(env->game, action, env->scheme, &r) != 0;
    env->steps++;
    env->truncated = !env->terminated && env->type->time_limit > 0
                     && env->steps >= env->type->time_limit;
    if (reward != NULL)
        *reward = r;
    if (terminated != NULL)
        *terminated = env->terminated;
    if (truncated != NULL)
        *truncated = env->truncated;
    return env->terminated || env->truncated;
}

void ilrl_env_observe(const struct ilrl_env *env, double *obs)
{
    env->type->observe(env->game, obs);
}

int ilrl_env_score(const struct ilrl_env *env)
{
    return env->type->score != NULL ? env->type->score(env->game) : 0;
}
