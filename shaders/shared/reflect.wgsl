// scipy.ndimage's `reflect` boundary (d c b a | a b c d | d c b a), repeated as often as a
// long kernel needs: the index of sample `i` of a line of `n` samples.
// CPU twin: cpu::filters::separable::reflect.
fn reflect_index(i: i32, n: i32) -> i32 {
    let period = 2 * n;
    var m = i % period;
    if m < 0 {
        m += period;
    }
    return select(period - 1 - m, m, m < n);
}
