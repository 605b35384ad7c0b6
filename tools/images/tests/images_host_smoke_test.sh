#!/usr/bin/env bash
# ctest `images_smoke_host` (label images, in `make test`): the CI-speed image
# check. The final stages of every service image are built from the binaries
# and guest assets this build tree already holds (tools/images/build.sh with
# AETHER_IMAGE_BINARIES, Containerfile BINARIES=from-host: nothing compiled
# in the image), tagged <version>-<sha>-host, listed in
# <build>/images-host.txt, then each is smoke-tested for real
# (tools/images/smoke-test.sh).
# Engine: the first that answers (tools/images/engine.sh). With none, podman
# is set up by tools/images/setup-podman.sh when this user may install (root
# or passwordless sudo), as on a fresh CI machine; otherwise a skip (77).
#   images_host_smoke_test.sh BUILD_DIR
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
build=$(cd "${1:?usage: images_host_smoke_test.sh BUILD_DIR}" && pwd)
cd "$root"
t0=$(date +%s)
if ! engine=$(tools/images/engine.sh); then
  if [ "$(id -u)" -eq 0 ] || sudo -n true 2>/dev/null; then
    echo "images_smoke_host: no engine answers: setting podman up (tools/images/setup-podman.sh)"
  else
    echo "images_smoke_host: SKIP: no container engine answers and this user cannot install podman (run make images-setup as root)"
    exit 77
  fi
  engine=podman
fi
if [ "$engine" = podman ]; then tools/images/setup-podman.sh; fi
t1=$(date +%s)
list=$build/images-host.txt
rm -f "$list"
AETHER_IMAGE_BINARIES=$build AETHER_IMAGES_LIST=$list tools/images/build.sh >/dev/null
t2=$(date +%s)
mapfile -t images <"$list"
tools/images/smoke-test.sh "${images[@]}"
echo "images_smoke_host: setup $((t1 - t0)) s, build $((t2 - t1)) s, smoke $(($(date +%s) - t2)) s"
