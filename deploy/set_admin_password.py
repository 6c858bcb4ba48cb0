# Run by odoo-init (inside `odoo shell`, which provides `env`) on every start: an administrator still on
# Odoo's built-in password ("admin", what every new database gets) gets ODOO_ADMIN_PASSWORD instead.
# A password changed since, in Odoo or here, is left alone.
import os

admin = env.ref('base.user_admin')  # noqa: F821 (odoo shell)
env.cr.execute('SELECT COALESCE(password, %s) FROM res_users WHERE id = %s', ['', admin.id])  # noqa: F821
[hashed] = env.cr.fetchone()  # noqa: F821
if hashed and admin._crypt_context().verify('admin', hashed):
    admin.password = os.environ['ODOO_ADMIN_PASSWORD']
    env.cr.commit()  # noqa: F821 (a shell script owns its transaction)
    print('odoo-init: %s had the built-in password; it is now ODOO_ADMIN_PASSWORD' % admin.login)
