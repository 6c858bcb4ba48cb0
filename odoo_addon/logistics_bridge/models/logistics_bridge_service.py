from odoo import api, models
from odoo.fields import Command

from .. import compat

PRIVILEGE_XMLID = 'logistics_bridge.res_groups_privilege_logistics_bridge'
GROUPS = ('logistics_bridge.logistics_bridge_group_service', 'logistics_bridge.logistics_bridge_group_manager')


class LogisticsBridgeService(models.AbstractModel):
    """The bridge's own housekeeping: where its groups sit on each Odoo series, and its API key's expiry."""
    _name = 'logistics.bridge.service'
    _description = 'Logistics bridge service helpers'

    @api.model
    def _place_groups(self):
        """Called by security/logistics_bridge_groups.xml on install and upgrade: puts the two groups in the
        Logistics Bridge section of the user form (a category on 18, a privilege in that category on 19)
        and makes the administrators integration managers. XML alone cannot, as the fields differ."""
        category = self.env.ref('logistics_bridge.module_category_logistics_bridge')
        if compat.GROUP_PLACE == 'privilege_id':
            place = self.env['res.groups.privilege']._load_records([{
                'xml_id': PRIVILEGE_XMLID,
                'values': {'name': category.name, 'category_id': category.id, 'sequence': 60},
                'noupdate': False,
            }], update=True)
        else:
            place = category
        service, manager = (self.env.ref(xmlid) for xmlid in GROUPS)
        (service | manager).write({compat.GROUP_PLACE: place.id})
        admins = self.env.ref('base.user_root') | self.env.ref('base.user_admin')
        manager.write({compat.GROUP_USERS: [Command.link(user.id) for user in admins]})
        self._demote_service_users(service)

    @api.model
    def _demote_service_users(self, service):
        """Versions before 1.2 made the service group imply Internal User, so a service user could read
        partners, users and products through the API. Upgrading takes Internal User away from every
        member of the service group that has nothing else (a person who is also a warehouse user or an
        administrator keeps it)."""
        employee = self.env.ref('base.group_user')
        harmless = service | service[compat.GROUP_IMPLIED] | employee | employee[compat.GROUP_IMPLIED]
        for user in compat.group_users(service).with_context(active_test=False):
            if employee in user[compat.USER_GROUPS] and not (user[compat.USER_GROUPS] - harmless):
                # The whole set: Odoo clears the groups of a user it demotes and keeps only those written.
                user.write({compat.USER_GROUPS: [Command.set((user[compat.USER_GROUPS] - employee).ids)]})

    @api.model
    def caller_rights(self, groups):
        """The caller's own rights, for the sidecar's ``doctor``: whether it is an internal user, and which of
        ``groups`` (XML ids) it has. The service user may read no ``res.users`` record, not even its own
        through ``search_read``; this answers about the caller only, so it tells nobody anything about others."""
        user = self.env.user
        return {'login': user.login, 'internal': user._is_internal(),
                'groups': {xmlid: user.has_group(xmlid) for xmlid in groups}}

    @api.model
    def key_status(self, key_index):
        """Expiry of the caller's own API key whose first 8 characters are ``key_index`` (Odoo stores that
        prefix in clear as the key's index; the key itself only as a hash). The sidecar warns ahead of it.
        Only the caller's keys are looked at, so this tells nobody anything about another user's keys."""
        self.env.cr.execute(
            'SELECT count(*), min(expiration_date) FROM res_users_apikeys WHERE user_id = %s AND index = %s',
            [self.env.uid, str(key_index)[:8]],
        )
        found, expires = self.env.cr.fetchone()
        return {'found': bool(found), 'expires_at': expires and expires.strftime('%Y-%m-%d %H:%M:%S')}
