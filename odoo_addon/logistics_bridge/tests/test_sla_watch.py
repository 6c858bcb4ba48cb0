"""SLA watch (models/logistics_bridge_sla_breach.py): breaches raised once, cleared by the awaited step."""
from datetime import timedelta

from odoo import fields

from .common import LogisticsBridgeCase


class TestSlaWatch(LogisticsBridgeCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Breach = cls.env['logistics.bridge.sla.breach']
        cls.env['ir.config_parameter'].set_param('logistics_bridge.sla_ack_minutes', '30')
        cls.env['ir.config_parameter'].set_param('logistics_bridge.sla_dispatch_grace_minutes', '60')
        cls.env['ir.config_parameter'].set_param('logistics_bridge.sla_tracking_hours', '48')

    def released_picking(self):
        picking = self.confirmed_sale().picking_ids
        self.assertEqual(picking.lb_automation_state, 'released')
        self.env.flush_all()
        return picking

    def watch(self, **later):
        self.Breach._cron_watch(now=fields.Datetime.now() + timedelta(**later))

    def sla_activities(self, picking):
        return picking.activity_ids.filtered(lambda a: a.summary and a.summary.startswith('SLA missed'))

    def test_unacknowledged_release_is_raised_once_and_cleared_by_the_warehouse_answer(self):
        picking = self.released_picking()
        self.watch(minutes=10)
        self.assertFalse(picking.lb_sla_breach_ids, 'within the threshold')
        self.watch(minutes=31)
        breach = picking.lb_sla_breach_ids
        self.assertEqual((breach.rule, breach.state), ('not_acknowledged', 'open'))
        self.assertEqual(picking.lb_automation_state, 'exception')
        self.assertIn('has not answered', picking.lb_last_exception)
        activity = self.sla_activities(picking)
        self.assertEqual(len(activity), 1)
        self.assertEqual(breach.activity_id, activity)
        self.assertEqual(activity.user_id, picking._lb_exception_user())

        # The cron runs again and again (and a threshold changes): the same breach, never a second one.
        self.watch(minutes=40)
        self.env['ir.config_parameter'].set_param('logistics_bridge.sla_ack_minutes', '20')
        self.watch(minutes=45)
        self.assertEqual(picking.lb_sla_breach_ids, breach)
        self.assertEqual(len(self.sla_activities(picking)), 1)

        # The warehouse answers: the later success clears the exception, the next run the breach and its activity.
        result = self.apply('pick.confirmed', {'picking': {'id': picking.id},
                                               'lines': [{'product': {'barcode': self.product.barcode}, 'quantity': 5}]})
        self.assertEqual(result['status'], 'applied', result)
        self.assertEqual(picking.lb_automation_state, 'picked')
        self.watch(minutes=50)
        self.assertEqual((breach.state, len(picking.lb_sla_breach_ids)), ('cleared', 1))
        self.assertTrue(breach.cleared_at)
        self.assertFalse(self.sla_activities(picking), 'the activity is done')

    def test_packed_picking_not_dispatched_by_its_date(self):
        picking = self.released_picking()
        picking.scheduled_date = fields.Datetime.now() - timedelta(hours=3)
        picking.move_ids.write({'quantity': 5, 'picked': True})
        packed = self.apply('pack.completed', {'picking': {'id': picking.id}, 'sscc': '376123450000000016'})
        self.assertEqual(packed['status'], 'applied', packed)
        self.assertEqual(picking.lb_automation_state, 'packed')
        self.watch(minutes=1)
        self.assertEqual(picking.lb_sla_breach_ids.mapped('rule'), ['not_dispatched'])
        self.assertEqual(picking.lb_automation_state, 'exception')
        self.watch(minutes=2)
        self.assertEqual(len(picking.lb_sla_breach_ids), 1)
        dispatched = self.apply('shipment.dispatched', {'picking': {'id': picking.id}})
        self.assertEqual(dispatched['status'], 'applied', dispatched)
        self.assertEqual((picking.state, picking.lb_automation_state), ('done', 'shipped'))
        self.watch(minutes=3)
        self.assertEqual(picking.lb_sla_breach_ids.state, 'cleared')

    def test_shipment_without_tracking_gets_an_activity_not_an_exception(self):
        picking = self.released_picking()
        picking.move_ids.write({'quantity': 5, 'picked': True})
        picking.carrier_tracking_ref = 'RR123456785FR'
        picking.with_context(skip_backorder=True).button_validate()
        picking.lb_automation_state = 'shipped'
        self.assertEqual(picking.state, 'done')
        self.watch(hours=47)
        self.assertFalse(picking.lb_sla_breach_ids)
        self.watch(hours=49)
        breach = picking.lb_sla_breach_ids
        self.assertEqual((breach.rule, breach.state), ('no_tracking', 'open'))
        self.assertEqual(picking.lb_automation_state, 'shipped', 'a done picking does not go back into exception')
        self.assertEqual(len(self.sla_activities(picking)), 1)
        # A carrier event arrives (an inbox row of the tracking type, as the partner doors write them).
        self.Update.create({'idempotency_key': 'sla-tracking-1', 'update_type': 'shipment.tracking', 'state': 'applied',
                            'picking_id': picking.id, 'event_time': fields.Datetime.now() + timedelta(hours=49),
                            'payload': '{"status":"in_transit"}', 'applied_at': fields.Datetime.now()})
        self.watch(hours=50)
        self.assertEqual(breach.state, 'cleared')
        self.assertFalse(self.sla_activities(picking))
        # 48 hours after that event without another one, it is a new breach (a new basis).
        self.watch(hours=98)
        self.assertEqual(picking.lb_sla_breach_ids.mapped('state'), ['cleared', 'open'])
        # Delivered: nothing to watch any more.
        self.Update.create({'idempotency_key': 'sla-tracking-2', 'update_type': 'shipment.delivered', 'state': 'applied',
                            'picking_id': picking.id, 'event_time': fields.Datetime.now() + timedelta(hours=99),
                            'payload': '{}', 'applied_at': fields.Datetime.now()})
        self.watch(hours=200)
        self.assertEqual(picking.lb_sla_breach_ids.mapped('state'), ['cleared', 'cleared'])

    def test_a_resolved_breach_is_not_raised_again_and_zero_turns_a_rule_off(self):
        picking = self.released_picking()
        self.watch(minutes=31)
        breach = picking.lb_sla_breach_ids
        breach.action_mark_resolved()
        self.watch(minutes=60)
        self.assertEqual((picking.lb_sla_breach_ids, breach.state), (breach, 'resolved'))
        self.assertFalse(self.sla_activities(picking))

        other = self.released_picking()
        settings = self.env['res.config.settings'].create({'logistics_bridge_sla_ack_minutes': 0})
        settings.set_values()
        self.assertEqual(self.env['ir.config_parameter'].get_param('logistics_bridge.sla_ack_minutes'), '0')
        self.assertEqual(self.env['res.config.settings'].create({}).logistics_bridge_sla_ack_minutes, 0)
        self.watch(days=3)
        self.assertFalse(other.lb_sla_breach_ids)

    def test_open_breaches_reach_relay_stats_and_the_dashboard(self):
        picking = self.released_picking()
        self.watch(minutes=31)
        stats = self.Event.with_user(self.service_user).relay_stats()
        self.assertEqual(stats['sla_breaches']['not_acknowledged']['count'], self.Breach.search_count(
            [('state', '=', 'open'), ('rule', '=', 'not_acknowledged')]))
        self.assertGreaterEqual(stats['sla_breaches']['not_acknowledged']['count'], 1)
        self.assertEqual(stats['sla_breaches']['no_tracking']['count'], self.Breach.search_count(
            [('state', '=', 'open'), ('rule', '=', 'no_tracking')]))
        dashboard = self.env['logistics.bridge.dashboard'].browse(
            self.env['logistics.bridge.dashboard'].action_open_dashboard()['res_id'])
        self.assertIn(picking.lb_sla_breach_ids, dashboard.sla_breach_ids | self.Breach.search(
            dashboard.action_open_sla()['domain']))
        self.assertEqual(dashboard.sla_count, self.Breach.search_count(dashboard.action_open_sla()['domain']))
