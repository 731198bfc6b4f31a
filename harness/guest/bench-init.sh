#!/bin/sh
# /init of the bench VM (busybox), for harness/bench.sh.  Loads the base's
# and the series' kvm.ko/kvm-amd.ko in turn, ROUNDS times, runs the
# benchmarks under each and reports on $TAP_TTY; harness/bench_report.py reads
# it back.  Alternating, rather than all base runs first, spreads any drift
# of the emulated machine over both kernels and shows the run-to-run noise.

# shellcheck source=harness/guest/lib.sh
. /lib/kvm-gpc.sh
exec >"/dev/$TAP_TTY" 2>&1

echo "# kvm-gpc: bench, kernel $(uname -r), $(nproc) cpus, $ROUNDS rounds"

# The stock modules that both sets depend on (irqbypass, ccp, ...) stay
# loaded throughout; only kvm and kvm_amd change.
for m in $DEPS; do
	modprobe "$m" || bail "modprobe $m failed"
done

load() {
	insmod "/bench/$1/kvm.ko" || bail "insmod $1/kvm.ko failed"
	insmod "/bench/$1/kvm-amd.ko" || bail "insmod $1/kvm-amd.ko failed"
	check_build_ids "$1"
	[ -c /dev/kvm ] || bail "/dev/kvm missing after loading the $1 modules"
}

unload() {
	rmmod kvm_amd || bail "rmmod kvm_amd ($1) failed"
	rmmod kvm || bail "rmmod kvm ($1) failed"
}

r=1
while [ "$r" -le "$ROUNDS" ]; do
	for k in base series; do
		load "$k"
		echo "# kvm-gpc: begin $k.$r"
		# The benchmarks bound their phases themselves; a wedged kernel
		# is caught by boot.py's silence watchdog.  The ARGS are lists.
		rc=0
		for b in $BENCHES; do
			case $b in
			xen_gpc_refresh_perf_test) args=$BENCH_ARGS ;;
			xen_evtchn_perf_test) args=$EVTCHN_ARGS ;;
			esac
			# shellcheck disable=SC2086
			/selftests/$b $args </dev/null 2>&1 || rc=$?
		done
		echo "# kvm-gpc: end $k.$r exit $rc"
		unload "$k"
	done
	r=$((r + 1))
done
finish
