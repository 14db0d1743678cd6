//! The bundled data files are what their README says: `scenarios/data/china-2023.csv` has 31
//! provinces, 342 prefecture-level, 2,978 county-level and 41,352 township-level units, unique
//! codes, and every parent one level up with a code its child's begins with;
//! `scenarios/data/prefecture-calendar.csv` is what its script writes.

use std::collections::HashMap;

#[test]
fn the_china_2023_tree_has_the_stated_counts_and_structure() {
    let mut reader = csv::Reader::from_path("scenarios/data/china-2023.csv").unwrap();
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        ["code", "name", "parent", "level"]
    );
    let levels = ["province", "prefecture", "county", "township"];
    let mut units: HashMap<String, usize> = HashMap::new();
    let mut counts = [0usize; 4];
    for record in reader.records() {
        let record = record.unwrap();
        let depth = levels.iter().position(|l| *l == &record[3]).unwrap();
        counts[depth] += 1;
        assert!(!record[1].is_empty(), "{record:?}");
        if depth == 0 {
            assert!(record[2].is_empty(), "{record:?}");
        } else {
            let parent_depth = units.get(&record[2]).copied();
            assert_eq!(parent_depth, Some(depth - 1), "{record:?}");
            assert!(record[0].starts_with(&record[2]), "{record:?}");
        }
        assert!(
            units.insert(record[0].to_string(), depth).is_none(),
            "duplicate code {record:?}"
        );
    }
    assert_eq!(counts, [31, 342, 2978, 41352]);
}

#[test]
fn the_prefecture_calendar_is_what_its_script_writes() {
    let output = std::process::Command::new("python3")
        .arg("scenarios/data/make-prefecture-calendar.py")
        .output()
        .expect("python3 runs (it is on every machine the CI uses)");
    assert!(output.status.success(), "{output:?}");
    let committed = std::fs::read("scenarios/data/prefecture-calendar.csv").unwrap();
    assert!(
        output.stdout == committed,
        "scenarios/data/prefecture-calendar.csv differs from make-prefecture-calendar.py's output"
    );
    let rows = String::from_utf8(committed).unwrap();
    assert_eq!(rows.lines().next(), Some("unit,step,year"));
    assert_eq!(rows.lines().count(), 1 + 236, "236 of the 342 units adopt");
}
