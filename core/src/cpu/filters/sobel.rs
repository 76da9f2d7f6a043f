//! Sobel gradient magnitude, `hypot(sobel(x, 0), sobel(x, 1))` with scipy's unnormalised
//! kernels (`[-1, 0, 1]` along the derivative axis, `[1, 2, 1]` across it) and `reflect`.

use ndarray::{Array2, ArrayView2};

use super::separable::{for_each_row, hypot, reflect, row_major, Scratch};

/// Gradient magnitude `hypot(sobel_rows, sobel_cols)` with scipy's unnormalised kernels:
/// `np.hypot(ndi.sobel(x, 0, mode="reflect"), ndi.sobel(x, 1, mode="reflect"))`.
///
/// Each derivative is rounded to f32 before its smoothing pass, as scipy stores its
/// intermediate in the float32 output.
pub fn sobel_magnitude(input: ArrayView2<'_, f32>) -> Array2<f32> {
    let (rows, cols) = input.dim();
    let mut copy = Vec::new();
    let data = row_major(&input, &mut copy);
    let row = |r: isize| {
        let r = reflect(r, rows);
        &data[r * cols..(r + 1) * cols]
    };
    let mut out = for_each_row(
        (rows, cols),
        1,
        // lines: the row derivative (padded by one), then the column derivative of the
        // rows above, at and below.
        || Scratch::new(cols, 4, 2),
        |y, s, outs| {
            let y = y as isize;
            let [dy, du, dc, dd] = &mut s.lines[..] else {
                return;
            };
            let (up, centre, down) = (row(y - 1), row(y), row(y + 1));
            for (d, (&a, &b)) in dy[1..=cols].iter_mut().zip(up.iter().zip(down)) {
                *d = f64::from((f64::from(b) - f64::from(a)) as f32);
            }
            pad(dy, cols);
            row_derivative(up, du);
            row_derivative(centre, dc);
            row_derivative(down, dd);
            for (x, o) in outs[0].iter_mut().enumerate() {
                let gy = dy[x + 1] * 2.0 + (dy[x] + dy[x + 2]);
                let gx = dc[x] * 2.0 + (du[x] + dd[x]);
                let (gx, gy) = (f64::from(gx as f32), f64::from(gy as f32));
                *o = hypot(gx, gy);
            }
        },
    );
    out.pop().unwrap_or_default()
}

/// `dst[x] = src[x + 1] - src[x - 1]` with reflected ends, rounded to f32.
fn row_derivative(src: &[f32], dst: &mut [f64]) {
    let n = src.len();
    let diff = |left: f32, right: f32| f64::from((f64::from(right) - f64::from(left)) as f32);
    let interior = src.iter().zip(src.get(2..).unwrap_or_default());
    for (d, (&a, &b)) in dst[1..].iter_mut().zip(interior) {
        *d = diff(a, b);
    }
    dst[0] = diff(src[0], src[reflect(1, n)]);
    dst[n - 1] = diff(src[reflect(n as isize - 2, n)], src[n - 1]);
}

/// Reflect margins of one sample around `line[1..=n]`.
fn pad(line: &mut [f64], n: usize) {
    line[0] = line[1];
    line[n + 1] = line[n];
}
