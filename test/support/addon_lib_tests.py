"""Runs the addon's tests of its pure modules (odoo_addon/logistics_bridge/lib) without Odoo.

Those test modules import nothing from Odoo but ``odoo.tests.BaseCase`` (Odoo's own runner needs it to
find them); here it is stood in for by ``unittest.TestCase``, which is what BaseCase extends. Any
other Odoo import in them fails loudly, which keeps lib/ free of the ORM. Exit code 0 when all pass.
Usage: python3 addon_lib_tests.py <addon dir> <test module> [<test module> ...]
"""
import importlib
import sys
import types
import unittest

addon_dir, names = sys.argv[1], sys.argv[2:]
odoo, odoo_tests = types.ModuleType('odoo'), types.ModuleType('odoo.tests')
odoo_tests.BaseCase = unittest.TestCase
odoo.tests = odoo_tests
sys.modules.update({'odoo': odoo, 'odoo.tests': odoo_tests})
for package, path in (('logistics_bridge', addon_dir), ('logistics_bridge.tests', f'{addon_dir}/tests')):
    module = types.ModuleType(package)
    module.__path__ = [path]
    sys.modules[package] = module
suite = unittest.TestSuite(unittest.defaultTestLoader.loadTestsFromModule(
    importlib.import_module(f'logistics_bridge.tests.{name}')) for name in names)
result = unittest.TextTestRunner(stream=sys.stdout, verbosity=2).run(suite)
sys.exit(0 if result.wasSuccessful() and result.testsRun else 1)
