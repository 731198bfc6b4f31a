#!/usr/bin/env python3
"""Unit tests for harness/tables.py: every table parses, and a malformed line
is an error that names its file and line."""
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
import tables  # noqa: E402


class Tmp(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()

    def tearDown(self):
        self.dir.cleanup()

    def table(self, name, text):
        path = os.path.join(self.dir.name, name)
        with open(path, 'w') as f:
            f.write(text)
        return path


class RealTables(unittest.TestCase):
    def test_the_committed_tables_parse(self):
        self.assertTrue(tables.load_known_failures())
        self.assertTrue(tables.load_flaky())
        tables.load_known_splats()
        tables.load_durations()
        self.assertEqual(tables.main(['check']), 0)

    def test_no_test_is_both_flaky_and_a_known_failure(self):
        for tier in ('stock', 'debug'):
            failing = {f.name for f in tables.load_known_failures(tier=tier)}
            flaky = {f.name for f in tables.load_flaky(tier=tier)}
            self.assertFalse(failing & flaky)


class KnownSplats(Tmp):
    def test_four_fields(self):
        path = self.table('known-splats', '# comment\n\n'
                          'BUG: Invalid wait context | avic_vcpu_put | 11 | debug\n'
                          'WARNING: suspicious RCU usage | * | 10 | all\n')
        rows = tables.load_known_splats(path)
        self.assertEqual([(r.signature, r.function, r.issue, r.tier) for r in rows],
                         [('BUG: Invalid wait context', 'avic_vcpu_put', '11', 'debug'),
                          ('WARNING: suspicious RCU usage', '*', '10', 'all')])
        self.assertEqual(len(tables.load_known_splats(path, tier='stock')), 1)

    def test_three_fields_is_an_error_naming_file_and_line(self):
        path = self.table('known-splats', '# comment\n'
                          'BUG: Invalid wait context | avic_vcpu_put | 11\n')
        with self.assertRaises(tables.TableError) as e:
            tables.load_known_splats(path)
        self.assertIn(f'{path}:2:', str(e.exception))
        self.assertIn('signature | function | issue | tier', str(e.exception))

    def test_unknown_tier_is_an_error(self):
        path = self.table('known-splats', 'BUG: x | f | 11 | arm\n')
        with self.assertRaisesRegex(tables.TableError, f'{path}:1: tier "arm"'):
            tables.load_known_splats(path)


class KnownFailures(Tmp):
    def test_expected_may_contain_bars(self):
        path = self.table('known-failures',
                          'a_test | all | 30 | one|two (three|four) | why\n'
                          'b_test | debug | | TIMEOUT | slow\n')
        a, b = tables.load_known_failures(path)
        self.assertEqual((a.name, a.tier, a.timeout, a.expected, a.reason),
                         ('a_test', 'all', 30, 'one|two (three|four)', 'why'))
        self.assertEqual((b.timeout, b.expected), (None, 'TIMEOUT'))
        self.assertEqual(tables.load_known_failures(path, tier='stock'), [a])

    def test_malformed_lines(self):
        for line, why in (('a_test | all | 30 | only four', 'expected "name'),
                          ('a_test | all | x | TIMEOUT | r', 'timeout "x"'),
                          ('a_test | all | | ( | r', 'not a POSIX extended regex'),
                          ('a_test | all | | took \\d+ s | r', 'not a POSIX extended regex'),
                          ('a_test | all | | (?i)error | r', 'not a POSIX extended regex'),
                          ('a_test | all | | TIMEOUT | ', 'expected "name')):
            path = self.table('known-failures', '# c\n' + line + '\n')
            with self.assertRaises(tables.TableError, msg=line) as e:
                tables.load_known_failures(path)
            self.assertIn(f'{path}:2:', str(e.exception))
            self.assertIn(why, str(e.exception))

    def test_all_and_one_tier(self):
        path = self.table('known-failures', 'a | debug | | X | r\na | all | | Y | r\n')
        with self.assertRaisesRegex(tables.TableError, ':2: a .all. is already listed on line 1'):
            tables.load_known_failures(path)

    def test_duplicate(self):
        path = self.table('known-failures', 'a | all | | X | r\na | all | | Y | r\n')
        with self.assertRaisesRegex(tables.TableError, ':2: a .all. is already listed on line 1'):
            tables.load_known_failures(path)


class Timeouts(unittest.TestCase):
    F = [tables.KnownFailure('slow', 'all', 30, 'TIMEOUT', 'r'),
         tables.KnownFailure('bad', 'all', None, 'x', 'r')]
    D = [tables.Duration('quick', 'stock', 3), tables.Duration('long', 'stock', 92),
         tables.Duration('bad', 'stock', 20)]

    def test_rules(self):
        t = tables.timeout_for
        self.assertEqual(t('slow', 'stock', self.F, self.D), 30)
        self.assertEqual(t('bad', 'stock', self.F, self.D), 80)
        self.assertEqual(t('quick', 'stock', self.F, self.D), tables.MIN_TIMEOUT)
        self.assertEqual(t('long', 'stock', self.F, self.D), 92 * tables.TIMEOUT_FACTOR)
        self.assertEqual(t('new', 'stock', self.F, self.D), tables.DEFAULT_TIMEOUT)
        # TEST_TIMEOUT overrides the measured ones, not a known failure's
        # own: that one must still time out as listed.
        self.assertEqual(t('quick', 'stock', self.F, self.D, override=7), 7)
        self.assertEqual(t('slow', 'stock', self.F, self.D, override=600), 30)


class Durations(Tmp):
    TAP = ('TAP version 13\n1..3\n'
           '# kvm-gpc: a exit 0 after 12s\nok 1 a\n'
           '# kvm-gpc: b exit 4 after 1s\nok 2 b # SKIP x\n'
           '# kvm-gpc: c exit 1 after 40s\nnot ok 3 c # exit 1\n')

    def test_only_passes_and_skips_of_a_complete_run(self):
        out = self.table('test-durations', 'z | debug | 5\n')
        tap = self.table('tap.log', self.TAP)
        with self.assertRaisesRegex(tables.TableError, 'did not finish'):
            tables.write_durations('stock', tap, out)
        tap = self.table('tap.log', self.TAP + '# kvm-gpc: done\n')
        self.assertEqual(tables.write_durations('stock', tap, out), 2)
        rows = tables.load_durations(out)
        self.assertEqual([(d.name, d.tier, d.seconds) for d in rows],
                         [('a', 'stock', 12), ('b', 'stock', 1), ('z', 'debug', 5)])


if __name__ == '__main__':
    unittest.main()
