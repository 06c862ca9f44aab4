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

int main(int argc, char **argv)
{
    struct ilrl_trajectory a, b;
    if (argc == 4 && strcmp(argv[1], "same") == 0) {
        load(argv[2], &a);
        load(argv[3], &b);
        if (a.n_rows != b.n_rows || a.n_checkpoints != b.n_checkpoints || a.n_params != b.n_params) {
            printf("different sizes: %zu/%zu rows, %zu/%zu checkpoints\n", a.n_rows, b.n_rows,
                   a.n_checkpoints, b.n_checkpoints);
            return 1;
        }
        for (size_t i = 0; i < a.n_rows; i++) {
            struct ilrl_traj_row x = a.rows[i], y = b.rows[i];
            x.wall_seconds = y.wall_seconds = 0;
            if (x.phase != y.phase || x.update != y.update || x.env_steps != y.env_steps
                || x.samples != y.samples
                || memcmp(&x.il_loss_train, &y.il_loss_train, ILRL_TRAJ_N_DOUBLES * sizeof(double))) {
                printf("row %zu differs\n", i);
                return 1;
            }
        }
        if (a.n_checkpoints
            && (memcmp(a.ck_theta, b.ck_theta, a.n_checkpoints * a.n_params * sizeof(double))
                || memcmp(a.ck_update, b.ck_update, a.n_checkpoints * sizeof(long long))
                || memcmp(a.ck_env_steps, b.ck_env_steps, a.n_checkpoints * sizeof(long long))
                || memcmp(a.ck_phase, b.ck_phase, a.n_checkpoints * sizeof(int)))) {
            printf("checkpoints differ\n");
            return 1;
        }
        return 0;
    }
    if (argc == 5 && strcmp(argv[1], "get") == 0) {
        load(argv[2], &a);
        long row = atol(argv[4]);
        if (row < 0)
            row += (long)a.n_rows;
        if (row < 0 || (size_t)row >= a.n_rows)
            return 2;
        printf("%.17g\n", value(&a.rows[row], column(argv[3])));
        return 0;
    }
    if (argc == 4 && (strcmp(argv[1], "min") == 0 || strcmp(argv[1], "max") == 0)) {
        load(argv[2], &a);
        int k = column(argv[3]), sign = strcmp(argv[1], "min") == 0 ? 1 : -1;
        double best = NAN;
        for (size_t i = 0; i < a.n_rows; i++) {
            double v = value(&a.rows[i], k);
            if (!isnan(v) && (isnan(best) || sign * v < sign * best))
                best = v;
        }
        printf("%.17g\n", best);
        return 0;
    }
    if (argc == 5 && strcmp(argv[1], "reach") == 0) {
        load(argv[2], &a);
        int k = column(argv[3]);
        double threshold = atof(argv[4]);
        for (size_t i = 0; i < a.n_rows; i++)
            if (value(&a.rows[i], k) >= threshold) {
                printf("%lld\n", a.rows[i].env_steps);
                return 0;
            }
        printf("never\n");
        return 1;
    }
    if (argc == 3 && strcmp(argv[1], "rows") == 0) {
        load(argv[2], &a);
        printf("%zu\n", a.n_rows);
        return 0;
    }
    if (argc == 3 && strcmp(argv[1], "checkpoints") == 0) {
        load(argv[2], &a);
        printf("%zu\n", a.n_checkpoints);
        return 0;
    }
    fprintf(stderr, "usage: train_probe same A B | get FILE COLUMN ROW | min FILE COLUMN | rows FILE | checkpoints FILE\n");
    return 2;
}
