# SPDX-License-Identifier: GPL-2.0
"""Tests for harness/verdict.py against recorded logs in data/.

Any data/<name>.log with a sibling <name>.expect (one expected splat
signature per line, '#' comments) is checked by test_expectations, so a
captured console log plus its expectation needs no code here.
"""

import contextlib
import glob
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import tables  # noqa: E402
import test_lockorder  # noqa: E402
import verdict  # noqa: E402

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'data')


def data(name):
    return os.path.join(DATA, name)


def scan(name):
    return {s.signature: s for s in verdict.scan_splats(verdict.read_lines(data(name)))}


def tap(name):
    return verdict.parse_tap(verdict.read_lines(data(name)))


def expected(path):
    with open(path, encoding='utf-8') as f:
        return [l.strip() for l in f if l.strip() and not l.startswith('#')]


class ExpectationTest(unittest.TestCase):
    def test_expectations(self):
        logs = [p for p in sorted(glob.glob(data('*.log')))
            if os.path.exists(p[:-len('.log')] + '.expect')]
        self.assertTrue(any('/real-' in p for p in logs))
        for log in logs:
            with self.subTest(log=os.path.basename(log)):
                self.assertCountEqual(
                    expected(log[:-len('.log')] + '.expect'),
                    [s.signature for s in verdict.scan_splats(
                        verdict.read_lines(log))])


