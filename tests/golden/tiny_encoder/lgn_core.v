module lgn_core(in_data, clk, rst, out_valid, out_class, out_sums, in_valid);
  reg \$auto$verilog_backend.cc:2355:dump_module$1  = 0;
  reg [5:0] \$1 ;
  (* init = 1'h0 *)
  wire class_reg;
  input clk;
  wire clk;
  input [7:0] in_data;
  wire [7:0] in_data;
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
  reg [3:0] sums_d1 = 4'h0;
  (* init = 4'h0 *)
  wire [3:0] sums_reg;
  reg [5:0] valid = 6'h00;
  always @(posedge clk)
    sums_d1 <= sums;
  always @(posedge clk)
    out_class <= index;
  always @(posedge clk)
    out_sums <= sums_d1;
  always @(posedge clk)
    valid <= \$1 ;
  \lgn_core.argmax  argmax (
    .clk(clk),
    .i1_0(index),
    .rst(rst),
    .sums(sums)
  );
  lgn_core_fabric fabric (
    .clk(clk),
    .in_data(in_data),
    .sums(sums)
  );
  always @* begin
    if (\$auto$verilog_backend.cc:2355:dump_module$1 ) begin end
    \$1  = { valid[4:0], in_valid };
    if (rst) begin
      \$1  = 6'h00;
    end
  end
  assign \sums$8  = sums;
  assign class_reg = out_class;
  assign sums_reg = out_sums;
  assign out_valid = valid[5];
endmodule

module \lgn_core.argmax (rst, sums, i1_0, clk);
  wire \$1 ;
  wire [1:0] \$2 ;
  wire \$3 ;
  wire \$4 ;
  input clk;
  wire clk;
  output i1_0;
  reg i1_0 = 1'h0;
  (* init = 1'h0 *)
  wire index;
  input rst;
  wire rst;
  input [3:0] sums;
  wire [3:0] sums;
  reg [1:0] v1_0 = 2'h0;
  always @(posedge clk)
    i1_0 <= \$4 ;
  assign \$1  = sums[3:2] > sums[1:0];
  assign \$2  = \$1  ? sums[3:2] : sums[1:0];
  assign \$3  = sums[3:2] > sums[1:0];
  assign \$4  = \$3  ? 1'h1 : 1'h0;
  always @(posedge clk)
    v1_0 <= \$2 ;
  assign index = i1_0;
endmodule
