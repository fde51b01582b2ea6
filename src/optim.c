/* optim: schedules and update rules. See optim.h.
 *
 * The rules follow PyTorch's single-tensor implementations
 * (torch/optim/adam.py _single_tensor_adam, rmsprop.py
 * _single_tensor_rmsprop, adagrad.py _single_tensor_adagrad) and ATen's
 * pointwise kernels for their order of operations:
 *   a.add(b, alpha=x)        a + x * b
 *   a.lerp_(b, w)            w < 0.5 ? a + w * (b - a) : b - (b - a) * (1 - w)
 *   a.addcmul_(b, c, value=x)  a + x * b * c, left to right
 *   a.addcdiv_(b, c, value=x)  a + x * b / c, left to right
 * with Python-float scalars (rates, bias corrections) rounded to float.
 * PyTorch's vector kernels fuse some of these multiply-adds; we never do
 * (every build must give the same bits), so results agree with PyTorch
 * to float rounding, not bit for bit.
 *
 * This file is built with -fno-math-errno (Makefile) so that sqrtf, which
 * is correctly rounded either way, can be vectorised: errno is never read
 * here, and the results do not change.
 */
#include "optim.h"

#include <math.h>

#include "kernels.h"

/* M_PI is POSIX XSI, not C11. */
static const double PI = 3.14159265358979323846;

/* ReduceLROnPlateau's eps: a smaller change of the rate is not made. */
#define PLATEAU_EPS 1e-8

/* clip_grad_norm_'s guard against a zero norm. */
#define CLIP_NORM_EPS 1e-6

/* Partial sums of the squared gradient (a power of two). */
#define NORM_LANES 16

double optim_schedule_rate(const struct training_config *tc, size_t epoch,
                           const struct plateau_progress *pp)
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
    case SCHEDULE_EXPONENTIAL:
        return eta * pow(tc->schedule_gamma, (double)epoch);
    case SCHEDULE_PLATEAU:
        return pp && pp->active ? pp->learning_rate : eta;
    case SCHEDULE_CONSTANT:
    default:
        return eta;
    }
}

double optim_learning_rate(const struct training_config *tc, size_t epoch,
                           const struct plateau_progress *pp)
{
    double eta = optim_schedule_rate(tc, epoch, pp);
    size_t w = tc->warmup_epochs;
    if (epoch < w)
        eta = eta * ((double)(epoch + 1) / (double)(w + 1));
    return eta;
}

void optim_plateau_step(const struct training_config *tc,
                        struct plateau_progress *pp, double metric)
{
    if (!pp->active) {
        pp->active = true;
        pp->learning_rate = tc->learning_rate;
        pp->best = INFINITY;
        pp->bad_epochs = 0;
    }
    /* is_better, mode min, threshold_mode rel (NaN is never better). */
    if (metric < pp->best * (1.0 - tc->plateau_threshold)) {
        pp->best = metric;
        pp->bad_epochs = 0;
    } else {
        pp->bad_epochs++;
    }
    if (pp->bad_epochs > tc->plateau_patience) {
        double old = pp->learning_rate;
        double lowered = old * tc->plateau_factor;
        double next = lowered > tc->plateau_min_lr ? lowered
                                                   : tc->plateau_min_lr;
        if (old - next > PLATEAU_EPS)
            pp->learning_rate = next;
        pp->bad_epochs = 0;
    }
}

#define BUF(b) (1u << (b))

unsigned optim_buffers(const struct training_config *tc)
{
    switch (tc->optimizer) {
    case OPTIMIZER_ADAM:
    case OPTIMIZER_ADAMW:
        return BUF(STATE_M) | BUF(STATE_V) |
               (tc->amsgrad ? BUF(STATE_VMAX) : 0);
    case OPTIMIZER_RMSPROP:
        return BUF(STATE_S) | (tc->centered ? BUF(STATE_A) : 0) |
               (tc->momentum > 0 ? BUF(STATE_B) : 0);
    case OPTIMIZER_ADAGRAD:
        return BUF(STATE_S);
    case OPTIMIZER_SGD:
    default:
        return tc->momentum != 0.0 ? BUF(STATE_VELOCITY) : 0;
    }
}

