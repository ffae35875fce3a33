//! Media files: the image formats herald knows, how a file proves it is one, and how it is opened and
//! read without trusting it.
//!
//! A file's type is claimed by its extension ([`MediaType::from_extension`]) and proved by its
//! structure ([`MediaType::identify`]), not by a few magic bytes: a JPEG is SOI followed by
//! well-formed marker segments up to a frame header (SOF) and a scan header (SOS); a PNG is its
//! signature followed by an `IHDR` chunk whose length, fields and CRC are right; a GIF is its header,
//! logical screen descriptor and a valid first block; a WEBP is a RIFF container whose size fits the
//! file and whose first chunk is a VP8, VP8L or VP8X chunk. Only headers are read.
//!
//! A media file is opened only when it is a regular file ([`open_regular`]): its type is checked with
//! `metadata` first (a named pipe, a device, a socket or a folder is never opened), the open is
//! non-blocking, and the opened file is checked again with `fstat`, so a file swapped for a pipe in
//! between cannot hang herald. Its bytes are read with a bound ([`read_bounded`], [`read_base64`]):
//! never more than the platform's limit plus one byte, so a huge file is refused before it is read.

use std::fmt;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;

use thiserror::Error;

/// An image format a platform may accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaType {
    Jpeg,
    Png,
    Gif,
    Webp,
}

/// The smallest well-formed JPEG herald knows: one grey pixel (SOI, JFIF APP0, DQT, SOF0, two DHT,
/// SOS, one byte of scan data, EOI). Tests and benchmarks write it where a campaign needs an image.
pub const SMALLEST_JPEG: &[u8] = &[
    0xFF, 0xD8, // SOI
    0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0, // APP0 (JFIF 1.01)
    0xFF, 0xDB, 0x00, 0x43, 0x00, // DQT: table 0, 8-bit, then 64 entries
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, //
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, //
    0xFF, 0xC0, 0x00, 0x0B, 8, 0, 1, 0, 1, 1, 1, 0x11, 0, // SOF0: 8-bit, 1×1, one component
    0xFF, 0xC4, 0x00, 0x14, 0x00, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x00, // DHT: DC 0
    0xFF, 0xC4, 0x00, 0x14, 0x10, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x00, // DHT: AC 0
    0xFF, 0xDA, 0x00, 0x08, 1, 1, 0x00, 0, 0x3F, 0,    // SOS: one component, tables 0/0
    0x3F, // scan: DC category 0, then end of block, padded with 1 bits
    0xFF, 0xD9, // EOI
];

/// The smallest well-formed PNG herald knows: one grey pixel (signature, IHDR, IDAT, IEND).
pub const SMALLEST_PNG: &[u8] = &[
    0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1A, b'\n', // signature
    0, 0, 0, 13, b'I', b'H', b'D', b'R', 0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0, 0x3A, 0x7E, 0x9B, 0x55, // IHDR
    0, 0, 0, 10, b'I', b'D', b'A', b'T', 0x78, 0x9C, 0x63, 0x68, 0, 0, 0, 0x82, 0, 0x81, 0x77, 0xCD, 0x72,
    0xB6, // IDAT
    0, 0, 0, 0, b'I', b'E', b'N', b'D', 0xAE, 0x42, 0x60, 0x82, // IEND
];

impl MediaType {
    /// The type a file name claims, from its extension.
    pub fn from_extension(path: &str) -> Option<Self> {
        let ext = path.rsplit_once('.')?.1.to_ascii_lowercase();
        match ext.as_str() {
            "jpg" | "jpeg" => Some(Self::Jpeg),
            "png" => Some(Self::Png),
            "gif" => Some(Self::Gif),
            "webp" => Some(Self::Webp),
            _ => None,
        }
    }

    /// The type complete file contents really are, judged by their structure (see the module docs).
    pub fn sniff(bytes: &[u8]) -> Option<Self> {
        Self::identify(&mut io::Cursor::new(bytes)).ok().flatten()
    }

