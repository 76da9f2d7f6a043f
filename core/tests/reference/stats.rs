//! Reference tests of `medprep::cpu::stats` (to be written).
