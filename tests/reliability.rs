//! A hostile machine: signals, and what the program leaves behind when it is stopped.

mod common;

#[cfg(target_os = "linux")]
use common::SmallDisk;
use common::photo_for;

/// `pix2paint train` on two small photos with the given extra flags; stderr piped.
#[cfg(unix)]
fn train(photos: &std::path::Path, out: &std::path::Path, steps: u64) -> std::process::Child {
    std::process::Command::new(env!("CARGO_BIN_EXE_pix2paint"))
        .args(["train"])
        .arg(photos)
        .arg("--out")
        .arg(out)
        .args(["--steps", &steps.to_string()])
        .args(["--ngf", "4", "--ndf", "4", "--cpu"])
        .args(["--log-every", "1", "--checkpoint-every", "1000"])
        .env_remove("PIX2PAINT_WEIGHTS")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the binary runs")
}

/// `pix2paint train PHOTOS --out OUT EXTRA… --ngf 4 --ndf 4 --cpu`, run to its end.
fn train_tiny(
    photos: &std::path::Path,
    out: &std::path::Path,
    extra: &[&dyn AsRef<std::ffi::OsStr>],
) -> std::process::Output {
    let mut args: Vec<&dyn AsRef<std::ffi::OsStr>> = vec![&"train", &photos, &"--out", &out];
    args.extend_from_slice(extra);
    args.extend_from_slice(&[&"--ngf", &"4", &"--ndf", &"4", &"--cpu"]);
    common::pix2paint(&args)
}

/// The lines a child prints on stderr, as they come.
#[cfg(unix)]
fn lines(child: &mut std::process::Child) -> std::sync::mpsc::Receiver<String> {
    use std::io::BufRead;
    let stderr = child.stderr.take().expect("piped");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

#[cfg(unix)]
#[test]
fn sigterm_during_training_writes_the_checkpoint_and_the_same_command_continues() {
    use std::time::Duration;
    let dir = tempfile::tempdir().unwrap();
    let photos = two_photos(dir.path());
    let out = dir.path().join("m.safetensors");
    let checkpoint = dir.path().join("m.ckpt.safetensors");

    // A run far too long to finish, stopped by SIGTERM after its third step.
    let mut child = train(&photos, &out, 1_000_000);
    let rx = lines(&mut child);
    let mut log = Vec::new();
    loop {
        let line = rx
            .recv_timeout(Duration::from_secs(300))
            .unwrap_or_else(|_| panic!("no third step:\n{}", log.join("\n")));
        let third = line.starts_with("step 3:");
        log.push(line);
        if third {
            break;
        }
    }
    // SAFETY: sending a signal to our own child process.
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGTERM) }, 0);
    let status = child.wait().unwrap();
    log.extend(rx.iter());
    let log = log.join("\n");
    assert_eq!(status.code(), Some(128 + libc::SIGTERM), "{log}");
    assert!(log.contains("stopped by SIGTERM"), "{log}");
    let device = burn::tensor::Device::flex();
    let stopped = pix2paint::weights::load(&out, &device)
        .unwrap()
        .trained_steps();
    assert!(
        stopped >= 3,
        "the model of the last finished step: {stopped}"
    );
    assert!(checkpoint.is_file());
    no_temporaries(&[dir.path()]);

    // The same command continues from the step it stopped at.
    let mut child = train(&photos, &out, stopped + 2);
    let rx = lines(&mut child);
    let status = child.wait().unwrap();
    let log: Vec<String> = rx.iter().collect();
    assert!(status.success(), "{}", log.join("\n"));
    let first = log.iter().find(|l| l.starts_with("step ")).unwrap();
    assert!(
        first.starts_with(&format!("step {}:", stopped + 1)),
        "{first}"
    );
    let done = pix2paint::weights::load(&out, &device)
        .unwrap()
        .trained_steps();
    assert_eq!(done, stopped + 2);
}

