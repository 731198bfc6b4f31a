#!/bin/bash
# The main job, one stage after the other:
#   fetch base -> apply series -> build modules -> layout guard -> build tests
#   -> initramfs -> boot and run -> verdict
#
#   run.sh            the stock tier: Debian's own 6.12 kernel
#   KERNEL=debug      the debug tier: lockdep + KASAN kernel built from the base
#   KERNEL=<dir>      any kernel build directory (O=) with KVM=m and bzImage
#   SHELL_VM=1        make shell: the same VM, a shell on the console instead
#                     of the tests (no verdict)
#
# Environment: TESTS="a b" (subset), EXTRA=<file|dir>, TEST_TIMEOUT (s, every
# test; default: per test, from harness/test-durations), VM_TIMEOUT (s),
# SERIES_DIR, VERBOSE=1, ACCEL=kvm, BUILD_DIR.
set -euo pipefail
# shellcheck source=harness/common.sh
. "$(dirname "$0")/common.sh"
need_cmd qemu-system-x86_64 python3 pahole patch cpio

KERNEL=${KERNEL:-stock}
BUILD_DIR=$(mkdir -p "${BUILD_DIR:-$REPO_DIR/build}" && realpath "${BUILD_DIR:-$REPO_DIR/build}")
if ! mkdir -p "$KVM_GPC_CACHE" 2>/dev/null || [ ! -w "$KVM_GPC_CACHE" ]; then
	die "cache $KVM_GPC_CACHE is not writable; run as root or set KVM_GPC_CACHE"
fi

t0=$(date +%s)
stage "fetch base" "$HARNESS_DIR/base.sh"
tree=$BUILD_DIR/tree
stage "apply series" "$HARNESS_DIR/series.sh" apply "$tree"

case $KERNEL in
stock)
	tier=stock
	krel=$BASE_KERNEL_RELEASE
	kbuild=$HEADERS_DIR
	vmlinux=$HEADERS_DIR/vmlinux
	image=$STOCK_ROOT/boot/vmlinuz-$krel
	kmods=$STOCK_ROOT/lib/modules/$krel
	;;
*)
	if [ "$KERNEL" = debug ]; then
		tier=debug
		out=$(stage "build debug kernel" "$HARNESS_DIR/kernel.sh" "$BASE_SRC" \
			"$REPO_DIR/config/debug.config")
		kbuild=$(sed -n 's/^KERNEL_BUILD=//p' <<<"$out")
		kmods=$(sed -n 's/^KERNEL_MODROOT=//p' <<<"$out")
	else
		tier=custom
		kbuild=$(realpath "$KERNEL")
		[ -f "$kbuild/vmlinux" ] || die "KERNEL=$KERNEL: no vmlinux; give a built kernel's O= directory"
		make -s -C "$kbuild" modules_install INSTALL_MOD_PATH="$BUILD_DIR/$tier/modroot" >&2
		kmods=$BUILD_DIR/$tier/modroot
	fi
	krel=$(cat "$kbuild/include/config/kernel.release")
	kmods=$kmods/lib/modules/$krel
	vmlinux=$kbuild/vmlinux
	image=$kbuild/arch/x86/boot/bzImage
	;;
esac
[ -f "$image" ] || die "no kernel image at $image"
tdir=$BUILD_DIR/$tier
mkdir -p "$tdir"

stage "build modules ($tier, against $krel)" "$HARNESS_DIR/modules.sh" "$tree" "$kbuild" "$tdir/modules"
stage "layout guard" python3 "$HARNESS_DIR/layout.py" "$vmlinux" "$tdir"/modules/kvm*.ko
stage "build tests" "$HARNESS_DIR/selftests.sh" "$tree" "$BUILD_DIR/selftests" >"$tdir/all-tests"

# TESTS names tests by their basename; an unknown name is a typo, not a skip.
if [ -n "${TESTS:-}" ]; then
	: >"$tdir/tests"
	for t in $TESTS; do
		grep -E "(^|/)$t\$" "$tdir/all-tests" >>"$tdir/tests" ||
			die "TESTS: no selftest named '$t' (see $tdir/all-tests)"
	done
else
	cp "$tdir/all-tests" "$tdir/tests"
fi

stage "initramfs" env TIER=$tier KREL="$krel" KMODS="$kmods" MODULE_SETS="updates=$tdir/modules" \
	TEST_DIR="$BUILD_DIR/selftests" TEST_LIST="$tdir/tests" EXTRA="${EXTRA:-}" \
	OUT="$tdir/initramfs.cpio" "$HARNESS_DIR/initramfs.sh"

if [ -n "${SHELL_VM:-}" ]; then
	echo "shell: the $tier kernel with the series' modules; selftests are on PATH;" \
		"'exit' powers off" >&2
	exec python3 "$HARNESS_DIR/boot.py" --kernel "$image" --initrd "$tdir/initramfs.cpio" \
		--accel "${ACCEL:-tcg}" --shell
fi

run=$tdir/run-$(date +%Y%m%d-%H%M%S)
mkdir -p "$run"
ln -sfn "$(basename "$run")" "$tdir/last"
# Everything the verdict needs, kept with the logs: 'make verdict RUN=$run'
# judges them again.
printf 'tier=%s\npartial=%s\n' "$tier" "$([ -n "${TESTS:-}" ] && echo 1 || echo 0)" >"$run/run-info"
cp "$tree/Documentation/virt/kvm/locking.rst" "$run/locking.rst"
cp "$HARNESS_DIR/known-splats" "$run/known-splats"

# A test's timeout is in the plan; the VM gets half their sum on top of its
# boot, and may be silent for the longest one.
plan=$tdir/initramfs.cpio.d/etc/kvm-gpc/plan
ntests=$(grep -c . "$plan" || true)
read -r longest total < <(awk -F'|' '$3 > m { m = $3 } { s += $3 } END { print m + 0, s + 0 }' "$plan")
boot_rc=0
stage "boot and run ($tier, $ntests tests)" python3 "$HARNESS_DIR/boot.py" \
	--kernel "$image" --initrd "$tdir/initramfs.cpio" --out "$run" \
	--accel "${ACCEL:-tcg}" --silence-timeout $((longest + 120)) \
	--vm-timeout "${VM_TIMEOUT:-$((600 + total / 2))}" \
	${VERBOSE:+--verbose} || boot_rc=$?

# One verdict: test results, splats against harness/known-splats, and on a
# lockdep kernel the lock orders against locking.rst.  Its last line is the
# closing count, and its exit code the run's.
verdict_rc=0
stage "verdict" python3 "$HARNESS_DIR/verdict.py" "$run" >"$run/verdict.txt" || verdict_rc=$?
echo "logs: $run (console.log is the whole kernel log); total $(($(date +%s) - t0))s" >&2
cat "$run/verdict.txt"
# A VM that did not finish is failed by the verdict too; 2 is unusable input.
[ "$verdict_rc" = 0 ] || exit "$verdict_rc"
[ "$boot_rc" = 0 ] || exit "$boot_rc"
