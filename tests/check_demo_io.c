/* check_demo_io.c -- the demonstration file: round trips, files from other
 * tools, every reader rejection (each must be ILRL_EINPUT and name the file,
 * the variable and, where it applies, the index), and the writer's refusal to
 * clobber, its atomicity on unwritable directories and on a full disk.
 *
 * Bad files are made here with the NetCDF C API: either a valid file written
 * by the library and then patched (values, attributes, renamed variables), or
 * a file laid out from scratch by write_raw() (types, shapes, dimensions,
 * NetCDF-3 and chunked NetCDF-4 files from "other tools").
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <check.h>
#include <netcdf.h>

#include "ilrl/demo.h"
#include "ilrl/demo_io.h"
#include "ilrl/error.h"
#include "testutil.h"

/* ---- scratch directory ----------------------------------------------------- */

static void make_scratch(void)
{
    test_scratch_create("check_demo_io");
}

/* ---- a valid demonstration ------------------------------------------------- */

/* 7 steps in 3 episodes (3, 2, 2), 3 features, K = 2, every field set. */
static struct ilrl_demo *sample_demo(void)
{
    struct ilrl_demo *demo = ilrl_demo_alloc(7, 3, 3, 2);
    const int lengths[3] = { 3, 2, 2 };
    int64_t start = 0;

    ck_assert_ptr_nonnull(demo);
    for (size_t t = 0; t < 7; t++) {
        for (size_t f = 0; f < 3; f++)
            demo->obs[t * 3 + f] = 1.0 / 3.0 * (double)t - 0.125 * (double)f + 1e-300;
        demo->action[t] = (int)(t * 5 % 2);
        demo->reward[t] = t == 2 ? -1.0 : 0.1 * (double)t;
    }
    for (size_t e = 0; e < 3; e++) {
        demo->episode_start[e] = start;
        demo->episode_length[e] = lengths[e];
        demo->terminated[e] = e != 1;
        demo->score[e] = (int)e * 7;
        start += lengths[e];
    }
    ck_assert_int_eq(ilrl_demo_set_string(&demo->env, "flappy-bird"), ILRL_OK);
    ck_assert_int_eq(ilrl_demo_set_string(&demo->pilot, "noisy:0.01"), ILRL_OK);
    ck_assert_int_eq(ilrl_demo_set_string(&demo->reward_scheme, "shaped"), ILRL_OK);
    ck_assert_int_eq(ilrl_demo_set_string(&demo->action_names, "idle,flap"), ILRL_OK);
    ck_assert_int_eq(ilrl_demo_set_string(&demo->feature_names, "a,b,c"), ILRL_OK);
    ck_assert_int_eq(ilrl_demo_set_string(&demo->title, "a test demo"), ILRL_OK);
    ck_assert_int_eq(ilrl_demo_set_string(&demo->history,
                                          "ilrl-demo --pilot 'noisy:0.01'"), ILRL_OK);
    demo->seed = 42;
    return demo;
}

/* Writes the sample demo to scratch/name and returns the path. */
static const char *write_sample(const char *name)
{
    const char *path = test_scratch_path(name);
    struct ilrl_demo *demo = sample_demo();
    int status = ilrl_demo_write(path, demo, 0);
    ck_assert_msg(status == ILRL_OK, "write: %s", ilrl_error_message());
    ilrl_demo_free(demo);
    return path;
}

/* Reading must fail with ILRL_EINPUT, *out NULL, and a message that starts
 * with the path and contains every one of the given fragments. */
static void assert_rejected(const char *path, const char *fragment1,
                            const char *fragment2)
{
    struct ilrl_demo *demo = (struct ilrl_demo *)&demo; /* poison */
    int status = ilrl_demo_read(path, &demo);
    const char *message = ilrl_error_message();

    ck_assert_msg(status == ILRL_EINPUT, "status %d, message '%s'", status, message);
    ck_assert_ptr_null(demo);
    ck_assert_msg(strncmp(message, path, strlen(path)) == 0,
                  "message '%s' does not start with the path", message);
    ck_assert_msg(strstr(message, fragment1) != NULL, "'%s' not in '%s'", fragment1,
                  message);
    if (fragment2 != NULL)
        ck_assert_msg(strstr(message, fragment2) != NULL, "'%s' not in '%s'",
                      fragment2, message);
}

/* ---- patching a valid file ------------------------------------------------- */

#define NC_OK(call) ck_assert_msg((call) == NC_NOERR, "%s", #call)

static int open_for_patch(const char *path, const char *var, int *varid)
{
    int ncid;
    NC_OK(nc_open(path, NC_WRITE, &ncid));
    if (var != NULL)
        NC_OK(nc_inq_varid(ncid, var, varid));
    return ncid;
}

static void patch_value(const char *path, const char *var, size_t i, size_t j,
                        double value)
{
    int varid, ndims;
    int ncid = open_for_patch(path, var, &varid);
    size_t index[2] = { i, j };
    NC_OK(nc_inq_varndims(ncid, varid, &ndims));
    (void)ndims;
    NC_OK(nc_put_var1_double(ncid, varid, index, &value));
    NC_OK(nc_close(ncid));
}

static void delete_global(const char *path, const char *name)
{
    int ncid = open_for_patch(path, NULL, NULL);
    NC_OK(nc_redef(ncid));
    NC_OK(nc_del_att(ncid, NC_GLOBAL, name));
    NC_OK(nc_close(ncid));
}

static void put_global_int(const char *path, const char *name, int value)
{
    int ncid = open_for_patch(path, NULL, NULL);
    NC_OK(nc_redef(ncid));
    NC_OK(nc_put_att_int(ncid, NC_GLOBAL, name, NC_INT, 1, &value));
    NC_OK(nc_close(ncid));
}

static void put_global_text(const char *path, const char *name, const char *value)
{
    int ncid = open_for_patch(path, NULL, NULL);
    NC_OK(nc_redef(ncid));
    NC_OK(nc_put_att_text(ncid, NC_GLOBAL, name, strlen(value), value));
    NC_OK(nc_close(ncid));
}

/* ---- files laid out from scratch ("other tools") --------------------------- */

