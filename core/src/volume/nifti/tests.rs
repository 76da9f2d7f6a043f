//! Headers are built byte by byte here from the NIfTI-1 and NIfTI-2 layouts, and the
//! expected values and geometry worked out by hand from the standard's formulas.

use std::path::PathBuf;

use super::*;

/// A header under construction, in either byte order.
struct Build {
    bytes: Vec<u8>,
    big: bool,
}

impl Build {
    fn put(&mut self, at: usize, mut raw: Vec<u8>) -> &mut Self {
        if self.big {
            raw.reverse();
        }
        if self.bytes.len() < at + raw.len() {
            self.bytes.resize(at + raw.len(), 0);
        }
        self.bytes[at..at + raw.len()].copy_from_slice(&raw);
        self
    }
    fn i16(&mut self, at: usize, v: i16) -> &mut Self {
        self.put(at, v.to_le_bytes().to_vec())
    }
    fn i32(&mut self, at: usize, v: i32) -> &mut Self {
        self.put(at, v.to_le_bytes().to_vec())
    }
    fn i64(&mut self, at: usize, v: i64) -> &mut Self {
        self.put(at, v.to_le_bytes().to_vec())
    }
    fn f32(&mut self, at: usize, v: f32) -> &mut Self {
        self.put(at, v.to_le_bytes().to_vec())
    }
    fn f64(&mut self, at: usize, v: f64) -> &mut Self {
        self.put(at, v.to_le_bytes().to_vec())
    }
    fn raw(&mut self, at: usize, v: &[u8]) -> &mut Self {
        self.bytes[at..at + v.len()].copy_from_slice(v);
        self
    }
}

/// A NIfTI-1 header (352 bytes with the extension flag) of `dims` voxels of `datatype`,
/// 1 mm spacing, no transform, voxels at 352.
fn nifti1(dims: &[i16], datatype: i16, bits: i16, big: bool) -> Build {
    let mut b = Build {
        bytes: vec![0; 352],
        big,
    };
    b.i32(0, 348).i16(40, dims.len() as i16);
    for (i, &d) in dims.iter().enumerate() {
        b.i16(42 + 2 * i, d);
    }
    b.i16(70, datatype).i16(72, bits);
    for i in 0..8 {
        b.f32(76 + 4 * i, 1.0);
    }
    b.f32(108, 352.0).raw(344, b"n+1\0");
    b
}

/// A NIfTI-2 header (544 bytes with the extension flag), voxels at 544.
fn nifti2(dims: &[i64], datatype: i16, bits: i16, big: bool) -> Build {
    let mut b = Build {
        bytes: vec![0; 544],
        big,
    };
    b.i32(0, 540)
        .raw(4, NIFTI2_MAGIC)
        .i16(12, datatype)
        .i16(14, bits);
    b.i64(16, dims.len() as i64);
    for (i, &d) in dims.iter().enumerate() {
        b.i64(24 + 8 * i, d);
    }
    for i in 0..8 {
        b.f64(104 + 8 * i, 1.0);
    }
    b.i64(168, 544);
    b
}

fn parse(bytes: &[u8]) -> Result<Image, NiftiError> {
    Image::read(bytes, Some(bytes.len() as u64), &Limits::default())
}

fn values(image: &Image) -> Vec<f64> {
    image.decode(0, |v| v)
}

/// A fresh path in the system's temporary folder.
fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("medprep-nifti-{}", std::process::id()));
    std::fs::create_dir_all(&dir).ok();
    dir.join(name)
}

