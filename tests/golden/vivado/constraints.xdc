# lgn2hw: out-of-context clock for lgn_core on xcvu9p-flga2104-2L-e, 250 MHz requested (rendered from rtl_templates/vivado_clock.xdc.j2)
create_clock -period 4.000 -name clk [get_ports clk]
