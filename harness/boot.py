#!/usr/bin/env python3
"""Stage 7, boot and run: start the test VM under QEMU (TCG by default) and
stream the runner's TAP from its port, while the kernel console goes to a file
and the guest's /proc/lockdep, where it has one, to another.  The machine is
harness/arch/<arch>.conf (ports: ttyS0-2 on x86, ttyAMA0 and hvc0-1 on arm64).

Two watchdogs make sure nothing waits forever: a whole-VM deadline, and a
silence limit on ttyS1 that catches a guest wedged beyond the in-guest
per-test timeout (a deadlocked kernel cannot kill its own tests).  The outcome
is written to <out>/status as one line for harness/verdict.py.
"""
import argparse
import os
import re
import selectors
import subprocess
import sys
import time

PANIC = re.compile(r'Kernel panic - not syncing')


ARCH_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'arch')


def arch_conf(arch):
    """harness/arch/<arch>.conf, read by the shell that owns its format."""
    path = os.path.join(ARCH_DIR, arch + '.conf')
    if not os.path.isfile(path):
        sys.exit(f'boot.py: no machine description {path}')
    out = subprocess.run(['bash', '-c', 'set -a; . "$0"; env -0', path],
                         check=True, capture_output=True, env={}).stdout
    return dict(kv.split('=', 1) for kv in out.decode().split('\0') if '=' in kv)


def qemu_command(args, console):
    conf = arch_conf(args.arch)
    accel = 'kvm' if args.accel == 'kvm' else 'tcg,thread=single'
    # Guest time counts instructions (1 ns each) rather than host time, and
    # skips ahead when the guest idles: a run's timings then depend on what
    # the guest executes, not on what else the host does.
    icount = ['-icount', 'shift=0,sleep=off'] if args.icount else []
    append = (f'console={conf["CONSOLE"]},115200 ignore_loglevel panic=-1 rdinit=/init '
              f'mitigations=off {conf["CMDLINE"]} {args.append}')
    return [os.environ.get('QEMU', conf['QEMU']), '-nodefaults', '-no-reboot', '-display', 'none',
            '-machine', conf['QEMU_MACHINE'], '-accel', accel, '-cpu', conf['QEMU_CPU'],
            *conf['QEMU_DEVICES'].split(),
            '-smp', str(args.smp), '-m', args.mem or conf['MEM'], *icount,
            '-kernel', args.kernel, '-initrd', args.initrd, '-append', ' '.join(append.split()),
            *ports(conf, args, console)]


def ports(conf, args, console):
    """The kernel console, the runner and /proc/lockdep, in that order; in a
    shell (console None), the console is the terminal (Ctrl-C goes to the
    guest, Ctrl-A x quits QEMU) and the others go nowhere."""
    if console is None:
        term = ['-chardev', 'stdio,id=con,mux=on,signal=off', '-serial', 'chardev:con',
                '-mon', 'chardev=con,mode=readline']
        rest = ['null', 'null']
    else:
        term = ['-serial', f'file:{console}']
        rest = ['stdio', f'file:{os.path.join(args.out, "lockdep.txt")}']
    if conf['CHANNELS'] == 'serial':
        return term + [a for r in rest for a in ('-serial', r)]
    # virtio: hvc0 and hvc1, one virtconsole each on one virtio-serial bus
    virtio = ['-device', 'virtio-serial-device']
    for i, r in enumerate(rest):
        backend = {'stdio': 'stdio', 'null': 'null'}.get(r, 'file,path=' + r[len('file:'):])
        virtio += ['-chardev', f'{backend},id=port{i}', '-device', f'virtconsole,chardev=port{i}']
    return term + virtio


def shell(args):
    """make shell: the console (ttyS0) on this terminal, no watchdogs."""
    args.append = (args.append + ' kvm-gpc.shell').strip()
    cmd = qemu_command(args, None)
    os.execvp(cmd[0], cmd)


def console_says(path, pattern):
    try:
        with open(path, errors='replace') as f:
            return pattern.search(f.read()) is not None
    except FileNotFoundError:
        return False


def show(line, verbose):
    """Live view: results and harness notes always, test chatter on request."""
    if verbose or not line.startswith('#') or line.startswith('# kvm-gpc:'):
        print(line, flush=True)


def run(args):
    os.makedirs(args.out, exist_ok=True)
    console = os.path.join(args.out, 'console.log')
    tap_path = os.path.join(args.out, 'tap.log')
    cmd = qemu_command(args, console)
    with open(os.path.join(args.out, 'qemu.cmd'), 'w') as f:
        f.write(' '.join(cmd) + '\n')

    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    start = last = time.monotonic()
    status, done, current, buf = None, False, 'boot', b''
    with open(tap_path, 'w') as tap:
        while status is None:
            now = time.monotonic()
            if now - start > args.vm_timeout:
                status = f'timeout=whole VM exceeded {args.vm_timeout}s during {current}'
                break
            if now - last > args.silence_timeout:
                status = f'hang=no output for {args.silence_timeout}s during {current}'
                break
            if not sel.select(timeout=1.0):
                continue
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                break
            last = time.monotonic()
            buf += chunk
            *lines, buf = buf.split(b'\n')
            for raw in lines:
                line = raw.decode(errors='replace').rstrip('\r')
                tap.write(line + '\n')
                show(line, args.verbose)
                if line.startswith('# kvm-gpc: begin '):
                    current = line.split()[-1]
                elif line == '# kvm-gpc: done':
                    done = True
            tap.flush()
        if status is not None:
            proc.kill()
        proc.wait()
    if status is None:
        if done:
            status = 'exit=0'
        elif console_says(console, PANIC):
            status = f'panic=kernel panic during {current}'
        else:
            status = f'crash=VM exited ({proc.returncode}) without finishing, during {current}'
    with open(os.path.join(args.out, 'status'), 'w') as f:
        f.write(status + '\n')
    print(f'# kvm-gpc: vm {status} after {time.monotonic() - start:.0f}s', flush=True)
    return 0 if status == 'exit=0' else 1


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--kernel', required=True)
    p.add_argument('--initrd', required=True)
    p.add_argument('--out', help='directory for console.log, tap.log, status')
    p.add_argument('--shell', action='store_true',
                   help='interactive: the console on this terminal (make shell)')
    p.add_argument('--append', default='', help='extra kernel command line')
    p.add_argument('--arch', default='x86_64', help='harness/arch/<arch>.conf')
    p.add_argument('--smp', type=int, default=2)
    p.add_argument('--mem', help="default: the machine description's MEM")
    p.add_argument('--accel', choices=['tcg', 'kvm'], default='tcg')
    p.add_argument('--icount', action='store_true',
                   help='guest time counts instructions (TCG only)')
    p.add_argument('--vm-timeout', type=int, default=3600)
    p.add_argument('--silence-timeout', type=int, default=300)
    p.add_argument('--verbose', action='store_true')
    args = p.parse_args()
    if args.shell:
        shell(args)
    if not args.out:
        p.error('--out is required')
    sys.exit(run(args))


if __name__ == '__main__':
    main()
