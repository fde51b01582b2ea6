/*
 * config_override: the --set KEY=VALUE overrides (see config_override.h),
 * put into the parsed tree. Nothing is checked here beyond the key's
 * path: the tree is validated afterwards as a whole (config_sections.c),
 * so an overridden value meets the same rules and messages as one in the
 * file.
 */
#include "config_override.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_json.h"
#include "config_sections.h"
#include "jsonscan.h"

static int usage(struct bp_error *err, const char *opt, const char *key,
                 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* "OPTION KEY: WHAT": OPTION is --set, or the option the override came
 * from (--grid). */
static int usage(struct bp_error *err, const char *opt, const char *key,
                 const char *fmt, ...)
{
    char what[BP_ERROR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    bp_error_set(err, BP_EUSAGE, "%s %s: %s", opt, key, what);
    /* The key comes from argv and may hold any byte; keep the message on
     * one line, as kp_key does for keys from the file. */
    for (char *p = err ? err->msg : NULL; p && *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '?';
    return -1;
}

/* The override's value: JSON when it is valid JSON (by jsonscan's strict
 * rules), else the text as a string (`--set data.train=x.csv`). */
static cJSON *override_value(const char *text)
{
    size_t len = strlen(text);
    if (len && jsonscan_check(text, len, NULL, NULL, 0) == 0)
        return cJSON_ParseWithLengthOpts(text, len + 1, NULL, true);
    return cJSON_CreateString(text);
}

static bool all_digits(const char *s, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

/* Whether an override at path `set` replaces `target` or a folder of it
 * ("data" and "data.train" both cover "data.train"). */
static bool covers(const char *set, const char *target)
{
    size_t n = strlen(set);
    return strncmp(set, target, n) == 0 &&
           (target[n] == '\0' || target[n] == '.');
}

/* Walks the key's segments ("a.b.0.c", "a.b[0].c") from root, creating
 * missing (or null) objects on the way, and puts `value` at the end.
 * Takes ownership of value. `kp` receives the normalized path. */
static int set_path(cJSON *root, const char *opt, const char *key,
                    cJSON *value, struct keypath *kp, struct bp_error *err)
{
    cJSON *node = root;
    const char *p = key;
    char *name = NULL;
    int rc = -1;
    for (;;) {
        bool bracket = *p == '[';
        const char *seg = bracket ? p + 1 : p;
        size_t n = bracket ? strcspn(seg, "]") : strcspn(seg, ".[");
        if (bracket && (seg[n] != ']' || !all_digits(seg, n))) {
            usage(err, opt, key, "bad index \"[%.*s\" (expected [N])", (int)n,
                  seg);
            goto fail;
        }
        if (n == 0) {
            usage(err, opt, key, "empty part in the key");
            goto fail;
        }
        p = seg + n + (bracket ? 1 : 0);
        bool last = *p == '\0';
        if (!last && *p != '.' && *p != '[') {
            usage(err, opt, key, "expected \".\" or \"[\" after \"%.*s\"",
                  (int)(p - key), key);
            goto fail;
        }
        bool next_is_index = *p == '[';
        if (*p == '.')
            p++;
        if (!last && *p == '\0') {
            usage(err, opt, key, "empty part in the key");
            goto fail;
        }
        const char *where = kp->len ? kp->buf : "the top level";
        free(name);
        name = strndup(seg, n);
        if (!name)
            goto nomem;

        cJSON *child;
        if (cJSON_IsArray(node)) {
            if (!all_digits(seg, n)) {
                usage(err, opt, key, "%s is an array: expected an index, got "
                                "\"%s\"", where, name);
                goto fail;
            }
            errno = 0;
            unsigned long long idx = strtoull(name, NULL, 10);
            size_t size = count_items(node);
            if (errno || idx >= size) {
                usage(err, opt, key, "index %s out of range (%s has %zu "
                                "element%s)", name, where, size,
                      plural(size));
                goto fail;
            }
            kp_index(kp, (size_t)idx);
            if (last) {
                if (!cJSON_ReplaceItemInArray(node, (int)idx, value))
                    goto nomem;
                value = NULL;
                break;
            }
            child = cJSON_GetArrayItem(node, (int)idx);
            if (cJSON_IsNull(child)) {
                cJSON *obj = cJSON_CreateObject();
                if (!obj || !cJSON_ReplaceItemInArray(node, (int)idx, obj)) {
                    cJSON_Delete(obj);
                    goto nomem;
                }
                child = obj;
            }
        } else {
            if (bracket) {
                usage(err, opt, key, "%s is not an array", where);
                goto fail;
            }
            kp_key(kp, name);
            child = cJSON_GetObjectItemCaseSensitive(node, name);
            if (last) {
                cJSON_bool ok =
                    child ? cJSON_ReplaceItemInObjectCaseSensitive(node, name,
                                                                   value)
                          : cJSON_AddItemToObject(node, name, value);
                if (!ok)
                    goto nomem;
                value = NULL;
                break;
            }
            if ((!child || cJSON_IsNull(child)) && next_is_index) {
                usage(err, opt, key, "%s does not exist (an index needs an "
                                "existing array)", kp->buf);
                goto fail;
            }
            if (!child || cJSON_IsNull(child)) {
                cJSON *obj = cJSON_CreateObject();
                cJSON_bool ok =
                    obj && (child ? cJSON_ReplaceItemInObjectCaseSensitive(
                                        node, name, obj)
                                  : cJSON_AddItemToObject(node, name, obj));
                if (!ok) {
                    cJSON_Delete(obj);
                    goto nomem;
                }
                child = obj;
            }
        }
        if (!cJSON_IsObject(child) && !cJSON_IsArray(child)) {
            usage(err, opt, key, "%s is not an %s", kp->buf,
                  next_is_index ? "array" : "object");
            goto fail;
        }
        node = child;
    }
    rc = 0;
    goto fail;
nomem:
    bp_error_set(err, BP_ENOMEM, "%s %s: out of memory", opt, key);
fail:
    free(name);
    cJSON_Delete(value);
    return rc;
}

int apply_overrides(cJSON *root, const struct config_override *ov, size_t n,
                    struct path_origin *po, struct bp_error *err)
{
    for (size_t i = 0; i < n; i++) {
        const char *key = ov[i].key ? ov[i].key : "";
        const char *opt = ov[i].option ? ov[i].option : "--set";
        struct keypath kp = {"", 0};
        bool dup;
        if (!*key)
            return usage(err, opt, key, "empty key");
        if (!ov[i].json)
            return usage(err, opt, key, "missing value");
        cJSON *value = override_value(ov[i].json);
        if (!value)
            return bp_error_set(err, BP_ENOMEM, "%s %s: out of memory",
                                opt, key);
        if (find_duplicate_key(value, &kp, &dup)) {
            cJSON_Delete(value);
            return bp_error_set(err, BP_ENOMEM, "%s %s: out of memory",
                                opt, key);
        }
        if (dup) {
            cJSON_Delete(value);
            return usage(err, opt, key, "duplicate key %s in the value",
                         kp.buf);
        }
        if (set_path(root, opt, key, value, &kp, err))
            return -1;
        po->train_cli |= covers(kp.buf, "data.train");
        po->validation_cli |= covers(kp.buf, "data.validation");
        po->output_cli |= covers(kp.buf, "output");
    }
    return 0;
}

/* An override's key as messages write key paths: "layers.1.units" and
 * "layers[1].units" both as "layers[1].units". False when it does not
 * fit. */
static bool key_as_path(const char *key, char *out, size_t size)
{
    size_t len = 0;
    for (const char *seg = key; *seg;) {
        size_t n = strcspn(seg, ".");
        int w = all_digits(seg, n)
                    ? snprintf(out + len, size - len, "[%.*s]", (int)n, seg)
                    : snprintf(out + len, size - len, "%s%.*s",
                               len ? "." : "", (int)n, seg);
        if (w < 0 || (size_t)w >= size - len)
            return false;
        len += (size_t)w;
        seg += n;
        if (*seg == '.')
            seg++;
    }
    return true;
}

const char *override_option(const struct config_override *ov, size_t n,
                            const char *keypath)
{
    size_t key_len = strlen(keypath);
    for (size_t i = n; i-- > 0;) {
        char path[KEYPATH_MAX];
        if (!ov[i].key || !key_as_path(ov[i].key, path, sizeof path))
            continue;
        size_t p = strlen(path);
        if (p <= key_len && strncmp(keypath, path, p) == 0 &&
            (p == key_len || keypath[p] == '.' || keypath[p] == '['))
            return ov[i].option ? ov[i].option : "--set";
    }
    return NULL;
}
