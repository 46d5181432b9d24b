/* SPDX-License-Identifier: MIT
 *
 * lgn2hw's compiled simulator core: an interpreter over the level-sorted netlist arrays
 * (no per-model compile). Built at install time as an optional setuptools extension and
 * loaded with ctypes by lgn2hw/_simcore.py; it uses no Python API, so it needs no Python
 * or numpy headers. The numpy simulator in sim.py is the fallback and the cross-check.
 *
 * Values: one row of B uint64 words per row (sample j of the block is bit j%64 of word j/64).
 * Rows 0, 1 are the constants, 2 .. 2+I-1 the inputs, then node g (in evaluation order) is row
 * 2+I+g: the binding numbers the rows so (level by level, and within a level by truth table),
 * so a gate's result is stored in sequence, and one switch is taken per run of equal tables,
 * not per gate. Fan-ins and outputs are rows.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define LGN_API __attribute__((visibility("default")))
#define INLINE static inline __attribute__((always_inline))
/* The hot loops are compiled for the baseline ISA and for AVX2 / AVX-512, chosen at load time
 * by the CPU (GCC function multi-versioning), so an install built without -march still uses
 * wide vectors where the machine has them. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__) && !defined(LGN_NO_MULTIVERSION)
#define MULTIVERSION __attribute__((target_clones("default", "avx2", "arch=x86-64-v4")))
#else
#define MULTIVERSION
#endif

typedef struct {
    int64_t num_inputs;   /* I: signals 2 .. 2+I-1 */
    int64_t num_signals;  /* S */
    int64_t num_nodes;    /* N */
    int64_t arity;        /* k, 1..6 */
    const int32_t *fanin; /* [N, k] rows read by node g (row 2+I+g), nodes in evaluation order */
    const uint64_t *tables;   /* [N] */
    const int64_t *runs;  /* [R+1] offsets of runs of equal tables */
    int64_t num_runs;
    const int32_t *outputs;   /* [O] rows of the output bits (an inverted output reads the row of
                               * an inverter node the binding appends after every other node) */
    int64_t num_outputs;
    int64_t num_classes;
} lgn_net;

/* ---------------------------------------------------------------- gates */

/* Gates of one run [lo, hi): node g writes row nb + g; B words per row (a compile-time constant
 * where the caller inlines a fixed block size). */
#define RUN2(EXPR)                                                              \
    for (int64_t g = lo; g < hi; g++) {                                        \
        const uint64_t *restrict pa = v + (int64_t)fi[2 * g] * B;              \
        const uint64_t *restrict pb = v + (int64_t)fi[2 * g + 1] * B;          \
        uint64_t *restrict po = v + (nb + g) * B;                              \
        for (int w = 0; w < B; w++) {                                          \
            uint64_t a = pa[w], b = pb[w];                                     \
            (void)a; (void)b;                                                  \
            po[w] = (EXPR);                                                    \
        }                                                                      \
    }                                                                          \
    break;

INLINE void eval2(const lgn_net *net, uint64_t *v, const int B) {
    const int32_t *fi = net->fanin;
    const int64_t nb = 2 + net->num_inputs;
    for (int64_t r = 0; r < net->num_runs; r++) {
        int64_t lo = net->runs[r], hi = net->runs[r + 1];
        switch ((int)net->tables[lo]) {
        case 0: RUN2(0)
        case 1: RUN2(a & b)
        case 2: RUN2(a & ~b)
        case 3: RUN2(a)
        case 4: RUN2(~a & b)
        case 5: RUN2(b)
        case 6: RUN2(a ^ b)
        case 7: RUN2(a | b)
        case 8: RUN2(~(a | b))
        case 9: RUN2(~(a ^ b))
        case 10: RUN2(~b)
        case 11: RUN2(a | ~b)
        case 12: RUN2(~a)
        case 13: RUN2(~a | b)
        case 14: RUN2(~(a & b))
        default: RUN2(~(uint64_t)0)
        }
    }
}

/* k-input LUTs (any k <= 6): a mux tree over the table; input k-1 is the least significant
 * address bit and address a's output is table bit 2^k-1-a (see ops.py). t: scratch [2^k * B]. */
INLINE void evalk(const lgn_net *net, uint64_t *v, const int B, uint64_t *restrict t) {
    const int k = (int)net->arity, n = 1 << k;
    const int64_t nb = 2 + net->num_inputs;
    for (int64_t g = 0; g < net->num_nodes; g++) {
        const uint64_t tab = net->tables[g];
        const int32_t *f = net->fanin + g * k;
        for (int a = 0; a < n; a++) {
            uint64_t m = ((tab >> (n - 1 - a)) & 1) ? ~(uint64_t)0 : 0;
            for (int w = 0; w < B; w++) t[a * B + w] = m;
        }
        for (int i = k - 1, len = n; i >= 0; i--, len >>= 1) {
            const uint64_t *x = v + (int64_t)f[i] * B;
            for (int j = 0; j < len / 2; j++)
                for (int w = 0; w < B; w++)
                    t[j * B + w] = (t[(2 * j + 1) * B + w] & x[w]) | (t[2 * j * B + w] & ~x[w]);
        }
        uint64_t *o = v + (nb + g) * B;
        for (int w = 0; w < B; w++) o[w] = t[w];
    }
}

/* Every node of the net on rows of B words (the constant rows set here, the input rows by the
 * caller); t: scratch of 64 * B words for LUT nets. */
INLINE void eval_rows(const lgn_net *net, uint64_t *v, const int B, uint64_t *t) {
    for (int w = 0; w < B; w++) { v[w] = 0; v[B + w] = ~(uint64_t)0; }
    if (net->arity == 2) eval2(net, v, B);
    else evalk(net, v, B, t);
}

INLINE void eval_block(const lgn_net *net, uint64_t *v, const int B) {
    uint64_t t[64 * 16];
    eval_rows(net, v, B, t);
}

/* ---------------------------------------------------------------- packing */

/* bits uint8 [n, I] (0/1; rows n0..n0+cnt-1) -> rows 2..2+I-1 of v, B words; missing samples 0.
 * Eight samples are OR-ed into one byte per input first (byte lanes, vectorized), then the
 * eight bytes of a word are gathered per input. Returns the OR of every byte read, so the
 * caller can refuse bytes other than 0 and 1 without a pass of its own. */
INLINE uint8_t pack_block(const uint8_t *bits, int64_t nin, int64_t cnt, uint64_t *v, const int B,
                          uint8_t *acc /* [8 * I] */) {
    uint8_t seen = 0;
    for (int w = 0; w < B; w++) {
        for (int byte = 0; byte < 8; byte++) {
            uint8_t *restrict ac = acc + (int64_t)byte * nin;
            memset(ac, 0, (size_t)nin);
            for (int j = 0; j < 8; j++) {
                int64_t s = (int64_t)w * 64 + byte * 8 + j;
                if (s >= cnt) break;
                const uint8_t *restrict src = bits + s * nin;
                for (int64_t i = 0; i < nin; i++) {
                    ac[i] |= (uint8_t)(src[i] << j);
                    seen |= src[i];
                }
            }
        }
        for (int64_t i = 0; i < nin; i++) {
            uint64_t x = 0;
            for (int byte = 0; byte < 8; byte++) x |= (uint64_t)acc[(int64_t)byte * nin + i] << (8 * byte);
            v[(2 + i) * B + w] = x;
        }
    }
    return seen;
}