#[test]
fn every_datatype_in_both_byte_orders() {
    let cases: [(i16, i16, Vec<u8>, [f64; 2]); 10] = [
        (2, 8, vec![7, 250], [7.0, 250.0]),
        (256, 8, vec![0xF9, 5], [-7.0, 5.0]),
        (
            4,
            16,
            [(-300i16).to_le_bytes(), 2i16.to_le_bytes()].concat(),
            [-300.0, 2.0],
        ),
        (
            512,
            16,
            [60000u16.to_le_bytes(), 1u16.to_le_bytes()].concat(),
            [60000.0, 1.0],
        ),
        (
            8,
            32,
            [(-70000i32).to_le_bytes(), 3i32.to_le_bytes()].concat(),
            [-70000.0, 3.0],
        ),
        (
            768,
            32,
            [4_000_000_000u32.to_le_bytes(), 0u32.to_le_bytes()].concat(),
            [4e9, 0.0],
        ),
        (
            1024,
            64,
            [(-5i64).to_le_bytes(), (1i64 << 40).to_le_bytes()].concat(),
            [-5.0, 1099511627776.0],
        ),
        (
            1280,
            64,
            [(1u64 << 63).to_le_bytes(), 9u64.to_le_bytes()].concat(),
            [9223372036854775808.0, 9.0],
        ),
        (
            16,
            32,
            [1.5f32.to_le_bytes(), (-0.25f32).to_le_bytes()].concat(),
            [1.5, -0.25],
        ),
        (
            64,
            64,
            [1e300f64.to_le_bytes(), 0.1f64.to_le_bytes()].concat(),
            [1e300, 0.1],
        ),
    ];
    for (code, bits, data, expected) in cases {
        let width = data.len() / 2;
        for big in [false, true] {
            let mut file = nifti1(&[2, 1, 1], code, bits, big).bytes;
            for sample in data.chunks(width) {
                let mut sample = sample.to_vec();
                if big {
                    sample.reverse();
                }
                file.extend(sample);
            }
            let image = parse(&file).unwrap_or_else(|e| panic!("datatype {code}: {e}"));
            assert_eq!(
                values(&image),
                expected,
                "datatype {code}, big-endian {big}"
            );
        }
    }
}

#[test]
fn nifti2_big_endian_with_scaling() {
    let mut b = nifti2(&[2, 1, 1], 4, 16, true);
    b.f64(176, 0.5).f64(184, -1024.0);
    let mut file = b.bytes.clone();
    file.extend([0x01, 0x00, 0xFF, 0xFE]); // 256 and -2, big-endian
    let image = parse(&file).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(values(&image), [256.0 * 0.5 - 1024.0, -2.0 * 0.5 - 1024.0]);
}

#[test]
fn a_zero_or_non_finite_slope_means_no_scaling() {
    for slope in [0.0f32, f32::NAN, f32::INFINITY] {
        let mut b = nifti1(&[1, 1, 1], 2, 8, false);
        b.f32(112, slope).f32(116, 5.0);
        let mut file = b.bytes.clone();
        file.push(3);
        let image = parse(&file).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(values(&image), [3.0], "slope {slope}");
    }
    let mut b = nifti1(&[1, 1, 1], 2, 8, false);
    b.f32(112, 2.0).f32(116, f32::NAN);
    let mut file = b.bytes.clone();
    file.push(3);
    assert!(matches!(
        parse(&file).err(),
        Some(NiftiError::NonFinite {
            field: "scl_inter",
            ..
        })
    ));
}

#[test]
fn gzip_is_recognised_by_content_not_name() {
    let mut file = nifti1(&[2, 1, 1], 2, 8, false).bytes;
    file.extend([4, 9]);
    let mut gz = GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&file).ok();
    let path = temp("gzipped-but-named.nii");
    std::fs::write(&path, gz.finish().unwrap_or_default()).ok();
    let volumes = read_nifti(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(volumes[0].voxels, [4.0, 9.0]);
    // A gzip stream cut short is truncated data, not a panic.
    let full = std::fs::read(&path).unwrap_or_default();
    std::fs::write(&path, &full[..full.len() / 2]).ok();
    assert!(read_nifti(&path).is_err());
}