struct raw_var {
    const char *name;
    nc_type type;
    int n_dims;
    const char *dims[2];
};

struct raw_file {
    int mode;               /* nc_create mode: NC_NETCDF4, NC_CLASSIC_MODEL, 0 = NetCDF-3 */
    size_t n_steps;         /* 0: an unlimited step dimension with no records */
    size_t n_features;
    size_t n_episodes;
    int unlimited_step;
    int chunked;            /* NetCDF-4: chunk and deflate obs */
    int n_actions;          /* < 0: attribute left out */
    int string_attributes;  /* NetCDF-4: env and pilot as NC_STRING */
    size_t n_vars;
    struct raw_var vars[8];
    const char *extra_dim;  /* an additional dimension (length 5) if not NULL */
};

static const struct raw_var standard_vars[7] = {
    { "obs", NC_DOUBLE, 2, { "step", "feature" } },
    { "action", NC_INT, 1, { "step", NULL } },
    { "reward", NC_DOUBLE, 1, { "step", NULL } },
    { "episode_start", NC_INT64, 1, { "episode", NULL } },
    { "episode_length", NC_INT, 1, { "episode", NULL } },
    { "terminated", NC_BYTE, 1, { "episode", NULL } },
    { "score", NC_INT, 1, { "episode", NULL } },
};

static struct raw_file standard_raw(void)
{
    struct raw_file raw;
    memset(&raw, 0, sizeof raw);
    raw.mode = NC_NETCDF4;
    raw.n_steps = 10;
    raw.n_features = 4;
    raw.n_episodes = 3;
    raw.n_actions = 2;
    raw.n_vars = 7;
    memcpy(raw.vars, standard_vars, sizeof standard_vars);
    return raw;
}

static struct raw_var *raw_find(struct raw_file *raw, const char *name)
{
    for (size_t v = 0; v < raw->n_vars; v++)
        if (strcmp(raw->vars[v].name, name) == 0)
            return &raw->vars[v];
    ck_abort_msg("no variable %s", name);
    return NULL;
}

static void raw_remove(struct raw_file *raw, const char *name)
{
    struct raw_var *var = raw_find(raw, name);
    size_t v = (size_t)(var - raw->vars);
    memmove(var, var + 1, (raw->n_vars - v - 1) * sizeof *var);
    raw->n_vars--;
}

/* A valid value for element i of a variable in its standard shape; episodes
 * split the steps evenly with the remainder in the last one. */
static double raw_value(const struct raw_file *raw, const char *name, size_t i)
{
    size_t per_episode = raw->n_steps / raw->n_episodes;
    if (strcmp(name, "obs") == 0)
        return 0.5 * (double)i - 1.0;
    if (strcmp(name, "action") == 0)
        return (double)(i % (size_t)(raw->n_actions > 1 ? raw->n_actions : 2));
    if (strcmp(name, "reward") == 0)
        return i % 3 == 0 ? 1.0 : 0.0;
    if (strcmp(name, "episode_start") == 0)
        return (double)(i * per_episode);
    if (strcmp(name, "episode_length") == 0)
        return (double)(i + 1 < raw->n_episodes ? per_episode
                        : raw->n_steps - per_episode * (raw->n_episodes - 1));
    if (strcmp(name, "terminated") == 0)
        return (double)(i % 2);
    return (double)i; /* score */
}

static size_t raw_dim_length(const struct raw_file *raw, const char *dim)
{
    if (strcmp(dim, "step") == 0)
        return raw->n_steps;
    if (strcmp(dim, "feature") == 0)
        return raw->n_features;
    if (strcmp(dim, "episode") == 0)
        return raw->n_episodes;
    return 5;
}

static void write_raw(const char *path, const struct raw_file *raw)
{
    const char *dim_names[4] = { "step", "feature", "episode", raw->extra_dim };
    int n_dims = raw->extra_dim != NULL ? 4 : 3;
    int ncid, dimids[4], varids[8];

    NC_OK(nc_create(path, raw->mode | NC_CLOBBER, &ncid));
    for (int d = 0; d < n_dims; d++) {
        size_t length = raw_dim_length(raw, dim_names[d]);
        if (d == 0 && (raw->unlimited_step || raw->n_steps == 0))
            length = NC_UNLIMITED;
        NC_OK(nc_def_dim(ncid, dim_names[d], length, &dimids[d]));
    }
    for (size_t v = 0; v < raw->n_vars; v++) {
        const struct raw_var *var = &raw->vars[v];
        int var_dims[2];
        for (int k = 0; k < var->n_dims; k++)
            NC_OK(nc_inq_dimid(ncid, var->dims[k], &var_dims[k]));
        NC_OK(nc_def_var(ncid, var->name, var->type, var->n_dims, var_dims, &varids[v]));
        if (raw->chunked && var->n_dims == 2) {
            size_t chunks[2] = { 3, 2 };
            NC_OK(nc_def_var_chunking(ncid, varids[v], NC_CHUNKED, chunks));
            NC_OK(nc_def_var_deflate(ncid, varids[v], 1, 1, 4));
        }
    }
    if (raw->n_actions >= 0) {
        short k = (short)raw->n_actions; /* any integer type is fine */
        NC_OK(nc_put_att_short(ncid, NC_GLOBAL, "n_actions", NC_SHORT, 1, &k));
    }
    if (raw->string_attributes) {
        const char *env = "gridworld", *pilot = "a-star";
        NC_OK(nc_put_att_string(ncid, NC_GLOBAL, "env", 1, &env));
        NC_OK(nc_put_att_string(ncid, NC_GLOBAL, "pilot", 1, &pilot));
    }
    NC_OK(nc_enddef(ncid));
    for (size_t v = 0; v < raw->n_vars; v++) {
        const struct raw_var *var = &raw->vars[v];
        size_t count[2] = { 1, 1 }, start[2] = { 0, 0 }, n = 1;
        for (int k = 0; k < var->n_dims; k++) {
            count[k] = raw_dim_length(raw, var->dims[k]);
            n *= count[k];
        }
        if (n == 0)
            continue;
        double *values = malloc(n * sizeof *values);
        ck_assert_ptr_nonnull(values);
        for (size_t i = 0; i < n; i++)
            values[i] = raw_value(raw, var->name, i);
        NC_OK(nc_put_vara_double(ncid, varids[v], start, count, values));
        free(values);
    }
    NC_OK(nc_close(ncid));
}

