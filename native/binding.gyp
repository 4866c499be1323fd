{
  "targets": [
    {
      "target_name": "loss_algebra_native",
      "sources": ["src/addon.cc", "src/dnnl_cache.cc", "src/elementwise.cc", "src/elementwise_napi.cc", "src/split.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc": ["-std=c++17", "-O3", "-fexceptions", "-fopenmp", "-ffp-contract=off", "-fno-math-errno", "-fno-trapping-math"],
      "libraries": ["-ldnnl", "-fopenmp"]
    }
  ]
}
