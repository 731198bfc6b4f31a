#!/bin/bash
# Stage 5, build tests: the KVM selftests from the patched tree, linked
# statically so the initramfs needs no libc, against the tree's own uapi
# headers (which the series may change).  ARCH=arm64 cross-builds them
# (harness/arch/<ARCH>.conf, default x86_64).
#
#   selftests.sh <tree> <out-dir> [test...]
#
# prints one test path per line, relative to <out-dir>: every test the
# Makefile builds for the architecture, or only the ones named (e.g.
# x86_64/foo_test).
set -euo pipefail
# shellcheck source=harness/common.sh
. "$(dirname "$0")/common.sh"
load_arch
need_cmd make ccache "${CROSS_COMPILE}gcc"

tree=$(realpath "${1:?usage: selftests.sh <tree> <out-dir> [test...]}")
mkdir -p "${2:?missing out dir}"
out=$(realpath "$2")
shift 2
log=$out/selftests.log

{
	make -C "$tree" O="$out/hdr" ARCH="$SELFTEST_ARCH" headers_install \
		INSTALL_HDR_PATH="$out/hdr/usr" &&
	make -C "$tree/tools/testing/selftests/kvm" -j"$(nproc)" CC="ccache ${CROSS_COMPILE}gcc" \
		${CROSS_COMPILE:+ARCH="$SELFTEST_ARCH" CROSS_COMPILE="$CROSS_COMPILE"} \
		OUTPUT="$out" KHDR_INCLUDES="-isystem $out/hdr/usr/include" \
		EXTRA_CFLAGS=-static LDFLAGS=-static "${@/#/$out/}"
} >"$log" 2>&1 || {
	tail -n 40 "$log" >&2
	die "selftest build failed; full log: $log"
}

if [ $# -gt 0 ]; then
	printf '%s\n' "$@"
	exit 0
fi
# The test list is what the selftests Makefile built for x86_64, nothing
# hand-maintained: executables without a suffix, outside hdr/ and lib/.
(cd "$out" && find . -path ./hdr -prune -o -path ./lib -prune -o \
	-type f -perm -u+x ! -name '*.*' -print | sed 's|^\./||' | sort)