class ScanTest(unittest.TestCase):
    def test_warn(self):
        splats = scan('console-warn.log')
        warn = splats['WARNING: at arch/x86/kvm/xen.c:1783 '
                  'kvm_xen_set_evtchn_fast [kvm] | kvm_xen_set_evtchn_fast']
        self.assertEqual(warn.test, 'xen_shinfo_test')
        self.assertEqual(warn.tests, ['xen_shinfo_test', 'xen_vmcall_test'])
        self.assertIn('[ cut here ]', warn.lines[0])
        self.assertIn('---[ end trace', warn.lines[-1])
        gpc = splats['WARNING: at arch/x86/kvm/../../../virt/kvm/pfncache.c:311 '
                 '__kvm_gpc_refresh [kvm] | __kvm_gpc_refresh']
        self.assertIn('refresh of an unmapped cache', gpc.lines[1])

    def test_lockdep_invalid_wait_context(self):
        splat = scan('console-lockdep.log')[
            'BUG: Invalid wait context | kvm_xen_set_evtchn_fast']
        self.assertEqual(splat.test, 'xen_shinfo_test')
        self.assertRegex(splat.lines[0], r'=+$')
        self.assertEqual(splat.lines[-1].split()[-1], '</TASK>')

    def test_lockdep_circular(self):
        splat = scan('console-lockdep.log')[
            'WARNING: possible circular locking dependency detected'
            ' | kvm_xen_shared_info_init']
        self.assertEqual(splat.test, 'xen_vmcall_test')
        self.assertIn('*** DEADLOCK ***', '\n'.join(splat.lines))
        # The line after lockdep's stack dump is not part of the report.
        self.assertNotIn('lapic timer period', '\n'.join(splat.lines))

    def test_lockdep_suspicious_rcu(self):
        # Its "at:" lines are held locks; the culprit is in the backtrace.
        splat = scan('console-lockdep.log')[
            'WARNING: suspicious RCU usage | kvm_xen_hcall_evtchn_send']
        self.assertEqual(splat.test, 'xen_vmcall_test')

    def test_kasan(self):
        splat = scan('console-kasan.log')[
            'BUG: KASAN: slab-use-after-free in kvm_gpc_check [kvm]'
            ' | kvm_gpc_check']
        self.assertRegex(splat.lines[0], r'={60,}$')
        self.assertRegex(splat.lines[-1], r'={60,}$')
        self.assertIn('Freed by task 1402', '\n'.join(splat.lines))

    def test_soft_lockup_and_rcu_stall(self):
        splats = scan('console-stalls.log')
        lockup = splats['watchdog: BUG: soft lockup - CPU#N stuck for Ns!'
                ' | kvm_xen_set_evtchn']
        self.assertEqual(lockup.test, 'xen_shinfo_test')
        # Ended by the pause before the next, unrelated, kvm message.
        self.assertNotIn('lapic timer restore', '\n'.join(lockup.lines))
        stall = splats['rcu: INFO: rcu_preempt detected stalls on '
                   'CPUs/tasks: | kvm_hv_process_stimers']
        self.assertEqual(stall.test, 'hyperv_clock')
        self.assertIn('NMI backtrace for cpu 0', '\n'.join(stall.lines))

    def test_real_panic(self):
        splat = scan('real-sysrq-panic.log')[
            'Kernel panic - not syncing: sysrq triggered crash'
            ' | sysrq_handle_crash']
        self.assertEqual(splat.test, 'sysrq_crash')
        self.assertIn('Kernel Offset:', splat.lines[-1])
        self.assertNotIn('\r', ''.join(splat.lines))

    def test_oops_then_panic(self):
        splats = scan('console-oops-panic.log')
        oops = splats['BUG: kernel NULL pointer dereference, address: ADDR'
                  ' | kvm_xen_hypercall']
        self.assertIn('Oops: Oops: 0000 [#1]', '\n'.join(oops.lines))
        self.assertIn('Kernel panic - not syncing: Fatal exception', splats)

    def test_clean_boot_has_no_splats(self):
        self.assertEqual(scan('real-boot-clean.log'), {})
        self.assertEqual(scan('real-sysrq-backtrace.log'), {})
        self.assertEqual(scan('console-false-positives.log'), {})

    def test_attribution(self):
        warn = ['[    1.000000] ------------[ cut here ]------------',
            '[    1.000001] WARNING: CPU: 0 PID: 1 at mm/slub.c:1 f+0x1/0x2',
            '[    1.000002] ---[ end trace 0000000000000000 ]---']
        log = (warn + ['[    1.9] Run /init as init process'] +
               [l.replace('slub.c:1', 'slub.c:2') for l in warn] +
               ['[    2.0] kvm-gpc: begin foo'] +
               [l.replace('slub.c:1', 'slub.c:3') for l in warn] +
               ['[    3.0] kvm-gpc: end foo'] +
               [l.replace('slub.c:1', 'slub.c:4') for l in warn])
        self.assertEqual([s.test for s in verdict.scan_splats(log)],
                 ['boot', 'module load', 'foo', 'after foo'])

    def test_misc_attribution(self):
        tests = {s.signature.split(' ')[0]: s.test
             for s in scan('console-misc.log').values()}
        self.assertEqual(tests, {'BUG:': 'xen_vmcall_test',
                     'UBSAN:': 'hyperv_features',
                     'INFO:': 'xen_shinfo_test',
                     'kernel': 'xen_shinfo_test'})


class KnownTest(unittest.TestCase):
    def test_match_and_stale(self):
        splats = list(scan('console-lockdep.log').values())
        known = tables.load_known_splats(data('known-splats'))
        unexpected, hits, stale = verdict.match_known(splats, known)
        self.assertEqual([s.title for s in unexpected],
                 ['WARNING: possible circular locking dependency detected',
                  'WARNING: suspicious RCU usage'])
        self.assertEqual([(s.test, e.issue) for s, e in hits],
                 [('xen_shinfo_test', '#4')])
        self.assertEqual([e.issue for e in stale], ['#9'])

    def test_function_must_match_as_symbol(self):
        splats = list(scan('console-lockdep.log').values())
        for func in ('set_evtchn_fast', 'kvm_xen_set_evtchn', 'kvm_xen'):
            entry = tables.KnownSplat('Invalid wait context', func, '#4', 'all', '')
            self.assertEqual(verdict.match_known(splats, [entry])[1], [], func)

    def test_pasted_signature_matches(self):
        splat = scan('console-stalls.log')[
            'watchdog: BUG: soft lockup - CPU#N stuck for Ns! | kvm_xen_set_evtchn']
        with tempfile.NamedTemporaryFile('w', suffix='known') as f:
            f.write(splat.signature + ' | #12 | debug\n')
            f.flush()
            known = tables.load_known_splats(f.name)
        self.assertEqual(len(verdict.match_known([splat], known)[1]), 1)


