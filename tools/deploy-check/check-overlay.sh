#!/usr/bin/env bash
# Renders one overlay with `kubectl kustomize`, validates every object against
# the Kubernetes JSON schemas offline (validate.mjs) and runs the policy
# checks (policy.py) over it.
#   check-overlay.sh REPO_ROOT ENV WORKDIR     (WORKDIR holds node_modules)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=${1:?usage: check-overlay.sh REPO_ROOT ENV WORKDIR}
env=${2:?}
work=${3:?}
command -v kubectl >/dev/null || { echo "deploy-check: kubectl is missing (it needs Kustomize components support: kubectl >= 1.21)" >&2; exit 1; }
out="$work/render-$env"
kubectl kustomize "$root/deploy/kustomize/overlays/$env" >"$out.yaml"
# the manifests outside the overlays are checked with dev's render
if [ "$env" = dev ]; then printf -- '---\n' >>"$out.yaml"; cat "$root/deploy/restore-job.yaml" >>"$out.yaml"; fi
python3 - "$out.yaml" "$out.json" <<'PY'
import json, sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
# kustomize folds long base64 values over lines; the API server's decoder
# ignores the newlines, the schema's "byte" format does not: join them.
for d in docs:
    if d.get("kind") == "Secret":
        d["data"] = {k: "".join(v.split()) for k, v in d.get("data", {}).items()}
json.dump(docs, open(sys.argv[2], "w"))
print(f"rendered {len(docs)} objects")
PY
# a copy beside node_modules (module resolution), one per overlay (ctest -j)
cp "$here/validate.mjs" "$work/validate-$env.mjs"
rc=0
node "$work/validate-$env.mjs" "$out.json" >"$out.validate" || rc=$?
grep -v '^ok ' "$out.validate" || true
[ "$rc" -eq 0 ] || exit "$rc"
python3 "$here/policy.py" "$env" "$out.json"
