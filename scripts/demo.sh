#!/bin/sh
# make demo: train a real network on data that ships with the repository,
# then score it. Usage: scripts/demo.sh ./backprop
set -eu
bp=$1
mkdir -p build
echo "== backprop: training a 4-16-3 network on Fisher's iris data (configs/iris.json)" >&2
"$bp" train configs/iris.json -o build/iris.weights.json
echo "== scoring build/iris.weights.json on all 150 rows (backprop eval)" >&2
"$bp" eval build/iris.weights.json datasets/iris.csv
echo "== the first predictions (backprop predict --proba)" >&2
"$bp" predict --proba build/iris.weights.json datasets/iris.csv | head -4
