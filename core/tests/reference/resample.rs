//! Reference tests of `medprep::cpu::resample` (to be written).
