"""bench_report.py against the tap.log of a real `make bench` run
(data/bench-tap.log, two rounds on the stock kernel under TCG)."""
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..'))
import bench_report  # noqa: E402

DATA = os.path.join(os.path.dirname(__file__), 'data')


class BenchReportTest(unittest.TestCase):
    def setUp(self):
        with open(os.path.join(DATA, 'bench-tap.log')) as f:
            self.runs = bench_report.parse(f)

    def test_runs_in_vm_order(self):
        self.assertEqual([(k, r) for k, r, _ in self.runs],
                         [('base', 1), ('series', 1), ('base', 2), ('series', 2)])

    def test_base_has_no_stats(self):
        for kernel, _, vals in self.runs:
            want = 'n/a' if kernel == 'base' else '0.000'
            self.assertEqual(vals['storm retries_per_refresh'], want)

    def test_table_has_a_column_per_run_and_the_ratio(self):
        lines = bench_report.table(self.runs).splitlines()
        self.assertEqual(lines[0].split(),
                         ['metric', 'base#1', 'base#2', 'series#1', 'series#2',
                          'series/base'])
        retries = [line for line in lines if line.startswith('storm retries')]
        self.assertEqual(retries[0].split()[-1], 'n/a')

    def test_series_base_ratio_is_ratio_of_medians(self):
        base = [float(v['storm p99_us']) for k, _, v in self.runs if k == 'base']
        series = [float(v['storm p99_us']) for k, _, v in self.runs if k == 'series']
        row = [line for line in bench_report.table(self.runs).splitlines()
               if line.startswith('storm p99_us')][0]
        # Two rounds: the median is the mean of the two.
        self.assertEqual(row.split()[-1],
                         f'{(sum(series) / len(series)) / (sum(base) / len(base)):.2f}')

    def test_a_run_cut_short_is_incomplete(self):
        lines = ['# kvm-gpc: begin base.1\n', '# bench quiet p99_us: 28.2\n']
        runs = bench_report.parse(lines)
        self.assertEqual(runs, [('base', 1, {'quiet p99_us': '28.2'})])
        self.assertNotIn('storm status', runs[0][2])


if __name__ == '__main__':
    unittest.main()
