//! Every reference to a section of the model document points to a section that exists:
//! outside docs/MODEL.md a `§N` follows `docs/MODEL.md` in its sentence (a bare `MODEL.md §N`
//! would be ambiguous with the specification's own numbering), inside it `§N` or `section N`
//! stand alone; and `N` is the number of one of its headings (`## 7. Submodels`,
//! `### 7.11 Metrics ...`).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The numbers of docs/MODEL.md's numbered headings: "3", "7", "7.11", ...
fn sections() -> BTreeSet<String> {
    let text = std::fs::read_to_string("docs/MODEL.md").unwrap();
    text.lines()
        .filter(|line| line.starts_with('#'))
        .filter_map(|line| line.trim_start_matches('#').split_whitespace().next())
        .map(|number| number.trim_end_matches('.').to_string())
        .filter(|number| {
            !number.is_empty() && number.chars().all(|c| c.is_ascii_digit() || c == '.')
        })
        .collect()
}

/// The repository's text files that can name a section: docs, scenarios, code, tests.
fn files() -> Vec<PathBuf> {
    let mut found = vec![PathBuf::from("README.md"), PathBuf::from("ARCHITECTURE.md")];
    for root in ["docs", "scenarios", "src", "tests", "crates"] {
        walk(Path::new(root), &mut found);
    }
    // This file writes wrong references on purpose.
    found.retain(|path| path != Path::new("tests/references.rs"));
    found
}

fn walk(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            walk(&path, found);
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("md" | "rs" | "toml" | "py" | "sh")
        ) {
            found.push(path);
        }
    }
}

/// The text with comment markers removed and lines joined, so that a reference broken
/// across comment lines reads as one.
fn prose(text: &str) -> String {
    text.lines()
        .map(|line| {
            let line = line.trim_start();
            let line = ["//!", "///", "//", "#"]
                .iter()
                .find_map(|marker| line.strip_prefix(marker))
                .unwrap_or(line);
            line.trim()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Every `§N` of `text` with the words just before it: (number, preceding text).
fn references(text: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for (at, _) in text.match_indices('§') {
        let number: String = text[at + '§'.len_utf8()..]
            .trim_start()
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.')
            .collect();
        let number = number.trim_end_matches('.').to_string();
        let mut start = at.saturating_sub(120);
        while !text.is_char_boundary(start) {
            start -= 1;
        }
        found.push((number, text[start..at].to_string()));
    }
    found
}

/// `section N` written after "MODEL.md" (only in docs/MODEL.md itself may it stand alone).
fn section_words(text: &str, own: bool) -> Vec<String> {
    let mut found = Vec::new();
    let pattern = if own { "section " } else { "MODEL.md section " };
    for (at, _) in text.match_indices(pattern) {
        let number: String = text[at + pattern.len()..]
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.')
            .collect();
        let number = number.trim_end_matches('.').to_string();
        if !number.is_empty() {
            found.push(number);
        }
    }
    found
}

#[test]
fn every_model_section_reference_names_a_heading_of_docs_model_md() {
    let sections = sections();
    assert!(
        sections.contains("7.11") && sections.contains("3"),
        "{sections:?}"
    );
    let mut wrong = Vec::new();
    let mut checked = 0;
    for path in files() {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let own = path == Path::new("docs/MODEL.md");
        let text = prose(&text);
        for (number, before) in references(&text) {
            checked += 1;
            // The sentence up to the reference must name the document.
            let sentence = before.rsplit(". ").next().unwrap_or(&before);
            if !own && !sentence.contains("docs/MODEL.md") {
                wrong.push(format!(
                    "{}: `…{before}§{number}` does not say docs/MODEL.md",
                    path.display()
                ));
            } else if !sections.contains(&number) {
                wrong.push(format!(
                    "{}: §{number} is not a heading of docs/MODEL.md",
                    path.display()
                ));
            }
        }
        for number in section_words(&text, own) {
            checked += 1;
            if !own {
                wrong.push(format!(
                    "{}: `MODEL.md section {number}`: write docs/MODEL.md §{number}",
                    path.display()
                ));
            } else if !sections.contains(&number) {
                wrong.push(format!(
                    "{}: section {number} is not a heading of docs/MODEL.md",
                    path.display()
                ));
            }
        }
    }
    assert!(
        checked > 30,
        "only {checked} references found: is the scan reading the files?"
    );
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_scan_finds_a_bare_reference_and_a_missing_section() {
    let text = prose(
        "/// classes of MODEL.md §6.\n/// see docs/MODEL.md\n/// §7.11 and docs/MODEL.md §9.",
    );
    let found = references(&text);
    assert_eq!(found.len(), 3);
    assert!(!found[0].1.contains("docs/MODEL.md"));
    assert!(found[1].1.trim_end().ends_with("docs/MODEL.md") && found[1].0 == "7.11");
    assert_eq!(found[2].0, "9");
    assert!(!sections().contains("9"));
}