    /// The type the file behind `r` really is, from its headers (read from the start; only the headers
    /// are read, segments in between are skipped). `None` when it is none of the formats herald knows
    /// or its headers are malformed or cut short.
    pub fn identify<R: Read + Seek>(r: &mut R) -> io::Result<Option<Self>> {
        let len = r.seek(SeekFrom::End(0))?;
        r.seek(SeekFrom::Start(0))?;
        let mut scan = Scan { r, pos: 0, len };
        let Some(head) = scan.take::<12>()? else {
            // Too short for any header but the JPEG's SOI and a marker.
            return Ok(None);
        };
        let ok = match head {
            [0xFF, 0xD8, ..] => scan.back_to(2)? && jpeg(&mut scan)?,
            [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1A, b'\n', ..] => scan.back_to(8)? && png(&mut scan)?,
            [b'G', b'I', b'F', b'8', b'7' | b'9', b'a', ..] => scan.back_to(6)? && gif(&mut scan)?,
            [b'R', b'I', b'F', b'F', s0, s1, s2, s3, b'W', b'E', b'B', b'P'] => {
                webp(&mut scan, u32::from_le_bytes([s0, s1, s2, s3]))?
            }
            _ => return Ok(None),
        };
        let kind = match head[0] {
            0xFF => Self::Jpeg,
            0x89 => Self::Png,
            b'G' => Self::Gif,
            _ => Self::Webp,
        };
        Ok(ok.then_some(kind))
    }

    pub fn mime(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::Gif => "image/gif",
            Self::Webp => "image/webp",
        }
    }
}

impl fmt::Display for MediaType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Jpeg => "JPEG",
            Self::Png => "PNG",
            Self::Gif => "GIF",
            Self::Webp => "WEBP",
        })
    }
}

/// A reader that knows where it is and how long the file is, so that skipping past the end is noticed
/// (a seek past the end of a file succeeds).
struct Scan<'a, R> {
    r: &'a mut R,
    pos: u64,
    len: u64,
}

impl<R: Read + Seek> Scan<'_, R> {
    /// The next `N` bytes, or `None` when the file ends first.
    fn take<const N: usize>(&mut self) -> io::Result<Option<[u8; N]>> {
        if self.len - self.pos < N as u64 {
            return Ok(None);
        }
        let mut buf = [0u8; N];
        self.r.read_exact(&mut buf)?;
        self.pos += N as u64;
        Ok(Some(buf))
    }

    fn byte(&mut self) -> io::Result<Option<u8>> {
        Ok(self.take::<1>()?.map(|[b]| b))
    }

    fn u16_be(&mut self) -> io::Result<Option<u16>> {
        Ok(self.take::<2>()?.map(u16::from_be_bytes))
    }

    /// Skips `n` bytes; `false` when the file ends first.
    fn skip(&mut self, n: u64) -> io::Result<bool> {
        if self.len - self.pos < n {
            return Ok(false);
        }
        self.r.seek(SeekFrom::Current(i64::try_from(n).unwrap_or(i64::MAX)))?;
        self.pos += n;
        Ok(true)
    }

    fn back_to(&mut self, pos: u64) -> io::Result<bool> {
        self.r.seek(SeekFrom::Start(pos))?;
        self.pos = pos;
        Ok(true)
    }
}

/// The most marker segments a JPEG may have before its scan: real files have a few dozen; the bound
/// keeps a file made of tiny segments from costing a scan of its whole length.
const MAX_JPEG_SEGMENTS: usize = 1024;

/// After SOI: marker segments, each `FF code length payload`, up to a SOF and then a SOS whose headers
/// are well formed.
fn jpeg<R: Read + Seek>(s: &mut Scan<'_, R>) -> io::Result<bool> {
    let mut frame_components = None;
    for _ in 0..MAX_JPEG_SEGMENTS {
        if s.byte()? != Some(0xFF) {
            return Ok(false);
        }
        // Any number of 0xFF fill bytes may precede the marker code.
        let mut code = 0xFF;
        while code == 0xFF {
            let Some(b) = s.byte()? else { return Ok(false) };
            code = b;
        }
        // SOI again, EOI or a restart marker before the scan, or a stuffed zero: not a JPEG's header.
        match code {
            0x00 | 0xD0..=0xD9 => return Ok(false),
            0x01 => continue, // TEM: a marker without a segment
            _ => {}
        }
        let Some(length) = s.u16_be()? else { return Ok(false) };
        let Some(payload) = length.checked_sub(2) else { return Ok(false) };
        let payload = u64::from(payload);
        let sof = matches!(code, 0xC0..=0xCF) && !matches!(code, 0xC4 | 0xC8 | 0xCC);
        if sof {
            // precision, height, width, component count, then 3 bytes per component.
            let Some([_, _, _, w0, w1, n]) = s.take::<6>()? else { return Ok(false) };
            if u16::from_be_bytes([w0, w1]) == 0 || n == 0 || payload != 6 + 3 * u64::from(n) {
                return Ok(false);
            }
            if !s.skip(3 * u64::from(n))? {
                return Ok(false);
            }
            frame_components = Some(n);
        } else if code == 0xDA {
            let Some(frame) = frame_components else { return Ok(false) };
            // component count, 2 bytes per component, then spectral selection and approximation.
            let Some(n) = s.byte()? else { return Ok(false) };
            if n == 0 || n > 4 || n > frame || payload != 1 + 2 * u64::from(n) + 3 {
                return Ok(false);
            }
            // The whole scan header is in the file; entropy-coded data follows.
            return s.skip(payload - 1);
        } else if !s.skip(payload)? {
            return Ok(false);
        }
    }
    Ok(false)
}

