// Cached oneDNN primitives and N-API argument readers (dnnl_cache.h).

#include "dnnl_cache.h"

#include <stdexcept>
#include <unordered_map>
#include <utility>

#include "contract.h"

namespace cache {

using dnnl::algorithm;
using dnnl::memory;

dnnl::engine& Eng() {
  static dnnl::engine e(dnnl::engine::kind::cpu, 0);
  return e;
}

namespace {

// One stream per thread: split::Two runs primitives on the caller and its helper at once.
dnnl::stream& Strm() {
  thread_local dnnl::stream s(Eng());
  return s;
}

// Shapes in training are few; the cap only guards programs that run many distinct shapes (it
// drops everything, which is cheap to rebuild).
constexpr size_t kMaxEntries = 512;
std::unordered_map<std::string, std::unique_ptr<Entry>> gCache;

}  // namespace

dnnl::primitive_attr MakeAttr(int act, float alpha) {
  using namespace contract;
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  if (act == kActivationLinear) return attr;
  dnnl::post_ops po;
  switch (act) {
    case kActivationRelu: po.append_eltwise(1.f, algorithm::eltwise_relu, 0.f, 0.f); break;
    case kActivationLeakyrelu: po.append_eltwise(1.f, algorithm::eltwise_relu, alpha, 0.f); break;
    case kActivationSigmoid: po.append_eltwise(1.f, algorithm::eltwise_logistic, 0.f, 0.f); break;
    case kActivationElu: po.append_eltwise(1.f, algorithm::eltwise_elu, 1.f, 0.f); break;
    case kActivationRelu6: po.append_eltwise(1.f, algorithm::eltwise_clip, 0.f, 6.f); break;
    default: throw std::runtime_error("unknown activation code");
  }
  attr.set_post_ops(po);
  return attr;
}

void Scratchpad(Entry& e, const memory::desc& d) {
  e.hasScratchpad = d.get_size() > 0;
  if (e.hasScratchpad) e.scratchpad = memory(d, Eng());
}

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
    dnnl::primitive_attr attr;
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    const dnnl::reorder::primitive_desc pd =
        output ? dnnl::reorder::primitive_desc(a.inner, a.user, attr) : dnnl::reorder::primitive_desc(a.user, a.inner, attr);
    a.reorderPrim = dnnl::reorder(pd);
    if (pd.scratchpad_desc().get_size() > 0) a.reorderScratchpad = memory(pd.scratchpad_desc(), Eng());
  }
  e.args.push_back(std::move(a));
}

namespace {

void Reorder(Arg& a, const memory& from, const memory& to) {
  std::unordered_map<int, memory> args{{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}};
  if (a.reorderScratchpad) args.emplace(DNNL_ARG_SCRATCHPAD, a.reorderScratchpad);
  a.reorderPrim.execute(Strm(), args);
}

}  // namespace

void Run(Entry& e, const std::vector<void*>& ptrs) {
  std::unordered_map<int, memory> argMap;
  argMap.reserve(e.args.size() + 1);
  for (size_t i = 0; i < e.args.size(); ++i) {
    Arg& a = e.args[i];
    a.user.set_data_handle(ptrs[i]);
    if (a.reorders && !a.output) Reorder(a, a.user, a.inner);
    argMap.emplace(a.key, a.inner);
  }
  if (e.hasScratchpad) argMap.emplace(DNNL_ARG_SCRATCHPAD, e.scratchpad);
  e.prim.execute(Strm(), argMap);
  for (Arg& a : e.args) {
    if (a.reorders && a.output) Reorder(a, a.inner, a.user);
  }
  Strm().wait();
}

std::string Key(char op, const int32_t* params, size_t n, float alpha) {
  std::string k(1, op);
  k.append(reinterpret_cast<const char*>(params), n * sizeof(int32_t));
  k.append(reinterpret_cast<const char*>(&alpha), sizeof(alpha));
  return k;
}

Entry* Lookup(const std::string& key) {
  auto it = gCache.find(key);
  return it == gCache.end() ? nullptr : it->second.get();
}

void Reserve(size_t n) {
  if (gCache.size() + n > kMaxEntries) gCache.clear();
}

Entry* Store(const std::string& key, std::unique_ptr<Entry> e) {
  Entry* raw = e.get();
  gCache.emplace(key, std::move(e));
  return raw;
}

size_t Size() { return gCache.size(); }

void Clear() { gCache.clear(); }

float* F32(const Napi::Value& v, size_t minLen, const char* what) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
    throw std::runtime_error(std::string(what) + " must be a Float32Array");
  }
  auto arr = v.As<Napi::Float32Array>();
  if (arr.ElementLength() < minLen) {
    throw std::runtime_error(std::string(what) + " is too short (" + std::to_string(arr.ElementLength()) + " < " +
                             std::to_string(minLen) + ")");
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

}  // namespace cache
