//! CHANGELOG.md records when each symbol of the C API appeared: every `sio_`/`SIO_` name in the
//! code of `include/sio.h` (functions, types, enums and their constants, macros; not comments)
//! must be named in it, so a symbol added later fails this test until it is recorded.

use std::path::Path;

/// `text` without its `/* … */` and `// …` comments.
fn strip_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("/*").into_iter().chain(rest.find("//")).min() {
        out.push_str(&rest[..i]);
        let end = if rest[i..].starts_with("/*") { "*/" } else { "\n" };
        rest = rest[i..].find(end).map_or("", |j| &rest[i + j + end.len()..]);
        out.push('\n');
    }
    out.push_str(rest);
    out
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The identifiers of `code` that start with `sio_` or `SIO_`, sorted, without duplicates.
fn api_names(code: &str) -> Vec<&str> {
    let mut names: Vec<&str> = code
        .split(|c| !is_ident_char(c))
        .filter(|w| w.starts_with("sio_") || w.starts_with("SIO_"))
        .collect();
    names.sort_unstable();
    names.dedup();
    names
}

/// Whether `text` contains `name` as a whole identifier (`sio_on` is not in `sio_on_any`).
fn mentions(text: &str, name: &str) -> bool {
    text.match_indices(name).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + name.len()..].chars().next();
        !before.is_some_and(is_ident_char) && !after.is_some_and(is_ident_char)
    })
}

#[test]
fn changelog_names_every_symbol_of_the_header() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let header = std::fs::read_to_string(root.join("include/sio.h")).unwrap();
    let changelog = std::fs::read_to_string(root.join("CHANGELOG.md")).unwrap();
    let code = strip_comments(&header);
    // The include guard is not API.
    let names: Vec<&str> = api_names(&code).into_iter().filter(|n| *n != "SIO_H").collect();
    assert!(names.len() > 90, "found only {} names in include/sio.h", names.len());
    assert!(names.contains(&"sio_on") && names.contains(&"SIO_ERR_PANIC") && names.contains(&"sio_buffer"));
    let missing: Vec<&str> = names.into_iter().filter(|n| !mentions(&changelog, n)).collect();
    assert!(missing.is_empty(), "symbols of include/sio.h that CHANGELOG.md does not name: {missing:#?}");
}

#[test]
fn the_checks_see_what_they_should() {
    let code = strip_comments("/* sio_in_comment */ int sio_a(void); // sio_b\nSIO_C = 1, /**\n * sio_d */");
    assert_eq!(api_names(&code), ["SIO_C", "sio_a"]);
    assert!(mentions("- `sio_on`, `sio_on_any`", "sio_on"));
    assert!(!mentions("- `sio_on_any`, xsio_on", "sio_on"));
}
