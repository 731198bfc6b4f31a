#!/usr/bin/env python3
"""Tables of a `make bench` run: base vs series, from the VM's tap.log.

harness/guest/bench-init.sh marks each run with "# kvm-gpc: begin <kernel>.<round>"
and the benchmarks print "# bench <key>: <value>" lines; this groups the
values by run and prints one column per run, then the ratio of the
per-kernel medians.  Medians, because the host is shared: a round that
another job slowed down moves a mean, not a median of three.

The refresh latency table (xen_gpc_refresh_perf_test) gives series/base.
The event channel and runstate table (xen_evtchn_perf_test) gives, for
each row, the ratio that is >= 1 when the series is no worse: series/base
for rates (*_per_s), base/series for costs (*_ns); and the spread of each
kernel's rounds, (max - min) / median.

    bench_report.py <tap.log>
"""
import re
import statistics
import sys

BEGIN = re.compile(r'^# kvm-gpc: begin (base|series)\.(\d+)$')
VALUE = re.compile(r'^# bench (.+?): (\S+)$')

ROWS = [
    'quiet p50_us', 'quiet p99_us', 'quiet max_us',
    'busy p50_us', 'busy p99_us', 'busy max_us',
    'storm p50_us', 'storm p99_us', 'storm max_us',
    'storm/quiet p99_ratio', 'storm/busy p99_ratio',
    'quiet retries_per_refresh', 'storm retries_per_refresh',
    'storm invalidations_per_s', 'storm refreshes', 'storm status',
]

EVTCHN_ROWS = [f'{path} {wait} {m}'
               for path in ('ioctl', 'irqfd') for wait in ('running', 'halted')
               for m in ('rtt_per_s', 'send_per_s', 'delivered_per_s')] + [
    'runstate none_ns', 'runstate page_ns', 'runstate cross_ns',
    'runstate page_extra_ns', 'runstate cross_extra_ns',
]

# The last line of each benchmark: a run that has one has all of that one's.
DONE = ['storm status', 'runstate status']


def parse(lines):
    """[(kernel, round, {key: value})] in the order the VM ran them."""
    runs = []
    for line in lines:
        line = line.rstrip('\n')
        m = BEGIN.match(line)
        if m:
            runs.append((m.group(1), int(m.group(2)), {}))
            continue
        m = VALUE.match(line)
        if m and runs:
            runs[-1][2][m.group(1)] = m.group(2)
    return runs


def number(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def median(values):
    nums = [number(v) for v in values]
    if not nums or None in nums:
        return None
    return statistics.median(nums)


def columns(runs):
    return sorted(runs, key=lambda r: (r[0] != 'base', r[1]))


def kernel_values(cols, kernel, key):
    return [vals.get(key) for k, _, vals in cols if k == kernel]


def table(runs):
    cols = columns(runs)
    head = ['metric'] + [f'{k}#{r}' for k, r, _ in cols] + ['series/base']
    rows = [head]
    for key in ROWS:
        row = [key] + [vals.get(key, '-') for _, _, vals in cols]
        base = median(kernel_values(cols, 'base', key))
        series = median(kernel_values(cols, 'series', key))
        row.append(f'{series / base:.2f}' if base and series is not None else 'n/a')
        rows.append(row)
    return layout(rows)


def spread(values):
    nums = [number(v) for v in values]
    if not nums or None in nums or not statistics.median(nums):
        return 'n/a'
    return f'{(max(nums) - min(nums)) / abs(statistics.median(nums)):.1%}'


def evtchn_table(runs):
    cols = columns(runs)
    head = (['metric'] + [f'{k}#{r}' for k, r, _ in cols] +
            ['base', 'series', 'ratio', 'which', 'b-spread', 's-spread'])
    rows = [head]
    for key in EVTCHN_ROWS:
        row = [key] + [vals.get(key, '-') for _, _, vals in cols]
        base = median(kernel_values(cols, 'base', key))
        series = median(kernel_values(cols, 'series', key))
        # A difference of costs can be 0 or negative: no ratio then.
        cost = key.endswith('_ns')
        num, den = (base, series) if cost else (series, base)
        ok = base is not None and series is not None and num > 0 and den > 0
        row += [f'{base:.0f}' if base is not None else 'n/a',
                f'{series:.0f}' if series is not None else 'n/a',
                f'{num / den:.3f}' if ok else 'n/a',
                'base/series' if cost else 'series/base',
                spread(kernel_values(cols, 'base', key)),
                spread(kernel_values(cols, 'series', key))]
        rows.append(row)
    return layout(rows)


def layout(rows):
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return '\n'.join('  '.join(c.ljust(w) if i == 0 else c.rjust(w)
                               for i, (c, w) in enumerate(zip(r, widths)))
                     for r in rows)


def incomplete(runs):
    """Runs that lack the last line of a benchmark that some run has."""
    done = [key for key in DONE if any(key in vals for _, _, vals in runs)]
    return [f'{k}.{r}' for k, r, vals in runs
            if not done or any(key not in vals for key in done)]


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__.strip().splitlines()[-1].strip())
    with open(sys.argv[1], errors='replace') as f:
        runs = parse(f)
    if not runs:
        sys.exit('bench: no runs in ' + sys.argv[1])
    print(table(runs))
    if any('runstate status' in vals for _, _, vals in runs):
        print()
        print(evtchn_table(runs))
    cut = incomplete(runs)
    if cut:
        print('bench: incomplete runs: ' + ' '.join(cut))
        sys.exit(1)


if __name__ == '__main__':
    main()
