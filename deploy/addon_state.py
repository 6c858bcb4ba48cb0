"""What odoo-init does with the database on this `docker compose up`: create, install, upgrade or nothing.

    python3 addon_state.py <db> <addon-dir>     prints one word: create | install | upgrade | none

`create`  the database does not exist or was never initialised: `-i stock,sale_stock,purchase_stock,logistics_bridge`
`install` an initialised database without logistics_bridge: `-i logistics_bridge`
`upgrade` installed at another version than the manifest's (or left "to upgrade"): `-u logistics_bridge`
`none`    installed at the manifest's version: Odoo is not run at all (never `-i` again next to a live server)
A database holding a newer version than the checkout is refused (exit 1): downgrades are not a thing Odoo does.
The connection uses the odoo image's variables (HOST, PORT, USER, PASSWORD), as its entrypoint does; the
series is the image's ODOO_VERSION.
"""
import ast
import os
import sys

MODULE = 'logistics_bridge'


class RefusedError(Exception):
    """The database is in a state odoo-init must not touch by itself."""


def adapt_version(version, series):
    """Odoo's own rule (odoo.modules.module.adapt_version): a version is stored prefixed with the series."""
    if version == series or not version.startswith(series + '.'):
        version = '%s.%s' % (series, version)
    return version


def _as_tuple(version):
    return tuple(int(p) if p.isdigit() else p for p in version.split('.'))


def decide(installed, manifest_version, series):
    """`installed`: None (no usable database), {} (initialised, module unknown) or {'state', 'version'}."""
    if installed is None:
        return 'create'
    state = installed.get('state')
    if state in (None, 'uninstalled', 'uninstallable', 'to install'):
        return 'install'
    if state == 'to remove':
        raise RefusedError('%s is marked "to remove" in the database: finish or cancel that in Odoo first' % MODULE)
    wanted = adapt_version(manifest_version, series)
    have = installed.get('version') or ''
    if state == 'to upgrade' or not have:
        return 'upgrade'
    if have == wanted:
        return 'none'
    try:
        newer = _as_tuple(have) > _as_tuple(wanted)
    except TypeError:
        newer = False
    if newer:
        raise RefusedError('the database has %s %s, newer than this checkout (%s): check out that version '
                           'or restore a matching database' % (MODULE, have, wanted))
    return 'upgrade'


def manifest_version(addon_dir):
    with open(os.path.join(addon_dir, MODULE, '__manifest__.py')) as fh:
        return ast.literal_eval(fh.read())['version']


def read_installed(dbname):
    import psycopg2  # the odoo image's (and Odoo's) driver; imported here so decide() needs nothing
    from psycopg2 import errors

    try:
        conn = psycopg2.connect(dbname=dbname, host=os.environ.get('HOST', 'db'), port=os.environ.get('PORT', '5432'),
                                user=os.environ.get('USER', 'odoo'), password=os.environ.get('PASSWORD', ''))
    except psycopg2.OperationalError as err:
        if 'does not exist' in str(err):
            return None
        raise
    try:
        with conn.cursor() as cr:
            try:
                cr.execute('SELECT state, latest_version FROM ir_module_module WHERE name = %s', (MODULE,))
            except errors.UndefinedTable:
                return None
            row = cr.fetchone()
            return {'state': row[0], 'version': row[1]} if row else {}
    finally:
        conn.close()


def main(argv):
    if len(argv) != 2:
        sys.stderr.write('usage: addon_state.py <db> <addon-dir>\n')
        return 2
    # The series of the Odoo that will run the addon: the odoo image sets ODOO_VERSION (18.0, 19.0).
    series = os.environ.get('ODOO_VERSION')
    if not series:
        import odoo.release
        series = odoo.release.series
    try:
        print(decide(read_installed(argv[0]), manifest_version(argv[1]), series))
    except RefusedError as err:
        sys.stderr.write('odoo-init: refused: %s\n' % err)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
