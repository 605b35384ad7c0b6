#!/bin/sh
# The Containerfile's `apt` stage: one package index and every .deb the final
# stages install, fetched once for all of them (tools/images/README.md).
#   apt-stage.sh fetch LIST... [-- PACKAGE...]   in stage apt: apt-get update into /apt/lists,
#       the union of the package lists LIST (one package a line) and PACKAGEs into
#       /apt/archives: taken from /var/cache/apt/archives when it has the very file
#       (the host's archive, mounted by build.sh), downloaded otherwise
#   apt-stage.sh install LIST [PACKAGE...]       in a final stage (the apt stage mounted at
#       /apt): installs LIST and PACKAGEs from /apt only (--no-download), nothing left behind
set -eu
apt_opts="-o Dir::State::Lists=/apt/lists -o Dir::Cache::Archives=/apt/archives/"
export DEBIAN_FRONTEND=noninteractive
cmd=${1:?usage: apt-stage.sh fetch LIST... [-- PACKAGE...] | install LIST [PACKAGE...]}
shift
case $cmd in
  fetch)
    lists=""
    while [ $# -gt 0 ] && [ "$1" != -- ]; do lists="$lists $1"; shift; done
    [ $# -eq 0 ] || shift
    # shellcheck disable=SC2086 # word splitting wanted: file names without blanks
    pkgs=$(cat $lists | sort -u | tr '\n' ' ')
    mkdir -p /apt/lists/partial /apt/archives/partial
    # shellcheck disable=SC2086
    apt-get update -qq $apt_opts
    # the files apt would fetch (Inst NAME (VERSION ... [ARCH])), name_version_arch.deb
    # shellcheck disable=SC2086
    apt-get install -s --no-install-recommends $apt_opts $pkgs "$@" |
      awk '/^Inst /{v=$3; sub(/^\(/, "", v); gsub(/:/, "%3a", v); a=$NF; gsub(/[][()]/, "", a); print $2 "_" v "_" a ".deb"}' >/tmp/debs
    found=0
    while read -r f; do
      if [ -f "/var/cache/apt/archives/$f" ]; then cp "/var/cache/apt/archives/$f" /apt/archives/; found=$((found + 1)); fi
    done </tmp/debs
    echo "apt-stage: $(wc -l </tmp/debs) packages, $found from /var/cache/apt/archives"
    # shellcheck disable=SC2086
    apt-get install -y -qq --download-only --no-install-recommends $apt_opts $pkgs "$@" >/dev/null
    rm -f /tmp/debs /var/cache/apt/*.bin
    echo "apt-stage: /apt $(du -sh /apt | cut -f1)"
    ;;
  install)
    list=${1:?usage: apt-stage.sh install LIST [PACKAGE...]}
    shift
    # shellcheck disable=SC2046,SC2086
    apt-get install -y -qq --no-install-recommends --no-download $apt_opts $(cat "$list") "$@" >/dev/null
    rm -f /var/cache/apt/*.bin
    ;;
  *) echo "apt-stage: unknown command '$cmd' (fetch or install)" >&2; exit 2 ;;
esac
