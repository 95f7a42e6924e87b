;; The filter gradient of a 2-D convolution as an implicit-im2col GEMM on the TF.js wasm heap
;; (see ../conv2d-backprop-filter-wasm.ts for the geometry, the padding copy and the blocking).
;;
;;   dW[m, co] = Σ_p X(p, m) · dY[p, co]     m = (a, b, ci) the kernel tap and input channel,
;;                                           p = (n, i, j) the output pixel
;;
;; where X(p, m) = xpad[n·ximg + i·xrow + j·xcol + off[m]] reads the zero-padded input, so no
;; im2col matrix is ever formed: each row m of the product has its own byte offset off[m] into
;; the input, and the rows of a 4-row block step through the pixels together.
;;
;; All pointers are byte offsets into the imported memory (the TF.js wasm backend's heap).
;; Floats are 4 bytes; an f32x4 lane group is 16. Loads and stores say align=4: TF.js aligns
;; tensors to 4 bytes only (its malloc gives more, but nothing here depends on it).
;;
;; Assembled by ../../../../linalg/scripts/assemble-kernels.mjs (wabt) into ./assembled.ts.
(module
  (import "env" "mem" (memory 1))

  ;; micro8(x, dy, dw, offs, rows, nimg, ho, wo, ximg, xrow, xcol, dystep, ldw):
  ;; dW[r, 0:8] += Σ_p X(p, r) · dY[p, 0:8] for the 4 rows whose offsets are offs[0:4], over
  ;; the pixels of nimg images; only the first `rows` rows are written (the others are padding
  ;; rows of the last block, computed and dropped). Eight f32x4 accumulators: $aR0 holds
  ;; columns 0:4 of row R, $aR1 columns 4:8.
  (func $micro8
    (param $x i32) (param $dy i32) (param $dw i32) (param $offs i32) (param $rows i32)
    (param $nimg i32) (param $ho i32) (param $wo i32)
    (param $ximg i32) (param $xrow i32) (param $xcol i32) (param $dystep i32) (param $ldw i32)
    (local $a00 v128) (local $a01 v128) (local $a10 v128) (local $a11 v128)
    (local $a20 v128) (local $a21 v128) (local $a30 v128) (local $a31 v128)
    (local $b0 v128) (local $b1 v128) (local $s v128)
    (local $o0 i32) (local $o1 i32) (local $o2 i32) (local $o3 i32)
    (local $xi i32) (local $xr i32) (local $xp i32) (local $n i32) (local $i i32) (local $j i32)
    (local.set $o0 (i32.load (local.get $offs)))
    (local.set $o1 (i32.load offset=4 (local.get $offs)))
    (local.set $o2 (i32.load offset=8 (local.get $offs)))
    (local.set $o3 (i32.load offset=12 (local.get $offs)))
    (local.set $xi (local.get $x))
    (local.set $n (local.get $nimg))
    (loop $img
      (local.set $xr (local.get $xi))
      (local.set $i (local.get $ho))
      (loop $row
        (local.set $xp (local.get $xr))
        (local.set $j (local.get $wo))
        (loop $col
          ;; dY[p, 0:8]
          (local.set $b0 (v128.load align=4 (local.get $dy)))
          (local.set $b1 (v128.load offset=16 align=4 (local.get $dy)))
          ;; row 0: X(p, 0) broadcast, times the dY row
          (local.set $s (v128.load32_splat align=4 (i32.add (local.get $xp) (local.get $o0))))
          (local.set $a00 (f32x4.add (local.get $a00) (f32x4.mul (local.get $s) (local.get $b0))))
          (local.set $a01 (f32x4.add (local.get $a01) (f32x4.mul (local.get $s) (local.get $b1))))
          ;; row 1
          (local.set $s (v128.load32_splat align=4 (i32.add (local.get $xp) (local.get $o1))))
          (local.set $a10 (f32x4.add (local.get $a10) (f32x4.mul (local.get $s) (local.get $b0))))
          (local.set $a11 (f32x4.add (local.get $a11) (f32x4.mul (local.get $s) (local.get $b1))))
          ;; row 2
          (local.set $s (v128.load32_splat align=4 (i32.add (local.get $xp) (local.get $o2))))
          (local.set $a20 (f32x4.add (local.get $a20) (f32x4.mul (local.get $s) (local.get $b0))))
          (local.set $a21 (f32x4.add (local.get $a21) (f32x4.mul (local.get $s) (local.get $b1))))
          ;; row 3
          (local.set $s (v128.load32_splat align=4 (i32.add (local.get $xp) (local.get $o3))))
          (local.set $a30 (f32x4.add (local.get $a30) (f32x4.mul (local.get $s) (local.get $b0))))
          (local.set $a31 (f32x4.add (local.get $a31) (f32x4.mul (local.get $s) (local.get $b1))))
          ;; next pixel
          (local.set $xp (i32.add (local.get $xp) (local.get $xcol)))
          (local.set $dy (i32.add (local.get $dy) (local.get $dystep)))
          (br_if $col (local.tee $j (i32.sub (local.get $j) (i32.const 1)))))
        (local.set $xr (i32.add (local.get $xr) (local.get $xrow)))
        (br_if $row (local.tee $i (i32.sub (local.get $i) (i32.const 1)))))
      (local.set $xi (i32.add (local.get $xi) (local.get $ximg)))
      (br_if $img (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    ;; dW rows += the accumulators, the first `rows` of them
    (v128.store align=4 (local.get $dw) (f32x4.add (v128.load align=4 (local.get $dw)) (local.get $a00)))
    (v128.store offset=16 align=4 (local.get $dw) (f32x4.add (v128.load offset=16 align=4 (local.get $dw)) (local.get $a01)))
    (br_if 0 (i32.lt_u (local.get $rows) (i32.const 2)))
    (local.set $dw (i32.add (local.get $dw) (local.get $ldw)))
    (v128.store align=4 (local.get $dw) (f32x4.add (v128.load align=4 (local.get $dw)) (local.get $a10)))
    (v128.store offset=16 align=4 (local.get $dw) (f32x4.add (v128.load offset=16 align=4 (local.get $dw)) (local.get $a11)))
    (br_if 0 (i32.lt_u (local.get $rows) (i32.const 3)))
    (local.set $dw (i32.add (local.get $dw) (local.get $ldw)))
    (v128.store align=4 (local.get $dw) (f32x4.add (v128.load align=4 (local.get $dw)) (local.get $a20)))
    (v128.store offset=16 align=4 (local.get $dw) (f32x4.add (v128.load offset=16 align=4 (local.get $dw)) (local.get $a21)))
    (br_if 0 (i32.lt_u (local.get $rows) (i32.const 4)))
    (local.set $dw (i32.add (local.get $dw) (local.get $ldw)))
    (v128.store align=4 (local.get $dw) (f32x4.add (v128.load align=4 (local.get $dw)) (local.get $a30)))
    (v128.store offset=16 align=4 (local.get $dw) (f32x4.add (v128.load offset=16 align=4 (local.get $dw)) (local.get $a31))))

  ;; micro4: as micro8 for 4 columns (the last block when the column count is 4 mod 8).
  (func $micro4
    (param $x i32) (param $dy i32) (param $dw i32) (param $offs i32) (param $rows i32)
    (param $nimg i32) (param $ho i32) (param $wo i32)
    (param $ximg i32) (param $xrow i32) (param $xcol i32) (param $dystep i32) (param $ldw i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $b v128)
    (local $o0 i32) (local $o1 i32) (local $o2 i32) (local $o3 i32)
    (local $xi i32) (local $xr i32) (local $xp i32) (local $n i32) (local $i i32) (local $j i32)
    (local.set $o0 (i32.load (local.get $offs)))
    (local.set $o1 (i32.load offset=4 (local.get $offs)))
    (local.set $o2 (i32.load offset=8 (local.get $offs)))
    (local.set $o3 (i32.load offset=12 (local.get $offs)))
    (local.set $xi (local.get $x))
    (local.set $n (local.get $nimg))
    (loop $img
      (local.set $xr (local.get $xi))
      (local.set $i (local.get $ho))
      (loop $row
        (local.set $xp (local.get $xr))
        (local.set $j (local.get $wo))
        (loop $col
          (local.set $b (v128.load align=4 (local.get $dy)))
          (local.set $a0 (f32x4.add (local.get $a0)
            (f32x4.mul (v128.load32_splat align=4 (i32.add (local.get $xp) (local.get $o0))) (local.get $b))))
          (local.set $a1 (f32x4.add (local.get $a1)
            (f32x4.mul (v128.load32_splat align=4 (i32.add (local.get $xp) (local.get $o1))) (local.get $b))))
          (local.set $a2 (f32x4.add (local.get $a2)
            (f32x4.mul (v128.load32_splat align=4 (i32.add (local.get $xp) (local.get $o2))) (local.get $b))))
          (local.set $a3 (f32x4.add (local.get $a3)
            (f32x4.mul (v128.load32_splat align=4 (i32.add (local.get $xp) (local.get $o3))) (local.get $b))))
          (local.set $xp (i32.add (local.get $xp) (local.get $xcol)))
          (local.set $dy (i32.add (local.get $dy) (local.get $dystep)))
          (br_if $col (local.tee $j (i32.sub (local.get $j) (i32.const 1)))))
        (local.set $xr (i32.add (local.get $xr) (local.get $xrow)))
        (br_if $row (local.tee $i (i32.sub (local.get $i) (i32.const 1)))))
      (local.set $xi (i32.add (local.get $xi) (local.get $ximg)))
      (br_if $img (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (v128.store align=4 (local.get $dw) (f32x4.add (v128.load align=4 (local.get $dw)) (local.get $a0)))
    (br_if 0 (i32.lt_u (local.get $rows) (i32.const 2)))
    (local.set $dw (i32.add (local.get $dw) (local.get $ldw)))
    (v128.store align=4 (local.get $dw) (f32x4.add (v128.load align=4 (local.get $dw)) (local.get $a1)))
    (br_if 0 (i32.lt_u (local.get $rows) (i32.const 3)))
    (local.set $dw (i32.add (local.get $dw) (local.get $ldw)))
    (v128.store align=4 (local.get $dw) (f32x4.add (v128.load align=4 (local.get $dw)) (local.get $a2)))
    (br_if 0 (i32.lt_u (local.get $rows) (i32.const 4)))
    (local.set $dw (i32.add (local.get $dw) (local.get $ldw)))
    (v128.store align=4 (local.get $dw) (f32x4.add (v128.load align=4 (local.get $dw)) (local.get $a3))))

  ;; filterGrad(x, dy, dw, offs, m, co, n, chunk, ho, wo, ximg, xrow, xcol):
  ;; dW[0:m, 0:co] += the product over n images (dW is row-major, co columns; co a multiple of 4;
  ;; offs holds m rounded up to a multiple of 4 byte offsets). Images go in chunks of `chunk`,
  ;; small enough that a chunk's input and output gradient stay in cache while every 4×8 block
  ;; of dW sweeps them.
  (func $filterGrad (export "filterGrad")
    (param $x i32) (param $dy i32) (param $dw i32) (param $offs i32) (param $m i32) (param $co i32)
    (param $n i32) (param $chunk i32) (param $ho i32) (param $wo i32)
    (param $ximg i32) (param $xrow i32) (param $xcol i32)
    (local $n0 i32) (local $nc i32) (local $c0 i32) (local $r0 i32) (local $rows i32)
    (local $xc i32) (local $dyc i32) (local $dystep i32) (local $co8 i32)
    (local.set $dystep (i32.shl (local.get $co) (i32.const 2)))
    (local.set $co8 (i32.and (local.get $co) (i32.const -8)))
    (local.set $n0 (i32.const 0))
    (block $done
      (loop $chunks
        (br_if $done (i32.ge_s (local.get $n0) (local.get $n)))
        (local.set $nc (i32.sub (local.get $n) (local.get $n0)))
        (if (i32.gt_s (local.get $nc) (local.get $chunk)) (then (local.set $nc (local.get $chunk))))
        (local.set $xc (i32.add (local.get $x) (i32.mul (local.get $n0) (local.get $ximg))))
        (local.set $dyc (i32.add (local.get $dy)
          (i32.mul (i32.mul (local.get $n0) (i32.mul (local.get $ho) (local.get $wo))) (local.get $dystep))))
        ;; rows in blocks of 4
        (local.set $r0 (i32.const 0))
        (block $rows_done
          (loop $rowblocks
            (br_if $rows_done (i32.ge_s (local.get $r0) (local.get $m)))
            (local.set $rows (i32.sub (local.get $m) (local.get $r0)))
            (if (i32.gt_s (local.get $rows) (i32.const 4)) (then (local.set $rows (i32.const 4))))
            ;; columns in blocks of 8, then one of 4
            (local.set $c0 (i32.const 0))
            (block $cols_done
              (loop $colblocks
                (br_if $cols_done (i32.ge_s (local.get $c0) (local.get $co8)))
                (call $micro8
                  (local.get $xc)
                  (i32.add (local.get $dyc) (i32.shl (local.get $c0) (i32.const 2)))
                  (i32.add (local.get $dw)
                    (i32.add (i32.mul (local.get $r0) (local.get $dystep)) (i32.shl (local.get $c0) (i32.const 2))))
                  (i32.add (local.get $offs) (i32.shl (local.get $r0) (i32.const 2)))
                  (local.get $rows) (local.get $nc) (local.get $ho) (local.get $wo)
                  (local.get $ximg) (local.get $xrow) (local.get $xcol) (local.get $dystep) (local.get $dystep))
                (local.set $c0 (i32.add (local.get $c0) (i32.const 8)))
                (br $colblocks)))
            (if (i32.lt_s (local.get $co8) (local.get $co))
              (then
                (call $micro4
                  (local.get $xc)
                  (i32.add (local.get $dyc) (i32.shl (local.get $co8) (i32.const 2)))
                  (i32.add (local.get $dw)
                    (i32.add (i32.mul (local.get $r0) (local.get $dystep)) (i32.shl (local.get $co8) (i32.const 2))))
                  (i32.add (local.get $offs) (i32.shl (local.get $r0) (i32.const 2)))
                  (local.get $rows) (local.get $nc) (local.get $ho) (local.get $wo)
                  (local.get $ximg) (local.get $xrow) (local.get $xcol) (local.get $dystep) (local.get $dystep))))
            (local.set $r0 (i32.add (local.get $r0) (i32.const 4)))
            (br $rowblocks)))
        (local.set $n0 (i32.add (local.get $n0) (local.get $chunk)))
        (br $chunks)))))
