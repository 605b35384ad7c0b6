#!/usr/bin/env bash
# cloud-init schema over every user-data file in cloud-init/, and a broken
# copy that must be refused (so the check cannot pass by not checking).
#   cloud-init-check.sh REPO_ROOT WORKDIR
set -euo pipefail
root=${1:?usage: cloud-init-check.sh REPO_ROOT WORKDIR}
work=${2:?}
command -v cloud-init >/dev/null || { echo "cloud-init is missing: install Debian's cloud-init (tools/deps/packages.txt)" >&2; exit 1; }
n=0
for f in "$root"/cloud-init/*.yaml; do
  cloud-init schema --config-file "$f"
  grep -q 'aether.io/unprovisioned:NoSchedule' "$f" || { echo "$f: no aether.io/unprovisioned:NoSchedule taint" >&2; exit 1; }
  n=$((n + 1))
done
[ "$n" -gt 0 ] || { echo "no user-data in $root/cloud-init" >&2; exit 1; }
mkdir -p "$work"
sed 's/^runcmd:$/runcmd: "not a list"/' "$root/cloud-init/worker-node.yaml" >"$work/broken-user-data.yaml"
if cloud-init schema --config-file "$work/broken-user-data.yaml" >/dev/null 2>&1; then
  echo "cloud-init schema accepted a broken user-data (runcmd as a string)" >&2; exit 1
fi
echo "cloud-init: $n user-data file(s) valid; the broken copy was refused"
