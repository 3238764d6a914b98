//! README.md stays true: it names every config key the engine accepts, with its default.
use kafka_playground::config::{reference_markdown, CONFIG_DEFS};

#[test]
fn readme_config_reference_matches_the_engine() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    for d in CONFIG_DEFS {
        assert!(readme.contains(&format!("`{}`", d.key)), "README.md does not mention {}", d.key);
    }
    assert!(readme.contains(&reference_markdown()), "README.md's config table is stale: paste `kafka-sim configs` output");
    assert!(readme.contains("npm start") && readme.contains("npm test"));
}
