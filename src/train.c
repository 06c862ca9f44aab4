/* train.c -- ilrl-train's run (train.h): IL phase, RL phase, trajectory,
 * checkpoints and resume, on any number of MPI ranks.
 *
 * Decisions written down here:
 *
 *  - theta0.  --seed S initialises the network exactly as ilrl-landscape
 *    does (ilrl_mlp_init with S, the same layer sizes: D,64,64,K by
 *    default), so a training path starts at the landscape's theta0.
 *    --init FILE[:K] takes theta (and the layer sizes) from a network file
 *    or from checkpoint K (from 0; default the last) of a trajectory file.
 *
 *  - One gradient = parts summed in a fixed order.  A gradient is a list of
 *    parts (bc.h's chunks of ILRL_BC_CHUNK samples for IL and for the
 *    retention term; one episode for REINFORCE; chunks of ILRL_BC_CHUNK
 *    positions of a shuffled minibatch for PPO).  Part p is computed by rank
 *    p mod n (static dealing: every part costs about the same), every part
 *    depends on its samples alone, and the parts are added in part order
 *    (bc.h's ilrl_bc_add_part) and divided.  IL: rank 0 gathers the parts,
 *    alone holds Adam and steps it; theta is then broadcast.  RL: every
 *    rank receives every part (one all-gather per step), adds them in
 *    part order and steps its own copy of Adam (reset on every rank when
 *    the phase starts, broadcast on --resume): one synchronisation per
 *    step instead of two, which PPO's 16 steps per update felt on a busy
 *    machine.  So theta after every step has the same bits for any number
 *    of ranks.
 *
 *  - IL.  The demo's last --val-episodes episodes are held out; the others
 *    are the training set.  Epoch k's minibatch order is bc.h's
 *    ilrl_bc_shuffle(run seed, k, ...).  One row per epoch (its last
 *    minibatch's gradient norm).  Early stopping: with --patience P > 0 and
 *    held-out episodes, IL ends after P epochs in a row without a held-out
 *    L_IL below the best so far; theta stays the last one (not the best:
 *    the trajectory's rows say where the best was).
 *
 *  - RL.  Update u (from 0) plays --batch-episodes B episodes of at most
 *    --rollout-steps M frames at theta, sampling from pi.  Episode e of
 *    update u resets its game with
 *      seed(u, e) = low32(derive(derive(derive(S, RL_STREAM), u), e))
 *    (seed.h's ilrl_seed_derive; S the run seed) and samples its actions
 *    from rollout.h's sampler started from the same value
 *    (ilrl_rollout_episode_start), so who plays it does not matter.
 *    The episodes are dealt to ranks on demand in chunks of consecutive
 *    episodes (about CHUNKS_PER_RANK per rank; all of them on one rank),
 *    as ilrl-landscape deals tiles (schedule.h): a rank asks for the next
 *    chunk when it is done.  A chunk is played in lockstep, one batched
 *    forward per frame (rollout.h; a row's bits do not depend on the
 *    batch), so an episode is the same whoever plays it and with whom.
 *    Rank 0 puts the episodes in episode order and sends every rank their
 *    lengths and actions (and, for PPO, the actions' log-probabilities);
 *    every rank replays them from their seeds to get the observations and
 *    rewards (see play_batch).  PPO's "old" log-probabilities are those
 *    the sampler drew from (rollout.c's log-softmax of the rollout's
 *    logits), as a PyTorch user keeps them: no second forward pass over
 *    the batch, which every rank used to repeat.  Advantages: returns-to-go
 *    with --gamma and the batch baseline, normalised (policy_gradient.h).
 *    REINFORCE: one Adam step on the whole batch (one part per episode).
 *    PPO: --ppo-epochs passes, each a shuffle of the batch's N steps
 *    (bc.h's shuffle with seed derive(derive(S, PPO_STREAM), u) and epoch
 *    k) cut into --minibatches consecutive slices (slice j = positions
 *    [j N / m, (j + 1) N / m)), one Adam step per slice.  The retention term
 *    L * DECAY^u * L_IL (--bc-weight) uses the demo's training episodes.
 *    The optimiser restarts (m = v = 0, step 0) when the RL phase starts.
 *    The RL phase ends after the first update that brings the cumulative
 *    environment steps to --rl-steps or beyond.
 *
 *  - Rows.  Row 0 is theta0 (or the --init theta) before any step, with
 *    its losses and a greedy evaluation; then one row per IL epoch and one
 *    per RL update.  Saved thetas: checkpoint 0 is theta0, then one at the
 *    end of the IL phase when an RL phase follows, every --save-every rows,
 *    and the final theta.
 *
 *  - Returns.  Returns in the trajectory (return_mean, eval_return) are
 *    undiscounted sums of rewards, as Gymnasium reports episode returns
 *    (CartPole's is its length); --gamma acts on the advantages only.
 *
 *  - Greedy evaluation: --eval-episodes episodes, argmax actions, episode k
 *    seeded low32(derive(derive(S, EVAL_STREAM), k)) in every evaluation
 *    (independent of training's seeds), after every --eval-every-th row of
 *    a phase and after the last row of each phase; played by rank 0, in
 *    lockstep (up to LOCKSTEP_EVAL_MAX episodes side by side).
 *
 *  - Checkpoints.  Rank 0 writes OUT.partial (a trajectory file with the
 *    resume state) at least every --checkpoint seconds and when a signal
 *    arrives, at the next step boundary: after an IL minibatch, after an
 *    RL update.  The state: theta, Adam's m, v and step, and counters
 *    0 phase (0 IL, 1 RL, 2 done), 1 IL epoch, 2 next minibatch of that
 *    epoch, 3 RL update, 4 IL epochs without improvement, 5 environment
 *    steps, 6 samples, 7 rows when the RL phase started (-1 before); the
 *    best held-out loss; the wall seconds so far.  Every random stream is
 *    derived from (S, epoch or update, index), so no generator state needs
 *    saving.  --resume reads OUT.partial (rank 0), requires the same
 *    settings line, and continues: the arrays of the final file equal an
 *    uninterrupted run's bit for bit except wall_seconds (and the history
 *    and mpi_ranks attributes).  Without OUT.partial a resume starts
 *    afresh.  Workers' signals reach rank 0 inside their gathered parts.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <unistd.h>

#include "ilrl/adam.h"
#include "ilrl/bc.h"
#include "ilrl/demo.h"
#include "ilrl/demo_io.h"
#include "ilrl/env.h"
#include "ilrl/error.h"
#include "ilrl/loss.h"
#include "ilrl/ncfile.h"
#include "ilrl/network_io.h"
#include "ilrl/output_file.h"
#include "ilrl/progress.h"
#include "ilrl/rollout.h"
#include "ilrl/schedule.h"
#include "ilrl/seed.h"
#include "ilrl/train.h"
#include "ilrl/trajectory_io.h"

#define DEFAULT_HIDDEN 64
/* Tags of the derived streams (ASCII). */
#define RL_STREAM UINT64_C(0x524C455049534F44)    /* "RLEPISOD" */
#define EVAL_STREAM UINT64_C(0x4556414C47524459)  /* "EVALGRDY" */
#define PPO_STREAM UINT64_C(0x50504F5348554646)   /* "PPOSHUFF" */
/* RL episodes are dealt in about this many chunks per rank (balance
 * against lockstep width; no value depends on it). */
#define CHUNKS_PER_RANK 4
/* Greedy evaluation plays at most this many episodes side by side. */
#define LOCKSTEP_EVAL_MAX 256

enum { C_PHASE, C_EPOCH, C_BATCH, C_UPDATE, C_BAD, C_ENV_STEPS, C_SAMPLES, C_RL_ROW0 };

static volatile sig_atomic_t stop_signal = 0;

void ilrl_train_request_stop(int signum)
{
    stop_signal = signum;
}

int ilrl_train_interrupt_signal(void)
{
    return stop_signal;
}

