#!/bin/sh
# /init of the test VM (busybox).  Loads the modules under test, proves they
# are the ones just built, runs every test with a timeout and reports
# kselftest TAP on $TAP_TTY.  The kernel log stays alone on $CONSOLE, with begin/end
# markers written to /dev/kmsg so the host can tie a splat to its test.
# Configuration comes from /etc/kvm-gpc/ (written by harness/initramfs.sh).

# shellcheck source=harness/guest/lib.sh
. /lib/kvm-gpc.sh
# The runner's TAP goes to its port; in make shell, to the console, so that a
# module that fails to load says so on the terminal.
if grep -qw kvm-gpc.shell /proc/cmdline; then
	exec >"/dev/$CONSOLE" 2>&1
else
	exec >"/dev/$TAP_TTY" 2>&1
fi

kmsg() {
	echo "kvm-gpc: $*" >/dev/kmsg
}

echo "TAP version 13"
echo "# kvm-gpc: kernel $(uname -r), tier $TIER, $(nproc) cpus"

# Load through modprobe so that updates/ wins exactly as on a real host.
for m in $LOAD_MODULES; do
	out=$(modprobe "$m" 2>&1) || bail "modprobe $m failed: $out"
done
# On arm64 KVM is built into the kernel: no modules, nothing to check.
[ -z "$LOAD_MODULES" ] || check_build_ids updates
[ -c /dev/kvm ] || bail "/dev/kvm missing after loading $LOAD_MODULES"
for id in $VFIO_DEVICES; do
	bind_vfio_pci "$id"
done

# make shell: the same system, and a shell on the console instead of the
# tests.  Leaving the shell powers the VM off.
if grep -qw kvm-gpc.shell /proc/cmdline; then
	echo "# kvm-gpc: shell on $CONSOLE"
	export PATH="/selftests:/extra:$PATH" TERM=vt100
	# The selftests find their own ELF through argv[0]: run from their
	# directory, a test started by name from PATH finds it.
	cd /selftests && setsid sh -c "exec sh -i </dev/$CONSOLE >/dev/$CONSOLE 2>&1"
	finish
fi

# run_test <name> <path> <timeout>: run one test, its output as TAP comments
# (and in /tmp/out); sets rc, secs and timed_out.
run_test() {
	kmsg "begin $1"
	echo "# kvm-gpc: begin $1"
	start=$(date +%s)
	rm -f /tmp/rc
	# Each test runs in its own session, so that whatever it forked can be
	# killed with it: a straggler holding the pipe would stall the runner.
	# The shell's own "Killed" goes into the comments too.
	(cd /tmp && setsid timeout -s KILL "$3" "$2" </dev/null 2>&1 &
	 pid=$!
	 wait $pid
	 echo $? >/tmp/rc
	 kill -KILL -- "-$pid" 2>/dev/null) 2>&1 | tee /tmp/out | sed 's/^/# /'
	rc=$(cat /tmp/rc 2>/dev/null || echo lost)
	secs=$(($(date +%s) - start))
	kmsg "end $1"
	echo "# kvm-gpc: $1 exit $rc after ${secs}s"
	timed_out=
	if [ "$rc" = 137 ] && [ "$secs" -ge "$3" ]; then
		timed_out=1
	fi
}

# How a failed run failed, for the TAP line.
failure() {
	if [ -n "$timed_out" ]; then
		echo "TIMEOUT ${timeout}s"
	else
		echo "exit code $rc"
	fi
}

# The plan, from harness/tables.py: name|path|timeout|flaky|reason|expected
# (the expected output, an extended regex or TIMEOUT, may contain '|').
n=0
echo "1..$(wc -l </etc/kvm-gpc/plan)"
while IFS='|' read -r name path timeout flaky reason expect; do
	n=$((n + 1))
	run_test "$name" "$path" "$timeout"
	if [ -n "$expect" ]; then
		# A listed known failure must fail the way the list says, on the
		# base and on the series alike; anything else is a change to report.
		if [ "$rc" = 0 ]; then
			echo "not ok $n $name # passed, but known-failures lists it (XPASS): delete the entry"
		elif { [ "$expect" = TIMEOUT ] && [ -n "$timed_out" ]; } ||
			{ [ "$expect" != TIMEOUT ] && [ -z "$timed_out" ] && grep -Eq -e "$expect" /tmp/out; }; then
			echo "ok $n $name # XFAIL $reason"
		else
			echo "not ok $n $name # $(failure), not as known-failures expects ($expect)"
		fi
	elif [ "$rc" = 0 ]; then
		echo "ok $n $name"
	elif [ "$rc" = 4 ]; then
		why=$(grep -m1 -iE 'skip|requirement' /tmp/out | tr -d '\r' |
			sed -e 's/^1\.\.0 //' -e 's/^# *SKIP *-* *//')
		echo "ok $n $name # SKIP ${why:-exit code 4}"
	elif [ -n "$flaky" ]; then
		first=$(failure)
		echo "# kvm-gpc: $name failed ($first); flaky-tests lists it, running it once more"
		run_test "$name" "$path" "$timeout"
		if [ "$rc" = 0 ]; then
			echo "ok $n $name # FLAKY failed once ($first), passed on the second run"
		else
			echo "not ok $n $name # $(failure), and $first on the first run"
		fi
	else
		echo "not ok $n $name # $(failure)"
	fi
done </etc/kvm-gpc/plan
finish
