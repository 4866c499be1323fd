import { loadNativeAddon } from './src/backend/native.ts'
const lib = loadNativeAddon()! as any
// params: batchA, batchB, M, K, N, ta, tb, hasBias, act
for (const p of [[1,1,128,784,512,0,0,1,0],[1,1,64,512,784,0,0,0,0],[1,1,784,128,512,1,0,0,0],[1,1,64,784,512,0,1,0,0]]) {
  console.log(p.join(','), lib.implementation('matmul', Int32Array.from(p), 0))
}
console.log(lib.info())
