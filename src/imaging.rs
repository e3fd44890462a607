//! Reading images from disk into the forms the model works with: any colour type flattened
//! onto white (the sketch background the model was trained with), bounded in size, and the
//! conversions between a sketch's RGB and its line layer.

use image::{DynamicImage, GrayImage, Rgb, RgbImage};
use std::path::{Path, PathBuf};

/// An image file that could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ImageReadError {
    /// The file could not be opened or read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The bytes are not an image this build can decode.
    #[error("{path} is not a readable image ({source}); use a PNG, JPEG, WebP or BMP file")]
    Decode {
        /// The file.
        path: PathBuf,
        /// What the decoder said.
        source: image::ImageError,
    },
    /// The image has no pixels.
    #[error("{path} is an empty image (0 pixels wide or high)")]
    Empty {
        /// The file.
        path: PathBuf,
    },
    /// More pixels than pix2paint will decode (a few bytes of PNG can claim gigapixels).
    #[error(
        "{path} is {width}×{height} pixels, more than the {} megapixels pix2paint opens; \
         scale it down first (the model paints at 256 to 1024 pixels anyway)",
        MAX_PIXELS / 1_000_000
    )]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its width.
        width: u32,
        /// Its height.
        height: u32,
    },
}

/// The most pixels an image file may have (a 48-megapixel camera photo opens; a decompression
/// bomb does not).
pub const MAX_PIXELS: u64 = 50_000_000;

/// Check an image's size against [`MAX_PIXELS`].
pub fn check_pixels(path: &Path, width: u32, height: u32) -> Result<(), ImageReadError> {
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(ImageReadError::TooLarge {
            path: path.to_owned(),
            width,
            height,
        });
    }
    Ok(())
}

/// Read an image file of any supported format and colour type. The size is read from the
/// header and checked against [`MAX_PIXELS`] before anything is decoded, and the decoder runs
/// under limits, so no file can make it allocate more than such an image needs.
pub fn read_image(path: &Path) -> Result<DynamicImage, ImageReadError> {
    let io = |source| ImageReadError::Io {
        path: path.to_owned(),
        source,
    };
    let decode = |source| ImageReadError::Decode {
        path: path.to_owned(),
        source,
    };
    // From the file as the decoder asks for it, not read whole first: a multi-GB file that is
    // no image (or a bomb's header) is refused after a few bytes.
    let reader = || {
        image::ImageReader::open(path)
            .map_err(io)?
            .with_guessed_format()
            .map_err(io)
    };
    let (width, height) = reader()?.into_dimensions().map_err(decode)?;
    check_pixels(path, width, height)?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(width.max(1));
    limits.max_image_height = Some(height.max(1));
    // 16-bit RGBA is the widest colour type: 8 bytes a pixel, plus the decoder's own buffers.
    limits.max_alloc = Some(MAX_PIXELS * 8 + (64 << 20));
    let mut r = reader()?;
    r.limits(limits);
    let img = r.decode().map_err(decode)?;
    if img.width() == 0 || img.height() == 0 {
        return Err(ImageReadError::Empty {
            path: path.to_owned(),
        });
    }
    Ok(img)
}

/// Flatten any image to 8-bit RGB, compositing transparency over white.
///
/// Through 8-bit RGBA (4 bytes a pixel; a 16-bit or float image's extra precision is below what
/// a sketch or a 256² painting shows), not 32-bit floats: a 50-megapixel photo then takes
/// 200 MB here instead of 800.
pub fn to_rgb(img: &DynamicImage) -> RgbImage {
    if let DynamicImage::ImageRgb8(rgb) = img {
        return rgb.clone();
    }
    let rgba = img.to_rgba8();
    let mut out = RgbImage::new(img.width(), img.height());
    for (o, p) in out.pixels_mut().zip(rgba.pixels()) {
        let a = u32::from(p[3]);
        // v·a + 255·(255 − a), over 255, rounded.
        let c = |v: u8| ((u32::from(v) * a + 255 * (255 - a) + 127) / 255) as u8;
        *o = Rgb([c(p[0]), c(p[1]), c(p[2])]);
    }
    out
}

/// Turn any image into the model's sketch input: grey dark lines on a white background.
///
/// Transparency becomes white; an image that is mostly dark (light lines on black, as some
/// edge detectors write them) is inverted.
pub fn to_sketch(img: &DynamicImage) -> RgbImage {
    let grey: GrayImage = DynamicImage::ImageRgb8(to_rgb(img)).to_luma8();
    let mean = grey.pixels().map(|p| p[0] as f64).sum::<f64>() / grey.len().max(1) as f64;
    let invert = mean < 100.0;
    let mut out = RgbImage::new(grey.width(), grey.height());
    for (o, p) in out.pixels_mut().zip(grey.pixels()) {
        let v = if invert { 255 - p[0] } else { p[0] };
        *o = Rgb([v, v, v]);
    }
    out
}

/// A line image (255 paper, 0 ink) from an RGB sketch.
pub fn lines_from_rgb(img: &RgbImage) -> GrayImage {
    GrayImage::from_fn(img.width(), img.height(), |x, y| {
        let p = img.get_pixel(x, y);
        image::Luma([((p[0] as u32 + p[1] as u32 + p[2] as u32) / 3) as u8])
    })
}
