/* check_landscape_io.c -- the landscape file: round trip, atomic writing,
 * refusal to overwrite, and the reader's validation. */
#define _XOPEN_SOURCE 700
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>
#include <netcdf.h>

#include "ilrl/error.h"
#include "ilrl/landscape_io.h"
#include "testutil.h"

#define NX 5
#define NY 3
#define NP 4

static void setup(void)
{
    test_scratch_create("check_landscape_io");
}

static void set(char **field, const char *value)
{
    ck_assert_int_eq(ilrl_landscape_set_string(field, value), ILRL_OK);
}

/* A landscape with distinct values everywhere and row 2 not yet computed. */
static struct ilrl_landscape *make_landscape(int with_return)
{
    struct ilrl_landscape *l = ilrl_landscape_alloc(NX, NY, NP, with_return);
    ck_assert_ptr_nonnull(l);
    for (size_t i = 0; i < NX; i++)
        l->x[i] = -1.0 + 0.5 * (double)i;
    for (size_t j = 0; j < NY; j++)
        l->y[j] = -2.0 + 2.0 * (double)j;
    for (size_t k = 0; k < 2 * NX; k++) {
        l->il_loss[k] = 0.5 + 0.01 * (double)k;
        l->rl_loss[k] = -1.25 + 0.1 * (double)k;
        l->computed[k] = 1;
        if (with_return) {
            l->return_mean[k] = 3.0 - 0.1 * (double)k;
            l->return_std[k] = 0.01 * (double)k;
            l->score_mean[k] = (double)k;
            l->length_mean[k] = 100.0 + (double)k;
        }
    }
    for (size_t p = 0; p < NP; p++) {
        l->theta0[p] = 0.125 * (double)p - 0.2;
        l->direction_x[p] = p == 1;
        l->direction_y[p] = p == 2;
    }
    struct ilrl_landscape_meta *m = &l->meta;
    m->n_layer_sizes = 3;
    m->layer_sizes = malloc(3 * sizeof(int));
    ck_assert_ptr_nonnull(m->layer_sizes);
    m->layer_sizes[0] = 1; m->layer_sizes[1] = 1; m->layer_sizes[2] = 2;
    m->init_seed = 123456789012L;
    m->gamma = 0.99;
    m->n_steps = 40;
    m->n_episodes = 3;
    m->gradient_cosine = -0.625;
    m->mpi_ranks = 3;
    m->tile[0] = 16;
    m->tile[1] = 32;
    m->wall_seconds = 12.5;
    set(&m->title, "test landscape");
    set(&m->history, "2024-01-01T00:00:00Z: ilrl-landscape --nx 5 --ny 3");
    set(&m->source, "ilrl-landscape 0.1.0");
    set(&m->activation, "relu");
    set(&m->plane, "weights:W1[0,0],b1[0]");
    set(&m->rl_weight, "awr:0.5");
    set(&m->demo_file, "demos/poor \"quoted\".nc");
    set(&m->demo_checksum, "0123abcd");
    if (with_return) {
        m->rollouts = 8;
        m->rollout_steps = 1000;
        set(&m->objective, "return");
        set(&m->rollout_policy, "sample");
    } else {
        set(&m->objective, "losses");
    }
    return l;
}

static void assert_same_array(const double *a, const double *b, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        if (isnan(a[k]))
            ck_assert(isnan(b[k]));
        else
            ck_assert_double_eq(a[k], b[k]);
    }
}

