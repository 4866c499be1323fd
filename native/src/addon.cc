// loss-algebra native kernels: a node-addon-api binding of oneDNN (libdnnl 2.x) for the tfjs
// `native` backend (src/backend/native.ts).
//
// Every entry point works synchronously on Float32Arrays owned by JS (tfjs cpu-backend tensor
// data) and writes its result into a Float32Array the caller allocated. Tensors cross the
// boundary in tfjs layouts (NHWC activations, HWIO filters, row-major matrices); oneDNN
// primitives are created with `format_tag::any` where that helps (conv weights and, optionally,
// activations) and the addon reorders between the user layout and the primitive's layout.
// Primitives, their memory objects and reorders are cached per shape signature, so a training
// step pays the primitive-creation cost once per layer shape.

#include <napi.h>
#include <oneapi/dnnl/dnnl.hpp>
#include <omp.h>

#include "elementwise.h"

#include <cstdint>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace {

using dnnl::algorithm;
using dnnl::memory;
using dnnl::primitive;
using dnnl::primitive_attr;
using dnnl::prop_kind;
using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;

dnnl::engine& Eng() {
  static dnnl::engine e(dnnl::engine::kind::cpu, 0);
  return e;
}

dnnl::stream& Strm() {
  static dnnl::stream s(Eng());
  return s;
}

// One argument of a cached primitive: the memory in the caller's layout (its data handle is set
// on every call) and, when the primitive wants another layout, a private buffer in that layout
// plus the reorder between the two.
struct Arg {
  int key = 0;
  bool output = false;
  memory user;
  memory inner;
  bool reorders = false;
  dnnl::reorder reorderPrim;
};

struct Entry {
  primitive prim;
  std::vector<Arg> args;
  std::string impl;
};

// Activation codes shared with native.ts.
enum Act { kLinear = 0, kRelu = 1, kLeakyRelu = 2, kSigmoid = 3, kElu = 4, kRelu6 = 5 };

primitive_attr MakeAttr(int act, float alpha) {
  primitive_attr attr;
  if (act != kLinear) {
    dnnl::post_ops po;
    switch (act) {
      case kRelu: po.append_eltwise(1.f, algorithm::eltwise_relu, 0.f, 0.f); break;
      case kLeakyRelu: po.append_eltwise(1.f, algorithm::eltwise_relu, alpha, 0.f); break;
      case kSigmoid: po.append_eltwise(1.f, algorithm::eltwise_logistic, 0.f, 0.f); break;
      case kElu: po.append_eltwise(1.f, algorithm::eltwise_elu, 1.f, 0.f); break;
      case kRelu6: po.append_eltwise(1.f, algorithm::eltwise_clip, 0.f, 6.f); break;
      default: throw std::runtime_error("unknown activation code");
    }
    attr.set_post_ops(po);
  }
  return attr;
}

// Adds an argument whose caller layout is `user` and whose primitive layout is `wanted`.
void AddArg(Entry& e, int key, const memory::desc& user, const memory::desc& wanted, bool output) {
  Arg a;
  a.key = key;
  a.output = output;
  a.user = memory(user, Eng(), DNNL_MEMORY_NONE);
  if (user == wanted) {
    a.inner = a.user;
  } else {
    a.reorders = true;
    a.inner = memory(wanted, Eng());  // owned buffer in the primitive's layout
    a.reorderPrim = output ? dnnl::reorder(a.inner, a.user) : dnnl::reorder(a.user, a.inner);
  }
  e.args.push_back(std::move(a));
}

void Run(Entry& e, const std::vector<void*>& ptrs) {
  std::unordered_map<int, memory> argMap;
  argMap.reserve(e.args.size() + 1);
  for (size_t i = 0; i < e.args.size(); ++i) {
    Arg& a = e.args[i];
    a.user.set_data_handle(ptrs[i]);
    if (a.reorders && !a.output) {
      a.reorderPrim.execute(Strm(), {{DNNL_ARG_FROM, a.user}, {DNNL_ARG_TO, a.inner}});
    }
    argMap.emplace(a.key, a.inner);
  }
  e.prim.execute(Strm(), argMap);
  for (Arg& a : e.args) {
    if (a.reorders && a.output) {
      a.reorderPrim.execute(Strm(), {{DNNL_ARG_FROM, a.inner}, {DNNL_ARG_TO, a.user}});
    }
  }
  Strm().wait();
}

