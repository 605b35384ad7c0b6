#!/usr/bin/env bash
# yamllint over the manifests and cloud-init, shellcheck over the deploy,
# image and e2e scripts.
#   lint.sh REPO_ROOT
set -euo pipefail
root=${1:?usage: lint.sh REPO_ROOT}
cd "$root"
yamllint -c tools/deploy-check/yamllint.yaml deploy cloud-init
echo "yamllint: ok"
mapfile -t scripts < <(git ls-files 'tools/images/*.sh' 'tools/deploy-check/*.sh' 'deploy/*.sh' 'e2e/*.sh' 2>/dev/null ||
  find tools/images tools/deploy-check deploy e2e -name '*.sh')
[ ${#scripts[@]} -gt 0 ] || { echo "lint: no scripts found" >&2; exit 1; }
shellcheck "${scripts[@]}"
echo "shellcheck: ${#scripts[@]} scripts ok"
