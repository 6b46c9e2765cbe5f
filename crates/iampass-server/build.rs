//! Embeds the web phone (the Svelte app built by `npm run build` in `ui/`, into `ui/dist-phone`)
//! so the server is one file. Each asset is stored as is and gzipped (served to browsers that
//! accept gzip), with an ETag from its content so a revalidation costs a 304. Without a built UI
//! the server still builds: it then says, at `/phone/`, how to build one.

use std::io::Write as _;

use sha2::Digest as _;
use std::path::{Path, PathBuf};

fn files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            files(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?);
    let dist = manifest.join("../../ui/dist-phone");
    println!("cargo:rerun-if-changed={}", dist.display());
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    let mut found = Vec::new();
    if dist.is_dir() {
        files(&dist, &mut found)?;
    } else {
        println!(
            "cargo:warning=ui/dist-phone is missing: this server will have no web phone (its registration links \
             open a page saying so). Run scripts/build-ui first."
        );
    }
    found.sort();
    let mut table = String::from("&[\n");
    for (i, path) in found.iter().enumerate() {
        let name = path.strip_prefix(&dist)?.to_string_lossy().replace('\\', "/");
        let bytes = std::fs::read(path)?;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(&bytes)?;
        let gz_path = out_dir.join(format!("phone-asset-{i}.gz"));
        std::fs::write(&gz_path, gz.finish()?)?;
        let etag = format!("\"{}\"", &format!("{:x}", sha2::Sha256::digest(&bytes))[..16]);
        table.push_str(&format!(
            "    ({name:?}, include_bytes!({:?}), include_bytes!({:?}), {etag:?}),\n",
            path.canonicalize()?,
            gz_path
        ));
    }
    table.push(']');
    std::fs::write(out_dir.join("phone_assets.rs"), table)?;
    Ok(())
}