// Cache of primitives by signature. Shapes in training are few; the cap only guards programs
// that run many distinct shapes (it drops everything, which is cheap to rebuild).
constexpr size_t kMaxEntries = 512;
std::unordered_map<std::string, std::unique_ptr<Entry>> gCache;

std::string Key(char op, const int32_t* params, size_t n) {
  std::string k(1, op);
  k.append(reinterpret_cast<const char*>(params), n * sizeof(int32_t));
  return k;
}

Entry* Lookup(const std::string& key) {
  auto it = gCache.find(key);
  return it == gCache.end() ? nullptr : it->second.get();
}

Entry* Store(const std::string& key, std::unique_ptr<Entry> e) {
  if (gCache.size() >= kMaxEntries) gCache.clear();
  Entry* raw = e.get();
  gCache.emplace(key, std::move(e));
  return raw;
}

// ---------------------------------------------------------------------------------------------
// Argument helpers.

float* F32(const Napi::Value& v, size_t minLen, const char* what) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
    throw std::runtime_error(std::string(what) + " must be a Float32Array");
  }
  auto arr = v.As<Napi::Float32Array>();
  if (arr.ElementLength() < minLen) {
    throw std::runtime_error(std::string(what) + " is too short (" + std::to_string(arr.ElementLength()) +
                             " < " + std::to_string(minLen) + ")");
  }
  return arr.Data();
}

const int32_t* Params(const Napi::Value& v, size_t n) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array ||
      v.As<Napi::Int32Array>().ElementLength() != n) {
    throw std::runtime_error("params must be an Int32Array of length " + std::to_string(n));
  }
  return v.As<Napi::Int32Array>().Data();
}

float Alpha(const Napi::CallbackInfo& info, size_t i) {
  return info.Length() > i && info[i].IsNumber() ? info[i].As<Napi::Number>().FloatValue() : 0.f;
}

template <typename F>
Napi::Value Guard(const Napi::CallbackInfo& info, F f) {
  try {
    return f();
  } catch (const dnnl::error& e) {
    Napi::Error::New(info.Env(), std::string("oneDNN: ") + e.what()).ThrowAsJavaScriptException();
  } catch (const std::exception& e) {
    Napi::Error::New(info.Env(), e.what()).ThrowAsJavaScriptException();
  }
  return info.Env().Undefined();
}

// ---------------------------------------------------------------------------------------------
// Matmul: C[b] = act(op(A[b]) x op(B[b]) + bias), b over the broadcast batch.
// params: [batchA, batchB, M, K, N, transA, transB, hasBias, act]

constexpr size_t kMatmulParams = 9;

Entry* MatmulEntry(const int32_t* p, float alpha) {
  std::string key = Key('m', p, kMatmulParams);
  key.append(reinterpret_cast<const char*>(&alpha), sizeof(alpha));
  if (Entry* e = Lookup(key)) return e;
  const memory::dim ba = p[0], bb = p[1], M = p[2], K = p[3], N = p[4];
  const bool ta = p[5] != 0, tb = p[6] != 0, hasBias = p[7] != 0;
  const memory::dim B = ba > bb ? ba : bb;
  // Transposes are expressed with strides: no copies.
  memory::desc aMd({ba, M, K}, dt::f32, ta ? memory::dims{M * K, 1, M} : memory::dims{M * K, K, 1});
  memory::desc bMd({bb, K, N}, dt::f32, tb ? memory::dims{K * N, 1, K} : memory::dims{K * N, N, 1});
  memory::desc cMd({B, M, N}, dt::f32, memory::dims{M * N, N, 1});
  memory::desc biasMd = hasBias ? memory::desc({1, 1, N}, dt::f32, memory::dims{N, N, 1}) : memory::desc();
  auto d = hasBias ? dnnl::matmul::desc(aMd, bMd, biasMd, cMd) : dnnl::matmul::desc(aMd, bMd, cMd);
  dnnl::matmul::primitive_desc pd(d, MakeAttr(p[8], alpha), Eng());
  auto e = std::make_unique<Entry>();
  e->prim = dnnl::matmul(pd);
  e->impl = pd.impl_info_str();
  AddArg(*e, DNNL_ARG_SRC, aMd, pd.src_desc(), false);
  AddArg(*e, DNNL_ARG_WEIGHTS, bMd, pd.weights_desc(), false);
  if (hasBias) AddArg(*e, DNNL_ARG_BIAS, biasMd, pd.bias_desc(), false);
  AddArg(*e, DNNL_ARG_DST, cMd, pd.dst_desc(), true);
  return Store(key, std::move(e));
}

