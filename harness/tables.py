#!/usr/bin/env python3
"""The harness's hand-kept tables, and the one place that reads them.

  harness/known-failures   name | tier | timeout s | expected | reason
  harness/known-splats     signature | function | issue | tier
  harness/flaky-tests      name | tier | reason
  harness/test-durations   name | tier | seconds      (measured; see below)

Fields are separated by '|' and stripped; '#' starts a comment line.  An
expected output is an extended regex and may itself contain '|', so it takes
everything between the timeout and the last '|'.  A malformed line is an
error that names the file and the line (TableError).

The test plan the guest runs (/etc/kvm-gpc/plan, read by harness/guest/init.sh) is
written here too, one test per line:

  name|path|timeout|flaky|reason|expected

(the expected output last, since it may contain '|').

Commands:
  tables.py check                       parse every table (make check)
  tables.py plan --tier T TESTS...      the guest's plan; a TESTS item is
                                        "name path"; TEST_TIMEOUT (env), if
                                        set, overrides every timeout
  tables.py durations --tier T TAP      rewrite test-durations for tier T from
                                        a complete run's tap.log
"""
import argparse
import math
import os
import re
import subprocess
import sys
from dataclasses import dataclass

HARNESS = os.path.dirname(os.path.abspath(__file__))
TIERS = ('all', 'stock', 'debug', 'arm64')
# A test's timeout is its measured duration on that tier times this, and at
# least MIN_TIMEOUT: a busy host (two VMs, a kernel build) stretches TCG by
# up to about 3x.  A test with no measurement gets DEFAULT_TIMEOUT.
TIMEOUT_FACTOR = 4
MIN_TIMEOUT = 60
DEFAULT_TIMEOUT = 300


class TableError(ValueError):
    pass


@dataclass
class KnownFailure:
    name: str
    tier: str
    timeout: int		# None: the default
    expected: str		# an ERE, or TIMEOUT
    reason: str


@dataclass
class KnownSplat:
    signature: str
    function: str		# '*' or '': any function
    issue: str
    tier: str
    entry: str		# the line as written, for messages


@dataclass
class Flaky:
    name: str
    tier: str
    reason: str


@dataclass
class Duration:
    name: str
    tier: str
    seconds: int


def path_of(table):
    return os.path.join(HARNESS, table)


def _rows(path):
    """(line number, stripped line) of every non-comment line."""
    with open(path, encoding='utf-8') as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if line and not line.startswith('#'):
                yield n, line


def _tier(path, n, tier):
    if tier not in TIERS:
        raise TableError(f'{path}:{n}: tier "{tier}" is not one of '
                         f'{", ".join(TIERS)}')
    return tier


def _fields(path, n, line, count, shape):
    parts = [p.strip() for p in line.split('|')]
    if len(parts) != count or not all(parts):
        raise TableError(f'{path}:{n}: expected "{shape}", got {line!r}')
    return parts


def _unique(path, rows):
    """One row per test and tier; a test listed for 'all' may not also be
    listed for one tier, or a tier would see two rows for it."""
    seen = {}
    for n, row in rows:
        for key in [(row.name, row.tier)] + (
                [(row.name, t) for t in TIERS if t != 'all'] if row.tier == 'all'
                else [(row.name, 'all')]):
            if key in seen:
                raise TableError(f'{path}:{n}: {row.name} ({row.tier}) is '
                                 f'already listed on line {seen[key]}')
        seen[(row.name, row.tier)] = n
    return [row for _, row in rows]


def _guest_regex(path, n, expected):
    """The guest matches with busybox's grep -E: the same one must accept it
    (Python's re would pass \\d or (?i), which ERE does not have)."""
    try:
        rc = subprocess.run(['busybox', 'grep', '-Eq', '-e', expected],
                            input=b'x\n', capture_output=True).returncode
    except FileNotFoundError:
        raise TableError('busybox not found (make setup installs busybox-static)') from None
    if rc > 1 or re.search(r'\\[dDwWsS]|\(\?', expected):
        raise TableError(f'{path}:{n}: expected output {expected!r} is not a '
                         'POSIX extended regex (busybox grep -E)')


def in_tier(rows, tier):
    return [r for r in rows if tier is None or r.tier in ('all', tier)]


def load_known_failures(path=None, tier=None):
    path = path or path_of('known-failures')
    shape = 'name | tier | timeout s | expected | reason'
    rows = []
    for n, line in _rows(path):
        head = [p.strip() for p in line.split('|', 3)]
        if len(head) != 4 or '|' not in head[3]:
            raise TableError(f'{path}:{n}: expected "{shape}", got {line!r}')
        name, tier_, timeout = head[:3]
        expected, reason = (p.strip() for p in head[3].rsplit('|', 1))
        if not (name and expected and reason):
            raise TableError(f'{path}:{n}: expected "{shape}", got {line!r}')
        if timeout and not timeout.isdigit():
            raise TableError(f'{path}:{n}: timeout "{timeout}" is not a '
                             'number of seconds')
        if expected != 'TIMEOUT':
            _guest_regex(path, n, expected)
        rows.append((n, KnownFailure(name, _tier(path, n, tier_),
                                     int(timeout) if timeout else None,
                                     expected, reason)))
    return in_tier(_unique(path, rows), tier)


def load_known_splats(path=None, tier=None):
    """A function of '*' matches any splat with that signature."""
    path = path or path_of('known-splats')
    shape = 'signature | function | issue | tier'
    known = []
    for n, line in _rows(path):
        parts = [p.strip() for p in line.rsplit('|', 3)]
        if len(parts) != 4 or not (parts[0] and parts[2] and parts[3]):
            raise TableError(f'{path}:{n}: expected "{shape}", got {line!r}')
        known.append(KnownSplat(parts[0], parts[1], parts[2],
                                _tier(path, n, parts[3]), line))
    return in_tier(known, tier)