static void assert_same_landscape(const struct ilrl_landscape *a,
                                  const struct ilrl_landscape *b)
{
    ck_assert_uint_eq(a->nx, b->nx);
    ck_assert_uint_eq(a->ny, b->ny);
    ck_assert_uint_eq(a->n_params, b->n_params);
    size_t n = a->nx * a->ny;
    assert_same_array(a->x, b->x, a->nx);
    assert_same_array(a->y, b->y, a->ny);
    assert_same_array(a->il_loss, b->il_loss, n);
    assert_same_array(a->rl_loss, b->rl_loss, n);
    ck_assert_mem_eq(a->computed, b->computed, n);
    assert_same_array(a->theta0, b->theta0, a->n_params);
    assert_same_array(a->direction_x, b->direction_x, a->n_params);
    assert_same_array(a->direction_y, b->direction_y, a->n_params);
    ck_assert_int_eq(a->return_mean != NULL, b->return_mean != NULL);
    if (a->return_mean) {
        assert_same_array(a->return_mean, b->return_mean, n);
        assert_same_array(a->return_std, b->return_std, n);
        assert_same_array(a->score_mean, b->score_mean, n);
        assert_same_array(a->length_mean, b->length_mean, n);
    }
    const struct ilrl_landscape_meta *ma = &a->meta, *mb = &b->meta;
    ck_assert_str_eq(ma->title, mb->title);
    ck_assert_str_eq(ma->history, mb->history);
    ck_assert_str_eq(ma->source, mb->source);
    ck_assert_uint_eq(ma->n_layer_sizes, mb->n_layer_sizes);
    ck_assert_mem_eq(ma->layer_sizes, mb->layer_sizes, ma->n_layer_sizes * sizeof(int));
    ck_assert_str_eq(ma->activation, mb->activation);
    ck_assert_int_eq(ma->init_seed, mb->init_seed);
    ck_assert_str_eq(ma->plane, mb->plane);
    ck_assert_str_eq(ma->rl_weight, mb->rl_weight);
    ck_assert_double_eq(ma->gamma, mb->gamma);
    ck_assert_str_eq(ma->demo_file, mb->demo_file);
    ck_assert_str_eq(ma->demo_checksum, mb->demo_checksum);
    ck_assert_int_eq(ma->n_steps, mb->n_steps);
    ck_assert_int_eq(ma->n_episodes, mb->n_episodes);
    ck_assert_double_eq(ma->gradient_cosine, mb->gradient_cosine);
    ck_assert_int_eq(ma->mpi_ranks, mb->mpi_ranks);
    ck_assert_int_eq(ma->tile[0], mb->tile[0]);
    ck_assert_int_eq(ma->tile[1], mb->tile[1]);
    ck_assert_double_eq(ma->wall_seconds, mb->wall_seconds);
    ck_assert_str_eq(ma->objective, mb->objective);
    if (a->return_mean) {
        ck_assert_int_eq(ma->rollouts, mb->rollouts);
        ck_assert_int_eq(ma->rollout_steps, mb->rollout_steps);
        ck_assert_str_eq(ma->rollout_policy, mb->rollout_policy);
    }
}

/* The reader must fail with ILRL_EINPUT and a message holding the file name
 * and `expected`. */
static void assert_rejected(const char *path, const char *expected)
{
    struct ilrl_landscape *read = (struct ilrl_landscape *)1;
    ilrl_error_clear();
    ck_assert_int_eq(ilrl_landscape_read(path, &read), ILRL_EINPUT);
    ck_assert_ptr_null(read);
    ck_assert_msg(strstr(ilrl_error_message(), path) != NULL,
                  "message lacks the file name: %s", ilrl_error_message());
    ck_assert_msg(strstr(ilrl_error_message(), expected) != NULL,
                  "message lacks '%s': %s", expected, ilrl_error_message());
}

/* Writes a valid landscape at `path`, then reopens it for editing. */
static int write_and_reopen(const char *path)
{
    struct ilrl_landscape *l = make_landscape(0);
    int ncid;
    ck_assert_int_eq(ilrl_landscape_write(path, l, 0), ILRL_OK);
    ilrl_landscape_free(l);
    ck_assert_int_eq(nc_open(path, NC_WRITE, &ncid), NC_NOERR);
    return ncid;
}

