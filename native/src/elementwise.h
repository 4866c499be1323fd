// Element-wise kernels, Select and sum reductions of the `native` backend (elementwise.cc) and
// their N-API entry points (elementwise_napi.cc). Op and mode codes: contract.h.
#pragma once

#include <napi.h>

#include <cstdint>

namespace elementwise {

// out = a op b over [outer, inner], the operands lined up by `mode` (BroadcastMode).
void Binary(int op, int mode, const float* a, const float* b, void* out, int64_t outer, int64_t inner);
// Whether binary op `op` writes bytes (a comparison) rather than floats.
bool IsBoolOp(int op);
void Unary(int op, const float* x, float* out, int64_t n, double alpha);
// out[o, j] = Σ_r f(x[o, r, j]), f(v) = v or float(v / divisor).
void ReduceSum(const float* x, float* out, int64_t outer, int64_t reduce, int64_t inner, double divisor);
void Select(const uint8_t* c, const float* t, const float* e, float* out, int64_t n);
// dz = dy ⊙ act′(y) and db = Σ_rows dz over [m, n] (y unused for act 0, linear).
void DenseGrad(int act, double alpha, const float* dy, const float* y, float* dz, float* db, int64_t m, int64_t n);
// One Adam update of w, m and v in place from g (in double, as src/backend/adam.ts).
void Adam(float* w, const float* g, float* m, float* v, int64_t n, double beta1, double beta2, double rate, double epsilon);

}  // namespace elementwise

// Adds binary, unary, select, reduceSum, denseGrad, adam and tuneMalloc to the addon's exports.
void RegisterElementwise(Napi::Env env, Napi::Object exports);
