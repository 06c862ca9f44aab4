/* landscape.h -- one landscape run: demo -> network -> plane -> tiles ->
 * landscape file (SPEC §6-§9).  Collective: every MPI rank calls
 * ilrl_landscape_run with the same options and gets the same status back.
 *
 * Rank 0 loads and validates the demo (or records the built-in poor session),
 * builds the network, theta0 and the plane, and broadcasts what the other
 * ranks need (samples, RL weights, network shape, theta0, directions, grid).
 * The tiles are scheduled by schedule.c; rank 0 stores finished tiles,
 * checkpoints them to OUT.partial at least every checkpoint_seconds and on
 * SIGTERM/SIGINT/SIGUSR1, and writes OUT when the grid is complete (then
 * removes OUT.partial).  Both writes are atomic (landscape_io.h), so a
 * SIGKILL at any instant leaves the last checkpoint readable.
 *
 * Resume: OUT.partial is read and must match this run's settings (demo
 * checksum, layers, activation, seed, plane, RL weighting, gamma, grid, ranges,
 * objective); tiles with every point computed are skipped, the others
 * recomputed whole, so the result equals an uninterrupted run bit for bit.
 * With no checkpoint present --resume starts afresh (a requeued Slurm job
 * may always pass it) and says so.
 */
#ifndef ILRL_LANDSCAPE_H
#define ILRL_LANDSCAPE_H

#include <stddef.h>

#include "ilrl/loss.h"
#include "ilrl/mlp.h"
#include "ilrl/rollout.h"

struct ilrl_landscape_options {
    const char *demo_path;        /* NULL: the built-in poor session */
    const char *out_path;         /* final file; checkpoints go to OUT.partial */
    const char *layers;           /* NULL: D,64,64,K from the demo */
    enum ilrl_activation activation;
    unsigned long seed;           /* network initialisation */
    const char *plane;            /* NULL: default weights pair */
    struct ilrl_rl_weight rl_weight;
    double gamma;                 /* [0, 1] */
    size_t nx, ny;                /* >= 1 */
    double x_min, x_max;          /* x_min < x_max (a single point uses x_min) */
    double y_min, y_max;
    int ranges_given;             /* 0: default ranges for the plane kind */
    size_t tile_nx, tile_ny;      /* >= 1 */
    double checkpoint_seconds;    /* > 0 */
    int resume, force, quiet;
    /* --objective return (SPEC §11): rollouts at every point. */
    int objective_return;
    size_t rollouts;              /* episodes per point, >= 1 (default 8) */
    long rollout_steps;           /* >= 1 (default 1000) */
    enum ilrl_rollout_policy rollout_policy;
    const char *command_line;     /* for the history attribute */
};

/* Default ranges: weights planes move raw weights (offsets of +-10 swing a
 * logit by up to ~10 nats through a tanh unit); random and gradient planes
 * use (filter-)normalised directions, where +-1 is the customary window. */
#define ILRL_WEIGHTS_RANGE 10.0
#define ILRL_DIRECTION_RANGE 1.0

/* Exit status of an interrupted run: 128 + the signal's number (shell
 * convention: 143 SIGTERM, 130 SIGINT, 138 SIGUSR1), after the checkpoint. */
int ilrl_landscape_interrupt_signal(void);

/* The built-in demonstration used without --demo: the reference poor
 * session (pilot poor, 1 episode, at most 3000 steps, seed 1, sparse
 * rewards), recorded in memory.  Its demo_file attribute is
 * ILRL_BUILTIN_DEMO_NAME. */
#define ILRL_BUILTIN_DEMO_NAME "built-in:poor"
struct ilrl_demo;
int ilrl_landscape_builtin_demo(struct ilrl_demo **demo);

/* Collective.  Returns ILRL_OK, ILRL_EINTERRUPTED (checkpoint written) or an
 * error status (message on rank 0). */
int ilrl_landscape_run(const struct ilrl_landscape_options *options);

#endif /* ILRL_LANDSCAPE_H */
