# Creates (or finds) the sidecar's Odoo service user and gives it a new API key.
# Run inside `odoo shell`, which provides `env`:
#   LB_SERVICE_LOGIN=logistics-bridge odoo shell -d <db> --no-http < deploy/create_service_user.py
# The user gets only the "Logistics Bridge / Integration service" group (no admin rights, no
# internal-user menus beyond what the group implies). The key never expires; revoke it from the
# user's form (Preferences > Account Security) when rotating. With LB_API_KEY_FILE set, the key is
# written to that file (mode 0600) instead of being printed, for a docker secret or volume.
import json
import os

login = os.environ.get('LB_SERVICE_LOGIN', 'logistics-bridge')
key_file = os.environ.get('LB_API_KEY_FILE')
group = env.ref('logistics_bridge.logistics_bridge_group_service')  # noqa: F821 (odoo shell)
users = env['res.users'].with_context(active_test=False)  # noqa: F821
user = users.search([('login', '=', login)], limit=1)
if not user:
    user = users.create({'name': 'Logistics Bridge sidecar', 'login': login, 'groups_id': [(6, 0, [group.id])]})
elif group not in user.groups_id:
    user.write({'groups_id': [(4, group.id)], 'active': True})
key = env['res.users.apikeys'].with_user(user).sudo()._generate(None, 'logistics-bridge sidecar', None)  # noqa: F821
env.cr.commit()  # noqa: F821 (a shell script owns its transaction)
if key_file:
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w') as fh:
        fh.write(key)
    print('SERVICE_USER ' + json.dumps({'login': user.login, 'key_file': key_file}))
else:
    print('SERVICE_USER ' + json.dumps({'login': user.login, 'key': key}))
