#!/bin/sh
# Installs the Debian packages backprop needs to build and test, and only
# those that are missing. Safe to run again: with everything present it
# does nothing and needs no network.
#
#   scripts/install-deps.sh            build and `make check`
#   scripts/install-deps.sh tsan fuzz  also what those make targets need
set -eu

packages="gcc libc6-dev make pkg-config libcsv-dev libcjson-dev check libsubunit-dev libxml2-utils"
for group in "$@"; do
    case $group in
    tsan) packages="$packages clang libomp-14-dev" ;;
    fuzz) packages="$packages clang" ;;
    valgrind) packages="$packages valgrind" ;;
    mpi) packages="$packages libopenmpi-dev openmpi-bin" ;;
    *) echo "install-deps: unknown group $group (tsan, fuzz, valgrind, mpi)" >&2
       exit 2 ;;
    esac
done
missing=""
for p in $packages; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

echo "backprop: installing:$missing" >&2
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO=sudo
    else
        echo "backprop: run as root, or install:$missing" >&2
        exit 1
    fi
else
    SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
