/* bench_evaluator.c -- one process, no MPI: the plane evaluator's rate on a
 * demonstration file, for profiling (perf record) and per-mode numbers.
 *
 *   tests/bench_evaluator DEMO.nc PLANE SIDE [reference]
 *
 * evaluates a SIDE x SIDE grid on [-1, 1]^2 of PLANE (a --plane value) row by
 * row, with the default 12,64,64,2 tanh network (seed 1, RL weight
 * "return"), and prints: mode, points, seconds, sample-evaluations/s.  With
 * "reference" it calls ilrl_plane_point + ilrl_loss_eval per point instead
 * (the engine before the evaluator). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ilrl/demo.h"
#include "ilrl/demo_io.h"
#include "ilrl/error.h"
#include "ilrl/evaluator.h"
#include "ilrl/loss.h"
#include "ilrl/mlp.h"
#include "ilrl/plane.h"
#include "testutil.h"

#ifdef HAVE_OPENBLAS_SET_NUM_THREADS
void openblas_set_num_threads(int n_threads);
#endif

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: %s DEMO.nc PLANE SIDE [reference]\n", argv[0]);
        return 2;
    }
#ifdef HAVE_OPENBLAS_SET_NUM_THREADS
    openblas_set_num_threads(1);
#endif
    struct ilrl_demo *demo = NULL;
    if (ilrl_demo_read(argv[1], &demo) != ILRL_OK) {
        fprintf(stderr, "%s\n", ilrl_error_message());
        return 3;
    }
    size_t side = (size_t)atol(argv[3]);
    int reference = argc > 4 && strcmp(argv[4], "reference") == 0;
    size_t sizes[4] = {demo->n_features, 64, 64, (size_t)demo->n_actions};
    struct ilrl_mlp *mlp = ilrl_mlp_alloc(sizes, 4, ILRL_ACTIVATION_TANH);
    size_t P = mlp->n_params, N = demo->n_steps;
    double *theta0 = malloc(P * sizeof(double)), *dx = malloc(P * sizeof(double)),
           *dy = malloc(P * sizeof(double)), *theta = malloc(P * sizeof(double)),
           *weight = malloc(N * sizeof(double));
    double *xs = malloc(side * sizeof(double)), *ys = malloc(side * sizeof(double)),
           *il = malloc(side * sizeof(double)), *rl = malloc(side * sizeof(double));
    struct ilrl_rl_weight kind = {ILRL_RL_WEIGHT_RETURN, 0.0};
    ilrl_rl_weights(demo, kind, 0.99, weight);
    ilrl_mlp_init(mlp, 1, theta0);
    struct ilrl_loss_data data = {N, demo->n_features, demo->obs, demo->action, weight};
    struct ilrl_loss_work *work = ilrl_loss_work_alloc(mlp, N);
    struct ilrl_plane_spec spec;
    double cosine;
    int degenerate;
    if (ilrl_plane_parse(argv[2], mlp, &spec) != ILRL_OK
        || ilrl_plane_build(&spec, mlp, theta0, &data, work, dx, dy, &cosine, &degenerate) != ILRL_OK) {
        fprintf(stderr, "%s\n", ilrl_error_message());
        return 2;
    }
    struct ilrl_evaluator *ev = ilrl_evaluator_alloc(mlp, theta0, dx, dy, &data, side,
                                                     ilrl_evaluator_wanted_path());
    double checksum = 0.0, t0 = test_now();
    for (size_t j = 0; j < side; j++) {
        for (size_t i = 0; i < side; i++) {
            xs[i] = -1.0 + 2.0 * (double)i / (double)(side > 1 ? side - 1 : 1);
            ys[i] = -1.0 + 2.0 * (double)j / (double)(side > 1 ? side - 1 : 1);
        }
        if (reference) {
            for (size_t i = 0; i < side; i++) {
                ilrl_plane_point(P, theta0, dx, dy, xs[i], ys[i], theta);
                ilrl_loss_eval(mlp, theta, &data, work, &il[i], &rl[i], NULL, NULL);
            }
        } else {
            ilrl_evaluator_eval(ev, xs, ys, side, il, rl);
        }
        for (size_t i = 0; i < side; i++)
            checksum += il[i] + rl[i];
    }
    double seconds = test_now() - t0;
    printf("%s %zu %.4f %.4g %.17g\n", reference ? "reference" : ilrl_evaluator_mode(ev),
           side * side, seconds, (double)(side * side) * (double)N / seconds, checksum);
    ilrl_evaluator_free(ev);
    ilrl_loss_work_free(work);
    ilrl_mlp_free(mlp);
    ilrl_demo_free(demo);
    free(theta0); free(dx); free(dy); free(theta); free(weight);
    free(xs); free(ys); free(il); free(rl);
    return 0;
}