/// After the signature: the `IHDR` chunk, 13 bytes long, with sane fields and the right CRC.
fn png<R: Read + Seek>(s: &mut Scan<'_, R>) -> io::Result<bool> {
    let Some(chunk) = s.take::<25>()? else { return Ok(false) };
    let (length, kind, data, crc) = (&chunk[0..4], &chunk[4..8], &chunk[8..21], &chunk[21..25]);
    if length != [0, 0, 0, 13] || kind != b"IHDR" || crc32(&chunk[4..21]).to_be_bytes() != crc {
        return Ok(false);
    }
    let width = u32::from_be_bytes([data[0], data[1], data[2], data[3]]);
    let height = u32::from_be_bytes([data[4], data[5], data[6], data[7]]);
    let (depth, color, compression, filter, interlace) = (data[8], data[9], data[10], data[11], data[12]);
    let depth_ok = match color {
        0 => matches!(depth, 1 | 2 | 4 | 8 | 16),
        3 => matches!(depth, 1 | 2 | 4 | 8),
        2 | 4 | 6 => matches!(depth, 8 | 16),
        _ => false,
    };
    let dimension = |d: u32| d > 0 && d <= i32::MAX as u32;
    Ok(dimension(width) && dimension(height) && depth_ok && compression == 0 && filter == 0 && interlace <= 1)
}

/// After `GIF87a`/`GIF89a`: the logical screen descriptor, the global colour table when it has one,
/// then an extension, an image or the trailer.
fn gif<R: Read + Seek>(s: &mut Scan<'_, R>) -> io::Result<bool> {
    let Some([w0, w1, h0, h1, packed, _, _]) = s.take::<7>()? else { return Ok(false) };
    if u16::from_le_bytes([w0, w1]) == 0 || u16::from_le_bytes([h0, h1]) == 0 {
        return Ok(false);
    }
    if packed & 0x80 != 0 && !s.skip(3 << ((packed & 0x07) + 1))? {
        return Ok(false);
    }
    Ok(matches!(s.byte()?, Some(0x21 | 0x2C | 0x3B)))
}

/// After `RIFF size WEBP`: the container fits in the file and its first chunk is a well-formed VP8,
/// VP8L or VP8X chunk.
fn webp<R: Read + Seek>(s: &mut Scan<'_, R>, riff_size: u32) -> io::Result<bool> {
    if u64::from(riff_size) + 8 > s.len || riff_size < 4 + 8 {
        return Ok(false);
    }
    let Some(header) = s.take::<8>()? else { return Ok(false) };
    let size = u64::from(u32::from_le_bytes([header[4], header[5], header[6], header[7]]));
    if 12 + 8 + size > s.len {
        return Ok(false);
    }
    Ok(match &header[..4] {
        b"VP8 " => size >= 10 && s.take::<6>()?.is_some_and(|t| t[3..6] == [0x9D, 0x01, 0x2A]),
        b"VP8L" => size >= 5 && s.byte()? == Some(0x2F),
        b"VP8X" => size == 10,
        _ => false,
    })
}

/// CRC-32 (ISO-HDLC, the one PNG chunks carry), bit by bit: herald only checks a few dozen bytes.
pub fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { 0xEDB8_8320 ^ (crc >> 1) } else { crc >> 1 };
        }
    }
    !crc
}

/// A size as people read it: `5,242,880 bytes (5.2 MB)`.
pub fn size_in_words(bytes: u64) -> String {
    let digits = bytes.to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    #[allow(clippy::cast_precision_loss)] // one decimal is shown
    let mb = bytes as f64 / 1e6;
    format!("{grouped} bytes ({mb:.1} MB)")
}

