// Cached oneDNN primitives for the addon's entry points (dnnl_cache.cc): an engine and stream,
// primitives with their argument memories and reorders keyed by a shape signature, and the N-API
// argument readers every entry point uses.
#pragma once

#include <napi.h>
#include <oneapi/dnnl/dnnl.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace cache {

dnnl::engine& Eng();

// One argument of a cached primitive: the memory in the caller's layout (its data handle is set
// on every call) and, when the primitive wants another layout, a private buffer in that layout
// plus the reorder between the two.
struct Arg {
  int key = 0;
  bool output = false;
  dnnl::memory user;
  dnnl::memory inner;
  bool reorders = false;
  dnnl::reorder reorderPrim;
  // the reorder's own scratchpad, if it needs one (see Scratchpad)
  dnnl::memory reorderScratchpad;
};

struct Entry {
  dnnl::primitive prim;
  std::vector<Arg> args;
  std::string impl;
  // The primitive's own scratchpad (none when it needs none).
  dnnl::memory scratchpad;
  bool hasScratchpad = false;
};

// The attributes of every primitive: the post-op for an activation code of the contract
// (contract.h), alpha for leaky relu, and a scratchpad the caller provides (see Scratchpad).
dnnl::primitive_attr MakeAttr(int act, float alpha);

// Gives `e` a scratchpad of its own, as `scratchpad_desc` asks. oneDNN's default scratchpad is one
// per thread, sized when a primitive is created and read on the thread that runs it; split::Two
// runs primitives created on the caller on its helper thread. With a scratchpad of its own (every
// primitive of the addon is created for one, MakeAttr), an entry shares nothing with another.
void Scratchpad(Entry& e, const dnnl::memory::desc& scratchpad_desc);

// Adds an argument whose caller layout is `user` and whose primitive layout is `wanted`.
void AddArg(Entry& e, int key, const dnnl::memory::desc& user, const dnnl::memory::desc& wanted, bool output);

// Runs `e` on the caller's buffers, one per argument in the order they were added.
void Run(Entry& e, const std::vector<void*>& ptrs);

// The cache: the key is an op letter, the parameter array and alpha.
std::string Key(char op, const int32_t* params, size_t n, float alpha);
Entry* Lookup(const std::string& key);
Entry* Store(const std::string& key, std::unique_ptr<Entry> e);
// Makes room for `n` new entries (dropping all when the cap would be passed). Called once at the
// start of an entry point, before it looks entries up: an entry stays valid for the rest of the call
// (a split call holds two at once; Store never drops any).
constexpr size_t kEntriesPerCall = 3;
void Reserve(size_t n = kEntriesPerCall);
size_t Size();
void Clear();

// N-API argument readers: a Float32Array of at least minLen elements, an Int32Array of exactly n,
// an optional number.
float* F32(const Napi::Value& v, size_t minLen, const char* what);
const int32_t* Params(const Napi::Value& v, size_t n);
float Alpha(const Napi::CallbackInfo& info, size_t i);

// Runs f, turning oneDNN and C++ errors into JavaScript exceptions.
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

}  // namespace cache
