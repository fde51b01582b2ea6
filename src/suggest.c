/* suggest: edit distance and did-you-mean. See suggest.h. */
#include "suggest.h"

#include <stdint.h>
#include <string.h>

static size_t min3(size_t a, size_t b, size_t c)
{
    size_t m = a < b ? a : b;
    return m < c ? m : c;
}

size_t suggest_distance(const char *a, const char *b)
{
    size_t m = strlen(a), n = strlen(b);
    if (m > SUGGEST_MAX_LEN || n > SUGGEST_MAX_LEN)
        return SIZE_MAX;
    /* Three rows of the dynamic-programming table: i-2, i-1, i. */
    size_t rows[3][SUGGEST_MAX_LEN + 1];
    size_t *prev2 = rows[0], *prev = rows[1], *cur = rows[2];
    for (size_t j = 0; j <= n; j++)
        prev[j] = j;
    for (size_t i = 1; i <= m; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= n; j++) {
            size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            cur[j] = min3(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
                a[i - 2] == b[j - 1] && prev2[j - 2] + 1 < cur[j])
                cur[j] = prev2[j - 2] + 1;
        }
        size_t *t = prev2;
        prev2 = prev;
        prev = cur;
        cur = t;
    }
    return prev[n];
}

const char *suggest_closest(const char *word, const char *const *candidates)
{
    const char *best = NULL;
    size_t best_d = SIZE_MAX;
    size_t wlen = strlen(word);
    for (; *candidates; candidates++) {
        size_t d = suggest_distance(word, *candidates);
        size_t clen = strlen(*candidates);
        size_t longer = wlen > clen ? wlen : clen;
        if (d <= 2 && 3 * d <= longer && d < best_d) {
            best = *candidates;
            best_d = d;
        }
    }
    return best;
}