static void write_and_reject(const struct raw_file *raw, const char *fragment1,
                             const char *fragment2)
{
    const char *path = test_scratch_path("raw.nc");
    write_raw(path, raw);
    assert_rejected(path, fragment1, fragment2);
}

/* ---- round trips ---------------------------------------------------------- */

START_TEST(test_round_trip_is_identical)
{
    const char *path = test_scratch_path("demo.nc");
    struct ilrl_demo *written = sample_demo();
    struct ilrl_demo *read = NULL;
    char source[64];

    ck_assert_int_eq(ilrl_demo_write(path, written, 0), ILRL_OK);
    ck_assert_int_eq(test_count_temporaries(test_scratch_dir()), 0);
    ck_assert_msg(ilrl_demo_read(path, &read) == ILRL_OK, "%s", ilrl_error_message());

    ck_assert_uint_eq(read->n_steps, written->n_steps);
    ck_assert_uint_eq(read->n_features, written->n_features);
    ck_assert_uint_eq(read->n_episodes, written->n_episodes);
    ck_assert_int_eq(read->n_actions, written->n_actions);
    ck_assert_mem_eq(read->obs, written->obs, 7 * 3 * sizeof(double));
    ck_assert_mem_eq(read->action, written->action, 7 * sizeof(int));
    ck_assert_mem_eq(read->reward, written->reward, 7 * sizeof(double));
    ck_assert_mem_eq(read->episode_start, written->episode_start, 3 * sizeof(int64_t));
    ck_assert_mem_eq(read->episode_length, written->episode_length, 3 * sizeof(int));
    ck_assert_mem_eq(read->terminated, written->terminated, 3);
    ck_assert_ptr_nonnull(read->score);
    ck_assert_mem_eq(read->score, written->score, 3 * sizeof(int));

    ck_assert_str_eq(read->env, "flappy-bird");
    ck_assert_str_eq(read->pilot, "noisy:0.01");
    ck_assert_str_eq(read->reward_scheme, "shaped");
    ck_assert_str_eq(read->action_names, "idle,flap");
    ck_assert_str_eq(read->feature_names, "a,b,c");
    ck_assert_str_eq(read->title, "a test demo");
    ck_assert_int_eq(read->seed, 42);
    snprintf(source, sizeof source, "%s %s", PACKAGE_NAME, PACKAGE_VERSION);
    ck_assert_str_eq(read->source, source);
    /* history is written as given (programs format it: ilrl_ncfile_history) */
    ck_assert_str_eq(read->history, written->history);

    ilrl_demo_free(written);
    ilrl_demo_free(read);
}
END_TEST

/* final_obs round-trips; a file without it reads with final_obs NULL; a
 * non-finite or never-written entry is refused like obs's. */
START_TEST(test_final_obs_round_trip_and_checks)
{
    const char *path = test_scratch_path("final.nc");
    struct ilrl_demo *written = sample_demo();
    struct ilrl_demo *read = NULL;

    ck_assert_int_eq(ilrl_demo_add_final_obs(written), ILRL_OK);
    for (size_t k = 0; k < 3 * 3; k++)
        written->final_obs[k] = 0.5 * (double)k - 1.75;
    ck_assert_int_eq(ilrl_demo_write(path, written, 0), ILRL_OK);
    ck_assert_msg(ilrl_demo_read(path, &read) == ILRL_OK, "%s", ilrl_error_message());
    ck_assert_ptr_nonnull(read->final_obs);
    ck_assert_mem_eq(read->final_obs, written->final_obs, 9 * sizeof(double));
    ilrl_demo_free(read);
    read = NULL;

    path = write_sample("no_final.nc");
    ck_assert_msg(ilrl_demo_read(path, &read) == ILRL_OK, "%s", ilrl_error_message());
    ck_assert_ptr_null(read->final_obs);
    ilrl_demo_free(read);

    path = test_scratch_path("final_nan.nc");
    ck_assert_int_eq(ilrl_demo_write(path, written, 0), ILRL_OK);
    patch_value(path, "final_obs", 2, 1, NAN);
    assert_rejected(path, "final_obs[2,1]", "not finite");

    /* a whole row of NaN means "unknown": read as such */
    path = test_scratch_path("final_unknown.nc");
    ck_assert_int_eq(ilrl_demo_write(path, written, 0), ILRL_OK);
    for (size_t f = 0; f < 3; f++)
        patch_value(path, "final_obs", 1, f, NAN);
    ck_assert_msg(ilrl_demo_read(path, &read) == ILRL_OK, "%s", ilrl_error_message());
    ck_assert(isnan(read->final_obs[3]) && isnan(read->final_obs[5]));
    ck_assert(read->final_obs[6] == written->final_obs[6]);
    ilrl_demo_free(read);

    path = test_scratch_path("final_fill.nc");
    ck_assert_int_eq(ilrl_demo_write(path, written, 0), ILRL_OK);
    patch_value(path, "final_obs", 1, 0, NC_FILL_DOUBLE);
    assert_rejected(path, "final_obs", NULL);
    ilrl_demo_free(written);
}
END_TEST

