/*
 * dist: the processes of one data-parallel training run. Built with MPI
 * (`make MPI=1`, which defines BP_MPI) and started by a launcher
 * (`mpirun -np N backprop train ...`), the run has N ranks that talk over
 * Open MPI; otherwise, and always in the default build, it is this one
 * process: rank 0 of 1, and every collective below is a no-op. This is the
 * only module that includes <mpi.h> or tests BP_MPI.
 *
 * Call order: dist_init once, before any other dist_ call that should see
 * the ranks (before it, and without a launcher, dist_size() is 1);
 * collectives in the same order on every rank; then dist_finalize once,
 * on every rank, when the run ended the same way everywhere.
 *
 * Errors: an MPI failure (a dead peer, a broken link) aborts the whole job
 * (MPI's default MPI_ERRORS_ARE_FATAL), so these functions do not return
 * errors. A rank that leaves with an error only it knows about must not
 * call dist_finalize: when it exits, an exit hook calls MPI_Abort, so the
 * other ranks, waiting in a collective, are ended within seconds instead
 * of hanging (the error is printed first, by main, as usual).
 *
 * State: MPI's state is per process; this module keeps only whether it
 * initialised and finalised MPI. Only the calling (main) thread may call
 * these functions: never from inside an OpenMP parallel region
 * (MPI_THREAD_FUNNELED).
 */
#ifndef DIST_H
#define DIST_H

#include <stdbool.h>
#include <stddef.h>

/* Joins the job when started by an MPI launcher (it sets
 * OMPI_COMM_WORLD_SIZE, PMIX_RANK or PMI_RANK); does nothing otherwise, so
 * a run without mpirun is exactly the single-process program. */
void dist_init(void);

/* Whether this process is one of several ranks. */
bool dist_active(void);

int dist_rank(void);  /* 0..dist_size()-1 */
int dist_size(void);  /* 1 without MPI */

/* Replaces buf[0..n) on every rank by the element-wise sum over the ranks,
 * the same bits everywhere. Ring all-reduce: the buffer is cut into
 * dist_size() contiguous chunks, chunk c is summed along the ring
 * starting at rank c (((g_c + g_c+1) + g_c+2) + ...), then the finished
 * chunks are copied round the ring. The order of every sum is fixed by the
 * rank count alone, never by message timing, so for a fixed N the result
 * is deterministic. Each rank sends and receives 2 (N-1)/N * n floats.
 * scratch: [dist_chunk_max(n)] floats. */
void dist_allreduce_sum(float *buf, size_t n, float *scratch);

/* The largest chunk dist_allreduce_sum cuts n floats into. */
size_t dist_chunk_max(size_t n);

/* Bytes each rank sends per dist_allreduce_sum of n floats. */
size_t dist_allreduce_bytes(size_t n);

/* Copies bytes of buf from rank root to every rank. */
void dist_bcast(void *buf, size_t bytes, int root);

/* The minimum of x over the ranks. */
int dist_min(int x);

/* Leaves the job: MPI_Finalize when dist_init joined one. */
void dist_finalize(void);

#endif
