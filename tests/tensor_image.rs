//! The image↔tensor conversion and sketch normalisation.

use burn::tensor::Device;
use image::{DynamicImage, ImageBuffer, Luma, LumaA, Rgb, RgbImage, Rgba};
use pix2paint::imaging::{read_image, to_sketch};
use pix2paint::tensor_image::*;

#[test]
fn u8_round_trip_is_exact_and_range_is_minus_one_to_one() {
    let d = Device::flex();
    let img = RgbImage::from_fn(17, 9, |x, y| {
        Rgb([(x * 15) as u8, (y * 28) as u8, 255 - (x * y) as u8])
    });
    let t = image_to_tensor(&img, &d);
    assert_eq!(t.dims(), [1, 3, 9, 17]);
    let v = t.clone().into_data().try_into_vec::<f32>().unwrap();
    assert!(v.iter().all(|x| (-1.0..=1.0).contains(x)));
    // Layout: channel-major; pixel (x=1, y=0) red channel is element 1.
    assert!((v[1] - (15.0 / 127.5 - 1.0)).abs() < 1e-6);
    assert_eq!(tensor_to_image(t), img);
}

#[test]
fn transparency_becomes_white_background() {
    let img = ImageBuffer::from_fn(4, 4, |x, _| {
        if x < 2 {
            Rgba([0u8, 0, 0, 0])
        } else {
            Rgba([0, 0, 0, 255])
        }
    });
    let s = to_sketch(&DynamicImage::ImageRgba8(img));
    assert_eq!(s.get_pixel(0, 0), &Rgb([255, 255, 255]));
    assert_eq!(s.get_pixel(3, 0), &Rgb([0, 0, 0]));
}

#[test]
fn sixteen_bit_grey_and_grey_alpha_are_accepted() {
    let g16 = ImageBuffer::from_fn(8, 8, |x, _| Luma([if x == 4 { 0u16 } else { 65535 }]));
    let s = to_sketch(&DynamicImage::ImageLuma16(g16));
    assert_eq!(s.get_pixel(4, 1), &Rgb([0, 0, 0]));
    assert_eq!(s.get_pixel(0, 1), &Rgb([255, 255, 255]));
    let ga = ImageBuffer::from_fn(8, 8, |x, _| LumaA([0u8, if x == 4 { 255 } else { 0 }]));
    let s = to_sketch(&DynamicImage::ImageLumaA8(ga));
    assert_eq!(s.get_pixel(4, 1), &Rgb([0, 0, 0]));
    assert_eq!(s.get_pixel(0, 1), &Rgb([255, 255, 255]));
}

#[test]
fn light_lines_on_black_are_inverted_to_dark_on_white() {
    let img = RgbImage::from_fn(10, 10, |x, _| {
        if x == 5 {
            Rgb([255, 255, 255])
        } else {
            Rgb([0, 0, 0])
        }
    });
    let s = to_sketch(&DynamicImage::ImageRgb8(img));
    assert_eq!(s.get_pixel(5, 5), &Rgb([0, 0, 0]));
    assert_eq!(s.get_pixel(0, 5), &Rgb([255, 255, 255]));
}

#[test]
fn unreadable_files_give_errors_naming_them() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("broken.png");
    std::fs::write(&p, b"\x89PNG\r\n\x1a\ntruncated").unwrap();
    let e = read_image(&p).unwrap_err();
    assert!(e.to_string().contains("broken.png"), "{e}");
    let e = read_image(&dir.path().join("missing.png")).unwrap_err();
    assert!(e.to_string().contains("missing.png"), "{e}");
}

/// CRC-32 (IEEE) as PNG chunks use it.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[test]
fn a_png_claiming_gigapixels_is_refused_before_decoding() {
    // A few dozen bytes: signature, an IHDR of 60000×60000 RGB, an empty IDAT, IEND.
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut chunk = |kind: &[u8], data: &[u8]| {
        png.extend((data.len() as u32).to_be_bytes());
        let mut body = kind.to_vec();
        body.extend(data);
        png.extend(&body);
        png.extend(crc32(&body).to_be_bytes());
    };
    let mut ihdr = Vec::new();
    ihdr.extend(60_000u32.to_be_bytes());
    ihdr.extend(60_000u32.to_be_bytes());
    ihdr.extend([8, 2, 0, 0, 0]);
    chunk(b"IHDR", &ihdr);
    chunk(b"IDAT", &[]);
    chunk(b"IEND", &[]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bomb.png");
    std::fs::write(&path, &png).unwrap();
    let e = pix2paint::imaging::read_image(&path)
        .unwrap_err()
        .to_string();
    assert!(e.contains("60000×60000") && e.contains("megapixels"), "{e}");
}
