# lgn2hw: Vivado batch build of lgn_core for xcvu9p-flga2104-2L-e, out of context (rendered from rtl_templates/vivado_build.tcl.j2)
# Run: vivado -mode batch -source build.tcl
# Synthesis, placement and routing out of context (the core's ports are not bound to pins), then
# utilization and timing reports and the routed checkpoint in vivado/ next to this script.
# The yosys figures in synth.json are an estimate; these reports are Vivado's own.
set here [file normalize [file dirname [info script]]]
set out [file join $here vivado]
file mkdir $out
create_project -in_memory -part xcvu9p-flga2104-2L-e
read_verilog [file join $here ../lgn_core_fabric.v]
read_verilog [file join $here ../lgn_core.v]
read_xdc -mode out_of_context [file join $here constraints.xdc]
synth_design -top lgn_core -part xcvu9p-flga2104-2L-e -mode out_of_context
report_utilization -file [file join $out utilization_synth.rpt]
opt_design
place_design
route_design
report_utilization -file [file join $out utilization.rpt]
report_timing_summary -max_paths 10 -file [file join $out timing_summary.rpt]
write_checkpoint -force [file join $out routed.dcp]