/// Why a media file was not opened or read.
#[derive(Debug, Error)]
pub enum MediaError {
    /// A named pipe, device, socket or folder: never opened for reading (a pipe would block forever).
    #[error("is {0}, not a regular file")]
    NotRegular(&'static str),
    #[error("is {size} bytes, over the limit of {limit} bytes")]
    TooLarge { size: u64, limit: u64 },
    #[error("is not a well-formed JPEG, PNG, GIF or WEBP image")]
    NotAnImage,
    #[error("is a {found} image, not the {expected} it was checked as")]
    Changed { expected: MediaType, found: MediaType },
    #[error("cannot be read: {0}")]
    Io(#[from] io::Error),
}

/// What a file that is not a regular file is, in words.
fn kind_of(t: std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt as _;
    if t.is_dir() {
        "a folder"
    } else if t.is_fifo() {
        "a named pipe (FIFO)"
    } else if t.is_socket() {
        "a socket"
    } else if t.is_block_device() || t.is_char_device() {
        "a device"
    } else {
        "not a regular file"
    }
}

/// Opens `path` for reading only if it is a regular file, and returns it with its size. The type is
/// checked before opening (symbolic links followed), the open does not block (`O_NONBLOCK`: opening a
/// pipe without a writer would), and the opened file is checked again (`fstat`), so a file replaced by
/// a pipe in between is refused too.
pub fn open_regular(path: &Path) -> Result<(File, u64), MediaError> {
    use std::os::unix::fs::OpenOptionsExt as _;
    let before = std::fs::metadata(path)?;
    if !before.is_file() {
        return Err(MediaError::NotRegular(kind_of(before.file_type())));
    }
    let file = std::fs::OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK).open(path)?;
    let opened = file.metadata()?;
    if !opened.is_file() {
        return Err(MediaError::NotRegular(kind_of(opened.file_type())));
    }
    Ok((file, opened.len()))
}

/// Opens the image at `path` (a regular file of at most `limit` bytes, whose structure is `expected`),
/// positioned at its start.
fn open_image(path: &Path, expected: MediaType, limit: u64) -> Result<(File, u64), MediaError> {
    let (mut file, size) = open_regular(path)?;
    if size > limit {
        return Err(MediaError::TooLarge { size, limit });
    }
    let found = MediaType::identify(&mut io::BufReader::new(&mut file))?.ok_or(MediaError::NotAnImage)?;
    if found != expected {
        return Err(MediaError::Changed { expected, found });
    }
    file.seek(SeekFrom::Start(0))?;
    Ok((file, size))
}

/// The bytes of the `expected` image at `path`, read with a bound: at most `limit` bytes, plus one to
/// notice a file that grew past it since its size was read. The buffer is sized once, from the file.
pub fn read_bounded(path: &Path, expected: MediaType, limit: u64) -> Result<Vec<u8>, MediaError> {
    let (file, size) = open_image(path, expected, limit)?;
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    file.take(limit + 1).read_to_end(&mut bytes)?;
    let read = bytes.len() as u64;
    if read > limit {
        return Err(MediaError::TooLarge { size: read, limit });
    }
    Ok(bytes)
}

/// The `expected` image at `path` as standard base64, read in small pieces with the same bound as
/// [`read_bounded`]: only the encoded text is ever held whole, never the bytes beside it.
pub fn read_base64(path: &Path, expected: MediaType, limit: u64) -> Result<String, MediaError> {
    use base64::Engine as _;
    let (file, size) = open_image(path, expected, limit)?;
    let mut out = String::with_capacity(usize::try_from(size.div_ceil(3) * 4).unwrap_or(0));
    // A multiple of 3 bytes, so that only the last piece is padded.
    let mut piece = vec![0u8; 3 * 16 * 1024];
    let mut reader = file.take(limit + 1);
    let mut read = 0u64;
    loop {
        let mut filled = 0;
        while filled < piece.len() {
            match reader.read(&mut piece[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e.into()),
            }
        }
        read += filled as u64;
        if read > limit {
            return Err(MediaError::TooLarge { size: read, limit });
        }
        base64::engine::general_purpose::STANDARD.encode_string(&piece[..filled], &mut out);
        if filled < piece.len() {
            return Ok(out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extension_and_structure_agree() {
        assert_eq!(MediaType::from_extension("media/a.JPG"), Some(MediaType::Jpeg));
        assert_eq!(MediaType::from_extension("a.tiff"), None);
        assert_eq!(MediaType::sniff(SMALLEST_JPEG), Some(MediaType::Jpeg));
        assert_eq!(MediaType::sniff(SMALLEST_PNG), Some(MediaType::Png));
        assert_eq!(MediaType::sniff(b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"), Some(MediaType::Gif));
        let mut webp = b"RIFF\x1a\0\0\0WEBPVP8L\x0d\0\0\0\x2f".to_vec();
        webp.resize(34, 0);
        assert_eq!(MediaType::sniff(&webp), Some(MediaType::Webp));
        assert_eq!(MediaType::sniff(b"hello"), None);
    }

    #[test]
    fn sizes_are_shown_in_bytes_and_megabytes() {
        assert_eq!(size_in_words(5 * 1024 * 1024), "5,242,880 bytes (5.2 MB)");
        assert_eq!(size_in_words(999), "999 bytes (0.0 MB)");
        assert_eq!(size_in_words(2 << 30), "2,147,483,648 bytes (2147.5 MB)");
    }

    #[test]
    fn magic_bytes_alone_are_not_an_image() {
        assert_eq!(MediaType::sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), None, "SOI and a marker, no segments");
        assert_eq!(MediaType::sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 16, b'J', b'F', b'I', b'F', 0]), None);
        assert_eq!(MediaType::sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), None, "IHDR cut short");
        assert_eq!(MediaType::sniff(b"RIFF\0\0\0\0WEBPVP8 "), None);
        assert_eq!(MediaType::sniff(b"GIF89a"), None);
    }

    #[test]
    fn a_jpeg_needs_a_frame_before_its_scan_and_segments_inside_the_file() {
        // Everything up to the SOF header, then the SOS: without the frame there is no image.
        let sof = SMALLEST_JPEG.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
        let sos = SMALLEST_JPEG.windows(2).position(|w| w == [0xFF, 0xDA]).unwrap();
        let no_frame: Vec<u8> = [&SMALLEST_JPEG[..sof], &SMALLEST_JPEG[sos..]].concat();
        assert_eq!(MediaType::sniff(&no_frame), None);
        // A segment that claims more bytes than the file has.
        assert_eq!(MediaType::sniff(&[0xFF, 0xD8, 0xFF, 0xE1, 0xFF, 0xFF, 0, 0, 0, 0, 0, 0]), None);
        // Cut inside the scan header.
        assert_eq!(MediaType::sniff(&SMALLEST_JPEG[..sos + 6]), None);
        // An EOI before any scan.
        assert_eq!(MediaType::sniff(&[0xFF, 0xD8, 0xFF, 0xD9, 0, 0, 0, 0, 0, 0, 0, 0]), None);
    }

    #[test]
    fn a_png_header_with_a_wrong_crc_is_refused() {
        let mut png = SMALLEST_PNG.to_vec();
        png[29] ^= 1;
        assert_eq!(MediaType::sniff(&png), None);
        assert_eq!(crc32(b"IEND"), 0xAE42_6082);
    }

    #[test]
    fn the_bundled_example_images_are_jpegs() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("campaigns/media");
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let mut file = File::open(&path).unwrap();
            assert_eq!(MediaType::identify(&mut file).unwrap(), Some(MediaType::Jpeg), "{}", path.display());
        }
    }

