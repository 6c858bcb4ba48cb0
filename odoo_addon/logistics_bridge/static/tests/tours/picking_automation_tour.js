import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("logistics_bridge_picking_automation", {
    steps: () => [
        {
            content: "The picking form shows the automation state",
            trigger: ".o_form_view .o_field_widget[name=lb_automation_state]:contains(Exception)",
        },
        {
            content: "and which device reported last",
            trigger: ".o_form_view .o_field_widget[name=lb_last_device]:contains(robot-9)",
        },
        {
            content: "and why",
            trigger: ".o_form_view .o_field_widget[name=lb_last_exception]:contains(Bin empty at A-01-02)",
        },
        {
            content: "The timeline smart button is there",
            trigger: "button[name=action_view_lb_timeline]",
            run: "click",
        },
        {
            content: "The timeline lists the picking's events",
            trigger: ".o_list_renderer .o_data_row",
        },
    ],
});