unsigned long ilrl_train_episode_seed(unsigned long run_seed, unsigned long long update,
                                      size_t episode)
{
    uint64_t z = ilrl_seed_derive(ilrl_seed_derive(ilrl_seed_derive(run_seed, RL_STREAM), update),
                                  episode);
    return ilrl_seed_low32(z);
}

unsigned long ilrl_train_eval_seed(unsigned long run_seed, size_t episode)
{
    return ilrl_seed_low32(ilrl_seed_derive(ilrl_seed_derive(run_seed, EVAL_STREAM), episode));
}

/* A gradient part: what it is, for compute_part. */
enum part_kind { PART_IL, PART_RL };
struct part {
    enum part_kind kind;
    const size_t *index;  /* positions (NULL: in order) */
    size_t begin, end;    /* IL: minibatch [index, batch_size = end], chunk = begin */
};

struct trainer {
    const struct ilrl_train_options *o;
    int rank, n_ranks;
    struct ilrl_demo *demo;
    struct ilrl_mlp *mlp;
    size_t P, D;
    int K;
    double *theta, *grad, *grad_il, *grad_il0, *theta_before;
    struct ilrl_adam *adam;               /* IL: rank 0's; RL: every rank's */
    const struct ilrl_env_type *env_type;
    int env_index, scheme;
    int can_play;                         /* the network plays env_type (RL, evaluation) */
    struct ilrl_env *env;                 /* replays the batch's episodes */
    struct ilrl_lockstep *lockstep;       /* plays episodes side by side */
    size_t lockstep_cap;                  /* its episodes at once */
    unsigned long *seeds;                 /* lockstep_cap */
    struct ilrl_lockstep_result *results; /* lockstep_cap */
    int **record_action;                  /* lockstep_cap pointers into chunk_actions */
    int *chunk_actions;                   /* chunk x M */
    double **record_log_prob;             /* lockstep_cap pointers into chunk_log_probs */
    double *chunk_log_probs;              /* chunk x M */
    size_t chunk;                         /* episodes per dealt chunk */
    unsigned long long update;            /* the update being played */
    struct ilrl_bc_samples train, val;
    struct ilrl_bc_work *bc_work;
    struct ilrl_pg_work *pg_work;
    struct ilrl_mlp_work *mlp_work;
    struct ilrl_loss_work *loss_work;
    double *demo_weight;                  /* return weights of the demo, for L_RL */
    /* parts */
    double *mine, *all;
    size_t parts_capacity;                /* per rank */
    /* RL batch */
    size_t batch_cap_steps;
    double *obs, *reward, *advantage, *old_log_prob;
    int *action;
    size_t *length, *order;
    double *episode_all;                  /* rank 0: B x (3 + M), see play_batch */
    /* state */
    long long counter[8];
    double best_val, wall_offset, start_time, last_checkpoint;
    struct ilrl_trajectory traj;
    char *settings;
    char partial_path[4096];
};

/* ---- parts: dealt to ranks, summed in order on rank 0 -------------------------- */

static int ensure_parts(struct trainer *t, size_t per_rank)
{
    if (per_rank <= t->parts_capacity)
        return ILRL_OK;
    size_t row = t->P + 2;
    free(t->mine);
    free(t->all);
    t->mine = malloc(per_rank * row * sizeof(double) + sizeof(double));
    t->all = malloc((size_t)t->n_ranks * (per_rank * row + 1) * sizeof(double));
    if (t->mine == NULL || t->all == NULL)
        return ilrl_error(ILRL_EFAILED, "out of memory for %zu gradient parts", per_rank);
    t->parts_capacity = per_rank;
    return ILRL_OK;
}

struct rl_batch {
    struct ilrl_pg_steps steps;
    struct ilrl_pg_objective_spec spec;
};

/* Computes the parts and, on rank 0 (on every rank if `everyone`), sums
 * parts [0, n_rl) into (*v_rl, g_rl) and [n_rl, n) into (*v_il, g_il) in
 * part order.  *stop gets the largest signal any worker saw. */
static int run_parts(struct trainer *t, const struct part *parts, size_t n_parts, size_t n_rl,
                     const struct rl_batch *batch, double *v_rl, double *g_rl, double *v_il,
                     double *g_il, int *stop, int everyone)
{
    size_t n = (size_t)t->n_ranks, per_rank = (n_parts + n - 1) / n, row = t->P + 2;
    int status = ensure_parts(t, per_rank ? per_rank : 1);
    if (status != ILRL_OK)
        return status;
    size_t slot = 0;
    for (size_t p = (size_t)t->rank; p < n_parts; p += n, slot++) {
        double *out = t->mine + 1 + slot * row;
        const struct part *part = &parts[p];
        if (part->kind == PART_IL)
            ilrl_bc_chunk(t->mlp, t->theta, &t->train, part->index, part->end, part->begin,
                          t->bc_work, &out[0], out + 2);
        else
            ilrl_pg_part(t->mlp, t->theta, batch->spec, &batch->steps, part->index, part->begin,
                         part->end, t->pg_work, &out[0], out + 2, NULL);
    }
    t->mine[0] = (double)stop_signal;
    size_t bytes = (per_rank * row + 1) * sizeof(double);
    if (n > 1 && everyone)
        status = ilrl_schedule_allgather(t->mine, bytes, t->all);
    else if (n > 1)
        status = ilrl_schedule_gather(t->mine, bytes, t->all);
    else
        memcpy(t->all, t->mine, bytes);
    if (status != ILRL_OK || (t->rank != 0 && !everyone))
        return status;
    *v_rl = 0.0;
    *v_il = 0.0;
    if (g_rl) memset(g_rl, 0, t->P * sizeof *g_rl);
    if (g_il) memset(g_il, 0, t->P * sizeof *g_il);
    for (size_t r = 0; r < n; r++) {
        int s = (int)t->all[r * (per_rank * row + 1)];
        if (s > *stop)
            *stop = s;
    }
    for (size_t p = 0; p < n_parts; p++) {
        size_t r = p % n, k = p / n;
        const double *in = t->all + r * (per_rank * row + 1) + 1 + k * row;
        if (p < n_rl)
            ilrl_bc_add_part(t->P, in[0], in + 2, v_rl, g_rl);
        else
            ilrl_bc_add_part(t->P, in[0], in + 2, v_il, g_il);
    }
    return ILRL_OK;
}

static int share_control(struct trainer *t, int *control)
{
    if (t->n_ranks > 1)
        return ilrl_schedule_broadcast(control, sizeof *control);
    return ILRL_OK;
}

/* ---- measurements (rank 0) ------------------------------------------------------ */

static double demo_il(struct trainer *t, const struct ilrl_bc_samples *samples)
{
    if (samples->n_samples == 0)
        return NAN;
    double il = 0.0;
    struct ilrl_loss_data data = {samples->n_samples, t->D, samples->obs, samples->action,
                                  t->demo_weight};
    ilrl_loss_eval(t->mlp, t->theta, &data, t->loss_work, &il, NULL, NULL, NULL);
    return il;
}

static double demo_rl(struct trainer *t)
{
    double rl = 0.0;
    struct ilrl_loss_data data = {t->demo->n_steps, t->D, t->demo->obs, t->demo->action,
                                  t->demo_weight};
    ilrl_loss_eval(t->mlp, t->theta, &data, t->loss_work, NULL, &rl, NULL, NULL);
    return rl;
}

