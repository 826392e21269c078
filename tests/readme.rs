//! The README's quick start is the compiled, tested `examples-c/quickstart.c`, verbatim.

#[test]
fn readme_quick_start_is_examples_c_quickstart() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let quickstart = std::fs::read_to_string(root.join("examples-c/quickstart.c")).unwrap();
    let section = readme.split("## Quick start").nth(1).expect("a Quick start section");
    let block = section.split("```c\n").nth(1).and_then(|b| b.split("```").next()).expect("a C block");
    assert_eq!(block, quickstart, "README.md's quick start differs from examples-c/quickstart.c");
}
