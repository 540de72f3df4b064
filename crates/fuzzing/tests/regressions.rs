//! Replays every input kept in `fuzz/regressions/<target>/` (crashes the fuzzers found, and
//! the hostile files) through its target. A missing folder fails: the corpus must be there.

#[test]
fn every_kept_input_runs_clean() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fuzz/regressions");
    let mut replayed = 0;
    for (name, target) in fuzzing::TARGETS {
        let dir = format!("{root}/{name}");
        let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{dir}: {e}"));
        for entry in entries {
            let path = entry.unwrap().path();
            if path.file_name().is_some_and(|n| n == "README.md") {
                continue;
            }
            let data = std::fs::read(&path).unwrap();
            eprintln!("{name}: {}", path.display());
            target(&data);
            replayed += 1;
        }
    }
    assert!(replayed > 0, "no inputs in {root}");
}
