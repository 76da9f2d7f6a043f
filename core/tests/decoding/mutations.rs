//! Every fixture with bytes flipped, cut or duplicated at pseudo-random places must
//! decode or fail with an error, never panic. A small, deterministic stand-in for the
//! fuzzing that hostile input deserves.

use medprep::{DicomFile, Frames, Limits};

/// xorshift64*: deterministic, so a failure names a reproducible case.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn mutate(rng: &mut Rng, original: &[u8]) -> Vec<u8> {
    let mut bytes = original.to_vec();
    for _ in 0..=rng.below(4) {
        let at = rng.below(bytes.len());
        match rng.below(4) {
            0 => bytes[at] ^= 1 << rng.below(8),
            1 => bytes[at] = [0x00, 0xFF, 0x7F, 0x80][rng.below(4)],
            2 => bytes.truncate(at.max(1)),
            _ => {
                let end = (at + rng.below(64)).min(bytes.len());
                let chunk = bytes[at..end].to_vec();
                bytes.splice(at..at, chunk);
            }
        }
    }
    bytes
}

#[test]
fn mutated_fixtures_never_panic() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures");
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .expect("fixtures folder")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "dcm"))
        .collect();
    paths.sort();
    assert!(paths.len() >= 8, "all fixtures present");
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for path in paths {
        let original = std::fs::read(&path).expect("fixture");
        for case in 0..300 {
            let bytes = mutate(&mut rng, &original);
            let outcome = std::panic::catch_unwind(|| {
                if let Ok(file) = DicomFile::from_vec("m.dcm", bytes.clone()) {
                    let _ = file.metadata();
                    let _ = file.image(Frames::All, &Limits::default());
                }
            });
            if outcome.is_err() {
                let dump = std::env::temp_dir().join(format!("medprep-panic-{case}.dcm"));
                std::fs::write(&dump, &bytes).expect("write the failing input");
                panic!(
                    "{} mutation {case} panicked; input written to {}",
                    path.display(),
                    dump.display()
                );
            }
        }
    }
}
