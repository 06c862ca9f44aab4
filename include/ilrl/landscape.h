/* landscape.h -- one landscape run: demo -> network -> plane -> tiles ->
 * landscape file (docs/planes.md, docs/distribution.md, docs/formats.md,
 * docs/exit-status.md).  Collective: every MPI rank calls ilrl_landscape_run
 * with the same options and gets the same status back.
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
 * theta0 is the network --seed initialises, or with --theta FILE[:K] the
 * network of a network file or trajectory checkpoint, whose layer sizes and
 * activation then decide the network (a --layers or --activation that
 * differs is a bad command line); the file must fit the demo (exit 3).
 *
 * Training paths (docs/planes.md): rank 0 reads --plane trajectory:'s
 * path and theta0's file, and stores the path shown (--path's, else the
 * trajectory plane's) with its values, computed before any tile by the
 * grid's own code; landscape_path.h owns these decisions and why they make
 * the path arrays independent of ranks and resumes.
 *
 * Resume: OUT.partial is read and must match this run's settings (demo
 * checksum, theta0's source (theta_file, theta_checkpoint) and theta0 itself,
 * layers, activation, seed, plane, RL weighting, gamma, grid, ranges,
 * objectives, and with td or cql the TD target and CQL alpha); tiles with every point computed are skipped, the others
 * recomputed whole, so the result equals an uninterrupted run bit for bit.
 * With no checkpoint present --resume starts afresh (a requeued Slurm job
 * may always pass it) and says so.  A checkpoint is also refused (exit 3,
 * naming it) when adopting it would mix results that no setting shows: a
 * demo whose reward_scheme differs (--objective return), another dense
 * kernel path (attribute dense_kernel), or a non-finite value at a point
 * marked computed.
 *
 * Value objectives (--objectives td,cql; docs/value-objectives.md): rank 0
 * builds the TD plan from the demo, computes the frozen targets at theta0
 * and the gradient cosines there, and broadcasts the plan's arrays (frozen
 * targets included), so every rank regresses onto the same bits; each
 * point's L_TD and L_CQL come from the evaluator's pass with L_IL and L_RL
 * (evaluator.h) and travel in the tiles after them.  The settings that
 * decide them (objectives, td_target, cql_alpha, and final_obs through the
 * demo checksum) are part of the resume check and the journal's
 * fingerprint.
 *
 * Rank 0 decides what every rank must share.  Before set-up every rank
 * reports its facts (CPU runs the AVX-512 kernel; memory available: the
 * smallest of /proc's MemAvailable, its cgroup's room and RLIMIT_AS);
 * rank 0 then decides
 *  - the dense path: AVX-512 only if rank 0 wants it (ILRL_DENSE_KERNEL is
 *    not "dgemm" there) and every rank's CPU has it, else dgemm everywhere,
 *    so the bits never depend on which node computed a tile; it is
 *    broadcast with the problem and recorded in the file's dense_kernel
 *    attribute ("avx512", "dgemm", or "none" for weights planes);
 *  - memory: each rank's share (demo arrays, evaluator, tiles) and rank 0's
 *    grid are checked against what that rank has, before anything large is
 *    allocated (a failed allocation inside BLAS may retry forever); a
 *    refusal names the rank and ends every rank through the agreement step.
 * Tests make ranks disagree with ILRL_TEST_PRETEND_NO_AVX512=R and
 * ILRL_TEST_PRETEND_MEMORY_MB=R:MB, honoured by rank R alone, and make
 * rank R fail its first tile with ILRL_TEST_FAIL_TILE=R (the error then
 * reads "rank R, tile T (x I0..I1, y J0..J1): ...").
 *
 * Non-finite values (decision): a window whose theta is not finite is
 * refused before any work (exit 2 naming --x-range/--y-range).  Losses that
 * still overflow (ReLU on huge observations, wide windows) are the truth of
 * that network and are written as computed, but never pass silently: the run
 * writes the file, then fails with exit 1 and one line giving their count
 * and the first point (i, j) with its x and y.  Its checkpoints hold them
 * too and are refused on --resume (they cannot be told from corrupted ones).
 *
 * The library neither prints nor exits: notices go through ilrl_notice()
 * (progress.h: the program chooses stream, label and --quiet), errors
 * through ilrl_error(); signal handlers belong to the program, which calls
 * ilrl_landscape_request_stop() from them.
 */
#ifndef ILRL_LANDSCAPE_H
#define ILRL_LANDSCAPE_H

#include <stddef.h>

#include "ilrl/loss.h"
#include "ilrl/mlp.h"
#include "ilrl/rollout.h"
#include "ilrl/value_loss.h"

struct ilrl_landscape_options {
    const char *demo_path;        /* NULL: the built-in poor session */
    const char *out_path;         /* final file; checkpoints go to OUT.partial */
    const char *layers;           /* NULL: D,64,64,K from the demo */
    enum ilrl_activation activation;
    int activation_given;         /* --activation on the command line */
    const char *theta;            /* --theta FILE[:K]: theta0 (and the network's
                                     shape) from a network file or a trajectory
                                     checkpoint (network_source.h); NULL: from
                                     --seed */
    const char *path;             /* --path FILE[:PHASE]: a training path to
                                     overlay (path.h); NULL: the trajectory
                                     plane's own path, or none */
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
    int resume, force;
    int quiet;                    /* no notices: the program also passes NULL
                                     to ilrl_notice_setup */
    /* --objective return (docs/return-surface.md): rollouts at every point. */
    int objective_return;
    size_t rollouts;              /* episodes per point, >= 1 (default 8) */
    long rollout_steps;           /* >= 1 (default 1000) */
    enum ilrl_rollout_policy rollout_policy;
    /* Value objectives (docs/value-objectives.md): td_loss and/or
     * cql_loss beside il_loss and rl_loss, which are always computed (they
     * are every landscape file's arrays, and L_CQL is built on L_IL). */
    int objective_td, objective_cql;
    enum ilrl_value_target td_target;   /* default frozen */
    double cql_alpha;                   /* >= 0, default 1 */
    const char *command_line;     /* for the history attribute */
};

/* Default ranges: weights planes move raw weights (offsets of +-10 swing a
 * logit by up to ~10 nats through a tanh unit); random and gradient planes
 * use (filter-)normalised directions, where +-1 is the customary window. */
#define ILRL_WEIGHTS_RANGE 10.0
#define ILRL_DIRECTION_RANGE 1.0

/* Asks the run to checkpoint and stop (async-signal-safe: the program's
 * handler for SIGTERM, SIGINT and SIGUSR1 calls it with the signal). */
void ilrl_landscape_request_stop(int signum);

/* The signal asked for (0 if none); after an interrupted run, the signal
 * every rank reports, whichever rank received it.  Exit status: 128 + it
 * (shell convention: 143 SIGTERM, 130 SIGINT, 138 SIGUSR1). */
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
