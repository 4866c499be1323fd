;; Adam in one pass over the wasm backend's heap (src/backend/wasm-adam.ts), four floats at a time.
;; It imports the tfjs wasm module's own memory; scripts/gen-wasm-adam.mjs assembles it twice, for the
;; threaded build's shared memory and for the single-threaded builds' (MEMORY below).
;;
;; adam(w, g, m, v, w2, m2, v2, n, b1, a1, b2, a2, rate, eps): byte offsets of float32 arrays of n
;; elements; writes
;;   m2 = m·b1 + g·a1
;;   v2 = v·b2 + (g·g)·a2
;;   w2 = w − (m2·rate) / (√v2 + eps)
;; with the float32 operations, in the order, of the tensor-op update in src/compile/optim.ts
;; (a1 = 1 − b1 and a2 = 1 − b2 come rounded from the caller, as the tensor ops' scalars do), so
;; both give the same floats. No fused multiply-add: wasm's SIMD has none.
(module
  (import "env" "memory" MEMORY)
  (func (export "adam")
    (param $w i32) (param $g i32) (param $m i32) (param $v i32)
    (param $w2 i32) (param $m2 i32) (param $v2 i32) (param $n i32)
    (param $b1 f32) (param $a1 f32) (param $b2 f32) (param $a2 f32) (param $rate f32) (param $eps f32)
    (local $i i32) (local $end i32) (local $all i32)
    (local $B1 v128) (local $A1 v128) (local $B2 v128) (local $A2 v128) (local $R v128) (local $E v128)
    (local $gv v128) (local $mv v128) (local $vv v128)
    (local $gs f32) (local $ms f32) (local $vs f32)
    (local.set $B1 (f32x4.splat (local.get $b1)))
    (local.set $A1 (f32x4.splat (local.get $a1)))
    (local.set $B2 (f32x4.splat (local.get $b2)))
    (local.set $A2 (f32x4.splat (local.get $a2)))
    (local.set $R (f32x4.splat (local.get $rate)))
    (local.set $E (f32x4.splat (local.get $eps)))
    ;; bytes: $end covers the whole groups of four, $all every element
    (local.set $end (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (local.set $all (i32.shl (local.get $n) (i32.const 2)))
    (if (i32.gt_u (local.get $end) (i32.const 0))
      (then
        (loop $four
          (local.set $gv (v128.load align=4 (i32.add (local.get $g) (local.get $i))))
          (local.set $mv
            (f32x4.add
              (f32x4.mul (v128.load align=4 (i32.add (local.get $m) (local.get $i))) (local.get $B1))
              (f32x4.mul (local.get $gv) (local.get $A1))))
          (local.set $vv
            (f32x4.add
              (f32x4.mul (v128.load align=4 (i32.add (local.get $v) (local.get $i))) (local.get $B2))
              (f32x4.mul (f32x4.mul (local.get $gv) (local.get $gv)) (local.get $A2))))
          (v128.store align=4 (i32.add (local.get $m2) (local.get $i)) (local.get $mv))
          (v128.store align=4 (i32.add (local.get $v2) (local.get $i)) (local.get $vv))
          (v128.store align=4 (i32.add (local.get $w2) (local.get $i))
            (f32x4.sub
              (v128.load align=4 (i32.add (local.get $w) (local.get $i)))
              (f32x4.div
                (f32x4.mul (local.get $mv) (local.get $R))
                (f32x4.add (f32x4.sqrt (local.get $vv)) (local.get $E)))))
          (local.set $i (i32.add (local.get $i) (i32.const 16)))
          (br_if $four (i32.lt_u (local.get $i) (local.get $end))))))
    ;; the last n mod 4 elements, one at a time
    (block $done
      (loop $one
        (br_if $done (i32.ge_u (local.get $i) (local.get $all)))
        (local.set $gs (f32.load (i32.add (local.get $g) (local.get $i))))
        (local.set $ms
          (f32.add
            (f32.mul (f32.load (i32.add (local.get $m) (local.get $i))) (local.get $b1))
            (f32.mul (local.get $gs) (local.get $a1))))
        (local.set $vs
          (f32.add
            (f32.mul (f32.load (i32.add (local.get $v) (local.get $i))) (local.get $b2))
            (f32.mul (f32.mul (local.get $gs) (local.get $gs)) (local.get $a2))))
        (f32.store (i32.add (local.get $m2) (local.get $i)) (local.get $ms))
        (f32.store (i32.add (local.get $v2) (local.get $i)) (local.get $vs))
        (f32.store (i32.add (local.get $w2) (local.get $i))
          (f32.sub
            (f32.load (i32.add (local.get $w) (local.get $i)))
            (f32.div
              (f32.mul (local.get $ms) (local.get $rate))
              (f32.add (f32.sqrt (local.get $vs)) (local.get $eps)))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $one)))))