// matmul(params, a, b, bias|null, out, alpha)
Napi::Value Matmul(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    const int32_t* p = Params(info[0], kMatmulParams);
    const size_t ba = p[0], bb = p[1], M = p[2], K = p[3], N = p[4];
    const size_t B = ba > bb ? ba : bb;
    const float alpha = Alpha(info, 5);
    Entry* e = MatmulEntry(p, alpha);
    std::vector<void*> ptrs;
    ptrs.push_back(F32(info[1], ba * M * K, "a"));
    ptrs.push_back(F32(info[2], bb * K * N, "b"));
    if (p[7] != 0) ptrs.push_back(F32(info[3], N, "bias"));
    ptrs.push_back(F32(info[4], B * M * N, "out"));
    Run(*e, ptrs);
    return info.Env().Undefined();
  });
}

// ---------------------------------------------------------------------------------------------
// Convolution, NHWC activations and HWIO filters (tfjs layouts).
// params: [N, H, W, CI, OH, OW, CO, KH, KW, SH, SW, PT, PL, PB, PR, act, hasBias, layout]
// layout 0: activations stay NHWC for the primitive, weights `any` (reordered per call);
// layout 1: activations `any` too (reordered in and out).

constexpr size_t kConvParams = 18;

struct ConvDescs {
  memory::desc x, w, y, bias;      // user layouts
  memory::desc xAny, wAny, yAny;   // primitive requests
  memory::dims strides, padL, padR;
};

ConvDescs MakeConvDescs(const int32_t* p) {
  const memory::dim N = p[0], H = p[1], W = p[2], CI = p[3], OH = p[4], OW = p[5], CO = p[6], KH = p[7],
                    KW = p[8];
  const bool anyAct = p[17] != 0;
  ConvDescs d;
  d.x = memory::desc({N, CI, H, W}, dt::f32, tag::nhwc);
  d.y = memory::desc({N, CO, OH, OW}, dt::f32, tag::nhwc);
  d.w = memory::desc({CO, CI, KH, KW}, dt::f32, tag::hwio);
  d.bias = memory::desc({CO}, dt::f32, tag::x);
  d.xAny = anyAct ? memory::desc({N, CI, H, W}, dt::f32, tag::any) : d.x;
  d.yAny = anyAct ? memory::desc({N, CO, OH, OW}, dt::f32, tag::any) : d.y;
  d.wAny = memory::desc({CO, CI, KH, KW}, dt::f32, tag::any);
  d.strides = {p[9], p[10]};
  d.padL = {p[11], p[12]};
  d.padR = {p[13], p[14]};
  return d;
}

dnnl::convolution_forward::primitive_desc ConvFwdPd(const ConvDescs& d, bool bias, const primitive_attr& attr) {
  dnnl::convolution_forward::desc fd(prop_kind::forward_training, algorithm::convolution_direct, d.xAny, d.wAny,
                                     bias ? memory::desc({d.bias.dims()[0]}, dt::f32, tag::any) : memory::desc(),
                                     d.yAny, d.strides, d.padL, d.padR);
  return dnnl::convolution_forward::primitive_desc(fd, attr, Eng());
}