START_TEST(test_schema_and_attributes_on_disk)
{
    const char *path = write_sample("demo.nc");
    int ncid, varid, format, ndims, dimids[2];
    nc_type type;
    size_t length;
    char text[256];

    NC_OK(nc_open(path, NC_NOWRITE, &ncid));
    NC_OK(nc_inq_format(ncid, &format));
    ck_assert_int_eq(format, NC_FORMAT_NETCDF4);
    const struct { const char *name; nc_type type; int ndims; } vars[] = {
        { "obs", NC_DOUBLE, 2 }, { "action", NC_INT, 1 }, { "reward", NC_DOUBLE, 1 },
        { "episode_start", NC_INT64, 1 }, { "episode_length", NC_INT, 1 },
        { "terminated", NC_BYTE, 1 }, { "score", NC_INT, 1 },
    };
    for (size_t v = 0; v < sizeof vars / sizeof vars[0]; v++) {
        NC_OK(nc_inq_varid(ncid, vars[v].name, &varid));
        NC_OK(nc_inq_var(ncid, varid, NULL, &type, &ndims, dimids, NULL));
        ck_assert_int_eq(type, vars[v].type);
        ck_assert_int_eq(ndims, vars[v].ndims);
        NC_OK(nc_inq_attlen(ncid, varid, "long_name", &length));
        ck_assert_uint_gt(length, 0);
    }
    const struct { const char *name; const char *value; } texts[] = {
        { "Conventions", "CF-1.8" }, { "ilrl_file_kind", "demonstration" },
        { "env", "flappy-bird" }, { "pilot", "noisy:0.01" },
        { "reward_scheme", "shaped" }, { "action_names", "idle,flap" },
        { "feature_names", "a,b,c" }, { "title", "a test demo" },
    };
    for (size_t a = 0; a < sizeof texts / sizeof texts[0]; a++) {
        NC_OK(nc_inq_att(ncid, NC_GLOBAL, texts[a].name, &type, &length));
        ck_assert_int_eq(type, NC_CHAR);
        ck_assert_uint_lt(length, sizeof text);
        NC_OK(nc_get_att_text(ncid, NC_GLOBAL, texts[a].name, text));
        text[length] = '\0';
        ck_assert_str_eq(text, texts[a].value);
    }
    NC_OK(nc_inq_att(ncid, NC_GLOBAL, "history", &type, &length));
    NC_OK(nc_inq_att(ncid, NC_GLOBAL, "source", &type, &length));
    int k;
    long long seed;
    NC_OK(nc_get_att_int(ncid, NC_GLOBAL, "n_actions", &k));
    ck_assert_int_eq(k, 2);
    NC_OK(nc_get_att_longlong(ncid, NC_GLOBAL, "seed", &seed));
    ck_assert_int_eq(seed, 42);
    NC_OK(nc_close(ncid));
}
END_TEST

START_TEST(test_round_trip_without_score_and_metadata)
{
    const char *path = test_scratch_path("bare.nc");
    struct ilrl_demo *written = ilrl_demo_alloc(2, 1, 1, 5);
    struct ilrl_demo *read = NULL;
    int ncid, varid;

    written->episode_length[0] = 2;
    written->action[1] = 4;
    free(written->score);
    written->score = NULL;
    ck_assert_int_eq(ilrl_demo_write(path, written, 0), ILRL_OK);
    NC_OK(nc_open(path, NC_NOWRITE, &ncid));
    ck_assert_int_eq(nc_inq_varid(ncid, "score", &varid), NC_ENOTVAR);
    ck_assert_int_eq(nc_inq_att(ncid, NC_GLOBAL, "seed", NULL, NULL), NC_ENOTATT);
    NC_OK(nc_close(ncid));
    ck_assert_int_eq(ilrl_demo_read(path, &read), ILRL_OK);
    ck_assert_ptr_null(read->score);
    ck_assert_int_eq(read->seed, -1);
    ck_assert_int_eq(read->n_actions, 5);
    ck_assert_int_eq(read->action[1], 4);
    ck_assert_str_eq(read->env, "");
    ck_assert_str_eq(read->history, "");
    ilrl_demo_free(written);
    ilrl_demo_free(read);
}
END_TEST

/* ---- files from other tools ----------------------------------------------- */

START_TEST(test_foreign_classic_file_d5_k3_without_score)
{
    struct raw_file raw = standard_raw();
    struct ilrl_demo *demo = NULL;
    const char *path = test_scratch_path("foreign.nc");

    raw.mode = 0; /* NetCDF-3 classic: no int64, no strings */
    raw.n_features = 5;
    raw.n_actions = 3;
    raw_remove(&raw, "score");
    raw_find(&raw, "obs")->type = NC_FLOAT;
    raw_find(&raw, "reward")->type = NC_FLOAT;
    raw_find(&raw, "action")->type = NC_SHORT;
    raw_find(&raw, "episode_start")->type = NC_INT;
    write_raw(path, &raw);

    ck_assert_msg(ilrl_demo_read(path, &demo) == ILRL_OK, "%s", ilrl_error_message());
    ck_assert_uint_eq(demo->n_features, 5);
    ck_assert_int_eq(demo->n_actions, 3);
    ck_assert_uint_eq(demo->n_steps, 10);
    ck_assert_uint_eq(demo->n_episodes, 3);
    ck_assert_ptr_null(demo->score);
    ck_assert_int_eq(demo->action[5], 2);
    ck_assert(demo->obs[7] == 2.5);
    ck_assert(demo->episode_start[2] == 6);
    ck_assert_int_eq(demo->episode_length[2], 4);
    ck_assert_str_eq(demo->env, "");
    ck_assert_str_eq(demo->title, "");
    ck_assert_int_eq(demo->seed, -1);
    ilrl_demo_free(demo);
}
END_TEST

START_TEST(test_foreign_chunked_unlimited_netcdf4)
{
    struct raw_file raw = standard_raw();
    struct ilrl_demo *demo = NULL;
    const char *path = test_scratch_path("chunked.nc");

    raw.unlimited_step = 1;
    raw.chunked = 1;
    raw.string_attributes = 1;
    raw.n_actions = 4;
    raw_find(&raw, "action")->type = NC_UBYTE;
    raw_find(&raw, "terminated")->type = NC_INT;
    raw_find(&raw, "episode_length")->type = NC_UINT64;
    write_raw(path, &raw);

    ck_assert_msg(ilrl_demo_read(path, &demo) == ILRL_OK, "%s", ilrl_error_message());
    ck_assert_uint_eq(demo->n_steps, 10);
    ck_assert_int_eq(demo->n_actions, 4);
    ck_assert_int_eq(demo->action[7], 3);
    ck_assert(demo->obs[39] == 18.5);
    ck_assert_str_eq(demo->env, "gridworld");
    ck_assert_str_eq(demo->pilot, "a-star");
    ck_assert_ptr_nonnull(demo->score);
    ck_assert_int_eq(demo->score[2], 2);
    ilrl_demo_free(demo);
}
END_TEST