START_TEST(test_round_trip)
{
    for (int with_return = 0; with_return <= 1; with_return++) {
        struct ilrl_landscape *written = make_landscape(with_return), *read = NULL;
        const char *path = test_scratch_path(with_return ? "return.nc" : "losses.nc");
        ck_assert_int_eq(ilrl_landscape_write(path, written, 0), ILRL_OK);
        ck_assert_int_eq(test_count_temporaries(test_scratch_dir()), 0);
        ck_assert_msg(ilrl_landscape_read(path, &read) == ILRL_OK, "%s",
                      ilrl_error_message());
        ck_assert(isnan(read->il_loss[2 * NX]));      /* fill preserved */
        ck_assert(isnan(read->rl_loss[NX * NY - 1]));
        ck_assert_int_eq(read->computed[2 * NX], 0);
        assert_same_landscape(written, read);
        ilrl_landscape_free(written);
        ilrl_landscape_free(read);
    }
}
END_TEST

START_TEST(test_file_has_schema_attributes)
{
    char text[64] = {0};
    struct ilrl_landscape *l = make_landscape(0);
    int ncid, varid, ints[3];
    double fill = 0.0;
    const char *path = test_scratch_path("schema.nc");
    ck_assert_int_eq(ilrl_landscape_write(path, l, 0), ILRL_OK);
    ilrl_landscape_free(l);
    ck_assert_int_eq(nc_open(path, NC_NOWRITE, &ncid), NC_NOERR);
    ck_assert_int_eq(nc_get_att_text(ncid, NC_GLOBAL, "Conventions", text), NC_NOERR);
    ck_assert_str_eq(text, "CF-1.8");
    memset(text, 0, sizeof text);
    ck_assert_int_eq(nc_get_att_text(ncid, NC_GLOBAL, "ilrl_file_kind", text), NC_NOERR);
    ck_assert_str_eq(text, "landscape");
    ck_assert_int_eq(nc_get_att_int(ncid, NC_GLOBAL, "layer_sizes", ints), NC_NOERR);
    ck_assert_int_eq(ints[2], 2);
    ck_assert_int_eq(nc_inq_varid(ncid, "il_loss", &varid), NC_NOERR);
    ck_assert_int_eq(nc_get_att_double(ncid, varid, "_FillValue", &fill), NC_NOERR);
    ck_assert(isnan(fill));
    ck_assert_int_eq(nc_inq_varid(ncid, "x", &varid), NC_NOERR);
    memset(text, 0, sizeof text);
    ck_assert_int_eq(nc_get_att_text(ncid, varid, "axis", text), NC_NOERR);
    ck_assert_str_eq(text, "X");
    ck_assert_int_eq(nc_inq_varid(ncid, "return_mean", &varid), NC_ENOTVAR);
    ck_assert_int_eq(nc_close(ncid), NC_NOERR);
}
END_TEST

START_TEST(test_refuses_overwrite_without_force)
{
    size_t before_size, after_size;
    struct ilrl_landscape *l = make_landscape(0);
    const char *path = test_scratch_path("kept.nc");
    ck_assert_int_eq(ilrl_landscape_write(path, l, 0), ILRL_OK);
    char *before = test_read_file(path, &before_size);

    l->il_loss[0] = 42.0;
    ck_assert_int_eq(ilrl_landscape_write(path, l, 0), ILRL_EOUTPUT);
    ck_assert_ptr_nonnull(strstr(ilrl_error_message(), "exists"));
    char *after = test_read_file(path, &after_size);
    ck_assert_int_eq(before_size, after_size);
    ck_assert_mem_eq(before, after, before_size);
    ck_assert_int_eq(test_count_temporaries(test_scratch_dir()), 0);

    struct ilrl_landscape *read = NULL;
    ck_assert_int_eq(ilrl_landscape_write(path, l, 1), ILRL_OK);   /* --force */
    ck_assert_int_eq(ilrl_landscape_read(path, &read), ILRL_OK);
    ck_assert_double_eq(read->il_loss[0], 42.0);
    free(before);
    free(after);
    ilrl_landscape_free(read);
    ilrl_landscape_free(l);
}
END_TEST

