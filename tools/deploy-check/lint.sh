#!/usr/bin/env bash
# yamllint over the manifests and cloud-init, shellcheck (following sourced
# files) over every shell script git tracks.
#   lint.sh REPO_ROOT
set -euo pipefail
root=${1:?usage: lint.sh REPO_ROOT}
cd "$root"
yamllint -c tools/deploy-check/yamllint.yaml deploy cloud-init
echo "yamllint: ok"
mapfile -t scripts < <(git ls-files '*.sh' 2>/dev/null || find . -name '*.sh' -not -path './build*')
[ ${#scripts[@]} -gt 0 ] || { echo "lint: no scripts found" >&2; exit 1; }
shellcheck -x "${scripts[@]}"
echo "shellcheck: ${#scripts[@]} scripts ok"
