# tests/lib.sh -- sourced by shell tests (tests/e2e/*.sh, bench/*.sh).
#
# Conventions: a test script prints "ok - NAME" / "not ok - NAME" lines
# (tests/run.sh counts them) and exits non-zero when any check failed.
# Binaries are in $BIN (default: bin/ of the repository). Shared test data is
# found with wn_data REL: $WINNOW_DATA, else ../shared/data beside the
# repository; when absent the check is skipped with a message, or fails when
# CI=true.
set -u
WN_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${BIN:-$WN_ROOT/bin}
WN_DATA_ROOT=${WINNOW_DATA:-$WN_ROOT/../shared/data}
WN_FAILED=0
WN_TMP=$(mktemp -d "${TMPDIR:-/tmp}/winnow-test.XXXXXX")
trap 'rm -rf "$WN_TMP"' EXIT
PYTHON=/usr/bin/python3   # Debian's python (numpy); not the pyenv one on PATH

ok() { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; WN_FAILED=1; }
# check NAME CMD...: run CMD; ok when it exits 0
check() { local n=$1; shift; if "$@"; then ok "$n"; else not_ok "$n"; fi; }
# check_eq NAME GOT EXPECTED
check_eq() { if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1 (got '$2', expected '$3')"; fi; }

# wn_data REL: prints the path, or returns 1 (failing the test under CI)
wn_data() {
  local p="$WN_DATA_ROOT/$1"
  if [ -e "$p" ]; then echo "$p"; return 0; fi
  if [ "${CI:-}" = true ]; then not_ok "test data absent: $p (set WINNOW_DATA)" >&2; WN_FAILED=1
  else echo "# test data absent: $p (set WINNOW_DATA) -- skipping" >&2; fi
  return 1
}
wn_done() { exit $WN_FAILED; }
