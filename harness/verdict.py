#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Parse → verdict: turn a run's TAP log and kernel console into PASS/FAIL.

The in-VM runner prints kselftest TAP on its own serial port (tap.log); the
kernel console (console.log) is scanned for splats, which are attributed to
the test running at the time via the runner's `kvm-gpc: begin/end <test>`
/dev/kmsg markers and matched against the known-splats list.

Splat extraction rule (the console has no reliable framing, so this is a
heuristic; every step is a plain regex so it can be checked against a log):
  start  a title line (see TITLE_RES), or the lead-in just before it: the
         `cut here` line of WARN/BUG/UBSAN (title up to LEAD_IN lines later,
         after the WARN() message) or the `=====` frame of lockdep/KASAN.
  end    the first of:
         - an end marker `---[ end trace` / `---[ end Kernel panic` (kept);
         - a closing `=====` for a framed report (KASAN), kept;
         - `</TASK>` once `stack backtrace:` was seen (lockdep's one dump), kept;
         - the start of another splat, or a kvm-gpc marker (not kept);
         - a printk timestamp more than GAP_SECONDS after the previous one:
           a report is printed in one burst, so a pause means it is over;
         - MAX_LINES lines, so a report with no ending can't eat the log.
Splats are deduplicated by signature = normalized title + first relevant
function; the signature is printed as `<title> | <function>` so it can be
pasted into harness/known-splats (`<title> | <function> | <issue> | <tier>`,
read by harness/tables.py).

On a lockdep kernel the guest leaves /proc/lockdep behind (lockdep.txt), and
the orders it observed are checked against the run's locking.rst
(harness/lockorder.py) as part of this one verdict.

    verdict.py <run dir>      judge a run's saved logs (again)

The run directory holds tap.log, console.log, status, run-info (tier=,
partial=), the run's copies of known-splats and locking.rst, and on the debug
tier lockdep.txt.  The last line printed is always `N passed, N failed, N
skipped, N flaky`; N failed is 0 and the exit code 0 exactly when the verdict
is PASS (the exit code is 2 for unusable input, which counts as 1 failed).
"""

import argparse
import os
import re
import sys
from dataclasses import dataclass, field, replace
from itertools import islice

import lockorder
import tables

LEAD_IN = 10
GAP_SECONDS = 5.0
MAX_LINES = 400

TS_RE = re.compile(r'^\[\s*(\d+\.\d+)\](?:\[\s*[TC]\d+\])? ?')
MARKER_RE = re.compile(r'^kvm-gpc: (begin|end) (\S+)')
INIT_RE = re.compile(r'^Run \S+ as init process')
CUT_RE = re.compile(r'^-+\[ cut here \]-+$')
FRAME_RE = re.compile(r'^={20,}$')
END_RE = re.compile(r'^---\[ end (trace|Kernel panic)')
TITLE_RES = [re.compile(p) for p in (
    r'^WARNING: CPU: \d+ PID: \d+ at ',    # kernel/panic.c __warn
    r'^(watchdog: )?BUG: ',        # BUG:, KASAN, soft lockup
    r'^kernel BUG at ',        # lib/bug.c
    r'^Oops: ',          # x86 __die_header
    r'^general protection fault',      # pre-6.10 x86 GPF
    r'^Kernel panic - not syncing',
    r'^UBSAN: ',
    r'^(rcu: )?INFO: \w+ (self-)?detected (expedited )?stall',
    r'^(\w+ )?watchdog: Watchdog detected hard LOCKUP',
    r'^INFO: task \S+ blocked for more than',  # kernel/hung_task.c
)]
# Only after a ===== frame: lockdep's reports ("WARNING: possible circular
# ...", "[ BUG: Invalid wait context ]"). A bare "WARNING:" line is not a
# splat: boot messages and userspace /dev/kmsg writes use it too.
FRAMED_TITLE_RE = re.compile(r'^(WARNING: |\[ (BUG|INFO): )')
SYMBOL = r'([A-Za-z_][\w.]*)\+0x[0-9a-f]+/0x[0-9a-f]+'
TITLE_FUNC_RE = re.compile(SYMBOL)
LOCK_AT_RE = re.compile(r', at: ' + SYMBOL)
# lockdep names the lock being taken on the line after one of these.
ACQUIRE_RE = re.compile(r'(is trying to (acquire lock|lock)|takes|'
            r'just changed the state of lock):$')
RIP_RE = re.compile(r'RIP: 0010:(?:\[<\w+>\]\s+)*' + SYMBOL)
FRAME_LINE_RE = re.compile(r'^\s+(\? )?' + SYMBOL)
# Reporting, locking and scheduler plumbing: never the interesting frame.
SKIP_FUNC_RE = re.compile(
    r'(dump_stack\w*|show_\w+|__warn\w*|warn_\w+|report_bug|handle_bug|'
    r'(asm_)?exc_\w+|panic|nmi_\w+|__die\w*|oops_\w+|page_fault_oops|'
    r'kernelmode_fixup_or_oops|__?bad_area\w*|do_(user|kern)_addr_fault|'
    r'_*might_\w+|__schedule|schedule\w*|preempt_schedule\w*|__cond_resched|'
    r'_*mutex_\w+|_*rt_mutex\w*|rt_spin_\w+|_*raw_\w+|do_raw_\w+|'
    r'queued_\w+|native_queued_\w+|_*down\w*|_*up_(read|write)\w*|rwsem_\w+|'
    r'_*lock_acquire\w*|lock_release|lockdep_\w+|check_noncircular|'
    r'check_prevs?_add|validate_chain|print_\w+|_*kasan_\w+|'
    r'__asan_\w+|check_region_inline|_*ubsan_\w+|rcu_dump_\w+|'
    r'rcu_sched_clock_irq|update_process_times|tick_\w+|_*hrtimer_\w+|'
    r'(asm_)?_*sysvec_\w+|watchdog_timer_fn|_*wait_for_common\w*|'
    r'wait_for_completion\w*|io_schedule\w*)$')
NORMALIZE = [
    (re.compile(r'^\[ (.*) \]$'), r'\1'),      # lockdep frame
    (re.compile(r'CPU: \d+ PID: \d+ '), ''),    # WARN
    (re.compile(r'\+0x[0-9a-f]+/0x[0-9a-f]+'), ''),    # symbol offsets
    (re.compile(r':? [0-9a-f]{4} \[#\d+\].*$'), ''),  # Oops code, flags
    (re.compile(r'(CPUs/tasks:).*$'), r'\1'),    # expedited stall
    (re.compile(r' \[[^\]\s]+:\d+\]$'), ''),    # soft lockup comm
    (re.compile(r'task \S+:\d+ '), 'task '),    # hung task comm
    (re.compile(r': \S+/\d+/0x[0-9a-f]+$'), ''),    # sched while atomic
    (re.compile(r'(CPU#|cpu |for |than )\d+'), r'\1N'),
    (re.compile(r'\b(0x[0-9a-f]+|[0-9a-f]{8,16})\b'), 'ADDR'),
]


def split_line(line):
    """Return (timestamp or None, message) for one console line."""
    line = line.rstrip('\r\n').replace('\r', '')
    m = TS_RE.match(line)
    return (float(m.group(1)), line[m.end():]) if m else (None, line)


def base_name(func):
    # foo.constprop.0 and foo.cold are the same source function.
    return func.split('.')[0] if func else func


def normalize(title):
    for regex, repl in NORMALIZE:
        title = regex.sub(repl, title)
    return title.strip()


@dataclass
class Splat:
    test: str
    title: str    # normalized title (message) line
    raw_title: str
    function: str
    lines: list
    tests: list = field(default_factory=list)  # context of each occurrence

    @property
    def signature(self):
        return f'{self.title} | {self.function}' if self.function else self.title


def find_titles(msgs):
    """Flag title lines; a framed title needs a ===== line just before."""
    titles, prev = [], ''
    for msg in msgs:
        titles.append(any(r.match(msg) for r in TITLE_RES) or bool(
            FRAMED_TITLE_RE.match(msg) and FRAME_RE.match(prev)))
        prev = msg if msg.strip() else prev
    return titles


def splat_title_at(msgs, titles, i):
    """Index of the title of a splat that starts at line i, or None."""
    if titles[i]:
        return i
    if CUT_RE.match(msgs[i]):
        window = LEAD_IN  # WARN(cond, fmt) prints fmt before the title
    elif FRAME_RE.match(msgs[i]):
        window = 1
    else:
        return None
    nonblank = (j for j in range(i + 1, len(msgs)) if msgs[j].strip())
    return next((j for j in islice(nonblank, window) if titles[j]), None)


def find_end(msgs, stamps, titles, start, title):
    """Index just past the last line of the splat (see module comment)."""
    framed = FRAME_RE.match(msgs[start]) is not None
    last_ts, backtrace = stamps[title], False
    for k in range(title + 1, len(msgs)):
        msg = msgs[k]
        if k - start >= MAX_LINES or MARKER_RE.match(msg):
            return k
        if stamps[k] is not None:
            if last_ts is not None and stamps[k] - last_ts > GAP_SECONDS:
                return k
            last_ts = stamps[k]
        if END_RE.match(msg) or (framed and FRAME_RE.match(msg)):
            return k + 1
        backtrace = backtrace or msg.strip() == 'stack backtrace:'
        if backtrace and msg.strip() == '</TASK>':
            return k + 1
        # The Oops line after "BUG: unable to handle ..." or "kernel BUG
        # at" belongs to that report.
        if msg.startswith('Oops: ') and k - title <= LEAD_IN:
            continue
        if splat_title_at(msgs, titles, k) is not None:
            return k
    return len(msgs)


def first_function(raw_title, msgs):
    """The function a splat is about: the WARN/KASAN site in the title,
    else lockdep's acquire site, else the kernel RIP, else the first
    reliable call-trace frame that is not reporting or locking plumbing."""
    m = TITLE_FUNC_RE.search(raw_title)
    if m:
        return base_name(m.group(1))
    candidates = []
    stripped = [msg.strip() for msg in msgs]
    if 'stack backtrace:' in stripped:    # lockdep: one dump, at the end
        candidates += [m.group(1) for prev, msg in zip(msgs, msgs[1:])
                   if ACQUIRE_RE.search(prev)
                   for m in [LOCK_AT_RE.search(msg)] if m][:1]
        msgs = msgs[stripped.index('stack backtrace:'):]
    candidates += [m.group(1) for m in map(RIP_RE.search, msgs) if m]
    candidates += [m.group(2) for m in map(FRAME_LINE_RE.match, msgs)
               if m and not m.group(1)]
    for func in map(base_name, candidates):
        if not SKIP_FUNC_RE.match(func):
            return func
    return None


def scan_splats(lines):
    """Find splats in console lines; return them deduplicated, in order."""
    split = [split_line(line) for line in lines]
    stamps = [ts for ts, _ in split]
    msgs = [msg for _, msg in split]
    titles = find_titles(msgs)
    found, context, i = {}, 'boot', 0
    while i < len(msgs):
        marker = MARKER_RE.match(msgs[i])
        if marker:
            verb, test = marker.groups()
            context = test if verb == 'begin' else f'after {test}'
        elif INIT_RE.match(msgs[i]) and context == 'boot':
            # Userspace is up: before the first test the runner loads modules.
            context = 'module load'
        title = splat_title_at(msgs, titles, i)
        if marker or title is None:
            i += 1
            continue
        end = find_end(msgs, stamps, titles, i, title)
        raw = msgs[title]
        splat = Splat(context, normalize(raw), raw,
                  first_function(raw, msgs[title:end]),
                  [line.rstrip('\r\n') for line in lines[i:end]])
        seen = found.setdefault(splat.signature, splat)
        seen.tests.append(context)
        i = end
    return list(found.values())


def mentions_symbol(text, func):
    # As a symbol: "func+0x", "func(", " func ", "func.constprop" - never a
    # substring of a longer identifier.
    return re.search(r'(?<![\w.])' + re.escape(func) +
             r'(?=\+0x|\(|\.(constprop|isra|part|cold)|\s|$)', text,
             re.M) is not None


def match_known(splats, known):
    """Split splats into (unexpected, [(splat, entry)], stale entries)."""
    unexpected, hits, used = [], [], set()
    for splat in splats:
        text = '\n'.join(splat.lines)
        entry = next((e for e in known
                  if (e.signature in splat.raw_title or
                  e.signature in splat.title) and
                  (e.function in ('', '*') or
                   mentions_symbol(text, e.function))), None)
        if entry:
            hits.append((splat, entry))
            used.add(id(entry))
        else:
            unexpected.append(splat)
    return unexpected, hits, [e for e in known if id(e) not in used]


@dataclass
class TestResult:
    number: int
    name: str
    status: str    # pass, fail, skip, xfail, flaky
    detail: str = ''


@dataclass
class TapRun:
    version: bool = False
    plan: int = None
    results: list = field(default_factory=list)
    began: list = field(default_factory=list)  # kvm-gpc: begin <test>
    done: bool = False
    kernel: str = None
    bail: str = None    # the reason of a "Bail out!" line


TAP_RESULT_RE = re.compile(r'^(not ok|ok) (\d+)(?: -)? ?([^#]*?)\s*(?:#\s*(.*))?$')
# kselftest's directives on an `ok` line: XFAIL marks a listed known
# failure that failed as expected, FLAKY a listed flaky test that failed
# once and passed on its second run.  Neither is a plain pass.
DIRECTIVES = {'SKIP': 'skip', 'XFAIL': 'xfail', 'TODO': 'xfail',
              'FLAKY': 'flaky', 'TIMEOUT': 'fail'}


def parse_tap(lines):
    """Parse the runner's kselftest TAP (a serial port, so CRs are dropped)."""
    run = TapRun()
    for line in lines:
        line = line.rstrip('\r\n').replace('\r', '')
        if line.startswith('TAP version '):
            run.version = True
        elif m := re.match(r'^1\.\.(\d+)', line):
            run.plan = int(m.group(1))
        elif m := re.match(r'^# kvm-gpc: begin (\S+)', line):
            run.began.append(m.group(1))
        elif re.match(r'^# kvm-gpc: done\s*$', line):
            run.done = True
        elif m := re.match(r'^Bail out!\s*(.*)', line):
            run.bail = m.group(1).strip() or 'no reason given'
        elif m := re.match(r'^# kvm-gpc: kernel (.*)', line):
            run.kernel = m.group(1).strip()
        elif m := TAP_RESULT_RE.match(line):
            ok, number, name, directive = m.groups()
            directive = (directive or '').strip()
            # A directive qualifies an ok; a not ok is a failure whatever
            # follows it (kselftest prints ok for SKIP and XFAIL).
            status = DIRECTIVES.get(directive.split(' ')[0].upper())
            if ok == 'not ok':
                status = 'fail'
            elif not status:
                status, directive = 'pass', ''
            run.results.append(TestResult(int(number), name or f'#{number}',
                              status, directive))
    return run


@dataclass
class Verdict:
    passed: bool
    reasons: list
    counts: tuple   # passed, failed, skipped (with xfail), flaky; see verdict()
    failed: list    # "name (detail)" of failed and not-run tests
    xfail: list
    flaky: list
    unexpected: list
    known: list
    stale: list
    complete: bool
    order: list = field(default_factory=list)   # lock order report lines


def verdict(run, splats, known, status=None, order=None):
    """order: (problems, report lines) of the lock order check, or None.

    The counts agree with the verdict: failed counts the tests that failed,
    did not run, or ran while the kernel printed an unexpected splat, and,
    when the verdict is FAIL for a reason no test carries (a bail out, a lock
    order problem, a splat at boot, a VM that did not exit cleanly after its
    last test), the run itself as one more.  So failed is 0 exactly when the
    verdict is PASS."""
    unexpected, hits, stale = match_known(splats, known)
    spat = {t for s in unexpected for t in s.tests}
    results = [replace(r, status='fail', detail='unexpected splat')
               if r.name in spat and r.status != 'fail' else r
               for r in run.results]
    by_status = {s: [r for r in results if r.status == s]
                 for s in ('pass', 'fail', 'skip', 'xfail', 'flaky')}
    reported = {r.number for r in run.results}
    names = {r.name for r in run.results}
    crashed = [name for name in run.began if name not in names]
    failed = [f'{r.name} ({r.detail})' if r.detail else r.name
              for r in by_status['fail']]
    failed += [f'{name} (started, no result)' for name in crashed]
    if run.plan is not None:
        missing = [n for n in range(1, run.plan + 1) if n not in reported]
        unnamed = len(missing) - len(crashed)
        if unnamed > 0:
            first, last = missing[-unnamed], missing[-1]
            span = f'#{first}' if first == last else f'#{first}..#{last}'
            failed.append(f'{span} (not run)')
        not_run = len(missing)
    else:
        not_run = len(crashed)
    reasons = []
    if status and status != 'exit=0':
        reasons.append(f'vm {status}')
    if not run.version and not run.results:
        reasons.append('no TAP output from the VM')
    if run.bail:
        reasons.append(f'the VM bailed out: {run.bail}')
    if not run.done:
        where = f', died during {crashed[-1]}' if crashed else ''
        reasons.append(f"VM did not finish (no '# kvm-gpc: done'{where})")
    elif run.plan is None and not run.bail:
        reasons.append('no TAP plan')
    if run.plan is not None and len(reported) > run.plan:
        reasons.append(f'{len(reported)} results for a plan of {run.plan}')
    if by_status['fail']:
        reasons.append(f"{len(by_status['fail'])} failed")
    if not_run:
        reasons.append(f'{not_run} not run')
    if unexpected:
        reasons.append(f'{len(unexpected)} unexpected splat(s)')
    problems, order_lines = order or (0, [])
    if problems:
        reasons.append(f'{problems} lock order problem(s)')
    failed_n = len(by_status['fail']) + not_run
    if reasons and not failed_n:
        failed_n = 1
        failed.append(f'the run ({"; ".join(reasons)})')
    counts = (len(by_status['pass']), failed_n,
              len(by_status['skip']) + len(by_status['xfail']),
              len(by_status['flaky']))
    detail = lambda r: f'{r.name} ({r.detail})'
    return Verdict(not reasons, reasons, counts, failed,
                   [detail(r) for r in by_status['xfail']],
                   [detail(r) for r in by_status['flaky']],
                   unexpected, hits, stale, run.done and not not_run,
                   order_lines)


def render(v):
    out = []
    for splat in v.unexpected:
        out += ['', f'SPLAT in {splat.test}: {splat.signature}'] + splat.lines
        if len(splat.tests) > 1:
            out.append(f'  (seen {len(splat.tests)} times, in: '
                   f"{', '.join(dict.fromkeys(splat.tests))})")
    for splat, entry in v.known:
        out += ['', f'KNOWN SPLAT in {splat.test}: {splat.signature} '
            f'({entry.issue})'] + splat.lines
    out.append('')
    if v.complete:
        out += [f'STALE known-splat entry (did not occur): {e.entry} '
            '\u2014 delete it' for e in v.stale]
    elif v.stale:
        out.append(f'{len(v.stale)} known-splat entries not checked for '
               'staleness: the run did not complete')
    out += [f'failed: {name}' for name in v.failed]
    out += [f'xfail: {name}' for name in v.xfail]
    out += [f'flaky: {name}' for name in v.flaky]
    out += v.order
    out.append(f'splats: {len(v.unexpected)} unexpected, {len(v.known)} known')
    out.append('verdict: PASS' if v.passed else
           f"verdict: FAIL ({'; '.join(v.reasons)})")
    out.append('%d passed, %d failed, %d skipped, %d flaky' % v.counts)
    return out


def read_lines(path):
    with open(path, encoding='utf-8', errors='replace', newline='') as f:
        return f.read().splitlines()


def lock_order(rst, lockdep, status, partial, tier=None):
    """(problems, report lines) of the lock order check; see lockorder.py.
    Only a VM that finished has a complete /proc/lockdep to check, and the
    debug and arm64 tiers' kernels always have one."""
    if status != 'exit=0':
        if lockdep and lockdep.strip():
            return 0, ['lock order: not checked, the VM did not finish']
        return 0, []
    if not lockdep or not lockdep.strip():
        if tier in ('debug', 'arm64'):
            return 1, [f'lock order: the {tier} kernel left no /proc/lockdep (lockdep.txt is empty)']
        return 0, []
    if rst is None:
        return 1, ['lock order: lockdep.txt but no locking.rst to check it against']
    orders, edges, problems = lockorder.check(rst, lockdep)
    lines = []
    if partial:
        lines = [f'lock order: note (partial run): {p}' for p in problems
                 if p.startswith('never observed')]
        problems = [p for p in problems if not p.startswith('never observed')]
    lines += [f'lock order: {p}' for p in problems]
    lines.append(f'lock order: {len(orders)} documented, {len(edges)} lockdep '
                 f'edges, {len(problems)} problems: '
                 f'{"FAIL" if problems else "ok"}')
    return len(problems), lines


def read_run_info(path):
    """run-info: key=value lines (tier, partial) written by harness/run.sh."""
    info = {}
    for n, line in enumerate(read_lines(path), 1):
        key, eq, value = line.partition('=')
        if not eq or key not in ('tier', 'partial'):
            raise ValueError(f'{path}:{n}: expected tier= or partial=, got {line!r}')
        info[key] = value.strip()
    return info


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('run', nargs='?', help='a run directory')
    parser.add_argument('--tap')
    parser.add_argument('--console')
    parser.add_argument('--status')
    parser.add_argument('--lockdep')
    parser.add_argument('--locking-rst')
    parser.add_argument('--tier', help='default: run-info, else all tiers')
    parser.add_argument('--partial', action='store_true',
                        help='a TESTS subset ran (default: run-info)')
    parser.add_argument('--known-splats', help='default: harness/known-splats')
    args = parser.parse_args(argv)

    def in_run(name, required=True):
        if args.run is None:
            return None
        path = os.path.join(args.run, name)
        return path if required or os.path.exists(path) else None
    try:
        if args.run is not None and not os.path.isdir(args.run):
            raise ValueError(f'{args.run} is not a run directory')
        tap_path = args.tap or in_run('tap.log')
        console_path = args.console or in_run('console.log')
        if not tap_path or not console_path:
            parser.error('give a run directory, or --tap and --console')
        info_path = in_run('run-info', required=False)
        info = read_run_info(info_path) if info_path else {}
        tier = args.tier or info.get('tier')
        partial = args.partial or info.get('partial') == '1'
        run = parse_tap(read_lines(tap_path))
        splats = scan_splats(read_lines(console_path))
        # The run's own copy, so that a saved run is judged as it was.
        known = tables.load_known_splats(
            args.known_splats or in_run('known-splats', required=False), tier)
        status = None
        status_path = args.status or in_run('status', required=False)
        if status_path:
            status = (read_lines(status_path) or [''])[0].strip()
        lockdep_path = args.lockdep or in_run('lockdep.txt', required=False)
        rst_path = args.locking_rst or in_run('locking.rst', required=False)
        lockdep = '\n'.join(read_lines(lockdep_path)) if lockdep_path else ''
        rst = '\n'.join(read_lines(rst_path)) if rst_path else None
    except (OSError, ValueError) as e:
        print(f'verdict: bad input: {e}')
        print('0 passed, 1 failed, 0 skipped, 0 flaky')
        return 2
    order = lock_order(rst, lockdep, status, partial, tier)
    v = verdict(run, splats, known, status, order)
    print('\n'.join(render(v)))
    return 0 if v.passed else 1


if __name__ == '__main__':
    sys.exit(main())
