/* rng: SplitMix64 (Steele, Lea, Flood 2014). See rng.h. */
#include "rng.h"

struct rng rng_create(uint64_t seed, uint64_t stream)
{
    struct rng r = {seed ^ (stream * 0xD1B54A32D192ED03ULL)};
    /* Mix once so nearby seeds and streams start far apart. */
    rng_next(&r);
    return r;
}

uint64_t rng_next(struct rng *r)
{
    uint64_t z = (r->state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

float rng_uniform(struct rng *r)
{
    return (float)(rng_next(r) >> 40) * (1.0f / 16777216.0f);
}

uint64_t rng_below(struct rng *r, uint64_t n)
{
    /* Rejection sampling: draws below `limit` map evenly onto [0, n). */
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do
        x = rng_next(r);
    while (x >= limit);
    return x % n;
}

void rng_shuffle(struct rng *r, size_t *idx, size_t n)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)rng_below(r, i);
        size_t t = idx[i - 1];
        idx[i - 1] = idx[j];
        idx[j] = t;
    }
}

uint64_t rng_key(uint64_t key, uint64_t value)
{
    return rng_hash(key ^ 0xD1B54A32D192ED03ULL, value);
}
