//! A picture of a scan with its ROI outlines, so a person checks at a glance that each
//! mask sits where it should (series mode writes one per scan).
//!
//! Up to [`MAX_TILES`] slices, evenly spaced over the slices the ROIs cover (over the
//! whole scan when there is no ROI), each shrunk by a whole factor to at most
//! [`TILE_SIZE`] pixels and laid out in a near-square grid. Grey levels map the scan's
//! 1st to 99th percentile (a robust window for any modality) to black..white; each ROI's
//! outline (ROI voxels with an in-plane neighbour outside it) is drawn in its own colour
//! over the tile pixels it falls in. Slices are shown as stored: row 0 at the top,
//! column 0 on the left.

use anyhow::{Context, Result};
use image::codecs::png::PngEncoder;
use image::{ImageEncoder, Rgb, RgbImage};
use medprep::{Mask, Volume};

/// Most slices in a montage.
pub const MAX_TILES: usize = 16;
/// Largest side of a tile, in pixels.
pub const TILE_SIZE: usize = 256;
/// Pixels between tiles.
const GAP: usize = 4;
/// Outline colours, one per ROI in order (then repeating).
const COLOURS: [[u8; 3]; 6] = [
    [255, 40, 40],
    [40, 220, 40],
    [60, 140, 255],
    [255, 200, 0],
    [255, 0, 255],
    [0, 230, 230],
];

/// The PNG bytes of the montage of `volume` with the outlines of `masks` (each on the
/// volume's grid; others are left out).
pub fn montage_png(volume: &Volume, masks: &[&Mask]) -> Result<Vec<u8>> {
    let image = montage(volume, masks);
    let mut bytes = Vec::new();
    PngEncoder::new(&mut bytes)
        .write_image(
            image.as_raw(),
            image.width(),
            image.height(),
            image::ExtendedColorType::Rgb8,
        )
        .context("encoding the montage PNG")?;
    Ok(bytes)
}

/// The montage as an RGB image.
fn montage(volume: &Volume, masks: &[&Mask]) -> RgbImage {
    let [nx, ny, nz] = volume.grid.size;
    let masks: Vec<&Mask> = masks
        .iter()
        .copied()
        .filter(|m| m.grid.size == volume.grid.size)
        .collect();
    let slices = chosen_slices(nz, nx * ny, &masks);
    let factor = nx.max(ny).div_ceil(TILE_SIZE).max(1);
    let (tile_w, tile_h) = (nx.div_ceil(factor), ny.div_ceil(factor));
    let columns = (slices.len() as f64).sqrt().ceil().max(1.0) as usize;
    let rows = slices.len().div_ceil(columns).max(1);
    let width = columns * tile_w + (columns + 1) * GAP;
    let height = rows * tile_h + (rows + 1) * GAP;
    let mut image = RgbImage::from_pixel(to_u32(width), to_u32(height), Rgb([24, 24, 24]));
    let (low, high) = window(&volume.voxels);
    let scale = if high > low {
        255.0 / (high - low)
    } else {
        0.0
    };
    let plane = nx * ny;
    for (t, &z) in slices.iter().enumerate() {
        let (x0, y0) = (
            GAP + (t % columns) * (tile_w + GAP),
            GAP + (t / columns) * (tile_h + GAP),
        );
        let values = &volume.voxels[z * plane..(z + 1) * plane];
        for ty in 0..tile_h {
            for tx in 0..tile_w {
                // The block's first voxel: nearest-neighbour shrinking keeps edges sharp.
                let (x, y) = (tx * factor, ty * factor);
                let v = ((values[y * nx + x] - low) * scale).clamp(0.0, 255.0) as u8;
                image.put_pixel(to_u32(x0 + tx), to_u32(y0 + ty), Rgb([v, v, v]));
            }
        }
        for (m, mask) in masks.iter().enumerate() {
            let inside = &mask.voxels[z * plane..(z + 1) * plane];
            let colour = Rgb(COLOURS[m % COLOURS.len()]);
            for y in 0..ny {
                for x in 0..nx {
                    if is_outline(inside, nx, ny, x, y) {
                        image.put_pixel(to_u32(x0 + x / factor), to_u32(y0 + y / factor), colour);
                    }
                }
            }
        }
    }
    image
}