/* ---------------------------------------------------------------- group sums */

/* Carry-save counter on bit planes: at most two pending rows per weight; adding a row at
 * weight b runs full adders up the weights while both slots are taken. */
typedef struct {
    uint64_t s[40][2][16];
    int pend[40];
    int top;
} csa_counter;

INLINE void csa_add(csa_counter *c, const uint64_t *x, int b, const int B) {
    uint64_t cur[16];
    for (int w = 0; w < B; w++) cur[w] = x[w];
    while (c->pend[b] == 2) {
        for (int w = 0; w < B; w++) {
            uint64_t p = c->s[b][0][w], q = c->s[b][1][w], u = p ^ q;
            c->s[b][0][w] = u ^ cur[w];
            cur[w] = (p & q) | (u & cur[w]);
        }
        c->pend[b] = 1;
        b++;
    }
    for (int w = 0; w < B; w++) c->s[b][c->pend[b]][w] = cur[w];
    c->pend[b]++;
    if (b + 1 > c->top) c->top = b + 1;
}

#define FA(HI, LO, A, X, Y)                                                          \
    for (int w = 0; w < B; w++) {                                                   \
        uint64_t u_ = (A)[w] ^ (X)[w];                                              \
        (HI)[w] = ((A)[w] & (X)[w]) | (u_ & (Y)[w]);                                \
        (LO)[w] = u_ ^ (Y)[w];                                                      \
    }

/* Popcount per class on a block: Harley-Seal (ones/twos/fours/eights rows, 16 outputs per
 * step, one row of weight 16 out), the weight-16 rows and the rest into a carry-save
 * counter, then each sample's count read off the bit planes. sums: int32 [cnt, C]. */
INLINE void group_sums_block(const lgn_net *net, const uint64_t *v, const int B, int64_t cnt,
                             int32_t *sums, const int32_t (*spread)[8]) {
    const int64_t C = net->num_classes, gsz = net->num_outputs / C;
    csa_counter ctr;
    int32_t counts[64 * 16];
    for (int64_t c = 0; c < C; c++) {
        const int32_t *outs = net->outputs + c * gsz;
        memset(ctr.pend, 0, sizeof ctr.pend);
        ctr.top = 0;
        uint64_t ones[16] = {0}, twos[16] = {0}, fours[16] = {0}, eights[16] = {0};
        uint64_t twosA[16], twosB[16], foursA[16], foursB[16], eightsA[16], eightsB[16], sixteens[16];
        int64_t o = 0;
#define ROW(i) (v + (int64_t)outs[o + (i)] * B)
        for (; o + 16 <= gsz; o += 16) {
            FA(twosA, ones, ones, ROW(0), ROW(1))
            FA(twosB, ones, ones, ROW(2), ROW(3))
            FA(foursA, twos, twos, twosA, twosB)
            FA(twosA, ones, ones, ROW(4), ROW(5))
            FA(twosB, ones, ones, ROW(6), ROW(7))
            FA(foursB, twos, twos, twosA, twosB)
            FA(eightsA, fours, fours, foursA, foursB)
            FA(twosA, ones, ones, ROW(8), ROW(9))
            FA(twosB, ones, ones, ROW(10), ROW(11))
            FA(foursA, twos, twos, twosA, twosB)
            FA(twosA, ones, ones, ROW(12), ROW(13))
            FA(twosB, ones, ones, ROW(14), ROW(15))
            FA(foursB, twos, twos, twosA, twosB)
            FA(eightsB, fours, fours, foursA, foursB)
            FA(sixteens, eights, eights, eightsA, eightsB)
            csa_add(&ctr, sixteens, 4, B);
        }
        for (; o < gsz; o++) csa_add(&ctr, ROW(0), 0, B);
#undef ROW
        if (gsz >= 16) {
            csa_add(&ctr, ones, 0, B);
            csa_add(&ctr, twos, 1, B);
            csa_add(&ctr, fours, 2, B);
            csa_add(&ctr, eights, 3, B);
        }
        /* at most two rows per weight left: half adders make it one */
        for (int b = 0; b < ctr.top; b++) {
            if (ctr.pend[b] == 2) {
                uint64_t carry[16];
                for (int w = 0; w < B; w++) {
                    uint64_t p = ctr.s[b][0][w], q = ctr.s[b][1][w];
                    ctr.s[b][0][w] = p ^ q;
                    carry[w] = p & q;
                }
                ctr.pend[b] = 1;
                csa_add(&ctr, carry, b + 1, B);
            }
        }
        /* counts off the planes a byte at a time: spread[x][i] is bit i of x, so eight
         * samples' counts take one 8-lane add per plane */
        memset(counts, 0, sizeof(int32_t) * 64 * (size_t)B);
        for (int b = 0; b < ctr.top; b++) {
            if (!ctr.pend[b]) continue;
            for (int w = 0; w < B; w++) {
                uint64_t p = ctr.s[b][0][w];
                for (int q = 0; q < 8; q++) {
                    const int32_t *sp = spread[(p >> (8 * q)) & 0xFF];
                    int32_t *cn = counts + w * 64 + 8 * q;
                    for (int i = 0; i < 8; i++) cn[i] += sp[i] << b;
                }
            }
        }
        for (int64_t j = 0; j < cnt; j++) sums[j * C + c] = counts[j];
    }
}

/* output bits uint8 [cnt, O] rows of this block. Eight outputs at a time: byte b of their
 * eight words gathered into one word x (byte i from output i), kept for the whole block
 * (xs [B][8][O/8]); then each sample's row is written in order, 8 bytes per store:
 * sample 64w+8b+j's bytes for outputs 8q..8q+7 are (xs[w][b][q] >> j) & 0x01..01. Rows are
 * written whole and in sequence, with non-temporal stores where the target has them (the
 * rows are not read again here). */
#if defined(__x86_64__) && defined(__SSE2__)
#include <emmintrin.h>
#define STORE8(P, Y) _mm_stream_si64((long long *)(void *)(P), (long long)(Y))
#define STORE_FENCE() _mm_sfence()
#else
#define STORE8(P, Y) do { uint64_t y_ = (Y); memcpy((P), &y_, 8); } while (0)
#define STORE_FENCE() do { } while (0)
#endif