#[cfg(unix)]
#[test]
fn sigterm_during_prepare_leaves_whole_pairs_and_skip_existing_finishes_the_rest() {
    use std::time::{Duration, Instant};
    let dir = tempfile::tempdir().unwrap();
    let photos = dir.path().join("photos");
    std::fs::create_dir(&photos).unwrap();
    let count = 40;
    for i in 0..count {
        photo_for(256, 256, (i * 6) as u8)
            .save(photos.join(format!("{i:02}.png")))
            .unwrap();
    }
    let pairs = dir.path().join("pairs");
    let prepare = |extra: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_pix2paint"))
            .arg("prepare")
            .arg(&photos)
            .arg("-o")
            .arg(&pairs)
            .args(["--size", "1024"])
            .args(extra)
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("the binary runs")
    };
    let written = || -> Vec<std::path::PathBuf> {
        let mut v: Vec<_> = std::fs::read_dir(&pairs)
            .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        v.sort();
        v
    };

    // Stopped once two pairs are there.
    let mut child = prepare(&[]);
    let start = Instant::now();
    while written().len() < 2 {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "no pairs appear"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    // SAFETY: sending a signal to our own child process.
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGTERM) }, 0);
    let rx = lines(&mut child);
    let status = child.wait().unwrap();
    let log: Vec<String> = rx.iter().collect();
    let log = log.join("\n");
    assert_eq!(status.code(), Some(128 + libc::SIGTERM), "{log}");
    assert!(
        log.contains("stopped by SIGTERM") && log.contains("--skip-existing"),
        "{log}"
    );
    let first = written();
    assert!(first.len() < count, "it stopped early: {log}");
    for p in &first {
        let name = p.file_name().unwrap().to_string_lossy();
        assert!(!name.contains(".tmp"), "a temporary file is left: {name}");
        let pair = image::open(p).unwrap_or_else(|e| panic!("{name} is whole: {e}"));
        assert_eq!((pair.width(), pair.height()), (2048, 1024));
    }
    let stamps: Vec<_> = first
        .iter()
        .map(|p| std::fs::metadata(p).unwrap().modified().unwrap())
        .collect();

    // The same command with --skip-existing keeps those and makes the rest.
    let mut child = prepare(&["--skip-existing"]);
    let rx = lines(&mut child);
    let status = child.wait().unwrap();
    let log: Vec<String> = rx.iter().collect();
    let log = log.join("\n");
    assert!(status.success(), "{log}");
    assert!(
        log.contains(&format!("{} already there kept", first.len())),
        "{log}"
    );
    assert_eq!(written().len(), count);
    for (p, stamp) in first.iter().zip(stamps) {
        assert_eq!(std::fs::metadata(p).unwrap().modified().unwrap(), stamp);
    }
}

