"""lockorder.py against a /proc/lockdep excerpt in the real format
(kernel/locking/lockdep_proc.c l_show) and small documents."""
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..'))
import lockorder  # noqa: E402

LOCKDEP = """all lock classes:
ffffffffa0339d40 FD:   12 BD:    1 +.+.: &kvm->arch.xen.xen_lock
 -> [ffffffffa0339d60] &kvm->arch.xen.shinfo_cache->refresh_lock

ffffffffa0339d60 FD:    8 BD:    2 +.+.: &kvm->arch.xen.shinfo_cache->refresh_lock
 -> [ffffffffa0339d80] &kvm->arch.xen.shinfo_cache->lock

ffffffffa0339d80 FD:    1 BD:    5 ....: &kvm->arch.xen.shinfo_cache->lock

ffffffffa0339da0 FD:    2 BD:    1 ....: &vcpu->arch.xen.runstate_cache->lock
 -> [ffffffffa0339dc0] &vcpu->arch.xen.runstate2_cache->lock#2

ffffffffa0339dc0 FD:    1 BD:    2 ....: &vcpu->arch.xen.runstate2_cache->lock#2
"""

GOOD = """
``&kvm->arch.xen.xen_lock`` is taken outside
``&kvm->arch.xen.shinfo_cache->refresh_lock``, which is taken outside
``&kvm->arch.xen.shinfo_cache->lock``.  ``&vcpu->arch.xen.runstate_cache->lock``
is taken outside ``&vcpu->arch.xen.runstate2_cache->lock``.
"""


class LockOrderTest(unittest.TestCase):
    def test_matching_document(self):
        orders, edges, problems = lockorder.check(GOOD, LOCKDEP)
        self.assertEqual(len(orders), 3)
        self.assertEqual(len(edges), 3)
        self.assertEqual(problems, [])

    def test_transitive_order_is_observed(self):
        doc = '``&kvm->arch.xen.xen_lock`` is taken outside ``&kvm->arch.xen.shinfo_cache->lock``'
        self.assertEqual(lockorder.check(doc, LOCKDEP)[2], [])

    def test_reversed_entry_is_a_contradiction(self):
        doc = GOOD + ('``&vcpu->arch.xen.runstate2_cache->lock`` is taken outside '
                      '``&vcpu->arch.xen.runstate_cache->lock``')
        problems = lockorder.check(doc, LOCKDEP)[2]
        self.assertTrue(any(p.startswith('contradicted') for p in problems), problems)

    def test_unexercised_entry_fails(self):
        doc = GOOD + ('``&kvm->arch.xen.shinfo_cache->lock`` is taken outside '
                      '``&vcpu->arch.xen.vcpu_info_cache->lock``')
        problems = lockorder.check(doc, LOCKDEP)[2]
        self.assertEqual(len(problems), 1)
        self.assertTrue(problems[0].startswith('never observed'), problems)

    def test_undocumented_edge_between_documented_classes_fails(self):
        doc = ('``&vcpu->arch.xen.runstate_cache->lock`` is taken outside ``x``. '
               '``y`` is taken outside ``&vcpu->arch.xen.runstate2_cache->lock``.')
        problems = lockorder.check(doc, LOCKDEP)[2]
        self.assertIn('undocumented: lockdep saw "&vcpu->arch.xen.runstate_cache->lock" '
                      'outside "&vcpu->arch.xen.runstate2_cache->lock"', problems)

    def test_paths_through_srcu_order_nothing(self):
        lockdep = LOCKDEP + """
ffffffffa0339e00 FD:    3 BD:    1 .?.+: &kvm->srcu
 -> [ffffffffa0339d40] &kvm->arch.xen.xen_lock

ffffffffa0339d40 FD:   12 BD:    1 +.+.: &kvm->arch.xen.xen_lock
 -> [ffffffffa0339e00] &kvm->srcu
"""
        doc = GOOD + '``&kvm->arch.xen.xen_lock`` is taken outside ``&kvm->srcu``'
        problems = lockorder.check(doc, lockdep)[2]
        self.assertEqual(problems, ['never observed: "&kvm->arch.xen.xen_lock" outside "&kvm->srcu"'])

    def test_base_document_has_no_orders(self):
        self.assertEqual(lockorder.check('no gpc section here', LOCKDEP)[2], [])

    def test_plain_text_orders_are_not_lockdep_names(self):
        # As in 6.12's locking.rst: a backticked name elsewhere on the line
        # must not be paired with a plain-text order.
        doc = ('- ``synchronize_srcu(&kvm->srcu)`` is called inside ...\n'
               '- cpus_read_lock() is taken outside kvm_lock, see ``kvm_lock``')
        self.assertEqual(lockorder.documented_orders(doc), set())


if __name__ == '__main__':
    unittest.main()
