#!/bin/bash
# make check: everything CI runs, cheapest first, and a summary at the end.
#   1. the harness's own unit tests (parser, splat scanner, layout parser)
#   2. checkpatch --strict on every patch of the series, docutils on the
#      documentation it touches, and every prefix of the series builds
#      (KVM_XEN on and off)
#   3. the stock tier: make run
#   4. the harness's integration tests (it can fail: param, layout, hang, panic)
#   5. the debug tier: make run KERNEL=debug
# CHECK_STEPS="unit checkpatch" runs a subset.
set -uo pipefail
. "$(dirname "$0")/common.sh"

steps=${CHECK_STEPS:-unit checkpatch docs each stock integration debug}
declare -a summary
failed=0

step() {
	local name=$1 s rc=0
	shift
	case " $steps " in *" $name "*) ;; *) return 0 ;; esac
	s=$(date +%s)
	echo "=== check: $name" >&2
	"$@" || rc=$?
	summary+=("$(printf '%-12s %-4s %5ss' "$name" "$( ((rc == 0)) && echo ok || echo FAIL)" $(($(date +%s) - s)))")
	((rc == 0)) || failed=1
}

checkpatch() {
	local list n=0 p series_dir
	"$HARNESS_DIR/base.sh" || return 1
	series_dir=$(realpath "${SERIES_DIR:-$REPO_DIR/series}") || return 1
	list=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$series_dir/series")
	for p in $list; do
		# Two checks cannot be right here: Debian's source has no git
		# history to resolve Fixes: ids against, and new selftests sit in
		# directories the KVM MAINTAINERS entries already cover.  It runs
		# from the base, outside any git tree, because its SPDX check
		# (scripts/spdxcheck.py) needs the kernel's own git history too.
		(cd "$BASE_SRC" && perl scripts/checkpatch.pl --strict --quiet --root=. \
			--ignore UNKNOWN_COMMIT_ID,FILE_PATH_CHANGES \
			"$series_dir/$p") || return 1
		n=$((n + 1))
	done
	echo "checkpatch --strict: $n patches clean" >&2
}

# The documentation the series touches must be valid reStructuredText
# (docutils stands in for 'make htmldocs', which needs Sphinx and the tree).
# A file may carry docutils complaints of its own in the base (api.rst's
# quirks table is one, which Sphinx accepts): only new ones fail the step.
docs() {
	local tree=${BUILD_DIR:-$REPO_DIR/build}/tree f
	"$HARNESS_DIR/series.sh" apply "$tree" || return 1
	for f in $(cd "$tree" && grep -l '^+++ b/Documentation/.*\.rst' \
		"${SERIES_DIR:-$REPO_DIR/series}"/*.patch 2>/dev/null |
		xargs -r sed -n 's|^+++ b/\(Documentation/.*\.rst\)$|\1|p' | sort -u); do
		python3 "$HARNESS_DIR/rst_new_errors.py" "$BASE_SRC/$f" "$tree/$f" || return 1
		echo "docutils: $f clean" >&2
	done
}

step unit python3 -m unittest discover -s "$HARNESS_DIR/tests"
step checkpatch checkpatch
step docs docs
step each "$HARNESS_DIR/build-each.sh"
step stock "$HARNESS_DIR/run.sh"
step integration "$HARNESS_DIR/tests/integration.sh"
step debug env KERNEL=debug "$HARNESS_DIR/run.sh"

echo "=== check summary" >&2
printf '%s\n' "${summary[@]}" >&2
exit $failed
