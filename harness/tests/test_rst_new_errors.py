"""rst_new_errors.py: a docutils complaint the base already has is not held
against the series; a new one is, whatever the line numbers."""
import os
import subprocess
import sys
import tempfile
import unittest

TOOL = os.path.join(os.path.dirname(__file__), '..', 'rst_new_errors.py')
BROKEN = 'Title\n=====\n\n`unclosed\n'


class RstNewErrors(unittest.TestCase):
    def check(self, base, series):
        with tempfile.TemporaryDirectory() as d:
            b, s = os.path.join(d, 'base.rst'), os.path.join(d, 'series.rst')
            with open(b, 'w') as f:
                f.write(base)
            with open(s, 'w') as f:
                f.write(series)
            return subprocess.run([sys.executable, TOOL, b, s],
                                  capture_output=True, text=True).returncode

    def test_base_error_moved_is_ignored(self):
        self.assertEqual(self.check(BROKEN, 'Intro\n\n' + BROKEN), 0)

    def test_new_error_fails(self):
        self.assertEqual(self.check('Title\n=====\n\nok\n', BROKEN), 1)

    def test_clean_file_passes(self):
        self.assertEqual(self.check('Title\n=====\n', 'Title\n=====\n\nmore\n'), 0)


if __name__ == '__main__':
    unittest.main()
