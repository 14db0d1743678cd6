//! The bundled data files are what their README says: `scenarios/data/china-2023.csv` has 31
//! provinces, 342 prefecture-level, 2,978 county-level and 41,352 township-level units, unique
//! codes, and every parent one level up with a code its child's begins with.

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
