// N-API entry points of the element-wise kernels (elementwise.cc). Lengths are checked so that no
// call reads or writes out of bounds.

#include <napi.h>

#include <cstdint>
#include <stdexcept>
#include <string>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "contract.h"
#include "elementwise.h"
#include "split.h"

namespace {

using namespace elementwise;
using namespace contract;


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
    const int64_t na = mode == kBroadcastModeSame || mode == kBroadcastModeBOne || mode == kBroadcastModeBRow || mode == kBroadcastModeBCol ? n
                       : mode == kBroadcastModeAOne ? 1 : mode == kBroadcastModeARow ? inner : outer;
    const int64_t nb = mode == kBroadcastModeSame || mode == kBroadcastModeAOne || mode == kBroadcastModeARow || mode == kBroadcastModeACol ? n
                       : mode == kBroadcastModeBOne ? 1 : mode == kBroadcastModeBRow ? inner : outer;
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

// denseGrad(act, alpha, dy, y|null, dz, db, m, n)
Napi::Value DenseGradJs(const Napi::CallbackInfo& info) {
  return Guarded(info, [&] {
    if (info.Length() < 8) throw std::runtime_error("denseGrad: 8 arguments");
    const int act = static_cast<int>(Int(info[0], "act"));
    if (act > 4) throw std::runtime_error("denseGrad: act must be 0..4");
    const double alpha = info[1].IsNumber() ? info[1].As<Napi::Number>().DoubleValue() : 0.0;
    const int64_t m = Int(info[6], "m");
    const int64_t n = Int(info[7], "n");
    const Span dy = Typed(info[2], napi_float32_array, "dy");
    const Span dz = Typed(info[4], napi_float32_array, "dz");
    const Span db = Typed(info[5], napi_float32_array, "db");
    Need(dy.length, m * n, "dy");
    Need(dz.length, m * n, "dz");
    Need(db.length, n, "db");
    const float* y = nullptr;
    if (act != 0) {
      const Span ys = Typed(info[3], napi_float32_array, "y");
      Need(ys.length, m * n, "y");
      y = static_cast<const float*>(ys.data);
    }
    DenseGrad(act, alpha, static_cast<const float*>(dy.data), y, static_cast<float*>(dz.data), static_cast<float*>(db.data), m, n);
  });
}

// Variables of at least this many elements are updated by two threads (split::Two) when splitting is
// on: a pass costs ~1.2 ns an element (sqrt and division in double), waking the helper 10-30 us.
constexpr int64_t kAdamSplitMin = 1 << 16;

// adam(w, g, m, v, beta1, beta2, rate, epsilon): w, m and v updated in place
Napi::Value AdamJs(const Napi::CallbackInfo& info) {
  return Guarded(info, [&] {
    if (info.Length() < 8) throw std::runtime_error("adam: 8 arguments");
    const Span w = Typed(info[0], napi_float32_array, "w");
    const Span g = Typed(info[1], napi_float32_array, "g");
    const Span m = Typed(info[2], napi_float32_array, "m");
    const Span v = Typed(info[3], napi_float32_array, "v");
    const int64_t n = static_cast<int64_t>(w.length);
    Need(g.length, n, "g");
    Need(m.length, n, "m");
    Need(v.length, n, "v");
    double c[4];
    for (int i = 0; i < 4; i++) {
      if (!info[4 + i].IsNumber()) throw std::runtime_error("adam: beta1, beta2, rate and epsilon must be numbers");
      c[i] = info[4 + i].As<Napi::Number>().DoubleValue();
    }
    float* W = static_cast<float*>(w.data);
    const float* G = static_cast<const float*>(g.data);
    float* M = static_cast<float*>(m.data);
    float* V = static_cast<float*>(v.data);
    if (!split::Enabled() || n < kAdamSplitMin) {
      Adam(W, G, M, V, n, c[0], c[1], c[2], c[3]);
      return;
    }
    // each element on its own, so the halves on two threads give the floats of one pass
    const int64_t half = (n / 2) & ~int64_t{15};
    split::Two([&](int part) {
      const int64_t b = part == 0 ? 0 : half;
      Adam(W + b, G + b, M + b, V + b, (part == 0 ? half : n) - b, c[0], c[1], c[2], c[3]);
    });
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
  exports.Set("denseGrad", Napi::Function::New(env, DenseGradJs));
  exports.Set("adam", Napi::Function::New(env, AdamJs));
  exports.Set("tuneMalloc", Napi::Function::New(env, TuneMallocJs));
}
