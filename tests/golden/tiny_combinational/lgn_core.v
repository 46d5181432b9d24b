module lgn_core(in_data, clk, rst, out_valid, out_class, out_sums, in_valid);
  reg \$auto$verilog_backend.cc:2355:dump_module$1  = 0;
  reg [1:0] \$1 ;
  (* init = 1'h0 *)
  wire class_reg;
  input clk;
  wire clk;
  input [3:0] in_data;
  wire [3:0] in_data;
  input in_valid;
  wire in_valid;
  wire index;
  output out_class;
  reg out_class = 1'h0;
  output [3:0] out_sums;
  reg [3:0] out_sums = 4'h0;
  output out_valid;
  wire out_valid;
  input rst;
  wire rst;
  wire [3:0] sums;
  wire [3:0] \sums$8 ;
  (* init = 4'h0 *)
  wire [3:0] sums_reg;
  reg [1:0] valid = 2'h0;
  always @(posedge clk)
    out_class <= index;
  always @(posedge clk)
    out_sums <= sums;
  always @(posedge clk)
    valid <= \$1 ;
  \lgn_core.argmax  argmax (
    .i1_0(index),
    .sums(sums)
  );
  lgn_core_fabric fabric (
    .clk(clk),
    .in_data(in_data),
    .sums(sums)
  );
  always @* begin
    if (\$auto$verilog_backend.cc:2355:dump_module$1 ) begin end
    \$1  = { valid[0], in_valid };
    if (rst) begin
      \$1  = 2'h0;
    end
  end
  assign \sums$8  = sums;
  assign class_reg = out_class;
  assign sums_reg = out_sums;
  assign out_valid = valid[1];
endmodule

module \lgn_core.argmax (i1_0, sums);
  wire [2:0] \$1 ;
  wire [2:0] \$2 ;
  output i1_0;
  wire i1_0;
  wire index;
  input [3:0] sums;
  wire [3:0] sums;
  wire [1:0] v1_0;
  assign \$1  = sums[1:0] - sums[3:2];
  assign v1_0 = \$1 [2] ? sums[3:2] : sums[1:0];
  assign \$2  = sums[1:0] - sums[3:2];
  assign i1_0 = \$2 [2] ? 1'h1 : 1'h0;
  assign index = i1_0;
endmodule
