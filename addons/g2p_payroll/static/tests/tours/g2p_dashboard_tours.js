import { registry } from "@web/core/registry";

// The program dashboard renders its cards with their figures.
registry.category("web_tour.tours").add("g2p_program_dashboard_tour", {
    steps: () => [
        { trigger: ".o_kanban_view .o_kanban_record:contains(Dashboard Grant)" },
        { trigger: ".o_kanban_record:contains(Dashboard Grant) .o_field_widget[name=funds_available]" },
        { trigger: ".o_kanban_record:contains(Dashboard Grant) a[name=action_dashboard_lines]:contains(Paid)", run: "click" },
        { trigger: ".o_breadcrumb:contains(Payments of Dashboard Grant)" },
        { trigger: ".o_list_view .o_group_header, .o_list_view .o_data_row" },
    ],
});

// The finance dashboard lists its figures; one opens the journal items behind it.
registry.category("web_tour.tours").add("g2p_finance_dashboard_tour", {
    steps: () => [
        { trigger: ".o_list_view .o_group_header:contains(Funds received)" },
        { trigger: ".o_data_row:contains(Dashboard Grant) button[name=action_open_items]", run: "click" },
        { trigger: ".o_breadcrumb:contains(Dashboard Grant)" },
        { trigger: ".o_list_view .o_group_header, .o_list_view .o_data_row" },
    ],
});

// The payments analysis renders its graph and switches to the pivot.
registry.category("web_tour.tours").add("g2p_payroll_analysis_tour", {
    steps: () => [
        { trigger: ".o_graph_view .o_graph_renderer canvas" },
        { trigger: ".o_switch_view.o_pivot", run: "click" },
        { trigger: ".o_pivot table .o_pivot_header_cell_closed, .o_pivot table th" },
    ],
});
