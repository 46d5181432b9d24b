// SPDX-License-Identifier: MIT
// Hand-written core honouring the lgn2hw hardware contract, for testing the cocotb bench
// without the backend. Netlist (4 input bits, 2 classes, group size 2):
//   n0 = i0 & i1   n1 = i2 ^ i3   n2 = n0 | n1      outputs: class 0 = {n0, n2}, class 1 = {n1, i3}
// Two register stages: latency 2, one vector per clock.
`default_nettype none
module lgn_core (
    input  wire       clk,
    input  wire       rst,
    input  wire       in_valid,
    input  wire [3:0] in_data,
    output reg        out_valid,
    output reg  [0:0] out_class,
    output reg  [3:0] out_sums
);
    // stage 1: level-1 gates and the input bit that skips to the outputs
    reg v1, n0, n1, i3_d;
    always @(posedge clk) begin
        if (rst) v1 <= 1'b0;
        else     v1 <= in_valid;
        n0   <= in_data[0] & in_data[1];
        n1   <= in_data[2] ^ in_data[3];
        i3_d <= in_data[3];
    end
    // stage 2: last gate, GroupSum and argmax (ties -> class 0)
    wire       n2 = n0 | n1;
    wire [1:0] s0 = {1'b0, n0} + {1'b0, n2};
    wire [1:0] s1 = {1'b0, n1} + {1'b0, i3_d};
    always @(posedge clk) begin
        if (rst) out_valid <= 1'b0;
        else     out_valid <= v1;
        out_sums  <= {s1, s0};
        out_class <= (s1 > s0) ? 1'b1 : 1'b0;
    end
endmodule
`default_nettype wire