void CheckConv(const int32_t* p) {
  for (int i = 0; i < 11; ++i) {
    if (p[i] <= 0) throw std::runtime_error("conv params must be positive");
  }
  for (int i = 11; i < 15; ++i) {
    if (p[i] < 0) throw std::runtime_error("conv padding must be non-negative");
  }
}

Napi::Value ConvForward(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    const int32_t* p = Params(info[0], kConvParams);
    CheckConv(p);
    const float alpha = Alpha(info, 5);
    const bool hasBias = p[16] != 0;
    std::string key = Key('f', p, kConvParams);
    key.append(reinterpret_cast<const char*>(&alpha), sizeof(alpha));
    Entry* e = Lookup(key);
    if (e == nullptr) {
      ConvDescs d = MakeConvDescs(p);
      auto pd = ConvFwdPd(d, hasBias, MakeAttr(p[15], alpha));
      auto ne = std::make_unique<Entry>();
      ne->prim = dnnl::convolution_forward(pd);
      ne->impl = pd.impl_info_str();
      AddArg(*ne, DNNL_ARG_SRC, d.x, pd.src_desc(), false);
      AddArg(*ne, DNNL_ARG_WEIGHTS, d.w, pd.weights_desc(), false);
      if (hasBias) AddArg(*ne, DNNL_ARG_BIAS, d.bias, pd.bias_desc(), false);
      AddArg(*ne, DNNL_ARG_DST, d.y, pd.dst_desc(), true);
      e = Store(key, std::move(ne));
    }
    const size_t xs = size_t(p[0]) * p[1] * p[2] * p[3], ws = size_t(p[7]) * p[8] * p[3] * p[6],
                 ys = size_t(p[0]) * p[4] * p[5] * p[6];
    std::vector<void*> ptrs{F32(info[1], xs, "x"), F32(info[2], ws, "filter")};
    if (hasBias) ptrs.push_back(F32(info[3], p[6], "bias"));
    ptrs.push_back(F32(info[4], ys, "y"));
    Run(*e, ptrs);
    return info.Env().Undefined();
  });
}

// convBackwardData(params, dy, filter, dx)
Napi::Value ConvBackwardData(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    const int32_t* p = Params(info[0], kConvParams);
    CheckConv(p);
    std::string key = Key('d', p, kConvParams);
    Entry* e = Lookup(key);
    if (e == nullptr) {
      ConvDescs d = MakeConvDescs(p);
      auto hint = ConvFwdPd(d, false, primitive_attr());
      dnnl::convolution_backward_data::desc bd(algorithm::convolution_direct, d.xAny, d.wAny, d.yAny, d.strides,
                                               d.padL, d.padR);
      dnnl::convolution_backward_data::primitive_desc pd(bd, Eng(), hint);
      auto ne = std::make_unique<Entry>();
      ne->prim = dnnl::convolution_backward_data(pd);
      ne->impl = pd.impl_info_str();
      AddArg(*ne, DNNL_ARG_DIFF_DST, d.y, pd.diff_dst_desc(), false);
      AddArg(*ne, DNNL_ARG_WEIGHTS, d.w, pd.weights_desc(), false);
      AddArg(*ne, DNNL_ARG_DIFF_SRC, d.x, pd.diff_src_desc(), true);
      e = Store(key, std::move(ne));
    }
    const size_t xs = size_t(p[0]) * p[1] * p[2] * p[3], ws = size_t(p[7]) * p[8] * p[3] * p[6],
                 ys = size_t(p[0]) * p[4] * p[5] * p[6];
    Run(*e, {F32(info[1], ys, "dy"), F32(info[2], ws, "filter"), F32(info[3], xs, "dx")});
    return info.Env().Undefined();
  });
}

