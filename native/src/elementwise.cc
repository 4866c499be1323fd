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

#include <napi.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "elementwise.h"

namespace {

// The hot loops are compiled for AVX2 and for the baseline x86-64, chosen at load time (the build
// may run on another CPU than the one that built it). Not FMA: fused multiply-adds would round
// differently from JavaScript.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define MULTIVERSION __attribute__((target_clones("avx2", "default")))
#else
#define MULTIVERSION
#endif

// Mirrors Mode in native-elementwise.ts: how the operands line up with the output [outer, inner].
enum Mode { SAME = 0, B_ONE = 1, A_ONE = 2, B_ROW = 3, A_ROW = 4, B_COL = 5, A_COL = 6 };

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

// Binary op ids (BINARY_OPS in native-elementwise.ts).
enum BinaryOp { ADD, SUB, MUL, DIV, SQUARED_DIFFERENCE, GREATER, GREATER_EQUAL, LESS, LESS_EQUAL, EQUAL, NOT_EQUAL };

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

bool IsBoolOp(int op) { return op >= GREATER; }

template <typename F>
__attribute__((always_inline)) inline void UnaryLoop(const float* x, float* out, int64_t n, F f) {
  for (int64_t i = 0; i < n; i++) out[i] = f(x[i]);
}

// Unary op ids (UNARY_OPS in native-elementwise.ts).
enum UnaryOp { RELU, LEAKY_RELU, STEP, ABS, NEG, SQUARE, SQRT, EXP, LOG, TANH, SIGMOID, SOFTPLUS, RSQRT, RECIPROCAL, ELU };

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

// ---------------------------------------------------------------------------------------------
// N-API entry points. Lengths are checked so that no call reads or writes out of bounds.

struct Span {
  void* data;
  size_t length;
};

Span Typed(const Napi::Value& v, napi_typedarray_type type, const char* what) {
  napi_typedarray_type t;
  size_t length = 0;
  void* data = nullptr;
  if (!v.IsTypedArray() || napi_get_typedarray_info(v.Env(), v, &t, &length, &data, nullptr, nullptr) != napi_ok || t != type) {
    throw std::runtime_error(std::string(what) + (type == napi_uint8_array ? " must be a Uint8Array" : " must be a Float32Array"));
  }
  return {data, length};
}

int64_t Int(const Napi::Value& v, const char* what) {
  if (!v.IsNumber()) throw std::runtime_error(std::string(what) + " must be a number");
  const int64_t i = v.As<Napi::Number>().Int64Value();
  if (i < 0) throw std::runtime_error(std::string(what) + " must be ≥ 0");
  return i;
}

void Need(size_t have, int64_t want, const char* what) {
  if (static_cast<int64_t>(have) < want) throw std::runtime_error(std::string(what) + " is too short");
}

template <typename F>
Napi::Value Guarded(const Napi::CallbackInfo& info, F f) {
  try {
    f();
  } catch (const std::exception& e) {
    Napi::Error::New(info.Env(), e.what()).ThrowAsJavaScriptException();
  }
  return info.Env().Undefined();
}

// binary(op, mode, a, b, out, outer, inner)
Napi::Value BinaryJs(const Napi::CallbackInfo& info) {
  return Guarded(info, [&] {
    if (info.Length() < 7) throw std::runtime_error("binary: 7 arguments");
    const int op = static_cast<int>(Int(info[0], "op"));
    const int mode = static_cast<int>(Int(info[1], "mode"));
    const Span a = Typed(info[2], napi_float32_array, "a");
    const Span b = Typed(info[3], napi_float32_array, "b");
    const Span out = Typed(info[4], IsBoolOp(op) ? napi_uint8_array : napi_float32_array, "out");
    const int64_t outer = Int(info[5], "outer");
    const int64_t inner = Int(info[6], "inner");
    const int64_t n = outer * inner;
    const int64_t na = mode == SAME || mode == B_ONE || mode == B_ROW || mode == B_COL ? n : mode == A_ONE ? 1 : mode == A_ROW ? inner : outer;
    const int64_t nb = mode == SAME || mode == A_ONE || mode == A_ROW || mode == A_COL ? n : mode == B_ONE ? 1 : mode == B_ROW ? inner : outer;
    Need(a.length, na, "a");
    Need(b.length, nb, "b");
    Need(out.length, n, "out");
    if (n > 0) Binary(op, mode, static_cast<const float*>(a.data), static_cast<const float*>(b.data), out.data, outer, inner);
  });
}

// unary(op, x, out, alpha)
Napi::Value UnaryJs(const Napi::CallbackInfo& info) {
  return Guarded(info, [&] {
    if (info.Length() < 4) throw std::runtime_error("unary: 4 arguments");
    const int op = static_cast<int>(Int(info[0], "op"));
    const Span x = Typed(info[1], napi_float32_array, "x");
    const Span out = Typed(info[2], napi_float32_array, "out");
    const double alpha = info[3].IsNumber() ? info[3].As<Napi::Number>().DoubleValue() : 0.0;
    Need(out.length, static_cast<int64_t>(x.length), "out");
    Unary(op, static_cast<const float*>(x.data), static_cast<float*>(out.data), static_cast<int64_t>(x.length), alpha);
  });
}

// select(condition, t, e, out): out[i] = condition[i] === 1 ? t[i] : e[i]
Napi::Value SelectJs(const Napi::CallbackInfo& info) {
  return Guarded(info, [&] {
    if (info.Length() < 4) throw std::runtime_error("select: 4 arguments");
    const Span c = Typed(info[0], napi_uint8_array, "condition");
    const Span t = Typed(info[1], napi_float32_array, "t");
    const Span e = Typed(info[2], napi_float32_array, "e");
    const Span out = Typed(info[3], napi_float32_array, "out");
    const int64_t n = static_cast<int64_t>(out.length);
    Need(c.length, n, "condition");
    Need(t.length, n, "t");
    Need(e.length, n, "e");
    Select(static_cast<const uint8_t*>(c.data), static_cast<const float*>(t.data), static_cast<const float*>(e.data),
           static_cast<float*>(out.data), n);
  });
}

// reduceSum(x, out, outer, reduce, inner, divisor)
Napi::Value ReduceSumJs(const Napi::CallbackInfo& info) {
  return Guarded(info, [&] {
    if (info.Length() < 6) throw std::runtime_error("reduceSum: 6 arguments");
    const Span x = Typed(info[0], napi_float32_array, "x");
    const Span out = Typed(info[1], napi_float32_array, "out");
    const int64_t outer = Int(info[2], "outer");
    const int64_t reduce = Int(info[3], "reduce");
    const int64_t inner = Int(info[4], "inner");
    const double divisor = info[5].IsNumber() ? info[5].As<Napi::Number>().DoubleValue() : 1.0;
    Need(x.length, outer * reduce * inner, "x");
    Need(out.length, outer * inner, "out");
    if (outer * inner > 0) ReduceSum(static_cast<const float*>(x.data), static_cast<float*>(out.data), outer, reduce, inner, divisor);
  });
}

// tuneMalloc(mmapThreshold, trimThreshold): keep freed tensor buffers in the malloc heap. glibc
// otherwise gives every buffer of ≥ 128 KiB its own mmap, and every first write to each of its
// pages faults: allocating a 1.6 MB tensor then cost more than adding two of them. Returns
// whether the settings were applied (false off glibc).
Napi::Value TuneMallocJs(const Napi::CallbackInfo& info) {
#if defined(__GLIBC__)
  const int mmapThreshold = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().Int32Value() : 32 << 20;
  const int trimThreshold = info.Length() > 1 && info[1].IsNumber() ? info[1].As<Napi::Number>().Int32Value() : 256 << 20;
  const bool ok = mallopt(M_MMAP_THRESHOLD, mmapThreshold) == 1 && mallopt(M_TRIM_THRESHOLD, trimThreshold) == 1;
  return Napi::Boolean::New(info.Env(), ok);
#else
  return Napi::Boolean::New(info.Env(), false);
#endif
}

}  // namespace

void RegisterElementwise(Napi::Env env, Napi::Object exports) {
  exports.Set("binary", Napi::Function::New(env, BinaryJs));
  exports.Set("unary", Napi::Function::New(env, UnaryJs));
  exports.Set("select", Napi::Function::New(env, SelectJs));
  exports.Set("reduceSum", Napi::Function::New(env, ReduceSumJs));
  exports.Set("tuneMalloc", Napi::Function::New(env, TuneMallocJs));
}
