#!/usr/bin/env python3
"""Table of a `make bench` run: base vs series, from the VM's tap.log.

harness/bench-init.sh marks each run with "# kvm-gpc: begin <kernel>.<round>"
and the benchmark prints "# bench <key>: <value>" lines; this groups the
values by run and prints one column per run, then series/base: the ratio of
the per-kernel medians.  Medians, because the host is shared: a round that
another job slowed down moves a mean, not a median of three.

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


def table(runs):
    cols = sorted(runs, key=lambda r: (r[0] != 'base', r[1]))
    head = ['metric'] + [f'{k}#{r}' for k, r, _ in cols] + ['series/base']
    rows = [head]
    for key in ROWS:
        row = [key] + [vals.get(key, '-') for _, _, vals in cols]
        base = median([vals.get(key) for k, _, vals in cols if k == 'base'])
        series = median([vals.get(key) for k, _, vals in cols if k == 'series'])
        row.append(f'{series / base:.2f}' if base and series is not None else 'n/a')
        rows.append(row)
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    return '\n'.join('  '.join(c.ljust(w) if i == 0 else c.rjust(w)
                               for i, (c, w) in enumerate(zip(r, widths)))
                     for r in rows)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__.strip().splitlines()[-1].strip())
    with open(sys.argv[1], errors='replace') as f:
        runs = parse(f)
    if not runs:
        sys.exit('bench: no runs in ' + sys.argv[1])
    print(table(runs))
    incomplete = [f'{k}.{r}' for k, r, vals in runs if 'storm status' not in vals]
    if incomplete:
        print('bench: incomplete runs: ' + ' '.join(incomplete))
        sys.exit(1)


if __name__ == '__main__':
    main()