#[test]
fn truncated_headers_and_data_are_errors() {
    let mut file = nifti1(&[2, 2, 1], 4, 16, false).bytes;
    file.extend([0u8; 8]);
    for cut in 0..file.len() {
        let err = parse(&file[..cut]).err();
        assert!(
            matches!(
                err,
                Some(NiftiError::Truncated { .. }) | Some(NiftiError::Header(_))
            ),
            "cut at {cut}: {err:?}"
        );
    }
    let err = parse(&file[..100])
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        err.contains("header needs 348 bytes but the file holds 100"),
        "{err}"
    );
    let err = parse(&file[..355])
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        err.contains("voxel data needs 360 bytes but the file holds 355"),
        "{err}"
    );
}

#[test]
fn a_wrong_header_size_or_magic_is_named() {
    let mut b = nifti1(&[1, 1, 1], 2, 8, false);
    b.i32(0, 349);
    let err = parse(&b.bytes)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(err.contains("sizeof_hdr is 349"), "{err}");
    let mut b = nifti1(&[1, 1, 1], 2, 8, false);
    b.raw(344, b"ni1\0");
    assert!(matches!(
        parse(&b.bytes).err(),
        Some(NiftiError::Unsupported(_))
    ));
    b.raw(344, b"\0\0\0\0");
    assert!(matches!(
        parse(&b.bytes).err(),
        Some(NiftiError::NotNifti(_))
    ));
    let mut b = nifti2(&[1, 1, 1], 2, 8, false);
    b.raw(8, b"\n\n\n\n");
    let err = parse(&b.bytes)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(err.contains("line-ending"), "{err}");
}

#[test]
fn bad_dimensions_are_errors() {
    for dims in [vec![0i16, 2, 2], vec![2, -1, 2]] {
        let b = nifti1(&dims, 2, 8, false);
        let err = parse(&b.bytes)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.contains("every dimension must hold at least one voxel"),
            "{dims:?}: {err}"
        );
    }
    let mut b = nifti1(&[1, 1, 1], 2, 8, false);
    b.i16(40, 8);
    let err = parse(&b.bytes)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(err.contains("dim[0] is 8"), "{err}");
    // NIfTI-2 sizes whose product overflows u64: refused before any allocation.
    let b = nifti2(&[1 << 40, 1 << 40, 1 << 40], 16, 32, false);
    assert!(matches!(
        parse(&b.bytes).err(),
        Some(NiftiError::TooLarge {
            voxels: u64::MAX,
            ..
        })
    ));
    let b = nifti1(&[100, 100, 100], 16, 32, false);
    let small = Limits {
        max_samples: 999_999,
    };
    assert!(matches!(
        Image::read(&b.bytes[..], None, &small).err(),
        Some(NiftiError::TooLarge {
            voxels: 1_000_000,
            limit: 999_999
        })
    ));
    let b = nifti1(&[2, 2, 2, 1, 3], 2, 8, false);
    let err = parse(&b.bytes)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(err.contains("dim[5] is 3"), "{err}");
}

#[test]
fn bad_voxel_offsets_are_errors() {
    let mut b = nifti1(&[1, 1, 1], 2, 8, false);
    b.f32(108, 1e6);
    let err = parse(&b.bytes)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        err.contains("vox_offset 1000000 lies beyond the end of the file"),
        "{err}"
    );
    // The same through a stream of unknown length (a gzip file).
    let err = Image::read(&b.bytes[..], None, &Limits::default())
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(err.contains("lies beyond the end of the data"), "{err}");
    for offset in [100.0, 352.5] {
        b.f32(108, offset);
        assert!(
            matches!(parse(&b.bytes).err(), Some(NiftiError::Header(_))),
            "{offset}"
        );
    }
    b.f32(108, f32::NAN);
    assert!(matches!(
        parse(&b.bytes).err(),
        Some(NiftiError::NonFinite {
            field: "vox_offset",
            ..
        })
    ));
    // Extension bytes between the header and the voxels are skipped.
    let mut b = nifti1(&[1, 1, 1], 2, 8, false);
    b.f32(108, 368.0);
    let mut file = b.bytes.clone();
    file.extend([1u8; 16]);
    file.push(42);
    assert_eq!(parse(&file).map(|i| values(&i)).ok(), Some(vec![42.0]));
}

