# shellcheck shell=bash
# Shared by the e2e targets (local.sh, containers.sh, kind.sh): the env file
# of the target interface (e2e/README.md), written the same way by each.
#
#   e2e_write_env FILE TARGET API_URL API_KEY NATS_URL JAEGER_URL CONTROL
#
# FILE gets one `export NAME='value'` line per variable, mode 0600 (it holds
# an operator key). NATS_URL may be a comma-separated list (a cluster).

# 'value' for a shell, a single quote inside written as '\''
e2e_quote() { printf "'%s'" "${1//\'/\'\\\'\'}"; }

e2e_write_env() {
  [[ $# -eq 7 ]] || { echo "e2e_write_env: 7 arguments, got $#" >&2; return 2; }
  local file=$1
  (
    umask 077
    {
      echo "export AETHER_API_URL=$(e2e_quote "$3")"
      echo "export AETHER_API_KEY=$(e2e_quote "$4")"
      echo "export NATS_URL=$(e2e_quote "$5")"
      echo "export AETHER_JAEGER_URL=$(e2e_quote "$6")"
      echo "export AETHER_E2E_TARGET=$(e2e_quote "$2")"
      echo "export AETHER_E2E_CONTROL=$(e2e_quote "$7")"
    } >"$file.new"
    mv "$file.new" "$file"
  )
}