START_TEST(test_unwritable_places_fail_cleanly)
{
    const char *path, *directory;
    struct ilrl_landscape *l = make_landscape(1);

    /* No such directory: nothing can be created. */
    path = test_scratch_path("missing/out.nc");
    ck_assert_int_eq(ilrl_landscape_write(path, l, 1), ILRL_EOUTPUT);
    ck_assert_ptr_nonnull(strstr(ilrl_error_message(), "missing/out.nc"));

    /* A read-only directory (not for root, which ignores permissions). */
    directory = test_scratch_path("readonly");
    ck_assert_int_eq(mkdir(directory, 0555), 0);
    if (geteuid() != 0) {
        path = test_scratch_path("readonly/out.nc");
        ck_assert_int_eq(ilrl_landscape_write(path, l, 1), ILRL_EOUTPUT);
        ck_assert_int_eq(test_count_temporaries(directory), 0);
    }

    /* A failure after the temporary is complete: the target is a non-empty
     * directory, so the rename fails; the temporary must be gone. */
    directory = test_scratch_path("occupied.nc");
    ck_assert_int_eq(mkdir(directory, 0700), 0);
    path = test_scratch_path("occupied.nc/inside");
    test_write_bytes(path, "x", 1);
    ck_assert_int_eq(ilrl_landscape_write(directory, l, 1), ILRL_EOUTPUT);
    ck_assert_int_eq(test_count_temporaries(test_scratch_dir()), 0);
    ilrl_landscape_free(l);
}
END_TEST

START_TEST(test_rejects_demonstration_file)
{
    int ncid, dim, var;
    const char *path = test_scratch_path("demo.nc");
    ck_assert_int_eq(nc_create(path, NC_NETCDF4, &ncid), NC_NOERR);
    ck_assert_int_eq(nc_def_dim(ncid, "step", 3, &dim), NC_NOERR);
    ck_assert_int_eq(nc_def_var(ncid, "action", NC_INT, 1, &dim, &var), NC_NOERR);
    ck_assert_int_eq(nc_put_att_text(ncid, NC_GLOBAL, "ilrl_file_kind", 13,
                                     "demonstration"), NC_NOERR);
    ck_assert_int_eq(nc_close(ncid), NC_NOERR);
    assert_rejected(path, "demonstration");

    path = test_scratch_path("plain.nc");   /* no kind at all */
    ck_assert_int_eq(nc_create(path, NC_NETCDF4, &ncid), NC_NOERR);
    ck_assert_int_eq(nc_close(ncid), NC_NOERR);
    assert_rejected(path, "not a landscape file");
}
END_TEST

START_TEST(test_rejects_garbage_and_truncated_files)
{
    size_t size;
    const char *path = test_scratch_path("garbage.nc");
    test_write_bytes(path, "this is not NetCDF at all\n", 26);
    assert_rejected(path, "not a NetCDF file");

    path = test_scratch_path("absent.nc");
    assert_rejected(path, "cannot open: No such file");

    struct ilrl_landscape *l = make_landscape(1);
    path = test_scratch_path("whole.nc");
    ck_assert_int_eq(ilrl_landscape_write(path, l, 0), ILRL_OK);
    ilrl_landscape_free(l);
    char *data = test_read_file(path, &size);
    path = test_scratch_path("truncated.nc");
    test_write_bytes(path, data, size / 2);
    free(data);
    assert_rejected(path, "truncated.nc");
}
END_TEST

