/* train_probe -- reads trajectory files for the ilrl-train scripts:
 *   train_probe same A B         exit 0 when every array equals bit for bit
 *                                (rows and checkpoints; wall_seconds, which
 *                                measures time, excepted), else names the
 *                                first difference and exits 1
 *   train_probe get FILE COLUMN ROW   prints the value (%.17g; ROW -1: last)
 *   train_probe min FILE COLUMN  the smallest non-NaN value of a column
 *   train_probe max FILE COLUMN  the largest non-NaN value of a column
 *   train_probe reach FILE COLUMN T   env_steps of the first row whose
 *                                value is >= T ("never" and exit 1 if none)
 *   train_probe rows FILE        number of rows
 *   train_probe checkpoints FILE number of checkpoints
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ilrl/error.h"
#include "ilrl/mlp.h"
#include "ilrl/trajectory_io.h"

static void load(const char *path, struct ilrl_trajectory *traj)
{
    struct ilrl_mlp *mlp = NULL;
    char *settings = NULL;
    if (ilrl_trajectory_read(path, traj, &mlp, &settings, NULL) != ILRL_OK) {
        fprintf(stderr, "train_probe: %s\n", ilrl_error_message());
        exit(2);
    }
    ilrl_mlp_free(mlp);
    free(settings);
}

static int column(const char *name)
{
    for (int k = 0; k < ILRL_TRAJ_N_DOUBLES; k++)
        if (strcmp(name, ilrl_traj_double_names[k]) == 0)
            return k;
    fprintf(stderr, "train_probe: no column %s\n", name);
    exit(2);
}

static double value(const struct ilrl_traj_row *row, int k)
{
    return (&row->il_loss_train)[k];
}

/* The probe proper; main frees what it loaded, whatever the answer. */
static int probe(int argc, char **argv, struct ilrl_trajectory *pa, struct ilrl_trajectory *pb)
{
    if (argc == 4 && strcmp(argv[1], "same") == 0) {
        load(argv[2], pa);
        load(argv[3], pb);
        if (pa->n_rows != pb->n_rows || pa->n_checkpoints != pb->n_checkpoints || pa->n_params != pb->n_params) {
            printf("different sizes: %zu/%zu rows, %zu/%zu checkpoints\n", pa->n_rows, pb->n_rows,
                   pa->n_checkpoints, pb->n_checkpoints);
            return 1;
        }
        for (size_t i = 0; i < pa->n_rows; i++) {
            struct ilrl_traj_row x = pa->rows[i], y = pb->rows[i];
            x.wall_seconds = y.wall_seconds = 0;
            if (x.phase != y.phase || x.update != y.update || x.env_steps != y.env_steps
                || x.samples != y.samples
                || memcmp(&x.il_loss_train, &y.il_loss_train, ILRL_TRAJ_N_DOUBLES * sizeof(double))) {
                printf("row %zu differs\n", i);
                return 1;
            }
        }
        if (pa->n_checkpoints
            && (memcmp(pa->ck_theta, pb->ck_theta, pa->n_checkpoints * pa->n_params * sizeof(double))
                || memcmp(pa->ck_update, pb->ck_update, pa->n_checkpoints * sizeof(long long))
                || memcmp(pa->ck_env_steps, pb->ck_env_steps, pa->n_checkpoints * sizeof(long long))
                || memcmp(pa->ck_phase, pb->ck_phase, pa->n_checkpoints * sizeof(int)))) {
            printf("checkpoints differ\n");
            return 1;
        }
        return 0;
    }
    if (argc == 5 && strcmp(argv[1], "get") == 0) {
        load(argv[2], pa);
        long row = atol(argv[4]);
        if (row < 0)
            row += (long)pa->n_rows;
        if (row < 0 || (size_t)row >= pa->n_rows)
            return 2;
        printf("%.17g\n", value(&pa->rows[row], column(argv[3])));
        return 0;
    }
    if (argc == 4 && (strcmp(argv[1], "min") == 0 || strcmp(argv[1], "max") == 0)) {
        load(argv[2], pa);
        int k = column(argv[3]), sign = strcmp(argv[1], "min") == 0 ? 1 : -1;
        double best = NAN;
        for (size_t i = 0; i < pa->n_rows; i++) {
            double v = value(&pa->rows[i], k);
            if (!isnan(v) && (isnan(best) || sign * v < sign * best))
                best = v;
        }
        printf("%.17g\n", best);
        return 0;
    }
    if (argc == 5 && strcmp(argv[1], "reach") == 0) {
        load(argv[2], pa);
        int k = column(argv[3]);
        double threshold = atof(argv[4]);
        for (size_t i = 0; i < pa->n_rows; i++)
            if (value(&pa->rows[i], k) >= threshold) {
                printf("%lld\n", pa->rows[i].env_steps);
                return 0;
            }
        printf("never\n");
        return 1;
    }
    if (argc == 3 && strcmp(argv[1], "rows") == 0) {
        load(argv[2], pa);
        printf("%zu\n", pa->n_rows);
        return 0;
    }
    if (argc == 3 && strcmp(argv[1], "checkpoints") == 0) {
        load(argv[2], pa);
        printf("%zu\n", pa->n_checkpoints);
        return 0;
    }
    fprintf(stderr, "usage: train_probe same A B | get FILE COLUMN ROW | min FILE COLUMN | rows FILE | checkpoints FILE\n");
    return 2;
}

int main(int argc, char **argv)
{
    struct ilrl_trajectory a = {0}, b = {0};
    int status = probe(argc, argv, &a, &b);
    ilrl_trajectory_free(&a);
    ilrl_trajectory_free(&b);
    return status;
}
