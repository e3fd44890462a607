//! Images laid side by side and stacked: dataset pairs (`prepare`), previews (the app's
//! training panel), evaluation strips and training sample sheets.

use image::{Rgb, RgbImage};

/// `images` left to right, top-aligned, on white (a gap where one is shorter).
pub fn row(images: &[&RgbImage]) -> RgbImage {
    let h = images.iter().map(|i| i.height()).max().unwrap_or(0);
    let w = images.iter().map(|i| i.width()).sum();
    let mut out = RgbImage::from_pixel(w, h, Rgb([255, 255, 255]));
    let mut x = 0;
    for img in images {
        image::imageops::replace(&mut out, *img, i64::from(x), 0);
        x += img.width();
    }
    out
}

/// `images` top to bottom, left-aligned, on white.
pub fn column(images: &[RgbImage]) -> RgbImage {
    let w = images.iter().map(|i| i.width()).max().unwrap_or(0);
    let h = images.iter().map(|i| i.height()).sum();
    let mut out = RgbImage::from_pixel(w, h, Rgb([255, 255, 255]));
    let mut y = 0;
    for img in images {
        image::imageops::replace(&mut out, img, 0, i64::from(y));
        y += img.height();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_and_columns_place_every_image() {
        let a = RgbImage::from_pixel(2, 3, Rgb([1, 1, 1]));
        let b = RgbImage::from_pixel(4, 1, Rgb([2, 2, 2]));
        let r = row(&[&a, &b]);
        assert_eq!(r.dimensions(), (6, 3));
        assert_eq!(r.get_pixel(1, 2), &Rgb([1, 1, 1]));
        assert_eq!(r.get_pixel(5, 0), &Rgb([2, 2, 2]));
        assert_eq!(
            r.get_pixel(5, 2),
            &Rgb([255, 255, 255]),
            "white under the shorter one"
        );
        let c = column(&[a.clone(), b.clone()]);
        assert_eq!(c.dimensions(), (4, 4));
        assert_eq!(c.get_pixel(0, 3), &Rgb([2, 2, 2]));
        assert_eq!(c.get_pixel(3, 0), &Rgb([255, 255, 255]));
        assert_eq!(row(&[]).dimensions(), (0, 0));
    }
}
