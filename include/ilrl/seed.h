/* seed.h -- the one splitmix64 of the project, and the seeds derived with it.
 *
 * Every seed the simulator uses is derived from a run's or session's seed
 * with the splitmix64 finaliser (Steele, Lea and Flood 2014):
 *
 *   ilrl_seed_derive(z, k) = ilrl_splitmix64(z + (k + 1) PHI)   (mod 2^64),
 *   PHI = 0x9E3779B97F4A7C15 (the golden ratio; odd, so (k + 1) PHI is
 *   distinct for distinct k and every stage is a bijection of 64-bit words).
 *
 * gsl_rng_mt19937 uses 32 bits of its seed, so the seeds handed to it are the
 * low 32 bits (ilrl_seed_low32).  The formulas are pinned in the test suites:
 * recorded demonstrations (ilrl_episode_seed) and return surfaces
 * (ilrl_rollout_seed in rollout.h) change if they change.  Pure functions:
 * no state, no allocation, no errors.
 */
#ifndef ILRL_SEED_H
#define ILRL_SEED_H

#include <stddef.h>
#include <stdint.h>

#define ILRL_SEED_PHI UINT64_C(0x9E3779B97F4A7C15)

/* The splitmix64 finaliser: a bijection of 64-bit words. */
uint64_t ilrl_splitmix64(uint64_t z);

/* ilrl_splitmix64(base + (index + 1) * ILRL_SEED_PHI). */
uint64_t ilrl_seed_derive(uint64_t base, uint64_t index);

/* The low 32 bits, as a gsl_rng seed. */
unsigned long ilrl_seed_low32(uint64_t z);

/* Seed of episode e's pipe generator in a recorded session seeded `seed`:
 * ilrl_seed_low32(ilrl_seed_derive(seed, e)).  Neighbouring seeds and
 * episodes so give unrelated pipe sequences. */
unsigned long ilrl_episode_seed(unsigned long seed, size_t episode);

#endif /* ILRL_SEED_H */