    #[test]
    fn only_regular_files_are_opened() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe.jpg");
        let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path; mkfifo only creates the file.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        assert!(matches!(open_regular(&fifo), Err(MediaError::NotRegular("a named pipe (FIFO)"))));
        assert!(matches!(open_regular(dir.path()), Err(MediaError::NotRegular("a folder"))));
        assert!(matches!(open_regular(Path::new("/dev/null")), Err(MediaError::NotRegular("a device"))));
    }

    #[test]
    fn a_file_over_the_limit_is_refused_before_it_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("huge.jpg");
        std::fs::write(&path, SMALLEST_JPEG).unwrap();
        // Sparse: 2 GB long, nothing written past the header.
        std::fs::OpenOptions::new().write(true).open(&path).unwrap().set_len(2 << 30).unwrap();
        let started = std::time::Instant::now();
        let e = read_bounded(&path, MediaType::Jpeg, 5 << 20).unwrap_err();
        assert!(matches!(e, MediaError::TooLarge { size, limit } if size == 2 << 30 && limit == 5 << 20), "{e}");
        assert!(matches!(read_base64(&path, MediaType::Jpeg, 5 << 20), Err(MediaError::TooLarge { .. })));
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
    }

    #[test]
    fn images_within_the_limit_are_read_whole_and_as_base64() {
        use base64::Engine as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("card.jpg");
        // Past 48 KiB, so that base64 is made of several pieces.
        let mut big = SMALLEST_JPEG[..SMALLEST_JPEG.len() - 2].to_vec();
        big.resize(100_001, 0x55);
        std::fs::write(&path, &big).unwrap();
        assert_eq!(read_bounded(&path, MediaType::Jpeg, 100_001).unwrap(), big);
        let encoded = read_base64(&path, MediaType::Jpeg, 100_001).unwrap();
        assert_eq!(encoded, base64::engine::general_purpose::STANDARD.encode(&big));
        assert!(matches!(read_bounded(&path, MediaType::Jpeg, 100_000), Err(MediaError::TooLarge { .. })));
        assert!(matches!(read_bounded(&path, MediaType::Png, 1 << 20), Err(MediaError::Changed { .. })));
    }
}