/* Greedy evaluation at theta (rank 0): the eval episodes in lockstep. */
static int evaluate(struct trainer *t, double *ret, double *score)
{
    double rs = 0.0, ss = 0.0;
    size_t n = t->o->eval_episodes;
    for (size_t k0 = 0; k0 < n; k0 += t->lockstep_cap) {
        size_t group = n - k0 < t->lockstep_cap ? n - k0 : t->lockstep_cap;
        for (size_t k = 0; k < group; k++)
            t->seeds[k] = ilrl_train_eval_seed(t->o->seed, k0 + k);
        int status = ilrl_lockstep_play(t->lockstep, t->mlp, t->theta, ILRL_ROLLOUT_GREEDY, group,
                                        t->seeds, t->o->rollout_steps, 1.0, NULL, t->results,
                                        NULL, NULL);
        if (status != ILRL_OK)
            return status;
        for (size_t k = 0; k < group; k++) {
            rs += t->results[k].episode_return;
            ss += t->results[k].score;
        }
    }
    *ret = rs / (double)n;
    *score = ss / (double)n;
    return ILRL_OK;
}

static double norm(const double *x, size_t n)
{
    double s = 0.0;
    for (size_t k = 0; k < n; k++)
        s += x[k] * x[k];
    return sqrt(s);
}

/* ---- checkpoint files (rank 0) ------------------------------------------------- */

static void fill_attrs(const struct trainer *t, struct ilrl_traj_attr *a, size_t *n)
{
    const struct ilrl_train_options *o = t->o;
    size_t k = 0;
    a[k++] = (struct ilrl_traj_attr){.name = "demo", .text = o->demo_path ? o->demo_path : ""};
    a[k++] = (struct ilrl_traj_attr){.name = "env", .text = t->env_type->name};
    a[k++] = (struct ilrl_traj_attr){.name = "reward_scheme",
                                     .text = ilrl_env_scheme_name(t->env_type, t->scheme)};
    a[k++] = (struct ilrl_traj_attr){.name = "init", .text = o->init ? o->init : ""};
    a[k++] = (struct ilrl_traj_attr){.name = "seed", .integer = (long long)o->seed, .is_integer = 1};
    a[k++] = (struct ilrl_traj_attr){.name = "il_epochs", .integer = (long long)o->il_epochs, .is_integer = 1};
    a[k++] = (struct ilrl_traj_attr){.name = "lr", .number = o->lr};
    a[k++] = (struct ilrl_traj_attr){.name = "batch", .integer = (long long)o->batch, .is_integer = 1};
    a[k++] = (struct ilrl_traj_attr){.name = "val_episodes", .integer = (long long)o->val_episodes, .is_integer = 1};
    a[k++] = (struct ilrl_traj_attr){.name = "patience", .integer = (long long)o->patience, .is_integer = 1};
    a[k++] = (struct ilrl_traj_attr){.name = "rl_steps", .integer = o->rl_steps, .is_integer = 1};
    a[k++] = (struct ilrl_traj_attr){.name = "batch_episodes", .integer = (long long)o->batch_episodes, .is_integer = 1};
    a[k++] = (struct ilrl_traj_attr){.name = "rollout_steps", .integer = o->rollout_steps, .is_integer = 1};
    a[k++] = (struct ilrl_traj_attr){.name = "algo", .text = o->algo == ILRL_PG_PPO ? "ppo" : "reinforce"};
    a[k++] = (struct ilrl_traj_attr){.name = "clip", .number = o->clip};
    a[k++] = (struct ilrl_traj_attr){.name = "ppo_epochs", .integer = (long long)o->ppo_epochs, .is_integer = 1};
    a[k++] = (struct ilrl_traj_attr){.name = "minibatches", .integer = (long long)o->minibatches, .is_integer = 1};
    a[k++] = (struct ilrl_traj_attr){.name = "gamma", .number = o->gamma};
    a[k++] = (struct ilrl_traj_attr){.name = "bc_weight", .number = o->bc_weight};
    a[k++] = (struct ilrl_traj_attr){.name = "bc_decay", .number = o->bc_decay};
    a[k++] = (struct ilrl_traj_attr){.name = "eval_every", .integer = (long long)o->eval_every, .is_integer = 1};
    a[k++] = (struct ilrl_traj_attr){.name = "eval_episodes", .integer = (long long)o->eval_episodes, .is_integer = 1};
    a[k++] = (struct ilrl_traj_attr){.name = "save_every", .integer = (long long)o->save_every, .is_integer = 1};
    a[k++] = (struct ilrl_traj_attr){.name = "mpi_ranks", .integer = t->n_ranks, .is_integer = 1};
    a[k++] = (struct ilrl_traj_attr){.name = "history", .text = o->command_line};
    a[k++] = (struct ilrl_traj_attr){.name = "source", .text = PACKAGE_STRING " ilrl-train"};
    *n = k;
}

static int write_file(struct trainer *t, const char *path, int with_state, int force)
{
    struct ilrl_traj_attr attrs[32];
    size_t n_attrs = 0;
    fill_attrs(t, attrs, &n_attrs);
    struct ilrl_traj_state state = {
        .present = with_state, .theta = t->theta, .adam_m = t->adam->m, .adam_v = t->adam->v,
        .best_val = t->best_val, .wall_seconds = ilrl_schedule_wtime() - t->start_time + t->wall_offset,
    };
    memcpy(state.counter, t->counter, sizeof state.counter);
    state.counter[7] = (long long)t->adam->step;
    return ilrl_trajectory_write(path, &t->traj, t->mlp, t->settings, attrs, n_attrs,
                                 with_state ? &state : NULL, force);
}

/* Rank 0, at a step boundary: a checkpoint when one is due or asked for.
 * Returns the control word for every rank. */
static int poll_checkpoint(struct trainer *t, int worker_stop)
{
    if (t->rank != 0)
        return ILRL_OK;
    int signum = stop_signal ? stop_signal : worker_stop;
    double now = ilrl_schedule_wtime();
    if (signum == 0 && now - t->last_checkpoint < t->o->checkpoint_seconds)
        return ILRL_OK;
    int status = write_file(t, t->partial_path, 1, 1);
    t->last_checkpoint = ilrl_schedule_wtime();
    if (status != ILRL_OK)
        return status;
    if (signum != 0) {
        if (stop_signal == 0)
            stop_signal = signum;
        ilrl_notice("interrupted by signal %d: checkpoint %s holds %zu rows; continue with --resume",
                    signum, t->partial_path, t->traj.n_rows);
        return ILRL_EINTERRUPTED;
    }
    return ILRL_OK;
}

/* ---- phases ----------------------------------------------------------------------- */

static int add_row(struct trainer *t, struct ilrl_traj_row *row, int evaluate_now)
{
    row->update = (long long)(t->rank == 0 ? t->adam->step : 0);
    row->env_steps = t->counter[C_ENV_STEPS];
    row->samples = t->counter[C_SAMPLES];
    if (t->demo != NULL) {
        row->il_loss_train = demo_il(t, &t->train);
        row->il_loss_val = demo_il(t, &t->val);
        row->rl_loss_demo = demo_rl(t);
    } else {
        row->il_loss_train = row->il_loss_val = row->rl_loss_demo = NAN;
    }
    row->eval_return = row->eval_score = NAN;
    if (evaluate_now && t->o->eval_episodes > 0 && t->can_play) {
        int status = evaluate(t, &row->eval_return, &row->eval_score);
        if (status != ILRL_OK)
            return status;
    }
    row->wall_seconds = ilrl_schedule_wtime() - t->start_time + t->wall_offset;
    return ilrl_trajectory_add_row(&t->traj, row);
}

static int maybe_save_theta(struct trainer *t, int phase)
{
    if (t->o->save_every > 0 && t->traj.n_rows % t->o->save_every == 0)
        return ilrl_trajectory_add_checkpoint(&t->traj, t->theta, (long long)t->adam->step,
                                              t->counter[C_ENV_STEPS], phase);
    return ILRL_OK;
}