/// Slices to show: evenly spaced over those the masks cover, else over all.
fn chosen_slices(nz: usize, plane: usize, masks: &[&Mask]) -> Vec<usize> {
    let covered: Vec<usize> = (0..nz)
        .filter(|&z| {
            masks
                .iter()
                .any(|m| m.voxels[z * plane..(z + 1) * plane].contains(&true))
        })
        .collect();
    let pool: Vec<usize> = if covered.is_empty() {
        (0..nz).collect()
    } else {
        covered
    };
    if pool.len() <= MAX_TILES {
        return pool;
    }
    (0..MAX_TILES)
        .map(|i| pool[i * (pool.len() - 1) / (MAX_TILES - 1)])
        .collect()
}

/// Whether voxel (x, y) of a slice is inside with a 4-neighbour outside (or on the edge).
fn is_outline(inside: &[bool], nx: usize, ny: usize, x: usize, y: usize) -> bool {
    if !inside[y * nx + x] {
        return false;
    }
    let out = |xx: Option<usize>, yy: Option<usize>| match (xx, yy) {
        (Some(xx), Some(yy)) if xx < nx && yy < ny => !inside[yy * nx + xx],
        _ => true,
    };
    out(x.checked_sub(1), Some(y))
        || out(Some(x + 1), Some(y))
        || out(Some(x), y.checked_sub(1))
        || out(Some(x), Some(y + 1))
}

/// The 1st and 99th percentiles of (a sample of) the finite values.
fn window(values: &[f32]) -> (f32, f32) {
    let step = (values.len() / 100_000).max(1);
    let mut sample: Vec<f32> = values
        .iter()
        .step_by(step)
        .copied()
        .filter(|v| v.is_finite())
        .collect();
    if sample.is_empty() {
        return (0.0, 1.0);
    }
    sample.sort_by(f32::total_cmp);
    let at = |q: f64| sample[((sample.len() - 1) as f64 * q).round() as usize];
    (at(0.01), at(0.99))
}

fn to_u32(v: usize) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use medprep::Grid;

    fn scan(size: [usize; 3]) -> Volume {
        let grid = Grid {
            size,
            spacing: [1.0; 3],
            origin: [0.0; 3],
            direction: Grid::IDENTITY,
        };
        let voxels = (0..grid.len()).map(|i| (i % 97) as f32).collect();
        Volume { grid, voxels }
    }

    #[test]
    fn outlines_are_drawn_on_the_slices_the_roi_covers() {
        let volume = scan([20, 10, 30]);
        let mut voxels = vec![false; volume.grid.len()];
        // A 4 x 4 square on slices 10..13, at x 5..9, y 3..7.
        for z in 10..13 {
            for y in 3..7 {
                for x in 5..9 {
                    voxels[(z * 10 + y) * 20 + x] = true;
                }
            }
        }
        let mask = Mask {
            grid: volume.grid.clone(),
            voxels,
            roi: "r".into(),
        };
        assert_eq!(chosen_slices(30, 200, &[&mask]), vec![10, 11, 12]);
        let image = montage(&volume, &[&mask]);
        // Three tiles of 20 x 10 in a 2 x 2 grid.
        assert_eq!(
            (image.width(), image.height()),
            (2 * 20 + 3 * GAP as u32, 2 * 10 + 3 * GAP as u32)
        );
        let red = Rgb(COLOURS[0]);
        let at = |x: usize, y: usize| *image.get_pixel(to_u32(GAP + x), to_u32(GAP + y));
        assert_eq!(at(5, 3), red, "a corner of the square is outline");
        assert_ne!(at(6, 4), red, "its inside is not");
        assert_ne!(at(2, 2), red);
        assert!(montage_png(&volume, &[&mask])
            .expect("a PNG")
            .starts_with(b"\x89PNG"));
    }

    #[test]
    fn without_rois_slices_spread_over_the_scan() {
        let chosen = chosen_slices(100, 4, &[]);
        assert_eq!(chosen.len(), MAX_TILES);
        assert_eq!((chosen[0], chosen[MAX_TILES - 1]), (0, 99));
        let large = scan([600, 300, 2]);
        let image = montage(&large, &[]);
        // 600 columns shrink by 3 to 200 pixels per tile.
        assert_eq!(image.width(), 2 * 200 + 3 * GAP as u32);
    }
}
