/* bench_train_core.c -- one process, no MPI: behaviour cloning's training
 * step (minibatch forward + backward + Adam) in samples per second, the
 * number issue 16 compares with PyTorch (3.4e5 samples/s on 1 thread at
 * batch 256 for 12,64,64,2 tanh).
 *
 *   tests/bench_train_core [BATCH [EPOCHS [N]]]
 *
 * Synthetic data: N samples (default 20000) of 12 features ~ U(-1, 1),
 * action 1 on 6% of them (the strong demo idles on 94% of frames).  Runs
 * EPOCHS epochs (default 20) of shuffled minibatches of BATCH (default
 * 256) with Adam (lr 1e-3) from the --seed 1 network, and prints per phase
 * (shuffle / gradient / Adam) the seconds, and the samples/s of the whole
 * step by the wall clock and per CPU second (the fair number on a shared
 * machine).  OpenBLAS is held to 1 thread. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <gsl/gsl_rng.h>

#include "ilrl/adam.h"
#include "ilrl/bc.h"
#include "ilrl/mlp.h"
#include "testutil.h"

#ifdef HAVE_OPENBLAS_SET_NUM_THREADS
void openblas_set_num_threads(int n_threads);
#endif

/* Seconds of CPU used by this process: on a shared machine the wall clock
 * also counts other processes' turns. */
static double cpu_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(int argc, char **argv)
{
#ifdef HAVE_OPENBLAS_SET_NUM_THREADS
    openblas_set_num_threads(1);
#endif
    size_t batch = argc > 1 ? (size_t)atol(argv[1]) : 256;
    size_t epochs = argc > 2 ? (size_t)atol(argv[2]) : 20;
    size_t n = argc > 3 ? (size_t)atol(argv[3]) : 20000;
    if (batch == 0 || epochs == 0 || n == 0) {
        fprintf(stderr, "usage: %s [BATCH [EPOCHS [N]]] (all >= 1)\n", argv[0]);
        return 2;
    }
    const size_t D = 12, sizes[4] = {12, 64, 64, 2};
    struct ilrl_mlp *mlp = ilrl_mlp_alloc(sizes, 4, ILRL_ACTIVATION_TANH);
    size_t P = mlp->n_params;
    double *theta = malloc(P * sizeof(double)), *grad = malloc(P * sizeof(double));
    double *obs = malloc(n * D * sizeof(double));
    int *action = malloc(n * sizeof(int));
    size_t *order = malloc(n * sizeof(size_t));
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    for (size_t i = 0; i < n * D; i++)
        obs[i] = -1.0 + 2.0 * gsl_rng_uniform(rng);
    for (size_t i = 0; i < n; i++)
        action[i] = gsl_rng_uniform(rng) < 0.06;
    gsl_rng_free(rng);
    ilrl_mlp_init(mlp, 1, theta);
    struct ilrl_bc_samples samples = {n, D, obs, action};
    struct ilrl_bc_work *work = ilrl_bc_work_alloc(mlp, D);
    struct ilrl_adam *adam = ilrl_adam_alloc(P, 1e-3);

    double t_shuffle = 0.0, t_grad = 0.0, t_adam = 0.0, first = 0.0, last = 0.0;
    size_t n_samples = 0, n_steps = 0;
    double cpu0 = cpu_now(), wall0 = test_now();
    for (size_t epoch = 0; epoch < epochs; epoch++) {
        double t0 = test_now();
        ilrl_bc_shuffle(1, epoch, n, order);
        t_shuffle += test_now() - t0;
        for (size_t start = 0; start < n; start += batch) {
            size_t b = n - start < batch ? n - start : batch;
            double loss, t1 = test_now();
            ilrl_bc_minibatch(mlp, theta, &samples, order + start, b, work, &loss, grad);
            double t2 = test_now();
            ilrl_adam_step(adam, theta, grad);
            t_adam += test_now() - t2;
            t_grad += t2 - t1;
            if (n_steps == 0)
                first = loss;
            last = loss;
            n_samples += b;
            n_steps++;
        }
    }
    double cpu = cpu_now() - cpu0, wall = test_now() - wall0;
    double total = t_shuffle + t_grad + t_adam;
    printf("bc step, 12,64,64,2 tanh, batch %zu, chunk %d, %zu samples x %zu epochs "
           "(%zu steps)\n", batch, ILRL_BC_CHUNK, n, epochs, n_steps);
    printf("seconds: shuffle %.3f  forward+backward %.3f  adam %.3f  (%.1f us/step "
           "of which adam %.1f)\n", t_shuffle, t_grad, t_adam,
           1e6 * total / (double)n_steps, 1e6 * t_adam / (double)n_steps);
    printf("samples/s (forward + backward + Adam): %.4g by the wall clock, %.4g "
           "per CPU second (%.0f%% of a core)\n", (double)n_samples / total,
           (double)n_samples / cpu, 100.0 * cpu / wall);
    printf("loss: first minibatch %.4f, last %.4f\n", first, last);
    ilrl_adam_free(adam);
    ilrl_bc_work_free(work);
    ilrl_mlp_free(mlp);
    free(theta);
    free(grad);
    free(obs);
    free(action);
    free(order);
    return 0;
}