INLINE void output_bits_block(const lgn_net *net, const uint64_t *v, const int B, int64_t cnt,
                              uint8_t *out, uint64_t *xs) {
    const int64_t O = net->num_outputs, Q = O / 8;
    const uint64_t lsb = 0x0101010101010101ull;
    for (int64_t q = 0; q < Q; q++) {
        const uint64_t *r[8];
        for (int i = 0; i < 8; i++) r[i] = v + (int64_t)net->outputs[8 * q + i] * B;
        for (int w = 0; w < B; w++)
            for (int b = 0; b < 8; b++) {
                uint64_t x = 0;
                for (int i = 0; i < 8; i++) x |= ((r[i][w] >> (8 * b)) & 0xFF) << (8 * i);
                xs[((int64_t)w * 8 + b) * Q + q] = x;
            }
    }
    const int aligned = ((O & 7) == 0) && (((uintptr_t)out & 7) == 0);
    for (int64_t smp = 0; smp < cnt; smp++) {
        const int w = (int)(smp >> 6), b = (int)((smp >> 3) & 7), j = (int)(smp & 7);
        const uint64_t *x = xs + ((int64_t)w * 8 + b) * Q;
        uint8_t *row = out + smp * O;
        if (aligned) {
            for (int64_t q = 0; q < Q; q++) STORE8(row + 8 * q, (x[q] >> j) & lsb);
        } else {
            for (int64_t q = 0; q < Q; q++) {
                uint64_t y = (x[q] >> j) & lsb;
                memcpy(row + 8 * q, &y, 8);
            }
        }
        for (int64_t o = 8 * Q; o < O; o++)
            row[o] = (uint8_t)((v[(int64_t)net->outputs[o] * B + w] >> (smp & 63)) & 1);
    }
    STORE_FENCE();
}

/* ---------------------------------------------------------------- entry points */

/* The argmax of each sample's sums (ties to the lowest class). */
INLINE void classes_block(const int32_t *sums, int64_t C, int64_t cnt, int64_t *classes) {
    for (int64_t j = 0; j < cnt; j++) {
        const int32_t *r = sums + j * C;
        int64_t best = 0;
        for (int64_t c = 1; c < C; c++) if (r[c] > r[best]) best = c;
        classes[j] = best;
    }
}

/* Returns the OR of every input byte (see pack_block). */
INLINE uint8_t simulate_bits_B(const lgn_net *net, const uint8_t *bits, int64_t n, int32_t *sums,
                               int64_t *classes, uint8_t *out_bits, uint64_t *v, uint8_t *acc, uint64_t *xs,
                               const int B) {
    const int64_t per = 64 * (int64_t)B, C = net->num_classes;
    uint8_t seen = 0;
    int32_t spread[256][8];
    for (int x = 0; x < 256; x++)
        for (int i = 0; i < 8; i++) spread[x][i] = (x >> i) & 1;
    for (int64_t n0 = 0; n0 < n; n0 += per) {
        int64_t cnt = n - n0 < per ? n - n0 : per;
        seen |= pack_block(bits + n0 * net->num_inputs, net->num_inputs, cnt, v, B, acc);
        eval_block(net, v, B);
        if (sums) group_sums_block(net, v, B, cnt, sums + n0 * C, spread);
        if (sums && classes) classes_block(sums + n0 * C, C, cnt, classes + n0);
        if (out_bits) output_bits_block(net, v, B, cnt, out_bits + n0 * net->num_outputs, xs);
    }
    return seen;
}

#define SIM_BITS(NB)                                                                                    \
    MULTIVERSION static uint8_t sim_bits_##NB(const lgn_net *n, const uint8_t *b, int64_t k, int32_t *s,  \
                                              int64_t *c, uint8_t *o, uint64_t *v, uint8_t *a, uint64_t *x) { \
        return simulate_bits_B(n, b, k, s, c, o, v, a, x, NB);                                          \
    }
SIM_BITS(1)
SIM_BITS(2)
SIM_BITS(4)
SIM_BITS(8)
SIM_BITS(16)

/* Run the netlist on input bits uint8 [n, I]; writes sums int32 [n, C], classes int64 [n]
 * (the argmax of the sums, ties to the lowest class; needs sums) and/or output bits uint8
 * [n, O] (any may be NULL). B (1, 2, 4, 8 or 16) words per block. Returns 0; -1 when memory
 * runs out; -2 when an input byte is neither 0 nor 1 (the outputs are then meaningless). */
LGN_API int lgn_simulate_bits(const lgn_net *net, const uint8_t *bits, int64_t n, int32_t *sums,
                              int64_t *classes, uint8_t *out_bits, int B) {
    uint64_t *v = (uint64_t *)aligned_alloc(64, ((size_t)net->num_signals * (size_t)B * 8 + 63) / 64 * 64);
    uint8_t *acc = (uint8_t *)malloc((size_t)net->num_inputs * 8 + 1);
    uint64_t *xs = (uint64_t *)malloc(sizeof(uint64_t) * ((size_t)net->num_outputs / 8 * 8 * (size_t)B + 1));
    if (!v || !acc || !xs) { free(v); free(acc); free(xs); return -1; }
    uint8_t seen;
    switch (B) {
    case 1: seen = sim_bits_1(net, bits, n, sums, classes, out_bits, v, acc, xs); break;
    case 2: seen = sim_bits_2(net, bits, n, sums, classes, out_bits, v, acc, xs); break;
    case 4: seen = sim_bits_4(net, bits, n, sums, classes, out_bits, v, acc, xs); break;
    case 8: seen = sim_bits_8(net, bits, n, sums, classes, out_bits, v, acc, xs); break;
    default: seen = sim_bits_16(net, bits, n, sums, classes, out_bits, v, acc, xs); break;
    }
    free(v);
    free(acc);
    free(xs);
    return (seen & 0xFE) ? -2 : 0;
}

/* Packed evaluation: inputs uint64 [I, W] -> values of every row vals uint64 [S, W] (rows as
 * in lgn_net; W any word count: the same kernels with B = W words per row). Used for
 * signatures and for output_words. */
MULTIVERSION LGN_API void lgn_simulate_packed(const lgn_net *net, const uint64_t *inputs, int64_t W, uint64_t *vals) {
    memcpy(vals + 2 * W, inputs, (size_t)(net->num_inputs * W) * 8);
    uint64_t *t = net->arity == 2 ? NULL : (uint64_t *)malloc(sizeof(uint64_t) * 64 * (size_t)W);
    if (net->arity != 2 && !t) return;
    eval_rows(net, vals, (int)W, t);
    free(t);
}

/* ---------------------------------------------------------------- exhaustive cone checks */

/* For sat-sweep: decide candidate pairs (x, r, phase) whose joint cone reads at most
 * max_inputs primary inputs by simulating all 2^n assignments of those inputs.
 * tables [N], fanin [N, k] (int64 signal ids; node n is signal base + n; ids are topological).
 * status[j]: 0 equal (x == r ^ phase everywhere), 1 differ (support[j, 0..n-1] the input
 * signal ids, assign[j] the first assignment where they differ: bit i of it is support[j, i]),
 * 2 undecided (more than max_inputs inputs or max_nodes nodes in the cone).
 * Returns 0, or -1 when memory runs out. */
