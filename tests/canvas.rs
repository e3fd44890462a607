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

mod hints {
    use image::Rgba;
    use pix2paint::canvas::{Canvas, Point, Tool};

    fn p(x: f32, y: f32) -> Point {
        Point {
            x,
            y,
            pressure: 1.0,
        }
    }

    fn dab(c: &mut Canvas, tool: Tool, colour: [u8; 3], x: f32, y: f32) {
        c.begin_coloured(tool, 0.05, colour, p(x, y));
        c.extend(p(x + 0.01, y));
        c.end();
    }

    fn at(c: &Canvas, x: u32, y: u32) -> Rgba<u8> {
        *c.rasterize_hints(100).get_pixel(x, y)
    }

    #[test]
    fn a_colour_dab_lands_on_the_hint_layer_not_in_the_ink() {
        let mut c = Canvas::new();
        dab(&mut c, Tool::Colour, [200, 100, 20], 0.5, 0.5);
        assert_eq!(at(&c, 50, 50), Rgba([200, 100, 20, 255]));
        assert_eq!(at(&c, 10, 10)[3], 0, "no hint away from the dab");
        assert!(
            c.rasterize(100).pixels().all(|p| p[0] == 255),
            "the ink is untouched"
        );
        assert!(c.is_blank(), "hints alone are not a sketch");
        assert!(c.has_hints());
        // Shown over the sketch: multiplied into white paper, the dab shows its colour.
        assert_eq!(c.rasterize_display(100).get_pixel(50, 50).0, [200, 100, 20]);
    }

    #[test]
    fn undo_and_redo_cover_dabs_like_strokes() {
        let mut c = Canvas::new();
        c.begin(Tool::Pen, 0.02, p(0.1, 0.1));
        c.extend(p(0.9, 0.1));
        c.end();
        dab(&mut c, Tool::Colour, [10, 200, 30], 0.5, 0.5);
        c.undo();
        assert!(!c.has_hints());
        assert_eq!(c.strokes().len(), 1, "undo took the dab, not the line");
        c.redo();
        assert_eq!(at(&c, 50, 50), Rgba([10, 200, 30, 255]));
        c.undo();
        c.undo();
        assert!(c.strokes().is_empty());
        c.redo();
        c.redo();
        assert_eq!(c.strokes().len(), 1);
        assert!(c.has_hints());
    }

    #[test]
    fn the_hint_eraser_and_clear_hints_remove_hints_and_keep_lines() {
        let mut c = Canvas::new();
        c.begin(Tool::Pen, 0.02, p(0.1, 0.5));
        c.extend(p(0.9, 0.5));
        c.end();
        dab(&mut c, Tool::Colour, [200, 0, 0], 0.5, 0.5);
        dab(&mut c, Tool::HintEraser, [0, 0, 0], 0.5, 0.5);
        assert_eq!(at(&c, 50, 50)[3], 0, "erased");
        assert!(
            c.rasterize(100).get_pixel(50, 50)[0] < 100,
            "the line is still there"
        );
        dab(&mut c, Tool::Colour, [0, 0, 200], 0.3, 0.3);
        c.clear_hints();
        assert!(!c.has_hints());
        assert_eq!(c.strokes().len(), 1);
        c.undo();
        assert_eq!(at(&c, 30, 30), Rgba([0, 0, 200, 255]));
    }

    #[test]
    fn the_autosave_form_keeps_hint_strokes() {
        let mut c = Canvas::new();
        dab(&mut c, Tool::Colour, [1, 2, 3], 0.4, 0.6);
        let saved = c.saved_strokes();
        assert_eq!(saved.hints.len(), 1);
        let json = serde_json::to_string(&saved).unwrap();
        let mut back = Canvas::new();
        back.restore(serde_json::from_str(&json).unwrap());
        assert_eq!(at(&back, 40, 60), Rgba([1, 2, 3, 255]));
        // Autosaves written before hints existed still load.
        let old: pix2paint::canvas::SavedStrokes =
            serde_json::from_str(r#"{"strokes":[{"tool":"Pen","width":0.01,"points":[{"x":0.1,"y":0.1,"pressure":1.0}]}]}"#)
                .unwrap();
        assert!(old.hints.is_empty());
    }

    #[test]
    fn an_opened_hint_image_sits_under_new_dabs() {
        let mut c = Canvas::new();
        let mut layer = image::RgbaImage::new(10, 10);
        layer.put_pixel(2, 2, Rgba([9, 9, 9, 255]));
        c.set_hint_background(layer);
        assert_eq!(at(&c, 25, 25), Rgba([9, 9, 9, 255]));
        dab(&mut c, Tool::Colour, [50, 60, 70], 0.8, 0.8);
        assert_eq!(at(&c, 80, 80), Rgba([50, 60, 70, 255]));
        assert_eq!(at(&c, 25, 25), Rgba([9, 9, 9, 255]));
    }
}

#[test]
fn undo_history_is_bounded_and_the_oldest_strokes_stay() {
    let mut c = Canvas::new();
    let extra = 20;
    for i in 0..pix2paint::canvas::UNDO_DEPTH + extra {
        let y = (i % 100) as f32 / 100.0;
        line(&mut c, Tool::Pen, (0.1, y), (0.9, y));
    }
    let mut undone = 0;
    while c.can_undo() {
        c.undo();
        undone += 1;
    }
    assert_eq!(undone, pix2paint::canvas::UNDO_DEPTH);
    assert_eq!(
        c.strokes().len(),
        extra,
        "the oldest strokes stay on the sketch"
    );
    c.redo();
    assert_eq!(c.strokes().len(), extra + 1);
}