static int il_phase(struct trainer *t)
{
    const struct ilrl_train_options *o = t->o;
    size_t n = t->train.n_samples, n_batches = (n + o->batch - 1) / o->batch;
    size_t *order = malloc(n * sizeof *order);
    size_t max_chunks = ilrl_bc_n_chunks(o->batch);
    struct part *parts = malloc(max_chunks * sizeof *parts);
    int status = order && parts ? ILRL_OK : ilrl_error(ILRL_EFAILED, "out of memory");
    while (status == ILRL_OK && t->counter[C_PHASE] == 0 && (size_t)t->counter[C_EPOCH] < o->il_epochs) {
        unsigned long long epoch = (unsigned long long)t->counter[C_EPOCH];
        status = ilrl_bc_shuffle(o->seed, epoch, n, order);
        for (size_t b = (size_t)t->counter[C_BATCH]; status == ILRL_OK && b < n_batches; b++) {
            size_t begin = b * o->batch, size = n - begin < o->batch ? n - begin : o->batch;
            size_t n_chunks = ilrl_bc_n_chunks(size);
            for (size_t c = 0; c < n_chunks; c++)
                parts[c] = (struct part){PART_IL, order + begin, c, size};
            double v_rl, v_il = 0.0;
            int worker_stop = 0;
            status = run_parts(t, parts, n_chunks, 0, NULL, &v_rl, NULL, &v_il, t->grad, &worker_stop,
                               0);
            if (status != ILRL_OK)
                break;
            int control = ILRL_OK;
            if (t->rank == 0)
                ilrl_bc_finish(t->P, size, &v_il, t->grad);
            /* Adam, then the bookkeeping of the step. */
            if (t->rank == 0)
                ilrl_adam_step(t->adam, t->theta, t->grad);
            t->counter[C_SAMPLES] += (long long)size;
            t->counter[C_BATCH] = (long long)(b + 1);
            int last_epoch = 0;
            if (b + 1 == n_batches) {
                t->counter[C_EPOCH]++;
                t->counter[C_BATCH] = 0;
                if (t->rank == 0) {
                    struct ilrl_traj_row row = {.phase = 0, .return_mean = NAN, .score_mean = NAN,
                                                .length_mean = NAN, .cos_il_rl = NAN,
                                                .grad_norm = norm(t->grad, t->P)};
                    size_t epoch_number = (size_t)t->counter[C_EPOCH];
                    int stop_now = (size_t)t->counter[C_EPOCH] == o->il_epochs;
                    /* early stopping needs the row's held-out loss first */
                    status = add_row(t, &row, 0);
                    if (status == ILRL_OK && o->patience > 0 && t->val.n_samples > 0) {
                        if (row.il_loss_val < t->best_val) {
                            t->best_val = row.il_loss_val;
                            t->counter[C_BAD] = 0;
                        } else if ((size_t)++t->counter[C_BAD] >= o->patience) {
                            stop_now = 1;
                        }
                    }
                    if (status == ILRL_OK && o->eval_episodes > 0 && t->can_play
                        && (stop_now || epoch_number % o->eval_every == 0)) {
                        struct ilrl_traj_row *r = &t->traj.rows[t->traj.n_rows - 1];
                        status = evaluate(t, &r->eval_return, &r->eval_score);
                    }
                    if (status == ILRL_OK)
                        status = maybe_save_theta(t, 0);
                    last_epoch = stop_now;
                    if (stop_now)   /* before any checkpoint: a resume must not train on */
                        t->counter[C_EPOCH] = (long long)o->il_epochs;
                }
            }
            if (t->rank == 0 && status == ILRL_OK)
                control = poll_checkpoint(t, worker_stop);
            else if (t->rank == 0)
                control = status;
            int flags[2] = {control, last_epoch};
            if (t->n_ranks > 1) {
                int s = ilrl_schedule_broadcast(t->theta, t->P * sizeof(double));
                if (s == ILRL_OK)
                    s = ilrl_schedule_broadcast(flags, sizeof flags);
                if (s != ILRL_OK)
                    flags[0] = s;
            }
            status = flags[0];
            if (flags[1] && status == ILRL_OK) {
                /* early stop (or the last epoch): the phase ends here */
                t->counter[C_EPOCH] = (long long)o->il_epochs;
                break;
            }
            if (status == ILRL_OK && b + 1 == n_batches)
                break;
        }
    }
    free(order);
    free(parts);
    return status;
}

/* ---- the RL batch: episodes dealt on demand, played in lockstep -------------------
 *
 * An update's B episodes are cut into chunks of t->chunk consecutive
 * episodes, dealt by schedule.h's on-demand scheduler (a 1 x B "grid" of
 * episodes, a tile = a chunk): a rank asks for the next chunk when it is
 * done, rank 0 plays chunks too.  A chunk's episodes are played in lockstep
 * (rollout.h); a finished chunk travels to rank 0 as, per episode, its
 * length, score, return, actions and their log-probabilities (3 + 2 M
 * doubles).  Rank 0 assembles the
 * batch in episode order and sends every rank the lengths and actions;
 * every rank then replays the episodes in its own game (same seeds, same
 * actions: the simulator is deterministic) to recover their observations
 * and rewards, which costs far less than shipping them.  Who played which
 * chunk, and the chunk size, change no value. */

static int batch_compute(void *ctx, const struct ilrl_tile *tile, double *values,
                         const struct ilrl_tile_hooks *hooks)
{
    struct trainer *t = ctx;
    size_t M = (size_t)t->o->rollout_steps, n = tile->nx;
    for (size_t i = 0; i < n; i++)
        t->seeds[i] = ilrl_train_episode_seed(t->o->seed, t->update, tile->x0 + i);
    struct ilrl_lockstep_record record = {NULL, t->record_action, NULL, t->record_log_prob};
    int status = ilrl_lockstep_play(t->lockstep, t->mlp, t->theta, ILRL_ROLLOUT_SAMPLE, n,
                                    t->seeds, t->o->rollout_steps, 1.0, &record, t->results,
                                    hooks->poll, hooks->poll_ctx);
    if (status != ILRL_OK)
        return status;
    for (size_t i = 0; i < n; i++) {
        double *v = values + i * (3 + 2 * M);
        size_t len = (size_t)t->results[i].length;
        v[0] = (double)len;
        v[1] = t->results[i].score;
        v[2] = t->results[i].episode_return;
        const int *a = t->record_action[i];
        for (size_t k = 0; k < len; k++)
            v[3 + k] = a[k];
        memset(v + 3 + len, 0, (M - len) * sizeof *v);
        memcpy(v + 3 + M, t->record_log_prob[i], len * sizeof *v);
        memset(v + 3 + M + len, 0, (M - len) * sizeof *v);
    }
    return ILRL_OK;
}

static int batch_store(void *ctx, const struct ilrl_tile *tile, const double *values)
{
    struct trainer *t = ctx;
    size_t slot = 3 + 2 * (size_t)t->o->rollout_steps;
    memcpy(t->episode_all + tile->x0 * slot, values, tile->nx * slot * sizeof *values);
    return ILRL_OK;
}

/* Plays update u's episodes (dealt on demand) and assembles the batch on
 * every rank (episode order).  Returns the batch's N in *n_steps. */