LGN_API int lgn_cone_check(int64_t num_inputs, int64_t num_signals, int64_t k, const uint64_t *tables,
                           const int64_t *fanin, int64_t num_pairs, const int64_t *pairs, int64_t max_inputs,
                           int64_t max_nodes, int32_t *status, int64_t *support, int64_t *assign) {
    const int64_t base = 2 + num_inputs;
    if (max_inputs > 20) max_inputs = 20;
    const int64_t W = max_inputs > 6 ? ((int64_t)1 << (max_inputs - 6)) : 1;
    int64_t *mark = (int64_t *)calloc((size_t)num_signals, sizeof(int64_t));
    int64_t *slot = (int64_t *)malloc(sizeof(int64_t) * (size_t)num_signals);
    int64_t *stack = (int64_t *)malloc(sizeof(int64_t) * (size_t)(max_nodes * k + 2 + max_inputs + 8));
    int64_t *cone = (int64_t *)malloc(sizeof(int64_t) * (size_t)(max_nodes + 1));
    uint64_t *vals = (uint64_t *)malloc(sizeof(uint64_t) * (size_t)(max_nodes + max_inputs + 2) * (size_t)W);
    uint64_t *t = (uint64_t *)malloc(sizeof(uint64_t) * 64 * (size_t)W);
    if (!mark || !slot || !stack || !cone || !vals || !t) {
        free(mark); free(slot); free(stack); free(cone); free(vals); free(t);
        return -1;
    }
    static const uint64_t lanes[6] = {0xAAAAAAAAAAAAAAAAull, 0xCCCCCCCCCCCCCCCCull, 0xF0F0F0F0F0F0F0F0ull,
                                      0xFF00FF00FF00FF00ull, 0xFFFF0000FFFF0000ull, 0xFFFFFFFF00000000ull};
    for (int64_t j = 0; j < num_pairs; j++) {
        const int64_t stamp = j + 1, x = pairs[3 * j], r = pairs[3 * j + 1];
        const uint64_t phase = pairs[3 * j + 2] ? ~(uint64_t)0 : 0;
        int64_t *sup = support + j * max_inputs;
        int64_t nsup = 0, ncone = 0, sp = 0, ok = 1;
        stack[sp++] = x;
        stack[sp++] = r;
        while (sp && ok) {
            int64_t s = stack[--sp];
            if (s < 2 || mark[s] == stamp) continue;
            mark[s] = stamp;
            if (s < base) {
                if (nsup == max_inputs) { ok = 0; break; }
                sup[nsup++] = s;
                continue;
            }
            if (ncone == max_nodes) { ok = 0; break; }
            cone[ncone++] = s;
            for (int64_t i = 0; i < k; i++) stack[sp++] = fanin[(s - base) * k + i];
        }
        if (!ok) { status[j] = 2; continue; }
        /* topological order = ascending ids (insertion sort: cones are small) */
        for (int64_t a = 1; a < ncone; a++) {
            int64_t v = cone[a], b = a - 1;
            while (b >= 0 && cone[b] > v) { cone[b + 1] = cone[b]; b--; }
            cone[b + 1] = v;
        }
        const int64_t w = nsup > 6 ? ((int64_t)1 << (nsup - 6)) : 1;
        const uint64_t valid = nsup >= 6 ? ~(uint64_t)0 : (((uint64_t)1 << ((int64_t)1 << nsup)) - 1);
        /* rows: 0 FALSE, 1 TRUE, 2.. support inputs, then cone nodes */
        for (int64_t q = 0; q < w; q++) { vals[q] = 0; vals[w + q] = ~(uint64_t)0; }
        slot[0] = 0;
        slot[1] = 1;
        for (int64_t i = 0; i < nsup; i++) {
            slot[sup[i]] = 2 + i;
            uint64_t *row = vals + (2 + i) * w;
            for (int64_t q = 0; q < w; q++)
                row[q] = i < 6 ? lanes[i] : (((q >> (i - 6)) & 1) ? ~(uint64_t)0 : 0);
        }
        for (int64_t c = 0; c < ncone; c++) {
            const int64_t s = cone[c], n = s - base;
            slot[s] = 2 + nsup + c;
            uint64_t *o = vals + slot[s] * w;
            const int64_t *f = fanin + n * k;
            const uint64_t tab = tables[n];
            if (k == 2) {
                const uint64_t *pa = vals + slot[f[0]] * w, *pb = vals + slot[f[1]] * w;
                for (int64_t q = 0; q < w; q++) {
                    uint64_t a = pa[q], b = pb[q];
                    /* out(a, b) = table bit 3 - (2a + b): a mux over the four table bits */
                    uint64_t m0 = (tab >> 3) & 1 ? ~(uint64_t)0 : 0, m1 = (tab >> 2) & 1 ? ~(uint64_t)0 : 0;
                    uint64_t m2 = (tab >> 1) & 1 ? ~(uint64_t)0 : 0, m3 = tab & 1 ? ~(uint64_t)0 : 0;
                    o[q] = (~a & ~b & m0) | (~a & b & m1) | (a & ~b & m2) | (a & b & m3);
                }
            } else {
                const int nn = 1 << k;
                for (int a = 0; a < nn; a++) {
                    uint64_t m = ((tab >> (nn - 1 - a)) & 1) ? ~(uint64_t)0 : 0;
                    for (int64_t q = 0; q < w; q++) t[a * w + q] = m;
                }
                for (int i = (int)k - 1, len = nn; i >= 0; i--, len >>= 1) {
                    const uint64_t *xi = vals + slot[f[i]] * w;
                    for (int jj = 0; jj < len / 2; jj++)
                        for (int64_t q = 0; q < w; q++)
                            t[jj * w + q] = (t[(2 * jj + 1) * w + q] & xi[q]) | (t[2 * jj * w + q] & ~xi[q]);
                }
                for (int64_t q = 0; q < w; q++) o[q] = t[q];
            }
        }
        const uint64_t *vx = vals + slot[x] * w, *vr = vals + slot[r] * w;
        status[j] = 0;
        for (int64_t q = 0; q < w; q++) {
            uint64_t d = (vx[q] ^ vr[q] ^ phase) & valid;
            if (d) {
                status[j] = 1;
                assign[j] = q * 64 + __builtin_ctzll(d);
                break;
            }
        }
    }
    free(mark); free(slot); free(stack); free(cone); free(vals); free(t);
    return 0;
}

/* ---------------------------------------------------------------- conv models */