def run_dir(name):
    """A real run's saved logs (tap.log, console.log, status, run-info)."""
    return data(name)


def run_tap(name):
    return verdict.parse_tap(verdict.read_lines(os.path.join(data(name), 'tap.log')))


def judge(name, order=None):
    path = data(name)
    status = verdict.read_lines(os.path.join(path, 'status'))[0]
    splats = verdict.scan_splats(verdict.read_lines(os.path.join(path, 'console.log')))
    return verdict.verdict(run_tap(name), splats, [], status, order)


class TapTest(unittest.TestCase):
    """Real captures: run-stock is a full stock run (hyperv_clock flaked
    under load), run-fail a probe that fails and one that hangs, run-died a
    probe that panics the kernel, run-noplan a module that cannot load."""

    def test_full_run_pass_skip_xfail_flaky(self):
        run = run_tap('run-stock')
        self.assertTrue(run.done)
        self.assertEqual(run.plan, 97)
        self.assertTrue(run.kernel.startswith('6.12.117+deb12-amd64'))
        status = {r.name: r.status for r in run.results}
        self.assertEqual(len(status), 97)
        self.assertEqual(status['xen_shinfo_test'], 'pass')
        self.assertEqual(status['access_tracking_perf_test'], 'skip')
        self.assertEqual(status['debug_regs'], 'xfail')
        self.assertEqual(status['hyperv_clock'], 'flaky')
        v = judge('run-stock')
        self.assertTrue(v.passed, v.reasons)
        self.assertEqual(v.counts, (61, 0, 35, 1))
        self.assertEqual(len(v.xfail), 8)
        self.assertEqual(v.flaky, ['hyperv_clock (FLAKY failed once (exit code 254), '
                                   'passed on the second run)'])

    def test_not_ok_and_timeout(self):
        v = judge('run-fail')
        self.assertFalse(v.passed)
        self.assertEqual(v.failed, ['fail_probe (exit code 1)', 'hang_probe (TIMEOUT 15s)'])
        self.assertEqual(v.counts, (1, 2, 1, 0))
        self.assertEqual(v.reasons, ['2 failed'])

    def test_vm_died_mid_test(self):
        v = judge('run-died')
        self.assertEqual(v.counts, (1, 2, 0, 0))
        self.assertEqual(v.failed, ['panic_probe (started, no result)', '#3 (not run)'])
        self.assertEqual(v.reasons[:3], [
            'vm panic=kernel panic during panic_probe',
            "VM did not finish (no '# kvm-gpc: done', died during panic_probe)",
            '2 not run'])
        self.assertEqual(v.reasons[3], '1 unexpected splat(s)')
        self.assertTrue(v.unexpected[0].title.startswith('Kernel panic'), v.unexpected[0].title)

    def test_bail_out(self):
        run = run_tap('run-noplan')
        self.assertIsNone(run.plan)
        self.assertTrue(run.bail.startswith('modprobe kvm_amd failed: '), run.bail)
        v = judge('run-noplan')
        self.assertFalse(v.passed)
        self.assertEqual(v.reasons, [f'the VM bailed out: {run.bail}'])
        self.assertEqual(v.counts, (0, 1, 0, 0))

    def test_a_not_ok_is_a_failure_whatever_its_directive(self):
        run = verdict.parse_tap(['TAP version 13', '1..3', 'not ok 1 a # SKIP why',
                                 'not ok 2 b # XFAIL why', 'not ok 3 c # FLAKY why',
                                 '# kvm-gpc: done'])
        self.assertEqual([r.status for r in run.results], ['fail'] * 3)
        self.assertEqual(verdict.verdict(run, [], []).counts, (0, 3, 0, 0))

    def test_plan_without_done(self):
        run = run_tap('run-stock')
        run.done = False
        v = verdict.verdict(run, [], [])
        self.assertFalse(v.passed)
        self.assertIn('VM did not finish', v.reasons[0])

    def test_empty_tap(self):
        v = verdict.verdict(verdict.parse_tap([]), [], [])
        self.assertEqual(v.reasons[0], 'no TAP output from the VM')

    def test_crlf(self):
        lines = verdict.read_lines(os.path.join(data('run-stock'), 'tap.log'))
        crlf = verdict.parse_tap([line + '\r' for line in lines])
        self.assertEqual(crlf, run_tap('run-stock'))


