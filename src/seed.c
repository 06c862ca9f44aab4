/* seed.c -- owns the splitmix64 finaliser and the seed derivations built on
 * it (see include/ilrl/seed.h). */
#include "config.h"

#include "ilrl/seed.h"

#define LOW_32_BITS UINT64_C(0xFFFFFFFF)

uint64_t ilrl_splitmix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

uint64_t ilrl_seed_derive(uint64_t base, uint64_t index)
{
    return ilrl_splitmix64(base + (index + 1) * ILRL_SEED_PHI);
}

unsigned long ilrl_seed_low32(uint64_t z)
{
    return (unsigned long)(z & LOW_32_BITS);
}

unsigned long ilrl_episode_seed(unsigned long seed, size_t episode)
{
    return ilrl_seed_low32(ilrl_seed_derive((uint64_t)seed, (uint64_t)episode));
}
