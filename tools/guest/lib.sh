# Shared by build-image.sh and build-template.sh: `source` it after setting
# `prog` (the name errors are prefixed with).
# shellcheck shell=bash

die() {
  echo "${prog:-aether}: $*" >&2
  exit 1
}

# need_tools TOOL...: each must be on PATH.
need_tools() {
  local tool
  for tool in "$@"; do
    command -v "${tool}" >/dev/null || die "'${tool}' is not installed (see tools/deps/packages.txt)"
  done
}

# take_lock FILE SECONDS: one builder at a time (parallel ctest runs share the
# output); the lock is fd 9 and is held until the script exits.
take_lock() {
  exec 9>"$1"
  flock -w "$2" 9 || die "timed out waiting for the lock on $1"
}

# up_to_date DIR KEY: DIR was built from inputs KEY and its files still match
# its SHA256SUMS.
up_to_date() {
  [[ -f "$1/inputs.key" && "$(cat "$1/inputs.key")" == "$2" ]] &&
    (cd "$1" && sha256sum --quiet -c SHA256SUMS 2>/dev/null)
}