def base_src():
    harness = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = subprocess.run(['bash', '-c', '. "$1/common.sh" && echo "$BASE_SRC"', '-', harness],
                         capture_output=True, text=True, check=True)
    return out.stdout.strip()


class KunitSecondOpinion(unittest.TestCase):
    """The base tree's own KTAP parser (tools/testing/kunit/kunit.py parse)
    reads each real capture as verdict.py does.  kunit knows only SKIP, so
    its PASS is our pass, XFAIL or FLAKY."""

    def kunit(self, name):
        kunit = os.path.join(base_src(), 'tools', 'testing', 'kunit', 'kunit.py')
        self.assertTrue(os.path.exists(kunit), f'{kunit}: run harness/base.sh first')
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, 'k.json')
            # -B: no __pycache__ written into the pristine base.
            subprocess.run([sys.executable, '-B', kunit, 'parse', f'--json={out}',
                            os.path.join(data(name), 'tap.log')],
                           capture_output=True, check=False)
            with open(out) as f:
                return {t['name']: t['status'] for t in json.load(f)['test_cases']}

    def test_agrees_with_verdict(self):
        ours_to_kunit = {'pass': 'PASS', 'xfail': 'PASS', 'flaky': 'PASS',
                         'skip': 'SKIP', 'fail': 'FAIL'}
        for name in ('run-stock', 'run-fail'):
            ours = {r.name: ours_to_kunit[r.status] for r in run_tap(name).results}
            self.assertEqual(self.kunit(name), ours, name)
        counts = list(self.kunit('run-stock').values())
        self.assertEqual((counts.count('PASS'), counts.count('SKIP')), (70, 27))


