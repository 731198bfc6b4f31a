#!/usr/bin/env python3
"""Stage 4, layout guard: refuse modules whose struct layout disagrees with
the kernel they are about to be loaded into.

Built-in code compiled against the target kernel's headers dereferences KVM
structures the modules allocate: kvm_handle_signal_exit(), inlined into
kernel/entry/kvm.c, writes vcpu->run->exit_reason and
vcpu->stat.signal_exits, and the AMD and Intel IOMMU drivers read the
posted-interrupt descriptors that kvm-amd and kvm-intel pass them.  If the
series moves any of those fields, the stock kernel writes into the wrong
place: silent memory corruption, not a clean failure.

The reference is the target vmlinux itself (its BTF, or its DWARF for the
debug kernel), because that is what the built-in code was compiled with; the
candidate is the modules' DWARF, which is what they were compiled with.

    layout.py <vmlinux> <module.ko>...
"""
import re
import subprocess
import sys

# (struct, fields) pairs that built-in code touches; None means the whole
# struct (every member offset and the size) must match.
GUARDED = [
    ('kvm_vcpu', ['run', 'stat']),
    ('kvm_vcpu_stat', ['signal_exits']),
    ('kvm_run', ['exit_reason']),
    ('amd_iommu_pi_data', None),
    ('vcpu_data', None),
]

MEMBER = re.compile(r'^\t(?!\t)(?:.*?[\s*])?(?P<name>\w+)(?:\[[^\]]*\])*'
                    r'(?:\s+__attribute__\(.*\))?;\s+/\*\s+(?P<off>\d+)'
                    r'(?::\s*\d+)?\s+(?P<size>\d+)\s+\*/')
SIZE = re.compile(r'/\* size: (\d+),')


def pahole(fmt, obj, struct):
    """Return {member: (offset, size)} plus '<size>', or None if absent."""
    res = subprocess.run(['pahole', '-F', fmt, '-C', struct, obj],
                         capture_output=True, text=True)
    if res.returncode != 0 or not res.stdout.strip():
        return None
    layout = {}
    for line in res.stdout.splitlines():
        m = MEMBER.match(line)
        if m:
            layout[m['name']] = (int(m['off']), int(m['size']))
        m = SIZE.search(line)
        if m and line.startswith('\t/* size:'):
            layout['<size>'] = (0, int(m[1]))
    return layout


def vmlinux_format(vmlinux):
    sections = subprocess.run(['readelf', '-S', '-W', vmlinux],
                              capture_output=True, text=True).stdout
    return 'dwarf' if '.debug_info' in sections else 'btf'


def check(vmlinux, modules):
    ref_fmt = vmlinux_format(vmlinux)
    problems = []
    for struct, fields in GUARDED:
        ref = pahole(ref_fmt, vmlinux, struct)
        if ref is None:
            # Not in the kernel at all (e.g. an IOMMU driver configured out):
            # no built-in code can disagree with the modules about it.
            print(f'  {struct:24} not in vmlinux, nothing to guard')
            continue
        cand = next((c for c in (pahole('dwarf', m, struct) for m in modules)
                     if c is not None), None)
        if cand is None:
            problems.append(f'struct {struct}: no DWARF for it in {", ".join(modules)}')
            continue
        names = fields if fields is not None else sorted(ref)
        for name in names:
            want, got = ref.get(name), cand.get(name)
            if want is None:
                problems.append(f'struct {struct}: vmlinux has no member {name}')
            elif want != got:
                problems.append(f'struct {struct}.{name}: kernel has offset/size '
                                f'{want}, modules have {got}')
        print(f'  {struct:24} {", ".join(f"{n}@{ref[n][0]}" for n in names if n in ref)}')
    return problems


def main(argv):
    if len(argv) < 3:
        sys.exit('usage: layout.py <vmlinux> <module.ko>...')
    print(f'layout guard: {argv[1]} ({vmlinux_format(argv[1])}) against the modules\' DWARF')
    problems = check(argv[1], argv[2:])
    if problems:
        print('error: the modules do not match the kernel\'s layout; loading them '
              'would corrupt memory.  Refusing:', file=sys.stderr)
        for p in problems:
            print('  ' + p, file=sys.stderr)
        print('A series that changes these structs needs a layout shim in '
              'kmod/compat/, never in the patches.', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