def load_flaky(path=None, tier=None):
    path = path or path_of('flaky-tests')
    rows = []
    for n, line in _rows(path):
        name, tier_, reason = _fields(path, n, line, 3, 'name | tier | reason')
        rows.append((n, Flaky(name, _tier(path, n, tier_), reason)))
    return in_tier(_unique(path, rows), tier)


def load_durations(path=None, tier=None):
    path = path or path_of('test-durations')
    rows = []
    if not os.path.exists(path):
        return []
    for n, line in _rows(path):
        name, tier_, secs = _fields(path, n, line, 3, 'name | tier | seconds')
        if not secs.isdigit():
            raise TableError(f'{path}:{n}: "{secs}" is not a number of seconds')
        rows.append((n, Duration(name, _tier(path, n, tier_), int(secs))))
    return in_tier(_unique(path, rows), tier)


def timeout_for(name, tier, failures, durations, override=None):
    """The in-guest timeout of one test: a known failure's own (a TIMEOUT
    entry must time out as listed, whatever TEST_TIMEOUT says), else
    TEST_TIMEOUT if given, else the measured duration with headroom."""
    for f in failures:
        if f.name == name and f.timeout:
            return f.timeout
    if override:
        return override
    measured = [d.seconds for d in durations if d.name == name]
    if not measured:
        return DEFAULT_TIMEOUT
    return max(MIN_TIMEOUT, math.ceil(max(measured) * TIMEOUT_FACTOR))


def check_conflicts(tier):
    """A test is a known failure or flaky, not both, on any one tier."""
    known = {f.name for f in load_known_failures(tier=tier)}
    for f in load_flaky(tier=tier):
        if f.name in known:
            raise TableError(f'{f.name} is both a known failure and flaky '
                             f'on the {tier} tier')


def plan(tier, tests, override=None):
    """The guest's plan lines for (name, path) tests on one tier (stock,
    debug, or another name such as custom, which only 'all' rows reach)."""
    check_conflicts(tier)
    failures = load_known_failures(tier=tier)
    flaky = {f.name for f in load_flaky(tier=tier)}
    # A kernel of the user's own is timed like the stock one.
    durations = load_durations(tier=tier if tier in TIERS else 'stock')
    known = {f.name: f for f in failures}
    lines = []
    for name, path in tests:
        f = known.get(name)
        fields = [name, path,
                  str(timeout_for(name, tier, failures, durations, override)),
                  'flaky' if name in flaky else '', f.reason if f else '',
                  f.expected if f else '']
        if any('\n' in x for x in fields) or '|' in ''.join(fields[:5]):
            raise TableError(f'{name}: a "|" or a newline in its plan line')
        lines.append('|'.join(fields))
    return lines


RAN_RE = re.compile(r'^# kvm-gpc: (\S+) exit (\d+) after (\d+)s')


def measured(tap_lines):
    """{test: seconds} of the tests that passed or skipped in a tap.log."""
    ran = {}
    for line in tap_lines:
        m = RAN_RE.match(line)
        if m and m.group(2) in ('0', '4'):
            ran[m.group(1)] = max(ran.get(m.group(1), 0), int(m.group(3)))
    return ran


def write_durations(tier, tap_path, path=None):
    path = path or path_of('test-durations')
    with open(tap_path, errors='replace') as f:
        lines = f.read().splitlines()
    if '# kvm-gpc: done' not in lines:
        raise TableError(f'{tap_path}: the run did not finish; measure a complete one')
    new = measured(lines)
    old = [d for d in load_durations(path) if d.tier != tier]
    rows = sorted(old + [Duration(n, tier, s) for n, s in new.items()],
                  key=lambda d: (d.name, TIERS.index(d.tier)))
    with open(path, 'w', encoding='utf-8') as f:
        f.write('# Measured in-guest durations (s), one run per tier on an idle host;\n'
                '# written by "harness/tables.py durations".  Timeouts are these\n'
                f'# times {TIMEOUT_FACTOR}, at least {MIN_TIMEOUT} s '
                f'({DEFAULT_TIMEOUT} s for a test not listed).\n'
                '#\n# name | tier | seconds\n')
        for d in rows:
            f.write(f'{d.name} | {d.tier} | {d.seconds}\n')
    return len(new)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    sub = p.add_subparsers(dest='cmd', required=True)
    sub.add_parser('check')
    pl = sub.add_parser('plan')
    pl.add_argument('--tier', required=True)
    pl.add_argument('tests', nargs='*', help='"name path"')
    du = sub.add_parser('durations')
    du.add_argument('--tier', required=True, choices=TIERS[1:])
    du.add_argument('tap')
    args = p.parse_args(argv)
    try:
        if args.cmd == 'check':
            counts = (len(load_known_failures()), len(load_known_splats()),
                      len(load_flaky()), len(load_durations()))
            for tier in TIERS[1:]:
                check_conflicts(tier)
            print('tables: %d known failures, %d known splats, %d flaky, '
                  '%d durations' % counts)
        elif args.cmd == 'plan':
            override = os.environ.get('TEST_TIMEOUT')
            if override and not override.isdigit():
                raise TableError(f'TEST_TIMEOUT={override} is not a number of seconds')
            tests = [t.split(None, 1) for t in args.tests]
            print('\n'.join(plan(args.tier, tests, int(override) if override else None)))
        elif args.cmd == 'durations':
            n = write_durations(args.tier, args.tap)
            print(f'tables: {n} {args.tier} durations written', file=sys.stderr)
    except (OSError, TableError) as e:
        print(f'error: {e}', file=sys.stderr)
        return 2
    return 0


if __name__ == '__main__':
    sys.exit(main())