/* A conv model (lgn2hw/conv.py) run without unrolling: per block of B words (64*B images)
 * the input bits are packed straight into the first feature map, each stage reads its input
 * map in place and writes the next, and the last stage writes the dense head's input rows,
 * which then run as any netlist (eval_block, group_sums_block, output_bits_block).
 *
 * A feature map is uint64 [channels, Hp, Wp, B]: the map with the border the stage that
 * reads it pads with (zero cells, written once), so no window needs a bounds check.
 *
 * A conv block evaluates its kernel netlist (two-input gates) over a tile of output
 * positions along one row at a time: each gate runs once per tile over n positions x B words,
 * so the switch on its truth table and the operand look-up are paid once per tile. Operand
 * and destination codes are (offset << 2) | kind, the offset in words (so a plan is made for
 * one B and one tile length T):
 *   kind 0  constant: 0 (zeros) or T*B (ones)
 *   kind 1  window input: cell (c*Hp + dy)*Wp + dx from the window's top-left, times B; a
 *           position further along the row is `stride` cells on
 *   kind 2  scratch slot j: j*T*B (the planner reuses a slot once its gate's last reader has run)
 *   kind 3  output channel k of the block: k*Hp'*Wp'*B (its cell at this position; with a ring,
 *           k*R*Wp'*B)
 * Gates run in the order given (topological); an output that is a constant, a window input or
 * another output's gate is one more gate (op a, ~a or a constant) writing it. */
typedef struct {
    int64_t kind;             /* 0 conv block, 1 OR pool */
    int64_t out_ch, oh, ow;   /* output map */
    int64_t win, stride;      /* window side (rf, or the pool kernel) and step in cells */
    int64_t in_hp, in_wp;     /* input buffer rows and columns (padding included) */
    int64_t out_hp, out_wp, out_pad; /* output buffer rows, columns, border */
    int64_t num_gates;        /* conv: gates in evaluation order */
    const int32_t *gate_op;   /* [G] two-input op id (ops.py) */
    const int64_t *gate_arg;  /* [G, 3] codes: operand a, operand b, destination */
    int64_t num_slots;
    int64_t tile;             /* positions per tile */
    int64_t pad;              /* this stage's padding (the border of its input buffer) */
    int64_t ring;             /* conv: 0, it writes the whole output map; R > 0, the next stage is an
                               * OR pool of kernel R, fused: the conv writes its rows into a ring of R
                               * rows (out_hp = R, out_wp and out_pad the pool's padded columns), and
                               * each pool row is OR-ed from the ring as soon as its rows are there,
                               * so the full-resolution map is never stored */
} lgn_conv_stage;

typedef struct {
    int64_t num_stages;
    const lgn_conv_stage *stages;
    int64_t num_inputs;       /* model input bits (flat order, conv.py) */
    int64_t in_c, in_t, in_h, in_w, in_pad; /* image channels, bits per channel, rows, columns;
                                             * the first map's border */
    const int64_t *map_cells; /* [num_stages] cells of stage i's input map (padding included; the
                               * ring's cells for the pool of a fused conv + pool) */
    const lgn_net *head;      /* reads the last stage's output map as its input rows */
} lgn_conv_model;

/* ---------------------------------------------------------------- conv kernel programs */

/* The tile program of one kernel netlist (two-input gates), as conv_sim._kernel_program makes
 * it (that Python function is the reference; the two give identical programs): constants,
 * wires and inverters folded into their readers when `fold`, gates in depth-first post-order
 * from the outputs, scratch slots reused once their last reader has run, output gates writing
 * their output channel, outputs that no gate of their own writes one copy at the end.
 * tables [N] (ops), fanin [N, 2] signal ids (node n is signal 2+I+n), outputs [K] signal ids,
 * cells [I] each window input's cell offset. Writes ops [G] and args [G, 3, 2] ((kind, index)
 * of operand a, operand b, destination; kinds as in lgn_conv_stage) with G <= N + K, and
 * *nslots. Returns G, or -1 when memory runs out. */

/* gate op reading operand kinds kx, ky (0/1 a constant, 2 a signal, 3 its inverse; `same`:
 * one signal): 0 a gate (*val its op on the plain signals), 1 a wire of x, 2 of y (*val: 1
 * when inverted), 3 a constant (*val). */
static int fold_kind(int op, int kx, int ky, int same, int *val) {
    int f[2][2];
    for (int a = 0; a < 2; a++)
        for (int b = 0; b < 2; b++) {
            int va = kx < 2 ? kx : a ^ (kx - 2), vb = ky < 2 ? ky : (same ? a : b) ^ (ky - 2);
            f[a][b] = (op >> (3 - (2 * va + vb))) & 1;
        }
    const int on_a = kx >= 2 && (f[0][0] != f[1][0] || f[0][1] != f[1][1]);
    const int on_b = ky >= 2 && !same && (f[0][0] != f[0][1] || f[1][0] != f[1][1]);
    if (on_a && on_b) {
        *val = f[0][0] << 3 | f[0][1] << 2 | f[1][0] << 1 | f[1][1];
        return 0;
    }
    *val = f[0][0];
    return on_a ? 1 : on_b ? 2 : 3;
}

/* Depth-first post-order of the gates (signals >= base) in the cones of roots; opx/opy the
 * operands of gate v - base; seen [N] zeroed, stack [3N + R + 1]. Returns the count. */
static int64_t post_order(const int64_t *roots, int64_t nroots, const int64_t *opx, const int64_t *opy,
                          int64_t base, uint8_t *seen, int64_t *stack, int64_t *order) {
    int64_t cnt = 0;
    for (int64_t r = 0; r < nroots; r++) {
        const int64_t root = roots[r];
        if (root < base || seen[root - base]) continue;
        int64_t sp = 0;
        stack[sp++] = root;
        while (sp) {
            const int64_t v = stack[--sp];
            if (v < 0) order[cnt++] = ~v;
            else if (!seen[v - base]) {
                seen[v - base] = 1;
                const int64_t x = opx[v - base], y = opy[v - base];
                stack[sp++] = ~v;
                if (y >= base && !seen[y - base]) stack[sp++] = y;
                if (x >= base && !seen[x - base]) stack[sp++] = x;
            }
        }
    }
    return cnt;
}

