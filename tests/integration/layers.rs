//! The engine's layers only point down (README.md, "Layout"): a file may name (`crate::…`) only
//! modules of its own layer or of a layer below. A new upward import fails here, with the file
//! and the line.
use std::path::{Path, PathBuf};

/// Bottom to top. A module not listed here fails the test, so a new top-level module must be
/// given a layer.
const LAYERS: &[(&str, &[&str])] = &[
    ("foundation", &["ids", "errors", "rng", "pvec", "vecmap", "lean"]),
    ("storage", &["log"]),
    ("vocabulary", &["config", "protocol", "effects", "command"]),
    ("roles", &["broker", "controller", "client"]),
    ("driver", &["sim"]),
    ("check", &["check"]),
    ("scenario", &["scenario"]),
    ("page", &["page"]),
    ("proof", &["proof"]),
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|(_, mods)| mods.contains(&module))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Every `crate::name` in a line (comments included: a doc link upward is a dependency too).
fn crate_refs(line: &str) -> Vec<&str> {
    line.match_indices("crate::")
        .filter(|(i, _)| !line[..*i].ends_with(|c: char| c.is_alphanumeric() || c == '_'))
        .map(|(i, m)| {
            let rest = &line[i + m.len()..];
            let end = rest.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(rest.len());
            &rest[..end]
        })
        .filter(|name| !name.is_empty())
        .collect()
}

#[test]
fn every_module_names_only_its_own_layer_or_the_layers_below() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = vec![];
    rust_files(&src, &mut files);
    files.sort();
    let mut upward = vec![];
    let mut unplaced = vec![];
    for f in &files {
        let rel = f.strip_prefix(&src).unwrap();
        let first = rel.components().next().unwrap().as_os_str().to_str().unwrap().trim_end_matches(".rs").to_string();
        if first == "lib" || first == "bin" || rel == Path::new("page/wasm.rs") {
            // The crate root, the command-line tool and the browser's entry point (wasm.rs, which
            // also exposes the proof's sweep hashes to the e2e test) sit above every layer.
            continue;
        }
        let Some(own) = layer_of(&first) else {
            unplaced.push(rel.display().to_string());
            continue;
        };
        for (n, line) in std::fs::read_to_string(f).unwrap().lines().enumerate() {
            for name in crate_refs(line) {
                match layer_of(name) {
                    Some(l) if l > own => upward.push(format!(
                        "{}:{}: {} ({}) names crate::{} ({})",
                        rel.display(),
                        n + 1,
                        first,
                        LAYERS[own].0,
                        name,
                        LAYERS[l].0
                    )),
                    Some(_) => {}
                    None => unplaced.push(format!("crate::{name} (named in {})", rel.display())),
                }
            }
        }
    }
    assert!(unplaced.is_empty(), "modules with no layer in tests/integration/layers.rs:\n{}", unplaced.join("\n"));
    assert!(upward.is_empty(), "imports that point up a layer:\n{}", upward.join("\n"));
}

#[test]
fn the_layer_check_sees_an_upward_import() {
    // The check itself can fail: a role naming the simulator is caught.
    assert_eq!(crate_refs("use crate::sim::Sim; // see crate::ids"), vec!["sim", "ids"]);
    assert!(layer_of("sim") > layer_of("broker"));
    assert_eq!(crate_refs("kafka_crate::sim"), Vec::<&str>::new());
}