/// A program from the system, if it is installed.
#[cfg(unix)]
fn installed(program: &str) -> bool {
    std::process::Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Kill a child process when dropped (a failed assertion leaves nothing running).
#[cfg(unix)]
struct Reaped(std::process::Child);

#[cfg(unix)]
impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[cfg(unix)]
#[test]
fn sigterm_to_the_app_writes_the_autosave_and_closes_it() {
    use std::io::Read;
    use std::time::{Duration, Instant};
    if !installed("Xvfb") || !installed("xdotool") {
        eprintln!("skipped: needs Xvfb and xdotool (.ci/run installs them)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // A display of its own: Xvfb picks a free number and writes it to the pipe.
    let mut xvfb = std::process::Command::new("Xvfb")
        .args([
            "-displayfd",
            "1",
            "-screen",
            "0",
            "1280x800x24",
            "-nolisten",
            "tcp",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut number = String::new();
    let mut out = xvfb.stdout.take().unwrap();
    let mut byte = [0u8; 1];
    while out.read(&mut byte).unwrap_or(0) == 1 && byte[0] != b'\n' {
        number.push(byte[0] as char);
    }
    let _xvfb = Reaped(xvfb);
    let display = format!(":{}", number.trim());
    let weights = dir.path().join("tiny.safetensors");
    common::save_tiny(
        &weights,
        &common::tiny_generator(1, &burn::tensor::Device::flex()),
        None,
        pix2paint::weights::Precision::Full,
    );
    let data = dir.path().join("data");
    let mut app = std::process::Command::new(env!("CARGO_BIN_EXE_pix2paint"))
        .arg("--cpu")
        .env("DISPLAY", &display)
        .env("XDG_DATA_HOME", &data)
        .env("XDG_CONFIG_HOME", dir.path().join("config"))
        .env("XDG_RUNTIME_DIR", dir.path())
        .env("PIX2PAINT_WEIGHTS", &weights)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let log = lines(&mut app);
    let app = Reaped(app);
    let xdotool = |args: &[&str]| {
        std::process::Command::new("xdotool")
            .args(args)
            .env("DISPLAY", &display)
            .output()
            .unwrap()
    };
    let start = Instant::now();
    let window = loop {
        let o = xdotool(&["search", "--name", "^pix2paint"]);
        let found = String::from_utf8_lossy(&o.stdout)
            .lines()
            .next()
            .map(str::to_owned);
        if let Some(w) = found {
            break w;
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "no window:\n{}",
            log.try_iter().collect::<Vec<_>>().join("\n")
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    std::thread::sleep(Duration::from_secs(2)); // the first frames and the model
    let geometry =
        String::from_utf8_lossy(&xdotool(&["getwindowgeometry", "--shell", &window]).stdout)
            .into_owned();
    let value = |key: &str| -> i32 {
        geometry
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{key}=")))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{key} in {geometry}"))
    };
    // A stroke across the canvas, the left square of the central area.
    let (x, y) = (
        value("X") + value("WIDTH") / 4,
        value("Y") + value("HEIGHT") / 2,
    );
    xdotool(&[
        "mousemove",
        &(x - 80).to_string(),
        &y.to_string(),
        "mousedown",
        "1",
    ]);
    for i in 1..=20 {
        std::thread::sleep(Duration::from_millis(30));
        xdotool(&[
            "mousemove",
            &(x - 80 + 8 * i).to_string(),
            &(y + i).to_string(),
        ]);
    }
    xdotool(&["mouseup", "1"]);
    // Before the autosave is due (2 s after an edit).
    std::thread::sleep(Duration::from_millis(300));
    // SAFETY: sending a signal to our own child process.
    assert_eq!(unsafe { libc::kill(app.0.id() as i32, libc::SIGTERM) }, 0);
    let mut app = app;
    let start = Instant::now();
    let status = loop {
        if let Some(status) = app.0.try_wait().unwrap() {
            break status;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the app did not close"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    let log: Vec<String> = log.try_iter().collect();
    assert!(status.success(), "{status:?}\n{}", log.join("\n"));
    let saved = std::fs::read(data.join("pix2paint").join("autosave").join("sketch.json"))
        .unwrap_or_else(|e| panic!("the autosave: {e}\n{}", log.join("\n")));
    let saved: pix2paint::canvas::SavedStrokes = serde_json::from_slice(&saved).unwrap();
    assert_eq!(saved.strokes.len(), 1, "the stroke is in the autosave");
}

/// Fail if a temporary file (`*.tmp`) is left in any of `dirs` (a missing folder holds none).
fn no_temporaries(dirs: &[&std::path::Path]) {
    let left: Vec<String> = dirs
        .iter()
        .flat_map(|d| std::fs::read_dir(d).into_iter().flatten())
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp"))
        .collect();
    assert!(left.is_empty(), "temporary files left: {left:?}");
}

/// Two 256² photo-like images in `dir/photos`.
fn two_photos(dir: &std::path::Path) -> std::path::PathBuf {
    let photos = dir.join("photos");
    std::fs::create_dir(&photos).expect("a folder in the temporary folder");
    for (i, hue) in [30u8, 90].into_iter().enumerate() {
        photo_for(256, 256, hue)
            .save(photos.join(format!("{i}.png")))
            .expect("a PNG in the temporary folder");
    }
    photos
}

#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_fails_the_write_says_the_space_needed_and_keeps_the_old_file() {
    let dir = tempfile::tempdir().unwrap();
    let mnt = dir.path().join("small");
    let Some(_disk) = SmallDisk::mount(&mnt, 1024) else {
        // Mounting needs root (CI runs as root); without it there is no full disk to try.
        eprintln!("skipped: mounting a 1 MB tmpfs needs root");
        return;
    };
    let target = mnt.join("m.safetensors");
    std::fs::write(&target, b"the previous version").unwrap();
    let model = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("weights")
        .join(pix2paint::weights::DEFAULT_MODEL_FILE);
    let o = common::pix2paint(&[
        &"export",
        &model,
        &"--to",
        &"safetensors",
        &"--out",
        &target,
    ]);
    let log = common::stderr(&o);
    assert!(!o.status.success(), "{log}");
    assert!(log.contains("m.safetensors"), "{log}");
    assert!(
        log.contains("the disk is full") && log.contains("MB free"),
        "{log}"
    );
    assert_eq!(std::fs::read(&target).unwrap(), b"the previous version");
    let files: Vec<_> = std::fs::read_dir(&mnt).unwrap().collect();
    assert_eq!(files.len(), 1, "no temporary file is left: {files:?}");
}

#[cfg(target_os = "linux")]
#[test]
fn a_disk_that_fills_up_during_training_costs_checkpoints_not_the_run_or_the_last_good_one() {
    let dir = tempfile::tempdir().unwrap();
    let photos = two_photos(dir.path());
    let out = dir.path().join("m.safetensors");
    // Room for one full checkpoint of this run (2.6 MB with Adam's moments) but not for a
    // second beside it: the one at the start (no moments yet) and step 1's are written, every
    // later one finds the disk full.
    let mnt = dir.path().join("small");
    let Some(_disk) = SmallDisk::mount(&mnt, 4096) else {
        eprintln!("skipped: mounting a 4 MB tmpfs needs root");
        return;
    };
    let checkpoint = mnt.join("m.ckpt.safetensors");
    let o = train_tiny(
        &photos,
        &out,
        &[
            &"--checkpoint",
            &checkpoint,
            &"--steps",
            &"3",
            &"--checkpoint-every",
            &"1",
        ],
    );
    let log = common::stderr(&o);
    assert_eq!(
        log.matches("the checkpoint could not be written").count(),
        2,
        "{log}"
    );
    assert!(
        log.contains("step 3: the checkpoint could not be written"),
        "{log}"
    );
    assert!(
        log.contains("the last checkpoint is still step 1's"),
        "{log}"
    );
    assert!(
        log.contains("training goes on") && log.contains("disk is full"),
        "{log}"
    );
    // The run's model is written; the final checkpoint could not be, and the command says so.
    let device = burn::tensor::Device::flex();
    assert_eq!(
        pix2paint::weights::load(&out, &device)
            .unwrap()
            .trained_steps(),
        3
    );
    assert!(!o.status.success(), "{log}");
    assert!(log.contains("m.ckpt.safetensors"), "{log}");
    // The last good checkpoint (the first) is whole, and nothing else is on the disk.
    assert!(pix2paint::weights::load(&checkpoint, &device).is_ok());
    let files: Vec<_> = std::fs::read_dir(&mnt).unwrap().collect();
    assert_eq!(files.len(), 1, "no temporary file is left: {files:?}");
}

#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_keeps_the_previous_autosave_and_settings() {
    use pix2paint::app::settings::{Autosave, Settings};
    use pix2paint::canvas::{Canvas, Point, Tool};
    let dir = tempfile::tempdir().unwrap();
    let mnt = dir.path().join("small");
    let Some(_disk) = SmallDisk::mount(&mnt, 16) else {
        eprintln!("skipped: mounting a 16 KB tmpfs needs root");
        return;
    };
    let at = |x: f32, y: f32| Point {
        x,
        y,
        pressure: 1.0,
    };
    let mut canvas = Canvas::new();
    canvas.begin(Tool::Pen, 0.02, at(0.1, 0.5));
    canvas.extend(at(0.9, 0.5));
    canvas.end();
    let autosave = Autosave::new(mnt.join("autosave"));
    autosave.save(&canvas).unwrap();
    let settings_path = mnt.join("settings.json");
    let settings = Settings {
        pen_width: 7.0,
        ..Settings::default()
    };
    settings.save(&settings_path).unwrap();

    // A second stroke and an opened image of noise (a PNG far over the 16 KB) do not fit.
    canvas.begin(Tool::Pen, 0.02, at(0.5, 0.1));
    canvas.extend(at(0.5, 0.9));
    canvas.end();
    let mut state = 7u32;
    canvas.set_background(image::GrayImage::from_fn(256, 256, |_, _| {
        state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        image::Luma([(state >> 24) as u8])
    }));
    let e = autosave.save(&canvas).unwrap_err();
    assert!(e.to_string().contains("disk is full"), "{e}");
    let (kept, problem) = autosave.load();
    assert!(problem.is_none());
    assert_eq!(kept.strokes().len(), 1, "the previous autosave is whole");
    assert!(kept.background().is_none());

    // The settings: a file takes what room is left (its write fails part way), then a save
    // cannot fit.
    let _ = std::fs::write(mnt.join("filler"), vec![0u8; 16 * 1024]);
    let changed = Settings {
        pen_width: 9.0,
        ..Settings::default()
    };
    let e = changed.save(&settings_path).unwrap_err();
    assert!(e.to_string().contains("disk is full"), "{e}");
    let (loaded, damaged) = Settings::load(&settings_path);
    assert_eq!(loaded, settings, "the previous settings are whole");
    assert!(damaged.is_none());
    no_temporaries(&[&mnt, &mnt.join("autosave")]);
}

#[cfg(target_os = "linux")]
#[test]
fn snapshots_and_samples_that_do_not_fit_are_reported_and_the_run_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let photos = two_photos(dir.path());
    let out = dir.path().join("m.safetensors");
    let mnt = dir.path().join("small");
    let Some(_disk) = SmallDisk::mount(&mnt, 16) else {
        eprintln!("skipped: mounting a 16 KB tmpfs needs root");
        return;
    };
    let o = train_tiny(
        &photos,
        &out,
        &[
            &"--steps",
            &"2",
            &"--checkpoint-every",
            &"1",
            &"--snapshots",
            &mnt.join("snapshots"),
            &"--samples",
            &mnt.join("samples"),
        ],
    );
    let log = common::stderr(&o);
    assert!(o.status.success(), "{log}");
    assert!(
        log.contains("step 2: the snapshot could not be kept") && log.contains("disk is full"),
        "{log}"
    );
    assert!(
        log.contains("the samples could not be written") && log.contains("training goes on"),
        "{log}"
    );
    let device = burn::tensor::Device::flex();
    assert_eq!(
        pix2paint::weights::load(&out, &device)
            .unwrap()
            .trained_steps(),
        2
    );
    no_temporaries(&[&mnt.join("snapshots"), &mnt.join("samples")]);
}

#[cfg(target_os = "linux")]
#[test]
fn a_folder_command_that_cannot_write_its_outputs_fails_and_counts_them_apart_from_skips() {
    let dir = tempfile::tempdir().unwrap();
    let photos = two_photos(dir.path());
    std::fs::write(photos.join("broken.png"), b"not a png").unwrap();
    let mnt = dir.path().join("small");
    let Some(_disk) = SmallDisk::mount(&mnt, 4) else {
        eprintln!("skipped: mounting a 4 KB tmpfs needs root");
        return;
    };
    let o = common::pix2paint(&[&"prepare", &photos, &"-o", &mnt]);
    let log = common::stderr(&o);
    assert!(!o.status.success(), "{log}");
    assert!(
        log.contains("skipped") && log.contains("broken.png"),
        "{log}"
    );
    assert!(
        log.contains("could not write") && log.contains("disk is full"),
        "{log}"
    );
    assert!(
        log.contains("1 inputs skipped, 2 outputs could not be written"),
        "{log}"
    );
    // Nothing half-written is left.
    let left: Vec<_> = std::fs::read_dir(&mnt).unwrap().collect();
    assert!(left.is_empty(), "{left:?}");
}

#[cfg(target_os = "linux")]
#[test]
fn a_run_into_a_read_only_folder_is_refused_before_it_trains() {
    let dir = tempfile::tempdir().unwrap();
    let photos = two_photos(dir.path());
    let mnt = dir.path().join("read-only");
    let Some(_disk) = SmallDisk::mount_with(&mnt, "ro,size=64k") else {
        eprintln!("skipped: mounting a read-only tmpfs needs root");
        return;
    };
    let out = mnt.join("m.safetensors");
    let checkpoint = dir.path().join("m.ckpt.safetensors");
    let o = train_tiny(
        &photos,
        &out,
        &[&"--checkpoint", &checkpoint, &"--steps", &"1000000"],
    );
    let log = common::stderr(&o);
    assert!(!o.status.success(), "{log}");
    assert!(
        log.contains("could not write into") && log.contains("read-only"),
        "{log}"
    );
    assert!(
        !log.contains("step 1"),
        "refused before the first step: {log}"
    );
    assert!(!checkpoint.exists());
}

#[test]
fn a_half_written_checkpoint_is_refused_by_name_and_kept() {
    let dir = tempfile::tempdir().unwrap();
    let photos = two_photos(dir.path());
    let out = dir.path().join("m.safetensors");
    let checkpoint = dir.path().join("m.ckpt.safetensors");
    let args: [&dyn AsRef<std::ffi::OsStr>; 10] = [
        &"train", &photos, &"--out", &out, &"--steps", &"2", &"--ngf", &"4", &"--ndf", &"4",
    ];
    let o = common::pix2paint(&args);
    assert!(o.status.success(), "{}", common::stderr(&o));
    // A crash while the file was copied elsewhere: its first half.
    let whole = std::fs::read(&checkpoint).unwrap();
    std::fs::write(&checkpoint, &whole[..whole.len() / 2]).unwrap();
    let o = common::pix2paint(&args);
    let log = common::stderr(&o);
    assert!(!o.status.success(), "{log}");
    assert!(
        log.contains("m.ckpt.safetensors") && log.contains("--fresh"),
        "{log}"
    );
    assert_eq!(
        std::fs::read(&checkpoint).unwrap().len(),
        whole.len() / 2,
        "the damaged file is left as it was"
    );
}

#[test]
fn names_people_have_are_read_and_written() {
    let dir = tempfile::tempdir().unwrap();
    let photos = dir.path().join("my cats 🐱");
    std::fs::create_dir(&photos).unwrap();
    let long = format!("{}.png", "a".repeat(200));
    let names = [
        "猫 sleeping.png",
        "with space.png",
        "Émile.PNG",
        long.as_str(),
        // Names that differ only in case, or only in their extension, stay apart on a disk
        // that ignores case.
        "Tom.png",
        "tom.png",
        "tom.jpg",
    ];
    for (i, name) in names.iter().enumerate() {
        photo_for(256, 256, 40 * i as u8)
            .save_with_format(
                photos.join(name),
                image::ImageFormat::from_path(name).unwrap_or(image::ImageFormat::Png),
            )
            .unwrap();
    }
    #[cfg(unix)]
    {
        // A link loop and a dangling link, as a synced or copied folder can hold.
        std::os::unix::fs::symlink("loop.png", photos.join("loop.png")).unwrap();
        std::os::unix::fs::symlink("gone.png", photos.join("dangling.png")).unwrap();
    }
    let out = dir.path().join("pairs ✓");
    let o = common::pix2paint(&[&"prepare", &photos, &"-o", &out]);
    let log = common::stderr(&o);
    assert!(o.status.success(), "{log}");
    let mut written: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    written.sort();
    let mut expected: Vec<String> = names[..4]
        .iter()
        .map(|n| format!("{}.png", n.rsplit_once('.').unwrap().0))
        .collect();
    expected.extend(["Tom.png.png", "tom.jpg.png", "tom.png-2.png"].map(String::from));
    expected.sort();
    assert_eq!(written, expected, "{log}");
}

#[cfg(unix)]
#[test]
fn training_files_that_vanish_or_break_are_skipped_and_an_empty_dataset_stops_the_run() {
    use std::time::{Duration, Instant};
    let dir = tempfile::tempdir().unwrap();
    let photos = two_photos(dir.path());
    photo_for(256, 256, 150).save(photos.join("2.png")).unwrap();
    let out = dir.path().join("m.safetensors");
    let mut child = train(&photos, &out, 1_000_000);
    let rx = lines(&mut child);
    let mut log = Vec::new();
    let wait_for = |what: &str, log: &mut Vec<String>| {
        let until = Instant::now() + Duration::from_secs(300);
        while Instant::now() < until {
            let Ok(line) = rx.recv_timeout(Duration::from_secs(300)) else {
                break;
            };
            let hit = line.contains(what);
            log.push(line);
            if hit {
                return;
            }
        }
        panic!("no line with {what:?}:\n{}", log.join("\n"));
    };
    wait_for("step 2:", &mut log);
    // A file deleted and one overwritten with garbage, mid-run.
    std::fs::remove_file(photos.join("0.png")).unwrap();
    std::fs::write(photos.join("1.png"), b"garbage").unwrap();
    wait_for("training goes on with 2 examples", &mut log);
    wait_for("training goes on with 1 examples", &mut log);
    // The last one goes too: the run stops, saying why.
    std::fs::remove_file(photos.join("2.png")).unwrap();
    let status = child.wait().unwrap();
    log.extend(rx.iter());
    let log = log.join("\n");
    assert!(!status.success(), "{log}");
    assert!(
        log.contains("no example of the dataset could be read"),
        "{log}"
    );
    assert_eq!(log.matches("skipped").count(), 2, "{log}");
}

#[test]
fn two_windows_never_share_an_autosave_and_the_newest_free_one_comes_back() {
    use pix2paint::app::Autosave;
    use pix2paint::canvas::{Canvas, Point, Tool};
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("autosave");
    let first = Autosave::claim(&base).unwrap();
    let second = Autosave::claim(&base).unwrap();
    assert_ne!(first.dir(), second.dir(), "each window its own folder");
    // The second window draws and is closed; the first is still open.
    let mut canvas = Canvas::new();
    canvas.begin(
        Tool::Pen,
        0.02,
        Point {
            x: 0.2,
            y: 0.2,
            pressure: 1.0,
        },
    );
    canvas.extend(Point {
        x: 0.8,
        y: 0.8,
        pressure: 1.0,
    });
    canvas.end();
    second.save(&canvas).unwrap();
    let second_dir = second.dir().to_owned();
    drop(second);
    // A new window takes the free folder with the newest sketch: the one just closed.
    let third = Autosave::claim(&base).unwrap();
    assert_eq!(third.dir(), second_dir);
    assert_eq!(third.load().0.strokes().len(), 1);
    assert_ne!(third.dir(), first.dir());
}

#[test]
fn damaged_settings_are_set_aside_named_and_replaced_by_defaults() {
    use pix2paint::app::Settings;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("settings.json");
    let settings = Settings {
        pen_width: 7.0,
        ..Settings::default()
    };
    settings.save(&path).unwrap();
    assert_eq!(Settings::load(&path).0, settings);
    // A crash mid-write by another program, or a disk error: half a file.
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let (loaded, damaged) = Settings::load(&path);
    assert_eq!(loaded, Settings::default());
    let damaged = damaged.expect("the damage is reported").to_string();
    assert!(
        damaged.contains("settings.json") && damaged.contains("kept as"),
        "{damaged}"
    );
    let kept: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("settings.damaged-"))
        .collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
}

#[test]
fn an_app_data_folder_that_cannot_be_made_is_said_as_such_and_eight_windows_as_eight() {
    use pix2paint::app::{Autosave, Unclaimed};
    let dir = tempfile::tempdir().unwrap();
    // A file where the data folder should be (as a read-only home is, to its owner's programs).
    let blocker = dir.path().join("pix2paint");
    std::fs::write(&blocker, b"not a folder").unwrap();
    let e = Autosave::claim(&blocker.join("autosave")).unwrap_err();
    assert!(matches!(e, Unclaimed::Unwritable { .. }), "{e:?}");
    let said = e.to_string();
    assert!(
        said.contains(&blocker.display().to_string())
            && said.contains("not autosaved")
            && said.contains("File > Save sketch"),
        "{said}"
    );
    // Eight windows hold the eight folders; a ninth is told so.
    let base = dir.path().join("autosave");
    let held: Vec<Autosave> = (0..8).map(|_| Autosave::claim(&base).unwrap()).collect();
    let e = Autosave::claim(&base).unwrap_err();
    assert!(matches!(e, Unclaimed::AllHeld), "{e:?}");
    assert!(
        e.to_string().starts_with("8 pix2paint windows are open"),
        "{e}"
    );
    drop(held);
    assert!(Autosave::claim(&base).is_ok(), "a folder is free again");
}
