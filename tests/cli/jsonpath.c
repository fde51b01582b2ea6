/*
 * jsonpath: a test tool for the command-line tests, which must read
 * backprop's JSON output without python or jq on the machine.
 *
 *   jsonpath FILE|- PATH    print the value at PATH ("layers.1.bias.0";
 *                           "" for the whole document): numbers with
 *                           %.17g, strings raw, the rest as compact JSON.
 *                           Exit 1 if PATH is missing, 2 if not JSON.
 *   jsonpath -l FILE|-      check that every line is a JSON object and
 *                           print how many there are (JSON lines).
 */
#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *slurp(const char *path)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    size_t n;
    while (buf && (n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (cap - len < 2) {
            cap *= 2;
            buf = realloc(buf, cap);
        }
    }
    if (buf)
        buf[len] = '\0';
    if (f != stdin)
        fclose(f);
    return buf;
}

static int json_lines(const char *text)
{
    int count = 0;
    const char *line = text;
    while (*line) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        cJSON *j = cJSON_ParseWithLength(line, len);
        if (!cJSON_IsObject(j)) {
            fprintf(stderr, "jsonpath: line %d is not a JSON object\n",
                    count + 1);
            cJSON_Delete(j);
            return 2;
        }
        cJSON_Delete(j);
        count++;
        line += len + (end ? 1 : 0);
    }
    printf("%d\n", count);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "-l") == 0) {
        char *text = slurp(argv[2]);
        int rc = text ? json_lines(text) : 2;
        free(text);
        return rc;
    }
    if (argc != 3) {
        fprintf(stderr, "usage: jsonpath FILE|- PATH | jsonpath -l FILE|-\n");
        return 2;
    }
    char *text = slurp(argv[1]);
    cJSON *root = text ? cJSON_Parse(text) : NULL;
    free(text);
    if (!root) {
        fprintf(stderr, "jsonpath: %s: not JSON\n", argv[1]);
        return 2;
    }
    cJSON *node = root;
    char *path = strdup(argv[2]);
    for (char *key = strtok(path, "."); key && node; key = strtok(NULL, ".")) {
        char *end;
        long index = strtol(key, &end, 10);
        node = cJSON_IsArray(node) && *end == '\0'
                   ? cJSON_GetArrayItem(node, (int)index)
                   : cJSON_GetObjectItemCaseSensitive(node, key);
    }
    free(path);
    int rc = 0;
    if (!node) {
        rc = 1;
    } else if (cJSON_IsNumber(node)) {
        printf("%.17g\n", node->valuedouble);
    } else if (cJSON_IsString(node)) {
        printf("%s\n", node->valuestring);
    } else {
        char *s = cJSON_PrintUnformatted(node);
        printf("%s\n", s);
        free(s);
    }
    cJSON_Delete(root);
    return rc;
}
