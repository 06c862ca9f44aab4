/* check_schedule.c -- the tile scheduler under MPI (run on 3 ranks by
 * tests/schedule_suite.np3; any rank count works, 1 included).
 *
 * The job is a fake: compute is a pure function of the point and the tile
 * (expected_value), store checks and files what rank 0 receives, and both
 * count calls per tile so that "computed exactly once" and "stored exactly
 * once" can be summed over ranks.  Those sums use MPI directly: the test
 * checks the scheduler, so it does not count through it.
 *
 * Rules every test here keeps, so that one failing rank cannot hang the
 * others (Check runs this suite in no-fork mode, one process per rank):
 *  - no ck_assert between collectives: local findings go into a `verdict`,
 *    and verdict_agree() (an MPI_Allreduce of the pass flag) is the only
 *    place that asserts, on every rank at once;
 *  - every test that ends a run early (an error, a stop) then runs a clean
 *    job and checks it: a message left over from the stopped run would
 *    corrupt it (or hang it, which tests/run-mpi.sh's timeout turns into a
 *    failure).
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <check.h>
#include <mpi.h>

#include "ilrl/error.h"
#include "ilrl/schedule.h"

#define MAX_VALUES 4   /* doubles per point in these jobs */

/* ---- agreeing on a verdict --------------------------------------------------- */

struct verdict {
    int ok;
    char why[512];     /* this rank's first failed check */
};

static void verdict_init(struct verdict *v)
{
    v->ok = 1;
    v->why[0] = '\0';
}

