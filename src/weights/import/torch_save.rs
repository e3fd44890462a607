//! A minimal writer of `torch.save` files: a ZIP archive holding `archive/data.pkl` (pickle
//! protocol 2: an `OrderedDict` of `torch._utils._rebuild_tensor_v2` calls whose storages are
//! persistent ids), one `archive/data/N` entry per storage, and the `version` and `byteorder`
//! records PyTorch checks.

use std::io::Write;

struct Pickle(Vec<u8>);

impl Pickle {
    fn op(&mut self, op: u8) {
        self.0.push(op);
    }
    fn global(&mut self, module: &str, name: &str) {
        self.op(b'c');
        self.0
            .extend_from_slice(format!("{module}\n{name}\n").as_bytes());
    }
    fn string(&mut self, s: &str) {
        self.op(b'X'); // BINUNICODE
        self.0.extend_from_slice(&(s.len() as u32).to_le_bytes());
        self.0.extend_from_slice(s.as_bytes());
    }
    fn int(&mut self, v: usize) {
        self.op(b'J'); // BININT (signed 32-bit)
        self.0.extend_from_slice(&(v as i32).to_le_bytes());
    }
    fn tuple(&mut self, items: &[usize]) {
        self.op(b'('); // MARK
        for &v in items {
            self.int(v);
        }
        self.op(b't'); // TUPLE
    }
    fn empty_ordered_dict(&mut self) {
        self.global("collections", "OrderedDict");
        self.op(b')'); // EMPTY_TUPLE
        self.op(b'R'); // REDUCE
    }
}

/// One tensor of a state dict: `(key, shape, values)`; an empty shape with no values is an
/// int64 zero scalar (`num_batches_tracked`).
pub(super) type Entry = (String, Vec<usize>, Vec<f32>);

/// The `torch.save` bytes of a state dict of `entries`, in their order.
pub(super) fn write(entries: &[Entry]) -> Result<Vec<u8>, super::pth::ExportError> {
    let mut p = Pickle(vec![0x80, 2]); // PROTO 2
    p.empty_ordered_dict();
    p.op(b'('); // MARK for SETITEMS
    let mut storages: Vec<Vec<u8>> = Vec::new();
    for (key, shape, values) in entries {
        let scalar_int = shape.is_empty() && values.is_empty();
        let (storage_type, bytes) = if scalar_int {
            ("LongStorage", 0i64.to_le_bytes().to_vec())
        } else {
            ("FloatStorage", bytemuck::cast_slice(values).to_vec())
        };
        let numel = if scalar_int { 1 } else { values.len() };
        p.string(key);
        p.global("torch._utils", "_rebuild_tensor_v2");
        p.op(b'('); // MARK: the call's arguments
        p.op(b'('); // MARK: the persistent id tuple
        p.string("storage");
        p.global("torch", storage_type);
        p.string(&storages.len().to_string());
        p.string("cpu");
        p.int(numel);
        p.op(b't');
        p.op(b'Q'); // BINPERSID
        p.int(0); // storage offset
        p.tuple(shape);
        let mut strides = vec![1usize; shape.len()];
        for i in (0..shape.len().saturating_sub(1)).rev() {
            strides[i] = strides[i + 1] * shape[i + 1];
        }
        p.tuple(&strides);
        p.op(0x89); // NEWFALSE: requires_grad
        p.empty_ordered_dict(); // backward hooks
        p.op(b't'); // TUPLE of the arguments
        p.op(b'R'); // REDUCE
        storages.push(bytes);
    }
    p.op(b'u'); // SETITEMS
    p.op(b'.'); // STOP

    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let mut add = |name: &str, bytes: &[u8]| -> Result<(), zip::result::ZipError> {
        zip.start_file(format!("archive/{name}"), stored)?;
        zip.write_all(bytes)?;
        Ok(())
    };
    add("data.pkl", &p.0)?;
    add("byteorder", b"little")?;
    for (i, s) in storages.iter().enumerate() {
        add(&format!("data/{i}"), s)?;
    }
    add("version", b"3\n")?;
    let cursor = zip.finish()?;
    Ok(cursor.into_inner())
}