LGN_API int64_t lgn_conv_plan(int64_t num_inputs, int64_t num_nodes, const uint64_t *tables, const int64_t *fanin,
                              int64_t num_outputs, const int64_t *outputs, const int64_t *cells, int fold,
                              int32_t *ops, int64_t *args, int64_t *nslots) {
    const int64_t base = 2 + num_inputs, N = num_nodes, K = num_outputs, S = base + N;
    int64_t *buf = (int64_t *)malloc(sizeof(int64_t) * (size_t)(10 * N + 2 * S + 3 * K + 8));
    uint8_t *seen = (uint8_t *)calloc((size_t)N + 1, 1);
    if (!buf || !seen) { free(buf); free(seen); return -1; }
    int64_t *fx = buf, *fy = fx + N, *gx = fy + N, *gy = gx + N, *gop = gy + N, *order = gop + N;
    int64_t *owner = order + N, *last = owner + N, *freel = last + N, *rep = freel + N;  /* rep [S]: sig*2|inv */
    int64_t *code = rep + S;  /* [S]: index*4|kind */
    int64_t *roots = (int64_t *)malloc(sizeof(int64_t) * (size_t)(4 * N + 2 * K + 8));
    if (!roots) { free(buf); free(seen); return -1; }
    int64_t *stack = roots + K + 1;  /* [3N + K + 7] */
    for (int64_t n = 0; n < N; n++) { fx[n] = fanin[2 * n]; fy[n] = fanin[2 * n + 1]; gop[n] = -1; owner[n] = -1; }
    for (int64_t v = 0; v < S; v++) rep[v] = 2 * v;
    /* fold in post-order from the outputs */
    int64_t m = post_order(outputs, K, fx, fy, base, seen, stack, order);
    for (int64_t i = 0; i < m; i++) {
        const int64_t v = order[i], n = v - base, a = fx[n], b = fy[n];
        const int op = (int)tables[n];
        if (!fold) { gop[n] = op; gx[n] = a; gy[n] = b; continue; }
        const int64_t sx = rep[a] >> 1, ix = rep[a] & 1, sy = rep[b] >> 1, iy = rep[b] & 1;
        const int kx = sx < 2 ? (int)(sx ^ ix) : 2 + (int)ix, ky = sy < 2 ? (int)(sy ^ iy) : 2 + (int)iy;
        int val;
        switch (fold_kind(op, kx, ky, sx >= 2 && sx == sy, &val)) {
        case 0: gop[n] = val; gx[n] = sx; gy[n] = sy; break;
        case 1: rep[v] = 2 * sx + val; break;
        case 2: rep[v] = 2 * sy + val; break;
        default: rep[v] = 2 * val; break;
        }
    }
    /* outputs: a gate of its own (the first output reading it plain), else a copy at the end */
    for (int64_t k = 0; k < K; k++) roots[k] = rep[outputs[k]] >> 1;
    memset(seen, 0, (size_t)N + 1);
    m = post_order(roots, K, gx, gy, base, seen, stack, order);
    for (int64_t k = 0; k < K; k++) {
        const int64_t sig = rep[outputs[k]] >> 1, inv = rep[outputs[k]] & 1;
        if (sig >= base && !inv && owner[sig - base] < 0) owner[sig - base] = k;
    }
    for (int64_t n = 0; n < N; n++) last[n] = -1;
    for (int64_t i = 0; i < m; i++) {
        const int64_t n = order[i] - base;
        if (gx[n] >= base) last[gx[n] - base] = i;
        if (gy[n] >= base) last[gy[n] - base] = i;
    }
    for (int64_t k = 0; k < K; k++) {
        const int64_t sig = rep[outputs[k]] >> 1;
        if (sig >= base && owner[sig - base] != k) last[sig - base] = m;
    }
    code[0] = 0; code[1] = 4;  /* (_CONST, 0), (_CONST, 1) */
    for (int64_t i = 0; i < num_inputs; i++) code[2 + i] = cells[i] * 4 + 1;
    int64_t nfree = 0, ns = 0, g = 0;
#define PUT(C) do { *args++ = (C) & 3; *args++ = (C) >> 2; } while (0)
    for (int64_t i = 0; i < m; i++) {
        const int64_t v = order[i], n = v - base, a = gx[n], b = gy[n];
        int64_t dst;
        if (owner[n] >= 0) dst = owner[n] * 4 + 3;
        else dst = (nfree ? freel[--nfree] : ns++) * 4 + 2;
        code[v] = dst;
        ops[g++] = (int32_t)gop[n];
        PUT(code[a]); PUT(code[b]); PUT(dst);
        if (a >= base && last[a - base] == i && (code[a] & 3) == 2) freel[nfree++] = code[a] >> 2;
        if (b != a && b >= base && last[b - base] == i && (code[b] & 3) == 2) freel[nfree++] = code[b] >> 2;
    }
    for (int64_t k = 0; k < K; k++) {
        const int64_t sig = rep[outputs[k]] >> 1, inv = rep[outputs[k]] & 1;
        if (sig >= base && !inv && owner[sig - base] == k) continue;
        const int64_t u = sig < 2 ? 0 : sig;
        ops[g++] = sig < 2 ? ((sig ^ inv) ? 15 : 0) : (inv ? 12 : 3);
        PUT(code[u]); PUT(code[u]); PUT(k * 4 + 3);
    }
#undef PUT
    *nslots = ns;
    free(buf); free(seen); free(roots);
    return g;
}

#define CONV_OPS(M)                                                             \
    switch (op) {                                                               \
    case 0: M(0) case 1: M(a & b) case 2: M(a & ~b) case 3: M(a)                \
    case 4: M(~a & b) case 5: M(b) case 6: M(a ^ b) case 7: M(a | b)            \
    case 8: M(~(a | b)) case 9: M(~(a ^ b)) case 10: M(~b) case 11: M(a | ~b)   \
    case 12: M(~a) case 13: M(~a | b) case 14: M(~(a & b))                      \
    default: M(~(uint64_t)0)                                                    \
    }

/* n positions of B words each; a window operand's positions are `stride` cells apart */
#define TILE2(EXPR)                                                             \
    for (int64_t t = 0; t < n; t++) {                                           \
        const uint64_t *restrict qa = pa + t * sa, *restrict qb = pb + t * sb;  \
        uint64_t *restrict qo = po + t * B;                                     \
        for (int w = 0; w < B; w++) {                                           \
            uint64_t a = qa[w], b = qb[w];                                      \
            (void)a; (void)b;                                                   \
            qo[w] = (EXPR);                                                     \
        }                                                                       \
    }                                                                           \
    break;

/* Fill the constant rows of a conv stage's scratch (after its slots). */
INLINE void conv_consts(const lgn_conv_stage *st, uint64_t *scratch, const int B) {
    const int64_t T = st->tile;
    uint64_t *consts = scratch + st->num_slots * T * B;
    for (int64_t i = 0; i < T * B; i++) { consts[i] = 0; consts[T * B + i] = ~(uint64_t)0; }
}

/* Output row oy of a conv block, written to buffer row `row` of out (every channel). */
INLINE void conv_row_B(const lgn_conv_stage *st, const uint64_t *in, uint64_t *out, uint64_t *scratch,
                       int64_t oy, int64_t row, const int B) {
    const int64_t T = st->tile, s = st->stride;
    /* an operand is base[kind] + offset, the next position step[kind] words on */
    uint64_t *base[4] = {scratch + st->num_slots * T * B, NULL, scratch, NULL};
    const int64_t step[4] = {B, s * B, B, B};
    for (int64_t x0 = 0; x0 < st->ow; x0 += T) {
        const int64_t n = st->ow - x0 < T ? st->ow - x0 : T;
        base[1] = (uint64_t *)in + ((oy * s) * st->in_wp + x0 * s) * B;
        base[3] = out + (row * st->out_wp + st->out_pad + x0) * B;
        const int64_t *arg = st->gate_arg;
        for (int64_t g = 0; g < st->num_gates; g++, arg += 3) {
            const int64_t sa = step[arg[0] & 3], sb = step[arg[1] & 3];
            const uint64_t *restrict pa = base[arg[0] & 3] + (arg[0] >> 2);
            const uint64_t *restrict pb = base[arg[1] & 3] + (arg[1] >> 2);
            uint64_t *restrict po = base[arg[2] & 3] + (arg[2] >> 2);
            const int op = st->gate_op[g];
            CONV_OPS(TILE2)
        }
    }
}

