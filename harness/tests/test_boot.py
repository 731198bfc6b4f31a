"""boot.py's watchdogs, against a stand-in for QEMU: a guest that wedges
(no output) and one that never finishes (endless output) must both end the
run with a status line, never a stuck process."""
import os
import stat
import subprocess
import sys
import tempfile
import time
import unittest

BOOT = os.path.join(os.path.dirname(__file__), '..', 'boot.py')


class BootWatchdog(unittest.TestCase):
    def run_fake(self, body, *extra):
        with tempfile.TemporaryDirectory() as d:
            fake = os.path.join(d, 'qemu')
            with open(fake, 'w') as f:
                f.write('#!/bin/sh\n' + body + '\n')
            os.chmod(fake, stat.S_IRWXU)
            start = time.monotonic()
            res = subprocess.run(
                [sys.executable, BOOT, '--kernel', 'k', '--initrd', 'i',
                 '--out', d, *extra],
                env=dict(os.environ, QEMU=fake), capture_output=True, text=True,
                timeout=60)
            with open(os.path.join(d, 'status')) as f:
                return res, f.read().strip(), time.monotonic() - start

    def test_silent_guest_is_a_hang(self):
        res, status, secs = self.run_fake(
            'echo "TAP version 13"; echo "# kvm-gpc: begin stuck_test"; sleep 600',
            '--silence-timeout', '2')
        self.assertEqual(res.returncode, 1)
        self.assertEqual(status, 'hang=no output for 2s during stuck_test')
        self.assertLess(secs, 20)

    def test_endless_guest_hits_vm_timeout(self):
        res, status, secs = self.run_fake(
            'while :; do echo "# chatter"; sleep 0.2; done', '--vm-timeout', '3')
        self.assertEqual(res.returncode, 1)
        self.assertTrue(status.startswith('timeout=whole VM exceeded 3s'), status)
        self.assertLess(secs, 20)

    def test_guest_that_exits_early_is_a_crash(self):
        res, status, _ = self.run_fake('echo "TAP version 13"; : > "$(dirname "$0")/console.log"')
        self.assertEqual(res.returncode, 1)
        self.assertTrue(status.startswith('crash=VM exited'), status)

    def test_finished_guest_is_clean(self):
        res, status, _ = self.run_fake('echo "1..0"; echo "# kvm-gpc: done"')
        self.assertEqual((res.returncode, status), (0, 'exit=0'))


class QemuCommand(unittest.TestCase):
    """The benchmarks' instruction-count clock is an option of the TCG run."""
    def command(self, *extra):
        with tempfile.TemporaryDirectory() as d:
            fake = os.path.join(d, 'qemu')
            with open(fake, 'w') as f:
                f.write('#!/bin/sh\necho "1..0"; echo "# kvm-gpc: done"\n')
            os.chmod(fake, stat.S_IRWXU)
            subprocess.run([sys.executable, BOOT, '--kernel', 'k', '--initrd', 'i',
                            '--out', d, *extra], env=dict(os.environ, QEMU=fake),
                           capture_output=True, timeout=60, check=True)
            with open(os.path.join(d, 'qemu.cmd')) as f:
                return f.read().split()

    def test_icount_counts_instructions(self):
        cmd = self.command('--icount')
        self.assertEqual(cmd[cmd.index('-icount') + 1], 'shift=0,sleep=off')
        self.assertEqual(cmd[cmd.index('-accel') + 1], 'tcg,thread=single')

    def test_wall_clock_by_default(self):
        self.assertNotIn('-icount', self.command())


if __name__ == '__main__':
    unittest.main()
