#!/bin/bash
# make check: everything CI runs, and a summary at the end.
#   1. unit: the harness's own unit tests (parser, splat scanner, tables,
#      layout parser, lock order check, kunit.py's reading of our TAP)
#   2. lint: shellcheck on every shell script, pyflakes on every Python file,
#      and every table of the harness parses
#   3. checkpatch --strict on every patch; docs: docutils on the
#      documentation the series touches
#   4. each: every prefix of the series builds (KVM_XEN on and off, selftests)
#   5. stock: make run; integration: the harness can fail (param, layout,
#      hang, panic, flake, base); debug: make run KERNEL=debug
#
# The VM runs use one CPU (single-threaded TCG), so 4 and 5 run side by
# side in two lanes: builds (the debug kernel, then build-each) and VMs
# (stock, integration, then debug once its kernel is built).  Each lane's
# log is in build/check/; the builds' lane is printed when it ends.
# CHECK_STEPS="unit lint" runs a subset.
set -uo pipefail
# shellcheck source=harness/common.sh
. "$(dirname "$0")/common.sh"

steps=${CHECK_STEPS:-unit lint checkpatch docs each stock integration debug}
# The debug tier's kernel is built in the builds' lane, as a step of its own.
case " $steps " in *" debug "*) steps="$steps debug-kernel" ;; esac
logs=$(mkdir -p "${BUILD_DIR:-$REPO_DIR/build}/check" && realpath "${BUILD_DIR:-$REPO_DIR/build}/check")
rm -f "$logs"/summary "$logs"/*.done
t0=$(date +%s)

wanted() {
	case " $steps " in *" $1 "*) return 0 ;; esac
	return 1
}

# step <name> <command...>: run one step if wanted; a line in the summary.
step() {
	local name=$1 s rc=0
	shift
	wanted "$name" || return 0
	s=$(date +%s)
	echo "=== check: $name" >&2
	"$@" || rc=$?
	printf '%-13s %-4s %5ss\n' "$name" "$( ((rc == 0)) && echo ok || echo FAIL)" \
		$(($(date +%s) - s)) >>"$logs/summary"
	return "$rc"
}

lint() {
	local rc=0 sh py
	need_cmd shellcheck pyflakes3
	mapfile -t sh < <(cd "$REPO_DIR" && grep -rlE '^#!/bin/(ba)?sh|^# shellcheck shell=' \
		harness .ci --exclude-dir=data | sort)
	mapfile -t py < <(cd "$REPO_DIR" && find harness -name '*.py' | sort)
	(cd "$REPO_DIR" && shellcheck -x "${sh[@]}") || rc=1
	(cd "$REPO_DIR" && pyflakes3 "${py[@]}") || rc=1
	python3 "$HARNESS_DIR/tables.py" check || rc=1
	# One indentation style for the Python files: four spaces, no tabs.
	if (cd "$REPO_DIR" && grep -ln $'^ *\t' "${py[@]}"); then
		echo "lint: the files above indent with tabs" >&2
		rc=1
	fi
	((rc == 0)) && echo "lint: ${#sh[@]} shell scripts, ${#py[@]} Python files clean" >&2
	return "$rc"
}

checkpatch() {
	local n=0 p list
	"$HARNESS_DIR/base.sh" || return 1
	list=$("$HARNESS_DIR/series.sh" list) || return 1
	for p in $list; do
		# Two checks cannot be right here: Debian's source has no git
		# history to resolve Fixes: ids against, and new selftests sit in
		# directories the KVM MAINTAINERS entries already cover.  It runs
		# from the base, outside any git tree, because its SPDX check
		# (scripts/spdxcheck.py) needs the kernel's own git history too.
		(cd "$BASE_SRC" && perl scripts/checkpatch.pl --strict --quiet --root=. \
			--ignore UNKNOWN_COMMIT_ID,FILE_PATH_CHANGES "$p") || return 1
		n=$((n + 1))
	done
	echo "checkpatch --strict: $n patches clean" >&2
}

# The documentation the series touches must be valid reStructuredText
# (docutils stands in for 'make htmldocs', which needs Sphinx and the tree).
# A file may carry docutils complaints of its own in the base (api.rst's
# quirks table is one, which Sphinx accepts): only new ones fail the step.
docs() {
	local tree=${BUILD_DIR:-$REPO_DIR/build}/tree f list rst
	"$HARNESS_DIR/series.sh" apply "$tree" || return 1
	list=$("$HARNESS_DIR/series.sh" list) || return 1
	# shellcheck disable=SC2086 # one path per word
	mapfile -t rst < <(sed -n 's|^+++ b/\(Documentation/.*\.rst\)$|\1|p' $list | sort -u)
	for f in "${rst[@]}"; do
		python3 "$HARNESS_DIR/rst_new_errors.py" "$BASE_SRC/$f" "$tree/$f" || return 1
		echo "docutils: $f clean" >&2
	done
}

debug_kernel() {
	"$HARNESS_DIR/kernel.sh" "$BASE_SRC" "$REPO_DIR/config/debug.config" >/dev/null
}

# The debug tier starts once the builds' lane has its kernel, and fails
# without running if the build failed or the lane died.
wait_debug_kernel() {
	while [ ! -e "$logs/debug-kernel.done" ] && kill -0 "$builds" 2>/dev/null; do
		sleep 5
	done
	[ "$(cat "$logs/debug-kernel.done" 2>/dev/null)" = ok ] && return 0
	echo "check: no debug kernel (its build failed or the builds' lane died); see $logs/builds.log" >&2
	return 1
}

# The unit tests read the base too (kunit.py's TAP parser).
"$HARNESS_DIR/base.sh" || die "no base"
step unit python3 -m unittest discover -s "$HARNESS_DIR/tests"
step lint lint
step checkpatch checkpatch
step docs docs

set -m	# the lane is a process group of its own, to be killed as one
(
	if wanted debug; then
		if step debug-kernel debug_kernel; then r=ok; else r=failed; fi
		echo "$r" >"$logs/debug-kernel.done"
	fi
	step each "$HARNESS_DIR/build-each.sh"
) >"$logs/builds.log" 2>&1 &
builds=$!
set +m
# An interrupted or failed check does not leave the builds' lane running.
trap 'kill -- -$builds 2>/dev/null' EXIT

step stock "$HARNESS_DIR/run.sh"
step integration "$HARNESS_DIR/tests/integration.sh"
debug_tier() {
	wait_debug_kernel && KERNEL=debug "$HARNESS_DIR/run.sh"
}
step debug debug_tier

wait "$builds"
trap - EXIT
echo "=== check: builds lane (debug kernel, build-each); log $logs/builds.log" >&2
cat "$logs/builds.log" >&2

echo "=== check summary" >&2
# A wanted step with no summary line died without reporting: a failure.
failed=0
for s in $steps; do
	grep -q "^$s " "$logs/summary" 2>/dev/null ||
		echo "$(printf '%-13s %-4s' "$s" FAIL) (did not report)" >>"$logs/summary"
done
cat "$logs/summary" >&2
echo "make check: $(($(date +%s) - t0))s" >&2
! grep -q ' FAIL ' "$logs/summary" || failed=1
exit $failed