/* ---- rejections: not a NetCDF file ---------------------------------------- */

START_TEST(test_reject_garbage_empty_truncated_missing)
{
    const char *path = test_scratch_path("garbage.nc");
    struct stat info;

    test_write_bytes(path, "this is not a NetCDF file\n", 26);
    assert_rejected(path, "not a NetCDF file", NULL);

    path = test_scratch_path("empty.nc");
    test_write_bytes(path, "", 0);
    assert_rejected(path, "not a NetCDF file", NULL);

    path = write_sample("truncated.nc");
    ck_assert_int_eq(stat(path, &info), 0);
    ck_assert_int_eq(truncate(path, info.st_size / 2), 0);
    assert_rejected(path, "truncated", NULL);
    ck_assert_int_eq(truncate(path, 600), 0);
    assert_rejected(path, "truncated", NULL);

    assert_rejected(test_scratch_path("absent.nc"), "cannot open", "No such file");
}
END_TEST

/* ---- rejections: schema --------------------------------------------------- */

START_TEST(test_reject_missing_variables)
{
    const char *names[] = { "obs", "action", "reward", "episode_start",
                            "episode_length", "terminated" };
    /* (nc_rename_var on a NetCDF-4 file can corrupt it -- netcdf-c 4.9 -- so
     * the variables are left out of a fresh file instead.) */
    for (size_t v = 0; v < sizeof names / sizeof names[0]; v++) {
        char fragment[64];
        struct raw_file raw = standard_raw();
        raw_remove(&raw, names[v]);
        snprintf(fragment, sizeof fragment, "variable '%s' is missing", names[v]);
        write_and_reject(&raw, fragment, NULL);
    }
}
END_TEST

START_TEST(test_reject_missing_dimension)
{
    /* write_raw always defines step/feature/episode, so rename one: */
    const char *path = write_sample("nodim.nc");
    int ncid, dimid;
    NC_OK(nc_open(path, NC_WRITE, &ncid));
    NC_OK(nc_redef(ncid));
    NC_OK(nc_inq_dimid(ncid, "episode", &dimid));
    NC_OK(nc_rename_dim(ncid, dimid, "episodes"));
    NC_OK(nc_close(ncid));
    assert_rejected(path, "dimension 'episode' is missing", NULL);
}
END_TEST

START_TEST(test_reject_wrong_types)
{
    struct raw_file raw = standard_raw();
    raw_find(&raw, "obs")->type = NC_INT;
    write_and_reject(&raw, "variable 'obs' has type int", "expected double");

    raw = standard_raw();
    raw_find(&raw, "action")->type = NC_DOUBLE;
    write_and_reject(&raw, "variable 'action' has type double", "integer");

    raw = standard_raw();
    raw_find(&raw, "reward")->type = NC_SHORT;
    write_and_reject(&raw, "variable 'reward' has type short", NULL);

    raw = standard_raw();
    raw_find(&raw, "episode_start")->type = NC_DOUBLE;
    write_and_reject(&raw, "variable 'episode_start' has type double", NULL);

    raw = standard_raw();
    raw_find(&raw, "terminated")->type = NC_FLOAT;
    write_and_reject(&raw, "variable 'terminated' has type float", NULL);

    raw = standard_raw();
    raw_find(&raw, "score")->type = NC_DOUBLE;
    write_and_reject(&raw, "variable 'score' has type double", NULL);
}
END_TEST

START_TEST(test_reject_wrong_shapes)
{
    struct raw_file raw = standard_raw();
    struct raw_var *obs = raw_find(&raw, "obs");
    obs->n_dims = 1;
    obs->dims[1] = NULL;
    write_and_reject(&raw, "variable 'obs' has dimensions (step)",
                     "expected (step, feature)");

    raw = standard_raw();
    obs = raw_find(&raw, "obs");
    obs->dims[0] = "feature";
    obs->dims[1] = "step";
    write_and_reject(&raw, "variable 'obs' has dimensions (feature, step)", NULL);

    raw = standard_raw();
    raw_find(&raw, "action")->dims[0] = "episode";
    write_and_reject(&raw, "variable 'action' has dimensions (episode)",
                     "expected (step)");

    raw = standard_raw();
    struct raw_var *reward = raw_find(&raw, "reward");
    reward->n_dims = 2;
    reward->dims[1] = "feature";
    write_and_reject(&raw, "variable 'reward' has dimensions (step, feature)", NULL);

    raw = standard_raw();
    raw_find(&raw, "episode_length")->dims[0] = "step";
    write_and_reject(&raw, "variable 'episode_length' has dimensions (step)", NULL);
}
END_TEST

START_TEST(test_reject_wrong_dimension_sizes)
{
    /* action on a dimension of another length than step */
    struct raw_file raw = standard_raw();
    raw.extra_dim = "step2";
    raw_find(&raw, "action")->dims[0] = "step2";
    write_and_reject(&raw, "variable 'action' has dimensions (step2)",
                     "expected (step)");

    /* episodes that do not cover the step dimension */
    const char *path = write_sample("short.nc");
    patch_value(path, "episode_length", 2, 0, 1);
    assert_rejected(path, "episode_length", "cover 6 of the 7 steps");

    /* zero steps: an unlimited step dimension without records */
    raw = standard_raw();
    raw.n_steps = 0;
    write_and_reject(&raw, "dimension 'step' has length 0", "no steps");
}
END_TEST

START_TEST(test_reject_n_actions)
{
    const char *path = write_sample("k.nc");
    delete_global(path, "n_actions");
    assert_rejected(path, "n_actions is missing", NULL);

    put_global_int(path, "n_actions", 1);
    assert_rejected(path, "n_actions = 1", ">= 2");

    put_global_int(path, "n_actions", -4);
    assert_rejected(path, "n_actions = -4", ">= 2");

    delete_global(path, "n_actions");
    put_global_text(path, "n_actions", "2");
    assert_rejected(path, "n_actions must be one integer", NULL);

    struct raw_file raw = standard_raw();
    raw.n_actions = -1;
    write_and_reject(&raw, "n_actions is missing", NULL);
}
END_TEST

