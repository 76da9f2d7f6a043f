//! The agreement asked of pipeline features, shared by the comparison with scipy
//! (`reference/pipeline.rs`) and of the GPU pipeline with the CPU (`gpu/pipeline.rs`).

/// Agreement asked of every feature: `|got - want| <= ABS + REL * |want|`.
pub const ABS: f64 = 1e-4;
/// See [`ABS`].
pub const REL: f64 = 1e-3;
/// A ratio whose denominator is smaller than this fraction of its natural scale (cov:
/// mean vs sd; qcod: p75 + p25 vs iqr) amplifies last-bit differences of its inputs
/// without bound, so it is not compared. This exempts cov and qcod of the zero-mean
/// LoG maps; their inputs (mean, variance, percentiles) are compared like every feature.
pub const ILL_CONDITIONED: f64 = 1e-2;

/// Whether `got` agrees with `want` (NaN agrees with NaN only).
pub fn agree(got: f64, want: f64) -> bool {
    (got - want).abs() <= ABS + REL * want.abs() || (got.is_nan() && want.is_nan())
}

/// Whether the feature `name` (`<map>_<statistic>`) is an ill-conditioned ratio, judged
/// on the expected values, which `expected` gives by feature name.
pub fn ill_conditioned(name: &str, expected: impl Fn(&str) -> f64) -> bool {
    let Some(split) = name.rfind('_') else {
        return false;
    };
    let map = &name[..split];
    match &name[split + 1..] {
        "cov" => {
            expected(&format!("{map}_mean")).abs()
                < ILL_CONDITIONED * expected(&format!("{map}_variance")).sqrt()
        }
        "qcod" => {
            let (p25_plus_p75, iqr) = qcod_parts(
                expected(&format!("{map}_qcod")),
                expected(&format!("{map}_iqr")),
            );
            p25_plus_p75.abs() < ILL_CONDITIONED * iqr
        }
        _ => false,
    }
}

/// `(p75 + p25, iqr)` from `qcod = iqr / (p75 + p25)` and `iqr`.
fn qcod_parts(qcod: f64, iqr: f64) -> (f64, f64) {
    if qcod.is_nan() || qcod == 0.0 {
        return (0.0, iqr);
    }
    (iqr / qcod, iqr)
}
