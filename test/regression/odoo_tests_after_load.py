"""odoo-bin, with every selected test run once the whole registry is loaded.

Odoo runs a module's ``at_install`` tests while that module is being loaded, before the modules that
depend on it (an addon that overrides ``stock.move``, say) are in the registry: those tests would never
see the addon. This launcher runs them after loading instead, together with the ``post_install`` tests,
so that every test of the modules named by ``--test-tags`` runs with every installed addon present.
It takes odoo-bin's arguments and must be started with the Odoo source tree as working directory.
Used for the regression tier's runs with and without the addon alike, so their results compare.
"""
import os
import sys

os.environ['TZ'] = 'UTC'  # as odoo-bin does, before the time module is imported
sys.path.insert(0, os.getcwd())

import odoo.cli  # noqa: E402

# odoo.tests logs an error when imported outside test mode; the command line sets the same flag again.
odoo.tools.config['test_enable'] = True
from odoo.tests import loader  # noqa: E402

_make_suite = loader.make_suite


def make_suite(module_names, position='at_install'):
    if position == 'at_install':
        return _make_suite([], position)
    seen = set()
    tests = []
    for test in [*_make_suite(module_names, 'at_install'), *_make_suite(module_names, 'post_install')]:
        if test.id() not in seen:
            seen.add(test.id())
            tests.append(test)
    return loader.OdooSuite(sorted(tests, key=lambda t: getattr(t, 'test_sequence', 0)))


loader.make_suite = make_suite

if __name__ == '__main__':
    odoo.cli.main()
