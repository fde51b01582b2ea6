/*
 * vmath_sweep: vmath's exp, tanh and sigmoid (array forms) over every one
 * of the 2^32 floats, against the float results of this machine's libm
 * (expf, tanhf, 1 / (1 + expf(-x))) and against vmath's own scalar forms.
 * Prints, for each function, how many results differ from libm's and by
 * how many ulp at most (with the worst input), and how many array results
 * differ from the scalar form (must be 0). NaN equals NaN here. A
 * few minutes on 2 cores; `make vmath-sweep` builds and runs it for the
 * build's kernels (ARCH= as for make). Asserts nothing: the unit tests do
 * (tests/test_vmath.c); exits 1 if an array result differs from its
 * scalar form.
 */
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "testutil.h"
#include "vmath.h"

#define CHUNK 65536u

struct tally {
    uint64_t differ;       /* from libm */
    uint64_t over2;        /* by more than 2 ulp */
    int64_t worst;         /* ulp */
    uint32_t worst_input;  /* bits */
    uint64_t not_scalar;   /* array result != scalar form */
};

static void count(struct tally *t, uint32_t bits, float got, float libm,
                  float scalar)
{
    int64_t d = testutil_ulp_distance(got, libm);
    if (d) {
        t->differ++;
        if (d > 2)
            t->over2++;
        if (d > t->worst) {
            t->worst = d;
            t->worst_input = bits;
        }
    }
    if (testutil_ulp_distance(got, scalar) != 0 ||
        (!isnan(got) && vmath_bits32(got) != vmath_bits32(scalar)))
        t->not_scalar++;
}

static void merge(struct tally *into, const struct tally *t)
{
    into->differ += t->differ;
    into->over2 += t->over2;
    into->not_scalar += t->not_scalar;
    if (t->worst > into->worst) {
        into->worst = t->worst;
        into->worst_input = t->worst_input;
    }
}

static void report(const char *name, const char *libm, const struct tally *t)
{
    printf("%-8s vs %-22s: %12" PRIu64 " of 2^32 differ, %" PRIu64
           " by more than 2 ulp, at most %" PRId64 " ulp",
           name, libm, t->differ, t->over2, t->worst);
    if (t->worst)
        printf(" (x = %a)", (double)testutil_float_of_bits(t->worst_input));
    printf("; array != scalar form: %" PRIu64 "\n", t->not_scalar);
}

int main(void)
{
    struct tally exp_t = {0}, tanh_t = {0}, sig_t = {0};
#pragma omp parallel
    {
        static float x[CHUNK], e[CHUNK], th[CHUNK], sg[CHUNK];
#pragma omp threadprivate(x, e, th, sg)
        struct tally te = {0}, tt = {0}, ts = {0};
#pragma omp for schedule(dynamic)
        for (uint64_t c = 0; c < (1ull << 32) / CHUNK; c++) {
            uint32_t base = (uint32_t)(c * CHUNK);
            for (uint32_t i = 0; i < CHUNK; i++)
                x[i] = testutil_float_of_bits(base + i);
            vmath_exp(e, x, CHUNK);
            vmath_tanh(th, x, CHUNK);
            vmath_sigmoid(sg, x, CHUNK);
            for (uint32_t i = 0; i < CHUNK; i++) {
                float v = x[i];
                count(&te, base + i, e[i], expf(v), vmath_expf(v));
                count(&tt, base + i, th[i], tanhf(v), vmath_tanhf(v));
                count(&ts, base + i, sg[i], 1.0f / (1.0f + expf(-v)),
                      vmath_sigmoidf(v));
            }
        }
#pragma omp critical
        {
            merge(&exp_t, &te);
            merge(&tanh_t, &tt);
            merge(&sig_t, &ts);
        }
    }
    report("exp", "expf", &exp_t);
    report("tanh", "tanhf", &tanh_t);
    report("sigmoid", "1 / (1 + expf(-x))", &sig_t);
    return exp_t.not_scalar || tanh_t.not_scalar || sig_t.not_scalar;
}
