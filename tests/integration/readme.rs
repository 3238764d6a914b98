//! README.md stays true: it names every config key the engine accepts, with its default.
use kafka_playground::config::{docs_json, reference_markdown, CONFIG_DEFS};

#[test]
fn readme_config_reference_matches_the_engine() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    for d in CONFIG_DEFS {
        assert!(readme.contains(&format!("`{}`", d.key)), "README.md does not mention {}", d.key);
    }
    assert!(readme.contains(&reference_markdown()), "README.md's config table is stale: paste `kafka-sim configs` output");
    assert!(readme.contains("npm start") && readme.contains("npm test"));
}

/// The page's tooltips read the config docs from www/config-docs.json (kept out of the wasm module):
/// it must be what the engine's table says.
#[test]
fn www_config_docs_json_matches_the_engine() {
    let file = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/www/config-docs.json")).unwrap_or_default();
    assert!(file == docs_json(), "www/config-docs.json is stale: kafka-sim config-docs > www/config-docs.json");
}
