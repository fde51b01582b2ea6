/* progress: see progress.h. */
#include "progress.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <time.h>

double progress_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void progress_init(struct progress *p, bool enabled)
{
    p->enabled = enabled;
    p->last_drawn = 0;
}

void progress_draw(struct progress *p, const struct trainer *tr, size_t epoch,
                   size_t epochs)
{
    if (!p->enabled)
        return;
    double now = progress_now();
    if (now - p->last_drawn < 0.1)
        return;
    p->last_drawn = now;
    struct trainer_progress tp;
    trainer_progress(tr, &tp);
    /* Later epochs take about as long as this one will. */
    double eta = tp.epoch_seconds_left;
    if (!isnan(eta) && tp.batch > 0) {
        double per_epoch =
            eta * (double)tp.batches /
            (double)(tp.batches - tp.batch + (tp.batch == tp.batches));
        eta += per_epoch * (double)(epochs - epoch - 1);
    }
    fprintf(stderr,
            "\r\033[Kepoch %zu/%zu  batch %zu/%zu  loss %.4f  "
            "%.0f samples/s  ETA %.0fs",
            epoch + 1, epochs, tp.batch, tp.batches, tp.running_loss,
            tp.samples_per_second, isnan(eta) ? 0.0 : eta);
    fflush(stderr);
}

void progress_erase(struct progress *p)
{
    if (p->enabled && p->last_drawn > 0) {
        fputs("\r\033[K", stderr);
        p->last_drawn = 0;
    }
}

void progress_epoch_line(FILE *f, const struct epoch_report *r,
                         size_t epochs)
{
    fprintf(f, "epoch %*zu/%zu  loss %.6f", epochs >= 100 ? 4 : 3,
            r->epoch + 1, epochs, r->train_loss);
    if (!isnan(r->train_accuracy))
        fprintf(f, "  acc %.4f", r->train_accuracy);
    if (r->has_validation) {
        fprintf(f, "  val_loss %.6f", r->validation_loss);
        if (!isnan(r->validation_accuracy))
            fprintf(f, "  val_acc %.4f", r->validation_accuracy);
    }
    fprintf(f, "  lr %.4g  %.0f samples/s\n", r->learning_rate,
            r->samples_per_second);
}

static void log_number(FILE *f, const char *key, double x)
{
    if (isfinite(x))
        fprintf(f, ",\"%s\":%.17g", key, x);
    else
        fprintf(f, ",\"%s\":null", key);
}

int progress_log_epoch(FILE *f, const char *name, const struct epoch_report *r,
                       double elapsed, struct bp_error *err)
{
    fprintf(f, "{\"epoch\":%zu,\"steps\":%zu", r->epoch + 1, r->steps);
    log_number(f, "learning_rate", r->learning_rate);
    log_number(f, "train_loss", r->train_loss);
    log_number(f, "train_accuracy", r->train_accuracy);
    log_number(f, "validation_loss", r->validation_loss);
    log_number(f, "validation_accuracy", r->validation_accuracy);
    log_number(f, "samples_per_second", r->samples_per_second);
    log_number(f, "seconds", r->seconds);
    log_number(f, "elapsed", elapsed);
    if (r->ranks > 1) {
        fprintf(f, ",\"ranks\":%d,\"message_bytes_per_step\":%zu", r->ranks,
                r->message_bytes);
        log_number(f, "compute_seconds", r->compute_seconds);
        log_number(f, "comm_seconds", r->comm_seconds);
    }
    fputs("}\n", f);
    errno = 0;
    if (fflush(f) != 0 || ferror(f))
        return bp_error_set(err, errno == EPIPE ? BP_EPIPE : BP_EIO,
                            "%s: write error: %s", name,
                            strerror(errno ? errno : EIO));
    return 0;
}
