#!/bin/sh
# /init of the test VM (busybox).  Loads the modules under test, proves they
# are the ones just built, runs every test with a timeout and reports
# kselftest TAP on ttyS1.  The kernel log stays alone on ttyS0, with begin/end
# markers written to /dev/kmsg so the host can tie a splat to its test.
# Configuration comes from /etc/kvm-gpc/ (written by harness/initramfs.sh).

. /lib/kvm-gpc.sh
. /etc/kvm-gpc/config

kmsg() {
	echo "kvm-gpc: $*" >/dev/kmsg
}

echo "TAP version 13"
echo "# kvm-gpc: kernel $(uname -r), tier $TIER, $(nproc) cpus"

# Load through modprobe so that updates/ wins exactly as on a real host.
for m in $LOAD_MODULES; do
	modprobe "$m" || bail "modprobe $m failed"
done
while read -r m want; do
	got=$(sha256sum "/sys/module/$m/notes/.note.gnu.build-id" 2>/dev/null | cut -c1-64)
	[ "$got" = "$want" ] || bail "loaded $m is not the one built (build-id note sha256 '$got', expected '$want')"
	echo "# kvm-gpc: loaded $m is the one built (build-id note sha256 ${got%"${got#????????????}"})"
done </etc/kvm-gpc/build-id
[ -c /dev/kvm ] || bail "/dev/kvm missing after loading $LOAD_MODULES"

# xfail lines: name|timeout|expected output (ERE) or TIMEOUT|reason
xfail_field() {
	awk -F'|' -v t="$1" -v f="$2" '$1 == t { print $f; exit }' /etc/kvm-gpc/xfail
}

n=0
total=$(wc -l </etc/kvm-gpc/tests)
echo "1..$total"
while read -r name path; do
	n=$((n + 1))
	timeout=$(xfail_field "$name" 2)
	timeout=${timeout:-$TEST_TIMEOUT}
	kmsg "begin $name"
	echo "# kvm-gpc: begin $name"
	start=$(date +%s)
	# Each test runs in its own session, so that whatever it forked can be
	# killed with it: a straggler holding the pipe would stall the runner.
	(cd /tmp && setsid timeout -s KILL "$timeout" "$path" </dev/null 2>&1 &
	 pid=$!
	 wait $pid
	 echo $? >/tmp/rc
	 kill -KILL -- "-$pid" 2>/dev/null) | tee /tmp/out | sed 's/^/# /'
	rc=$(cat /tmp/rc)
	secs=$(($(date +%s) - start))
	kmsg "end $name"
	echo "# kvm-gpc: $name exit $rc after ${secs}s"

	timed_out=
	[ "$rc" = 137 ] && [ "$secs" -ge "$timeout" ] && timed_out=1
	expect=$(xfail_field "$name" 3)
	if [ -n "$expect" ]; then
		# A listed known failure must fail the way the list says, on the
		# base and on the series alike; anything else is a change to report.
		if [ "$rc" = 0 ]; then
			echo "not ok $n $name # XPASS: listed in known-failures but passed; delete the entry"
		elif { [ "$expect" = TIMEOUT ] && [ -n "$timed_out" ]; } ||
			{ [ "$expect" != TIMEOUT ] && grep -Eq "$expect" /tmp/out; }; then
			echo "not ok $n $name # XFAIL $(xfail_field "$name" 4)"
		else
			echo "not ok $n $name # failed, but not as known-failures expects ($expect)"
		fi
	elif [ "$rc" = 0 ]; then
		echo "ok $n $name"
	elif [ "$rc" = 4 ]; then
		why=$(grep -m1 -iE 'skip|requirement' /tmp/out | tr -d '\r' |
			sed -e 's/^1\.\.0 //' -e 's/^# *SKIP *-* *//')
		echo "ok $n $name # SKIP ${why:-exit code 4}"
	elif [ -n "$timed_out" ]; then
		echo "not ok $n $name # TIMEOUT ${timeout}s"
	else
		echo "not ok $n $name # exit code $rc"
	fi
done </etc/kvm-gpc/tests
finish
