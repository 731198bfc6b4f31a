#!/bin/bash
# The main job, one stage after the other:
#   fetch base -> apply series -> build modules -> layout guard -> build tests
#   -> initramfs -> boot and run -> verdict
#
#   run.sh            the stock tier: Debian's own 6.12 kernel
#   KERNEL=debug      the debug tier: lockdep + KASAN kernel built from the base
#   KERNEL=<dir>      any kernel build directory (O=) with KVM=m and bzImage
#   ARCH=arm64        the arm64 tier: KVM is built in there, so the kernel is
#                     the base plus the series (lockdep + KASAN), cross-built;
#                     no module stages; KERNEL=base boots the base without
#                     the series, for comparisons
#   SHELL_VM=1        make shell: the same VM, a shell on the console instead
#                     of the tests (no verdict)
#
# Environment: TESTS="a b" (subset), EXTRA=<file|dir>, TEST_TIMEOUT (s, every
# test; default: per test, from harness/test-durations), VM_TIMEOUT (s),
# SERIES_DIR, VERBOSE=1, ACCEL=kvm, BUILD_DIR, APPEND (more kernel command
# line, after the machine's: e.g. kvm-arm.vgic_v4_enable=0 for a negative
# control on arm64).
set -euo pipefail
# shellcheck source=harness/common.sh
. "$(dirname "$0")/common.sh"
load_arch
need_cmd "$QEMU" python3 pahole patch cpio

KERNEL=${KERNEL:-stock}
BUILD_DIR=$(mkdir -p "${BUILD_DIR:-$REPO_DIR/build}" && realpath "${BUILD_DIR:-$REPO_DIR/build}")
if ! mkdir -p "$KVM_GPC_CACHE" 2>/dev/null || [ ! -w "$KVM_GPC_CACHE" ]; then
	die "cache $KVM_GPC_CACHE is not writable; run as root or set KVM_GPC_CACHE"
fi

t0=$(date +%s)
stage "fetch base" "$HARNESS_DIR/base.sh"
tree=$BUILD_DIR/tree
modules=1
if [ "$ARCH" = arm64 ]; then
	# The kernel is built from the tree, so the tree stays where the last
	# build left it (one per name, in the cache): an unchanged series then
	# costs nothing, and a changed one an incremental build.
	modules=
	name=series
	[ "$KERNEL" != base ] || name=base
	[ "$KERNEL" = stock ] || [ "$KERNEL" = base ] || die "ARCH=arm64 takes KERNEL=base or nothing"
	tree=$KVM_GPC_CACHE/arm64/$name
	mkdir -p "$KVM_GPC_CACHE/arm64"
	# Held until the tests are built from the tree.
	exec 8>"$KVM_GPC_CACHE/arm64/.lock-$name"
	flock -w 3600 8 || die "another arm64 run has held $KVM_GPC_CACHE/arm64/.lock-$name for an hour"
	if [ "$name" = base ]; then	# an empty series
		export SERIES_DIR=$BUILD_DIR/no-series
		mkdir -p "$SERIES_DIR" && : >"$SERIES_DIR/series"
	fi
	id=$("$HARNESS_DIR/series.sh" id)
	if [ "$(cat "$tree/.kvm-gpc-series" 2>/dev/null)" = "$id" ]; then
		echo "== apply series: $tree is already series $id" >&2
	else
		stage "apply series" "$HARNESS_DIR/series.sh" apply "$tree"
	fi
	out=$(stage "build arm64 kernel ($name)" env KARCH=arm64 TREE_NAME=$name TREE_ID="$id" \
		"$HARNESS_DIR/kernel.sh" "$tree" "$REPO_DIR/config/arm64-debug.config")
	KERNEL=arm64
else
	stage "apply series" "$HARNESS_DIR/series.sh" apply "$tree"
fi

case $KERNEL in
arm64)
	tier=arm64
	kbuild=$(sed -n 's/^KERNEL_BUILD=//p' <<<"$out")
	krel=$(cat "$kbuild/include/config/kernel.release")
	image=$(sed -n 's/^KERNEL_IMAGE=//p' <<<"$out")
	kmods=
	;;
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

if [ -n "$modules" ]; then
	stage "build modules ($tier, against $krel)" "$HARNESS_DIR/modules.sh" "$tree" "$kbuild" "$tdir/modules"
	stage "layout guard" python3 "$HARNESS_DIR/layout.py" "$vmlinux" "$tdir"/modules/kvm*.ko
fi
tests=$BUILD_DIR/selftests${CROSS_COMPILE:+-$ARCH}
stage "build tests" env ARCH="$ARCH" "$HARNESS_DIR/selftests.sh" "$tree" "$tests" >"$tdir/all-tests"
# The arm64 tree may change again from here on (another run), not before.
[ -n "$modules" ] || exec 8>&-

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

stage "initramfs" env ARCH="$ARCH" TIER=$tier KREL="$krel" KMODS="$kmods" \
	MODULE_SETS="${modules:+updates=$tdir/modules}" TEST_DIR="$tests" TEST_LIST="$tdir/tests" EXTRA="${EXTRA:-}" \
	OUT="$tdir/initramfs.cpio" "$HARNESS_DIR/initramfs.sh"

if [ -n "${SHELL_VM:-}" ]; then
	echo "shell: the $tier kernel with the series' modules; selftests are on PATH;" \
		"'exit' powers off" >&2
	exec python3 "$HARNESS_DIR/boot.py" --kernel "$image" --initrd "$tdir/initramfs.cpio" \
		--arch "$ARCH" --accel "${ACCEL:-tcg}" --append "${APPEND:-}" --shell
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
	--arch "$ARCH" --accel "${ACCEL:-tcg}" --append "${APPEND:-}" --silence-timeout $((longest + 120)) \
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
