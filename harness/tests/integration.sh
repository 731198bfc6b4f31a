#!/bin/bash
# The harness proves it can fail.  Each case runs the real pipeline (build,
# boot, verdict) on a scratch copy of the series and checks the outcome; the
# scratch patches are generated here, never committed.  Prints TAP.
set -uo pipefail
# shellcheck source=harness/common.sh
. "$(dirname "$0")/../common.sh"

scratch=$(mktemp -d /tmp/kvm-gpc-integration.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
export BUILD_DIR=$scratch/build
n=0
fails=0

result() {	# result <ok?> <name> <log>
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n $2"
	else
		echo "not ok $n $2"
		sed 's/^/# /' "$3" | tail -n 30
		fails=$((fails + 1))
	fi
}

# scratch_series <name> <file> <sed-script>: the committed series plus one
# patch that applies <sed-script> to <file> as the committed series leaves it.
scratch_series() {
	local dir=$scratch/$1 file=$2 applied=$scratch/applied
	cp -r "$REPO_DIR/series" "$dir"
	mkdir -p "$scratch/edit"
	# The scratch patch goes on top of the series, so it is made against
	# the file as the series leaves it, not as the base has it.
	[ -d "$applied" ] || SERIES_DIR="$REPO_DIR/series" "$HARNESS_DIR/series.sh" apply "$applied" 2>/dev/null ||
		die "the committed series does not apply"
	sed "$3" "$applied/$file" >"$scratch/edit/new"
	cmp -s "$applied/$file" "$scratch/edit/new" && die "sed '$3' did not change $file"
	{
		printf 'From: kvm-gpc harness <harness@localhost>\nSubject: [PATCH] scratch: %s\n\n---\n' "$1"
		diff -u --label "a/$file" --label "b/$file" "$applied/$file" "$scratch/edit/new"
	} >"$dir/9999-scratch.patch"
	echo 9999-scratch.patch >>"$dir/series"
	echo "$dir"
}

probe() {	# probe <name> <shell body>: a tiny EXTRA test
	mkdir -p "$scratch/extra-$1"
	printf '#!/bin/sh\n%s\n' "$2" >"$scratch/extra-$1/$1"
	chmod +x "$scratch/extra-$1/$1"
	echo "$scratch/extra-$1"
}

# Runs the pipeline quietly; TESTS keeps each VM to one quick selftest.
pipeline() {
	TESTS=${TESTS:-kvm_clock_test} "$HARNESS_DIR/run.sh" >"$scratch/log" 2>&1
}

echo "TAP version 13"
echo "1..8"

"$HARNESS_DIR/base.sh" || die "no base"

# 1, 2: a module parameter added by a scratch patch is visible in the VM, and
# the same probe fails without the patch (so the probe itself can fail).
param=$(probe param_visible 'test -e /sys/module/kvm/parameters/kvm_gpc_harness_probe')
series=$(scratch_series param virt/kvm/kvm_main.c \
	'/^MODULE_LICENSE("GPL");/a static bool kvm_gpc_harness_probe;\nmodule_param(kvm_gpc_harness_probe, bool, 0444);')
SERIES_DIR=$series EXTRA=$param pipeline
rc=$?
grep -q '^ok 2 param_visible$' "$scratch/log" && [ $rc = 0 ]
result $? "scratch module parameter shows up in the VM" "$scratch/log"

EXTRA=$param pipeline
rc=$?
grep -q '^not ok 2 param_visible' "$scratch/log" && [ $rc != 0 ]
result $? "without the patch the same probe fails the run" "$scratch/log"

# 3: a patch that grows struct kvm_vcpu_arch moves kvm_vcpu.stat; the layout
# guard must refuse before anything boots.
series=$(scratch_series layout arch/x86/include/asm/kvm_host.h \
	'/^struct kvm_vcpu_arch {/a \	u64 kvm_gpc_layout_probe;')
SERIES_DIR=$series pipeline
rc=$?
[ $rc != 0 ] && grep -q 'Refusing' "$scratch/log" &&
	grep -q 'struct kvm_vcpu.stat' "$scratch/log" && ! grep -q '== boot and run' "$scratch/log"
result $? "layout-changing patch is refused before boot" "$scratch/log"

# 4: a test that hangs is cut off by the per-test timeout, and fails the run.
s=$(date +%s)
TEST_TIMEOUT=5 EXTRA=$(probe hang 'sleep 100000') pipeline
rc=$?
[ $rc != 0 ] && grep -q '^not ok 2 hang # TIMEOUT 5s' "$scratch/log" && (($(date +%s) - s < 300))
result $? "a hanging test is cut off by the timeout" "$scratch/log"

# 5: a kernel panic ends the run with a clear verdict, not a stuck process.
EXTRA=$(probe panic 'echo c > /proc/sysrq-trigger') pipeline
rc=$?
[ $rc != 0 ] && grep -qi 'verdict: FAIL.*panic' "$scratch/log"
result $? "a kernel panic gives a FAIL verdict naming the panic" "$scratch/log"

# 6: a base that is not the pinned one is refused with a clear message.
mkdir -p "$scratch/repo"
cp -r "$REPO_DIR/harness" "$scratch/repo/"
sed 's/^BASE_DEB_VERSION=.*/BASE_DEB_VERSION=6.12.999-1/' "$REPO_DIR/base.conf" >"$scratch/repo/base.conf"
"$scratch/repo/harness/base.sh" >"$scratch/log" 2>&1
rc=$?
[ $rc != 0 ] && grep -q 'base.conf pins 6.12.999-1' "$scratch/log"
result $? "a wrong base version is refused" "$scratch/log"

# 7, 8: flaky-tests, in a scratch copy of the repo that lists two probes: a
# test that fails once and then passes is reported as FLAKY and counted apart
# (not as a pass); a listed test that fails twice fails the run.
rm -rf "$scratch/repo" && mkdir -p "$scratch/repo" "$scratch/flaky"
cp -r "$REPO_DIR/harness" "$REPO_DIR/kmod" "$REPO_DIR/config" "$REPO_DIR/series" \
	"$REPO_DIR/base.conf" "$scratch/repo/"
printf '%s | all | %s\n' flake_once 'fails on its first run only (harness integration test)' \
	fail_always 'fails every run (harness integration test)' >>"$scratch/repo/harness/flaky-tests"
printf '#!/bin/sh\n%s\n' '[ -e /flaked ] && { echo "second run: pass"; exit 0; }' \
	'touch /flaked; echo "first run: fail"; exit 1' >"$scratch/flaky/flake_once"
printf '#!/bin/sh\necho "fails again"; exit 1\n' >"$scratch/flaky/fail_always"
chmod +x "$scratch/flaky/"*
TESTS=kvm_clock_test EXTRA=$scratch/flaky "$scratch/repo/harness/run.sh" >"$scratch/log" 2>&1
rc=$?
grep -q '^ok 3 flake_once # FLAKY failed once (exit code 1), passed on the second run$' "$scratch/log" &&
	grep -q '^1 passed, 1 failed, 0 skipped, 1 flaky$' "$scratch/log"
result $? "a flaky-listed test that fails once is reported FLAKY, counted apart" "$scratch/log"
grep -q '^not ok 2 fail_always # exit code 1, and exit code 1 on the first run$' "$scratch/log" &&
	[ $rc != 0 ] && [ "$(tail -n 1 "$scratch/log")" = '1 passed, 1 failed, 0 skipped, 1 flaky' ]
result $? "a flaky-listed test that fails twice fails the run" "$scratch/log"

echo "# integration: $((n - fails))/$n passed"
exit $((fails != 0))
