# Sourced by the guests' /init (harness/init.sh, harness/bench-init.sh) as
# /lib/kvm-gpc.sh: the busybox system they boot into, and how they end.
# shellcheck shell=sh

/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mkdir -p /dev/shm /tmp
mount -t tmpfs tmp /tmp
mount -t tmpfs shm /dev/shm
# ttyS0 is the kernel's console; the harness reads everything else on ttyS1.
exec >/dev/ttyS1 2>&1

finish() {
	# The lock classes and orders lockdep saw, for harness/lockorder.py.
	[ -r /proc/lockdep ] && cat /proc/lockdep >/dev/ttyS2
	echo "# kvm-gpc: done"
	sync
	poweroff -f
}

bail() {
	echo "Bail out! $*"
	finish
}
