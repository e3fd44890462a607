//! A hostile machine: signals, and what the program leaves behind when it is stopped.

mod common;

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
    let photos = dir.path().join("photos");
    std::fs::create_dir(&photos).unwrap();
    for (i, hue) in [30u8, 90].into_iter().enumerate() {
        photo_for(256, 256, hue)
            .save(photos.join(format!("{i}.png")))
            .unwrap();
    }
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
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");

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
