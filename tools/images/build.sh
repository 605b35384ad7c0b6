#!/usr/bin/env bash
# Builds one image per service from ./Containerfile with podman (preferred) or
# docker, tagged aether/<service>:<version>-<git sha>. What `make images` runs.
#
#   tools/images/build.sh [SERVICE...]     default: every services/<s>/main.cpp but vm-agent
#   tools/images/build.sh stack            nats, PostgreSQL, Redis (e2e target containers)
#
# Environment: AETHER_CONTAINER_ENGINE (podman|docker; default the first
# whose `info` answers, tools/images/engine.sh), AETHER_BASE_IMAGE
# (default localhost/debian:12 when podman has it, else debian:12-slim),
# AETHER_IMAGE_REPO (default aether), AETHER_CCACHE_DIR (host ccache mounted
# into the build with podman; default ccache's own dir; "off" to not mount),
# AETHER_APT_CACHE_DIR (host .deb cache mounted into the build; default
# /var/cache/apt/archives with the debootstrap'd base, else off).
# Prints the tags built, one a line, on stdout (progress on stderr), and
# writes them to build/images.txt (AETHER_IMAGES_LIST) for the smoke test; each image is tagged
# <version> too, the tag the kustomize overlays pin.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"

# the engine that answers (podman first), not merely one installed
engine=$(tools/images/engine.sh) || exit 2

