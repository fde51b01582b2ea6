#!/bin/sh
# make-fashion-like.sh ROWS > FILE.csv: a synthetic stand-in for a
# Fashion-MNIST subset, with its shape (a "label" column, then 784 pixel
# columns of whole numbers 0..255, ten classes), so the MPI tests need no
# download. Each class is a fixed random pattern; each row is its class's
# pattern, dimmed, under strong noise. The generator is Park-Miller's
# (products stay below 2^53, so every awk computes the same numbers
# exactly): same ROWS, same bytes.
rows=${1:?usage: make-fashion-like.sh ROWS}
exec awk -v rows="$rows" 'BEGIN {
    x = 12345
    for (c = 0; c < 10; c++)
        for (j = 0; j < 784; j++) {
            x = (x * 16807) % 2147483647
            proto[c, j] = x % 256
        }
    printf "label"
    for (j = 0; j < 784; j++) printf ",p%d", j
    printf "\n"
    for (r = 0; r < rows; r++) {
        x = (x * 16807) % 2147483647
        c = x % 10
        printf "%d", c
        for (j = 0; j < 784; j++) {
            x = (x * 16807) % 2147483647
            v = int(proto[c, j] / 4) + (x % 192)
            printf ",%d", (v < 0 ? 0 : (v > 255 ? 255 : v))
        }
        printf "\n"
    }
}'
