;; The vector (level-1) kernels of @tensorslim/linalg, which the Householder, tridiagonal and
;; bidiagonal code calls on vectors kept in the numerics' arena (../heap.ts, interface Level1).
;;
;; All pointers are byte offsets into the imported memory; n counts doubles. Each kernel runs an
;; f64x2 loop over the largest even (or multiple-of-4, two lane pairs per step) prefix, then a
;; scalar loop over the rest. Vector loads and stores say align=8: vectors in the arena are only
;; 8-byte aligned. The JavaScript twins in ./js.ts compute the same sums in a different order,
;; so results agree up to rounding.
;;
;; Assembled by scripts/assemble-kernels.mjs (wabt) into src/kernels/assembled.ts.
(module
  (import "env" "mem" (memory 1))

  ;; dot(xp, yp, n) -> Σ x[i]·y[i]   (two f64x2 accumulators, 4 doubles per step)
  (func $dot (export "dot") (param $xp i32) (param $yp i32) (param $n i32) (result f64)
    (local $i i32) (local $end i32) (local $s0 v128) (local $s1 v128) (local $r f64)
    (local.set $s0 (v128.const i64x2 0 0))
    (local.set $s1 (v128.const i64x2 0 0))
    (local.set $i (i32.const 0))
    (local.set $end (i32.and (local.get $n) (i32.const -4)))
    (block $done
      (loop $step
        (br_if $done (i32.ge_s (local.get $i) (local.get $end)))
        (local.set $s0 (f64x2.add (local.get $s0) (f64x2.mul (v128.load align=8 (local.get $xp)) (v128.load align=8 (local.get $yp)))))
        (local.set $s1 (f64x2.add (local.get $s1) (f64x2.mul (v128.load offset=16 align=8 (local.get $xp)) (v128.load offset=16 align=8 (local.get $yp)))))
        (local.set $xp (i32.add (local.get $xp) (i32.const 32)))
        (local.set $yp (i32.add (local.get $yp) (i32.const 32)))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $step)))
    ;; r = the four partial sums
    (local.set $r
      (f64.add
        (f64x2.extract_lane 0 (local.tee $s0 (f64x2.add (local.get $s0) (local.get $s1))))
        (f64x2.extract_lane 1 (local.get $s0))))
    (block $done
      (loop $tail
        (br_if $done (i32.ge_s (local.get $i) (local.get $n)))
        (local.set $r (f64.add (local.get $r) (f64.mul (f64.load (local.get $xp)) (f64.load (local.get $yp)))))
        (local.set $xp (i32.add (local.get $xp) (i32.const 8)))
        (local.set $yp (i32.add (local.get $yp) (i32.const 8)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $tail)))
    (local.get $r))

  ;; axpy(n, alpha, xp, yp): y += alpha·x
  (func $axpy (export "axpy") (param $n i32) (param $alpha f64) (param $xp i32) (param $yp i32)
    (local $i i32) (local $end i32) (local $av v128)
    (local.set $av (f64x2.splat (local.get $alpha)))
    (local.set $i (i32.const 0))
    (local.set $end (i32.and (local.get $n) (i32.const -4)))
    (block $done
      (loop $step
        (br_if $done (i32.ge_s (local.get $i) (local.get $end)))
        (v128.store align=8 (local.get $yp)
          (f64x2.add (v128.load align=8 (local.get $yp)) (f64x2.mul (v128.load align=8 (local.get $xp)) (local.get $av))))
        (v128.store offset=16 align=8 (local.get $yp)
          (f64x2.add (v128.load offset=16 align=8 (local.get $yp)) (f64x2.mul (v128.load offset=16 align=8 (local.get $xp)) (local.get $av))))
        (local.set $xp (i32.add (local.get $xp) (i32.const 32)))
        (local.set $yp (i32.add (local.get $yp) (i32.const 32)))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $step)))
    (block $done
      (loop $tail
        (br_if $done (i32.ge_s (local.get $i) (local.get $n)))
        (f64.store (local.get $yp) (f64.add (f64.load (local.get $yp)) (f64.mul (f64.load (local.get $xp)) (local.get $alpha))))
        (local.set $xp (i32.add (local.get $xp) (i32.const 8)))
        (local.set $yp (i32.add (local.get $yp) (i32.const 8)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $tail))))

  ;; rot(n, xp, yp, c, s): (x, y) <- (c·x + s·y, c·y − s·x)   (a plane rotation)
  (func $rot (export "rot") (param $n i32) (param $xp i32) (param $yp i32) (param $c f64) (param $s f64)
    (local $i i32) (local $end i32) (local $cv v128) (local $sv v128) (local $x v128) (local $y v128)
    (local $xs f64) (local $ys f64)
    (local.set $cv (f64x2.splat (local.get $c)))
    (local.set $sv (f64x2.splat (local.get $s)))
    (local.set $i (i32.const 0))
    (local.set $end (i32.and (local.get $n) (i32.const -4)))
    (block $done
      (loop $step
        (br_if $done (i32.ge_s (local.get $i) (local.get $end)))
        ;; lanes 0:2
        (local.set $x (v128.load align=8 (local.get $xp)))
        (local.set $y (v128.load align=8 (local.get $yp)))
        (v128.store align=8 (local.get $xp)
          (f64x2.add (f64x2.mul (local.get $x) (local.get $cv)) (f64x2.mul (local.get $y) (local.get $sv))))
        (v128.store align=8 (local.get $yp)
          (f64x2.sub (f64x2.mul (local.get $y) (local.get $cv)) (f64x2.mul (local.get $x) (local.get $sv))))
        ;; lanes 2:4
        (local.set $x (v128.load offset=16 align=8 (local.get $xp)))
        (local.set $y (v128.load offset=16 align=8 (local.get $yp)))
        (v128.store offset=16 align=8 (local.get $xp)
          (f64x2.add (f64x2.mul (local.get $x) (local.get $cv)) (f64x2.mul (local.get $y) (local.get $sv))))
        (v128.store offset=16 align=8 (local.get $yp)
          (f64x2.sub (f64x2.mul (local.get $y) (local.get $cv)) (f64x2.mul (local.get $x) (local.get $sv))))
        (local.set $xp (i32.add (local.get $xp) (i32.const 32)))
        (local.set $yp (i32.add (local.get $yp) (i32.const 32)))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $step)))
    (block $done
      (loop $tail
        (br_if $done (i32.ge_s (local.get $i) (local.get $n)))
        (local.set $xs (f64.load (local.get $xp)))
        (local.set $ys (f64.load (local.get $yp)))
        (f64.store (local.get $xp) (f64.add (f64.mul (local.get $xs) (local.get $c)) (f64.mul (local.get $ys) (local.get $s))))
        (f64.store (local.get $yp) (f64.sub (f64.mul (local.get $ys) (local.get $c)) (f64.mul (local.get $xs) (local.get $s))))
        (local.set $xp (i32.add (local.get $xp) (i32.const 8)))
        (local.set $yp (i32.add (local.get $yp) (i32.const 8)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $tail))))

  ;; dotaxpy(n, xp, vp, yp, a) -> Σ x[i]·v[i], and y += a·x, in one pass over x
  ;; (a symmetric matrix-vector product by columns of the lower triangle)
  (func $dotaxpy (export "dotaxpy") (param $n i32) (param $xp i32) (param $vp i32) (param $yp i32) (param $a f64) (result f64)
    (local $i i32) (local $end i32) (local $av v128) (local $s0 v128) (local $x v128) (local $r f64) (local $xs f64)
    (local.set $av (f64x2.splat (local.get $a)))
    (local.set $s0 (v128.const i64x2 0 0))
    (local.set $i (i32.const 0))
    (local.set $end (i32.and (local.get $n) (i32.const -2)))
    (block $done
      (loop $step
        (br_if $done (i32.ge_s (local.get $i) (local.get $end)))
        (local.set $x (v128.load align=8 (local.get $xp)))
        (local.set $s0 (f64x2.add (local.get $s0) (f64x2.mul (local.get $x) (v128.load align=8 (local.get $vp)))))
        (v128.store align=8 (local.get $yp)
          (f64x2.add (v128.load align=8 (local.get $yp)) (f64x2.mul (local.get $x) (local.get $av))))
        (local.set $xp (i32.add (local.get $xp) (i32.const 16)))
        (local.set $vp (i32.add (local.get $vp) (i32.const 16)))
        (local.set $yp (i32.add (local.get $yp) (i32.const 16)))
        (local.set $i (i32.add (local.get $i) (i32.const 2)))
        (br $step)))
    (local.set $r (f64.add (f64x2.extract_lane 0 (local.get $s0)) (f64x2.extract_lane 1 (local.get $s0))))
    (block $done
      (loop $tail
        (br_if $done (i32.ge_s (local.get $i) (local.get $n)))
        (local.set $xs (f64.load (local.get $xp)))
        (local.set $r (f64.add (local.get $r) (f64.mul (local.get $xs) (f64.load (local.get $vp)))))
        (f64.store (local.get $yp) (f64.add (f64.load (local.get $yp)) (f64.mul (local.get $xs) (local.get $a))))
        (local.set $xp (i32.add (local.get $xp) (i32.const 8)))
        (local.set $vp (i32.add (local.get $vp) (i32.const 8)))
        (local.set $yp (i32.add (local.get $yp) (i32.const 8)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $tail)))
    (local.get $r))

  ;; axpy2(n, a, xp, b, yp, zp): z += a·x + b·y   (a symmetric rank-2 update by columns)
  (func $axpy2 (export "axpy2") (param $n i32) (param $a f64) (param $xp i32) (param $b f64) (param $yp i32) (param $zp i32)
    (local $i i32) (local $end i32) (local $av v128) (local $bv v128)
    (local.set $av (f64x2.splat (local.get $a)))
    (local.set $bv (f64x2.splat (local.get $b)))
    (local.set $i (i32.const 0))
    (local.set $end (i32.and (local.get $n) (i32.const -2)))
    (block $done
      (loop $step
        (br_if $done (i32.ge_s (local.get $i) (local.get $end)))
        (v128.store align=8 (local.get $zp)
          (f64x2.add
            (f64x2.add (v128.load align=8 (local.get $zp)) (f64x2.mul (v128.load align=8 (local.get $xp)) (local.get $av)))
            (f64x2.mul (v128.load align=8 (local.get $yp)) (local.get $bv))))
        (local.set $xp (i32.add (local.get $xp) (i32.const 16)))
        (local.set $yp (i32.add (local.get $yp) (i32.const 16)))
        (local.set $zp (i32.add (local.get $zp) (i32.const 16)))
        (local.set $i (i32.add (local.get $i) (i32.const 2)))
        (br $step)))
    (block $done
      (loop $tail
        (br_if $done (i32.ge_s (local.get $i) (local.get $n)))
        (f64.store (local.get $zp)
          (f64.add
            (f64.add (f64.load (local.get $zp)) (f64.mul (f64.load (local.get $xp)) (local.get $a)))
            (f64.mul (f64.load (local.get $yp)) (local.get $b))))
        (local.set $xp (i32.add (local.get $xp) (i32.const 8)))
        (local.set $yp (i32.add (local.get $yp) (i32.const 8)))
        (local.set $zp (i32.add (local.get $zp) (i32.const 8)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $tail))))

  ;; scal(n, a, xp): x *= a
  (func $scal (export "scal") (param $n i32) (param $a f64) (param $xp i32)
    (local $i i32) (local $end i32) (local $av v128)
    (local.set $av (f64x2.splat (local.get $a)))
    (local.set $i (i32.const 0))
    (local.set $end (i32.and (local.get $n) (i32.const -4)))
    (block $done
      (loop $step
        (br_if $done (i32.ge_s (local.get $i) (local.get $end)))
        (v128.store align=8 (local.get $xp) (f64x2.mul (v128.load align=8 (local.get $xp)) (local.get $av)))
        (v128.store offset=16 align=8 (local.get $xp) (f64x2.mul (v128.load offset=16 align=8 (local.get $xp)) (local.get $av)))
        (local.set $xp (i32.add (local.get $xp) (i32.const 32)))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $step)))
    (block $done
      (loop $tail
        (br_if $done (i32.ge_s (local.get $i) (local.get $n)))
        (f64.store (local.get $xp) (f64.mul (f64.load (local.get $xp)) (local.get $a)))
        (local.set $xp (i32.add (local.get $xp) (i32.const 8)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $tail))))

  ;; rank2dot(n, a, xp, b, yp, zp, vp, wp, c) -> Σ z'[i]·v[i], where z' = z + a·x + b·y is stored
  ;; back and w += c·z'   (one pass of the fused tridiagonal reduction: the previous step's rank-2
  ;; update of a column, then that column's share of the next symmetric matrix-vector product)
  (func $rank2dot (export "rank2dot")
    (param $n i32) (param $a f64) (param $xp i32) (param $b f64) (param $yp i32) (param $zp i32) (param $vp i32) (param $wp i32) (param $c f64)
    (result f64)
    (local $i i32) (local $end i32) (local $av v128) (local $bv v128) (local $cv v128) (local $s0 v128) (local $z v128)
    (local $r f64) (local $zs f64)
    (local.set $av (f64x2.splat (local.get $a)))
    (local.set $bv (f64x2.splat (local.get $b)))
    (local.set $cv (f64x2.splat (local.get $c)))
    (local.set $s0 (v128.const i64x2 0 0))
    (local.set $i (i32.const 0))
    (local.set $end (i32.and (local.get $n) (i32.const -2)))
    (block $done
      (loop $step
        (br_if $done (i32.ge_s (local.get $i) (local.get $end)))
        (local.set $z
          (f64x2.add
            (f64x2.add (v128.load align=8 (local.get $zp)) (f64x2.mul (v128.load align=8 (local.get $xp)) (local.get $av)))
            (f64x2.mul (v128.load align=8 (local.get $yp)) (local.get $bv))))
        (v128.store align=8 (local.get $zp) (local.get $z))
        (local.set $s0 (f64x2.add (local.get $s0) (f64x2.mul (local.get $z) (v128.load align=8 (local.get $vp)))))
        (v128.store align=8 (local.get $wp)
          (f64x2.add (v128.load align=8 (local.get $wp)) (f64x2.mul (local.get $z) (local.get $cv))))
        (local.set $xp (i32.add (local.get $xp) (i32.const 16)))
        (local.set $yp (i32.add (local.get $yp) (i32.const 16)))
        (local.set $zp (i32.add (local.get $zp) (i32.const 16)))
        (local.set $vp (i32.add (local.get $vp) (i32.const 16)))
        (local.set $wp (i32.add (local.get $wp) (i32.const 16)))
        (local.set $i (i32.add (local.get $i) (i32.const 2)))
        (br $step)))
    (local.set $r (f64.add (f64x2.extract_lane 0 (local.get $s0)) (f64x2.extract_lane 1 (local.get $s0))))
    (block $done
      (loop $tail
        (br_if $done (i32.ge_s (local.get $i) (local.get $n)))
        (local.set $zs
          (f64.add
            (f64.add (f64.load (local.get $zp)) (f64.mul (f64.load (local.get $xp)) (local.get $a)))
            (f64.mul (f64.load (local.get $yp)) (local.get $b))))
        (f64.store (local.get $zp) (local.get $zs))
        (local.set $r (f64.add (local.get $r) (f64.mul (local.get $zs) (f64.load (local.get $vp)))))
        (f64.store (local.get $wp) (f64.add (f64.load (local.get $wp)) (f64.mul (local.get $zs) (local.get $c))))
        (local.set $xp (i32.add (local.get $xp) (i32.const 8)))
        (local.set $yp (i32.add (local.get $yp) (i32.const 8)))
        (local.set $zp (i32.add (local.get $zp) (i32.const 8)))
        (local.set $vp (i32.add (local.get $vp) (i32.const 8)))
        (local.set $wp (i32.add (local.get $wp) (i32.const 8)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $tail)))
    (local.get $r)))
