/* model: see model.h. */
#include "model.h"

#include <string.h>

#include "normalize.h"

int model_load(struct model *m, const char *path, bool require_weights,
               struct bp_error *err)
{
    memset(m, 0, sizeof *m);
    if (config_load(&m->cfg, path, NULL, 0, err) < 0)
        return -1;
    if (require_weights) {
        for (size_t l = 0; l < m->cfg.n_layers; l++)
            if (!m->cfg.layers[l].weights) {
                bp_error_set(err, BP_EINPUT,
                             "%s: layers[%zu]: no weights (train it first: "
                             "backprop train %s)",
                             m->cfg.name, l, m->cfg.path);
                goto fail;
            }
    }
    if (network_create(&m->net, &m->cfg, err) < 0)
        goto fail;
    return 0;
fail:
    model_free(m);
    return -1;
}

int model_load_data(const struct model *m, const char *path,
                    bool targets_optional, int threads, struct dataset *ds,
                    struct bp_error *err)
{
    if (dataset_load(ds, path, &m->cfg, targets_optional, threads, err) < 0)
        return -1;
    normalization_apply(&m->cfg.normalization, ds);
    return 0;
}

void model_free(struct model *m)
{
    if (!m)
        return;
    network_free(&m->net);
    config_free(&m->cfg);
}
