#!/usr/bin/env bash
# Installs the pinned npm packages of package-lock.json into DIR/node_modules
# (the build tree), once: a second run with the same lock file does nothing.
# npm itself comes from Debian (packages nodejs, npm) when it is missing.
#   install-npm.sh DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dir=${1:?usage: install-npm.sh DIR}
mkdir -p "$dir"
if ! command -v npm >/dev/null; then
  echo "deploy-check: npm missing, installing Debian's nodejs and npm"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends nodejs npm
fi
if [ -f "$dir/node_modules/.aether-lock" ] && cmp -s "$here/package-lock.json" "$dir/node_modules/.aether-lock"; then
  echo "deploy-check: npm packages up to date in $dir"
  exit 0
fi
cp "$here/package.json" "$here/package-lock.json" "$dir/"
(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
cp "$here/package-lock.json" "$dir/node_modules/.aether-lock"
echo "deploy-check: npm packages installed in $dir"