START_TEST(test_rejects_missing_variable)
{
    const char *path = test_scratch_path("missing-var.nc");
    int ncid = write_and_reopen(path), varid;
    ck_assert_int_eq(nc_inq_varid(ncid, "rl_loss", &varid), NC_NOERR);
    ck_assert_int_eq(nc_rename_var(ncid, varid, "rl_loss_old"), NC_NOERR);
    ck_assert_int_eq(nc_close(ncid), NC_NOERR);
    assert_rejected(path, "variable 'rl_loss' missing");
}
END_TEST

START_TEST(test_rejects_wrong_shape_and_type)
{
    const char *path = test_scratch_path("wrong-shape.nc");
    int ncid = write_and_reopen(path);
    int varid, x_dim, new_var;
    ck_assert_int_eq(nc_inq_varid(ncid, "il_loss", &varid), NC_NOERR);
    ck_assert_int_eq(nc_rename_var(ncid, varid, "il_loss_old"), NC_NOERR);
    ck_assert_int_eq(nc_inq_dimid(ncid, "x", &x_dim), NC_NOERR);
    ck_assert_int_eq(nc_def_var(ncid, "il_loss", NC_DOUBLE, 1, &x_dim, &new_var), NC_NOERR);
    ck_assert_int_eq(nc_close(ncid), NC_NOERR);
    assert_rejected(path, "variable 'il_loss' must be double (y, x)");

    path = test_scratch_path("wrong-type.nc");
    ncid = write_and_reopen(path);
    int dims[2];
    ck_assert_int_eq(nc_inq_varid(ncid, "computed", &varid), NC_NOERR);
    ck_assert_int_eq(nc_inq_vardimid(ncid, varid, dims), NC_NOERR);
    ck_assert_int_eq(nc_rename_var(ncid, varid, "computed_old"), NC_NOERR);
    ck_assert_int_eq(nc_def_var(ncid, "computed", NC_FLOAT, 2, dims, &new_var), NC_NOERR);
    ck_assert_int_eq(nc_close(ncid), NC_NOERR);
    assert_rejected(path, "variable 'computed' must be byte (y, x)");

    path = test_scratch_path("missing-attribute.nc");
    ncid = write_and_reopen(path);
    ck_assert_int_eq(nc_redef(ncid), NC_NOERR);
    ck_assert_int_eq(nc_del_att(ncid, NC_GLOBAL, "gamma"), NC_NOERR);
    ck_assert_int_eq(nc_close(ncid), NC_NOERR);
    assert_rejected(path, "attribute gamma is missing");
}
END_TEST

START_TEST(test_alloc_edges)
{
    ck_assert_ptr_null(ilrl_landscape_alloc(0, 3, 2, 0));
    ck_assert_ptr_null(ilrl_landscape_alloc(3, 3, 0, 0));
    ilrl_landscape_free(NULL);
    struct ilrl_landscape *l = ilrl_landscape_alloc(2, 2, 1, 0);
    ck_assert_ptr_nonnull(l);
    ck_assert(isnan(l->il_loss[3]));
    ck_assert_int_eq(l->computed[3], 0);
    ck_assert_ptr_null(l->return_mean);
    ck_assert_str_eq(l->meta.plane, "");
    ilrl_landscape_free(l);
}
END_TEST

Suite *landscape_io_suite(void)
{
    Suite *suite = suite_create("landscape_io");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, test_scratch_remove);
    tcase_add_test(tc, test_round_trip);
    tcase_add_test(tc, test_file_has_schema_attributes);
    tcase_add_test(tc, test_refuses_overwrite_without_force);
    tcase_add_test(tc, test_unwritable_places_fail_cleanly);
    tcase_add_test(tc, test_rejects_demonstration_file);
    tcase_add_test(tc, test_rejects_garbage_and_truncated_files);
    tcase_add_test(tc, test_rejects_missing_variable);
    tcase_add_test(tc, test_rejects_wrong_shape_and_type);
    tcase_add_test(tc, test_alloc_edges);
    suite_add_tcase(suite, tc);
    return suite;
}
