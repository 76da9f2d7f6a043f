// Error-free transformations of f32 arithmetic: a result and its exact rounding error,
// so a sum of two f32 carries about 48 bits. They need IEEE rounding of each operation as
// written; shader compilers may simplify float expressions algebraically (Mesa's NIR
// turns (a + b) - a into b), so the intermediate values pass through `hide`, which ORs a
// run-time zero into their bits: the compiler cannot see that it changes nothing. The
// products split their factors by masking bits, so a fused multiply-add cannot change
// them either.

// x, opaque to the compiler; `zero` must be 0 at run time (a uniform the host sets).
fn hide(x: f32, zero: u32) -> f32 {
    return bitcast<f32>(bitcast<u32>(x) | zero);
}

// a + b = s + e exactly (Knuth's TwoSum), as vec2(s, e).
fn two_sum(a: f32, b: f32, zero: u32) -> vec2<f32> {
    let s = hide(a + b, zero);
    let v = hide(s - a, zero);
    return vec2<f32>(s, hide(a - hide(s - v, zero), zero) + hide(b - v, zero));
}

// The top 12 significant bits of a: the products of two such halves are exact in f32.
fn high_half(a: f32) -> f32 {
    return bitcast<f32>(bitcast<u32>(a) & 0xfffff000u);
}

// a * b = p + e exactly (Dekker's TwoProduct), as vec2(p, e).
fn two_product(a: f32, b: f32, zero: u32) -> vec2<f32> {
    let p = hide(a * b, zero);
    let ah = high_half(a);
    let al = hide(a - ah, zero);
    let bh = high_half(b);
    let bl = hide(b - bh, zero);
    let high = hide(hide(ah * bh, zero) - p, zero);
    let middle = hide(high + hide(ah * bl, zero), zero) + hide(al * bh, zero);
    return vec2<f32>(p, hide(middle, zero) + hide(al * bl, zero));
}

// The least f32 greater than x (x finite).
fn next_up(x: f32) -> f32 {
    let bits = bitcast<u32>(x);
    if x == 0.0 {
        return bitcast<f32>(1u);
    }
    return bitcast<f32>(select(bits - 1u, bits + 1u, x > 0.0));
}
