# Creates (or finds) the sidecar's Odoo service user and gives it an API key.
# Run inside `odoo shell`, which provides `env`:
#   LB_SERVICE_LOGIN=logistics-bridge odoo shell -d <db> --no-http < deploy/create_service_user.py
# The user gets only the "Logistics Bridge / Integration service" group (no admin rights, no
# internal-user menus beyond what the group implies). The key never expires unless LB_API_KEY_DAYS
# is set (e.g. 90: the sidecar's /readyz and `status` warn ODOO_KEY_WARN_DAYS ahead); revoke old keys
# from the user's form (Preferences > Account Security) when rotating (docs/odoo-versions.md).
# Works on Odoo 18 and 19 (the user's groups field is `groups_id` on 18, `group_ids` on 19).
#
# Without LB_API_KEY_FILE a new key is printed once (SERVICE_USER {"login", "key"}); running the script
# again adds a second key and leaves the first working: that is the rotation without downtime.
# With LB_API_KEY_FILE (docker-compose.yml's odoo-init) the key goes to that file for the sidecar, through
# deploy/bridge_secrets.py (LB_DEPLOY_DIR, default /mnt/deploy): mode 0440, group LB_API_KEY_GID (the
# sidecar's gid). A key already in the file is kept when it still logs in as the service user in this
# database; otherwise (a kept secrets volume next to a new database, a revoked key) a new key replaces it.
import datetime
import json
import os
import sys

KEY_NAME = 'logistics-bridge sidecar'
login = os.environ.get('LB_SERVICE_LOGIN', 'logistics-bridge')
key_file = os.environ.get('LB_API_KEY_FILE')
days = float(os.environ.get('LB_API_KEY_DAYS') or 0)
expires = datetime.datetime.now() + datetime.timedelta(days=days) if days else None
group = env.ref('logistics_bridge.logistics_bridge_group_service')  # noqa: F821 (odoo shell)
users = env['res.users'].with_context(active_test=False)  # noqa: F821
groups = 'group_ids' if 'group_ids' in users._fields else 'groups_id'  # Odoo 19 renamed the field
user = users.search([('login', '=', login)], limit=1)
if not user:
    user = users.create({'name': 'Logistics Bridge sidecar', 'login': login, groups: [(6, 0, [group.id])]})
elif group not in user[groups] or not user.active:
    user.write({groups: [(4, group.id)], 'active': True})
apikeys = env['res.users.apikeys'].sudo()  # noqa: F821


def generate():
    # As the user (the key is theirs), with sudo kept after with_user (a key without expiry needs it).
    return env['res.users.apikeys'].with_user(user).sudo()._generate(None, KEY_NAME, expires)  # noqa: F821


def new_key():
    # Keys of this name that nobody holds any more (the file is gone or its key is dead) go first.
    apikeys.search([('user_id', '=', user.id), ('name', '=', KEY_NAME)]).unlink()
    return generate()


if key_file:
    sys.path.insert(0, os.environ.get('LB_DEPLOY_DIR', '/mnt/deploy'))
    import bridge_secrets

    reader_gid = int(os.environ['LB_API_KEY_GID'])
    current = bridge_secrets.read_secret(key_file)
    if current and apikeys._check_credentials(scope='rpc', key=current) == user.id:
        status, key = 'kept', current
    else:
        status = 'generated' if not current else 'replaced'
        if current:
            print('%s held a key that database %s does not accept (a secrets volume kept from another '
                  'database, or a revoked key): replacing it' % (key_file, env.cr.dbname))  # noqa: F821
        key = new_key()
    env.cr.commit()  # noqa: F821 (a shell script owns its transaction)
    st = os.stat(key_file) if current else None
    if status != 'kept' or st.st_gid != reader_gid or (st.st_mode & 0o7777) != bridge_secrets.SECRET_MODE:
        bridge_secrets.write_secret(key_file, key, reader_gid)
    print('SERVICE_USER ' + json.dumps({'login': user.login, 'key_file': key_file, 'key': status}))
else:
    key = generate()
    env.cr.commit()  # noqa: F821
    print('SERVICE_USER ' + json.dumps({'login': user.login, 'key': key}))