static int play_batch(struct trainer *t, unsigned long long u, size_t *n_steps, double *ret_mean,
                      double *score_mean, double *len_mean)
{
    const struct ilrl_train_options *o = t->o;
    size_t B = o->batch_episodes, M = (size_t)o->rollout_steps, slot = 3 + 2 * M;
    t->update = u;
    struct ilrl_schedule_job job = {.n_values = slot, .compute = batch_compute,
                                    .store = batch_store, .ctx = t};
    ilrl_tiling_init(&job.tiling, B, 1, t->chunk, 1);
    int status = ilrl_schedule_run(&job);
    if (status != ILRL_OK)
        return status;
    unsigned long long N = 0;
    if (t->rank == 0) {
        double rs = 0.0, ss = 0.0, ls = 0.0;
        for (size_t e = 0; e < B; e++) {
            const double *s = t->episode_all + e * slot;
            size_t len = (size_t)s[0];
            for (size_t k = 0; k < len; k++)
                t->action[N + k] = (int)s[3 + k];
            memcpy(t->old_log_prob + N, s + 3 + M, len * sizeof *s);
            t->length[e] = len;
            N += len;
            rs += s[2];
            ss += s[1];
            ls += (double)len;
        }
        *ret_mean = rs / (double)B;
        *score_mean = ss / (double)B;
        *len_mean = ls / (double)B;
    }
    if (t->n_ranks > 1) {
        status = ilrl_schedule_broadcast(&N, sizeof N);
        if (status == ILRL_OK) status = ilrl_schedule_broadcast(t->length, B * sizeof *t->length);
        if (status == ILRL_OK) status = ilrl_schedule_broadcast(t->action, N * sizeof(int));
        if (status == ILRL_OK && o->algo == ILRL_PG_PPO)
            status = ilrl_schedule_broadcast(t->old_log_prob, N * sizeof(double));
        if (status != ILRL_OK)
            return status;
    }
    /* The replay: observations and rewards from the seeds and actions.  It
     * must end where the play ended (a check, not a hope). */
    size_t at = 0;
    for (size_t e = 0; e < B; e++) {
        size_t len = t->length[e];
        int over = 0, early = 0;
        ilrl_env_reset(t->env, ilrl_train_episode_seed(o->seed, u, e));
        for (size_t k = 0; k < len; k++, at++) {
            early |= over;
            ilrl_env_observe(t->env, t->obs + at * t->D);
            over = ilrl_env_step(t->env, t->action[at], &t->reward[at], NULL, NULL);
        }
        if (early || (!over && len < M))
            return ilrl_error(ILRL_EFAILED, "internal: the replay of episode %zu of update %llu "
                              "did not end where its play ended", e, u);
    }
    *n_steps = (size_t)N;
    return ILRL_OK;
}

static int rl_phase(struct trainer *t)
{
    const struct ilrl_train_options *o = t->o;
    size_t B = o->batch_episodes, M = (size_t)o->rollout_steps;
    size_t n_il_chunks = t->demo ? ilrl_bc_n_chunks(t->train.n_samples) : 0;
    size_t cap_parts = B + (B * M + ILRL_BC_CHUNK - 1) / ILRL_BC_CHUNK + n_il_chunks + 1;
    struct part *parts = malloc(cap_parts * sizeof *parts);
    int status = parts ? ILRL_OK : ilrl_error(ILRL_EFAILED, "out of memory");
    if (t->counter[C_PHASE] == 0) {
        t->counter[C_PHASE] = 1;
        ilrl_adam_reset(t->adam);   /* every rank steps its own copy in RL */
        t->counter[C_RL_ROW0] = (long long)t->traj.n_rows;
    }
    while (status == ILRL_OK && t->counter[C_ENV_STEPS] < o->rl_steps) {
        unsigned long long u = (unsigned long long)t->counter[C_UPDATE];
        size_t N = 0;
        struct ilrl_traj_row row = {.phase = 1, .cos_il_rl = NAN};
        status = play_batch(t, u, &N, &row.return_mean, &row.score_mean, &row.length_mean);
        if (status != ILRL_OK)
            break;
        ilrl_pg_advantages(B, t->length, t->reward, o->gamma, o->normalise, t->advantage);
        struct rl_batch batch = {
            .steps = {N, t->D, t->obs, t->action, t->advantage, NULL},
            .spec = {o->algo, o->clip},
        };
        if (o->algo == ILRL_PG_PPO) {
            batch.steps.old_log_prob = t->old_log_prob;   /* recorded while playing */
        }
        double coefficient = t->demo && o->bc_weight > 0
                                 ? ilrl_pg_retention_coefficient(o->bc_weight, o->bc_decay, u) : 0.0;
        memcpy(t->theta_before, t->theta, t->P * sizeof *t->theta);
        size_t n_passes = o->algo == ILRL_PG_PPO ? o->ppo_epochs : 1;
        size_t n_slices = o->algo == ILRL_PG_PPO ? o->minibatches : 1;
        int worker_stop = 0;
        double il_at_start_norm = NAN;
        for (size_t k = 0; status == ILRL_OK && k < n_passes; k++) {
            if (o->algo == ILRL_PG_PPO)
                status = ilrl_bc_shuffle(ilrl_seed_derive(ilrl_seed_derive(o->seed, PPO_STREAM), u),
                                         k, N, t->order);
            for (size_t j = 0; status == ILRL_OK && j < n_slices; j++) {
                size_t np = 0, begin = j * N / n_slices, end = (j + 1) * N / n_slices;
                if (begin == end)
                    continue;
                if (o->algo == ILRL_PG_PPO) {
                    for (size_t c = begin; c < end; c += ILRL_BC_CHUNK)
                        parts[np++] = (struct part){PART_RL, t->order, c,
                                                    c + ILRL_BC_CHUNK < end ? c + ILRL_BC_CHUNK : end};
                } else {
                    size_t s = 0;
                    for (size_t e = 0; e < B; s += t->length[e], e++)
                        parts[np++] = (struct part){PART_RL, NULL, s, s + t->length[e]};
                }
                size_t n_rl = np;
                int first = k == 0 && j == 0;
                if (t->demo && (coefficient > 0 || first))
                    for (size_t c = 0; c < n_il_chunks; c++)
                        parts[np++] = (struct part){PART_IL, NULL, c, t->train.n_samples};
                double v_rl = 0, v_il = 0;
                status = run_parts(t, parts, np, n_rl, &batch, &v_rl, t->grad, &v_il, t->grad_il,
                                   &worker_stop, 1);
                if (status != ILRL_OK)
                    break;
                /* Every rank holds the same sums: each finishes the
                 * gradient and steps its own Adam, with the same bits. */
                ilrl_bc_finish(t->P, end - begin, &v_rl, t->grad);
                if (np > n_rl) {
                    ilrl_bc_finish(t->P, t->train.n_samples, &v_il, t->grad_il);
                    if (first) {   /* -grad L_IL at the update's start, for the cosine */
                        il_at_start_norm = norm(t->grad_il, t->P);
                        memcpy(t->grad_il0, t->grad_il, t->P * sizeof *t->grad_il0);
                    }
                    if (coefficient > 0)
                        ilrl_pg_add_retention(t->P, coefficient, v_il, t->grad_il, &v_rl, t->grad);
                }
                if (t->rank == 0)
                    row.grad_norm = norm(t->grad, t->P);
                ilrl_adam_step(t->adam, t->theta, t->grad);
            }
        }
        if (status != ILRL_OK)
            break;
        t->counter[C_ENV_STEPS] += (long long)N;
        t->counter[C_UPDATE]++;
        int control = ILRL_OK;
        if (t->rank == 0) {
            if (t->demo != NULL && il_at_start_norm > 0) {
                double dot = 0.0, dn = 0.0;
                const double *g0 = t->grad_il0;
                for (size_t k = 0; k < t->P; k++) {
                    double d = t->theta[k] - t->theta_before[k];
                    dot += -g0[k] * d;
                    dn += d * d;
                }
                row.cos_il_rl = dn > 0 ? dot / (il_at_start_norm * sqrt(dn)) : NAN;
            }
            int last = t->counter[C_ENV_STEPS] >= o->rl_steps;
            size_t number = (size_t)t->counter[C_UPDATE];
            status = add_row(t, &row, last || number % o->eval_every == 0);
            if (status == ILRL_OK)
                status = maybe_save_theta(t, 1);
            control = status == ILRL_OK ? poll_checkpoint(t, worker_stop) : status;
        }
        if (status == ILRL_OK || t->rank == 0) {
            int s = share_control(t, &control);
            status = s != ILRL_OK ? s : control;
        }
    }
    free(parts);
    return status;
}

/* ---- set-up ------------------------------------------------------------------------ */