INLINE void conv_stage_B(const lgn_conv_stage *st, const uint64_t *in, uint64_t *out, uint64_t *scratch,
                         const int B) {
    conv_consts(st, scratch, B);
    for (int64_t oy = 0; oy < st->oh; oy++) conv_row_B(st, in, out, scratch, oy, oy + st->out_pad, B);
}

/* Row py of an OR pool (every channel) from its input buffer: rows y of the unpadded input map
 * (0 <= y < ih) are buffer rows y % R + r0 (R = ih + 2*pad and r0 = pad for a whole map: the
 * identity; a ring: R rows, r0 = 0); padding rows are skipped, padding columns are zero cells. */
INLINE void pool_row_B(const lgn_conv_stage *st, const uint64_t *in, int64_t ih, int64_t R, int64_t r0,
                       int64_t in_ch_words, uint64_t *out, int64_t py, const int B) {
    const int64_t k = st->win, s = st->stride, pad = st->pad;
    const int64_t y0 = py * s - pad;
    const int64_t ylo = y0 < 0 ? 0 : y0, yhi = y0 + k > ih ? ih : y0 + k, yr0 = ylo % R;
    const int64_t wp = st->in_wp;
    for (int64_t ch = 0; ch < st->out_ch; ch++) {
        uint64_t *po = out + ((ch * st->out_hp + py + st->out_pad) * st->out_wp + st->out_pad) * B;
        const uint64_t *pc = in + ch * in_ch_words;
        for (int64_t ox = 0; ox < st->ow; ox++) {
            uint64_t acc[16] = {0};
            for (int64_t y = ylo, yr = yr0; y < yhi; y++, yr = yr + 1 == R ? 0 : yr + 1) {
                const uint64_t *p = pc + ((yr + r0) * wp + ox * s) * B;
                for (int64_t dx = 0; dx < k; dx++)
                    for (int w = 0; w < B; w++) acc[w] |= p[dx * B + w];
            }
            for (int w = 0; w < B; w++) po[ox * B + w] = acc[w];
        }
    }
}

INLINE void pool_stage_B(const lgn_conv_stage *st, const uint64_t *in, uint64_t *out, const int B) {
    const int64_t ih = st->in_hp - 2 * st->pad;
    for (int64_t py = 0; py < st->oh; py++)
        pool_row_B(st, in, ih, st->in_hp, st->pad, st->in_hp * st->in_wp * B, out, py, B);
}

/* A conv block and the OR pool after it, fused (cv->ring = R, the pool's kernel): conv rows
 * go into a ring of R rows, a pool row is made as soon as its last input row is there; conv
 * rows that no pool row reads are not computed. */
INLINE void conv_pool_B(const lgn_conv_stage *cv, const lgn_conv_stage *pl, const uint64_t *in, uint64_t *ring,
                        uint64_t *out, uint64_t *scratch, const int B) {
    const int64_t R = cv->ring, ih = cv->oh, k = pl->win, s = pl->stride, pad = pl->pad;
    const int64_t ring_ch = R * cv->out_wp * B;
    int64_t last = (pl->oh - 1) * s - pad + k - 1;
    if (last > ih - 1) last = ih - 1;
    conv_consts(cv, scratch, B);
    int64_t py = 0;
    for (int64_t r = 0; r <= last; r++) {
        conv_row_B(cv, in, ring, scratch, r, r % R, B);
        for (; py < pl->oh; py++) {
            int64_t need = py * s - pad + k - 1;
            if ((need > ih - 1 ? ih - 1 : need) > r) break;
            pool_row_B(pl, ring, ih, R, 0, ring_ch, out, py, B);
        }
    }
}

INLINE uint64_t load8(const uint8_t *p) { uint64_t x; memcpy(&x, p, 8); return x; }

/* Input bits uint8 [cnt, I] (flat order: bit (f*T + t), f = (c*H + y)*W + x) -> word w of
 * cell (c*T + t, y + p, x + p) of the first map; missing samples 0. Per word: eight samples
 * OR-ed into one byte per input, eight inputs at a time in 64-bit lanes (a 0/1 byte shifted by
 * j < 8 stays in its byte); the eight bytes of each input's word put together a byte row at a
 * time; the words written row by row into the map. Returns nonzero when a byte is not 0/1. */
INLINE int pack_map(const lgn_conv_model *m, const uint8_t *bits, int64_t cnt, uint64_t *map, const int B,
                    uint8_t *acc /* [8 * I] */, uint64_t *restrict word /* [I] */) {
    const int64_t nin = m->num_inputs, q8 = nin / 8;
    const int64_t C = m->in_c, T = m->in_t, H = m->in_h, W = m->in_w, p = m->in_pad;
    const int64_t Hp = H + 2 * p, Wp = W + 2 * p;
    uint64_t seen = 0;
    for (int w = 0; w < B; w++) {
        for (int byte = 0; byte < 8; byte++) {
            uint8_t *restrict ac = acc + (int64_t)byte * nin;
            const int64_t s0 = (int64_t)w * 64 + byte * 8;
            const int rows = cnt - s0 >= 8 ? 8 : cnt - s0 > 0 ? (int)(cnt - s0) : 0;
            const uint8_t *r[8];
            for (int j = 0; j < 8; j++) r[j] = bits + (s0 + (j < rows ? j : 0)) * nin;
            if (s0 + 16 <= cnt)  /* the next eight samples' rows towards L2 while these are read */
                for (int64_t o = 0; o < 8 * nin; o += 64) __builtin_prefetch(r[0] + 8 * nin + o, 0, 2);
            if (rows == 8) {
                for (int64_t q = 0; q < q8; q++) {
                    uint64_t x0 = load8(r[0] + 8 * q), x1 = load8(r[1] + 8 * q), x2 = load8(r[2] + 8 * q);
                    uint64_t x3 = load8(r[3] + 8 * q), x4 = load8(r[4] + 8 * q), x5 = load8(r[5] + 8 * q);
                    uint64_t x6 = load8(r[6] + 8 * q), x7 = load8(r[7] + 8 * q);
                    uint64_t y = x0 | x1 << 1 | x2 << 2 | x3 << 3 | x4 << 4 | x5 << 5 | x6 << 6 | x7 << 7;
                    seen |= x0 | x1 | x2 | x3 | x4 | x5 | x6 | x7;
                    memcpy(ac + 8 * q, &y, 8);
                }
                for (int64_t i = 8 * q8; i < nin; i++) {
                    uint8_t y = 0;
                    for (int j = 0; j < 8; j++) { y |= (uint8_t)(r[j][i] << j); seen |= r[j][i]; }
                    ac[i] = y;
                }
            } else {
                for (int64_t i = 0; i < nin; i++) {
                    uint8_t y = 0;
                    for (int j = 0; j < rows; j++) { y |= (uint8_t)(r[j][i] << j); seen |= r[j][i]; }
                    ac[i] = y;
                }
            }
        }
        for (int64_t i = 0; i < nin; i++) word[i] = acc[i];
        for (int byte = 1; byte < 8; byte++) {
            const uint8_t *restrict ac = acc + (int64_t)byte * nin;
            for (int64_t i = 0; i < nin; i++) word[i] |= (uint64_t)ac[i] << (8 * byte);
        }
        for (int64_t c = 0; c < C; c++)
            for (int64_t y = 0; y < H; y++) {
                const uint64_t *wr = word + (c * H + y) * W * T;
                for (int64_t t = 0; t < T; t++) {
                    uint64_t *dst = map + (((c * T + t) * Hp + y + p) * Wp + p) * B + w;
                    for (int64_t x = 0; x < W; x++) dst[x * B] = wr[x * T + t];
                }
            }
    }
    return (seen & 0xFEFEFEFEFEFEFEFEull) != 0;
}

