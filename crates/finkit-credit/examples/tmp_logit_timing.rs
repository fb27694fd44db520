//! Temporary timing harness (to be deleted).
use finkit_credit::LogisticParams;
use ndarray::{Array1, Array2};
use std::time::Instant;
fn main() {
    let (n, p) = (1_000_000usize, 20usize);
    let mut s: u64 = 1;
    let mut next = || { s = s.wrapping_add(0x9E37_79B9_7F4A_7C15); let mut z = s; z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9); z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB); (((z ^ (z >> 31)) >> 11) as f64 + 0.5) / (1u64 << 53) as f64 };
    let mut x = Array2::zeros((n, p));
    let mut y = Array1::zeros(n);
    for i in 0..n { let mut eta = -1.0; for j in 0..p { let v = (-2.0 * next().ln()).sqrt() * (6.283185307179586 * next()).cos(); x[(i,j)] = v; eta += 0.5 * (-1.0 + 2.0 * j as f64 / 19.0) * v; } y[i] = f64::from(u8::from(next() < 1.0/(1.0+(-eta).exp()))); }
    for l2 in [1.0, 0.0] {
        for _ in 0..3 {
            let t = Instant::now();
            let m = LogisticParams::new().l2(l2).fit(&x, &y).unwrap();
            println!("l2 {l2}: {:?} iterations {}", t.elapsed(), m.iterations());
        }
    }
    let m = LogisticParams::new().fit(&x, &y).unwrap();
    for _ in 0..3 { let t = Instant::now(); let p = m.predict_proba(&x).unwrap(); println!("predict {:?} {}", t.elapsed(), p[0]); }
}