#[test]
fn non_finite_pixdim_and_unsupported_datatypes_are_named() {
    let mut b = nifti1(&[1, 1, 1], 2, 8, false);
    b.f32(84, f32::INFINITY);
    b.bytes.push(0);
    let err = parse(&b.bytes)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(err.contains("pixdim[2] is inf"), "{err}");
    let b = nifti1(&[1, 1, 1], 32, 64, false);
    let err = parse(&b.bytes)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(err.contains("datatype 32 (complex64)"), "{err}");
}

#[test]
fn four_dimensional_files_give_one_volume_per_time_point() {
    let mut file = nifti1(&[2, 1, 1, 3], 2, 8, false).bytes;
    file.extend([1, 2, 3, 4, 5, 6]);
    let path = temp("four-d.nii");
    std::fs::write(&path, &file).ok();
    let volumes = read_nifti(&path).unwrap_or_else(|e| panic!("{e}"));
    let voxels: Vec<Vec<f32>> = volumes.iter().map(|v| v.voxels.clone()).collect();
    assert_eq!(voxels, [vec![1.0, 2.0], vec![3.0, 4.0], vec![5.0, 6.0]]);
}

fn close(a: &[f64], b: &[f64]) -> bool {
    a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-6)
}

#[test]
fn a_qform_rotation_becomes_lps_with_qfac() {
    // A quarter turn about z: (b, c, d) = (0, 0, sin 45°). In RAS the x index axis points
    // along +y and the y axis along -x; LPS negates x and y.
    let mut b = nifti1(&[2, 2, 2], 2, 8, false);
    b.i16(252, 1).f32(264, std::f32::consts::FRAC_1_SQRT_2);
    b.f32(80, 0.5).f32(84, 0.75).f32(88, 2.0);
    b.f32(268, 10.0).f32(272, 20.0).f32(276, 30.0);
    b.bytes.extend([0u8; 8]);
    let grid = parse(&b.bytes)
        .map(|i| i.grid)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(close(&grid.spacing, &[0.5, 0.75, 2.0]), "{grid:?}");
    assert!(close(&grid.origin, &[-10.0, -20.0, 30.0]), "{grid:?}");
    assert!(
        close(
            &grid.direction,
            &[0.0, 1.0, 0.0, -1.0, 0.0, 0.0, 0.0, 0.0, 1.0]
        ),
        "{grid:?}"
    );
    // qfac -1 negates the z column.
    b.f32(76, -1.0);
    let grid = parse(&b.bytes)
        .map(|i| i.grid)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        close(
            &grid.direction,
            &[0.0, 1.0, 0.0, -1.0, 0.0, 0.0, 0.0, 0.0, -1.0]
        ),
        "{grid:?}"
    );
    // Both codes unknown: origin 0, identity, spacing still from pixdim; metres become mm.
    b.i16(252, 0).raw(123, &[1]);
    let grid = parse(&b.bytes)
        .map(|i| i.grid)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(close(&grid.spacing, &[500.0, 750.0, 2000.0]), "{grid:?}");
    assert!(close(&grid.origin, &[0.0; 3]) && close(&grid.direction, &Grid::IDENTITY));
}