static char *settings_line(const struct trainer *t)
{
    const struct ilrl_train_options *o = t->o;
    char *line = NULL;
    char sizes[512] = "";
    size_t used = 0;
    for (size_t l = 0; l <= t->mlp->n_layers && used < sizeof sizes - 24; l++)
        used += (size_t)snprintf(sizes + used, sizeof sizes - used, "%s%zu", l ? "," : "", t->mlp->sizes[l]);
    size_t cap = 2048 + 3 * (o->demo_path ? strlen(o->demo_path) : 0)
                 + (o->init ? strlen(o->init) : 0);
    line = malloc(cap);
    if (line == NULL)
        return NULL;
    if (snprintf(line, cap,
                 "demo=%s env=%s rewards=%s layers=%s activation=%s seed=%lu init=%s "
                 "il_epochs=%zu lr=%.17g batch=%zu val_episodes=%zu patience=%zu "
                 "rl_steps=%lld batch_episodes=%zu rollout_steps=%ld algo=%s clip=%.17g "
                 "ppo_epochs=%zu minibatches=%zu gamma=%.17g normalise=%d bc_weight=%.17g "
                 "bc_decay=%.17g eval_every=%zu eval_episodes=%zu save_every=%zu",
                 o->demo_path ? o->demo_path : "", t->env_type->name,
                 ilrl_env_scheme_name(t->env_type, t->scheme), sizes,
                 ilrl_activation_name(t->mlp->activation), o->seed, o->init ? o->init : "",
                 o->il_epochs, o->lr, o->batch, o->val_episodes, o->patience, o->rl_steps,
                 o->batch_episodes, o->rollout_steps, o->algo == ILRL_PG_PPO ? "ppo" : "reinforce",
                 o->clip, o->ppo_epochs, o->minibatches, o->gamma, o->normalise, o->bc_weight,
                 o->bc_decay, o->eval_every, o->eval_episodes, o->save_every) < 0) {
        free(line);
        return NULL;
    }
    return line;
}

/* --init FILE[:K]: the network, or checkpoint K of a trajectory. */
static int load_init(const char *spec, struct ilrl_mlp **mlp, double **theta)
{
    char path[4096];
    long long k = -1;
    if (strlen(spec) >= sizeof path)
        return ilrl_error(ILRL_EUSAGE, "--init: the file name is too long");
    strcpy(path, spec);
    if (access(path, F_OK) != 0) {
        char *colon = strrchr(path, ':');
        char *end = NULL;
        if (colon != NULL && colon[1] >= '0' && colon[1] <= '9') {
            errno = 0;
            k = strtoll(colon + 1, &end, 10);
            if (*end == '\0' && errno == 0)
                *colon = '\0';
            else
                k = -1;
        }
    }
    char *kind = NULL;
    int status = ilrl_file_kind(path, &kind);
    if (status != ILRL_OK)
        return status;
    if (strcmp(kind, ILRL_NETWORK_KIND) == 0) {
        free(kind);
        if (k >= 0)
            return ilrl_error(ILRL_EUSAGE, "--init %s: a network file has no checkpoints to choose from",
                              spec);
        return ilrl_network_read(path, mlp, theta);
    }
    if (strcmp(kind, ILRL_TRAJECTORY_KIND) != 0) {
        status = ilrl_error(ILRL_EINPUT, "%s: not a network or trajectory file (ilrl_file_kind '%s')",
                            path, kind);
        free(kind);
        return status;
    }
    free(kind);
    struct ilrl_trajectory traj;
    char *settings = NULL;
    status = ilrl_trajectory_read(path, &traj, mlp, &settings, NULL);
    free(settings);
    if (status != ILRL_OK)
        return status;
    size_t c = traj.n_checkpoints;
    if (k < 0)
        k = (long long)c - 1;
    if (c == 0 || k >= (long long)c)
        status = ilrl_error(ILRL_EINPUT, "%s: no checkpoint %lld (the file holds %zu)", path,
                            k < 0 ? 0 : k, c);
    if (status == ILRL_OK) {
        *theta = malloc(traj.n_params * sizeof **theta);
        if (*theta == NULL)
            status = ilrl_error(ILRL_EFAILED, "out of memory");
        else
            memcpy(*theta, traj.ck_theta + (size_t)k * traj.n_params, traj.n_params * sizeof **theta);
    }
    if (status != ILRL_OK) {
        ilrl_mlp_free(*mlp);
        *mlp = NULL;
    }
    ilrl_trajectory_free(&traj);
    return status;
}

static int setup_network(struct trainer *t)
{
    const struct ilrl_train_options *o = t->o;
    size_t D = t->env_type->n_features;
    size_t K = (size_t)t->env_type->n_actions;
    const char *against = t->demo ? o->demo_path : t->env_type->name;
    if (t->demo) {
        D = t->demo->n_features;
        K = (size_t)t->demo->n_actions;
    }
    int status;
    if (o->init != NULL) {
        status = load_init(o->init, &t->mlp, &t->theta);
        if (status != ILRL_OK)
            return status;
        if (t->mlp->sizes[0] != D || t->mlp->sizes[t->mlp->n_layers] != K)
            return ilrl_error(ILRL_EINPUT,
                              "%s: the network maps %zu inputs to %zu actions but %s has %zu features and %zu actions",
                              o->init, t->mlp->sizes[0], t->mlp->sizes[t->mlp->n_layers], against, D, K);
        if (o->layers != NULL) {
            size_t *sizes = NULL, n_sizes = 0;
            status = ilrl_mlp_parse_layers(o->layers, &sizes, &n_sizes);
            int same = status == ILRL_OK && n_sizes == t->mlp->n_layers + 1;
            for (size_t l = 0; same && l < n_sizes; l++)
                same = sizes[l] == t->mlp->sizes[l];
            free(sizes);
            if (!same)
                return ilrl_error(ILRL_EUSAGE, "--layers %s does not match the layer sizes of --init %s",
                                  o->layers, o->init);
        }
    } else {
        size_t *sizes = NULL, n_sizes = 0;
        if (o->layers == NULL) {
            sizes = malloc(4 * sizeof *sizes);
            if (sizes == NULL)
                return ilrl_error(ILRL_EFAILED, "out of memory");
            sizes[0] = D;
            sizes[1] = sizes[2] = DEFAULT_HIDDEN;
            sizes[3] = K;
            n_sizes = 4;
        } else {
            status = ilrl_mlp_parse_layers(o->layers, &sizes, &n_sizes);
            if (status != ILRL_OK)
                return ilrl_error(status, "--layers: %s", ilrl_error_message());
            if (sizes[0] != D || sizes[n_sizes - 1] != K) {
                free(sizes);
                return ilrl_error(ILRL_EUSAGE,
                                  "--layers %s: the network must start with D = %zu features and end with K = %zu actions of %s",
                                  o->layers, D, K, against);
            }
        }
        t->mlp = ilrl_mlp_alloc(sizes, n_sizes, o->activation);
        free(sizes);
        if (t->mlp == NULL)
            return ILRL_EFAILED;
        t->theta = malloc(t->mlp->n_params * sizeof *t->theta);
        if (t->theta == NULL)
            return ilrl_error(ILRL_EFAILED, "out of memory");
        status = ilrl_mlp_init(t->mlp, o->seed, t->theta);
        if (status != ILRL_OK)
            return status;
    }
    t->P = t->mlp->n_params;
    t->D = D;
    t->K = (int)K;
    return ILRL_OK;
}

