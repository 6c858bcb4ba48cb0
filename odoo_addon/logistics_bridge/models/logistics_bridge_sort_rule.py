from odoo import api, fields, models
from odoo.addons.stock.models.stock_move import PROCUREMENT_PRIORITIES

from ..lib.sort_rules import SortRule


class LogisticsBridgeSortRule(models.Model):
    """Where the sorter sends an outbound picking's parcels: carrier / route / destination country /
    priority -> chute and lane. Empty criteria match anything; the matching (most specific rule first,
    then sequence) is lib/sort_rules.py. The result is ``shipment.sort_destination`` of
    ``stock.picking.ready``, which the sidecar turns into the sort plan.
    """

    _name = 'logistics.bridge.sort.rule'
    _description = 'Logistics Bridge Sort Rule'
    _order = 'sequence, id'
    _rec_name = 'chute'

    sequence = fields.Integer(default=10, help='Among equally specific matching rules, the lowest sequence wins.')
    carrier = fields.Char(help="Carrier name as on the picking (its shipping method, else the carrier a label "
                               "update set), compared without case. Empty: any carrier.")
    route_id = fields.Many2one('stock.route', string='Route', ondelete='cascade',
                               help="Route of the picking's moves (e.g. the warehouse's delivery route). Empty: any route.")
    country_id = fields.Many2one('res.country', string='Destination country', ondelete='cascade',
                                 help="Country of the delivery address. Empty: any country.")
    priority = fields.Selection(PROCUREMENT_PRIORITIES, help='Priority of the picking. Empty: any priority.')
    chute = fields.Char(required=True)
    lane = fields.Char()
    active = fields.Boolean(default=True)
    company_id = fields.Many2one('res.company', default=lambda self: self.env.company, index=True,
                                 help='Empty: the rule applies to every company.')

    @api.depends('carrier', 'route_id', 'country_id', 'priority', 'chute', 'lane')
    def _compute_display_name(self):
        priorities = dict(PROCUREMENT_PRIORITIES)
        for rule in self:
            when = [rule.carrier, rule.route_id.display_name, rule.country_id.code,
                    rule.priority and priorities[rule.priority]]
            where = ' / '.join(filter(None, (rule.chute, rule.lane)))
            rule.display_name = f"{' · '.join(filter(None, when)) or self.env._('Any picking')} → {where}"

    @api.model
    def _lb_rules_for(self, company):
        """The active rules of ``company`` (and the shared ones) as lib/sort_rules.py takes them."""
        rules = self.search([('company_id', 'in', [company.id, False])])
        return [SortRule(r.id, r.sequence, r.carrier or None, r.route_id.id or None, r.country_id.code or None,
                         r.priority or None, r.chute, r.lane or None) for r in rules]