START_TEST(test_reject_other_file_kind)
{
    const char *path = write_sample("kind.nc");
    put_global_text(path, "ilrl_file_kind", "landscape");
    assert_rejected(path, "ilrl_file_kind = \"landscape\"", "demonstration");
}
END_TEST

/* ---- rejections: values --------------------------------------------------- */

START_TEST(test_reject_action_out_of_range)
{
    const char *path = write_sample("action.nc");
    patch_value(path, "action", 5, 0, 2);
    assert_rejected(path, "action[5] = 2 is outside [0, 2)", NULL);
    patch_value(path, "action", 5, 0, -1);
    assert_rejected(path, "action[5] = -1 is outside [0, 2)", NULL);
}
END_TEST

START_TEST(test_reject_non_finite)
{
    const char *path = write_sample("nan.nc");
    patch_value(path, "obs", 4, 1, NAN);
    assert_rejected(path, "obs[4,1] = nan", "not finite");

    path = write_sample("inf.nc");
    patch_value(path, "obs", 0, 2, -INFINITY);
    assert_rejected(path, "obs[0,2] = -inf", "not finite");

    path = write_sample("reward_inf.nc");
    patch_value(path, "reward", 6, 0, INFINITY);
    assert_rejected(path, "reward[6] = inf", "not finite");

    path = write_sample("reward_nan.nc");
    patch_value(path, "reward", 3, 0, NAN);
    assert_rejected(path, "reward[3] = nan", "not finite");
}
END_TEST

START_TEST(test_reject_episode_start)
{
    const char *path = write_sample("start0.nc");
    patch_value(path, "episode_start", 0, 0, 1);
    assert_rejected(path, "episode_start[0] = 1", "must be 0");

    path = write_sample("gap.nc");
    patch_value(path, "episode_start", 2, 0, 6);
    assert_rejected(path, "episode_start[2] = 6", "contiguous");

    path = write_sample("overlap.nc");
    patch_value(path, "episode_start", 1, 0, 2);
    assert_rejected(path, "episode_start[1] = 2", "contiguous");

    path = write_sample("past.nc");
    patch_value(path, "episode_length", 2, 0, 5);
    assert_rejected(path, "episode_length[2] = 5", "past the last step");
}
END_TEST

START_TEST(test_reject_episode_length_zero)
{
    const char *path = write_sample("length0.nc");
    patch_value(path, "episode_length", 1, 0, 0);
    assert_rejected(path, "episode_length[1] = 0", ">= 1");
}
END_TEST

START_TEST(test_reject_terminated_not_a_flag)
{
    const char *path = write_sample("terminated.nc");
    patch_value(path, "terminated", 1, 0, 2);
    assert_rejected(path, "terminated[1] = 2", "not 0");
    patch_value(path, "terminated", 2, 0, -1);
    assert_rejected(path, "terminated[", "not 0");
}
END_TEST

/* ---- the writer ----------------------------------------------------------- */

/* ---- rejections: issue-21 classes (sizes, fill values, kinds, names) -------- */

/* A NetCDF-4 demonstration that declares the given sizes and writes no data. */
static const char *write_declared(const char *name, size_t steps, size_t features,
                                  size_t episodes)
{
    const char *path = test_scratch_path(name);
    int ncid, dims[3], varid, two = 2;

    NC_OK(nc_create(path, NC_NETCDF4 | NC_CLOBBER, &ncid));
    NC_OK(nc_def_dim(ncid, "step", steps, &dims[0]));
    NC_OK(nc_def_dim(ncid, "feature", features, &dims[1]));
    NC_OK(nc_def_dim(ncid, "episode", episodes, &dims[2]));
    NC_OK(nc_def_var(ncid, "obs", NC_DOUBLE, 2, dims, &varid));
    NC_OK(nc_def_var(ncid, "action", NC_INT, 1, dims, &varid));
    NC_OK(nc_def_var(ncid, "reward", NC_DOUBLE, 1, dims, &varid));
    NC_OK(nc_def_var(ncid, "episode_start", NC_INT64, 1, &dims[2], &varid));
    NC_OK(nc_def_var(ncid, "episode_length", NC_INT, 1, &dims[2], &varid));
    NC_OK(nc_def_var(ncid, "terminated", NC_BYTE, 1, &dims[2], &varid));
    NC_OK(nc_put_att_int(ncid, NC_GLOBAL, "n_actions", NC_INT, 1, &two));
    NC_OK(nc_close(ncid));
    return path;
}

START_TEST(test_reject_sizes_before_allocating)
{
    const char *path = write_sample("k.nc");
    struct stat info;
    double started;

    put_global_int(path, "n_actions", 2147483647);
    assert_rejected(path, "n_actions = 2147483647", "<= 65536");
    put_global_int(path, "n_actions", 65537);
    assert_rejected(path, "n_actions = 65537", "<= 65536");

    /* 10^8 episodes for 40 steps: refused at once, nothing allocated. */
    started = test_now();
    path = write_declared("episodes.nc", 40, 12, 100000000);
    assert_rejected(path, "dimension 'episode' = 100000000", "'step' = 40");
    /* 10^8 steps of 12 features (9.6 GB) in a file of a few kB. */
    path = write_declared("steps.nc", 100000000, 12, 2);
    ck_assert_int_eq(stat(path, &info), 0);
    ck_assert_int_lt(info.st_size, 100000);
    assert_rejected(path, "variable 'obs' declares 100000000 x 12 values",
                    "more than the file");
    ck_assert_msg(test_now() - started < 5.0, "size checks took %.1f s",
                  test_now() - started);
}
END_TEST