/// An image with a qform (identity rotation, offset 1, 2, 3) and a sform (a reflection of
/// x, offset 7, 8, 9) under the given codes.
fn two_transforms(qform_code: i16, sform_code: i16, shear: f32) -> Grid {
    let mut b = nifti1(&[1, 1, 1], 2, 8, false);
    b.i16(252, qform_code).i16(254, sform_code);
    b.f32(268, 1.0).f32(272, 2.0).f32(276, 3.0);
    let srow = [
        [-1.0, shear, 0.0, 7.0],
        [0.0, 1.0, 0.0, 8.0],
        [0.0, 0.0, 1.0, 9.0],
    ];
    for (r, row) in srow.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            b.f32(280 + 16 * r + 4 * c, *v);
        }
    }
    b.bytes.push(0);
    parse(&b.bytes)
        .map(|i| i.grid)
        .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn which_transform_wins() {
    let sform = (
        [-7.0, -8.0, 9.0],
        [1.0, 0.0, 0.0, 0.0, -1.0, 0.0, 0.0, 0.0, 1.0],
    );
    let qform = (
        [-1.0, -2.0, 3.0],
        [-1.0, 0.0, 0.0, 0.0, -1.0, 0.0, 0.0, 0.0, 1.0],
    );
    for (q, s, want) in [
        (0, 2, sform),
        (1, 1, sform),
        (2, 1, sform),
        (1, 2, qform),
        (3, 4, qform),
        (1, 0, qform),
    ] {
        let grid = two_transforms(q, s, 0.0);
        assert!(
            close(&grid.origin, &want.0) && close(&grid.direction, &want.1),
            "qform_code {q}, sform_code {s}: {grid:?}"
        );
    }
    // A sheared sform loses to the qform even with code 1, and alone is refused.
    let grid = two_transforms(1, 1, 0.5);
    assert!(close(&grid.origin, &qform.0), "{grid:?}");
    let mut b = nifti1(&[1, 1, 1], 2, 8, false);
    b.i16(254, 1)
        .f32(280, 1.0)
        .f32(284, 0.5)
        .f32(300, 1.0)
        .f32(320, 1.0);
    b.bytes.push(0);
    assert!(matches!(
        parse(&b.bytes).err(),
        Some(NiftiError::NotOrthonormal)
    ));
}

#[test]
fn a_negative_pixdim_flips_its_axis() {
    let mut b = nifti1(&[1, 1, 1], 2, 8, false);
    b.f32(80, -2.0);
    b.bytes.push(0);
    let grid = parse(&b.bytes)
        .map(|i| i.grid)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(close(&grid.spacing, &[2.0, 1.0, 1.0]));
    assert!(
        close(
            &grid.direction,
            &[-1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0]
        ),
        "{grid:?}"
    );
}

fn oblique_grid(left_handed: bool) -> Grid {
    // A rotation of 30° about x, then 20° about z; z negated for a left-handed grid.
    let (c1, s1) = (30f64.to_radians().cos(), 30f64.to_radians().sin());
    let (c2, s2) = (20f64.to_radians().cos(), 20f64.to_radians().sin());
    let rx = [[1.0, 0.0, 0.0], [0.0, c1, -s1], [0.0, s1, c1]];
    let rz = [[c2, -s2, 0.0], [s2, c2, 0.0], [0.0, 0.0, 1.0]];
    let mut direction = [0.0; 9];
    for r in 0..3 {
        for c in 0..3 {
            let v: f64 = (0..3).map(|k| rz[r][k] * rx[k][c]).sum();
            direction[3 * r + c] = if left_handed && c == 2 { -v } else { v };
        }
    }
    Grid {
        size: [3, 4, 2],
        spacing: [0.7, 0.8, 2.5],
        origin: [-120.5, 33.25, 400.0],
        direction,
    }
}

