"""The dashboard says what the lists behind it show, and ages read like a person says them."""
from ast import literal_eval

from lxml import etree

from .common import LogisticsBridgeCase


class TestDashboard(LogisticsBridgeCase):

    def dashboard(self):
        Dashboard = self.env['logistics.bridge.dashboard']
        return Dashboard.browse(Dashboard.action_open_dashboard()['res_id'])

    def listed(self, action):
        """The records the list of ``action`` shows: its domain, with the default filters of its context."""
        self.assertFalse([k for k in (action.get('context') or {}) if k.startswith('search_default_')],
                         'a default filter would hide what the figure counts')
        domain = action['domain'] if isinstance(action['domain'], list) else literal_eval(action['domain'])
        return self.env[action['res_model']].search(domain)

    def test_pickings_in_exception_count_what_the_list_badges_show(self):
        # As found: the dashboard said 0 while the pickings list showed exception badges, on done pickings too.
        open_, done = self.confirmed_sale().picking_ids, self.confirmed_sale().picking_ids
        done.move_ids.write({'quantity': 5, 'picked': True})
        done.button_validate()
        (open_ | done).write({'lb_automation_state': 'exception'})
        badges = self.env['stock.picking'].search([('lb_automation_state', '=', 'exception')])
        self.assertIn(done, badges)
        dashboard = self.dashboard()
        self.assertEqual(dashboard.exception_picking_count, len(badges))
        self.assertEqual(self.listed(dashboard.action_open_exception_pickings()), badges)
        # ... and the list's own filter is that same domain.
        arch = self.env['stock.picking'].get_views([(False, 'search')])['views']['search']['arch']
        lb_filter = etree.fromstring(arch).xpath("//filter[@name='lb_exception']")[0]
        self.assertEqual(literal_eval(lb_filter.get('domain')), dashboard._exception_picking_domain())

    def test_every_figure_is_the_count_of_the_list_it_opens(self):
        self.confirmed_sale()
        self.Event.relay_claim('dash-1', limit=1)
        self.apply('task.failed', {'picking': {'id': 0}, 'reason': 'x'})  # rejected: no picking 0
        dashboard = self.dashboard()
        for figure, button in (('pending_count', 'action_open_pending'), ('claimed_count', 'action_open_claimed'),
                               ('dead_count', 'action_open_dead'), ('exception_count', 'action_open_exceptions'),
                               ('sla_count', 'action_open_sla'), ('devices_offline_count', 'action_open_devices_offline'),
                               ('devices_error_count', 'action_open_devices_error')):
            self.assertEqual(dashboard[figure], len(self.listed(getattr(dashboard, button)())), figure)
        self.assertGreaterEqual(dashboard.pending_count, 1)
        self.assertGreaterEqual(dashboard.claimed_count, 1)
        self.assertGreaterEqual(dashboard.exception_count, 1)
        self.assertGreaterEqual(dashboard.dead_count, 1, 'the rejected update is a dead letter of the inbound direction')

    def test_lag_and_ages_are_for_people(self):
        self.env.cr.execute("UPDATE logistics_bridge_event SET state = 'published', published_at = now() "
                            "WHERE state IN ('pending', 'claimed')")
        self.env.invalidate_all()
        dashboard = self.dashboard()
        self.assertEqual((dashboard.sync_lag, dashboard.claim_age), ('none pending', 'none claimed'))
        self.confirmed_sale()
        self.env.cr.execute("UPDATE logistics_bridge_event SET create_date = create_date - interval '185 seconds' "
                            "WHERE state = 'pending'")
        self.Event.relay_claim('dash-2', limit=1)
        self.env.cr.execute("UPDATE logistics_bridge_event SET write_date = write_date - interval '2 hours' "
                            "WHERE state = 'claimed'")
        self.env.invalidate_all()
        dashboard = self.dashboard()
        self.assertEqual(dashboard.sync_lag, '3 min')
        self.assertEqual(dashboard.claim_age, '2 h')
        self.assertEqual(dashboard.claimed_count, 1)

    def test_oldest_open_exception_is_aged(self):
        self.Update.search([('state', '=', 'rejected')]).write({'resolved_at': '2026-01-01 00:00:00'})
        self.env['logistics.bridge.sla.breach'].search([]).unlink()
        self.assertEqual(self.dashboard().oldest_exception, 'none open')
        rejected = self.apply('task.failed', {'picking': {'id': 0}, 'reason': 'x'})
        self.env.cr.execute("UPDATE logistics_bridge_update SET create_date = now() AT TIME ZONE 'UTC' - interval '26 hours' "
                            "WHERE id = %s", [rejected['update_id']])
        self.env.invalidate_all()
        dashboard = self.dashboard()
        self.assertEqual(dashboard.oldest_exception, '1 d 2 h')
        self.assertGreaterEqual(dashboard.exception_24h_count, 1)