// convBackwardWeights(params, x, dy, dw)
Napi::Value ConvBackwardWeights(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    const int32_t* p = Params(info[0], kConvParams);
    CheckConv(p);
    std::string key = Key('w', p, kConvParams);
    Entry* e = Lookup(key);
    if (e == nullptr) {
      ConvDescs d = MakeConvDescs(p);
      auto hint = ConvFwdPd(d, false, primitive_attr());
      dnnl::convolution_backward_weights::desc bd(algorithm::convolution_direct, d.xAny, d.wAny, d.yAny, d.strides,
                                                  d.padL, d.padR);
      dnnl::convolution_backward_weights::primitive_desc pd(bd, Eng(), hint);
      auto ne = std::make_unique<Entry>();
      ne->prim = dnnl::convolution_backward_weights(pd);
      ne->impl = pd.impl_info_str();
      AddArg(*ne, DNNL_ARG_SRC, d.x, pd.src_desc(), false);
      AddArg(*ne, DNNL_ARG_DIFF_DST, d.y, pd.diff_dst_desc(), false);
      AddArg(*ne, DNNL_ARG_DIFF_WEIGHTS, d.w, pd.diff_weights_desc(), true);
      e = Store(key, std::move(ne));
    }
    const size_t xs = size_t(p[0]) * p[1] * p[2] * p[3], ws = size_t(p[7]) * p[8] * p[3] * p[6],
                 ys = size_t(p[0]) * p[4] * p[5] * p[6];
    Run(*e, {F32(info[1], xs, "x"), F32(info[2], ys, "dy"), F32(info[3], ws, "dw")});
    return info.Env().Undefined();
  });
}

// ---------------------------------------------------------------------------------------------
// Introspection.

// implementation(op, params[, alpha]): the oneDNN implementation name a cached primitive uses
// (e.g. "jit:avx512_core", "gemm:jit", "ref:any"), building it if needed.
Napi::Value Implementation(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    const std::string op = info[0].As<Napi::String>().Utf8Value();
    const float alpha = Alpha(info, 2);
    if (op == "matmul") {
      return Napi::String::New(info.Env(), MatmulEntry(Params(info[1], kMatmulParams), alpha)->impl);
    }
    const int32_t* p = Params(info[1], kConvParams);
    const char c = op == "convForward" ? 'f' : op == "convBackwardData" ? 'd' : op == "convBackwardWeights" ? 'w' : 0;
    if (c == 0) throw std::runtime_error("unknown op " + op);
    std::string key = Key(c, p, kConvParams);
    if (c == 'f') key.append(reinterpret_cast<const char*>(&alpha), sizeof(alpha));
    Entry* e = Lookup(key);
    return e == nullptr ? info.Env().Null() : Napi::String::New(info.Env(), e->impl);
  });
}

Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  const dnnl_version_t* v = dnnl_version();
  o.Set("version", Napi::String::New(env, std::to_string(v->major) + "." + std::to_string(v->minor) + "." +
                                              std::to_string(v->patch)));
  o.Set("cpuRuntime", Napi::Number::New(env, v->cpu_runtime));
  o.Set("threads", Napi::Number::New(env, omp_get_max_threads()));
  o.Set("cachedPrimitives", Napi::Number::New(env, static_cast<double>(gCache.size())));
  return o;
}

Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  if (info.Length() > 0 && info[0].IsNumber()) {
    const int n = info[0].As<Napi::Number>().Int32Value();
    if (n > 0 && n != omp_get_max_threads()) {
      // Primitives may be tuned to the thread count they were created with: rebuild them.
      gCache.clear();
      omp_set_num_threads(n);
    }
  }
  return Napi::Number::New(info.Env(), omp_get_max_threads());
}

Napi::Value ClearCache(const Napi::CallbackInfo& info) {
  gCache.clear();
  return info.Env().Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("matmul", Napi::Function::New(env, Matmul));
  exports.Set("convForward", Napi::Function::New(env, ConvForward));
  exports.Set("convBackwardData", Napi::Function::New(env, ConvBackwardData));
  exports.Set("convBackwardWeights", Napi::Function::New(env, ConvBackwardWeights));
  exports.Set("implementation", Napi::Function::New(env, Implementation));
  exports.Set("info", Napi::Function::New(env, Info));
  exports.Set("setThreads", Napi::Function::New(env, SetThreads));
  exports.Set("clearCache", Napi::Function::New(env, ClearCache));
  RegisterElementwise(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(loss_algebra_native, Init)
