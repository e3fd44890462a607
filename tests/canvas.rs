//! The sketch model without a window: strokes, undo/redo, clear, rasterisation.

use pix2paint::canvas::{Canvas, Point, Tool};

fn p(x: f32, y: f32) -> Point {
    Point {
        x,
        y,
        pressure: 1.0,
    }
}

fn line(c: &mut Canvas, tool: Tool, from: (f32, f32), to: (f32, f32)) {
    c.begin(tool, 0.02, p(from.0, from.1));
    c.extend(p(to.0, to.1));
    c.end();
}

fn dark(img: &image::RgbImage, x: u32, y: u32) -> bool {
    img.get_pixel(x, y)[0] < 100
}

#[test]
fn rasterises_dark_where_drawn_and_white_elsewhere() {
    let mut c = Canvas::new();
    line(&mut c, Tool::Pen, (0.1, 0.5), (0.9, 0.5));
    let img = c.rasterize(256);
    assert_eq!(img.dimensions(), (256, 256));
    for x in [30, 128, 225] {
        assert!(dark(&img, x, 128), "pixel {x},128 should be ink");
    }
    assert_eq!(img.get_pixel(128, 30)[0], 255);
    assert_eq!(img.get_pixel(5, 128)[0], 255);
    let inked = img.pixels().filter(|q| q[0] < 128).count();
    // 0.8 × 256 long, 0.02 × 256 ≈ 5 px wide.
    assert!((900..1400).contains(&inked), "{inked} inked pixels");
    // Anti-aliased: some grey at the edges.
    assert!(img.pixels().any(|q| q[0] > 20 && q[0] < 235));
}

#[test]
fn fast_moves_leave_no_gaps() {
    let mut c = Canvas::new();
    // Two points far apart, as a fast mouse move between frames.
    line(&mut c, Tool::Pen, (0.05, 0.05), (0.95, 0.95));
    let img = c.rasterize(256);
    for i in (15..240).step_by(5) {
        assert!(dark(&img, i, i), "gap at {i}");
    }
}

#[test]
fn undo_redo_and_clear_work_on_whole_strokes() {
    let mut c = Canvas::new();
    line(&mut c, Tool::Pen, (0.1, 0.2), (0.9, 0.2));
    line(&mut c, Tool::Pen, (0.1, 0.8), (0.9, 0.8));
    assert_eq!(c.strokes().len(), 2);
    c.undo();
    assert_eq!(c.strokes().len(), 1);
    assert!(!dark(&c.rasterize(256), 128, 205));
    c.redo();
    assert_eq!(c.strokes().len(), 2);
    assert!(dark(&c.rasterize(256), 128, 205));
    c.clear();
    assert!(c.strokes().is_empty());
    assert_eq!(c.rasterize(64).pixels().filter(|q| q[0] < 255).count(), 0);
    c.undo();
    assert_eq!(c.strokes().len(), 2, "clear is undoable");
    // A new stroke after an undo drops the redo history.
    c.undo();
    line(&mut c, Tool::Pen, (0.5, 0.1), (0.5, 0.9));
    assert!(!c.can_redo());
    // Undo is unlimited.
    for _ in 0..10 {
        c.undo();
    }
    assert!(c.strokes().is_empty() && !c.can_undo());
}

#[test]
fn eraser_removes_ink_including_the_background_layer() {
    let mut c = Canvas::new();
    c.set_background(image::GrayImage::from_pixel(64, 64, image::Luma([0])));
    assert!(dark(&c.rasterize(128), 64, 64));
    line(&mut c, Tool::Eraser, (0.0, 0.5), (1.0, 0.5));
    let img = c.rasterize(128);
    assert!(!dark(&img, 64, 64), "erased");
    assert!(dark(&img, 64, 10), "untouched away from the eraser");
    c.undo();
    c.undo();
    assert!(c.background().is_none(), "opening an image is undoable");
}

#[test]
fn pressure_changes_the_width_and_revision_tracks_changes() {
    let mut c = Canvas::new();
    let r0 = c.revision();
    c.begin(
        Tool::Pen,
        0.05,
        Point {
            x: 0.2,
            y: 0.3,
            pressure: 0.2,
        },
    );
    c.extend(Point {
        x: 0.8,
        y: 0.3,
        pressure: 0.2,
    });
    assert!(
        c.revision() > r0,
        "drawing changes the revision (live updates mid-stroke)"
    );
    c.end();
    c.begin(
        Tool::Pen,
        0.05,
        Point {
            x: 0.2,
            y: 0.7,
            pressure: 1.0,
        },
    );
    c.extend(Point {
        x: 0.8,
        y: 0.7,
        pressure: 1.0,
    });
    c.end();
    let img = c.rasterize(256);
    let thickness = |y0: u32| (y0 - 20..y0 + 20).filter(|&y| dark(&img, 128, y)).count();
    assert!(
        thickness(77) < thickness(179),
        "light pressure draws thinner"
    );
}

#[test]
fn autosave_round_trip_restores_strokes() {
    let mut c = Canvas::new();
    line(&mut c, Tool::Pen, (0.1, 0.2), (0.9, 0.2));
    let json = serde_json::to_string(&c.saved_strokes()).unwrap();
    let mut d = Canvas::new();
    d.restore(serde_json::from_str(&json).unwrap());
    assert_eq!(c.rasterize(128), d.rasterize(128));
    d.undo();
    assert!(d.strokes().is_empty());
}
