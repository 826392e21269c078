//! Every ```` ```c ```` block of README.md compiles against `include/sio.h`.
//!
//! The convention: each C block is a complete translation unit, exactly as a reader would paste
//! it into a file. It includes what it uses (`"sio.h"` and standard headers) and defines
//! functions and callbacks; it needs no `main` (it is compiled with `-c`, not linked), and what
//! it leaves to the host (a work queue, a token source) is declared as a prototype. It is
//! compiled as C99 with every warning an error, so a snippet that no longer matches the header
//! fails this test. The quick start is one of them (it is also `examples-c/quickstart.c`, see
//! tests/readme.rs).

use std::path::Path;
use std::process::Command;

/// The C blocks of a Markdown text, with the line each starts on (1-based, its fence).
fn c_blocks(markdown: &str) -> Vec<(usize, String)> {
    let mut blocks = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (i, line) in markdown.lines().enumerate() {
        match current.as_mut() {
            None if line == "```c" => current = Some((i + 1, String::new())),
            None => {}
            Some(_) if line.starts_with("```") => blocks.extend(current.take()),
            Some((_, text)) => {
                text.push_str(line);
                text.push('\n');
            }
        }
    }
    assert!(current.is_none(), "README.md: a ```c block is not closed");
    blocks
}

#[test]
fn readme_c_blocks_compile_as_c99_without_warnings() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let blocks = c_blocks(&readme);
    // The quick start and one per task of "Using the API", at least.
    assert!(blocks.len() >= 10, "found only {} C blocks in README.md", blocks.len());

    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("readme-snippets");
    std::fs::create_dir_all(&dir).unwrap();
    let mut failures = Vec::new();
    for (line, text) in &blocks {
        let source = dir.join(format!("readme_line_{line}.c"));
        std::fs::write(&source, text).unwrap();
        let out = Command::new(std::env::var("CC").unwrap_or_else(|_| "cc".into()))
            .args(["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic"])
            .arg(format!("-I{}", root.join("include").display()))
            .arg("-c")
            .arg(&source)
            .arg("-o")
            .arg(source.with_extension("o"))
            .output()
            .expect("a C compiler (cc, or $CC)");
        if !out.status.success() {
            failures.push(format!(
                "README.md line {line} ({}):\n{}",
                source.display(),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    assert!(failures.is_empty(), "C blocks of README.md that do not compile:\n{}", failures.join("\n"));
}