static int setup(struct trainer *t)
{
    const struct ilrl_train_options *o = t->o;
    int status = ILRL_OK;
    if (o->demo_path != NULL) {
        status = ilrl_demo_read(o->demo_path, &t->demo);
        if (status != ILRL_OK)
            return status;
        t->env_type = ilrl_env_find(t->demo->env, &t->env_index);
        if (t->env_type == NULL && o->rl_steps > 0)
            return ilrl_error(ILRL_EINPUT, "%s: environment '%s' is not one of ours (%s): no RL phase possible",
                              o->demo_path, t->demo->env, ilrl_env_names());
        if (t->env_type == NULL)
            t->env_type = ilrl_env_default();
        t->scheme = 0;
        if (t->demo->reward_scheme[0] != '\0'
            && ilrl_env_scheme_parse(t->env_type, t->demo->reward_scheme, &t->scheme) != ILRL_OK
            && o->rl_steps > 0)
            return ilrl_error(ILRL_EINPUT, "%s: reward scheme '%s' is not one of %s (%s)",
                              o->demo_path, t->demo->reward_scheme, t->env_type->name,
                              ilrl_env_scheme_list(t->env_type));
        if (o->val_episodes > 0 && o->val_episodes >= t->demo->n_episodes)
            return ilrl_error(ILRL_EUSAGE, "--val-episodes %zu: %s has only %zu episodes",
                              o->val_episodes, o->demo_path, t->demo->n_episodes);
    } else {
        status = ilrl_env_parse(o->env_name ? o->env_name : ilrl_env_default()->name, &t->env_type);
        if (status != ILRL_OK)
            return ilrl_error(status, "--env: %s", ilrl_error_message());
        t->env_index = ilrl_env_index(t->env_type);
        if (o->rewards != NULL && ilrl_env_scheme_parse(t->env_type, o->rewards, &t->scheme) != ILRL_OK)
            return ilrl_error(ILRL_EUSAGE, "--rewards: %s", ilrl_error_message());
    }
    status = setup_network(t);
    if (status != ILRL_OK)
        return status;
    /* A demo of a foreign environment (or one whose shape is not its
     * environment's) trains IL only, without greedy evaluations. */
    t->can_play = t->env_type->n_features == t->D && (size_t)t->env_type->n_actions == (size_t)t->K
                  && (o->demo_path == NULL || ilrl_env_find(t->demo->env, NULL) != NULL);
    if (!t->can_play && o->rl_steps > 0)
        return ilrl_error(ILRL_EINPUT, "%s: %zu features and %d actions do not fit %s",
                          o->demo_path, t->D, t->K, t->env_type->name);
    if (!t->can_play && o->eval_episodes > 0 && t->rank == 0)
        ilrl_notice("%s: environment '%s' cannot be played here: no greedy evaluations",
                    o->demo_path, t->demo->env);
    size_t P = t->P;
    t->grad = calloc(P, sizeof *t->grad);
    t->grad_il = calloc(P, sizeof *t->grad_il);
    t->theta_before = calloc(P, sizeof *t->theta_before);
    t->grad_il0 = calloc(P, sizeof *t->grad_il0);
    t->adam = ilrl_adam_alloc(P, o->lr);
    if (!t->grad || !t->grad_il || !t->grad_il0 || !t->theta_before || !t->adam)
        return ilrl_error(ILRL_EFAILED, "out of memory");
    if (t->demo) {
        size_t n_val_steps = 0, E = t->demo->n_episodes;
        for (size_t e = E - o->val_episodes; e < E; e++)
            n_val_steps += (size_t)t->demo->episode_length[e];
        size_t n_train = t->demo->n_steps - n_val_steps;
        t->train = (struct ilrl_bc_samples){n_train, t->D, t->demo->obs, t->demo->action};
        t->val = (struct ilrl_bc_samples){n_val_steps, t->D, t->demo->obs + n_train * t->D,
                                          t->demo->action + n_train};
        t->demo_weight = malloc(t->demo->n_steps * sizeof *t->demo_weight);
        t->loss_work = ilrl_loss_work_alloc(t->mlp, t->demo->n_steps);
        if (!t->demo_weight || !t->loss_work)
            return ilrl_error(ILRL_EFAILED, "out of memory");
        struct ilrl_rl_weight weight = {ILRL_RL_WEIGHT_RETURN, 0.0};
        ilrl_rl_weights(t->demo, weight, o->gamma, t->demo_weight);
    }
    t->bc_work = ilrl_bc_work_alloc(t->mlp, t->D);
    t->pg_work = ilrl_pg_work_alloc(t->mlp);
    if (!t->bc_work || !t->pg_work)
        return ILRL_EFAILED;
    if (t->can_play) {
        size_t B = o->batch_episodes, n = (size_t)t->n_ranks, M = (size_t)o->rollout_steps;
        t->chunk = n == 1 ? B : (B + CHUNKS_PER_RANK * n - 1) / (CHUNKS_PER_RANK * n);
        t->lockstep_cap = o->eval_episodes < LOCKSTEP_EVAL_MAX ? o->eval_episodes : LOCKSTEP_EVAL_MAX;
        if (o->rl_steps > 0 && t->chunk > t->lockstep_cap)
            t->lockstep_cap = t->chunk;
        if (t->lockstep_cap < 1)
            t->lockstep_cap = 1;
        t->lockstep = ilrl_lockstep_alloc(t->mlp, t->env_index, t->scheme, t->lockstep_cap);
        t->env = ilrl_env_alloc(t->env_type, t->scheme);
        if (!t->lockstep || !t->env)
            return ILRL_EFAILED;
        t->seeds = malloc(t->lockstep_cap * sizeof *t->seeds);
        t->results = malloc(t->lockstep_cap * sizeof *t->results);
        t->record_action = malloc(t->lockstep_cap * sizeof *t->record_action);
        t->record_log_prob = malloc(t->lockstep_cap * sizeof *t->record_log_prob);
        t->chunk_actions = o->rl_steps > 0 ? malloc(t->chunk * M * sizeof *t->chunk_actions) : NULL;
        t->chunk_log_probs = o->rl_steps > 0 ? malloc(t->chunk * M * sizeof *t->chunk_log_probs)
                                             : NULL;
        if (!t->seeds || !t->results || !t->record_action || !t->record_log_prob
            || (o->rl_steps > 0 && (!t->chunk_actions || !t->chunk_log_probs)))
            return ilrl_error(ILRL_EFAILED, "out of memory for %zu episodes at once", t->lockstep_cap);
        for (size_t i = 0; i < t->lockstep_cap; i++) {
            int in_chunk = t->chunk_actions && i < t->chunk;
            t->record_action[i] = in_chunk ? t->chunk_actions + i * M : NULL;
            t->record_log_prob[i] = in_chunk ? t->chunk_log_probs + i * M : NULL;
        }
    }
    if (o->rl_steps > 0) {
        size_t B = o->batch_episodes, M = (size_t)o->rollout_steps, n = (size_t)t->n_ranks;
        size_t slot = 3 + 2 * M, cap = B * M;
        (void)n;
        t->obs = malloc(cap * t->D * sizeof *t->obs);
        t->reward = malloc(cap * sizeof *t->reward);
        t->advantage = malloc(cap * sizeof *t->advantage);
        t->old_log_prob = malloc(cap * sizeof *t->old_log_prob);
        t->action = malloc(cap * sizeof *t->action);
        t->order = malloc(cap * sizeof *t->order);
        t->length = malloc(B * sizeof *t->length);
        t->episode_all = t->rank == 0 ? malloc(B * slot * sizeof(double)) : NULL;
        if (!t->obs || !t->reward || !t->advantage || !t->old_log_prob || !t->action || !t->order
            || !t->length || (t->rank == 0 && !t->episode_all))
            return ilrl_error(ILRL_EFAILED, "out of memory for RL batches of %zu x %zu steps", B, M);
    }
    t->settings = settings_line(t);
    if (t->settings == NULL)
        return ilrl_error(ILRL_EFAILED, "out of memory");
    return ilrl_trajectory_init(&t->traj, P);
}

/* --resume: removes OUT.tmp.<pid> and OUT.partial.tmp.<pid> left by runs
 * that no longer run (a SIGKILL mid-write), as ilrl-landscape does. */
static void remove_stale_temporaries(const char *out)
{
    static const char *const suffixes[] = {"", ".partial"};
    ilrl_output_file_remove_stale(out, suffixes, 2);
}

/* Rank 0: what --resume finds.  Returns 1 in *resumed when the state was
 * restored. */
