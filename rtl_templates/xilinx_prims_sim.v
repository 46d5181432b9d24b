
// ---- Simulation models of the AMD primitives the lut6c GroupSum instantiates (lgn2hw).
// Behaviour as in UG953 and yosys techlibs/xilinx/cells_sim.v. Synthesis tools define SYNTHESIS
// and use their own cells; simulators (Icarus, Verilator) read these. With Vivado's simulator,
// compile without them and link the unisims library instead.
`ifndef SYNTHESIS
/* verilator lint_off UNUSEDSIGNAL */
/* verilator lint_off UNUSEDPARAM */
module LUT6_2 #(parameter [63:0] INIT = 64'h0) (
    output wire O6, output wire O5,
    input wire I0, input wire I1, input wire I2, input wire I3, input wire I4, input wire I5
);
    assign O6 = INIT[{I5, I4, I3, I2, I1, I0}];
    assign O5 = INIT[{1'b0, I4, I3, I2, I1, I0}];
endmodule

module CARRY8 #(parameter CARRY_TYPE = "SINGLE_CY8") (
    output wire [7:0] CO, output wire [7:0] O,
    input wire CI, input wire CI_TOP, input wire [7:0] DI, input wire [7:0] S
);
    wire ci4 = (CARRY_TYPE == "DUAL_CY4") ? CI_TOP : CO[3];
    assign O = S ^ {CO[6:4], ci4, CO[2:0], CI};
    assign CO[0] = S[0] ? CI : DI[0];
    assign CO[1] = S[1] ? CO[0] : DI[1];
    assign CO[2] = S[2] ? CO[1] : DI[2];
    assign CO[3] = S[3] ? CO[2] : DI[3];
    assign CO[4] = S[4] ? ci4 : DI[4];
    assign CO[5] = S[5] ? CO[4] : DI[5];
    assign CO[6] = S[6] ? CO[5] : DI[6];
    assign CO[7] = S[7] ? CO[6] : DI[7];
endmodule

module CARRY4 (
    output wire [3:0] CO, output wire [3:0] O,
    input wire CI, input wire CYINIT, input wire [3:0] DI, input wire [3:0] S
);
    wire ci = CI | CYINIT;
    assign O = S ^ {CO[2:0], ci};
    assign CO[0] = S[0] ? ci : DI[0];
    assign CO[1] = S[1] ? CO[0] : DI[1];
    assign CO[2] = S[2] ? CO[1] : DI[2];
    assign CO[3] = S[3] ? CO[2] : DI[3];
endmodule
/* verilator lint_on UNUSEDPARAM */
/* verilator lint_on UNUSEDSIGNAL */
`endif
