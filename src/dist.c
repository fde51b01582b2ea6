/*
 * dist: MPI, or a single process. See dist.h. Everything MPI-specific in
 * backprop is in this file, behind BP_MPI; the default build compiles the
 * single-process half below and needs no MPI package.
 */
#include "dist.h"

#if defined(BP_MPI)

#include <assert.h>
#include <limits.h>
#include <stdlib.h>

#include <mpi.h>

/* Whether dist_init joined a job, and whether dist_finalize left it. */
static bool joined;
static bool finalized;
static int rank_;
static int size_ = 1;

/* Messages are cut below INT_MAX elements (MPI counts are int). */
#define MAX_MESSAGE ((size_t)1 << 30)

static bool launched_by_mpirun(void)
{
    return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMIX_RANK") ||
           getenv("PMI_RANK");
}

/* A rank leaving with an error only it knows must take the job down with
 * it: the others wait in a collective that will never complete. */
static void abort_if_still_joined(void)
{
    if (joined && !finalized)
        MPI_Abort(MPI_COMM_WORLD, 1);
}

void dist_init(void)
{
    if (joined || !launched_by_mpirun())
        return;
    int provided;
    MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided);
    joined = true;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
    atexit(abort_if_still_joined);
}

bool dist_active(void)
{
    return size_ > 1;
}

int dist_rank(void)
{
    return rank_;
}

int dist_size(void)
{
    return size_;
}

/* Chunk c of n floats cut into size_ parts: [lo(c), lo(c + 1)). */
static size_t chunk_lo(size_t n, int c)
{
    return n * (size_t)c / (size_t)size_;
}

size_t dist_chunk_max(size_t n)
{
    return (n + (size_t)size_ - 1) / (size_t)size_;
}

size_t dist_allreduce_bytes(size_t n)
{
    if (size_ == 1)
        return 0;
    /* Each pass sends every chunk but one: the reduce-scatter all but
     * chunk r + 1, the all-gather all but chunk r + 2. */
    int a = (rank_ + 1) % size_, b = (rank_ + 2) % size_;
    size_t skipped = chunk_lo(n, a + 1) - chunk_lo(n, a) +
                     chunk_lo(n, b + 1) - chunk_lo(n, b);
    return (2 * n - skipped) * sizeof(float);
}

/* Sends chunk `send` of buf to the right neighbour while receiving chunk
 * `recv` from the left one into `into`. */
static void ring_exchange(float *buf, size_t n, int send, int recv,
                          float *into)
{
    int right = (rank_ + 1) % size_;
    int left = (rank_ + size_ - 1) % size_;
    size_t s_lo = chunk_lo(n, send), s_n = chunk_lo(n, send + 1) - s_lo;
    size_t r_n = chunk_lo(n, recv + 1) - chunk_lo(n, recv);
    assert(s_n < MAX_MESSAGE && r_n < MAX_MESSAGE);
    MPI_Sendrecv(buf + s_lo, (int)s_n, MPI_FLOAT, right, 0, into, (int)r_n,
                 MPI_FLOAT, left, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
}

void dist_allreduce_sum(float *buf, size_t n, float *scratch)
{
    if (size_ == 1)
        return;
    int N = size_;
    /* Reduce-scatter: at step s, rank r passes on chunk r - s and adds its
     * own values to the partial sum of chunk r - s - 1 coming from the
     * left. Chunk c thus starts at rank c and gains one rank per step, in
     * ring order; after N - 1 steps rank r holds chunk r + 1 complete. */
    for (int s = 0; s < N - 1; s++) {
        int send = (rank_ - s + N) % N;
        int recv = (rank_ - s - 1 + 2 * N) % N;
        ring_exchange(buf, n, send, recv, scratch);
        size_t lo = chunk_lo(n, recv), len = chunk_lo(n, recv + 1) - lo;
        for (size_t i = 0; i < len; i++)
            buf[lo + i] += scratch[i];
    }
    /* All-gather: the complete chunks travel round the ring as copies, so
     * every rank ends with the same bits. */
    for (int s = 0; s < N - 1; s++) {
        int send = (rank_ + 1 - s + N) % N;
        int recv = (rank_ - s + N) % N;
        ring_exchange(buf, n, send, recv, buf + chunk_lo(n, recv));
    }
}

void dist_bcast(void *buf, size_t bytes, int root)
{
    if (size_ == 1)
        return;
    char *p = buf;
    for (size_t done = 0; done < bytes;) {
        size_t part = bytes - done < MAX_MESSAGE ? bytes - done : MAX_MESSAGE;
        MPI_Bcast(p + done, (int)part, MPI_BYTE, root, MPI_COMM_WORLD);
        done += part;
    }
}

int dist_min(int x)
{
    if (size_ == 1)
        return x;
    int min;
    MPI_Allreduce(&x, &min, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    return min;
}

void dist_finalize(void)
{
    if (joined && !finalized) {
        MPI_Finalize();
        finalized = true;
    }
}

#else /* a single process */

void dist_init(void) {}
bool dist_active(void) { return false; }
int dist_rank(void) { return 0; }
int dist_size(void) { return 1; }
size_t dist_chunk_max(size_t n) { return n; }
size_t dist_allreduce_bytes(size_t n) { (void)n; return 0; }
void dist_allreduce_sum(float *buf, size_t n, float *scratch)
{
    (void)buf;
    (void)n;
    (void)scratch;
}
void dist_bcast(void *buf, size_t bytes, int root)
{
    (void)buf;
    (void)bytes;
    (void)root;
}
int dist_min(int x) { return x; }
void dist_finalize(void) {}

#endif
