/* optim: schedules and the SGD step. See optim.h. */
#include "optim.h"

#include <math.h>

#include "kernels.h"

/* M_PI is POSIX XSI, not C11. */
static const double PI = 3.14159265358979323846;

double optim_learning_rate(const struct training_config *tc, size_t epoch)
{
    double eta = tc->learning_rate;
    switch (tc->schedule) {
    case SCHEDULE_STEP:
        return eta * pow(tc->schedule_gamma,
                         (double)(epoch / tc->schedule_every));
    case SCHEDULE_COSINE:
        if (tc->epochs == 0)
            return eta;
        return eta * (1.0 + cos(PI * (double)epoch / (double)tc->epochs)) /
               2.0;
    case SCHEDULE_CONSTANT:
    default:
        return eta;
    }
}

bool optim_uses_velocity(const struct training_config *tc)
{
    return tc->momentum != 0.0;
}

struct kernel_sgd optim_sgd(const struct training_config *tc,
                            double learning_rate, size_t batch_size,
                            bool first)
{
    struct kernel_sgd p = {
        .scale = 1.0f / (float)batch_size,
        .lr = (float)learning_rate,
        .momentum = (float)tc->momentum,
        .weight_decay = (float)tc->weight_decay,
        .nesterov = tc->nesterov,
        .first = first,
    };
    return p;
}

void optim_step(const struct training_config *tc, double learning_rate,
                float *params, float *velocity, const float *grad, size_t n,
                size_t batch_size, bool first)
{
    struct kernel_sgd p = optim_sgd(tc, learning_rate, batch_size, first);
    kernel_sgd_step(params, velocity, grad, n, &p);
}
