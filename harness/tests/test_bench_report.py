"""bench_report.py against the tap.logs of real `make bench` runs on the
stock kernel under TCG: data/bench-tap.log (two rounds, the refresh
benchmark alone), data/bench-evtchn-tap.log (three rounds, with the event
channel and runstate benchmark)."""
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



def row(table, key):
    return [line for line in table.splitlines() if line.startswith(key + ' ')][0].split()


class EvtchnReportTest(unittest.TestCase):
    def setUp(self):
        with open(os.path.join(DATA, 'bench-evtchn-tap.log')) as f:
            self.runs = bench_report.parse(f)
        self.table = bench_report.evtchn_table(self.runs)

    def medians(self, key):
        return [bench_report.median([v[key] for k, _, v in self.runs if k == kernel])
                for kernel in ('base', 'series')]

    def test_both_benchmarks_in_each_run(self):
        self.assertEqual(len(self.runs), 6)
        for _, _, vals in self.runs:
            self.assertEqual(vals['storm status'], 'ok')
            self.assertEqual(vals['runstate status'], 'ok')
            for key in bench_report.EVTCHN_ROWS:
                self.assertIsNotNone(bench_report.number(vals[key]), key)
        self.assertEqual(bench_report.incomplete(self.runs), [])

    def test_columns(self):
        self.assertEqual(self.table.splitlines()[0].split(),
                         ['metric', 'base#1', 'base#2', 'base#3',
                          'series#1', 'series#2', 'series#3', 'base', 'series',
                          'ratio', 'which', 'b-spread', 's-spread'])

    def test_rate_ratio_is_series_over_base(self):
        key = 'irqfd halted rtt_per_s'
        base, series = self.medians(key)
        self.assertEqual(row(self.table, key)[-4:-2],
                         [f'{series / base:.3f}', 'series/base'])

    def test_cost_ratio_is_base_over_series(self):
        key = 'runstate cross_ns'
        base, series = self.medians(key)
        cells = row(self.table, key)
        self.assertEqual(cells[-4:-2], [f'{base / series:.3f}', 'base/series'])
        self.assertEqual(cells[-6:-4], [f'{base:.0f}', f'{series:.0f}'])

    def test_no_ratio_for_a_difference_at_or_below_zero(self):
        base, series = self.medians('runstate cross_extra_ns')
        self.assertLess(series, 0)
        self.assertEqual(row(self.table, 'runstate cross_extra_ns')[-4], 'n/a')

    def test_spread_is_range_over_median(self):
        key = 'ioctl running rtt_per_s'
        vals = [float(v[key]) for k, _, v in self.runs if k == 'series']
        want = (max(vals) - min(vals)) / sorted(vals)[1]
        self.assertEqual(row(self.table, key)[-1], f'{want:.1%}')

    def test_a_run_cut_short_in_the_second_benchmark_is_incomplete(self):
        runs = [(k, r, dict(v)) for k, r, v in self.runs]
        del runs[3][2]['runstate status']
        self.assertEqual(bench_report.incomplete(runs), ['series.2'])


if __name__ == '__main__':
    unittest.main()