static void check(struct verdict *v, int condition, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

static void check(struct verdict *v, int condition, const char *format, ...)
{
    if (condition || !v->ok)
        return;
    va_list args;
    va_start(args, format);
    vsnprintf(v->why, sizeof v->why, format, args);
    va_end(args);
    v->ok = 0;
}

static int my_rank(void)
{
    int rank;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    return rank;
}

static int n_ranks(void)
{
    int size;
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    return size;
}

/* Collective: every rank learns whether all passed, then fails together. */
static void verdict_agree(const struct verdict *v)
{
    int local = v->ok, all = 0;
    MPI_Allreduce(&local, &all, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    ck_assert_msg(local, "rank %d: %s", my_rank(), v->why);
    ck_assert_msg(all, "rank %d: another rank failed", my_rank());
}

/* ---- the fake job --------------------------------------------------------------- */

/* What a point's value v must be: the tile index is part of it, so a tile
 * filed under the wrong index shows. */
static double expected_value(size_t tile, size_t gx, size_t gy, size_t grid_nx, size_t v)
{
    return (double)tile * 1e7 + (double)(gy * grid_nx + gx) * MAX_VALUES + (double)v;
}

struct fake {
    struct ilrl_tiling tiling;
    size_t n_values;
    int rank;
    long point_nanoseconds;     /* sleep per point: lets ranks interleave */
    /* failures and stops to inject */
    long long fail_tile;        /* compute fails on this tile (-1: none) */
    int fail_first_on_rank;     /* compute fails on this rank's first tile (-1: none) */
    long long fail_store_tile;  /* store fails on this tile (-1: none) */
    int stop_rank;              /* stop_requested turns on on this rank (-1: none, */
    int stop_after;             /*  -2: every rank) once it has stored (rank 0) or */
                                /*  computed (a worker) this many tiles */
    /* what happened, per tile (this rank) */
    int *started, *finished, *failed, *stored;
    int n_started, n_finished, n_stored;
    double *grid;               /* rank 0: grid_ny x grid_nx x n_values as stored */
    struct verdict store_verdict;
};

static void fake_init(struct fake *fake, size_t grid_nx, size_t grid_ny, size_t tile_nx,
                      size_t tile_ny, size_t n_values)
{
    memset(fake, 0, sizeof *fake);
    ilrl_tiling_init(&fake->tiling, grid_nx, grid_ny, tile_nx, tile_ny);
    fake->n_values = n_values;
    fake->rank = my_rank();
    fake->point_nanoseconds = 2000;
    fake->fail_tile = -1;
    fake->fail_first_on_rank = -1;
    fake->fail_store_tile = -1;
    fake->stop_rank = -1;
    size_t n = fake->tiling.n_tiles;
    fake->started = calloc(n, sizeof *fake->started);
    fake->finished = calloc(n, sizeof *fake->finished);
    fake->failed = calloc(n, sizeof *fake->failed);
    fake->stored = calloc(n, sizeof *fake->stored);
    fake->grid = calloc(grid_nx * grid_ny * n_values, sizeof *fake->grid);
    verdict_init(&fake->store_verdict);
    if (!fake->started || !fake->finished || !fake->failed || !fake->stored || !fake->grid)
        check(&fake->store_verdict, 0, "out of memory for the fake job");
}

static void fake_free(struct fake *fake)
{
    free(fake->started);
    free(fake->finished);
    free(fake->failed);
    free(fake->stored);
    free(fake->grid);
}

static int fake_compute(void *ctx, const struct ilrl_tile *tile, double *values,
                        const struct ilrl_tile_hooks *hooks)
{
    struct fake *fake = ctx;
    int first_here = fake->n_started++ == 0;
    fake->started[tile->index]++;
    if ((long long)tile->index == fake->fail_tile
        || (first_here && fake->fail_first_on_rank == fake->rank)) {
        fake->failed[tile->index]++;
        return ilrl_error(ILRL_EINPUT, "fake failure on tile %zu", tile->index);
    }
    for (size_t j = 0; j < tile->ny; j++)
        for (size_t i = 0; i < tile->nx; i++) {
            if (hooks->poll(hooks->poll_ctx))
                return ILRL_EINTERRUPTED;
            if (fake->point_nanoseconds > 0) {
                struct timespec pause = {0, fake->point_nanoseconds};
                nanosleep(&pause, NULL);
            }
            for (size_t v = 0; v < fake->n_values; v++)
                values[(j * tile->nx + i) * fake->n_values + v] =
                    expected_value(tile->index, tile->x0 + i, tile->y0 + j,
                                   fake->tiling.grid_nx, v);
        }
    fake->finished[tile->index]++;
    fake->n_finished++;
    return ILRL_OK;
}

static int fake_store(void *ctx, const struct ilrl_tile *tile, const double *values)
{
    struct fake *fake = ctx;
    struct verdict *v = &fake->store_verdict;
    struct ilrl_tile want;
    check(v, fake->rank == 0, "store called on rank %d", fake->rank);
    check(v, tile->index < fake->tiling.n_tiles, "store: tile %zu of %zu", tile->index,
          fake->tiling.n_tiles);
    if (!v->ok)
        return ILRL_OK;
    ilrl_tiling_tile(&fake->tiling, tile->index, &want);
    check(v, tile->x0 == want.x0 && tile->y0 == want.y0 && tile->nx == want.nx
              && tile->ny == want.ny,
          "store: tile %zu at (%zu,%zu) %zux%zu, expected (%zu,%zu) %zux%zu", tile->index,
          tile->x0, tile->y0, tile->nx, tile->ny, want.x0, want.y0, want.nx, want.ny);
    fake->stored[tile->index]++;
    fake->n_stored++;
    for (size_t j = 0; j < want.ny; j++)
        for (size_t i = 0; i < want.nx; i++)
            for (size_t k = 0; k < fake->n_values; k++) {
                size_t gx = want.x0 + i, gy = want.y0 + j;
                double got = values[(j * want.nx + i) * fake->n_values + k];
                double expected = expected_value(want.index, gx, gy, fake->tiling.grid_nx, k);
                check(v, got == expected, "store: tile %zu point (%zu,%zu) value %zu is %.17g, "
                      "expected %.17g", want.index, gx, gy, k, got, expected);
                fake->grid[(gy * fake->tiling.grid_nx + gx) * fake->n_values + k] = got;
            }
    if ((long long)tile->index == fake->fail_store_tile)
        return ilrl_error(ILRL_EOUTPUT, "fake store failure on tile %zu", tile->index);
    return ILRL_OK;
}

static int fake_stop_requested(void *ctx)
{
    struct fake *fake = ctx;
    if (fake->stop_rank != -2 && fake->stop_rank != fake->rank)
        return 0;
    return (fake->rank == 0 ? fake->n_stored : fake->n_finished) >= fake->stop_after;
}

/* Runs the fake job; `tile_done` is given on rank 0 only (the contract says
 * only rank 0 reads it).  `busy` gets n_ranks entries on rank 0. */
static int fake_run(struct fake *fake, const unsigned char *tile_done, double *busy)
{
    struct ilrl_schedule_job job = {
        .tiling = fake->tiling,
        .n_values = fake->n_values,
        .tile_done = fake->rank == 0 ? tile_done : NULL,
        .compute = fake_compute,
        .store = fake_store,
        .stop_requested = fake_stop_requested,
        .ctx = fake,
        .busy_seconds = fake->rank == 0 ? busy : NULL,
    };
    ilrl_error_clear();
    return ilrl_schedule_run(&job);
}

/* Per-tile counts summed over ranks (collective). */
static int *sum_over_ranks(const int *local, size_t n)
{
    int *total = calloc(n, sizeof *total);
    MPI_Allreduce(local, total, (int)n, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    return total;
}

/* Collective: every rank returned the same status, and it is `want`. */
static void check_same_status(struct verdict *v, int status, int want)
{
    int range[2] = {status, -status}, agreed[2];
    MPI_Allreduce(range, agreed, 2, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    check(v, agreed[0] == -agreed[1], "ranks returned different statuses (%d .. %d)",
          -agreed[1], agreed[0]);
    check(v, status == want, "status %d (%s), expected %d; message: %s", status,
          ilrl_strerror(status), want, ilrl_error_message());
}

/* Collective: after a complete run, each tile not in `tile_done` was
 * computed exactly once on exactly one rank and stored once with the right
 * values; each tile in it was neither computed nor stored. */
static void check_complete(struct verdict *v, const struct fake *fake,
                           const unsigned char *tile_done)
{
    size_t n = fake->tiling.n_tiles;
    int *started = sum_over_ranks(fake->started, n);
    int *finished = sum_over_ranks(fake->finished, n);
    for (size_t t = 0; t < n; t++) {
        int want = tile_done != NULL && tile_done[t] ? 0 : 1;
        check(v, started[t] == want && finished[t] == want,
              "tile %zu computed %d times (finished %d), expected %d", t, started[t],
              finished[t], want);
        if (fake->rank == 0)
            check(v, fake->stored[t] == want, "tile %zu stored %d times, expected %d", t,
                  fake->stored[t], want);
    }
    if (fake->rank == 0 && v->ok) {
        /* The stored grid, point by point: every point covered once. */
        struct ilrl_tile tile;
        for (size_t t = 0; t < n; t++) {
            if (tile_done != NULL && tile_done[t])
                continue;
            ilrl_tiling_tile(&fake->tiling, t, &tile);
            for (size_t gy = tile.y0; gy < tile.y0 + tile.ny; gy++)
                for (size_t gx = tile.x0; gx < tile.x0 + tile.nx; gx++)
                    for (size_t k = 0; k < fake->n_values; k++)
                        check(v, fake->grid[(gy * fake->tiling.grid_nx + gx) * fake->n_values + k]
                                     == expected_value(t, gx, gy, fake->tiling.grid_nx, k),
                              "grid point (%zu,%zu) value %zu", gx, gy, k);
        }
    }
    free(started);
    free(finished);
}

/* Collective: a run that ended early left a consistent subset -- every
 * stored tile was computed to its end, stored once, with the right values
 * (checked by fake_store); nothing was computed twice. */
static void check_subset(struct verdict *v, const struct fake *fake, int *n_stored)
{
    size_t n = fake->tiling.n_tiles;
    int *finished = sum_over_ranks(fake->finished, n);
    int *started = sum_over_ranks(fake->started, n);
    *n_stored = 0;
    for (size_t t = 0; t < n; t++) {
        check(v, started[t] <= 1, "tile %zu computed %d times", t, started[t]);
        if (fake->rank != 0)
            continue;
        check(v, fake->stored[t] <= 1, "tile %zu stored %d times", t, fake->stored[t]);
        check(v, fake->stored[t] == 0 || finished[t] == 1,
              "tile %zu stored but computed to its end %d times", t, finished[t]);
        *n_stored += fake->stored[t];
    }
    MPI_Bcast(n_stored, 1, MPI_INT, 0, MPI_COMM_WORLD);
    free(finished);
    free(started);
}

/* A full clean job after an early end: nothing of the last run may leak. */
static void check_clean_run_after(struct verdict *v)
{
    struct fake fake;
    fake_init(&fake, 13, 7, 3, 2, 2);
    fake.point_nanoseconds = 0;
    int status = fake_run(&fake, NULL, NULL);
    check_same_status(v, status, ILRL_OK);
    check(v, fake.store_verdict.ok, "the next run: %s", fake.store_verdict.why);
    check_complete(v, &fake, NULL);
    fake_free(&fake);
}

/* ---- tiling --------------------------------------------------------------------- */

START_TEST(test_tiling_covers_grid_once)
{
    static const size_t cases[][4] = {
        {37, 23, 5, 4}, {1, 1, 1, 1}, {1, 1, 32, 32}, {64, 64, 16, 16}, {101, 3, 32, 32},
        {7, 9, 1, 1}, {5, 1, 2, 1}};
    struct verdict v;
    verdict_init(&v);
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        struct ilrl_tiling tiling;
        size_t nx = cases[c][0], ny = cases[c][1];
        ilrl_tiling_init(&tiling, nx, ny, cases[c][2], cases[c][3]);
        size_t tnx = cases[c][2] < nx ? cases[c][2] : nx, tny = cases[c][3] < ny ? cases[c][3] : ny;
        check(&v, tiling.n_tiles == ((nx + tnx - 1) / tnx) * ((ny + tny - 1) / tny),
              "%zux%zu by %zux%zu: %zu tiles", nx, ny, cases[c][2], cases[c][3], tiling.n_tiles);
        check(&v, tiling.n_tiles == tiling.tiles_x * tiling.tiles_y, "tiles_x * tiles_y");
        int *covered = calloc(nx * ny, sizeof *covered);
        for (size_t t = 0; t < tiling.n_tiles; t++) {
            struct ilrl_tile tile;
            ilrl_tiling_tile(&tiling, t, &tile);
            check(&v, tile.index == t && tile.nx >= 1 && tile.ny >= 1 && tile.nx <= tnx
                          && tile.ny <= tny && tile.x0 + tile.nx <= nx && tile.y0 + tile.ny <= ny,
                  "%zux%zu: tile %zu at (%zu,%zu) %zux%zu", nx, ny, t, tile.x0, tile.y0,
                  tile.nx, tile.ny);
            /* Row-major over the tile grid. */
            check(&v, tile.x0 == (t % tiling.tiles_x) * tnx && tile.y0 == (t / tiling.tiles_x) * tny,
                  "%zux%zu: tile %zu not row-major", nx, ny, t);
            for (size_t j = 0; v.ok && j < tile.ny; j++)
                for (size_t i = 0; i < tile.nx; i++)
                    covered[(tile.y0 + j) * nx + tile.x0 + i]++;
        }
        for (size_t p = 0; v.ok && p < nx * ny; p++)
            check(&v, covered[p] == 1, "%zux%zu: point %zu covered %d times", nx, ny, p,
                  covered[p]);
        free(covered);
    }
    verdict_agree(&v);
}
END_TEST

/* ---- complete runs -------------------------------------------------------------- */

/* 37 x 23 points in 5 x 4 tiles (edge tiles 2 wide, 3 high): 48 tiles. */
START_TEST(test_every_tile_stored_once)
{
    struct verdict v;
    struct fake fake;
    double *busy = calloc((size_t)n_ranks(), sizeof *busy);
    verdict_init(&v);
    fake_init(&fake, 37, 23, 5, 4, 3);
    int status = fake_run(&fake, NULL, busy);
    check_same_status(&v, status, ILRL_OK);
    check(&v, fake.store_verdict.ok, "%s", fake.store_verdict.why);
    check(&v, fake.tiling.n_tiles == 48, "%zu tiles", fake.tiling.n_tiles);
    check_complete(&v, &fake, NULL);

    /* On-demand, but every rank gets work when tiles outnumber ranks, and
     * rank 0 learns each rank's busy time. */
    int computed_here = fake.n_finished, least = 0;
    MPI_Allreduce(&computed_here, &least, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    check(&v, least >= 1, "a rank computed no tile of 48");
    if (fake.rank == 0)
        for (int r = 0; r < n_ranks(); r++)
            check(&v, busy[r] > 0.0 && busy[r] < 60.0, "busy_seconds[%d] = %g", r, busy[r]);
    free(busy);
    fake_free(&fake);
    verdict_agree(&v);
}
END_TEST

/* Fewer tiles than ranks, as many, and a 1x1 grid (one tile, one point):
 * _i = 0: 2x1 grid of 1x1 tiles; 1: 5x1 in 2x1 tiles (3); 2: 1x1 grid with
 * 32x32 tiles; 3: 1x1 grid, 1x1 tile, 1 value. */
START_TEST(test_few_tiles)
{
    static const size_t cases[][5] = {
        {2, 1, 1, 1, 2}, {5, 1, 2, 1, 4}, {1, 1, 32, 32, 3}, {1, 1, 1, 1, 1}};
    const size_t *c = cases[_i];
    struct verdict v;
    struct fake fake;
    verdict_init(&v);
    fake_init(&fake, c[0], c[1], c[2], c[3], c[4]);
    int status = fake_run(&fake, NULL, NULL);
    check_same_status(&v, status, ILRL_OK);
    check(&v, fake.store_verdict.ok, "%s", fake.store_verdict.why);
    check_complete(&v, &fake, NULL);
    fake_free(&fake);
    check_clean_run_after(&v);
    verdict_agree(&v);
}
END_TEST

/* Resume: tiles flagged done are never computed nor stored, the rest are,
 * once.  _i = 0: every third tile and both ends; 1: all but the last;
 * 2: all (nothing to do); 3: none flagged (an all-zero array). */
START_TEST(test_resume_skips_done_tiles)
{
    struct verdict v;
    struct fake fake;
    verdict_init(&v);
    fake_init(&fake, 20, 17, 4, 3, 2);
    size_t n = fake.tiling.n_tiles;
    unsigned char *done = calloc(n, 1);
    for (size_t t = 0; t < n; t++) {
        switch (_i) {
        case 0: done[t] = t % 3 == 1 || t == 0 || t == n - 1; break;
        case 1: done[t] = t != n - 1; break;
        case 2: done[t] = 1; break;
        default: done[t] = 0;
        }
    }
    int status = fake_run(&fake, done, NULL);
    check_same_status(&v, status, ILRL_OK);
    check(&v, fake.store_verdict.ok, "%s", fake.store_verdict.why);
    check_complete(&v, &fake, done);
    free(done);
    fake_free(&fake);
    verdict_agree(&v);
}
END_TEST

/* ---- errors ------------------------------------------------------------------- */

/* A compute failure on one tile: every rank returns its status, rank 0's
 * message is the failing rank's and names the tile, what was stored is a
 * consistent subset.  _i = 0: tile 0, 1: a middle tile, 2: the last tile;
 * 3, 4, 5: the first tile computed by rank 0, rank 1, the last rank. */
START_TEST(test_compute_failure_stops_every_rank)
{
    struct verdict v;
    struct fake fake;
    verdict_init(&v);
    fake_init(&fake, 30, 20, 3, 2, 2);
    long long n = (long long)fake.tiling.n_tiles;
    int last = n_ranks() - 1;
    switch (_i) {
    case 0: fake.fail_tile = 0; break;
    case 1: fake.fail_tile = n / 2; break;
    case 2: fake.fail_tile = n - 1; break;
    case 3: fake.fail_first_on_rank = 0; break;
    case 4: fake.fail_first_on_rank = last >= 1 ? 1 : 0; break;
    default: fake.fail_first_on_rank = last;
    }
    int status = fake_run(&fake, NULL, NULL);
    check_same_status(&v, status, ILRL_EINPUT);
    check(&v, fake.store_verdict.ok, "%s", fake.store_verdict.why);

    /* Exactly one compute failed; rank 0 knows which from its message. */
    int *failed = sum_over_ranks(fake.failed, (size_t)n);
    long long failed_tile = -1, n_failed = 0;
    for (long long t = 0; t < n; t++) {
        n_failed += failed[t];
        if (failed[t])
            failed_tile = t;
    }
    check(&v, n_failed == 1, "%lld computes failed, expected 1", n_failed);
    if (fake.fail_tile >= 0)
        check(&v, failed_tile == fake.fail_tile, "tile %lld failed, expected %lld",
              failed_tile, fake.fail_tile);
    if (fake.rank == 0 && failed_tile >= 0) {
        char want[64];
        snprintf(want, sizeof want, "fake failure on tile %lld", failed_tile);
        check(&v, strstr(ilrl_error_message(), want) != NULL,
              "rank 0's message '%s' does not say '%s'", ilrl_error_message(), want);
        check(&v, fake.stored[failed_tile] == 0, "the failed tile %lld was stored",
              failed_tile);
    }
    free(failed);
    int n_stored;
    check_subset(&v, &fake, &n_stored);
    fake_free(&fake);
    check_clean_run_after(&v);
    verdict_agree(&v);
}
END_TEST

/* A store failure (rank 0's output) stops every rank with its status. */
START_TEST(test_store_failure_stops_every_rank)
{
    struct verdict v;
    struct fake fake;
    verdict_init(&v);
    fake_init(&fake, 30, 20, 3, 2, 2);
    fake.fail_store_tile = (long long)fake.tiling.n_tiles / 3;
    int status = fake_run(&fake, NULL, NULL);
    check_same_status(&v, status, ILRL_EOUTPUT);
    check(&v, fake.store_verdict.ok, "%s", fake.store_verdict.why);
    if (fake.rank == 0) {
        char want[64];
        snprintf(want, sizeof want, "fake store failure on tile %lld", fake.fail_store_tile);
        check(&v, strstr(ilrl_error_message(), want) != NULL,
              "rank 0's message '%s' does not say '%s'", ilrl_error_message(), want);
    }
    int n_stored;
    check_subset(&v, &fake, &n_stored);
    check(&v, n_stored < (int)fake.tiling.n_tiles, "all %d tiles stored after the failure",
          n_stored);
    fake_free(&fake);
    check_clean_run_after(&v);
    verdict_agree(&v);
}
END_TEST

/* ---- stops --------------------------------------------------------------------- */

/* A stop request ends the run with ILRL_EINTERRUPTED on every rank; the
 * tiles stored are a consistent subset.  _i = 0: rank 0 asks once it has
 * stored 5 tiles; 1: the last rank asks after computing one tile; 2: every
 * rank asks from the start (a signal to the whole job). */
START_TEST(test_stop_request_interrupts_every_rank)
{
    struct verdict v;
    struct fake fake;
    verdict_init(&v);
    fake_init(&fake, 40, 40, 4, 4, 2);   /* 100 tiles */
    switch (_i) {
    case 0: fake.stop_rank = 0; fake.stop_after = 5; break;
    case 1: fake.stop_rank = n_ranks() - 1; fake.stop_after = 1; break;
    default: fake.stop_rank = -2; fake.stop_after = 0;
    }
    int status = fake_run(&fake, NULL, NULL);
    check_same_status(&v, status, ILRL_EINTERRUPTED);
    check(&v, fake.store_verdict.ok, "%s", fake.store_verdict.why);
    int n_stored;
    check_subset(&v, &fake, &n_stored);
    check(&v, n_stored < (int)fake.tiling.n_tiles, "all %d tiles stored despite the stop",
          n_stored);
    if (_i == 0)
        check(&v, n_stored >= 5, "only %d tiles stored before rank 0 asked to stop", n_stored);
    fake_free(&fake);
    check_clean_run_after(&v);
    verdict_agree(&v);
}
END_TEST

/* Stop, then resume from what was stored: the two runs together compute
 * and store every tile exactly once (the checkpoint-and-resume cycle). */
START_TEST(test_stop_then_resume_completes)
{
    struct verdict v;
    struct fake first, second;
    verdict_init(&v);
    fake_init(&first, 40, 40, 4, 4, 2);
    first.stop_rank = 0;
    first.stop_after = 10;
    int status = fake_run(&first, NULL, NULL);
    check_same_status(&v, status, ILRL_EINTERRUPTED);
    size_t n = first.tiling.n_tiles;
    unsigned char *done = calloc(n, 1);
    for (size_t t = 0; t < n; t++)
        done[t] = (unsigned char)first.stored[t];
    MPI_Bcast(done, (int)n, MPI_UNSIGNED_CHAR, 0, MPI_COMM_WORLD);

    fake_init(&second, 40, 40, 4, 4, 2);
    status = fake_run(&second, done, NULL);
    check_same_status(&v, status, ILRL_OK);
    check(&v, second.store_verdict.ok, "%s", second.store_verdict.why);
    check_complete(&v, &second, done);
    if (first.rank == 0)
        for (size_t t = 0; t < n; t++)
            check(&v, first.stored[t] + second.stored[t] == 1,
                  "tile %zu stored %d + %d times over the two runs", t, first.stored[t],
                  second.stored[t]);
    free(done);
    fake_free(&first);
    fake_free(&second);
    verdict_agree(&v);
}
END_TEST

Suite *schedule_suite(void)
{
    Suite *suite = suite_create("schedule");
    TCase *tiling = tcase_create("tiling");
    tcase_add_test(tiling, test_tiling_covers_grid_once);
    suite_add_tcase(suite, tiling);

    TCase *runs = tcase_create("runs");
    tcase_add_test(runs, test_every_tile_stored_once);
    tcase_add_loop_test(runs, test_few_tiles, 0, 4);
    tcase_add_loop_test(runs, test_resume_skips_done_tiles, 0, 4);
    suite_add_tcase(suite, runs);

    TCase *errors = tcase_create("errors");
    tcase_add_loop_test(errors, test_compute_failure_stops_every_rank, 0, 6);
    tcase_add_test(errors, test_store_failure_stops_every_rank);
    suite_add_tcase(suite, errors);

    TCase *stops = tcase_create("stops");
    tcase_add_loop_test(stops, test_stop_request_interrupts_every_rank, 0, 3);
    tcase_add_test(stops, test_stop_then_resume_completes);
    suite_add_tcase(suite, stops);
    return suite;
}