START_TEST(test_reject_fill_and_missing_values)
{
    const char *path = write_sample("fill.nc");
    int ncid, varid;

    /* NetCDF's default fill of a double: what an unwritten value reads as. */
    patch_value(path, "obs", 4, 2, NC_FILL_DOUBLE);
    assert_rejected(path, "obs[4, 2]", "fill value");

    /* A declared missing_value equal to a reward. */
    path = write_sample("missing.nc");
    ncid = open_for_patch(path, "reward", &varid);
    NC_OK(nc_redef(ncid));
    double missing = -1.0; /* reward[2] of sample_demo */
    NC_OK(nc_put_att_double(ncid, varid, "missing_value", NC_DOUBLE, 1, &missing));
    NC_OK(nc_close(ncid));
    assert_rejected(path, "reward[2]", "missing_value");

    /* An unlimited step dimension with a record written for obs only. */
    struct raw_file raw = standard_raw();
    raw.unlimited_step = 1;
    path = test_scratch_path("records.nc");
    write_raw(path, &raw);
    /* One more record of obs alone: its action and reward were never written. */
    ncid = open_for_patch(path, "obs", &varid);
    size_t start[2] = { raw.n_steps, 0 }, count[2] = { 1, 1 };
    double value = 0.5;
    NC_OK(nc_put_vara_double(ncid, varid, start, count, &value));
    NC_OK(nc_close(ncid));
    char index[32];
    snprintf(index, sizeof index, "[%zu", raw.n_steps);
    assert_rejected(path, index, "fill value");
}
END_TEST

START_TEST(test_reject_wrong_attribute_kinds)
{
    const char *path = write_sample("env.nc");
    put_global_int(path, "env", 3);
    assert_rejected(path, "attribute env is not text", NULL);

    path = write_sample("seed.nc");
    delete_global(path, "seed");
    put_global_text(path, "seed", "42");
    assert_rejected(path, "attribute seed must be one integer", NULL);
}
END_TEST

START_TEST(test_reject_non_regular_inputs)
{
    const char *path = test_scratch_path("fifo.nc");
    struct ilrl_demo *demo = NULL;
    double started = test_now();

    ck_assert_int_eq(mkfifo(path, 0600), 0);
    assert_rejected(path, "a FIFO", "not a NetCDF file");
    ck_assert_msg(test_now() - started < 2.0, "a FIFO took %.1f s", test_now() - started);

    path = test_scratch_path("directory.nc");
    ck_assert_int_eq(mkdir(path, 0700), 0);
    assert_rejected(path, "is a directory", NULL);

    ck_assert_int_eq(ilrl_demo_read("/dev/null", &demo), ILRL_EINPUT);
    ck_assert_ptr_nonnull(strstr(ilrl_error_message(), "/dev/null: a character device"));
    ck_assert_ptr_null(demo);
}
END_TEST

/* Names that netcdf-c reads differently are a bad command line (exit 2),
 * refused before anything is read or written. */
START_TEST(test_names_netcdf_reads_differently)
{
    const char *names[] = { "a\\b.nc", " lead.nc", "file://x.nc", "c:/x.nc",
                            "/cygdrive/c/x.nc" };
    struct ilrl_demo *demo = sample_demo();
    struct ilrl_demo *read = NULL;
    char cwd[4096];

    ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
    ck_assert_int_eq(chdir(test_scratch_dir()), 0);
    ck_assert_int_eq(mkdir("a", 0700), 0);
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        ck_assert_int_eq(ilrl_demo_read(names[k], &read), ILRL_EUSAGE);
        ck_assert_ptr_nonnull(strstr(ilrl_error_message(), names[k]));
        ck_assert_ptr_nonnull(strstr(ilrl_error_message(), "reads differently"));
        ck_assert_int_eq(ilrl_demo_check_output(names[k], 1), ILRL_EUSAGE);
        ck_assert_int_eq(ilrl_demo_write(names[k], demo, 1), ILRL_EUSAGE);
    }
    struct stat info;
    ck_assert_int_ne(stat("a/b.nc", &info), 0);
    ck_assert_int_ne(stat("a\\b.nc", &info), 0);
    ck_assert_int_eq(test_count_temporaries("."), 0);
    ck_assert_int_eq(chdir(cwd), 0);
    ilrl_demo_free(demo);
}
END_TEST

START_TEST(test_write_refuses_existing_file)
{
    const char *path = test_scratch_path("precious.nc");
    struct ilrl_demo *demo = sample_demo();
    char expected[600];

    test_write_bytes(path, "precious", 8);
    ck_assert_int_eq(ilrl_demo_write(path, demo, 0), ILRL_EOUTPUT);
    snprintf(expected, sizeof expected, "%s exists (use --force to overwrite)", path);
    ck_assert_str_eq(ilrl_error_message(), expected);
    test_assert_file_holds(path, "precious");
    ck_assert_int_eq(test_count_temporaries(test_scratch_dir()), 0);
    ck_assert_int_eq(ilrl_demo_check_output(path, 0), ILRL_EOUTPUT);
    ck_assert_int_eq(ilrl_demo_check_output(path, 1), ILRL_OK);

    /* with force it is replaced by a complete file */
    ck_assert_int_eq(ilrl_demo_write(path, demo, 1), ILRL_OK);
    ilrl_demo_free(demo);
    demo = NULL;
    ck_assert_int_eq(ilrl_demo_read(path, &demo), ILRL_OK);
    ck_assert_uint_eq(demo->n_steps, 7);
    ck_assert_int_eq(test_count_temporaries(test_scratch_dir()), 0);
    ilrl_demo_free(demo);
}
END_TEST

START_TEST(test_write_into_missing_directory)
{
    const char *path = test_scratch_path("no/such/dir/demo.nc");
    struct ilrl_demo *demo = sample_demo();

    ck_assert_int_eq(ilrl_demo_write(path, demo, 0), ILRL_EOUTPUT);
    ck_assert_ptr_nonnull(strstr(ilrl_error_message(), path));
    ck_assert_ptr_nonnull(strstr(ilrl_error_message(), "No such file"));
    ck_assert_int_eq(test_count_temporaries(test_scratch_dir()), 0);
    ck_assert_int_eq(ilrl_demo_write(test_scratch_path("a_directory_name_is_not/"), demo, 1),
                     ILRL_EOUTPUT);
    ck_assert_int_eq(ilrl_demo_write(test_scratch_dir(), demo, 1), ILRL_EOUTPUT);
    ck_assert_ptr_nonnull(strstr(ilrl_error_message(), "is a directory"));
    ilrl_demo_free(demo);
}
END_TEST

