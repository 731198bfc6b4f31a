#!/bin/bash
# The main job, one stage after the other:
#   fetch base -> apply series -> build modules -> layout guard -> build tests
#   -> initramfs -> boot and run -> verdict
#
#   run.sh            the stock tier: Debian's own 6.12 kernel
#   KERNEL=debug      the debug tier: lockdep + KASAN kernel built from the base
#   KERNEL=<dir>      any kernel build directory (O=) with KVM=m and bzImage
#
# Environment: TESTS="a b" (subset), EXTRA=<file|dir>, TEST_TIMEOUT (s, per
# test), VM_TIMEOUT (s), SERIES_DIR, VERBOSE=1, ACCEL=kvm, BUILD_DIR.
set -euo pipefail
. "$(dirname "$0")/common.sh"
need_cmd qemu-system-x86_64 python3 pahole patch cpio

KERNEL=${KERNEL:-stock}
TEST_TIMEOUT=${TEST_TIMEOUT:-180}
BUILD_DIR=$(mkdir -p "${BUILD_DIR:-$REPO_DIR/build}" && realpath "${BUILD_DIR:-$REPO_DIR/build}")
mkdir -p "$KVM_GPC_CACHE" 2>/dev/null && [ -w "$KVM_GPC_CACHE" ] ||
	die "cache $KVM_GPC_CACHE is not writable; run as root or set KVM_GPC_CACHE"

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

run=$tdir/run-$(date +%Y%m%d-%H%M%S)
mkdir -p "$run"
ln -sfn "$(basename "$run")" "$tdir/last"
stage "initramfs" env TIER=$tier KREL="$krel" KMODS="$kmods" BUILT_MODULES="$tdir/modules" \
	TEST_DIR="$BUILD_DIR/selftests" TEST_LIST="$tdir/tests" EXTRA="${EXTRA:-}" \
	TEST_TIMEOUT="$TEST_TIMEOUT" OUT="$tdir/initramfs.cpio" "$HARNESS_DIR/initramfs.sh"

ntests=$(grep -c . "$tdir/initramfs.cpio.d/etc/kvm-gpc/tests" || true)
boot_rc=0
stage "boot and run ($tier, $ntests tests)" python3 "$HARNESS_DIR/boot.py" \
	--kernel "$image" --initrd "$tdir/initramfs.cpio" --out "$run" \
	--accel "${ACCEL:-tcg}" --silence-timeout $((TEST_TIMEOUT + 120)) \
	--vm-timeout "${VM_TIMEOUT:-$((600 + ntests * (TEST_TIMEOUT / 2)))}" \
	${VERBOSE:+--verbose} || boot_rc=$?

# Known splats of this tier only: the stock kernel has no lockdep, so a
# lockdep entry would always look stale there.
awk -F'|' -v tier=$tier '
	/^[[:space:]]*(#|$)/ { next }
	{ t = $4; gsub(/[ \t]/, "", t) }
	t == "" || t == "all" || t == tier { print $1 "|" $2 "|" $3 }
' "$HARNESS_DIR/known-splats" >"$run/known-splats"
verdict_rc=0
stage "verdict" python3 "$HARNESS_DIR/verdict.py" --tap "$run/tap.log" \
	--console "$run/console.log" --status "$run/status" \
	--known-splats "$run/known-splats" | tee "$run/verdict.txt" || verdict_rc=$?
# A lockdep kernel leaves /proc/lockdep behind: the orders it observed must
# be the ones locking.rst documents.  Only a complete VM run is checked, and
# with a TESTS subset an order nobody exercised is not held against it.
order_rc=0
if [ -s "$run/lockdep.txt" ] && [ "$(cat "$run/status")" = exit=0 ]; then
	stage "lock order check" python3 "$HARNESS_DIR/lockorder.py" ${TESTS:+--partial} \
		"$tree/Documentation/virt/kvm/locking.rst" "$run/lockdep.txt" |
		tee -a "$run/verdict.txt" || order_rc=$?
fi
echo "logs: $run (console.log is the whole kernel log); total $(($(date +%s) - t0))s" >&2
for rc in $verdict_rc $boot_rc $order_rc; do
	[ "$rc" = 0 ] || exit "$rc"
done
