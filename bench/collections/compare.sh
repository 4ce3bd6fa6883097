#!/bin/sh
# Before/after of the local-database suite (fieldsync only), alternating two checkouts on the same
# machine: `bench/collections/compare.sh BASE_CHECKOUT [ROUNDS=3] [RUNS=3]`, from this checkout.
# Both checkouts need built packages (`npx tsc -b packages/core packages/client`). Prints each
# round's fieldsync row; compare the medians.
set -e
base=$1; rounds=${2:-3}; runs=${3:-3}
here=$(cd "$(dirname "$0")/../.." && pwd)
[ -d "$base/bench/collections" ] || { echo "usage: $0 BASE_CHECKOUT [ROUNDS] [RUNS]" >&2; exit 2; }
i=1
while [ "$i" -le "$rounds" ]; do
  for side in before after; do
    dir=$base; [ "$side" = after ] && dir=$here
    printf '%s round %s, load %s: ' "$side" "$i" "$(cut -d' ' -f1 /proc/loadavg)"
    (cd "$dir" && node --expose-gc bench/collections/run.js --runs "$runs" --only fieldsync 2>/dev/null | grep '^| fieldsync')
  done
  i=$((i + 1))
done