version=$(sed -n 's/^project(aether VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
[ -n "$version" ] || { echo "images: no project(aether VERSION x.y.z) in CMakeLists.txt" >&2; exit 2; }
sha=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
[ -z "$(git status --porcelain --untracked-files=no 2>/dev/null)" ] || sha="$sha-dirty"
tag="$version-$sha"
repo=${AETHER_IMAGE_REPO:-aether}

if [ $# -gt 0 ]; then services=("$@"); else
  mapfile -t services < <(for d in services/*/main.cpp; do basename "$(dirname "$d")"; done | grep -vx vm-agent)
fi
for s in "${services[@]}"; do
  grep -q "^FROM .* AS $s\$" Containerfile || { echo "images: no stage '$s' in Containerfile" >&2; exit 2; }
  # stack (nats, PostgreSQL, Redis for the e2e target `containers`) is no service
  [ "$s" = stack ] || [ -f "services/$s/main.cpp" ] ||
    { echo "images: services/$s/main.cpp does not exist" >&2; exit 2; }
done

# The build context is the commit the tag names (git archive of HEAD), not the
# work tree: the image is what the sha says, and edits made while the images
# build do not invalidate podman's layer cache between the targets.
# AETHER_IMAGE_CONTEXT=worktree builds the work tree as it is (tag -dirty).
ctx=$root
if [ "${AETHER_IMAGE_CONTEXT:-commit}" = commit ] && git rev-parse HEAD >/dev/null 2>&1; then
  sha=${sha%-dirty}
  tag="$version-$sha"
  ctx=$(mktemp -d /var/tmp/aether-image-context.XXXXXX)
  trap 'rm -rf "$ctx"' EXIT
  git archive HEAD | tar -x -C "$ctx"
  # one fixed mtime: podman's layer cache keys COPY on file metadata too, so
  # an unchanged tools/deps/ keeps its (12 min) package layer across commits
  find "$ctx" -exec touch -h -d @1700000000 {} +
fi

# AETHER_IMAGE_BINARIES=BUILD_DIR: the CI-speed path. The final stages take
# the binaries and guest assets BUILD_DIR already holds (the host's `make
# build` and the vmm_guest_image test), staged into the context's .prebuilt/
# with their runtime package lists; nothing is compiled in the image. The
# images are tagged <version>-<sha>-host (never the release tag: they are
# the host tree's, not the commit's).
prebuilt=${AETHER_IMAGE_BINARIES:-}
if [ -n "$prebuilt" ]; then
  [ "$ctx" != "$root" ] || { ctx=$(mktemp -d /var/tmp/aether-image-context.XXXXXX); trap 'rm -rf "$ctx"' EXIT; git archive HEAD | tar -x -C "$ctx"; }
  mkdir -p "$ctx/.prebuilt/bin" "$ctx/.prebuilt/guest"
  for s in "${services[@]}"; do
    [ "$s" != stack ] || continue
    bin="$prebuilt/services/$s/aether-$s"
    [ -x "$bin" ] || { echo "images: $bin is not built (AETHER_IMAGE_BINARIES=$prebuilt)" >&2; exit 2; }
    strip -o "$ctx/.prebuilt/bin/aether-$s" "$bin"
    tools/images/runtime-packages.sh "$ctx/.prebuilt/bin/aether-$s" >"$ctx/.prebuilt/aether-$s.packages"
  done
  for f in vmlinux initramfs.cpio manifest.json SHA256SUMS; do
    [ -f "$prebuilt/guest/$f" ] || { echo "images: $prebuilt/guest/$f is missing (ctest -R '^vmm_guest_image\$' builds the guest)" >&2; exit 2; }
  done
  # The images carry the guest the from-source stage builds: kernel and
  # initramfs. The host's guest dir may also hold rootfs.ext4 (the
  # vmm_guest_rootfs test), so both sum lists are trimmed to what is staged.
  cp "$prebuilt/guest/vmlinux" "$prebuilt/guest/initramfs.cpio" "$ctx/.prebuilt/guest/"
  grep -E '  (vmlinux|initramfs\.cpio)$' "$prebuilt/guest/SHA256SUMS" >"$ctx/.prebuilt/guest/SHA256SUMS"
  jq '.artefacts |= with_entries(select(.key == "vmlinux" or .key == "initramfs.cpio"))' \
    "$prebuilt/guest/manifest.json" >"$ctx/.prebuilt/guest/manifest.json"
  find "$ctx/.prebuilt" -exec touch -h -d @1700000000 {} +
  tag="$tag-host"
fi
binaries=from-source
[ -z "$prebuilt" ] || binaries=from-host

base=${AETHER_BASE_IMAGE:-}
if [ -z "$base" ]; then
  if [ "$engine" = podman ] && podman image exists localhost/debian:12; then base=localhost/debian:12
  else base=debian:12-slim; fi
fi

args=(build --network host
  --build-arg "BASE_IMAGE=$base" --build-arg "VERSION=$version" --build-arg "GIT_SHA=$sha"
  --build-arg "SERVICES=${services[*]}" --build-arg "BINARIES=$binaries"
  # on the command line too: podman's layer cache keeps the runtime stage's
  # LABEL layer across builds whatever the GIT_SHA build argument says, so
  # images of a new commit carried the old revision (found by the smoke test)
  --label "org.opencontainers.image.version=$version" --label "org.opencontainers.image.revision=$sha")
# AETHER_IMAGE_NO_CACHE=1: no layer cache (what a fresh CI machine sees)
[ -z "${AETHER_IMAGE_NO_CACHE:-}" ] || args+=(--no-cache)
ccache_dir=${AETHER_CCACHE_DIR:-$(ccache -k cache_dir 2>/dev/null || true)}
if [ "$engine" = podman ] && [ "$ccache_dir" != off ] && [ -n "$ccache_dir" ]; then
  mkdir -p "$ccache_dir"
  args+=(-v "$ccache_dir:/ccache")
  max=$(ccache -k max_size 2>/dev/null || true)
  [ -z "$max" ] || args+=(--build-arg "CCACHE_MAXSIZE=$max")
  # ccache hashes LANG and LC_*: the compile inside runs with the host's
  [ -z "${LC_ALL:-}${LC_CTYPE:-}${LC_MESSAGES:-}" ] ||
    echo "images: LC_ALL/LC_CTYPE/LC_MESSAGES are set: ccache objects of this host will not hit in the image build (only LANG is passed)" >&2
  args+=(--build-arg "HOST_LANG=${LANG:-}")
fi
# The host's apt archive (.deb files) mounted over the build's: packages the
# host already downloaded are not fetched again. Only with the debootstrap'd
# base: debian:12-slim's docker-clean hook deletes /var/cache/apt/archives/*.deb
# after every install, which would empty the host's cache.
apt_dir=${AETHER_APT_CACHE_DIR:-}
if [ -z "$apt_dir" ]; then
  if [ "$engine" = podman ] && [ "$base" = localhost/debian:12 ]; then apt_dir=/var/cache/apt/archives; else apt_dir=off; fi
fi
if [ "$apt_dir" != off ]; then
  mkdir -p "$apt_dir/partial"
  args+=(-v "$apt_dir:/var/cache/apt/archives")
fi

# build/images.txt: one tag per image, the last one built of each (a build of
# some images keeps the others' lines)
list=${AETHER_IMAGES_LIST:-build/images.txt}
mkdir -p "$(dirname "$list")"
touch "$list"
start=$(date +%s)
# the apt stage (package index and .debs of all final stages) as an image the
# final stages mount by name (Containerfile, stage apt: a cached stage mounts empty)
if [ "${services[*]}" != stack ]; then
  apt_image=localhost/aether-build/apt:$tag
  echo "images: $engine build --target apt -> $apt_image" >&2
  "$engine" "${args[@]}" -f "$ctx/Containerfile" --target apt -t "$apt_image" "$ctx" >&2
  echo "images: $apt_image in $(($(date +%s) - start)) s" >&2
  args+=(--build-arg "APT_IMAGE=$apt_image")
fi
for s in "${services[@]}"; do
  t0=$(date +%s)
  echo "images: $engine build --target $s -> $repo/$s:$tag (base $base)" >&2
  "$engine" "${args[@]}" -f "$ctx/Containerfile" --target "$s" -t "$repo/$s:$tag" "$ctx" >&2
  echo "images: $repo/$s:$tag in $(($(date +%s) - t0)) s" >&2
  # the release version too (the overlays pin it): never :latest
  [ -n "$prebuilt" ] || "$engine" tag "$repo/$s:$tag" "$repo/$s:$version"
  grep -v "^$repo/$s:" "$list" >"$list.new" || true
  echo "$repo/$s:$tag" | tee -a "$list.new"
  mv "$list.new" "$list"
done
echo "images: ${#services[@]} image(s) in $(($(date +%s) - start)) s" >&2
