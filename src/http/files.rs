//! The files the gate reads: the token file and CA bundles (each a regular file read up to
//! a cap; a FIFO or a device is refused before any read, and opening never waits for a
//! FIFO's writer), and a saved response (`--input`, a file or stdin).
#![allow(clippy::disallowed_methods, reason = "the transport's file reads")]

use std::fs::{File, OpenOptions};
use std::io::Read;
use std::path::Path;

use super::MAX_BODY;
use crate::error::Error;

/// IAM tokens are a few KiB; this leaves room for the largest.
pub const MAX_TOKEN_FILE: u64 = 256 * 1024;
/// A full system CA bundle is well under this.
pub const MAX_CA_FILE: u64 = 4 * 1024 * 1024;

/// The bytes of the regular file at `path`, at most `cap` of them; `name` is the flag or
/// variable that named the file, for the usage error.
pub fn read_capped(path: &Path, cap: u64, name: &str) -> Result<Vec<u8>, Error> {
    let usage = |why: String| Error::Usage(format!("{name}: {why}"));
    let shown = path.display();
    let file =
        open_without_blocking(path).map_err(|e| usage(format!("cannot read {shown}: {e}")))?;
    let metadata = file
        .metadata()
        .map_err(|e| usage(format!("cannot read {shown}: {e}")))?;
    if !metadata.is_file() {
        return Err(usage(format!(
            "{shown} is not a regular file (a FIFO, device or directory is never read)"
        )));
    }
    let mut bytes = Vec::new();
    file.take(cap + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| usage(format!("cannot read {shown}: {e}")))?;
    if bytes.len() as u64 > cap {
        return Err(usage(format!(
            "{shown} is over the {} KiB limit",
            cap >> 10
        )));
    }
    Ok(bytes)
}

#[cfg(unix)]
fn open_without_blocking(path: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
}

#[cfg(not(unix))]
fn open_without_blocking(path: &Path) -> std::io::Result<File> {
    OpenOptions::new().read(true).open(path)
}

/// A saved response from the file at `path`, or stdin when `None`, up to the body cap.
pub fn read_saved(path: Option<&Path>) -> Result<Vec<u8>, Error> {
    let name = path.map_or_else(|| "stdin".to_string(), |p| p.display().to_string());
    let source: std::io::Result<(Box<dyn Read>, u64)> = match path {
        // A file's size lets the buffer be allocated once, so it is read in one go.
        Some(path) => File::open(path)
            .map(|file| (file.metadata().map_or(0, |m| m.len()), file))
            .map(|(size, file)| (Box::new(file) as Box<dyn Read>, size)),
        None => Ok((Box::new(std::io::stdin().lock()), 0)),
    };
    let mut bytes = Vec::new();
    // Never more than one byte past the cap, whatever the file claims or holds.
    let read = source.and_then(|(reader, size)| {
        bytes.reserve(size.min(MAX_BODY) as usize + 1);
        reader.take(MAX_BODY + 1).read_to_end(&mut bytes)
    });
    read.map_err(|e| Error::Usage(format!("--input: cannot read {name}: {e}")))?;
    if bytes.len() as u64 > MAX_BODY {
        return Err(Error::Response(format!(
            "--input: {name} is over the {} MiB limit",
            MAX_BODY >> 20
        )));
    }
    Ok(bytes)
}