bool optim_uses_velocity(const struct training_config *tc)
{
    return (optim_buffers(tc) & BUF(STATE_VELOCITY)) != 0;
}

float optim_buffer_start(const struct training_config *tc,
                         enum state_buffer b)
{
    if (tc->optimizer == OPTIMIZER_ADAGRAD && b == STATE_S)
        return (float)tc->initial_accumulator_value;
    return 0.0f;
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

void optim_step_init(struct optim_step *s, const struct training_config *tc,
                     double learning_rate, size_t batch_size, size_t t,
                     bool first)
{
    *s = (struct optim_step){0};
    s->kind = tc->optimizer;
    s->scale = 1.0f / (float)batch_size;
    s->decay = 1.0f;
    s->clip_coef = 1.0f;
    s->clip_value = tc->clip_grad_value > 0 ? (float)tc->clip_grad_value
                                            : INFINITY;
    s->weight_decay = (float)tc->weight_decay;
    s->eps = (float)tc->eps;
    s->neg_lr = (float)-learning_rate;
    double step = (double)t;
    switch (tc->optimizer) {
    case OPTIMIZER_SGD:
        s->sgd = optim_sgd(tc, learning_rate, batch_size, first);
        s->sgd.scale = 1.0f;
        break;
    case OPTIMIZER_ADAMW:
        s->decoupled = true;
        s->decay = (float)(1.0 - learning_rate * tc->weight_decay);
        s->weight_decay = 0.0f;
        /* fall through */
    case OPTIMIZER_ADAM: {
        double bias_correction1 = 1.0 - pow(tc->beta1, step);
        double bias_correction2 = 1.0 - pow(tc->beta2, step);
        s->neg_step_size = (float)-(learning_rate / bias_correction1);
        s->bias_correction2_sqrt = (float)sqrt(bias_correction2);
        s->beta2 = (float)tc->beta2;
        s->one_minus_beta2 = (float)(1.0 - tc->beta2);
        s->lerp_weight = (float)(1.0 - tc->beta1);
        s->lerp_near = s->lerp_weight < 0.5f;
        s->lerp_far = 1.0f - s->lerp_weight;
        s->amsgrad = tc->amsgrad;
        break;
    }
    case OPTIMIZER_RMSPROP:
        s->alpha = (float)tc->alpha;
        s->one_minus_alpha = (float)(1.0 - tc->alpha);
        s->avg_lerp_weight = s->one_minus_alpha;
        s->avg_lerp_near = s->avg_lerp_weight < 0.5f;
        s->avg_lerp_far = 1.0f - s->avg_lerp_weight;
        s->centered = tc->centered;
        s->momentum = (float)tc->momentum;
        break;
    case OPTIMIZER_ADAGRAD:
        s->neg_clr = (float)-(learning_rate /
                              (1.0 + (step - 1.0) * tc->lr_decay));
        break;
    }
}

void optim_clip_norm(struct optim_step *s, const struct training_config *tc,
                     const float *grad, size_t n)
{
    /* NORM_LANES partial sums, element i into lane i % NORM_LANES, then
     * added pairwise: a fixed order whatever the thread count, and
     * independent chains that vectorise (one chain is bound by the add's
     * latency: a fifth of an Adam step on Fashion-MNIST's net). */
    double lane[NORM_LANES] = {0};
    float scale = s->scale;
    size_t i = 0;
    for (; i + NORM_LANES <= n; i += NORM_LANES)
        for (size_t k = 0; k < NORM_LANES; k++) {
            double g = (double)(grad[i + k] * scale);
            lane[k] += g * g;
        }
    for (size_t k = 0; i < n; i++, k++) {
        double g = (double)(grad[i] * scale);
        lane[k] += g * g;
    }
    for (size_t width = NORM_LANES / 2; width > 0; width /= 2)
        for (size_t k = 0; k < width; k++)
            lane[k] += lane[k + width];
    float norm = (float)sqrt(lane[0]);
    float coef = (float)tc->clip_grad_norm / (norm + (float)CLIP_NORM_EPS);
    /* torch clamps the factor to at most 1 */
    if (coef < 1.0f)
        s->clip_coef = coef;
}

/* The batch's mean gradient, clipped: what torch.optim sees in .grad. */
static inline float mean_grad(float g, const struct optim_step *s)
{
    float x = g * s->scale;
    /* Branch-free, so the rules' loops vectorise: clip_coef is 1 when
     * not clipping by norm (x * 1 is x exactly), clip_value +inf when not
     * clamping (and NaN passes, as through torch.clamp). */
    x = x * s->clip_coef;
    float c = s->clip_value;
    x = x < -c ? -c : x > c ? c : x;
    return x;
}

/* ---- the rules: one function each, over n parameters ---- */

#define INLINE static inline __attribute__((always_inline))

/* torch.optim.SGD: kmath_sgd (SPEC section 7) on the mean gradient. */
static void rule_sgd(float *w, float *v, const float *g, size_t n,
                     const struct optim_step *sp)
{
    /* A copy the stores below cannot alias: the loop then vectorises. */
    const struct optim_step copy = *sp, *s = &copy;
    for (size_t i = 0; i < n; i++)
        kmath_sgd(&w[i], v ? &v[i] : NULL, mean_grad(g[i], s), &s->sgd);
}

/* torch.optim.Adam and AdamW; l2, near and amsgrad are constants in
 * each copy the dispatch below makes (a condition left in the loop stops
 * the vectoriser). */
INLINE void adam_loop(float *restrict w, float *restrict m,
                      float *restrict v, float *restrict vmax,
                      const float *restrict g, size_t n,
                      const struct optim_step *s, const int l2,
                      const int near, const int amsgrad)
{
    for (size_t i = 0; i < n; i++) {
        float grad = mean_grad(g[i], s);
        /* AdamW: w.mul_(1 - lr * weight_decay), decay 1 for Adam (w * 1
         * is w exactly) */
        float wi = w[i] * s->decay;
        if (l2) {
            float decay = s->weight_decay * wi;
            grad = grad + decay;
        }
        /* m.lerp_(grad, 1 - beta1) */
        float mi = m[i];
        float diff = grad - mi;
        if (near) {
            float part = s->lerp_weight * diff;
            mi = mi + part;
        } else {
            float part = diff * s->lerp_far;
            mi = grad - part;
        }
        m[i] = mi;
        /* v.mul_(beta2).addcmul_(grad, grad, value=1 - beta2) */
        float vi = v[i] * s->beta2;
        float sq = s->one_minus_beta2 * grad;
        sq = sq * grad;
        vi = vi + sq;
        v[i] = vi;
        if (amsgrad) {
            float vm = vmax[i];
            vm = vm > vi ? vm : vi;
            vmax[i] = vm;
            vi = vm;
        }
        /* denom = (v.sqrt() / bias_correction2_sqrt).add_(eps) */
        float denom = sqrtf(vi) / s->bias_correction2_sqrt;
        denom = denom + s->eps;
        /* w.addcdiv_(m, denom, value=-step_size) */
        float change = s->neg_step_size * mi;
        change = change / denom;
        w[i] = wi + change;
    }
}

static void rule_adam(float *w, float *m, float *v, float *vmax,
                      const float *g, size_t n, const struct optim_step *sp)
{
    /* A copy the stores cannot alias: its fields stay in registers. */
    const struct optim_step copy = *sp, *s = &copy;
    int l2 = s->weight_decay != 0.0f, near = s->lerp_near;
    switch (l2 << 2 | near << 1 | s->amsgrad) {
    case 0: adam_loop(w, m, v, vmax, g, n, s, 0, 0, 0); break;
    case 1: adam_loop(w, m, v, vmax, g, n, s, 0, 0, 1); break;
    case 2: adam_loop(w, m, v, vmax, g, n, s, 0, 1, 0); break;
    case 3: adam_loop(w, m, v, vmax, g, n, s, 0, 1, 1); break;
    case 4: adam_loop(w, m, v, vmax, g, n, s, 1, 0, 0); break;
    case 5: adam_loop(w, m, v, vmax, g, n, s, 1, 0, 1); break;
    case 6: adam_loop(w, m, v, vmax, g, n, s, 1, 1, 0); break;
    default: adam_loop(w, m, v, vmax, g, n, s, 1, 1, 1); break;
    }
}

/* torch.optim.RMSprop; the flags are constants, as for Adam. */
INLINE void rmsprop_loop(float *restrict w, float *restrict sq_avg,
                         float *restrict grad_avg, float *restrict buf,
                         const float *restrict g, size_t n,
                         const struct optim_step *s, const int l2,
                         const int centered, const int near,
                         const int momentum)
{
    for (size_t i = 0; i < n; i++) {
        float grad = mean_grad(g[i], s);
        float wi = w[i];
        if (l2) {
            float decay = s->weight_decay * wi;
            grad = grad + decay;
        }
        /* square_avg.mul_(alpha).addcmul_(grad, grad, value=1 - alpha) */
        float si = sq_avg[i] * s->alpha;
        float sq = s->one_minus_alpha * grad;
        sq = sq * grad;
        si = si + sq;
        sq_avg[i] = si;
        float avg;
        if (centered) {
            /* grad_avg.lerp_(grad, 1 - alpha);
             * avg = square_avg.addcmul(grad_avg, grad_avg, value=-1) */
            float ai = grad_avg[i];
            float diff = grad - ai;
            if (near) {
                float part = s->avg_lerp_weight * diff;
                ai = ai + part;
            } else {
                float part = diff * s->avg_lerp_far;
                ai = grad - part;
            }
            grad_avg[i] = ai;
            float a2 = -ai;
            a2 = a2 * ai;
            avg = sqrtf(si + a2);
        } else {
            avg = sqrtf(si);
        }
        avg = avg + s->eps;
        if (momentum) {
            /* buf.mul_(momentum).addcdiv_(grad, avg);
             * w.add_(buf, alpha=-lr) */
            float bi = buf[i] * s->momentum;
            float q = grad / avg;
            bi = bi + q;
            buf[i] = bi;
            float change = s->neg_lr * bi;
            w[i] = wi + change;
        } else {
            /* w.addcdiv_(grad, avg, value=-lr) */
            float change = s->neg_lr * grad;
            change = change / avg;
            w[i] = wi + change;
        }
    }
}

static void rule_rmsprop(float *w, float *sq, float *ga, float *b,
                         const float *g, size_t n,
                         const struct optim_step *sp)
{
    const struct optim_step copy = *sp, *s = &copy;
    int l2 = s->weight_decay != 0.0f, momentum = s->momentum > 0.0f;
    switch (l2 << 3 | s->centered << 2 | s->avg_lerp_near << 1 | momentum) {
    case 0: rmsprop_loop(w, sq, ga, b, g, n, s, 0, 0, 0, 0); break;
    case 1: rmsprop_loop(w, sq, ga, b, g, n, s, 0, 0, 0, 1); break;
    case 2: rmsprop_loop(w, sq, ga, b, g, n, s, 0, 0, 1, 0); break;
    case 3: rmsprop_loop(w, sq, ga, b, g, n, s, 0, 0, 1, 1); break;
    case 4: rmsprop_loop(w, sq, ga, b, g, n, s, 0, 1, 0, 0); break;
    case 5: rmsprop_loop(w, sq, ga, b, g, n, s, 0, 1, 0, 1); break;
    case 6: rmsprop_loop(w, sq, ga, b, g, n, s, 0, 1, 1, 0); break;
    case 7: rmsprop_loop(w, sq, ga, b, g, n, s, 0, 1, 1, 1); break;
    case 8: rmsprop_loop(w, sq, ga, b, g, n, s, 1, 0, 0, 0); break;
    case 9: rmsprop_loop(w, sq, ga, b, g, n, s, 1, 0, 0, 1); break;
    case 10: rmsprop_loop(w, sq, ga, b, g, n, s, 1, 0, 1, 0); break;
    case 11: rmsprop_loop(w, sq, ga, b, g, n, s, 1, 0, 1, 1); break;
    case 12: rmsprop_loop(w, sq, ga, b, g, n, s, 1, 1, 0, 0); break;
    case 13: rmsprop_loop(w, sq, ga, b, g, n, s, 1, 1, 0, 1); break;
    case 14: rmsprop_loop(w, sq, ga, b, g, n, s, 1, 1, 1, 0); break;
    default: rmsprop_loop(w, sq, ga, b, g, n, s, 1, 1, 1, 1); break;
    }
}

/* torch.optim.Adagrad; l2 a constant, as for Adam. */
INLINE void adagrad_loop(float *restrict w, float *restrict sum,
                         const float *restrict g, size_t n,
                         const struct optim_step *s, const int l2)
{
    for (size_t i = 0; i < n; i++) {
        float grad = mean_grad(g[i], s);
        float wi = w[i];
        if (l2) {
            float decay = s->weight_decay * wi;
            grad = grad + decay;
        }
        /* state_sum.addcmul_(grad, grad, value=1);
         * std = state_sum.sqrt().add_(eps);
         * w.addcdiv_(grad, std, value=-clr) */
        float si = sum[i] + grad * grad;
        sum[i] = si;
        float std = sqrtf(si) + s->eps;
        float change = s->neg_clr * grad;
        change = change / std;
        w[i] = wi + change;
    }
}

static void rule_adagrad(float *w, float *sum, const float *g, size_t n,
                         const struct optim_step *sp)
{
    const struct optim_step copy = *sp, *s = &copy;
    if (s->weight_decay != 0.0f)
        adagrad_loop(w, sum, g, n, s, 1);
    else
        adagrad_loop(w, sum, g, n, s, 0);
}

/* ---- dispatch ---- */

static float *at(float *const buffer[STATE_BUFFERS], enum state_buffer b,
                 size_t offset)
{
    return buffer[b] ? buffer[b] + offset : NULL;
}

void optim_update(const struct optim_rows *r, size_t offset, const float *g,
                  size_t n)
{
    const struct optim_step *s = r->step;
    float *w = r->params + offset;
    float *const *b = r->buffer;
    switch (s->kind) {
    case OPTIMIZER_SGD:
        rule_sgd(w, at(b, STATE_VELOCITY, offset), g, n, s);
        break;
    case OPTIMIZER_ADAM:
    case OPTIMIZER_ADAMW:
        rule_adam(w, at(b, STATE_M, offset), at(b, STATE_V, offset),
                  at(b, STATE_VMAX, offset), g, n, s);
        break;
    case OPTIMIZER_RMSPROP:
        rule_rmsprop(w, at(b, STATE_S, offset), at(b, STATE_A, offset),
                     at(b, STATE_B, offset), g, n, s);
        break;
    case OPTIMIZER_ADAGRAD:
        rule_adagrad(w, at(b, STATE_S, offset), g, n, s);
        break;
    }
}

static void rows_apply(const struct kernel_update *u, size_t offset,
                       const float *g, size_t n)
{
    /* base is the first member */
    optim_update((const struct optim_rows *)(const void *)u, offset, g, n);
}

void optim_rows_init(struct optim_rows *r, const struct optim_step *s,
                     float *params, float *const buffer[STATE_BUFFERS])
{
    r->base.apply = rows_apply;
    r->step = s;
    r->params = params;
    for (int b = 0; b < STATE_BUFFERS; b++)
        r->buffer[b] = buffer[b];
}

void optim_apply(const struct optim_rows *r, const float *grad, size_t n)
{
    size_t lo, hi;
    kernel_share(n, &lo, &hi);
    if (hi > lo)
        optim_update(r, lo, grad + lo, hi - lo);
}
