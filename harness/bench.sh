#!/bin/bash
# make bench: the benchmarks on the base and on the series, side by side in
# one VM, so that both see the same emulated machine: gpc refresh latency
# (xen_gpc_refresh_perf_test), Xen event channel and runstate costs
# (xen_evtchn_perf_test).
#
#   base tree + series tree -> both module sets (stock headers) -> layout guard
#   -> the benchmarks, built from the series tree -> one initramfs with both
#   sets -> boot: base, series, base, series, ... -> tables on the host
#
# Environment: SERIES_DIR, BUILD_DIR, ROUNDS (base+series pairs, default 3),
# BENCH_ARGS (passed to xen_gpc_refresh_perf_test; default "-n 5000": with
# 5000 samples a phase's p99 is its 50th worst, which is steadier under
# emulation than the 20th worst of the benchmark's own default),
# EVTCHN_ARGS (passed to xen_evtchn_perf_test; default none), VERBOSE=1,
# BENCH_CLOCK: "icount" (default) makes guest time count instructions
# (QEMU -icount shift=0,sleep=off), so every time and rate is a cost in
# guest instructions and two runs agree to within 0.1% whatever the host
# does; "wall" runs on the host's clock, for latency under load.
# A benchmark that the series tree does not have is left out.
# Logs: $BUILD_DIR/bench/run-<time>/ (tap.log holds the raw numbers).
set -euo pipefail
# shellcheck source=harness/common.sh
. "$(dirname "$0")/common.sh"
need_cmd qemu-system-x86_64 python3 pahole patch cpio

ROUNDS=${ROUNDS:-3}
BENCH_ARGS=${BENCH_ARGS--n 5000}
EVTCHN_ARGS=${EVTCHN_ARGS-}
BENCH_CLOCK=${BENCH_CLOCK:-icount}
case $BENCH_CLOCK in
icount) clock_opt=--icount ;;
wall) clock_opt= ;;
*) die "BENCH_CLOCK=$BENCH_CLOCK: give icount or wall" ;;
esac
BENCHES="x86_64/xen_gpc_refresh_perf_test x86_64/xen_evtchn_perf_test"
BUILD_DIR=$(mkdir -p "${BUILD_DIR:-$REPO_DIR/build}" && realpath "${BUILD_DIR:-$REPO_DIR/build}")
out=$BUILD_DIR/bench
krel=$BASE_KERNEL_RELEASE
mkdir -p "$out"

# Just the benchmarks the series tree has, not the whole selftest suite:
# they are the only binaries the VM runs.  $out/tests lists them.
# shellcheck disable=SC2317  # called through stage()
build_bench() {
	local tree=$1 dir=$2 b targets=()
	for b in $BENCHES; do
		if [ -f "$tree/tools/testing/selftests/kvm/$b.c" ]; then
			targets+=("$b")
		else
			echo "bench: the series has no $b, left out" >&2
		fi
	done
	[ ${#targets[@]} -gt 0 ] || die "the series tree has none of: $BENCHES"
	"$HARNESS_DIR/selftests.sh" "$tree" "$dir" "${targets[@]}" >"$out/tests"
}

# The usual initramfs, with both module sets in /bench/<set>/ and
# guest/bench-init.sh as /init.
# shellcheck disable=SC2317  # called through stage()
make_initramfs() {
	cat >"$out/bench.conf" <<-CONF
		ROUNDS=$ROUNDS
		BENCH_ARGS="$BENCH_ARGS"
		EVTCHN_ARGS="$EVTCHN_ARGS"
		BENCHES="$(xargs -n1 basename <"$out/tests" | tr '\n' ' ')"
	CONF
	env TIER=stock KREL="$krel" KMODS="$STOCK_ROOT/lib/modules/$krel" \
		MODULE_SETS="base=$out/base/modules series=$out/series/modules" \
		TEST_DIR="$out/selftests" TEST_LIST="$out/tests" EXTRA= \
		INIT="$HARNESS_DIR/guest/bench-init.sh" GUEST_CONF="$out/bench.conf" \
		OUT="$out/initramfs.cpio" "$HARNESS_DIR/initramfs.sh"
}

stage "fetch base" "$HARNESS_DIR/base.sh"
# The base is the empty series: the same apply step, so the two trees
# differ by the patches and nothing else.
mkdir -p "$out/empty-series"
: >"$out/empty-series/series"
stage "base tree" env SERIES_DIR="$out/empty-series" "$HARNESS_DIR/series.sh" apply "$out/base/tree"
stage "series tree" "$HARNESS_DIR/series.sh" apply "$out/series/tree"
for k in base series; do
	stage "build modules ($k)" "$HARNESS_DIR/modules.sh" "$out/$k/tree" "$HEADERS_DIR" "$out/$k/modules"
	stage "layout guard ($k)" python3 "$HARNESS_DIR/layout.py" "$HEADERS_DIR/vmlinux" "$out/$k"/modules/kvm*.ko
done
stage "build benchmark (series tree)" build_bench "$out/series/tree" "$out/selftests"
stage "initramfs" make_initramfs

run=$out/run-$(date +%Y%m%d-%H%M%S)
mkdir -p "$run"
ln -sfn "$(basename "$run")" "$out/last"
# A refresh phase is bounded by its budget (-b, 60 s by default), and there
# are three; xen_evtchn_perf_test takes about 25 s with its defaults, so
# 120 s more is room enough under load.  The VM gets that for every run,
# plus boot time.
budget=$(sed -n 's/.*-b *\([0-9]\+\).*/\1/p' <<<"$BENCH_ARGS")
per_run=$((3 * ${budget:-60} + 120 + 120))
# Other jobs on the host stretch the emulated vCPUs' time slices, and the
# latencies with them: say how busy the host was, to read the table by.
echo "clock: $BENCH_CLOCK; host load before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
boot_rc=0
stage "boot and bench ($ROUNDS rounds)" python3 "$HARNESS_DIR/boot.py" \
	--kernel "$STOCK_ROOT/boot/vmlinuz-$krel" --initrd "$out/initramfs.cpio" \
	--out "$run" --silence-timeout "$per_run" \
	--vm-timeout $((300 + 2 * ROUNDS * per_run)) $clock_opt ${VERBOSE:+--verbose} || boot_rc=$?
echo "host load after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

python3 "$HARNESS_DIR/bench_report.py" "$run/tap.log" | tee "$run/report.txt"
echo "logs: $run" >&2
exit $boot_rc
