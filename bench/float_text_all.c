/*
 * float_text_all: float_text.h against the C library over every float.
 *
 * For each bit pattern x from FIRST to LAST (hex; all 2^32 by default),
 * every STEP-th, finite ones only:
 *   1. float_to_text(x) is byte for byte snprintf("%.9g", x);
 *   2. float_from_text of that text gives x back, bit for bit (-0 too),
 *      which is then also what strtof gives: "%.9g" reads back exactly
 *      under strtof (9 digits suffice for a float), so strtof(text) is x.
 * Prints the counts and the first mismatches, and a line per sixteenth
 * of the range done; exits 1 on any mismatch. Runs on all OpenMP
 * threads: about 1,300 CPU seconds for all 2^32, most of it in snprintf.
 * The negative half is the positive one with a '-' in front, in both
 * float_to_text and printf (the sign is written first, the digits are
 * those of |x|), so 0 to 7f800000 covers the arithmetic. Not part of
 * `make check` (too long); `make float-text-all` runs it.
 *
 *   build/bench/float_text_all [STEP [FIRST LAST]]
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "float_text.h"

static void report(const char *what, uint32_t bits, const char *a,
                   const char *b)
{
    float x;
    memcpy(&x, &bits, sizeof x);
#pragma omp critical
    fprintf(stderr, "%s: 0x%08" PRIx32 " (%.9g): \"%s\" vs \"%s\"\n", what,
            bits, (double)x, a, b);
}

int main(int argc, char **argv)
{
    uint64_t step = argc > 1 ? strtoull(argv[1], NULL, 10) : 1;
    if (step == 0)
        step = 1;
    uint64_t first = argc > 3 ? strtoull(argv[2], NULL, 16) : 0;
    uint64_t last = argc > 3 ? strtoull(argv[3], NULL, 16) : 0xffffffffu;
    if (last > 0xffffffffu || first > last) {
        fprintf(stderr, "float_text_all: bad range\n");
        return 2;
    }
    uint64_t checked = 0, bad_text = 0, bad_back = 0;
    const int64_t n = (int64_t)((last - first) / step + 1);
    const int64_t part = (n + 15) / 16;
    for (int64_t lo = 0; lo < n; lo += part) {
    int64_t hi = lo + part < n ? lo + part : n;
#pragma omp parallel for schedule(dynamic, 65536) \
    reduction(+ : checked, bad_text, bad_back)
    for (int64_t i = lo; i < hi; i++) {
        uint32_t bits = (uint32_t)(first + (uint64_t)i * step);
        float x;
        memcpy(&x, &bits, sizeof x);
        if (!(x - x == 0)) /* inf, nan */
            continue;
        char mine[FLOAT_TEXT_MAX], libc[32];
        size_t len = float_to_text(mine, x);
        snprintf(libc, sizeof libc, "%.9g", (double)x);
        checked++;
        if (strcmp(mine, libc) != 0 || len != strlen(libc)) {
            if (bad_text++ < 10)
                report("text", bits, mine, libc);
        }
        float back = 0;
        uint32_t back_bits = 0;
        int rc = float_from_text(mine, len, &back);
        memcpy(&back_bits, &back, sizeof back_bits);
        if (rc != 0 || back_bits != bits) {
            if (bad_back++ < 10)
                report("read back", bits, mine, rc ? "error" : "other bits");
        }
    }
    printf("float_text_all: patterns up to 0x%08" PRIx64 " done, %" PRIu64
           " mismatches so far\n", first + (uint64_t)(hi - 1) * step,
           bad_text + bad_back);
    fflush(stdout);
    }
    printf("float_text_all: %" PRIu64 " finite floats from 0x%08" PRIx64
           " to 0x%08" PRIx64 " (every %" PRIu64 "th pattern): %" PRIu64
           " texts differ from %%.9g, %" PRIu64 " do not read back\n",
           checked, first, last, step, bad_text, bad_back);
    return bad_text || bad_back;
}
