#!/usr/bin/env bash
# Prints the container engine to use, podman or docker, the first whose
# daemon or runtime answers (`ENGINE info` succeeds), and says on stderr
# which it picked and why. An installed CLI alone is not enough: a docker
# CLI without a reachable daemon would fail every build. AETHER_CONTAINER_ENGINE
# forces one (still checked). Exit 1, naming each engine tried and what it
# said, when none answers.
#   engine=$(tools/images/engine.sh) || exit
set -uo pipefail
if [ -n "${AETHER_CONTAINER_ENGINE:-}" ]; then candidates=("$AETHER_CONTAINER_ENGINE"); else candidates=(podman docker); fi
tried=()
for e in "${candidates[@]}"; do
  if ! command -v "$e" >/dev/null; then tried+=("$e: not installed"); continue; fi
  if out=$("$e" info 2>&1 >/dev/null); then
    echo "images: engine $e ($(command -v "$e"): '$e info' answers)" >&2
    echo "$e"
    exit 0
  fi
  tried+=("$e: '$e info' failed: $(printf '%s' "$out" | grep -v '^\s*$' | tail -1)")
done
echo "images: no usable container engine (make images-setup installs and sets up podman):" >&2
printf '  %s\n' "${tried[@]}" >&2
exit 1
