/* core_latency: the round trip of one cache line between two cores.
 *
 *   core_latency [ROUNDS]      (default 200000)
 *
 * Two threads, pinned to the first two CPUs the process may run on, pass
 * a flag back and forth through one cache line ROUNDS times; the program
 * prints the mean round trip:
 *
 *   core_roundtrip_ns <nanoseconds>
 *
 * It measures where the two cores sit relative to each other: cores that
 * share a last-level cache hand a line over in well under 100 ns each
 * way, cores on different dies take several times that. A multithreaded
 * training step hands over every value one thread writes and another
 * reads (activations, deltas, updated weights), so it slows down with
 * this figure while an FMA loop does not. On a virtual machine the host
 * may move its vCPUs between such placements from one minute to the next;
 * the bench runs this just before each multithreaded training run.
 *
 * Build: cc -std=c11 -O2 -pthread core_latency.c
 */
#define _GNU_SOURCE /* CPU_SET, pthread_setaffinity_np */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static _Alignas(64) atomic_int flag;
static long rounds = 200000;
static int cpus[2];

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void pin(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

/* The other side: waits for 1, answers 0. */
static void *answer(void *unused)
{
    (void)unused;
    pin(cpus[1]);
    for (long i = 0; i < rounds; i++) {
        while (atomic_load_explicit(&flag, memory_order_acquire) != 1)
            ;
        atomic_store_explicit(&flag, 0, memory_order_release);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc > 2 || (argc == 2 && (rounds = atol(argv[1])) < 1)) {
        fprintf(stderr, "usage: core_latency [ROUNDS]\n");
        return 2;
    }
    cpu_set_t allowed;
    if (sched_getaffinity(0, sizeof allowed, &allowed) != 0) {
        perror("core_latency: sched_getaffinity");
        return 1;
    }
    int found = 0;
    for (int c = 0; c < CPU_SETSIZE && found < 2; c++)
        if (CPU_ISSET(c, &allowed))
            cpus[found++] = c;
    if (found < 2) {
        fprintf(stderr, "core_latency: needs two CPUs\n");
        return 1;
    }

    pin(cpus[0]);
    pthread_t other;
    if (pthread_create(&other, NULL, answer, NULL) != 0) {
        fprintf(stderr, "core_latency: cannot start a thread\n");
        return 1;
    }
    double t0 = now_seconds();
    for (long i = 0; i < rounds; i++) {
        atomic_store_explicit(&flag, 1, memory_order_release);
        while (atomic_load_explicit(&flag, memory_order_acquire) != 0)
            ;
    }
    double seconds = now_seconds() - t0;
    pthread_join(other, NULL);
    printf("core_roundtrip_ns %.0f\n", seconds / (double)rounds * 1e9);
    return 0;
}