START_TEST(test_write_into_unwritable_directory)
{
    struct ilrl_demo *demo = sample_demo();
    const char *path;

    if (geteuid() != 0) {
        /* permissions stop an ordinary user before anything is created */
        ck_assert_int_eq(chmod(test_scratch_dir(), 0500), 0);
        path = test_scratch_path("demo.nc");
        ck_assert_int_eq(ilrl_demo_write(path, demo, 0), ILRL_EOUTPUT);
        ck_assert_ptr_nonnull(strstr(ilrl_error_message(), path));
        ck_assert_int_eq(chmod(test_scratch_dir(), 0700), 0);
        ck_assert_int_eq(test_count_temporaries(test_scratch_dir()), 0);
        ck_assert_int_eq(access(path, F_OK), -1);
    }
    /* root passes permission checks: /proc refuses the creation itself */
    path = "/proc/ilrl-check-demo-io.nc";
    ck_assert_int_eq(ilrl_demo_write(path, demo, 0), ILRL_EOUTPUT);
    ck_assert_ptr_nonnull(strstr(ilrl_error_message(), path));
    ck_assert_int_eq(test_count_temporaries("/proc"), 0);
    ck_assert_int_eq(access(path, F_OK), -1);
    ilrl_demo_free(demo);
}
END_TEST

START_TEST(test_write_refuses_invalid_demo)
{
    const char *path = test_scratch_path("invalid.nc");
    struct ilrl_demo *demo = sample_demo();
    demo->action[3] = 9;
    ck_assert_int_eq(ilrl_demo_write(path, demo, 0), ILRL_EFAILED);
    ck_assert_ptr_nonnull(strstr(ilrl_error_message(), "action[3] = 9"));
    ck_assert_int_eq(access(path, F_OK), -1);
    ck_assert_int_eq(test_count_temporaries(test_scratch_dir()), 0);
    ilrl_demo_free(demo);
}
END_TEST

/* A full disk, simulated with RLIMIT_FSIZE in a child process (SIGXFSZ
 * ignored, so write() fails with EFBIG): the old file survives, the temporary
 * is removed, the status is ILRL_EOUTPUT. */
START_TEST(test_write_on_full_disk_leaves_target_untouched)
{
    const char *path = test_scratch_path("full.nc");
    int child_status;
    pid_t child;

    test_write_bytes(path, "old content", 11);
    fflush(NULL);
    child = fork();
    ck_assert_int_ge(child, 0);
    if (child == 0) {
        struct ilrl_demo *demo = ilrl_demo_alloc(20000, 12, 1, 2);
        struct rlimit limit = { 64 * 1024, 64 * 1024 };
        int status;

        if (demo == NULL)
            _exit(20);
        demo->episode_length[0] = 20000;
        signal(SIGXFSZ, SIG_IGN);
        if (setrlimit(RLIMIT_FSIZE, &limit) != 0)
            _exit(21);
        status = ilrl_demo_write(path, demo, 1);
        fprintf(stderr, "disk-full write: status %d: %s\n", status,
                ilrl_error_message());
        ilrl_demo_free(demo);
        if (status != ILRL_EOUTPUT)
            _exit(22);
        if (strstr(ilrl_error_message(), "not written") == NULL)
            _exit(23);
        _exit(0);
    }
    ck_assert_int_eq(waitpid(child, &child_status, 0), child);
    ck_assert(WIFEXITED(child_status));
    ck_assert_int_eq(WEXITSTATUS(child_status), 0);
    test_assert_file_holds(path, "old content");
    ck_assert_int_eq(test_count_temporaries(test_scratch_dir()), 0);
}
END_TEST

Suite *demo_io_suite(void)
{
    Suite *suite = suite_create("demo_io");
    TCase *round_trip = tcase_create("round trip");
    TCase *rejections = tcase_create("rejections");
    TCase *writer = tcase_create("writer");

    tcase_add_checked_fixture(round_trip, make_scratch, test_scratch_remove);
    tcase_add_test(round_trip, test_round_trip_is_identical);
    tcase_add_test(round_trip, test_schema_and_attributes_on_disk);
    tcase_add_test(round_trip, test_final_obs_round_trip_and_checks);
    tcase_add_test(round_trip, test_round_trip_without_score_and_metadata);
    tcase_add_test(round_trip, test_foreign_classic_file_d5_k3_without_score);
    tcase_add_test(round_trip, test_foreign_chunked_unlimited_netcdf4);
    suite_add_tcase(suite, round_trip);

    tcase_add_checked_fixture(rejections, make_scratch, test_scratch_remove);
    tcase_add_test(rejections, test_reject_garbage_empty_truncated_missing);
    tcase_add_test(rejections, test_reject_missing_variables);
    tcase_add_test(rejections, test_reject_missing_dimension);
    tcase_add_test(rejections, test_reject_wrong_types);
    tcase_add_test(rejections, test_reject_wrong_shapes);
    tcase_add_test(rejections, test_reject_wrong_dimension_sizes);
    tcase_add_test(rejections, test_reject_n_actions);
    tcase_add_test(rejections, test_reject_other_file_kind);
    tcase_add_test(rejections, test_reject_action_out_of_range);
    tcase_add_test(rejections, test_reject_non_finite);
    tcase_add_test(rejections, test_reject_episode_start);
    tcase_add_test(rejections, test_reject_episode_length_zero);
    tcase_add_test(rejections, test_reject_terminated_not_a_flag);
    tcase_add_test(rejections, test_reject_sizes_before_allocating);
    tcase_add_test(rejections, test_reject_fill_and_missing_values);
    tcase_add_test(rejections, test_reject_wrong_attribute_kinds);
    tcase_add_test(rejections, test_reject_non_regular_inputs);
    tcase_add_test(rejections, test_names_netcdf_reads_differently);
    suite_add_tcase(suite, rejections);

    tcase_add_checked_fixture(writer, make_scratch, test_scratch_remove);
    tcase_add_test(writer, test_write_refuses_existing_file);
    tcase_add_test(writer, test_write_into_missing_directory);
    tcase_add_test(writer, test_write_into_unwritable_directory);
    tcase_add_test(writer, test_write_refuses_invalid_demo);
    tcase_add_test(writer, test_write_on_full_disk_leaves_target_untouched);
    suite_add_tcase(suite, writer);
    return suite;
}
