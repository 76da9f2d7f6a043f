//! Reference tests of `medprep::cpu::filters` (to be written).
