# Sourced by the guests' /init (harness/guest/init.sh, harness/guest/bench-init.sh) as
# /lib/kvm-gpc.sh: the busybox system they boot into, and how they end.
# shellcheck shell=sh

/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mkdir -p /dev/shm /tmp
mount -t tmpfs tmp /tmp
mount -t tmpfs shm /dev/shm
# The configuration harness/initramfs.sh wrote, ports included: the kernel's
# console is $CONSOLE, the harness reads the runner on $TAP_TTY and
# /proc/lockdep on $LOCKDEP_TTY (harness/arch/<arch>.conf).
# shellcheck disable=SC1091
. /etc/kvm-gpc/config

# check_build_ids <set>: the loaded kvm modules must be the ones built for
# <set> (updates, or a bench set): the build-id notes the kernel exposes in
# /sys/module/<m>/notes against /etc/kvm-gpc/build-id, written by
# harness/initramfs.sh (Debian's modules carry no srcversion).
check_build_ids() {
	n=0
	while read -r set m want; do
		[ "$set" = "$1" ] || continue
		n=$((n + 1))
		got=$(sha256sum "/sys/module/$m/notes/.note.gnu.build-id" 2>/dev/null | cut -c1-64)
		[ "$got" = "$want" ] || bail "loaded $m is not the $1 one built (build-id note sha256 '$got', expected '$want')"
		echo "# kvm-gpc: loaded $m ($1) is the one built (build-id note sha256 $(echo "$got" | cut -c1-12))"
	done </etc/kvm-gpc/build-id
	[ "$n" -gt 0 ] || bail "/etc/kvm-gpc/build-id lists no module of the set $1"
}

# bind_vfio_pci <vendor:device>: hand every such PCI device to vfio-pci, for
# tests that assign a device to their guest.
bind_vfio_pci() {
	found=
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat "$d/vendor"):$(cat "$d/device")" = "0x${1%%:*}:0x${1#*:}" ] || continue
		found=1
		echo vfio-pci >"$d/driver_override"
		[ ! -e "$d/driver" ] || echo "${d##*/}" >"$d/driver/unbind"
		echo "${d##*/}" >/sys/bus/pci/drivers_probe
		[ "$(basename "$(readlink "$d/driver")")" = vfio-pci ] ||
			bail "cannot bind PCI device ${d##*/} ($1) to vfio-pci"
		echo "# kvm-gpc: PCI device ${d##*/} ($1) bound to vfio-pci"
	done
	[ -n "$found" ] || bail "no PCI device $1, which harness/arch/*.conf asks QEMU for"
}

finish() {
	# The lock classes and orders lockdep saw, for harness/lockorder.py.
	[ -r /proc/lockdep ] && cat /proc/lockdep >"/dev/$LOCKDEP_TTY"
	echo "# kvm-gpc: done"
	sync
	poweroff -f
}

bail() {	# one line, as TAP wants it, whatever the reason holds
	echo "Bail out! $(echo "$*" | tr '\n' ' ')"
	finish
}
