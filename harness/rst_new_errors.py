#!/usr/bin/env python3
"""Docutils check of one .rst file the series touches, against the base.

    rst_new_errors.py <base-file> <series-file>

Parses both with docutils (warnings and errors) and fails, printing them,
if the series' version has messages the base's does not; line numbers are
left out of the comparison, since the series moves lines.  A file the
series adds has no base version and must be clean.
"""
import collections
import io
import os
import re
import sys

import docutils.core


def messages(path):
    if not os.path.exists(path):
        return collections.Counter(), []
    stream = io.StringIO()
    docutils.core.publish_doctree(
        open(path).read(), source_path=path,
        settings_overrides={'report_level': 2, 'halt_level': 5,
                            'warning_stream': stream})
    text = stream.getvalue()
    # One message per "path:line: (LEVEL/n) text" header, with what follows.
    parts = re.split(r'^(?=\S+:\d+: \()', text, flags=re.M)
    msgs = [p.strip() for p in parts if p.strip()]
    key = collections.Counter(re.sub(r'^\S+:\d+: ', '', m).split('\n', 1)[0]
                              for m in msgs)
    return key, msgs


def main():
    base, _ = messages(sys.argv[1])
    series, msgs = messages(sys.argv[2])
    new = series - base
    if not new:
        return 0
    for m in msgs:
        if re.sub(r'^\S+:\d+: ', '', m).split('\n', 1)[0] in new:
            print(m, file=sys.stderr)
    print(f'{sys.argv[2]}: {sum(new.values())} new docutils message(s)', file=sys.stderr)
    return 1


if __name__ == '__main__':
    sys.exit(main())
