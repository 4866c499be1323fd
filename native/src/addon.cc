// loss-algebra native kernels: a node-addon-api binding of oneDNN (libdnnl 2.x) for the tfjs
// `native` backend (src/backend/native.ts, src/backend/native-dnnl.ts).
//
// Every entry point works synchronously on Float32Arrays owned by JS (tfjs cpu-backend tensor
// data) and writes its result into a Float32Array the caller allocated. Tensors cross the
// boundary in tfjs layouts (NHWC activations, HWIO filters, row-major matrices); oneDNN
// primitives are created with `format_tag::any` where that helps (conv weights and, optionally,
// activations) and the addon reorders between the user layout and the primitive's layout.
// Primitives are cached per shape signature (dnnl_cache.cc), so a training step pays the
// primitive-creation cost once per layer shape. Parameter layouts and codes: contract.h,
// generated from native/contract.json.

#include <napi.h>
#include <omp.h>

#include <oneapi/dnnl/dnnl.hpp>
#include <algorithm>
#include <climits>
#include <stdexcept>
#include <string>

#include "contract.h"
#include "dnnl_cache.h"
#include "elementwise.h"
#include "split.h"

namespace {

using namespace contract;
using cache::Entry;
using dnnl::algorithm;
using dnnl::memory;
using dnnl::prop_kind;
using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;

// A cache entry for primitive descriptor `pd`, with its own scratchpad (cache::Scratchpad).
template <typename Prim, typename Pd>
std::unique_ptr<Entry> NewEntry(const Pd& pd) {
  auto e = std::make_unique<Entry>();
  e->prim = Prim(pd);
  e->impl = pd.impl_info_str();
  cache::Scratchpad(*e, pd.scratchpad_desc());
  return e;
}

// ---------------------------------------------------------------------------------------------
// Matmul: C[b] = act(op(A[b]) x op(B[b]) + bias), b over the broadcast batch.

// The cached primitive for the first m rows and n columns of product `p`, through the whole
// operands' strides (the caller offsets the pointers to a part): the whole product when m = M and
// n = N. Transposes are expressed with strides too: no copies.
Entry* MatmulRegion(const int32_t* p, float alpha, const std::string& key, memory::dim m, memory::dim n) {
  if (Entry* e = cache::Lookup(key)) return e;
  const memory::dim ba = p[kMmBatchA], bb = p[kMmBatchB], M = p[kMmM], K = p[kMmK], N = p[kMmN];
  const bool ta = p[kMmTransposeA] != 0, tb = p[kMmTransposeB] != 0, hasBias = p[kMmHasBias] != 0;
  const memory::dim B = ba > bb ? ba : bb;
  memory::desc aMd({ba, m, K}, dt::f32, ta ? memory::dims{M * K, 1, M} : memory::dims{M * K, K, 1});
  memory::desc bMd({bb, K, n}, dt::f32, tb ? memory::dims{K * N, 1, K} : memory::dims{K * N, N, 1});
  memory::desc cMd({B, m, n}, dt::f32, memory::dims{M * N, N, 1});
  memory::desc biasMd = hasBias ? memory::desc({1, 1, n}, dt::f32, memory::dims{N, N, 1}) : memory::desc();
  auto d = hasBias ? dnnl::matmul::desc(aMd, bMd, biasMd, cMd) : dnnl::matmul::desc(aMd, bMd, cMd);
  dnnl::matmul::primitive_desc pd(d, cache::MakeAttr(p[kMmActivation], alpha), cache::Eng());
  auto e = NewEntry<dnnl::matmul>(pd);
  cache::AddArg(*e, DNNL_ARG_SRC, aMd, pd.src_desc(), false);
  cache::AddArg(*e, DNNL_ARG_WEIGHTS, bMd, pd.weights_desc(), false);
  if (hasBias) cache::AddArg(*e, DNNL_ARG_BIAS, biasMd, pd.bias_desc(), false);
  cache::AddArg(*e, DNNL_ARG_DST, cMd, pd.dst_desc(), true);
  return cache::Store(key, std::move(e));
}

// The whole product `p`. `part` (1 or 2) keys apart the primitives of the two halves of a split
// convolution's col2im (see ConvEntry).
Entry* MatmulEntry(const int32_t* p, float alpha, char part = 0) {
  std::string key = cache::Key('m', p, kMatmulParamCount, alpha);
  if (part != 0) key.push_back(part);
  return MatmulRegion(p, alpha, key, p[kMmM], p[kMmN]);
}

// One part of a split matmul: rows (alongM) or columns [at, at + len) of product `p`.
Entry* MatmulPartEntry(const int32_t* p, float alpha, bool alongM, memory::dim at, memory::dim len) {
  std::string key = cache::Key('m', p, kMatmulParamCount, alpha);
  key.push_back(alongM ? 'M' : 'N');
  key.append(reinterpret_cast<const char*>(&at), sizeof(at));
  return MatmulRegion(p, alpha, key, alongM ? len : p[kMmM], alongM ? p[kMmN] : len);
}

// A matmul splits from four times split::Worth's multiply-adds (1.6e7 by default): the reference
// mlp's 64 x 784 x 512 products (2.6e7) ran 1.3-1.7x faster in two halves, its 64 x 512 x 256 ones
// (8.4e6) no faster.
constexpr double kMatmulSplitFactor = 4;

// matmul(params, a, b, bias|null, out, alpha). With oneDNN on one thread, a large product runs as
// two halves on two threads (split.h), along the longer of M and N: every element of C is one
// thread's, so nothing is summed afterwards.
Napi::Value Matmul(const Napi::CallbackInfo& info) {
  return cache::Guard(info, [&]() -> Napi::Value {
    cache::Reserve();
    const int32_t* p = cache::Params(info[0], kMatmulParamCount);
    const size_t ba = p[kMmBatchA], bb = p[kMmBatchB], M = p[kMmM], K = p[kMmK], N = p[kMmN];
    const float alpha = cache::Alpha(info, 5);
    std::vector<float*> ptrs{cache::F32(info[1], ba * M * K, "a"), cache::F32(info[2], bb * K * N, "b")};
    const bool hasBias = p[kMmHasBias] != 0;
    if (hasBias) ptrs.push_back(cache::F32(info[3], N, "bias"));
    ptrs.push_back(cache::F32(info[4], (ba > bb ? ba : bb) * M * N, "out"));
    const bool alongM = M >= N;
    const size_t len = alongM ? M : N;
    const double macs = double(ba > bb ? ba : bb) * M * K * N;
    if (len < 32 || omp_get_max_threads() != 1 || !split::Worth(macs / kMatmulSplitFactor)) {
      cache::Run(*MatmulEntry(p, alpha), std::vector<void*>(ptrs.begin(), ptrs.end()));
      return info.Env().Undefined();
    }
    const size_t at[2] = {0, (len / 2 + 7) & ~size_t{7}};
    Entry* e[2] = {MatmulPartEntry(p, alpha, alongM, 0, at[1]), MatmulPartEntry(p, alpha, alongM, at[1], len - at[1])};
    const bool ta = p[kMmTransposeA] != 0, tb = p[kMmTransposeB] != 0;
    split::Two([&](int half) {
      const size_t o = at[half];
      // where the part starts in each operand: its rows of A and C, or its columns of B, bias and C
      std::vector<void*> part{ptrs[0] + (alongM ? o * (ta ? 1 : K) : 0), ptrs[1] + (alongM ? 0 : o * (tb ? K : 1))};
      if (hasBias) part.push_back(ptrs[2] + (alongM ? 0 : o));
      part.push_back(ptrs.back() + (alongM ? o * N : o));
      cache::Run(*e[half], part);
    });
    return info.Env().Undefined();
  });
}

// ---------------------------------------------------------------------------------------------
// Convolution, NHWC activations and HWIO filters (tfjs layouts). One entry per direction:
//   convForward(params, x, filter, bias|null, y, alpha)   'f'
//   convBackwardData(params, dy, filter, dx)              'd'
//   convBackwardWeights(params, x, dy, dw)                'w'
// layout 0: activations stay NHWC for the primitive, weights `any` (reordered per call);
// layout 1: activations `any` too (reordered in and out).

struct ConvDescs {
  memory::desc x, w, y, bias;     // user layouts
  memory::desc xAny, wAny, yAny;  // primitive requests
  memory::dims strides, padL, padR;
};

ConvDescs MakeConvDescs(const int32_t* p) {
  for (int i = kConvN; i <= kConvSw; ++i) {
    if (p[i] <= 0) throw std::runtime_error("conv params must be positive");
  }
  for (int i = kConvPadTop; i <= kConvPadRight; ++i) {
    if (p[i] < 0) throw std::runtime_error("conv padding must be non-negative");
  }
  const memory::dim N = p[kConvN], CI = p[kConvCi], CO = p[kConvCo];
  const memory::dims xDims{N, CI, p[kConvH], p[kConvW]}, yDims{N, CO, p[kConvOh], p[kConvOw]};
  const memory::dims wDims{CO, CI, p[kConvKh], p[kConvKw]};
  const bool anyAct = p[kConvLayout] != 0;
  ConvDescs d;
  d.x = memory::desc(xDims, dt::f32, tag::nhwc);
  d.y = memory::desc(yDims, dt::f32, tag::nhwc);
  d.w = memory::desc(wDims, dt::f32, tag::hwio);
  d.bias = memory::desc({CO}, dt::f32, tag::x);
  d.xAny = anyAct ? memory::desc(xDims, dt::f32, tag::any) : d.x;
  d.yAny = anyAct ? memory::desc(yDims, dt::f32, tag::any) : d.y;
  d.wAny = memory::desc(wDims, dt::f32, tag::any);
  d.strides = {p[kConvSh], p[kConvSw]};
  d.padL = {p[kConvPadTop], p[kConvPadLeft]};
  d.padR = {p[kConvPadBottom], p[kConvPadRight]};
  return d;
}

dnnl::convolution_forward::primitive_desc ConvFwdPd(const ConvDescs& d, bool bias, const dnnl::primitive_attr& attr) {
  dnnl::convolution_forward::desc fd(prop_kind::forward_training, algorithm::convolution_direct, d.xAny, d.wAny,
                                     bias ? memory::desc({d.bias.dims()[0]}, dt::f32, tag::any) : memory::desc(),
                                     d.yAny, d.strides, d.padL, d.padR);
  return dnnl::convolution_forward::primitive_desc(fd, attr, cache::Eng());
}

// The cached primitive of direction `op` for conv params `p`, built on first use. `part` (1 or 2)
// keys the primitives of a split call's two halves apart, so that each runs on buffers of its own.
Entry* ConvEntry(char op, const int32_t* p, float alpha, char part = 0) {
  std::string key = cache::Key(op, p, kConvParamCount, alpha);
  if (part != 0) key.push_back(part);
  if (Entry* e = cache::Lookup(key)) return e;
  const ConvDescs d = MakeConvDescs(p);
  std::unique_ptr<Entry> e;
  if (op == 'f') {
    const bool hasBias = p[kConvHasBias] != 0;
    auto pd = ConvFwdPd(d, hasBias, cache::MakeAttr(p[kConvActivation], alpha));
    e = NewEntry<dnnl::convolution_forward>(pd);
    cache::AddArg(*e, DNNL_ARG_SRC, d.x, pd.src_desc(), false);
    cache::AddArg(*e, DNNL_ARG_WEIGHTS, d.w, pd.weights_desc(), false);
    if (hasBias) cache::AddArg(*e, DNNL_ARG_BIAS, d.bias, pd.bias_desc(), false);
    cache::AddArg(*e, DNNL_ARG_DST, d.y, pd.dst_desc(), true);
  } else if (op == 'd') {
    dnnl::convolution_backward_data::desc bd(algorithm::convolution_direct, d.xAny, d.wAny, d.yAny, d.strides, d.padL, d.padR);
    dnnl::convolution_backward_data::primitive_desc pd(bd, cache::MakeAttr(kActivationLinear, 0.f), cache::Eng(),
                                                      ConvFwdPd(d, false, {}));
    e = NewEntry<dnnl::convolution_backward_data>(pd);
    cache::AddArg(*e, DNNL_ARG_DIFF_DST, d.y, pd.diff_dst_desc(), false);
    cache::AddArg(*e, DNNL_ARG_WEIGHTS, d.w, pd.weights_desc(), false);
    cache::AddArg(*e, DNNL_ARG_DIFF_SRC, d.x, pd.diff_src_desc(), true);
  } else if (op == 'w') {
    dnnl::convolution_backward_weights::desc bd(algorithm::convolution_direct, d.xAny, d.wAny, d.yAny, d.strides, d.padL, d.padR);
    dnnl::convolution_backward_weights::primitive_desc pd(bd, cache::MakeAttr(kActivationLinear, 0.f), cache::Eng(),
                                                         ConvFwdPd(d, false, {}));
    e = NewEntry<dnnl::convolution_backward_weights>(pd);
    cache::AddArg(*e, DNNL_ARG_SRC, d.x, pd.src_desc(), false);
    cache::AddArg(*e, DNNL_ARG_DIFF_DST, d.y, pd.diff_dst_desc(), false);
    cache::AddArg(*e, DNNL_ARG_DIFF_WEIGHTS, d.w, pd.diff_weights_desc(), true);
  } else {
    throw std::runtime_error("unknown conv op");
  }
  return cache::Store(key, std::move(e));
}

enum Operand { kX, kW, kY, kBias };

// Backward data of a convolution with few input channels (an image's, as in every net that reads or
// writes MNIST), where oneDNN 2.6's jit kernel runs at a fraction of its usual rate: with 1 channel
// it took as long as the same layer with 32 (1.1 ms at batch 64 on 28x28, for 16x fewer
// multiply-adds). Here dx is the columns dy.W^T (one matmul, [N.OH.OW, CO] x [CO, KH.KW.CI])
// scattered back onto the image (col2im).
int gCol2imMaxCi = 4;  // setCol2imMaxChannels; 0 leaves every backward data to oneDNN

bool UseCol2im(const int32_t* p) { return p[kConvCi] <= gCol2imMaxCi; }

// The matmul of col2im's columns for conv params `p` (the primitive of half `part` of a split call).
Entry* Col2imMatmul(const int32_t* p, char part) {
  const int64_t M = int64_t(p[kConvN]) * p[kConvOh] * p[kConvOw], KC = int64_t(p[kConvKh]) * p[kConvKw] * p[kConvCi];
  if (M > INT32_MAX || KC > INT32_MAX) throw std::runtime_error("conv too large for col2im");
  // filter HWIO is [KH.KW.CI, CO] row-major: the matmul's B transposed
  const int32_t mp[kMatmulParamCount] = {1, 1, int32_t(M), p[kConvCo], int32_t(KC), 0, 1, 0, kActivationLinear};
  return MatmulEntry(mp, 0.f, part);
}

// dx of conv params `p` from dy through the matmul `e` (Col2imMatmul's), on the calling thread.
void Col2imBackwardData(const int32_t* p, Entry* e, float* dy, float* w, float* dx) {
  const int64_t N = p[kConvN], H = p[kConvH], W = p[kConvW], CI = p[kConvCi], OH = p[kConvOh], OW = p[kConvOw];
  const int64_t KH = p[kConvKh], KW = p[kConvKw], SH = p[kConvSh], SW = p[kConvSw];
  const int64_t PT = p[kConvPadTop], PL = p[kConvPadLeft], M = N * OH * OW, KC = KH * KW * CI;
  thread_local std::vector<float> cols;
  cols.resize(size_t(M * KC));
  cache::Run(*e, {dy, w, cols.data()});
  std::fill(dx, dx + N * H * W * CI, 0.f);
  for (int64_t n = 0; n < N; ++n) {
    for (int64_t oh = 0; oh < OH; ++oh) {
      for (int64_t ow = 0; ow < OW; ++ow) {
        const float* c = cols.data() + ((n * OH + oh) * OW + ow) * KC;
        for (int64_t kh = 0; kh < KH; ++kh) {
          const int64_t ih = oh * SH - PT + kh;
          if (ih < 0 || ih >= H) continue;
          for (int64_t kw = 0; kw < KW; ++kw) {
            const int64_t iw = ow * SW - PL + kw;
            if (iw < 0 || iw >= W) continue;
            float* d = dx + ((n * H + ih) * W + iw) * CI;
            const float* src = c + (kh * KW + kw) * CI;
            for (int64_t ci = 0; ci < CI; ++ci) d[ci] += src[ci];
          }
        }
      }
    }
  }
}

// Whether a convolution splits in two halves of its batch (split.h): with oneDNN on one thread.
bool SplitWorth(const int32_t* p) {
  const double macs = double(p[kConvN]) * p[kConvOh] * p[kConvOw] * p[kConvCo] * p[kConvCi] * p[kConvKh] * p[kConvKw];
  return p[kConvN] >= 2 && omp_get_max_threads() == 1 && split::Worth(macs);
}

// One entry point per direction: which tensor each JS argument (after params) is, in order.
template <char Op>
Napi::Value Conv(const Napi::CallbackInfo& info) {
  return cache::Guard(info, [&]() -> Napi::Value {
    cache::Reserve();
    const int32_t* p = cache::Params(info[0], kConvParamCount);
    const float alpha = Op == 'f' ? cache::Alpha(info, 5) : 0.f;
    const size_t sizes[] = {size_t(p[kConvN]) * p[kConvH] * p[kConvW] * p[kConvCi],
                            size_t(p[kConvKh]) * p[kConvKw] * p[kConvCi] * p[kConvCo],
                            size_t(p[kConvN]) * p[kConvOh] * p[kConvOw] * p[kConvCo], size_t(p[kConvCo])};
    static const char* kNames[] = {"x", "filter", "y", "bias"};
    const std::vector<Operand> operands = Op == 'f'   ? std::vector<Operand>{kX, kW, kBias, kY}
                                          : Op == 'd' ? std::vector<Operand>{kY, kW, kX}
                                                      : std::vector<Operand>{kX, kY, kW};
    std::vector<Operand> used;
    std::vector<float*> ptrs;
    for (size_t i = 0; i < operands.size(); ++i) {
      if (operands[i] == kBias && p[kConvHasBias] == 0) continue;
      used.push_back(operands[i]);
      ptrs.push_back(cache::F32(info[i + 1], sizes[operands[i]], kNames[operands[i]]));
    }
    // One part (the whole batch, or a half of a split call) through col2im or oneDNN.
    const bool col2im = Op == 'd' && UseCol2im(p);
    auto entryFor = [&](const int32_t* q, char part) {
      return col2im ? Col2imMatmul(q, part) : ConvEntry(Op, q, alpha, part);
    };
    auto run = [&](const int32_t* q, Entry* e, const std::vector<void*>& at) {
      if (col2im) {
        Col2imBackwardData(q, e, static_cast<float*>(at[0]), static_cast<float*>(at[1]), static_cast<float*>(at[2]));
      } else {
        cache::Run(*e, at);
      }
    };
    if (!SplitWorth(p)) {
      run(p, entryFor(p, 0), std::vector<void*>(ptrs.begin(), ptrs.end()));
      return info.Env().Undefined();
    }
    // Two halves of the batch, each its own primitive. Per example, x and y are independent in the
    // forward and backward-data directions; the weights' gradient sums over the batch, so the second
    // half writes into a buffer of its own, added to the first half's at the end.
    const int32_t n0 = (p[kConvN] + 1) / 2;
    std::vector<int32_t> q[2] = {std::vector<int32_t>(p, p + kConvParamCount), std::vector<int32_t>(p, p + kConvParamCount)};
    q[0][kConvN] = n0;
    q[1][kConvN] = p[kConvN] - n0;
    Entry* e[2];
    for (int half = 0; half < 2; ++half) e[half] = entryFor(q[half].data(), char(half + 1));
    const size_t perExample[] = {sizes[kX] / p[kConvN], 0, sizes[kY] / p[kConvN], 0};
    thread_local std::vector<float> partial;  // the caller's: the helper reads it through `second`
    if (Op == 'w') partial.resize(sizes[kW]);  // written whole by the second half's primitive
    float* second = partial.data();
    split::Two([&](int half) {
      std::vector<void*> at;
      for (size_t i = 0; i < used.size(); ++i) {
        float* base = ptrs[i];
        if (Op == 'w' && used[i] == kW && half == 1) base = second;
        at.push_back(base + (half == 1 ? n0 * perExample[used[i]] : 0));
      }
      run(q[half].data(), e[half], at);
    });
    if (Op == 'w') {
      float* dw = ptrs.back();
      for (size_t k = 0; k < sizes[kW]; ++k) dw[k] += partial[k];
    }
    return info.Env().Undefined();
  });
}

// ---------------------------------------------------------------------------------------------
// Introspection.

// implementation(op, params[, alpha]): the oneDNN implementation name a primitive uses (e.g.
// "jit:avx512_core", "gemm:jit", "ref:any"); matmul builds it if needed, convolutions report the
// cached one or null.
Napi::Value Implementation(const Napi::CallbackInfo& info) {
  return cache::Guard(info, [&]() -> Napi::Value {
    cache::Reserve();
    const std::string op = info[0].As<Napi::String>().Utf8Value();
    const float alpha = cache::Alpha(info, 2);
    if (op == "matmul") return Napi::String::New(info.Env(), MatmulEntry(cache::Params(info[1], kMatmulParamCount), alpha)->impl);
    const char c = op == "convForward" ? 'f' : op == "convBackwardData" ? 'd' : op == "convBackwardWeights" ? 'w' : 0;
    if (c == 0) throw std::runtime_error("unknown op " + op);
    Entry* e = cache::Lookup(cache::Key(c, cache::Params(info[1], kConvParamCount), kConvParamCount, c == 'f' ? alpha : 0.f));
    return e == nullptr ? info.Env().Null() : Napi::String::New(info.Env(), e->impl);
  });
}

Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  const dnnl_version_t* v = dnnl_version();
  o.Set("version", Napi::String::New(env, std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch)));
  o.Set("cpuRuntime", Napi::Number::New(env, v->cpu_runtime));
  o.Set("threads", Napi::Number::New(env, omp_get_max_threads()));
  o.Set("cachedPrimitives", Napi::Number::New(env, static_cast<double>(cache::Size())));
  return o;
}

Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  if (info.Length() > 0 && info[0].IsNumber()) {
    const int n = info[0].As<Napi::Number>().Int32Value();
    if (n > 0 && n != omp_get_max_threads()) {
      // Primitives may be tuned to the thread count they were created with: rebuild them.
      cache::Clear();
      omp_set_num_threads(n);
    }
  }
  return Napi::Number::New(info.Env(), omp_get_max_threads());
}