INLINE int conv_simulate_B(const lgn_conv_model *m, const uint8_t *bits, int64_t n, int32_t *sums,
                           uint8_t *out_bits, uint64_t **maps, uint64_t *scratch, uint64_t *v, uint8_t *acc,
                           uint64_t *word, uint64_t *xs, const int B) {
    const lgn_net *head = m->head;
    const int64_t per = 64 * (int64_t)B;
    int32_t spread[256][8];
    for (int x = 0; x < 256; x++)
        for (int i = 0; i < 8; i++) spread[x][i] = (x >> i) & 1;
    for (int64_t n0 = 0; n0 < n; n0 += per) {
        const int64_t cnt = n - n0 < per ? n - n0 : per;
        if (pack_map(m, bits + n0 * m->num_inputs, cnt, maps[0], B, acc, word))
            return -2;
        for (int64_t i = 0; i < m->num_stages; i++) {
            const lgn_conv_stage *st = m->stages + i;
            if (st->kind == 0 && st->ring) {  /* conv + pool: ring maps[i + 1], pool output maps[i + 2] */
                conv_pool_B(st, st + 1, maps[i], maps[i + 1], i + 2 < m->num_stages ? maps[i + 2] : v + 2 * B,
                            scratch, B);
                i++;
                continue;
            }
            uint64_t *dst = i + 1 < m->num_stages ? maps[i + 1] : v + 2 * B;
            if (st->kind == 0) conv_stage_B(st, maps[i], dst, scratch, B);
            else pool_stage_B(st, maps[i], dst, B);
        }
        eval_block(head, v, B);
        if (sums) group_sums_block(head, v, B, cnt, sums + n0 * head->num_classes, spread);
        if (out_bits) output_bits_block(head, v, B, cnt, out_bits + n0 * head->num_outputs, xs);
    }
    return 0;
}

#define CONV_SIM(BW) \
    MULTIVERSION static int conv_sim_##BW(const lgn_conv_model *m, const uint8_t *b, int64_t n, int32_t *s,  \
                                          uint8_t *o, uint64_t **maps, uint64_t *sc, uint64_t *v, uint8_t *a, \
                                          uint64_t *wd, uint64_t *x) {                                             \
        return conv_simulate_B(m, b, n, s, o, maps, sc, v, a, wd, x, BW);                                          \
    }
CONV_SIM(1)
CONV_SIM(2)
CONV_SIM(4)
CONV_SIM(8)
CONV_SIM(16)

/* Run the conv model on its input bits uint8 [n, I] (flat order, conv.py); writes the head's
 * sums int32 [n, C] and/or output bits uint8 [n, O] (either may be NULL). B (1, 2, 4, 8 or
 * 16) words per block. Returns 0, -1 when memory runs out, -2 when a byte of bits is not 0/1
 * (what was written is then undefined). */
LGN_API int lgn_conv_simulate(const lgn_conv_model *m, const uint8_t *bits, int64_t n, int32_t *sums,
                              uint8_t *out_bits, int B) {
    const lgn_net *head = m->head;
    int64_t slots = 0;
    for (int64_t i = 0; i < m->num_stages; i++) {
        const lgn_conv_stage *st = m->stages + i;
        int64_t need = (st->num_slots + 2) * st->tile;
        if (st->kind == 0 && need > slots) slots = need;
    }
    int rc = 0;
    uint64_t **maps = (uint64_t **)calloc((size_t)m->num_stages + 1, sizeof(uint64_t *));
    uint64_t *scratch = (uint64_t *)aligned_alloc(64, ((size_t)(slots + 1) * (size_t)B * 8 + 63) / 64 * 64);
    uint64_t *v = (uint64_t *)aligned_alloc(64, ((size_t)head->num_signals * (size_t)B * 8 + 63) / 64 * 64);
    uint8_t *acc = (uint8_t *)malloc((size_t)m->num_inputs * 8 + 1);
    uint64_t *word = (uint64_t *)malloc((size_t)m->num_inputs * 8 + 8);
    uint64_t *xs = (uint64_t *)malloc(sizeof(uint64_t) * ((size_t)head->num_outputs / 8 * 8 * (size_t)B + 1));
    if (!maps || !scratch || !v || !acc || !word || !xs) rc = -1;
    for (int64_t i = 0; i < m->num_stages && !rc; i++) {
        maps[i] = (uint64_t *)calloc((size_t)m->map_cells[i] * (size_t)B + 8, 8);  /* zero borders */
        if (!maps[i]) rc = -1;
    }
    if (!rc) {
        switch (B) {
        case 1: rc = conv_sim_1(m, bits, n, sums, out_bits, maps, scratch, v, acc, word, xs); break;
        case 2: rc = conv_sim_2(m, bits, n, sums, out_bits, maps, scratch, v, acc, word, xs); break;
        case 4: rc = conv_sim_4(m, bits, n, sums, out_bits, maps, scratch, v, acc, word, xs); break;
        case 8: rc = conv_sim_8(m, bits, n, sums, out_bits, maps, scratch, v, acc, word, xs); break;
        default: rc = conv_sim_16(m, bits, n, sums, out_bits, maps, scratch, v, acc, word, xs); break;
        }
    }
    if (maps)
        for (int64_t i = 0; i < m->num_stages; i++) free(maps[i]);
    free(maps); free(scratch); free(v); free(acc); free(word); free(xs);
    return rc;
}
