# Creates (or finds) the sidecar's Odoo service user and gives it a new API key.
# Run inside `odoo shell`, which provides `env`:
#   LB_SERVICE_LOGIN=logistics-bridge odoo shell -d <db> --no-http < deploy/create_service_user.py
# The user gets only the "Logistics Bridge / Integration service" group (no admin rights, no
# internal-user menus beyond what the group implies). The key never expires unless LB_API_KEY_DAYS
# is set (e.g. 90: the sidecar's /readyz and `status` warn ODOO_KEY_WARN_DAYS ahead); revoke old keys
# from the user's form (Preferences > Account Security) when rotating. Running the script again adds a
# second key and leaves the first working: that is the rotation without downtime (docs/odoo-versions.md).
# With LB_API_KEY_FILE set, the key is written to that file (mode 0600) instead of being printed.
# Works on Odoo 18 and 19 (the user's groups field is `groups_id` on 18, `group_ids` on 19).
import datetime
import json
import os

login = os.environ.get('LB_SERVICE_LOGIN', 'logistics-bridge')
key_file = os.environ.get('LB_API_KEY_FILE')
days = float(os.environ.get('LB_API_KEY_DAYS') or 0)
expires = datetime.datetime.now() + datetime.timedelta(days=days) if days else None
group = env.ref('logistics_bridge.logistics_bridge_group_service')  # noqa: F821 (odoo shell)
users = env['res.users'].with_context(active_test=False)  # noqa: F821
groups_field = 'group_ids' if 'group_ids' in users._fields else 'groups_id'
user = users.search([('login', '=', login)], limit=1)
if not user:
    user = users.create({'name': 'Logistics Bridge sidecar', 'login': login, groups_field: [(6, 0, [group.id])]})
elif group not in user[groups_field]:
    user.write({groups_field: [(4, group.id)], 'active': True})
key = env['res.users.apikeys'].with_user(user).sudo()._generate(None, 'logistics-bridge sidecar', expires)  # noqa: F821
env.cr.commit()  # noqa: F821 (a shell script owns its transaction)
if key_file:
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w') as fh:
        fh.write(key)
    print('SERVICE_USER ' + json.dumps({'login': user.login, 'key_file': key_file}))
else:
    print('SERVICE_USER ' + json.dumps({'login': user.login, 'key': key}))