class CliTest(unittest.TestCase):
    def run_cli(self, *args):
        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            code = verdict.main(list(args))
        return code, out.getvalue().splitlines()

    def test_run_dir(self):
        code, out = self.run_cli(run_dir('run-stock'))
        self.assertEqual(code, 0)
        self.assertEqual(out[-2:], ['verdict: PASS', '61 passed, 0 failed, 35 skipped, 1 flaky'])
        code, out = self.run_cli(run_dir('run-died'))
        self.assertEqual(code, 1)
        self.assertEqual(out[-1], '1 passed, 2 failed, 0 skipped, 0 flaky')

    def test_fail_on_unexpected_splat(self):
        code, out = self.run_cli('--tap', os.path.join(data('run-stock'), 'tap.log'),
                                 '--console', data('console-lockdep.log'),
                                 '--known-splats', data('known-splats'))
        self.assertEqual(code, 1)
        self.assertIn('SPLAT in xen_vmcall_test: WARNING: possible circular '
                      'locking dependency detected | kvm_xen_shared_info_init', out)
        self.assertIn('KNOWN SPLAT in xen_shinfo_test: BUG: Invalid wait '
                      'context | kvm_xen_set_evtchn_fast (#4)', out)
        self.assertIn('STALE known-splat entry (did not occur): WARNING: '
                      'possible recursive locking detected | kvm_gpc_lock | #9'
                      ' | all \u2014 delete it', out)
        # xen_vmcall_test passed, but the kernel spat while it ran.
        self.assertIn('failed: xen_vmcall_test (unexpected splat)', out)
        self.assertEqual(out[-3:], ['splats: 2 unexpected, 1 known',
                                    'verdict: FAIL (1 failed; 2 unexpected splat(s))',
                                    '60 passed, 1 failed, 35 skipped, 1 flaky'])

    def test_known_splats_file_with_three_fields_is_bad_input(self):
        with tempfile.NamedTemporaryFile('w') as known:
            known.write('BUG: Invalid wait context | kvm_xen_set_evtchn_fast | #4\n')
            known.flush()
            code, out = self.run_cli(run_dir('run-stock'), '--known-splats', known.name)
        self.assertEqual(code, 2)
        self.assertEqual(out[-2], f'verdict: bad input: {known.name}:1: expected '
                         '"signature | function | issue | tier", got '
                         "'BUG: Invalid wait context | kvm_xen_set_evtchn_fast | #4'")

    def test_lock_order_is_part_of_the_one_verdict(self):
        """A lockdep run whose tests pass but whose lock order contradicts
        locking.rst: the order failure is in the verdict, and the closing
        count is still the last line."""
        with tempfile.TemporaryDirectory() as tmp:
            for f in ('tap.log', 'console.log', 'status'):
                shutil.copy(os.path.join(data('run-stock'), f), tmp)
            with open(os.path.join(tmp, 'run-info'), 'w') as f:
                f.write('tier=debug\npartial=0\n')
            with open(os.path.join(tmp, 'lockdep.txt'), 'w') as f:
                f.write(test_lockorder.LOCKDEP)
            with open(os.path.join(tmp, 'locking.rst'), 'w') as f:
                f.write(test_lockorder.GOOD)
            code, out = self.run_cli(tmp)
            self.assertEqual(code, 0, out)
            self.assertIn('lock order: 3 documented, 3 lockdep edges, 0 problems: ok', out)
            with open(os.path.join(tmp, 'locking.rst'), 'a') as f:
                f.write('``&vcpu->arch.xen.runstate2_cache->lock`` is taken outside '
                        '``&vcpu->arch.xen.runstate_cache->lock``.\n')
            code, out = self.run_cli(tmp)
        self.assertEqual(code, 1)
        self.assertEqual(out[-2], 'verdict: FAIL (1 lock order problem(s))')
        # The run itself counts as the one failure, so the count agrees.
        self.assertEqual(out[-1], '61 passed, 1 failed, 35 skipped, 1 flaky')
        self.assertIn('failed: the run (1 lock order problem(s))', out)

    def test_debug_tier_without_lockdep_fails(self):
        with tempfile.TemporaryDirectory() as tmp:
            for f in ('tap.log', 'console.log', 'status'):
                shutil.copy(os.path.join(data('run-stock'), f), tmp)
            with open(os.path.join(tmp, 'run-info'), 'w') as f:
                f.write('tier=debug\npartial=0\n')
            open(os.path.join(tmp, 'lockdep.txt'), 'w').close()
            code, out = self.run_cli(tmp)
        self.assertEqual(code, 1)
        self.assertIn('lock order: the debug kernel left no /proc/lockdep '
                      '(lockdep.txt is empty)', out)
        self.assertEqual(out[-1], '61 passed, 1 failed, 35 skipped, 1 flaky')

    def test_hang_is_reported_and_staleness_not_judged(self):
        with tempfile.NamedTemporaryFile('w') as status:
            status.write('hang=no output for 300s during panic_probe\n')
            status.flush()
            code, out = self.run_cli('--tap', os.path.join(data('run-died'), 'tap.log'),
                                     '--console', data('real-boot-clean.log'),
                                     '--known-splats', data('known-splats'),
                                     '--status', status.name)
        self.assertEqual(code, 1)
        self.assertTrue(out[-2].startswith(
            'verdict: FAIL (vm hang=no output for 300s during panic_probe; '), out[-2])
        self.assertFalse([line for line in out if line.startswith('STALE')])
        self.assertIn('failed: panic_probe (started, no result)', out)

    def test_bad_input(self):
        code, out = self.run_cli('--tap', data('no-such-file.log'),
                                 '--console', data('real-boot-clean.log'),
                                 '--known-splats', data('known-splats'))
        self.assertEqual(code, 2)
        self.assertIn('no-such-file.log', out[-2])
        self.assertEqual(out[-1], '0 passed, 1 failed, 0 skipped, 0 flaky')


if __name__ == '__main__':
    unittest.main()