static int resume(struct trainer *t, int *resumed)
{
    *resumed = 0;
    remove_stale_temporaries(t->o->out_path);
    if (access(t->partial_path, F_OK) != 0) {
        ilrl_notice("no checkpoint %s: starting afresh", t->partial_path);
        return ILRL_OK;
    }
    struct ilrl_trajectory traj;
    struct ilrl_mlp *mlp = NULL;
    char *settings = NULL;
    struct ilrl_traj_state state;
    int status = ilrl_trajectory_read(t->partial_path, &traj, &mlp, &settings, &state);
    if (status != ILRL_OK)
        return status;
    if (!state.present)
        status = ilrl_error(ILRL_EINPUT, "%s: not a checkpoint (no resume state)", t->partial_path);
    else if (strcmp(settings, t->settings) != 0)
        status = ilrl_error(ILRL_EUSAGE, "--resume: %s was made with other settings (%s)",
                            t->partial_path, settings);
    else if (traj.n_params != t->P)
        status = ilrl_error(ILRL_EINPUT, "%s: %zu parameters, the network has %zu", t->partial_path,
                            traj.n_params, t->P);
    if (status == ILRL_OK) {
        memcpy(t->theta, state.theta, t->P * sizeof *t->theta);
        memcpy(t->adam->m, state.adam_m, t->P * sizeof *t->theta);
        memcpy(t->adam->v, state.adam_v, t->P * sizeof *t->theta);
        memcpy(t->counter, state.counter, sizeof t->counter);
        t->adam->step = (uint64_t)state.counter[7];
        t->counter[7] = state.counter[7];
        t->best_val = state.best_val;
        t->wall_offset = state.wall_seconds;
        ilrl_trajectory_free(&t->traj);
        t->traj = traj;
        memset(&traj, 0, sizeof traj);
        *resumed = 1;
        ilrl_notice("resuming from %s: %zu rows done", t->partial_path, t->traj.n_rows);
    }
    ilrl_trajectory_free(&traj);
    ilrl_mlp_free(mlp);
    free(settings);
    ilrl_traj_state_free(&state);
    return status;
}

static void teardown(struct trainer *t)
{
    ilrl_demo_free(t->demo);
    ilrl_mlp_free(t->mlp);
    free(t->theta);
    free(t->grad);
    free(t->grad_il);
    free(t->grad_il0);
    free(t->theta_before);
    ilrl_adam_free(t->adam);
    ilrl_env_free(t->env);
    ilrl_lockstep_free(t->lockstep);
    free(t->seeds);
    free(t->results);
    free(t->record_action);
    free(t->chunk_actions);
    free(t->record_log_prob);
    free(t->chunk_log_probs);
    ilrl_bc_work_free(t->bc_work);
    ilrl_pg_work_free(t->pg_work);
    ilrl_loss_work_free(t->loss_work);
    free(t->demo_weight);
    free(t->mine);
    free(t->all);
    free(t->obs);
    free(t->reward);
    free(t->advantage);
    free(t->old_log_prob);
    free(t->action);
    free(t->order);
    free(t->length);
    free(t->episode_all);
    ilrl_trajectory_free(&t->traj);
    free(t->settings);
}

int ilrl_train_run(const struct ilrl_train_options *o)
{
    struct trainer t;
    memset(&t, 0, sizeof t);
    t.o = o;
    t.rank = ilrl_schedule_rank();
    t.n_ranks = ilrl_schedule_size();
    t.best_val = INFINITY;
    t.counter[C_RL_ROW0] = -1;
    int status = ILRL_OK;
    if (snprintf(t.partial_path, sizeof t.partial_path, "%s.partial", o->out_path)
        >= (int)sizeof t.partial_path)
        status = ilrl_error(ILRL_EUSAGE, "--out: the file name is too long");
    /* Outputs are checked before any work (rank 0; no clobber without --force). */
    if (status == ILRL_OK && t.rank == 0) {
        status = ilrl_ncfile_check_output(o->out_path, o->force);
        if (status == ILRL_OK && o->save_network != NULL)
            status = ilrl_ncfile_check_output(o->save_network, o->force);
        if (status == ILRL_OK)
            status = ilrl_ncfile_check_name(t.partial_path);
    }
    status = ilrl_schedule_agree(status);
    if (status == ILRL_OK)
        status = ilrl_schedule_agree(setup(&t));
    if (status == ILRL_OK && t.rank == 0 && o->demo_path == NULL && o->il_epochs > 0)
        status = ilrl_error(ILRL_EUSAGE, "--il-epochs needs --demo");
    status = ilrl_schedule_agree(status);
    int resumed = 0;
    if (status == ILRL_OK && o->resume && t.rank == 0)
        status = resume(&t, &resumed);
    status = ilrl_schedule_agree(status);
    if (status == ILRL_OK && t.n_ranks > 1) {
        status = ilrl_schedule_broadcast(t.theta, t.P * sizeof *t.theta);
        if (status == ILRL_OK)
            status = ilrl_schedule_broadcast(t.counter, sizeof t.counter);
        /* The RL phase steps Adam on every rank: all need its state. */
        if (status == ILRL_OK)
            status = ilrl_schedule_broadcast(t.adam->m, t.P * sizeof *t.adam->m);
        if (status == ILRL_OK)
            status = ilrl_schedule_broadcast(t.adam->v, t.P * sizeof *t.adam->v);
        if (status == ILRL_OK)
            status = ilrl_schedule_broadcast(&t.adam->step, sizeof t.adam->step);
    }
    t.start_time = ilrl_schedule_wtime();
    t.last_checkpoint = t.start_time;
    /* Row 0: theta0 itself, before any step (a fresh run only). */
    if (status == ILRL_OK && t.rank == 0 && !resumed) {
        struct ilrl_traj_row row = {.phase = o->il_epochs > 0 ? 0 : 1, .return_mean = NAN,
                                    .score_mean = NAN, .length_mean = NAN, .grad_norm = NAN,
                                    .cos_il_rl = NAN};
        status = add_row(&t, &row, 1);
        if (status == ILRL_OK)   /* checkpoint 0: where the path starts */
            status = ilrl_trajectory_add_checkpoint(&t.traj, t.theta, 0, 0, row.phase);
    }
    status = ilrl_schedule_agree(status);
    if (status == ILRL_OK && t.counter[C_PHASE] == 0 && o->il_epochs > 0) {
        status = il_phase(&t);
        if (status == ILRL_OK && t.rank == 0 && o->rl_steps > 0)
            status = ilrl_trajectory_add_checkpoint(&t.traj, t.theta, (long long)t.adam->step,
                                                    t.counter[C_ENV_STEPS], 0);
    }
    if (status == ILRL_OK && t.counter[C_PHASE] <= 1 && o->rl_steps > 0)
        status = rl_phase(&t);
    if (status == ILRL_OK && t.rank == 0) {
        t.counter[C_PHASE] = 2;
        status = ilrl_trajectory_add_checkpoint(&t.traj, t.theta, (long long)t.adam->step,
                                                t.counter[C_ENV_STEPS], o->rl_steps > 0);
        if (status == ILRL_OK)
            status = write_file(&t, o->out_path, 0, o->force);
        if (status == ILRL_OK && o->save_network != NULL)
            status = ilrl_network_write(o->save_network, t.mlp, t.theta, o->command_line,
                                        PACKAGE_STRING " ilrl-train", o->force);
        if (status == ILRL_OK)
            unlink(t.partial_path);
        if (status == ILRL_OK) {
            const struct ilrl_traj_row *last = t.traj.n_rows ? &t.traj.rows[t.traj.n_rows - 1] : NULL;
            ilrl_notice("%zu rows, %lld environment steps, %lld demo samples -> %s", t.traj.n_rows,
                        t.counter[C_ENV_STEPS], t.counter[C_SAMPLES], o->out_path);
            if (last && !isnan(last->eval_return))
                ilrl_notice("final greedy evaluation: return %.6g, score %.6g", last->eval_return,
                            last->eval_score);
        }
    }
    status = ilrl_schedule_agree(status);
    teardown(&t);
    return status;
}
