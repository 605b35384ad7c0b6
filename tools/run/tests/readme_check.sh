#!/usr/bin/env bash
# readme_check.sh [STATE_DIR] [BUILD_DIR] [README]: runs every ```sh block of the
# README that a `<!-- run -->` line marks, in order, in one bash (so a variable
# one block sets, e.g. VM, is there for the next), against the platform that
# `make run` (run.sh up) started in STATE_DIR. The commands run as written,
# from a directory where `.state` is STATE_DIR, `build` is BUILD_DIR and the
# rest of the checkout is linked in, so the README's relative paths work for a
# temp state dir too. Each command runs under `set -euo pipefail`: a failing
# command (or a failing stage of a pipe) fails the check, naming its README
# line, with its output. The environment is a fresh shell's (env -i: HOME,
# PATH), as a newcomer's terminal. Defaults: .state, build, README.md.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
STATE=$(cd "${1:-$ROOT/.state}" && pwd)
BUILD=$(cd "${2:-$ROOT/build}" && pwd)
README=$(readlink -f "${3:-$ROOT/README.md}")
[[ -f $STATE/run/ports.env && -f $STATE/stack.env ]] || {
  echo "readme_check: no make run stack in $STATE (run.sh up first)" >&2
  exit 1
}

WORK=$(mktemp -d /tmp/aether-readme.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
for entry in "$ROOT"/* "$ROOT"/.[!.]*; do
  name=$(basename "$entry")
  [[ $name == build || $name == .state || $name == .git ]] && continue
  ln -s "$entry" "$WORK/$name"
done
ln -s "$STATE" "$WORK/.state"
ln -s "$BUILD" "$WORK/build"

# Blocks: a line `<!-- run -->`, then (blank lines allowed) a ```sh fence.
# Written as files block-N.sh with their starting line number.
awk -v dir="$WORK" '
  /^<!-- run -->[[:space:]]*$/ { armed = 1; next }
  armed && /^[[:space:]]*$/ { next }
  armed && /^```sh[[:space:]]*$/ { n++; file = sprintf("%s/block-%02d.sh", dir, n);
                                    printf "%d\n", NR + 1 > (file ".line"); inblock = 1; armed = 0; next }
  { armed = 0 }
  inblock && /^```[[:space:]]*$/ { inblock = 0; close(file); next }
  inblock { print > file }
' "$README"
shopt -s nullglob
blocks=("$WORK"/block-*.sh)
((${#blocks[@]} > 0)) || { echo "readme_check: no <!-- run --> sh block in $README" >&2; exit 1; }

# One script: each block's commands, each preceded by a marker so a failure
# names its line. The README's comments (`# ...` after a command) are kept.
script=$WORK/all.sh
{
  echo 'set -euo pipefail'
  for b in "${blocks[@]}"; do
    line=$(<"$b.line")
    echo "echo '### README.md:$line' >&2"
    n=0 cmd="" at=0
    while IFS= read -r text || [[ -n $text ]]; do
      [[ -n $cmd ]] || at=$((line + n))
      n=$((n + 1))
      cmd+=$text
      # A line ending in a backslash continues on the next one.
      if [[ $text == *\\ ]]; then cmd+=$'\n'; continue; fi
      if [[ -n ${cmd//[[:space:]]/} ]]; then
        printf 'echo %q >&2\n' "+ README.md:$at: ${cmd%%$'\n'*}"
        printf '%s\n' "$cmd"
      fi
      cmd=""
    done <"$b"
    echo "echo '### ok' >&2"
  done
} >"$script"

rc=0
(cd "$WORK" && env -i HOME="$HOME" PATH="$PATH" LANG=C.UTF-8 TERM=dumb bash "$script" >"$WORK/out" 2>"$WORK/err") || rc=$?
if ((rc != 0)); then
  echo "FAIL: a README command failed (exit $rc); the last one run is the culprit:" >&2
  tail -n 30 "$WORK/err" >&2
  echo "--- its stdout (last lines):" >&2
  tail -n 15 "$WORK/out" >&2
  exit 1
fi
cmds=$(grep -c '^+ README.md:' "$WORK/err")
echo "PASS: ${#blocks[@]} README blocks, $cmds commands, all exited 0"
echo "--- output ---"
cat "$WORK/out"