#[test]
fn written_files_read_back_with_the_same_grid() {
    for (left_handed, name) in [(false, "round.nii"), (true, "round.nii.gz")] {
        let grid = oblique_grid(left_handed);
        let volume = Volume {
            voxels: (0..grid.len()).map(|i| i as f32 * 1.5 - 3.0).collect(),
            grid,
        };
        let path = temp(name);
        write_nifti(&volume, &path).unwrap_or_else(|e| panic!("{e}"));
        let gzip = std::fs::read(&path)
            .map(|b| b.starts_with(&[0x1f, 0x8b]))
            .ok();
        assert_eq!(gzip, Some(name.ends_with(".gz")));
        let back = read_nifti(&path).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back.len(), 1);
        assert_eq!(back[0].voxels, volume.voxels);
        assert!(
            back[0].grid.matches(&volume.grid, 1e-3),
            "{:?}",
            back[0].grid
        );
        // The qform alone gives the same grid (float32 quaternion precision).
        let mut bytes = std::fs::read(&path).unwrap_or_default();
        if name.ends_with(".gz") {
            let mut plain = Vec::new();
            MultiGzDecoder::new(&bytes[..]).read_to_end(&mut plain).ok();
            bytes = plain;
        }
        bytes[254] = 0;
        let qform_only = parse(&bytes)
            .map(|i| i.grid)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(qform_only.matches(&volume.grid, 1e-3), "{qform_only:?}");
    }
}

#[test]
fn written_masks_are_uint8() {
    let grid = oblique_grid(false);
    let mask = Mask {
        voxels: (0..grid.len()).map(|i| i % 3 == 0).collect(),
        grid,
        roi: "1".into(),
    };
    let path = temp("mask.nii");
    write_nifti_mask(&mask, &path).unwrap_or_else(|e| panic!("{e}"));
    let bytes = std::fs::read(&path).unwrap_or_default();
    assert_eq!(i16::from_le_bytes([bytes[70], bytes[71]]), 2);
    let back = read_label_mask(&path, &mask.grid, None).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(back.voxels, mask.voxels);
    assert_eq!(back.roi, "1");
}

#[test]
fn writing_refuses_what_nifti1_cannot_hold() {
    let mut grid = oblique_grid(false);
    grid.size = [40_000, 1, 1];
    let volume = Volume {
        voxels: vec![0.0; 40_000],
        grid,
    };
    let err = write_nifti(&volume, temp("wide.nii"))
        .err()
        .map(|e| e.to_string());
    assert!(err
        .unwrap_or_default()
        .contains("40000 voxels along axis 0"));
}

#[test]
fn label_maps_choose_one_label() {
    let grid = Grid {
        size: [4, 1, 1],
        spacing: [1.0; 3],
        origin: [0.0; 3],
        direction: Grid::IDENTITY,
    };
    let write_labels = |name: &str, labels: [u8; 4]| {
        let mut file = nifti1(&[4, 1, 1], 2, 8, false).bytes;
        file.extend(labels);
        let path = temp(name);
        std::fs::write(&path, file).ok();
        path
    };
    let two = write_labels("two.nii", [0, 2, 5, 2]);
    let mask = read_label_mask(&two, &grid, Some(2)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        (mask.voxels, mask.roi),
        (vec![false, true, false, true], "2".to_owned())
    );
    let err = read_label_mask(&two, &grid, None)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(err.contains(r#"2 "2", 5 "5""#), "{err}");
    let err = read_label_mask(&two, &grid, Some(3))
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        err.contains("no ROI number 3") && err.contains(r#"5 "5""#),
        "{err}"
    );
    let empty = write_labels("empty.nii", [0; 4]);
    assert!(matches!(
        read_label_mask(&empty, &grid, None),
        Err(NiftiError::Mask(MaskError::EmptyRoi { .. }))
    ));
    let mut moved = grid.clone();
    moved.origin[2] = 0.5;
    let err = read_label_mask(&two, &moved, Some(2))
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        err.contains("origin [0.0, 0.0, 0.0]") && err.contains("origin [0.0, 0.0, 0.5]"),
        "{err}"
    );
    // Scaled values that are not whole numbers are not labels.
    let mut b = nifti1(&[4, 1, 1], 2, 8, false);
    b.f32(112, 0.5);
    let mut file = b.bytes.clone();
    file.extend([0, 1, 2, 3]);
    let path = temp("half.nii");
    std::fs::write(&path, file).ok();
    assert!(matches!(
        read_label_mask(&path, &grid, None),
        Err(NiftiError::NotLabels(_))
    ));
}
