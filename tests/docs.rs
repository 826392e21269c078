//! Every exported `sio_` function documents, in the comment that becomes its header comment,
//! who owns what (where it matters), which thread may call it, and its errors.

#[test]
fn every_exported_function_is_documented() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut missing = Vec::new();
    let mut count = 0;
    for entry in std::fs::read_dir(root.join("src/ffi")).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let Some(rest) = line.split("extern \"C\" fn ").nth(1) else { continue };
            if !line.starts_with("pub ") {
                continue;
            }
            let name = rest.split('(').next().unwrap_or_default();
            count += 1;
            // The doc comment above `#[no_mangle]`.
            let doc: String = lines[..i.saturating_sub(1)]
                .iter()
                .rev()
                .take_while(|l| l.starts_with("///"))
                .map(|l| l.to_lowercase())
                .collect::<Vec<_>>()
                .join(" ");
            let needs = ["thread", "error"];
            if !name.starts_with("sio_") || needs.iter().any(|w| !doc.contains(w)) {
                missing.push(format!("{}: {name}", path.display()));
            }
        }
    }
    assert!(count > 40, "found only {count} exported functions");
    assert!(missing.is_empty(), "undocumented (thread/errors) or unprefixed: {missing:#?}");
}
