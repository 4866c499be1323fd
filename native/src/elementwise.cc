// Element-wise kernels and reductions for the tfjs `native` backend (src/backend/native-elementwise.ts
// calls these for large tensors; small ones stay in TypeScript, below the N-API call overhead).
//
// Every result equals the tfjs cpu kernel's (JavaScript evaluates in doubles and rounds to float32
// on store): +, -, ×, ÷, sqrt and square of float32 operands are correctly rounded in float32,
// which is what rounding the double result gives (53 ≥ 2·24 + 2 bits); everything else is
// evaluated in double and rounded once, as JavaScript does; sums accumulate in a double in the
// cpu kernel's order. Exp, log and tanh come from the C library rather than V8's fdlibm port:
// the doubles can differ in the last bit, the float32 results very rarely (≤ 1 ulp).
// The build uses -ffp-contract=off so that no multiply-add is fused.

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "contract.h"
#include "elementwise.h"

namespace elementwise {

// The hot loops are compiled for AVX2 and for the baseline x86-64, chosen at load time (the build
// may run on another CPU than the one that built it). Not FMA: fused multiply-adds would round
// differently from JavaScript.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define MULTIVERSION __attribute__((target_clones("avx2", "default")))
#else
#define MULTIVERSION
#endif

namespace {

// How the operands line up with the output [outer, inner] (BroadcastMode of the contract).
constexpr int SAME = contract::kBroadcastModeSame, B_ONE = contract::kBroadcastModeBOne, A_ONE = contract::kBroadcastModeAOne,
              B_ROW = contract::kBroadcastModeBRow, A_ROW = contract::kBroadcastModeARow, B_COL = contract::kBroadcastModeBCol,
              A_COL = contract::kBroadcastModeACol;

template <typename T, typename F>
__attribute__((always_inline)) inline void BinaryLoop(int mode, const float* a, const float* b, T* out, int64_t outer, int64_t inner, F f) {
  const int64_t n = outer * inner;
  switch (mode) {
    case SAME:
      for (int64_t i = 0; i < n; i++) out[i] = f(a[i], b[i]);
      return;
    case B_ONE: {
      const float y = b[0];
      for (int64_t i = 0; i < n; i++) out[i] = f(a[i], y);
      return;
    }
    case A_ONE: {
      const float x = a[0];
      for (int64_t i = 0; i < n; i++) out[i] = f(x, b[i]);
      return;
    }
    case B_ROW:
      for (int64_t o = 0; o < outer; o++) {
        const float* ao = a + o * inner;
        T* oo = out + o * inner;
        for (int64_t j = 0; j < inner; j++) oo[j] = f(ao[j], b[j]);
      }
      return;
    case A_ROW:
      for (int64_t o = 0; o < outer; o++) {
        const float* bo = b + o * inner;
        T* oo = out + o * inner;
        for (int64_t j = 0; j < inner; j++) oo[j] = f(a[j], bo[j]);
      }
      return;
    case B_COL:
      for (int64_t o = 0; o < outer; o++) {
        const float y = b[o];
        const float* ao = a + o * inner;
        T* oo = out + o * inner;
        for (int64_t j = 0; j < inner; j++) oo[j] = f(ao[j], y);
      }
      return;
    case A_COL:
      for (int64_t o = 0; o < outer; o++) {
        const float x = a[o];
        const float* bo = b + o * inner;
        T* oo = out + o * inner;
        for (int64_t j = 0; j < inner; j++) oo[j] = f(x, bo[j]);
      }
      return;
    default:
      throw std::runtime_error("binary: unknown mode");
  }
}

// Binary op codes (BinaryOp of the contract).
constexpr int ADD = contract::kBinaryOpAdd, SUB = contract::kBinaryOpSub, MUL = contract::kBinaryOpMul, DIV = contract::kBinaryOpDiv,
              SQUARED_DIFFERENCE = contract::kBinaryOpSquaredDifference, GREATER = contract::kBinaryOpGreater,
              GREATER_EQUAL = contract::kBinaryOpGreaterEqual, LESS = contract::kBinaryOpLess, LESS_EQUAL = contract::kBinaryOpLessEqual,
              EQUAL = contract::kBinaryOpEqual, NOT_EQUAL = contract::kBinaryOpNotEqual;

}  // namespace

MULTIVERSION void Binary(int op, int mode, const float* a, const float* b, void* out, int64_t outer, int64_t inner) {
  float* o = static_cast<float*>(out);
  uint8_t* u = static_cast<uint8_t*>(out);
  switch (op) {
    case ADD: return BinaryLoop(mode, a, b, o, outer, inner, [](float x, float y) { return x + y; });
    case SUB: return BinaryLoop(mode, a, b, o, outer, inner, [](float x, float y) { return x - y; });
    case MUL: return BinaryLoop(mode, a, b, o, outer, inner, [](float x, float y) { return x * y; });
    case DIV: return BinaryLoop(mode, a, b, o, outer, inner, [](float x, float y) { return x / y; });
    case SQUARED_DIFFERENCE:
      return BinaryLoop(mode, a, b, o, outer, inner, [](float x, float y) {
        const double d = static_cast<double>(x) - static_cast<double>(y);
        return static_cast<float>(d * d);
      });
    case GREATER: return BinaryLoop(mode, a, b, u, outer, inner, [](float x, float y) -> uint8_t { return x > y; });
    case GREATER_EQUAL: return BinaryLoop(mode, a, b, u, outer, inner, [](float x, float y) -> uint8_t { return x >= y; });
    case LESS: return BinaryLoop(mode, a, b, u, outer, inner, [](float x, float y) -> uint8_t { return x < y; });
    case LESS_EQUAL: return BinaryLoop(mode, a, b, u, outer, inner, [](float x, float y) -> uint8_t { return x <= y; });
    case EQUAL: return BinaryLoop(mode, a, b, u, outer, inner, [](float x, float y) -> uint8_t { return x == y; });
    case NOT_EQUAL: return BinaryLoop(mode, a, b, u, outer, inner, [](float x, float y) -> uint8_t { return x != y; });
    default: throw std::runtime_error("binary: unknown op");
  }
}

bool IsBoolOp(int op) { return op >= contract::kFirstBoolBinaryOp; }

template <typename F>
__attribute__((always_inline)) inline void UnaryLoop(const float* x, float* out, int64_t n, F f) {
  for (int64_t i = 0; i < n; i++) out[i] = f(x[i]);
}

namespace {

// Unary op codes (UnaryOp of the contract).
constexpr int RELU = contract::kUnaryOpRelu, LEAKY_RELU = contract::kUnaryOpLeakyRelu, STEP = contract::kUnaryOpStep,
              ABS = contract::kUnaryOpAbs, NEG = contract::kUnaryOpNeg, SQUARE = contract::kUnaryOpSquare, SQRT = contract::kUnaryOpSqrt,
              EXP = contract::kUnaryOpExp, LOG = contract::kUnaryOpLog, TANH = contract::kUnaryOpTanh, SIGMOID = contract::kUnaryOpSigmoid,
              SOFTPLUS = contract::kUnaryOpSoftplus, RSQRT = contract::kUnaryOpRsqrt, RECIPROCAL = contract::kUnaryOpReciprocal,
              ELU = contract::kUnaryOpElu;

}  // namespace

// tfjs cpu's Softplus thresholds (float32 epsilon).
const double kSoftplusT = std::log(1.1920928955078125e-7) + 2.0;

MULTIVERSION void Unary(int op, const float* x, float* out, int64_t n, double alpha) {
  switch (op) {
    // Math.max(0, v): NaN stays NaN, -0 becomes +0.
    case RELU: return UnaryLoop(x, out, n, [](float v) { return (v > 0.f || v != v) ? v : 0.f; });
    case LEAKY_RELU:
      // In double throughout (v is exact there): a same-width select the compiler vectorises
      // instead of a branch that mispredicts on random signs.
      return UnaryLoop(x, out, n, [alpha](float v) {
        const double d = v;
        return static_cast<float>(d < 0.0 ? alpha * d : d);
      });
    case STEP: {
      const float a = static_cast<float>(alpha);
      return UnaryLoop(x, out, n, [a](float v) {
        const float r = v > 0.f ? 1.f : a;
        return v != v ? v : r;  // NaN stays NaN
      });
    }
    case ABS: return UnaryLoop(x, out, n, [](float v) { return std::fabs(v); });
    case NEG: return UnaryLoop(x, out, n, [](float v) { return -v; });
    case SQUARE: return UnaryLoop(x, out, n, [](float v) { return v * v; });
    case SQRT: return UnaryLoop(x, out, n, [](float v) { return std::sqrt(v); });
    case EXP: return UnaryLoop(x, out, n, [](float v) { return static_cast<float>(std::exp(static_cast<double>(v))); });
    case LOG: return UnaryLoop(x, out, n, [](float v) { return static_cast<float>(std::log(static_cast<double>(v))); });
    case TANH: return UnaryLoop(x, out, n, [](float v) { return static_cast<float>(std::tanh(static_cast<double>(v))); });
    case SIGMOID:
      return UnaryLoop(x, out, n, [](float v) { return static_cast<float>(1.0 / (1.0 + std::exp(-static_cast<double>(v)))); });
    case SOFTPLUS:
      return UnaryLoop(x, out, n, [](float v) {
        const double d = v;
        if (d < kSoftplusT) return static_cast<float>(std::exp(d));
        if (d > -kSoftplusT) return v;
        return static_cast<float>(std::log(1.0 + std::exp(d)));
      });
    case RSQRT: return UnaryLoop(x, out, n, [](float v) { return static_cast<float>(1.0 / std::sqrt(static_cast<double>(v))); });
    case RECIPROCAL: return UnaryLoop(x, out, n, [](float v) { return 1.f / v; });
    case ELU:
      return UnaryLoop(x, out, n, [](float v) { return v >= 0.f ? v : static_cast<float>(std::exp(static_cast<double>(v)) - 1.0); });
    default: throw std::runtime_error("unary: unknown op");
  }
}

// out[o, j] = Σ_r f(x[o, r, j]), f(v) = v or float(v / divisor); double accumulators, r ascending.
MULTIVERSION void ReduceSum(const float* x, float* out, int64_t outer, int64_t reduce, int64_t inner, double divisor) {
  const bool scaled = divisor != 1.0;
  if (inner == 1) {
    for (int64_t o = 0; o < outer; o++) {
      const float* xo = x + o * reduce;
      double s = 0;
      if (scaled) {
        for (int64_t r = 0; r < reduce; r++) s += static_cast<float>(static_cast<double>(xo[r]) / divisor);
      } else {
        for (int64_t r = 0; r < reduce; r++) s += xo[r];
      }
      out[o] = static_cast<float>(s);
    }
    return;
  }
  std::vector<double> acc(static_cast<size_t>(inner));
  double* ac = acc.data();
  for (int64_t o = 0; o < outer; o++) {
    std::fill(acc.begin(), acc.end(), 0.0);
    const float* xo = x + o * reduce * inner;
    for (int64_t r = 0; r < reduce; r++) {
      const float* xr = xo + r * inner;
      if (scaled) {
        for (int64_t j = 0; j < inner; j++) ac[j] += static_cast<float>(static_cast<double>(xr[j]) / divisor);
      } else {
        for (int64_t j = 0; j < inner; j++) ac[j] += xr[j];
      }
    }
    float* oo = out + o * inner;
    for (int64_t j = 0; j < inner; j++) oo[j] = static_cast<float>(ac[j]);
  }
}

MULTIVERSION void Select(const uint8_t* c, const float* t, const float* e, float* out, int64_t n) {
  for (int64_t i = 0; i < n; i++) out[i] = c[i] == 1 ? t[i] : e[i];
}

// Adam in place, in double like the JavaScript loop it replaces (src/backend/adam.ts), so both give
// the same floats: m = β₁m + (1 − β₁)g, v = β₂v + (1 − β₂)g², w −= rate·m / (√v + ε).
MULTIVERSION void Adam(float* w, const float* g, float* m, float* v, int64_t n, double beta1, double beta2, double rate,
                       double epsilon) {
  const double a1 = 1 - beta1, a2 = 1 - beta2;
  for (int64_t i = 0; i < n; i++) {
    const double gi = g[i];
    const double mi = beta1 * m[i] + a1 * gi;
    const double vi = beta2 * v[i] + a2 * gi * gi;
    m[i] = static_cast<float>(mi);
    v[i] = static_cast<float>(vi);
    w[i] = static_cast<float>(w[i] - (rate * mi) / (std::sqrt(vi) + epsilon));
  }
}

// The dense (and conv) layers' backward loop (src/backend/native-dense.ts, LaDenseGrad): over rows
// [m, n], dz = dy ⊙ act′ (from the output y) and db = Σ_rows dz, in double like the JavaScript loop it
// replaces, so both give the same floats. act: 0 linear, 1 relu, 2 leakyRelu, 3 tanh, 4 sigmoid.
MULTIVERSION void DenseGrad(int act, double alpha, const float* dy, const float* y, float* dz, float* db, int64_t m,
                            int64_t n) {
  for (int64_t j = 0; j < n; j++) db[j] = 0;
  for (int64_t r = 0; r < m; r++) {
    const float* g = dy + r * n;
    const float* yr = y + r * n;
    float* d = dz + r * n;
    for (int64_t j = 0; j < n; j++) {
      const double gj = g[j];
      double v;
      if (act == 0) {
        v = gj;
      } else {
        const double yj = yr[j];
        if (act == 1) v = yj > 0 ? gj : 0.0;
        else if (act == 2) v = yj > 0 ? gj : gj * alpha;
        else if (act == 3) v = gj * (1 - yj * yj);
        else v = gj * yj * (1 - yj);
      }
      d[j] = static_cast<float>(v);
      db[j] = static_cast<float>(static_cast<double>(db[j]) + v);
    }
  }
}

}  // namespace elementwise
