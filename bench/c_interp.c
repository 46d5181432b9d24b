/* SPDX-License-Identifier: MIT
 *
 * Baseline for bench/bench_sim.py: a plain C interpreter of a two-input gate netlist, the
 * way one would write it in an afternoon. 64 samples per uint64_t word, one block of 64
 * samples at a time through every gate in id order, a switch per gate on its op, GroupSum by
 * a vertical (bit-sliced) ripple counter per class, argmax with ties to the lowest class.
 * Built by the bench with gcc -O3 -shared and called through ctypes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void interp_predict(int64_t num_inputs, int64_t num_nodes, const uint8_t *ops, const int32_t *fa,
                    const int32_t *fb, int64_t num_outputs, const int32_t *outputs, int64_t num_classes,
                    const uint8_t *bits, int64_t n, int32_t *sums, int32_t *classes) {
    const int64_t base = 2 + num_inputs, gs = num_outputs / num_classes;
    uint64_t *v = malloc(sizeof(uint64_t) * (size_t)(base + num_nodes));
    uint64_t planes[40];
    int nplanes = 1;
    while ((1LL << nplanes) <= gs) nplanes++;
    v[0] = 0;
    v[1] = ~(uint64_t)0;
    for (int64_t n0 = 0; n0 < n; n0 += 64) {
        int64_t cnt = n - n0 < 64 ? n - n0 : 64;
        for (int64_t i = 0; i < num_inputs; i++) v[2 + i] = 0;
        for (int64_t s = 0; s < cnt; s++) {
            const uint8_t *src = bits + (n0 + s) * num_inputs;
            for (int64_t i = 0; i < num_inputs; i++) v[2 + i] |= (uint64_t)src[i] << s;
        }
        for (int64_t g = 0; g < num_nodes; g++) {
            const uint64_t a = v[fa[g]], b = v[fb[g]];
            uint64_t r;
            switch (ops[g]) {
            case 0: r = 0; break;
            case 1: r = a & b; break;
            case 2: r = a & ~b; break;
            case 3: r = a; break;
            case 4: r = ~a & b; break;
            case 5: r = b; break;
            case 6: r = a ^ b; break;
            case 7: r = a | b; break;
            case 8: r = ~(a | b); break;
            case 9: r = ~(a ^ b); break;
            case 10: r = ~b; break;
            case 11: r = a | ~b; break;
            case 12: r = ~a; break;
            case 13: r = ~a | b; break;
            case 14: r = ~(a & b); break;
            default: r = ~(uint64_t)0; break;
            }
            v[base + g] = r;
        }
        for (int64_t c = 0; c < num_classes; c++) {
            memset(planes, 0, sizeof planes);
            for (int64_t o = 0; o < gs; o++) {
                uint64_t carry = v[outputs[c * gs + o]];
                for (int p = 0; p < nplanes && carry; p++) {
                    uint64_t t = planes[p] & carry;
                    planes[p] ^= carry;
                    carry = t;
                }
            }
            for (int64_t s = 0; s < cnt; s++) {
                int32_t total = 0;
                for (int p = 0; p < nplanes; p++) total |= (int32_t)((planes[p] >> s) & 1) << p;
                sums[(n0 + s) * num_classes + c] = total;
            }
        }
        for (int64_t s = 0; s < cnt; s++) {
            const int32_t *r = sums + (n0 + s) * num_classes;
            int32_t best = 0;
            for (int64_t c = 1; c < num_classes; c++) if (r[c] > r[best]) best = (int32_t)c;
            classes[n0 + s] = best;
        }
    }
    free(v);
}
