;; The GEMM kernels of @tensorslim/linalg: a 2×8 register-blocked micro-kernel over packed panels,
;; and the loop that sweeps it over a packed block (see ../gemm.ts for the packing and blocking).
;;
;; All pointers are byte offsets into the imported memory (the numerics' arena, ../heap.ts).
;; Doubles are 8 bytes; an f64x2 lane pair is 16. Vector loads and stores say align=8 because
;; the arena guarantees only 8-byte alignment of a row or panel.
;;
;; Packed layouts (what ../gemm.ts writes):
;;   A panel: MR = 2 rows, p-major: ap[p·2 + i] = A[i, p]
;;   B panel: NR = 8 columns, p-major: bp[p·8 + j] = B[p, j]
;;   C: row-major, ldc bytes from one row to the next.
;;
;; Why 2×8: without fused multiply-add (relaxed SIMD is behind a flag in Node 20) each lane-pair
;; multiply-add is a mul and an add, and V8 (x64) hoists every load of an iteration ahead of the
;; arithmetic, so accumulators + loaded operands + one product must fit its 15 allocatable xmm
;; registers: (MR + 1)·(NR/2 + 1) ≤ 15 allows 8 accumulators (4×4 or 2×8). Of those, 2×8 needs
;; 2 broadcasts per step where 4×4 needs 4, and a broadcast load takes a vector-unit slot on
;; this machine's cores: 2×8 runs ~20% faster (24 vs 20 GFLOP/s in the loop alone); 3×8, 4×6,
;; 6×4 spill and run at half speed.
;;
;; Assembled by scripts/assemble-kernels.mjs (wabt) into src/kernels/assembled.ts.
(module
  (import "env" "mem" (memory 1))

  ;; micro(kc, ap, bp, cp, ldc): C[0:2, 0:8] += Σ_p Ap[p, 0:2]ᵀ ⊗ Bp[p, 0:8]
  ;; Eight f64x2 accumulators hold the 2×8 tile: $cIV has C[I, 2V:2V+2].
  (func $micro (export "micro") (param $kc i32) (param $ap i32) (param $bp i32) (param $cp i32) (param $ldc i32)
    (local $c00 v128) (local $c01 v128) (local $c02 v128) (local $c03 v128)
    (local $c10 v128) (local $c11 v128) (local $c12 v128) (local $c13 v128)
    (local $b0 v128) (local $b1 v128) (local $b2 v128) (local $b3 v128) (local $a v128)
    (block $empty
      (br_if $empty (i32.eqz (local.get $kc)))
      (loop $step
        ;; one row of the B panel: B[p, 0:8] in four lane pairs
        (local.set $b0 (v128.load align=8 (local.get $bp)))
        (local.set $b1 (v128.load offset=16 align=8 (local.get $bp)))
        (local.set $b2 (v128.load offset=32 align=8 (local.get $bp)))
        (local.set $b3 (v128.load offset=48 align=8 (local.get $bp)))
        ;; row 0 of the tile: A[0, p] broadcast, times the B row
        (local.set $a (v128.load64_splat (local.get $ap)))
        (local.set $c00 (f64x2.add (local.get $c00) (f64x2.mul (local.get $a) (local.get $b0))))
        (local.set $c01 (f64x2.add (local.get $c01) (f64x2.mul (local.get $a) (local.get $b1))))
        (local.set $c02 (f64x2.add (local.get $c02) (f64x2.mul (local.get $a) (local.get $b2))))
        (local.set $c03 (f64x2.add (local.get $c03) (f64x2.mul (local.get $a) (local.get $b3))))
        ;; row 1 of the tile: A[1, p] broadcast, times the B row
        (local.set $a (v128.load64_splat offset=8 (local.get $ap)))
        (local.set $c10 (f64x2.add (local.get $c10) (f64x2.mul (local.get $a) (local.get $b0))))
        (local.set $c11 (f64x2.add (local.get $c11) (f64x2.mul (local.get $a) (local.get $b1))))
        (local.set $c12 (f64x2.add (local.get $c12) (f64x2.mul (local.get $a) (local.get $b2))))
        (local.set $c13 (f64x2.add (local.get $c13) (f64x2.mul (local.get $a) (local.get $b3))))
        ;; next p: the A panel advances by 2 doubles, the B panel by 8
        (local.set $ap (i32.add (local.get $ap) (i32.const 16)))
        (local.set $bp (i32.add (local.get $bp) (i32.const 64)))
        (br_if $step (local.tee $kc (i32.sub (local.get $kc) (i32.const 1))))))
    ;; C += the tile, one row at a time
    (v128.store align=8 (local.get $cp) (f64x2.add (v128.load align=8 (local.get $cp)) (local.get $c00)))
    (v128.store offset=16 align=8 (local.get $cp) (f64x2.add (v128.load offset=16 align=8 (local.get $cp)) (local.get $c01)))
    (v128.store offset=32 align=8 (local.get $cp) (f64x2.add (v128.load offset=32 align=8 (local.get $cp)) (local.get $c02)))
    (v128.store offset=48 align=8 (local.get $cp) (f64x2.add (v128.load offset=48 align=8 (local.get $cp)) (local.get $c03)))
    (local.set $cp (i32.add (local.get $cp) (local.get $ldc)))
    (v128.store align=8 (local.get $cp) (f64x2.add (v128.load align=8 (local.get $cp)) (local.get $c10)))
    (v128.store offset=16 align=8 (local.get $cp) (f64x2.add (v128.load offset=16 align=8 (local.get $cp)) (local.get $c11)))
    (v128.store offset=32 align=8 (local.get $cp) (f64x2.add (v128.load offset=32 align=8 (local.get $cp)) (local.get $c12)))
    (v128.store offset=48 align=8 (local.get $cp) (f64x2.add (v128.load offset=48 align=8 (local.get $cp)) (local.get $c13))))

  ;; macro(kc, mcp, ncp, ap, bp, cp, ldc, diag): sweeps $micro over a packed mcp×kc block of A
  ;; and kc×ncp block of B into C. Tiles wholly above the diagonal col − row = diag are skipped,
  ;; so a Gram matrix computes only its lower triangle; pass a large negative diag for all tiles.
  (func $macro (export "macro")
    (param $kc i32) (param $mcp i32) (param $ncp i32) (param $ap i32) (param $bp i32) (param $cp i32) (param $ldc i32) (param $diag i32)
    (local $jr i32) (local $ir i32) (local $pa i32) (local $pb i32) (local $pc i32) (local $t i32)
    (local.set $jr (i32.const 0))
    (local.set $pb (local.get $bp))
    ;; for each column panel jr = 0, 8, 16, ... < ncp
    (block $done
      (loop $panel
        (br_if $done (i32.ge_s (local.get $jr) (local.get $ncp)))
        ;; first row panel that reaches the diagonal: ir = max(0, jr + diag − 1) rounded down to a multiple of 2
        (local.set $ir
          (select
            (i32.and (local.tee $t (i32.sub (i32.add (local.get $jr) (local.get $diag)) (i32.const 1))) (i32.const -2))
            (i32.const 0)
            (i32.gt_s (local.get $t) (i32.const 0))))
        ;; pa = ap + ir·kc doubles; pc = &C[ir, jr]
        (local.set $pa (i32.add (local.get $ap) (i32.mul (i32.mul (local.get $ir) (local.get $kc)) (i32.const 8))))
        (local.set $pc
          (i32.add
            (i32.add (local.get $cp) (i32.shl (local.get $jr) (i32.const 3)))
            (i32.mul (local.get $ir) (local.get $ldc))))
        ;; for each row panel ir < mcp
        (block $rows_done
          (loop $row
            (br_if $rows_done (i32.ge_s (local.get $ir) (local.get $mcp)))
            (call $micro (local.get $kc) (local.get $pa) (local.get $pb) (local.get $pc) (local.get $ldc))
            (local.set $pa (i32.add (local.get $pa) (i32.mul (local.get $kc) (i32.const 16))))
            (local.set $pc (i32.add (local.get $pc) (i32.mul (local.get $ldc) (i32.const 2))))
            (local.set $ir (i32.add (local.get $ir) (i32.const 2)))
            (br $row)))
        ;; next B panel: kc rows of 8 doubles further
        (local.set $pb (i32.add (local.get $pb) (i32.mul (local.get $kc) (i32.const 64))))
        (local.set $jr (i32.add (local.get $jr) (i32.const 8)))
        (br $panel)))))
