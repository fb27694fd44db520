//! Temporary timing harness (to be deleted).
#![allow(missing_docs)]
use finkit_credit::LogisticParams;
use ndarray::{Array1, Array2};
use std::time::Instant;
const N: usize = 1_000_000;
const P: usize = 20;
struct SplitMix(u64);
impl SplitMix {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn uniform(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
}
fn synthetic(seed: u64) -> (Array2<f64>, Array1<f64>) {
    let mut rng = SplitMix(seed);
    let beta: Vec<f64> = (0..P).map(|j| -1.0 + 2.0 * j as f64 / (P - 1) as f64).collect();
    let mut x = Array2::zeros((N, P));
    let mut y = Array1::zeros(N);
    for i in 0..N {
        let mut eta = -1.0;
        for j in 0..P {
            let v = rng.normal();
            x[(i, j)] = v;
            eta += 0.5 * beta[j] * v;
        }
        y[i] = f64::from(u8::from(rng.uniform() < 1.0 / (1.0 + (-eta).exp())));
    }
    (x, y)
}
fn main() {
    if std::env::var("MICRO").is_ok() {
        micro();
        return;
    }
    if std::env::var("MICRO3").is_ok() {
        micro3();
        return;
    }
    if std::env::var("MICRO2").is_ok() {
        micro2();
        return;
    }
    let (x, y) = synthetic(20_240_601);
    let reps: usize = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(7);
    for (name, params) in [("l2", LogisticParams::new().l2(1.0)), ("mle", LogisticParams::new())] {
        let mut ts = vec![];
        let mut m = None;
        for _ in 0..reps {
            let t = Instant::now();
            m = Some(params.fit(&x, &y).unwrap());
            ts.push(t.elapsed().as_secs_f64() * 1e3);
        }
        ts.sort_by(f64::total_cmp);
        let m = m.unwrap();
        println!(
            "{name}: median {:.1} ms min {:.1} ms iters {} ll {:.10} b1 {:.12} se1 {:.12}",
            ts[reps / 2],
            ts[0],
            m.iterations(),
            m.log_likelihood(),
            m.params()[1],
            m.std_errors()[1]
        );
    }
}
#[allow(dead_code)]
pub fn micro() {
    let (x, _y) = synthetic(1);
    let d = x.as_slice().unwrap();
    for _ in 0..3 {
        let t = Instant::now();
        let mut acc = [0.0f64; 8];
        for c in d.chunks_exact(8) {
            for k in 0..8 {
                acc[k] += c[k];
            }
        }
        println!("sum 160MB {:.2} ms {}", t.elapsed().as_secs_f64() * 1e3, acc.iter().sum::<f64>());
        let t = Instant::now();
        let mut s = 0.0;
        for i in 0..1_000_000 {
            let e = (-(d[i]).abs()).exp();
            s += e.ln_1p();
        }
        println!("1e6 exp+ln_1p {:.2} ms {s}", t.elapsed().as_secs_f64() * 1e3);
        let t = Instant::now();
        let mut s = 0.0;
        for i in 0..1_000_000 {
            let e = (-(d[i]).abs()).exp();
            s += e;
        }
        println!("1e6 exp {:.2} ms {s}", t.elapsed().as_secs_f64() * 1e3);
    }
}
#[allow(dead_code)]
pub fn micro2() {
    let (x, _y) = synthetic(1);
    let d = x.as_slice().unwrap();
    for _ in 0..3 {
        let t = Instant::now();
        let mut s = 0.0;
        for i in 0..1_000_000 {
            let e = (-(d[i]).abs()).exp();
            let u = 1.0 + e;
            s += if u == 1.0 { e } else { u.ln() * (e / (u - 1.0)) };
        }
        println!("1e6 exp+goldberg {:.2} ms {s}", t.elapsed().as_secs_f64() * 1e3);
        let t = Instant::now();
        let mut s = 0.0;
        for i in 0..1_000_000 {
            let e = (-(d[i]).abs()).exp();
            s += e.ln_1p();
        }
        println!("1e6 exp+ln_1p {:.2} ms {s}", t.elapsed().as_secs_f64() * 1e3);
        let mut maxerr = 0.0f64;
        for i in 0..1_000_000 {
            let e = (-(d[i]).abs()).exp();
            let u = 1.0 + e;
            let g = if u == 1.0 { e } else { u.ln() * (e / (u - 1.0)) };
            maxerr = maxerr.max(((g - e.ln_1p()) / e.ln_1p()).abs());
        }
        println!("max rel err {maxerr:e}");
    }
}
const T: usize = 64;
#[inline(never)]
fn syrk33(at: &[f64], kp: usize, h: &mut [f64]) {
    for bi in (0..kp).step_by(3) {
        let a0 = &at[bi * T..(bi + 1) * T];
        let a1 = &at[(bi + 1) * T..(bi + 2) * T];
        let a2 = &at[(bi + 2) * T..(bi + 3) * T];
        for bj in (bi..kp).step_by(3) {
            let b0 = &at[bj * T..(bj + 1) * T];
            let b1 = &at[(bj + 1) * T..(bj + 2) * T];
            let b2 = &at[(bj + 2) * T..(bj + 3) * T];
            let mut acc = [[[0.0f64; 2]; 3]; 3];
            for ((((((x0, x1), x2), y0), y1), y2)) in a0
                .chunks_exact(2)
                .zip(a1.chunks_exact(2))
                .zip(a2.chunks_exact(2))
                .zip(b0.chunks_exact(2))
                .zip(b1.chunks_exact(2))
                .zip(b2.chunks_exact(2))
            {
                let xs = [x0, x1, x2];
                let ys = [y0, y1, y2];
                for ii in 0..3 {
                    for jj in 0..3 {
                        for l in 0..2 {
                            acc[ii][jj][l] += xs[ii][l] * ys[jj][l];
                        }
                    }
                }
            }
            for ii in 0..3 {
                for jj in 0..3 {
                    h[(bi + ii) * kp + bj + jj] += acc[ii][jj][0] + acc[ii][jj][1];
                }
            }
        }
    }
}
#[inline(never)]
fn syrk44(at: &[f64], kp: usize, h: &mut [f64]) {
    for bi in (0..kp).step_by(4) {
        let a: [&[f64]; 4] = std::array::from_fn(|q| &at[(bi + q) * T..(bi + q + 1) * T]);
        for bj in (bi..kp).step_by(4) {
            let b: [&[f64]; 4] = std::array::from_fn(|q| &at[(bj + q) * T..(bj + q + 1) * T]);
            let mut acc = [[[0.0f64; 4]; 4]; 4];
            for c in 0..T / 4 {
                let xs: [[f64; 4]; 4] =
                    std::array::from_fn(|q| a[q][c * 4..c * 4 + 4].try_into().unwrap());
                let ys: [[f64; 4]; 4] =
                    std::array::from_fn(|q| b[q][c * 4..c * 4 + 4].try_into().unwrap());
                for ii in 0..4 {
                    for jj in 0..4 {
                        for l in 0..4 {
                            acc[ii][jj][l] += xs[ii][l] * ys[jj][l];
                        }
                    }
                }
            }
            for ii in 0..4 {
                for jj in 0..4 {
                    h[(bi + ii) * kp + bj + jj] +=
                        (acc[ii][jj][0] + acc[ii][jj][1]) + (acc[ii][jj][2] + acc[ii][jj][3]);
                }
            }
        }
    }
}
#[allow(dead_code)]
pub fn micro3() {
    let (x, _y) = synthetic(1);
    let d = x.as_slice().unwrap();
    let k = 21;
    for _ in 0..3 {
        // GEMM full on 2048-row blocks of A (row-major, k cols)
        let t = Instant::now();
        let mut buf = vec![0.0; 2048 * k];
        let mut tot = vec![0.0; k * k];
        for blk in d.chunks_exact(2048 * 20) {
            for r in 0..2048 {
                buf[r * k] = 1.0;
                buf[r * k + 1..r * k + k].copy_from_slice(&blk[r * 20..r * 20 + 20]);
            }
            let a = ndarray::ArrayView2::from_shape((2048, k), &buf).unwrap();
            let mut h = ndarray::Array2::<f64>::zeros((k, k));
            ndarray::linalg::general_mat_mul(1.0, &a.t(), &a, 0.0, &mut h);
            for (t, v) in tot.iter_mut().zip(h.iter()) {
                *t += v;
            }
        }
        println!("gemm full {:.2} ms {}", t.elapsed().as_secs_f64() * 1e3, tot[k * k - 1]);
        let t = Instant::now();
        let mut tot = vec![0.0; k * k];
        for blk in d.chunks_exact(2048 * 20) {
            for r in 0..2048 {
                buf[r * k] = 1.0;
                buf[r * k + 1..r * k + k].copy_from_slice(&blk[r * 20..r * 20 + 20]);
            }
            let a = ndarray::ArrayView2::from_shape((2048, k), &buf).unwrap();
            let mut h = ndarray::Array2::<f64>::zeros((k, k));
            for i0 in (0..k).step_by(8) {
                let i1 = (i0 + 8).min(k);
                let lhs = a.slice_axis(ndarray::Axis(1), ndarray::Slice::from(i0..i1));
                let rhs = a.slice_axis(ndarray::Axis(1), ndarray::Slice::from(i0..));
                let mut hv = h.slice_axis_mut(ndarray::Axis(0), ndarray::Slice::from(i0..i1));
                let mut hv = hv.slice_axis_mut(ndarray::Axis(1), ndarray::Slice::from(i0..));
                ndarray::linalg::general_mat_mul(1.0, &lhs.t(), &rhs, 0.0, &mut hv);
            }
            for (t, v) in tot.iter_mut().zip(h.iter()) {
                *t += v;
            }
        }
        println!("gemm tri {:.2} ms {}", t.elapsed().as_secs_f64() * 1e3, tot[k * k - 1]);
        for (name, kp, f) in [
            ("syrk33", 21usize, syrk33 as fn(&[f64], usize, &mut [f64])),
            ("syrk44", 24, syrk44),
            ("syrk33b", 21, syrk33b),
            ("noop", 21, noop),
        ] {
            let t = Instant::now();
            let mut at = vec![0.0; kp * T];
            let mut h = vec![0.0; kp * kp];
            for blk in d.chunks_exact(T * 20) {
                for r in 0..T {
                    at[r] = 1.0;
                    for j in 0..20 {
                        at[(j + 1) * T + r] = blk[r * 20 + j];
                    }
                }
                f(&at, kp, &mut h);
            }
            println!("{name} {:.2} ms {}", t.elapsed().as_secs_f64() * 1e3, h[20 * kp + 20]);
        }
    }
}
#[inline(never)]
fn syrk33b(at: &[f64], kp: usize, h: &mut [f64]) {
    let cols: Vec<&[f64; T]> = at.chunks_exact(T).map(|c| c.try_into().unwrap()).collect();
    for bi in (0..kp).step_by(3) {
        let (a0, a1, a2) = (cols[bi], cols[bi + 1], cols[bi + 2]);
        for bj in (bi..kp).step_by(3) {
            let (b0, b1, b2) = (cols[bj], cols[bj + 1], cols[bj + 2]);
            let mut c = [[0.0f64; 2]; 9];
            let mut r = 0;
            while r < T {
                for l in 0..2 {
                    let (x0, x1, x2) = (a0[r + l], a1[r + l], a2[r + l]);
                    let (y0, y1, y2) = (b0[r + l], b1[r + l], b2[r + l]);
                    c[0][l] += x0 * y0;
                    c[1][l] += x0 * y1;
                    c[2][l] += x0 * y2;
                    c[3][l] += x1 * y0;
                    c[4][l] += x1 * y1;
                    c[5][l] += x1 * y2;
                    c[6][l] += x2 * y0;
                    c[7][l] += x2 * y1;
                    c[8][l] += x2 * y2;
                }
                r += 2;
            }
            for ii in 0..3 {
                for jj in 0..3 {
                    h[(bi + ii) * kp + bj + jj] += c[ii * 3 + jj][0] + c[ii * 3 + jj][1];
                }
            }
        }
    }
}
#[inline(never)]
fn noop(at: &[f64], _kp: usize, h: &mut [f64]) {
    h[0] += at[5];
}