// setSplit(on?, minMacs?): whether convolutions of at least minMacs multiply-adds split across the
// caller and a helper thread; returns {on, minMacs, calls}.
Napi::Value SetSplit(const Napi::CallbackInfo& info) {
  bool on = split::Enabled();
  double minMacs = split::MinMacs();
  if (info.Length() > 0 && info[0].IsBoolean()) on = info[0].As<Napi::Boolean>().Value();
  if (info.Length() > 1 && info[1].IsNumber()) minMacs = info[1].As<Napi::Number>().DoubleValue();
  split::Configure(on, minMacs);
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("on", Napi::Boolean::New(info.Env(), on));
  o.Set("minMacs", Napi::Number::New(info.Env(), minMacs));
  o.Set("calls", Napi::Number::New(info.Env(), split::Calls()));
  return o;
}

// setCol2imMaxChannels(n?): backward data of convolutions with at most n input channels runs as a
// matmul and col2im (0: none); returns the setting.
Napi::Value SetCol2imMaxChannels(const Napi::CallbackInfo& info) {
  if (info.Length() > 0 && info[0].IsNumber()) gCol2imMaxCi = info[0].As<Napi::Number>().Int32Value();
  return Napi::Number::New(info.Env(), gCol2imMaxCi);
}

Napi::Value ClearCache(const Napi::CallbackInfo& info) {
  cache::Clear();
  return info.Env().Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("matmul", Napi::Function::New(env, Matmul));
  exports.Set("convForward", Napi::Function::New(env, Conv<'f'>));
  exports.Set("convBackwardData", Napi::Function::New(env, Conv<'d'>));
  exports.Set("convBackwardWeights", Napi::Function::New(env, Conv<'w'>));
  exports.Set("implementation", Napi::Function::New(env, Implementation));
  exports.Set("info", Napi::Function::New(env, Info));
  exports.Set("setThreads", Napi::Function::New(env, SetThreads));
  exports.Set("setSplit", Napi::Function::New(env, SetSplit));
  exports.Set("setCol2imMaxChannels", Napi::Function::New(env, SetCol2imMaxChannels));
  exports.Set("clearCache", Napi::Function::New(env, ClearCache));
  RegisterElementwise(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(loss_algebra_native, Init)
