#!/usr/bin/env python3
"""Order check: the lock orders Documentation/virt/kvm/locking.rst documents
must be the orders lockdep observed in the debug tier.

The document is the single machine-readable source: every phrase of the
form ``A`` is taken outside ``B`` names two lockdep classes exactly as
/proc/lockdep prints them (", which is taken outside ``C``" chains on).  After a run:

  - a documented order lockdep never observed fails: either the tests do not
    exercise it (then the document promises something unchecked) or the
    names are wrong;
  - an observed path from B back to A contradicts the document and fails;
  - a direct edge lockdep observed between two classes the document orders,
    but that the document does not state (even transitively), fails: the
    document is incomplete.

With --partial (a TESTS subset ran), orders never observed are only noted.

    lockorder.py [--partial] <locking.rst> <lockdep.txt>
"""
import re
import sys
from collections import defaultdict

# ``A`` is taken outside ``B``, or the chained ", which is taken outside
# ``C``" that continues from ``B``.  Only names in double backticks right
# next to the phrase count: the file's older entries name locks in plain
# text and are not lockdep class names.
ORDER = re.compile(r'(?=``([^`]+)``(?:,? which)? is taken outside ``([^`]+)``)')
CLASS = re.compile(r'^[0-9a-f]+(?: OPS:\s*\d+)?(?: FD:\s*\d+ BD:\s*\d+ \S+)?: (.+)$')
EDGE = re.compile(r'^ -> \[[0-9a-f]+\] (.+)$')


def normalize(name):
    # "#2" numbers classes that share a name, "/1" is a subclass: the
    # document names the lock, not lockdep's bookkeeping.
    return re.sub(r'(#\d+)?(/\d+)?$', '', name.strip())


def documented_orders(text):
    return {(normalize(a), normalize(b))
            for a, b in ORDER.findall(re.sub(r'\s+', ' ', text))}


def is_srcu(name):
    # An SRCU read side never waits for another reader, so a path through
    # it (kvm->srcu is taken both outside and inside xen_lock) orders
    # nothing; lockdep itself only checks it against synchronize_srcu().
    return name.endswith('srcu')


def observed_edges(text):
    edges, current = set(), None
    for line in text.splitlines():
        m = EDGE.match(line)
        if m and current:
            if not is_srcu(current) and not is_srcu(m[1]):
                edges.add((current, normalize(m[1])))
            continue
        m = CLASS.match(line)
        if m:
            current = normalize(m[1])
    return edges


def reachable(graph, start, goal):
    seen, todo = {start}, [start]
    while todo:
        node = todo.pop()
        if node == goal:
            return True
        for nxt in graph[node] - seen:
            seen.add(nxt)
            todo.append(nxt)
    return False


def check(doc_text, lockdep_text):
    orders = documented_orders(doc_text)
    edges = observed_edges(lockdep_text)
    seen_graph, doc_graph = defaultdict(set), defaultdict(set)
    for a, b in edges:
        seen_graph[a].add(b)
    for a, b in orders:
        doc_graph[a].add(b)
    problems = []
    for a, b in sorted(orders):
        if reachable(seen_graph, b, a):
            problems.append(f'contradicted: documented "{a}" outside "{b}", '
                            'but lockdep saw the reverse')
        elif (a, b) not in edges and not reachable(seen_graph, a, b):
            problems.append(f'never observed: "{a}" outside "{b}"')
    classes = {c for pair in orders for c in pair}
    for a, b in sorted(edges):
        if a in classes and b in classes and not reachable(doc_graph, a, b):
            problems.append(f'undocumented: lockdep saw "{a}" outside "{b}"')
    return orders, edges, problems


def main(argv):
    partial = '--partial' in argv
    argv = [a for a in argv if a != '--partial']
    if len(argv) != 3:
        sys.exit(__doc__.strip().splitlines()[-1])
    with open(argv[1]) as f:
        doc = f.read()
    with open(argv[2], errors='replace') as f:
        lockdep = f.read()
    if not lockdep.strip():
        print('lock order: no /proc/lockdep from this kernel, nothing to check')
        return 0
    orders, edges, problems = check(doc, lockdep)
    if partial:
        for p in problems:
            if p.startswith('never observed'):
                print(f'lock order: note (partial run): {p}')
        problems = [p for p in problems if not p.startswith('never observed')]
    for p in problems:
        print('lock order: ' + p)
    print(f'lock order: {len(orders)} documented, {len(edges)} lockdep edges, '
          f'{len(problems)} problems: {"FAIL" if problems else "ok"}')
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
