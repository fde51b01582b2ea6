/*
 * rng: the only source of randomness. An explicit 64-bit state
 * (SplitMix64), seeded from the config, so the same seed gives the same
 * numbers on every machine and thread count. No global state.
 */
#ifndef RNG_H
#define RNG_H

#include <stddef.h>
#include <stdint.h>

struct rng {
    uint64_t state;
};

/* A generator for `seed`; `stream` separates independent uses of one seed
 * (the validation split, each epoch's shuffle, initialisation). */
struct rng rng_create(uint64_t seed, uint64_t stream);

uint64_t rng_next(struct rng *r);

/* Uniform in [0, 1) with 24 random bits: exact in float. */
float rng_uniform(struct rng *r);

/* Uniform integer in [0, n), unbiased; n > 0. */
uint64_t rng_below(struct rng *r, uint64_t n);

/* Counter-based draws: a pure function of its inputs, so a value can be
 * drawn for any position (a sample's row, a unit) in any order or on any
 * thread with the same result. rng_key folds a value into a key
 * (SplitMix64's finaliser of key + value's golden-ratio multiple), and
 * rng_hash is the draw at counter c under key. */
uint64_t rng_key(uint64_t key, uint64_t value);

static inline uint64_t rng_hash(uint64_t key, uint64_t c)
{
    uint64_t z = key + (c + 1) * 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* Fisher-Yates shuffle of idx[0..n). */
void rng_shuffle(struct rng *r, size_t *idx, size_t n);

#endif
