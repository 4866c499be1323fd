// Element-wise kernels, Select and sum reductions of the `native` backend (elementwise.cc).
#pragma once

#include <napi.h>

// Adds binary, unary, select, reduceSum and tuneMalloc to the addon's exports.
void RegisterElementwise(Napi::Env env, Napi::Object exports);
