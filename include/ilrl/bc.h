/* bc.h -- behaviour cloning: L_IL and its gradient on minibatches of a
 * demonstration, in fixed chunks, and the deterministic minibatch order.
 *
 * A minibatch is a list of B sample indices into the demonstration; its
 * loss is L_IL = -(1/B) sum_i log pi(a_i | s_i) (docs/network-and-losses.md)
 * over those samples.  It is computed in chunks: chunk c holds positions
 * [c C, min((c + 1) C, B)) of the list, C = ILRL_BC_CHUNK.  A chunk's result
 * is the SUM over its samples of -log pi and of its gradient (not divided
 * by B), and depends on the chunk's samples alone.  The minibatch's loss
 * and gradient are then the chunk results added in chunk order, 0, 1, ...,
 * and divided by B (ilrl_bc_sum_parts).  So chunks may be computed by any
 * process in any order -- under MPI, dealt to ranks -- and summed in order
 * on one: the bits never depend on who computed what.
 *
 * Minibatch order (ilrl_bc_shuffle): each epoch is a Fisher-Yates shuffle
 * of the training sample indices, driven by gsl_rng_mt19937 seeded with
 *   ilrl_seed_low32(ilrl_seed_derive(ilrl_seed_derive(seed, ILRL_BC_STREAM), epoch))
 * (seed.h's splitmix64; ILRL_BC_STREAM keeps this stream apart from any
 * other derived from the same run seed).  For i = n-1 down to 1:
 * j = gsl_rng_uniform_int(rng, i + 1), swap order[i] and order[j].  The
 * epoch's minibatches are consecutive slices of B of the shuffled list, the
 * last one shorter when B does not divide n (as PyTorch's DataLoader with
 * shuffle=True, drop_last=False).  The permutation is of positions 0 .. n-1
 * in the training set; with the held-out episodes at the end of the demo
 * (--val-episodes) they are the demo's own sample indices.
 *
 * Chunk size.  ILRL_BC_CHUNK = 64: four chunks make a 256-sample minibatch,
 * so up to four ranks share one.  On 12,64,64,2, batch 256, chunks of 64
 * and of 256 ran at the same speed within noise (3.8-4.2e5 samples per CPU
 * second each, three alternating runs of tests/bench_train_core on a busy
 * 2-vCPU AVX2 VM).  Changing it changes the last bits of every gradient.
 *
 * Numerical modules only: no MPI, no NetCDF.  Arrays are borrowed.
 */
#ifndef ILRL_BC_H
#define ILRL_BC_H

#include <stddef.h>
#include <stdint.h>

#include "ilrl/mlp.h"

#define ILRL_BC_CHUNK 64

/* Tag of the shuffle's seed stream (ASCII "BCSHUFFL"). */
#define ILRL_BC_STREAM UINT64_C(0x4243534855464646)

/* The samples a minibatch indexes into (a demo's obs and action arrays).
 * Preconditions, checked by the caller (demo validation): n_features equals
 * the network's input size, actions in [0, K), finite obs. */
struct ilrl_bc_samples {
    size_t n_samples;        /* N >= 1 */
    size_t n_features;       /* D */
    const double *obs;       /* N x D row-major */
    const int *action;       /* N */
};

/* Workspace for one network (chunk buffers and a gradient of n_params).
 * NULL (error recorded) on out of memory. */
struct ilrl_bc_work;
struct ilrl_bc_work *ilrl_bc_work_alloc(const struct ilrl_mlp *mlp,
                                        size_t n_features);
void ilrl_bc_work_free(struct ilrl_bc_work *work);

/* Chunks of a minibatch of batch_size samples: ceil(batch_size / CHUNK). */
size_t ilrl_bc_n_chunks(size_t batch_size);

/* Chunk `chunk` (< ilrl_bc_n_chunks(batch_size)) of the minibatch whose
 * sample indices are index[0 .. batch_size) (index NULL: samples
 * 0 .. batch_size-1 in order): *loss_sum = -sum log pi(a_i | s_i) and
 * grad_sum[n_params] (overwritten) = its gradient, over the chunk's samples.
 * No allocation. */
void ilrl_bc_chunk(const struct ilrl_mlp *mlp, const double *theta,
                   const struct ilrl_bc_samples *samples, const size_t *index,
                   size_t batch_size, size_t chunk, struct ilrl_bc_work *work,
                   double *loss_sum, double *grad_sum);

/* The fixed-order reduction shared by BC chunks and policy-gradient
 * episodes, step by step: start from *value_acc = 0 and grad_acc = 0,
 * add each part in order (*value_acc += part_value, grad_acc[k] +=
 * part_grad[k]), then finish (divide both by n_samples).  grad_acc and
 * part_grad may be NULL together. */
void ilrl_bc_add_part(size_t n_params, double part_value, const double *part_grad,
                      double *value_acc, double *grad_acc);
void ilrl_bc_finish(size_t n_params, size_t n_samples, double *value_acc,
                    double *grad_acc);

/* The same over parts already gathered in arrays: value = (((0 + part_value[0]) + part_value[1]) + ...) / n_samples
 * and the same for every entry of grad over part_grad (n_parts x n_params,
 * part p at part_grad + p n_params).  value or grad may be NULL. */
void ilrl_bc_sum_parts(size_t n_params, size_t n_parts, const double *part_value,
                       const double *part_grad, size_t n_samples, double *value,
                       double *grad);

/* The whole minibatch on one process: every chunk in order, summed as
 * ilrl_bc_sum_parts does, so the result is bit-identical to computing the
 * chunks anywhere and reducing them with it.  loss = L_IL on the minibatch;
 * grad[n_params] (overwritten) its gradient; loss may be NULL. */
void ilrl_bc_minibatch(const struct ilrl_mlp *mlp, const double *theta,
                       const struct ilrl_bc_samples *samples, const size_t *index,
                       size_t batch_size, struct ilrl_bc_work *work,
                       double *loss, double *grad);

/* order[0 .. n) = the epoch's shuffled permutation of 0 .. n-1 (formula
 * above).  ILRL_EFAILED (error recorded) if the generator cannot be
 * allocated, ILRL_EINPUT if n >= 2^32. */
int ilrl_bc_shuffle(uint64_t seed, uint64_t epoch, size_t n, size_t *order);

#endif /* ILRL_BC_H */
