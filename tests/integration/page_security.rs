//! The page never inserts markup from strings: no innerHTML, outerHTML,
//! insertAdjacentHTML, document.write or eval anywhere in www/ or index.html,
//! and no inline script code or inline styles (it must run under a strict CSP).
use std::path::Path;

fn page_files() -> Vec<std::path::PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut v = vec![root.join("index.html"), root.join("embed.html")];
    // www/ and its subfolders (www/examples/).
    let mut dirs = vec![root.join("www")];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "js" || x == "html" || x == "css" || x == "mjs") {
                v.push(p);
            }
        }
    }
    v.into_iter().filter(|p| p.exists()).collect()
}

#[test]
fn no_html_injection_sinks_or_eval_in_the_page() {
    let files = page_files();
    assert!(files.len() > 1, "the page's files were not found");
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for sink in ["innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function("] {
            assert!(!text.contains(sink), "{} uses {sink}", f.display());
        }
        if f.extension().is_some_and(|x| x == "html") {
            assert!(!text.contains(" style=\""), "{} has an inline style attribute", f.display());
            assert!(!text.contains(" onclick=") && !text.contains(" onload="), "{} has an inline handler", f.display());
            for (i, _) in text.match_indices("<script") {
                let tag_end = text[i..].find('>').unwrap() + i;
                let close = text[tag_end..].find("</script>").unwrap() + tag_end;
                assert!(text[tag_end + 1..close].trim().is_empty(), "{} has inline script code", f.display());
            }
        }
    }
}
