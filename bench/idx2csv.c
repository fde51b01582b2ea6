/* idx2csv: Fashion-MNIST (or MNIST) IDX files to one CSV for backprop.
 *
 *   idx2csv LABELS IMAGES [MAX_ROWS] > out.csv
 *
 * LABELS is an IDX1 file of unsigned bytes (magic 0x00000801), IMAGES an
 * IDX3 file of unsigned bytes (magic 0x00000803, n x rows x cols). Either
 * may be "-" for standard input; both are read strictly in order, so a
 * shell's process substitution works for gzip files:
 *
 *   idx2csv <(zcat train-labels-idx1-ubyte.gz) <(zcat train-images-idx3-ubyte.gz)
 *
 * Output: a header "label,p0,...,pN-1", then one row per image: the label
 * (0..9) and the raw pixel values 0..255, unscaled (the config's
 * normalize {"scale": 1/255} and the PyTorch script both divide by 255).
 * MAX_ROWS, if given, keeps only the first MAX_ROWS samples.
 *
 * Part of bench/, not of backprop: it reports errors on stderr and exits 1.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void die(const char *path, const char *what)
{
    fprintf(stderr, "idx2csv: %s: %s\n", path, what);
    exit(1);
}

static FILE *open_input(const char *path)
{
    if (strcmp(path, "-") == 0)
        return stdin;
    FILE *f = fopen(path, "rb");
    if (!f)
        die(path, strerror(errno));
    return f;
}

static void read_exact(FILE *f, const char *path, void *buf, size_t n)
{
    if (fread(buf, 1, n, f) != n)
        die(path, ferror(f) ? strerror(errno) : "file ends early");
}

/* IDX numbers are big-endian 32-bit. */
static uint32_t read_u32(FILE *f, const char *path)
{
    unsigned char b[4];
    read_exact(f, path, b, sizeof b);
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 |
           (uint32_t)b[3];
}

static unsigned long parse_count(const char *s)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-')
        die(s, "MAX_ROWS must be a non-negative integer");
    return v;
}

int main(int argc, char **argv)
{
    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: idx2csv LABELS IMAGES [MAX_ROWS] > out.csv\n");
        return 2;
    }
    const char *lpath = argv[1], *ipath = argv[2];
    unsigned long max_rows = argc == 4 ? parse_count(argv[3]) : (unsigned long)-1;

    FILE *lf = open_input(lpath);
    if (read_u32(lf, lpath) != 0x00000801u)
        die(lpath, "not an IDX1 unsigned-byte file (magic 0x00000801)");
    uint32_t n_labels = read_u32(lf, lpath);

    FILE *imf = open_input(ipath);
    if (read_u32(imf, ipath) != 0x00000803u)
        die(ipath, "not an IDX3 unsigned-byte file (magic 0x00000803)");
    uint32_t n_images = read_u32(imf, ipath);
    uint32_t rows = read_u32(imf, ipath), cols = read_u32(imf, ipath);
    if (n_images != n_labels)
        die(ipath, "image count differs from the label count");
    if (rows == 0 || cols == 0 || rows > 4096 || cols > 4096)
        die(ipath, "implausible image size");

    size_t pixels = (size_t)rows * cols;
    unsigned char *img = malloc(pixels);
    /* Longest row: "255," per pixel plus the label and a newline. */
    char *line = malloc(pixels * 4 + 16);
    if (!img || !line)
        die(ipath, "out of memory");

    printf("label");
    for (size_t p = 0; p < pixels; p++)
        printf(",p%zu", p);
    putchar('\n');

    unsigned long n = n_images < max_rows ? n_images : max_rows;
    for (unsigned long i = 0; i < n; i++) {
        unsigned char label;
        read_exact(lf, lpath, &label, 1);
        read_exact(imf, ipath, img, pixels);
        char *w = line;
        w += sprintf(w, "%u", (unsigned)label);
        for (size_t p = 0; p < pixels; p++) {
            unsigned v = img[p];
            *w++ = ',';
            if (v >= 100)
                *w++ = (char)('0' + v / 100);
            if (v >= 10)
                *w++ = (char)('0' + v / 10 % 10);
            *w++ = (char)('0' + v % 10);
        }
        *w++ = '\n';
        if (fwrite(line, 1, (size_t)(w - line), stdout) != (size_t)(w - line))
            die("stdout", strerror(errno));
    }
    if (fflush(stdout) != 0 || ferror(stdout))
        die("stdout", strerror(errno));
    free(line);
    free(img);
    if (lf != stdin)
        fclose(lf);
    if (imf != stdin)
        fclose(imf);
    return 0;
}
