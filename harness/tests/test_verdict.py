# SPDX-License-Identifier: GPL-2.0
"""Tests for harness/verdict.py against recorded logs in data/.

Any data/<name>.log with a sibling <name>.expect (one expected splat
signature per line, '#' comments) is checked by test_expectations, so a
captured console log plus its expectation needs no code here.
"""

import contextlib
import glob
import io
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
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
	def test_load_known(self):
		known = verdict.load_known(data('known-splats'))
		self.assertEqual([(k.signature, k.function, k.issue) for k in known],
				 [('BUG: Invalid wait context', 'kvm_xen_set_evtchn_fast', '#4'),
				  ('WARNING: possible recursive locking detected',
				   'kvm_gpc_lock', '#9')])

	def test_malformed_known(self):
		with tempfile.NamedTemporaryFile('w', suffix='known') as f:
			f.write('BUG: Invalid wait context | kvm_xen_set_evtchn_fast\n')
			f.flush()
			with self.assertRaises(ValueError):
				verdict.load_known(f.name)

	def test_match_and_stale(self):
		splats = list(scan('console-lockdep.log').values())
		known = verdict.load_known(data('known-splats'))
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
			entry = verdict.KnownSplat('Invalid wait context', func, '#4', '')
			self.assertEqual(verdict.match_known(splats, [entry])[1], [], func)

	def test_pasted_signature_matches(self):
		splat = scan('console-stalls.log')[
			'watchdog: BUG: soft lockup - CPU#N stuck for Ns! | kvm_xen_set_evtchn']
		with tempfile.NamedTemporaryFile('w', suffix='known') as f:
			f.write(splat.signature + ' | #12\n')
			f.flush()
			known = verdict.load_known(f.name)
		self.assertEqual(len(verdict.match_known([splat], known)[1]), 1)


class TapTest(unittest.TestCase):
	def test_pass_with_skip_and_xfail_crlf(self):
		run = tap('tap-pass.log')
		self.assertTrue(run.done)
		self.assertEqual(run.plan, 4)
		self.assertEqual(run.kernel, '6.12.117+deb12-amd64')
		self.assertEqual([(r.name, r.status) for r in run.results],
				 [('xen_shinfo_test', 'pass'), ('hyperv_clock', 'pass'),
				  ('sev_smoke_test', 'skip'), ('xen_vmcall_test', 'xfail')])
		v = verdict.verdict(run, [], [])
		self.assertTrue(v.passed, v.reasons)
		self.assertEqual(v.counts, (2, 0, 2))
		self.assertEqual(v.xfail, ['xen_vmcall_test (XFAIL known failing: #7)'])

	def test_not_ok_and_timeout(self):
		v = verdict.verdict(tap('tap-fail.log'), [], [])
		self.assertFalse(v.passed)
		self.assertEqual(v.failed, ['hyperv_clock', 'xen_vmcall_test (TIMEOUT 180s)'])
		self.assertEqual(v.counts, (1, 2, 1))
		self.assertEqual(v.reasons, ['2 failed'])

	def test_vm_died_mid_test(self):
		v = verdict.verdict(tap('tap-died.log'), [], [], status='panic')
		self.assertEqual(v.counts, (2, 3, 0))
		self.assertEqual(v.failed, ['xen_vmcall_test (started, no result)',
					    '#4..#5 (not run)'])
		self.assertEqual(v.reasons, [
			'vm panic',
			"VM did not finish (no '# kvm-gpc: done', died during xen_vmcall_test)",
			'3 not run'])

	def test_missing_plan(self):
		v = verdict.verdict(tap('tap-noplan.log'), [], [])
		self.assertIsNone(tap('tap-noplan.log').plan)
		self.assertEqual(v.counts, (0, 1, 0))
		self.assertFalse(v.passed)

	def test_plan_without_done(self):
		lines = tap('tap-pass.log')
		lines.done = False
		v = verdict.verdict(lines, [], [])
		self.assertFalse(v.passed)
		self.assertIn('VM did not finish', v.reasons[0])

	def test_empty_tap(self):
		v = verdict.verdict(verdict.parse_tap([]), [], [])
		self.assertEqual(v.reasons[0], 'no TAP output from the VM')


class CliTest(unittest.TestCase):
	def run_cli(self, *args):
		out = io.StringIO()
		with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
			code = verdict.main(list(args))
		return code, out.getvalue().splitlines()

	def test_fail_on_unexpected_splat(self):
		code, out = self.run_cli('--tap', data('tap-pass.log'),
					 '--console', data('console-lockdep.log'),
					 '--known-splats', data('known-splats'))
		self.assertEqual(code, 1)
		self.assertIn('SPLAT in xen_vmcall_test: WARNING: possible circular '
			      'locking dependency detected | kvm_xen_shared_info_init', out)
		self.assertIn('KNOWN SPLAT in xen_shinfo_test: BUG: Invalid wait '
			      'context | kvm_xen_set_evtchn_fast (#4)', out)
		self.assertIn('STALE known-splat entry (did not occur): WARNING: '
			      'possible recursive locking detected | kvm_gpc_lock | #9'
			      ' \u2014 delete it', out)
		self.assertEqual(out[-3:], ['splats: 2 unexpected, 1 known',
					    'verdict: FAIL (2 unexpected splat(s))',
					    '2 passed, 0 failed, 2 skipped'])

	def test_pass(self):
		with tempfile.NamedTemporaryFile('w') as known, \
		     tempfile.NamedTemporaryFile('w') as status:
			status.write('exit=0\n')
			status.flush()
			code, out = self.run_cli('--tap', data('tap-pass.log'),
						 '--console', data('real-boot-clean.log'),
						 '--known-splats', known.name,
						 '--status', status.name)
		self.assertEqual(code, 0)
		self.assertEqual(out[-2:], ['verdict: PASS', '2 passed, 0 failed, 2 skipped'])

	def test_hang_is_reported_and_staleness_not_judged(self):
		with tempfile.NamedTemporaryFile('w') as status:
			status.write('hang=no output for 300s during xen_vmcall_test\n')
			status.flush()
			code, out = self.run_cli('--tap', data('tap-died.log'),
						 '--console', data('real-boot-clean.log'),
						 '--known-splats', data('known-splats'),
						 '--status', status.name)
		self.assertEqual(code, 1)
		self.assertTrue(out[-2].startswith(
			'verdict: FAIL (vm hang=no output for 300s during xen_vmcall_test; '))
		self.assertFalse([l for l in out if l.startswith('STALE')])
		self.assertIn('failed: xen_vmcall_test (started, no result)', out)

	def test_bad_input(self):
		code, out = self.run_cli('--tap', data('no-such-file.log'),
					 '--console', data('real-boot-clean.log'),
					 '--known-splats', data('known-splats'))
		self.assertEqual(code, 2)
		self.assertIn('no-such-file.log', out[-1])


if __name__ == '__main__':
	unittest.main()
