'use strict'
// A pthread worker of tfjs-backend-wasm's threaded-SIMD build, started by Emscripten's runtime with
// Node's worker_threads (src/backend/wasm-threads.ts). The package ships the worker's script only as a
// string, for a blob: URL, which worker_threads cannot start; this file runs that string. Its literal
// "\n" escapes became newlines in the package's template string and are escaped back, as the package
// itself does before making its Blob.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a CommonJS worker, started by path
const { wasmWorkerContents } = require('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js')
new Function('require', '__filename', wasmWorkerContents.replace(/\n/g, '\\n'))(require, __filename)
