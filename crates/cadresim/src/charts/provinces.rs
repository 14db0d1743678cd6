//! China's 31 provincial units as charts label and place them: the table
//! `scenarios/data/china-provinces.csv` (compiled in) gives each unit's GB/T 2260 code, its
//! Chinese and English names, its ISO 3166-2:CN code and its tile on a fixed grid map (row 1
//! north to 10 south, column 1 west to 10 east).

use std::sync::OnceLock;

/// One provincial unit.
#[derive(Clone, Debug, PartialEq, serde::Deserialize)]
pub struct Province {
    /// GB/T 2260 code, two digits (`33`).
    pub code: String,
    /// The name in Chinese, as the statistical division codes write it (`浙江省`).
    pub name: String,
    /// The English name (`Zhejiang`).
    pub name_en: String,
    /// ISO 3166-2:CN (`CN-ZJ`).
    pub iso: String,
    pub row: u32,
    pub col: u32,
}

impl Province {
    /// The two letters of the ISO code (`ZJ`), for a tile's label.
    pub fn letters(&self) -> &str {
        self.iso.trim_start_matches("CN-")
    }
}

/// The committed table.
const TABLE: &str = include_str!("../../../../scenarios/data/china-provinces.csv");

/// Rows and columns of the tile grid.
pub const GRID: (u32, u32) = (10, 10);

/// Every provincial unit, in the table's order (by code).
pub fn all() -> &'static [Province] {
    static PROVINCES: OnceLock<Vec<Province>> = OnceLock::new();
    PROVINCES.get_or_init(|| {
        csv::Reader::from_reader(TABLE.as_bytes())
            .deserialize()
            .collect::<Result<Vec<Province>, _>>()
            .expect("the committed province table is valid (tested)")
    })
}

/// The provincial unit with this Chinese name, or with this code (`33`, or a longer code
/// ending in zeros such as `330000`) and no other name (empty, or its Chinese or English
/// name): a unit of another tree whose code happens to be `33` is not Zhejiang.
pub fn find(code: &str, name: &str) -> Option<&'static Province> {
    let short = match code.len() {
        6 | 9 | 12 if code.is_ascii() && code[2..].bytes().all(|b| b == b'0') => &code[..2],
        _ => code,
    };
    all()
        .iter()
        .find(|p| p.name == name || (p.code == short && (name.is_empty() || p.name_en == name)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_has_the_31_units_of_the_tree_each_on_its_own_tile() {
        let provinces = all();
        assert_eq!(provinces.len(), 31);
        let tree = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../scenarios/data/china-2023.csv"
        ))
        .unwrap();
        let in_tree: Vec<(&str, &str)> = tree
            .lines()
            .filter(|line| line.ends_with(",province"))
            .map(|line| {
                let mut cells = line.split(',');
                (cells.next().unwrap(), cells.next().unwrap())
            })
            .collect();
        assert_eq!(in_tree.len(), 31);
        for (code, name) in in_tree {
            let province = find(code, "").unwrap_or_else(|| panic!("{code} is missing"));
            assert_eq!(province.name, name);
            assert!(province.iso.starts_with("CN-") && province.letters().len() == 2);
        }
        let mut tiles: Vec<(u32, u32)> = provinces.iter().map(|p| (p.row, p.col)).collect();
        tiles.sort();
        tiles.dedup();
        assert_eq!(tiles.len(), 31);
        assert!(tiles
            .iter()
            .all(|&(r, c)| (1..=GRID.0).contains(&r) && (1..=GRID.1).contains(&c)));
    }

    #[test]
    fn units_are_found_by_code_or_name() {
        assert_eq!(find("33", "").unwrap().name_en, "Zhejiang");
        assert_eq!(find("330000", "").unwrap().letters(), "ZJ");
        assert_eq!(find("x", "浙江省").unwrap().code, "33");
        assert!(find("3301", "杭州市").is_none());
        assert!(
            find("33", "province 33").is_none(),
            "another tree's unit 33"
        );
        assert!(
            find("北京北京北京", "").is_none(),
            "a code of six bytes that is not ASCII"
        );
    }
}
