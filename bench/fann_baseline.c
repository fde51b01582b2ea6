/* fann_baseline: FANN 2.2's time per online training step on the seed's
 * 1-1-1 sigmoid network, the baseline for backprop's batch-1 speed.
 *
 *   fann_baseline [STEPS [LOOPS]]     (default 1000000 steps, 5 loops)
 *
 * The network is SPEC section 8's: input 0.2, target 0.7, w21 = 0.2,
 * w20 = 0.1 (bias), w32 = 0.3, w30 = 0.1, logistic sigmoid units (FANN's
 * FANN_SIGMOID is 1 / (1 + exp(-2 s x)) with steepness s, so s = 0.5,
 * its default, set here explicitly),
 * squared error with FANN_ERRORFUNC_LINEAR (FANN's default, the tanh
 * error function, would change the gradient), learning rate 0.1, no
 * momentum. One fann_train() call is one step: forward, error,
 * back-propagation, weight update, on one sample (online training).
 * Before timing, the program checks that FANN's first step lands on the
 * SPEC's weights, so the two programs time the same arithmetic.
 *
 * Method: LOOPS timed loops of STEPS fann_train() calls each
 * (CLOCK_MONOTONIC around the loop, nothing subtracted); the figure is the
 * median loop time divided by STEPS. Output, one "key value" per line:
 *
 *   fann_us_per_step <microseconds>
 *   fann_check_w32 <w32 after the first step>
 *
 * backprop's matching figure is measured by bench/run.sh, not here: it
 * writes a CSV of STEPS copies of the seed sample (o1 = 0.2, T = 0.7) and
 * runs `backprop train configs/seed-example.json --data THAT.csv
 * --epochs E --log FILE` (batch 1, shuffle off as in the config), so each
 * epoch is STEPS single-sample steps on the same network. Per-step time is
 * each epoch's "seconds" from the --log JSON lines (the trainer's own
 * clock around the epoch's steps, excluding CSV loading and the weights
 * written at the end) divided by STEPS, median over the epochs; nothing
 * is subtracted, so the per-step overheads of backprop's trainer (batch
 * gather, loss bookkeeping) count, as FANN's do.
 *
 * Build: cc -std=c11 -O2 fann_baseline.c -lfloatfann -lm
 */
#define _POSIX_C_SOURCE 199309L
#include <floatfann.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *pa, const void *pb)
{
    double a = *(const double *)pa, b = *(const double *)pb;
    return (a > b) - (a < b);
}

static long parse_arg(const char *s, const char *name)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*end || end == s || v < 1) {
        fprintf(stderr, "fann_baseline: %s must be a positive integer\n", name);
        exit(2);
    }
    return v;
}

/* FANN numbers its neurons across layers, each layer's bias last:
 * 0 = o1, 1 = bias, 2 = hidden unit, 3 = bias, 4 = output unit. */
static struct fann *seed_network(void)
{
    struct fann *ann = fann_create_standard(3, 1, 1, 1);
    if (!ann)
        return NULL;
    fann_set_activation_function_hidden(ann, FANN_SIGMOID);
    fann_set_activation_function_output(ann, FANN_SIGMOID);
    fann_set_activation_steepness_hidden(ann, 0.5f);
    fann_set_activation_steepness_output(ann, 0.5f);
    fann_set_train_error_function(ann, FANN_ERRORFUNC_LINEAR);
    fann_set_learning_rate(ann, 0.1f);
    fann_set_learning_momentum(ann, 0.0f);
    fann_set_weight(ann, 0, 2, 0.2f); /* w21 */
    fann_set_weight(ann, 1, 2, 0.1f); /* w20 */
    fann_set_weight(ann, 2, 4, 0.3f); /* w32 */
    fann_set_weight(ann, 3, 4, 0.1f); /* w30 */
    return ann;
}

static float weight(struct fann *ann, unsigned from, unsigned to)
{
    struct fann_connection c[4];
    if (fann_get_total_connections(ann) != 4)
        return NAN;
    fann_get_connection_array(ann, c);
    for (int i = 0; i < 4; i++)
        if (c[i].from_neuron == from && c[i].to_neuron == to)
            return c[i].weight;
    return NAN;
}

int main(int argc, char **argv)
{
    long steps = argc > 1 ? parse_arg(argv[1], "STEPS") : 1000000;
    long loops = argc > 2 ? parse_arg(argv[2], "LOOPS") : 5;
    fann_type input[1] = {0.2f}, target[1] = {0.7f};

    struct fann *ann = seed_network();
    if (!ann) {
        fprintf(stderr, "fann_baseline: cannot create the network\n");
        return 1;
    }
    /* SPEC section 8: after one step w32 = 0.301778372. FANN computes in
     * float, so agreement to 1e-6 is what to expect. */
    fann_train(ann, input, target);
    float w32 = weight(ann, 2, 4);
    if (!(fabsf(w32 - 0.301778372f) < 1e-6f)) {
        fprintf(stderr,
                "fann_baseline: FANN's first step gives w32 = %.9g, not the "
                "SPEC's 0.301778372: the networks differ\n", (double)w32);
        return 1;
    }

    double *t = malloc((size_t)loops * sizeof *t);
    if (!t)
        return 1;
    for (long l = 0; l < loops; l++) {
        double started = now_seconds();
        for (long s = 0; s < steps; s++)
            fann_train(ann, input, target);
        t[l] = now_seconds() - started;
    }
    qsort(t, (size_t)loops, sizeof *t, cmp_double);
    double median = loops % 2 ? t[loops / 2]
                              : (t[loops / 2 - 1] + t[loops / 2]) / 2;
    printf("fann_us_per_step %.4f\n", median / (double)steps * 1e6);
    printf("fann_check_w32 %.9g\n", (double)w32);
    free(t);
    fann_destroy(ann);
    return 0;
}
